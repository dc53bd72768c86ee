#!/bin/sh
# t9005-limits: rate limits (per IP on login, per user elsewhere) with
# 429 and Retry-After; the body cap (413); header, URL and JSON nesting
# caps; slow clients timed out without holding a database worker; TLS
# 1.3 only.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# Tight limits: 5 auth requests per IP a minute, 15 per user a minute.
standard_setup TOCK_RATE_AUTH=5/60 TOCK_RATE_USER=15/60 TOCK_BODY_MAX=4096 \
    TOCK_HEADER_MAX=4096 TOCK_JSON_DEPTH_MAX=8 TOCK_CLIENT_TIMEOUT=2

# ---- a client that leaves while its request runs ------------------------
# (A registration: a quarter of a second of bcrypt on a worker, and the
# first of the five auth requests.)
COUNT=$((COUNT + 1))
python3 - "$SRVPORT" <<'PY' || fail "send and leave"
import socket, sys
body = b'{"email":"gone@example.com","password":"password-gone"}'
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
          % len(body) + body)
s.close()
PY
_dl=$(deadline 20)
while before "$_dl" && ! grep -q '"client_gone":true' "$TMP/server.log"; do
	sleep 0.05
done
COUNT=$((COUNT + 1))
grep -q '"client_gone":true' "$TMP/server.log" ||
	fail "the answer to a departed client is logged and dropped"
api GET /healthz
expect_status 200 "healthy after a departed client"

# ---- rate limits ------------------------------------------------------
register ann@example.com password-ann
expect_status 201 "auth request 2 (register)"
register ben@example.com password-ben
expect_status 201 "auth request 3 (register)"
login ann@example.com password-ann
expect_status 200 "auth request 4 (login)"
ANN=$TOKEN
login ben@example.com password-ben
expect_status 200 "auth request 5 (login)"
BEN=$TOKEN
login ann@example.com password-ann
expect_error 429 rate_limited "the sixth auth request from this IP"
RA=$(header retry-after)
COUNT=$((COUNT + 1))
case $RA in
'' | *[!0-9]*) fail "Retry-After is whole seconds: '$RA'" ;;
*) [ "$RA" -ge 1 ] && [ "$RA" -le 15 ] ||
	fail "Retry-After is about 12 s (one token of 5/60): $RA" ;;
esac
TOKEN=
api POST /api/v1/auth/refresh '{"refresh_token":"x"}'
expect_error 429 rate_limited "refresh shares the per-IP auth bucket"

TOKEN=$ANN
i=0
while [ $i -lt 15 ]; do
	i=$((i + 1))
	api GET /api/v1/me
	[ "$STATUS" = 200 ] || fail "request $i of ann's 15: $STATUS"
done
COUNT=$((COUNT + 1))
api GET /api/v1/me
expect_error 429 rate_limited "ann's sixteenth request"
COUNT=$((COUNT + 1))
[ -n "$(header retry-after)" ] || fail "429 has Retry-After"
TOKEN=$BEN
api GET /api/v1/me
expect_status 200 "ben has his own bucket"
api GET /healthz
expect_status 200 "healthz is not per user"

# ---- bodies -----------------------------------------------------------
TOKEN=$BEN
DESC=$(python3 -c 'print("d" * 4000)')
api POST /api/v1/tasks "{\"title\":\"Big\",\"description\":\"$DESC\"}"
expect_status 201 "a body under the cap"
DESC=$(python3 -c 'print("d" * 4100)')
api POST /api/v1/tasks "{\"title\":\"Too big\",\"description\":\"$DESC\"}"
expect_error 413 too_large "a body over the cap"
expect_eq "$(header connection)" "close" "413 closes the connection"
# A Content-Length far past the cap is refused before any body is read.
COUNT=$((COUNT + 1))
python3 - "$SRVPORT" "$BEN" <<'PY' || fail "a huge Content-Length is answered 413"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\n"
           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
           "Content-Length: 1000000000\r\n\r\n{" % sys.argv[2]).encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
assert data.startswith(b"HTTP/1.1 413"), data[:200]
PY
expect_sql "SELECT count(*) FROM tasks WHERE title = 'Too big'" "0" \
    "nothing of the refused bodies was stored"

api POST /api/v1/tasks '{"title":"Chunked"}' -H 'Transfer-Encoding: chunked'
expect_error 411 length_required "a chunked body is refused at once"
api POST /api/v1/tasks '{"title":"Deep","metadata":{"a":[[[[[[1]]]]]]}}'
expect_status 201 "8 levels of nesting"
api POST /api/v1/tasks '{"title":"Deeper","metadata":{"a":[[[[[[[1]]]]]]]}}'
expect_error 400 invalid_json "9 levels of nesting"
expect_json "'deeper than 8' in d['error']['message']" "the nesting cap is named"

# ---- headers and URLs -------------------------------------------------
api GET "/api/v1/tasks/$(python3 -c 'print("a" * 300)')"
expect_error 414 uri_too_long "a path over 255 bytes"
api GET /healthz '' -H "X-Filler: $(python3 -c 'print("h" * 5000)')"
COUNT=$((COUNT + 1))
case $STATUS in
2*) fail "headers over the cap were accepted: $STATUS" ;;
esac
api GET /healthz
expect_status 200 "the server is fine after an oversized request"

