#!/bin/bash
# snapshot-bench.sh - tock-server's sync read path: a full snapshot of a
# large workspace (SYNC.md 4, P3: >= 50,000 rows/s, 100,000 tasks <= 2 s
# end to end) and the pull that finds nothing new.
#
#   bash bench/snapshot-bench.sh
#   SERVER_BIN=/path/tock-server PREV_SERVER_BIN=/path/old bash bench/snapshot-bench.sh
#
# variable          default       what
# SERVER_BIN        build one     the tock-server to measure (else a Release
#                                 build in bench/out/server-build)
# PREV_SERVER_BIN   none          a previous build, run the same way first
# BENCH_TASKS       100000        tasks seeded in the workspace
# BENCH_LIMITS      "2000 5000"   snapshot page sizes to walk (2000 is what
#                                 common/sync.c asks for)
# BENCH_WALKS       3             full walks per page size (median shown)
# BENCH_PULLS       200           no-op pulls (median and p99 shown)
#
# Each build gets its own throw-away PostgreSQL 15 cluster (tests/server/
# lib.sh, sourced), migrated, one user, a team workspace with a second
# member, and BENCH_TASKS tasks seeded with SQL as pushes would leave them:
# per-field clocks, metadata on every tenth task, one create row each in
# sync_log and the scope's last_seq at the end of the log.  Then:
#   snapshot  the page walk by token with curl, one process per page as
#             a shell client would (wall time; rows/s = rows / wall);
#             server time = the sum of curl's time_total;
#   pull      POST /api/v1/sync/pull at head (nothing new) over one
#             keep-alive connection (python3 http.client).
# Not part of the test suite.  Everything is removed on exit.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
NTASKS=${BENCH_TASKS:-100000}
LIMITS=${BENCH_LIMITS:-2000 5000}
WALKS=${BENCH_WALKS:-3}
PULLS=${BENCH_PULLS:-200}

if [ -z "${SERVER_BIN:-}" ]; then
	B=$ROOT/bench/out/server-build
	mkdir -p "$ROOT/bench/out"
	echo "building Release tock-server in $B" >&2
	cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release \
	    -DTOCK_BUILD_TESTS=OFF >"$ROOT/bench/out/server-build.log" 2>&1 &&
	    cmake --build "$B" -j2 --target tock-server \
	    >>"$ROOT/bench/out/server-build.log" 2>&1 ||
		{ echo "build failed: see bench/out/server-build.log" >&2; exit 1; }
	SERVER_BIN=$B/server/tock-server
fi
PREV=${PREV_SERVER_BIN:-}

set -- "$SERVER_BIN"
. "$ROOT/tests/server/lib.sh"
# Production-like: durable commits and room for the workspace in memory.
pg_ctl_start() {
	as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w -t 60 \
	    -o "-p $PGPORT -k $TMP/sock -c listen_addresses=127.0.0.1 \
-c fsync=on -c synchronous_commit=on -c max_connections=300 \
-c shared_buffers=256MB" start >/dev/null 2>&1
}

# seed: BENCH_TASKS tasks in $TEAM with their log rows, in one
# transaction, then VACUUM ANALYZE so plans see the real sizes.
seed() {
	# Acting as the creator keeps the assignment trigger quiet (no 50,000
	# notifications for tasks assigned to oneself).
	sql "BEGIN;
SELECT set_config('tock.user_id', '$ID_bench', true);
CREATE TEMP TABLE h AS SELECT lpad(to_hex((floor(extract(epoch FROM now())
 * 1000)::bigint - 86400000) << 16), 16, '0') || '-00000000000000a1' AS c;
INSERT INTO tasks (id, workspace_id, title, description, status,
 assignee_id, created_by, due_date, metadata, fhlc, last_seq)
 SELECT gen_random_uuid(), '$TEAM', 'Seeded task ' || g,
 CASE WHEN g % 3 = 0 THEN 'Some description of task ' || g ELSE '' END,
 (ARRAY['todo', 'in_progress', 'done'])[g % 3 + 1],
 CASE WHEN g % 2 = 0 THEN '$ID_bench'::uuid END, '$ID_bench',
 CASE WHEN g % 5 = 0 THEN date '2030-01-01' + g % 365 END,
 CASE WHEN g % 10 = 0 THEN jsonb_build_object('priority', g % 4,
  'tag', 'bench') ELSE '{}' END,
 (SELECT jsonb_object_agg(f, h.c) FROM h, unnest(ARRAY['workspace_id',
  'title', 'description', 'status', 'assignee_id', 'created_by',
  'created_at', 'updated_at', 'due_date', 'deleted'] ||
  CASE WHEN g % 10 = 0 THEN ARRAY['metadata.priority', 'metadata.tag']
  ELSE '{}'::text[] END) f),
 s.last_seq + g
 FROM generate_series(1, $NTASKS) g, scopes s WHERE s.id = '$TEAM';
INSERT INTO sync_log (scope_id, seq, tx_last_seq, user_id, entity,
 entity_id, kind, fields, fhlc)
 SELECT t.workspace_id, t.last_seq, t.last_seq, t.created_by, 1, t.id, 1,
 jsonb_build_object('workspace_id', t.workspace_id, 'title', t.title,
 'description', t.description, 'status', t.status, 'assignee_id',
 t.assignee_id, 'created_by', t.created_by, 'due_date', t.due_date),
 t.fhlc FROM tasks t WHERE t.workspace_id = '$TEAM' AND t.last_seq > 0;
UPDATE scopes SET last_seq = (SELECT max(seq) FROM sync_log
 WHERE scope_id = '$TEAM'), updated_at = now() WHERE id = '$TEAM';
COMMIT" >/dev/null && sql "VACUUM ANALYZE" >/dev/null ||
		fatal "seeding failed"
}

