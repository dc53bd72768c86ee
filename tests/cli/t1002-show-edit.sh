#!/bin/sh
# t1002-show-edit: tock show (human and --json, with entries and comments),
# tock edit of every field, and task references (numbers, UUID prefixes,
# ambiguity).
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

TASK_KEYS='["id", "num", "title", "description", "status", "assignee_id",
    "assignee", "created_by", "created_at", "updated_at", "due_date", "tags",
    "priority", "metadata", "deleted", "running", "workspace_id"]'
ENTRY_KEYS='["id", "at", "task_id", "task_num", "task_title", "user_id",
    "origin", "start_time", "end_time", "running", "duration_seconds",
    "duration_minutes", "notes", "end_src", "workspace_id"]'
COMMENT_KEYS='["id", "task_id", "author_id", "author", "body", "created_at"]'

# local "YYYY-MM-DD HH:MM" of a millisecond column
when_of() {
	date -d "@$(($(sql "$1") / 1000))" '+%F %H:%M'
}

D2=$(date -d '2 days ago' +%F)
D3=$(date -d '3 days ago' +%F)

run add "Write tests"
run add "Fix bug" -d "It crashes" --due 2030-01-15 --tag cli --tag urgent \
    --priority high
expect_rc 0 "setup"
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")

# --- show, a task with nothing tracked --------------------------------------
run show 2
expect_rc 0 "show"
expect_err "" "show stderr"
CREATED=$(when_of "SELECT created_at FROM tasks WHERE num = 2")
UPDATED=$(when_of "SELECT updated_at FROM tasks WHERE num = 2")
expect_out "Task 2  Fix bug
  id         $ID2
  status     todo
  due        2030-01-15
  tags       cli, urgent
  priority   high
  created    $CREATED by tester
  updated    $UPDATED
  tracked    0s

It crashes" "show of a fresh task"
run show --json 2
expect_rc 0 "show --json"
expect_json "list(d.keys()) == $TASK_KEYS + ['tracked_seconds', 'entries', 'comments']" \
    "show --json keys"
expect_json "d['tracked_seconds'] == 0 and d['entries'] == [] and d['comments'] == []" \
    "show --json of a fresh task"
expect_json "d['id'] == '$ID2' and d['num'] == 2 and d['title'] == 'Fix bug'" \
    "show --json identity"

# --- show with entries and comments -----------------------------------------
run track 2 "$D3 09:00..10:30" --note "first look"
expect_rc 0 "track 1"
run track 2 "$D2 14:00..$D2 14:45"
expect_rc 0 "track 2"
run track 1 "$D2 16:00..17:00"
expect_rc 0 "track on another task"
run comment 2 "Needs a repro"
expect_rc 0 "comment"
run comment 2 "Found it"
C1=$(when_of "SELECT min(created_at) FROM comments")
C2=$(when_of "SELECT max(created_at) FROM comments")
run show 2
expect_rc 0 "show with entries"
expect_out "Task 2  Fix bug
  id         $ID2
  status     todo
  due        2030-01-15
  tags       cli, urgent
  priority   high
  created    $CREATED by tester
  updated    $UPDATED
  tracked    2h15m

It crashes

Time entries:
  @3   $D3 09:00–10:30   1h30m  first look
  @2   $D2 14:00–14:45     45m

Comments:
  $C1 tester: Needs a repro
  $C2 tester: Found it" "show with entries and comments"
run show --json 2
expect_json "d['tracked_seconds'] == 8100" "show --json tracked_seconds"
expect_json "[e['at'] for e in d['entries']] == [3, 2]" "entries oldest first with @N"
expect_json "all(list(e.keys()) == $ENTRY_KEYS for e in d['entries'])" \
    "entry keys in documented order"
expect_json "d['entries'][0]['notes'] == 'first look' and d['entries'][0]['origin'] == 'manual'" \
    "entry notes and origin"
expect_json "d['entries'][0]['duration_seconds'] == 5400 and d['entries'][0]['duration_minutes'] == 90" \
    "entry durations"
expect_json "d['entries'][0]['start_time'] == '${D3}T09:00:00.000Z' and d['entries'][0]['end_time'] == '${D3}T10:30:00.000Z'" \
    "entry times in UTC"
expect_json "d['entries'][1]['running'] is False and d['entries'][1]['task_num'] == 2 and d['entries'][1]['task_title'] == 'Fix bug'" \
    "entry task fields"
