#!/usr/bin/python3
"""HTTP/2 spoken raw to hrd's socket, for test_grpc.sh: what a stock gRPC
client never sends (a server-side deadline alone, bad prefaces, floods,
oversized headers, a peer that never reads).

Usage: h2_raw.py SOCKET COMMAND [ARGS...]; prints KEY=VALUE facts.
Frames are written by hand; headers are HPACK-encoded with python3-hpack.
Every read is bounded by LIMIT seconds (a wait that would otherwise hang;
never expected to pass).
"""
import socket
import struct
import sys

import hpack

SOCK, CMD, ARGS = sys.argv[1], sys.argv[2], sys.argv[3:]
LIMIT = 120
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 6, 7, 8, 9)
END_STREAM, END_HEADERS, ACK = 1, 4, 1


def say(key, value):
    print(f"{key}={value}", flush=True)


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def lpm(message):
    return b"\0" + struct.pack(">I", len(message)) + message


class Conn:
    def __init__(self, window=None):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(LIMIT)
        self.s.connect(SOCK)
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        settings = b"" if window is None else struct.pack(">HI", 4, window)
        self.send(PREFACE + frame(SETTINGS, 0, 0, settings))

    def send(self, data):
        self.s.sendall(data)

    def headers(self, stream, path, extra=(), end_stream=False):
        block = self.enc.encode([(":method", "POST"), (":scheme", "http"),
                                 (":path", path), (":authority", "x"),
                                 ("content-type", "application/grpc"),
                                 ("te", "trailers")] + list(extra))
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        return frame(HEADERS, flags, stream, block)

    def call(self, stream, path, message=b"", extra=()):
        """A whole unary request on stream."""
        return self.headers(stream, path, extra) + \
            frame(DATA, END_STREAM, stream, lpm(message))

    def read_frame(self):
        """The next frame (type, flags, stream, payload); None at EOF."""
        while len(self.buf) < 9 or \
                len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        n = int.from_bytes(self.buf[:3], "big")
        ftype, flags = self.buf[3], self.buf[4]
        stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
        payload = self.buf[9:9 + n]
        self.buf = self.buf[9 + n:]
        if ftype == SETTINGS and not flags & ACK:
            try:
                self.send(frame(SETTINGS, ACK, 0))
            except OSError:
                pass  # hrd hung up: the rest is still read
        return ftype, flags, stream, payload

    def trailers(self, stream):
        """Read until stream ends; its last header block as a dict, with
        `messages` (the DATA bytes). None if the stream is reset or the
        connection ends first."""
        got, data = {}, b""
        while True:
            f = self.read_frame()
            if f is None:
                return None
            ftype, flags, sid, payload = f
            if ftype == HEADERS:
                if flags & 0x8:  # PADDED
                    payload = payload[1:len(payload) - payload[0]]
                if flags & 0x20:  # PRIORITY
                    payload = payload[5:]
                fields = dict(self.dec.decode(payload))
                if sid == stream:
                    got.update(fields)
            if sid != stream:
                continue
            if ftype == DATA:
                data += payload
            if ftype == RST_STREAM:
                return None
            if ftype in (HEADERS, DATA) and flags & END_STREAM:
                got["messages"] = data
                return got

    def until_closed(self):
        """Read to EOF; the GOAWAY error code seen (or -1 for none)."""
        code = -1
        while True:
            f = self.read_frame()
            if f is None:
                return code
            if f[0] == GOAWAY:
                code = int.from_bytes(f[3][4:8], "big")


CURRENT = "/homerack.v1.Schema/Current"
UPGRADE = "/homerack.v1.Schema/Upgrade"


def status_of(t):
    return "reset" if t is None else t.get("grpc-status", "none")


def deadline(timeout):
    """An upgrade with grpc-timeout and no deadline of the client's own:
    only hrd can end it."""
    c = Conn()
    # MigrateRequest{target: "head"}
    c.send(c.call(1, UPGRADE, b"\x0a\x04head", [("grpc-timeout", timeout)]))
    t = c.trailers(1)
    say("status", status_of(t))
    say("message", (t or {}).get("grpc-message", ""))


