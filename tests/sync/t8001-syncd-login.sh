#!/bin/sh
# t8001 - tock-syncd --login, --request, --once and --logout against the
# real server, with the token in a 0600 file when no D-Bus answers, and
# the failures people meet: wrong password, server down.
. "$TOCK_TEST_LIB"
SYNCD=${TOCK_SYNCD:?TOCK_SYNCD unset}

standard_setup
register alice@example.com password-alice Alice
[ "$STATUS" = 201 ] || fatal "register: $STATUS $OUT"

# home DIR: a private HOME and XDG set for tock-syncd.
home() {
	H=$TMP/$1
	mkdir -p "$H/config" "$H/data" "$H/state" "$H/run"
	chmod 0700 "$H/run"
}
# sd ARGS...: tock-syncd in $H without D-Bus; $RC, $SOUT, $SERR.
sd() {
	env -u DBUS_SESSION_BUS_ADDRESS -u TOCK_TOKEN HOME="$H" \
	    XDG_CONFIG_HOME="$H/config" XDG_DATA_HOME="$H/data" \
	    XDG_STATE_HOME="$H/state" XDG_RUNTIME_DIR="$H/run" \
	    TOCK_DB="$H/data/tock.db" "$SYNCD" "$@" >"$TMP/sd.out" \
	    2>"$TMP/sd.err"
	RC=$?
	SOUT=$(cat "$TMP/sd.out")
	SERR=$(cat "$TMP/sd.err")
}
expect_rc() {
	COUNT=$((COUNT + 1))
	[ "$RC" = "$1" ] || fail "$2: exit $RC, expected $1 (stdout: $SOUT; stderr: $SERR)"
}
expect_in() {
	COUNT=$((COUNT + 1))
	case $1 in *"$2"*) ;; *) fail "$3: '$2' not in '$1'" ;; esac
}

home a
printf 'password-alice\n' >"$TMP/pw"
sd --login "$BASE" --email alice@example.com --password-stdin \
    --device-name laptop <"$TMP/pw"
expect_rc 0 "login without a keyring"
expect_in "$SERR" "no keyring answered" "the file fallback is announced"
CRED=$H/config/tock/credentials
COUNT=$((COUNT + 1))
[ -f "$CRED" ] || fail "no credentials file"
expect_eq "$(stat -c %a "$CRED" 2>/dev/null)" 600 "credentials mode"
RT=$(awk -F '\t' -v s="$BASE" '$1 == s { print $3 }' "$CRED")
COUNT=$((COUNT + 1))
[ -n "$RT" ] || fail "no token line for $BASE in the credentials file"
COUNT=$((COUNT + 1))
grep -rqF "$RT" "$H/state" "$H/data" "$H/run" 2>/dev/null &&
	fail "the refresh token leaked outside the credentials file"

sd --request GET /api/v1/me
expect_rc 0 "--request GET /api/v1/me"
expect_in "$SOUT" 'alice@example.com' "--request prints the user"
sd --request GET /api/v1/no-such-thing
expect_rc 3 "--request of a missing path"

sd --once
expect_rc 0 "--once"
expect_in "$SOUT" "pushed" "--once summary"
sd --once --json
expect_rc 0 "--once --json"
expect_in "$SOUT" '"ok":true' "--once --json answer"

# The stored token rotated with each refresh; logout revokes the family.
RT=$(awk -F '\t' -v s="$BASE" '$1 == s { print $3 }' "$CRED")
sd --logout
expect_rc 0 "logout"
COUNT=$((COUNT + 1))
if [ -f "$CRED" ] && grep -qF "$BASE" "$CRED"; then
	fail "the credentials entry survived logout"
fi
api POST /api/v1/auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 401 "the logged-out refresh token is refused"
sd --once
expect_rc 6 "--once after logout"

# Wrong password, and a server that is not there.
home b
printf 'not-the-password\n' >"$TMP/pw"
sd --login "$BASE" --email alice@example.com --password-stdin <"$TMP/pw"
expect_rc 6 "wrong password"
expect_in "$SERR" "wrong email or password" "wrong password message"
DEAD=http://127.0.0.1:$(free_port)
T0=$(now_s)
sd --login "$DEAD" --email alice@example.com --password-stdin <"$TMP/pw"
expect_rc 6 "server down"
expect_in "$SERR" "cannot reach $DEAD" "server down message"
COUNT=$((COUNT + 1))
before "$(python3 -c "print($T0 + 5)")" || fail "server down took over 5 s"

finish
