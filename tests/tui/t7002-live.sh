#!/bin/sh
# t7002-live: changes made by another process (the CLI in another shell)
# show up with no key pressed: new tasks, timer start and stop, deletes,
# comments on the task screen; through inotify, and through the 250 ms
# data_version poll that is the fallback.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "Already there" >/dev/null

# latency TEXT LIMIT_MS CMD...: run CMD, then time until TEXT shows.
latency() {
	_text=$1
	_limit=$2
	shift 2
	"$TOCK" "$@" >/dev/null || fail "tock $* failed"
	_t0=$(_ms)
	wait_for "$_text" 3 || return
	_dt=$(($(_ms) - _t0))
	printf '  %s: on screen after %d ms\n' "$*" "$_dt"
	check "tock $* shows within $_limit ms (took $_dt)" [ "$_dt" -le "$_limit" ]
}

# live_checks LIMIT_MS ROUND
live_checks() {
	tui_start
	wait_for "Already there"
	wait_for "no timer running"
	latency "Added elsewhere $2" "$1" add "Added elsewhere $2"
	latency "▶ Added elsewhere $2" "$1" start 2
	latency "no timer running" "$1" stop
	"$TOCK" rm 2 >/dev/null
	wait_gone "Added elsewhere" 3
	# The task screen follows too.
	keys Enter
	wait_for "Comments ($(($2 - 1)))"
	latency "From the other shell, round $2" "$1" comment 1 \
	    "From the other shell, round $2"
	wait_for "Comments ($2)"
	keys q q
	wait_exit
}

# The capture loop polls every ~25 ms and a capture takes a few; the
# limits leave that room on top of the TUI's own delay.
echo "with inotify:"
live_checks 500 1
tmx kill-server
echo "polling data_version only:"
export TOCK_TUI_NO_INOTIFY=1
live_checks 750 2
finish
