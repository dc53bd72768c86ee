#!/bin/sh
# t8006 - the daemon starts without a server: with nothing listening on
# the server's port, and with a listener that accepts and never answers,
# `tock-syncd -d` takes its lock and serves its control socket at once:
# status says offline, kicks are taken, sync answers {"ok":false,
# "code":"offline"} within 10 s.  It keeps retrying, and once the server
# is back it goes online and pushes what was written meanwhile.
. "$TOCK_SYNC_LIB"
HOLD_PID=
standard_setup
hold_stop() {
	[ -n "$HOLD_PID" ] || return 0
	kill -KILL "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}
trap 'hold_stop; sync_cleanup; cleanup' EXIT
replica b
login_replica b bob@example.com

# ms_call CMD...: run CMD, output in $OUT, milliseconds in $MS.
ms_call() {
	_t0=$(ms_now)
	OUT=$("$@" 2>&1)
	MS=$(($(ms_now) - _t0))
}

# up_fast NAME: spawn the daemon; its socket answers status within 5 s.
up_fast() {
	_t0=$(ms_now)
	syncd_spawn "$1"
	_dl=$(ms_deadline 5)
	COUNT=$((COUNT + 1))
	while :; do
		if [ -S "$(sock_of "$1")" ] &&
		    OUT=$(ctl "$1" '{"cmd":"status"}' 2 2>/dev/null); then
			echo "status answered $(($(ms_now) - _t0)) ms after start"
			break
		fi
		if ! ms_before "$_dl"; then
			fail "$2: no status answer within 5 s of the start"
			return 1
		fi
		sleep 0.02
	done
	COUNT=$((COUNT + 1))
	case $OUT in
	*'"online":false'*) ;;
	*) fail "$2: status says online: $OUT" ;;
	esac
}

# offline_sync NAME DESC: a sync answers offline within 10 s.
offline_sync() {
	ms_call ctl "$1" '{"cmd":"sync"}' 15
	COUNT=$((COUNT + 1))
	case $OUT in
	*'"ok":false'*'"code":"offline"'*) ;;
	*) fail "$2: sync answered '$OUT'" ;;
	esac
	COUNT=$((COUNT + 1))
	[ "$MS" -le 10000 ] || fail "$2: sync took $MS ms"
	echo "$2: sync answered offline in $MS ms"
}

server_kill

# 1. Nothing listens on the server's port.
up_fast b "nothing listening"
run_as b tock-syncd -d
expect_eq "$RC" 1 "a second daemon exits 1 (the lock is taken)"
ok_as b tock add "written offline"
ctl b '{"cmd":"kick"}' || fail "kick refused"
offline_sync b "nothing listening"
ctl b '{"cmd":"status"}' 5 | grep -q '"online":false' ||
	fail "status after a failed sync is not offline"
syncd_stop b

# 2. A listener that accepts and never answers (a proxy holding us).
python3 - "$SRVPORT" "$TMP/hold.ready" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
open(sys.argv[2], "w").close()
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
HOLD_PID=$!
dl=$(ms_deadline 10)
while [ ! -e "$TMP/hold.ready" ]; do
	ms_before "$dl" || fatal "the holding listener did not start"
	sleep 0.02
done
up_fast b "held"
ctl b '{"cmd":"kick"}' || fail "kick refused while held"
offline_sync b "held"

# 3. The server comes back on its port: the daemon finds it by itself.
hold_stop
env TOCK_DATABASE_URL="$APP_URL" TOCK_JWT_SECRET_FILE="$TMP/jwt.key" \
    TOCK_LISTEN="127.0.0.1:$SRVPORT" TOCK_RATE_AUTH=1000/60 \
    TOCK_RATE_USER=10000/60 TOCK_RATE_IP=100000/60 \
    "$SERVER" serve >>"$TMP/server.out" 2>>"$TMP/server.log" &
SERVER_PID=$!
wait_online b 70
wait_pg "SELECT count(*) FROM tasks WHERE title = 'written offline'" 1 20
syncd_stop b
finish
