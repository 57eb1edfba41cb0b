#!/usr/bin/env bash
# bench/run.sh — the benchmarks of docs/performance.md in one command.
#
# Builds hrd, hrctl and hrbench (RelWithDebInfo, in build-bench/), starts
# private hrd instances on temporary sockets and databases, runs every
# benchmark, prints the results table (markdown) and writes it to
# build-bench/bench-results.md; the raw RESULT lines go to
# build-bench/bench-results.txt. Everything it started is stopped on exit.
#
# usage: bench/run.sh [--quick]
#   --quick         fewer repetitions (a smoke test; figures are rough)
# environment:
#   BENCH_BUILD     build directory (default build-bench)
#   BENCH_TMP       where the temporary databases go (default $TMPDIR or
#                   /tmp; put it on the disk you care about: fsync counts)
#   DBMATE          the dbmate binary the cold start is compared with
#                   (default: dbmate on PATH; not in Debian: `npm install
#                   dbmate` ships it); without it that row says so
#   PG_BIN          PostgreSQL binaries (default /usr/lib/postgresql/15/bin);
#                   its psql is the baseline, not Debian's /usr/bin/psql (a
#                   Perl wrapper that costs ~30 ms per start); SKIP_PG=1
#                   skips PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

build=${BENCH_BUILD:-build-bench}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# The real client binary: every PostgreSQL floor is measured with it.
PSQL=$PG_BIN/psql
out_md=$build/bench-results.md
out_raw=$build/bench-results.txt

# Repetitions: [normal] or [quick].
if [ "$quick" = 1 ]; then
	LAT_RUNS=2 LAT_ITERS=3000 TPUT_SECONDS=0.5 SPAWN_RUNS=30
	MIG_ROUNDS_10=3 MIG_ROUNDS_100=2 MIG_ROUNDS_1000=1
	MODELS_ROUNDS_10=3 MODELS_ROUNDS_100=2 MODELS_ROUNDS_1000=1
else
	LAT_RUNS=5 LAT_ITERS=20000 TPUT_SECONDS=1.5 SPAWN_RUNS=200
	MIG_ROUNDS_10=10 MIG_ROUNDS_100=5 MIG_ROUNDS_1000=5
	MODELS_ROUNDS_10=10 MODELS_ROUNDS_100=5 MODELS_ROUNDS_1000=3
fi

# --- build ---------------------------------------------------------------

# What is measured: the commit, and whether the sources differ from it.
built_from="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- server client common 2>/dev/null || built_from="$built_from+changes"
echo "building in $build (RelWithDebInfo)..." >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target hrd hrctl hrbench >/dev/null
HRD=$root/$build/bin/hrd
HRCTL=$root/$build/bin/hrctl
HRBENCH=$root/$build/bin/hrbench

# --- private instances, stopped on exit ----------------------------------

work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/hrbench.XXXXXX")
declare -A HRD_PID=()
pg_started=0

as_postgres() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
	for name in "${!HRD_PID[@]}"; do
		kill "${HRD_PID[$name]}" 2>/dev/null || true
		wait "${HRD_PID[$name]}" 2>/dev/null || true
	done
	if [ "$pg_started" = 1 ]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$work/pg/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_hrd NAME DATABASE_URL MIGRATIONS_DIR [hrd options…]: start an hrd
# on $work/NAME.sock and wait until it answers. Fails (status 1, log in
# $work/NAME.log) when it does not come up. It logs warnings and errors
# only; with HRD_QUIET= (empty) also what it reloads and writes.
start_hrd() {
	local name=$1 url=$2 dir=$3 quiet=${HRD_QUIET---quiet}
	shift 3
	"$HRD" ${quiet:+"$quiet"} --socket "$work/$name.sock" --database "$url" \
		--migrations "$dir" "$@" >"$work/$name.log" 2>&1 &
	HRD_PID[$name]=$!
	for _ in $(seq 100); do
		if "$HRCTL" --socket "$work/$name.sock" current >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "${HRD_PID[$name]}" 2>/dev/null; then
			unset "HRD_PID[$name]"
			return 1
		fi
		sleep 0.05
	done
	return 1
}

stop_hrd() {
	kill "${HRD_PID[$1]}"
	wait "${HRD_PID[$1]}" || true
	unset "HRD_PID[$1]"
}

# --- figures -------------------------------------------------------------

declare -A P50=() P99=() UNIT=() EXTRA=()
: >"$out_raw"

# bench ARGS…: run hrbench, keep its RESULT lines; stop if it fails.
bench() {
	local line tag name rest kv
	if ! timeout 600 "$HRBENCH" "$@" >"$work/hrbench.out"; then
		echo "bench/run.sh: hrbench $* failed" >&2
		exit 1
	fi
	cat "$work/hrbench.out" >>"$out_raw"
	while IFS= read -r line; do
		read -r tag name rest <<<"$line"
		[ "$tag" = RESULT ] || continue
		EXTRA[$name]=$rest
		for kv in $rest; do
			case $kv in
			p50=*) P50[$name]=${kv#p50=} ;;
			p99=*) P99[$name]=${kv#p99=} ;;
			unit=*) UNIT[$name]=${kv#unit=} ;;
			esac
		done
	done <"$work/hrbench.out"
}

# extra NAME KEY: a key=value field of a result line.
extra() {
	local kv
	for kv in ${EXTRA[$1]:-}; do
		case $kv in "$2="*) echo "${kv#"$2"=}"; return ;; esac
	done
}

step() { echo "== $*" >&2; }

ncpu=$(nproc)
other_cpu=$((ncpu > 1 ? 1 : 0))

step "ping-pong: bare 64-byte round trips"
bench pingpong --name pp.same --cpu 0 --runs $LAT_RUNS --iters $LAT_ITERS
bench pingpong --name pp.free --runs $LAT_RUNS --iters $LAT_ITERS
bench pingpong --name pp.cross --cpu 0 --peer-cpu $other_cpu \
	--runs $LAT_RUNS --iters $LAT_ITERS

