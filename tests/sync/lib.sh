# lib.sh - shared harness for the end-to-end sync tests (t8NNN-*.sh).
#
# A test script is run as:  sh t8NNN-name.sh /path/to/tock-server
# with TOCK, TOCK_SYNCD, TOCK_TEST_LIB (tests/server/lib.sh), PGBIN and
# TOCK_SRC in the environment (tests/sync/CMakeLists.txt).  It sources this
# file, which sources tests/server/lib.sh (PostgreSQL cluster, server,
# REST helpers, checks) and adds:
#   replica NAME          a replica: its own HOME, XDG_* dirs, XDG_RUNTIME_DIR
#                         (0700) and TOCK_DB under $TMP/r/NAME
#   as NAME CMD...        run CMD (tock, tock-syncd or anything) in it
#   run_as NAME tock ...  the same, capturing $OUT, $ERR and $RC
#   ok_as NAME tock ...   one check that it exits 0 (output in $OUT)
#   syncd_start NAME      tock-syncd -d in the background (log in
#                         $TMP/r/NAME/syncd.log), waits for its socket
#   syncd_stop NAME       SIGTERM, deadline, SIGKILL;  syncd_kill NAME
#   spawn_group NAME OUT CMD...  CMD in the background, own process group
#                         ($BG_PID);  kill_group PID  SIGKILL that group
#   ctl NAME JSON         one request on its control socket, answer on stdout
#   rsql NAME QUERY       sqlite3 on its database
#   wait_rsql NAME QUERY EXPECTED [S] / wait_pg QUERY EXPECTED [S]
#                         poll until the query prints EXPECTED (one check)
#   login_replica NAME EMAIL [PASSWORD]
#                         register over REST if needed, then tock login
#   proxy_start, proxy_mode pass|drop|stall|hold, proxy_cut P [MAX],
#   proxy_rate BPS, proxy_target PORT
#                         the fault-injecting proxy (tests/helpers/tcpproxy.py);
#                         after proxy_start replicas log in through it
#   server2_start/server2_stop   a second tock-server on the same database
#   dump_r NAME WS [UID] / dump_pg WS [UID]   canonical visible rows
#   expect_same NAME WS [UID] / wait_same NAME WS [UID] [S]
#   phase TEXT            TEXT with the seconds elapsed, on stdout
# Everything (daemons, proxy, servers, cluster, directories) is killed and
# removed on exit.  Waits poll against deadlines; no fixed sleeps.

. "${TOCK_TEST_LIB:?TOCK_TEST_LIB is not set}"