# ---- slow clients -----------------------------------------------------
# Three slowloris connections: headers that never end, and a body that
# never comes.  Each is closed after the client timeout (2 s), while
# other requests are answered at once and no database worker is held.
COUNT=$((COUNT + 1))
python3 - "$SRVPORT" "$BASE" <<'PY' || fail "slow clients are timed out"
import socket, sys, time, urllib.request
port, base = int(sys.argv[1]), sys.argv[2]
conns = []
for i in range(2):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    conns.append(s)
s = socket.create_connection(("127.0.0.1", port), timeout=15)
s.sendall(b"POST /api/v1/auth/logout HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
conns.append(s)
t0 = time.time()
# Meanwhile the server answers, and no worker is busy.
r = urllib.request.urlopen(base + "/healthz", timeout=5)
assert r.status == 200
m = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
busy = [l for l in m.splitlines() if l.startswith("tock_db_pool_in_use ")]
assert busy == ["tock_db_pool_in_use 0"], busy
for s in conns:
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    took = time.time() - t0
    assert took < 12, took
    # Closed (maybe with a 408-ish answer), never a 2xx.
    assert not data.startswith(b"HTTP/1.1 2"), data[:100]
PY
api GET /healthz
expect_status 200 "healthy after the slow clients"

# ---- a database outage ------------------------------------------------
pg_pause
api GET /healthz
expect_status 503 "healthz reports the database down"
TOKEN=$BEN
api GET /api/v1/tasks
expect_status 503 "requests get 503, not 500, while the database is down"
COUNT=$((COUNT + 1))
[ -n "$(header retry-after)" ] || fail "503 has Retry-After"
pg_resume
# Once PostgreSQL answers again, at most one request finds a dead
# connection: that one tells every worker to reconnect (ten workers used
# to fail one request each).
sql "SELECT 1" >/dev/null || fatal "PostgreSQL did not come back"
dead=0
_dl=$(deadline 30)
while before "$_dl"; do
	api GET /healthz
	[ "$STATUS" = 200 ] && break
	dead=$((dead + 1))
	sleep 0.1
done
expect_status 200 "healthz recovers with the database"
COUNT=$((COUNT + 1))
[ "$dead" -le 1 ] || fail "$dead requests met dead connections after the restart"
api GET /api/v1/tasks
expect_status 200 "workers reconnect"
# One broken connection found means all are: no worker fails a request on
# a connection from before the restart, even when many run at once.
# (/healthz runs on a worker too, and is not limited per user.)
AFTER=
for i in $(seq 30); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
	    "$BASE/healthz" >"$TMP/after.$i" &
	AFTER="$AFTER $!"
done
# shellcheck disable=SC2086
wait $AFTER
bad=$(cat "$TMP"/after.* | grep -vc '^200$')
expect_eq "$bad" 0 "no request after the recovery meets a dead connection"

server_stop
expect_eq "$SERVER_RC" 0 "SIGTERM exits 0"

# ---- TLS --------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1 ||
	fatal "cannot make a test certificate"
SRVPORT=
server_start_tls() {
	for _try in 1 2 3; do
		SRVPORT=$(free_port)
		env TOCK_DATABASE_URL="$APP_URL" TOCK_JWT_SECRET_FILE="$TMP/jwt.key" \
		    TOCK_LISTEN="127.0.0.1:$SRVPORT" TOCK_TLS_CERT="$TMP/tls.crt" \
		    TOCK_TLS_KEY="$TMP/tls.key" "$SERVER" serve \
		    >>"$TMP/server.out" 2>>"$TMP/server.log" &
		SERVER_PID=$!
		_dl=$(deadline 30)
		while before "$_dl" && kill -0 "$SERVER_PID" 2>/dev/null; do
			_s=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 \
			    "https://127.0.0.1:$SRVPORT/healthz")
			[ "$_s" = 200 ] && return 0
			sleep 0.05
		done
		kill -0 "$SERVER_PID" 2>/dev/null && fatal "TLS serve did not answer"
		wait "$SERVER_PID"
		SERVER_PID=
	done
	fatal "TLS serve did not start: $(tail -n 5 "$TMP/server.log")"
}
server_start_tls
COUNT=$((COUNT + 1))
python3 - "$SRVPORT" <<'PY' || fail "TLS 1.3 is spoken, 1.2 is refused"
import socket, ssl, sys
port = int(sys.argv[1])
def connect(maxv):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maxv:
        ctx.maximum_version = maxv
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                 timeout=10))
    v = s.version()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first = s.recv(64)
    s.close()
    return v, first
v, first = connect(None)
assert v == "TLSv1.3", v
assert first.startswith(b"HTTP/1.1 200"), first
try:
    connect(ssl.TLSVersion.TLSv1_2)
except (ssl.SSLError, ConnectionError, OSError):
    pass
else:
    raise SystemExit("TLS 1.2 was accepted")
PY
COUNT=$((COUNT + 1))
curl -sk -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$SRVPORT/healthz" 2>/dev/null | grep -q '^200$' &&
	fail "plain HTTP on the TLS port was answered"
server_stop
expect_eq "$SERVER_RC" 0 "the TLS server exits 0"

finish
