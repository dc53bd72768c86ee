#!/bin/sh
# t9201-notify: tock-server worker delivers notifications to a real SMTP
# server on loopback (Debian's aiosmtpd, writing a Maildir): who gets what,
# preferences, retries while the mail server is down (delivered once, never
# twice), two workers sharing a queue, hostile titles escaped in HTML, tasks
# due within a day notified once, SIGTERM.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3	# Debian's, which has aiosmtpd
SMTP_PID=
WORKERS=

notify_cleanup() {
	for p in $WORKERS $SMTP_PID; do
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap notify_cleanup EXIT

SMTPPORT=$(free_port)
MAILDIR=$TMP/maildir

smtp_start() {
	"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTPPORT" \
	    -c aiosmtpd.handlers.Mailbox "$MAILDIR" >>"$TMP/smtp.log" 2>&1 &
	SMTP_PID=$!
	_dl=$(deadline 20)
	while before "$_dl"; do
		"$PY" -c "import socket, sys
s = socket.socket()
try:
    s.connect(('127.0.0.1', $SMTPPORT))
except OSError:
    sys.exit(1)" 2>/dev/null && return 0
		sleep 0.05
	done
	fatal "aiosmtpd did not listen on $SMTPPORT"
}

smtp_stop() {
	kill -TERM "$SMTP_PID" 2>/dev/null
	wait "$SMTP_PID" 2>/dev/null
	SMTP_PID=
}

# worker_start [VAR=VALUE...]: one tock-server worker in the background.
worker_start() {
	env TOCK_DATABASE_URL="$APP_URL" \
	    TOCK_SMTP_URL="smtp://127.0.0.1:$SMTPPORT" \
	    TOCK_MAIL_FROM="tock <tock@example.org>" \
	    TOCK_TEMPLATE_DIR="$SRC/server/templates" \
	    TOCK_WORKER_POLL_MS=50 TOCK_WORKER_RETRY_MS=200 "$@" \
	    "$SERVER" worker >>"$TMP/worker.out" 2>>"$TMP/worker.log" &
	WORKERS="$WORKERS $!"
	LAST_WORKER=$!
}

workers_stop() {
	for p in $WORKERS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $WORKERS; do
		wait "$p" 2>/dev/null
	done
	WORKERS=
}

# mails: the messages received so far, one line each:
# "To|Subject|Message-ID" (subjects decoded).
mails() {
	"$PY" - "$MAILDIR" <<'EOF'
import mailbox, sys
from email.header import decode_header, make_header
box = mailbox.Maildir(sys.argv[1], create=False) if __import__('os').path.isdir(sys.argv[1]) else []
rows = []
for m in (box.values() if box else []):
    subj = str(make_header(decode_header(m['Subject'] or '')))
    rows.append('%s|%s|%s' % (m['To'], subj, m['Message-ID']))
for r in sorted(rows):
    print(r)
EOF
}

# mail_count: how many messages arrived.
mail_count() {
	mails | grep -c . || true
}

# wait_mails N: until N messages arrived (15 s), then a moment's check
# that no more come is the caller's business.
wait_mails() {
	_dl=$(deadline 15)
	while before "$_dl"; do
		[ "$(mail_count)" -ge "$1" ] && break
		sleep 0.05
	done
	COUNT=$((COUNT + 1))
	[ "$(mail_count)" -ge "$1" ] ||
		fail "expected $1 messages, got $(mail_count): $(mails)"
}

# queue_drained: until no notification is pending or being sent.
queue_drained() {
	_dl=$(deadline 15)
	while before "$_dl"; do
		[ "$(sql "SELECT count(*) FROM notifications WHERE status = 'pending'")" = 0 ] &&
			return 0
		sleep 0.05
	done
	fail "the queue did not drain: $(sql "SELECT id, kind, status, attempts, last_error FROM notifications WHERE status = 'pending'")"
}

standard_setup
smtp_start
user ann
user bob
act_as ann
api POST "/api/v1/workspaces/$WS_ann/members" '{"email":"bob@example.com","role":"member"}'
expect_status 201 "ann adds bob"
worker_start

# --- assignment by someone else: exactly one message to the assignee ------
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Fix the build\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "ann creates a task for bob"
T1=$(jget "d['id']")
wait_mails 1
queue_drained
expect_eq "$(mails)" "bob <bob@example.com>|[tock] ann assigned you: Fix the build|<tock.notification.$(sql "SELECT id FROM notifications WHERE entity_id = '$T1'")@example.org>" \
    "the assignee got one message naming the task"
MSG=$("$PY" - "$MAILDIR" <<'EOF'
import mailbox, sys
m = list(mailbox.Maildir(sys.argv[1], create=False).values())[0]
for part in m.walk():
    if part.get_content_type() == 'text/plain':
        print(part.get_payload(decode=True).decode())
EOF
)
case $MSG in
*"$T1"*) ;;
*) fail "the text part names the task id: $MSG" ;;
esac
expect_sql "SELECT status, attempts FROM notifications" "sent|1" \
    "the notification is recorded as sent"

