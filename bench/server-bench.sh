#!/bin/bash
# server-bench.sh - tock-server's throughput, latency, CPU and memory under
# wrk, beside the previous build's (so a regression shows as a ratio).
#
#   bash bench/server-bench.sh
#   SERVER_BIN=/path/tock-server PREV_SERVER_BIN=/path/old bash bench/server-bench.sh
#
# variable          default       what
# SERVER_BIN        build one     the tock-server to measure (else a Release
#                                 build in bench/out/server-build)
# PREV_SERVER_BIN   none          a previous build, run the same way
# BENCH_DURATION    10s           each wrk run
# BENCH_THREADS     2             wrk threads
# BENCH_CONNS       50            wrk connections
# BENCH_TASKS       10000         tasks seeded before the GET run
#
# Each build gets its own throw-away PostgreSQL 15 cluster (the set-up of
# tests/server/lib.sh, sourced, but with fsync and synchronous_commit ON:
# a POST counts only when it is durable), migrated, one registered user,
# BENCH_TASKS tasks seeded with their change-log rows.  Then:
#   GET  /api/v1/tasks?workspace_id=W&page=N   pages 1..40 spread over the
#        connections (page of 25 with total);
#   POST /api/v1/tasks                          JSON body, bearer token.
# Reported: requests/s, p99 (wrk --latency), non-2xx and socket errors,
# server CPU per request (utime+stime of /proc/PID/stat over the run),
# idle RSS (VmRSS after start-up) and peak RSS (VmHWM at the end).
# Not part of the test suite.  Everything is removed on exit.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
DUR=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-50}
NTASKS=${BENCH_TASKS:-10000}
CLK=$(getconf CLK_TCK)

if ! command -v wrk >/dev/null 2>&1; then
	echo "installing wrk" >&2
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null ||
			{ echo "cannot install wrk" >&2; exit 1; }
	else
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
		    >/dev/null || { echo "cannot install wrk" >&2; exit 1; }
	fi
fi

if [ -z "${SERVER_BIN:-}" ]; then
	B=$ROOT/bench/out/server-build
	echo "building Release tock-server in $B" >&2
	cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release \
	    -DTOCK_BUILD_TESTS=OFF >"$ROOT/bench/out/server-build.log" 2>&1 &&
	    cmake --build "$B" -j2 --target tock-server \
	    >>"$ROOT/bench/out/server-build.log" 2>&1 ||
		{ echo "build failed: see bench/out/server-build.log" >&2; exit 1; }
	SERVER_BIN=$B/server/tock-server
fi
PREV=${PREV_SERVER_BIN:-}

# lib.sh wants the server as $1 and gives us pg_start, server_migrate,
# server_start, api, register/login, sql and the clean-up trap.
set -- "$SERVER_BIN"
. "$ROOT/tests/server/lib.sh"
# Durable commits, as in production (lib.sh turns them off for speed).
pg_ctl_start() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w -t 60 \
	    -o "-p $PGPORT -k $TMP/sock -c listen_addresses=127.0.0.1 \
-c fsync=on -c synchronous_commit=on -c max_connections=300 \
-c shared_buffers=128MB" start >/dev/null 2>&1
}

# cpu_ticks PID: utime + stime.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
vm() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

cat >"$TMP/post.lua" <<'EOF'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
	n = n + 1
	local body = '{"title":"Bench task ' .. n .. '","description":"wrk",' ..
	    '"status":"todo","workspace_id":"' .. os.getenv("BENCH_WS") .. '"}'
	return wrk.format("POST", "/api/v1/tasks", nil, body)
end
EOF
cat >"$TMP/get.lua" <<'EOF'
local pages = 40
local n = 0
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
setup = function(thread)
	thread:set("id", math.random(1, 1000))
end
request = function()
	n = n + 1
	local page = ((n * 7 + (id or 0)) % pages) + 1
	return wrk.format("GET", "/api/v1/tasks?workspace_id=" ..
	    os.getenv("BENCH_WS") .. "&page=" .. page)
end
EOF
for f in post get; do
	cat >>"$TMP/$f.lua" <<'EOF'
local errors = 0
response = function(status, headers, body)
	if status < 200 or status > 299 then
		errors = errors + 1
		if errors <= 3 then io.stderr:write("non-2xx " .. status .. ": " ..
		    body:sub(1, 200) .. "\n") end
	end
end
done = function(summary, latency, requests)
	io.write(string.format("BENCH rps=%.1f p99us=%d reqs=%d errs=%d\n",
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(99), summary.requests,
	    summary.errors.connect + summary.errors.read + summary.errors.write +
	    summary.errors.status + summary.errors.timeout))
end
EOF
done
chmod -R a+rX "$TMP"