TOCK=${TOCK:?TOCK is not set}
TOCK_SYNCD=${TOCK_SYNCD:?TOCK_SYNCD is not set}
TOCK_SRC=${TOCK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
HELPERS=$TOCK_SRC/tests/helpers
REPLICAS=
PROXY_PID=
SERVER2_PID=
BG_PIDS=
SYNC_URL=
export TOCK_SYNCD
# tock finds tock-syncd on PATH (or through TOCK_SYNCD) in a build tree too.
PATH=$(dirname "$TOCK_SYNCD"):$PATH
export PATH

sync_cleanup() {
	for _n in $REPLICAS; do
		eval "_p=\${SYNCD_PID_$_n:-}"
		if [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; then
			kill -KILL "$_p" 2>/dev/null
			wait "$_p" 2>/dev/null
		fi
		if [ "$FAILS" -ne 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
			if [ -s "$TMP/r/$_n/syncd.log" ]; then
				printf '%s: last lines of %s syncd.log:\n' \
				    "$TEST_NAME" "$_n" >&2
				tail -n 30 "$TMP/r/$_n/syncd.log" >&2
			fi
		fi
	done
	for _p in $BG_PIDS; do
		kill -KILL "-$_p" 2>/dev/null || kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	for _p in $PROXY_PID $SERVER2_PID; do
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	if [ -n "${KEEP_TMP:-}" ]; then
		cp -a "$TMP" "$KEEP_TMP" 2>/dev/null
	fi
}
trap 'sync_cleanup; cleanup' EXIT
# A closed pipe or terminal must not skip the clean-up either.
trap 'exit 129' HUP
trap 'exit 141' PIPE

# spawn_group NAME OUTFILE CMD...: run `as NAME CMD...` in the background
# as its own session and process group ($BG_PID), so that kill_group can
# take it down with whatever it started (tock sync runs tock-syncd --once).
spawn_group() {
	_sn=$1 _so=$2
	shift 2
	case $1 in
	tock) shift; set -- "$TOCK" "$@" ;;
	tock-syncd) shift; set -- "$TOCK_SYNCD" "$@" ;;
	esac
	( _as_env "$_sn"; exec setsid "$@" ) >"$_so" 2>&1 &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}

# kill_group PID: SIGKILL its process group and reap it.  (dash's kill
# takes no "--": "kill -KILL -- -PID" fails there and kills nothing.)
kill_group() {
	kill -KILL "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ms_now / ms_deadline SECS / ms_before DEADLINE: integer-millisecond
# deadlines (cheaper than starting python on every poll).
ms_now() {
	date +%s%3N
}
ms_deadline() {
	echo $(($(date +%s%3N) + $1 * 1000))
}
ms_before() {
	[ "$(date +%s%3N)" -lt "$1" ]
}

# phase TEXT: print TEXT with the seconds since the test began, so a slow
# run's log shows which part took the time.
T_BEGIN=$(date +%s%3N)
phase() {
	_e=$(($(date +%s%3N) - T_BEGIN))
	printf '%s: +%d.%01d s: %s\n' "$TEST_NAME" $((_e / 1000)) \
	    $((_e % 1000 / 100)) "$*"
}

# _as_env NAME: export replica NAME's environment (inside a subshell).
_as_env() {
	_d=$TMP/r/$1
	export HOME="$_d/home" XDG_DATA_HOME="$_d/data" \
	    XDG_CONFIG_HOME="$_d/config" XDG_CACHE_HOME="$_d/cache" \
	    XDG_STATE_HOME="$_d/state" XDG_RUNTIME_DIR="$_d/run" \
	    TOCK_DB="$_d/tock.db" USER="$1" LOGNAME="$1" NO_COLOR=1
	# No session bus: libsecret must not reach a real keyring, so the
	# credentials land in the replica's own 0600 file.
	unset TOCK_TOKEN TOCK_CONFIG DBUS_SESSION_BUS_ADDRESS COLUMNS
}

# replica NAME: a fresh replica (NAME must be a shell identifier).
replica() {
	_d=$TMP/r/$1
	mkdir -p "$_d/home" "$_d/data" "$_d/config" "$_d/cache" \
	    "$_d/state" "$_d/run" || fatal "cannot make replica $1"
	chmod 0700 "$_d/run"
	REPLICAS="$REPLICAS $1"
	eval "SYNCD_PID_$1="
}

# as NAME CMD...: run CMD in replica NAME ("tock" and "tock-syncd" mean
# the binaries under test).
as() {
	_an=$1
	shift
	case $1 in
	tock) shift; set -- "$TOCK" "$@" ;;
	tock-syncd) shift; set -- "$TOCK_SYNCD" "$@" ;;
	esac
	( _as_env "$_an"; exec "$@" )
}

# run_as NAME CMD...: as, with stdout in $OUT, stderr in $ERR, status $RC.
run_as() {
	as "$@" >"$TMP/as.out" 2>"$TMP/as.err"
	RC=$?
	OUT=$(cat "$TMP/as.out")
	ERR=$(cat "$TMP/as.err")
}

# ok_as NAME CMD...: one check that CMD exits 0.
ok_as() {
	COUNT=$((COUNT + 1))
	run_as "$@"
	[ "$RC" = 0 ] || fail "$1: '$*' exited $RC (stderr: $ERR)"
	[ "$RC" = 0 ]
}

# rsql NAME QUERY: sqlite3 on replica NAME's database.
rsql() {
	sqlite3 -batch -noheader -cmd '.timeout 10000' "$TMP/r/$1/tock.db" "$2"
}

# expect_rsql NAME QUERY EXPECTED DESC
expect_rsql() {
	COUNT=$((COUNT + 1))
	_got=$(rsql "$1" "$2" 2>&1)
	[ "$_got" = "$3" ] || fail "$4 ($1): query gave '$_got', expected '$3' (query: $2)"
}

# wait_rsql NAME QUERY EXPECTED [SECS]: poll (20 s by default); one check.
wait_rsql() {
	COUNT=$((COUNT + 1))
	_dl=$(ms_deadline "${4:-20}")
	while :; do
		_got=$(rsql "$1" "$2" 2>&1)
		[ "$_got" = "$3" ] && return 0
		ms_before "$_dl" || break
		sleep 0.02
	done
	fail "$1: waited ${4:-20} s for '$2' to give '$3'; last '$_got'"
	return 1
}

