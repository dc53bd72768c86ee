#!/bin/sh
# t9102-sync-pull: POST and GET /api/v1/sync/pull after REST writes
# (exact changes and seqs, paging on transaction boundaries, the member's
# view of time entries, the three resets, available, applied_through) and
# GET /api/v1/sync/snapshot (pages by token, exact rows, deleted rows
# left out), with their 400s and 426s.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

standard_setup
user alice
user mia
user bob

act_as alice
api POST /api/v1/workspaces '{"name":"Team"}'
expect_status 201 "create Team"
TEAM=$(jget "d['id']")
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"mia@example.com","role":"member"}'
expect_status 201 "mia joins as member"
HEAD0=$(sql "SELECT last_seq FROM scopes WHERE id = '$TEAM'")

pull() {
	api POST /api/v1/sync/pull "$1"
}

# ---- the changes of REST writes ------------------------------------------
api POST /api/v1/tasks "{\"title\":\"one\",\"workspace_id\":\"$TEAM\"}"
expect_status 201 "task one"
T1=$(jget "d['id']")
api PATCH "/api/v1/tasks/$T1" '{"title":"one!"}'
expect_status 200 "rename one"
api POST /api/v1/tasks "{\"title\":\"two\",\"workspace_id\":\"$TEAM\",\"metadata\":{\"p\":1}}"
T2=$(jget "d['id']")

pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":$HEAD0}]}"
expect_status 200 "pull"
expect_json "len(d['scopes']) == 1 and d['scopes'][0]['id'] == '$TEAM'" "one scope answered"
expect_json "[(c['seq'], c['e'], c['eid'], c['kind']) for c in d['scopes'][0]['changes']] == [($HEAD0 + 1, 'task', '$T1', 'create'), ($HEAD0 + 2, 'task', '$T1', 'set'), ($HEAD0 + 3, 'task', '$T2', 'create')]" \
    "exactly the three changes, in seq order"
expect_json "d['scopes'][0]['changes'][1]['fields'] == {'title': 'one!'} and set(d['scopes'][0]['changes'][1]['fhlc']) == {'title'}" \
    "a set carries its fields and clocks"
expect_json "d['scopes'][0]['changes'][0]['by'] == '$ID_alice'" "by = the writer"
expect_json "d['scopes'][0]['changes'][2]['fields']['metadata.p'] == 1" "metadata as metadata.<k>"
expect_json "d['scopes'][0]['next_cursor'] == $HEAD0 + 3 and d['scopes'][0]['head'] == $HEAD0 + 3 and d['scopes'][0]['has_more'] is False" \
    "next_cursor, head, has_more"
expect_json "d['v'] == 1 and isinstance(d['server_time'], int) and d['applied_through'] is None" \
    "v, server_time; no device, no applied_through"
expect_json "sorted(a['id'] for a in d['available'] if 'name' in a) == sorted(['$TEAM', '$WS_alice'])" \
    "available lists both workspaces"
expect_json "[a for a in d['available'] if a['id'] == '$TEAM'][0] == {'id': '$TEAM', 'name': 'Team', 'role': 'admin', 'head': $HEAD0 + 3}" \
    "available: name, role, head"
expect_json "any(a['id'] == 'u:$ID_alice' and isinstance(a['head'], int) for a in d['available'])" \
    "available lists the user scope"

# Nothing new: an empty page at head.
pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":$((HEAD0 + 3))}]}"
expect_json "d['scopes'][0]['changes'] == [] and d['scopes'][0]['next_cursor'] == $HEAD0 + 3 and d['scopes'][0]['has_more'] is False" \
    "at head: nothing"

# ---- paging ends on transaction boundaries ----------------------------
pull "{\"v\":1,\"schema\":1,\"limit\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":$HEAD0}]}"
expect_json "[c['seq'] for c in d['scopes'][0]['changes']] == [$HEAD0 + 1] and d['scopes'][0]['has_more'] is True and d['scopes'][0]['next_cursor'] == $HEAD0 + 1" \
    "limit 1: one change, more to come"
# A transaction of three rows (seqs 101..103, tx_last_seq 103): a page of
# limit 1 that starts in it takes all three.
sql "INSERT INTO scopes (id, kind) VALUES ('01936100-0000-7000-8000-0000000000aa', 1);
INSERT INTO users (id, email, name, password_hash) VALUES ('01936100-0000-7000-8000-0000000000ab', 'x@x', 'x', 'x');
INSERT INTO workspaces (id, name, created_by) VALUES ('01936100-0000-7000-8000-0000000000aa', 'Tx', '01936100-0000-7000-8000-0000000000ab');
INSERT INTO memberships (workspace_id, user_id, role) VALUES ('01936100-0000-7000-8000-0000000000aa', '$ID_alice', 'admin');
INSERT INTO sync_log (scope_id, seq, tx_last_seq, entity, entity_id, kind, fields, fhlc)
 SELECT '01936100-0000-7000-8000-0000000000aa', s, CASE WHEN s <= 3 THEN 3 ELSE s END, 1,
  '01936100-0000-7000-8000-0000000000ac', 2, '{\"title\":\"x\"}', '{}' FROM generate_series(1, 5) s;
