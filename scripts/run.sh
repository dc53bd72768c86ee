#!/bin/sh
# run.sh - the first Quick start command: install the build dependencies,
# build tock, and track some time on the local database (no server).
# The demo uses a throw-away database unless TOCK_DB is set.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/deps.sh" build
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release \
    -DTOCK_BUILD_TESTS=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
tock="$top/build/cli/tock"
if [ -z "${TOCK_DB:-}" ]; then
	demo=$(mktemp -d)
	trap 'rm -rf "$demo"' EXIT
	export TOCK_DB="$demo/tock.db"
fi
set -x
"$tock" add "Fix login bug" --tag backend --due tomorrow
"$tock" add "Write release notes" --priority H
"$tock" ls
"$tock" start 1 --at -25m --note "reproduce"
"$tock" status
"$tock" start 2
"$tock" track 1 45m --at -3h --note "code review"
"$tock" stop
"$tock" log
"$tock" show 1
"$tock" report --week
