#!/bin/sh
# t9101-sync-push: POST /api/v1/sync/push (syncd/PROTOCOL.md "Push"):
# creates and sets with per-field LWW, dedup, conflicts, permissions,
# clock_ahead, the one-running-timer rule in both arrival orders, request
# errors, and REST/push interplay through the task version.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# hlc MS_OFFSET NODE: an HLC at now+offset ms on node (16 hex digits).
hlc() {
	python3 -c "import time,sys
ms = int(time.time() * 1000) + int(sys.argv[1])
print('%012x%04x-%s' % (ms, 0, sys.argv[2]))" "$1" "$2"
}
# hlc_at MS NODE: an HLC at an absolute ms.
hlc_at() {
	printf '%012x0000-%s\n' "$1" "$2"
}
uuid() {
	python3 -c "import uuid; print(uuid.uuid4())"
}
# device NAME: a second login of NAME; sets TOKEN and DEV.
device() {
	login "$1@example.com" "password-$1"
	[ "$STATUS" = 200 ] || fatal "login $1: $STATUS $OUT"
	DEV=$(jget "d['device_id']")
}
push() {
	api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"results_acked_through\":0,\"ops\":[$1]}"
}

standard_setup
user alice
user bob
device alice
expect_json "d['default_workspace_id'] == '$WS_alice'" "login answers default_workspace_id"
DEV_A=$DEV TOK_A=$TOKEN
N1=aaaaaaaaaaaaaaa1
N2=bbbbbbbbbbbbbbb2

# ---- create ----------------------------------------------------------
T1=$(uuid) O1=$(uuid)
H1=$(hlc -5000 $N1)
push "{\"seq\":1,\"id\":\"$O1\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"create\",\"hlc\":\"$H1\",\"fields\":{\"title\":\"From push\",\"metadata.prio\":\"high\"}}"
expect_status 200 "push a create"
expect_json "d['results'][0]['status'] == 'applied' and d['applied_through'] == 1" "create applied"
SEQ=$(jget "d['results'][0]['scope_seq']")
expect_json "d['heads']['$WS_alice'] == $SEQ" "heads carry the scope head"
expect_sql "SELECT title || '|' || status || '|' || (metadata->>'prio') || '|' || created_by FROM tasks WHERE id = '$T1'" "From push|todo|high|$ID_alice" "the row"
expect_sql "SELECT count(*) FROM sync_log WHERE entity_id = '$T1' AND seq = $SEQ AND op_id = '$O1' AND device_id = '$DEV_A' AND tx_last_seq = $SEQ AND fields->>'title' = 'From push' AND fhlc->>'title' = '$H1'" 1 "its log row"
expect_sql "SELECT status FROM applied_ops WHERE op_id = '$O1'" 1 "ledger row"

# ---- duplicate ---------------------------------------------------------
push "{\"seq\":1,\"id\":\"$O1\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"create\",\"hlc\":\"$H1\",\"fields\":{\"title\":\"From push\"}}"
expect_json "d['results'][0]['status'] == 'duplicate' and d['results'][0]['original']['scope_seq'] == $SEQ" "same op again: duplicate"
expect_sql "SELECT count(*) FROM sync_log WHERE entity_id = '$T1'" 1 "nothing new logged"

# ---- LWW: greater HLC wins in either order -------------------------------
HA=$(hlc -3000 $N1) HB=$(hlc -2000 $N2)
push "{\"seq\":2,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"set\",\"hlc\":\"$HB\",\"fields\":{\"status\":\"done\"}},{\"seq\":3,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"set\",\"hlc\":\"$HA\",\"fields\":{\"status\":\"in_progress\"}}"
expect_json "d['results'][0]['status'] == 'applied' and d['results'][1]['status'] == 'superseded'" "newer first: the older is superseded"
expect_sql "SELECT status FROM tasks WHERE id = '$T1'" done "newer value kept"
T2=$(uuid)
push "{\"seq\":4,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T2\",\"kind\":\"create\",\"hlc\":\"$H1\",\"fields\":{\"title\":\"Two\"}},{\"seq\":5,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T2\",\"kind\":\"set\",\"hlc\":\"$HA\",\"fields\":{\"status\":\"in_progress\"}},{\"seq\":6,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T2\",\"kind\":\"set\",\"hlc\":\"$HB\",\"fields\":{\"status\":\"done\"}}"
expect_json "[r['status'] for r in d['results']] == ['applied', 'applied', 'applied']" "older first: both apply"
expect_sql "SELECT status FROM tasks WHERE id = '$T2'" done "same final value"

