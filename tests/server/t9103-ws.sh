#!/bin/sh
# t9103-ws: the WebSocket /api/v1/ws (subprotocol tock-sync): 401 at the
# upgrade without a good token, hello -> welcome with every readable
# scope's head, a poke within 1 s of a REST write, garbage frames that
# leave the server well, and /metrics counting connections and pokes.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
standard_setup
user alice
user bob
act_as alice
api POST /api/v1/workspaces '{"name":"Team"}'
TEAM=$(jget "d['id']")

# wspy CODE: run python with the client imported and $SRVPORT, tokens,
# ids in the environment; a non-zero exit is a failure (message on stderr).
wspy() {
	COUNT=$((COUNT + 1))
	env PYTHONPATH="$HELPERS" PORT="$SRVPORT" TOKEN_A="$TOKEN_alice" \
	    TOKEN_B="$TOKEN_bob" TEAM="$TEAM" WS_A="$WS_alice" ID_A="$ID_alice" \
	    BASE="$BASE" python3 -c "import os, json, time, socket, urllib.request
from wsclient import WSClient, HandshakeError, Closed
E = os.environ
P = int(E['PORT'])
$1" 2>"$TMP/wserr" || fail "$2: $(cat "$TMP/wserr")"
}

wspy "
for kw in ({}, {'token': 'nope'}, {'token': E['TOKEN_A'] + 'x'}):
    try:
        WSClient('127.0.0.1', P, **kw)
        raise SystemExit('upgrade accepted with %r' % kw)
    except HandshakeError as e:
        assert e.status == 401, e.status
        assert json.loads(e.body)['error']['code'] in ('unauthorized', 'token_expired'), e.body
" "no or a bad token: 401 at the upgrade"

wspy "
try:
    WSClient('127.0.0.1', P, token=E['TOKEN_A'], protocol='chat')
    raise SystemExit('accepted another subprotocol')
except HandshakeError as e:
    assert e.status == 400, e.status
try:
    WSClient('127.0.0.1', P, path='/api/v1/tasks', token=E['TOKEN_A'])
    raise SystemExit('upgraded another path')
except HandshakeError as e:
    assert e.status == 404, e.status
" "another subprotocol: 400; another path: 404"

api GET /api/v1/ws
expect_error 400 upgrade_required "a plain GET of /api/v1/ws"

wspy "
c = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
assert c.protocol == 'tock-sync', c.protocol
c.send_json({'t': 'hello', 'v': 1, 'device_id': None, 'scopes': {}})
w = c.recv_json(5)
assert w and w['t'] == 'welcome' and w['v'] == 1 and w['min_v'] == 1 and w['max_v'] == 1, w
assert isinstance(w['server_time'], int)
assert set(w['heads']) == {E['TEAM'], E['WS_A'], 'u:' + E['ID_A']}, w['heads']
" "hello -> welcome with the heads of every readable scope"

wspy "
c = WSClient('127.0.0.1', P, token=E['TOKEN_A'], query_token=True)
c.send_json({'t': 'hello', 'v': 1, 'scopes': {}})
w = c.recv_json(5)
assert w['t'] == 'welcome', w
c.send_json({'t': 'hello', 'v': 2})
e = c.recv_json(5)
assert e == {'t': 'error', 'code': 'proto_unsupported'}, e
" "?access_token= works; hello v 2 is an error frame"

# A poke within 1 s of a REST write, to the right scope, with the head.
wspy "
c = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
c.send_json({'t': 'hello', 'v': 1, 'scopes': {}})
w = c.recv_json(5)
head = w['heads'][E['TEAM']]
req = urllib.request.Request(E['BASE'] + '/api/v1/tasks', method='POST',
    data=json.dumps({'title': 'poke me', 'workspace_id': E['TEAM']}).encode(),
    headers={'Authorization': 'Bearer ' + E['TOKEN_A'], 'Content-Type': 'application/json'})
t0 = time.time()
assert urllib.request.urlopen(req).status == 201
p = c.wait_for(lambda m: m.get('t') == 'poke' and m.get('scope') == E['TEAM'], 1.0)
assert p is not None, 'no poke within 1 s'
assert p['head'] == head + 1, (p, head)
print('poke after %.1f ms' % ((time.time() - t0) * 1000), file=open(os.devnull, 'w'))
" "REST create -> poke with the new head within 1 s"

# bob is not in Team: his connection hears nothing of it.
wspy "
b = WSClient('127.0.0.1', P, token=E['TOKEN_B'])
b.send_json({'t': 'hello', 'v': 1, 'scopes': {}})
w = b.recv_json(5)
assert E['TEAM'] not in w['heads']
req = urllib.request.Request(E['BASE'] + '/api/v1/tasks', method='POST',
    data=json.dumps({'title': 'secret', 'workspace_id': E['TEAM']}).encode(),
    headers={'Authorization': 'Bearer ' + E['TOKEN_A'], 'Content-Type': 'application/json'})
assert urllib.request.urlopen(req).status == 201
p = b.wait_for(lambda m: m.get('t') == 'poke', 0.5)
assert p is None, p
" "no poke for a scope the user cannot read"

# Garbage: bad JSON, unknown messages, a binary frame, a truncated frame,
# a header that announces more than it sends, random bytes.
wspy "
c = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
c.send_text('{not json')
assert c.recv_json(5) == {'t': 'error', 'code': 'invalid_json'}
c.send_json({'t': 'dance'})
assert c.recv_json(5) == {'t': 'error', 'code': 'unknown_message'}
c.send_raw(c.frame(0x2, b'\x00\x01'))
try:
    c.recv_json(5)
except (Closed, ConnectionError):
    pass
for junk in (c.frame(0x1, b'{\"t\":\"hello\"')[:5], b'\x81\xff' + b'\x00' * 4, os.urandom(4096)):
    d = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
    d.send_raw(junk)
    d.sock.close()
big = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
big.send_text('[' + '1,' * 40000 + '1]')
try:
    big.recv_json(5)
except (Closed, ConnectionError):
    pass
" "garbage frames"
api GET /healthz
expect_status 200 "the server still answers /healthz after the garbage"

wspy "
cs = []
for i in range(3):
    c = WSClient('127.0.0.1', P, token=E['TOKEN_A'])
    c.send_json({'t': 'hello', 'v': 1, 'scopes': {}})
    assert c.recv_json(5)['t'] == 'welcome'
    cs.append(c)
m = urllib.request.urlopen(E['BASE'] + '/metrics').read().decode()
vals = dict(l.split() for l in m.splitlines() if l and not l.startswith('#'))
assert int(vals['tock_ws_connections']) >= 3, vals['tock_ws_connections']
assert int(vals['tock_ws_pokes_sent_total']) >= 1, vals
" "/metrics: WebSocket connections and pokes"

finish
