#!/usr/bin/env bash
# bench/tui-bench.sh - tock-tui's figures against the targets of its issue:
#
#   full redraw of the task list with 10,000 tasks   <= 16 ms
#   start-up to first frame (10,000 tasks)           <= 30 ms
#   idle CPU over 10 s                               <= 0.5 %
#   RSS with 10,000 tasks                            <= 16 MB
#
#   bash bench/tui-bench.sh
#
# Environment:
#   TOCK_BIN=PATH TOCK_TUI_BIN=PATH   measure these binaries (both, or
#                                     neither: then a Release build is made
#                                     in bench/out/tui-build)
#   BENCH_TASKS=N      tasks in the database (default 10000)
#   BENCH_FRAMES=N     frames for the redraw figure (default 500)
#   BENCH_STARTS=N     runs for the start-up figure (default 30)
#   BENCH_IDLE_S=S     seconds of the idle CPU figure (default 10)
#   BENCH_KEEP=1       keep the generated database
#
# How each is measured:
#   redraw   tock-tui --bench-redraw N: a real curses screen (newterm) of
#            200x50 and of 80x24 writing to /dev/null; each frame is a full
#            repaint (clearok) of another page of the list; median, p95,
#            max.  Also a reload of all tasks from SQLite plus a frame, the
#            work done when another process changes the database.
#   start-up from fork to the moment the first frame's last line (the
#            footer) has been written to a pseudo-terminal of 200x50, with
#            --bench-first-frame; median of the runs.
#   idle     tock-tui on a pseudo-terminal, after its first frame: its CPU
#            time over BENCH_IDLE_S seconds from /proc/PID/schedstat (ns;
#            utime + stime of /proc/PID/stat, in clock ticks, are shown
#            too), with no timer running, then with one running (the
#            header clock redraws every second).
#   RSS      VmRSS and VmHWM from /proc/PID/status of that process.
#
# Nothing is written outside bench/out/ (gitignored); the generated data
# goes away at the end unless BENCH_KEEP=1.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NTASKS=${BENCH_TASKS:-10000}
FRAMES=${BENCH_FRAMES:-500}
STARTS=${BENCH_STARTS:-30}
IDLE_S=${BENCH_IDLE_S:-10}
OUTDIR=$REPO/bench/out
mkdir -p "$OUTDIR"

say() { printf '%s\n' "$*" >&2; }
die() { say "tui-bench: $*"; exit 1; }

command -v sqlite3 >/dev/null || die "needs sqlite3"
command -v python3 >/dev/null || die "needs python3"

if [ -n "${TOCK_BIN:-}" ] || [ -n "${TOCK_TUI_BIN:-}" ]; then
	[ -x "${TOCK_BIN:-}" ] && [ -x "${TOCK_TUI_BIN:-}" ] ||
		die "set both TOCK_BIN and TOCK_TUI_BIN to executables"
	TOCK=$TOCK_BIN
	TUI=$TOCK_TUI_BIN
else
	say "building tock and tock-tui (Release) in bench/out/tui-build"
	cmake -S "$REPO" -B "$OUTDIR/tui-build" -DCMAKE_BUILD_TYPE=Release \
	    -DTOCK_BUILD_TESTS=OFF -DTOCK_WERROR=OFF >"$OUTDIR/tui-build.log" 2>&1 ||
		die "cmake failed: see bench/out/tui-build.log"
	cmake --build "$OUTDIR/tui-build" -j"$(nproc)" --target tock tock-tui \
	    >>"$OUTDIR/tui-build.log" 2>&1 ||
		die "build failed: see bench/out/tui-build.log"
	TOCK=$OUTDIR/tui-build/cli/tock
	TUI=$OUTDIR/tui-build/tui/tock-tui
fi

WORK=$(mktemp -d "$OUTDIR/tui-work.XXXXXX")
cleanup() {
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# A throwaway home: no tock data of yours is read or written.
export HOME=$WORK/home XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
export XDG_STATE_HOME=$WORK/state XDG_RUNTIME_DIR=$WORK/run
export TOCK_DB=$WORK/data/tock/tock.db TZ=${TZ:-UTC} LANG=C.UTF-8 LC_ALL=C.UTF-8
export TERM=${BENCH_TERM:-xterm-256color}
unset NO_COLOR TOCK_CONFIG
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"

# ---- the database ----------------------------------------------------------
# tock add makes the schema, identity and task 1; one transaction adds the
# rest with explicit numbers (the numbering trigger scans per row), every
# tenth with tags and every seventh with a wide-character title, and one
# time entry per task over the last 30 days.
t0=$(date +%s%N)
"$TOCK" add "Task 1" >/dev/null
sqlite3 "$TOCK_DB" >/dev/null <<SQL
BEGIN;
CREATE TEMP TABLE p AS SELECT
  (SELECT v FROM sync_meta WHERE k = 'user_id') AS uid,
  (SELECT v FROM sync_meta WHERE k = 'workspace_id') AS ws,
  CAST(strftime('%s', 'now') AS INTEGER) * 1000 AS now;
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $NTASKS)
INSERT INTO tasks(id, workspace_id, num, title, status, created_by,
    created_at, updated_at, metadata, due_date, _fhlc)
