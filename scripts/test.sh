#!/usr/bin/env bash
# The whole test suite: unit, end-to-end and PostgreSQL tests, first in
# a normal build, then in an AddressSanitizer + UndefinedBehaviorSanitizer
# build; then Release builds with gcc and clang that must compile with
# no warning; then each libFuzzer target for a bounded time (FUZZ_SECONDS,
# default 20) after replaying its corpus. Exits non-zero when anything
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

run_suite() { # build-dir, extra cmake args...
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	(cd "$dir" && ctest --output-on-failure -j"$jobs")
}

echo "== normal build =="
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHR_WERROR=ON
echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DHR_SANITIZE=ON -DHR_WERROR=ON
echo "== warnings: a Release build with gcc, a build with clang (-Werror) =="
for compiler in gcc clang; do
	CC=$compiler cmake -S . -B "build-$compiler" -DCMAKE_BUILD_TYPE=Release \
		-DHR_WERROR=ON >/dev/null
	cmake --build "build-$compiler" -j"$jobs" >/dev/null
done
echo "== fuzzing (${FUZZ_SECONDS:-20} s per target) =="
fuzz/run.sh
