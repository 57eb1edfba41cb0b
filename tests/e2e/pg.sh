# pg.sh — a throwaway PostgreSQL cluster for the end-to-end tests:
# initdb + pg_ctl in the test's own temp directory, reachable only through
# a Unix socket there (no TCP port, nothing shared with other tests).
# Sourced by lib.sh when HR_BACKEND=postgres; lib.sh's cleanup stops the
# cluster whatever happens.
#
# initdb refuses to run as root, so as root the cluster's own commands
# run as the `postgres` user (Debian's postgresql package creates it);
# otherwise as the user running the tests. The server binaries come from
# the newest /usr/lib/postgresql/<version>/bin (or $PG_BIN), never from
# Debian's /usr/bin wrappers (a Perl script per call).

if [ -z "${PG_BIN:-}" ]; then
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
	echo "FAIL - no PostgreSQL server binaries (install the postgresql package or set PG_BIN)"
	exit 1
fi

PG_DIR=$TMP/pg      # the cluster: data in $PG_DIR/data, socket in $PG_DIR
PG_DB=homerack      # the database the tests use
DB_URL="postgresql://postgres@/$PG_DB?host=$PG_DIR"
# hrd's advisory lock key ("homerack" in ASCII; server/db/postgres.c).
HR_PG_LOCK_KEY=7525474102034080619

# Run a command as the cluster's owner (from /, which that user can read).
as_pg_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
	else
		(cd / && "$@")
	fi
}

# A new cluster in $PG_DIR, trusting local connections; not started.
pg_init() {
	mkdir -p "$PG_DIR"
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
	if ! as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust \
		-E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		echo "FAIL - initdb failed"
		cat "$PG_DIR/initdb.log"
		exit 1
	fi
	# Durability is not what these tests test.
	cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 16MB
EOF
}

pg_start() {
	if ! as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
		-w -t 60 start >/dev/null 2>&1; then
		echo "FAIL - the PostgreSQL cluster did not start"
		tail -20 "$PG_DIR/log"
		exit 1
	fi
}

# Stop: fast (sessions are ended, like a restart) or immediate (a crash).
pg_stop() {
	as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop \
		>/dev/null 2>&1
}

# SQL as the superuser on database $PG_DB (or -d DB first): rows as
# a|b|c lines, like sqlite3's default output; errors on stderr, status 1.
pg_sql() {
	local db=$PG_DB
	if [ "$1" = -d ]; then
		db=$2
		shift 2
	fi
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres \
		-d "$db" -c "$1"
}

pg_createdb() { pg_sql -d postgres "CREATE DATABASE $PG_DB" || exit 1; }

# Initialise, start, and create $PG_DB (which DB_URL names).
pg_up() {
	pg_init
	pg_start
	pg_createdb
}

# From lib.sh's cleanup: stop the cluster if it runs.
pg_cleanup() {
	[ -f "$PG_DIR/data/postmaster.pid" ] && pg_stop immediate
	return 0
}
