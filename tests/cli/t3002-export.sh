#!/bin/sh
# t3002-export: tock export as JSON (the documented, versioned shape), CSV
# (read back with Python's csv module) and iCalendar (read back with
# python3-icalendar), over the whole replica and over a range, to stdout
# and with -o; what is refused; and the round trip through
# `tock import tock` into fresh replicas.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# python3-icalendar is a Debian package: the python3 on PATH may be
# another one (pyenv), so find one that has it.
ICALPY=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import icalendar' 2>/dev/null; then
		ICALPY=$py
		break
	fi
done
if [ -z "$ICALPY" ]; then
	echo "FAIL $TEST_NAME: python3-icalendar is not installed" \
	    "(sh scripts/deps.sh test)" >&2
	exit 1
fi

# --- an empty replica ----------------------------------------------------------
run export
expect_rc 0 "export of an empty replica"
expect_json 'd["format"] == "tock-export" and d["version"] == 1' \
    "format and version"
expect_json 'd["tasks"] == [] and d["time_entries"] == [] and
    d["comments"] == []' "empty lists"
expect_json 'd["since"] is None and d["until"] is None' "no range"
expect_json 'list(d.keys()) == ["format", "version", "exported_at", "since",
    "until", "user_id", "workspace_id", "users", "tasks", "time_entries",
    "comments"]' "top-level keys in order"
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
WS_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
expect_json "d['user_id'] == '$USER_ID' and d['workspace_id'] == '$WS_ID'" \
    "the exporting replica"
expect_json "d['users'] == [{'id': '$USER_ID', 'name': 'tester',
    'email': None}]" "the local user"

# --- data with everything awkward in it ------------------------------------
run add "Write report, \"Q4\"" --tag work --tag q4 --priority high \
    --due 2026-12-01 -d 'Numbers; more numbers
and a second line'
run add "Café ☕ review"
run add "Old thing"
run add "Dropped"
NOTE_LONG=$(python3 -c 'print("ünïcödé " * 30 + "end")')
run track 1 "2024-01-10T09:00..2024-01-10T10:30" --note 'draft, with "quotes"'
expect_rc 0 "track 1"
run track 2 "2024-01-11T09:00..2024-01-11T10:00" --note "$NOTE_LONG"
run track 1 "2024-01-12T23:30..2024-01-13T00:45" --note 'line one
line two;semi\back'
run track 3 "2024-02-01T09:00..2024-02-01T09:30"
run comment 1 'Looks good, ship it'
run done 3
run rm 4
run start 2 --at -5m
expect_rc 0 "start a timer"
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")
ID3=$(sql "SELECT id FROM tasks WHERE title = 'Old thing'")
ID4=$(sql "SELECT id FROM tasks WHERE title = 'Dropped'")

run export
expect_rc 0 "export json"
expect_err "" "export json is quiet"
printf '%s\n' "$OUT" >"$TMP/a.json"
expect_json 'len(d["tasks"]) == 4 and len(d["time_entries"]) == 5 and
    len(d["comments"]) == 1' "everything is exported"
expect_json "[t['id'] for t in d['tasks']] == sorted(t['id'] for t in
    d['tasks'])" "tasks in id order"
expect_json "[t for t in d['tasks'] if t['id'] == '$ID4'][0]['deleted']" \
    "a deleted task is exported, marked deleted"
expect_json "[t for t in d['tasks'] if t['id'] == '$ID3'][0]['status'] ==
    'done'" "a done task"
"$TOCK" show --json 1 >"$TMP/show1.json"
COUNT=$((COUNT + 1))
python3 - "$TMP/a.json" "$TMP/show1.json" "$ID1" <<'EOF' ||
import json, sys
a = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
for k in ("tracked_seconds", "entries", "comments"):
    del s[k]
t = [t for t in a["tasks"] if t["id"] == sys.argv[3]][0]
assert t == s, (t, s)
EOF
	fail "a task is exported exactly as --json shows it"
expect_json '[e["start_time"] for e in d["time_entries"]] ==
    sorted(e["start_time"] for e in d["time_entries"])' \
    "entries in start order"