step "Current: one client"
start_hrd cur "sqlite:///$work/cur.db" "$root/migrations" ||
	{ cat "$work/cur.log" >&2; exit 1; }
"$HRCTL" --socket "$work/cur.sock" upgrade head >/dev/null
pid=${HRD_PID[cur]}
sock=$work/cur.sock
bench latency --name cur.same --socket "$sock" --cpu 0 --hrd-pid "$pid" \
	--runs $LAT_RUNS --iters $LAT_ITERS
bench latency --name cur.free --socket "$sock" --runs $LAT_RUNS --iters $LAT_ITERS
bench latency --name cur.cross --socket "$sock" --cpu 0 --hrd-pid "$pid" \
	--hrd-cpu $other_cpu --runs $LAT_RUNS --iters $LAT_ITERS
bench latency --name cur.raw.same --socket "$sock" --raw --cpu 0 \
	--hrd-pid "$pid" --runs $LAT_RUNS --iters $LAT_ITERS

step "Current: throughput (and the echo floor for the same connections)"
# Clients on CPU 0, the server (hrd or the echo server) on the other:
# unpinned, the scheduler's placement changes from run to run and so
# does the figure, by up to 3x on this kind of VM.
for depth in 1 8; do
	for conns in 1 4 16 64; do
		bench throughput --name "echo.c$conns.d$depth" --echo \
			--conns $conns --depth $depth --seconds $TPUT_SECONDS \
			--cpu 0 --server-cpu $other_cpu
		bench throughput --name "cur.c$conns.d$depth" --socket "$sock" \
			--conns $conns --depth $depth --seconds $TPUT_SECONDS \
			--cpu 0 --server-cpu $other_cpu --hrd-pid "$pid"
	done
done

step "whole command: hrctl current vs sqlite3"
bench spawn --names proc.hrctl,proc.sqlite3 --runs $SPAWN_RUNS --warmup 10 -- \
	"$HRCTL" --socket "$sock" current ::: \
	sqlite3 "$work/cur.db" "select version_num from alembic_version"
stop_hrd cur

step "memory: idle, then 1000 idle connections"
start_hrd mem "sqlite:///$work/mem.db" "$root/migrations" \
	--max-connections 2048 --max-connections-per-uid 2048 ||
	{ cat "$work/mem.log" >&2; exit 1; }
bench conns --name mem --pid "${HRD_PID[mem]}" --socket "$work/mem.sock" --count 1000
stop_hrd mem

step "memory: 256 peers that pipeline Current and never read"
start_hrd flood "sqlite:///$work/flood.db" "$root/migrations" \
	--max-connections 2048 --max-connections-per-uid 2048 ||
	{ cat "$work/flood.log" >&2; exit 1; }
bench flood --name flood --pid "${HRD_PID[flood]}" --socket "$work/flood.sock" \
	--peers 256
stop_hrd flood

# migrate DIALECT N ROUNDS: `hrctl upgrade head` and `downgrade base` over
# N generated migrations, each round followed by the floor: the same
# statements, one transaction per migration, through the sqlite3 or psql
# client. Leaves the hrd (named DIALECT+N) running.
migrate() {
	local dialect=$1 n=$2 rounds=$3
	local name=$dialect$n
	local d=$work/$name url label floor
	local -a up down
	mkdir -p "$d/migrations"
	"$HRBENCH" gen --count "$n" --dir "$d/migrations" --up-sql "$d/up.sql" \
		--down-sql "$d/down.sql" --dialect "$dialect"
	if [ "$dialect" = sqlite ]; then
		url="sqlite:///$d/hrd.db" label=hrd floor=sqlite3
	else
		pq -d postgres -c "CREATE DATABASE hr$n" -c "CREATE DATABASE floor$n"
		url=$(pg_url "hr$n") label=pghrd floor=psql
	fi
	start_hrd "$name" "$url" "$d/migrations" ||
		{ cat "$work/$name.log" >&2; exit 1; }
	if [ "$name" = sqlite1000 ]; then
		bench conns --name mem.m1000.start --pid "${HRD_PID[$name]}"
	fi
	# One round first: it creates hrd's version tables, whose DDL the
	# floor database then copies.
	"$HRCTL" --socket "$work/$name.sock" upgrade head >/dev/null
	"$HRCTL" --socket "$work/$name.sock" downgrade base >/dev/null
	if [ "$dialect" = sqlite ]; then
		sqlite3 "$d/hrd.db" "SELECT sql || ';' FROM sqlite_master WHERE name IN
			('alembic_version', 'homerack_schema_history')" >"$d/ddl.sql"
		sqlite3 "$d/floor.db" "PRAGMA journal_mode = WAL" ".read $d/ddl.sql" >/dev/null
		up=(sqlite3 -bail "$d/floor.db" ".read $d/up.sql")
		down=(sqlite3 -bail "$d/floor.db" ".read $d/down.sql")
	else
		"$PG_BIN/pg_dump" -s -h "$work/pg" -U postgres -t alembic_version \
			-t homerack_schema_history "hr$n" | pq -d "floor$n" >/dev/null
		up=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -U postgres -d "floor$n" -f "$d/up.sql")
		down=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -U postgres -d "floor$n" -f "$d/down.sql")
	fi
	bench spawn --names "up.$label.$n,down.$label.$n,up.$floor.$n,down.$floor.$n" \
		--runs "$rounds" --warmup 0 -- \
		"$HRCTL" --socket "$work/$name.sock" upgrade head ::: \
		"$HRCTL" --socket "$work/$name.sock" downgrade base ::: \
		"${up[@]}" ::: "${down[@]}"
}

step "upgrade throughput on SQLite: 10, 100, 1000 migrations"
for n in 10 100 1000; do
	rounds=MIG_ROUNDS_$n
	migrate sqlite $n "${!rounds}"
	# The last stays up for the benchmark under load.
	[ $n = 1000 ] || stop_hrd sqlite$n
done

