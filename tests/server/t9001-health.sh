#!/bin/sh
# t9001-health: the process: --help, worker, migrate (idempotent, and two
# at once), serve refusing a role that bypasses row-level security,
# /healthz, /metrics, the JSON access log, unknown paths and methods, and
# SIGTERM finishing in-flight requests and exiting 0.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# --help and the worker stub need no database.
COUNT=$((COUNT + 1))
"$SERVER" --help >"$TMP/help" 2>&1 || fail "--help exits 0"
grep -q 'migrate | serve | worker' "$TMP/help" || fail "--help shows usage"
COUNT=$((COUNT + 1))
"$SERVER" worker >"$TMP/out" 2>"$TMP/err"
expect_eq "$?" 1 "worker without a database exits 1"
expect_eq "$(cat "$TMP/err")" \
    "tock-server: no database: set TOCK_DATABASE_URL" \
    "worker message without a database"
TOCK_DATABASE_URL=postgresql:///nowhere "$SERVER" worker >"$TMP/out" \
    2>"$TMP/err"
expect_eq "$?" 1 "worker without a mail server exits 1"
expect_eq "$(cat "$TMP/err")" \
    "tock-server: no mail server: set TOCK_SMTP_URL (smtp://host:port)" \
    "worker message without a mail server"
"$SERVER" frobnicate >/dev/null 2>&1
expect_eq "$?" 2 "unknown command exits 2"
TOCK_POOL_MIN=x "$SERVER" serve >/dev/null 2>"$TMP/err"
expect_eq "$?" 2 "bad TOCK_POOL_MIN exits 2"
TOCK_DATABASE_URL= "$SERVER" migrate >/dev/null 2>&1
expect_eq "$?" 1 "migrate without a database exits 1"

pg_start

# serve before migrate: a clear refusal.
TOCK_DATABASE_URL=$APP_URL TOCK_LISTEN=127.0.0.1:$(free_port) \
    "$SERVER" serve >/dev/null 2>"$TMP/err"
expect_eq "$?" 1 "serve on an empty database exits 1"
COUNT=$((COUNT + 1))
grep -q "run 'tock-server migrate'" "$TMP/err" ||
	fail "serve on an empty database says to migrate: $(cat "$TMP/err")"

# Two migrates at once: the advisory lock makes them take turns.
TOCK_DATABASE_URL=$OWNER_URL "$SERVER" migrate >"$TMP/m1" 2>/dev/null &
M1=$!
TOCK_DATABASE_URL=$OWNER_URL "$SERVER" migrate >"$TMP/m2" 2>/dev/null &
M2=$!
wait $M1
R1=$?
wait $M2
R2=$?
expect_eq "$R1:$R2" "0:0" "two concurrent migrates succeed"
expect_eq "$(cat "$TMP/m1" "$TMP/m2" | sort | tr '\n' '|')" \
    "schema at version 4 (0 migrations applied)|schema at version 4 (4 migrations applied)|" \
    "exactly one of them applied the migration"
server_migrate
expect_eq "$(cat "$TMP/migrate.out")" \
    "schema at version 4 (0 migrations applied)" "migrate is idempotent"
expect_sql "SELECT version || ':' || name FROM schema_migrations ORDER BY version" \
    "1:initial schema
2:sync catch-up and notifications
3:sync reads through security definer functions
4:policies checked once per statement, snapshot tasks as columns" "schema_migrations records the migrations"
expect_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
    AND rowsecurity AND tablename IN ('workspaces', 'memberships', 'tasks',
    'time_entries', 'comments', 'sync_log', 'scopes', 'invitations',
    'conflicts', 'notifications')" "10" "row-level security is on"
expect_sql "SELECT rolbypassrls OR rolsuper FROM pg_roles
    WHERE rolname = 'tock_app'" "f" "tock_app does not bypass RLS"

# serve as the owner: refused (row-level security would not apply).
TOCK_DATABASE_URL=$OWNER_URL TOCK_LISTEN=127.0.0.1:$(free_port) \
    "$SERVER" serve >/dev/null 2>"$TMP/err"
expect_eq "$?" 1 "serve as the table owner exits 1"
COUNT=$((COUNT + 1))
grep -q "refusing to serve as role 'tock_owner'" "$TMP/err" ||
	fail "serve as the owner explains: $(cat "$TMP/err")"

# Two workers, so the six registrations below queue behind each other.
server_start TOCK_POOL_MIN=2 TOCK_POOL_MAX=2 TOCK_BCRYPT_COST=12
api GET /healthz
expect_status 200 "healthz"
expect_json "d == {'status': 'ok', 'database': 'ok'}" "healthz body"
expect_eq "$(header content-type)" "application/json" "healthz content type"
expect_eq "$(header cache-control)" "no-store" "cache-control no-store"
COUNT=$((COUNT + 1))
[ -n "$(header x-request-id)" ] || fail "x-request-id header"