# ---- text conflict ---------------------------------------------------
HC=$(hlc -1000 $N2)
push "{\"seq\":7,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"set\",\"hlc\":\"$HC\",\"base\":{\"title\":\"$HA\"},\"fields\":{\"title\":\"Edited blind\"}}"
expect_json "d['results'][0]['status'] == 'applied' and d['results'][0]['conflicts'][0]['field'] == 'title' and d['results'][0]['conflicts'][0]['loser'] == 'From push' and d['results'][0]['conflicts'][0]['loser_hlc'] == '$H1'" "conflict reported"
expect_sql "SELECT loser #>> '{}' FROM conflicts WHERE entity_id = '$T1' AND field = 'title'" "From push" "conflict stored"
expect_sql "SELECT count(*) FROM sync_log WHERE entity = 7 AND fields->>'entity_id' = '$T1'" 1 "conflict log row"

# ---- REST then push, push then REST (version moves) ------------------
TOKEN=$TOK_A
api GET /api/v1/tasks/$T1
V=$(jget "d['version']")
api PATCH /api/v1/tasks/$T1 '{"status":"todo"}' -H "If-Match: \"$V\""
expect_status 200 "REST PATCH of a pushed task"
push "{\"seq\":8,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"set\",\"hlc\":\"$(hlc 0 $N1)\",\"fields\":{\"status\":\"cancelled\"}}"
expect_json "d['results'][0]['status'] == 'applied'" "push after REST wins with a newer HLC"
api PATCH /api/v1/tasks/$T1 '{"status":"done"}' -H "If-Match: \"$((V + 1))\""
expect_status 409 "the push moved the version"

# ---- forbidden / not_found -------------------------------------------
act_as alice
api POST /api/v1/workspaces/$WS_alice/members "{\"email\":\"bob@example.com\",\"role\":\"member\"}"
device bob
push "{\"seq\":1,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$T1\",\"kind\":\"set\",\"hlc\":\"$(hlc 0 $N2)\",\"fields\":{\"title\":\"Bob was here\"}}"
expect_json "d['results'][0]['status'] == 'rejected' and d['results'][0]['code'] == 'forbidden' and d['results'][0]['current']['fields']['status'] == 'cancelled' and 'title' in d['results'][0]['current']['fhlc']" "member edits another's task: forbidden with current"
push "{\"seq\":2,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$(uuid)\",\"kind\":\"set\",\"hlc\":\"$(hlc 0 $N2)\",\"fields\":{\"title\":\"x\"}}"
expect_json "d['results'][0]['code'] == 'not_found'" "set on an unknown id"
api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV_A\",\"results_acked_through\":0,\"ops\":[]}"
expect_status 403 "another user's device"

# ---- clock ahead ------------------------------------------------------
TOKEN=$TOK_A DEV=$DEV_A
push "{\"seq\":9,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$(uuid)\",\"kind\":\"create\",\"hlc\":\"$(hlc 0 $N1)\",\"fields\":{\"title\":\"ok\"}},{\"seq\":10,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$(uuid)\",\"kind\":\"create\",\"hlc\":\"$(hlc 120000 $N1)\",\"fields\":{\"title\":\"ahead\"}},{\"seq\":11,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$(uuid)\",\"kind\":\"create\",\"hlc\":\"$(hlc 0 $N1)\",\"fields\":{\"title\":\"later\"}}"
expect_json "[r['status'] for r in d['results']] == ['applied', 'retry', 'retry'] and d['results'][1]['code'] == 'clock_ahead' and d['applied_through'] == 9" "clock_ahead for it and every later op"

# ---- request errors --------------------------------------------------
api POST /api/v1/sync/push "{\"v\":2,\"schema\":1,\"device_id\":\"$DEV\",\"ops\":[]}"
expect_status 426 "v=2"
expect_json "d['min'] == 1 and d['max'] == 1 and d['error']['code'] == 'proto_unsupported'" "426 body"
api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"ops\":[{\"seq\":1}]}"
expect_status 400 "op without id"
expect_json "d['error']['field'] == 'ops[0].id'" "the field is named"
api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"ops\":{}}"
expect_status 400 "ops not an array"
api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$DEV\",\"ops\":[{\"seq\":12,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"task\",\"eid\":\"$(uuid)\",\"kind\":\"create\",\"hlc\":\"nope\",\"fields\":{}}]}"
expect_field_error ops[0].hlc "bad hlc"

