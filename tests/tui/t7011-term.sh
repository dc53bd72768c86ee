#!/bin/sh
# t7011-term: colour and its fallbacks (NO_COLOR, a terminal without
# colour), a locale without UTF-8 (ASCII glyphs, '?' for other
# characters, columns kept), and -v, which logs to a file and never to
# the terminal.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "Plain title" --due 2030-01-01 >/dev/null
"$TOCK" add "宽字符 title" --due 2030-01-02 >/dev/null
"$TOCK" start 1 >/dev/null

# colours: true if the screen (with attributes) sets a colour.
colours() {
	tmx capture-pane -p -e | grep -q "$(printf '\033')\[[0-9;]*\(3[0-7]\|4[0-7]\|38;\|48;\)[0-9;]*m"
}
not() {
	! "$@"
}
reverse() {
	tmx capture-pane -p -e | grep -q "$(printf '\033')\[[0-9;]*7[0-9;]*m"
}

# --- colour by default (NO_COLOR empty counts as unset) ----------------------
tui_start
wait_for "▶ Plain title"
check "colour when NO_COLOR is empty" colours
keys q
wait_exit

# --- NO_COLOR: attributes only ------------------------------------------------
TUI_ENV="NO_COLOR=1"
tui_start
wait_for "▶ Plain title"
check "no colour with NO_COLOR=1" not colours
keys q
wait_exit

# --- a terminal without colour -------------------------------------------------
TUI_ENV="TERM=vt100"
tui_start
wait_for "Plain title"
check "no colour on a vt100" not colours
check "the header in reverse video on a vt100" reverse
keys q
wait_exit

# --- no UTF-8: ASCII glyphs, '?' per column, the columns kept -------------------
TUI_ENV="LC_ALL=C"
tui_start
wait_for "> Plain title"
wait_for "local - "
wait_for "?????? title"
screen
same() {
	[ "$(col_of "$(printf '%s\n' "$SCREEN" | grep -F "$1")" "$2")" = \
	    "$(col_of "$(printf '%s\n' "$SCREEN" | grep -F "$3")" "$4")" ]
}
check "titles still aligned" same "2030-01-01" "Plain" "2030-01-02" "??????"
keys q
wait_exit

# --- -v: a log file, nothing on the terminal ---------------------------------------
TUI_ENV=
tui_start -v
wait_for "▶ Plain title"
PID=$(tui_pid)
keys q
wait_exit
LOG="$HOME/.local/state/tock/tui-$PID.log"
check "-v writes $LOG" [ -s "$LOG" ]
check "the log says it started and exited" sh -c \
    'grep -q "started, pid" "$1" && grep -q "exit 0" "$1"' x "$LOG"
screen
check "nothing but the wrapper's line on the terminal" \
    [ "$(printf '%s\n' "$SCREEN" | grep -v '^$')" = "TUI-EXITED" ]
finish
