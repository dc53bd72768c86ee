#!/usr/bin/env python3
"""tcpproxy.py - a fault-injecting TCP proxy for the sync tests.

Replicas talk to tock-server through it, so a test can cut the network
at will without touching the server or the client:

  tcpproxy.py --target HOST:PORT --control SOCK --port-file FILE
              [--listen HOST:PORT] [--seed N]
      Listens (port 0 = any free port; the port is written to FILE once
      the proxy accepts connections) and forwards to the target.

  tcpproxy.py --ctl SOCK COMMAND [ARG...]
      Sends one command over the control socket and prints the answer
      (exit 1 when the answer is not "ok ...").

Commands (one line each on the UNIX control socket, answer one line):
  mode pass         forward everything (the default)
  mode drop         close every open connection and reset new ones at once
  mode stall        accept, but forward nothing in either direction; data
                    waits in the kernel buffers and flows again on "pass"
  mode hold         forward requests but hold every response: the server
                    commits, the client never hears (until "pass")
  cut P [MAX]       from now on each new connection is, with probability
                    P, cut (both sides closed) after a random number of
                    bytes in [0, MAX] (default 4096) in a random direction:
                    a request that never arrives, or a response lost
                    after the server committed
  rate BPS          a slow uplink: from now on every connection forwards
                    at most BPS bytes a second from client to server (0:
                    no limit), so a long push spans seconds and a test can
                    act between its batches however loaded the machine is
  target HOST:PORT  forward new connections there (a restarted server)
  stats             JSON counters: accepted, live, cut, bytes_up, bytes_down
  quit              exit

Standard library only (asyncio); deterministic given --seed apart from
the timing of the traffic itself.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys


class Proxy:
    def __init__(self, target, seed):
        self.target = target
        self.mode = "pass"
        self.cut_p = 0.0
        self.cut_max = 4096
        self.rate = 0
        self.rng = random.Random(seed)
        # Set while data may flow that way; "stall" clears both, "hold"
        # only the server-to-client one.
        self.flowing = {"up": asyncio.Event(), "down": asyncio.Event()}
        for ev in self.flowing.values():
            ev.set()
        self.live = {}
        self.stop = asyncio.Event()
        self.stats = {"accepted": 0, "refused": 0, "cut": 0,
                      "bytes_up": 0, "bytes_down": 0}

    @staticmethod
    def reset(writer):
        # SO_LINGER 0 makes close() send RST: the client sees a hard
        # network error at once rather than a polite EOF.
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.close()

    async def handle(self, creader, cwriter):
        if self.mode == "drop":
            self.stats["refused"] += 1
            self.reset(cwriter)
            return
        self.stats["accepted"] += 1
        try:
            host, port = self.target
            sreader, swriter = await asyncio.open_connection(host, port)
        except OSError:
            self.reset(cwriter)
            return
        # Per-connection cut budget, drawn when the connection opens.
        budget = None
        if self.cut_p > 0 and self.rng.random() < self.cut_p:
            budget = [self.rng.choice(("up", "down")),
                      self.rng.randint(0, self.cut_max)]
        conn = {"c": cwriter, "s": swriter}
        self.live[id(conn)] = conn
        up = asyncio.ensure_future(
            self.pump(creader, swriter, "up", budget, conn))
        down = asyncio.ensure_future(
            self.pump(sreader, cwriter, "down", budget, conn))
        try:
            await asyncio.wait([up, down],
                               return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass                # shutting down
        for t in (up, down):
            t.cancel()
        self.close_conn(conn, hard=conn.get("cut", False))

    def close_conn(self, conn, hard=False):
        self.live.pop(id(conn), None)
        for w in (conn["c"], conn["s"]):
            if hard:
                self.reset(w)
            else:
                try:
                    w.close()
                except Exception:
                    pass

    async def pump(self, reader, writer, direction, budget, conn):
        key = "bytes_" + direction
        try:
            flowing = self.flowing[direction]
            while True:
                await flowing.wait()
                # Under a rate limit, read small chunks and pace them
                # (about 20 a second) rather than bursting 64 KiB.
                limit = self.rate if direction == "up" else 0
                data = await reader.read(max(1, limit // 20) if limit
                                         else 65536)
                if not data:
                    # Half-close: pass the EOF on, keep the other way open.
                    try:
                        writer.write_eof()
                    except (OSError, RuntimeError):
                        return
                    await asyncio.Event().wait()
                # A stall that began while we were reading holds the data.
                await flowing.wait()
                if self.mode == "drop":
                    return
                if budget is not None and budget[0] == direction:
                    if len(data) >= budget[1]:
                        if budget[1] > 0:
                            writer.write(data[:budget[1]])
                            self.stats[key] += budget[1]
                            await writer.drain()
                        self.stats["cut"] += 1
                        conn["cut"] = True
                        return
                    budget[1] -= len(data)
                writer.write(data)
                self.stats[key] += len(data)
                await writer.drain()
                if limit:
                    await asyncio.sleep(len(data) / limit)
        except (OSError, ConnectionError):
            return

    def command(self, line):
        words = line.split()
        if not words:
            return "error empty command"
        cmd = words[0]
        if cmd == "mode" and len(words) == 2 and \
                words[1] in ("pass", "drop", "stall", "hold"):
            self.mode = words[1]
            for d, ev in self.flowing.items():
                if self.mode == "stall" or (self.mode == "hold" and
                                            d == "down"):
                    ev.clear()
                else:
                    ev.set()
            if self.mode == "drop":
                for conn in list(self.live.values()):
                    self.close_conn(conn, hard=True)
            return "ok mode " + self.mode
        if cmd == "cut" and len(words) in (2, 3):
            try:
                p = float(words[1])
                m = int(words[2]) if len(words) == 3 else 4096
            except ValueError:
                return "error cut P [MAX]"
            self.cut_p, self.cut_max = p, m
            return "ok cut %g %d" % (p, m)
        if cmd == "rate" and len(words) == 2:
            try:
                self.rate = max(0, int(words[1]))
            except ValueError:
                return "error rate BPS"
            return "ok rate %d" % self.rate
        if cmd == "target" and len(words) == 2:
            host, _, port = words[1].rpartition(":")
            try:
                self.target = (host or "127.0.0.1", int(port))
            except ValueError:
                return "error target HOST:PORT"
            return "ok target %s:%d" % self.target
        if cmd == "stats":
            d = dict(self.stats)
            d["live"] = len(self.live)
            d["mode"] = self.mode
            return "ok " + json.dumps(d, sort_keys=True)
        if cmd == "quit":
            self.stop.set()
            return "ok quit"
        return "error unknown command: " + line.strip()

    async def control(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                answer = self.command(line.decode("utf-8", "replace"))
                writer.write((answer + "\n").encode())
                await writer.drain()
        except (OSError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def serve(args):
    host, _, port = args.target.rpartition(":")
    proxy = Proxy((host or "127.0.0.1", int(port)), args.seed)
    lhost, _, lport = args.listen.rpartition(":")
    server = await asyncio.start_server(proxy.handle, lhost or "127.0.0.1",
                                        int(lport), reuse_address=True)
    if os.path.exists(args.control):
        os.unlink(args.control)
    ctl = await asyncio.start_unix_server(proxy.control, args.control)
    os.chmod(args.control, 0o600)
    bound = server.sockets[0].getsockname()[1]
    # Written last and renamed into place: its presence means "ready".
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % bound)
    os.rename(tmp, args.port_file)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, proxy.stop.set)

    async def orphan_watch(parent):
        # A test killed outright (a ctest timeout sends SIGKILL) runs no
        # clean-up: leave with it rather than linger forever.
        while os.getppid() == parent:
            await asyncio.sleep(1)
        proxy.stop.set()
    watch = asyncio.ensure_future(orphan_watch(os.getppid()))
    async with server, ctl:
        await proxy.stop.wait()
        for conn in list(proxy.live.values()):
            proxy.close_conn(conn, hard=True)
    watch.cancel()


def ctl(path, words):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall((" ".join(words) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    answer = buf.decode().strip()
    print(answer[3:] if answer.startswith("ok ") else answer)
    return 0 if answer.startswith("ok") else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ctl", metavar="SOCK")
    ap.add_argument("--target")
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--control")
    ap.add_argument("--port-file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("words", nargs="*")
    args = ap.parse_args()
    if args.ctl:
        return ctl(args.ctl, args.words)
    if not (args.target and args.control and args.port_file):
        ap.error("--target, --control and --port-file are required")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