expect_json "d['entries'][1]['user_id'] == '$USER_ID' and d['entries'][1]['task_id'] == '$ID2'" \
    "entry ids"
expect_json "all(list(c.keys()) == $COMMENT_KEYS for c in d['comments'])" \
    "comment keys in documented order"
expect_json "[c['body'] for c in d['comments']] == ['Needs a repro', 'Found it']" \
    "comment bodies oldest first"
expect_json "d['comments'][0]['author'] == 'tester' and d['comments'][0]['author_id'] == '$USER_ID' and d['comments'][0]['task_id'] == '$ID2'" \
    "comment author"

# --- edit each field ----------------------------------------------------------
run edit 2 --title "Fix the crash"
expect_rc 0 "edit --title"
expect_out "Updated task 2: Fix the crash" "edit --title output"
expect_err "" "edit stderr"
expect_sql "SELECT title FROM tasks WHERE num = 2" "Fix the crash" "title changed"
run edit 2 -d "Segfault on start"
expect_sql "SELECT description FROM tasks WHERE num = 2" "Segfault on start" \
    "description changed"
run edit 2 --description ""
expect_rc 0 "edit empty description"
expect_sql "SELECT description FROM tasks WHERE num = 2" "" "description cleared"
run edit 2 --status doing
expect_rc 0 "edit --status doing"
expect_sql "SELECT status FROM tasks WHERE num = 2" "in_progress" "status alias"
run edit 2 --status bogus
expect_rc 1 "edit --status bogus"
expect_err "tock: invalid status 'bogus' (use todo, in_progress, done or cancelled)" \
    "bad status message"
run edit 2 --due 2031-05-01 --json
expect_rc 0 "edit --due"
expect_json "d['due_date'] == '2031-05-01'" "due changed"
expect_json "list(d.keys()) == $TASK_KEYS" "edit --json shape"
run edit 2 --due none --json
expect_json "d['due_date'] is None" "--due none clears it"
expect_sql "SELECT due_date IS NULL FROM tasks WHERE num = 2" "1" "due_date NULL in the row"
run edit 2 --due bogus
expect_rc 1 "edit --due bogus"
run edit 2 --assign me --json
expect_json "d['assignee_id'] == '$USER_ID' and d['assignee'] == 'tester'" "--assign me"
run show 2
printf '%s\n' "$OUT" | grep -qx '  assignee   tester' || fail "show names the assignee: $OUT"
run edit 2 --assign none --json
expect_json "d['assignee_id'] is None and d['assignee'] is None" "--assign none"
run edit 2 --tag +ui --tag -cli --json
expect_rc 0 "edit --tag +/-"
expect_json "d['tags'] == ['urgent', 'ui']" "tags after +ui -cli"
run edit 2 --tag ui --tag -nosuch --json
expect_json "d['tags'] == ['urgent', 'ui']" "adding a present tag or removing an absent one changes nothing"
run edit 2 --tag -urgent --tag -ui --json
expect_json "d['tags'] == []" "all tags removed"
run edit 2 --priority low --json
expect_json "d['priority'] == 'low' and d['metadata'].get('priority') == 'low'" "--priority"
run edit 2 --priority none --json
expect_json "d['priority'] is None and 'priority' not in d['metadata']" "--priority none"
run edit 2 --meta sprint=12 --meta owner=ann --json
expect_rc 0 "edit --meta"
expect_json "d['metadata'].get('sprint') == '12' and d['metadata'].get('owner') == 'ann'" \
    "--meta k=v"
run edit 2 --meta sprint= --json
expect_json "'sprint' not in d['metadata'] and d['metadata'].get('owner') == 'ann'" \
    "--meta k= removes the key"
expect_sql "SELECT json_type(metadata, '\$.sprint') IS NULL FROM tasks WHERE num = 2" "1" \
    "metadata key gone from the row"
run edit 2 --meta "bad key=1"
expect_rc 1 "--meta bad key"
run edit 2 --title ""
expect_rc 1 "edit to an empty title"
expect_err "tock: title is empty" "edit empty title message"
run edit 2 --title "$(printf 'a\tb')"
expect_rc 1 "edit to a title with a control character"
expect_sql "SELECT title FROM tasks WHERE num = 2" "Fix the crash" "bad edits change nothing"
run edit 2
expect_rc 2 "edit with nothing to change"
case $ERR in
"tock: nothing to change"*) ;;
*) fail "edit with nothing to change: stderr '$ERR'" ;;
esac
run edit 2 --title a b
expect_rc 2 "edit with two tasks"

