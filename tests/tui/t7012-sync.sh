#!/bin/sh
# t7012-sync: the sync screen (4) and the header's sync state: a local
# replica says "local", conflicts and quarantined changes are listed with
# their values, Enter marks a conflict seen (in the database), and the
# header counts unseen conflicts until then.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "Write the report" >/dev/null
ID=$(sql "SELECT id FROM tasks WHERE num = 1")
NOW=$(now_ms)
sql "INSERT INTO conflicts (entity, entity_id, field, loser_value, loser_hlc,
    winner_hlc, detected_at, seen) VALUES ('task', '$ID', 'title',
    '\"Write the memo\"', '0000000000000001-0000000000000001',
    '0000000000000002-0000000000000002', $NOW, 0)"
sql "INSERT INTO quarantine (op_id, scope, payload, code, message,
    rejected_at) VALUES ('0190f000-0000-7000-8000-000000000001', 'ws',
    '{}', 'forbidden', 'you may not edit this task', $NOW)"

tui_start
wait_for "local · 2 pending · 1 conflict"
keys 4
wait_for "Not logged in: this replica is local only."
wait_for "2 pending, 1 quarantined, 1 unseen conflicts"
wait_for "Write the report title: lost \"Write the memo\"  (new)"
wait_for "forbidden: you may not edit this task"
wait_for "1 new conflict"

# The cursor rests on the first conflict; Enter marks it seen.
keys Enter
wait_sql "SELECT seen FROM conflicts" "1"
wait_gone "(new)"
wait_gone "1 conflict"
check "the header ends at the pending count once the conflict is seen" \
    sh -c 'printf "%s" "$1" | grep -q "local · 2 pending$"' x "$(row 0)"
keys q
wait_exit
finish