api GET /nope
expect_error 404 not_found "unknown path"
api DELETE /healthz
expect_error 405 method_not_allowed "wrong method"
expect_eq "$(header allow)" "GET" "405 lists the allowed methods"
api GET /api/v1/tasks
expect_error 401 unauthorized "no token"
expect_eq "$(header www-authenticate)" "Bearer" "401 asks for a bearer token"
api POST /api/v1/sync/push '{}' -H 'Authorization: Bearer x'
expect_error 401 invalid_token "sync push needs a token first"

# Keep-alive: two requests on one connection get two answers; an early
# answer (404) to a request with an unread body closes the connection
# instead of reading the body as the next request.
COUNT=$((COUNT + 1))
python3 - "$SRVPORT" <<'PY' || fail "keep-alive and early answers"
import socket, sys
def exchange(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(data)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
        if out.count(b"HTTP/1.1 ") >= 2:
            break
    s.close()
    return out
two = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert two.count(b"HTTP/1.1 200") == 2, two
body = b'{"GET /x HTTP/1.1":1}'
early = exchange(b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body +
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert early.startswith(b"HTTP/1.1 404"), early[:100]
assert b"HTTP/1.1 400" not in early, early
PY

api GET /metrics
expect_status 200 "metrics"
COUNT=$((COUNT + 1))
case $(header content-type) in
text/plain*) ;;
*) fail "metrics content type: $(header content-type)" ;;
esac
for m in 'tock_http_requests_total{method="GET",route="/healthz",status="200"}' \
    'tock_http_requests_total{method="",route="unmatched",status="404"}' \
    'tock_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}' \
    'tock_ws_connections 0' 'tock_db_pool_in_use ' \
    'tock_sync_ops_applied_total 0' 'tock_db_pool_connections '; do
	COUNT=$((COUNT + 1))
	grep -qF "$m" "$TMP/body" || fail "metrics has $m"
done

# The access log: one JSON object per request line.
COUNT=$((COUNT + 1))
python3 - "$TMP/server.log" <<'PY' || fail "access log lines"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) >= 5, lines
for l in lines:
    d = json.loads(l)
    for k in ("time", "request_id", "route", "status", "duration_ms",
              "user_id", "method"):
        assert k in d, (k, d)
assert any(d["route"] == "/healthz" and d["status"] == 200
           for d in map(json.loads, lines))
PY

# SIGTERM with requests in flight (twelve registrations: a bcrypt each, so a
# quarter of a second on a worker): each is answered in full, or refused
# at connect once the drain began; none is cut off.
for i in $(seq 12); do
	printf '{"email":"drain%s@example.com","password":"password-%s"}' \
	    "$i" "$i" >"$TMP/drain.$i"
	curl -s -o "$TMP/inflight.$i" -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    --data-binary "@$TMP/drain.$i" "$BASE/api/v1/auth/register" \
	    >"$TMP/inflight.$i.status" &
	PIDS="${PIDS:-} $!"
done
# Wait (with a deadline) until the server has some of them in flight
# (the /metrics request itself is one).
_dl=$(deadline 20)
while before "$_dl"; do
	n=$(curl -s "$BASE/metrics" | awk '$1 == "tock_http_requests_in_flight" { print $2 }')
	[ "${n:-0}" -ge 4 ] && break
	sleep 0.01
done
server_stop
# shellcheck disable=SC2086
wait $PIDS
expect_eq "$SERVER_RC" 0 "SIGTERM: exit 0"
for i in $(seq 12); do
	COUNT=$((COUNT + 1))
	s=$(cat "$TMP/inflight.$i.status")
	case $s in
	201) [ "$(sql "SELECT count(*) FROM users
	    WHERE email = 'drain$i@example.com'")" = 1 ] ||
		fail "request $i answered 201 but no user" ;;
	000) ;;
	*) fail "in-flight request $i got $s" ;;
	esac
done
COUNT=$((COUNT + 1))
grep -q 201 "$TMP"/inflight.*.status || fail "no request was in flight"
COUNT=$((COUNT + 1))
grep -Eq 'draining: [1-9][0-9]* requests in flight' "$TMP/server.log" ||
	fail "SIGTERM came with requests in flight: $(grep draining "$TMP/server.log")"
expect_sql "SELECT count(*) = (SELECT count(*) FROM users) FROM scopes
    WHERE kind = 2" "t" "every registration that committed is whole"
COUNT=$((COUNT + 1))
curl -s -o /dev/null --max-time 5 "$BASE/healthz" &&
	fail "the port still answers after exit"

finish
