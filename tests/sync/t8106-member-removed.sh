#!/bin/sh
# t8106-member-removed.sh - access revoked (SYNC.md 3.13).  Alice (admin)
# shares a workspace with Bob (member); tasks made with curl over REST reach
# both replicas.  Bob edits offline, Alice removes him, Bob's replica syncs:
# the workspace's rows leave his replica, his unsent ops for it are
# quarantined (not pushed, not lost) and shown by `tock sync status` and
# `tock sync quarantine`; his personal workspace is untouched, and later
# REST writes to the workspace never reach him.
. "$TOCK_SYNC_LIB"
standard_setup
replica a
replica b
login_replica a alice@example.com
login_replica b bob@example.com
BOB=$(uid_r b)
BOBWS=$(ws_r b)
token_as alice@example.com
api POST /api/v1/workspaces '{"name":"shared"}'
expect_status 201 "create the shared workspace"
W=$(jget "d['id']")
api POST "/api/v1/workspaces/$W/members" '{"email":"bob@example.com","role":"member"}'
expect_status 201 "add bob as a member"
ok_as b tock add "Bob's own task"
syncd_start a
syncd_start b

# A task made with curl appears in both replicas.
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"From curl\",\"assignee_id\":\"$BOB\"}"
expect_status 201 "REST create"
T=$(jget "d['id']")
wait_rsql a "SELECT title FROM tasks WHERE id = '$T'" "From curl"
wait_rsql b "SELECT title || '|' || workspace_id FROM tasks WHERE id = '$T'" "From curl|$W"
wait_rsql b "SELECT count(*) FROM outbox" 0
wait_same a "$W"
wait_same b "$W" "$BOB"

# Bob goes offline and writes to the shared workspace.
syncd_stop b
ok_as b tock workspace use "$W"
ok_as b tock add "Bob offline"
BT=$(rsql b "SELECT id FROM tasks WHERE title = 'Bob offline'")
ok_as b tock comment "$T" "comment from bob"
ok_as b tock edit "$T" --status in_progress
NPEND=$(rsql b "SELECT count(*) FROM outbox WHERE scope = '$W'")
COUNT=$((COUNT + 1))
[ "$NPEND" -ge 3 ] || fail "bob's offline writes: $NPEND ops for the workspace, expected >= 3"

api DELETE "/api/v1/workspaces/$W/members/$BOB"
COUNT=$((COUNT + 1))
case $STATUS in 200|204) ;; *) fail "remove bob: status $STATUS ($OUT)" ;; esac

syncd_start b
wait_rsql b "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 0
wait_rsql b "SELECT count(*) FROM outbox WHERE scope = '$W'" 0
expect_rsql b "SELECT count(*) FROM quarantine WHERE scope = '$W'" "$NPEND" \
    "every pending op for the workspace quarantined"
expect_rsql b "SELECT count(*) FROM quarantine WHERE payload LIKE '%Bob offline%'" 1 \
    "the offline task is kept in quarantine"
expect_rsql b "SELECT count(*) FROM comments WHERE workspace_id = '$W'" 0 \
    "the workspace's comments left the replica"
expect_rsql b "SELECT count(*) FROM time_entries WHERE workspace_id = '$W'" 0 \
    "the workspace's entries left the replica"
expect_rsql b "SELECT count(*) FROM memberships WHERE workspace_id = '$W' AND deleted = 0" 0 \
    "no membership left"
expect_rsql b "SELECT title FROM tasks WHERE workspace_id = '$BOBWS'" "Bob's own task" \
    "bob's personal workspace untouched"
expect_sql "SELECT count(*) FROM tasks WHERE id = '$BT'" 0 "the offline task was not pushed"
expect_sql "SELECT status FROM tasks WHERE id = '$T'" todo "bob's offline edit was not applied"
expect_sql "SELECT count(*) FROM comments WHERE task_id = '$T'" 0 "bob's comment was not pushed"

ok_as b tock sync status
COUNT=$((COUNT + 1))
printf '%s\n' "$OUT" | grep -qi quarantin || fail "tock sync status does not mention the quarantine: $OUT"
ok_as b tock sync status --json
COUNT=$((COUNT + 1))
printf '%s' "$OUT" | python3 -c "import json, sys
d = json.load(sys.stdin)
s = json.dumps(d)
sys.exit(0 if 'quarantine' in s and '$NPEND' in s else 1)" ||
	fail "tock sync status --json does not count $NPEND quarantined ops: $OUT"
# tock(1): the text list names the row (a short id), not its fields; the
# change as pushed is in the JSON.
ok_as b tock sync quarantine
COUNT=$((COUNT + 1))
printf '%s\n' "$OUT" | grep -q "create task $(printf '%s' "$BT" | cut -c1-8)" ||
	fail "tock sync quarantine does not list the offline task $BT: $OUT"
ok_as b tock sync quarantine --json
COUNT=$((COUNT + 1))
printf '%s' "$OUT" | python3 -c "import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(q['entity_id'] == '$BT' and q['kind'] == 'create'
                  and 'Bob offline' in json.dumps(q['op']) for q in d) else 1)" ||
	fail "tock sync quarantine --json lacks the offline task's create: $OUT"

# Later writes to the workspace never reach Bob.
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"After removal\"}"
expect_status 201 "REST create after the removal"
wait_rsql a "SELECT count(*) FROM tasks WHERE title = 'After removal'" 1
ok_as b tock sync --wait
expect_rsql b "SELECT count(*) FROM tasks WHERE title = 'After removal'" 0 \
    "removed member gets nothing new"
wait_same a "$W"
syncd_stop a
syncd_stop b
finish
