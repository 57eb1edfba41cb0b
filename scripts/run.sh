#!/usr/bin/env bash
# The main job: install, build, start hrd on the default SQLite database
# (sqlite:///./homerack.db), bring the schema to head with hrctl, and
# check that the models (models/homerack.sql) agree with the migrations.
# hrd keeps running in the background afterwards; stop it with
#   kill "$(cat build/hrd.pid)"
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

hrctl=build/bin/hrctl
if ! $hrctl current >/dev/null 2>&1; then
	build/bin/hrd >build/hrd.log 2>&1 &
	echo $! >build/hrd.pid
	# Wait (up to ~5 s) for the socket to answer.
	for _ in $(seq 50); do
		$hrctl current >/dev/null 2>&1 && break
		kill -0 "$(cat build/hrd.pid)" 2>/dev/null || { cat build/hrd.log >&2; exit 1; }
		sleep 0.1
	done
	echo "hrd started (pid $(cat build/hrd.pid), log build/hrd.log)"
fi

set -x
$hrctl upgrade head
$hrctl current
$hrctl history
$hrctl models
$hrctl check
