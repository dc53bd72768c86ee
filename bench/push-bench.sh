#!/bin/sh
# push-bench.sh - POST /api/v1/sync/push throughput and latency.
#
#   sh bench/push-bench.sh build-rel/server/tock-server [RUNS] [BATCHES] [OPS] [MODE]
#
# Starts a throw-away PostgreSQL and tock-server (tests/server/lib.sh),
# registers a user, and per run pushes BATCHES batches of OPS ops, on one
# keep-alive connection, then 50 one-op pushes.  MODE creates (default):
# half task creates, half manual time entries on those tasks.  MODE sets:
# 1,000 tasks created untimed first, then title/status sets (alternating)
# on tasks picked at random among them, so a batch hits some task twice.  Prints, for the median run by total
# time: ops/s, total ms, ms per batch (median and max) and the one-op
# push's median ms.  Use a Release build.
TOCK_TEST_LIB=$(cd "$(dirname "$0")/../tests/server" && pwd)/lib.sh
RUNS=${2:-5}
BATCHES=${3:-20}
OPS=${4:-500}
MODE=${5:-creates}
. "$TOCK_TEST_LIB"

standard_setup TOCK_RATE_USER=1000000/60
user bench
login bench@example.com password-bench
[ "$STATUS" = 200 ] || fatal "login: $STATUS $OUT"
DEV=$(jget "d['device_id']")

python3 - "$BASE" "$TOKEN" "$DEV" "$WS_bench" "$RUNS" "$BATCHES" "$OPS" "$MODE" <<'EOF'
import http.client, json, random, statistics, sys, time, uuid, urllib.parse

base, token, dev, ws, runs, batches, nops, mode = sys.argv[1:9]
runs, batches, nops = int(runs), int(batches), int(nops)
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
seq = 0
node = "%016x" % 0xbe4c4

def hlc(ms, c):
    return "%012x%04x-%s" % (ms, c & 0xffff, node)

def push(ops):
    body = json.dumps({"v": 1, "schema": 1, "device_id": dev,
                       "results_acked_through": seq, "ops": ops})
    t0 = time.perf_counter()
    conn.request("POST", "/api/v1/sync/push", body, hdr)
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        sys.exit("push: %d %s" % (r.status, data[:300]))
    d = json.loads(data)
    bad = [x for x in d["results"] if x["status"] != "applied"]
    if bad:
        sys.exit("push: not applied: %s" % bad[:2])
    return dt

def op(e, eid, kind, fields, ms, c):
    global seq
    seq += 1
    return {"seq": seq, "id": str(uuid.uuid4()), "scope": ws, "e": e,
            "eid": eid, "kind": kind, "hlc": hlc(ms, c), "fields": fields}

tasks = []
if mode == "sets":
    now = int(time.time() * 1000) - 1000
    for b in range(2):
        ops = []
        for i in range(500):
            tasks.append(str(uuid.uuid4()))
            ops.append(op("task", tasks[-1], "create",
                          {"title": "set target %d" % len(tasks)}, now, i))
        push(ops)
elif mode != "creates":
    sys.exit("mode: creates or sets")
rnd = random.Random(1)
statuses = ["todo", "in_progress", "done", "cancelled"]

results = []
for run in range(runs):
    per = []
    for b in range(batches):
        ops = []
        now = int(time.time() * 1000) - 1000
        start = now - 86400000 * (run + 1) + b * 3600000
        if mode == "sets":
            for i in range(nops):
                f = ({"title": "t %d.%d.%d" % (run, b, i)} if i % 2 == 0
                     else {"status": statuses[rnd.randrange(4)]})
                ops.append(op("task", rnd.choice(tasks), "set", f, now, i))
            per.append(push(ops))
            continue
        for i in range(nops // 2):
            t = str(uuid.uuid4())
            ops.append(op("task", t, "create",
                          {"title": "bench task %d.%d.%d" % (run, b, i),
                           "status": "todo"}, now, 2 * i))
            ops.append(op("time_entry", str(uuid.uuid4()), "create",
                          {"task_id": t, "origin": "manual",
                           "start_time": start + i * 1000,
                           "end_time": start + i * 1000 + 500,
                           "notes": "bench"}, now, 2 * i + 1))
        per.append(push(ops))
    one = []
    for i in range(50):
        now = int(time.time() * 1000) - 1000
        one.append(push([op("task", str(uuid.uuid4()), "create",
                            {"title": "one %d" % i}, now, i)]))
    total = sum(per)
    results.append((total, per, one))
    print("run %d (%s): %d ops in %.0f ms (%.0f ops/s), batch median %.1f ms max %.1f ms, one-op median %.2f ms"
          % (run + 1, mode, batches * nops, total * 1000, batches * nops / total,
             statistics.median(per) * 1000, max(per) * 1000,
             statistics.median(one) * 1000))
results.sort(key=lambda r: r[0])
total, per, one = results[len(results) // 2]
print("median of %d runs: %d ops in %.0f ms = %.0f ops/s; ms per batch of %d: median %.1f, max %.1f; one-op push: median %.2f ms"
      % (runs, batches * nops, total * 1000, batches * nops / total, nops,
         statistics.median(per) * 1000, max(per) * 1000,
         statistics.median(one) * 1000))
EOF
rc=$?
[ $rc -eq 0 ] || fatal "bench failed"
exit 0
