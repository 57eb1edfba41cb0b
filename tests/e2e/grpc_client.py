#!/usr/bin/python3
"""A stock gRPC client (Debian's python3-grpcio) for test_grpc.sh.

Usage: grpc_client.py SOCKET STUBS COMMAND [ARGS...]

STUBS is a directory of stubs generated at test time from
proto/homerack.proto (and grpc-proto's health and reflection protos) by
protoc and grpc_python_plugin. Each command prints facts as KEY=VALUE
lines, which the shell test asserts on; a gRPC error prints
code=STATUS_CODE and details=MESSAGE. Nothing here waits on time: a
call's deadline is the server's to enforce, and every wait on the
server is bounded by a gRPC timeout.
"""
import sys
import threading
import time

SOCK, STUBS, CMD, ARGS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
import homerack_pb2 as pb  # noqa: E402
import homerack_pb2_grpc as pbg  # noqa: E402

# Bounds a wait that would otherwise hang; never expected to pass.
LIMIT = 120


def say(key, value):
    print(f"{key}={value}", flush=True)


def say_error(e):
    say("code", e.code().name)
    say("details", e.details())


def channel():
    return grpc.insecure_channel("unix://" + SOCK)


def schema():
    return pbg.SchemaStub(channel())


def current():
    reply = schema().Current(pb.CurrentRequest(), timeout=LIMIT)
    say("revisions", " ".join(r.revision for r in reply.revisions))
    say("database", reply.database)


def history():
    reply = schema().History(pb.HistoryRequest(), timeout=LIMIT)
    say("revisions", " ".join(r.revision for r in reply.revisions))


def migrate(method, target):
    stub = schema()
    call = getattr(stub, method)(pb.MigrateRequest(target=target),
                                 timeout=LIMIT)
    try:
        for ev in call:
            kind = pb.MigrationEvent.Kind.Name(ev.kind)
            say("event", f"{kind} {ev.revision} {ev.step}/{ev.total}")
        say("code", call.code().name)
    except grpc.RpcError as e:
        say_error(e)


def stamp(target):
    try:
        reply = schema().Stamp(pb.StampRequest(target=target), timeout=LIMIT)
        say("revisions", " ".join(reply.revisions))
        say("previous", " ".join(reply.previous))
    except grpc.RpcError as e:
        say_error(e)


def show(target):
    try:
        schema().Show(pb.ShowRequest(target=target), timeout=LIMIT)
        say("code", "OK")
    except grpc.RpcError as e:
        say_error(e)


def unknown():
    call = channel().unary_unary("/homerack.v1.Schema/Frobnicate")
    try:
        call(b"", timeout=LIMIT)
        say("code", "OK")
    except grpc.RpcError as e:
        say_error(e)


def deadline(seconds):
    """An upgrade the server holds (the test holds the lock) until its
    deadline: the server ends it; its message names the deadline."""
    seconds = float(seconds)
    start = time.monotonic()
    call = schema().Upgrade(pb.MigrateRequest(target="head"),
                            timeout=seconds)
    try:
        for _ in call:
            pass
        say("code", call.code().name)
    except grpc.RpcError as e:
        say_error(e)
    # Not before the deadline (never a flaky bound: no upper one).
    say("on_time", int(time.monotonic() - start >= seconds * 0.99))


def cancel():
    """Start an upgrade, take its first event (the plan), cancel."""
    call = schema().Upgrade(pb.MigrateRequest(target="head"), timeout=LIMIT)
    first = next(call)
    say("first", pb.MigrationEvent.Kind.Name(first.kind))
    call.cancel()
    say("code", call.code().name)


def watch_until(want):
    """Watch; say `watching` after the first state, then wait for a
    state whose revisions are `want` (another client makes it so)."""
    call = schema().Watch(pb.WatchRequest(target="heads"), timeout=LIMIT)
    first = True
    for st in call:
        if first:
            say("watching", " ".join(st.revisions))
            first = False
        if " ".join(st.revisions) == want:
            say("seen", want)
            say("at_head", int(st.at_head))
            break
    call.cancel()


