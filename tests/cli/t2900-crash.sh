#!/bin/sh
# t2900-crash: tock killed with SIGKILL at random points, while another
# writer and a reader keep going, never leaves a half-done change: the database stays
# intact, every row has the outbox op that created it, every op names a
# row, and the clocks stay ordered.  Then the same for a replica killed
# while it is being created.
#
# TOCK_CRASH_ITER (default 200) and TOCK_CRASH_SEED (default: the time)
# repeat a run; the seed is printed on failure.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

ITER=${TOCK_CRASH_ITER:-200}
SEED=${TOCK_CRASH_SEED:-$(date +%s)}

# The plan: per iteration a command kind and a delay before SIGKILL, from
# 0.1 ms to 8 ms: some die before they open the database, some in their
# transaction or waiting for the lock, some after they finished.
awk -v n="$ITER" -v seed="$SEED" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%d %.6f\n", int(rand() * 8), 0.0001 + rand() * 0.0079
}' >"$TMP/plan"

run add "seed one"
run add "seed two"
expect_rc 0 "setup"

# A writer that is never killed, competing for the write lock.  It runs
# while the run file exists (no sleeps: the killer loop runs meanwhile), so
# it also ends when the test is interrupted and its directory removed.
RUNNING_FLAG="$TMP/running"
: >"$RUNNING_FLAG"
(
	i=0
	while [ -e "$RUNNING_FLAG" ]; do
		i=$((i + 1))
		case $((i % 5)) in
		0) "$TOCK" add "w$i" ;;
		1) "$TOCK" start 1 ;;
		2) "$TOCK" start 2 ;;
		3) "$TOCK" stop ;;
		4) "$TOCK" track 2 10m --at -5h ;;
		esac >/dev/null 2>&1
		# 0 ok, 1 error (nothing to stop...), 3 not found: anything
		# else, a signal above all, is a crash of tock itself.
		rc=$?
		case $rc in 0|1|3) ;; *) echo "writer run $i: exit $rc" >>"$TMP/crashes" ;; esac
		# Bounded in any case, should the loop below die early.
		[ "$i" -ge 5000 ] && break
	done
	echo "$i" >"$TMP/writer.n"
) &
WPID=$!
# ... and a reader, as shell prompts and scripts would be.
(
	i=0
	while [ -e "$RUNNING_FLAG" ]; do
		i=$((i + 1))
		case $((i % 3)) in
		0) "$TOCK" ls ;;
		1) "$TOCK" status ;;
		2) "$TOCK" log ;;
		esac >/dev/null 2>&1
		rc=$?
		case $rc in 0|1) ;; *) echo "reader run $i: exit $rc" >>"$TMP/crashes" ;; esac
		[ "$i" -ge 5000 ] && break
	done
) &
RPID=$!

killed=0
finished=0
n=0
while read -r kind delay; do
	n=$((n + 1))
	case $kind in
	0|1|2) set -- add "k$n" ;;
	3) set -- start 1 ;;
	4) set -- start "k$n new" ;;
	5) set -- stop ;;
	6) set -- track 1 5m --at -3h ;;
	7) set -- comment 2 "k$n note" ;;
	esac
	(timeout -s KILL "${delay}s" "$TOCK" "$@" >/dev/null 2>&1; exit $?) \
	    2>/dev/null
	rc=$?
	case $rc in
	124|137) killed=$((killed + 1)) ;;
	0|1|3) finished=$((finished + 1)) ;;
	*) echo "tock $* (kill after ${delay}s): exit $rc" >>"$TMP/crashes" ;;
	esac
done <"$TMP/plan"
rm -f "$RUNNING_FLAG"
wait "$WPID" "$RPID"
WRITES=$(cat "$TMP/writer.n" 2>/dev/null || echo 0)
printf '%s: %d runs killed, %d ran to the end, %d writer runs (seed %s)\n' \
    "$TEST_NAME" "$killed" "$finished" "$WRITES" "$SEED"