def current():
    c = Conn()
    c.send(c.call(1, CURRENT))
    say("status", status_of(c.trailers(1)))


def bad_preface():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(LIMIT)
    s.connect(SOCK)
    s.sendall(b"PRI * HTTP/1.1\r\n\r\nnot http/2 at all\r\n\r\n")
    while s.recv(65536):
        pass
    say("closed", 1)


def garbage():
    c = Conn()
    c.send(b"\xff" * 64)
    say("goaway", c.until_closed())


def big_headers(n):
    """A request whose header list is n bytes of metadata, split into a
    HEADERS frame and CONTINUATIONs; then a normal call on the same
    connection."""
    c = Conn()
    n = int(n)
    extra = [("x-pad-%d" % i, "v" * 1000) for i in range(n // 1000)]
    block = c.enc.encode([(":method", "POST"), (":scheme", "http"),
                          (":path", CURRENT), (":authority", "x"),
                          ("content-type", "application/grpc")] + extra)
    chunks = [block[i:i + 16000] for i in range(0, len(block), 16000)]
    out = b""
    for i, chunk in enumerate(chunks):
        last = END_HEADERS if i == len(chunks) - 1 else 0
        out += frame(HEADERS if i == 0 else CONTINUATION, last, 1, chunk)
    c.send(out + frame(DATA, END_STREAM, 1, lpm(b"")))
    say("big", status_of(c.trailers(1)))
    try:
        c.send(c.call(3, CURRENT))
        say("after", status_of(c.trailers(3)))
    except OSError:
        say("after", "closed")


def continuation_flood(n):
    """HEADERS without END_HEADERS, then n CONTINUATION frames."""
    c = Conn()
    block = c.enc.encode([(":method", "POST"), (":path", CURRENT)])
    c.send(frame(HEADERS, 0, 1, block))
    sent = 0
    try:
        for _ in range(int(n)):
            c.send(frame(CONTINUATION, 0, 1, c.enc.encode([("x-a", "b")])))
            sent += 1
    except OSError:
        pass
    say("goaway", c.until_closed())
    say("all_sent", int(sent == int(n)))


def rapid_reset(n):
    """n whole requests, each reset by the client at once (CVE-2023-44487)."""
    c = Conn()
    sent = 0
    try:
        for i in range(int(n)):
            sid = 2 * i + 1
            c.send(c.call(sid, CURRENT) + frame(RST_STREAM, 0, sid,
                                                 struct.pack(">I", 8)))
            sent += 1
    except OSError:
        pass
    say("goaway", c.until_closed())
    say("all_sent", int(sent == int(n)))


def stream_flood(n):
    """n streams opened (HEADERS, never ended) at once: those past
    SETTINGS_MAX_CONCURRENT_STREAMS are refused; the rest wait until the
    frame timeout closes the connection (slow-loris)."""
    c = Conn()
    c.send(b"".join(c.headers(2 * i + 1, CURRENT) for i in range(int(n))))
    refused = 0
    while True:
        f = c.read_frame()
        if f is None:
            break
        if f[0] == RST_STREAM and int.from_bytes(f[3], "big") == 7:
            refused += 1
        if f[0] == HEADERS:
            c.dec.decode(f[3])
    say("refused", refused)
    say("closed", 1)


def never_reads(n):
    """A client that sends n calls and never reads a byte (its window for
    replies is 0 too): its writes stop being taken (hrd stops reading),
    and it says so."""
    c = Conn(window=0)
    c.s.setblocking(False)
    blocked = 0
    data = b"".join(c.call(2 * i + 1, CURRENT) for i in range(int(n)))
    while data:
        try:
            k = c.s.send(data)
            data = data[k:]
        except BlockingIOError:
            blocked = 1
            break
    say("blocked", blocked)
    # Hold the connection open until the test says (stdin closes).
    sys.stdin.read()


COMMANDS = {
    "deadline": deadline,
    "current": current,
    "bad-preface": bad_preface,
    "garbage": garbage,
    "big-headers": big_headers,
    "continuation-flood": continuation_flood,
    "rapid-reset": rapid_reset,
    "stream-flood": stream_flood,
    "never-reads": never_reads,
}

COMMANDS[CMD](*ARGS)
