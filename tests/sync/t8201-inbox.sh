#!/bin/sh
# t8201-inbox: notifications reach the assignee's replica through their
# private scope and tock inbox shows them offline: an assignment over REST
# by an admin, a comment on the assignee's task pushed from the admin's
# replica; the author's own replica gets nothing; tock notify turns a kind
# off on the server (later events of it are not queued).
. "${TOCK_SYNC_LIB:-$(dirname "$0")/lib.sh}"

standard_setup
replica ann
replica bob
login_replica ann ann@example.com
login_replica bob bob@example.com
ID_bob=$(uid_r bob)
WS=$(ws_r ann)
token_as ann@example.com
api POST "/api/v1/workspaces/$WS/members" '{"email":"bob@example.com","role":"member"}'
expect_status 201 "ann adds bob"

# An assignment over REST: bob's replica has it after a sync.
api POST /api/v1/tasks "{\"workspace_id\":\"$WS\",\"title\":\"Fix the build\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "ann assigns bob a task"
T1=$(jget "d['id']")
ok_as bob tock sync
ok_as bob tock inbox
case $OUT in
*"ann assigned you: Fix the build"*) ;;
*) fail "bob's inbox shows the assignment: '$OUT'" ;;
esac
expect_rsql bob "SELECT kind, json_extract(payload, '\$.task_id') FROM notifications" \
    "assigned|$T1" "one notification, for the task"

# A comment written on ann's replica and pushed: bob hears of it, ann not.
ok_as ann tock sync
NUM=$(rsql ann "SELECT num FROM tasks WHERE id = '$T1'")
ok_as ann tock comment "$NUM" "Any news?"
ok_as ann tock sync
ok_as bob tock sync
ok_as bob tock inbox
case $OUT in
*"ann commented on \"Fix the build\": Any news?"*) ;;
*) fail "bob's inbox shows the comment: '$OUT'" ;;
esac
expect_rsql ann "SELECT count(*) FROM notifications" "0" \
    "the author's replica has no notification"

# Marking read is local.
ok_as bob tock inbox read --all
ok_as bob tock inbox
expect_eq "$OUT" "No unread notifications" "everything read"

# Preferences: bob turns assignments off; the next one is not queued.
ok_as bob tock notify off assigned
expect_eq "$OUT" "assigned  off
comment   on
due       on" "tock notify shows the new preferences"
api POST /api/v1/tasks "{\"workspace_id\":\"$WS\",\"title\":\"Second\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "another assignment"
expect_sql "SELECT count(*) FROM notifications WHERE kind = 'assigned'" "1" \
    "nothing queued with assignments off"
ok_as bob tock sync
expect_rsql bob "SELECT count(*) FROM notifications" "2" \
    "bob's replica got nothing new"
finish
