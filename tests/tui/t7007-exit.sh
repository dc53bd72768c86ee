#!/bin/sh
# t7007-exit: every way out leaves the terminal as it was (stty settings,
# normal screen, visible cursor, keypad mode) with nothing printed on it:
# q, Q from a pushed screen, Ctrl-C, SIGTERM, SIGHUP, and the crash path
# (SIGSEGV, SIGABRT), which restores the terminal and dies by the signal.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "A task" >/dev/null
"$TOCK" start 1 >/dev/null

# after_exit DESC RC: the exit status and the terminal.
after_exit() {
	wait_exit
	check "$1: exit status $TUI_RC, expected $2" [ "$TUI_RC" = "$2" ]
	term_sane "$1"
	# Only the wrapper's line (and the shell's word on a signal death):
	# tock-tui printed nothing outside curses.
	screen
	printf '%s\n' "$SCREEN" | grep -v -e '^$' -e '^Segmentation fault' \
	    -e '^Aborted' >"$TMP/left"
	check "$1: nothing left on the terminal: $(cat "$TMP/left")" \
	    [ "$(cat "$TMP/left")" = "TUI-EXITED" ]
	tmx kill-server
}

tui_start
wait_for "▶ A task"
keys q
after_exit "q" 0

tui_start
wait_for "▶ A task"
keys Enter
wait_for "Time entries (1)"
keys Q
after_exit "Q from the task screen" 0

tui_start
wait_for "▶ A task"
keys a
wait_for "Add a task"
keys C-c
after_exit "Ctrl-C in a form" 130

tui_start
wait_for "▶ A task"
kill -TERM "$(tui_pid)"
after_exit "SIGTERM" 143

tui_start
wait_for "▶ A task"
kill -HUP "$(tui_pid)"
after_exit "SIGHUP" 129

# The crash path: the handler restores the terminal, then the signal
# kills the process as it would have (128 + 11, 128 + 6 in the shell).
tui_start
wait_for "▶ A task"
kill -SEGV "$(tui_pid)"
after_exit "SIGSEGV" 139

tui_start
wait_for "▶ A task"
kill -ABRT "$(tui_pid)"
after_exit "SIGABRT" 134

# The timer kept running through all of it: no exit path wrote anything.
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "1" \
    "the running timer is untouched"
finish
