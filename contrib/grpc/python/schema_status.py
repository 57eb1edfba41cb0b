#!/usr/bin/python3
"""Print the revisions hrd's database is at, over gRPC.

Usage: schema_status.py [--wait] SOCKET

With --wait, first wait (gRPC health Watch on "homerack.v1.Schema")
until the database is at every head. Needs the stubs generated from
proto/homerack.proto and grpc-proto's health.proto on the Python path
(see contrib/grpc/README.md).
"""
import sys

import grpc
import health_pb2
import health_pb2_grpc
import homerack_pb2
import homerack_pb2_grpc


def main(argv):
    wait = "--wait" in argv
    args = [a for a in argv if a != "--wait"]
    if len(args) != 1:
        sys.exit("usage: schema_status.py [--wait] SOCKET")
    channel = grpc.insecure_channel("unix://" + args[0])
    if wait:
        health = health_pb2_grpc.HealthStub(channel)
        serving = health_pb2.HealthCheckResponse.SERVING
        request = health_pb2.HealthCheckRequest(service="homerack.v1.Schema")
        for reply in health.Watch(request):
            if reply.status == serving:
                break
    schema = homerack_pb2_grpc.SchemaStub(channel)
    try:
        reply = schema.Current(homerack_pb2.CurrentRequest(), timeout=10)
    except grpc.RpcError as e:
        sys.exit(f"schema_status: {e.code().name}: {e.details()}")
    for rev in reply.revisions:
        print(rev.revision + (" (head)" if rev.is_head else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