# wait_pg QUERY EXPECTED [SECS]: the same against PostgreSQL.
wait_pg() {
	COUNT=$((COUNT + 1))
	_dl=$(ms_deadline "${3:-20}")
	while :; do
		_got=$(sql "$1" 2>&1)
		[ "$_got" = "$2" ] && return 0
		ms_before "$_dl" || break
		sleep 0.02
	done
	fail "waited ${3:-20} s for '$1' to give '$2'; last '$_got'"
	return 1
}

# sock_of NAME: the daemon's control socket.
sock_of() {
	echo "$TMP/r/$1/run/tock/syncd.sock"
}

# ctl NAME JSON [TIMEOUT]: send one line on the control socket and print
# the first answer line ("kick" has none: prints nothing).  Status 1 when
# the socket does not answer.
ctl() {
	python3 - "$(sock_of "$1")" "$2" "${3:-30}" <<'EOF'
import json, socket, sys
path, req, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(timeout)
try:
    s.connect(path)
    s.sendall(req.encode() + b"\n")
    if json.loads(req).get("cmd") == "kick":
        sys.exit(0)
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
except OSError as e:
    print("ctl: %s" % e, file=sys.stderr)
    sys.exit(1)
line = buf.split(b"\n")[0].decode()
print(line)
sys.exit(0 if line else 1)
EOF
}

# syncd_spawn NAME: tock-syncd -d for replica NAME in the background, not
# waiting for anything (for tests whose network is held on purpose).
syncd_spawn() {
	( _as_env "$1"; exec "$TOCK_SYNCD" -d ) >>"$TMP/r/$1/syncd.log" 2>&1 &
	eval "SYNCD_PID_$1=$!"
}

# syncd_start NAME: tock-syncd -d for replica NAME, in the background;
# returns once its control socket answers "status" (20 s deadline).
syncd_start() {
	syncd_spawn "$1"
	_dl=$(ms_deadline 20)
	while ms_before "$_dl"; do
		eval "_p=\$SYNCD_PID_$1"
		if ! kill -0 "$_p" 2>/dev/null; then
			wait "$_p" 2>/dev/null
			fatal "tock-syncd of $1 exited at start: $(tail -n 5 "$TMP/r/$1/syncd.log")"
		fi
		if [ -S "$(sock_of "$1")" ] &&
		    ctl "$1" '{"cmd":"status"}' 5 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.02
	done
	fatal "tock-syncd of $1: no control socket within 20 s"
}

# syncd_stop NAME: SIGTERM, 20 s deadline, then SIGKILL (a failed check).
syncd_stop() {
	eval "_p=\${SYNCD_PID_$1:-}"
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	_dl=$(ms_deadline 20)
	while kill -0 "$_p" 2>/dev/null && ms_before "$_dl"; do
		sleep 0.02
	done
	if kill -0 "$_p" 2>/dev/null; then
		kill -KILL "$_p"
		fail "tock-syncd of $1 did not stop within 20 s of SIGTERM"
	fi
	wait "$_p" 2>/dev/null
	eval "SYNCD_PID_$1="
}

# syncd_kill NAME: SIGKILL, as a crash or a power cut would.
syncd_kill() {
	eval "_p=\${SYNCD_PID_$1:-}"
	[ -n "$_p" ] || return 0
	kill -KILL "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	eval "SYNCD_PID_$1="
}

# replica_sync NAME: one `tock sync` (no daemon: a tock-syncd --once
# round); one check that it exits 0.
replica_sync() {
	ok_as "$1" tock sync
}

# sync_all NAME...: every replica pushes, then every replica pulls what the
# others pushed (two rounds each, one check per run).
sync_all() {
	for _n in "$@"; do replica_sync "$_n"; done
	for _n in "$@"; do replica_sync "$_n"; done
}

# fast_password EMAIL PASSWORD: store a cost-4 bcrypt hash for the user so
# that logging in costs a millisecond, not 200 (a test-speed shortcut: the
# server checks whatever hash it stores).
fast_password() {
	_h=$(python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$2")
	sql "UPDATE users SET password_hash = '$_h' WHERE email = '$1'" >/dev/null ||
		fatal "cannot set a fast password for $1"
}

# ensure_user EMAIL [PASSWORD]: register EMAIL (password-<local part>
# unless given) unless it exists; $UID_OF is its id.
ensure_user() {
	_pw=${2:-password-${1%%@*}}
	register "$1" "$_pw" "${1%%@*}"
	case $STATUS in
	201|400|409|422) ;;
	*) fatal "register $1: status $STATUS ($OUT)" ;;
	esac
	UID_OF=$(sql "SELECT id FROM users WHERE email = '$1'")
	[ -n "$UID_OF" ] || fatal "register $1: no user row ($STATUS $OUT)"
}

