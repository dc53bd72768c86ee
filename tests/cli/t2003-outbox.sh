#!/bin/sh
# t2003-outbox: every write queues exactly its outbox ops (entity, kind) in
# the same transaction, reads and refused writes queue nothing, HLCs
# strictly increase, and each row's field clocks (_fhlc) match the ops.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

D2=$(date -d '2 days ago' +%F)

# expect_ops DESC OPS CMD...: running tock CMD... queues exactly OPS.
expect_ops() {
	_d=$1
	_want=$2
	shift 2
	_s=$(last_seq)
	run "$@"
	_got=$(ops_since "$_s")
	[ "$_got" = "$_want" ] ||
	    fail "$_d: 'tock $*' queued '$_got', expected '$_want' (exit $RC, stderr '$ERR')"
}

# --- one command at a time ------------------------------------------------------
run ls
expect_rc 0 "first run"
expect_sql "SELECT entity || ':' || kind FROM outbox" "workspace:create" \
    "a new replica queues its personal workspace"

expect_ops "add" "task:create" add "a"
expect_ops "add with options" "task:create" \
    add "b" --tag x --meta k=v --due 2030-01-01 -d "desc" --priority p1
expect_sql "SELECT json_extract(fields, '\$.\"metadata.tags\"'),
    json_extract(fields, '\$.\"metadata.k\"'),
    json_extract(fields, '\$.\"metadata.priority\"'),
    json_extract(fields, '\$.due_date'), json_extract(fields, '\$.description'),
    json_extract(fields, '\$.title'), json_extract(fields, '\$.status')
    FROM outbox ORDER BY seq DESC LIMIT 1" \
    '["x"]|v|p1|2030-01-01|desc|b|todo' "the create op carries every field"
CREATE_HLC=$(sql "SELECT hlc FROM outbox WHERE entity = 'task' AND kind = 'create'
    ORDER BY seq LIMIT 1")
expect_ops "edit --title" "task:set" edit 1 --title "A"
expect_sql "SELECT json_extract(fields, '\$.title'),
    json_type(fields, '\$.updated_at'), json_extract(base, '\$.title')
    FROM outbox ORDER BY seq DESC LIMIT 1" "A|integer|$CREATE_HLC" \
    "a text edit names the clock it was made against"
expect_ops "edit tags and meta" "task:set" edit 2 --tag -x --meta k= --due none
expect_sql "SELECT json_extract(fields, '\$.\"metadata.tags\"'),
    json_type(fields, '\$.\"metadata.k\"'), json_type(fields, '\$.due_date'),
    base IS NULL
    FROM outbox ORDER BY seq DESC LIMIT 1" '[]|null|null|1' \
    "removals are nulls; no base without a text field"

expect_ops "start" "time_entry:timer.start task:set" start 1 --at "$D2 09:00"
expect_ops "start of the running task" "" start 1
expect_ops "start of another task" \
    "time_entry:timer.stop time_entry:timer.start task:set" \
    start 2 --at "$D2 10:00"
expect_ops "start of an in_progress task" \
    "time_entry:timer.stop time_entry:timer.start" start 1 --at "$D2 11:00"
S=$(last_seq)
run start "New task"
expect_rc 0 "start a new title"
OPS=$(ops_since "$S")
case $OPS in
"time_entry:timer.stop task:create time_entry:timer.start task:set"|\
"task:create time_entry:timer.stop time_entry:timer.start task:set"|\
"time_entry:timer.stop task:create time_entry:timer.start"|\
"task:create time_entry:timer.stop time_entry:timer.start") ;;
*) fail "start a new title queued '$OPS'" ;;
esac
expect_ops "stop" "time_entry:timer.stop" stop
expect_ops "stop with nothing running" "" stop
expect_ops "track" "time_entry:create" track 1 1h --at "$D2 12:00" --note "n"
TE=$(sql "SELECT id FROM time_entries WHERE notes = 'n'")
expect_ops "entry edit" "time_entry:set" entry edit "$TE" --note "n2" --end "$D2 13:30"
expect_sql "SELECT json_extract(fields, '\$.notes'), json_type(fields, '\$.end_time'),
    base IS NOT NULL FROM outbox ORDER BY seq DESC LIMIT 1" "n2|integer|1" \
    "entry edit op"
