#!/usr/bin/env bash
# Build the fuzz targets with clang and run each for a bounded time
# (FUZZ_SECONDS, default 20), after replaying its corpus — the seeds plus
# every input that once crashed us, kept as regression tests. Exits
# non-zero on any crash; a crashing input is left in fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD:-build-fuzz}

CC=clang cmake -S . -B "$build" -DHR_FUZZ=ON -DHR_WERROR=OFF \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_frame fuzz_request fuzz_h2 \
	fuzz_migration fuzz_target >/dev/null
mkdir -p fuzz/crashes
# The product's own migration files seed the parser too (read only).
declare -A extra=([migration]=migrations)
for name in frame request migration target h2; do
	work=$(mktemp -d)
	# New inputs go to a scratch dir; the committed corpus stays as is.
	"$build/bin/fuzz_$name" -max_total_time="$seconds" -max_len=4096 \
		-artifact_prefix=fuzz/crashes/"$name"- -print_final_stats=1 \
		"$work" "fuzz/corpus/$name" ${extra[$name]:-} 2>"$work.log" || {
		tail -40 "$work.log"
		echo "fuzz_$name: FAILED (input kept in fuzz/crashes/)"
		exit 1
	}
	echo "fuzz_$name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$') runs in ${seconds}s, no crash"
	rm -rf "$work" "$work.log"
done
