#!/usr/bin/env python3
"""simsync.py - the seeded randomized sync simulation (SYNC.md 3.17).

  simsync.py SEED [COUNT]     run seeds SEED .. SEED+COUNT-1

For each seed: a fresh workspace on the server (Alice admin, Bob lead) and
three fresh replicas (r0 and r1 are Alice's devices, r2 is Bob's), which
log in through a private fault-injecting proxy (tcpproxy.py).  Then a few
dozen random steps: offline edits (add, edit title/status, start/stop
timers, track, comment, rm/restore) interleaved with `tock sync` runs under
random faults (connection drops, random cuts, stalls that resume, and
SIGKILL of a sync stalled before or after the server committed).  Finally
everything syncs until quiescent and the properties are checked:
  convergence      every replica's visible tasks/entries/comments of the
                   workspace equal the server's, by id and fields;
  no lost write    every field an op wrote (its op_id in sync_log) is
                   still there or superseded by a later clock;
  no duplicates    each entity created once, no row nobody created, no
                   op id logged by two transactions;
  one timer        <= 1 running timer per user, server and every replica;
  nothing dropped  every op ever in an outbox ended applied (in
                   sync_log), superseded (the row's field clocks are not
                   older), quarantined, or folded into a later op of the
                   same entity; outboxes empty.
applied_ops is not used: the server prunes it below the acked watermark.
A failing seed is printed with its violations and a replay command.

Environment (set by tests/sync/t8108-simulation.sh):
  TOCK, TOCK_SYNCD   binaries            SIM_URL     the server's base URL
  SIM_PSQL           psql command line (superuser, -A -t) for the checks
  SIM_DIR            scratch directory   SIM_OPS     steps per seed (30)
  SIM_JOBS           seeds run in parallel worker processes (1)
  SIM_USERS          "alice@x:pw,bob@x:pw" (registered by the caller;
                     workers other than the first register their own
                     copies, alice-wN@x, with the same password hash)
  SIM_VERBOSE        print every step
"""

import json
import multiprocessing
import os
import random
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOCK = os.environ.get("TOCK", "tock")
URL = os.environ.get("SIM_URL", "")
PSQL = shlex.split(os.environ.get("SIM_PSQL", "psql"))
BASEDIR = os.environ.get("SIM_DIR", "/tmp/simsync")
NOPS = int(os.environ.get("SIM_OPS", "30"))
VERBOSE = bool(os.environ.get("SIM_VERBOSE"))
# A sync that hangs this long is itself a failure (the daemon must time out).
SYNC_DEADLINE = float(os.environ.get("SIM_SYNC_DEADLINE", "60"))


class Violation(Exception):
    pass


def log(*a):
    if VERBOSE:
        print(*a, file=sys.stderr, flush=True)


