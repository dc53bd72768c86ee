#!/bin/sh
# t9004-roles: workspaces and members; admin, lead and member rights;
# isolation between workspaces (404, never 403, for what is not yours);
# the last admin; removal stopping a running timer; and row-level
# security holding at the database even without the server's checks.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

NOID=01936100-0000-7000-8000-00000000dead
standard_setup
user alice
user larry
user mia
user oscar

# ---- workspaces -------------------------------------------------------
act_as alice
api POST /api/v1/workspaces '{"name":"Team"}'
expect_status 201 "create a workspace"
expect_json "d['name'] == 'Team' and d['role'] == 'admin' and d['personal'] is False" \
    "workspace answer"
TEAM=$(jget "d['id']")
api POST /api/v1/workspaces '{"name":""}'
expect_field_error name "empty workspace name"
api POST /api/v1/workspaces '{}'
expect_field_error name "no workspace name"
api GET /api/v1/workspaces
expect_json "[(w['name'], w['role']) for w in d['workspaces']] == [('Personal', 'admin'), ('Team', 'admin')]" \
    "alice's workspaces"

api POST "/api/v1/workspaces/$TEAM/members" '{"email":"larry@example.com","role":"lead"}'
expect_status 201 "add a lead"
expect_json "d['user_id'] == '$ID_larry' and d['role'] == 'lead' and d['status'] == 'active'" \
    "member answer"
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"MIA@example.com","role":"member"}'
expect_status 201 "add a member (email in another case)"
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"mia@example.com","role":"lead"}'
expect_error 409 already_member "add twice"
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"x@example.com","role":"owner"}'
expect_field_error role "bad role"
api POST "/api/v1/workspaces/$TEAM/members" '{"role":"member"}'
expect_field_error email "no email"
api POST "/api/v1/workspaces/bad/members" '{"email":"x@example.com","role":"member"}'
expect_field_error id "bad workspace id"

act_as mia
api GET /api/v1/workspaces
expect_json "[(w['name'], w['role']) for w in d['workspaces']] == [('Personal', 'admin'), ('Team', 'member')]" \
    "mia sees Team as a member"
api GET "/api/v1/workspaces/$TEAM/members"
expect_status 200 "a member lists members"
expect_json "sorted((m['name'], m['role']) for m in d['members']) == [('alice', 'admin'), ('larry', 'lead'), ('mia', 'member')]" \
    "the members"
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"oscar@example.com","role":"member"}'
expect_error 403 forbidden "a member may not add members"
act_as larry
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"oscar@example.com","role":"member"}'
expect_error 403 forbidden "a lead may not add members"
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_mia" '{"role":"lead"}'
expect_error 403 forbidden "a lead may not change roles"

act_as oscar
api GET /api/v1/workspaces
expect_json "[w['name'] for w in d['workspaces']] == ['Personal']" \
    "oscar sees only his own workspace"
api GET "/api/v1/workspaces/$TEAM/members"
expect_error 404 not_found "an outsider cannot see the members"
api POST "/api/v1/workspaces/$TEAM/members" '{"email":"oscar@example.com","role":"admin"}'
expect_error 404 not_found "an outsider cannot join"

# ---- tasks by role ----------------------------------------------------
act_as alice
api POST /api/v1/tasks "{\"title\":\"Alice's\",\"workspace_id\":\"$TEAM\"}"
expect_status 201 "admin creates"
TA=$(jget "d['id']")
act_as larry
api POST /api/v1/tasks "{\"title\":\"For Mia\",\"workspace_id\":\"$TEAM\",\"assignee_id\":\"$ID_mia\"}"
expect_status 201 "a lead assigns someone else"
TL=$(jget "d['id']")
expect_sql "SELECT kind, user_id = '$ID_mia' FROM notifications
    WHERE entity_id = '$TL'" "assigned|t" "the assignee gets a notification row"