# run_one LABEL BIN: a fresh cluster and server; appends to $TMP/results.
run_one() {
	_label=$1
	SERVER=$2
	pg_start
	server_migrate
	server_start TOCK_RATE_USER=1000000/1 TOCK_RATE_IP=1000000/1
	register bench@example.com password-bench Bench
	login bench@example.com password-bench
	[ -n "$TOKEN" ] || fatal "login failed: $OUT"
	api GET /api/v1/me
	WS=$(jget "d['default_workspace_id']")
	# Seed through SQL: tasks plus their change-log rows and the scope's
	# last_seq, as REST writes would have left them.
	sql "BEGIN;
INSERT INTO tasks (id, workspace_id, title, created_by, fhlc, last_seq)
 SELECT gen_random_uuid(), '$WS', 'Seeded task ' || g, '$USER_ID',
 '{\"title\":\"0000000000000001-0000000000000001\"}', s.last_seq + g
 FROM generate_series(1, $NTASKS) g, scopes s WHERE s.id = '$WS';
INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id, entity,
 entity_id, kind, fields, fhlc)
 SELECT workspace_id, last_seq, last_seq, created_by, 1, id, 1,
 json_build_object('title', title), fhlc FROM tasks
 WHERE workspace_id = '$WS';
UPDATE scopes SET last_seq = (SELECT max(last_seq) FROM tasks
 WHERE workspace_id = '$WS') WHERE id = '$WS';
COMMIT" >/dev/null && sql "VACUUM ANALYZE" >/dev/null ||
		fatal "seeding failed"
	export BENCH_TOKEN=$TOKEN BENCH_WS=$WS
	sleep 1
	_idle=$(vm "$SERVER_PID" VmRSS)
	# Warm up (connections, caches), then measure.
	wrk -t "$THREADS" -c "$CONNS" -d 2s -s "$TMP/get.lua" "$BASE" >/dev/null 2>&1
	for kind in get post; do
		_c0=$(cpu_ticks "$SERVER_PID")
		wrk -t "$THREADS" -c "$CONNS" -d "$DUR" --latency \
		    -s "$TMP/$kind.lua" "$BASE" >"$TMP/wrk-$_label-$kind.out" 2>&1
		_c1=$(cpu_ticks "$SERVER_PID")
		_line=$(grep '^BENCH ' "$TMP/wrk-$_label-$kind.out")
		[ -n "$_line" ] || { cat "$TMP/wrk-$_label-$kind.out" >&2; fatal "wrk $kind failed"; }
		eval "$(echo "$_line" | sed 's/^BENCH //')"
		_cpu=$(python3 -c "print(round(($_c1 - $_c0) * 1e6 / $CLK / max($reqs, 1), 1))")
		printf '%s %s %s %s %s %s\n' "$_label" "$kind" "$rps" "$p99us" \
		    "$errs" "$_cpu" >>"$TMP/results"
		grep -h 'non-2xx' "$TMP/wrk-$_label-$kind.out" | head -3 >&2
	done
	_tasks=$(sql "SELECT count(*) FROM tasks")
	_log=$(sql "SELECT count(*) FROM sync_log")
	printf '%s mem %s %s %s %s\n' "$_label" "$_idle" \
	    "$(vm "$SERVER_PID" VmHWM)" "$_tasks" "$_log" >>"$TMP/results"
	server_stop
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
	PG_UP=
	as_pg rm -rf "$TMP/pg" "$TMP/sock"
	rm -f "$TMP/jwt.key"
	TOKEN=
}

: >"$TMP/results"
[ -n "$PREV" ] && run_one prev "$PREV"
run_one new "$SERVER_BIN"

python3 - "$TMP/results" "$NTASKS" <<'EOF'
import sys
rows = {}
mem = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "mem":
        mem[f[0]] = f[2:]
    else:
        rows[(f[0], f[1])] = f[2:]
targets = {"post": (6000, 20, 50), "get": (15000, 20, 50)}
print("%-28s %10s %9s %7s %9s %8s %6s" % ("run", "req/s", "p99 ms",
      "errors", "CPU us/rq", "vs prev", "target"))
for kind, name in (("post", "POST /api/v1/tasks"),
                   ("get", "GET /api/v1/tasks (page 25)")):
    for label in ("prev", "new"):
        if (label, kind) not in rows:
            continue
        rps, p99, errs, cpu = rows[(label, kind)]
        ratio = ""
        ok = ""
        if label == "new":
            if ("prev", kind) in rows:
                ratio = "%.2fx" % (float(rps) / float(rows[("prev", kind)][0]))
            t = targets[kind]
            ok = "ok" if (float(rps) >= t[0] and int(p99) / 1000 <= t[1]
                          and float(cpu) <= t[2] and int(errs) == 0) else "MISS"
        print("%-28s %10.0f %9.2f %7s %9s %8s %6s" % (name + " " + label,
              float(rps), int(p99) / 1000, errs, cpu, ratio, ok))
for label in ("prev", "new"):
    if label in mem:
        idle, peak, tasks, log = mem[label]
        print("%-5s idle RSS %.1f MB, peak RSS %.1f MB; %s tasks, %s change-log "
              "rows at the end%s" % (label, int(idle) / 1024, int(peak) / 1024,
              tasks, log, "  (idle RSS target <= 20 MB: %s)" % (
              "ok" if int(idle) <= 20480 else "MISS") if label == "new" else ""))
print("WebSocket idle memory: not measured (WebSockets are not built yet)")
EOF
FAILS=0
