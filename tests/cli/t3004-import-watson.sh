#!/bin/sh
# t3004-import-watson: tock import of Watson's frames file, written here
# as Watson writes it (a JSON array of frames [start, stop, project, id,
# tags, updated_at], Unix seconds, indented one space a level): projects
# become tasks, tags their tags; the frame id makes a second import a
# no-op; bad frames are reported and skipped.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# 2024-01-10 09:00:00 UTC and on.
S=1704877200
cat >"$TMP/frames" <<EOF
[
 [
  $S,
  $((S + 5400)),
  "tock",
  "a1b2c3d4e5f60718293a4b5c6d7e8f90",
  [
   "code",
   "review"
  ],
  $((S + 5400))
 ],
 [
  $((S + 86400)),
  $((S + 86400 + 1800)),
  "Écriture",
  "b1b2c3d4e5f60718293a4b5c6d7e8f90",
  [],
  $((S + 86400 + 1800))
 ],
 [
  $((S + 90000)),
  $((S + 93600)),
  "tock",
  "c1b2c3d4e5f60718293a4b5c6d7e8f90",
  [
   "docs",
   "code"
  ],
  $((S + 93600))
 ]
]
EOF

run import watson "$TMP/frames"
expect_rc 0 "import watson"
expect_out "Imported 2 tasks, 3 time entries, 0 comments; skipped 0 bad records; 0 already imported" \
    "import watson summary"
expect_sql "SELECT t.title, e.start_time, e.end_time, e.origin
    FROM time_entries e JOIN tasks t ON t.id = e.task_id ORDER BY e.start_time" \
"tock|${S}000|$((S + 5400))000|manual
Écriture|$((S + 86400))000|$((S + 86400 + 1800))000|manual
tock|$((S + 90000))000|$((S + 93600))000|manual" "frames, their projects and times"
expect_sql "SELECT title, metadata, status FROM tasks ORDER BY title" \
"tock|{\"tags\":[\"code\",\"review\",\"docs\"]}|todo
Écriture|{}|todo" "projects are tasks, tags are their tags"
expect_sql "SELECT source_id FROM import_map WHERE source = 'watson'
    ORDER BY source_id" \
"a1b2c3d4e5f60718293a4b5c6d7e8f90
b1b2c3d4e5f60718293a4b5c6d7e8f90
c1b2c3d4e5f60718293a4b5c6d7e8f90" "frame ids are remembered"
expect_sql "SELECT count(*) FROM outbox WHERE entity = 'time_entry' AND
    kind = 'create'" "3" "entries are queued for sync"

# An existing task with the project's title is used, not duplicated.
run add "Meetings"
cat >"$TMP/frames2" <<EOF
[[$((S + 200000)), $((S + 203600)), "Meetings", "d1", ["weekly"], 0]]
EOF
run import watson "$TMP/frames2"
expect_out "Imported 0 tasks, 1 time entries, 0 comments; skipped 0 bad records; 0 already imported" \
    "an existing task is found by title"
expect_sql "SELECT count(*), max(metadata) FROM tasks WHERE title = 'Meetings'" \
    "1|{\"tags\":[\"weekly\"]}" "and gets the frame's tags"

# Twice: nothing new.
SEQ=$(last_seq)
run import watson "$TMP/frames"
expect_rc 0 "import watson again"
expect_out "Imported 0 tasks, 0 time entries, 0 comments; skipped 0 bad records; 3 already imported" \
    "a second import creates nothing"
expect_sql "SELECT count(*) FROM outbox WHERE seq > $SEQ" "0" \
    "a second import queues nothing"
expect_sql "SELECT count(*) FROM time_entries" "4" "no duplicates"

# Bad frames.
cat >"$TMP/bad" <<EOF
[
 [$((S + 300000)), $((S + 299000)), "tock", "e1", [], 0],
 [$((S + 300000)), $((S + 303600)), null, "e2", [], 0],
 [$((S + 300000)), $((S + 303600)), "tock", "e3", [1], 0],
 ["yesterday", $((S + 303600)), "tock", "e4", [], 0],
 [$((S + 300000)), $((S + 303600)), "tock", "e5", ["fine"], 0]
]
EOF
run import watson "$TMP/bad"
expect_rc 1 "bad frames"
expect_out "Imported 0 tasks, 1 time entries, 0 comments; skipped 4 bad records; 0 already imported" \
    "bad frames summary"
expect_err "tock: $TMP/bad: record 1 (line 2): the frame stops before it starts
tock: $TMP/bad: record 2 (line 3): the project must be a string
tock: $TMP/bad: record 3 (line 4): field 'tags' must be an array of strings
tock: $TMP/bad: record 4 (line 5): start must be a number of Unix seconds" \
    "bad frames messages"

printf '{"frames": []}' >"$TMP/notframes"
run import watson "$TMP/notframes"
expect_rc 1 "not a frames file"
expect_err "tock: not a watson export: expected a JSON array" \
    "not a frames file message"

run --json import watson "$TMP/frames"
expect_rc 0 "import --json"
expect_json 'd["format"] == "watson" and d["records"] == 3 and
    d["already_imported"] == 3 and d["errors"] == []' "import --json"

finish
