#!/bin/sh
# t7001-timer: start and stop the timer from the task list (s), the header
# clock ticking with no key pressed, and the database after each change.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "First task" >/dev/null
"$TOCK" add "Second task" >/dev/null
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")

tui_start
wait_for "First task"
wait_for "no timer running"
wait_for "local · $(sql "SELECT count(*) FROM outbox") pending"

# --- s starts the timer on the selected (first) task -----------------------
keys s
wait_for "Started task 1 'First task'"
wait_sql "SELECT task_id = '$ID1', end_time IS NULL, origin, deleted
    FROM time_entries" "1|1|timer|0"
wait_sql "SELECT status FROM tasks WHERE id = '$ID1'" "in_progress"
wait_for "▶ First task  0:00:"
wait_sql "SELECT count(*) FROM time_entries" "1"
wait_for "local · $(sql "SELECT count(*) FROM outbox") pending"

# --- the header clock moves by itself --------------------------------------
clock() {
	printf '%s\n' "$SCREEN" | sed -n '1s/.*  \([0-9]*:[0-9][0-9]:[0-9][0-9]\)  .*/\1/p'
}
screen
C0=$(clock)
COUNT=$((COUNT + 1))
_wait '[ -n "$(clock)" ] && [ "$(clock)" != "$C0" ]' 4 ||
	fail "the header clock stayed at '$C0': $SCREEN"

# --- s on another task stops the first at the same instant -----------------
keys j s
wait_for "Started task 2 'Second task'"
wait_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "1"
expect_sql "SELECT a.end_time = b.start_time FROM time_entries a,
    time_entries b WHERE a.task_id = '$ID1' AND b.task_id = '$ID2'" "1" \
    "the first entry ends where the second starts"
wait_for "▶ Second task"

# --- s on the running task stops it ----------------------------------------
keys s
wait_for "Stopped task 2 'Second task' after"
wait_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0"
wait_for "no timer running"
expect_sql "SELECT count(*), sum(end_src = 'stop') FROM time_entries
    WHERE task_id = '$ID2'" "1|1" "the second entry was stopped"
run status
expect_rc 1 "tock status agrees that nothing runs"

keys q
wait_exit
check "q exits 0" [ "$TUI_RC" = 0 ]
term_sane "after q"
finish
