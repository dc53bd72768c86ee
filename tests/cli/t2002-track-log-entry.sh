#!/bin/sh
# t2002-track-log-entry: retroactive entries (tock track), the log grouped
# by day with @N numbers, entry edit and rm, and DST days.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

ENTRY_KEYS='["id", "at", "task_id", "task_num", "task_title", "user_id",
    "origin", "start_time", "end_time", "running", "duration_seconds",
    "duration_minutes", "notes", "end_src", "workspace_id"]'

# Days in the past, so that nothing here ends in the future whatever the
# time of day; D1 (yesterday) bounds the exact log listings.
D1=$(date -d '1 day ago' +%F)
D2=$(date -d '2 days ago' +%F)
D3=$(date -d '3 days ago' +%F)
DAY2=$(date -d "$D2" '+%a %d')		# how track names a day this week
DAY3=$(date -d "$D3" '+%a %d')
HEAD2=$(date -d "$D2" '+%a %Y-%m-%d')	# log day headings
HEAD3=$(date -d "$D3" '+%a %Y-%m-%d')

# One log line and a day total, as tock log prints them.
row() {
	printf '  %-5s %s–%-7s %7s  %3s  %s\n' "$@"
}
total() {
	printf '%18s%7s\n' '' "$1"
}

run add "one"
run add "two"
run add "three"
expect_rc 0 "setup"
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")

# --- track ------------------------------------------------------------------
run track 1 "$D3 22:00..01:30"
expect_rc 0 "track a range over midnight"
expect_out "Tracked 3h30m on 'one' (task 1): $DAY3 22:00–01:30" \
    "track over midnight output"
expect_err "" "track stderr"
expect_sql "SELECT start_time, end_time, origin, end_time - start_time
    FROM time_entries WHERE task_id = '$ID1'" \
    "$(ms_at "$D3 22:00")|$(ms_at "$D2 01:30")|manual|12600000" \
    "the bare end time is on the next day"
run track 2 "$D2 09:00..$D2 10:30" --note "review"
expect_rc 0 "track a full range"
expect_out "Tracked 1h30m on 'two' (task 2): $DAY2 09:00–10:30" "track range output"
run track 2 45m --at "$D2 13:00"
expect_rc 0 "track a duration --at"
expect_out "Tracked 45m on 'two' (task 2): $DAY2 13:00–13:45" "track --at output"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0" \
    "tracked entries are not running"
expect_sql "SELECT notes FROM time_entries WHERE start_time = $(ms_at "$D2 09:00")" \
    "review" "--note stored"

# --- log ------------------------------------------------------------------------
LOG="$HEAD3
$(row @3 22:00 01:30+1 3h30m 1 one)
$(total 3h30m)
$HEAD2
$(row @2 09:00 10:30 1h30m 2 'two — review')
$(row @1 13:00 13:45 45m 2 two)
$(total 2h15m)
Total 5h45m in 3 entries"
run log
expect_rc 0 "log"
expect_out "$LOG" "log groups by day, @1 newest"
expect_err "" "log stderr"
run log --since "$D3" --until "$D1"
expect_out "$LOG" "log --since --until"
run log --since "$D3" --until "$D2"
expect_out "$HEAD3
$(row @3 22:00 01:30+1 3h30m 1 one)
$(total 3h30m)
Total 3h30m in 1 entry" "log --until cuts at midnight"
run log --since "$D2" --until "$D1"
expect_out "$LOG" "an entry reaching into the window is listed"
run log --since "$D2 12:00" --until "$D1"
expect_out "$HEAD2
$(row @1 13:00 13:45 45m 2 two)
$(total 45m)
Total 45m in 1 entry" "log --since a time"
run log --task 2
expect_out "$HEAD2
$(row @2 09:00 10:30 1h30m 2 'two — review')
$(row @1 13:00 13:45 45m 2 two)
$(total 2h15m)
Total 2h15m in 2 entries" "log --task keeps the @N of the full log"
run log --task 3
expect_rc 0 "log --task with no entries"
expect_out "No time entries in this range." "log --task with no entries"
run log --since 2020-01-01 --until 2020-01-02
expect_out "No time entries in this range." "log of an empty range"
run log --since "$D2" --until "$D3"
expect_rc 1 "log --until before --since"
expect_err "tock: --until must be after --since" "log bad window message"
run log --since bogus
expect_rc 1 "log --since bogus"
expect_err "tock: cannot parse time 'bogus'" "log --since bogus message"
run log --task 99
expect_rc 3 "log --task of an unknown task"
run log extra
expect_rc 2 "log with an argument"

