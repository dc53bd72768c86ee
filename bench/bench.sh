#!/usr/bin/env bash
# bench/bench.sh - tock's latency and memory benchmark, side by side with
# Timewarrior and Taskwarrior.  See bench/README.md for what it measures,
# the targets, and how to read the table.
#
#   bash bench/bench.sh                 full run (sizes 0, 10000, 100000)
#   BENCH_QUICK=1 bash bench/bench.sh   fewer runs, sizes 0 and 100000
#
# Environment:
#   TOCK_BIN=PATH      benchmark this tock binary instead of building one
#   BENCH_QUICK=1      10 runs, 2 warmups, 3 RSS runs, sizes 0 and 100000
#   BENCH_RUNS=N       hyperfine runs per command (default 50; quick 10)
#   BENCH_WARMUP=N     hyperfine warmup runs (default 5; quick 2)
#   BENCH_RSS_RUNS=N   /usr/bin/time runs for peak RSS (default 5; quick 3)
#   BENCH_SIZES="..."  time-entry counts (default "0 10000 100000")
#   BENCH_OUT=DIR      results folder (default bench/out/run-DATE)
#   BENCH_KEEP=1       keep the generated databases (BENCH_OUT/work)
#
# Nothing is written in the tree outside bench/out/ (which is gitignored),
# and no HOME of yours is touched: every tool runs with a throwaway HOME.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-10}
	WARMUP=${BENCH_WARMUP:-2}
	RSS_RUNS=${BENCH_RSS_RUNS:-3}
	SIZES=${BENCH_SIZES:-"0 100000"}
else
	RUNS=${BENCH_RUNS:-50}
	WARMUP=${BENCH_WARMUP:-5}
	RSS_RUNS=${BENCH_RSS_RUNS:-5}
	SIZES=${BENCH_SIZES:-"0 10000 100000"}
fi
NTASKS=1000		# open tasks in a non-empty tock database
SPAN_DAYS=1095		# entries and intervals spread over ~3 years
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$REPO/bench/out/run-$STAMP}
T0=$(date +%s)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# Taskwarrior size that goes with a tock size (the issue's figures are for
# an empty task list and 10,000 tasks): 0 -> 0, 10k -> 1,000, 100k -> 10,000.
task_size() {
	case $1 in
	0) echo 0 ;;
	*) echo $(($1 / 10)) ;;
	esac
}

# ---- 1. tools ----------------------------------------------------------

need_pkgs=()
command -v timew >/dev/null || need_pkgs+=(timewarrior)
command -v task >/dev/null || need_pkgs+=(taskwarrior)
command -v hyperfine >/dev/null || need_pkgs+=(hyperfine)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v python3 >/dev/null || need_pkgs+=(python3)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if [ -z "${TOCK_BIN:-}" ]; then
	command -v cmake >/dev/null || need_pkgs+=(cmake)
	command -v cc >/dev/null || need_pkgs+=(build-essential)
	command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
	pkg-config --exists sqlite3 2>/dev/null || need_pkgs+=(libsqlite3-dev)
	pkg-config --exists libcjson 2>/dev/null || need_pkgs+=(libcjson-dev)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
	say "bench: installing ${need_pkgs[*]}"
	[ "$(id -u)" = 0 ] || die "need root to install ${need_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

