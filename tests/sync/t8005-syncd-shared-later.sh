#!/bin/sh
# t8005 - a workspace shared with a user after their daemon connected
# (SYNC.md 3.13): the membership reaches the user's own scope u:<id>, its
# poke makes the daemon pull, the pull learns the workspace, and the
# daemon says hello again so the server pokes it for that workspace too.
# A task made there over REST is in the replica within 2 s; removing the
# user drops the workspace's rows from the replica within 2 s.
. "$TOCK_SYNC_LIB"
standard_setup
replica b
login_replica b bob@example.com
BOB=$(uid_r b)
ensure_user alice@example.com
token_as alice@example.com
api POST /api/v1/workspaces '{"name":"Shared later"}'
expect_status 201 "alice makes a workspace"
W=$(jget "d['id']")
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"before bob\"}"
expect_status 201 "a task from before bob joined"

syncd_start b
wait_online b
# The first round has run (the daemon is idle, its hello sent).
wait_rsql b "SELECT count(*) FROM sync_cursor WHERE scope = 'u:$BOB' AND state = 'live'" 1

# Shared now: the membership is logged into bob's own scope as well.
api POST "/api/v1/workspaces/$W/members" '{"email":"bob@example.com","role":"member"}'
expect_status 201 "add bob"
expect_sql "SELECT fields->>'workspace_id', fields->>'role', fields->>'email',
    fields->>'workspace_name' FROM sync_log WHERE scope_id = '$BOB'
    AND entity = 5 ORDER BY seq DESC LIMIT 1" \
    "$W|member|bob@example.com|Shared later" "the membership is in u:bob"
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"after bob joined\"}"
expect_status 201 "a task after bob joined"
T=$(jget "d['id']")
wait_rsql b "SELECT title FROM tasks WHERE id = '$T'" "after bob joined" 2
wait_rsql b "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 2 2
wait_rsql b "SELECT role FROM memberships WHERE workspace_id = '$W' AND user_id = '$BOB'" member 2

# Live from now on: only a poke of W itself can bring this one within
# 2 s (the safety pull is 60 s away), so the connection is subscribed.
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"live in W\"}"
expect_status 201 "another task"
T2=$(jget "d['id']")
wait_rsql b "SELECT title FROM tasks WHERE id = '$T2'" "live in W" 2

# A role change reaches u:bob too.
api PATCH "/api/v1/workspaces/$W/members/$BOB" '{"role":"lead"}'
expect_status 200 "make bob a lead"
wait_rsql b "SELECT role FROM memberships WHERE workspace_id = '$W' AND user_id = '$BOB'" lead 2

# Removed: the workspace leaves the replica.
api DELETE "/api/v1/workspaces/$W/members/$BOB"
expect_status 204 "remove bob"
expect_sql "SELECT coalesce(fields->>'role', 'null') FROM sync_log
    WHERE scope_id = '$BOB' AND entity = 5 ORDER BY seq DESC LIMIT 1" \
    "null" "the removal is in u:bob"
wait_rsql b "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 0 2
wait_rsql b "SELECT count(*) FROM memberships WHERE workspace_id = '$W'" 0 2
# And nothing more of W comes.
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"after bob left\"}"
expect_status 201 "a task after bob left"
expect_eq "$(ctl b '{"cmd":"sync"}' 20 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')" \
    True "a full round after the removal"
expect_rsql b "SELECT count(*) FROM tasks WHERE workspace_id = '$W'" 0 \
    "no rows of W after the removal"

syncd_stop b
finish