SELECT printf('%08llx-%04llx-7%03llx-%04llx-%012llx', ts >> 16, ts & 65535,
    abs(random()) & 4095, 32768 | (abs(random()) & 16383),
    abs(random()) & 281474976710655),
  ws, i,
  CASE WHEN i % 7 = 0 THEN '修复任务 ' || i || ' 🚀 宽字符标题'
       ELSE 'Task ' || i || ' with a title of a usual length' END,
  CASE WHEN i % 5 = 0 THEN 'in_progress' ELSE 'todo' END, uid, ts, ts,
  CASE WHEN i % 10 = 0 THEN '{"tags":["bench","t' || (i % 13) || '"]}'
       ELSE '{}' END,
  CASE WHEN i % 4 = 0 THEN date(ts / 1000, 'unixepoch', '+' || (i % 60) || ' days')
       ELSE NULL END,
  '{}'
FROM (SELECT i, uid, ws, now - 86400000 * 30 + i * 1000 AS ts FROM n, p);
INSERT INTO time_entries(id, workspace_id, user_id, task_id, origin,
    start_time, end_time, end_src, _fhlc)
SELECT printf('%08llx-%04llx-7%03llx-%04llx-%012llx', st >> 16, st & 65535,
    abs(random()) & 4095, 32768 | (abs(random()) & 16383),
    abs(random()) & 281474976710655),
  ws, uid, task_id, 'timer', st, st + 1800000, 'stop', '{}'
FROM (SELECT t.id AS task_id, p.uid AS uid, p.ws AS ws,
        p.now - 86400000 * 30 + t.num * 250000 AS st FROM tasks t, p);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
got=$(sqlite3 "$TOCK_DB" "SELECT count(*) FROM tasks WHERE num IS NOT NULL")
[ "$got" = "$NTASKS" ] || die "made $got tasks, not $NTASKS"
say "database: $NTASKS tasks and as many entries in $((($(date +%s%N) - t0) / 1000000)) ms"

# ---- redraw ------------------------------------------------------------------
say "redraw: $FRAMES frames"
REDRAW_200=$(LINES=50 COLUMNS=200 "$TUI" --bench-redraw "$FRAMES")
REDRAW_80=$(LINES=24 COLUMNS=80 "$TUI" --bench-redraw "$FRAMES")

