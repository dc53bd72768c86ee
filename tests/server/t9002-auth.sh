#!/bin/sh
# t9002-auth: register, login, /me, access tokens (alg none, tampered,
# expired, wrong algorithm), refresh rotation, a retry within the grace
# (SYNC.md 3.16) and reuse after it revoking the family, the cookie,
# logout, and invitation-only registration.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

standard_setup TOCK_BCRYPT_COST=12

# jwt SECRET-FILE HEADER-JSON PAYLOAD-JSON [ALG]: a token signed with the
# server's key (HS256, or HS512 when ALG says so; "none" signs nothing).
jwt() {
	python3 - "$@" <<'PY'
import base64, hashlib, hmac, sys
key = open(sys.argv[1], "rb").read().rstrip(b"\n")
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h, p = b64(sys.argv[2].encode()), b64(sys.argv[3].encode())
alg = sys.argv[4] if len(sys.argv) > 4 else "HS256"
msg = (h + "." + p).encode()
if alg == "none":
    sig = ""
else:
    dig = hashlib.sha512 if alg == "HS512" else hashlib.sha256
    sig = b64(hmac.new(key, msg, dig).digest())
print(h + "." + p + "." + sig)
PY
}

# ---- register ---------------------------------------------------------
register alice@example.com correct-horse Alice
expect_status 201 "register"
expect_json "sorted(d) == ['email', 'id', 'name'] and d['email'] == 'alice@example.com' and d['name'] == 'Alice'" \
    "register answers {id,email,name}"
ALICE=$(jget "d['id']")
expect_sql "SELECT substr(password_hash, 1, 7) FROM users WHERE id = '$ALICE'" \
    '$2b$12$' "bcrypt cost 12 hash"
expect_sql "SELECT count(*) FROM users WHERE password_hash LIKE '%correct-horse%'" \
    "0" "the password is not stored"
expect_sql "SELECT w.personal, m.role, s.kind FROM users u
    JOIN workspaces w ON w.id = u.default_workspace_id
    JOIN memberships m ON m.workspace_id = w.id AND m.user_id = u.id
    JOIN scopes s ON s.id = w.id WHERE u.id = '$ALICE'" "t|admin|1" \
    "a personal workspace with its scope, the user its admin"
expect_sql "SELECT kind FROM scopes WHERE id = '$ALICE'" "2" "the user scope"
expect_sql "SELECT string_agg(seq || ':' || entity || ':' || kind, ',' ORDER BY seq)
    FROM sync_log l JOIN users u ON l.scope_id = u.default_workspace_id
    WHERE u.id = '$ALICE'" "1:4:1,2:5:6" \
    "registration is in the workspace's change log"

register ALICE@Example.COM other-password
expect_error 409 email_taken "email is case-insensitive"
register bob@example.com short
expect_field_error password "short password"
register bob@example.com "$(python3 -c 'print("x" * 73)')"
expect_field_error password "password over 72 bytes"
register not-an-email password-1
expect_field_error email "bad email"
api POST /api/v1/auth/register '{"password":"password-1"}'
expect_field_error email "missing email"
api POST /api/v1/auth/register '{"email":"bob@example.com","password":12345678}'
expect_field_error password "password of the wrong type"
api POST /api/v1/auth/register '{"email":"bob@example.com","password":"password-1","name":[]}'
expect_field_error name "name of the wrong type"
api POST /api/v1/auth/register '{"email":"bob@example.com","password":"password-1","name":"  "}'
expect_field_error name "blank name"
api POST /api/v1/auth/register '{"email":"bob@example.com",'
expect_error 400 invalid_json "malformed JSON"
api POST /api/v1/auth/register '["bob@example.com"]'
expect_error 400 invalid_json "a JSON array body"
api POST /api/v1/auth/register ''
expect_error 400 invalid_json "no body"
api POST /api/v1/auth/register '{"email":"bob@example.com","password":"password-1"} x'
expect_error 400 invalid_json "text after the JSON value"
register bob@example.com password-bob
expect_status 201 "register without a name"
expect_json "d['name'] == 'bob'" "the name defaults to the address's local part"

