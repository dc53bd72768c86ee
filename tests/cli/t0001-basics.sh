#!/bin/sh
# t0001-basics: version, help, unknown commands and options, and the
# --help of every command in the table.
. "${TOCK_TEST_LIB:-$(dirname "$0")/lib.sh}"

# The command table, read from the source when it is there (so a new
# command is checked without touching this script), else the known list.
CMD_C=$(dirname "$0")/../../cli/cmd.c
if [ -r "$CMD_C" ]; then
	COMMANDS=$(sed -n 's/^[	 ]*{ "\([a-z][a-z-]*\)", cmd_.*/\1/p' "$CMD_C")
else
	COMMANDS="add comment done edit entry help log ls restore rm show start
	    status stop track version"
fi
[ -n "$COMMANDS" ] || fail "no commands found in $CMD_C"

# --- version -----------------------------------------------------------
run --version
expect_rc 0 "--version"
expect_match '^tock [0-9]+\.[0-9]+\.[0-9]+[^ ]* \(schema [0-9]+\)$' \
    "--version format"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] || fail "--version: one line"
expect_err "" "--version stderr"
V=$OUT
run version
expect_rc 0 "version"
expect_out "$V" "version prints what --version prints"

# --- help ----------------------------------------------------------------
run help
expect_rc 0 "help"
expect_err "" "help stderr"
HELP=$OUT
printf '%s\n' "$HELP" | head -n 1 | grep -q '^usage: tock ' ||
    fail "help starts with a usage line: $HELP"
for c in $COMMANDS; do
	printf '%s\n' "$HELP" | grep -Eq "^  $c +[A-Z]" ||
	    fail "help does not list '$c'"
done
# ... and lists nothing that is not a command.
for c in $(printf '%s\n' "$HELP" | sed -n 's/^  \([a-z][a-z-]*\)  *[A-Z].*/\1/p'); do
	case " $(echo $COMMANDS) " in
	*" $c "*) ;;
	*) fail "help lists '$c', which is not in the command table" ;;
	esac
done
run
expect_rc 0 "no command"
expect_out "$HELP" "no command prints the help"
run --help
expect_rc 0 "--help"
expect_out "$HELP" "--help prints the help"
run -h
expect_rc 0 "-h"
expect_out "$HELP" "-h prints the help"

run help add
expect_rc 0 "help add"
expect_err "" "help add stderr"
# usage line (the synopsis grows with the options), blank, summary, pointer
printf '%s\n' "$OUT" | sed -n 1p |
    grep -q '^usage: tock add TITLE \[-d DESC\] \[--due WHEN\] .*\[--tag T\]\.\.\. ' ||
    fail "help add: usage line of '$OUT'"
[ "$(printf '%s\n' "$OUT" | sed -n 2,4p)" = "
Create a task.
See 'man tock' for details." ] || fail "help add: text after the usage line of '$OUT'"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 4 ] || fail "help add: four lines: '$OUT'"
ADD_HELP=$OUT
run add --help
expect_rc 0 "add --help"
expect_out "$ADD_HELP" "add --help is help add"

run help foo
expect_rc 2 "help of an unknown command"
expect_err "tock: 'foo' is not a tock command. See 'tock help'." \
    "help foo message"
expect_out "" "help foo stdout"
run help add ls
expect_rc 2 "help with two commands"

# --- unknown command and options ------------------------------------------
run foo
expect_rc 2 "unknown command"
expect_err "tock: 'foo' is not a tock command. See 'tock help'." \
    "unknown command message"
expect_out "" "unknown command stdout"
run foo --help
expect_rc 2 "unknown command with --help"

run --bogus ls
expect_rc 2 "unknown global option"
expect_err "tock: unknown option '--bogus'
usage: tock [--db PATH] [--json] [-v] COMMAND [ARGS]" "unknown global option message"
expect_out "" "unknown global option stdout"

# A missing PATH is not an unknown option.
run --db
expect_rc 2 "--db without a path"
case $ERR in
tock:*--db*) ;;
*) fail "--db without a path: stderr '$ERR' should name --db" ;;
esac
case $ERR in
*"unknown option"*) fail "--db without a path: '$ERR' calls a known option unknown" ;;
esac

