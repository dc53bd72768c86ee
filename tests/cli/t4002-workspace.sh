#!/bin/sh
# t4002-workspace: workspaces and members offline: create, ls, use (new
# tasks go to the current workspace, and so do their outbox ops), names
# that are ambiguous or unknown, member ls, and member add/rm needing the
# server.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

run workspace ls
expect_rc 0 "workspace ls"
P=$(sql "SELECT id FROM workspaces")
P13=$(printf %.13s "$P")
expect_out "* Personal  $P13  admin  (not synced yet)" "workspace ls, new replica"

run workspace create "Team A"
expect_rc 0 "workspace create"
A=$(sql "SELECT id FROM workspaces WHERE name = 'Team A'")
A13=$(printf %.13s "$A")
expect_out "Created workspace Team A ($A13); using it now" "workspace create output"
expect_sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'" "$A" "create switches to it"
expect_sql "SELECT entity, kind, scope, json_extract(fields, '$.name') FROM outbox
    WHERE entity_id = '$A'" "workspace|create|$A|Team A" "workspace create op"
expect_sql "SELECT role FROM memberships WHERE workspace_id = '$A' AND
    user_id = (SELECT v FROM sync_meta WHERE k = 'user_id')" "admin" \
    "creator is admin locally"

run workspace create "Team B"
B=$(sql "SELECT id FROM workspaces WHERE name = 'Team B'")
B13=$(printf %.13s "$B")
run workspace create "team b"
expect_rc 1 "duplicate name"
expect_err "tock: a workspace named 'team b' exists already" "duplicate name message"
run workspace create "  "
expect_rc 1 "blank name"
expect_err "tock: workspace name is empty" "blank name message"
run workspace create
expect_rc 2 "create without a name"

run workspace ls
expect_out "  Personal  $P13  admin  (not synced yet)
  Team A    $A13  admin  (not synced yet)
* Team B    $B13  admin  (not synced yet)" "workspace ls, three"
run workspace ls --json
expect_json '[(w["name"], w["current"], w["role"], w["synced"]) for w in d] ==
    [("Personal", False, "admin", False), ("Team A", False, "admin", False),
    ("Team B", True, "admin", False)] and d[1]["id"] == "'"$A"'"' \
    "workspace ls --json"

# use by name (any case) or id prefix; tasks then go there.
run workspace use "team a"
expect_rc 0 "use by name"
expect_out "Using workspace Team A ($A13)" "use output"
SEQ=$(last_seq)
run add "In A"
expect_sql "SELECT workspace_id FROM tasks WHERE title = 'In A'" "$A" "task in A"
expect_sql "SELECT scope FROM outbox WHERE seq > $SEQ" "$A" "op scoped to A"
run workspace use "$B13"
expect_rc 0 "use by id prefix"
run add "In B"
expect_sql "SELECT workspace_id FROM tasks WHERE title = 'In B'" "$B" "task in B"
expect_sql "SELECT scope FROM outbox WHERE entity = 'task' ORDER BY seq DESC LIMIT 1" \
    "$B" "op scoped to B"
run workspace use Personal
run add "In P"
expect_sql "SELECT workspace_id FROM tasks WHERE title = 'In P'" "$P" "task in Personal"

# Ambiguous and unknown references.
run workspace use Nope
expect_rc 3 "unknown workspace"
expect_err "tock: no workspace 'Nope'" "unknown workspace message"
# The three ids were made in one second or so: their first 4 digits agree.
PFX=$(printf %.4s "$P")
if [ "$(printf %.4s "$A")" = "$PFX" ]; then
	run workspace use "$PFX"
	expect_rc 4 "ambiguous id prefix"
	case $ERR in
	"tock: workspace '$PFX' is ambiguous: "*) ;;
	*) fail "ambiguous message: $ERR" ;;
	esac
fi
sql "INSERT INTO workspaces(id, name) VALUES ('ffff0000-0000-7000-8000-000000000001', 'Dup'),
    ('ffff0000-0000-7000-8000-000000000002', 'Dup')"
run workspace use Dup
expect_rc 4 "ambiguous name"
expect_err "tock: workspace 'Dup' is ambiguous: Dup (ffff0000-0000), Dup (ffff0000-0000)" \
    "ambiguous name message"
expect_sql "SELECT v FROM sync_meta WHERE k = 'workspace_id'" "$P" \
    "a failed use changes nothing"
run workspace use
expect_rc 2 "use without a name"
run workspace frobnicate
expect_rc 2 "unknown subcommand"

# ---- members ----------------------------------------------------------------
UID_=$(sql "SELECT v FROM sync_meta WHERE k = 'user_id'")
sql "INSERT INTO users(id, name, email) VALUES
    ('00000000-0000-7000-8000-0000000000b0', 'Bob', 'bob@example.com'),
    ('00000000-0000-7000-8000-0000000000c0', 'Carol', 'carol@example.com')"
sql "INSERT INTO memberships(workspace_id, user_id, role) VALUES
    ('$A', '00000000-0000-7000-8000-0000000000b0', 'member'),
    ('$A', '00000000-0000-7000-8000-0000000000c0', 'lead')"
run member ls --workspace "Team A"
expect_rc 0 "member ls"
expect_out "tester (you)  -                  admin
Carol         carol@example.com  lead
Bob           bob@example.com    member" "member ls"
run member ls --workspace "Team A" --json
expect_json '[(m["name"], m["email"], m["role"], m["me"]) for m in d] ==
    [("tester", None, "admin", True), ("Carol", "carol@example.com", "lead", False),
    ("Bob", "bob@example.com", "member", False)] and d[0]["user_id"] == "'"$UID_"'"' \
    "member ls --json"
run member ls
expect_out "tester (you)  -  admin" "member ls, current workspace"
run member ls --workspace Nope
expect_rc 3 "member ls, unknown workspace"

SEQ=$(last_seq)
run member add dave@example.com --role member --workspace "Team A"
expect_rc 6 "member add offline"
expect_err "tock: member add needs the server: not logged in: run 'tock login URL'" \
    "member add offline message"
run member rm bob@example.com --workspace "Team A"
expect_rc 6 "member rm offline"
check "no outbox op for member add/rm" [ "$(last_seq)" = "$SEQ" ]
run member add dave@example.com
expect_rc 2 "member add without --role"
run member add dave@example.com --role boss
expect_rc 2 "member add with a bad role"
run member add dave --role member
expect_rc 2 "member add without an email"
run member rm
expect_rc 2 "member rm without an email"

finish