# ---- login ------------------------------------------------------------
login alice@example.com correct-horse
expect_status 200 "login"
expect_json "d['token_type'] == 'Bearer' and d['expires_in'] == 900 and len(d['refresh_token']) == 43 and d['user'] == {'id': '$ALICE', 'email': 'alice@example.com', 'name': 'Alice'}" \
    "login answer"
COUNT=$((COUNT + 1))
case $(header set-cookie) in
"tock_refresh=$REFRESH; Path=/api/v1/auth; Max-Age=604800; HttpOnly; Secure; SameSite=Strict") ;;
*) fail "refresh cookie: $(header set-cookie)" ;;
esac
COUNT=$((COUNT + 1))
python3 - "$TOKEN" "$ALICE" <<'PY' || fail "access token claims"
import base64, json, sys
h, p, s = sys.argv[1].split(".")
pad = lambda x: x + "=" * (-len(x) % 4)
hdr = json.loads(base64.urlsafe_b64decode(pad(h)))
c = json.loads(base64.urlsafe_b64decode(pad(p)))
assert hdr["alg"] == "HS256", hdr
assert c["sub"] == sys.argv[2] and c["exp"] - c["iat"] == 900, c
assert len(c["jti"]) == 36, c
PY
ALICE_TOKEN=$TOKEN
ALICE_REFRESH=$REFRESH
expect_sql "SELECT count(*) FROM refresh_tokens WHERE user_id = '$ALICE'
    AND token_hash = sha256('$REFRESH'::bytea)
    AND expires_at BETWEEN now() + interval '6 days 23 hours'
    AND now() + interval '7 days 1 minute'" "1" \
    "the refresh token is stored as its SHA-256, for 7 days"
expect_sql "SELECT count(*) FROM devices WHERE user_id = '$ALICE'" "1" \
    "a login makes a device"

login ALICE@EXAMPLE.com correct-horse
expect_status 200 "login with the email in another case"
login alice@example.com wrong-horse
expect_error 401 invalid_credentials "wrong password"
login nobody@example.com correct-horse
expect_error 401 invalid_credentials "unknown email, same answer"
api POST /api/v1/auth/login '{"email":"alice@example.com"}'
expect_field_error password "login without a password"

# ---- access tokens ----------------------------------------------------
TOKEN=$ALICE_TOKEN
api GET /api/v1/me
expect_status 200 "me"
expect_json "d['id'] == '$ALICE' and d['email'] == 'alice@example.com' and d['name'] == 'Alice' and d['default_workspace_id']" \
    "me answer"

NOW=$(date +%s)
TOKEN=$(jwt "$TMP/jwt.key" '{"alg":"HS256","typ":"JWT"}' \
    "{\"sub\":\"$ALICE\",\"iat\":$NOW,\"exp\":$((NOW + 60)),\"jti\":\"x\"}")
api GET /api/v1/me
expect_status 200 "a token made with the key works (same HMAC)"
TOKEN=$(jwt "$TMP/jwt.key" '{"alg":"none","typ":"JWT"}' \
    "{\"sub\":\"$ALICE\",\"iat\":$NOW,\"exp\":$((NOW + 60))}" none)
api GET /api/v1/me
expect_error 401 invalid_token "alg none"
TOKEN=$(jwt "$TMP/jwt.key" '{"alg":"HS512","typ":"JWT"}' \
    "{\"sub\":\"$ALICE\",\"iat\":$NOW,\"exp\":$((NOW + 60))}" HS512)
api GET /api/v1/me
expect_error 401 invalid_token "alg HS512, even signed with the key"
TOKEN=$(jwt "$TMP/jwt.key" '{"alg":"HS256","typ":"JWT"}' \
    "{\"sub\":\"$ALICE\",\"iat\":$((NOW - 1000)),\"exp\":$((NOW - 100))}")
