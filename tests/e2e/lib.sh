# lib.sh — the end-to-end harness: a private hrd on a temp socket with a
# temp database, driven by the real hrctl. Sourced by tests/e2e/test_*.sh.
#
# Environment (set by CTest): HRD, HRCTL (binaries), SRCDIR (the checkout),
# HR_BACKEND (sqlite, the default, or postgres: a throwaway cluster of the
# test's own, see pg.sh). Tests look at the database through the helpers
# below (sql, db_tables, …), which speak either dialect.
# Each test script ends with `finish`, which prints "N passed, N failed"
# and exits non-zero when anything failed, or 77 (CTest's skip, see
# CMakeLists.txt) when nothing failed but something was skipped.
set -uo pipefail

: "${HRD:?HRD must name the hrd binary}"
: "${HRCTL:?HRCTL must name the hrctl binary}"
: "${SRCDIR:?SRCDIR must name the source checkout}"

TMP=$(mktemp -d /tmp/hr-e2e.XXXXXX)
chmod 755 "$TMP"
SOCK=$TMP/hrd.sock
HR_BACKEND=${HR_BACKEND:-sqlite}
MIGRATIONS=$SRCDIR/migrations
export HOMERACK_SOCKET=$SOCK
unset DATABASE_URL HOMERACK_MIGRATIONS XDG_RUNTIME_DIR
HRD_PID=
PASSED=0
FAILED=0
SKIPPED=0
OUT=
ERR=
RC=0
INITIAL=1f3c0a9d2b7e
HOMERACK_TABLES="connections device_specifications devices rack_positions racks"

cleanup() {
	[ -n "$HRD_PID" ] && kill -9 "$HRD_PID" 2>/dev/null
	[ "$HR_BACKEND" = postgres ] && pg_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

# Should the test be killed outright (a CTest timeout: no EXIT trap), a
# watchdog does the cleanup once it is gone: the hrds it started (listed
# in $TMP/hrd.pids, and still running from $TMP), a PostgreSQL cluster
# (which detaches from the test's process tree), and $TMP.
watchdog() {
	local test_pid=$1 pid
	while kill -0 "$test_pid" 2>/dev/null; do sleep 1; done
	[ -d "$TMP" ] || return 0
	while read -r pid; do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$TMP/" &&
			kill -9 "$pid" 2>/dev/null
	done <"$TMP/hrd.pids"
	cleanup
}

case $HR_BACKEND in
sqlite)
	DB=$TMP/homerack.db
	DB_URL=sqlite:///$DB
	;;
postgres)
	. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
	# PG_DEFER=1: the test starts the cluster itself (pg_up) when it wants.
	[ "${PG_DEFER:-}" = 1 ] || pg_up
	;;
*)
	echo "FAIL - unknown HR_BACKEND '$HR_BACKEND' (sqlite or postgres)"
	exit 1
	;;
esac
touch "$TMP/hrd.pids"
watchdog $$ </dev/null >/dev/null 2>&1 &

# by_backend SQLITE_VALUE POSTGRES_VALUE: the one for this run.
by_backend() {
	if [ "$HR_BACKEND" = postgres ]; then echo "$2"; else echo "$1"; fi
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	[ $# -gt 1 ] && printf '   %s\n' "${@:2}"
	return 0
}

# skip WHAT WHY: a part of the test that cannot run here; never a pass.
skip() { SKIPPED=$((SKIPPED + 1)); echo "skip - $1 ($2)"; }

finish() {
	[ -n "$HRD_PID" ] && stop_hrd
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ] || exit 1
	[ "$SKIPPED" -eq 0 ] || exit 77
	exit 0
}

# Start hrd with the test's socket, database and migrations, plus "$@",
# and wait until it answers: with success (start_hrd), or at all
# (start_hrd_any: its database may be unavailable, which hrctl reports
# with exit 3 too). Fails the test (and exits) if it never does.
start_hrd() { spawn_hrd ok "$@"; }
start_hrd_any() { spawn_hrd any "$@"; }