step "Current with 1000 migrations applied"
# The reply describes every version row from the map: its cost may grow
# with the history, which the one-migration schema above would not show.
"$HRCTL" --socket "$work/sqlite1000.sock" upgrade head >/dev/null
bench latency --name cur.m1000.same --socket "$work/sqlite1000.sock" --cpu 0 \
	--hrd-pid "${HRD_PID[sqlite1000]}" --runs 2 --iters 1000
"$HRCTL" --socket "$work/sqlite1000.sock" downgrade base >/dev/null

step "Current while upgrade head / downgrade base of 1000 migrations run"
bench latency --name load.idle --socket "$work/sqlite1000.sock" --runs 1 \
	--iters $LAT_ITERS
# Back to back (the most calls), then as a status poller every
# millisecond would (almost every call then follows a commit).
bench underload --name load --socket "$work/sqlite1000.sock" --rounds 1
bench underload --name load.poll --socket "$work/sqlite1000.sock" --rounds 1 \
	--gap-us 1000
bench conns --name mem.m1000.after --pid "${HRD_PID[sqlite1000]}"
stop_hrd sqlite1000

# Thousands of revisions: hrd on 100 and on 10,000 generated revisions
# (10,000 files, 40 MiB on disk), each database stamped at the head (no
# SQL runs: the map is what is measured). Its memory once loaded, then
# `hrctl heads`, `current` and `show head` against both, interleaved.
step "10,000 revisions: memory, heads, current, show"
for n in 100 10000; do
	d=$work/revs$n
	mkdir -p "$d/migrations"
	"$HRBENCH" gen --count "$n" --dir "$d/migrations" --up-sql "$d/up.sql" \
		--down-sql "$d/down.sql" --dialect sqlite
	start_hrd "revs$n" "sqlite:///$d/hrd.db" "$d/migrations" ||
		{ cat "$work/revs$n.log" >&2; exit 1; }
	bench conns --name "mem.r$n" --pid "${HRD_PID[revs$n]}"
	"$HRCTL" --socket "$work/revs$n.sock" stamp head >/dev/null
done
r100=$work/revs100.sock r10k=$work/revs10000.sock
bench spawn --names revs.heads.100,revs.heads.10000,revs.current.100,revs.current.10000,revs.show.100,revs.show.10000 \
	--runs $SPAWN_RUNS --warmup 5 -- \
	"$HRCTL" --socket "$r100" heads ::: "$HRCTL" --socket "$r10k" heads ::: \
	"$HRCTL" --socket "$r100" current ::: "$HRCTL" --socket "$r10k" current ::: \
	"$HRCTL" --socket "$r100" show head ::: "$HRCTL" --socket "$r10k" show head
stop_hrd revs100
stop_hrd revs10000

# Cold start: hrd exec'd on 1000 generated migrations, as systemd
# would start it on its socket, timed until its first Current is
# answered (hrbench spawn's @activate); beside it `dbmate status` on
# 1000 migrations of its own (same count; it reads names, hrd reads and
# hashes every file) and /bin/true, interleaved.
step "cold start on 1000 migrations"
d=$work/cold
mkdir -p "$d/migrations" "$d/dbmate"
"$HRBENCH" gen --count 1000 --dir "$d/migrations" --up-sql "$d/up.sql" \
	--down-sql "$d/down.sql" --dialect sqlite
DBMATE=${DBMATE:-$(command -v dbmate || true)}
cold=(@activate="$d/hrd.sock" "$HRD" --quiet --database "sqlite:///$d/hrd.db"
	--migrations "$d/migrations")
if [ -n "$DBMATE" ] && [ -x "$DBMATE" ]; then
	for i in $(seq 1000); do
		printf -- '-- migrate:up\nCREATE TABLE t%d (id INTEGER);\n-- migrate:down\nDROP TABLE t%d;\n' \
			"$i" "$i" >"$d/dbmate/$((20260101000000 + i))_t$i.sql"
	done
	bench spawn --names cold.hrd,cold.dbmate,cold.true --runs $SPAWN_RUNS --warmup 3 -- \
		"${cold[@]}" ::: "$DBMATE" --url "sqlite:$d/dbmate.db" \
		--migrations-dir "$d/dbmate" --no-dump-schema status ::: /bin/true
else
	bench spawn --names cold.hrd,cold.true --runs $SPAWN_RUNS --warmup 3 -- \
		"${cold[@]}" ::: /bin/true
fi

