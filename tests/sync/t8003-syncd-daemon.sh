#!/bin/sh
# t8003 - the daemon: one per replica, the control socket (status, kick,
# sync, subscribe), mode 0600, and a clean exit on SIGTERM that removes
# the socket.  No D-Bus: the token lives in the 0600 file.
. "$TOCK_TEST_LIB"
SYNCD=${TOCK_SYNCD:?TOCK_SYNCD unset}
DPID=

standard_setup
register carol@example.com password-carol Carol
[ "$STATUS" = 201 ] || fatal "register: $STATUS $OUT"

H=$TMP/home
mkdir -p "$H/config" "$H/data" "$H/state" "$H/run"
chmod 0700 "$H/run"
SOCK=$H/run/tock/syncd.sock
unset DBUS_SESSION_BUS_ADDRESS TOCK_TOKEN
export HOME="$H" XDG_CONFIG_HOME="$H/config" XDG_DATA_HOME="$H/data" \
    XDG_STATE_HOME="$H/state" XDG_RUNTIME_DIR="$H/run" \
    TOCK_DB="$H/data/tock.db"

# The daemon dies with the test, whatever happens.
stop_daemon() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	DPID=
}
trap 'stop_daemon; cleanup' EXIT

# ctl LINE [EXPECT_LINES]: send LINE, print the answer lines (2 s).
ctl() {
	python3 - "$SOCK" "$1" "${2:-1}" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
want, buf = int(sys.argv[3]), b""
try:
    while buf.count(b"\n") < want:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except socket.timeout:
    pass
sys.stdout.write(buf.decode())
EOF
}

printf 'password-carol\n' | "$SYNCD" --login "$BASE" \
    --email carol@example.com --password-stdin >"$TMP/login.out" \
    2>"$TMP/login.err" || fatal "login: $(cat "$TMP/login.err")"

"$SYNCD" -d -v >"$TMP/d.out" 2>"$TMP/d.err" &
DPID=$!
dl=$(deadline 10)
while [ ! -S "$SOCK" ] && before "$dl"; do
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.02
done
[ -S "$SOCK" ] || fatal "no control socket: $(cat "$TMP/d.err")"
expect_eq "$(stat -c %a "$SOCK")" 600 "socket mode"

"$SYNCD" -d >"$TMP/d2.out" 2>"$TMP/d2.err"
expect_eq "$?" 1 "a second daemon for the replica refuses"
COUNT=$((COUNT + 1))
grep -q "another tock-syncd" "$TMP/d2.err" ||
	fail "second daemon message: $(cat "$TMP/d2.err")"

A=$(ctl '{"cmd":"status"}')
COUNT=$((COUNT + 1))
printf '%s' "$A" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
sys.exit(0 if d["ok"] is True and "online" in d and "last_sync" in d else 1)' ||
	fail "status answer: $A"

ctl '{"cmd":"kick"}' 0 >/dev/null
COUNT=$((COUNT + 1))
kill -0 "$DPID" 2>/dev/null || fail "the daemon died after a kick"

A=$(ctl '{"cmd":"sync"}')
COUNT=$((COUNT + 1))
printf '%s' "$A" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
sys.exit(0 if d["ok"] is True and "pushed" in d else 1)' ||
	fail "sync answer: $A"

A=$(ctl '{"cmd":"subscribe"}')
expect_eq "$A" '{"ok":true}' "subscribe"
A=$(ctl '{"cmd":"nonsense"}')
COUNT=$((COUNT + 1))
case $A in *'"ok":false'*) ;; *) fail "unknown command: $A" ;; esac

# A burst of kicks is one round, not one per kick.
python3 - "$SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"kick"}\n' * 200)
s.close()
EOF
A=$(ctl '{"cmd":"sync"}')
ROUNDS=$(grep -c "sync: pushed" "$TMP/d.err")
COUNT=$((COUNT + 1))
[ "$ROUNDS" -le 8 ] || fail "200 kicks made $ROUNDS rounds"

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
