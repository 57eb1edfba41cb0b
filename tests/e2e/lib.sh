# lib.sh — the end-to-end harness: a private hrd on a temp socket with a
# temp database, driven by the real hrctl. Sourced by tests/e2e/test_*.sh.
#
# Environment (set by CTest): HRD, HRCTL (binaries), SRCDIR (the checkout).
# Each test script ends with `finish`, which prints "N passed, N failed"
# and exits non-zero when anything failed.
set -uo pipefail

: "${HRD:?HRD must name the hrd binary}"
: "${HRCTL:?HRCTL must name the hrctl binary}"
: "${SRCDIR:?SRCDIR must name the source checkout}"

TMP=$(mktemp -d /tmp/hr-e2e.XXXXXX)
chmod 755 "$TMP"
SOCK=$TMP/hrd.sock
DB=$TMP/homerack.db
DB_URL=sqlite:///$DB
MIGRATIONS=$SRCDIR/migrations
export HOMERACK_SOCKET=$SOCK
unset DATABASE_URL HOMERACK_MIGRATIONS XDG_RUNTIME_DIR
HRD_PID=
PASSED=0
FAILED=0
OUT=
ERR=
RC=0
INITIAL=1f3c0a9d2b7e
HOMERACK_TABLES="connections device_specifications devices rack_positions racks"

cleanup() {
	[ -n "$HRD_PID" ] && kill -9 "$HRD_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	[ $# -gt 1 ] && printf '   %s\n' "${@:2}"
	return 0
}

finish() {
	[ -n "$HRD_PID" ] && stop_hrd
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}

# Start hrd with the test's socket, database and migrations, plus "$@".
# Waits until it answers; fails the test (and exits) if it never does.
start_hrd() {
	"$HRD" --socket "$SOCK" --database "$DB_URL" --migrations "$MIGRATIONS" \
		"$@" >>"$TMP/hrd.log" 2>&1 &
	HRD_PID=$!
	for _ in $(seq 200); do
		"$HRCTL" current >/dev/null 2>&1 && return 0
		kill -0 "$HRD_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "hrd did not start" "$(cat "$TMP/hrd.log")"
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

sql() { sqlite3 -batch "$DB" "$@"; }

# User tables, sorted, space-separated (the version tables excluded).
db_tables() {
	sql "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN
	     ('alembic_version','homerack_schema_history','sqlite_sequence')
	     ORDER BY name" | tr '\n' ' ' | sed 's/ $//'
}

# Column names of a table in order, space-separated.
db_columns() {
	sql "SELECT name FROM pragma_table_info('$1') ORDER BY cid" | tr '\n' ' ' | sed 's/ $//'
}

# Rows of alembic_version, sorted, space-separated.
db_versions() {
	sql "SELECT version_num FROM alembic_version ORDER BY 1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# A migrations directory of our own: the real initial migration plus
# files written by the test.
use_temp_migrations() {
	MIGRATIONS=$TMP/migrations
	mkdir -p "$MIGRATIONS"
	cp "$SRCDIR"/migrations/*.sql "$MIGRATIONS"/
}