api POST /api/v1/tasks "{\"title\":\"Outsider\",\"workspace_id\":\"$TEAM\",\"assignee_id\":\"$ID_oscar\"}"
expect_field_error assignee_id "the assignee must be a member"
act_as mia
api POST /api/v1/tasks "{\"title\":\"Mia's\",\"workspace_id\":\"$TEAM\"}"
expect_status 201 "a member creates"
TM=$(jget "d['id']")
api POST /api/v1/tasks "{\"title\":\"For Larry\",\"workspace_id\":\"$TEAM\",\"assignee_id\":\"$ID_larry\"}"
expect_error 403 forbidden "a member may not assign others"
api POST /api/v1/tasks "{\"title\":\"Mine\",\"workspace_id\":\"$TEAM\",\"assignee_id\":\"$ID_mia\"}"
expect_status 201 "a member may assign herself"
api GET "/api/v1/tasks?workspace_id=$TEAM"
expect_json "d['total'] == 4" "a member reads every task of the workspace"
api PATCH "/api/v1/tasks/$TL" '{"status":"in_progress"}'
expect_status 200 "a member edits a task assigned to her"
api PATCH "/api/v1/tasks/$TM" '{"title":"Mia edited"}'
expect_status 200 "a member edits her own task"
api PATCH "/api/v1/tasks/$TA" '{"title":"Mia was here"}'
expect_error 403 forbidden "a member may not edit others' tasks"
api PATCH "/api/v1/tasks/$TM" "{\"assignee_id\":\"$ID_larry\"}"
expect_error 403 forbidden "a member may not assign others on edit"
api DELETE "/api/v1/tasks/$TA"
expect_error 403 forbidden "a member may not delete others' tasks"
api DELETE "/api/v1/tasks/$TL"
expect_error 403 forbidden "an assigned task is not hers to delete"
api POST "/api/v1/tasks/$TA/comments" '{"body":"May I?"}'
expect_status 201 "a member comments on any task"
expect_sql "SELECT count(*) FROM notifications WHERE kind = 'comment'
    AND user_id = '$ID_alice'" "1" "the task's creator hears of the comment"
act_as larry
api PATCH "/api/v1/tasks/$TA" "{\"title\":\"Lead edit\",\"assignee_id\":\"$ID_larry\"}"
expect_status 200 "a lead edits and assigns any task"
api DELETE "/api/v1/tasks/$TM"
expect_status 204 "a lead deletes any task"
act_as mia
api POST /api/v1/tasks "{\"title\":\"Short-lived\",\"workspace_id\":\"$TEAM\"}"
api DELETE "/api/v1/tasks/$(jget "d['id']")"
expect_status 204 "a member deletes her own task"

# ---- isolation --------------------------------------------------------
act_as oscar
api POST /api/v1/tasks '{"title":"Oscar private"}'
TO=$(jget "d['id']")
for what in "GET /api/v1/tasks/$TA" "PATCH /api/v1/tasks/$TA" \
    "DELETE /api/v1/tasks/$TA" "GET /api/v1/tasks/$TA/time-entries" \
    "POST /api/v1/tasks/$TA/time-entries" "GET /api/v1/tasks/$TA/comments" \
    "POST /api/v1/tasks/$TA/comments"; do
	api ${what% *} "${what#* }" '{"title":"x","body":"x"}'
	expect_error 404 not_found "outsider: $what"
done
api POST /api/v1/tasks "{\"title\":\"Sneak\",\"workspace_id\":\"$TEAM\"}"
expect_error 404 not_found "outsider creates in another workspace"
api GET "/api/v1/tasks?workspace_id=$TEAM"
expect_error 404 not_found "outsider lists another workspace"
api GET /api/v1/tasks
expect_json "d['total'] == 1 and d['tasks'][0]['id'] == '$TO'" \
    "an unfiltered list shows only oscar's tasks"
act_as alice
api GET "/api/v1/tasks/$TO"
expect_error 404 not_found "even an admin elsewhere cannot see oscar's task"
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_oscar" '{"role":"lead"}'
expect_error 404 not_found "a non-member cannot be given a role"

# ---- time entries by role ---------------------------------------------
act_as mia
api POST "/api/v1/tasks/$TA/time-entries" '{}'
expect_status 201 "mia starts a timer"
EM=$(jget "d['id']")
act_as larry
api POST "/api/v1/tasks/$TA/time-entries" \
    '{"start_time":"2026-01-05T09:00:00Z","end_time":"2026-01-05T10:00:00Z"}'
EL=$(jget "d['id']")
api GET "/api/v1/tasks/$TA/time-entries"
expect_json "sorted(e['id'] for e in d['time_entries']) == sorted(['$EM', '$EL'])" \
    "a lead sees everyone's time"
api PATCH "/api/v1/time-entries/$EM" '{"notes":"lead note"}'
expect_error 403 forbidden "a lead may not change someone else's entry"
act_as mia
api GET "/api/v1/tasks/$TA/time-entries"
expect_json "[e['id'] for e in d['time_entries']] == ['$EM']" \
    "a member sees only her own time"