expect_ops "entry rm" "time_entry:delete" entry rm "$TE"
expect_ops "entry rm @1" "time_entry:delete" entry rm @1
expect_ops "comment" "comment:create" comment 1 "hi"
expect_ops "done" "task:set" done 1
expect_ops "start of an in_progress task" "time_entry:timer.start" \
    start 2 --at -5m
expect_ops "done of the running task" "time_entry:timer.stop task:set" done 2
expect_ops "rm" "task:delete" rm 3
ID3=$(sql "SELECT id FROM tasks WHERE title = 'New task'")
expect_ops "restore" "task:restore" restore "$ID3"
run start "$ID3" --at -4m
expect_ops "rm of the running task" "time_entry:timer.stop task:delete" rm "$ID3"
run add "c"
run add "d"
expect_ops "done of two" "task:set task:set" done 1 2
expect_ops "edit --status cancelled" "task:set" edit "$ID3" --status cancelled

# Batches: each good reference is its own change, bad ones queue nothing.
run add "e"
run add "f"
expect_ops "done with a bad reference" "task:set task:set" done 1 99 2

# Reads queue nothing.
for c in "ls" "ls --all" "show $ID3" "log" "status" "help" "version" \
    "log --json" "show --json $ID3"; do
	# shellcheck disable=SC2086
	expect_ops "$c" "" $c
done

# Refused writes queue nothing.
run add "g"
expect_ops "empty title" "" add ""
expect_ops "bad due" "" add "x" --due nonsense
expect_ops "edit of an unknown task" "" edit 99 --title x
expect_ops "edit to an empty title" "" edit 1 --title ""
expect_ops "done of an unknown task" "" done 99
expect_ops "track into the future" "" track 1 2h --at -1h
expect_ops "track ending before it starts" "" track 1 "$D2 10:00..$D2 09:00"
expect_ops "empty comment" "" comment 1 ""
expect_ops "entry edit ending before start" "" entry edit @1 --end "$D2 00:01"
expect_ops "stop in the future" "" stop --at +1h
expect_ops "start in the future" "" start 1 --at +1h
run start 1 --at "$D2 15:00"
expect_ops "start before the running start" "" start "Not made" --at "$D2 14:00"
expect_sql "SELECT count(*) FROM tasks WHERE title = 'Not made'" "0" \
    "a refused start makes no task"
run stop

# --- the whole outbox ---------------------------------------------------------------
NODE=$(sql "SELECT v FROM sync_meta WHERE k = 'node_id'")
WS=$(sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'")
HEX='[0-9a-f]'
HEX16="$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX"
expect_sql "SELECT count(*) FROM outbox WHERE hlc NOT GLOB '$HEX16-$HEX16'" "0" \
    "every hlc is %016x-%016x"
expect_sql "SELECT count(*) FROM outbox WHERE substr(hlc, 18) != '$NODE'" "0" \
    "every hlc carries the replica's node id"
expect_sql "SELECT count(*) FROM (SELECT hlc, lag(hlc) OVER (ORDER BY seq) AS prev
    FROM outbox) WHERE prev IS NOT NULL AND hlc <= prev" "0" \
    "hlc strictly increases with seq"
expect_sql "SELECT count(*) - count(DISTINCT hlc) FROM outbox" "0" "hlcs are unique"
check "'select hlc from outbox order by seq' is sorted and unique" \
    [ "$(sql "SELECT hlc FROM outbox ORDER BY seq")" = \
    "$(sql "SELECT hlc FROM outbox ORDER BY seq" | LC_ALL=C sort -u)" ]
expect_sql "SELECT count(*) FROM outbox WHERE op_id NOT GLOB
    '$HEX$HEX$HEX$HEX$HEX$HEX$HEX$HEX-$HEX$HEX$HEX$HEX-7$HEX$HEX$HEX-*'" "0" \
    "op ids are UUIDv7"
expect_sql "SELECT count(*) FROM outbox WHERE scope != '$WS'" "0" \
    "every op is in the personal workspace's scope"
expect_sql "SELECT count(*) FROM outbox WHERE json_type(fields) != 'object'
    OR fields = '{}' OR (base IS NOT NULL AND json_type(base) != 'object')" "0" \
    "fields (and base) are non-empty objects"
expect_sql "SELECT count(*) FROM outbox WHERE state != 'pending' OR attempts != 0" \
    "0" "nothing is in flight without a daemon"

