#!/bin/sh
# t2001-start-stop: the timer: start (by number, by new title, resume),
# stop, --at, one running timer, and status for shell prompts.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

ENTRY_KEYS='["id", "task_id", "task_num", "task_title", "user_id", "origin",
    "start_time", "end_time", "running", "duration_seconds",
    "duration_minutes", "notes", "end_src", "workspace_id"]'
D2=$(date -d '2 days ago' +%F)

# --- status before there is any database -----------------------------------------
run status
expect_rc 1 "status with no database"
expect_out "" "status with no database prints nothing"
expect_err "" "status with no database is silent"
run --json status
expect_rc 1 "status --json with no database"
expect_out "null" "status --json with no database"
run status --format '%t %d'
expect_rc 1 "status --format with no database"
expect_out "" "status --format with no database"
check "status does not create the database" [ ! -e "$TOCK_DB" ]
check "status creates no file next to the database" \
    [ -z "$(ls -A "$(dirname "$TOCK_DB")" 2>/dev/null)" ]

run stop
expect_rc 1 "stop with nothing running"
expect_err "tock: no timer is running" "stop with nothing running message"
expect_out "" "stop with nothing running stdout"
run start
expect_rc 3 "start with nothing to resume"
expect_err "tock: no previous time entry to resume" "nothing to resume message"

run add "one"
run add "two"
expect_rc 0 "setup"
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")

# --- start by number, with an absolute --at -----------------------------------------
T0900=$(ms_at "$D2 09:00")
T1000=$(ms_at "$D2 10:00")
run start 1 --at "$D2 09:00"
expect_rc 0 "start 1 --at"
expect_out "Started 'one' (task 1) at 09:00" "start output"
expect_err "" "start stderr"
expect_sql "SELECT task_id = '$ID1', start_time, end_time IS NULL, origin, deleted
    FROM time_entries" "1|$T0900|1|timer|0" "the running entry"
expect_sql "SELECT status FROM tasks WHERE id = '$ID1'" "in_progress" \
    "a todo task becomes in_progress when started"
run ls
expect_out "  #  Status       Due         Title
▶ 1  in_progress              one
  2  todo                     two
2 tasks" "ls marks the running task"
run show --json 1
expect_json "d['running'] is True" "show --json: running"

# The running task again: nothing changes.
S=$(last_seq)
run start 1
expect_rc 0 "start of the running task"
expect_out "Already tracking 'one' since 09:00" "already tracking"
expect_sql "SELECT count(*) FROM time_entries" "1" "no new entry"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $S" "0" "no change queued"

# Starting another stops the running one at the same instant.
run start 2 --at "$D2 10:00"
expect_rc 0 "start 2 while 1 runs"
expect_out "Stopped 'one' at 10:00 after 1h00m
Started 'two' (task 2) at 10:00" "switch output"
expect_sql "SELECT end_time, end_src FROM time_entries WHERE task_id = '$ID1'" \
    "$T1000|stop" "the old entry ends at --at"
expect_sql "SELECT start_time, end_time IS NULL FROM time_entries WHERE task_id = '$ID2'" \
    "$T1000|1" "the new entry starts then"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "1" \
    "one running timer"

# Without --at: the same instant too, taken from the clock.
run start 1
expect_rc 0 "start 1 while 2 runs"
END2=$(sql "SELECT end_time FROM time_entries WHERE task_id = '$ID2'")
START1=$(sql "SELECT start_time FROM time_entries WHERE task_id = '$ID1' AND end_time IS NULL")
check "old end ($END2) == new start ($START1)" [ "$END2" = "$START1" ]
expect_out "Stopped 'two' at $(hm_of "$END2") after $(fmt_dur $((END2 - T1000)))
Started 'one' (task 1) at $(hm_of "$START1")" "switch output without --at"

run stop
expect_rc 0 "stop"
END1=$(sql "SELECT end_time FROM time_entries WHERE start_time = $START1")
expect_out "Stopped 'one' at $(hm_of "$END1") after $(fmt_dur $((END1 - START1)))" \
    "stop output"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0" \
    "nothing runs after stop"
run stop
expect_rc 1 "stop twice"
expect_err "tock: no timer is running" "stop twice message"
run status
expect_rc 1 "status after stop"
expect_out "" "status after stop prints nothing"

# start with no argument resumes the task of the newest entry.
run start
expect_rc 0 "start resumes"
RS=$(sql "SELECT start_time FROM time_entries WHERE end_time IS NULL")
expect_out "Started 'one' (task 1) at $(hm_of "$RS")" "resume output"
expect_sql "SELECT task_id FROM time_entries WHERE end_time IS NULL" "$ID1" \
    "resumed the last task"
run stop

# start "Title" creates the task when nothing matches.
run start "Brand new"
expect_rc 0 "start a new title"
RS=$(sql "SELECT start_time FROM time_entries WHERE end_time IS NULL")
expect_out "Added task 3: Brand new
Started 'Brand new' (task 3) at $(hm_of "$RS")" "start a new title output"
expect_sql "SELECT title, status FROM tasks WHERE num = 3" "Brand new|in_progress" \
    "the new task"
