#!/bin/sh
# t9003-tasks: tasks, time entries and comments over REST: every success
# and error status, If-Match, pagination, the one running timer, and the
# change log (gap-free seq per scope, fields and fhlc) behind every write.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$'
NOID=01936100-0000-7000-8000-00000000dead

standard_setup
user alice
act_as alice

# ---- create -----------------------------------------------------------
api POST /api/v1/tasks '{"title":"Write the sync doc"}'
expect_status 201 "create a task"
expect_json "d['title'] == 'Write the sync doc' and d['status'] == 'todo' and d['assignee'] is None" \
    "create answer"
expect_json "all(k in d for k in ('id', 'title', 'status', 'created_at', 'assignee'))" \
    "create answer has the original design's keys"
expect_json "__import__('re').match(r'$ISO_RE', d['created_at']) is not None" \
    "created_at is ISO 8601 UTC"
expect_json "d['workspace_id'] == '$WS_alice' and d['version'] == 1 and d['created_by'] == '$ID_alice'" \
    "no workspace_id: the personal workspace"
expect_eq "$(header etag)" '"1"' "ETag of a new task"
T1=$(jget "d['id']")

api POST /api/v1/tasks "{\"title\":\"Review\",\"description\":\"Carefully\",\"status\":\"in_progress\",\"assignee_id\":\"$ID_alice\",\"due_date\":\"2028-02-29\",\"metadata\":{\"priority\":\"high\",\"tags\":[\"a\",\"b\"]},\"workspace_id\":\"$WS_alice\"}"
expect_status 201 "create with every field"
expect_json "d['assignee'] == {'id': '$ID_alice', 'name': 'alice'} and d['assignee_id'] == '$ID_alice'" \
    "assignee {id,name}"
expect_json "d['status'] == 'in_progress' and d['description'] == 'Carefully' and d['due_date'] == '2028-02-29'" \
    "fields kept"
expect_json "d['metadata'] == {'priority': 'high', 'tags': ['a', 'b']}" "metadata kept"
T2=$(jget "d['id']")

CID=01936100-0000-7000-8000-0000000c0de0
api POST /api/v1/tasks "{\"id\":\"$CID\",\"title\":\"Client id\"}"
expect_status 201 "create with a client-made id"
expect_json "d['id'] == '$CID'" "the client's id is kept"
api POST /api/v1/tasks "{\"id\":\"$CID\",\"title\":\"Again\"}"
expect_error 409 exists "the same id twice"

api POST /api/v1/tasks '{}'
expect_field_error title "no title"
api POST /api/v1/tasks '{"title":5}'
expect_field_error title "title of the wrong type"
api POST /api/v1/tasks '{"title":"   "}'
expect_field_error title "blank title"
api POST /api/v1/tasks "{\"title\":\"$(python3 -c 'print("x" * 201)')\"}"
expect_field_error title "title over 200 characters"
api POST /api/v1/tasks "{\"title\":\"$(python3 -c 'print("é" * 200)')\"}"
expect_status 201 "200 two-byte characters are fine"
api POST /api/v1/tasks '{"title":"x","status":"doing"}'
expect_field_error status "bad status"
api POST /api/v1/tasks '{"title":"x","assignee_id":"nope"}'
expect_field_error assignee_id "bad assignee UUID"
api POST /api/v1/tasks "{\"title\":\"x\",\"assignee_id\":\"$NOID\"}"
expect_field_error assignee_id "assignee not in the workspace"
api POST /api/v1/tasks '{"title":"x","due_date":"2027-02-29"}'
expect_field_error due_date "not a day"
api POST /api/v1/tasks '{"title":"x","due_date":20270101}'
expect_field_error due_date "due date of the wrong type"
api POST /api/v1/tasks '{"title":"x","metadata":[1]}'
expect_field_error metadata "metadata not an object"
api POST /api/v1/tasks '{"title":"x","metadata":{"bad key":1}}'
expect_field_error metadata "bad metadata key"
api POST /api/v1/tasks '{"title":"x","workspace_id":"123"}'
expect_field_error workspace_id "bad workspace UUID"
api POST /api/v1/tasks "{\"title\":\"x\",\"workspace_id\":\"$NOID\"}"
expect_error 404 not_found "unknown workspace"
api POST /api/v1/tasks '{"title":"x","description":null}'
expect_field_error description "null description"
api POST /api/v1/tasks '{"title":"x"'
expect_error 400 invalid_json "malformed JSON"
api POST /api/v1/tasks '"just a string"'
expect_error 400 invalid_json "not an object"
expect_sql "SELECT count(*) FROM tasks" "4" "refused creates stored nothing"