spawn_hrd() {
	local want=$1
	shift
	"$HRD" --socket "$SOCK" --database "$DB_URL" --migrations "$MIGRATIONS" \
		"$@" >>"$TMP/hrd.log" 2>&1 &
	HRD_PID=$!
	echo "$HRD_PID" >>"$TMP/hrd.pids"
	local start=$SECONDS
	# Bounded like wait_until, but a dead hrd ends the wait at once.
	while [ $((SECONDS - start)) -lt "${HR_WAIT_LIMIT:-120}" ]; do
		"$HRCTL" current >/dev/null 2>"$TMP/start.err" && return 0
		[ "$want" = any ] && grep -q "database unavailable" "$TMP/start.err" && return 0
		kill -0 "$HRD_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "hrd did not start" "$(cat "$TMP/hrd.log")"
	kill -9 "$HRD_PID" 2>/dev/null
	HRD_PID=
	finish
}

# SIGTERM, and check hrd exits 0 (a sanitizer finding makes it non-zero).
stop_hrd() {
	local status
	kill -TERM "$HRD_PID"
	wait "$HRD_PID"
	status=$?
	HRD_PID=
	if [ "$status" -ne 0 ]; then
		fail "hrd exited with status $status" "$(tail -20 "$TMP/hrd.log")"
	fi
}

# run CMD...: capture stdout in OUT, stderr in ERR, status in RC.
run() {
	OUT=$("$@" 2>"$TMP/stderr")
	RC=$?
	ERR=$(cat "$TMP/stderr")
}

# hr ARGS...: run hrctl.
hr() { run "$HRCTL" "$@"; }

expect_rc() { # expected-rc description
	if [ "$RC" -eq "$1" ]; then pass "$2"; else
		fail "$2" "exit $RC, wanted $1" "stdout: $OUT" "stderr: $ERR"
	fi
}

expect_eq() { # actual expected description
	if [ "$1" == "$2" ]; then pass "$3"; else
		fail "$3" "got:    $(printf '%q' "$1")" "wanted: $(printf '%q' "$2")"
	fi
}

expect_contains() { # haystack needle description
	if [[ "$1" == *"$2"* ]]; then pass "$3"; else
		fail "$3" "no '$2' in:" "$1"
	fi
}

expect_not_contains() { # haystack needle description
	if [[ "$1" != *"$2"* ]]; then pass "$3"; else
		fail "$3" "unexpected '$2' in:" "$1"
	fi
}

# Error output must be exactly one line.
expect_one_line() { # text description
	local n
	n=$(printf '%s\n' "$1" | wc -l)
	if [ -n "$1" ] && [ "$n" -eq 1 ]; then pass "$2"; else
		fail "$2" "$n lines:" "$1"
	fi
}

# --- the database, looked at directly (not through hrd) -------------------

# sql STATEMENTS: rows as a|b lines; errors on stderr, non-zero status.
sql() {
	if [ "$HR_BACKEND" = postgres ]; then pg_sql "$1"; else
		sqlite3 -batch "$DB" "$1"
	fi
}

# The rows of a query, space-separated on one line.
sql_line() { sql "$1" | tr '\n' ' ' | sed 's/ $//'; }

# User tables, sorted, space-separated (the version tables excluded).
db_tables() {
	if [ "$HR_BACKEND" = postgres ]; then
		sql_line "SELECT table_name FROM information_schema.tables
		     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		     AND table_name NOT IN ('alembic_version','homerack_schema_history')
		     ORDER BY table_name"
	else
		sql_line "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN
		     ('alembic_version','homerack_schema_history','sqlite_sequence')
		     ORDER BY name"
	fi
}

# Column names of a table in order, space-separated.
db_columns() {
	if [ "$HR_BACKEND" = postgres ]; then
		sql_line "SELECT column_name FROM information_schema.columns
		     WHERE table_schema = current_schema() AND table_name = '$1'
		     ORDER BY ordinal_position"
	else
		sql_line "SELECT name FROM pragma_table_info('$1') ORDER BY cid"
	fi
}

