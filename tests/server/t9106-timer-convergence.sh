#!/bin/sh
# t9106-timer-convergence: the one-running-timer rule (SYNC.md 3.11) must
# leave every replica with the server's end_time/end_src, whatever order
# two offline devices push in.  A replica applies a pulled field only if
# its clock is strictly greater than its own (3.8), so whenever the
# server's derived end differs from what a pushed op made its device
# believe, the log must carry that end under a newer clock.  The test
# keeps each device's local writes (sim.py), pulls the log, applies it by
# per-field LWW on top of them, and compares with time_entries.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

SIM=$TMP/sim.py
cat >"$SIM" <<'EOF'
# sim.py STATE op DEV KIND EID HLC FIELDS: record DEV's local write of an
#   op (as common/db.c does it: every field of the op under its clock, a
#   stop or end edit also sets end_src) and print the op's JSON.
# sim.py STATE check PULL SERVER: each device's local writes plus the
#   pulled changes by strict per-field LWW must equal SERVER's ends.
import json, os, sys, uuid

state_path, cmd = sys.argv[1], sys.argv[2]
st = json.load(open(state_path)) if os.path.exists(state_path) else {}
if cmd == "op":
    dev, kind, eid, hlc, fields = sys.argv[3:8]
    fields = json.loads(fields)
    d = st.setdefault(dev, {"seq": 0, "writes": []})
    d["seq"] += 1
    w = {}
    if kind in ("timer.start", "create"):
        w = {"end_time": fields.get("end_time"),
             "end_src": "stop" if "end_time" in fields else None}
    elif kind == "timer.stop":
        w = {"end_time": fields["end_time"], "end_src": "stop"}
    elif kind == "set" and "end_time" in fields:
        w = {"end_time": fields["end_time"], "end_src": "edit"}
    for f, v in w.items():
        d["writes"].append([eid, f, v, hlc])
    json.dump(st, open(state_path, "w"))
    print(json.dumps({"seq": d["seq"], "id": str(uuid.uuid4()),
                      "scope": os.environ["SIM_WS"], "e": "time_entry",
                      "eid": eid, "kind": kind, "hlc": hlc,
                      "fields": fields}))
elif cmd == "check":
    pull = json.load(open(sys.argv[3]))
    sc = pull["scopes"][0] if "scopes" in pull else pull
    assert not sc.get("has_more"), "one page expected"
    server = {}
    for line in open(sys.argv[4]):
        if line.strip():
            eid, end, src = line.rstrip("\n").split("|")
            server[eid] = {"end_time": int(end) if end else None,
                           "end_src": src or None}
    bad = []
    for dev, d in sorted(st.items()):
        rep = {}
        for eid, f, v, h in d["writes"]:
            rep.setdefault(eid, {})[f] = (v, h)
        for c in sc["changes"]:
            if c["e"] != "time_entry":
                continue
            row = rep.setdefault(c["eid"], {})
            for f in ("end_time", "end_src"):
                if f in c["fields"] and c["fhlc"][f] > row.get(f, (None, "0"))[1]:
                    row[f] = (c["fields"][f], c["fhlc"][f])
        for eid, want in server.items():
            got = {f: rep.get(eid, {}).get(f, (None, ""))[0] for f in want}
            if got != want:
                bad.append("%s sees %s %s, server %s" % (dev, eid, got, want))
    if bad:
        sys.exit("; ".join(bad))
EOF

uuid() {
	python3 -c "import uuid; print(uuid.uuid4())"
}
# hlc MS NODE: an HLC at MS.
hlc() {
	printf '%012x0000-%s\n' "$1" "$2"
}
LAPTOP_N=aaaaaaaaaaaaaaa1
PHONE_N=bbbbbbbbbbbbbbb2

