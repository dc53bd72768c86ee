#!/bin/sh
# t8104-faults.sh - sync through failures: the server killed in the middle
# of a push and restarted, PostgreSQL restarted while daemons sync, the
# network dropped and stalled (tests/helpers/tcpproxy.py) during a sync.
# After each, nothing is lost (every task made on either device is on the
# server), nothing is duplicated (each title once, each op logged once),
# and both replicas hold exactly the server's rows.
. "$TOCK_SYNC_LIB"
standard_setup
proxy_start
replica a
replica b
login_replica a alice@example.com
login_replica b alice@example.com
ALICE=$(uid_r a)
W=$(ws_r a)
sync_all a b
NADD=0

# adds NAME PREFIX N: N tasks "PREFIX i" on replica NAME (offline writes).
adds() {
	_i=1
	while [ "$_i" -le "$3" ]; do
		as "$1" tock add "$2 $_i" >/dev/null 2>"$TMP/add.err" ||
			fail "$1: tock add '$2 $_i': $(cat "$TMP/add.err")"
		_i=$((_i + 1))
	done
	NADD=$((NADD + $3))
}

# expect_titles PREFIX N: the server has tasks "PREFIX 1".."PREFIX N",
# each exactly once.
expect_titles() {
	expect_sql "SELECT count(*) || '|' || count(DISTINCT title) FROM tasks
	    WHERE workspace_id = '$W' AND title LIKE '$1 %'" "$2|$2" \
	    "tasks '$1 *' on the server exactly once"
}

converged() {
	for r in a b; do
		expect_outbox_empty $r
		expect_same $r "$W"
	done
	expect_sql "SELECT count(*) = count(DISTINCT op_id) FROM sync_log
	    WHERE op_id IS NOT NULL" t "no op logged twice"
}

# --- 1. the server dies in the middle of a push ------------------------
phase "1. server killed mid-push"
# 1,480 half-minute intervals a minute apart (over 25 hours: every start
# distinct, as the import keys intervals by their start).
python3 - "$TMP/tw.json" <<'PY'
import datetime, json, sys
base = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
f = "%Y%m%dT%H%M%SZ"
recs = []
for i in range(1480):
    s = base + datetime.timedelta(minutes=i)
    recs.append({"id": i + 1, "start": s.strftime(f),
                 "end": (s + datetime.timedelta(seconds=30)).strftime(f),
                 "tags": ["Crash task %d" % (i % 20 + 1)]})
json.dump(recs, open(sys.argv[1], "w"))
PY
ok_as a tock import timewarrior "$TMP/tw.json"
expect_rsql a "SELECT count(*) FROM outbox" 1500 "1,500 ops waiting"
DEV_A=$(rsql a "SELECT v FROM sync_meta WHERE k = 'device_id'")
# Ops are counted in sync_log: applied_ops is pruned below the acked
# watermark.  The server dies once a first batch is in; a slow uplink
# keeps the rest of the push from landing first (holding answers in the
# proxy would hold the token refresh that precedes the push).
n0=$(sql "SELECT count(DISTINCT op_id) FROM sync_log WHERE device_id = '$DEV_A'")
proxy_rate 100000
spawn_group a "$TMP/sync.out" tock sync
SYNC_PID=$BG_PID
wait_pg "SELECT count(DISTINCT op_id) > $n0 FROM sync_log WHERE device_id = '$DEV_A'" t 60
server_kill
proxy_rate 0
COUNT=$((COUNT + 1))
n1=$(sql "SELECT count(DISTINCT op_id) FROM sync_log WHERE device_id = '$DEV_A'")
[ "$((n1 - n0))" -lt 1500 ] ||
	fail "the whole push landed before the server was killed ($((n1 - n0)) ops)"
# The sync sees its connection die; it must give up by itself.
COUNT=$((COUNT + 1))
dl=$(ms_deadline 60)
while kill -0 "$SYNC_PID" 2>/dev/null && ms_before "$dl"; do
	sleep 0.05
done
if kill -0 "$SYNC_PID" 2>/dev/null; then
	fail "tock sync still running 60 s after the server died"
	kill_group "$SYNC_PID"
fi
wait "$SYNC_PID"
RC=$?
COUNT=$((COUNT + 1))
[ "$RC" = 6 ] || fail "tock sync with the server gone: exit $RC, expected 6 ($(cat "$TMP/sync.out"))"
server_restart
sync_all a b
expect_titles "Crash task" 20
expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ALICE'" 1480 \
    "1,480 entries, once each"
converged

# --- 2. PostgreSQL restarts while both daemons sync ---------------------
phase "2. PostgreSQL restarted"
syncd_start a
syncd_start b
adds a "Before restart" 5
wait_rsql b "SELECT count(*) FROM tasks WHERE title LIKE 'Before restart %'" 5 30
pg_pause
adds a "During outage A" 5
adds b "During outage B" 5
pg_resume
# The daemons retry by themselves; `tock sync --wait` must also work now.
ok_as a tock sync --wait
wait_rsql a "SELECT count(*) FROM outbox" 0 60
wait_rsql b "SELECT count(*) FROM outbox" 0 60
wait_same a "$W" "" 60
wait_same b "$W" "" 60
expect_titles "Before restart" 5
expect_titles "During outage A" 5
expect_titles "During outage B" 5

# --- 3. the network drops during a sync ---------------------------------
phase "3. network dropped"
proxy_mode drop
adds a "Dropped A" 5
adds b "Dropped B" 5
run_as a tock sync
COUNT=$((COUNT + 1))
[ "$RC" = 6 ] || fail "tock sync with the network down: exit $RC, expected 6 ($ERR)"
expect_rsql a "SELECT count(*) FROM outbox WHERE fields LIKE '%Dropped A%'" 5 \
    "unsent ops stay in the outbox"
proxy_mode pass
ok_as b tock sync --wait
wait_rsql a "SELECT count(*) FROM outbox" 0 60
wait_rsql b "SELECT count(*) FROM outbox" 0 60
wait_same a "$W" "" 60
wait_same b "$W" "" 60
expect_titles "Dropped A" 5
expect_titles "Dropped B" 5

# --- 4. the network stalls, then breaks, then comes back -----------------
phase "4. network stalled"
proxy_mode stall
adds a "Stalled A" 5
adds b "Stalled B" 5
# Both daemons are now stuck on requests that get no answer.
proxy_mode drop
proxy_mode pass
ok_as a tock sync --wait
wait_rsql a "SELECT count(*) FROM outbox" 0 60
wait_rsql b "SELECT count(*) FROM outbox" 0 60
wait_same a "$W" "" 60
wait_same b "$W" "" 60
phase "4b. a stall that ends"
proxy_mode stall
adds a "Stall only" 3
# A stall that simply ends: the held requests complete.
proxy_mode pass
wait_rsql a "SELECT count(*) FROM outbox" 0 60
wait_same b "$W" "" 60
expect_titles "Stalled A" 5
expect_titles "Stalled B" 5
expect_titles "Stall only" 3

phase "daemons stopped"
syncd_stop a
syncd_stop b
sync_all a b
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$W'
    AND title NOT LIKE 'Crash task %'" "$NADD" "every added task on the server once"
converged
finish
