#!/bin/sh
# t8004 - the daemon keeps a replica live: a local `tock add` (which kicks
# the daemon) reaches PostgreSQL within a second; a task created over REST
# reaches the replica within a second through the WebSocket poke; after
# the server is killed and comes back on the same port, the daemon
# reconnects (backoff) and pushes what was written meanwhile.
. "$TOCK_TEST_LIB"
SYNCD=${TOCK_SYNCD:?TOCK_SYNCD unset}
TOCKBIN=${TOCK:?TOCK unset}
DPID=

standard_setup
register dave@example.com password-dave Dave
[ "$STATUS" = 201 ] || fatal "register: $STATUS $OUT"

H=$TMP/home
mkdir -p "$H/config" "$H/data" "$H/state" "$H/run"
chmod 0700 "$H/run"
unset DBUS_SESSION_BUS_ADDRESS TOCK_TOKEN
export HOME="$H" XDG_CONFIG_HOME="$H/config" XDG_DATA_HOME="$H/data" \
    XDG_STATE_HOME="$H/state" XDG_RUNTIME_DIR="$H/run" \
    TOCK_DB="$H/data/tock.db"
SOCK=$H/run/tock/syncd.sock

stop_daemon() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	DPID=
}
trap 'stop_daemon; [ "$FAILS" -ne 0 ] && tail -n 30 "$TMP/d.err" >&2; cleanup' EXIT

# replica_has TITLE: is a task with that title in the replica?
replica_has() {
	python3 - "$TOCK_DB" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
n = c.execute("SELECT count(*) FROM tasks WHERE title = ?", (sys.argv[2],)).fetchone()[0]
sys.exit(0 if n > 0 else 1)
EOF
}
server_has() {
	[ "$(sql "SELECT count(*) FROM tasks WHERE title = '$1'")" = 1 ]
}
# wait_for SECS DESC CMD...: poll CMD until true or the deadline; prints
# the seconds it took.
wait_for() {
	_secs=$1 _desc=$2
	shift 2
	_t0=$(now_s)
	_dl=$(deadline "$_secs")
	COUNT=$((COUNT + 1))
	while ! "$@"; do
		if ! before "$_dl"; then
			fail "$_desc: not within $_secs s"
			return 1
		fi
		sleep 0.02
	done
	python3 -c "import time; print('%s: %.3f s' % ('$_desc', time.time() - $_t0))"
}

printf 'password-dave\n' | "$SYNCD" --login "$BASE" \
    --email dave@example.com --password-stdin >"$TMP/login.out" \
    2>"$TMP/login.err" || fatal "login: $(cat "$TMP/login.err")"
"$SYNCD" -d -v -v >"$TMP/d.out" 2>"$TMP/d.err" &
DPID=$!
dl=$(deadline 10)
until grep -q "link: connected" "$TMP/d.err"; do
	before "$dl" || fatal "the link did not come up: $(tail -5 "$TMP/d.err")"
	sleep 0.02
done

"$TOCKBIN" add "pushed by a kick" >/dev/null || fatal "tock add failed"
wait_for 1 "local task on the server" server_has "pushed by a kick"

login dave@example.com password-dave
api POST /api/v1/tasks '{"title":"poked over the socket"}'
expect_status 201 "REST create"
wait_for 1 "REST task in the replica" replica_has "poked over the socket"

# Kill the server; write locally meanwhile; bring it back on the port.
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
"$TOCKBIN" add "written while offline" >/dev/null || fatal "tock add failed"
env TOCK_DATABASE_URL="$APP_URL" TOCK_JWT_SECRET_FILE="$TMP/jwt.key" \
    TOCK_LISTEN="127.0.0.1:$SRVPORT" TOCK_RATE_AUTH=1000/60 \
    TOCK_RATE_USER=10000/60 TOCK_RATE_IP=100000/60 \
    "$SERVER" serve >>"$TMP/server.out" 2>>"$TMP/server.log" &
SERVER_PID=$!
wait_for 65 "offline write pushed after the server came back" \
    server_has "written while offline"
# The push may go out over HTTP before the WebSocket is back: wait for it.
relinked() {
	[ "$(grep -c "link: connected" "$TMP/d.err")" -ge 2 ]
}
wait_for 65 "the link reconnects" relinked ||
	fail "the link did not reconnect: $(tail -5 "$TMP/d.err")"

kill -TERM "$DPID"
dl=$(deadline 20)
while kill -0 "$DPID" 2>/dev/null && before "$dl"; do
	sleep 0.02
done
wait "$DPID"
expect_eq "$?" 0 "SIGTERM exit status"
DPID=
COUNT=$((COUNT + 1))
[ ! -e "$SOCK" ] || fail "the socket survived SIGTERM"

finish