expect_json 'd["time_entries"][0]["notes"] == "draft, with \"quotes\"" and
    d["time_entries"][0]["start_time"] == "2024-01-10T09:00:00.000Z" and
    d["time_entries"][0]["end_time"] == "2024-01-10T10:30:00.000Z"' \
    "first entry"
expect_json '"at" not in d["time_entries"][0]' "no @N in an export"
expect_json 'd["time_entries"][-1]["running"] and
    d["time_entries"][-1]["end_time"] is None' "the running entry"
expect_json "d['comments'][0]['body'] == 'Looks good, ship it' and
    d['comments'][0]['task_id'] == '$ID1'" "the comment"
# One record a line, so that an import can say which line is bad.
COUNT=$((COUNT + 1))
[ "$(grep -c '^{"id":' "$TMP/a.json")" = 11 ] ||
	fail "one record a line: $(head -c 300 "$TMP/a.json")"
run --json export
expect_json 'd["format"] == "tock-export"' "--json changes nothing"

# --- a range --------------------------------------------------------------------
run export --since 2024-01-11 --until 2024-01-13
expect_rc 0 "export a range"
expect_json 'd["since"] == "2024-01-11T00:00:00.000Z" and
    d["until"] == "2024-01-13T00:00:00.000Z"' "the range is stated"
expect_json '[e["start_time"][:10] for e in d["time_entries"]] ==
    ["2024-01-11", "2024-01-12"]' "entries overlapping the range"
expect_json "sorted(t['id'] for t in d['tasks']) == sorted(['$ID1', '$ID2'])" \
    "the tasks of those entries"
expect_json 'd["comments"] == []' "no comment was made in the range"
run export --since 2024-01-13T00:30 --until 2024-01-13T01:00
expect_json 'len(d["time_entries"]) == 1 and
    d["time_entries"][0]["start_time"] == "2024-01-12T23:30:00.000Z"' \
    "an entry across midnight overlaps a range after its start"

# --- CSV ----------------------------------------------------------------------
"$TOCK" export --format csv >"$TMP/e.csv"
COUNT=$((COUNT + 1))
python3 - "$TMP/e.csv" "$ID1" "$NOTE_LONG" <<'EOF' || fail "csv entries"
import csv, sys
raw = open(sys.argv[1], 'rb').read()
# RFC 4180: every record ends in CRLF, no bare LF outside quotes.
assert raw.endswith(b'\r\n'), raw[-20:]
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
assert rows[0] == ['id', 'task_id', 'task_num', 'task_title', 'tags',
    'start', 'end', 'duration_minutes', 'notes', 'user_id'], rows[0]
rows = rows[1:]
assert len(rows) == 5, len(rows)
r = rows[0]
assert r[1] == sys.argv[2] and r[2] == '1', r
assert r[3] == 'Write report, "Q4"', r[3]
assert r[4] == 'work,q4', r[4]
assert r[5] == '2024-01-10T09:00:00+00:00' and r[6] == '2024-01-10T10:30:00+00:00', r
assert r[7] == '90', r[7]
assert r[8] == 'draft, with "quotes"', r[8]
assert rows[1][8] == sys.argv[3], rows[1][8]
assert rows[2][8] == 'line one\nline two;semi\\back', repr(rows[2][8])
assert rows[2][7] == '75', rows[2][7]
assert rows[3][2] == '', rows[3]          # a done task has no number
assert rows[4][6] == '' and rows[4][7] == '5', rows[4]   # running
EOF
COUNT=$((COUNT + 1))
grep -q '"draft, with ""quotes"""' "$TMP/e.csv" ||
	fail "csv doubles quotes inside a quoted field"
TZ=Asia/Kolkata "$TOCK" export --format csv >"$TMP/k.csv"
COUNT=$((COUNT + 1))
grep -q '2024-01-10T14:30:00+05:30' "$TMP/k.csv" ||
	fail "csv times are local with the offset"