mkdir -p "$OUT/json"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "$OUT/work.XXXXXX")
cleanup() {
	if [ "${BENCH_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ -n "${TOCK_BIN:-}" ]; then
	TOCK=$(cd "$(dirname "$TOCK_BIN")" && pwd)/$(basename "$TOCK_BIN")
	[ -x "$TOCK" ] || die "TOCK_BIN=$TOCK_BIN is not executable"
else
	BUILD=$REPO/bench/out/build
	say "bench: building tock (Release) in $BUILD"
	# shellcheck disable=SC2015 # A && B || die: either failing is fatal
	cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	    -DTOCK_BUILD_TESTS=OFF >"$OUT/build.log" 2>&1 &&
	    cmake --build "$BUILD" -j"$(nproc)" >>"$OUT/build.log" 2>&1 ||
	    { tail -30 "$OUT/build.log" >&2; die "build failed (see $OUT/build.log)"; }
	TOCK=$BUILD/cli/tock
fi

# Every tool gets a throwaway home, so nothing of the user's is read or
# written, and no config of theirs changes the figures.
export HOME=$WORK/home
unset XDG_DATA_HOME XDG_CONFIG_HOME TOCK_CONFIG TIMEWARRIORDB TASKRC TASKDATA
mkdir -p "$HOME"
export NO_COLOR=1 TZ=UTC

# ---- helpers -----------------------------------------------------------

# Small scripts for hyperfine's --prepare (run without a shell under -N):
# each puts the state right for the measured command and never fails.
BIN=$WORK/bin
mkdir -p "$BIN"
mkscript() {
	printf '#!/bin/sh\nexec >/dev/null 2>&1\n%s\nexit 0\n' "$2" >"$BIN/$1"
	chmod +x "$BIN/$1"
}
mkscript tock-stop "\"$TOCK\" stop"
mkscript tock-start "\"$TOCK\" start \"\$BENCH_TASK\""
# shellcheck disable=SC2016 # expanded by the script, from hyperfine's env
mkscript tock-nocache 'rm -f "$TOCK_DB-status"'
mkscript timew-cancel "timew cancel"
# timew refuses to stop an interval in the second it started: start it 10s
# in the past, :adjust trimming the interval the last run recorded.
mkscript timew-start-past "timew start 10s ago task5 :adjust"

median() { # numbers on stdin -> median
	python3 -c 'import sys, statistics
v = [float(x) for x in sys.stdin.read().split()]
print(("%g" % statistics.median(v)) if v else "NA")'
}

RESULTS=$OUT/results.tsv
printf 'size\ttool\tcommand\tdata\tmedian_ms\tmean_ms\tstddev_ms\tmin_ms\trss_kb\n' \
    >"$RESULTS"

# bench SIZE TOOL NAME DATA PREP ALLOWFAIL CMD...
#   Median wall time with hyperfine (-N, no shell), then peak RSS as the
#   median of RSS_RUNS runs of /usr/bin/time -f %M, PREP (a script in BIN
#   or "") run before every run of both.
bench() {
	local size=$1 tool=$2 name=$3 data=$4 prep=$5 allow=$6
	shift 6
	local json=${name//[^A-Za-z0-9]/_}
	json=$OUT/json/$size-${json#_}.json
	local args=(-N --warmup "$WARMUP" --runs "$RUNS" --style none
	    --export-json "$json" -n "$name")
	local cmdline="" a stats rss k vals="" log=$WORK/hf.log
	[ -n "$prep" ] && args+=(--prepare "$BIN/$prep")
	[ "$allow" = 1 ] && args+=(-i)
	for a in "$@"; do
		case $a in
		*[[:space:]]*) cmdline+=" \"$a\"" ;;
		*) cmdline+=" $a" ;;
		esac
	done
	if hyperfine "${args[@]}" "${cmdline# }" >"$log" 2>&1; then
		stats=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f\t%.3f\t%.3f\t%.3f" % (r["median"] * 1e3, r["mean"] * 1e3,
    r["stddev"] * 1e3, r["min"] * 1e3))' "$json")
	else
		say "bench: '$name' failed at size $size:"
		sed 's/^/    /' "$log" >&2
		stats=$(printf 'NA\tNA\tNA\tNA')
	fi
	for ((k = 0; k < RSS_RUNS; k++)); do
		[ -n "$prep" ] && "$BIN/$prep"
		/usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || true
		vals+=" $(tail -n 1 "$WORK/rss")"
	done
	rss=$(echo "$vals" | median)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$tool" "$name" "$data" \
	    "$stats" "$rss" >>"$RESULTS"
	say "$(printf '  %-22s %-26s %9s ms  %6s KB' "$name" "$data" \
	    "$(cut -f1 <<<"$stats")" "$rss")"
}

# ---- 2. tock databases -------------------------------------------------

# make_tock_db SIZE DB: `tock add` creates the database (schema, identity,
# triggers) and task 1; one sqlite3 transaction adds tasks 2..NTASKS and
# SIZE stopped time entries.  Tasks get explicit numbers: the insert
# trigger that numbers open tasks looks for the smallest free number, a
# scan per row (O(n^2): 92 ms for 1,000 tasks, 9.6 s for 10,000).  No
# ANALYZE: tock never runs it.
make_tock_db() {
	local n=$1 db=$2 t
	TOCK_DB=$db "$TOCK" add "Task 1" >/dev/null
	if [ "$n" -eq 0 ]; then
		# tock leaves its WAL in place: fold it in, so that a copy of
		# the one file is the whole database.
		sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
		return 0
	fi
	t=$(date +%s%N)
	sqlite3 "$db" >/dev/null <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TEMP TABLE p AS SELECT
  (SELECT v FROM sync_meta WHERE k = 'user_id') AS uid,
  (SELECT v FROM sync_meta WHERE k = 'workspace_id') AS ws,
  CAST(strftime('%s', 'now') AS INTEGER) * 1000 AS now,
  $SPAN_DAYS * 86400000 AS span;
-- UUIDv7 text: 48-bit ms timestamp, version 7, variant 10, random bits.
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $NTASKS)
INSERT INTO tasks(id, workspace_id, num, title, status, created_by,
    created_at, updated_at, _fhlc)