# ---- read -------------------------------------------------------------
api GET "/api/v1/tasks/$T2"
expect_status 200 "get a task"
expect_json "d['id'] == '$T2' and d['title'] == 'Review' and d['version'] == 1" "get answer"
expect_eq "$(header etag)" '"1"' "ETag on get"
api GET /api/v1/tasks/not-a-uuid
expect_field_error id "bad id in the path"
api GET "/api/v1/tasks/$NOID"
expect_error 404 not_found "unknown task"

# ---- update -----------------------------------------------------------
api PATCH "/api/v1/tasks/$T1" '{"title":"Write the sync doc, v2"}' -H 'If-Match: "1"'
expect_status 200 "patch with the right If-Match"
expect_json "d['title'] == 'Write the sync doc, v2' and d['version'] == 2" "patched"
expect_eq "$(header etag)" '"2"' "ETag after the patch"
api PATCH "/api/v1/tasks/$T1" '{"title":"Stale"}' -H 'If-Match: "1"'
expect_error 409 version_conflict "stale If-Match"
expect_eq "$(header etag)" '"2"' "409 tells the current version"
api PATCH "/api/v1/tasks/$T1" '{"title":"Stale"}' -H 'If-Match: 2'
expect_status 200 "If-Match without quotes"
api PATCH "/api/v1/tasks/$T1" '{"status":"done"}'
expect_status 200 "patch without If-Match"
expect_json "d['status'] == 'done' and d['version'] == 4 and d['title'] == 'Stale'" \
    "other fields untouched"
api PATCH "/api/v1/tasks/$T1" '{"status":"done"}' -H 'If-Match: soon'
expect_field_error If-Match "bad If-Match"
api PATCH "/api/v1/tasks/$T2" '{"metadata":{"priority":null,"branch":"main"},"due_date":null,"assignee_id":null}'
expect_status 200 "metadata merge, clear due date and assignee"
expect_json "d['metadata'] == {'tags': ['a', 'b'], 'branch': 'main'} and d['due_date'] is None and d['assignee'] is None" \
    "null removes a metadata key; others kept"
api PATCH "/api/v1/tasks/$T2" '{}'
expect_error 400 invalid "empty patch"
api PATCH "/api/v1/tasks/$T2" '{"status":"later"}'
expect_field_error status "patch with a bad status"
api PATCH "/api/v1/tasks/$T2" '{"title":null}'
expect_field_error title "null title"
api PATCH "/api/v1/tasks/$NOID" '{"title":"x"}'
expect_error 404 not_found "patch an unknown task"
api PATCH "/api/v1/tasks/$T2" 'title=x'
expect_error 400 invalid_json "patch with a form body"
expect_sql "SELECT version, fhlc ? 'title', fhlc ? 'status' FROM tasks
    WHERE id = '$T1'" "4|t|t" "version bumped per change, fields stamped"

# ---- list and pagination ----------------------------------------------
i=0
while [ $i -lt 26 ]; do
	i=$((i + 1))
	api POST /api/v1/tasks "{\"title\":\"Bulk $i\",\"status\":\"todo\"}"
	[ "$STATUS" = 201 ] || fail "bulk create $i: $STATUS"
