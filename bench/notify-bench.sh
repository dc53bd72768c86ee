#!/bin/sh
# notify-bench.sh - how fast one tock-server worker empties the queue.
#
#   sh bench/notify-bench.sh build-rel/server/tock-server [N] [RUNS]
#
# Starts a throw-away PostgreSQL and tock-server (tests/server/lib.sh) and
# Debian's aiosmtpd on loopback (writing a Maildir), queues N assignment
# notifications (a second user assigns N tasks over REST, each queued by
# the trigger in its own transaction), then starts one worker and times
# it until the mail server holds N messages.  Prints the median of RUNS
# (default 3) in seconds and messages/s, beside issue #7's target
# (1,000 in 10 s).  Use a Release build.
TOCK_TEST_LIB=$(cd "$(dirname "$0")/../tests/server" && pwd)/lib.sh
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${2:-1000}
RUNS=${3:-3}
. "$TOCK_TEST_LIB"
PY=/usr/bin/python3
SMTP_PID=
WPID=

bench_cleanup() {
	kill -KILL $WPID $SMTP_PID 2>/dev/null
	cleanup
}
trap bench_cleanup EXIT

standard_setup TOCK_RATE_USER=1000000/60
user ann
user bob
act_as ann
api POST "/api/v1/workspaces/$WS_ann/members" '{"email":"bob@example.com","role":"member"}'
[ "$STATUS" = 201 ] || fatal "add bob: $STATUS $OUT"
SMTPPORT=$(free_port)

count() {
	find "$TMP/maildir/new" -type f 2>/dev/null | wc -l
}

times=
run=1
while [ $run -le "$RUNS" ]; do
	rm -rf "$TMP/maildir"
	"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTPPORT" \
	    -c aiosmtpd.handlers.Mailbox "$TMP/maildir" >>"$TMP/smtp.log" 2>&1 &
	SMTP_PID=$!
	# Queue N in one statement per 100 (REST would take as long as the
	# worker; the trigger is what queues them either way).
	sql "SELECT set_config('tock.user_id', '$ID_ann', false);
	    INSERT INTO tasks (id, workspace_id, title, created_by, assignee_id)
	    SELECT gen_random_uuid(), '$WS_ann', 'Bench task ' || i, '$ID_ann',
	    '$ID_bob' FROM generate_series(1, $N) AS i" >/dev/null ||
		fatal "cannot queue"
	q=$(sql "SELECT count(*) FROM notifications WHERE status = 'pending'")
	[ "$q" = "$N" ] || fatal "queued $q, expected $N"
	t0=$(now_s)
	env TOCK_DATABASE_URL="$APP_URL" \
	    TOCK_SMTP_URL="smtp://127.0.0.1:$SMTPPORT" \
	    TOCK_MAIL_FROM="tock <tock@example.org>" \
	    TOCK_TEMPLATE_DIR="$SRC/server/templates" \
	    TOCK_WORKER_POLL_MS=20 "$SERVER" worker 2>>"$TMP/worker.log" &
	WPID=$!
	dl=$(deadline 120)
	while [ "$(count)" -lt "$N" ] && before "$dl"; do
		sleep 0.05
	done
	t1=$(now_s)
	kill -TERM $WPID 2>/dev/null
	wait $WPID 2>/dev/null
	kill -TERM $SMTP_PID 2>/dev/null
	wait $SMTP_PID 2>/dev/null
	WPID=
	SMTP_PID=
	got=$(count)
	[ "$got" -ge "$N" ] || fatal "run $run: only $got of $N delivered"
	dt=$(python3 -c "print('%.3f' % ($t1 - $t0))")
	echo "run $run: $N messages in $dt s"
	times="$times $dt"
	run=$((run + 1))
done
python3 - "$N" $times <<'PYEOF'
import statistics, sys
n = int(sys.argv[1])
t = statistics.median(float(x) for x in sys.argv[2:])
print("median: %d messages in %.2f s, %.0f messages/s (target: 1,000 in "
      "10 s, %.1fx under it)" % (n, t, n / t, 10.0 * n / 1000 / t))
PYEOF
