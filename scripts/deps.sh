#!/bin/sh
# deps.sh - install the Debian 12 packages tock needs.
#   sh scripts/deps.sh build   what building tock needs
#   sh scripts/deps.sh server  that plus what tock-server needs
#   sh scripts/deps.sh test    everything, and what the test suite runs
# Installs only what is missing, so a second run costs nothing.
set -eu

build="build-essential cmake pkg-config libsqlite3-dev libcjson-dev libncurses-dev"
server="libwebsockets-dev libpq-dev libssl-dev libcrypt-dev postgresql libcurl4-openssl-dev libsecret-1-dev"
test="$build $server libcmocka-dev curl sqlite3 python3 valgrind mandoc git timewarrior taskwarrior python3-icalendar tmux openssl dbus gnome-keyring libsecret-tools python3-aiosmtpd"

case "${1:-build}" in
build) want=$build ;;
server) want="$build $server" ;;
test) want=$test ;;
*) echo "usage: $0 build|server|test" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