# ---- timers: the SYNC.md worked example in both orders -----------------
# A starts 09:00 (laptop, older HLC) and stops 10:00; B starts 09:30 on
# the phone with a newer HLC.  Either order: A 09:00-09:30 auto, B runs.
for order in laptop_first phone_first; do
	# Rounds far apart, so one round's entries never end the other's.
	[ $order = laptop_first ] && AGO=36000000 || AGO=18000000
	BASE_MS=$(python3 -c "import time; print(int(time.time()*1000) - $AGO)")
	S_A=$BASE_MS S_B=$((BASE_MS + 1800000)) E_A=$((BASE_MS + 3600000))
	EA=$(uuid) EB=$(uuid)
	LAPTOP="{\"seq\":SEQ1,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"time_entry\",\"eid\":\"$EA\",\"kind\":\"timer.start\",\"hlc\":\"$(hlc_at $((S_A + 10)) $N1)\",\"fields\":{\"task_id\":\"$T2\",\"start_time\":$S_A}},{\"seq\":SEQ2,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"time_entry\",\"eid\":\"$EA\",\"kind\":\"timer.stop\",\"hlc\":\"$(hlc_at $((S_A + 20)) $N1)\",\"fields\":{\"end_time\":$E_A}}"
	PHONE="{\"seq\":SEQ1,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"time_entry\",\"eid\":\"$EB\",\"kind\":\"timer.start\",\"hlc\":\"$(hlc_at $((S_B + 10)) $N2)\",\"fields\":{\"task_id\":\"$T2\",\"start_time\":$S_B}}"
	device alice; DEV_L=$DEV TOK_L=$TOKEN
	device alice; DEV_P=$DEV TOK_P=$TOKEN
	if [ $order = laptop_first ]; then
		TOKEN=$TOK_L DEV=$DEV_L; push "$(echo "$LAPTOP" | sed 's/SEQ1/1/; s/SEQ2/2/')"
		expect_json "[r['status'] for r in d['results']] == ['applied', 'applied']" "$order: laptop applied"
		TOKEN=$TOK_P DEV=$DEV_P; push "$(echo "$PHONE" | sed 's/SEQ1/1/')"
		expect_json "d['results'][0]['status'] == 'applied'" "$order: phone applied"
	else
		TOKEN=$TOK_P DEV=$DEV_P; push "$(echo "$PHONE" | sed 's/SEQ1/1/')"
		expect_json "d['results'][0]['status'] == 'applied'" "$order: phone applied"
		TOKEN=$TOK_L DEV=$DEV_L; push "$(echo "$LAPTOP" | sed 's/SEQ1/1/; s/SEQ2/2/')"
		# The stop at 10:00 is kept (stop_at) but the end stays 09:30;
		# the stop is answered applied with a row carrying that end
		# under a server clock newer than the stop's (t9106).
		expect_json "[r['status'] for r in d['results']] == ['applied', 'applied']" "$order: laptop start and stop applied"
		expect_sql "SELECT count(*) FROM sync_log WHERE entity_id = '$EA' AND fields->>'end_time' = '$S_B' AND fhlc->>'end_time' > '$(hlc_at $((S_A + 20)) $N1)'" 2 "$order: A's end logged under newer clocks"
	fi
	expect_sql "SELECT tock_ms(end_time) || '|' || end_src FROM time_entries WHERE id = '$EA'" "$S_B|auto" "$order: A ends at B's start, auto"
	expect_sql "SELECT end_time IS NULL FROM time_entries WHERE id = '$EB'" t "$order: B runs"
	expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ID_alice' AND end_time IS NULL AND NOT deleted" 1 "$order: one running timer"
	# Stop B so the next round starts clean.
	push "{\"seq\":9,\"id\":\"$(uuid)\",\"scope\":\"$WS_alice\",\"e\":\"time_entry\",\"eid\":\"$EB\",\"kind\":\"timer.stop\",\"hlc\":\"$(hlc 0 $N2)\",\"fields\":{\"end_time\":$((S_B + 60000))}}"
	expect_json "d['results'][0]['status'] == 'applied'" "$order: stop B"
done
expect_sql "SELECT count(*) FROM sync_log WHERE scope_id = '$WS_alice' AND seq <> (SELECT count(*) FROM sync_log l2 WHERE l2.scope_id = '$WS_alice' AND l2.seq <= sync_log.seq)" 0 "scope seqs gap-free"

finish
