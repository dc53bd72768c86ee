#!/bin/sh
# t8103-kill-mid-push.sh - SIGKILL the pusher in the middle of 5,000 ops
# and start again: every op is applied exactly once and the outbox ends
# empty.  The 5,000 ops come from one `tock import timewarrior` (50 tasks,
# 4,950 entries).  The kill lands as soon as the server has logged a first
# batch, and the test checks it fell strictly between 0 and 5,000.  Once with the daemon (tock-syncd -d), once with `tock sync`.
. "$TOCK_SYNC_LIB"
standard_setup
proxy_start
replica a
login_replica a alice@example.com
replica_sync a
expect_outbox_empty a
ALICE=$(uid_r a)
W=$(ws_r a)
DEV=$(rsql a "SELECT v FROM sync_meta WHERE k = 'device_id'")
expect_sql "SELECT count(*) FROM devices WHERE id = '$DEV' AND user_id = '$ALICE'" 1 \
    "the replica's device is alice's"

# gen_timew FILE ROUND: 4,950 one-minute intervals over 50 tags, two
# minutes apart (6.9 days).  Each round starts 10 days after the previous
# one: the import is idempotent by the interval's start, so overlapping
# rounds would import only the new starts (770 ops instead of 5,000).
gen_timew() {
	python3 - "$1" "$2" <<'PY'
import json, sys, datetime
out, day = sys.argv[1], int(sys.argv[2])
base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + \
    datetime.timedelta(days=10 * day)
recs = []
for i in range(4950):
    s = base + datetime.timedelta(minutes=2 * i)
    e = s + datetime.timedelta(minutes=1)
    recs.append({"id": i + 1, "start": s.strftime("%Y%m%dT%H%M%SZ"),
                 "end": e.strftime("%Y%m%dT%H%M%SZ"),
                 "tags": ["Batch %d task %02d" % (day, i % 50)]})
json.dump(recs, open(out, "w"))
PY
}

# applied: how many ops of this device the server has logged (sync_log,
# not applied_ops, which the server prunes below the acked watermark).
applied() {
	sql "SELECT count(DISTINCT op_id) FROM sync_log WHERE device_id = '$DEV'"
}

# round KILLER DAY: import 5,000 ops, push until the first batch committed,
# kill, push again, check.
round() {
	gen_timew "$TMP/tw$2.json" "$2"
	ok_as a tock import timewarrior "$TMP/tw$2.json"
	expect_rsql a "SELECT count(*) FROM outbox" 5000 "5,000 ops waiting"
	before_ops=$(applied)
	before_seq=$(rsql a "SELECT max(seq) - 5000 FROM outbox")
	# Kill as soon as the server has committed a first batch.  (Holding
	# answers in the proxy would also hold the token refresh before the
	# push, so this polls instead; pushes go in batches of <= 500.)  A
	# slow uplink (about 0.5 s a batch) keeps the whole push from landing
	# between two polls: unthrottled, 5,000 ops took under 0.3 s.
	proxy_rate 300000
	if [ "$1" = daemon ]; then
		syncd_spawn a
	else
		spawn_group a "$TMP/sync.out" tock sync
		SYNC_PID=$BG_PID
	fi
	COUNT=$((COUNT + 1))
	dl=$(ms_deadline 60)
	n=$(applied)
	while [ "$n" -le "$before_ops" ] && ms_before "$dl"; do
		n=$(applied)
	done
	if [ "$1" = daemon ]; then
		syncd_kill a
	else
		kill_group "$SYNC_PID"
	fi
	proxy_rate 0
	n=$(applied)
	got=$((n - before_ops))
	[ "$got" -ge 1 ] && [ "$got" -le 4999 ] ||
		fail "$1: $got of 5,000 ops applied at the kill, expected 1..4999"
	# Start again: the daemon, or two plain rounds.
	if [ "$1" = daemon ]; then
		syncd_start a
		wait_rsql a "SELECT count(*) FROM outbox" 0 60
		syncd_stop a
	else
		replica_sync a
		replica_sync a
	fi
	expect_outbox_empty a
	expect_eq "$(applied)" $((before_ops + 5000)) "$1: all 5,000 ops applied"
	expect_sql "SELECT count(*) = count(DISTINCT op_id) FROM sync_log
	    WHERE device_id = '$DEV' AND op_id IS NOT NULL" t \
	    "$1: no op logged twice"
	expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$W'
	    AND title LIKE 'Batch $2 task %'" 50 "$1: 50 tasks, once each"
	expect_sql "SELECT count(*) FROM time_entries e JOIN tasks t ON t.id = e.task_id
	    WHERE t.title LIKE 'Batch $2 task %'" 4950 "$1: 4,950 entries, once each"
	expect_sql "SELECT count(*) FROM (SELECT start_time FROM time_entries
	    WHERE user_id = '$ALICE' GROUP BY start_time HAVING count(*) > 1) d" 0 \
	    "$1: no duplicate entries"
	expect_rsql a "SELECT count(*) FROM time_entries e JOIN tasks t ON t.id = e.task_id
	    WHERE t.title LIKE 'Batch $2 task %'" 4950 "$1: the replica has 4,950 entries"
	expect_same a "$W"
}

round daemon 1
round once 2
finish
