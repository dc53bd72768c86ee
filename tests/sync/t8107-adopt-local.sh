#!/bin/sh
# t8107-adopt-local.sh - the first `tock login` adopts what was tracked
# before it: the local user becomes the server's user, the local personal
# workspace becomes the server's, and the tasks, entries and comments go up
# once.  A second sync changes nothing, and a second device's login (with
# its own pre-login task) duplicates nothing.
. "$TOCK_SYNC_LIB"
standard_setup
replica a
ok_as a tock add "Before login 1" --json
T1=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
ok_as a tock add "Before login 2"
ok_as a tock track "$T1" 1h --at 2026-01-05T09:00:00
ok_as a tock start "$T1"
ok_as a tock stop
ok_as a tock comment "$T1" "noted offline"
LOCAL_UID=$(uid_r a)
login_replica a alice@example.com
ALICE=$(sql "SELECT id FROM users WHERE email = 'alice@example.com'")
W=$(sql "SELECT default_workspace_id FROM users WHERE id = '$ALICE'")
replica_sync a
expect_eq "$(uid_r a)" "$ALICE" "the local user took the server's id"
expect_eq "$(ws_r a)" "$W" "the local personal workspace is the server's"
expect_rsql a "SELECT count(*) FROM tasks WHERE workspace_id <> '$W'" 0 \
    "every local task moved into the personal workspace"
expect_rsql a "SELECT count(*) FROM tasks WHERE created_by <> '$ALICE'" 0 \
    "local tasks are the server user's"
expect_rsql a "SELECT count(*) FROM time_entries WHERE user_id <> '$ALICE'" 0 \
    "local entries are the server user's"
expect_outbox_empty a
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 2 "two tasks on the server"
expect_sql "SELECT count(*) FROM tasks WHERE id = '$T1' AND title = 'Before login 1'" 1 \
    "the task kept its id"
expect_sql "SELECT count(*) FROM time_entries WHERE workspace_id = '$W'" 2 "two entries on the server"
expect_sql "SELECT count(*) FROM comments WHERE workspace_id = '$W'" 1 "one comment on the server"
expect_sql "SELECT count(*) FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
    WHERE m.user_id = '$ALICE'" 1 "alice still has one workspace"
expect_sql "SELECT count(*) FROM users WHERE id = '$LOCAL_UID' AND id <> '$ALICE'" 0 \
    "the pre-login user id did not become a second user"
expect_same a "$W"

# A second sync has nothing to do.
log0=$(sql "SELECT count(*) FROM sync_log")
replica_sync a
expect_sql "SELECT count(*) FROM sync_log" "$log0" "second sync wrote nothing"
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 2 "still two tasks"

# A second device with its own pre-login task.
replica b
ok_as b tock add "Phone before login"
login_replica b alice@example.com
replica_sync b
replica_sync a
replica_sync b
expect_eq "$(ws_r b)" "$W" "b adopted the same personal workspace"
expect_sql "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 3 "three tasks, none twice"
expect_sql "SELECT count(*) || '|' || count(DISTINCT title) FROM tasks WHERE workspace_id = '$W'" \
    "3|3" "titles unique"
expect_sql "SELECT count(*) FROM time_entries WHERE workspace_id = '$W'" 2 "still two entries"
expect_sql "SELECT count(*) FROM comments WHERE workspace_id = '$W'" 1 "still one comment"
expect_sql "SELECT count(*) FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
    WHERE m.user_id = '$ALICE'" 1 "still one workspace"
expect_rsql b "SELECT count(*) FROM workspaces WHERE deleted = 0" 1 \
    "b has no leftover local workspace"
for r in a b; do
	expect_outbox_empty $r
	expect_same $r "$W"
done
finish