SELECT printf('%08llx-%04llx-7%03llx-%04llx-%012llx', ts >> 16, ts & 65535,
    abs(random()) & 4095, 32768 | (abs(random()) & 16383),
    abs(random()) & 281474976710655),
  ws, i, 'Task ' || i, 'todo', uid, ts, ts, '{}'
FROM (SELECT i, uid, ws, now - span - 86400000 + i * 1000 AS ts FROM n, p);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $n - 1)
INSERT INTO time_entries(id, workspace_id, user_id, task_id, origin,
    start_time, end_time, end_src, _fhlc)
SELECT printf('%08llx-%04llx-7%03llx-%04llx-%012llx', st >> 16, st & 65535,
    abs(random()) & 4095, 32768 | (abs(random()) & 16383),
    abs(random()) & 281474976710655),
  ws, uid, (SELECT id FROM tasks WHERE num = 1 + i % $NTASKS), 'timer',
  st, st + gap * (30 + abs(random()) % 50) / 100, 'stop', '{}'
FROM (SELECT i, uid, ws, now - span + i * (span / $n) AS st, span / $n AS gap
      FROM n, p);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
	say "$(printf '  tock db: %d entries, %d tasks bulk-inserted in %d ms' \
	    "$n" "$NTASKS" $((($(date +%s%N) - t) / 1000000)))"
}

