#!/bin/sh
# t9006-cache: the task-list cache never serves stale pages (writes
# through this instance, through a second instance on the same database,
# and membership changes); hostile input (SQL metacharacters stored
# verbatim, invalid UTF-8, a 10 MB body) answered 4xx with the server
# still healthy; and SIGTERM in a burst of POSTs losing no acknowledged
# write.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

standard_setup
user alice
user bob
act_as alice
WS=$WS_alice

# list_titles [QUERY]: GET /api/v1/tasks?workspace_id=WS&QUERY; the titles.
list_titles() {
	api GET "/api/v1/tasks?workspace_id=$WS${1:+&$1}"
	jget "','.join(t['title'] for t in d['tasks']) + '/' + str(d['total'])"
}

api POST /api/v1/tasks "{\"title\":\"one\",\"workspace_id\":\"$WS\"}"
expect_status 201 "first task"
T1=$(jget "d['id']")
expect_eq "$(list_titles)" "one/1" "page 1"
expect_eq "$(list_titles)" "one/1" "page 1 again (cached)"

# A write through this instance: seen at once.
api POST /api/v1/tasks "{\"title\":\"two\",\"workspace_id\":\"$WS\"}"
T2=$(jget "d['id']")
expect_eq "$(list_titles)" "two,one/2" "after POST"
api PATCH "/api/v1/tasks/$T1" '{"title":"uno"}'
expect_status 200 "PATCH"
expect_eq "$(list_titles)" "two,uno/2" "after PATCH"
expect_eq "$(list_titles status=todo)" "two,uno/2" "filtered, first time"
api PATCH "/api/v1/tasks/$T2" '{"status":"done"}'
expect_eq "$(list_titles status=todo)" "uno/1" "filtered, after a status change"
api GET /api/v1/tasks
expect_json "[t['title'] for t in d['tasks']] == ['two', 'uno']" \
    "across workspaces"

# A second instance on the same database writes: the first sees it.
A_PID=$SERVER_PID A_BASE=$BASE
server_start
B_PID=$SERVER_PID B_BASE=$BASE
api POST /api/v1/tasks "{\"title\":\"three\",\"workspace_id\":\"$WS\"}"
expect_status 201 "POST through the second instance"
T3=$(jget "d['id']")
api DELETE "/api/v1/tasks/$T1"
expect_status 204 "DELETE through the second instance"
BASE=$A_BASE
expect_eq "$(list_titles)" "three,two/2" "first instance sees the second's writes"
expect_eq "$(list_titles status=todo)" "three/1" "and its filtered page too"
api GET /api/v1/tasks
expect_json "[t['title'] for t in d['tasks']] == ['three', 'two']" \
    "across workspaces, after the second's writes"
# A direct write in the database that moves last_seq (as a sync push does).
sql "BEGIN; UPDATE tasks SET title = 'tres' WHERE id = '$T3';
    UPDATE scopes SET last_seq = last_seq + 1 WHERE id = '$WS'; COMMIT" >/dev/null
expect_eq "$(list_titles)" "tres,two/2" "a write made elsewhere"

# Membership: bob sees alice's workspace only while he is a member.
api POST "/api/v1/workspaces/$WS/members" '{"email":"bob@example.com","role":"member"}'
expect_status 201 "add bob"
act_as bob
expect_eq "$(list_titles)" "tres,two/2" "bob, a member, sees the page"
api GET /api/v1/tasks
expect_json "d['total'] == 2" "bob's list across his workspaces"
act_as alice
api DELETE "/api/v1/workspaces/$WS/members/$ID_bob"
expect_status 204 "remove bob"
act_as bob
api GET "/api/v1/tasks?workspace_id=$WS"
expect_error 404 not_found "bob, removed, gets 404, not the cached page"
api GET /api/v1/tasks
expect_json "d['total'] == 0" "bob's own list no longer has alice's tasks"
act_as alice