def psql(query):
    """One query as superuser; the text of its single result."""
    p = subprocess.run(PSQL + ["-c", query], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise Violation("psql failed: %s (query: %s)" % (p.stderr.strip(),
                                                         query))
    return p.stdout.strip()


def pg_many(queries):
    """Several queries in one psql run (each run costs a process start):
    {key: query} -> {key: [row objects]}."""
    return json.loads(psql("SELECT json_build_object(%s)" % ", ".join(
        "'%s', (SELECT coalesce(json_agg(q), '[]') FROM (%s) q)" % (k, v)
        for k, v in queries.items())))


def rest(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Proxy:
    """A private tcpproxy.py in front of the server."""

    def __init__(self, wdir, seed):
        self.ctl_path = os.path.join(wdir, "proxy.sock")
        port_file = os.path.join(wdir, "proxy.port")
        target = URL.split("//", 1)[1].rstrip("/")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "tcpproxy.py"),
             "--target", target, "--control", self.ctl_path,
             "--port-file", port_file, "--seed", str(seed)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Violation("tcpproxy.py did not start")
            time.sleep(0.01)
        self.url = "http://127.0.0.1:%s" % open(port_file).read().strip()

    def cmd(self, line):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.ctl_path)
        s.sendall(line.encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        s.close()
        ans = buf.decode().strip()
        if not ans.startswith("ok"):
            raise Violation("proxy %s: %s" % (line, ans))
        return ans[3:]

    def stats(self):
        return json.loads(self.cmd("stats"))

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class Replica:
    def __init__(self, name, root, email, password, uid):
        self.name, self.email, self.password, self.uid = \
            name, email, password, uid
        self.dir = os.path.join(root, name)
        for d in ("home", "data", "config", "cache", "run"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        os.chmod(os.path.join(self.dir, "run"), 0o700)
        self.db = os.path.join(self.dir, "tock.db")
        env = dict(os.environ)
        for k in ("TOCK_TOKEN", "TOCK_CONFIG", "DBUS_SESSION_BUS_ADDRESS",
                  "COLUMNS"):
            env.pop(k, None)
        env.update(HOME=self.dir + "/home", XDG_DATA_HOME=self.dir + "/data",
                   XDG_CONFIG_HOME=self.dir + "/config",
                   XDG_CACHE_HOME=self.dir + "/cache",
                   XDG_RUNTIME_DIR=self.dir + "/run", TOCK_DB=self.db,
                   USER=name, NO_COLOR="1")
        self.env = env
        self.ops = {}           # op_id -> outbox row as first seen
        self.last_seq = 0

    def popen(self, args, **kw):
        return subprocess.Popen([TOCK] + args, env=self.env,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True, **kw)

    def tock(self, *args, stdin=None):
        p = subprocess.run([TOCK] + list(args), env=self.env, input=stdin,
                           capture_output=True, text=True,
                           timeout=SYNC_DEADLINE)
        self.check_crash(args, p.returncode, p.stderr)
        log("  %s: tock %s -> %d %s" % (self.name, " ".join(args),
                                        p.returncode, p.stderr.strip()[:200]))
        return p.returncode, p.stdout, p.stderr

    def check_crash(self, args, rc, err):
        if rc < 0 and rc != -signal.SIGKILL:
            raise Violation("%s: tock %s died of signal %d: %s"
                            % (self.name, " ".join(args), -rc, err))
        if "Sanitizer" in (err or "") or "runtime error:" in (err or ""):
            raise Violation("%s: tock %s: sanitizer report:\n%s"
                            % (self.name, " ".join(args), err))

    def q(self, query, args=()):
        con = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def record_ops(self):
        """Remember every outbox row the replica has written so far."""
        for row in self.q("SELECT seq, op_id, scope, entity, entity_id, kind,"
                          " fields, hlc FROM outbox WHERE seq > ?"
                          " ORDER BY seq", (self.last_seq,)):
            seq, op_id, scope, e, eid, kind, fields, hlc = row
            self.ops.setdefault(op_id, dict(
                seq=seq, scope=scope, e=e, eid=eid, kind=kind,
                fields=json.loads(fields), hlc=hlc))
            self.last_seq = max(self.last_seq, seq)


class Sim:
    def __init__(self, seed, users, tokens, proxy, wdir):
        self.seed = seed
        self.rng = random.Random(seed)
        self.users = users
        self.tokens = tokens
        self.proxy = proxy
        self.root = os.path.join(wdir, "seed-%d" % seed)
        self.n = 0

    def setup(self):
        (a_mail, a_pw, a_uid), (b_mail, b_pw, b_uid) = self.users
        st, ws = rest("POST", "/api/v1/workspaces",
                      {"name": "sim-%d" % self.seed}, self.tokens[0])
        if st != 201:
            raise Violation("create workspace: %d %s" % (st, ws))
        self.ws = ws["id"]
        st, m = rest("POST", "/api/v1/workspaces/%s/members" % self.ws,
                     {"email": b_mail, "role": "lead"}, self.tokens[0])
        if st != 201:
            raise Violation("add bob: %d %s" % (st, m))
        self.reps = [Replica("r0", self.root, a_mail, a_pw, a_uid),
                     Replica("r1", self.root, a_mail, a_pw, a_uid),
                     Replica("r2", self.root, b_mail, b_pw, b_uid)]
        for r in self.reps:
            rc, out, err = r.tock("login", self.proxy.url, "--email",
                                  r.email, "--password-stdin",
                                  stdin=r.password + "\n")
            if rc != 0:
                raise Violation("%s: tock login: %d %s" % (r.name, rc, err))
            rc, out, err = r.tock("sync")
            if rc != 0:
                raise Violation("%s: first sync: %d %s" % (r.name, rc, err))
            rc, out, err = r.tock("workspace", "use", self.ws)
            if rc != 0:
                raise Violation("%s: workspace use: %d %s"
                                % (r.name, rc, err))
            r.record_ops()

    # ---- random steps -----------------------------------------------------

    def tasks(self, r, deleted=0):
        return [t for (t,) in r.q("SELECT id FROM tasks WHERE workspace_id"
                                  " = ? AND deleted = ? ORDER BY id",
                                  (self.ws, deleted))]

    def local_step(self, r):
        rng = self.rng
        live = self.tasks(r)
        self.n += 1
        word = "s%d-%s-%d" % (self.seed, r.name, self.n)
        choice = rng.choices(
            ["add", "title", "status", "start", "stop", "track", "comment",
             "rm", "restore"],
            [4, 3, 2, 3, 2, 2, 2, 1, 1])[0]
        if choice == "add" or not live:
            r.tock("add", "Task " + word)
        elif choice == "title":
            r.tock("edit", rng.choice(live), "--title", "Title " + word)
        elif choice == "status":
            r.tock("edit", rng.choice(live), "--status",
                   rng.choice(["todo", "in_progress", "done", "cancelled"]))
        elif choice == "start":
            r.tock("start", rng.choice(live))
        elif choice == "stop":
            r.tock("stop")
        elif choice == "track":
            r.tock("track", rng.choice(live), "%dm" % rng.randint(1, 90),
                   "--at", "-%dm" % rng.randint(100, 5000))
        elif choice == "comment":
            r.tock("comment", rng.choice(live), "Comment " + word)
        elif choice == "rm":
            r.tock("rm", rng.choice(live))
        else:
            gone = self.tasks(r, 1)
            if gone:
                r.tock("restore", rng.choice(gone))
            else:
                r.tock("add", "Task " + word)
        r.record_ops()

    def wait_proxy(self, p, key, above, deadline=10):
        """Until the proxy counter KEY exceeds ABOVE or the sync ends."""
        end = time.time() + deadline
        while time.time() < end:
            if p.poll() is not None:
                return False
            if self.proxy.stats()[key] > above:
                return True
            time.sleep(0.005)
        return False

    def finish_sync(self, r, p, what):
        try:
            out, err = p.communicate(timeout=SYNC_DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise Violation("%s: tock sync (%s) still running after %g s"
                            % (r.name, what, SYNC_DEADLINE))
        r.check_crash(["sync"], p.returncode, err)
        log("  %s: sync (%s) -> %d %s" % (r.name, what, p.returncode,
                                          err.strip()[:200]))
        return p.returncode, err

    def kill_sync(self, p):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.communicate()

    def sync_step(self, r):
        rng = self.rng
        fault = rng.choices(
            ["none", "drop", "cut", "stall-kill", "hold-kill", "stall-pass"],
            [10, 2, 3, 2, 2, 2])[0]
        px = self.proxy
        if fault == "none":
            rc, out, err = r.tock("sync")
            if rc not in (0, 5):
                raise Violation("%s: tock sync with no fault: exit %d: %s"
                                % (r.name, rc, err))
        elif fault == "drop":
            px.cmd("mode drop")
            rc, out, err = r.tock("sync")
            px.cmd("mode pass")
            if rc == 0:
                raise Violation("%s: tock sync succeeded with the network"
                                " down" % r.name)
        elif fault == "cut":
            px.cmd("cut %g %d" % (rng.choice([0.3, 0.7, 1.0]),
                                  rng.choice([0, 100, 400, 2000, 20000])))
            r.tock("sync")
            px.cmd("cut 0")
        elif fault in ("stall-kill", "hold-kill", "stall-pass"):
            before = px.stats()
            px.cmd("mode " + ("hold" if fault == "hold-kill" else "stall"))
            p = r.popen(["sync"])
            if fault == "hold-kill":
                # Killed after the request went up: maybe committed.
                self.wait_proxy(p, "bytes_up", before["bytes_up"])
                self.kill_sync(p)
            elif fault == "stall-kill":
                self.wait_proxy(p, "accepted", before["accepted"])
                self.kill_sync(p)
            else:
                # A stall that ends by itself: the sync must then finish.
                self.wait_proxy(p, "accepted", before["accepted"])
            px.cmd("mode pass")
            if fault == "stall-pass":
                self.finish_sync(r, p, fault)
        r.record_ops()

    # ---- the end ------------------------------------------------------------

    def quiesce(self):
        self.proxy.cmd("mode pass")
        self.proxy.cmd("cut 0")
        for _ in range(8):
            for r in self.reps:
                rc, out, err = r.tock("sync")
                if rc not in (0, 5):
                    raise Violation("%s: final sync: exit %d: %s"
                                    % (r.name, rc, err))
                r.record_ops()
            head = psql("SELECT last_seq FROM scopes WHERE id = '%s'"
                        % self.ws)
            done = True
            for r in self.reps:
                pend = r.q("SELECT count(*) FROM outbox")[0][0]
                cur = r.q("SELECT cursor FROM sync_cursor WHERE scope = ?",
                          (self.ws,))
                if pend or not cur or str(cur[0][0]) != head:
                    done = False
            if done:
                return
        raise Violation("not quiescent after 8 rounds of syncs")

    def rows_replica(self, r):
        return {
            "task": sorted(r.q(
                "SELECT id, title, description, status,"
                " coalesce(assignee_id, '') FROM tasks WHERE workspace_id = ?"
                " AND deleted = 0", (self.ws,))),
            "entry": sorted(r.q(
                "SELECT id, user_id, coalesce(task_id, ''), origin,"
                " start_time, end_time, coalesce(end_src, ''), notes"
                " FROM time_entries WHERE workspace_id = ? AND deleted = 0",
                (self.ws,))),
            "comment": sorted(r.q(
                "SELECT id, task_id, author_id, body FROM comments"
                " WHERE workspace_id = ? AND deleted = 0", (self.ws,))),
        }

    def server_state(self):
        """Everything check() reads from PostgreSQL, in one psql run."""
        w = self.ws
        q = {}
        q["t"] = ("SELECT id::text, title, description, status,"
                  " coalesce(assignee_id::text, '') AS a FROM tasks"
                  " WHERE workspace_id = '%s' AND NOT deleted" % w)
        q["e"] = ("SELECT id::text, user_id::text,"
                  " coalesce(task_id::text, '') AS t, origin,"
                  " round(extract(epoch FROM start_time) * 1000)::bigint"
                  " AS s, round(extract(epoch FROM end_time) * 1000)"
                  "::bigint AS e, coalesce(end_src, '') AS src, notes"
                  " FROM time_entries WHERE workspace_id = '%s'"
                  " AND NOT deleted" % w)
        q["c"] = ("SELECT id::text, task_id::text, author_id::text, body"
                  " FROM comments WHERE workspace_id = '%s'"
                  " AND NOT deleted" % w)
        q["two"] = ("SELECT user_id::text AS u FROM time_entries WHERE"
                    " end_time IS NULL AND NOT deleted GROUP BY user_id"
                    " HAVING count(*) > 1")
        q["dup"] = ("SELECT entity, entity_id FROM sync_log WHERE scope_id"
                    " = '%s' AND kind = 1 GROUP BY entity, entity_id"
                    " HAVING count(*) > 1" % w)
        q["logged"] = ("SELECT op_id::text AS id, entity_id::text AS eid,"
                       " fhlc FROM sync_log WHERE scope_id = '%s' AND"
                       " op_id IS NOT NULL" % w)
        for tab, ent in (("tasks", "task"), ("comments", "comment"),
                         ("time_entries", "time_entry")):
            q["f_" + ent] = ("SELECT id::text AS id, fhlc FROM %s WHERE"
                             " workspace_id = '%s'" % (tab, w))
        q["twice"] = ("SELECT op_id FROM sync_log WHERE scope_id = '%s'"
                      " AND op_id IS NOT NULL GROUP BY op_id, entity_id"
                      " HAVING count(DISTINCT tx_last_seq) > 1" % w)
        pg = pg_many(q)
        pg["rows"] = {
            "task": sorted(tuple(x.values()) for x in pg["t"]),
            "entry": sorted(tuple(x.values()) for x in pg["e"]),
            "comment": sorted(tuple(x.values()) for x in pg["c"]),
        }
        return pg

    def check(self):
        bad = []
        pg = self.server_state()
        server = pg["rows"]
        # 1. Convergence.
        for r in self.reps:
            mine = self.rows_replica(r)
            for kind in ("task", "entry", "comment"):
                a, b = set(server[kind]), set(mine[kind])
                if a != b:
                    bad.append("%s %s rows differ from the server: missing"
                               " %s, extra %s" % (r.name, kind,
                                                  sorted(a - b)[:3],
                                                  sorted(b - a)[:3]))
        # 4. One running timer per user.
        two = ",".join(x["u"] for x in pg["two"])
        if two:
            bad.append("server: users with two running timers: " + two)
        for r in self.reps:
            n = r.q("SELECT count(*) FROM (SELECT user_id FROM time_entries"
                    " WHERE end_time IS NULL AND deleted = 0 GROUP BY user_id"
                    " HAVING count(*) > 1)")[0][0]
            if n:
                bad.append("%s: two running timers for one user" % r.name)
        # 3. No duplicates, no phantoms.
        if pg["dup"]:
            bad.append("server logged %d entities as created twice: %s"
                       % (len(pg["dup"]), pg["dup"][:3]))
        created = set()
        for r in self.reps:
            created |= {o["eid"] for o in r.ops.values()
                        if o["kind"] in ("create", "timer.start")}
        for kind, rows in server.items():
            phantom = [row[0] for row in rows if row[0] not in created]
            if phantom:
                bad.append("server %s rows nobody created: %s"
                           % (kind, phantom[:3]))
        # 6. Every op accounted for; 2. no lost applied write.  The server
        # prunes applied_ops below each device's acked watermark, so what
        # an op did is read from sync_log (its op_id on the rows it wrote)
        # and from the rows' field clocks, never from applied_ops.
        logged = {}             # op_id -> {entity_id: {field: hlc}}
        for x in pg["logged"]:
            logged.setdefault(x["id"], {}).setdefault(x["eid"], {}).update(
                x["fhlc"] or {})
        fhlc = {}
        for ent in ("task", "comment", "time_entry"):
            for x in pg["f_" + ent]:
                fhlc[(ent, x["id"])] = x["fhlc"] or {}

        def superseded(o):
            # Every field lost LWW: the row holds a clock >= the op's.
            # Fields the server keeps no clock for (updated_at) are
            # bookkeeping that rides along and cannot win or lose.
            clocks = fhlc.get((o["e"], o["eid"]))
            if clocks is None:
                return False
            # Strictly newer: a clock equal to the op's own means the op
            # was applied, and then it must be in sync_log for others.
            kept = [f for f in o["fields"] if clocks.get(f) is not None]
            return bool(kept) and all(clocks[f] > o["hlc"] for f in kept)

        for r in self.reps:
            pend = r.q("SELECT count(*) FROM outbox")[0][0]
            if pend:
                bad.append("%s: %d ops still in the outbox" % (r.name, pend))
            quarantined = set()
            for q, code, msg in r.q("SELECT op_id, code, coalesce(message,"
                                    " '') FROM quarantine"):
                quarantined.add(q)
                # forbidden/not_found/gone are the world changing under an
                # offline edit; internal (or anything else) is a server bug.
                if code not in ("forbidden", "not_found", "gone"):
                    o = r.ops.get(q, {})
                    bad.append("%s: op %s (%s %s %s) rejected as %s: %s"
                               % (r.name, q, o.get("kind"), o.get("e"),
                                  o.get("fields"), code, msg))
            by_seq = sorted(r.ops.items(), key=lambda kv: kv[1]["seq"])
            done = {i for i, o in by_seq if i in logged or i in quarantined
                    or superseded(o)}
            for op_id, o in by_seq:
                if o["scope"] != self.ws or op_id in done:
                    continue
                # Folded into a later op of the same entity (coalescing).
                if not any(x["seq"] > o["seq"] and x["eid"] == o["eid"] and
                           i in done for i, x in by_seq):
                    clocks = fhlc.get((o["e"], o["eid"])) or {}
                    bad.append("%s: op %s (%s %s %s %s @%s) neither applied,"
                               " superseded nor quarantined (server clocks"
                               " %s)" % (r.name, op_id, o["kind"], o["e"],
                                         o["eid"], o["fields"], o["hlc"],
                                         {f: clocks.get(f)
                                          for f in o["fields"]}))
            for op_id, o in by_seq:
                for eid, wrote in logged.get(op_id, {}).items():
                    if eid != o["eid"]:
                        continue    # a timer op's auto-stop of another entry
                    clocks = fhlc.get((o["e"], eid))
                    if clocks is None:
                        if o["e"] in ("task", "comment", "time_entry"):
                            bad.append("%s: applied op %s: %s %s not on the"
                                       " server" % (r.name, op_id, o["e"],
                                                    eid))
                        continue
                    for f, h in wrote.items():
                        if f not in ("title", "description", "status",
                                     "body", "notes", "deleted"):
                            continue
                        c = clocks.get(f)
                        if c is None or c < h:
                            bad.append("%s: applied write %s.%s@%s lost"
                                       " (server clock %s)"
                                       % (r.name, eid, f, h, c))
        # 3. An op id never took effect twice on one entity.
        if pg["twice"]:
            bad.append("server applied ops twice (sync_log): %s"
                       % pg["twice"][:3])
        return bad

    def retire(self):
        # Old seeds' workspaces would otherwise be pulled by every later
        # seed's fresh replicas: take the users out of it (test-only, SQL).
        # First stop the users' timers the way a user would: a running
        # timer left in a workspace its user is no longer in is a state
        # the product never makes (removing a member stops it), and the
        # next seed's starts would trip over it.
        for r in (self.reps[0], self.reps[2]):
            r.tock("stop")
            r.tock("sync")
        psql("DELETE FROM memberships WHERE workspace_id = '%s'" % self.ws)
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self):
        os.makedirs(self.root, exist_ok=True)
        self.setup()
        for _ in range(NOPS):
            r = self.rng.choice(self.reps)
            if self.rng.random() < 0.25:
                self.sync_step(r)
            else:
                self.local_step(r)
        self.quiesce()
        return self.check()


def rest_login(email, password):
    st, d = rest("POST", "/api/v1/auth/login",
                 {"email": email, "password": password})
    if st != 200:
        raise SystemExit("simsync: REST login %s: %d %s" % (email, st, d))
    return d["access_token"], d["user"]["id"]


def worker_user(email, pw, wid):
    """Worker WID's own copy of user EMAIL (same password, same cheap
    hash): seeds running side by side must not share a user, whose one
    running timer would couple them, and a seed must replay alone."""
    local, _, domain = email.partition("@")
    mine = "%s-w%d@%s" % (local, wid, domain)
    st, d = rest("POST", "/api/v1/auth/register",
                 {"email": mine, "password": pw, "name": local})
    if st not in (201, 409):
        raise SystemExit("simsync: register %s: %d %s" % (mine, st, d))
    psql("UPDATE users SET password_hash = (SELECT password_hash FROM users"
         " WHERE email = '%s') WHERE email = '%s'" % (email, mine))
    return mine


def worker(args):
    seeds, wid = args
    wdir = os.path.join(BASEDIR, "w%d" % wid)
    os.makedirs(wdir, exist_ok=True)
    users, tokens = [], []
    for spec in os.environ.get("SIM_USERS", "").split(","):
        email, pw = spec.split(":", 1)
        if wid:
            email = worker_user(email, pw, wid)
        tok, uid = rest_login(email, pw)
        users.append((email, pw, uid))
        tokens.append(tok)
    proxy = Proxy(wdir, seeds[0] if seeds else 0)
    failed = []
    t_login = time.time()
    try:
        for seed in seeds:
            if time.time() - t_login > 600:     # access tokens last 15 min
                tokens = [rest_login(u[0], u[1])[0] for u in users]
                t_login = time.time()
            sim = Sim(seed, users, tokens, proxy, wdir)
            try:
                bad = sim.run()
            except Violation as e:
                bad = [str(e)]
            except subprocess.TimeoutExpired as e:
                bad = ["timed out: %s" % e]
            if bad:
                failed.append(seed)
                print("simsync: seed %d FAILED (replay: TOCK_SIM_FIRST=%d"
                      " TOCK_SIM_SEEDS=1 sh tests/sync/t8108-simulation.sh"
                      " SERVER, or simsync.py %d 1):" % (seed, seed, seed),
                      flush=True)
                for b in bad:
                    print("  " + b, flush=True)
                # Keep the failing seed's replicas for a post-mortem.
                continue
            sim.retire()
    finally:
        proxy.close()
    return failed


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.split("\n")[2].strip(), file=sys.stderr)
        return 2
    first = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 1
    jobs = max(1, min(int(os.environ.get("SIM_JOBS", "1")), count))
    seeds = list(range(first, first + count))
    chunks = [(seeds[i::jobs], i) for i in range(jobs)]
    t0 = time.time()
    if jobs == 1:
        failed = worker(chunks[0])
    else:
        with multiprocessing.Pool(jobs) as pool:
            failed = sum(pool.map(worker, chunks), [])
    print("simsync: %d seeds from %d, %d failed%s, %.1f s"
          % (count, first, len(failed),
             (" (" + " ".join(map(str, sorted(failed))) + ")") if failed
             else "", time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
