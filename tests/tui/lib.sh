# lib.sh - harness for the tmux-driven tests of tock-tui (tmux regress/
# style: a private server per test, keys in, screen text out).
#
# A test script is run as:  sh t7NNN-name.sh /path/to/tock-tui /path/to/tock
# It sources this file, which sources ../cli/lib.sh for the temporary HOME,
# database, TZ, locale and the check helpers (sql, expect_sql, check,
# fail, finish), then adds:
#
#   tui_start [ARGS]     start tock-tui in a new tmux server (socket in the
#                        temp dir, size $TUI_COLS x $TUI_ROWS, default 100x30;
#                        a fresh server for every call; $TUI_ENV, if set,
#                        holds VAR=value words for its environment)
#                        through a wrapper that records the tty's stty
#                        settings before and after, and the exit status
#   wait_for TEXT [S]    poll the screen until TEXT shows (max S seconds,
#                        default 5); a check; dumps the screen on failure
#   wait_gone TEXT [S]   the same until TEXT is gone
#   wait_exit [S]        until tock-tui has exited; sets $TUI_RC
#   keys KEY...          tmux send-keys (tmux key names: Enter, Escape, C-u)
#   typein TEXT          send TEXT literally (send-keys -l)
#   screen               the visible screen in $SCREEN
#   row N                line N (0-based) of the screen
#   tui_pid              pid of the running tock-tui
#   tmx ARGS...          tmux with this test's socket
#   wait_sql Q EXPECTED  poll the database until query Q prints EXPECTED
#   term_sane DESC       after the exit: stty settings as before, normal
#                        screen, cursor visible, keypad mode off
#   width TEXT           display columns of TEXT (wide characters: 2)
#   col_of LINE TEXT     display column where TEXT starts in LINE
#
# No fixed sleeps: every wait is a poll with a deadline.  The tmux server
# is killed and the temp dir removed on exit, whatever happens.