api GET /api/v1/me
expect_error 401 token_expired "expired token"
# Tampered: another payload under the real signature, and a flipped
# signature.
TOKEN=$(python3 - "$ALICE_TOKEN" <<'PY'
import base64, json, sys
h, p, s = sys.argv[1].split(".")
pad = lambda x: x + "=" * (-len(x) % 4)
c = json.loads(base64.urlsafe_b64decode(pad(p)))
c["exp"] += 3600
p2 = base64.urlsafe_b64encode(json.dumps(c).encode()).rstrip(b"=").decode()
print(h + "." + p2 + "." + s)
PY
)
api GET /api/v1/me
expect_error 401 invalid_token "tampered payload"
TOKEN=$(python3 - "$ALICE_TOKEN" <<'PY'
import sys
h, p, s = sys.argv[1].split(".")
s = ("B" if s[0] != "B" else "C") + s[1:]
print(h + "." + p + "." + s)
PY
)
api GET /api/v1/me
expect_error 401 invalid_token "tampered signature"
TOKEN=garbage
api GET /api/v1/me
expect_error 401 invalid_token "garbage token"
TOKEN=
api GET /api/v1/me '' -H "Authorization: Basic $ALICE_TOKEN"
expect_error 401 unauthorized "not a bearer token"

# ---- refresh ----------------------------------------------------------
TOKEN=
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$ALICE_REFRESH\"}"
expect_status 200 "refresh"
expect_json "d['token_type'] == 'Bearer' and d['expires_in'] == 900 and d['refresh_token'] != '$ALICE_REFRESH' and d['user']['id'] == '$ALICE'" \
    "refresh answer"
R2=$(jget "d['refresh_token']")
TOKEN=$(jget "d['access_token']")
api GET /api/v1/me
expect_status 200 "the refreshed access token works"
TOKEN=
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
expect_status 200 "refresh the rotated one"
R3=$(jget "d['refresh_token']")
expect_sql "SELECT count(DISTINCT family_id), count(*), count(rotated_at)
    FROM refresh_tokens WHERE user_id = '$ALICE' AND family_id =
    (SELECT family_id FROM refresh_tokens WHERE token_hash =
    sha256('$R3'::bytea))" "1|3|2" "one family, rotated on every use"