# token_as EMAIL [PASSWORD]: log in over REST and use that token for api.
token_as() {
	login "$1" "${2:-password-${1%%@*}}"
	[ "$STATUS" = 200 ] || fatal "REST login $1: $STATUS $OUT"
}

# login_replica NAME EMAIL [PASSWORD]: register if needed, then
# `tock login URL --email EMAIL --password-stdin` in replica NAME against
# $SYNC_URL (the proxy once proxy_start ran, else the server).
login_replica() {
	ensure_user "$2" "${3:-}"
	_pw=${3:-password-${2%%@*}}
	COUNT=$((COUNT + 1))
	printf '%s\n' "$_pw" | as "$1" tock login "${SYNC_URL:-$BASE}" \
	    --email "$2" --password-stdin >"$TMP/login.out" 2>"$TMP/login.err" ||
		fatal "$1: tock login $2 exited $?: $(cat "$TMP/login.err")"
}

# uid_r NAME / ws_r NAME: the replica's user id and default workspace.
uid_r() {
	rsql "$1" "SELECT v FROM sync_meta WHERE k = 'user_id'"
}
ws_r() {
	rsql "$1" "SELECT v FROM sync_meta WHERE k = 'workspace_id'"
}

# ---- the fault-injecting proxy -------------------------------------------

proxy_start() {
	rm -f "$TMP/proxy.port" "$TMP/proxy.sock"
	python3 "$HELPERS/tcpproxy.py" --target "127.0.0.1:$SRVPORT" \
	    --control "$TMP/proxy.sock" --port-file "$TMP/proxy.port" \
	    --seed "${PROXY_SEED:-1}" >>"$TMP/proxy.log" 2>&1 &
	PROXY_PID=$!
	_dl=$(ms_deadline 20)
	while [ ! -s "$TMP/proxy.port" ]; do
		kill -0 "$PROXY_PID" 2>/dev/null ||
			fatal "tcpproxy.py exited: $(tail -n 5 "$TMP/proxy.log")"
		ms_before "$_dl" || fatal "tcpproxy.py not ready in 20 s"
		sleep 0.02
	done
	PROXY_PORT=$(cat "$TMP/proxy.port")
	PROXY_URL=http://127.0.0.1:$PROXY_PORT
	SYNC_URL=$PROXY_URL
}

proxy_ctl() {
	python3 "$HELPERS/tcpproxy.py" --ctl "$TMP/proxy.sock" "$@" ||
		fatal "proxy: $* failed"
}
proxy_mode() {
	proxy_ctl mode "$1" >/dev/null
}
proxy_cut() {
	proxy_ctl cut "$@" >/dev/null
}
proxy_rate() {
	proxy_ctl rate "$1" >/dev/null
}
proxy_target() {
	proxy_ctl target "127.0.0.1:$1" >/dev/null
}
proxy_stats() {
	proxy_ctl stats
}

