#!/bin/sh
# t3003-import: tock import of real Timewarrior and Taskwarrior data.  The
# data is made with the tools themselves (in this test's own home), taken
# out with `timew export` and `task export`, imported, and every field is
# checked in the database; then imported again, which creates nothing.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

for tool in timew task; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "FAIL $TEST_NAME: '$tool' is not installed: the import" \
		    "tests need Timewarrior and Taskwarrior" \
		    "(sh scripts/deps.sh test)" >&2
		exit 1
	fi
done

export TIMEWARRIORDB="$TMP/timew" TASKRC="$TMP/taskrc" TASKDATA="$TMP/task"
mkdir -p "$TIMEWARRIORDB" "$TASKDATA"
: >"$TASKRC"
tw() {
	timew "$@" :yes </dev/null >/dev/null 2>"$TMP/tool.err" ||
		fail "timew $*: $(cat "$TMP/tool.err")"
}
tk() {
	task rc.confirmation=off rc.hooks=off rc.verbose=nothing "$@" \
	    </dev/null >/dev/null 2>"$TMP/tool.err" ||
		fail "task $*: $(cat "$TMP/tool.err")"
}
# ms UTC: Unix milliseconds of a UTC time
ms() {
	echo $(($(date -u -d "$1" +%s) * 1000))
}

# --- Timewarrior -----------------------------------------------------------------
tw track 2024-01-10T09:00:00Z - 2024-01-10T10:30:00Z "Write report" work
tw track 2024-01-11T09:00:00Z - 2024-01-11T10:00:00Z "Write report" q4
tw annotate @1 'second draft, "final"'
tw track 2024-01-12T13:00:00Z - 2024-01-12T13:45:00Z "Café ☕" 'two words'
tw track 2024-01-13T08:00:00Z - 2024-01-13T08:30:00Z
tw track 2024-01-14T08:00:00Z - 2024-01-14T09:00:00Z meeting standup
tw start 2024-01-15T08:00:00Z "Write report"
timew export </dev/null >"$TMP/tw.json"
COUNT=$((COUNT + 1))
[ "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
    "$TMP/tw.json")" = 6 ] || fail "timew export has 6 intervals: $(cat "$TMP/tw.json")"

run import timewarrior "$TMP/tw.json" --map standup=Standups
expect_rc 0 "import timewarrior"
expect_out "Imported 3 tasks, 6 time entries, 0 comments; skipped 0 bad records; 0 already imported" \
    "import timewarrior summary"
expect_err "" "import timewarrior is quiet"
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
expect_sql "SELECT t.title, e.start_time, e.end_time, e.origin, e.notes,
    e.user_id = '$USER_ID'
    FROM time_entries e LEFT JOIN tasks t ON t.id = e.task_id
    ORDER BY e.start_time" \
"Write report|$(ms 2024-01-10T09:00:00Z)|$(ms 2024-01-10T10:30:00Z)|manual||1
Write report|$(ms 2024-01-11T09:00:00Z)|$(ms 2024-01-11T10:00:00Z)|manual|second draft, \"final\"|1
Café ☕|$(ms 2024-01-12T13:00:00Z)|$(ms 2024-01-12T13:45:00Z)|manual||1
|$(ms 2024-01-13T08:00:00Z)|$(ms 2024-01-13T08:30:00Z)|manual||1
Standups|$(ms 2024-01-14T08:00:00Z)|$(ms 2024-01-14T09:00:00Z)|manual||1
Write report|$(ms 2024-01-15T08:00:00Z)||timer||1" \
    "every interval, its task, times and annotation"
