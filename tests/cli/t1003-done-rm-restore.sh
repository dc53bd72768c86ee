#!/bin/sh
# t1003-done-rm-restore: done, rm and restore of one and several tasks,
# partial failures, number reuse, and timers stopped by done and rm.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

HEAD="  #  Status       Due         Title"

for t in Alpha Beta Gamma Delta Epsilon; do
	run add "$t"
done
expect_rc 0 "setup"
id_of() {
	sql "SELECT id FROM tasks WHERE title = '$1'"
}
IDA=$(id_of Alpha)
IDB=$(id_of Beta)
IDC=$(id_of Gamma)

# --- done ----------------------------------------------------------------------
run done 1
expect_rc 0 "done 1"
expect_out "Completed task 1: Alpha" "done output"
expect_err "" "done stderr"
expect_sql "SELECT status, num IS NULL FROM tasks WHERE id = '$IDA'" "done|1" \
    "a done task loses its number"
run done 1
expect_rc 3 "done of a freed number"
expect_err "tock: no open task number 1" "freed number message"
run done "$IDA"
expect_rc 1 "done of a done task"
expect_err "tock: task $IDA: already done" "already done message"

# A new task takes the freed number.
run add "Zeta"
expect_out "Added task 1: Zeta" "new task reuses number 1"

# Several at once; --json gives the tasks after the change.
run done 2 3
expect_rc 0 "done 2 3"
expect_out "Completed task 2: Beta
Completed task 3: Gamma" "done of two tasks"
run ls
expect_out "$HEAD
  1  todo                     Zeta
  4  todo                     Delta
  5  todo                     Epsilon
3 tasks" "ls after done"

# Partial failure: the good ones are done, the bad one reported, and the
# exit status says something failed.
run done 4 99 5
expect_rc 3 "done with one unknown task"
expect_out "Completed task 4: Delta
Completed task 5: Epsilon" "the others are done"
expect_err "tock: no open task number 99" "the bad one is reported"
expect_sql "SELECT count(*) FROM tasks WHERE status = 'done'" "5" "five done"
run done 1 "$IDA"
expect_rc 1 "done with one already done"
expect_out "Completed task 1: Zeta" "the open one is done"
expect_err "tock: task $IDA: already done" "already done reported"

run add "Eta"
run add "Theta"
run done --json 1 2
expect_rc 0 "done --json"
expect_json "len(d) == 2 and [t['title'] for t in d] == ['Eta', 'Theta']" "done --json tasks"
expect_json "all(t['status'] == 'done' and t['num'] is None for t in d)" \
    "done --json shows the result"
run done --json 99
expect_rc 3 "done --json of an unknown task"
expect_out "[]" "done --json prints an empty array when nothing was done"

# --- rm and restore ----------------------------------------------------------------
run add "Iota"
run add "Kappa"
run add "Lambda"
IDI=$(id_of Iota)
run rm 1
expect_rc 0 "rm 1"
expect_out "Deleted task 1: Iota" "rm output"
expect_sql "SELECT deleted, num IS NULL, status FROM tasks WHERE id = '$IDI'" \
    "1|1|todo" "a deleted task keeps its status and loses its number"
run ls --deleted --json
expect_json "[t['title'] for t in d] == ['Iota'] and d[0]['deleted'] is True" \
    "ls --deleted"
run rm "$IDI"
expect_rc 1 "rm of a deleted task"
expect_err "tock: task $IDI: already deleted" "already deleted message"
run rm 2 98 3
expect_rc 3 "rm with one unknown task"
expect_out "Deleted task 2: Kappa
Deleted task 3: Lambda" "rm of the good ones"
expect_err "tock: no open task number 98" "rm reports the bad one"
expect_sql "SELECT count(*) FROM tasks WHERE deleted = 1" "3" "three deleted"

run restore "$IDI"
expect_rc 0 "restore"
expect_match "^Restored task ([0-9]+|$(echo "$IDI" | cut -c1-13)): Iota\$" "restore output"
expect_sql "SELECT deleted, num FROM tasks WHERE id = '$IDI'" "0|1" \
    "a restored task is open again with a number"
run restore "$IDI"
expect_rc 1 "restore of a task that is not deleted"
expect_err "tock: task $IDI: not deleted" "not deleted message"
run restore 1
expect_rc 1 "restore by number of a live task"
IDK=$(id_of Kappa)
IDL=$(id_of Lambda)
run restore "$IDK" 97 "$IDL"
expect_rc 3 "restore with one unknown task"
expect_err "tock: no open task number 97" "restore reports the bad one"
expect_sql "SELECT count(*) FROM tasks WHERE deleted = 1" "0" "all restored"
run ls
expect_out "$HEAD
  1  todo                     Iota
  2  todo                     Kappa
  3  todo                     Lambda
3 tasks" "ls after restore"
run restore
expect_rc 2 "restore without a task"

# A done task is not done again by restore, and a deleted task cannot be
# completed without restoring it first.
run rm 3
run done "$IDL"
expect_rc 1 "done of a deleted task"
case $ERR in
"tock: task $IDL: deleted (restore it first)") ;;
*) fail "done of a deleted task: stderr '$ERR'" ;;
esac
expect_sql "SELECT status FROM tasks WHERE id = '$IDL'" "todo" "deleted task not completed"
run restore "$IDL"

# --- timers stop with done and rm ---------------------------------------------------
D2=$(date -d '2 days ago' +%F)
run start 1 --at "$D2 09:00"
expect_rc 0 "start on 1"
E1=$(sql "SELECT id FROM time_entries WHERE end_time IS NULL")
run rm 1
expect_rc 0 "rm of the running task"
expect_sql "SELECT end_time IS NOT NULL, end_src FROM time_entries WHERE id = '$E1'" \
    "1|stop" "rm stopped the timer"
run status
expect_rc 1 "no timer after rm"
expect_out "" "status prints nothing after rm"
run restore "$IDI"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0" \
    "restore does not restart the timer"

run start 2 --at "$D2 10:00"
E2=$(sql "SELECT id FROM time_entries WHERE end_time IS NULL")
run done 2
expect_rc 0 "done of the running task"
expect_sql "SELECT end_time IS NOT NULL FROM time_entries WHERE id = '$E2'" "1" \
    "done stopped the timer"
run status
expect_rc 1 "no timer after done"

# done of another task leaves the timer running.
run add "Mu"
run start 1 --at "$D2 11:00"
run done 3
expect_rc 0 "done of a task that is not running"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "1" \
    "the running timer on another task keeps running"
run edit 1 --status cancelled
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0" \
    "cancelling the running task stops its timer"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time < start_time" "0" \
    "no entry ends before it starts"

finish
