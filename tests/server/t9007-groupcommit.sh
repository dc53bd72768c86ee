#!/bin/sh
# t9007-groupcommit: concurrent POST /api/v1/tasks are group-committed
# (pool.h, api_tasks_create_batch): 200 POSTs, 20 at a time, into one
# workspace, with bob writing into his own at the same time; one bad body
# and a burst of duplicate client ids in the middle.  Every 201 has its
# task and exactly one sync_log row, the seqs of each scope are gap-free
# and in commit order, the bad body gets its 400 and exactly one of the
# duplicates its 201 (the others 409) while everything else succeeds.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

standard_setup
user alice
user bob
act_as alice

DUP=01936100-0000-7000-8000-0000000d0d0d
mkdir "$TMP/out"
# One line per request: name, token, body.
i=0
while [ $i -lt 200 ]; do
	case $i in
	100) body='{"title":"   "}' ;;	# fails validation: 400
	10[1-5]) body="{\"id\":\"$DUP\",\"title\":\"dup $i\",\"workspace_id\":\"$WS_alice\"}" ;;
	*[13579]) body="{\"title\":\"task $i\"}" ;;	# the default workspace
	*) body="{\"title\":\"task $i\",\"workspace_id\":\"$WS_alice\"}" ;;
	esac
	printf 'a%03d %s %s\n' $i "$TOKEN_alice" "$body"
	if [ $((i % 4)) -eq 0 ]; then
		printf 'b%03d %s {"title":"bob %d"}\n' $i "$TOKEN_bob" $i
	fi
	i=$((i + 1))
done >"$TMP/reqs"
cat >"$TMP/one.sh" <<'EOF'
#!/bin/sh
# one.sh BASE OUTDIR NAME TOKEN BODY
curl -s -o "$2/$3.body" -w '%{http_code}' --max-time 60 -X POST \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $4" \
    --data-binary "$5" "$1/api/v1/tasks" >"$2/$3.status"
EOF
# xargs splits on blanks: read the three fields ourselves.
while read -r name tok body; do
	printf '%s\0%s\0%s\0' "$name" "$tok" "$body"
done <"$TMP/reqs" | xargs -0 -n 3 -P 20 sh "$TMP/one.sh" "$BASE" "$TMP/out"

COUNT=$((COUNT + 1))
N=$(ls "$TMP/out"/*.status | wc -l)
[ "$N" -eq 250 ] || fail "$N of 250 requests answered"
expect_eq "$(cat "$TMP/out/a100.status")" 400 "the bad body in the middle: 400"
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["field"])' \
    "$TMP/out/a100.body")" title "its 400 names the field"
expect_eq "$(for f in "$TMP/out"/a10[1-5].status; do cat "$f"; echo; done |
    sort | tr '\n' ' ')" \
    "201 409 409 409 409 " "duplicate ids: one 201, four 409"
expect_eq "$(for f in "$TMP/out"/*.status; do case $f in
    */a100.status|*/a10[1-5].status) ;; *) cat "$f"; echo ;; esac; done |
    sort | uniq -c | awk '{ print $2 ":" $1 }')" "201:244" \
    "every other request: 201"

# The ids of every 201, and their answers are the tasks as stored.
python3 - "$TMP/out" >"$TMP/ids" <<'PY' || fail "201 bodies"
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith('.status') and open(os.path.join(d, f)).read() == '201':
        b = json.load(open(os.path.join(d, f[:-7] + '.body')))
        assert b['version'] == 1, b
        print(b['id'])
PY
COUNT=$((COUNT + 1))
[ "$(sort -u "$TMP/ids" | wc -l)" -eq 245 ] ||
	fail "245 distinct task ids expected, got $(sort -u "$TMP/ids" | wc -l)"
IDS=$(sed "s/.*/'&'/" "$TMP/ids" | paste -sd, -)
expect_sql "SELECT count(*) FROM tasks WHERE id IN ($IDS)" 245 \
    "every 201 has its task"
expect_sql "SELECT count(*) FROM tasks t WHERE id IN ($IDS) AND
    (SELECT count(*) FROM sync_log l WHERE l.entity_id = t.id) <> 1" 0 \
    "each with exactly one sync_log row"