run log --json --since "$D3" --until "$D1"
expect_rc 0 "log --json"
expect_json "len(d) == 3 and all(list(e.keys()) == $ENTRY_KEYS for e in d)" \
    "log --json entries with their @N"
expect_json "[e['at'] for e in d] == [3, 2, 1]" "log --json oldest first"
expect_json "[e['duration_seconds'] for e in d] == [12600, 5400, 2700]" \
    "log --json durations"
expect_json "[e['duration_minutes'] for e in d] == [210, 90, 45]" \
    "log --json minutes"
expect_json "d[0]['start_time'] == '${D3}T22:00:00.000Z' and d[0]['end_time'] == '${D2}T01:30:00.000Z'" \
    "log --json times"
expect_json "d[1]['notes'] == 'review' and d[1]['origin'] == 'manual' and d[1]['running'] is False" \
    "log --json fields"
expect_json "d[1]['task_id'] == '$ID2' and d[1]['task_num'] == 2 and d[1]['task_title'] == 'two'" \
    "log --json task"

# --- track: what is refused --------------------------------------------------------
N=$(sql "SELECT count(*) FROM time_entries")
S=$(last_seq)
run track 1 "$D2 10:00..$D2 09:00"
expect_rc 1 "track ending before it starts"
expect_err "tock: range '$D2 10:00..$D2 09:00' must end after it starts" \
    "end before start message"
run track 1 "$D2 10:00..$D2 10:00"
expect_rc 1 "track of an empty range"
run track 1 "$D2 10:00..$(date -d tomorrow +%F) 10:00"
expect_rc 1 "track ending in the future"
expect_err "tock: the entry would end in the future" "future end message"
run track 1 2h --at -1h
expect_rc 1 "track a duration running into the future"
expect_err "tock: the entry would end in the future" "future duration message"
run track 1 1h --at +1h
expect_rc 1 "track --at in the future"
run track 1 "$D2 09:00..10:00" --at "$D2 09:00"
expect_rc 2 "track a range with --at"
run track 1 90
expect_rc 1 "duration without a unit"
expect_err "tock: missing unit (d, h, m or s) in duration '90'" "no unit message"
run track 1 0m
expect_rc 1 "zero duration"
expect_err "tock: duration '0m' must be positive" "zero duration message"
run track 1 30m1h
expect_rc 1 "units out of order"
expect_err "tock: cannot parse duration '30m1h'" "units out of order message"
run track 1 "nonsense..$D2 10:00"
expect_rc 1 "bad range start"
expect_err "tock: cannot parse time 'nonsense'" "bad range start message"
run track 99 1h --at "$D2 10:00"
expect_rc 3 "track on an unknown task"
expect_err "tock: no open task number 99" "unknown task message"
run track 1
expect_rc 2 "track without a range"
expect_sql "SELECT count(*) FROM time_entries" "$N" "refused tracks add no entry"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $S" "0" "refused tracks queue nothing"

# Duration spellings are the same length.
for d in 1h30m 90m 1:30 1.5h "1h 30m" 5400s; do
	run track 3 "$d" --at "$D3 08:00"
	expect_rc 0 "track $d"
done
expect_sql "SELECT group_concat(DISTINCT end_time - start_time), count(*)
    FROM time_entries WHERE task_id = (SELECT id FROM tasks WHERE num = 3)" \
    "5400000|6" "all duration spellings are 1h30m"

# A duration with no --at ends now.
B=$(now_ms)
run track 3 25m --note "just now"
A=$(now_ms)
expect_rc 0 "track ending now"
END=$(sql "SELECT end_time FROM time_entries WHERE notes = 'just now'")
check "track without --at ends now ($END in $B..$A)" [ "$END" -ge "$B" -a "$END" -le "$A" ]
expect_sql "SELECT end_time - start_time FROM time_entries WHERE notes = 'just now'" \
    "1500000" "track without --at lasts the duration"
expect_match "^Tracked 25m on 'three' \(task 3\): .*$(hm_of "$END")\$" "track ending now output"

# Tracking on a deleted task is refused, as starting one is.
run add "gone"
run rm 4
GONE=$(sql "SELECT substr(id, 1, 23) FROM tasks WHERE title = 'gone'")
run track "$GONE" 1h --at "$D2 18:00"
expect_rc 1 "track on a deleted task"
case $ERR in
"tock: "*deleted*) ;;
*) fail "track on a deleted task: stderr '$ERR'" ;;
esac
expect_sql "SELECT count(*) FROM time_entries e JOIN tasks t ON t.id = e.task_id
    WHERE t.title = 'gone'" "0" "no entry on a deleted task"