check_tock_db() { # SIZE DB
	local n=$1 db=$2 tasks entries open fk ic
	read -r tasks entries open fk ic < <(sqlite3 -separator ' ' "$db" \
	    "SELECT (SELECT count(*) FROM tasks),
	            (SELECT count(*) FROM time_entries WHERE end_time IS NOT NULL),
	            (SELECT count(*) FROM tasks WHERE num IS NOT NULL),
	            (SELECT count(*) FROM pragma_foreign_key_check),
	            (SELECT integrity_check FROM pragma_integrity_check)")
	local want_tasks=$NTASKS
	[ "$n" -gt 0 ] || want_tasks=1
	# shellcheck disable=SC2015 # A && B || die: either failing is fatal
	[ "$tasks" = "$want_tasks" ] && [ "$open" = "$want_tasks" ] &&
	    [ "$entries" = "$n" ] && [ "$fk" = 0 ] && [ "$ic" = ok ] ||
	    die "tock db for size $n: $tasks tasks ($open open), $entries entries, fk $fk, $ic"
	TOCK_DB=$db "$TOCK" ls | tail -n 1 | grep -q "^$want_tasks tasks\?$" ||
	    die "tock ls on size $n does not list $want_tasks tasks"
}

# ---- 3. Timewarrior and Taskwarrior data -------------------------------

# make_timew_db N DIR: N closed intervals over ~3 years, written as the
# month files timew keeps (data/YYYY-MM.data, one "inc" line each).
make_timew_db() {
	local n=$1 dir=$2 got
	mkdir -p "$dir/data"
	: >"$dir/timewarrior.cfg"
	python3 - "$n" "$dir/data" "$SPAN_DAYS" <<'PY'
import random, sys, time
n, d, days = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
random.seed(n)
now = int(time.time())
span = days * 86400
files = {}
fmt = "%Y%m%dT%H%M%SZ"
for i in range(n):
    gap = span / n
    st = int(now - span + i * gap)
    en = st + max(1, int(gap * random.uniform(0.3, 0.8)))
    g = time.gmtime(st)
    files.setdefault("%04d-%02d" % (g.tm_year, g.tm_mon), []).append(
        "inc %s - %s # task%d\n" % (time.strftime(fmt, g),
                                    time.strftime(fmt, time.gmtime(en)),
                                    1 + i % 1000))
for month, lines in files.items():
    with open("%s/%s.data" % (d, month), "w") as f:
        f.writelines(lines)
PY
	# The first command rebuilds tags.data from the intervals, saying so
	# on stdout: let a plain `timew` do it before the export.
	TIMEWARRIORDB=$dir timew >/dev/null 2>&1 </dev/null || true
	got=$(TIMEWARRIORDB=$dir timew export 2>/dev/null </dev/null |
	    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$got" = "$n" ] || die "timew export counts $got intervals, not $n"
}

# make_task_db N DIR: N pending tasks through `task import`.
make_task_db() {
	local n=$1 dir=$2 got
	mkdir -p "$dir/data"
	cat >"$dir/taskrc" <<EOF
data.location=$dir/data
confirmation=off
hooks=off
news.version=2.6.0
EOF
	if [ "$n" -gt 0 ]; then
		python3 - "$n" "$SPAN_DAYS" >"$dir/import.json" <<'PY'
import json, sys, time, uuid
n, days = int(sys.argv[1]), int(sys.argv[2])
now = int(time.time())
step = days * 86400 / n
print(json.dumps([{
    "uuid": str(uuid.uuid4()), "description": "Task %d" % (i + 1),
    "status": "pending",
    "entry": time.strftime("%Y%m%dT%H%M%SZ",
                           time.gmtime(int(now - days * 86400 + i * step)))}
    for i in range(n)]))
PY
		TASKRC=$dir/taskrc TASKDATA=$dir/data task rc.confirmation=off \
		    rc.hooks=off import "$dir/import.json" >/dev/null 2>&1 </dev/null ||
		    die "task import of $n tasks failed"
	fi
	got=$(TASKRC=$dir/taskrc TASKDATA=$dir/data task count 2>/dev/null </dev/null)
	[ "$got" = "$n" ] || die "task count says $got, not $n"
}

# ---- 4. measure --------------------------------------------------------

fs_type=$(stat -f -c %T "$WORK")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
say ""
say "bench: $("$TOCK" version 2>/dev/null | head -n 1)" \
    "($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$TOCK)"
say "bench: $(timew --version 2>/dev/null | head -n1 | sed 's/^/timew /')," \
    "task $(task --version 2>/dev/null), $(hyperfine --version)," \
    "sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
say "bench: runs $RUNS, warmup $WARMUP, RSS runs $RSS_RUNS, sizes $SIZES;" \
    "data in $WORK ($fs_type)"
case $fs_type in
tmpfs | ramfs) say "bench: WARNING: data on $fs_type: fsync costs nothing" \
    "there, so write figures are not durable ones" ;;
esac

for size in $SIZES; do
	tsize=$(task_size "$size")
	say ""
	say "== size $size: tock $size entries, timew $size intervals," \
	    "task $tsize tasks"
	base=$WORK/tock-$size.db
	make_tock_db "$size" "$base"
	check_tock_db "$size" "$base"
	make_timew_db "$size" "$WORK/timew-$size"
	make_task_db "$tsize" "$WORK/task-$tsize"
	if [ "$size" -gt 0 ]; then
		export BENCH_TASK=5
		tdata="$size entries, $NTASKS tasks"
	else
		export BENCH_TASK=1
		tdata="0 entries, 1 task"
	fi

	bench "$size" floor "/bin/true" "-" "" 0 /bin/true
	# The floor of a durable write here: one process, one 4 KB O_DSYNC
	# write on the disk the databases are on.
	: >"$WORK/sync.bin"
	bench "$size" floor "dd 4K O_DSYNC" "-" "" 0 dd if=/dev/zero \
	    of="$WORK/sync.bin" bs=4096 count=1 oflag=dsync conv=notrunc \
	    status=none

	# tock: every command on a fresh copy of the database.
	fresh_tock() {
		rm -rf "$WORK/t" && mkdir "$WORK/t"
		cp -p "$base" "$WORK/t/tock.db"
		if [ -f "$base-wal" ]; then cp -p "$base-wal" "$WORK/t/tock.db-wal"; fi
		export TOCK_DB=$WORK/t/tock.db
	}
	# tock status as a shell prompt runs it: some time after the last
	# write (its cache does not trust a database younger than 20 ms), and
	# once more with the cache removed before every run (the first prompt
	# after a write, which reads SQLite).
	fresh_tock
	"$TOCK" start "$BENCH_TASK" >/dev/null
	sleep 0.1
	bench "$size" tock "tock status" "$tdata" "" 0 "$TOCK" status
	bench "$size" tock "tock status (no cache)" "$tdata" tock-nocache 0 \
	    "$TOCK" status
	fresh_tock
	bench "$size" tock "tock start $BENCH_TASK" "$tdata" tock-stop 0 \
	    "$TOCK" start "$BENCH_TASK"
	fresh_tock
	bench "$size" tock "tock stop" "$tdata" tock-start 0 "$TOCK" stop
	fresh_tock
	bench "$size" tock "tock add" "$tdata" "" 0 "$TOCK" add "Bench task"
	fresh_tock
	bench "$size" tock "tock ls" "$tdata" "" 0 "$TOCK" ls
	# Durable: each write command syncs to disk before it returns.  The
	# first write after the copy creates the WAL: count from the second.
	if command -v strace >/dev/null; then
		fresh_tock
		"$TOCK" add Warm >/dev/null
		for c in "add Bench" "start $BENCH_TASK" "stop"; do
			# shellcheck disable=SC2086
			strace -f -qq -e trace=fsync,fdatasync,sync_file_range \
			    -o "$WORK/strace" "$TOCK" $c >/dev/null 2>&1 || true
			printf '%s\ttock %s\t%s\n' "$size" "${c%% *}" "$(grep -cE \
			    '^([0-9]+ +)?(fsync|fdatasync|sync_file_range)\(' \
			    "$WORK/strace" || true)" >>"$OUT/durable.tsv"
		done
	fi
	unset TOCK_DB

	# timew: a fresh copy of the data folder for each command.
	fresh_timew() {
		rm -rf "$WORK/w" && cp -a "$WORK/timew-$size" "$WORK/w"
		export TIMEWARRIORDB=$WORK/w
	}
	wdata="$size intervals"
	fresh_timew
	timew start task5 >/dev/null 2>&1 </dev/null
	bench "$size" timew "timew" "$wdata" "" 0 timew
	fresh_timew
	bench "$size" timew "timew start" "$wdata" timew-cancel 0 \
	    timew start task5
	fresh_timew
	bench "$size" timew "timew stop" "$wdata" timew-start-past 0 timew stop
	unset TIMEWARRIORDB

	# task: `task list` exits 1 on an empty list ("No matches").
	fresh_task() {
		rm -rf "$WORK/k" && cp -a "$WORK/task-$tsize" "$WORK/k"
		sed -i "s|^data.location=.*|data.location=$WORK/k/data|" \
		    "$WORK/k/taskrc"
		export TASKRC=$WORK/k/taskrc TASKDATA=$WORK/k/data
	}
	kdata="$tsize tasks"
	fresh_task
	bench "$size" task "task add" "$kdata" "" 0 task add x
	fresh_task
	bench "$size" task "task list" "$kdata" "" "$([ "$tsize" = 0 ] &&
	    echo 1 || echo 0)" task list
	unset TASKRC TASKDATA
	rm -rf "$WORK/t" "$WORK/w" "$WORK/k" "$base" "$WORK/timew-$size" \
	    "$WORK/task-$tsize"