# --- references ---------------------------------------------------------------
run show 99
expect_rc 3 "show 99"
expect_err "tock: no open task number 99" "unknown number message"
expect_out "" "unknown number stdout"
run edit 99 --title x
expect_rc 3 "edit 99"
expect_err "tock: no open task number 99" "edit unknown number message"
run show 0
expect_rc 3 "show 0"
run show 99999
expect_rc 3 "show of a long number"
expect_err "tock: no task '99999'" "long number message"
run show 01a
expect_rc 3 "three hex digits are not a prefix"
run show zzzz
expect_rc 3 "not hex"
expect_err "tock: no task 'zzzz'" "not hex message"
run show "Fix the crash"
expect_rc 3 "a title is not a reference"

# Unique prefixes: with and without dashes, any case.
P=$(echo "$ID2" | cut -c1-23)
run show --json "$P"
expect_rc 0 "show by a dashed prefix"
expect_json "d['id'] == '$ID2'" "dashed prefix finds the task"
run show --json "$ID2"
expect_rc 0 "show by the full id"
expect_json "d['id'] == '$ID2'" "full id finds the task"
PND=$(echo "$P" | tr -d -)
run show --json "$PND"
expect_rc 0 "show by a prefix without dashes"
expect_json "d['id'] == '$ID2'" "undashed prefix finds the task"
PUP=$(echo "$P" | tr a-f A-F)
run show --json "$PUP"
expect_rc 0 "show by an upper-case prefix"
expect_json "d['id'] == '$ID2'" "upper-case prefix finds the task"
run edit "$PUP" --title "By prefix"
expect_rc 0 "edit by an upper-case prefix"
expect_out "Updated task 2: By prefix" "edit by prefix names the number"

# A closed task is reached by prefix only, and shown by it.
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
P1=$(echo "$ID1" | cut -c1-13)
run done 1
run show 1
expect_rc 3 "a done task has no number"
run show "$(echo "$ID1" | cut -c1-23)"
expect_rc 0 "show a done task by prefix"
printf '%s\n' "$OUT" | head -n 1 | grep -qx "Task $P1  Write tests" ||
    fail "done task header: $OUT"
run rm 2
run show "$P"
expect_rc 0 "show a deleted task"
printf '%s\n' "$OUT" | head -n 1 | grep -qx "Task $(echo "$ID2" | cut -c1-13) (deleted)  By prefix" ||
    fail "deleted task header: $OUT"
run show --json "$P"
expect_json "d['deleted'] is True and d['num'] is None" "deleted task json"

# Ambiguous prefixes: ids are UUIDv7, so tasks made within the same minute
# share their first 8 hex digits.  Make some, then use a shared prefix.
for i in 1 2 3 4 5 6; do
	run add "Same time $i"
done
expect_rc 0 "more tasks"
PFX=$(sql "SELECT substr(id, 1, 4) FROM tasks GROUP BY substr(id, 1, 4)
    HAVING count(*) >= 2 ORDER BY count(*) DESC LIMIT 1")
N=$(sql "SELECT count(*) FROM tasks WHERE id LIKE '$PFX%'")
check "there is a shared 4-digit prefix ($PFX, $N tasks)" [ "${N:-0}" -ge 2 ]
CANDS=$(sql "SELECT substr(id, 1, 13) FROM tasks WHERE id LIKE '$PFX%'
    ORDER BY id LIMIT 5" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
MORE=""
[ "$N" -gt 5 ] && MORE=", ..."
run show "$PFX"
expect_rc 4 "ambiguous prefix"
expect_err "tock: task '$PFX' is ambiguous: $CANDS$MORE" "ambiguous prefix message"
expect_out "" "ambiguous prefix stdout"
run edit "$PFX" --title x
expect_rc 4 "edit by an ambiguous prefix"
run done "$PFX"
expect_rc 4 "done by an ambiguous prefix"
PFX8=$(sql "SELECT substr(id, 1, 8) FROM tasks GROUP BY substr(id, 1, 8)
    HAVING count(*) >= 2 LIMIT 1")
if [ -n "$PFX8" ]; then
	run show "$PFX8"
	expect_rc 4 "ambiguous 8-digit prefix"
	run show "$(echo "$PFX8" | tr a-f A-F)"
	expect_rc 4 "ambiguous upper-case prefix"
	run show "$PFX8-"
	expect_rc 4 "ambiguous prefix ending in a dash"
fi

finish
