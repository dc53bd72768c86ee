#!/usr/bin/env python3
# wsclient.py - a small WebSocket client (RFC 6455) for tock-server tests
# and load benches, standard library only.
#
#   from wsclient import WSClient, HandshakeError
#   c = WSClient("127.0.0.1", port, "/api/v1/ws", token=tok)   # connects
#   c.send_json({"t": "hello", "v": 1, "scopes": {}})
#   msg = c.recv_json(timeout=5)       # answers pings on the way
#   c.close()
#
# A refused upgrade raises HandshakeError with .status and .body.  Text
# frames only (what tock-sync speaks); client frames are masked as the RFC
# requires.  send_raw() writes bytes as they are, for malformed-input tests.
# Command line: wsclient.py PORT TOKEN -- connect, say hello, print every
# frame as a line of JSON until closed (a quick manual probe).
import base64
import json
import os
import socket
import struct
import sys
import time


class HandshakeError(Exception):
    def __init__(self, status, body):
        super().__init__("upgrade refused: %s %s" % (status, body))
        self.status = status
        self.body = body


class Closed(Exception):
    pass


class WSClient:
    def __init__(self, host, port, path="/api/v1/ws", token=None,
                 protocol="tock-sync", query_token=False, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        if token and query_token:
            path += ("&" if "?" in path else "?") + "access_token=" + token
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port),
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if protocol:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
        if token and not query_token:
            lines.append("Authorization: Bearer " + token)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        status_line, *hdrs = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for h in hdrs:
            if ":" in h:
                k, v = h.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if status != 101:
            n = int(headers.get("content-length", "0"))
            body = self._read_exact(n) if n else b""
            self.sock.close()
            raise HandshakeError(status, body.decode("utf-8", "replace"))
        self.protocol = headers.get("sec-websocket-protocol")

    def _read_more(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed("connection closed")
        self.buf += data

    def _read_until(self, sep):
        while sep not in self.buf:
            self._read_more()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._read_more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self, opcode, payload, fin=True):
        """One masked client frame as bytes."""
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + body

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_text(self, text):
        self.sock.sendall(self.frame(0x1, text.encode()))

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def recv_frame(self):
        """(opcode, payload) of the next frame, pings answered."""
        while True:
            b0, b1 = self._read_exact(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read_exact(8))[0]
            if b1 & 0x80:
                mask = self._read_exact(4)
                payload = bytes(b ^ mask[i % 4]
                                for i, b in enumerate(self._read_exact(n)))
            else:
                payload = self._read_exact(n)
            if opcode == 0x9:           # ping: pong with the same data
                self.sock.sendall(self.frame(0xA, payload))
                continue
            if opcode == 0x8:
                raise Closed("close frame %r" % payload[:2])
            return opcode, payload

    def recv_text(self, timeout=None):
        """The next text message (joins continuation frames); None when
        nothing came within timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            parts = []
            while True:
                opcode, payload = self.recv_frame()
                parts.append(payload)
                if opcode in (0x1, 0x0) and len(parts) and \
                        self._last_fin:
                    break
        except socket.timeout:
            return None
        return b"".join(parts).decode()

    @property
    def _last_fin(self):
        return True     # tock-server sends unfragmented messages

    def recv_json(self, timeout=None):
        t = self.recv_text(timeout)
        return None if t is None else json.loads(t)

    def wait_for(self, pred, timeout):
        """The first JSON message for which pred is true, or None at the
        deadline (other messages are skipped)."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            m = self.recv_json(left)
            if m is None:
                return None
            if pred(m):
                return m

    def close(self):
        try:
            self.sock.sendall(self.frame(0x8, struct.pack("!H", 1000)))
        except OSError:
            pass
        self.sock.close()


def main():
    port, token = int(sys.argv[1]), sys.argv[2]
    c = WSClient("127.0.0.1", port, token=token)
    c.send_json({"t": "hello", "v": 1, "scopes": {}})
    try:
        while True:
            print(c.recv_text(), flush=True)
    except (Closed, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