# (should it have been made anyway, take it away so the rest stays exact)
for e in $(sql "SELECT e.id FROM time_entries e JOIN tasks t
    ON t.id = e.task_id WHERE t.title = 'gone'"); do
	"$TOCK" entry rm "$e" >/dev/null 2>&1
done

# --- entry edit ---------------------------------------------------------------------
# Remove the entries of task three: the log is the one above again.
for e in $(sql "SELECT id FROM time_entries WHERE task_id =
    (SELECT id FROM tasks WHERE num = 3)"); do
	run entry rm "$e"
	expect_rc 0 "entry rm by id"
done
expect_sql "SELECT count(*) FROM time_entries WHERE deleted = 0" "3" "three entries left"
run log
expect_out "$LOG" "log after removing the others"

run entry edit @1 --note "edited"
expect_rc 0 "entry edit --note"
expect_out "Updated entry @1: $DAY2 13:00–13:45 45m  two" "entry edit output"
expect_err "" "entry edit stderr"
expect_sql "SELECT notes FROM time_entries WHERE start_time = $(ms_at "$D2 13:00")" \
    "edited" "note changed"
run entry edit @1 --start "$D2 12:30"
expect_rc 0 "entry edit --start"
expect_out "Updated entry @1: $DAY2 12:30–13:45 1h15m  two" "entry edit --start output"
run entry edit @1 --end "$D2 14:00" --json
expect_rc 0 "entry edit --end --json"
expect_json "d['start_time'] == '${D2}T12:30:00.000Z' and d['end_time'] == '${D2}T14:00:00.000Z'" \
    "entry edit --json times"
expect_json "d['duration_seconds'] == 5400 and d['notes'] == 'edited'" \
    "entry edit --json duration"
expect_sql "SELECT end_src FROM time_entries WHERE start_time = $(ms_at "$D2 12:30")" \
    "edit" "an edited end is marked as such"
S=$(last_seq)
run entry edit @1 --end "$D2 12:00"
expect_rc 1 "entry edit end before start"
expect_err "tock: the end would be before the start" "end before start message"
run entry edit @1 --start "$D2 15:00"
expect_rc 1 "entry edit start after end"
expect_err "tock: the end would be before the start" "start after end message"
run entry edit @1 --end +5m
expect_rc 1 "entry edit end in the future"
expect_err "tock: --end '+5m' is in the future" "future end message"
run entry edit @1 --start bogus
expect_rc 1 "entry edit bad --start"
run entry edit @1
expect_rc 2 "entry edit with nothing to change"
case $ERR in
"tock: nothing to change (--start, --end or --note)"*) ;;
*) fail "entry edit with nothing: stderr '$ERR'" ;;
esac
run entry edit @99 --note x
expect_rc 3 "entry edit @99"
expect_err "tock: no time entry '@99'" "entry @99 message"
run entry edit @0 --note x
expect_rc 3 "entry edit @0"
run entry edit @x --note x
expect_rc 3 "entry edit @x"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $S" "0" "refused edits queue nothing"
expect_sql "SELECT start_time, end_time FROM time_entries WHERE notes = 'edited'" \
    "$(ms_at "$D2 12:30")|$(ms_at "$D2 14:00")" "refused edits change nothing"

# By UUID prefix: dashed, undashed, upper case; ambiguous.
EID=$(sql "SELECT id FROM time_entries WHERE notes = 'review'")
EP=$(echo "$EID" | cut -c1-23)
run entry edit "$EP" --note "by prefix"
expect_rc 0 "entry edit by prefix"
expect_out "Updated entry $EP: $DAY2 09:00–10:30 1h30m  two" "entry edit by prefix output"
run entry edit "$(echo "$EP" | tr -d - | tr a-f A-F)" --note "by PREFIX"
expect_rc 0 "entry edit by an undashed upper-case prefix"
expect_sql "SELECT notes FROM time_entries WHERE id = '$EID'" "by PREFIX" \
    "prefix edits reach the entry"
EPFX=$(sql "SELECT substr(id, 1, 4) FROM time_entries GROUP BY substr(id, 1, 4)
    HAVING count(*) >= 2 ORDER BY count(*) DESC LIMIT 1")
run entry edit "$EPFX" --note x
expect_rc 4 "entry edit by an ambiguous prefix"
case $ERR in
"tock: time entry '$EPFX' is ambiguous: "*) ;;
*) fail "ambiguous entry prefix: stderr '$ERR'" ;;
esac

