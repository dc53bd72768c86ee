#!/bin/sh
# sync-bench.sh - how fast tock syncs, end to end, beside Taskwarrior's
# published figures.
#
#   sh bench/sync-bench.sh
#   BUILD_DIR=build-e2e sh bench/sync-bench.sh
#
# variable        default   what
# BUILD_DIR       build one a build tree with tock, tock-syncd, tock-server
#                           (else a Release build in bench/out/sync-build)
# BENCH_RUNS      20        runs of each `tock sync` figure (median)
# BENCH_PUSH      10000     offline tasks pushed by one `tock sync`
# BENCH_SNAP      100000    tasks in the workspace a fresh replica snapshots
# BENCH_EDITS     100       edits timed from A's CLI to B's SQLite
# BENCH_WS        500       extra idle WebSocket clients for the second
#                           latency run (needs tests/helpers/wsclient.py)
#
# A throw-away PostgreSQL 15 cluster with fsync and synchronous_commit ON
# (a push counts only when durable), one tock-server, replicas in temporary
# homes (tests/sync/lib.sh).  Measured:
#   tock sync, nothing to do           median ms   (Taskwarrior: 73 ms)
#   tock sync, one change              median ms   (Taskwarrior: 79 ms)
#   first push of BENCH_PUSH tasks     s           (Taskwarrior: 184 ms for 10,000)
#   snapshot of BENCH_SNAP tasks into a fresh replica (login + first sync), s
#   edit on A -> visible in B's SQLite, daemons running, p50/p99 ms, alone
#   and with BENCH_WS other WebSocket clients connected
#   tock-syncd idle RSS (VmRSS), KiB
# Not part of the test suite.  Everything is removed on exit.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=${BENCH_RUNS:-20}
NPUSH=${BENCH_PUSH:-10000}
NSNAP=${BENCH_SNAP:-100000}
NEDITS=${BENCH_EDITS:-100}
NWS=${BENCH_WS:-500}

if [ -z "${BUILD_DIR:-}" ]; then
	BUILD_DIR=$ROOT/bench/out/sync-build
	mkdir -p "$ROOT/bench/out"
	echo "building Release in $BUILD_DIR" >&2
	cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
	    >"$ROOT/bench/out/sync-build.log" 2>&1 &&
	    cmake --build "$BUILD_DIR" -j2 >>"$ROOT/bench/out/sync-build.log" 2>&1 ||
		{ echo "build failed: see bench/out/sync-build.log" >&2; exit 1; }
fi
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$(pwd)/$BUILD_DIR ;; esac
export TOCK=$BUILD_DIR/cli/tock TOCK_SYNCD=$BUILD_DIR/syncd/tock-syncd
export TOCK_TEST_LIB=$ROOT/tests/server/lib.sh TOCK_SRC=$ROOT
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
for b in "$TOCK" "$TOCK_SYNCD" "$BUILD_DIR/server/tock-server"; do
	[ -x "$b" ] || { echo "missing $b" >&2; exit 1; }
done

# The harness wants the server as $1 and gives us pg_start, replicas,
# daemons, sql/rsql and the clean-up trap.
set -- "$BUILD_DIR/server/tock-server"
. "$ROOT/tests/sync/lib.sh"
# Durable commits, as in production (the tests turn them off for speed).
pg_ctl_start() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w -t 60 \
	    -o "-p $PGPORT -k $TMP/sock -c listen_addresses=127.0.0.1 \
-c fsync=on -c synchronous_commit=on -c max_connections=300 \
-c shared_buffers=256MB" start >/dev/null 2>&1
}
standard_setup TOCK_RATE_AUTH=1000000/60 TOCK_RATE_USER=1000000/60 \
    TOCK_RATE_IP=1000000/60

# median_ms CMD...: run CMD $RUNS times in replica $R, print the median ms.
median_ms() {
	_i=0
	: >"$TMP/times"
	while [ "$_i" -lt "$RUNS" ]; do
		[ -z "${BEFORE:-}" ] || eval "$BEFORE"
		_t0=$(date +%s%N)
		as "$R" "$@" >/dev/null 2>"$TMP/bench.err" ||
			{ echo "failed: $* ($(cat "$TMP/bench.err"))" >&2; exit 1; }
		_t1=$(date +%s%N)
		echo $(((_t1 - _t0) / 1000)) >>"$TMP/times"
		_i=$((_i + 1))
	done
	sort -n "$TMP/times" | awk '{ v[NR] = $1 } END {
	    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%.1f\n", m / 1000 }'
}