# --- self-assignment: none ------------------------------------------------
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Mine\",\"assignee_id\":\"$ID_ann\"}"
expect_status 201 "ann assigns herself"
T2=$(jget "d['id']")
expect_sql "SELECT count(*) FROM notifications WHERE entity_id = '$T2'" "0" \
    "no notification for a self-assignment"

# --- a comment: the creator and the assignee, not the author --------------
: >"$TMP/before"
api POST "/api/v1/tasks/$T1/comments" '{"body":"Any news?"}'
expect_status 201 "ann comments on bob's task"
wait_mails 2
queue_drained
expect_sql "SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'comment'" \
    "bob@example.com" "ann's own comment notifies bob only"
act_as bob
api POST "/api/v1/tasks/$T1/comments" '{"body":"Almost <b>done</b>"}'
expect_status 201 "bob answers"
wait_mails 3
queue_drained
expect_sql "SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'comment' ORDER BY n.id" \
    "bob@example.com
ann@example.com" "bob's comment notifies ann (creator), not bob"

# --- preferences ----------------------------------------------------------
api PATCH /api/v1/me/notifications '{"comment":false}'
expect_status 200 "bob turns comment mail off"
expect_json "d['prefs'] == {'assigned': True, 'comment': False, 'due': True}" \
    "the preferences as stored"
api PATCH /api/v1/me/notifications '{"comment":"no"}'
expect_field_error comment "a preference must be a boolean"
act_as ann
api POST "/api/v1/tasks/$T1/comments" '{"body":"Ping"}'
expect_status 201 "ann comments again"
expect_sql "SELECT count(*) FROM notifications WHERE kind = 'comment'" "2" \
    "nothing queued for bob with comment mail off"

# --- hostile titles stay text in HTML -------------------------------------
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"<script>alert(1)</script> & co\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "a hostile title"
wait_mails 4
queue_drained
HTML=$("$PY" - "$MAILDIR" <<'EOF'
import mailbox, sys
for m in mailbox.Maildir(sys.argv[1], create=False).values():
    if 'script' not in str(m['Subject']):
        continue
    for part in m.walk():
        if part.get_content_type() == 'text/html':
            print(part.get_payload(decode=True).decode())
EOF
)
case $HTML in
*"&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"*) ;;
*) fail "the title is escaped in the HTML part: $HTML" ;;
esac
case $HTML in
*"<script>"*) fail "a raw <script> reached the HTML part" ;;
esac

# --- the mail server down: retried, delivered once when it is back --------
smtp_stop
N=$(mail_count)
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"While down\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "a task while the mail server is down"
T3=$(jget "d['id']")
_dl=$(deadline 15)
while before "$_dl"; do
	[ "$(sql "SELECT attempts >= 2 FROM notifications WHERE entity_id = '$T3'")" = t ] && break
	sleep 0.05
done
expect_sql "SELECT status, attempts >= 2, last_error IS NOT NULL FROM notifications WHERE entity_id = '$T3'" \
    "pending|t|t" "the worker retried and kept the reason"
