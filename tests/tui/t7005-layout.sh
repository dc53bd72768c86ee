#!/bin/sh
# t7005-layout: SIGWINCH resizes; at 80x24 and at 200x50 the header, tab
# bar, column heading, list, status line and footer are where they should
# be, nothing runs past the edge, and the cursor's row stays in view.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

i=1
while [ $i -le 60 ]; do
	echo "Task number $i"
	i=$((i + 1))
done >"$TMP/titles"
while read -r t; do
	"$TOCK" add "$t" >/dev/null
done <"$TMP/titles"
"$TOCK" track 1 2h >/dev/null

# layout COLS ROWS: the frame of the task list at that size.
layout() {
	_c=$1
	_r=$2
	tmx resize-window -x "$_c" -y "$_r"
	wait_for "q quit"
	COUNT=$((COUNT + 1))
	_wait '[ "$(printf "%s\n" "$SCREEN" | wc -l)" -eq "$_r" ] &&
	    row "$((_r - 1))" | grep -q "q quit"' 3 ||
		fail "${_c}x$_r: no footer on the last line: $SCREEN"
	check "${_c}x$_r: header on line 0" sh -c \
	    'printf "%s" "$1" | grep -q "no timer running.*local · [0-9]* pending"' \
	    x "$(row 0)"
	_end=$(($(col_of "$(row 0)" "pending") + 7))
	check "${_c}x$_r: sync state ends at the right edge ($_end)" \
	    [ "$_end" -ge $((_c - 2)) -a "$_end" -le "$_c" ]
	check "${_c}x$_r: tab bar on line 1" sh -c \
	    'printf "%s" "$1" | grep -q "^ Tasks   Log   Week .*open · 60 tasks"' \
	    x "$(row 1)"
	check "${_c}x$_r: column heading on line 2" sh -c \
	    'printf "%s" "$1" | grep -q "#  Status       Due         Title"' \
	    x "$(row 2)"
	# Titles start in the heading's Title column.
	check "${_c}x$_r: titles under their heading" [ \
	    "$(col_of "$(row 3)" "Task number")" = "$(col_of "$(row 2)" "Title")" ]
	# Every line fits.
	screen
	printf '%s\n' "$SCREEN" >"$TMP/screen"
	while IFS= read -r l; do
		w=$(width "$l")
		[ "$w" -le "$_c" ] || fail "${_c}x$_r: a line of $w columns: $l"
	done <"$TMP/screen"
	# The list fills the rows between heading and status line.
	check "${_c}x$_r: the list reaches line $((_r - 3))" sh -c \
	    'printf "%s" "$1" | grep -q "Task number"' x "$(row $((_r - 3)))"
	check "${_c}x$_r: the status line is free" [ -z "$(row $((_r - 2)))" ]
	# G: the last task comes into view on the last list line.
	keys G
	COUNT=$((COUNT + 1))
	_wait 'row "$((_r - 3))" | grep -q "Task number 60"' 3 ||
		fail "${_c}x$_r: G does not show the last task: $SCREEN"
	keys g
	COUNT=$((COUNT + 1))
	_wait 'row 3 | grep -q "Task number 1$"' 3 ||
		fail "${_c}x$_r: g does not go back to the top: $SCREEN"
}

tui_start
wait_for "Task number 1"
layout 80 24
# The footer keeps help and quit, and says less at 80 columns.
check "80x24: footer keeps the core keys" sh -c \
    'printf "%s" "$1" | grep -q "^s timer  a add  e edit  d done  x delete.*? help  q quit"' \
    x "$(row 23)"
# A form fits.
keys a
wait_for "Add a task"
screen
printf '%s\n' "$SCREEN" >"$TMP/screen"
while IFS= read -r l; do
	[ "$(width "$l")" -le 80 ] || fail "80x24: the form runs past the edge: $l"
done <"$TMP/screen"
keys Escape
wait_gone "Add a task"
# The other screens at 80x24.
keys Tab
wait_for "1 entry · 2h00m"
keys Tab
wait_for "By task"
wait_for "Total"
keys Tab
wait_for "Not logged in: this replica is local only."
wait_for "Conflicts"
keys Tab
wait_for "Task number 1"

layout 200 50
check "200x50: the footer has room for more keys" sh -c \
    'printf "%s" "$1" | grep -q "m mine  u undo  ? help  q quit"' x "$(row 49)"

# Too small to draw: says so, and comes back.
tmx resize-window -x 30 -y 6
wait_for "terminal too small"
tmx resize-window -x 100 -y 30
wait_for "q quit"
wait_for "Task number 1"

keys q
wait_exit
finish