run start 7
expect_rc 3 "start of an unknown number"
expect_err "tock: no open task number 7" "a number is not taken as a title"
expect_sql "SELECT count(*) FROM tasks" "3" "no task made from a number"
run start ""
expect_rc 1 "start with an empty title"
expect_err "tock: title is empty" "start with an empty title message"
run start a b
expect_rc 2 "start with two tasks"
run stop

# --- --at: relative, future, before the running start ------------------------------------
B=$(now_ms)
run start 1 --at -15m
A=$(now_ms)
expect_rc 0 "start --at -15m"
RS=$(sql "SELECT start_time FROM time_entries WHERE end_time IS NULL")
check "start --at -15m is 15 minutes ago ($RS in $((B - 900000))..$((A - 900000)))" \
    [ "$RS" -ge $((B - 900000)) -a "$RS" -le $((A - 900000)) ]
S=$(last_seq)
run start 2 --at +5m
expect_rc 1 "start --at in the future"
expect_err "tock: --at '+5m' is in the future" "future --at message"
run start 2 --at "$(date -d tomorrow +%F) 12:00"
expect_rc 1 "start --at tomorrow"
run stop --at +10m
expect_rc 1 "stop --at in the future"
expect_err "tock: --at '+10m' is in the future" "future stop message"
run start 2 --at "$D2 08:00"
expect_rc 1 "start before the running timer's start"
case $ERR in
"tock: the running timer started at "*) ;;
*) fail "start before the running start: stderr '$ERR'" ;;
esac
run stop --at "$D2 08:00"
expect_rc 1 "stop before the start"
run start 2 --at nonsense
expect_rc 1 "start --at nonsense"
expect_err "tock: cannot parse time 'nonsense'" "bad --at message"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $S" "0" "refused --at changes nothing"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL AND start_time = $RS" \
    "1" "the timer still runs"
run stop --at -5m
expect_rc 0 "stop --at -5m"
END=$(sql "SELECT end_time FROM time_entries WHERE start_time = $RS")
expect_out "Stopped 'one' at $(hm_of "$END") after 10m" "stop --at -5m output"

# --- status --------------------------------------------------------------------
run start 2 --at -150m --note "deep work"
expect_rc 0 "start with a note"
RS=$(sql "SELECT start_time FROM time_entries WHERE end_time IS NULL")
run status
expect_rc 0 "status"
expect_out "▶ 2h30m  two" "status output"
expect_err "" "status stderr"
run status --format '%t|%d|%i|%u|%s|%n|%%|%x|%'
expect_rc 0 "status --format"
expect_out "two|2h30m|2|$ID2|$(hm_of "$RS")|deep work|%|%x|%" "status --format codes"
run status --format 'plain'
expect_out "plain" "status --format without codes"
run status --json
expect_rc 0 "status --json"
expect_json "list(d.keys()) == $ENTRY_KEYS" "status --json keys"
expect_json "d['running'] is True and d['end_time'] is None" "status --json running"
expect_json "d['task_num'] == 2 and d['task_title'] == 'two' and d['task_id'] == '$ID2'" \
    "status --json task"
expect_json "d['notes'] == 'deep work' and d['origin'] == 'timer'" "status --json note"
expect_json "9000 <= d['duration_seconds'] < 9060 and d['duration_minutes'] == 150" \
    "status --json duration counts to now"
run --json status
expect_rc 0 "global --json status"
expect_json "d['task_num'] == 2" "global --json status"
run status extra
expect_rc 2 "status with an argument"

# status follows every change at once (no stale answer).
for i in 1 2 3; do
	run start 1
	run status --format '%t'
	expect_rc 0 "status after start 1 ($i)"
	expect_out "one" "status after start 1 ($i)"
	run start 2
	run status --format '%t'
	expect_out "two" "status after start 2 ($i)"
	run stop
	run status
	expect_rc 1 "status after stop ($i)"
	expect_out "" "status after stop prints nothing ($i)"
done
run start 1
run edit 1 --title "renamed"
run status --format '%t'
expect_out "renamed" "status shows a rename"
run done 1
run status
expect_rc 1 "status after the running task is done"

# A done task that gets time again is reopened; a deleted one cannot start.
run start "$(echo "$ID1" | cut -c1-23)" --at -1m
expect_rc 0 "start a done task"
expect_sql "SELECT status, num IS NOT NULL FROM tasks WHERE id = '$ID1'" \
    "in_progress|1" "the done task is open again"
run stop
run rm 3
run start "$(sql "SELECT substr(id, 1, 23) FROM tasks WHERE title = 'Brand new'")"
expect_rc 1 "start a deleted task"
expect_err "tock: task is deleted (restore it first)" "start a deleted task message"
run status
expect_rc 1 "nothing runs after the refused start"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time < start_time" "0" \
    "no entry ends before it starts"

finish
