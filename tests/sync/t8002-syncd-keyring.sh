#!/bin/sh
# t8002 - with a Secret Service on the session bus (gnome-keyring inside
# dbus-run-session), --login keeps the refresh token in the keyring and in
# no file, and --logout removes it.
. "$TOCK_TEST_LIB"
SYNCD=${TOCK_SYNCD:?TOCK_SYNCD unset}
for t in dbus-run-session gnome-keyring-daemon secret-tool dbus-send; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "t8002: $t missing; skipped"
		exit 0
	}
done

standard_setup
register bob@example.com password-bob Bob
[ "$STATUS" = 201 ] || fatal "register: $STATUS $OUT"

H=$TMP/home
mkdir -p "$H/config" "$H/data" "$H/state" "$H/run"
chmod 0700 "$H/run"
printf 'password-bob\n' >"$TMP/pw"

# The session: start the keyring, wait for it on the bus (deadline), log
# in, look the token up, grep the home for it, log out, look again.  The
# keyring is killed by the trap whatever happens; the bus dies with
# dbus-run-session.
cat >"$TMP/inner.sh" <<'EOF'
set -u
K=
trap '[ -n "$K" ] && kill "$K" 2>/dev/null; [ -n "$K" ] && wait "$K" 2>/dev/null' EXIT
echo keyring-password | gnome-keyring-daemon --foreground --unlock \
    --components=secrets >/dev/null 2>&1 &
K=$!
end=$(($(date +%s) + 20))
until dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets \
    2>/dev/null | grep -q true; do
	[ "$(date +%s)" -lt "$end" ] || { echo "no secret service" >&2; exit 90; }
	sleep 0.05
done
"$SYNCD" --login "$BASE" --email bob@example.com --password-stdin \
    <"$TMP/pw" >"$TMP/login.out" 2>"$TMP/login.err"
echo $? >"$TMP/login.rc"
secret-tool lookup server "$BASE" >"$TMP/token" 2>/dev/null
"$SYNCD" --logout >"$TMP/logout.out" 2>"$TMP/logout.err"
echo $? >"$TMP/logout.rc"
secret-tool lookup server "$BASE" >"$TMP/token.after" 2>/dev/null
exit 0
EOF
env HOME="$H" XDG_CONFIG_HOME="$H/config" XDG_DATA_HOME="$H/data" \
    XDG_STATE_HOME="$H/state" XDG_RUNTIME_DIR="$H/run" \
    TOCK_DB="$H/data/tock.db" TMP="$TMP" SYNCD="$SYNCD" BASE="$BASE" \
    timeout 120 dbus-run-session -- sh "$TMP/inner.sh" 2>"$TMP/dbus.err"
rc=$?
[ "$rc" = 90 ] && { echo "t8002: no secret service came up; skipped"; exit 0; }
[ "$rc" = 0 ] || fatal "the session failed ($rc): $(cat "$TMP/dbus.err")"

expect_eq "$(cat "$TMP/login.rc")" 0 "login with a keyring"
COUNT=$((COUNT + 1))
grep -q "no keyring" "$TMP/login.err" &&
	fail "fell back to the file: $(cat "$TMP/login.err")"
TOK=$(cat "$TMP/token")
COUNT=$((COUNT + 1))
[ -n "$TOK" ] || fail "no token in the keyring under server=$BASE"
COUNT=$((COUNT + 1))
[ ! -e "$H/config/tock/credentials" ] || fail "a credentials file exists"
if [ -n "$TOK" ]; then
	COUNT=$((COUNT + 1))
	grep -rlF "$TOK" "$H" >"$TMP/leaks" 2>/dev/null &&
		fail "the token is in a file: $(cat "$TMP/leaks")"
fi
expect_eq "$(cat "$TMP/logout.rc")" 0 "logout"
expect_eq "$(cat "$TMP/token.after")" "" "the keyring entry is gone"
if [ -n "$TOK" ]; then
	api POST /api/v1/auth/refresh "{\"refresh_token\":\"$TOK\"}"
	expect_status 401 "the logged-out token is refused"
fi

finish
