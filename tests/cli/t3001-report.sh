#!/bin/sh
# t3001-report: tock report totals against hand-computed values, by task,
# tag, day and user, in --json, --csv and for people; intervals across
# midnight and across both DST changes (Europe/Berlin); the running timer;
# usage errors.
TEST_TZ=Europe/Berlin
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# csvq EXPR: EXPR is true of rows, $OUT parsed as CSV (a list of lists).
csvq() {
	printf '%s' "$OUT" | python3 -c "import csv, sys
rows = list(csv.reader(sys.stdin))
sys.exit(0 if ($1) else 1)" 2>"$TMP/csverr" ||
		fail "$2: $1 is not true of CSV '$OUT' $(cat "$TMP/csverr")"
}

REPORT_KEYS='["since", "until", "by", "total_seconds", "running", "groups", "days"]'
GROUP_KEYS='["key", "label", "num", "seconds", "running"]'
WEEK="--since 2025-11-17 --until 2025-11-24"

# --- an empty replica ----------------------------------------------------------
run report $WEEK
expect_rc 0 "report on a new replica"
expect_out "No time tracked in Mon 2025-11-17 – Sun 2025-11-23." \
    "an empty range says so"
run report $WEEK --json
expect_rc 0 "report --json on a new replica"
expect_json "list(d.keys()) == $REPORT_KEYS" "--json: keys in documented order"
expect_json "d['total_seconds'] == 0 and d['groups'] == [] and not d['running']" \
    "--json: an empty report"
expect_json "[x['date'] for x in d['days']] == ['2025-11-%d' % i for i in range(17, 24)]" \
    "--json: every day of the range, zeros included"
expect_json "d['since'] == '2025-11-16T23:00:00.000Z' and d['until'] == '2025-11-23T23:00:00.000Z'" \
    "--json: range bounds are local midnights, in UTC"
run report $WEEK --csv
expect_rc 0 "report --csv on a new replica"
csvq "rows == [['key', 'label', 'num', 'seconds', 'hours']]" "--csv: header only"

# --- one week, by hand ---------------------------------------------------------
run add "Write docs" --tag work --tag docs
run add "Review" --tag work
run add "Lunch, \"long\""
expect_rc 0 "setup tasks"
ID1=$(sql "SELECT id FROM tasks WHERE num = 1")
ID2=$(sql "SELECT id FROM tasks WHERE num = 2")
ID3=$(sql "SELECT id FROM tasks WHERE num = 3")
USER_ID=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")

# Mon 09:00-12:30 (3h30m); Tue 22:00 - Wed 02:00 (2h + 2h); Wed 12:00-12:45.
run track 1 2025-11-17T09:00..2025-11-17T12:30
run track 2 2025-11-18T22:00..2025-11-19T02:00
run track 3 2025-11-19T12:00..2025-11-19T12:45
expect_rc 0 "setup entries"
# Outside the week, on both sides, and a deleted one inside it.
run track 1 2025-11-16T20:00..2025-11-16T21:00
run track 1 2025-11-24T08:00..2025-11-24T09:00
run track 2 2025-11-20T08:00..2025-11-20T09:00
run entry rm @2
expect_rc 0 "setup: delete an entry"
# One straddling the start of the range: Sun 23:00 - Mon 00:30 counts 30m.
run track 3 2025-11-16T23:00..2025-11-17T00:30
expect_rc 0 "setup: an entry across the range's start"

# Totals: task 1 3h30m = 12600 s; task 2 4h = 14400 s; task 3 45m + 30m
# = 4500 s; all 31500 s.  Days: Mon 12600 + 1800, Tue 7200, Wed 7200 +
# 2700.
run report $WEEK --json
expect_rc 0 "report --json"
expect_json "d['by'] == 'task' and d['total_seconds'] == 31500" "--json: total"
expect_json "[(g['label'], g['seconds']) for g in d['groups']] == [('Review', 14400), ('Write docs', 12600), ('Lunch, \"long\"', 4500)]" \
    "--json: groups by time, most first"
expect_json "[g['key'] for g in d['groups']] == ['$ID2', '$ID1', '$ID3']" \
    "--json: group keys are task ids"
