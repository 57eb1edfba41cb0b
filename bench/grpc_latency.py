#!/usr/bin/python3
"""bench/grpc_latency.py SOCKET STUBS RUNS ITERS [CONNS]: Current round
trips over gRPC (Debian's python3-grpcio) and over the native framing
from the same Python process (hand-written frames, the same protobuf
stubs), so the two protocols are compared with one client language.
With CONNS, also gRPC throughput: CONNS channels (one thread each)
calling Current back to back for 1.5 s.

Prints hrbench's RESULT lines (bench/util.c): per-call microseconds,
p50 and p99 over every call of every run; calls/s for throughput.
STUBS holds homerack_pb2*.py generated from proto/homerack.proto.
"""
import socket
import struct
import sys
import threading
import time

SOCK, STUBS = sys.argv[1], sys.argv[2]
RUNS, ITERS = int(sys.argv[3]), int(sys.argv[4])
CONNS = int(sys.argv[5]) if len(sys.argv) > 5 else 0
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
import homerack_pb2 as pb  # noqa: E402
import homerack_pb2_grpc as pbg  # noqa: E402


def result(name, samples, unit="us"):
    samples = sorted(samples)
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, len(samples) * 99 // 100)]
    print(f"RESULT {name} p50={p50:.6g} p99={p99:.6g} unit={unit} "
          f"n={len(samples)}", flush=True)


def grpc_current():
    stub = pbg.SchemaStub(grpc.insecure_channel("unix://" + SOCK))
    req = pb.CurrentRequest()
    for _ in range(100):  # connect, warm up
        stub.Current(req)
    out = []
    for _ in range(RUNS):
        for _ in range(ITERS):
            t = time.perf_counter_ns()
            stub.Current(req)
            out.append((time.perf_counter_ns() - t) / 1000)
    return out


def native_current():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    buf = b""

    def call(call_id):
        nonlocal buf
        req = pb.Request(protocol_version=1, call_id=call_id,
                         method="/homerack.v1.Schema/Current",
                         payload=pb.CurrentRequest().SerializeToString())
        body = req.SerializeToString()
        s.sendall(b"\0" + struct.pack(">I", len(body)) + body)
        while True:  # the reply, then the status
            while len(buf) < 5 or len(buf) < 5 + struct.unpack(">I", buf[1:5])[0]:
                buf += s.recv(65536)
            n = struct.unpack(">I", buf[1:5])[0]
            resp = pb.Response.FromString(buf[5:5 + n])
            buf = buf[5 + n:]
            if resp.WhichOneof("body") == "status":
                if resp.status.code != 0:
                    sys.exit(f"native Current: {resp.status.message}")
                return

    for i in range(100):
        call(i + 1)
    out = []
    for _ in range(RUNS):
        for i in range(ITERS):
            t = time.perf_counter_ns()
            call(i + 1)
            out.append((time.perf_counter_ns() - t) / 1000)
    return out


def grpc_throughput(conns, seconds=1.5):
    done = [0] * conns
    stop = threading.Event()
    stubs = [pbg.SchemaStub(grpc.insecure_channel("unix://" + SOCK))
             for _ in range(conns)]
    for stub in stubs:
        stub.Current(pb.CurrentRequest())

    def run(i):
        while not stop.is_set():
            stubs[i].Current(pb.CurrentRequest())
            done[i] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    rate = sum(done) / (time.perf_counter() - t0)
    return [rate]


result("grpc.py.cur", grpc_current())
result("native.py.cur", native_current())
if CONNS:
    result(f"grpc.py.c{CONNS}", grpc_throughput(CONNS), unit="calls/s")