"$TOCK" export --format csv --what tasks >"$TMP/t.csv"
COUNT=$((COUNT + 1))
python3 - "$TMP/t.csv" "$ID1" "$ID4" <<'EOF' || fail "csv tasks"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
assert len(rows) == 4, rows
t = [r for r in rows if r['id'] == sys.argv[2]][0]
assert t['title'] == 'Write report, "Q4"' and t['num'] == '1', t
assert t['description'] == 'Numbers; more numbers\nand a second line', t
assert t['tags'] == 'work,q4' and t['priority'] == 'high', t
assert t['due_date'] == '2026-12-01' and t['status'] == 'todo', t
assert [r for r in rows if r['id'] == sys.argv[3]][0]['deleted'] == 'true'
assert list(rows[0].keys()) == ['id', 'num', 'title', 'description',
    'status', 'tags', 'priority', 'due_date', 'assignee_id', 'created_by',
    'created_at', 'updated_at', 'deleted'], rows[0].keys()
EOF
"$TOCK" export --format csv --what comments >"$TMP/c.csv"
COUNT=$((COUNT + 1))
python3 - "$TMP/c.csv" <<'EOF' || fail "csv comments"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
assert len(rows) == 1 and rows[0]['body'] == 'Looks good, ship it', rows
assert rows[0]['author'] == 'tester', rows
EOF

# --- iCalendar ----------------------------------------------------------------
"$TOCK" export --format ical >"$TMP/x.ics"
COUNT=$((COUNT + 1))
"$ICALPY" - "$TMP/x.ics" "$ID1" "$ID2" "$NOTE_LONG" <<'EOF' || fail "ical"
import sys, datetime
import icalendar
raw = open(sys.argv[1], 'rb').read()
# RFC 5545: CRLF only, no line over 75 octets, folding never inside a
# UTF-8 sequence (each physical line decodes on its own).
lines = raw.split(b'\r\n')
assert lines[-1] == b'' and b'\n' not in raw.replace(b'\r\n', b''), 'CRLF'
for l in lines:
    assert len(l) <= 75, (len(l), l)
    l.decode('utf-8')
assert any(l.startswith(b' ') for l in lines), 'something was folded'
cal = icalendar.Calendar.from_ical(raw)
assert cal['VERSION'] == '2.0' and 'tock' in str(cal['PRODID']), cal
todos = [c for c in cal.walk() if c.name == 'VTODO']
events = [c for c in cal.walk() if c.name == 'VEVENT']
assert len(todos) == 3, len(todos)          # the deleted task is not one
assert len(events) == 5, len(events)
t = [c for c in todos if str(c['UID']) == sys.argv[2]][0]
assert str(t['SUMMARY']) == 'Write report, "Q4"', t['SUMMARY']
assert str(t['DESCRIPTION']) == 'Numbers; more numbers\nand a second line'
assert t.decoded('DUE') == datetime.date(2026, 12, 1), t['DUE']
assert str(t['PRIORITY']) == '1'
cats = t['CATEGORIES']
cats = cats.cats if hasattr(cats, 'cats') else cats
assert [str(c) for c in cats] == ['work', 'q4'], cats
statuses = sorted(str(c['STATUS']) for c in todos)
assert statuses == ['COMPLETED', 'IN-PROCESS', 'NEEDS-ACTION'], statuses
assert all('DTSTAMP' in c for c in todos + events)
e = events[0]
assert str(e['SUMMARY']) == 'Write report, "Q4"'
assert str(e['DESCRIPTION']) == 'draft, with "quotes"'
utc = datetime.timezone.utc
assert e.decoded('DTSTART') == datetime.datetime(2024, 1, 10, 9, 0, tzinfo=utc)
assert e.decoded('DTEND') == datetime.datetime(2024, 1, 10, 10, 30, tzinfo=utc)
assert str(e['RELATED-TO']) == sys.argv[2]
assert str(events[1]['DESCRIPTION']) == sys.argv[4], events[1]['DESCRIPTION']
assert str(events[2]['DESCRIPTION']) == 'line one\nline two;semi\\back'
run = events[4]
assert str(run['X-TOCK-RUNNING']) == 'TRUE' and str(run['RELATED-TO']) == sys.argv[3]
d = run.decoded('DTEND') - run.decoded('DTSTART')
assert datetime.timedelta(minutes=4) < d < datetime.timedelta(minutes=7), d
EOF

