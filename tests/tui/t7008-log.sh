#!/bin/sh
# t7008-log: the time log: days newest first with day totals; editing an
# entry's start, end and note (a bare time is on the entry's day); delete
# with confirmation and undo; bad input keeps the form open; [ and ].
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

D1=$(date -d yesterday +%F)
D2=$(date -d '2 days ago' +%F)
H1=$(date -d yesterday '+%a %F')
H2=$(date -d '2 days ago' '+%a %F')
"$TOCK" add "Task one" >/dev/null
"$TOCK" add "Task two" >/dev/null
"$TOCK" track 1 "$D1 09:00..$D1 10:30" --note morning >/dev/null
"$TOCK" track 2 "$D1 13:00..$D1 13:45" >/dev/null
"$TOCK" track 2 "$D2 14:00..$D2 15:00" --note older >/dev/null
E1=$(sql "SELECT id FROM time_entries WHERE notes = 'morning'")
Q="SELECT start_time, end_time, notes, deleted FROM time_entries
    WHERE id = '$E1'"
ORIG="$(ms_at "$D1 09:00")|$(ms_at "$D1 10:30")|morning|0"

tui_start
keys 2
wait_for "3 entries · 3h15m"
wait_for "$H1        2h15m"
wait_for "$H2        1h00m"
screen
R1=$(printf '%s\n' "$SCREEN" | grep -n -F "$H1" | cut -d: -f1)
R2=$(printf '%s\n' "$SCREEN" | grep -n -F "$H2" | cut -d: -f1)
check "the newest day comes first" [ "$R1" -lt "$R2" ]
check "a day's entries in time order" sh -c \
    'printf "%s\n" "$1" | sed -n "$2,\$p" | grep -F -e 09:00 -e 13:00 |
    head -n 1 | grep -q 09:00' x "$SCREEN" "$R1"
wait_for "09:00–10:30     1h30m     1  Task one – morning"

# --- e: edit start, end and note; bare times are on the entry's day ----------
keys e
wait_for "Edit entry: Task one"
wait_for "$D1 09:00"
keys C-u
typein "8:30"
keys Tab C-u
typein "11:00"
keys Tab C-u
typein "changed note"
keys Enter
wait_for "Entry updated (u undoes)"
wait_sql "$Q" "$(ms_at "$D1 08:30")|$(ms_at "$D1 11:00")|changed note|0"
wait_for "08:30–11:00     2h30m     1  Task one – changed note"
wait_for "$H1        3h15m"
keys u
wait_for "Undid the entry edit"
wait_sql "$Q" "$ORIG"
wait_for "09:00–10:30"

# --- an end before the start is refused, the form stays ------------------------
keys e
wait_for "Edit entry: Task one"
keys Tab C-u
typein "07:00"
keys Enter
COUNT=$((COUNT + 1))
_wait '_has "Edit entry" && printf "%s" "$SCREEN" | grep -qi "before\|after"' 3 ||
	fail "no error for an end before the start: $SCREEN"
keys Escape
wait_gone "Edit entry"
wait_sql "$Q" "$ORIG"

# --- x: delete after y, u restores ----------------------------------------------
keys x
wait_for "Delete the entry 09:00-10:30 (1h30m) on 'Task one'? (y/n)"
keys y
wait_for "Entry deleted (u undoes)"
wait_sql "SELECT deleted FROM time_entries WHERE id = '$E1'" "1"
wait_gone "morning"
wait_for "2 entries · 1h45m"
keys u
wait_sql "$Q" "$ORIG"
wait_for "morning"
wait_for "3 entries · 3h15m"

# --- Enter opens the entry's task ----------------------------------------------
keys Enter
wait_for "Task 1  Task one"
keys q
wait_for "3 entries"

# --- [ and ] move by seven days --------------------------------------------------
keys [
wait_for "No time entries in these seven days"
keys ]
wait_for "3 entries · 3h15m"

keys q
wait_exit
finish
