#!/bin/sh
# t7010-detail: the task screen (fields, wrapped description, entries,
# comments; c adds a comment; s, d, x act on the task) and the help screen.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

DESC="First paragraph of a description that is long enough to need wrapping on a terminal of one hundred columns, so the words go on a second line.
Second paragraph."
"$TOCK" add "Detailed task" -d "$DESC" --tag ui --priority high \
    --due 2031-02-03 >/dev/null
"$TOCK" add "Other task" >/dev/null
"$TOCK" track 1 25m --note "first pass" >/dev/null
ID=$(sql "SELECT id FROM tasks WHERE num = 1")

tui_start
keys Enter
wait_for "Task 1  Detailed task"
wait_for "status     todo"
wait_for "due        2031-02-03"
wait_for "tags       +ui"
wait_for "priority   high"
wait_for "tracked    25m"
wait_for "Description"
wait_for "so the words go"
wait_for "Second paragraph."
wait_for "Time entries (1)"
wait_for "25m  first pass"
wait_for "Comments (0)"
screen
printf '%s\n' "$SCREEN" >"$TMP/screen"
while IFS= read -r l; do
	[ "$(width "$l")" -le 100 ] || fail "a line runs past the edge: $l"
done <"$TMP/screen"

# --- c: a comment ----------------------------------------------------------------
keys c
wait_for "Comment on task 1 'Detailed task'"
typein "Looks good — 看起来不错"
keys Enter
wait_for "Comment added"
wait_sql "SELECT task_id = '$ID', body FROM comments" "1|Looks good — 看起来不错"
wait_for "Comments (1)"
wait_for "    Looks good — 看起来不错"
keys c
wait_for "Comment on task 1"
keys Enter
wait_for "the comment is empty"
keys Escape

# --- s and d from the task screen -------------------------------------------------
keys s
wait_for "status     in_progress (timer running)"
wait_for "▶ Detailed task"
keys d
wait_for "Completed task 1 'Detailed task'"
wait_sql "SELECT status FROM tasks WHERE id = '$ID'" "done"
wait_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0"
wait_for "status     done"
wait_for "no timer running"
keys u
wait_sql "SELECT status FROM tasks WHERE id = '$ID'" "in_progress"

# --- x from the task screen goes back to the list -----------------------------------
keys x
wait_for "Delete task 1 'Detailed task'? (y/n)"
keys y
wait_for "Deleted task 1 'Detailed task' (u undoes)"
wait_sql "SELECT deleted FROM tasks WHERE id = '$ID'" "1"
wait_for "Other task"
wait_for "open · 1 task"
keys u
wait_for "Detailed task"

# --- ?: help, from the key table -------------------------------------------------------
keys ?
wait_for "Everywhere"
wait_for "start or stop the timer on the task"
keys PgDn
wait_for "search titles and tags as you type"
keys G
wait_for "delete the word before the cursor"
keys q
wait_for "Other task"
wait_gone "Everywhere"

keys q
wait_exit
check "q exits 0" [ "$TUI_RC" = 0 ]
finish