# ---- hostile input ------------------------------------------------------
META="Robert'); DROP TABLE tasks;-- \\\" % _ \$1 \\\\ ; /*x*/"
api POST /api/v1/tasks "{\"title\":\"$META\",\"workspace_id\":\"$WS\"}"
expect_status 201 "SQL metacharacters in a title"
expect_json "d['title'] == \"Robert'); DROP TABLE tasks;-- \\\" % _ \$1 \\\\ ; /*x*/\"" \
    "stored and answered verbatim"
expect_sql "SELECT count(*) FROM tasks WHERE title LIKE 'Robert%DROP TABLE%'" "1" \
    "verbatim in the database"
api GET "/api/v1/tasks?workspace_id=$WS&status=todo'%20OR%20'1'='1"
expect_field_error status "SQL in a query parameter"
api GET "/api/v1/tasks/1'%20OR%201=1--"
expect_field_error id "SQL in a path id"
printf '{"title":"bad \377\376 utf8","workspace_id":"%s"}' "$WS" >"$TMP/bad.json"
api POST /api/v1/tasks "" --data-binary "@$TMP/bad.json"
COUNT=$((COUNT + 1))
case $STATUS in 400) ;; *) fail "invalid UTF-8: status $STATUS ($OUT)" ;; esac
expect_json "'UTF-8' in d['error']['message'] or 'utf' in d['error']['message'].lower()" \
    "invalid UTF-8: the message says so"
head -c 10485760 /dev/zero | tr '\0' 'a' >"$TMP/big"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/big" "$BASE/api/v1/tasks")
OUT=$(cat "$TMP/body")
expect_error 413 too_large "a 10 MB body"
api GET /healthz
expect_status 200 "healthz after the hostile input"

# ---- SIGTERM during a burst of POSTs ------------------------------------
# Eight clients post as fast as they can; each 201's id is written down.
# SIGTERM comes once some are acknowledged; every acknowledged task must
# be in the database afterwards.
SERVER_PID=$B_PID
server_stop
SERVER_PID=$A_PID
: >"$TMP/acked"
python3 - "$BASE" "$TOKEN" "$WS" "$TMP/acked" >"$TMP/burst.out" 2>&1 <<'PY' &
import http.client, sys, threading, json
base, token, ws, out = sys.argv[1:5]
host = base.split("//")[1]
lock = threading.Lock()
f = open(out, "w")
def run(k):
    n = 0
    while True:
        try:
            c = http.client.HTTPConnection(host, timeout=20)
            while True:
                n += 1
                c.request("POST", "/api/v1/tasks", json.dumps(
                    {"title": "burst %d-%d" % (k, n), "workspace_id": ws}),
                    {"Authorization": "Bearer " + token,
                     "Content-Type": "application/json"})
                r = c.getresponse()
                b = r.read()
                if r.status == 201:
                    with lock:
                        f.write(json.loads(b)["id"] + "\n")
                        f.flush()
        except Exception:
            return
ts = [threading.Thread(target=run, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
PY
BURST=$!
_dl=$(deadline 30)
while [ "$(wc -l <"$TMP/acked")" -lt 30 ] && before "$_dl"; do
	sleep 0.05
done
server_stop
expect_eq "$SERVER_RC" 0 "SIGTERM in a burst: exit 0"
wait "$BURST"
N=$(wc -l <"$TMP/acked")
COUNT=$((COUNT + 1))
[ "$N" -ge 30 ] || fail "only $N POSTs acknowledged before SIGTERM"
IDS=$(sed "s/.*/'&'/" "$TMP/acked" | paste -sd, -)
expect_sql "SELECT count(*) FROM tasks WHERE id IN ($IDS)" "$N" \
    "every acknowledged POST is in the database"
expect_sql "SELECT count(*) FROM tasks t WHERE id IN ($IDS) AND NOT EXISTS
    (SELECT 1 FROM sync_log l WHERE l.entity_id = t.id)" "0" \
    "each with its change-log row"
finish