check "some runs were killed (seed $SEED)" [ "$killed" -gt 0 ]
# No run may die of anything but our SIGKILL (exit 135 is SIGBUS, 139
# SIGSEGV, 134 an abort).
COUNT=$((COUNT + 1))
[ -s "$TMP/crashes" ] && fail "tock crashed by itself (seed $SEED):
$(cat "$TMP/crashes")"
check "the writer ran (seed $SEED)" [ "$WRITES" -gt 0 ]

# --- the database after the crashes -------------------------------------------------
crash_checks() {	# DESC
	expect_sql "PRAGMA integrity_check" "ok" "$1: integrity_check"
	expect_sql "PRAGMA foreign_key_check" "" "$1: foreign_key_check"
	expect_sql "SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM
	    outbox o WHERE o.entity = 'task' AND o.kind = 'create'
	    AND o.entity_id = t.id)" "0" "$1: every task has its create op"
	expect_sql "SELECT count(*) FROM time_entries e WHERE NOT EXISTS (SELECT 1
	    FROM outbox o WHERE o.entity = 'time_entry'
	    AND o.kind IN ('create', 'timer.start') AND o.entity_id = e.id)" "0" \
	    "$1: every time entry has its create op"
	expect_sql "SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM
	    outbox o WHERE o.entity = 'comment' AND o.kind = 'create'
	    AND o.entity_id = c.id)" "0" "$1: every comment has its create op"
	expect_sql "SELECT count(*) FROM outbox o WHERE NOT EXISTS (
	    SELECT 1 FROM tasks WHERE o.entity = 'task' AND id = o.entity_id
	    UNION ALL SELECT 1 FROM time_entries WHERE o.entity = 'time_entry'
	    AND id = o.entity_id
	    UNION ALL SELECT 1 FROM comments WHERE o.entity = 'comment'
	    AND id = o.entity_id
	    UNION ALL SELECT 1 FROM workspaces WHERE o.entity = 'workspace'
	    AND id = o.entity_id)" "0" "$1: no op names a missing row"
	expect_sql "SELECT (SELECT count(*) FROM tasks) || ' ' ||
	    (SELECT count(*) FROM time_entries) || ' ' ||
	    (SELECT count(*) FROM comments) || ' ' || (SELECT count(*) FROM workspaces)" \
	    "$(sql "SELECT
	    (SELECT count(*) FROM outbox WHERE entity = 'task' AND kind = 'create') || ' ' ||
	    (SELECT count(*) FROM outbox WHERE entity = 'time_entry'
	     AND kind IN ('create', 'timer.start')) || ' ' ||
	    (SELECT count(*) FROM outbox WHERE entity = 'comment' AND kind = 'create') || ' ' ||
	    (SELECT count(*) FROM outbox WHERE entity = 'workspace' AND kind = 'create')")" \
	    "$1: committed rows = create ops (tasks, entries, comments, workspaces)"
	expect_sql "SELECT count(*) FROM (SELECT hlc, lag(hlc) OVER (ORDER BY seq)
	    AS prev FROM outbox) WHERE prev IS NOT NULL AND hlc <= prev" "0" \
	    "$1: hlc strictly increases with seq"
	expect_sql "SELECT count(*) - count(DISTINCT hlc) FROM outbox" "0" \
	    "$1: hlcs are unique"
	expect_sql "SELECT printf('%016x-%s', (l << 16) | c, node) FROM hlc_state" \
	    "$(sql "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1")" \
	    "$1: the clock state is the newest op's hlc"
	expect_sql "SELECT count(*) FROM outbox o, json_each(o.fields) f
	    WHERE o.hlc = (SELECT max(hlc) FROM outbox p, json_each(p.fields) g
	    WHERE p.entity_id = o.entity_id AND g.key = f.key)
	    AND (SELECT json_extract(_fhlc, '\$.\"' || f.key || '\"') FROM (
	    SELECT id, _fhlc FROM tasks UNION ALL SELECT id, _fhlc FROM time_entries
	    UNION ALL SELECT id, _fhlc FROM comments
	    UNION ALL SELECT id, _fhlc FROM workspaces) r WHERE r.id = o.entity_id)
	    IS NOT o.hlc" "0" "$1: field clocks are those of the newest ops"
	expect_sql "SELECT count(*) > 1 FROM time_entries
	    WHERE end_time IS NULL AND deleted = 0" "0" "$1: at most one running timer"
}
crash_checks "after the kills"
# Starting and stopping are single transactions: a stopped timer entry has
# its stop op, a running one none, and every started task is in progress.
expect_sql "SELECT count(*) FROM time_entries e WHERE e.origin = 'timer' AND
    (e.end_time IS NOT NULL) != EXISTS (SELECT 1 FROM outbox o
    WHERE o.entity = 'time_entry' AND o.kind = 'timer.stop'
    AND o.entity_id = e.id)" "0" "a timer ended exactly when a stop op says so"