done

# ---- 5. the table ------------------------------------------------------

say ""

{
	echo "tock benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $cpu, $(uname -sr), data on $fs_type," \
	    "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "tock $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')" \
	    "Release; timew $(timew --version 2>/dev/null | head -n1);" \
	    "task $(task --version 2>/dev/null); runs $RUNS (median)," \
	    "peak RSS median of $RSS_RUNS"
	echo
	python3 - "$RESULTS" "$OUT/durable.tsv" <<'PY'
import csv, os, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None
get = {}
for r in rows:
    get[(r["size"], r["command"])] = r
sizes = []
for r in rows:
    if r["size"] not in sizes:
        sizes.append(r["size"])
ref_of = {"tock status": "timew", "tock status (no cache)": "timew",
          "tock add": "task add", "tock ls": "task list",
          "tock stop": "timew stop"}
def ref_name(cmd):
    if cmd.startswith("tock start"):
        return "timew start"
    return ref_of.get(cmd)

hdr = ("size", "command", "data", "median ms", "-floor", "RSS KB",
       "reference", "ref data", "ref ms", "ref RSS", "tock/ref")
out = [hdr]
for s in sizes:
    floor = num(get.get((s, "/bin/true"), {}).get("median_ms"))
    for r in rows:
        if r["size"] != s:
            continue
        if r["tool"] not in ("tock", "floor"):
            continue
        m = num(r["median_ms"])
        line = [s, r["command"], r["data"],
                "%.3f" % m if m is not None else "NA",
                "%+.3f" % (m - floor) if m is not None and floor is not None
                and r["tool"] != "floor" else "",
                r["rss_kb"]]
        rn = ref_name(r["command"])
        ref = get.get((s, rn)) if rn else None
        if ref:
            rm = num(ref["median_ms"])
            line += [ref["command"], ref["data"],
                     "%.3f" % rm if rm is not None else "NA", ref["rss_kb"],
                     "%.2f" % (m / rm) if m is not None and rm else "NA"]
        else:
            line += ["", "", "", "", ""]
        out.append(line)
w = [max(len(str(l[i])) for l in out) for i in range(len(hdr))]
right = {3, 4, 5, 8, 9, 10}
for k, l in enumerate(out):
    print("  ".join(str(c).rjust(w[i]) if i in right else str(c).ljust(w[i])
                    for i, c in enumerate(l)).rstrip())
    if k == 0:
        print("  ".join("-" * x for x in w))

# Targets (bench/README.md).
print()
print("targets:")
checks = []
def add(ok, what):
    checks.append(ok)
    print("  %-4s %s" % ("ok" if ok else ("FAIL" if ok is False else "n/a"),
                         what))
def med(s, c):
    r = get.get((s, c))
    return num(r["median_ms"]) if r else None
for s in sizes:
    f, st = med(s, "/bin/true"), med(s, "tock status")
    if f is not None and st is not None:
        add(st - f <= 0.3, "size %s: tock status %.3f ms is within 0.3 ms of "
            "/bin/true (%+.3f)" % (s, st, st - f))
        nc = med(s, "tock status (no cache)")
        if nc is not None:
            print("  info size %s: tock status with no cache (first prompt "
                  "after a write) %.3f ms (%+.3f)" % (s, nc, nc - f))
def writes(s):
    return [r["command"] for r in rows if r["size"] == s and
            r["command"].startswith(("tock start", "tock stop", "tock add"))]
for s in sizes:
    for c in writes(s):
        m = med(s, c)
        if m is None:
            add(False, "size %s: %s did not run" % (s, c))
            continue
        add(m <= 2.0, "size %s: %s %.3f ms <= 2 ms" % (s, c, m))
        rn = ref_name(c)
        if rn and rn.startswith("timew"):
            rm = med(s, rn)
            if rm is not None:
                add(m <= rm, "size %s: %s %.3f ms no slower than %s %.3f ms"
                    % (s, c, m, rn, rm))
if len(sizes) > 1:
    lo, hi = sizes[0], sizes[-1]
    for c in ("tock start", "tock stop", "tock add"):
        a = [med(lo, x) for x in writes(lo) if x.startswith(c)]
        b = [med(hi, x) for x in writes(hi) if x.startswith(c)]
        if a and b and a[0] is not None and b[0] is not None:
            # Flat: the big database costs at most 20% or 0.2 ms more.
            add(b[0] <= max(a[0] * 1.2, a[0] + 0.2),
                "%s flat: %.3f ms at %s, %.3f ms at %s" % (c, a[0], lo, b[0], hi))
for s in sizes:
    if s != "0":
        m = med(s, "tock ls")
        if m is not None:
            add(m <= 5.0, "size %s: tock ls (1000 open tasks) %.3f ms <= 5 ms"
                % (s, m))
if os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2]):
        s, c, k = line.rstrip("\n").split("\t")
        add(int(k or 0) > 0, "size %s: %s is durable (%s fsync/fdatasync "
            "before it returns)" % (s, c, k))
else:
    add(None, "durability not checked (no strace)")
worst = max(((num(r["rss_kb"]) or 0, r["command"], r["size"]) for r in rows
             if r["tool"] == "tock"), default=None)
if worst:
    add(worst[0] <= 8192, "peak RSS of every tock command <= 8 MB "
        "(largest: %s at size %s, %d KB)" % (worst[1], worst[2], worst[0]))
print()
print("%d of %d targets met" % (sum(1 for c in checks if c),
                                 sum(1 for c in checks if c is not None)))
PY
} | tee "$OUT/table.txt"
say ""
say "bench: done in $(($(date +%s) - T0)) s; results in $OUT" \
    "(table.txt, results.tsv, json/)"