# models N ROUNDS: `hrctl check` and `hrctl revision --autogenerate` over N
# generated migrations (docs/models.md).
#
# hrd "checkN" has models equal to the migrations' heads (the heads'
# schema as the sqlite3 client dumps it), so a check replays all N
# migrations (unless their schema is kept), builds the models and finds
# nothing to do (exit 0). Each round changes a migration's checksum (a
# comment appended) and SIGHUPs hrd (dropping the kept answer and the
# kept heads), and waits for the reload in its log; then, interleaved:
# the first `check` (it replays),
# `upgrade head` and `downgrade base` of the same N migrations on its
# file database, and the floor for the replay: the same migrations' SQL
# through the sqlite3 client on an in-memory database. Then, with
# nothing changed, `check` (answered from the kept result) and `current`
# interleaved, as many runs as the whole-command benchmark.
#
# hrd "autogenN" runs on a database at the heads, with models that add
# one column to the first table. Each round removes the revision the
# last one wrote, once hrd has reloaded the map with it, and waits until
# hrd has reloaded the map without it (autogenerate refuses unless the
# database is at every head, and gives up if the map changes under it).
models() {
	local n=$1 rounds=$2
	local d=$work/models$n schema versions
	mkdir -p "$d/migrations" "$d/models" "$d/autogen-migrations" \
		"$d/autogen-models"
	"$HRBENCH" gen --count "$n" --dir "$d/migrations" --up-sql "$d/up.sql" \
		--down-sql "$d/down.sql" --dialect sqlite
	cp "$d/migrations"/*.sql "$d/autogen-migrations/"
	schema="SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL
		AND name NOT LIKE 'sqlite_%'
		AND name NOT IN ('alembic_version', 'homerack_schema_history')
		ORDER BY rowid"
	versions="CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
		CREATE TABLE homerack_schema_history (revision, direction,
			from_revisions, to_revisions, checksum, message,
			applied_at, duration_ms, peer_uid)"
	sqlite3 -bail :memory: "$versions" ".read $d/up.sql" "$schema" \
		>"$d/models/bench.sql"
	sed 's/^\(CREATE TABLE bench_0 (.*\));$/\1, bench_note VARCHAR(64));/' \
		"$d/models/bench.sql" >"$d/autogen-models/bench.sql"
	cmp -s "$d/models/bench.sql" "$d/autogen-models/bench.sql" &&
		{ echo "bench/run.sh: no bench_0 in the heads' schema" >&2; exit 1; }

	HRD_QUIET= start_hrd "check$n" "sqlite:///$d/check.db" \
		"$d/migrations" --models "$d/models" ||
		{ cat "$work/check$n.log" >&2; exit 1; }
	# Cold: a comment appended to one migration changes its checksum,
	# so the kept heads' schema no longer applies and check replays.
	bench spawn --names "check.first.$n,check.up.$n,check.down.$n,check.sqlite3.$n" \
		--runs "$rounds" --warmup 0 \
		--before "sh $work/sighup-and-wait.sh $work/check$n.log ${HRD_PID[check$n]} $(ls "$d"/migrations/*.sql | head -1)" -- \
		"$HRCTL" --socket "$work/check$n.sock" check ::: \
		"$HRCTL" --socket "$work/check$n.sock" upgrade head ::: \
		"$HRCTL" --socket "$work/check$n.sock" downgrade base ::: \
		sqlite3 -bail :memory: "$versions" ".read $d/up.sql"
	# A models reload with no migration changed: the kept heads apply.
	bench spawn --names "check.models.$n" --runs "$rounds" --warmup 0 \
		--before "sh $work/sighup-and-wait.sh $work/check$n.log ${HRD_PID[check$n]}" -- \
		"$HRCTL" --socket "$work/check$n.sock" check
	bench spawn --names "check.again.$n,check.current.$n" --runs $SPAWN_RUNS \
		--warmup 3 -- \
		"$HRCTL" --socket "$work/check$n.sock" check ::: \
		"$HRCTL" --socket "$work/check$n.sock" current
	stop_hrd "check$n"

	HRD_QUIET= start_hrd "autogen$n" "sqlite:///$d/autogen.db" \
		"$d/autogen-migrations" --models "$d/autogen-models" ||
		{ cat "$work/autogen$n.log" >&2; exit 1; }
	"$HRCTL" --socket "$work/autogen$n.sock" upgrade head >/dev/null
	bench spawn --names "autogen.$n" --runs "$rounds" --warmup 0 \
		--before "sh $work/unwrite-and-wait.sh $work/autogen$n.log $d/autogen-migrations $n" -- \
		"$HRCTL" --socket "$work/autogen$n.sock" revision --autogenerate \
		-m "bench note" --rev-id benchnote0001
	stop_hrd "autogen$n"
}

# The hooks models() runs before each round. Each waits for a line in
# hrd's log, at most 120 s.
cat >"$work/wait-lines.sh" <<'SH'
# wait-lines.sh LOG TEXT COUNT: until LOG holds COUNT lines with TEXT.
i=0
while [ "$(grep -cF -- "$2" "$1")" -lt "$3" ]; do
	i=$((i + 1))
	if [ $i -gt 6000 ]; then
		echo "bench/run.sh: no '$2' (#$3) in $1 after 120 s" >&2
		exit 1
	fi
	sleep 0.02
done
SH
cat >"$work/sighup-and-wait.sh" <<'SH'
# sighup-and-wait.sh LOG PID [MIGRATION]: SIGHUP hrd, wait until it
# reloaded its models; first append a comment to MIGRATION, if given (a
# new checksum: the replayed heads are not kept for it).
dir=$(dirname "$0") text="SIGHUP: reloaded 1 models file(s)"
[ -n "${3:-}" ] && echo "-- touched $(date +%s%N)" >>"$3"
k=$(grep -cF -- "$text" "$1")
kill -HUP "$2" && sh "$dir/wait-lines.sh" "$1" "$text" $((k + 1))
SH
cat >"$work/unwrite-and-wait.sh" <<'SH'
# unwrite-and-wait.sh LOG DIR N: remove the revision the last round wrote
# into DIR once hrd's watcher has loaded it (N+1 migrations), then wait
# until the watcher has reloaded the N without it.
dir=$(dirname "$0")
set -- "$1" "$2" "$3" "migrations changed: reloaded"
[ -e "$2"/benchnote0001_*.sql ] || exit 0
k=$(grep -cF -- "$4 $3 migrations from" "$1")
sh "$dir/wait-lines.sh" "$1" "$4 $(($3 + 1)) migrations from" $((k + 1)) &&
	rm "$2"/benchnote0001_*.sql &&
	sh "$dir/wait-lines.sh" "$1" "$4 $3 migrations from" $((k + 1))
SH

step "check and revision --autogenerate on SQLite: 10, 100, 1000 migrations"
for n in 10 100 1000; do
	rounds=MODELS_ROUNDS_$n
	models $n "${!rounds}"
done

# --- PostgreSQL ----------------------------------------------------------

pg_note=""
pg_setup() {
	if [ "${SKIP_PG:-}" = 1 ]; then
		pg_note="SKIP_PG=1"
		return 1
	fi
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PSQL" ]; then
		pg_note="no PostgreSQL server and psql in $PG_BIN"
		return 1
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		pg_note="running as root and there is no postgres user"
		return 1
	fi
	mkdir "$work/pg"
	chmod 755 "$work"
	if [ "$(id -u)" = 0 ]; then chown postgres "$work/pg"; fi
	as_postgres "$PG_BIN/initdb" -D "$work/pg/data" -A trust -U postgres \
		>"$work/pg/initdb.log" 2>&1
	# Stock settings (fsync and synchronous_commit on), Unix socket only.
	as_postgres "$PG_BIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
		-o "-k $work/pg -c listen_addresses=''" start >/dev/null
	pg_started=1
	return 0
}
pq() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/pg" -U postgres "$@"; }
pg_url() { echo "postgresql://postgres@/$1?host=$work/pg"; }

step "PostgreSQL"
if pg_setup; then
	pq -d postgres -c "CREATE DATABASE hrcur"
	if start_hrd pgcur "$(pg_url hrcur)" "$root/migrations"; then
		"$HRCTL" --socket "$work/pgcur.sock" upgrade head >/dev/null
		bench spawn --names proc.pg.hrctl,proc.pg.psql --runs $SPAWN_RUNS \
			--warmup 10 -- \
			"$HRCTL" --socket "$work/pgcur.sock" current ::: \
			"$PSQL" -X -A -t -h "$work/pg" -U postgres -d hrcur \
			-c "select version_num from alembic_version"
		stop_hrd pgcur
		for n in 10 100 1000; do
			rounds=MIG_ROUNDS_$n
			migrate postgresql $n "${!rounds}"
			stop_hrd postgresql$n
		done
	else
		pg_note="hrd does not start on a postgresql:// URL: $(grep -m1 . "$work/pgcur.log" || echo 'no message')"
	fi
fi
if [ -n "$pg_note" ]; then echo "skipping PostgreSQL: $pg_note" >&2; fi

step "gRPC: Current over HTTP/2 (python3-grpcio) beside the native framing"
# The target's figures: C clients of both protocols on one hrd (hrbench
# grpc: libnghttp2; latency: libhrclient). Then one Python process
# measures both protocols (the same protobuf stubs, generated here): what
# a grpcio user sees, most of it grpcio's own cost.
grpc_note=""
mkdir -p "$work/stubs"
if protoc -I "$root/proto" --python_out="$work/stubs" --grpc_out="$work/stubs" \
	--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" homerack.proto &&
	start_hrd grpc "sqlite:///$work/grpc.db" "$root/migrations"; then
	"$HRCTL" --socket "$work/grpc.sock" upgrade head >/dev/null
	bench grpc --name grpc.c.cur --socket "$work/grpc.sock" \
		--runs $LAT_RUNS --iters $LAT_ITERS
	bench latency --name grpc.native.cur --socket "$work/grpc.sock" \
		--runs $LAT_RUNS --iters $LAT_ITERS
	HRBENCH=/usr/bin/python3 bench "$root/bench/grpc_latency.py" \
		"$work/grpc.sock" "$work/stubs" "$LAT_RUNS" "$((LAT_ITERS / 4))" 16
	stop_hrd grpc
else
	grpc_note="no gRPC figures: protoc, grpc_python_plugin or hrd failed"
	echo "skipping gRPC: $grpc_note" >&2
fi

# --- safety (issue 14): one transaction for the whole plan; backups ------
#
# single_tx DIALECT N ROUNDS: `hrctl upgrade head --single-transaction`
# over the N migrations migrate() generated, interleaved with the floor
# migrate() measured: the same SQL through the sqlite3/psql client, one
# transaction per migration (on its own floor database), and the same
# SQL through the client in one transaction (what any tool's single
# transaction can save here). No backup is taken (--no-backup): this
# compares the transactions.
# client_read DIALECT FILE: the argument that makes sqlite3 or psql run
# FILE.
client_read() {
	if [ "$1" = sqlite ]; then echo ".read $2"; else echo "--file=$2"; fi
}
single_tx() {
	local dialect=$1 n=$2 rounds=$3
	local d=$work/$dialect$n name=stx$dialect$n url
	local -a client
	# up.sql without its per-migration BEGIN/COMMIT, in one transaction.
	{
		echo "BEGIN;"
		grep -vE '^(BEGIN( IMMEDIATE)?|COMMIT);$' "$d/up.sql"
		echo "COMMIT;"
	} >"$d/up-one.sql"
	if [ "$dialect" = sqlite ]; then
		url="sqlite:///$d/stx.db"
		client=(sqlite3 -bail "$d/floor.db")
	else
		pq -d postgres -c "CREATE DATABASE stx$n"
		url=$(pg_url "stx$n")
		client=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -U postgres -d "floor$n")
	fi
	start_hrd "$name" "$url" "$d/migrations" ||
		{ cat "$work/$name.log" >&2; exit 1; }
	bench spawn --names "stx.up.$dialect.$n,stx.down.$dialect.$n,stx.floor.up.$dialect.$n,stx.floor.down.$dialect.$n,stx.one.up.$dialect.$n,stx.one.down.$dialect.$n" \
		--runs "$rounds" --warmup 0 -- \
		"$HRCTL" --socket "$work/$name.sock" upgrade head --single-transaction --no-backup ::: \
		"$HRCTL" --socket "$work/$name.sock" downgrade base --no-backup ::: \
		"${client[@]}" "$(client_read "$dialect" "$d/up.sql")" ::: \
		"${client[@]}" "$(client_read "$dialect" "$d/down.sql")" ::: \
		"${client[@]}" "$(client_read "$dialect" "$d/up-one.sql")" ::: \
		"${client[@]}" "$(client_read "$dialect" "$d/down.sql")"
	stop_hrd "$name"
}

step "upgrade --single-transaction of 1000 migrations vs the per-migration floor"
single_tx sqlite 1000 "$MIG_ROUNDS_1000"
if [ -n "${P50[up.pghrd.1000]:-}" ]; then
	single_tx postgresql 1000 "$MIG_ROUNDS_1000"
fi

# The backup an upgrade takes on SQLite, on a 100 MiB database: the same
# upgrade (the initial migration) with and without it, interleaved with
# `sqlite3 DB ".backup COPY"` of the same file. Its cost is the
# difference of the two upgrades.
step "backup before an upgrade of a 100 MiB SQLite database vs sqlite3 .backup"
bk=$work/backup
mkdir -p "$bk"
sqlite3 "$bk/big.db" "PRAGMA journal_mode = WAL" \
	"CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)" \
	"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 25600)
	 INSERT INTO blobs (data) SELECT randomblob(4096) FROM c" >/dev/null
start_hrd backup "sqlite:///$bk/big.db" "$root/migrations" --keep-backups 1 ||
	{ cat "$work/backup.log" >&2; exit 1; }
BK_MIB=$(($(stat -c %s "$bk/big.db") / 1048576))
bench spawn --names "bk.up.backup,bk.down.a,bk.up.plain,bk.down.b,bk.sqlite3" \
	--runs "$MIG_ROUNDS_100" --warmup 1 -- \
	"$HRCTL" --socket "$work/backup.sock" upgrade head ::: \
	"$HRCTL" --socket "$work/backup.sock" downgrade base --no-backup ::: \
	"$HRCTL" --socket "$work/backup.sock" upgrade head --no-backup ::: \
	"$HRCTL" --socket "$work/backup.sock" downgrade base --no-backup ::: \
	sqlite3 "$bk/big.db" ".backup $bk/copy.db"
stop_hrd backup
rm -rf "$bk"

# --- the table -----------------------------------------------------------

# fmt VALUE UNIT: a figure for people.
fmt() {
	awk -v v="$1" -v u="$2" 'BEGIN {
		if (u == "us") printf(v >= 1000 ? "%.2f ms" : "%.1f µs", v >= 1000 ? v / 1000 : v)
		else if (u == "ms") printf(v >= 1000 ? "%.2f s" : (v >= 100 ? "%.0f ms" : "%.1f ms"), v >= 1000 ? v / 1000 : v)
		else if (u == "calls/s") printf(v >= 1e6 ? "%.2fM/s" : "%.1fk/s", v >= 1e6 ? v / 1e6 : v / 1e3)
		else if (u == "KiB") printf("%.1f MiB", v / 1024)
		else if (u == "s") printf(v >= 1 ? "%.2f s" : "%.0f ms", v >= 1 ? v : v * 1000)
		else printf("%s %s", v, u)
	}'
}
# pair NAME: "p50 / p99" of a result.
pair() {
	if [ -z "${P50[$1]:-}" ]; then echo "—"; return; fi
	echo "$(fmt "${P50[$1]}" "${UNIT[$1]}") / $(fmt "${P99[$1]}" "${UNIT[$1]}")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f×", a / b) }'; }
# verdict A OP B: PASS when A OP B holds (OP one of <=, >=, <).
verdict() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		ok = (op == "<=") ? a <= b : (op == ">=") ? a >= b : a < b
		print ok ? "PASS" : "**MISS**" }'
}

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }

# Round trip: hrd vs ping-pong, same placement.
rt_row() { # LABEL CUR PP TARGETED
	local r="" v="—"
	r=$(ratio "${P50[$2]}" "${P50[$3]}")
	[ "$4" = 1 ] && v=$(verdict "${P50[$2]}" "<=" "$(awk -v x="${P50[$3]}" 'BEGIN{print 3*x}')")
	row "$1" "$([ "$4" = 1 ] && echo "p50 ≤ 3× ping-pong" || echo "—")" \
		"$(pair "$2")" "ping-pong $(pair "$3")" "$r" "$v"
}
rt_row "\`Current\` round trip, client and hrd on one CPU" cur.same pp.same 1
rt_row "\`Current\` round trip, client on CPU 0, hrd on CPU $other_cpu" cur.cross pp.cross 1
rt_row "\`Current\` round trip, unpinned (placement varies per run)" cur.free pp.free 0
rt_row "\`Current\` round trip, raw frames (no libhrclient), one CPU" cur.raw.same pp.same 0
rt_row "\`Current\` round trip with 1000 migrations applied, one CPU" cur.m1000.same pp.same 1

for depth in 1 8; do
	for conns in 1 4 16 64; do
		c=cur.c$conns.d$depth e=echo.c$conns.d$depth
		target="—" v="—"
		if [ "$conns" = 16 ] && [ "$depth" = 1 ]; then
			target="≥ 0.5× echo"
			v=$(verdict "${P50[$c]}" ">=" "$(awk -v x="${P50[$e]}" 'BEGIN{print x/2}')")
		fi
		row "\`Current\` throughput, $conns conn × $depth in flight, clients CPU 0, server CPU $other_cpu (call latency $(pair "$c.latency"))" \
			"$target" "$(pair "$c")" "echo $(pair "$e")" \
			"$(ratio "${P50[$c]}" "${P50[$e]}")" "$v"
	done
done

load_row() { # NAME HOW
	local errors v
	errors=$(extra "$1" errors)
	v=$(verdict "${P99[$1]}" "<" 1000)
	[ "$errors" = 0 ] || v="**MISS** ($errors calls failed)"
	row "\`Current\` $2 while upgrade head ($(fmt "${P50[$1.upgrade]}" s)) and downgrade base ($(fmt "${P50[$1.downgrade]}" s)) of 1000 migrations run ($(extra "$1" calls) calls, max $(fmt "$(extra "$1" max)" us))" \
		"p99 < 1 ms" "$(pair "$1")" "idle $(pair load.idle)" \
		"$(ratio "${P99[$1]}" "${P99[load.idle]}") (p99)" "$v"
}
load_row load "back to back"
load_row load.poll "every 1 ms"

row "\`hrctl current\` as a whole process" "≤ sqlite3 client" "$(pair proc.hrctl)" \
	"sqlite3 $(pair proc.sqlite3)" "$(ratio "${P50[proc.hrctl]}" "${P50[proc.sqlite3]}")" \
	"$(verdict "${P50[proc.hrctl]}" "<=" "${P50[proc.sqlite3]}")"
if [ -n "${P50[proc.pg.hrctl]:-}" ]; then
	row "\`hrctl current\` as a whole process, PostgreSQL" "≤ ⅓ psql" "$(pair proc.pg.hrctl)" \
		"psql $(pair proc.pg.psql)" "$(ratio "${P50[proc.pg.hrctl]}" "${P50[proc.pg.psql]}")" \
		"$(verdict "${P50[proc.pg.hrctl]}" "<=" "$(awk -v x="${P50[proc.pg.psql]}" 'BEGIN{print x/3}')")"
else
	row "\`hrctl current\` as a whole process, PostgreSQL" "≤ ⅓ psql" "skipped: $pg_note" "" "" "—"
fi

mig_rows() { # ENGINE_LABEL HRD_KEY FLOOR_KEY FLOOR_LABEL MAX_RATIO
	local n dir c f target v
	for dir in up down; do
		for n in 10 100 1000; do
			c=$dir.$2.$n f=$dir.$3.$n target="—" v="—"
			[ -n "${P50[$c]:-}" ] || continue
			if [ "$n" = 1000 ]; then
				target="≤ $5× $4"
				v=$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[$f]}" -v r="$5" 'BEGIN{print r*x}')")
			fi
			row "\`$([ $dir = up ] && echo "upgrade head" || echo "downgrade base")\`, $n migrations, $1" \
				"$target" "$(pair "$c")" "$4 $(pair "$f")" \
				"$(ratio "${P50[$c]}" "${P50[$f]}")" "$v"
		done
	done
}
mig_rows SQLite hrd sqlite3 sqlite3 1.1
if [ -n "${P50[up.pghrd.1000]:-}" ]; then
	mig_rows PostgreSQL pghrd psql psql 1.0
else
	row "\`upgrade head\` / \`downgrade base\`, PostgreSQL" "≤ 1.0× psql" "skipped: $pg_note" "" "" "—"
fi

# check and autogenerate, against the commands measured beside them.
for n in 10 100 1000; do
	c=check.first.$n target="—" v="—"
	if [ "$n" = 1000 ]; then
		target="≤ 0.25× upgrade head"
		v=$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[check.up.$n]}" 'BEGIN{print x/4}')")
	fi
	row "\`hrctl check\`, cold (a migration changed: replays all), $n migrations, SQLite" \
		"$target" "$(pair "$c")" "upgrade head $(pair "check.up.$n")" \
		"$(ratio "${P50[$c]}" "${P50[check.up.$n]}")" "$v"
done
for n in 10 100 1000; do
	c=check.models.$n target="—" v="—"
	if [ "$n" = 1000 ]; then
		target="≤ 0.25× upgrade head"
		v=$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[check.up.$n]}" 'BEGIN{print x/4}')")
	fi
	row "\`hrctl check\` after a models edit (the replayed heads kept), $n migrations, SQLite" \
		"$target" "$(pair "$c")" "upgrade head $(pair "check.up.$n")" \
		"$(ratio "${P50[$c]}" "${P50[check.up.$n]}")" "$v"
done
for n in 10 100 1000; do
	row "the replay's floor: the $n migrations' SQL through sqlite3, in memory" \
		"—" "$(pair "check.first.$n")" "sqlite3 $(pair "check.sqlite3.$n")" \
		"$(ratio "${P50[check.first.$n]}" "${P50[check.sqlite3.$n]}")" "—"
done
for n in 10 100 1000; do
	c=check.again.$n f=check.current.$n
	row "\`hrctl check\` again, nothing changed (kept answer), $n migrations, SQLite" \
		"≤ 2× hrctl current" "$(pair "$c")" "current $(pair "$f")" \
		"$(ratio "${P50[$c]}" "${P50[$f]}")" \
		"$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[$f]}" 'BEGIN{print 2*x}')")"
done
for n in 10 100 1000; do
	row "\`hrctl revision --autogenerate\`, one added column, $n migrations, SQLite" \
		"—" "$(pair "autogen.$n")" "first check $(pair "check.first.$n")" \
		"$(ratio "${P50[autogen.$n]}" "${P50[check.first.$n]}")" "—"
done

idle_kib=${P50[mem.rss]}
added_kib=$(awk -v a="${P50[mem.open.rss]}" -v b="$idle_kib" 'BEGIN{print a-b}')
row "hrd idle, resident (anonymous part $(fmt "${P50[mem.anon]}" KiB))" "< 8 MiB" \
	"$(fmt "$idle_kib" KiB)" "" "" "$(verdict "$idle_kib" "<" 8192)"
row "1000 idle connections, added resident (total $(fmt "${P50[mem.open.rss]}" KiB), after closing $(fmt "${P50[mem.closed.rss]}" KiB))" \
	"< 16 MiB" "$(fmt "$added_kib" KiB)" "" "" "$(verdict "$added_kib" "<" 16384)"
flood_v=$(verdict "${P50[flood.hwm]}" "<" 65536)
[ "$(extra flood.hwm stalled)" = 1 ] || flood_v="**MISS** (hrd kept reading them)"
row "256 peers pipelining \`Current\` and never reading: hrd's peak resident (while they wait $(fmt "${P50[flood.rss]}" KiB), once they close $(fmt "${P50[flood.closed.rss]}" KiB))" \
	"< 64 MiB" "$(fmt "${P50[flood.hwm]}" KiB)" "" "" "$flood_v"
row "hrd with 1000 migration files loaded, at start (anonymous $(fmt "${P50[mem.m1000.start.anon]}" KiB))" "—" \
	"$(fmt "${P50[mem.m1000.start.rss]}" KiB)" "" "" "—"
row "hrd after applying 1000 migrations (peak $(fmt "${P50[mem.m1000.after.hwm]}" KiB), anonymous $(fmt "${P50[mem.m1000.after.anon]}" KiB))" "—" \
	"$(fmt "${P50[mem.m1000.after.rss]}" KiB)" "" "" "—"

if [ -n "${P50[cold.dbmate]:-}" ]; then
	row "cold start: hrd exec'd on 1000 migrations until its first \`Current\` is answered (/bin/true $(pair cold.true))" \
		"≤ dbmate status" "$(pair cold.hrd)" "dbmate status $(pair cold.dbmate)" \
		"$(ratio "${P50[cold.hrd]}" "${P50[cold.dbmate]}")" \
		"$(verdict "${P50[cold.hrd]}" "<=" "${P50[cold.dbmate]}")"
else
	row "cold start: hrd exec'd on 1000 migrations until its first \`Current\` is answered" \
		"≤ dbmate status" "$(pair cold.hrd)" "/bin/true $(pair cold.true); no dbmate (DBMATE)" \
		"$(ratio "${P50[cold.hrd]}" "${P50[cold.true]}")" "—"
fi
for cmd in heads current show; do
	c=revs.$cmd.10000 f=revs.$cmd.100
	row "\`hrctl $cmd\`$([ $cmd = show ] && echo " head") as a whole process, 10,000 revisions" \
		"≤ 2× at 100 revisions" "$(pair "$c")" "100 revisions $(pair "$f")" \
		"$(ratio "${P50[$c]}" "${P50[$f]}")" \
		"$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[$f]}" 'BEGIN{print 2*x}')")"
done
row "hrd with 10,000 revisions loaded, anonymous (100 revisions: $(fmt "${P50[mem.r100.anon]}" KiB); 1000: $(fmt "${P50[mem.m1000.start.anon]}" KiB); resident $(fmt "${P50[mem.r10000.rss]}" KiB))" \
	"≤ 40 MiB" "$(fmt "${P50[mem.r10000.anon]}" KiB)" "" "" \
	"$(verdict "${P50[mem.r10000.anon]}" "<=" 40960)"
if [ -z "$grpc_note" ]; then
	row "\`Current\` over gRPC, C client (libnghttp2), one client, unpinned" \
		"p50 ≤ 2× native" "$(pair grpc.c.cur)" \
		"native (libhrclient), same hrd $(pair grpc.native.cur)" \
		"$(ratio "${P50[grpc.c.cur]}" "${P50[grpc.native.cur]}")" \
		"$(verdict "${P50[grpc.c.cur]}" "<=" "$(awk -v x="${P50[grpc.native.cur]}" 'BEGIN{print 2*x}')")"
	row "\`Current\` over gRPC, python3-grpcio, one client, unpinned" \
		"—" "$(pair grpc.py.cur)" "native framing from Python $(pair native.py.cur)" \
		"$(ratio "${P50[grpc.py.cur]}" "${P50[native.py.cur]}")" "—"
	row "\`Current\` over gRPC, 16 channels (a thread each, one Python process)" \
		"—" "$(fmt "${P50[grpc.py.c16]}" calls/s)" "native, C, 16 conns $(fmt "${P50[cur.c16.d1]}" calls/s)" "" "—"
fi
# Safety (issue 14): --single-transaction against the per-migration
# floor, and the backup before an upgrade against sqlite3 .backup.
stx_row() { # DIALECT LABEL FLOOR
	local c=stx.up.$1.1000 f=stx.floor.up.$1.1000
	if [ -z "${P50[$c]:-}" ]; then
		row "\`upgrade head --single-transaction\`, 1000 migrations, $2" \
			"≥ 5× faster than $3" "skipped: $pg_note" "" "" "—"
		return
	fi
	row "\`upgrade head --single-transaction\`, 1000 migrations, $2 (no backup)" \
		"≥ 5× faster than $3, one transaction per migration" "$(pair "$c")" \
		"$3 $(pair "$f")" "$(ratio "${P50[$f]}" "${P50[$c]}") faster" \
		"$(verdict "${P50[$c]}" "<=" "$(awk -v x="${P50[$f]}" 'BEGIN{print x/5}')")"
}
# What one transaction can save at all: the client itself, the same SQL
# in one transaction against one per migration; and hrd against that.
stx_floor_row() { # DIALECT LABEL FLOOR
	local c=stx.up.$1.1000 f=stx.floor.up.$1.1000 o=stx.one.up.$1.1000
	[ -n "${P50[$o]:-}" ] || return 0
	row "the same SQL through $3 in one transaction, 1000 migrations, $2 (the most a single transaction saves here)" \
		"—" "$3 one transaction $(pair "$o")" \
		"$3 per migration $(pair "$f")" "$(ratio "${P50[$f]}" "${P50[$o]}") faster" "—"
	row "\`upgrade head --single-transaction\`, 1000 migrations, $2, against that" \
		"—" "$(pair "$c")" "$3 one transaction $(pair "$o")" \
		"$(ratio "${P50[$c]}" "${P50[$o]}")" "—"
}
stx_row sqlite SQLite sqlite3
stx_floor_row sqlite SQLite sqlite3
stx_row postgresql PostgreSQL psql
stx_floor_row postgresql PostgreSQL psql
bk_cost=$(awk -v a="${P50[bk.up.backup]}" -v b="${P50[bk.up.plain]}" 'BEGIN{print a-b}')
row "backup before \`upgrade head\`, ${BK_MIB} MiB SQLite database (upgrade $(fmt "${P50[bk.up.backup]}" "${UNIT[bk.up.backup]}") with it, $(fmt "${P50[bk.up.plain]}" "${UNIT[bk.up.plain]}") without)" \
	"≤ 1.5× sqlite3 .backup" "$(fmt "$bk_cost" "${UNIT[bk.up.backup]}")" \
	"sqlite3 .backup $(pair bk.sqlite3)" "$(ratio "$bk_cost" "${P50[bk.sqlite3]}")" \
	"$(verdict "$bk_cost" "<=" "$(awk -v x="${P50[bk.sqlite3]}" 'BEGIN{print 1.5*x}')")"

{
	echo "hrd benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC'), $built_from, $ncpu CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r), SQLite $(sqlite3 --version | cut -d' ' -f1)$([ "$quick" = 1 ] && echo ', --quick')"
	echo
	echo "| Figure | Target | hrd p50 / p99 | Floor p50 / p99 | Ratio (p50) | Result |"
	echo "| --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
	if [ -n "$pg_note" ]; then
		echo
		echo "PostgreSQL skipped: $pg_note"
	fi
} | tee "$out_md"
echo "(table in $out_md, raw figures in $out_raw)" >&2
