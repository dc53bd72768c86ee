#!/bin/sh
# t8105-two-instances.sh - two tock-server processes on one database share
# nothing but PostgreSQL: a change committed through instance A (over REST,
# or pushed by a replica whose daemon talks to A) reaches a replica whose
# daemon is connected to instance B within one second (LISTEN/NOTIFY
# fan-out, then WebSocket poke/delta), seen by polling B's SQLite.
# One second is judged on the median of five edits of each kind; each edit
# must still arrive within the generous 10 s deadline.
. "$TOCK_SYNC_LIB"
standard_setup
server2_start
replica a
replica b
login_replica a alice@example.com
SYNC_URL=$BASE2
login_replica b alice@example.com
SYNC_URL=
W=$(ws_r a)
expect_eq "$(ws_r b)" "$W" "both devices in the personal workspace"
token_as alice@example.com
syncd_start a
syncd_start b
wait_online a
wait_online b

# median LIST: the median of whitespace-separated integers ("timeout" = big).
median() {
	printf '%s\n' $1 | sed 's/timeout/999999/' | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# 1. REST through instance A.
lat=
for i in 1 2 3 4 5; do
	T_START=$(ms_now)
	api POST /api/v1/tasks "{\"workspace_id\":\"$W\",\"title\":\"Via REST $i\"}"
	expect_status 201 "REST create $i on instance A"
	l=$(latency_rsql b "SELECT count(*) FROM tasks WHERE title = 'Via REST $i'" 1)
	COUNT=$((COUNT + 1))
	[ "$l" != timeout ] || fail "REST task $i never reached b (instance B) in 10 s"
	lat="$lat $l"
done
m=$(median "$lat")
COUNT=$((COUNT + 1))
[ "$m" -le 1000 ] || fail "REST on A -> replica on B: median $m ms > 1000 (all:$lat)"
echo "REST on A -> b's SQLite (ms):$lat"

# 2. A replica's edit pushed to instance A.
T=$(rsql a "SELECT id FROM tasks WHERE title = 'Via REST 1'")
lat=
for i in 1 2 3 4 5; do
	T_START=$(ms_now)
	ok_as a tock edit "$T" --title "Edited on a $i"
	l=$(latency_rsql b "SELECT title FROM tasks WHERE id = '$T'" "Edited on a $i")
	COUNT=$((COUNT + 1))
	[ "$l" != timeout ] || fail "edit $i on a never reached b (instance B) in 10 s"
	lat="$lat $l"
done
m=$(median "$lat")
COUNT=$((COUNT + 1))
[ "$m" -le 1000 ] || fail "replica on A -> replica on B: median $m ms > 1000 (all:$lat)"
echo "a (instance A) -> b's SQLite (ms):$lat"

# And the other way, b's edit through B reaches a.
T_START=$(ms_now)
ok_as b tock edit "$T" --status done
l=$(latency_rsql a "SELECT status FROM tasks WHERE id = '$T'" done)
COUNT=$((COUNT + 1))
[ "$l" != timeout ] || fail "edit on b (instance B) never reached a in 10 s"
wait_rsql a "SELECT count(*) FROM outbox" 0
wait_rsql b "SELECT count(*) FROM outbox" 0
wait_same a "$W"
wait_same b "$W"
syncd_stop a
syncd_stop b
server2_stop
finish