expect_json "[g['num'] for g in d['groups']] == [2, 1, 3]" "--json: task numbers"
expect_json "list(d['groups'][0].keys()) == $GROUP_KEYS" "--json: group keys in order"
expect_json "[x['seconds'] for x in d['days']] == [14400, 7200, 9900, 0, 0, 0, 0]" \
    "--json: per day, split at midnight"
expect_json "not d['running'] and not any(g['running'] for g in d['groups'])" \
    "--json: nothing running"

run report $WEEK --csv
expect_rc 0 "report --csv"
csvq "rows[0] == ['key', 'label', 'num', 'seconds', 'hours'] and len(rows) == 4" \
    "--csv: header and three rows"
csvq "[r[1:] for r in rows[1:]] == [['Review', '2', '14400', '4.00'], ['Write docs', '1', '12600', '3.50'], ['Lunch, \"long\"', '3', '4500', '1.25']]" \
    "--csv: rows, with a quoted label"
csvq "rows[1][0] == '$ID2'" "--csv: key"
check "--csv: CRLF line ends" grep -q "$(printf 'hours\r')" "$TMP/out"

# 80 columns off a terminal; bars scaled to the longest day (61 cells),
# in eighths: Tue 2/4 of 61 = 30.5 cells, Wed 2.75/4 of 61 = 41.94 -> 42.
run report $WEEK
expect_rc 0 "report for people"
expect_out "Mon 2025-11-17 – Sun 2025-11-23, by task

  Task              Total   Share
  2  Review         4h00m   45.7%
  1  Write docs     3h30m   40.0%
  3  Lunch, \"long\"  1h15m   14.3%
  Total             8h45m

Mon 11-17  █████████████████████████████████████████████████████████████ 4h00m
Tue 11-18  ██████████████████████████████▌                               2h00m
Wed 11-19  ██████████████████████████████████████████                    2h45m
Thu 11-20
Fri 11-21
Sat 11-22
Sun 11-23" "report table and chart"

run report $WEEK --by tag --json
expect_rc 0 "report --by tag"
# work: tasks 1 and 2 = 27000; docs: task 1 = 12600; none: task 3 = 4500.
expect_json "[(g['key'], g['label'], g['seconds']) for g in d['groups']] == [('work', 'work', 27000), ('docs', 'docs', 12600), (None, '(no tag)', 4500)]" \
    "--by tag: each tag counted, untagged under null"
expect_json "d['total_seconds'] == 31500 and d['by'] == 'tag'" "--by tag: total"

run report $WEEK --by day --csv
expect_rc 0 "report --by day --csv"
csvq "[(r[0], r[1], r[3]) for r in rows[1:]] == [('2025-11-17', 'Mon 2025-11-17', '14400'), ('2025-11-18', 'Tue 2025-11-18', '7200'), ('2025-11-19', 'Wed 2025-11-19', '9900')]" \
    "--by day: days with time, oldest first"

# --- everyone's time, by user -----------------------------------------------
WS=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
check "setup: another user's entry" sql "
    INSERT INTO users(id, name) VALUES ('0190aaaa-0000-7000-8000-000000000002', 'Bob');
    INSERT INTO time_entries(id, workspace_id, user_id, task_id, origin,
        start_time, end_time)
    VALUES ('0190aaaa-0000-7000-8000-000000000003', '$WS',
        '0190aaaa-0000-7000-8000-000000000002', '$ID2', 'manual',
        $(ms_at '2025-11-21 10:00'), $(ms_at '2025-11-21 15:00'));"
run report $WEEK --by user --json
expect_rc 0 "report --by user"
expect_json "[(g['key'], g['label'], g['seconds']) for g in d['groups']] == [('$USER_ID', 'tester', 31500), ('0190aaaa-0000-7000-8000-000000000002', 'Bob', 18000)]" \
    "--by user: everyone's time"
expect_json "d['total_seconds'] == 49500 and d['days'][4]['seconds'] == 18000" \
    "--by user: total and days include the others"
run report $WEEK --json
expect_json "d['total_seconds'] == 31500" "by task: only the replica user's time"