# secs CMD...: one timed run in replica $R, seconds.
secs() {
	_t0=$(date +%s%N)
	as "$R" "$@" >/dev/null 2>"$TMP/bench.err" ||
		{ echo "failed: $* ($(cat "$TMP/bench.err"))" >&2; exit 1; }
	_t1=$(date +%s%N)
	awk -v d=$((_t1 - _t0)) 'BEGIN { printf "%.2f\n", d / 1e9 }'
}

# gen_tasks FILE N: a Taskwarrior export of N pending tasks.
gen_tasks() {
	python3 - "$1" "$2" <<'EOF'
import json, sys, uuid
n = int(sys.argv[2])
json.dump([{"uuid": str(uuid.UUID(int=(i + 1) * 7919 + (n << 64))),
            "description": "Bench task %d" % i, "status": "pending",
            "entry": "20260101T000000Z"} for i in range(n)],
          open(sys.argv[1], "w"))
EOF
}

ensure_user alice@example.com
fast_password alice@example.com password-alice

echo "== tock sync (median of $RUNS)" >&2
replica a
login_replica a alice@example.com
as a tock add "Bench edit target" >/dev/null
as a tock sync >/dev/null 2>&1
T=$(rsql a "SELECT id FROM tasks WHERE title = 'Bench edit target'")
R=a
NOTHING=$(median_ms tock sync)
N=0
BEFORE='N=$((N + 1)); as a tock edit "$T" --title "Edit $N" >/dev/null'
ONE=$(median_ms tock sync)
BEFORE=

echo "== push of $NPUSH offline tasks" >&2
replica p
login_replica p alice@example.com
as p tock sync >/dev/null 2>&1
gen_tasks "$TMP/push.json" "$NPUSH"
as p tock import taskwarrior "$TMP/push.json" >/dev/null ||
	{ echo "import failed" >&2; exit 1; }
R=p
PUSH=$(secs tock sync)
left=$(rsql p "SELECT count(*) FROM outbox")
[ "$left" = 0 ] || echo "warning: $left ops left after the push" >&2

echo "== snapshot of a $NSNAP-task workspace" >&2
# Seeded the way users fill it: a replica imports and pushes (timed too).
token_as alice@example.com
api POST /api/v1/workspaces '{"name":"big"}'
BIG=$(jget "d['id']")
replica s
login_replica s alice@example.com
as s tock sync >/dev/null 2>&1
as s tock workspace use "$BIG" >/dev/null
gen_tasks "$TMP/snap.json" "$NSNAP"
as s tock import taskwarrior "$TMP/snap.json" >/dev/null ||
	{ echo "import failed" >&2; exit 1; }
R=s
SEEDPUSH=$(secs tock sync)
while [ "$(rsql s "SELECT count(*) FROM outbox")" != 0 ]; do
	as s tock sync >/dev/null 2>&1 || break
done
replica f
_t0=$(date +%s%N)
login_replica f alice@example.com
R=f
SNAPSYNC=$(secs tock sync)
_t1=$(date +%s%N)
SNAP=$(awk -v d=$((_t1 - _t0)) 'BEGIN { printf "%.2f\n", d / 1e9 }')
got=$(rsql f "SELECT count(*) FROM tasks WHERE workspace_id = '$BIG'")
[ "$got" = "$NSNAP" ] || echo "warning: fresh replica has $got of $NSNAP tasks" >&2