def concurrent(n):
    """n Watch streams open at once on one channel (each has its first
    state), and n unary calls in flight together."""
    n = int(n)
    stub = schema()
    watches = [stub.Watch(pb.WatchRequest(), timeout=LIMIT) for _ in range(n)]
    firsts = [next(w) for w in watches]
    futures = [stub.Current.future(pb.CurrentRequest(), timeout=LIMIT)
               for _ in range(n)]
    results = [f.result() for f in futures]
    for w in watches:
        w.cancel()
    say("watches", len(firsts))
    say("currents", len(results))


def threads(n):
    """n threads calling History at once through one channel."""
    n = int(n)
    stub = schema()
    ok = []
    lock = threading.Lock()

    def one():
        stub.History(pb.HistoryRequest(), timeout=LIMIT)
        with lock:
            ok.append(1)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    say("ok", len(ok))


def health():
    import health_pb2
    import health_pb2_grpc
    return health_pb2, health_pb2_grpc.HealthStub(channel())


def health_check(service):
    hpb, stub = health()
    try:
        reply = stub.Check(hpb.HealthCheckRequest(service=service),
                           timeout=LIMIT)
        say("status", hpb.HealthCheckResponse.ServingStatus.Name(
            reply.status))
    except grpc.RpcError as e:
        say_error(e)


def health_watch_until(service, want):
    """Watch service's health; say each status, until `want`."""
    hpb, stub = health()
    call = stub.Watch(hpb.HealthCheckRequest(service=service), timeout=LIMIT)
    for reply in call:
        status = hpb.HealthCheckResponse.ServingStatus.Name(reply.status)
        say("status", status)
        if status == want:
            break
    call.cancel()


def reflect(version, *symbols):
    """One ServerReflectionInfo stream (grpc.reflection.VERSION): list
    the services, then ask for the file of each symbol, one request at a
    time, each sent only after the previous answer came (as grpcurl
    does)."""
    import queue
    from google.protobuf import descriptor_pb2
    rpb = __import__("reflection_" + version + "_pb2")
    rpbg = __import__("reflection_" + version + "_pb2_grpc")
    stub = rpbg.ServerReflectionStub(channel())
    asks = [rpb.ServerReflectionRequest(list_services="")] + \
        [rpb.ServerReflectionRequest(file_containing_symbol=s)
         for s in symbols]
    answered = queue.Queue()

    def requests():
        for ask in asks:
            yield ask
            answered.get(timeout=LIMIT)

    replies = stub.ServerReflectionInfo(requests(), timeout=LIMIT)
    for reply in replies:
        answered.put(1)
        which = reply.WhichOneof("message_response")
        if which == "list_services_response":
            say("services", " ".join(sorted(
                s.name for s in reply.list_services_response.service)))
        elif which == "file_descriptor_response":
            files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                     for b in reply.file_descriptor_response.file_descriptor_proto]
            say("files", " ".join(f.name for f in files))
            for f in files:
                for svc in f.service:
                    say("methods." + f.package + "." + svc.name,
                        " ".join(m.name for m in svc.method))
        elif which == "error_response":
            say("error", reply.error_response.error_code)
    say("code", replies.code().name)


COMMANDS = {
    "reflect": reflect,
    "health-check": health_check,
    "health-watch-until": health_watch_until,
    "current": current,
    "history": history,
    "upgrade": lambda target: migrate("Upgrade", target),
    "downgrade": lambda target: migrate("Downgrade", target),
    "stamp": stamp,
    "show": show,
    "unknown": unknown,
    "deadline": deadline,
    "cancel": cancel,
    "watch-until": watch_until,
    "concurrent": concurrent,
    "threads": threads,
}

COMMANDS[CMD](*ARGS)