expect_sql "SELECT count(*) FROM tasks t WHERE t.status != 'in_progress' AND
    EXISTS (SELECT 1 FROM time_entries e WHERE e.task_id = t.id
    AND e.origin = 'timer')" "0" "every started task is in progress"
expect_sql "SELECT count(*) FROM (SELECT title FROM tasks GROUP BY title
    HAVING count(*) > 1)" "0" "no change was applied twice"
expect_sql "SELECT count(*) FROM outbox WHERE json_valid(fields) = 0" "0" \
    "every op's fields are JSON"

# tock carries on, and status tells the truth.
RUNNING=$(sql "SELECT t.title FROM time_entries e JOIN tasks t ON t.id = e.task_id
    WHERE e.end_time IS NULL AND e.deleted = 0")
run status --format '%t'
if [ -n "$RUNNING" ]; then
	expect_rc 0 "status after the kills"
	expect_out "$RUNNING" "status names the running task"
else
	expect_rc 1 "status after the kills (nothing runs)"
fi
run ls
expect_rc 0 "ls after the kills"
run add "after"
expect_rc 0 "add after the kills"
expect_match "^Added task [0-9]+: after\$" "add after the kills output"
run start "after"
expect_rc 0 "start after the kills"
run status --format '%t'
expect_out "after" "status after a start"
run stop
expect_rc 0 "stop after the kills"
crash_checks "after more writes"

# --- killed while the replica is created -------------------------------------------
i=0
init_killed=0
for delay in $(awk -v seed="$SEED" 'BEGIN { srand(seed + 1)
    for (i = 0; i < 24; i++) printf "%.6f\n", 0.0001 + rand() * 0.0059 }'); do
	i=$((i + 1))
	TOCK_DB="$TMP/init$i/tock.db"
	export TOCK_DB
	(timeout -s KILL "${delay}s" "$TOCK" add "first" >/dev/null 2>&1; exit $?) \
	    2>/dev/null
	case $? in
	124|137) init_killed=$((init_killed + 1)) ;;
	0) ;;
	*) fail "tock add on a new replica crashed by itself" ;;
	esac
	run ls --all
	expect_rc 0 "ls after a kill during creation ($i, ${delay}s)"
	expect_sql "PRAGMA integrity_check" "ok" "integrity after a kill during creation ($i)"
	expect_sql "SELECT (SELECT count(*) FROM users) || (SELECT count(*) FROM workspaces)
	    || (SELECT count(*) FROM memberships) || (SELECT count(*) FROM outbox
	    WHERE entity = 'workspace') || (SELECT count(*) FROM sync_meta
	    WHERE k IN ('user_id', 'workspace_id', 'node_id', 'device_id'))" "11114" \
	    "one identity after a kill during creation ($i)"
	expect_sql "SELECT (SELECT count(*) FROM tasks) = (SELECT count(*) FROM outbox
	    WHERE entity = 'task' AND kind = 'create')" "1" \
	    "a task exactly when its op exists ($i)"
	expect_sql "PRAGMA journal_mode" "wal" "WAL mode after a kill during creation ($i)"
done
check "some creations were killed (seed $SEED)" [ "$init_killed" -gt 0 ]

[ "$FAILS" -eq 0 ] || printf '%s: seed %s\n' "$TEST_NAME" "$SEED" >&2
finish