# An unknown option of a command: exit 2, the usage, and a message that
# says it is tock's (not "ls: ...", which reads like ls(1)'s).
run ls --bogus
expect_rc 2 "ls --bogus"
expect_out "" "ls --bogus stdout"
case $ERR in
*"usage: tock ls "*) ;;
*) fail "ls --bogus: no usage in stderr '$ERR'" ;;
esac
case $(printf '%s\n' "$ERR" | head -n 1) in
"tock: "*|"tock ls: "*) ;;
*) fail "ls --bogus: first stderr line '$(printf '%s\n' "$ERR" | head -n 1)' does not start with 'tock'" ;;
esac
run add -x title
expect_rc 2 "add -x"
run status --bogus
expect_rc 2 "status --bogus"
run entry bogus
expect_rc 2 "entry bogus"
expect_err "tock: 'bogus' is not an entry command (edit, rm)" "entry bogus message"

# --- every command's --help ----------------------------------------------
for c in $COMMANDS; do
	run "$c" --help
	# tock ui hands its arguments to tock-tui, which answers for itself.
	want="tock $c"
	[ "$c" = ui ] && want=tock-tui
	if [ "$RC" != 0 ] || [ -n "$ERR" ] ||
	    ! printf '%s\n' "$OUT" | head -n 1 | grep -Eq "^usage: $want( |\$)"; then
		fail "$c --help: exit $RC, stdout '$(printf '%s\n' "$OUT" | head -n 1)', stderr '$ERR' (expected exit 0 and 'usage: tock $c ...')"
	fi
	run help "$c"
	if [ "$RC" != 0 ] ||
	    ! printf '%s\n' "$OUT" | head -n 1 | grep -Eq "^usage: tock $c( |\$)"; then
		fail "help $c: exit $RC, stdout '$OUT'"
	fi
done

# Asking for help needs no database: it neither creates one nor fails when
# the database cannot be opened.
[ -e "$TOCK_DB" ] && fail "--help created the database $TOCK_DB"
touch "$TMP/notadir"
export TOCK_DB="$TMP/notadir/tock.db"
for c in add ls log show start; do
	run "$c" --help
	if [ "$RC" != 0 ] ||
	    ! printf '%s\n' "$OUT" | head -n 1 | grep -Eq "^usage: tock $c( |\$)"; then
		fail "$c --help with an unusable database: exit $RC, stderr '$ERR'"
	fi
done
# ... while a real command reports the database problem.
run ls
expect_rc 1 "ls with an unusable database"
case $ERR in
"tock: "*"$TMP/notadir/tock.db"*) ;;
*) fail "ls with an unusable database: stderr '$ERR' should name the path" ;;
esac

# --- usage errors of commands ----------------------------------------------
export TOCK_DB="$TMP/data/tock/tock.db"
run add
expect_rc 2 "add without a title"
expect_out "" "add without a title stdout"
[ "$(printf '%s\n' "$ERR" | sed -n 1p)" = "tock: a title is required" ] ||
    fail "add without a title: stderr '$ERR'"
printf '%s\n' "$ERR" | sed -n 2p | grep -q '^usage: tock add TITLE ' ||
    fail "add without a title: no usage line in '$ERR'"
run ls extra
expect_rc 2 "ls with an argument"
run show
expect_rc 2 "show without a task"
run done
expect_rc 2 "done without a task"
expect_err "tock: name at least one task
usage: tock done TASK..." "done without a task message"
run stop now
expect_rc 2 "stop with an argument"
run entry
expect_rc 2 "entry without a subcommand"

finish