# Tags: the first one names the task, the others are the task's tags.
expect_sql "SELECT title, metadata FROM tasks ORDER BY title" \
"Café ☕|{\"tags\":[\"two-words\"]}
Standups|{\"tags\":[\"meeting\"]}
Write report|{\"tags\":[\"work\",\"q4\"]}" "tasks and their tags"
expect_sql "SELECT source, count(*) FROM import_map GROUP BY source" \
    "timewarrior|6" "every interval is remembered"
expect_sql "SELECT source_id FROM import_map ORDER BY source_id LIMIT 1" \
    "20240110T090000Z" "by its start time"
# Every row went through the outbox, to sync later.
expect_sql "SELECT entity || ':' || kind, count(*) FROM outbox
    WHERE entity != 'workspace' GROUP BY 1 ORDER BY 1" \
"task:create|3
task:set|1
time_entry:create|5
time_entry:timer.start|1" "imported rows are in the outbox"
run status --format '%t'
expect_out "Write report" "the open interval is the running timer"

# Again: nothing new, nothing queued.
SEQ=$(last_seq)
run import timewarrior "$TMP/tw.json" --map standup=Standups
expect_rc 0 "import timewarrior again"
expect_out "Imported 0 tasks, 0 time entries, 0 comments; skipped 0 bad records; 6 already imported" \
    "a second import creates nothing"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $SEQ" "0" \
    "a second import queues nothing"
expect_sql "SELECT count(*) FROM time_entries" "6" "no duplicate entries"

# The open interval ends in Timewarrior: importing again stops the timer.
tw stop 2024-01-15T09:15:00Z
timew export </dev/null >"$TMP/tw2.json"
"$TOCK" import timewarrior - <"$TMP/tw2.json" >"$TMP/out" 2>"$TMP/err"
RC=$?
COUNT=$((COUNT + 1))
expect_rc 0 "import from stdin"
expect_sql "SELECT end_time FROM time_entries WHERE start_time = $(ms 2024-01-15T08:00:00Z)" \
    "$(ms 2024-01-15T09:15:00Z)" "the timer is stopped where timew stopped"
run status
expect_rc 1 "nothing runs any more"

# Bad records are reported with their line and skipped; the rest goes in.
python3 - "$TMP/tw2.json" "$TMP/bad.json" <<'EOF'
import json, sys
ivs = json.load(open(sys.argv[1]))
ivs.append({"id": 90, "start": "20240120T090000Z", "end": "20240120T100000Z",
            "tags": ["New task"]})
out = [json.dumps(i) for i in ivs]
out.insert(2, '{"id": 91, "start": "20240121T25:00:00Z"}')
out.insert(4, '{"id": 92, "start": "20240122T090000Z", "tags": "oops"}')
out.insert(5, '{"id": 93, "start": "20240123T090000Z", "end": }')
open(sys.argv[2], 'w').write('[\n' + ',\n'.join(out) + '\n]\n')
EOF
run import timewarrior "$TMP/bad.json"
expect_rc 1 "bad records make the exit status 1"
expect_out "Imported 1 tasks, 1 time entries, 0 comments; skipped 3 bad records; 6 already imported" \
    "bad records summary"
expect_err "tock: $TMP/bad.json: record 3 (line 4): field 'start' is not a time like 20240110T090000Z: '20240121T25:00:00Z'
tock: $TMP/bad.json: record 5 (line 6): field 'tags' must be an array of strings
tock: $TMP/bad.json: record 6 (line 7): malformed JSON near byte 48 of the record" \
    "each bad record on its own line"
expect_sql "SELECT count(*) FROM tasks WHERE title = 'New task'" "1" \
    "the good record after bad ones is in"

run --json import timewarrior "$TMP/bad.json"
expect_rc 1 "import --json with bad records"
expect_json 'd["records"] == 10 and d["already_imported"] == 7 and
    d["skipped"] == 3 and d["time_entries"] == 0 and d["format"] ==
    "timewarrior" and not d["dry_run"]' "import --json counts"
expect_json '[(e["where"], e["line"]) for e in d["errors"]] ==
    [("record 3", 4), ("record 5", 6), ("record 6", 7)]' "import --json errors"

run import timewarrior "$TMP/nothere.json"
expect_rc 3 "a missing file"
expect_err "tock: cannot open '$TMP/nothere.json': No such file or directory" \
    "missing file message"
printf '[{"start":"20240110T090000Z"' >"$TMP/cut.json"
run import timewarrior "$TMP/cut.json"
expect_rc 1 "cut-short input"
expect_err "tock: cannot find the end of record 1 (line 1): the JSON is cut short or its brackets do not match" \
    "cut-short message"
# Too big: refused from its size, before a byte is read (a sparse file).
truncate -s 600M "$TMP/big.json"
run import timewarrior "$TMP/big.json"
expect_rc 1 "a file over 512 MiB"
expect_err "tock: '$TMP/big.json' is too big (629145600 bytes, at most 512 MiB)" \
    "too big message"
rm -f "$TMP/big.json"

# Progress on stderr for a large import, even into a file.
python3 - "$TMP/many.json" <<'EOF'
import json, sys
ivs = [{"start": "2023%02d%02dT%02d%02d00Z" % (1 + i // 2800, 1 + i // 100 % 28,
        i % 100 // 10, i % 10 * 5),
        "end": "2023%02d%02dT%02d%02d00Z" % (1 + i // 2800, 1 + i // 100 % 28,
        i % 100 // 10, i % 10 * 5 + 4), "tags": ["bulk"]} for i in range(6000)]
open(sys.argv[1], 'w').write(json.dumps(ivs))
EOF
export TOCK_DB="$TMP/data/tock/many.db"
run import timewarrior "$TMP/many.json"
expect_rc 0 "a large import"
expect_out "Imported 1 tasks, 6000 time entries, 0 comments; skipped 0 bad records; 0 already imported" \
    "large import summary"
case $ERR in
"importing 2000/6000"*) ;;
*) fail "progress on stderr: '$ERR'" ;;
esac
export TOCK_DB="$TMP/data/tock/tock.db"

run import timewarrior "$TMP/tw.json" --map '=x'
expect_rc 2 "a bad --map"
run import watson "$TMP/tw.json" --map a=b
expect_rc 2 "--map is for timewarrior"
run import toggl "$TMP/tw.json"
expect_rc 2 "an unknown format"
run import timewarrior
expect_rc 2 "no file"

# --- Taskwarrior ----------------------------------------------------------------
export TOCK_DB="$TMP/data/tock/task.db"
tk add "Buy milk" project:home.errands due:2024-02-01 priority:H +shop +urgent
tk 1 annotate "check the fridge, twice"
tk add "Write code" +dev
tk 2 start
tk add "Finished thing" priority:L
tk "/Finished thing/" done
tk add "Dropped thing"
tk "/Dropped thing/" delete
tk add "Later" wait:2030-01-01
tk rc.journal.time=on add "Journalled"
tk rc.journal.time=on /Journalled/ start
sleep 1
tk rc.journal.time=on /Journalled/ stop
task rc.verbose=nothing rc.hooks=off export </dev/null >"$TMP/task.json"
COUNT=$((COUNT + 1))
python3 - "$TMP/task.json" <<'EOF' || fail "task export has 6 tasks"
import json, sys
ts = json.load(open(sys.argv[1]))
assert len(ts) == 6, ts
EOF
uuid_of() {
	python3 -c 'import json, sys
print([t["uuid"] for t in json.load(open(sys.argv[1]))
       if t["description"] == sys.argv[2]][0])' "$TMP/task.json" "$1"
}
field_of() {
	python3 -c 'import json, sys, datetime
t = [t for t in json.load(open(sys.argv[1])) if t["description"] == sys.argv[2]][0]
v = t[sys.argv[3]]
print(int(datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()) * 1000)' "$TMP/task.json" "$1" "$2"
}
MILK=$(uuid_of "Buy milk")
CODE=$(uuid_of "Write code")
FIN=$(uuid_of "Finished thing")
DROP=$(uuid_of "Dropped thing")
LATER=$(uuid_of "Later")
JOUR=$(uuid_of "Journalled")

run import taskwarrior "$TMP/task.json"
expect_rc 0 "import taskwarrior"
expect_out "Imported 6 tasks, 2 time entries, 1 comments; skipped 0 bad records; 0 already imported" \
    "import taskwarrior summary"
expect_sql "SELECT id, title, status, deleted, coalesce(due_date, '-'),
    metadata FROM tasks ORDER BY title" \
"$MILK|Buy milk|todo|0|2024-02-01|{\"priority\":\"H\",\"tags\":[\"shop\",\"urgent\",\"home.errands\"]}
$DROP|Dropped thing|todo|1|-|{}
$FIN|Finished thing|done|0|-|{\"priority\":\"L\"}
$JOUR|Journalled|todo|0|-|{}
$LATER|Later|todo|0|-|{}
$CODE|Write code|in_progress|0|-|{\"tags\":[\"dev\"]}" \
    "uuid, title, status, due, priority, tags and project"
expect_sql "SELECT created_at, updated_at FROM tasks WHERE id = '$MILK'" \
    "$(field_of "Buy milk" entry)|$(field_of "Buy milk" modified)" \
    "entry and modified"
expect_sql "SELECT task_id, body, created_at, author_id = '$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")' FROM comments" \
    "$MILK|check the fridge, twice|$(python3 -c 'import json, sys, datetime
t = [t for t in json.load(open(sys.argv[1])) if t["description"] == "Buy milk"][0]
print(int(datetime.datetime.strptime(t["annotations"][0]["entry"],
    "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000)' "$TMP/task.json")|1" \
    "an annotation is a comment"
expect_sql "SELECT task_id, start_time, end_time IS NULL, origin FROM time_entries
    ORDER BY origin DESC" \
"$CODE|$(field_of "Write code" start)|1|timer
$(python3 -c 'import json, sys, datetime
t = [t for t in json.load(open(sys.argv[1])) if t["description"] == "Journalled"][0]
a = t["annotations"]
f = lambda s: int(datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()) * 1000
print("%s|%d|0|manual" % (t["uuid"], f(a[0]["entry"])))' "$TMP/task.json")" \
    "an active task runs; journal.time start/stop is a closed entry"
expect_sql "SELECT count(*) FROM time_entries t WHERE task_id = '$JOUR' AND
    end_time = (SELECT $(field_of "Journalled" modified))" "1" \
    "the journal stop is the entry's end"
expect_sql "SELECT entity || ':' || kind, count(*) FROM outbox
    WHERE entity != 'workspace' GROUP BY 1 ORDER BY 1" \
"comment:create|1
task:create|6
task:delete|1
time_entry:create|1
time_entry:timer.start|1" "taskwarrior rows are in the outbox"
run ls
expect_match "Buy milk" "ls shows the imported tasks"

SEQ=$(last_seq)
run import taskwarrior "$TMP/task.json"
expect_rc 0 "import taskwarrior again"
expect_out "Imported 0 tasks, 0 time entries, 0 comments; skipped 0 bad records; 6 already imported" \
    "a second taskwarrior import creates nothing"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $SEQ" "0" \
    "and queues nothing"

# A new annotation in Taskwarrior: only it is new.
tk "$MILK" annotate "and bread"
task rc.verbose=nothing rc.hooks=off export </dev/null >"$TMP/task2.json"
run import taskwarrior "$TMP/task2.json" --dry-run
expect_rc 0 "dry run"
expect_out "Would import 0 tasks, 0 time entries, 1 comments; skipped 0 bad records; 5 already imported" \
    "dry run summary"
expect_sql "SELECT count(*) FROM comments" "1" "a dry run writes nothing"
run import taskwarrior "$TMP/task2.json"
expect_out "Imported 0 tasks, 0 time entries, 1 comments; skipped 0 bad records; 5 already imported" \
    "only the new annotation"
expect_sql "SELECT body FROM comments ORDER BY body" \
"and bread
check the fridge, twice" "both annotations"

# A description over 200 characters is a bad record, not a cut title.
python3 - "$TMP/task.json" "$TMP/long.json" <<'EOF'
import json, sys
ts = json.load(open(sys.argv[1]))
ts[0] = dict(ts[0], uuid="0b0b0b0b-0000-4000-8000-000000000001",
             description="x" * 201)
open(sys.argv[2], 'w').write(json.dumps(ts))
EOF
run import taskwarrior "$TMP/long.json"
expect_rc 1 "a long description"
case $ERR in
"tock: $TMP/long.json: record 1 (line 1): description: title is too long (201 characters, at most 200)") ;;
*) fail "long description: stderr '$ERR'" ;;
esac

finish
