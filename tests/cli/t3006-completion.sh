#!/bin/sh
# t3006-completion: tock completion bash|zsh|fish.  The scripts parse, name
# every command of tock help, and the bash one (run for real, with
# COMP_WORDS/COMP_CWORD set) completes commands, options, option values and
# open task numbers from the database; zsh and fish are checked when those
# shells are installed.  Also the hidden --tasks listing they call.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

command -v bash >/dev/null 2>&1 || { echo "t3006-completion: bash is required" >&2; exit 1; }

# --- usage ------------------------------------------------------------------
run completion --help
expect_rc 0 "completion --help"
expect_match "^usage: tock completion bash\|zsh\|fish\$" "completion --help"
run completion
expect_rc 2 "completion without a shell"
run completion tcsh
expect_rc 2 "completion for an unknown shell"
expect_err "tock: no completion for shell 'tcsh' (bash, zsh, fish)" \
    "unknown shell message"

# --- the task listing, before there is a database ----------------------------
run completion --tasks
expect_rc 0 "completion --tasks with no database"
expect_out "" "completion --tasks with no database prints nothing"
expect_err "" "completion --tasks with no database is silent"
check "completion --tasks creates no database" [ ! -e "$TOCK_DB" ]

# --- the bash script ----------------------------------------------------------
run completion bash
expect_rc 0 "completion bash"
expect_err "" "completion bash stderr"
printf '%s\n' "$OUT" >"$TMP/tock.bash"
check "the bash script is valid bash" bash -n "$TMP/tock.bash"
check "the bash script completes tock" grep -qx 'complete -F _tock tock' "$TMP/tock.bash"