# latency: edits on a, polled in b's SQLite (python: 1 ms polling).
latency() {
	python3 - "$TOCK" "$TMP/r/a" "$TMP/r/b/tock.db" "$T" "$NEDITS" "$1" <<'EOF'
import os, sqlite3, subprocess, sys, time
tock, adir, bdb, task, n, tag = sys.argv[1:7]
env = dict(os.environ, HOME=adir + "/home", XDG_DATA_HOME=adir + "/data",
           XDG_CONFIG_HOME=adir + "/config", XDG_RUNTIME_DIR=adir + "/run",
           TOCK_DB=adir + "/tock.db")
env.pop("DBUS_SESSION_BUS_ADDRESS", None)
con = sqlite3.connect(bdb, timeout=30, isolation_level=None)
lat = []
for i in range(int(n)):
    title = "Latency %s %d" % (tag, i)
    t0 = time.monotonic()
    subprocess.run([tock, "edit", task, "--title", title], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    deadline = t0 + 30
    while time.monotonic() < deadline:
        r = con.execute("SELECT title FROM tasks WHERE id = ?",
                        (task,)).fetchone()
        if r and r[0] == title:
            break
        time.sleep(0.001)
    else:
        print("timeout", "timeout")
        sys.exit(0)
    lat.append((time.monotonic() - t0) * 1000)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("%.1f %.1f" % (p(0.50), p(0.99)))
EOF
}

echo "== edit-to-visible latency ($NEDITS edits)" >&2
replica b
login_replica b alice@example.com
as b tock sync >/dev/null 2>&1
syncd_start a
syncd_start b
wait_online a
wait_online b
LAT=$(latency alone)
WSLAT="- -"
WSNOTE="(no tests/helpers/wsclient.py)"
if [ -f "$HELPERS/wsclient.py" ]; then
	python3 - "$HELPERS" "$SRVPORT" "$NWS" "$TMP/ws.ready" <<'EOF' &
import sys, time
sys.path.insert(0, sys.argv[1])
from wsclient import WSClient
import json, urllib.request
port, n, ready = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
req = urllib.request.Request("http://127.0.0.1:%d/api/v1/auth/login" % port,
    data=json.dumps({"email": "alice@example.com",
                     "password": "password-alice"}).encode(),
    headers={"Content-Type": "application/json"})
tok = json.load(urllib.request.urlopen(req))["access_token"]
conns = []
for i in range(n):
    c = WSClient("127.0.0.1", port, token=tok)
    c.send_json({"t": "hello", "v": 1, "scopes": {}})
    conns.append(c)
open(ready, "w").write("%d\n" % len(conns))
time.sleep(3600)    # idle holders; killed by the bench when it is done
EOF
	WSPID=$!
	# Killed by the harness too if the bench dies before its own kill.
	BG_PIDS="$BG_PIDS $WSPID"
	dl=$(ms_deadline 120)
	while [ ! -s "$TMP/ws.ready" ] && kill -0 "$WSPID" 2>/dev/null &&
	    ms_before "$dl"; do
		sleep 0.1
	done
	if [ -s "$TMP/ws.ready" ]; then
		WSLAT=$(latency ws)
		WSNOTE="($(cat "$TMP/ws.ready") other WebSocket clients)"
	else
		WSNOTE="(could not connect $NWS WebSocket clients)"
	fi
	kill "$WSPID" 2>/dev/null
	wait "$WSPID" 2>/dev/null
fi
# Idle RSS once the daemon has nothing to do.
ctl b '{"cmd":"sync"}' >/dev/null
RSS=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$SYNCD_PID_b/status")
syncd_stop a
syncd_stop b

set -- $LAT
P50=$1 P99=$2
set -- $WSLAT
WP50=$1 WP99=$2
printf '\n%-46s %12s   %s\n' "figure" "tock" "Taskwarrior (published)"
printf '%-46s %9s ms   %s\n' "tock sync, nothing to do (median)" "$NOTHING" "73 ms"
printf '%-46s %9s ms   %s\n' "tock sync, one change (median)" "$ONE" "79 ms"
printf '%-46s %10s s   %s\n' "first push of $NPUSH offline tasks" "$PUSH" "184 ms (10,000 tasks)"
printf '%-46s %10s s   %s\n' "push of $NSNAP tasks (seeding the snapshot)" "$SEEDPUSH" "-"
printf '%-46s %10s s   %s\n' "fresh replica: login + snapshot of $NSNAP tasks" "$SNAP" "-"
printf '%-46s %10s s   %s\n' "  then the first tock sync (login snapshots)" "$SNAPSYNC" "-"
printf '%-46s %5s/%5s ms  %s\n' "edit A -> B's SQLite p50/p99, daemons" "$P50" "$P99" "-"
printf '%-46s %5s/%5s ms  %s\n' "  the same with other clients" "$WP50" "$WP99" "$WSNOTE"
printf '%-46s %8s KiB   %s\n' "tock-syncd idle RSS" "$RSS" "-"