# Foreign keys of a table as column->table, sorted, space-separated.
db_foreign_keys() {
	if [ "$HR_BACKEND" = postgres ]; then
		sql_line "SELECT a.attname || '->' || c.confrelid::regclass
		     FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid
		     AND a.attnum = ANY (c.conkey)
		     WHERE c.contype = 'f' AND c.conrelid = '$1'::regclass ORDER BY 1"
	else
		sql_line "SELECT \"from\" || '->' || \"table\"
		     FROM pragma_foreign_key_list('$1') ORDER BY 1"
	fi
}

# 1 when an index of that name exists, else 0.
db_index_count() {
	if [ "$HR_BACKEND" = postgres ]; then
		sql "SELECT count(*) FROM pg_indexes
		     WHERE schemaname = current_schema() AND indexname = '$1'"
	else
		sql "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '$1'"
	fi
}

# Rows of alembic_version, sorted, space-separated.
db_versions() {
	sql "SELECT version_num FROM alembic_version ORDER BY 1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# --- holding hrd's writer back -------------------------------------------
#
# To keep an upgrade "in progress" for as long as a test needs, the test
# holds what hrd's writer needs first, with no timing assumption: SQLite's
# write lock (BEGIN IMMEDIATE in a sqlite3 process; the writer waits for
# it after planning), or on PostgreSQL the schema advisory lock, as
# another host would (the writer waits for it before planning).

hold_lock() {
	rm -f "$TMP/gate" "$TMP/gate.out"
	mkfifo "$TMP/gate"
	if [ "$HR_BACKEND" = postgres ]; then
		"$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -U postgres -d "$PG_DB" \
			<"$TMP/gate" >"$TMP/gate.out" 2>&1 &
	else
		sqlite3 -batch "$DB" <"$TMP/gate" >"$TMP/gate.out" 2>&1 &
	fi
	LOCK_PID=$!
	LOCK_WAITS=$(lock_waits)
	exec 7>"$TMP/gate"
	if [ "$HR_BACKEND" = postgres ]; then
		echo "SELECT pg_advisory_lock($HR_PG_LOCK_KEY); SELECT 'locked';" >&7
	else
		echo "PRAGMA busy_timeout=10000; BEGIN IMMEDIATE; SELECT 'locked';" >&7
	fi
	wait_until "the test's lock to be taken" grep -q locked "$TMP/gate.out"
}

# How often hrd has logged that it waits for a lock: the schema lock
# (PostgreSQL) or SQLite's write lock.
lock_waits() {
	grep -cE "waiting for the (schema|database) lock" "$TMP/hrd.log" 2>/dev/null
}

release_lock() {
	if [ "$HR_BACKEND" = postgres ]; then
		echo "SELECT pg_advisory_unlock($HR_PG_LOCK_KEY);" >&7
	else
		echo "COMMIT;" >&7
	fi
	exec 7>&-
	wait "$LOCK_PID"
	rm -f "$TMP/gate" "$TMP/gate.out"
}

# wait_until WHAT CMD...: run CMD until it succeeds. Bounded: after
# $HR_WAIT_LIMIT seconds (default 120; the machine may be busy, and this
# only ends a wait that would otherwise hang) the test fails, saying what
# it waited for and what hrd logged, and ends.
wait_until() {
	local what=$1 limit=${HR_WAIT_LIMIT:-120} start=$SECONDS
	shift
	until "$@" >/dev/null 2>&1; do
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			fail "timed out after ${limit}s waiting for $what" \
				"$(tail -20 "$TMP/hrd.log" 2>/dev/null)"
			finish
		fi
		sleep 0.02
	done
}

# Wait until file $1 contains $2 (bounded: wait_until).
wait_for() { wait_until "'$2' in $(basename "$1")" grep -q "$2" "$1"; }

lock_waits_grew() { [ "$(lock_waits)" -gt "$LOCK_WAITS" ]; }

# wait_blocked: the call started after hold_lock (an upgrade, a stamp) is
# now waiting for the test's lock, as hrd's log says.
wait_blocked() { wait_until "hrd to wait for the test's lock" lock_waits_grew; }

# A migrations directory of our own: the real initial migration plus
# files written by the test.
use_temp_migrations() {
	MIGRATIONS=$TMP/migrations
	mkdir -p "$MIGRATIONS"
	cp "$SRCDIR"/migrations/*.sql "$MIGRATIONS"/
}
