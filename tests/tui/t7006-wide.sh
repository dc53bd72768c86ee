#!/bin/sh
# t7006-wide: titles with CJK characters and emoji (two columns each) line
# up with ASCII ones in the task list, the log and the week report; a
# long one is cut at the edge with an ellipsis; editing one in a form
# moves and deletes whole characters.
. "${TOCK_TUI_LIB:-$(dirname "$0")/lib.sh}"

LONG="长标题很长很长的任务名称测试对齐是否正确显示在终端里面而且还要更长一点才行真的非常非常长"
"$TOCK" add "修复登录错误" --due 2030-01-01 --tag 前端 >/dev/null
"$TOCK" add "Deploy 🚀 to prod" --due 2030-01-02 --tag ops >/dev/null
"$TOCK" add "twelve chars" --due 2030-01-03 --tag x >/dev/null
"$TOCK" add "Café crème, naïve" --due 2030-01-04 --tag x >/dev/null
"$TOCK" add "$LONG" --due 2030-01-05 --tag long >/dev/null
for n in 1 2 3 4 5; do
	"$TOCK" track $n ${n}0m >/dev/null
done

# same_col TEXT-PER-ROW...: each "ROWTEXT|NEEDLE" pair has NEEDLE at the
# same display column.
same_col() {
	_desc=$1
	shift
	_first=
	for _p in "$@"; do
		_line=$(printf '%s\n' "$SCREEN" | grep -F -- "${_p%%|*}" | head -n 1)
		_c=$(col_of "$_line" "${_p#*|}")
		[ -n "$_first" ] || _first=$_c
		COUNT=$((COUNT + 1))
		[ "$_c" -ge 0 ] && [ "$_c" = "$_first" ] ||
			fail "$_desc: '${_p#*|}' at column $_c, not $_first, in: $_line"
	done
}

tui_start
wait_for "修复登录错误"
wait_for "Deploy 🚀 to prod"

# --- the task list --------------------------------------------------------------
same_col "due dates" "修复登录错误|2030-01-01" "🚀|2030-01-02" \
    "twelve chars|2030-01-03" "naïve|2030-01-04" "2030-01-05|2030-01-05"
same_col "titles" "2030-01-01|修复登录错误" "2030-01-02|Deploy" \
    "2030-01-03|twelve" "2030-01-04|Café" "2030-01-05|长标题"
same_col "tags after equal-width titles" "修复登录错误|+前端" \
    "twelve chars|+x"
LROW=$(printf '%s\n' "$SCREEN" | grep -F "2030-01-05")
check "the long title is cut with an ellipsis" sh -c \
    'printf "%s" "$1" | grep -q "…"' x "$LROW"
check "the long title's row fits in 100 columns ($(width "$LROW"))" \
    [ "$(width "$LROW")" -le 100 ]
check "the long title's row is not short of the edge by more than a column" \
    [ "$(width "$LROW")" -ge 98 ]

# --- the log: durations and titles in columns ---------------------------------
keys 2
wait_for "5 entries · 2h30m"
wait_for "Café crème"
same_col "log titles" " 10m|修复登录错误" " 20m|Deploy" " 30m|twelve" \
    " 40m|Café" " 50m|长标题"
same_col "log durations" "修复登录错误|10m" "Deploy|20m" "twelve|30m"

# --- the week report: per-task totals in one column ---------------------------
keys 3
wait_for "By task"
same_col "report totals" "修复登录错误|10m" "Deploy 🚀|20m" "twelve chars|30m" \
    "Café|40m" "长标题|50m"
same_col "report shares" "修复登录错误|%" "Deploy 🚀|%" "twelve chars|%" \
    "长标题|%"

# --- editing a wide title moves by whole characters ----------------------------
keys 1 g e
wait_for "Edit task 1"
# End, back over two characters, delete the one before the cursor, type.
keys End Left Left BSpace
typein "🙂"
keys Enter
wait_for "Updated task 1"
wait_sql "SELECT title FROM tasks WHERE num = 1" "修复登🙂错误"
wait_for "修复登🙂错误"
screen
same_col "due dates after the edit" "修复登🙂错误|2030-01-01" \
    "twelve chars|2030-01-03"

keys q
wait_exit
finish