# new_user NAME: a user with two devices (laptop, phone), a fresh state
# and entry ids EA, EB; each scenario has its own, so the timer rule of one never
# reaches another's entries.
new_user() {
	user "$1"
	export SIM_WS
	SIM_WS=$(eval echo "\$WS_$1")
	SIM_USER=$(eval echo "\$ID_$1")
	for d in laptop phone; do
		login "$1@example.com" "password-$1"
		[ "$STATUS" = 200 ] || fatal "login $1: $STATUS $OUT"
		eval "TOK_$d=\$TOKEN DEV_$d=\$(jget \"d['device_id']\")"
		: >"$TMP/batch.$d"
	done
	rm -f "$TMP/state.json"
	EA=$(uuid) EB=$(uuid)
}
# dev_op DEV KIND EID HLC FIELDS: queue a local op of DEV.
dev_op() {
	python3 "$SIM" "$TMP/state.json" op "$@" >>"$TMP/batch.$1" ||
		fatal "sim op"
}
# sync DEV DESC: push DEV's queued ops; every one must be applied (an
# op whose end the server did not take is answered with the end's row).
sync() {
	eval "TOKEN=\$TOK_$1 _dev=\$DEV_$1"
	api POST /api/v1/sync/push "{\"v\":1,\"schema\":1,\"device_id\":\"$_dev\",\"results_acked_through\":0,\"ops\":[$(paste -sd, "$TMP/batch.$1")]}"
	expect_status 200 "$2: push"
	expect_json "all(r['status'] == 'applied' for r in d['results'])" "$2: every op applied"
	: >"$TMP/batch.$1"
}
# converge DESC: every device, after pulling, shows the server's ends.
converge() {
	api GET "/api/v1/sync/pull?scope=$SIM_WS&since=0&limit=1000"
	expect_status 200 "$1: pull"
	cp "$TMP/body" "$TMP/pull.json"
	sql "SELECT id || '|' || coalesce(tock_ms(end_time)::text, '') || '|' || coalesce(end_src, '') FROM time_entries WHERE user_id = '$SIM_USER'" >"$TMP/server.txt" ||
		fatal "server state"
	COUNT=$((COUNT + 1))
	python3 "$SIM" "$TMP/state.json" check "$TMP/pull.json" \
	    "$TMP/server.txt" 2>"$TMP/simerr" ||
		fail "$1: replicas diverge: $(cat "$TMP/simerr")"
	expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$SIM_USER' AND end_time IS NULL AND NOT deleted" "$2" "$1: running timers"
}
# end_is EID END SRC DESC
end_is() {
	expect_sql "SELECT coalesce(tock_ms(end_time)::text, 'running') || '|' || coalesce(end_src, '') FROM time_entries WHERE id = '$1'" "$2|$3" "$4"
}