expect_sql "SELECT count(*) FROM sync_log l WHERE entity = 1 AND
    NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = l.entity_id)" 0 \
    "no sync_log row without its task (the 400 and 409s left nothing)"
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$WS_alice'" 195 \
    "alice's workspace has 195 tasks"
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$WS_bob'" 50 \
    "bob's workspace has 50 tasks"
for ws in "$WS_alice" "$WS_bob"; do
	expect_sql "SELECT count(*) = max(seq) - min(seq) + 1
	    AND count(DISTINCT seq) = count(*)
	    AND max(seq) = (SELECT last_seq FROM scopes WHERE id = '$ws')
	    FROM sync_log WHERE scope_id = '$ws'" t \
	    "seqs of $ws gap-free up to the scope's last_seq"
	expect_sql "SELECT count(*) FROM tasks t JOIN sync_log l
	    ON l.entity_id = t.id WHERE t.workspace_id = '$ws'
	    AND (t.last_seq <> l.seq OR l.tx_last_seq <> l.seq)" 0 \
	    "each task's last_seq is its log row's seq in $ws"
done
# The writes were grouped: fewer transactions than tasks (sync_log's
# created_at is now(), the start of the row's transaction; xmin would not
# do, as each request's rows carry its savepoint's xid).
COUNT=$((COUNT + 1))
NTX=$(sql "SELECT count(DISTINCT (scope_id, created_at)) FROM sync_log
    WHERE entity_id IN ($IDS)")
[ "$NTX" -lt 245 ] || fail "no group commit: $NTX transactions for 245 tasks"
printf '# %s transactions for 245 tasks\n' "$NTX"

# A big batch for certain: hold the scope's lock from outside while 40
# POSTs queue up behind the two batch workers, then let go.  Three of them
# share a client id: the all-at-once insert fails, the batch is written
# request by request, and only the duplicates' savepoints are undone.
DUP2=01936100-0000-7000-8000-0000000d0d0e
as_pg "$PGBIN/psql" -h "$TMP/sock" -p "$PGPORT" -U postgres -d tock -X -q \
    -c "BEGIN" -c "SELECT 1 FROM scopes WHERE id = '$WS_alice' FOR UPDATE" \
    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
HOLD=$!
_dl=$(deadline 10)
until [ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
    USING (pid) WHERE a.query LIKE '%pg_sleep%' AND l.locktype = 'transactionid'")" -ge 1 ] ||
    ! before "$_dl"; do
	sleep 0.05
done
mkdir "$TMP/out2"
i=0
while [ $i -lt 40 ]; do
	case $i in
	1[012]) body="{\"id\":\"$DUP2\",\"title\":\"dup $i\"}" ;;
	*) body="{\"title\":\"held $i\"}" ;;
	esac
	printf '%s\0%s\0%s\0' "h$i" "$TOKEN_alice" "$body"
	i=$((i + 1))
done | xargs -0 -n 3 -P 40 sh "$TMP/one.sh" "$BASE" "$TMP/out2"
wait "$HOLD"
expect_eq "$(for f in "$TMP/out2"/*.status; do cat "$f"; echo; done |
    sort | uniq -c | awk '{ print $2 ":" $1 }' | tr '\n' ' ')" \
    "201:38 409:2 " "held burst: the duplicates 409, the rest 201"
expect_sql "SELECT count(*) = max(seq) - min(seq) + 1
    AND max(seq) = (SELECT last_seq FROM scopes WHERE id = '$WS_alice')
    FROM sync_log WHERE scope_id = '$WS_alice'" t \
    "seqs still gap-free after the held burst"
expect_sql "SELECT count(*) FROM tasks t WHERE workspace_id = '$WS_alice'
    AND (SELECT count(*) FROM sync_log l WHERE l.entity_id = t.id) <> 1" 0 \
    "every task of the held burst has one sync_log row"
COUNT=$((COUNT + 1))
NBIG=$(sql "SELECT max(c) FROM (SELECT count(*) c FROM sync_log
    WHERE scope_id = '$WS_alice' GROUP BY created_at) x")
[ "$NBIG" -ge 10 ] || fail "held burst: largest commit $NBIG tasks"

# The server still answers one request at a time as before.
act_as alice
api POST /api/v1/tasks '{"title":"after"}'
expect_status 201 "a lone POST afterwards"
server_stop
expect_eq "$SERVER_RC" 0 "clean exit"
finish