# --- entry rm -------------------------------------------------------------------------
run entry rm @1
expect_rc 0 "entry rm @1"
expect_out "Deleted entry @1: $DAY2 12:30–14:00 1h30m  two" "entry rm output"
run log
expect_out "$HEAD3
$(row @2 22:00 01:30+1 3h30m 1 one)
$(total 3h30m)
$HEAD2
$(row @1 09:00 10:30 1h30m 2 'two — by PREFIX')
$(total 1h30m)
Total 5h00m in 2 entries" "the removed entry is gone and the others renumbered"
run entry rm --json @2
expect_rc 0 "entry rm --json"
expect_json "d['start_time'] == '${D3}T22:00:00.000Z' and d['task_num'] == 1" \
    "entry rm --json shows the entry"
expect_sql "SELECT count(*) FROM time_entries WHERE deleted = 0" "1" "one entry left"
run entry rm @5
expect_rc 3 "entry rm of a missing @N"
# A deleted entry is gone for edits too, also by id.
DEL=$(sql "SELECT substr(id, 1, 23) FROM time_entries WHERE notes = 'edited'")
S=$(last_seq)
run entry rm "$DEL"
check "entry rm of a deleted entry fails (exit $RC, stderr '$ERR')" [ "$RC" -ne 0 ]
run entry edit "$DEL" --note "again"
check "entry edit of a deleted entry fails (exit $RC, stderr '$ERR')" [ "$RC" -ne 0 ]
expect_sql "SELECT count(*) FROM outbox WHERE seq > $S" "0" \
    "nothing queued for a deleted entry"
run entry rm
expect_rc 2 "entry rm without an entry"

# --- a running entry ---------------------------------------------------------------------
run start 3 --at "$D2 20:00"
run log --since "$D2" --until "$D1"
printf '%s\n' "$OUT" | grep -Eq '^  @1    20:00– +[0-9]+h[0-9]{2}m    3  three \(running\)$' ||
    fail "log shows the running entry: $OUT"
run log --json --since "$D2" --until "$D1"
expect_json "d[-1]['running'] is True and d[-1]['end_time'] is None and d[-1]['at'] == 1" \
    "log --json running entry"
run entry edit @1 --end "$D2 21:00"
expect_rc 0 "entry edit --end of the running entry"
run status
expect_rc 1 "editing the end stops the timer"

# --- DST (Europe/Berlin) -------------------------------------------------------------------
TZ=Europe/Berlin
export TZ
run track 1 "2024-03-31 01:00..04:00"
expect_rc 0 "track over the spring-forward gap"
expect_out "Tracked 2h00m on 'one' (task 1): 2024-03-31 01:00–04:00" \
    "the short night is two hours"
run track 1 "2024-10-27 01:00..04:00"
expect_out "Tracked 4h00m on 'one' (task 1): 2024-10-27 01:00–04:00" \
    "the long night is four hours"
run track 1 3h --at "2024-03-31 00:30"
expect_out "Tracked 3h00m on 'one' (task 1): 2024-03-31 00:30–04:30" \
    "three hours from 00:30 end at 04:30 on the short night"
run log --since 2024-03-01 --until 2024-11-01
expect_out "Sun 2024-03-31
$(row @5 00:30 04:30 3h00m 1 one)
$(row @4 01:00 04:00 2h00m 1 one)
$(total 5h00m)
Sun 2024-10-27
$(row @3 01:00 04:00 4h00m 1 one)
$(total 4h00m)
Total 9h00m in 3 entries" "log on DST days"
run log --json --since 2024-03-01 --until 2024-11-01
expect_json "[(e['start_time'], e['end_time']) for e in d] == [('2024-03-30T23:30:00.000Z', '2024-03-31T02:30:00.000Z'), ('2024-03-31T00:00:00.000Z', '2024-03-31T02:00:00.000Z'), ('2024-10-26T23:00:00.000Z', '2024-10-27T03:00:00.000Z')]" \
    "DST entries in UTC"
run log --since 2024-10-27 --until 2024-10-28
expect_out "Sun 2024-10-27
$(row @3 01:00 04:00 4h00m 1 one)
$(total 4h00m)
Total 4h00m in 1 entry" "a 25-hour day is one day"
TZ=UTC

finish