UPDATE scopes SET last_seq = 5 WHERE id = '01936100-0000-7000-8000-0000000000aa'" >/dev/null ||
	fail "cannot set up the transaction rows"
TX=01936100-0000-7000-8000-0000000000aa
pull "{\"v\":1,\"schema\":1,\"limit\":1,\"scopes\":[{\"id\":\"$TX\",\"cursor\":0}]}"
expect_json "[c['seq'] for c in d['scopes'][0]['changes']] == [1, 2, 3] and d['scopes'][0]['next_cursor'] == 3 and d['scopes'][0]['has_more'] is True" \
    "a page does not split a transaction"
pull "{\"v\":1,\"schema\":1,\"limit\":1,\"scopes\":[{\"id\":\"$TX\",\"cursor\":3}]}"
expect_json "[c['seq'] for c in d['scopes'][0]['changes']] == [4] and d['scopes'][0]['next_cursor'] == 4" \
    "the next page"
api GET "/api/v1/sync/pull?scope=$TX&since=4&limit=10"
expect_status 200 "GET pull"
expect_json "d['v'] == 1 and d['id'] == '$TX' and [c['seq'] for c in d['changes']] == [5] and d['next_cursor'] == 5 and d['head'] == 5 and d['has_more'] is False" \
    "GET answers one scope at top level"

# ---- resets -------------------------------------------------------------
sql "UPDATE scopes SET compacted_through = 2 WHERE id = '$TX'" >/dev/null
pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TX\",\"cursor\":1},{\"id\":\"$TX\",\"cursor\":9},{\"id\":\"$WS_bob\",\"cursor\":0},{\"id\":\"01936100-0000-7000-8000-00000000dead\",\"cursor\":0},{\"id\":\"u:$ID_bob\",\"cursor\":0},{\"id\":\"u:$ID_alice\",\"cursor\":0}]}"
expect_status 200 "pull with resets"
expect_json "[s.get('reset', {}).get('reason') for s in d['scopes']] == ['cursor_expired', 'server_rewound', 'access_revoked', 'access_revoked', 'access_revoked', None]" \
    "cursor_expired, server_rewound, access_revoked (other's workspace, unknown, other's user scope); own user scope fine"
expect_json "d['scopes'][5]['id'] == 'u:$ID_alice' and 'changes' in d['scopes'][5]" "own user scope pulled"
api GET "/api/v1/sync/pull?scope=$WS_bob&since=0"
expect_json "d['reset'] == {'reason': 'access_revoked'}" "GET: access_revoked"

# ---- a member sees only their own time entries ---------------------------
act_as mia
api POST "/api/v1/tasks/$T1/time-entries" '{}'
expect_status 201 "mia starts a timer"
E_MIA=$(jget "d['id']")
act_as alice
api POST "/api/v1/tasks/$T1/time-entries" '{}'
expect_status 201 "alice starts a timer"
E_ALICE=$(jget "d['id']")
HEAD=$(sql "SELECT last_seq FROM scopes WHERE id = '$TEAM'")
act_as mia
pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":$((HEAD0 + 3))}]}"
expect_json "[c['eid'] for c in d['scopes'][0]['changes'] if c['e'] == 'time_entry'] == ['$E_MIA']" \
    "member: only her own entry"
expect_json "d['scopes'][0]['next_cursor'] == $HEAD and d['scopes'][0]['has_more'] is False" \
    "member: the cursor moves past the others' entries"
act_as alice
pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":$((HEAD0 + 3))}]}"
expect_json "sorted(c['eid'] for c in d['scopes'][0]['changes'] if c['e'] == 'time_entry') == sorted(['$E_MIA', '$E_ALICE'])" \
    "admin: every entry"

# ---- applied_through ---------------------------------------------------------
DEV=$(sql "SELECT id FROM devices WHERE user_id = '$ID_alice' LIMIT 1")
sql "UPDATE devices SET last_client_seq = 44 WHERE id = '$DEV'" >/dev/null
pull "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"scopes\":[]}"
expect_json "d['applied_through'] == 44 and d['scopes'] == []" "applied_through of the device"

# ---- bad requests --------------------------------------------------------
pull '{"v":1,"schema":1}'
expect_field_error scopes "no scopes"
pull '{"v":1,"schema":1,"scopes":[{"id":"nope","cursor":0}]}'
expect_field_error scopes "bad scope id"
pull "{\"v\":1,\"schema\":1,\"scopes\":[{\"id\":\"$TEAM\",\"cursor\":-1}]}"
expect_field_error scopes "negative cursor"
pull "{\"v\":1,\"schema\":1,\"limit\":1001,\"scopes\":[]}"
expect_field_error limit "limit over 1000"
pull '{"v":2,"schema":1,"scopes":[]}'
expect_error 426 proto_unsupported "v 2"
expect_json "d['min'] == 1 and d['max'] == 1" "426 names the versions"
pull '{"v":1,"schema":7,"scopes":[]}'
expect_error 426 schema_unsupported "schema 7"
pull '{"scopes":[]}'
expect_field_error v "no v"
api GET "/api/v1/sync/pull?since=0"
expect_field_error scope "GET without scope"
api GET "/api/v1/sync/pull?scope=$TEAM&since=x"
expect_field_error since "GET with a bad since"
api GET "/api/v1/sync/pull?scope=$TEAM&limit=5000"
expect_field_error limit "GET with a limit over 1000"
TOKEN= api GET "/api/v1/sync/pull?scope=$TEAM"
expect_status 401 "pull needs a token"