done
# Tasks: T1 (done), T2, CID, the long one, 26 bulk = 30.
api GET /api/v1/tasks
expect_status 200 "list"
expect_json "d['total'] == 30 and len(d['tasks']) == 25 and d['page'] == 1 and d['per_page'] == 25" \
    "page 1: 25 of 30"
expect_json "d['tasks'][0]['title'] == 'Bulk 26'" "newest first"
api GET '/api/v1/tasks?page=2'
expect_json "d['total'] == 30 and len(d['tasks']) == 5 and d['page'] == 2" "page 2: the rest"
api GET '/api/v1/tasks?page=3'
expect_json "d['total'] == 30 and d['tasks'] == []" "page 3: empty, total kept"
api GET "/api/v1/tasks?status=done&workspace_id=$WS_alice"
expect_json "d['total'] == 1 and d['tasks'][0]['id'] == '$T1'" "filter by status"
api PATCH "/api/v1/tasks/$T1" "{\"assignee_id\":\"$ID_alice\"}"
api GET '/api/v1/tasks?assignee_id=me'
expect_json "d['total'] == 1 and d['tasks'][0]['id'] == '$T1'" "filter by assignee (me)"
api GET "/api/v1/tasks?assignee_id=$ID_alice&status=todo"
expect_json "d['total'] == 0" "filters combine"
api GET '/api/v1/tasks?page=0'
expect_field_error page "page 0"
api GET '/api/v1/tasks?page=two'
expect_field_error page "page not a number"
api GET '/api/v1/tasks?status=bogus'
expect_field_error status "list with a bad status"
api GET '/api/v1/tasks?workspace_id=zzz'
expect_field_error workspace_id "list with a bad workspace id"
api GET '/api/v1/tasks?assignee_id=zzz'
expect_field_error assignee_id "list with a bad assignee id"
api GET "/api/v1/tasks?workspace_id=$NOID"
expect_error 404 not_found "list an unknown workspace"

# ---- time entries -----------------------------------------------------
api POST "/api/v1/tasks/$T1/time-entries" '{}'
expect_status 201 "start a timer"
expect_json "d['task_id'] == '$T1' and d['is_active'] is True and d['end_time'] is None and d['origin'] == 'timer'" \
    "timer answer"
expect_json "all(k in d for k in ('id', 'task_id', 'start_time', 'is_active'))" \
    "entry answer has the original design's keys"
E1=$(jget "d['id']")
api POST "/api/v1/tasks/$T2/time-entries" '{"notes":"switching"}'
expect_status 201 "start another timer"
E2=$(jget "d['id']")
expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ID_alice'
    AND end_time IS NULL" "1" "one running timer"
expect_sql "SELECT end_src, end_time = (SELECT start_time FROM time_entries
    WHERE id = '$E2') FROM time_entries WHERE id = '$E1'" "auto|t" \
    "the first timer ended where the second began"
api GET "/api/v1/tasks/$T1/time-entries"
expect_status 200 "list a task's entries"
expect_json "len(d['time_entries']) == 1 and d['time_entries'][0]['is_active'] is False" \
    "the stopped entry"
api POST "/api/v1/tasks/$T1/time-entries" \
    '{"start_time":"2026-01-05T09:00:00Z","end_time":"2026-01-05T10:30:00+01:00","notes":"manual"}'
expect_status 201 "a manual entry"
expect_json "d['is_active'] is False and d['origin'] == 'manual' and d['duration_minutes'] == 30 and d['start_time'] == '2026-01-05T09:00:00.000Z'" \
    "manual entry answer"
E3=$(jget "d['id']")
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "1" \
    "a manual entry stops nothing"
api POST "/api/v1/tasks/$T1/time-entries" \
    '{"start_time":"2026-01-05T10:00:00Z","end_time":"2026-01-05T09:00:00Z"}'