FAMILY=$(sql "SELECT family_id FROM refresh_tokens WHERE token_hash =
    sha256('$R3'::bytea)")
# R2 again within the grace, R3 unused: a client whose answer was lost.
# It gets a new successor of the same family; R3 is revoked instead.
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
expect_status 200 "a retry of a just-rotated token within the grace"
R3B=$(jget "d['refresh_token']")
expect_json "d['refresh_token'] not in ('$R2', '$R3') and d['device_id'] == '$FAMILY'" \
    "the retry answers a new token of the same family"
expect_sql "SELECT family_id FROM refresh_tokens WHERE token_hash =
    sha256('$R3B'::bytea)" "$FAMILY" "the new token is of the family"
expect_sql "SELECT count(*) FROM refresh_tokens WHERE family_id = '$FAMILY'
    AND revoked_at IS NULL AND rotated_at IS NULL" "1" "one live chain"
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R3\"}"
expect_error 401 token_revoked "the earlier successor is revoked"
expect_sql "SELECT revoked_at IS NULL FROM devices WHERE id = '$FAMILY'" "t" \
    "a retry does not revoke the device"
# The grace is over (rotated_at moved back): reuse of R2 is theft, and
# the whole family goes.
expect_sql "UPDATE refresh_tokens SET rotated_at = now() - interval '61 seconds'
    WHERE token_hash = sha256('$R2'::bytea) RETURNING 1" "1" "age R2's rotation"
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R2\"}"
expect_error 401 token_reused "reuse of a rotated refresh token"
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R3B\"}"
expect_error 401 token_revoked "the newest token of the family is revoked too"
expect_sql "SELECT count(*) FROM refresh_tokens WHERE family_id =
    (SELECT family_id FROM refresh_tokens WHERE token_hash =
    sha256('$R3B'::bytea)) AND revoked_at IS NULL" "0" \
    "every token of the family revoked"
expect_sql "SELECT revoked_at IS NOT NULL FROM devices WHERE id =
    (SELECT family_id FROM refresh_tokens WHERE token_hash =
    sha256('$R3'::bytea))" "t" "the device is revoked"

api POST /api/v1/auth/refresh '{"refresh_token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
expect_error 401 invalid_token "unknown refresh token"
api POST /api/v1/auth/refresh '{}'
expect_field_error refresh_token "no refresh token"
api POST /api/v1/auth/refresh '{"refresh_token":7}'
expect_field_error refresh_token "refresh token of the wrong type"

# Within the grace, but the successor was used already: the client had
# its answer, so this is theft.
login alice@example.com correct-horse
Q1=$REFRESH
TOKEN=
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$Q1\"}"
expect_status 200 "refresh Q1"
Q2=$(jget "d['refresh_token']")
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$Q2\"}"
expect_status 200 "refresh Q2"
Q3=$(jget "d['refresh_token']")
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$Q1\"}"
expect_error 401 token_reused "reuse after the successor was used"
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$Q3\"}"
expect_error 401 token_revoked "that family is revoked"

# The browser's way: the cookie.
login alice@example.com correct-horse
TOKEN=
api POST /api/v1/auth/refresh '' -H "Cookie: other=1; tock_refresh=$REFRESH"
expect_status 200 "refresh from the cookie"
R4=$(jget "d['refresh_token']")

# An expired refresh token.
expect_sql "UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
    WHERE token_hash = sha256('$R4'::bytea) RETURNING 1" "1" "expire R4"
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$R4\"}"
expect_error 401 token_expired "expired refresh token"

# ---- logout -----------------------------------------------------------
login alice@example.com correct-horse
L1=$REFRESH
TOKEN=
api POST /api/v1/auth/logout "{\"refresh_token\":\"$L1\"}"
expect_status 204 "logout"
COUNT=$((COUNT + 1))
case $(header set-cookie) in
"tock_refresh=; Path=/api/v1/auth; Max-Age=0;"*) ;;
*) fail "logout clears the cookie: $(header set-cookie)" ;;
esac
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$L1\"}"
expect_error 401 token_revoked "refresh after logout"
api POST /api/v1/auth/logout "{\"refresh_token\":\"$L1\"}"
expect_status 204 "logout twice is fine"
api POST /api/v1/auth/logout '{}'
expect_field_error refresh_token "logout without a token"

# ---- invitation-only registration -------------------------------------
server_stop
expect_eq "$SERVER_RC" 0 "stop for the invite-mode restart"
server_start TOCK_REGISTRATION=invite
register carol@example.com password-carol
expect_error 403 registration_closed "invite mode refuses strangers"
login alice@example.com correct-horse
WS=$(sql "SELECT default_workspace_id FROM users WHERE id = '$ALICE'")
api POST "/api/v1/workspaces/$WS/members" '{"email":"Carol@Example.com","role":"lead"}'
expect_status 201 "invite carol"
expect_json "d['status'] == 'invited' and d['role'] == 'lead'" "invitation answer"
register carol@example.com password-carol Carol
expect_status 201 "an invited address may register"
CAROL=$(jget "d['id']")
expect_sql "SELECT role FROM memberships WHERE workspace_id = '$WS'
    AND user_id = '$CAROL'" "lead" "the invitation became a membership"
expect_sql "SELECT count(*) FROM invitations" "0" "the invitation is used up"
expect_sql "SELECT count(*) FROM sync_log WHERE scope_id = '$WS'
    AND entity = 5 AND entity_id = '$CAROL'" "1" \
    "the new membership is in the workspace's log"

server_stop
expect_eq "$SERVER_RC" 0 "SIGTERM exits 0"
finish