ROWS="SELECT 'task' AS entity, id, _fhlc FROM tasks UNION ALL
    SELECT 'time_entry', id, _fhlc FROM time_entries UNION ALL
    SELECT 'comment', id, _fhlc FROM comments UNION ALL
    SELECT 'workspace', id, _fhlc FROM workspaces"
OPS="SELECT o.entity, o.entity_id, f.key AS k, max(o.hlc) AS h
    FROM outbox o, json_each(o.fields) f GROUP BY 1, 2, 3"
expect_sql "SELECT count(*) FROM ($ROWS) WHERE _fhlc = '{}' OR NOT json_valid(_fhlc)
    OR json_type(_fhlc) != 'object'" "0" "every data row has field clocks"
expect_sql "SELECT count(*) FROM ($ROWS) r WHERE NOT EXISTS (SELECT 1 FROM outbox o
    WHERE o.entity = r.entity AND o.entity_id = r.id
    AND o.kind IN ('create', 'timer.start'))" "0" "every data row has a create op"
expect_sql "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM ($ROWS) r
    WHERE r.entity = o.entity AND r.id = o.entity_id)" "0" \
    "every op names an existing row"
expect_sql "SELECT count(*) FROM ($OPS) ops LEFT JOIN ($ROWS) r
    ON r.entity = ops.entity AND r.id = ops.entity_id
    WHERE r.id IS NULL OR json_extract(r._fhlc, '\$.\"' || ops.k || '\"') IS NOT ops.h" \
    "0" "each written field's clock is the hlc of its last op"
expect_sql "SELECT count(*) FROM ($ROWS) r, json_each(r._fhlc) f
    WHERE NOT EXISTS (SELECT 1 FROM ($OPS) ops WHERE ops.entity = r.entity
    AND ops.entity_id = r.id AND ops.k = f.key)" "0" \
    "no field clock without an op"

# The row holds the value of the newest op that wrote each field.
col_check() {	# TABLE ENTITY COLUMN
	expect_sql "SELECT count(*) FROM $1 t WHERE EXISTS (SELECT 1 FROM outbox o
	    WHERE o.entity = '$2' AND o.entity_id = t.id
	    AND json_type(o.fields, '\$.$3') IS NOT NULL)
	    AND t.$3 IS NOT (SELECT json_extract(o.fields, '\$.$3') FROM outbox o
	    WHERE o.entity = '$2' AND o.entity_id = t.id
	    AND json_type(o.fields, '\$.$3') IS NOT NULL ORDER BY o.hlc DESC LIMIT 1)" \
	    "0" "$1.$3 is the value of its newest op"
}
for c in title description status due_date assignee_id deleted updated_at; do
	col_check tasks task "$c"
done
for c in task_id start_time end_time notes deleted origin; do
	col_check time_entries time_entry "$c"
done
col_check comments comment body
expect_sql "SELECT count(*) FROM tasks t, json_each(t._fhlc) f
    WHERE f.key LIKE 'metadata.%' AND
    json_extract(t.metadata, '\$.\"' || substr(f.key, 10) || '\"') IS NOT
    (SELECT json_extract(o.fields, '\$.\"' || f.key || '\"') FROM outbox o
    WHERE o.entity_id = t.id AND json_type(o.fields, '\$.\"' || f.key || '\"')
    IS NOT NULL ORDER BY o.hlc DESC LIMIT 1)" "0" \
    "each metadata key is the value of its newest op"

# Counts: one create op per row.
expect_sql "SELECT (SELECT count(*) FROM tasks) - (SELECT count(*) FROM outbox
    WHERE entity = 'task' AND kind = 'create')" "0" "one create op per task"
expect_sql "SELECT (SELECT count(*) FROM time_entries) - (SELECT count(*) FROM outbox
    WHERE entity = 'time_entry' AND kind IN ('create', 'timer.start'))" "0" \
    "one create op per time entry"
expect_sql "SELECT (SELECT count(*) FROM comments) - (SELECT count(*) FROM outbox
    WHERE entity = 'comment' AND kind = 'create')" "0" "one create op per comment"
expect_sql "PRAGMA integrity_check" "ok" "integrity"
expect_sql "PRAGMA foreign_key_check" "" "foreign keys"

finish