# server_kill: SIGKILL the (first) server, as a crash would.
server_kill() {
	[ -n "$SERVER_PID" ] || return 0
	kill -KILL "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# server_restart: start the server again (it gets a new port) and point
# the proxy at it, so replicas behind the proxy never notice the port.
server_restart() {
	server_start "$@"
	[ -z "$PROXY_PID" ] || proxy_target "$SRVPORT"
}

# server2_start [VAR=VALUE...]: a second serve process on the same
# database; $BASE2, $SRVPORT2.  The first server's variables are kept.
server2_start() {
	_s1=$SERVER_PID _p1=$SRVPORT _b1=$BASE
	SERVER_PID=
	server_start "$@"
	SERVER2_PID=$SERVER_PID SRVPORT2=$SRVPORT BASE2=$BASE
	SERVER_PID=$_s1 SRVPORT=$_p1 BASE=$_b1
}
server2_stop() {
	[ -n "$SERVER2_PID" ] || return 0
	kill -TERM "$SERVER2_PID" 2>/dev/null
	_dl=$(ms_deadline 20)
	while kill -0 "$SERVER2_PID" 2>/dev/null && ms_before "$_dl"; do
		sleep 0.02
	done
	kill -KILL "$SERVER2_PID" 2>/dev/null
	wait "$SERVER2_PID" 2>/dev/null
	SERVER2_PID=
}

# ---- comparing a replica with the server ---------------------------------
# One line per visible (not deleted) row: tasks t|..., time entries e|...,
# comments c|..., ordered by id.  Times as Unix ms on both sides.  With UID
# only that user's time entries (what a member's replica holds).

dump_r() {
	_uf=
	[ -z "${3:-}" ] || _uf="AND user_id = '$3'"
	rsql "$1" "
SELECT 't|' || id || '|' || title || '|' || description || '|' || status
    || '|' || coalesce(assignee_id, '') || '|' || coalesce(due_date, '')
  FROM tasks WHERE workspace_id = '$2' AND deleted = 0 ORDER BY id;
SELECT 'e|' || id || '|' || user_id || '|' || coalesce(task_id, '') || '|'
    || origin || '|' || start_time || '|' || coalesce(end_time, '') || '|'
    || notes
  FROM time_entries WHERE workspace_id = '$2' AND deleted = 0 $_uf
  ORDER BY id;
SELECT 'c|' || id || '|' || task_id || '|' || author_id || '|' || body
  FROM comments WHERE workspace_id = '$2' AND deleted = 0 ORDER BY id;"
}

dump_pg() {
	_uf=
	[ -z "${2:-}" ] || _uf="AND user_id = '$2'"
	sql "
SELECT 't|' || id || '|' || title || '|' || description || '|' || status
    || '|' || coalesce(assignee_id::text, '') || '|'
    || coalesce(due_date::text, '')
  FROM tasks WHERE workspace_id = '$1' AND NOT deleted ORDER BY id::text;
SELECT 'e|' || id || '|' || user_id || '|' || coalesce(task_id::text, '')
    || '|' || origin || '|'
    || round(extract(epoch FROM start_time) * 1000)::bigint || '|'
    || coalesce(round(extract(epoch FROM end_time) * 1000)::bigint::text, '')
    || '|' || notes
  FROM time_entries WHERE workspace_id = '$1' AND NOT deleted $_uf
  ORDER BY id::text;
SELECT 'c|' || id || '|' || task_id || '|' || author_id || '|' || body
  FROM comments WHERE workspace_id = '$1' AND NOT deleted ORDER BY id::text;"
}

# expect_same NAME WS [UID]: replica NAME's rows of WS equal the server's.
expect_same() {
	COUNT=$((COUNT + 1))
	dump_r "$1" "$2" "${3:-}" >"$TMP/dump.r" 2>&1
	dump_pg "$2" "${3:-}" >"$TMP/dump.pg" 2>&1
	cmp -s "$TMP/dump.r" "$TMP/dump.pg" ||
		fail "$1 differs from the server in $2:
$(diff "$TMP/dump.pg" "$TMP/dump.r" | head -n 20)"
}

# wait_same NAME WS [UID] [SECS]: poll until they are equal; one check.
wait_same() {
	COUNT=$((COUNT + 1))
	_dl=$(ms_deadline "${4:-20}")
	while :; do
		dump_r "$1" "$2" "${3:-}" >"$TMP/dump.r" 2>&1
		dump_pg "$2" "${3:-}" >"$TMP/dump.pg" 2>&1
		cmp -s "$TMP/dump.r" "$TMP/dump.pg" && return 0
		ms_before "$_dl" || break
		sleep 0.05
	done
	fail "$1 still differs from the server in $2 after ${4:-20} s:
$(diff "$TMP/dump.pg" "$TMP/dump.r" | head -n 20)"
	return 1
}

# outbox_empty NAME: one check that nothing is left to push.
expect_outbox_empty() {
	expect_rsql "$1" "SELECT count(*) FROM outbox" 0 "outbox empty"
}

# wait_online NAME [SECS]: the daemon says it is online (connected).
wait_online() {
	COUNT=$((COUNT + 1))
	_dl=$(ms_deadline "${2:-20}")
	while :; do
		ctl "$1" '{"cmd":"status"}' 5 2>/dev/null |
		    grep -q '"online" *: *true' && return 0
		ms_before "$_dl" || break
		sleep 0.05
	done
	fail "$1: daemon not online after ${2:-20} s: $(ctl "$1" '{"cmd":"status"}' 5 2>&1)"
	return 1
}

# latency_rsql NAME QUERY EXPECTED: after a change made just before
# $T_START (ms_now), poll until the query gives EXPECTED (10 s deadline)
# and print the milliseconds it took (or "timeout").
latency_rsql() {
	_dl=$(ms_deadline 10)
	while :; do
		if [ "$(rsql "$1" "$2" 2>/dev/null)" = "$3" ]; then
			echo $(($(ms_now) - T_START))
			return 0
		fi
		ms_before "$_dl" || break
		sleep 0.005
	done
	echo timeout
	return 1
}
