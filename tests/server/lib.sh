# lib.sh - shared setup for the tock-server tests (git t/, tmux regress/).
#
# A test script is run as:  sh t9NNN-name.sh /path/to/tock-server
# It sources this file, which gives it:
#   pg_start        a throw-away PostgreSQL 15 cluster in a temporary
#                   directory (free loopback port, unix socket in the
#                   directory, run as the postgres user when we are root),
#                   with an owner role, the tock_app group and a login role
#                   in it (the set-up tock-server(8) describes);
#   server_migrate  tock-server migrate as the owner;
#   server_start    tock-server serve as the application role on a free
#                   port, waiting on /healthz against a deadline;
#   api             one HTTP request with curl: $STATUS, $OUT, headers;
#   checks          expect_status, expect_json, expect_eq, ...
# Everything (server, cluster, directory) is torn down on exit, whatever
# happens.  Waits poll with a deadline; nothing relies on a fixed sleep.

set -u
# Debian's python3 (what scripts/deps.sh installs, with the test modules)
# before any other: a version manager's shim in PATH costs 0.2 s per
# start, which dominated tests that run python for every check.
if [ -x /usr/bin/python3 ]; then
	PATH=/usr/bin:$PATH
	export PATH
fi
SERVER=${1:?usage: $0 /path/to/tock-server}
case $SERVER in /*) ;; *) SERVER=$(pwd)/$SERVER ;; esac
TEST_NAME=$(basename "$0" .sh)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tock-$TEST_NAME.XXXXXX")
chmod 0755 "$TMP"
SERVER_PID=
PG_UP=
FAILS=0
COUNT=0
TOKEN=
export TZ=UTC LC_ALL=C.UTF-8
unset TOCK_DATABASE_URL TOCK_MIGRATE_DATABASE_URL TOCK_LISTEN TOCK_TLS_CERT \
    TOCK_TLS_KEY TOCK_JWT_SECRET_FILE TOCK_POOL_MIN TOCK_POOL_MAX \
    TOCK_REGISTRATION TOCK_BODY_MAX TOCK_RATE_AUTH TOCK_RATE_USER \
    TOCK_RATE_IP TOCK_CLIENT_TIMEOUT

# as_pg CMD...: run a PostgreSQL tool as the postgres user when we are
# root (initdb refuses root), else as ourselves.
if [ "$(id -u)" -eq 0 ]; then
	chown postgres:postgres "$TMP"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	if [ -n "$PG_UP" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m immediate -w stop \
		    >/dev/null 2>&1
	fi
	if [ "$FAILS" -ne 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
		for f in "$TMP/server.log" "$TMP/pg.log"; do
			[ -f "$f" ] || continue
			printf '%s: last lines of %s:\n' "$TEST_NAME" "$f" >&2
			tail -n 40 "$f" >&2
		done
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	FAILS=$((FAILS + 1))
	printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
}

# fatal MSG: a set-up step failed; nothing after it can run.
fatal() {
	FAILS=$((FAILS + 1))
	printf 'FATAL %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		printf '%s: %d of %d checks failed\n' "$TEST_NAME" "$FAILS" \
		    "$COUNT" >&2
		exit 1
	fi
	printf '%s: %d checks passed\n' "$TEST_NAME" "$COUNT"
	exit 0
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# now_s: seconds since the epoch, with a fraction (for deadlines).
now_s() {
	date +%s.%N
}

# before DEADLINE: is it still before DEADLINE (a now_s value)?
before() {
	python3 -c "import sys, time; sys.exit(0 if time.time() < $1 else 1)"
}

# deadline SECS: a now_s value SECS from now.
deadline() {
	python3 -c "import time; print(time.time() + $1)"
}

pg_ctl_start() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w -t 60 \
	    -o "-p $PGPORT -k $TMP/sock -c listen_addresses=127.0.0.1 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_connections=300 -c shared_buffers=32MB" start >/dev/null 2>&1
}

# pg_pause / pg_resume: stop the cluster (fast) and start it again on the
# same port, to see the server through a database outage.
pg_pause() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 ||
		fatal "cannot stop PostgreSQL"
	PG_UP=
}
pg_resume() {
	pg_ctl_start || fatal "cannot restart PostgreSQL"
	PG_UP=1
}

# pg_start: initdb, start, and create the roles and the database.
pg_start() {
	as_pg "$PGBIN/initdb" -D "$TMP/pg" -U postgres -A trust -E UTF8 \
	    --locale=C --no-sync >"$TMP/initdb.log" 2>&1 ||
		fatal "initdb failed: $(tail -n 5 "$TMP/initdb.log")"
	as_pg mkdir "$TMP/sock"
	for _try in 1 2 3 4 5; do
		PGPORT=$(free_port)
		if pg_ctl_start; then
			PG_UP=1
			break
		fi
	done
	[ -n "$PG_UP" ] || fatal "PostgreSQL did not start: $(tail -n 5 "$TMP/pg.log")"
	{ psql_super postgres "CREATE ROLE tock_owner LOGIN" &&
	    psql_super postgres "CREATE ROLE tock_app NOLOGIN" &&
	    psql_super postgres "CREATE ROLE tock_server LOGIN IN ROLE tock_app" &&
	    psql_super postgres "CREATE DATABASE tock OWNER tock_owner"; } \
	    >/dev/null || fatal "cannot create the roles and database"
	OWNER_URL="postgresql:///tock?host=$TMP/sock&port=$PGPORT&user=tock_owner"
	APP_URL="postgresql:///tock?host=$TMP/sock&port=$PGPORT&user=tock_server"
}

# psql_super DB SQL: run SQL as the superuser (no row-level security).
psql_super() {
	as_pg "$PGBIN/psql" -h "$TMP/sock" -p "$PGPORT" -U postgres -d "$1" \
	    -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"
}

# sql QUERY: query the tock database as the superuser (sees every row).
sql() {
	psql_super tock "$1"
}

# expect_sql QUERY EXPECTED DESC
expect_sql() {
	COUNT=$((COUNT + 1))
	SQL_OUT=$(sql "$1" 2>&1)
	[ "$SQL_OUT" = "$2" ] || fail "$3: query gave '$SQL_OUT', expected '$2' (query: $1)"
}

server_migrate() {
	TOCK_DATABASE_URL=$OWNER_URL "$SERVER" migrate >"$TMP/migrate.out" \
	    2>"$TMP/migrate.err" ||
		fatal "migrate failed: $(cat "$TMP/migrate.err")"
}

# server_start [VAR=VALUE...]: start serve with extra environment; waits
# for /healthz to answer 200 (30 s deadline).
server_start() {
	[ -f "$TMP/jwt.key" ] ||
		python3 -c 'import secrets; print(secrets.token_urlsafe(48))' \
		    >"$TMP/jwt.key"
	for _try in 1 2 3; do
		SRVPORT=$(free_port)
		BASE="http://127.0.0.1:$SRVPORT"
		# Generous limits unless a test asks for tight ones, and
		# cheap password hashes unless it checks them (t9002): a
		# cost-12 bcrypt is a quarter second of CPU per login.
		env TOCK_DATABASE_URL="$APP_URL" TOCK_BCRYPT_COST=4 \
		    TOCK_JWT_SECRET_FILE="$TMP/jwt.key" \
		    TOCK_LISTEN="127.0.0.1:$SRVPORT" TOCK_RATE_AUTH=1000/60 \
		    TOCK_RATE_USER=10000/60 TOCK_RATE_IP=100000/60 "$@" \
		    "$SERVER" serve >>"$TMP/server.out" 2>>"$TMP/server.log" &
		SERVER_PID=$!
		_dl=$(deadline 30)
		while before "$_dl"; do
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				wait "$SERVER_PID" 2>/dev/null
				SERVER_PID=
				break
			fi
			_s=$(curl -s -o /dev/null -w '%{http_code}' \
			    --max-time 2 "$BASE/healthz" 2>/dev/null)
			[ "$_s" = 200 ] && return 0
			sleep 0.05
		done
		[ -n "$SERVER_PID" ] && fatal "serve did not answer /healthz in 30 s"
		# It exited: a port race, or a real failure (retried anyway).
	done
	fatal "serve did not start: $(tail -n 5 "$TMP/server.log")"
}

# server_stop: SIGTERM and wait (20 s deadline); $SERVER_RC is its status.
server_stop() {
	SERVER_RC=
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	_dl=$(deadline 20)
	while kill -0 "$SERVER_PID" 2>/dev/null && before "$_dl"; do
		sleep 0.05
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -KILL "$SERVER_PID"
		fail "serve did not stop within 20 s of SIGTERM"
	fi
	wait "$SERVER_PID"
	SERVER_RC=$?
	SERVER_PID=
}

# api METHOD PATH [BODY [CURL-ARGS...]]: one request with $TOKEN (if set)
# as the bearer token.  Sets $STATUS and $OUT; headers in $TMP/headers.
api() {
	_m=$1
	_p=$2
	shift 2
	_body=
	if [ $# -gt 0 ]; then
		_body=$1
		shift
	fi
	if [ -n "$_body" ]; then
		printf '%s' "$_body" >"$TMP/reqbody"
		set -- --data-binary "@$TMP/reqbody" "$@"
	fi
	if [ -n "$TOKEN" ]; then
		set -- -H "Authorization: Bearer $TOKEN" "$@"
	fi
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
	    --max-time 30 -X "$_m" -H 'Content-Type: application/json' "$@" \
	    "$BASE$_p")
	OUT=$(cat "$TMP/body")
}

# header NAME: the value of response header NAME (case-insensitive).
header() {
	tr -d '\r' <"$TMP/headers" | awk -v n="$1" 'BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
	      v = substr($0, i + 1); sub(/^ +/, "", v); print v; exit } }'
}

# expect_status CODE DESC
expect_status() {
	COUNT=$((COUNT + 1))
	[ "$STATUS" = "$1" ] || fail "$2: status $STATUS, expected $1 (body: $OUT)"
}

# expect_json EXPR DESC: the Python expression EXPR is true of d, the
# JSON body of the last answer.
expect_json() {
	COUNT=$((COUNT + 1))
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if ($1) else 1)" "$TMP/body" 2>"$TMP/jsonerr" ||
		fail "$2: $1 is not true of '$OUT' $(cat "$TMP/jsonerr")"
}

# expect_error STATUS CODE DESC: an error body with that status and code.
expect_error() {
	expect_status "$1" "$3"
	expect_json "d['error']['code'] == '$2' and isinstance(d['error']['message'], str)" "$3"
}

# expect_field_error FIELD DESC: a 400 naming FIELD.
expect_field_error() {
	expect_status 400 "$2"
	expect_json "d['error'].get('field') == '$1' and '$1' in d['error']['message']" "$2"
}

# expect_eq GOT WANT DESC
expect_eq() {
	COUNT=$((COUNT + 1))
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# jget EXPR: print a Python expression of d (the last JSON body).
jget() {
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
v = $1
print('' if v is None else v)" "$TMP/body"
}

# register EMAIL PASSWORD [NAME]: POST /auth/register.
register() {
	_t=$TOKEN
	TOKEN=
	if [ $# -ge 3 ]; then
		api POST /api/v1/auth/register "{\"email\":\"$1\",\"password\":\"$2\",\"name\":\"$3\"}"
	else
		api POST /api/v1/auth/register "{\"email\":\"$1\",\"password\":\"$2\"}"
	fi
	TOKEN=$_t
}

# login EMAIL PASSWORD: POST /auth/login; on 200 sets TOKEN, REFRESH and
# USER_ID.
login() {
	TOKEN=
	api POST /api/v1/auth/login "{\"email\":\"$1\",\"password\":\"$2\"}"
	if [ "$STATUS" = 200 ]; then
		TOKEN=$(jget "d['access_token']")
		REFRESH=$(jget "d['refresh_token']")
		USER_ID=$(jget "d['user']['id']")
	fi
}

# user NAME: register NAME@example.com and log in; sets TOKEN_<NAME>,
# ID_<NAME> and WS_<NAME> (the personal workspace).
user() {
	register "$1@example.com" "password-$1" "$1"
	[ "$STATUS" = 201 ] || fatal "register $1: $STATUS $OUT"
	login "$1@example.com" "password-$1"
	[ "$STATUS" = 200 ] || fatal "login $1: $STATUS $OUT"
	eval "TOKEN_$1=\$TOKEN ID_$1=\$USER_ID"
	api GET /api/v1/me
	eval "WS_$1=\$(jget \"d['default_workspace_id']\")"
}

# act_as NAME: use NAME's access token from now on.
act_as() {
	eval "TOKEN=\$TOKEN_$1"
}

# standard_setup [VAR=VALUE...]: cluster, schema, server.
standard_setup() {
	pg_start
	server_migrate
	server_start "$@"
}