api PATCH "/api/v1/time-entries/$EL" '{"notes":"mine now"}'
expect_error 404 not_found "a member cannot even see another's entry"
api DELETE "/api/v1/time-entries/$EL"
expect_error 404 not_found "nor delete it"
act_as alice
api PATCH "/api/v1/time-entries/$EM" '{"notes":"admin note"}'
expect_status 200 "an admin changes anyone's entry"

# ---- roles and the last admin -----------------------------------------
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_alice" '{"role":"member"}'
expect_error 409 last_admin "the last admin cannot step down"
api DELETE "/api/v1/workspaces/$TEAM/members/$ID_alice"
expect_error 409 last_admin "the last admin cannot leave"
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_larry" '{"role":"admin"}'
expect_status 200 "promote larry"
expect_json "d['role'] == 'admin'" "larry is an admin"
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_alice" '{"role":"lead"}'
expect_status 200 "with two admins one may step down"
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_larry" '{"role":"member"}'
expect_error 403 forbidden "alice is no longer an admin"
act_as larry
api PATCH "/api/v1/workspaces/$TEAM/members/$ID_mia" '{"role":"boss"}'
expect_field_error role "bad role on change"
api DELETE "/api/v1/workspaces/$TEAM/members/$ID_mia"
expect_status 204 "remove mia"
expect_sql "SELECT end_src FROM time_entries WHERE id = '$EM'" "auto" \
    "her running timer there stopped"
act_as mia
api GET "/api/v1/tasks/$TA"
expect_error 404 not_found "a removed member sees nothing"
api GET /api/v1/workspaces
expect_json "[w['name'] for w in d['workspaces']] == ['Personal']" \
    "Team is gone from her list"
act_as larry
api DELETE "/api/v1/workspaces/$TEAM/members/$ID_mia"
expect_error 404 not_found "remove her again"

expect_sql "SELECT string_agg(fields->>'role', ',' ORDER BY seq) FROM sync_log
    WHERE scope_id = '$TEAM' AND entity = 5 AND entity_id = '$ID_alice'" \
    "admin,lead" "alice's membership changes are logged"
expect_sql "SELECT fields FROM sync_log WHERE scope_id = '$TEAM' AND entity = 5
    AND entity_id = '$ID_mia' ORDER BY seq DESC LIMIT 1" \
    "{\"role\": null, \"user_id\": \"$ID_mia\"}" "a removal is logged"
expect_sql "SELECT count(*) FROM (SELECT scope_id FROM sync_log GROUP BY
    scope_id HAVING min(seq) <> 1 OR max(seq) <> count(*)) gaps" "0" \
    "no gaps in any scope"

# ---- row-level security without the server ----------------------------
# As the server's role, with oscar set as the user: his rows only.
psql_app() {
	as_pg "$PGBIN/psql" -h "$TMP/sock" -p "$PGPORT" -U tock_server -d tock \
	    -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}
expect_eq "$(psql_app "BEGIN; SELECT set_config('tock.user_id', '$ID_oscar', true);
    SELECT count(*) FROM tasks; COMMIT;" | tail -n 1)" "1" \
    "RLS: oscar's transaction sees one task"
expect_eq "$(psql_app "SELECT count(*) FROM tasks" | tail -n 1)" "0" \
    "RLS: no user set, no rows"
expect_eq "$(psql_app "SELECT count(*) FROM sync_log" | tail -n 1)" "0" \
    "RLS: the change log is hidden too"
COUNT=$((COUNT + 1))
psql_app "BEGIN; SELECT set_config('tock.user_id', '$ID_oscar', true);
    INSERT INTO tasks (id, workspace_id, title, created_by)
    VALUES ('$NOID', '$TEAM', 'sneak', '$ID_oscar'); COMMIT;" \
    >/dev/null 2>"$TMP/rls.err" && fail "RLS: insert into another workspace"
grep -q 'row-level security' "$TMP/rls.err" ||
	fail "RLS refusal message: $(cat "$TMP/rls.err")"
expect_eq "$(psql_app "BEGIN; SELECT set_config('tock.user_id', '$ID_oscar', true);
    WITH u AS (UPDATE tasks SET title = 'pwned' WHERE id = '$TA' RETURNING 1)
    SELECT count(*) FROM u; COMMIT;" 2>&1 | tail -n 1)" \
    "0" "RLS: an update of another workspace's task touches nothing"
expect_sql "SELECT title FROM tasks WHERE id = '$TA'" "Lead edit" \
    "the task is untouched"

server_stop
expect_eq "$SERVER_RC" 0 "SIGTERM exits 0"
finish