expect_field_error end_time "end before start"
api POST "/api/v1/tasks/$T1/time-entries" '{"start_time":"2026-01-05 10:00"}'
expect_field_error start_time "a start without a zone"
api POST "/api/v1/tasks/$T1/time-entries" '{"start_time":"yesterday"}'
expect_field_error start_time "a start in words"
api POST "/api/v1/tasks/$T1/time-entries" '{"start_time":"2099-01-01T00:00:00Z"}'
expect_field_error start_time "a timer starting in the future"
api POST "/api/v1/tasks/$T1/time-entries" '{"notes":7}'
expect_field_error notes "notes of the wrong type"
api POST "/api/v1/tasks/$NOID/time-entries" '{}'
expect_error 404 not_found "entry on an unknown task"

api PATCH "/api/v1/time-entries/$E2" '{"end_time":"2099-01-01T00:00:00Z"}' -H 'If-Match: 7'
expect_error 409 version_conflict "entry If-Match mismatch"
# With milliseconds: the entry started within this second, and a stop
# cut to the whole second could fall before its start.
NOW_ISO=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
api PATCH "/api/v1/time-entries/$E2" "{\"end_time\":\"$NOW_ISO\"}" -H 'If-Match: "1"'
expect_status 200 "stop = PATCH end_time"
expect_json "d['is_active'] is False and d['end_src'] == 'stop' and d['version'] == 2" "stopped"
expect_sql "SELECT count(*) FROM time_entries WHERE end_time IS NULL" "0" \
    "nothing runs"
api PATCH "/api/v1/time-entries/$E3" '{"end_time":null}'
expect_field_error end_time "end_time cannot be cleared"
api PATCH "/api/v1/time-entries/$E3" '{"start_time":"2026-01-05T10:00:00Z"}'
expect_field_error start_time "a start after the end"
api PATCH "/api/v1/time-entries/$E3" '{"notes":"edited","end_time":"2026-01-05T11:00:00Z"}'
expect_status 200 "edit a manual entry"
expect_json "d['notes'] == 'edited' and d['end_src'] == 'edit' and d['duration_minutes'] == 120" "edited"
api PATCH "/api/v1/time-entries/$E3" '{}'
expect_error 400 invalid "empty entry patch"
api DELETE "/api/v1/time-entries/$E3"
expect_status 204 "delete an entry"
api DELETE "/api/v1/time-entries/$E3"
expect_error 404 not_found "delete it again"
api PATCH "/api/v1/time-entries/bad" '{"notes":"x"}'
expect_field_error id "entry id in the path"

# ---- comments ---------------------------------------------------------
api POST "/api/v1/tasks/$T2/comments" '{"body":"Looks good"}'
expect_status 201 "comment"
expect_json "d['body'] == 'Looks good' and d['task_id'] == '$T2' and d['author_id'] == '$ID_alice' and d['author'] == 'alice'" \
    "comment answer"
api POST "/api/v1/tasks/$T2/comments" '{"body":" \n "}'
expect_field_error body "blank comment"
api POST "/api/v1/tasks/$T2/comments" '{"text":"wrong key"}'
expect_field_error body "comment without a body"
api POST "/api/v1/tasks/$NOID/comments" '{"body":"x"}'
expect_error 404 not_found "comment on an unknown task"
api GET "/api/v1/tasks/$T2/comments"
expect_status 200 "list comments"
expect_json "[c['body'] for c in d['comments']] == ['Looks good']" "the comments"

# ---- delete -----------------------------------------------------------
api DELETE "/api/v1/tasks/$CID" '' -H 'If-Match: "5"'
expect_error 409 version_conflict "delete with a stale If-Match"
api DELETE "/api/v1/tasks/$CID"
expect_status 204 "delete a task"
api GET "/api/v1/tasks/$CID"
expect_error 404 not_found "a deleted task is gone"
api DELETE "/api/v1/tasks/$CID"
expect_error 404 not_found "delete twice"
api PATCH "/api/v1/tasks/$CID" '{"title":"back?"}'
expect_error 404 not_found "patch a deleted task"
expect_sql "SELECT deleted, version FROM tasks WHERE id = '$CID'" "t|2" \
    "deleted is a flag (the row stays for sync)"