smtp_start
wait_mails $((N + 1))
queue_drained
expect_eq "$(mails | grep -c 'While down')" 1 "delivered exactly once"

# --- due within a day: once ----------------------------------------------
# Counted before the task: the running worker may send its assignment
# before it stops.
N=$(mail_count)
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Due soon\",\"assignee_id\":\"$ID_bob\",\"due_date\":\"$(date -u +%F)\"}"
expect_status 201 "a task due today"
workers_stop
worker_start TOCK_WORKER_DUE_SECS=1
wait_mails $((N + 2))
queue_drained
expect_sql "SELECT count(*) FROM notifications WHERE kind = 'due'" "1" \
    "one due notice for the task"
expect_eq "$(mails | grep -c 'Due .*: Due soon')" 1 "the due mail arrived once"

# --- two workers: each notification sent once ------------------------------
workers_stop
act_as ann
i=0
while [ $i -lt 40 ]; do
	api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Bulk $i\",\"assignee_id\":\"$ID_bob\"}"
	i=$((i + 1))
done
N=$(mail_count)
worker_start
worker_start
wait_mails $((N + 40))
queue_drained
expect_eq "$(mails | grep -c '|\[tock\] ann assigned you: Bulk ')" 40 \
    "40 bulk messages"
expect_eq "$(mails | cut -d'|' -f3 | sort | uniq -d)" "" \
    "no Message-ID twice"

# --- SIGTERM: exit 0 ------------------------------------------------------
kill -TERM $WORKERS
for p in $WORKERS; do
	wait "$p"
	expect_eq "$?" 0 "the worker exits 0 on SIGTERM"
done
WORKERS=

# --- giving up: the reason is kept; metrics say so -------------------------
smtp_stop
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Never delivered\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "a task while the mail server is gone for good"
T4=$(jget "d['id']")
worker_start TOCK_WORKER_MAX_ATTEMPTS=2 \
    TOCK_WORKER_METRICS_FILE="$TMP/worker.prom"
_dl=$(deadline 15)
while before "$_dl"; do
	[ "$(sql "SELECT status FROM notifications WHERE entity_id = '$T4'")" = failed ] && break
	sleep 0.05
done
expect_sql "SELECT status, attempts, last_error LIKE '%onnect%' FROM notifications WHERE entity_id = '$T4'" \
    "failed|2|t" "given up after two attempts, with the reason"
workers_stop
expect_eq "$(awk '$1 == "tock_notifications_failed_total" { print $2 }' "$TMP/worker.prom")" \
    1 "the metrics file counts the message given up"
expect_eq "$(awk '$1 == "tock_notifications_retried_total" { print $2 }' "$TMP/worker.prom")" \
    1 "and the retry before it"
expect_eq "$(awk '$1 == "tock_notifications_queue" { print $2 }' "$TMP/worker.prom")" \
    1 "the queue as counted at start"

# --- STARTTLS: offered, so taken (aiosmtpd then refuses mail in clear) ----
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/smtp.key" \
    -out "$TMP/smtp.crt" >/dev/null 2>&1 || fatal "cannot make a certificate"
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTPPORT" --tlscert "$TMP/smtp.crt" \
    --tlskey "$TMP/smtp.key" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >>"$TMP/smtp.log" 2>&1 &
SMTP_PID=$!
_dl=$(deadline 20)
until "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $SMTPPORT))" 2>/dev/null; do
	before "$_dl" || fatal "aiosmtpd with TLS did not listen"
	sleep 0.05
done
N=$(mail_count)
api POST /api/v1/tasks "{\"workspace_id\":\"$WS_ann\",\"title\":\"Over TLS\",\"assignee_id\":\"$ID_bob\"}"
expect_status 201 "a task for the TLS mail server"
worker_start TOCK_SMTP_CA="$TMP/smtp.crt"
wait_mails $((N + 1))
expect_eq "$(mails | grep -c 'Over TLS')" 1 "delivered over STARTTLS"
workers_stop
finish
