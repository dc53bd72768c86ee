#!/bin/sh
# t7004-search: incremental search (/) over titles and tags, Enter keeps
# it, Esc drops it; the status (S), tag (T) and mine (m) filters.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

"$TOCK" add "Fix login bug" --tag auth >/dev/null
"$TOCK" add "Write docs" >/dev/null
"$TOCK" add "Login page redesign" --assign me >/dev/null
"$TOCK" add "Release notes" >/dev/null
"$TOCK" add "Refactor the module" --tag auth >/dev/null
"$TOCK" done 4 >/dev/null

tui_start
wait_for "Refactor the module"
wait_for "open · 4 tasks"
check "done tasks are not listed" sh -c '! printf "%s" "$1" | grep -q "Release notes"' x "$SCREEN"

# --- / filters as you type ---------------------------------------------------
keys /
typein "l"
wait_for "/l · 3 of 4"
typein "og"
wait_for "/log · 2 of 4"
wait_gone "Write docs"
wait_gone "Refactor the module"
wait_for "Fix login bug"
wait_for "Login page redesign"
# Enter keeps the search and closes the prompt.
keys Enter
wait_for "/log · 2 of 4"
keys j Enter
wait_for "Task 3  Login page redesign"
keys q
wait_for "/log · 2 of 4"
# Esc on the list drops the search.
keys Escape
wait_for "open · 4 tasks"
wait_for "Write docs"

# --- Esc in the prompt puts back the search there was -----------------------
keys /
typein "zzz"
wait_for "No tasks here"
keys Escape
wait_for "open · 4 tasks"
wait_for "Write docs"

# --- tags match too ------------------------------------------------------------
keys /
typein "AUTH"
wait_for "2 of 4"
wait_for "Fix login bug"
wait_for "Refactor the module"
wait_gone "Write docs"
keys BSpace BSpace BSpace BSpace
wait_for "open · 4 tasks"
keys Enter

# --- S cycles the status filter ----------------------------------------------
keys S
wait_for "Showing todo tasks"
keys S
wait_for "Showing in progress tasks"
wait_for "No tasks here"
keys S
wait_for "Showing done tasks"
wait_for "Release notes"
wait_gone "Write docs"
keys S S
wait_for "Showing all tasks"
wait_for "all · 5 tasks"
keys S
wait_for "open · 4 tasks"

# --- T: one tag; an empty tag shows all again ---------------------------------
keys T
wait_for "Tag (empty: any):"
typein "auth"
keys Enter
wait_for "open · +auth · 2 tasks"
wait_gone "Write docs"
keys T C-u Enter
wait_for "open · 4 tasks"

# --- m: assigned to me ------------------------------------------------------------
keys m
wait_for "open · mine · 1 task"
wait_for "Login page redesign"
wait_gone "Write docs"
keys m
wait_for "open · 4 tasks"

keys q
wait_exit
finish