# --- -o FILE --------------------------------------------------------------------
run export --format csv -o "$TMP/out.csv"
expect_rc 0 "export -o"
expect_out "" "export -o prints nothing"
check "export -o writes the file" cmp -s "$TMP/out.csv" "$TMP/e.csv"
check "no temporary file is left" [ "$(ls "$TMP" | grep -c 'out.csv.')" = 0 ]
run export -o "$TMP/nodir/x.json"
expect_rc 1 "export -o into a missing directory"
case $ERR in
"tock: cannot create '$TMP/nodir/x.json': No such file or directory") ;;
*) fail "export -o into a missing directory: stderr '$ERR'" ;;
esac

# --- refused --------------------------------------------------------------------
run export --format xml
expect_rc 2 "unknown format"
run export --what tasks
expect_rc 2 "--what without csv"
run export extra
expect_rc 2 "an argument"
run export --since 2024-02-01 --until 2024-01-01
expect_rc 1 "until before since"
expect_err "tock: --until must be after --since" "until before since message"
run export --since 'not a time'
expect_rc 1 "a bad time"

# --- round trip: export, import tock into a fresh replica, export again ------
# The same file comes out.  Two things are the replica's and not the
# data's, and are mapped, as import.h says: the exporting user and
# workspace become the importing replica's own; and a stopped 'timer' entry
# comes back as 'manual' (with no end_src), since a new timer entry would
# end every later timer entry under SYNC.md 3.11.  A second round trip from
# there is byte-identical but for exported_at and those ids.
export TOCK_DB="$TMP/data/tock/rt-a.db"
A_DB=$TOCK_DB

# --- a replica with a bit of everything -------------------------------------
run add "First, \"quoted\"" --tag work --tag q4 --priority high \
    --due 2026-12-01 -d 'Two
lines' --meta estimate=3h --meta owner=ann --assign me
run add "Second ☕" --tag café
run add "Third"
run add "Fourth, dropped"
run track 1 "2024-01-10T09:00..2024-01-10T10:30" --note 'a, "b"; c\d'
run track 2 "2024-01-11T09:00..2024-01-11T10:00"
run start 3 --at 2024-01-12T09:00
run stop --at 2024-01-12T09:45
run entry edit @1 --end 2024-01-12T09:50
run start 2 --at 2024-01-13T08:00
run stop --at 2024-01-13T08:20
run track 2 "2024-01-14T10:00..2024-01-14T11:00" --note "$(printf 'tab\there')"
run comment 1 "First comment"
run comment 2 'Über, "quoted"'
run done 1
run rm 4
run start 3 --at -10m
expect_rc 0 "the running timer"
expect_sql "SELECT num FROM tasks WHERE title = 'Second ☕'" "2" \
    "a number with a gap below it"

"$TOCK" export >"$TMP/a.json"
A_USER=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
A_WS=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")

# --- into a fresh replica ------------------------------------------------------
export TOCK_DB="$TMP/data/tock/b.db"
run import tock "$TMP/a.json"
expect_rc 0 "import tock"
expect_out "Imported 4 tasks, 6 time entries, 2 comments; skipped 0 bad records; 0 already imported" \
    "import tock summary"
B_USER=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
B_WS=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
check "the replicas differ" [ "$A_USER" != "$B_USER" ]
"$TOCK" export >"$TMP/b.json"
run status --format '%t'
expect_out "Third" "the running entry runs in the new replica"
expect_sql "SELECT entity || ':' || kind, count(*) FROM outbox
    WHERE entity != 'workspace' GROUP BY 1 ORDER BY 1" \
"comment:create|2
task:create|4
task:delete|1
time_entry:create|5
time_entry:timer.start|1" "imported rows are queued for sync"

# normalize A B: A with B's identity, timer entries made manual, running
# durations and exported_at dropped; then it must equal B exactly.
COUNT=$((COUNT + 1))
python3 - "$TMP/a.json" "$TMP/b.json" "$A_USER" "$B_USER" "$A_WS" "$B_WS" \
    <<'EOF' || fail "export, import, export: the same data"