# ---- snapshot --------------------------------------------------------------
act_as alice
api DELETE "/api/v1/tasks/$T2"
expect_status 204 "delete task two"
api POST "/api/v1/tasks/$T1/comments" '{"body":"hello"}'
expect_status 201 "a comment"
C1=$(jget "d['id']")
for i in 1 2 3 4 5; do
	api POST /api/v1/tasks "{\"title\":\"bulk $i\",\"workspace_id\":\"$TEAM\",\"metadata\":{\"n\":$i}}"
done
HEAD=$(sql "SELECT last_seq FROM scopes WHERE id = '$TEAM'")
ROWS=$TMP/snaprows
: >"$ROWS"
TOK=
PAGES=0
SEQS=
while :; do
	api GET "/api/v1/sync/snapshot?scope=$TEAM&limit=3&token=$TOK"
	expect_status 200 "snapshot page $PAGES"
	PAGES=$((PAGES + 1))
	jget "'\n'.join(json.dumps(r, sort_keys=True) for r in d['rows'])" >>"$ROWS"
	SEQS="$SEQS $(jget "d['snapshot_seq']")"
	[ "$(jget "d['done']")" = True ] && break
	TOK=$(jget "d['token']")
	[ "$PAGES" -lt 20 ] || { fail "snapshot never done"; break; }
done
expect_eq "$(echo $SEQS | tr ' ' '\n' | sort -u)" "$HEAD" "every page repeats snapshot_seq = the head"
python3 - "$ROWS" "$TEAM" "$ID_alice" "$ID_mia" "$T1" "$T2" "$E_MIA" "$E_ALICE" "$C1" <<'EOF' ||
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
team, alice, mia, t1, t2, e_mia, e_alice, c1 = sys.argv[2:]
order = ['workspace', 'membership', 'task', 'time_entry', 'comment']
kinds = [r['e'] for r in rows]
assert kinds == sorted(kinds, key=order.index), kinds
ids = [(r['e'], r['eid']) for r in rows]
assert len(ids) == len(set(ids)), 'duplicate rows'
assert ('workspace', team) in ids
ws = [r for r in rows if r['e'] == 'workspace'][0]
assert ws['fields'] == {'name': 'Team', 'personal': False, 'created_by': alice, 'deleted': False}, ws
assert set(ws['fhlc']) == set(ws['fields']), ws
m = sorted((r['eid'], r['fields']['role'], r['fields']['name'], r['fields']['email']) for r in rows if r['e'] == 'membership')
assert m == sorted([(alice, 'admin', 'alice', 'alice@example.com'), (mia, 'member', 'mia', 'mia@example.com')]), m
tasks = [r for r in rows if r['e'] == 'task']
assert len(tasks) == 6, len(tasks)      # one, five bulk; two is deleted
assert t2 not in [t['eid'] for t in tasks]
one = [t for t in tasks if t['eid'] == t1][0]['fields']
assert one['title'] == 'one!' and one['status'] == 'todo' and isinstance(one['created_at'], int), one
assert set(one) >= {'workspace_id', 'title', 'description', 'status', 'assignee_id', 'created_by', 'created_at', 'updated_at', 'due_date', 'deleted'}
b = [t for t in tasks if t['fields']['title'] == 'bulk 3'][0]
assert b['fields']['metadata.n'] == 3 and 'metadata.n' in b['fhlc'], b
assert all(len(v) == 33 for t in tasks for v in t['fhlc'].values())
assert sorted(r['eid'] for r in rows if r['e'] == 'time_entry') == sorted([e_mia, e_alice])
assert [r['eid'] for r in rows if r['e'] == 'comment'] == [c1]
EOF
	fail "snapshot rows are not exactly the workspace's"
COUNT=$((COUNT + 1))

act_as mia
api GET "/api/v1/sync/snapshot?scope=$TEAM"
expect_json "[r['eid'] for r in d['rows'] if r['e'] == 'time_entry'] == ['$E_MIA'] and d['done'] is True" \
    "member snapshot: own entries only"
api GET "/api/v1/sync/snapshot?scope=$WS_bob"
expect_error 404 not_found "snapshot of a workspace not hers"
api GET "/api/v1/sync/snapshot?scope=u:$ID_mia"
expect_json "d['rows'] == [] and d['done'] is True and isinstance(d['snapshot_seq'], int)" "user scope snapshot"
api GET "/api/v1/sync/snapshot?scope=$TEAM&token=garbage"
expect_field_error token "bad token"
api GET "/api/v1/sync/snapshot?scope=$TEAM&limit=5001"
expect_field_error limit "limit over 5000"
api GET "/api/v1/sync/snapshot"
expect_field_error scope "no scope"

finish
