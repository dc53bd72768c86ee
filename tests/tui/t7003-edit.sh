#!/bin/sh
# t7003-edit: add, edit, done, delete and undo from the task list, line
# editing in forms (cursor keys, Backspace, Ctrl-U), Esc, validation,
# and tracking time after the fact; the database after each step.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

T="SELECT title, description, coalesce(due_date, ''), status, deleted,
    coalesce(json_extract(metadata, '\$.tags'), '') FROM tasks"

tui_start
wait_for "No tasks here"

# --- a: add with every field -----------------------------------------------
keys a
wait_for "Add a task"
typein "Buy milk"
keys Tab
typein "from the shop"
keys Tab
typein "2030-01-15"
keys Tab
typein "home errand"
keys Enter
wait_for "Added task 1 'Buy milk'"
wait_sql "$T" 'Buy milk|from the shop|2030-01-15|todo|0|["home","errand"]'
wait_for "+home +errand"
ID=$(sql "SELECT id FROM tasks WHERE num = 1")

# --- e: edit, with line editing ----------------------------------------------
keys e
wait_for "Edit task 1 'Buy milk'"
# Ctrl-U empties the title; type, fix a typo, insert in the middle.
keys C-u
typein "Buy milkk"
keys BSpace Left Left Left Left
typein "oat "
keys Tab Tab Tab C-u
typein "home"
keys Enter
wait_for "Updated task 1 'Buy milk'"
wait_sql "$T" 'Buy oat milk|from the shop|2030-01-15|todo|0|["home"]'
wait_for "Buy oat milk  +home"

# --- u: undo the edit --------------------------------------------------------
keys u
wait_for "Undid edit of the task"
wait_sql "$T" 'Buy milk|from the shop|2030-01-15|todo|0|["home","errand"]'

# --- d: done (leaves the open list), u brings it back -----------------------
keys d
wait_for "Completed task 1 'Buy milk'"
wait_sql "SELECT status FROM tasks" "done"
wait_for "No tasks here"
keys u
wait_sql "SELECT status FROM tasks" "todo"
wait_for "Buy milk"

# --- x: delete asks first; n keeps, y deletes, u restores ------------------
keys x
wait_for "Delete task 1 'Buy milk'? (y/n)"
keys n
wait_gone "(y/n)"
expect_sql "SELECT deleted FROM tasks" "0" "n keeps the task"
keys x
wait_for "(y/n)"
keys y
wait_for "Deleted task 1 'Buy milk' (u undoes)"
wait_sql "SELECT deleted FROM tasks" "1"
wait_for "No tasks here"
keys u
wait_for "Undid delete of task 1 'Buy milk'"
wait_sql "SELECT deleted, num FROM tasks WHERE id = '$ID'" "0|1"
wait_for "Buy milk"

# --- u after an add removes the task again ---------------------------------
keys a
wait_for "Add a task"
typein "Temporary"
keys Enter
wait_for "Added task 2 'Temporary'"
keys u
wait_sql "SELECT deleted FROM tasks WHERE title = 'Temporary'" "1"
wait_gone "Temporary"

# --- Esc cancels; a bad title keeps the form open with the reason ----------
keys a
wait_for "Add a task"
typein "Never saved"
keys Escape
wait_gone "Add a task"
expect_sql "SELECT count(*) FROM tasks WHERE title = 'Never saved'" "0" \
    "Esc saves nothing"
keys a
wait_for "Add a task"
keys Enter
wait_for "title is empty"
wait_for "Add a task"
keys Escape
wait_gone "Add a task"

# --- t: track time after the fact -------------------------------------------
keys g t
wait_for "Track time"
typein "1h30m"
keys Tab Tab
typein "at the shop"
keys Enter
wait_for "Tracked 1h30m on task 1 'Buy milk'"
wait_sql "SELECT task_id = '$ID', origin, end_time - start_time, notes
    FROM time_entries" "1|manual|5400000|at the shop"
keys u
wait_sql "SELECT deleted FROM time_entries" "1"

keys q
wait_exit
check "q exits 0" [ "$TUI_RC" = 0 ]
finish
