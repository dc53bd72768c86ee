#!/bin/sh
# t9105-push-comments-workspaces: comment and workspace ops of
# POST /api/v1/sync/push (SYNC.md 3.10: comment.body author only,
# workspace.name admin only), the one-op-per-transaction fallback after an
# unexpected SQL error (SYNC.md 3.6), and REST timer starts racing pushes
# of the same user without a deadlock.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# hlc MS_OFFSET NODE: an HLC at the test's start + offset ms (one base,
# so the offsets order the clocks however long the steps take).
T0_MS=$(python3 -c "import time; print(int(time.time() * 1000))")
hlc() {
	printf '%012x0000-%s\n' $((T0_MS + $1)) "$2"
}
uuid() {
	python3 -c "import uuid; print(uuid.uuid4())"
}
device() {
	login "$1@example.com" "password-$1"
	[ "$STATUS" = 200 ] || fatal "login $1: $STATUS $OUT"
	DEV=$(jget "d['device_id']")
}
push() {
	api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"results_acked_through\":0,\"ops\":[$1]}"
}
# op SEQ SCOPE E EID KIND HLC FIELDS [BASE]: one op's JSON.
op() {
	_b=
	[ $# -ge 8 ] && _b=",\"base\":$8"
	printf '{"seq":%s,"id":"%s","scope":"%s","e":"%s","eid":"%s","kind":"%s","hlc":"%s","fields":%s%s}' \
	    "$1" "$(uuid)" "$2" "$3" "$4" "$5" "$6" "$7" "$_b"
}

standard_setup
user alice
user bob
act_as alice
api POST /api/v1/workspaces/$WS_alice/members '{"email":"bob@example.com","role":"member"}'
expect_status 201 "bob joins alice's workspace"
device bob; DEV_B=$DEV TOK_B=$TOKEN
device alice; DEV_A=$DEV TOK_A=$TOKEN
NA=aaaaaaaaaaaaaaa1 NB=bbbbbbbbbbbbbbb2

T1=$(uuid)
push "$(op 1 $WS_alice task $T1 create $(hlc -9000 $NA) '{"title":"Commented"}')"
expect_json "d['results'][0]['status'] == 'applied'" "a task to comment on"

# ---- comment create ---------------------------------------------------
C1=$(uuid) HC1=$(hlc -8000 $NA)
push "$(op 2 $WS_alice comment $C1 create $HC1 "{\"workspace_id\":\"$WS_alice\",\"task_id\":\"$T1\",\"author_id\":\"$ID_alice\",\"body\":\"First\",\"created_at\":1732500000000}")"
expect_json "d['results'][0]['status'] == 'applied'" "comment create applied"
CSEQ=$(jget "d['results'][0]['scope_seq']")
expect_sql "SELECT body || '|' || author_id || '|' || task_id || '|' || workspace_id || '|' || tock_ms(created_at) || '|' || deleted || '|' || last_seq FROM comments WHERE id = '$C1'" "First|$ID_alice|$T1|$WS_alice|1732500000000|false|$CSEQ" "the comment row"
expect_sql "SELECT entity || '|' || kind || '|' || (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(fields) k) || '|' || (fields->>'body') || '|' || (fhlc->>'body') FROM sync_log WHERE scope_id = '$WS_alice' AND seq = $CSEQ" "3|1|author_id,body,created_at,deleted,task_id,workspace_id|First|$HC1" "create logs every field"
expect_sql "SELECT fhlc->>'body' FROM comments WHERE id = '$C1'" "$HC1" "row fhlc"
TOKEN=$TOK_A API_GET_OK=
api GET /api/v1/tasks/$T1/comments
expect_json "[c['body'] for c in d['comments']] == ['First']" "REST lists the pushed comment"

push "$(op 3 $WS_alice comment $(uuid) create $(hlc 0 $NA) "{\"task_id\":\"$(uuid)\",\"body\":\"x\"}")"
expect_json "d['results'][0]['status'] == 'rejected' and d['results'][0]['code'] == 'not_found'" "comment on a missing task"
push "$(op 4 $WS_alice comment $(uuid) create $(hlc 0 $NA) "{\"task_id\":\"$T1\",\"body\":\"\"}")"
expect_json "d['results'][0]['code'] == 'invalid'" "empty body"
LONG=$(python3 -c "print('x' * 10001)")
push "$(op 5 $WS_alice comment $(uuid) create $(hlc 0 $NA) "{\"task_id\":\"$T1\",\"body\":\"$LONG\"}")"
expect_json "d['results'][0]['code'] == 'invalid' and '10000' in d['results'][0]['message']" "body over 10000 bytes"
push "$(op 6 $WS_alice comment $(uuid) create $(hlc 0 $NA) "{\"task_id\":\"$T1\",\"author_id\":\"$ID_bob\",\"body\":\"as bob\"}")"
expect_json "d['results'][0]['code'] == 'forbidden'" "a comment in someone else's name"

# ---- another member: forbidden with current ------------------------------
TOKEN=$TOK_B DEV=$DEV_B
push "$(op 1 $WS_alice comment $C1 set $(hlc 0 $NB) '{"body":"Bob was here"}')"
expect_json "d['results'][0]['code'] == 'forbidden' and d['results'][0]['current']['fields']['body'] == 'First' and d['results'][0]['current']['fhlc']['body'] == '$HC1'" "member edits another's comment: forbidden with current"
push "$(op 2 $WS_alice comment $C1 delete $(hlc 0 $NB) '{}')"
expect_json "d['results'][0]['code'] == 'forbidden' and d['results'][0]['current']['fields']['deleted'] == False" "member deletes another's comment: forbidden"
C3=$(uuid)
push "$(op 3 $WS_alice comment $C3 create $(hlc -7000 $NB) "{\"task_id\":\"$T1\",\"body\":\"Bob's\"}")"
expect_json "d['results'][0]['status'] == 'applied'" "a member comments"
TOKEN=$TOK_A DEV=$DEV_A
push "$(op 7 $WS_alice comment $C3 set $(hlc 0 $NA) '{"body":"Admin rewrote"}')"
expect_json "d['results'][0]['code'] == 'forbidden'" "even an admin cannot edit another's body"
push "$(op 8 $WS_alice comment $C3 delete $(hlc 0 $NA) '{}')"
expect_json "d['results'][0]['status'] == 'applied'" "an admin deletes another's comment"
expect_sql "SELECT body || '|' || deleted FROM comments WHERE id = '$C3'" "Bob's|true" "deleted, body kept"

# ---- author edits; text conflict with base -------------------------------
HE=$(hlc -6000 $NA)
push "$(op 9 $WS_alice comment $C1 set $HE '{"body":"Second"}' "{\"body\":\"$HC1\"}")"
expect_json "d['results'][0]['status'] == 'applied' and 'conflicts' not in d['results'][0]" "author edit seen base: no conflict"
HX=$(hlc -5000 $NB)
push "$(op 10 $WS_alice comment $C1 set $HX '{"body":"Blind"}' "{\"body\":\"$HC1\"}")"
expect_json "d['results'][0]['status'] == 'applied' and d['results'][0]['conflicts'][0]['field'] == 'body' and d['results'][0]['conflicts'][0]['loser'] == 'Second' and d['results'][0]['conflicts'][0]['loser_hlc'] == '$HE'" "stale base: conflict reported"
expect_sql "SELECT loser #>> '{}' FROM conflicts WHERE entity = 3 AND entity_id = '$C1'" "Second" "conflict stored"
expect_sql "SELECT body || '|' || (fhlc->>'body') FROM comments WHERE id = '$C1'" "Blind|$HX" "newer edit wins"
push "$(op 11 $WS_alice comment $C1 set $(hlc -5500 $NA) '{"body":"Late"}')"
expect_json "d['results'][0]['status'] == 'superseded'" "older edit superseded"
push "$(op 12 $WS_alice comment $C1 delete $(hlc -4000 $NA) '{}'),$(op 13 $WS_alice comment $C1 restore $(hlc -3000 $NA) '{}')"
expect_json "[r['status'] for r in d['results']] == ['applied', 'applied']" "author deletes and restores"
expect_sql "SELECT string_agg(kind::text, ',' ORDER BY seq) FROM sync_log WHERE entity_id = '$C1'" "1,2,2,3,4" "log kinds create, set, set, delete, restore"
expect_sql "SELECT deleted FROM comments WHERE id = '$C1'" f "restored"

# ---- workspace create offline -------------------------------------------
W1=$(uuid) HW=$(hlc -2000 $NA) T2=$(uuid)
push "$(op 14 $W1 workspace $W1 create $HW '{"name":"Offline team","personal":false}'),$(op 15 $W1 task $T2 create $(hlc -1900 $NA) '{"title":"In the new workspace"}')"
expect_json "[r['status'] for r in d['results']] == ['applied', 'applied'] and d['results'][0]['scope_seq'] == 1 and d['results'][1]['scope_seq'] == 3 and d['heads']['$W1'] == 3" "workspace create and a task in it"
expect_sql "SELECT name || '|' || personal || '|' || created_by || '|' || (fhlc->>'name') || '|' || last_seq FROM workspaces WHERE id = '$W1'" "Offline team|false|$ID_alice|$HW|1" "the workspace row"
expect_sql "SELECT role FROM memberships WHERE workspace_id = '$W1' AND user_id = '$ID_alice'" admin "the pusher is its admin"
expect_sql "SELECT seq || '|' || entity || '|' || kind || '|' || entity_id || '|' || tx_last_seq || '|' || fields::text FROM sync_log WHERE scope_id = '$W1' AND seq <= 2 ORDER BY seq" "1|4|1|$W1|3|{\"name\": \"Offline team\", \"personal\": false, \"created_by\": \"$ID_alice\"}
2|5|6|$ID_alice|3|{\"name\": \"alice\", \"role\": \"admin\", \"email\": \"alice@example.com\", \"user_id\": \"$ID_alice\"}" "log rows in the new scope"
expect_sql "SELECT last_seq FROM scopes WHERE id = '$W1'" 3 "scope head"
api GET /api/v1/workspaces
expect_json "[(w['name'], w['role']) for w in d['workspaces'] if w['id'] == '$W1'] == [('Offline team', 'admin')]" "GET /workspaces lists it"
HW2=$(hlc -1000 $NA)
push "$(op 16 $W1 workspace $W1 create $HW2 '{"name":"Renamed by a re-create"}')"
expect_json "d['results'][0]['status'] == 'applied'" "create of an existing own workspace merges"
expect_sql "SELECT name FROM workspaces WHERE id = '$W1'" "Renamed by a re-create" "name merged"
TOKEN=$TOK_B DEV=$DEV_B
push "$(op 4 $W1 workspace $W1 create $(hlc 0 $NB) '{"name":"Hijack"}')"
expect_json "d['results'][0]['status'] == 'rejected' and d['results'][0]['code'] == 'forbidden'" "create of someone else's workspace id"
expect_sql "SELECT name FROM workspaces WHERE id = '$W1'" "Renamed by a re-create" "untouched"
TOKEN=$TOK_A
api POST /api/v1/workspaces/$W1/members '{"email":"bob@example.com","role":"member"}'
expect_status 201 "bob joins the new workspace"
TOKEN=$TOK_B
push "$(op 5 $W1 workspace $W1 set $(hlc 0 $NB) '{"name":"Bob names it"}')"
expect_json "d['results'][0]['code'] == 'forbidden' and d['results'][0]['current']['fields']['name'] == 'Renamed by a re-create'" "member renames: forbidden with current"
TOKEN=$TOK_A DEV=$DEV_A
push "$(op 17 $W1 workspace $W1 set $(hlc 0 $NA) '{"name":"Admin names it"}'),$(op 18 $W1 workspace $W1 set $(hlc -1500 $NA) '{"name":"Older"}'),$(op 19 $W1 workspace $W1 delete $(hlc 0 $NA) '{}')"
expect_json "[r['status'] for r in d['results']] == ['applied', 'superseded', 'rejected'] and d['results'][2]['code'] == 'invalid' and 'REST' in d['results'][2]['message']" "admin renames, older superseded, delete refused"
expect_sql "SELECT name FROM workspaces WHERE id = '$W1'" "Admin names it" "renamed"

# ---- the fallback: one op per transaction ---------------------------------
sql "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.title = 'boom' THEN RAISE EXCEPTION 'boom title'; END IF; RETURN NEW; END \$\$; CREATE TRIGGER boom BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION boom()" >/dev/null
TA=$(uuid) TB=$(uuid) TC=$(uuid) CC=$(uuid) OB=
BATCH="$(op 20 $WS_alice task $TA create $(hlc 0 $NA) '{"title":"before"}'),$(op 21 $WS_alice task $TB create $(hlc 0 $NA) '{"title":"boom"}'),$(op 22 $WS_alice task $TC create $(hlc 0 $NA) '{"title":"after"}'),$(op 23 $WS_alice comment $CC create $(hlc 0 $NA) "{\"task_id\":\"$TA\",\"body\":\"on before\"}")"
push "$BATCH"
expect_status 200 "a batch with a failing op still answers"
expect_json "[r['status'] for r in d['results']] == ['applied', 'rejected', 'applied', 'applied'] and d['results'][1]['code'] == 'internal' and d['applied_through'] == 23" "the failing op is rejected internal, the others apply"
OB=$(jget "d['results'][1]['id']")
expect_sql "SELECT count(*) FROM tasks WHERE id IN ('$TA', '$TC')" 2 "other ops' rows"
expect_sql "SELECT count(*) FROM tasks WHERE id = '$TB'" 0 "no row for the failing op"
expect_sql "SELECT status || '|' || (result->>'code') FROM applied_ops WHERE op_id = '$OB'" "3|internal" "recorded, so it never wedges"
expect_sql "SELECT count(*) FROM comments WHERE id = '$CC'" 1 "a later op on an earlier one's row"
COUNT=$((COUNT + 1))
grep -q "op $OB (seq 21) rejected as internal" "$TMP/server.log" || fail "warning names the op"
push "$BATCH"
expect_json "[r['status'] for r in d['results']] == ['duplicate'] * 4 and d['results'][1]['original']['code'] == 'internal'" "resent: all duplicates"
sql "DROP TRIGGER boom ON tasks" >/dev/null
expect_sql "SELECT count(*) FROM sync_log WHERE scope_id = '$WS_alice' AND seq <> (SELECT count(*) FROM sync_log l2 WHERE l2.scope_id = '$WS_alice' AND l2.seq <= sync_log.seq)" 0 "scope seqs gap-free"

# ---- REST timer starts racing pushes of the same user: no deadlock ---------
N=20
i=1
while [ $i -le $N ]; do
	device alice
	eval "RDEV_$i=\$DEV"
	i=$((i + 1))
done
TOKEN=$TOK_A
PIDS=
i=1
while [ $i -le $N ]; do
	curl -s -o "$TMP/rest.$i" -w '%{http_code}' --max-time 60 -X POST \
	    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	    --data-binary '{}' "$BASE/api/v1/tasks/$T1/time-entries" >"$TMP/rs.$i" &
	PIDS="$PIDS $!"
	eval "D=\$RDEV_$i"
	# Task creates (an FK KEY SHARE on the user row while holding the
	# scope) and a manual entry (the user row lock, then the scope).
	printf '{"v":1,"schema":1,"device_id":"%s","results_acked_through":0,"ops":[%s,%s]}' \
	    "$D" "$(op 1 $WS_alice task $(uuid) create $(hlc 0 $NA) '{"title":"race"}')" \
	    "$(op 2 $WS_alice time_entry $(uuid) create $(hlc 0 $NA) "{\"task_id\":\"$T1\",\"start_time\":1700000000000,\"end_time\":1700000060000}")" \
	    >"$TMP/pb.$i"
	curl -s -o "$TMP/push.$i" -w '%{http_code}' --max-time 60 -X POST \
	    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	    --data-binary "@$TMP/pb.$i" "$BASE/api/v1/sync/push" >"$TMP/ps.$i" &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $PIDS
i=1 BAD=
while [ $i -le $N ]; do
	case $(cat "$TMP/rs.$i") in 2??) ;; *) BAD="$BAD rest$i:$(cat "$TMP/rs.$i")" ;; esac
	case $(cat "$TMP/ps.$i") in 200) ;; *) BAD="$BAD push$i:$(cat "$TMP/ps.$i")" ;; esac
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [r['status'] for r in d['results']] == ['applied', 'applied'] else 1)" "$TMP/push.$i" 2>/dev/null ||
		BAD="$BAD push$i-results"
	i=$((i + 1))
done
expect_eq "$BAD" "" "$N REST timer starts and $N pushes of the same user all answered 2xx"
expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ID_alice' AND end_time IS NULL AND NOT deleted" 1 "one running timer"
COUNT=$((COUNT + 1))
grep -qi deadlock "$TMP/pg.log" && fail "PostgreSQL logged a deadlock"

finish