# ---- start-up, idle CPU, RSS on a pseudo-terminal ------------------------------
say "start-up: $STARTS runs; idle: 2 x ${IDLE_S} s"
PTY_OUT=$(python3 - "$TUI" "$STARTS" "$IDLE_S" "$TOCK" <<'PY'
import fcntl, os, pty, select, signal, struct, subprocess, sys, termios, time

tui, starts, idle_s, tock = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
hz = os.sysconf("SC_CLK_TCK")

def spawn(args):
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdin=s, stdout=s, stderr=s,
                         start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(s)
    return p, m, t0

def read_until(m, needle, deadline):
    buf = b""
    while needle not in buf:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise SystemExit("no first frame: %r" % buf[-200:])
        r, _, _ = select.select([m], [], [], left)
        if r:
            try:
                chunk = os.read(m, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return time.perf_counter()

def drain(m):
    while True:
        r, _, _ = select.select([m], [], [], 0)
        if not r:
            return
        try:
            if not os.read(m, 65536):
                return
        except OSError:
            return

# Start-up: fork to the footer of the first frame on the terminal.
times = []
for _ in range(starts):
    p, m, t0 = spawn([tui, "--bench-first-frame"])
    t1 = read_until(m, b" quit", t0 + 10)
    times.append((t1 - t0) * 1000)
    drain(m)
    p.wait()
    os.close(m)
times.sort()
print("startup median %.2f ms  min %.2f  max %.2f  (%d runs)" %
      (times[len(times) // 2], times[0], times[-1], len(times)))

def cpu(pid):
    """utime + stime in clock ticks, and the on-CPU time in ns from
    schedstat (a finer view of the same thing), or None."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    try:
        ns = int(open("/proc/%d/schedstat" % pid).read().split()[0])
    except (OSError, ValueError, IndexError):
        ns = None
    return int(f[11]) + int(f[12]), ns

def status(pid, key):
    for l in open("/proc/%d/status" % pid):
        if l.startswith(key + ":"):
            return int(l.split()[1])

p, m, t0 = spawn([tui])
read_until(m, b" quit", t0 + 10)
for label in ("no timer", "timer running"):
    if label == "timer running":
        subprocess.run([tock, "start", "1"], stdout=subprocess.DEVNULL, check=True)
    end = time.perf_counter() + 1.0      # let it settle
    while time.perf_counter() < end:
        select.select([m], [], [], 0.1)
        drain(m)
    c0, w0 = cpu(p.pid), time.perf_counter()
    end = w0 + idle_s
    while time.perf_counter() < end:     # keep the pty drained
        select.select([m], [], [], 0.2)
        drain(m)
    c1, w1 = cpu(p.pid), time.perf_counter()
    ticks = c1[0] - c0[0]
    if c0[1] is not None:
        pct = 100.0 * (c1[1] - c0[1]) / 1e9 / (w1 - w0)
        extra = ", %.1f ms on CPU by schedstat" % ((c1[1] - c0[1]) / 1e6)
    else:
        pct = 100.0 * ticks / hz / (w1 - w0)
        extra = ""
    print("idle (%s) %.3f %%  (%d ticks of 1/%d s%s in %.1f s)" %
          (label, pct, ticks, hz, extra, w1 - w0))
print("rss %d kB  hwm %d kB" % (status(p.pid, "VmRSS"), status(p.pid, "VmHWM")))
p.send_signal(signal.SIGTERM)
p.wait()
os.close(m)
PY
)

# ---- the table -----------------------------------------------------------------
num() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" | head -n 1; }
R200=$(printf '%s\n' "$REDRAW_200" | grep '^redraw:' | num median)
R80=$(printf '%s\n' "$REDRAW_80" | grep '^redraw:' | num median)
RL200=$(printf '%s\n' "$REDRAW_200" | grep '^reload+redraw:' | num median)
START=$(printf '%s\n' "$PTY_OUT" | num 'startup median')
IDLE0=$(printf '%s\n' "$PTY_OUT" | grep 'no timer' | sed -n 's/.*) \([0-9.]*\) %.*/\1/p')
IDLE1=$(printf '%s\n' "$PTY_OUT" | grep 'timer running' | sed -n 's/.*) \([0-9.]*\) %.*/\1/p')
RSS=$(printf '%s\n' "$PTY_OUT" | sed -n 's/^rss \([0-9]*\) kB  hwm \([0-9]*\) kB/\2/p')

verdict() { # VALUE LIMIT
	awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 <= l + 0) ? "ok" : "FAIL" }'
}

printf '\ntock-tui, %s tasks, %s, %s CPUs (%s)\n\n' "$NTASKS" "$(uname -r)" \
    "$(nproc)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
printf '%s\n' "--- redraw, 200x50" "$REDRAW_200" "--- redraw, 80x24" \
    "$REDRAW_80" "--- pseudo-terminal, 200x50" "$PTY_OUT"
printf '\n%-44s %12s %10s  %s\n' "target" "measured" "limit" ""
printf '%-44s %9s ms %7s ms  %s\n' "full redraw of the task list (200x50)" \
    "$R200" 16 "$(verdict "$R200" 16)"
printf '%-44s %9s ms %7s ms  %s\n' "full redraw of the task list (80x24)" \
    "$R80" 16 "$(verdict "$R80" 16)"
printf '%-44s %9s ms %7s ms  %s\n' "reload of all tasks + redraw (info)" \
    "$RL200" - info
printf '%-44s %9s ms %7s ms  %s\n' "start-up to first frame" "$START" 30 \
    "$(verdict "$START" 30)"
printf '%-44s %10s %% %8s %%  %s\n' "idle CPU over ${IDLE_S} s, no timer" \
    "$IDLE0" 0.5 "$(verdict "$IDLE0" 0.5)"
printf '%-44s %10s %% %8s %%  %s\n' "idle CPU over ${IDLE_S} s, timer running" \
    "$IDLE1" 0.5 "$(verdict "$IDLE1" 0.5)"
printf '%-44s %9s kB %7s kB  %s\n' "peak RSS" "$RSS" 16384 \
    "$(verdict "$RSS" 16384)"
