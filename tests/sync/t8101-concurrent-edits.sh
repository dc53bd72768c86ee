#!/bin/sh
# t8101-concurrent-edits.sh - two users' replicas edit one task of a shared
# workspace while offline (no daemon, no sync between the edits):
#   different fields -> both edits kept on A, on B and in PostgreSQL;
#   same field       -> the edit with the later HLC wins everywhere, in
#                       both sync orders, and the losing text is kept as a
#                       conflict (server table, and `tock conflicts` on the
#                       replica that synced second).
. "$TOCK_SYNC_LIB"
standard_setup
replica a
replica b
login_replica a alice@example.com
login_replica b bob@example.com
ALICE=$(sql "SELECT id FROM users WHERE email = 'alice@example.com'")
BOB=$(sql "SELECT id FROM users WHERE email = 'bob@example.com'")
expect_eq "$(uid_r a)" "$ALICE" "replica a took alice's server id"
expect_eq "$(uid_r b)" "$BOB" "replica b took bob's server id"

# Alice makes a team workspace and adds Bob (lead: may edit any task).
token_as alice@example.com
api POST /api/v1/workspaces '{"name":"team"}'
expect_status 201 "create the team workspace"
W=$(jget "d['id']")
api POST "/api/v1/workspaces/$W/members" '{"email":"bob@example.com","role":"lead"}'
expect_status 201 "add bob"
api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"Shared task\"}"
expect_status 201 "create the shared task over REST"
T=$(jget "d['id']")

sync_all a b
expect_rsql a "SELECT title FROM tasks WHERE id = '$T'" "Shared task" "a pulled the REST task"
expect_rsql b "SELECT title FROM tasks WHERE id = '$T'" "Shared task" "b pulled the REST task"
expect_rsql b "SELECT role FROM memberships WHERE workspace_id = '$W' AND user_id = '$BOB'" lead "b knows its role"

# --- different fields: both kept ---------------------------------------
ok_as a tock edit "$T" --status in_progress
ok_as b tock edit "$T" --description "notes from bob"
sync_all a b
for r in a b; do
	expect_rsql $r "SELECT status || '|' || description FROM tasks WHERE id = '$T'" \
	    "in_progress|notes from bob" "different fields both kept"
	expect_outbox_empty $r
done
expect_sql "SELECT status || '|' || description FROM tasks WHERE id = '$T'" \
    "in_progress|notes from bob" "server kept both fields"
expect_sql "SELECT count(*) FROM conflicts WHERE entity_id = '$T'" 0 \
    "no conflict for edits of different fields"

# op_hlc NAME: the HLC of the replica's newest pending title edit of T.
op_hlc() {
	rsql "$1" "SELECT hlc FROM outbox WHERE entity_id = '$T'
	    AND fields LIKE '%\"title\"%' ORDER BY seq DESC LIMIT 1"
}

# same_field FIRST SECOND FIRST_TITLE SECOND_TITLE SYNC1 SYNC2: FIRST edits
# the title, then SECOND does (later); SYNC1 syncs before SYNC2.
same_field() {
	ok_as "$1" tock edit "$T" --title "$3"
	ok_as "$2" tock edit "$T" --title "$4"
	h1=$(op_hlc "$1")
	h2=$(op_hlc "$2")
	COUNT=$((COUNT + 1))
	[ -n "$h1" ] && [ -n "$h2" ] || fail "title edits not in the outboxes ('$h1' '$h2')"
	# The later edit must carry the later clock; the winner is by HLC.
	if [ "$(printf '%s\n%s\n' "$h1" "$h2" | sort | tail -n 1)" = "$h2" ]; then
		win=$4 lose=$3
	else
		fail "the later edit has the smaller HLC ($h2 < $h1)"
		win=$3 lose=$4
	fi
	replica_sync "$5"
	replica_sync "$6"
	replica_sync "$5"
	for r in a b; do
		expect_rsql $r "SELECT title FROM tasks WHERE id = '$T'" "$win" \
		    "same field: later HLC wins"
		expect_outbox_empty $r
	done
	expect_sql "SELECT title FROM tasks WHERE id = '$T'" "$win" \
	    "server: later HLC wins"
	expect_sql "SELECT count(*) FROM conflicts WHERE entity_id = '$T'
	    AND field = 'title' AND loser::text LIKE '%$lose%'" 1 \
	    "server kept the losing title '$lose' as a conflict"
	expect_rsql "$6" "SELECT count(*) FROM conflicts WHERE entity_id = '$T'
	    AND field = 'title' AND loser_value LIKE '%$lose%'" 1 \
	    "the replica that synced second has the conflict"
	run_as "$6" tock conflicts
	COUNT=$((COUNT + 1))
	[ "$RC" = 0 ] && printf '%s\n' "$OUT" | grep -qF "$lose" ||
		fail "$6: tock conflicts (exit $RC) does not show '$lose': $OUT $ERR"
	run_as "$6" tock conflicts --json
	COUNT=$((COUNT + 1))
	[ "$RC" = 0 ] && printf '%s' "$OUT" | python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if sys.argv[1] in json.dumps(d) else 1)' "$lose" ||
		fail "$6: tock conflicts --json (exit $RC) lacks '$lose': $OUT $ERR"
}

# Later edit syncs second (its op is applied over the first).
same_field a b "Title from A" "Title from B" a b
# Later edit syncs first (the earlier one arrives late and loses).
same_field b a "Second from B" "Second from A" a b

for r in a b; do
	expect_same $r "$W"
done
finish
