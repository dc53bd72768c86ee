#!/bin/sh
# t4003-inbox: tock inbox lists the notifications sync brought (seeded
# here as sync would write them), newest first, unread only unless --all;
# inbox read marks one or all; --json keeps the server's payload; tock
# notify needs the server.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

run inbox
expect_rc 0 "an empty inbox"
expect_out "No unread notifications" "an empty inbox says so"
run inbox --all
expect_out "No notifications" "an empty inbox, all"

T1=$(ms_at "2026-11-20 09:30")
T2=$(ms_at "2026-11-21 10:15")
T3=$(ms_at "2026-11-22 08:00")
sql "INSERT INTO notifications (id, kind, payload, created_at) VALUES
    ('00000000-0000-8000-8000-000000000001', 'assigned',
     '{\"task_id\":\"t1\",\"title\":\"Fix the build\",\"by\":\"ann\",\"kind\":\"assigned\"}', $T1),
    ('00000000-0000-8000-8000-000000000002', 'comment',
     '{\"task_id\":\"t1\",\"title\":\"Fix the build\",\"by\":\"bob\",\"comment\":\"Done?\nReally?\"}', $T2),
    ('00000000-0000-8000-8000-000000000003', 'due',
     '{\"task_id\":\"t2\",\"title\":\"Ship <it>\",\"due_date\":\"2026-11-23\"}', $T3)"

run inbox
expect_rc 0 "inbox"
expect_out "  3  2026-11-22 08:00  due 2026-11-23: Ship <it>
  2  2026-11-21 10:15  bob commented on \"Fix the build\": Done?...
  1  2026-11-20 09:30  ann assigned you: Fix the build" "newest first, one line each"

run inbox read 2
expect_rc 0 "read 2"
expect_out "Marked notification 2 read" "read one"
expect_sql "SELECT n FROM notifications WHERE read = 1" "2" "only 2 is read"
run inbox
expect_out "  3  2026-11-22 08:00  due 2026-11-23: Ship <it>
  1  2026-11-20 09:30  ann assigned you: Fix the build" "read ones are hidden"
run inbox --all
expect_match "bob commented" "--all shows read ones too"

run --json inbox
expect_rc 0 "inbox --json"
expect_json "[x['n'] for x in d] == [3, 1] and d[1]['payload']['by'] == 'ann' and d[0]['kind'] == 'due' and d[0]['read'] is False and d[0]['created_at'].endswith('Z')" \
    "the JSON shape"

run inbox read 9
expect_rc 3 "an unknown number"
expect_err "tock: no notification 9 in the inbox" "says which"
run inbox read x
expect_rc 2 "not a number"
run inbox read
expect_rc 2 "read needs a number or --all"
run inbox read --all
expect_rc 0 "read --all"
expect_out "Marked 2 notifications read" "counts them"
run inbox
expect_out "No unread notifications" "all read"

run notify
expect_rc 6 "notify needs a login"
expect_err "tock: notification settings live on the server: not logged in: run 'tock login URL'" \
    "says so"
run notify off sometimes
expect_rc 2 "an unknown kind"
run notify maybe
expect_rc 2 "an unknown subcommand"
finish
