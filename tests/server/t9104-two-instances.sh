#!/bin/sh
# t9104-two-instances: two tock-server processes on one database; a REST
# write through A pokes a WebSocket client connected to B within 1 s
# (NOTIFY tock_sync), and the other way round.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
SECOND_PID=

# start_second: a second serve on a free port with the same key and
# database; $BASE_B, $PORT_B.  Polls /healthz against a deadline.
start_second() {
	for _try in 1 2 3; do
		PORT_B=$(free_port)
		BASE_B="http://127.0.0.1:$PORT_B"
		env TOCK_DATABASE_URL="$APP_URL" \
		    TOCK_JWT_SECRET_FILE="$TMP/jwt.key" \
		    TOCK_LISTEN="127.0.0.1:$PORT_B" TOCK_RATE_AUTH=1000/60 \
		    TOCK_RATE_USER=10000/60 TOCK_RATE_IP=100000/60 \
		    "$SERVER" serve >>"$TMP/server.out" 2>>"$TMP/server.log" &
		SECOND_PID=$!
		_dl=$(deadline 30)
		while before "$_dl"; do
			if ! kill -0 "$SECOND_PID" 2>/dev/null; then
				wait "$SECOND_PID" 2>/dev/null
				SECOND_PID=
				break
			fi
			_s=$(curl -s -o /dev/null -w '%{http_code}' \
			    --max-time 2 "$BASE_B/healthz" 2>/dev/null)
			[ "$_s" = 200 ] && return 0
			sleep 0.05
		done
		[ -n "$SECOND_PID" ] && fatal "second serve did not answer /healthz"
	done
	fatal "second serve did not start"
}

stop_second() {
	if [ -n "$SECOND_PID" ] && kill -0 "$SECOND_PID" 2>/dev/null; then
		kill -KILL "$SECOND_PID" 2>/dev/null
		wait "$SECOND_PID" 2>/dev/null
	fi
	SECOND_PID=
}
trap 'stop_second; cleanup' EXIT

standard_setup
start_second
user alice
act_as alice
api POST /api/v1/workspaces '{"name":"Team"}'
TEAM=$(jget "d['id']")

# cross WS_PORT WRITE_BASE DESC: a client on WS_PORT sees the poke of a
# write through WRITE_BASE within 1 s.
cross() {
	COUNT=$((COUNT + 1))
	env PYTHONPATH="$HELPERS" PORT="$1" W="$2" TOKEN="$TOKEN" TEAM="$TEAM" \
	    python3 -c "import os, json, time, urllib.request
from wsclient import WSClient
E = os.environ
c = WSClient('127.0.0.1', int(E['PORT']), token=E['TOKEN'])
c.send_json({'t': 'hello', 'v': 1, 'scopes': {}})
w = c.recv_json(5)
assert w['t'] == 'welcome', w
head = w['heads'][E['TEAM']]
req = urllib.request.Request(E['W'] + '/api/v1/tasks', method='POST',
    data=json.dumps({'title': 'far', 'workspace_id': E['TEAM']}).encode(),
    headers={'Authorization': 'Bearer ' + E['TOKEN'], 'Content-Type': 'application/json'})
assert urllib.request.urlopen(req).status == 201
p = c.wait_for(lambda m: m.get('t') == 'poke' and m.get('scope') == E['TEAM'], 1.0)
assert p is not None, 'no poke within 1 s'
assert p['head'] == head + 1, (p, head)
" 2>"$TMP/wserr" || fail "$3: $(cat "$TMP/wserr")"
}

cross "$PORT_B" "$BASE" "write through A pokes a client of B"
cross "$SRVPORT" "$BASE_B" "write through B pokes a client of A"
cross "$SRVPORT" "$BASE" "and A's own clients still hear A's writes"

COUNT=$((COUNT + 1))
N=$(curl -s "$BASE/metrics" | awk '$1 == "tock_sync_notifies_sent_total" { print $2 }')
[ "${N:-0}" -ge 1 ] || fail "A sent no NOTIFY ($N)"

finish