# walk LIMIT: one full snapshot; prints "pages rows wall_s server_s".
walk() {
	python3 - "$BASE" "$TOKEN" "$TEAM" "$1" <<'EOF'
import json, subprocess, sys, time
base, tok, scope, limit = sys.argv[1:]
token, pages, rows, srv = "", 0, 0, 0.0
t0 = time.monotonic()
while True:
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code} %{time_total}",
        "-H", "Authorization: Bearer " + tok,
        "%s/api/v1/sync/snapshot?scope=%s&limit=%s&token=%s" %
        (base, scope, limit, token)], capture_output=True, check=True).stdout
    body, _, tail = out.rpartition(b"\n")
    code, tt = tail.split()
    if code != b"200":
        sys.exit("snapshot page %d: %s %s" % (pages, code, body[:200]))
    d = json.loads(body)
    pages += 1
    rows += len(d["rows"])
    srv += float(tt)
    if d["done"]:
        break
    token = d["token"]
print(pages, rows, time.monotonic() - t0, srv)
EOF
}

# pulls: N no-op pulls on one connection; prints "median_ms p99_ms".
pulls() {
	python3 - "$SRVPORT" "$TOKEN" "$TEAM" "$HEAD" "$PULLS" <<'EOF'
import http.client, json, statistics, sys, time
port, tok, scope, head, n = sys.argv[1:]
body = json.dumps({"v": 1, "schema": 1,
    "scopes": [{"id": scope, "cursor": int(head)}]})
hdr = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", int(port))
ts = []
for i in range(int(n) + 20):
    t0 = time.perf_counter()
    c.request("POST", "/api/v1/sync/pull", body, hdr)
    r = c.getresponse()
    d = r.read()
    t = time.perf_counter() - t0
    if r.status != 200 or json.loads(d)["scopes"][0]["changes"] != []:
        sys.exit("pull: %d %s" % (r.status, d[:200]))
    if i >= 20:     # the first ones warm the connection and plan caches
        ts.append(t * 1000)
ts.sort()
print("%.3f %.3f" % (statistics.median(ts), ts[int(len(ts) * 0.99) - 1]))
EOF
}

# run_one LABEL BIN: a fresh cluster and server; appends to $TMP/results.
run_one() {
	_label=$1
	SERVER=$2
	pg_start
	server_migrate
	server_start TOCK_RATE_USER=1000000/1 TOCK_RATE_IP=1000000/1
	user member
	user bench
	api POST /api/v1/workspaces '{"name":"Big"}'
	[ "$STATUS" = 201 ] || fatal "create workspace: $STATUS $OUT"
	TEAM=$(jget "d['id']")
	api POST "/api/v1/workspaces/$TEAM/members" \
	    '{"email":"member@example.com","role":"member"}'
	[ "$STATUS" = 201 ] || fatal "add member: $STATUS $OUT"
	seed
	HEAD=$(sql "SELECT last_seq FROM scopes WHERE id = '$TEAM'")
	walk 2000 >/dev/null || fatal "warm-up walk failed"
	for _lim in $LIMITS; do
		for _i in $(seq "$WALKS"); do
			_r=$(walk "$_lim") || fatal "walk failed"
			echo "$_label snap$_lim $_r" >>"$TMP/results"
		done
	done
	_r=$(pulls) || fatal "pulls failed"
	echo "$_label pull $_r" >>"$TMP/results"
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
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault((f[0], f[1]), []).append([float(x) for x in f[2:]])
print("%-6s %-10s %6s %8s %9s %9s %10s" % ("build", "what", "pages",
    "rows", "wall s", "server s", "rows/s"))
ok = True
for (label, what), rs in runs.items():
    if what == "pull":
        med, p99 = rs[0]
        print("%-6s %-10s no-op pull: median %.3f ms, p99 %.3f ms"
              " (client round trip, keep-alive)" % (label, what, med, p99))
        continue
    r = sorted(rs, key=lambda x: x[2])[len(rs) // 2]
    pages, rows, wall, srv = r
    print("%-6s %-10s %6d %8d %9.3f %9.3f %10.0f" % (label, what, pages,
        rows, wall, srv, rows / wall))
    if label == "new" and rows / wall < 50000:
        ok = False
print("target P3 (>= 50,000 rows/s server side): %s" %
      ("met" if ok else "MISSED"))
EOF