# --- midnight and DST ----------------------------------------------------------
# Spring forward, Sun 2025-03-30 01:00 -> 04:00: two hours, that day.
run track 1 2025-03-30T01:00..2025-03-30T04:00
expect_rc 0 "setup: across spring forward"
run report --since 2025-03-24 --until 2025-03-31 --json
expect_json "d['total_seconds'] == 7200" "spring forward: 2h"
expect_json "[(x['date'], x['seconds']) for x in d['days'][5:]] == [('2025-03-29', 0), ('2025-03-30', 7200)]" \
    "spring forward: all on Sunday"
expect_json "len(d['days']) == 7 and d['until'] == '2025-03-30T22:00:00.000Z'" \
    "spring forward: a week of seven days, ending at a CEST midnight"

# Fall back, Sun 2025-10-26 01:00 -> 04:00: four hours; Sat 23:00 -> Sun
# 01:00 crosses midnight: 1h + 1h.
run track 2 2025-10-26T01:00..2025-10-26T04:00
run track 3 2025-10-25T23:00..2025-10-26T01:00
expect_rc 0 "setup: across fall back"
run report --since 2025-10-20 --until 2025-10-27 --by day --json
expect_json "[(g['key'], g['seconds']) for g in d['groups']] == [('2025-10-25', 3600), ('2025-10-26', 18000)]" \
    "fall back: 4h on the long day, midnight split"
expect_json "d['total_seconds'] == 21600" "fall back: total"
run report --since 2025-10-26 --until 2025-10-27 --json
expect_json "d['total_seconds'] == 18000 and len(d['days']) == 1" \
    "fall back: the 25-hour day alone"
run report --since 2025-10-26 --until 2025-10-27
expect_match "^  2  Review +4h00m +80\.0%$" "fall back: human table"
expect_match "^  Total +5h00m$" "fall back: human total"

# --- ranges relative to now, and the running timer ------------------------------
run report --json
expect_rc 0 "report (this week)"
expect_json "len(d['days']) == 7 and __import__('datetime').date.fromisoformat(d['days'][0]['date']).weekday() == 0" \
    "default: this week, from Monday"
run report --month --json
expect_rc 0 "report --month"
expect_json "d['days'][0]['date'].endswith('-01') and 28 <= len(d['days']) <= 31" \
    "--month: this month"
run report --day --json
expect_rc 0 "report --day"
expect_json "len(d['days']) == 1 and d['days'][0]['date'] == '$(date +%F)'" \
    "--day: today"

run start 1 --at -2h
expect_rc 0 "setup: a timer running for two hours"
run report --since -3h --json
expect_json "7200 <= d['total_seconds'] < 7200 + 120 and d['running']" \
    "running timer counted up to now"
expect_json "d['groups'][0]['running'] and d['groups'][0]['num'] == 1" \
    "the running task is marked"
# Today holds all two hours unless it began less than two hours ago.
SINCE_MIDNIGHT=$(($(date +%s) - $(date -d 'today 00:00' +%s)))
WANT=$((SINCE_MIDNIGHT < 7200 ? SINCE_MIDNIGHT - 60 : 7200))
run report --day --json
expect_json "d['total_seconds'] >= $WANT and d['days'][0]['running']" \
    "report --day counts the running timer"
run report --day
expect_match "^▶ 1  Write docs" "the running task is marked in the table"
expect_match "the running timer is counted up to [0-9]{2}:[0-9]{2}\.$" \
    "the running timer is explained"
run stop

# --- errors ----------------------------------------------------------------------
run report --bogus
expect_rc 2 "unknown option"
run report --by month
expect_rc 2 "unknown --by"
[ "$(printf '%s' "$ERR" | head -n 1)" = "tock: cannot group by 'month': use task, tag, day or user" ] ||
	fail "unknown --by message: $ERR"
run report --week --day
expect_rc 2 "two ranges"
run report --until 2025-11-20
expect_rc 2 "--until without --since"
run report --json --csv
expect_rc 2 "--json and --csv"
run report extra
expect_rc 2 "an operand"
run report --since 2025-11-20 --until 2025-11-10
expect_rc 1 "--since after --until"
expect_err "tock: --until must be after --since" "--since after --until message"
run report --since 2025-11-20 --until 2025-11-20
expect_rc 1 "an empty --since/--until range"
run report --since tomorrow
expect_rc 1 "--since in the future"
run report --since "not a date"
expect_rc 1 "a bad --since"
run report --help
expect_rc 0 "report --help"
expect_match "^usage: tock report " "report --help prints the usage"

finish