run help
COMMANDS=$(printf '%s\n' "$OUT" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
check "tock help lists commands" [ -n "$COMMANDS" ]
for c in $COMMANDS; do
	check "the bash script knows '$c'" grep -q "^_tock_commands='.*\\b$c\\b" "$TMP/tock.bash"
	check "the bash script has a spec for '$c'" grep -q "^	$c)\$" "$TMP/tock.bash"
done

run add "Login page"
run add "Fix: the crash"
run add "Closed one"
run add "Deleted one"
run done 3
run rm 4
run add "Fifth"
expect_rc 0 "setup tasks"
# Closing a task frees its number, so Fifth may get one of theirs.
N=$(sql "SELECT num FROM tasks WHERE title = 'Fifth'")
check "setup: Fifth has a number" [ -n "$N" ]

run completion --tasks
expect_rc 0 "completion --tasks"
expect_out "1	Login page
2	Fix: the crash
$N	Fifth" "completion --tasks lists open tasks by number, with titles"

# comp WORD...: what the bash function offers for the command line WORD...
# (the last word is the one being completed), one line, sorted.
cat >"$TMP/comp.bash" <<'EOF'
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_tock
printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
EOF
comp() {
	COUNT=$((COUNT + 1))
	COMP=$(bash "$TMP/comp.bash" "$TMP/tock.bash" "$@" 2>&1)
}
# expect_comp EXPECTED WORD...
expect_comp() {
	_want=$1
	shift
	comp "$@"
	[ "$COMP" = "$_want" ] || fail "completing '$*': got '$COMP', expected '$_want'"
}

ALL=$(printf '%s\n' $COMMANDS | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
expect_comp "$ALL" "$TOCK" ""
expect_comp "show start status stop sync" "$TOCK" s
expect_comp "--db --help --json --verbose --version" "$TOCK" --
expect_comp "--assign --branch --due --help --meta --priority --tag -d" "$TOCK" add -
expect_comp "--branch" "$TOCK" add "New task" --br
expect_comp "1 2 $N" "$TOCK" done ""
expect_comp "1 2 $N" "$TOCK" done 1 ""
expect_comp "$N" "$TOCK" show "$N"
expect_comp "" "$TOCK" show 1 ""
expect_comp "1 2 $N" "$TOCK" comment ""
expect_comp "" "$TOCK" comment 1 ""
expect_comp "1 2 $N" "$TOCK" log --since yesterday --task ""
expect_comp "1 2 $N" "$TOCK" start ""
expect_comp "" "$TOCK" start 1 --note ""
expect_comp "install uninstall" "$TOCK" hook ""
expect_comp "bash fish zsh" "$TOCK" completion ""
expect_comp "csv ical json" "$TOCK" export --format ""
expect_comp "tag task" "$TOCK" report --by ta
expect_comp "edit rm" "$TOCK" entry ""
expect_comp "cancelled done in_progress todo" "$TOCK" ls --status ""
expect_comp "help hook" "$TOCK" help h
expect_comp "taskwarrior timewarrior tock" "$TOCK" import t
mkdir -p "$TMP/files/subdir"
: >"$TMP/files/export.json"
expect_comp "$TMP/files/export.json $TMP/files/subdir" "$TOCK" export -o "$TMP/files/"
expect_comp "$TMP/files/subdir" "$TOCK" hook --repo "$TMP/files/"
# --db before the command is passed on to the task listing.
expect_comp "" "$TOCK" --db "$TMP/none.db" done ""
expect_comp "1 2 $N" "$TOCK" --db "$TOCK_DB" done ""
# The command word is what runs: a tock that is not there completes nothing.
expect_comp "" "$TMP/no-such-tock" done ""
check "completion created no stray database" [ ! -e "$TMP/none.db" ]

# --- zsh and fish, when installed ----------------------------------------------
run completion zsh
expect_rc 0 "completion zsh"
printf '%s\n' "$OUT" >"$TMP/_tock"
check "the zsh script starts with #compdef" [ "$(head -n 1 "$TMP/_tock")" = "#compdef tock" ]
for c in $COMMANDS; do
	check "the zsh script knows '$c'" grep -q "^	'$c:" "$TMP/_tock"
done
if command -v zsh >/dev/null 2>&1; then
	check "the zsh script is valid zsh" zsh -n "$TMP/_tock"
	# Run the driver with zsh's completion builtins stubbed out.
	COUNT=$((COUNT + 1))
	Z=$(zsh -f -c '
		compdef() { :; }
		source "$1"
		_describe() { print -r -- "${(Pj: | :)4}"; }
		words=("$2" done ""); CURRENT=3; PREFIX=
		_tock' zsh "$TMP/_tock" "$TOCK" 2>&1)
	[ "$Z" = "1:Login page | 2:Fix: the crash | $N:Fifth" ] ||
	    fail "zsh task completion: '$Z'"
else
	echo "t3006-completion: zsh not installed, zsh checks skipped"
fi

run completion fish
expect_rc 0 "completion fish"
printf '%s\n' "$OUT" >"$TMP/tock.fish"
for c in $COMMANDS; do
	check "the fish script knows '$c'" grep -q "^complete -c tock -n __tock_nocmd -a $c " "$TMP/tock.fish"
done
if command -v fish >/dev/null 2>&1; then
	check "the fish script is valid fish" fish -n "$TMP/tock.fish"
	COUNT=$((COUNT + 1))
	F=$(fish -N -c 'source $argv[1]; complete -C "$argv[2] done "' \
	    "$TMP/tock.fish" "$TOCK" 2>&1 | tr '\t\n' ':|')
	[ "$F" = "1:Login page|2:Fix: the crash|$N:Fifth|" ] ||
	    fail "fish task completion: '$F'"
	COUNT=$((COUNT + 1))
	F=$(fish -N -c 'source $argv[1]; complete -C "$argv[2] export --format "' \
	    "$TMP/tock.fish" "$TOCK" 2>&1 | tr '\n' ' ')
	[ "$F" = "csv ical json " ] || fail "fish option values: '$F'"
else
	echo "t3006-completion: fish not installed, fish checks skipped"
fi

finish