import json, sys
a_text, b_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
a_user, b_user, a_ws, b_ws = sys.argv[3:7]
a = json.loads(a_text.replace(a_user, b_user).replace(a_ws, b_ws))
b = json.loads(b_text)
changed = 0
for e in a["time_entries"]:
    if e["origin"] == "timer" and e["end_time"] is not None:
        e["origin"] = "manual"
        e["end_src"] = None
        changed += 1
assert changed == 2, changed
for d in (a, b):
    del d["exported_at"]
    for e in d["time_entries"]:
        if e["running"]:
            del e["duration_seconds"], e["duration_minutes"]
for k in a:
    if a[k] != b[k]:
        if isinstance(a[k], list):
            for x, y in zip(a[k], b[k]):
                if x != y:
                    print(k, "\n", x, "\n", y, file=sys.stderr)
        raise SystemExit("%s differs:\n%s\n%s" % (k, a[k], b[k]))
assert list(a) == list(b)
assert len(b["tasks"]) == 4 and len(b["time_entries"]) == 6
EOF

# --- and once more: now nothing at all changes --------------------------------
export TOCK_DB="$TMP/data/tock/c.db"
run import tock "$TMP/b.json"
expect_out "Imported 4 tasks, 6 time entries, 2 comments; skipped 0 bad records; 0 already imported" \
    "second round trip summary"
C_USER=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
C_WS=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
"$TOCK" export >"$TMP/c.json"
COUNT=$((COUNT + 1))
python3 - "$TMP/b.json" "$TMP/c.json" "$B_USER" "$C_USER" "$B_WS" "$C_WS" \
    <<'EOF' || fail "a second round trip is byte-identical"
import json, re, sys
b, c = open(sys.argv[1]).read(), open(sys.argv[2]).read()
b = b.replace(sys.argv[3], sys.argv[4]).replace(sys.argv[5], sys.argv[6])
strip = lambda s: re.sub(r'"(exported_at|duration_seconds|duration_minutes)":("[^"]*"|[0-9]+)', '', s)
if strip(b) != strip(c):
    for x, y in zip(strip(b).splitlines(), strip(c).splitlines()):
        if x != y:
            print(x, "\n", y, file=sys.stderr)
    raise SystemExit(1)
EOF

# --- back into the first replica: all of it is already there -----------------
export TOCK_DB=$A_DB
SEQ=$(last_seq)
run import tock "$TMP/b.json"
expect_rc 0 "import into the replica it came from"
expect_out "Imported 0 tasks, 0 time entries, 0 comments; skipped 0 bad records; 12 already imported" \
    "nothing is new to the replica it came from"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $SEQ" "0" "nothing queued"

# --- a damaged file: the bad record is named, the rest goes in -------------------
export TOCK_DB="$TMP/data/tock/d.db"
python3 - "$TMP/a.json" "$TMP/bad.json" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split('\n')
i = [n for n, l in enumerate(lines) if l.startswith('"time_entries"')][0]
lines[i + 2] = lines[i + 2].replace('"start_time":"2024-01-11T09:00:00.000Z"',
                                    '"start_time":"yesterday"')
lines[i + 3] = lines[i + 3].replace('"origin":', '"origin" ', 1)
open(sys.argv[2], 'w').write('\n'.join(lines))
EOF
run import tock "$TMP/bad.json"
expect_rc 1 "a damaged tock export"
expect_out "Imported 4 tasks, 4 time entries, 2 comments; skipped 2 bad records; 0 already imported" \
    "damaged export summary"
LINE=$(grep -n '^"time_entries"' "$TMP/bad.json" | cut -d: -f1)
case $ERR in
"tock: $TMP/bad.json: time_entries[1] (line $((LINE + 2))): field 'start_time' must be a UTC time like 2026-11-25T09:30:00.000Z
tock: $TMP/bad.json: time_entries[2] (line $((LINE + 3))): malformed JSON near byte "*) ;;
*) fail "damaged export messages: stderr '$ERR'" ;;
esac

printf '{"format":"tock-export","version":2,"tasks":[]}' >"$TMP/v2.json"
run import tock "$TMP/v2.json"
expect_rc 1 "a newer export version"
expect_err "tock: tock export version 2 is not one this tock reads (1)" \
    "newer version message"

finish