TUI=${1:?usage: $0 /path/to/tock-tui /path/to/tock}
TOCK_BIN=${2:?usage: $0 /path/to/tock-tui /path/to/tock}
case $TUI in /*) ;; *) TUI=$(pwd)/$TUI ;; esac
set -- "$TOCK_BIN"
. "${TOCK_CLI_LIB:-$(dirname "$0")/../cli/lib.sh}"

TUI_COLS=${TUI_COLS:-100}
TUI_ROWS=${TUI_ROWS:-30}
TMUX_N=0
TMUX_SOCK="tock-$TEST_NAME-$$-$TMUX_N"
export TMUX_TMPDIR="$TMP"
unset TMUX TMUX_PANE

tmx() {
	tmux -L "$TMUX_SOCK" -f /dev/null "$@"
}

tui_cleanup() {
	_i=0
	while [ "$_i" -le "$TMUX_N" ]; do
		tmux -L "tock-$TEST_NAME-$$-$_i" -f /dev/null kill-server \
		    >/dev/null 2>&1
		_i=$((_i + 1))
	done
	rm -rf "$TMP"
}
trap tui_cleanup EXIT
trap 'exit 1' INT TERM HUP

# now in milliseconds, for deadlines
_ms() {
	date +%s%3N
}

tui_start() {
	# A new server each time: one being killed may still hold the old
	# socket.
	TMUX_N=$((TMUX_N + 1))
	TMUX_SOCK="tock-$TEST_NAME-$$-$TMUX_N"
	# The wrapper survives Ctrl-C (its trap), which tock-tui then gets
	# with the default disposition, as from an interactive shell.
	cat >"$TMP/run.sh" <<EOF
trap : INT
stty -g >"$TMP/stty.before"
${TUI_ENV:+env $TUI_ENV} "$TUI" $*
rc=\$?
stty -g >"$TMP/stty.after"
printf 'TUI-EXITED\n'
echo \$rc >"$TMP/rc.new"
mv "$TMP/rc.new" "$TMP/rc"
exec sleep 3600
EOF
	# rc is written last and atomically: once it exists, stty.after and
	# the wrapper's line are complete (CI caught the check reading a
	# half-written stty.after).
	rm -f "$TMP/rc" "$TMP/stty.before" "$TMP/stty.after"
	tmx new-session -d -x "$TUI_COLS" -y "$TUI_ROWS" "sh $TMP/run.sh" ||
		fail "cannot start tmux"
	wait_for " Tasks " 10
}

screen() {
	SCREEN=$(tmx capture-pane -p 2>/dev/null)
}

row() {
	screen
	printf '%s\n' "$SCREEN" | sed -n "$(($1 + 1))p"
}

# _wait COND-CMD TIMEOUT: poll until COND-CMD succeeds; give up at once
# if tock-tui has died, unless waiting for its exit.
_wait() {
	_deadline=$(($(_ms) + $2 * 1000))
	while :; do
		screen
		if eval "$1"; then
			return 0
		fi
		if [ -z "${_exit_ok:-}" ] && [ -s "$TMP/rc" ]; then
			SCREEN="tock-tui exited with status $(cat "$TMP/rc"):
$SCREEN"
			return 1
		fi
		[ "$(_ms)" -ge "$_deadline" ] && return 1
		sleep 0.02
	done
}

_has() {
	printf '%s\n' "$SCREEN" | grep -Fq -- "$1"
}

wait_for() {
	COUNT=$((COUNT + 1))
	WAIT_TEXT=$1
	_wait '_has "$WAIT_TEXT"' "${2:-5}" && return 0
	fail "'$1' did not show within ${2:-5}s; the screen:
$SCREEN"
	return 1
}

wait_gone() {
	COUNT=$((COUNT + 1))
	WAIT_TEXT=$1
	_wait '! _has "$WAIT_TEXT"' "${2:-5}" && return 0
	fail "'$1' still shows after ${2:-5}s; the screen:
$SCREEN"
	return 1
}

wait_exit() {
	COUNT=$((COUNT + 1))
	_exit_ok=1
	_wait '[ -s "$TMP/rc" ]' "${1:-5}"
	_rc=$?
	_exit_ok=
	if [ "$_rc" = 0 ]; then
		TUI_RC=$(cat "$TMP/rc")
		return 0
	fi
	TUI_RC=
	fail "tock-tui did not exit within ${1:-5}s; the screen:
$SCREEN"
	return 1
}

keys() {
	tmx send-keys "$@"
}

typein() {
	tmx send-keys -l -- "$1"
}

tui_pid() {
	_sh=$(tmx display-message -p '#{pane_pid}')
	pgrep -P "$_sh" -x tock-tui
}

# wait_sql QUERY EXPECTED [S]: poll the database until the query prints
# EXPECTED (a write from a key lands a moment after the key is sent).
wait_sql() {
	COUNT=$((COUNT + 1))
	WAIT_Q=$1
	WAIT_E=$2
	_wait '[ "$(sql "$WAIT_Q" 2>/dev/null)" = "$WAIT_E" ]' "${3:-5}" &&
		return 0
	fail "query gave '$(sql "$1" 2>&1)', expected '$2' (query: $1)"
	return 1
}

# term_sane DESC: after tock-tui exited, the terminal is as before: the
# same stty settings, the normal screen, a visible cursor, normal keypad.
term_sane() {
	check "$1: stty settings restored" cmp -s "$TMP/stty.before" \
	    "$TMP/stty.after"
	check "$1: alternate screen left" \
	    [ "$(tmx display-message -p '#{alternate_on}')" = 0 ]
	check "$1: cursor visible" \
	    [ "$(tmx display-message -p '#{cursor_flag}')" = 1 ]
	check "$1: keypad back to normal" \
	    [ "$(tmx display-message -p '#{keypad_cursor_flag}')" = 0 ]
	_exit_ok=1
	wait_for "TUI-EXITED" 2
	_exit_ok=
}

# width TEXT: display columns of TEXT (East Asian wide and fullwidth
# characters, emoji included, take two).
width() {
	printf '%s' "$1" | python3 -c 'import sys, unicodedata
s = sys.stdin.read()
print(sum(0 if unicodedata.combining(c) else
    2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s))'
}

# col_of LINE TEXT: the display column where TEXT starts in LINE (-1 if
# it is not there).
col_of() {
	python3 - "$1" "$2" <<'EOF'
import sys, unicodedata
line, text = sys.argv[1], sys.argv[2]
i = line.find(text)
if i < 0:
    print(-1)
else:
    print(sum(0 if unicodedata.combining(c) else
        2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in line[:i]))
EOF
}
