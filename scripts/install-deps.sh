#!/usr/bin/env bash
# Install what building and testing need, from Debian's packages, and
# any packages named as arguments (scripts/package-test.sh names its own).
# Does nothing (and needs no network) when everything is already there.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	libuv1-dev libprotobuf-c-dev protobuf-c-compiler
	libsqlite3-dev sqlite3 libpq-dev nettle-dev libcmocka-dev
	postgresql                      # a real server for the PostgreSQL tests
	python3-alembic                 # the cross-check with Alembic itself
	python3-psycopg2                # Alembic itself on PostgreSQL (contrib/ tests)
	scdoc                           # the man pages (docs/man/*.scd)
	clang libclang-rt-14-dev        # libFuzzer targets
	libnghttp2-dev                  # gRPC over HTTP/2 (server/h2.c)
	python3-grpcio python3-protobuf # the gRPC tests: a stock client,
	python3-h2                      # and HTTP/2 spoken raw (hostile peers)
	protobuf-compiler protobuf-compiler-grpc # stubs made at test time
	grpc-proto                      # grpc.health.v1, grpc.reflection
	"$@"
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
