# lib.sh - shared setup for the black-box CLI tests (git t/, tmux regress/).
#
# A test script is run as:  sh tNNNN-name.sh /path/to/tock
# It sources this file, which gives it a fresh temporary HOME and database
# that are removed on exit whatever happens, a fixed time zone, and
# helpers that compare exact output and exit codes.

set -u
# Debian's python3 (what scripts/deps.sh installs, with the test modules)
# before any other: a version manager's shim in PATH costs 0.2 s per
# start, which dominated tests that run python for every check.
if [ -x /usr/bin/python3 ]; then
	PATH=/usr/bin:$PATH
	export PATH
fi
TOCK=${1:?usage: $0 /path/to/tock}
case $TOCK in /*) ;; *) TOCK=$(pwd)/$TOCK ;; esac
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tock-$TEST_NAME.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
export HOME="$TMP/home" XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config"
export XDG_RUNTIME_DIR="$TMP/run" TOCK_DB="$TMP/data/tock/tock.db"
export TZ=${TEST_TZ:-UTC} LC_ALL=C.UTF-8 USER=tester NO_COLOR=
unset TOCK_CONFIG COLUMNS
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
FAILS=0
COUNT=0

fail() {
	FAILS=$((FAILS + 1))
	printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
}

# run CMD...: run tock with args, capturing stdout in $OUT, stderr in $ERR
# and the exit status in $RC.
run() {
	COUNT=$((COUNT + 1))
	"$TOCK" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# expect_rc N DESC
expect_rc() {
	[ "$RC" = "$1" ] || fail "$2: exit $RC, expected $1 (stderr: $ERR)"
}

# expect_out TEXT DESC: stdout equals TEXT exactly.
expect_out() {
	[ "$OUT" = "$1" ] || fail "$2: stdout was
---
$OUT
---
expected
---
$1
---"
}

# expect_err TEXT DESC: stderr equals TEXT exactly.
expect_err() {
	[ "$ERR" = "$1" ] || fail "$2: stderr was '$ERR', expected '$1'"
}

# expect_match PATTERN DESC: stdout matches the grep -E pattern.
expect_match() {
	printf '%s\n' "$OUT" | grep -Eq -- "$1" || fail "$2: stdout '$OUT' does not match /$1/"
}

# sql QUERY: run a query on the test database (sqlite3 CLI).
sql() {
	sqlite3 -batch -noheader "$TOCK_DB" "$1"
}

# jq_ FILTER: query $OUT as JSON with python3 (no jq dependency).
jsonq() {
	printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		printf '%s: %d of %d checks failed\n' "$TEST_NAME" "$FAILS" "$COUNT" >&2
		exit 1
	fi
	printf '%s: %d checks passed\n' "$TEST_NAME" "$COUNT"
	exit 0
}

# ---- helpers added for the t0xxx-t2xxx scripts ----------------------------

# expect_json EXPR DESC: the Python expression EXPR is true of d, the JSON
# value in $OUT (e.g. 'd["num"] == 1').
expect_json() {
	printf '%s' "$OUT" | python3 -c "import json, sys
d = json.load(sys.stdin)
sys.exit(0 if ($1) else 1)" 2>"$TMP/jsonerr" ||
		fail "$2: $1 is not true of '$OUT' $(cat "$TMP/jsonerr")"
}

# expect_sql QUERY EXPECTED DESC: the query prints exactly EXPECTED (one
# check of its own).
expect_sql() {
	COUNT=$((COUNT + 1))
	SQL_OUT=$(sql "$1" 2>&1)
	[ "$SQL_OUT" = "$2" ] || fail "$3: query gave
---
$SQL_OUT
---
expected
---
$2
---
query: $1"
}

# check DESC CMD...: one check that CMD succeeds.
check() {
	_desc=$1
	shift
	COUNT=$((COUNT + 1))
	"$@" || fail "$_desc"
}

# ms_at WHEN: Unix milliseconds of a local time date(1) understands.
ms_at() {
	echo $(($(date -d "$1" +%s) * 1000))
}

# hm_of MS: the local HH:MM of Unix milliseconds.
hm_of() {
	date -d "@$(($1 / 1000))" +%H:%M
}

# ops_since SEQ: the outbox ops after SEQ as "entity:kind" words.
ops_since() {
	sql "SELECT entity || ':' || kind FROM outbox WHERE seq > $1
	    ORDER BY seq" | tr '\n' ' ' | sed 's/ $//'
}

# last_seq: the newest outbox seq (0 when empty).
last_seq() {
	sql "SELECT coalesce(max(seq), 0) FROM outbox"
}

# now_ms: the wall clock in Unix milliseconds.
now_ms() {
	date +%s%3N
}

# fmt_dur MS: a duration as tock prints it ("45s", "12m", "1h05m").
fmt_dur() {
	_s=$(($1 / 1000))
	_m=$((_s / 60))
	if [ "$_s" -lt 60 ]; then
		echo "${_s}s"
	elif [ "$_m" -lt 60 ]; then
		echo "${_m}m"
	else
		printf '%dh%02dm\n' $((_m / 60)) $((_m % 60))
	fi
}