# ---- concurrent writes: seqs stay gap-free ----------------------------
i=0
PIDS=
while [ $i -lt 16 ]; do
	i=$((i + 1))
	printf '{"title":"Parallel %s"}' "$i" >"$TMP/par.$i"
	curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "@$TMP/par.$i" \
	    "$BASE/api/v1/tasks" >"$TMP/par.$i.status" &
	PIDS="$PIDS $!"
done
# shellcheck disable=SC2086
wait $PIDS
expect_eq "$(cat "$TMP"/par.*.status | sort | uniq -c | awk '{print $1 " " $2}')" \
    "16 201" "16 parallel creates"

# ---- the change log ---------------------------------------------------
expect_sql "SELECT count(*) FROM (SELECT scope_id FROM sync_log GROUP BY
    scope_id HAVING min(seq) <> 1 OR max(seq) <> count(*)) gaps" "0" \
    "every scope's seq starts at 1 with no gap"
expect_sql "SELECT count(*) FROM scopes s WHERE last_seq <>
    (SELECT coalesce(max(seq), 0) FROM sync_log WHERE scope_id = s.id)" "0" \
    "scopes.last_seq is the newest seq"
expect_sql "SELECT count(*) FROM sync_log WHERE tx_last_seq < seq" "0" \
    "tx_last_seq covers the row"
expect_sql "SELECT count(*) FROM sync_log WHERE
    (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(fields) k) IS DISTINCT FROM
    (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(fhlc) k)" "0" \
    "every field has its HLC"
expect_sql "SELECT count(DISTINCT v) FROM sync_log, jsonb_each_text(fhlc) AS e(k, v)
    WHERE v !~ '^[0-9a-f]{16}-[0-9a-f]{16}\$'" "0" "HLCs in the wire form"
expect_sql "SELECT kind, fields->>'title', fields ? 'metadata.priority'
    FROM sync_log WHERE entity = 1 AND entity_id = '$T2' ORDER BY seq LIMIT 1" \
    "1|Review|t" "a create logs its fields, metadata per key"
expect_sql "SELECT fields FROM sync_log WHERE entity = 1 AND entity_id = '$T2'
    AND kind = 2 ORDER BY seq LIMIT 1" \
    '{"due_date": null, "assignee_id": null, "metadata.branch": "main", "metadata.priority": null}' \
    "a patch logs exactly what changed"
expect_sql "SELECT fields FROM sync_log WHERE entity = 1 AND entity_id = '$CID'
    AND kind = 3" '{"deleted": true}' "a delete is logged"
# E1 start, E2 start (E1's auto-stop), E3 manual, E2 stop, E3 edit, E3
# delete.
expect_sql "SELECT count(*) FROM sync_log WHERE entity = 2" "7" \
    "every time entry change is logged"
expect_sql "SELECT string_agg(kind::text, ',' ORDER BY seq) FROM sync_log
    WHERE entity = 2 AND entity_id = '$E1'" "1,2" "a timer start, then its auto-stop"
expect_sql "SELECT count(*) FROM sync_log WHERE entity = 3" "1" "the comment is logged"
expect_sql "SELECT (SELECT max(value) FROM jsonb_each_text(fhlc)) =
    (SELECT max(v) FROM sync_log, jsonb_each_text(sync_log.fhlc) AS e(k, v)
    WHERE entity = 1 AND entity_id = '$T1') FROM tasks WHERE id = '$T1'" "t" \
    "the row's fhlc matches its newest log row"
expect_sql "SELECT count(*) FROM tasks t WHERE last_seq <> (SELECT max(seq)
    FROM sync_log WHERE entity = 1 AND entity_id = t.id)" "0" \
    "each task's last_seq is its newest log row"

server_stop
expect_eq "$SERVER_RC" 0 "SIGTERM exits 0"
finish
