#!/bin/sh
# t8102-timers-two-devices.sh - one user, two devices, timers started while
# both are offline (SYNC.md 3.11 worked example): laptop starts A at T0 and
# stops it at T0+60m, phone starts B at T0+30m (a newer HLC).  Whichever
# device syncs first, every replica and the server end with A = T0..T0+30m
# (end_src auto) and B running, and never two running timers.  Run in both
# sync orders, with fresh entries each time.
. "$TOCK_SYNC_LIB"
standard_setup
replica a
replica b
login_replica a alice@example.com
login_replica b alice@example.com
ALICE=$(sql "SELECT id FROM users WHERE email = 'alice@example.com'")
W=$(sql "SELECT default_workspace_id FROM users WHERE id = '$ALICE'")
expect_eq "$(ws_r a)" "$W" "a uses the personal workspace"
expect_eq "$(ws_r b)" "$W" "b uses the personal workspace"
ok_as a tock add "Timer task" --json
T=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sync_all a b
expect_rsql b "SELECT title FROM tasks WHERE id = '$T'" "Timer task" "b has the task"

# iso MS: local ISO time of Unix ms (TZ is UTC in the tests).
iso() {
	date -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S
}
# entry_id: the id in $OUT of `tock start --json`.
entry_id() {
	printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["started"]["id"])'
}

# check_entries A B T0: the 3.11 result everywhere.
check_entries() {
	_a="$3|$(($3 + 1800000))|auto"
	_b="$(($3 + 1800000))||"
	for r in a b; do
		expect_rsql $r "SELECT start_time || '|' || coalesce(end_time, '') || '|' || coalesce(end_src, '') FROM time_entries WHERE id = '$1'" \
		    "$_a" "A ended at B's start, auto"
		expect_rsql $r "SELECT start_time || '|' || coalesce(end_time, '') || '|' || coalesce(end_src, '') FROM time_entries WHERE id = '$2'" \
		    "$_b" "B running"
		expect_rsql $r "SELECT count(*) FROM time_entries WHERE user_id = '$ALICE' AND end_time IS NULL AND deleted = 0" \
		    1 "one running timer on the replica"
		expect_outbox_empty $r
	done
	expect_sql "SELECT round(extract(epoch FROM start_time) * 1000)::bigint || '|' || coalesce(round(extract(epoch FROM end_time) * 1000)::bigint::text, '') || '|' || coalesce(end_src, '') FROM time_entries WHERE id = '$1'" \
	    "$_a" "server: A ended at B's start, auto"
	expect_sql "SELECT round(extract(epoch FROM start_time) * 1000)::bigint || '|' || coalesce(round(extract(epoch FROM end_time) * 1000)::bigint::text, '') || '|' || coalesce(end_src, '') FROM time_entries WHERE id = '$2'" \
	    "$_b" "server: B running"
	expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ALICE' AND end_time IS NULL AND NOT deleted" \
	    1 "server: one running timer"
	for r in a b; do
		expect_same $r "$W"
	done
}

# scenario FIRST SECOND T0: offline starts/stops, then sync FIRST, SECOND,
# FIRST again.
scenario() {
	t0=$3
	ok_as a tock start "$T" --at "$(iso "$t0")" --json
	A=$(entry_id)
	ok_as a tock stop --at "$(iso $((t0 + 3600000)))"
	ok_as b tock start "$T" --at "$(iso $((t0 + 1800000)))" --json
	B=$(entry_id)
	# Offline, each device sees only its own timer.
	expect_rsql a "SELECT count(*) FROM time_entries WHERE id = '$B'" 0 "a has not seen B yet"
	replica_sync "$1"
	replica_sync "$2"
	replica_sync "$1"
	check_entries "$A" "$B" "$t0"
}

# Whole minutes, hours in the past, so every time lies before "now".
NOW=$(( $(date +%s) / 60 * 60 * 1000 ))
# Laptop (a) syncs first.
scenario a b $((NOW - 6 * 3600000))
# Stop B so the next scenario starts from no running timer.
ok_as b tock stop --at "$(iso $((NOW - 4 * 3600000)))"
sync_all b a
expect_sql "SELECT count(*) FROM time_entries WHERE user_id = '$ALICE' AND end_time IS NULL AND NOT deleted" \
    0 "server: no running timer between the scenarios"
# Phone (b) syncs first.
scenario b a $((NOW - 3 * 3600000))
finish