standard_setup
# Device clocks: offline work hours ago, but also a case with clocks up
# to 30 s ahead of the server (within the 60 s clock_ahead bound), where
# only a server clock that saw the client's can win on that device.
NOW=$(python3 -c "import time; print(int(time.time() * 1000))")
n=0
for skew in past ahead; do
for order in laptop_first phone_first; do
	n=$((n + 1))
	if [ $skew = past ]; then
		S_A=$((NOW - 18000000)) H0=$S_A
	else
		S_A=$((NOW - 3600000)) H0=$((NOW + 20000))
	fi
	S_B=$((S_A + 1800000)) E_A=$((S_A + 3600000))

	# 1. SYNC.md's worked example: the laptop starts A and stops it an
	# hour later; the phone starts B half an hour in, with a newer clock.
	new_user "w$n"
	dev_op laptop timer.start "$EA" "$(hlc $H0 $LAPTOP_N)" "{\"start_time\":$S_A}"
	dev_op laptop timer.stop "$EA" "$(hlc $((H0 + 1000)) $LAPTOP_N)" "{\"end_time\":$E_A}"
	dev_op phone timer.start "$EB" "$(hlc $((H0 + 2000)) $PHONE_N)" "{\"start_time\":$S_B}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EA" "$S_B" auto "$skew $order: A ends at B's start"
	end_is "$EB" running "" "$skew $order: B runs"
	converge "$skew $order: worked example" 1

	# 2. A start older than a stored newer start, never stopped.
	new_user "s$n"
	dev_op laptop timer.start "$EA" "$(hlc $H0 $LAPTOP_N)" "{\"start_time\":$S_A}"
	dev_op phone timer.start "$EB" "$(hlc $((H0 + 2000)) $PHONE_N)" "{\"start_time\":$S_B}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EA" "$S_B" auto "$skew $order: older start auto-ended"
	converge "$skew $order: older start" 1

	# 3. An end edit older than the newer start that supplies the min:
	# the auto end wins over the edit.
	new_user "eo$n"
	dev_op laptop timer.start "$EA" "$(hlc $H0 $LAPTOP_N)" "{\"start_time\":$S_A}"
	dev_op laptop timer.stop "$EA" "$(hlc $((H0 + 1000)) $LAPTOP_N)" "{\"end_time\":$E_A}"
	dev_op laptop set "$EA" "$(hlc $((H0 + 1500)) $LAPTOP_N)" "{\"end_time\":$((E_A + 600000))}"
	dev_op phone timer.start "$EB" "$(hlc $((H0 + 2000)) $PHONE_N)" "{\"start_time\":$S_B}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EA" "$S_B" auto "$skew $order: older edit loses to the newer start"
	converge "$skew $order: older edit" 1

	# 4. An end edit newer than that start wins.
	new_user "en$n"
	dev_op laptop timer.start "$EA" "$(hlc $H0 $LAPTOP_N)" "{\"start_time\":$S_A}"
	dev_op phone timer.start "$EB" "$(hlc $((H0 + 2000)) $PHONE_N)" "{\"start_time\":$S_B}"
	dev_op laptop set "$EA" "$(hlc $((H0 + 3000)) $LAPTOP_N)" "{\"end_time\":$((S_B + 600000))}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EA" "$((S_B + 600000))" edit "$skew $order: newer edit wins"
	converge "$skew $order: newer edit" 1

	# 5. A newer start that was deleted still ends the older timer.
	new_user "d$n"
	dev_op phone timer.start "$EB" "$(hlc $H0 $PHONE_N)" "{\"start_time\":$S_A}"
	dev_op laptop timer.start "$EA" "$(hlc $((H0 + 2000)) $LAPTOP_N)" "{\"start_time\":$S_B}"
	dev_op laptop delete "$EA" "$(hlc $((H0 + 3000)) $LAPTOP_N)" "{}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EB" "$S_B" auto "$skew $order: a deleted newer start ends it"
	converge "$skew $order: deleted newer start" 0

	# 6. Two stops of one entry: the first (smallest) wins, whichever
	# clock is newer, and the device of the later stop learns it.
	new_user "ds$n"
	dev_op laptop timer.start "$EA" "$(hlc $H0 $LAPTOP_N)" "{\"start_time\":$S_A}"
	sync laptop "$skew $order: start"
	dev_op laptop timer.stop "$EA" "$(hlc $((H0 + 1000)) $LAPTOP_N)" "{\"end_time\":$S_B}"
	dev_op phone timer.stop "$EA" "$(hlc $((H0 + 2000)) $PHONE_N)" "{\"end_time\":$E_A}"
	if [ $order = laptop_first ]; then
		sync laptop "$skew $order: laptop"; sync phone "$skew $order: phone"
	else
		sync phone "$skew $order: phone"; sync laptop "$skew $order: laptop"
	fi
	end_is "$EA" "$S_B" stop "$skew $order: first stop wins"
	converge "$skew $order: double stop" 0
done
done
expect_sql "SELECT count(*) FROM sync_log l WHERE entity = 2 AND op_id IS NULL AND NOT (fhlc->>'end_time' > ALL (SELECT o.fhlc->>'end_time' FROM sync_log o WHERE o.entity_id = l.entity_id AND o.seq < l.seq AND o.scope_id = l.scope_id AND o.fhlc ? 'end_time'))" 0 "effect rows out-clock every earlier end"

finish
