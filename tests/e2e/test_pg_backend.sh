#!/usr/bin/env bash
# PostgreSQL only: hrd before the server is up and across its restarts,
# the schema lock held by someone else, enum types, statement splitting,
# CREATE INDEX CONCURRENTLY, a connection lost mid-migration while status
# calls go on, and a password that never shows.
HR_BACKEND=postgres
PG_DEFER=1 # the cluster starts below, after hrd
. "$(dirname "$0")/lib.sh"

# Until hrctl current succeeds (hrd reconnects on its own, after a
# back-off of at most 2 s); bounded (wait_until).
wait_current_ok() {
	wait_until "hrd to reconnect" "$HRCTL" current
}

# --- hrd first, PostgreSQL later ------------------------------------------------
pg_init
start_hrd_any
hr current
expect_rc 3 "with the server not up yet, current is unavailable"
expect_one_line "$ERR" "unavailable: one line"
expect_contains "$ERR" "database unavailable: could not connect to $DB_URL: " \
	"unavailable: names the database and why"
hr upgrade head
expect_rc 3 "with the server not up yet, upgrade is unavailable"
expect_contains "$ERR" "database unavailable" "upgrade: says why"
pg_start
pg_createdb
wait_current_ok
pass "hrd connects once the server is up, without a restart"
hr upgrade head
expect_rc 0 "upgrade head once the server is up"
expect_eq "$(db_versions)" "$INITIAL" "the database is at head"
expect_eq "$(sql_line "SELECT t.typname || ':' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
	FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1")" \
	"accessfrequency:low,medium,high cabletype:Cat5e,Cat6,Cat6a,Cat7,Fiber-SM,Fiber-MM,Power,Console confidencelevel:high,medium,low routingpath:direct,cable_tray,conduit sourcetype:web_fetched,manufacturer_spec,community,user_custom widthtype:11\",18\",19\",23\"" \
	"the upgrade creates the six enum types"
expect_eq "$(sql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	WHERE attrelid = 'connections'::regclass AND attname = 'cable_type'")" "cabletype" \
	"enum columns use them"
expect_eq "$(sql_line "SELECT DISTINCT application_name FROM pg_stat_activity
	WHERE application_name LIKE 'hrd %'")" "hrd $(hostname | cut -c1-40) pid $HRD_PID" \
	"hrd's sessions name its host and pid"
expect_eq "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" "0" \
	"the schema lock is released after the upgrade"

# --- the server goes away and comes back ---------------------------------------
pg_stop fast
hr current
expect_rc 3 "with the server stopped, current is unavailable"
expect_contains "$ERR" "database unavailable" "and says so"
hr current
expect_rc 3 "still unavailable while it is down"
expect_contains "$ERR" "could not connect to $DB_URL" "then says it cannot connect"
hr downgrade base
expect_rc 3 "with the server stopped, downgrade is unavailable"
if kill -0 "$HRD_PID" 2>/dev/null; then pass "hrd keeps running"; else fail "hrd keeps running"; fi
pg_start
wait_current_ok
pass "hrd reconnects after the server restarts"
hr current
expect_eq "$OUT" "$INITIAL (head)" "and reads the same state"
hr downgrade base
expect_rc 0 "downgrade base after the restart (the writer reconnects too)"
expect_eq "$(db_tables)" "" "the tables are gone"
expect_eq "$(sql "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
	WHERE n.nspname = 'public' AND t.typtype = 'e'")" "0" "the downgrade drops the enum types"
hr upgrade head
expect_rc 0 "upgrade again"

# --- the schema lock, held by another host ----------------------------------------
mkfifo "$TMP/other"
PGAPPNAME=other-host "$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -U postgres -d "$PG_DB" \
	<"$TMP/other" >"$TMP/other.out" 2>&1 &
OTHER=$!
exec 8>"$TMP/other"
echo "SELECT pg_advisory_lock($HR_PG_LOCK_KEY); SELECT 'locked';" >&8
wait_for "$TMP/other.out" locked
hr upgrade head --timeout 1
expect_rc 1 "an upgrade gives up at its deadline while another host holds the lock"
expect_one_line "$ERR" "lock wait: one line"
expect_contains "$ERR" "deadline exceeded while waiting for the schema lock, held by 'other-host'" \
	"it names the holder"
expect_contains "$ERR" "database is at $INITIAL" "and says where the database is"
expect_contains "$(cat "$TMP/hrd.log")" "waiting for the schema lock held by 'other-host'" \
	"hrd logs whom it waits for"
hr current
expect_rc 0 "status calls are answered meanwhile"
LOCK_WAITS=$(lock_waits)
"$HRCTL" stamp base >"$TMP/stamp.out" 2>&1 &
STAMP=$!
wait_blocked
if kill -0 "$STAMP" 2>/dev/null; then pass "a stamp waits for the lock"; else
	fail "a stamp waits for the lock" "$(cat "$TMP/stamp.out")"; fi
echo "SELECT pg_advisory_unlock($HR_PG_LOCK_KEY);" >&8
exec 8>&-
wait "$OTHER"
wait "$STAMP"
RC=$?
expect_rc 0 "the stamp runs once the lock is released"
expect_eq "$(db_versions)" "" "and stamped"
hr stamp head
expect_rc 0 "stamp head"

# --- statement splitting, CREATE INDEX CONCURRENTLY, error lines ------------------
stop_hrd
use_temp_migrations
A=a1a1a1a1a1a1
B=b2b2b2b2b2b2
C=c3c3c3c3c3c3
cat >"$MIGRATIONS/${A}_functions.sql" <<'SQL'
-- revision: a1a1a1a1a1a1
-- down_revision: 1f3c0a9d2b7e
-- message: Functions, quotes and comments

-- +upgrade postgresql
/* a comment; with a semicolon /* and a nested one; */ still comment; */
CREATE FUNCTION rack_label(r racks) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    -- a semicolon in a comment; in the body
    RETURN r.name || ';' || 'x';
END;
$$;
CREATE FUNCTION rack_units(r racks) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
    SELECT r.total_height_u;
END;
INSERT INTO racks (name, location) VALUES (E'it\'s; here', $tag$a;b$$c$tag$);
CREATE TABLE "odd;name" (id integer, note text DEFAULT 'x;y'); -- trailing; comment

-- +downgrade postgresql
DROP TABLE "odd;name";
DELETE FROM racks WHERE name = E'it\'s; here';
DROP FUNCTION rack_units(racks);
DROP FUNCTION rack_label(racks);
SQL
cat >"$MIGRATIONS/${B}_index_concurrently.sql" <<'SQL'
-- revision: b2b2b2b2b2b2
-- down_revision: a1a1a1a1a1a1
-- message: Index connections concurrently
-- transactional: false

-- +upgrade postgresql
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_connections_from_device_id
    ON connections (from_device_id);

-- +downgrade postgresql
DROP INDEX CONCURRENTLY IF EXISTS ix_connections_from_device_id;
SQL
cat >"$MIGRATIONS/${C}_bad_type.sql" <<'SQL'
-- revision: c3c3c3c3c3c3
-- down_revision: b2b2b2b2b2b2
-- message: A bad type deep in a statement

-- +upgrade
CREATE TABLE shelves (id INTEGER);
CREATE TABLE cables (
    id INTEGER NOT NULL,
    kind NOSUCHTYPE,
    PRIMARY KEY (id)
);

-- +downgrade
DROP TABLE cables;
DROP TABLE shelves;
SQL
start_hrd
hr upgrade $B
expect_rc 0 "upgrade through dollar quotes, E'' strings, nested comments and BEGIN ATOMIC"
expect_eq "$(sql "SELECT rack_label(r) || '|' || location || '|' || rack_units(r) FROM racks r
	WHERE name = E'it\\'s; here'")" "it's; here;x|a;b\$\$c|42" \
	"each statement ran whole: functions, strings and the row are intact"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'odd;name'")" "1" \
	"a quoted identifier with a semicolon"
expect_eq "$(sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_connections_from_device_id'::regclass")" \
	"t" "CREATE INDEX CONCURRENTLY ran outside a transaction and left a valid index"
expect_eq "$(db_versions)" "$B" "the non-transactional migration is recorded"
expect_eq "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" "0" \
	"the schema lock is released"
hr upgrade head
expect_rc 1 "a migration with an unknown type fails"
expect_one_line "$ERR" "bad type: one line"
expect_contains "$ERR" "upgrade failed at $C (" "it names the revision"
expect_contains "$ERR" "${C}_bad_type.sql:9)" "and the line inside the statement"
expect_contains "$ERR" 'type "nosuchtype" does not exist' "and the server's message"
expect_contains "$ERR" "database is at $B" "and where the database is"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'shelves'")" "0" \
	"the statement before it was rolled back with it"
hr downgrade $INITIAL
expect_rc 0 "downgrade through the concurrent index and the functions"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname IN ('ix_connections_from_device_id', 'odd;name')")" \
	"0" "they are gone"
expect_eq "$(sql "SELECT count(*) FROM racks")" "0" "and so is the row"

# --- rules a migration must follow ----------------------------------------------------
stop_hrd
rm "$MIGRATIONS/${C}_bad_type.sql"
cat >"$MIGRATIONS/${C}_concurrently_in_txn.sql" <<'SQL'
-- revision: c3c3c3c3c3c3
-- down_revision: b2b2b2b2b2b2
-- message: CREATE INDEX CONCURRENTLY without opting out

-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_racks_name ON racks (name);
-- +downgrade postgresql
DROP INDEX ix_racks_name;
SQL
start_hrd
hr upgrade head
expect_rc 1 "CREATE INDEX CONCURRENTLY in a transactional migration fails"
expect_contains "$ERR" "cannot run inside a transaction block" "with the server's reason"
expect_contains "$ERR" "need a migration with \`transactional: false\`" "and the way out"
expect_eq "$(db_versions)" "$B" "the steps before it stay applied"
stop_hrd
rm "$MIGRATIONS/${C}_concurrently_in_txn.sql"
cat >"$MIGRATIONS/${C}_commit.sql" <<'SQL'
-- revision: c3c3c3c3c3c3
-- down_revision: b2b2b2b2b2b2
-- message: A COMMIT where hrd owns the transaction

-- +upgrade
CREATE TABLE shelves (id INTEGER);
COMMIT;
CREATE TABLE trays (id INTEGER);
-- +downgrade
DROP TABLE trays;
DROP TABLE shelves;
SQL
start_hrd
hr upgrade head
expect_rc 1 "a COMMIT in a migration is refused"
expect_contains "$ERR" "${C}_commit.sql:7" "at its line"
expect_contains "$ERR" "transaction control statements are not allowed" "saying why"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'shelves'")" "0" \
	"nothing before it was committed"
expect_eq "$(db_versions)" "$B" "the version did not move"

# --- a connection lost in the middle of a migration ---------------------------------
stop_hrd
rm "$MIGRATIONS/${C}_commit.sql"
cat >"$MIGRATIONS/${C}_rack_notes.sql" <<'SQL'
-- revision: c3c3c3c3c3c3
-- down_revision: b2b2b2b2b2b2
-- message: Add rack notes

-- +upgrade
CREATE TABLE shelves (id INTEGER);
ALTER TABLE racks ADD COLUMN notes VARCHAR;
-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
DROP TABLE shelves;
SQL
start_hrd
# The test holds racks: the migration's ALTER TABLE waits, mid-transaction.
mkfifo "$TMP/holder"
"$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -U postgres -d "$PG_DB" \
	<"$TMP/holder" >"$TMP/holder.out" 2>&1 &
HOLDER=$!
exec 9>"$TMP/holder"
echo "BEGIN; LOCK TABLE racks IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&9
wait_for "$TMP/holder.out" locked
"$HRCTL" --json upgrade head >"$TMP/mid.out" 2>"$TMP/mid.err" &
MID=$!
blocked="SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'hrd %'
	AND wait_event_type = 'Lock'"
one_blocked() { [ "$(sql "$blocked")" = 1 ]; }
wait_until "hrd's migration to wait for the table lock" one_blocked
hr current
expect_rc 0 "current is answered while a migration waits inside its transaction"
expect_eq "$OUT" "$B" "and shows the last committed revision"
hr history
expect_rc 0 "history too"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'hrd %'
	AND wait_event_type = 'Lock'" >/dev/null
wait "$MID"
RC=$?
OUT=$(cat "$TMP/mid.out")
ERR=$(cat "$TMP/mid.err")
expect_rc 3 "the upgrade whose connection was killed fails as unavailable"
expect_one_line "$ERR" "lost connection: one line"
expect_contains "$ERR" "lost the connection to $DB_URL" "it says the connection was lost"
expect_contains "$ERR" "database is at $B" "and where the database is, read after reconnecting"
echo "ROLLBACK;" >&9
exec 9>&-
wait "$HOLDER"
expect_eq "$(db_versions)" "$B" "the version did not move"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'shelves'")" "0" \
	"the server rolled the migration back whole"

# A deadline ends a statement that waits for another session's lock: the
# statement is cancelled on the server and nothing is applied. hold_table
# TABLE takes an exclusive lock on it in a psql session of the test's.
hold_table() {
	rm -f "$TMP/table" "$TMP/table.out"
	mkfifo "$TMP/table"
	"$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -U postgres -d "$PG_DB" \
		<"$TMP/table" >"$TMP/table.out" 2>&1 &
	TABLE_PID=$!
	exec 6>"$TMP/table"
	echo "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&6
	wait_for "$TMP/table.out" locked
}
release_table() {
	echo "ROLLBACK;" >&6
	exec 6>&-
	wait "$TABLE_PID"
}
hold_table racks
run timeout -k 10 120 "$HRCTL" upgrade head --timeout 1
expect_rc 1 "an upgrade whose statement waits for a table lock ends at its deadline"
expect_contains "$ERR" "deadline exceeded; the statement was cancelled" \
	"saying its statement was cancelled"
release_table
expect_eq "$(db_versions)" "$B" "and the timed-out upgrade applied nothing"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'shelves'")" "0" \
	"not even part of its migration"
hold_table alembic_version
run timeout -k 10 120 "$HRCTL" stamp base --timeout 1
expect_rc 1 "a stamp that waits for a lock on alembic_version ends at its deadline"
expect_contains "$ERR" "deadline exceeded" "with DEADLINE_EXCEEDED's reason"
release_table
expect_eq "$(db_versions)" "$B" "and stamped nothing"
hr upgrade head
expect_rc 0 "the next upgrade reconnects and succeeds"
expect_eq "$(db_versions)" "$C" "and reaches head"
expect_eq "$(db_columns racks | grep -c notes)" "1" "with the column"
stop_hrd

# --- a password that never shows --------------------------------------------------------
PW='S3cr3t pw@x:y/z%'
PW_URL='S3cr3t%20pw%40x%3Ay%2Fz%25'
pg_sql "CREATE ROLE app LOGIN PASSWORD '$PW'" >/dev/null
pg_sql -d postgres "CREATE DATABASE appdb OWNER app" >/dev/null
# The superuser keeps trust (for the harness); everyone else needs SCRAM.
printf 'local all postgres trust\nlocal all all scram-sha-256\n' >"$PG_DIR/data/pg_hba.conf"
loaded=$(pg_sql -d postgres "SELECT pg_conf_load_time()")
as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" reload >/dev/null
reloaded() { [ "$(pg_sql -d postgres "SELECT pg_conf_load_time()")" != "$loaded" ]; }
wait_until "PostgreSQL to reload its configuration" reloaded
run "$PG_BIN/psql" -X -h "$PG_DIR" -U app -d appdb -w -c "SELECT 1"
expect_contains "$ERR" "password" "the role really needs its password"

MIGRATIONS=$SRCDIR/migrations
DB_URL="postgresql://app:$PW_URL@/appdb?host=$PG_DIR"
start_hrd
ALL=
hr upgrade head
expect_rc 0 "upgrade as a password-protected role"
ALL+=$OUT$ERR
hr current -v
expect_contains "$OUT" "$INITIAL (head)" "current as that role"
ALL+=$OUT$ERR
hr --json current
expect_contains "$OUT" "postgresql://app:***@/appdb" "the url in replies is redacted"
ALL+=$OUT$ERR
hr history
ALL+=$OUT$ERR
stop_hrd
DB_URL="postgresql://app:wrong$PW_URL@/appdb?host=$PG_DIR"
start_hrd_any
hr current
expect_rc 3 "a wrong password makes the database unavailable"
expect_contains "$ERR" 'password authentication failed for user "app"' "and says why"
ALL+=$OUT$ERR
hr upgrade head
ALL+=$OUT$ERR
stop_hrd
run "$HRD" --socket "$SOCK" --database "postgresql://app@/appdb?host=$PG_DIR&password=$PW_URL&bogus_option=1"
expect_rc 1 "a url libpq cannot parse is refused at start"
expect_contains "$ERR" "bad database url" "and called a bad url"
ALL+=$OUT$ERR
ALL+=$(cat "$TMP/hrd.log")
for secret in "$PW" "$PW_URL" "S3cr3t"; do
	expect_not_contains "$ALL" "$secret" "the password ($secret) is in no output, error or log"
done

# --- passwords in every spelling libpq accepts ------------------------------------------
# libpq decides where a URL's password is; hrd hides exactly that. A raw
# '?' (libpq's user info ends at the first '@', RFC 3986's at the '?'):
PW2='Pw?h5Secr3t'
pg_sql "CREATE ROLE app2 LOGIN PASSWORD '$PW2' IN ROLE app" >/dev/null
ALL=
cmdline() { tr '\0' ' ' <"/proc/$HRD_PID/cmdline"; }
DB_URL="postgresql://app2:$PW2@/appdb?host=$PG_DIR"
start_hrd
expect_contains "$(cmdline)" "postgresql://app2:***@/appdb" "ps shows the url with a raw '?' redacted"
ALL+=$(cmdline)
hr --json current
expect_rc 0 "hrd connects with a raw '?' in the password, as libpq reads it"
expect_contains "$OUT" '"database": "postgresql://app2:***@/appdb' "the reply hides that password"
ALL+=$OUT$ERR
hr current -v
ALL+=$OUT$ERR
stop_hrd
DB_URL="postgresql://app2:${PW2}X@/appdb?host=$PG_DIR"
start_hrd_any
hr current
expect_contains "$ERR" 'password authentication failed for user "app2"' "a wrong one is refused, and said so"
ALL+=$OUT$ERR
stop_hrd
# A percent-encoded key (pass%77ord is password to libpq), and the password
# given twice (libpq takes the last): both values hide.
DB_URL="postgresql://app2@/appdb?host=$PG_DIR&password=h5Secr3tFirst&pass%77ord=Pw%3Fh5Secr3t"
start_hrd
ALL+=$(cmdline)
hr --json current
expect_rc 0 "a percent-encoded password key is libpq's password"
expect_contains "$OUT" "password=***&pass%77ord=***" "both passwords hide in replies"
ALL+=$OUT$ERR
stop_hrd
# A raw '/' or '@' makes libpq read another password than the writer's
# (and quote the pieces as host or port); a '#' is a fragment: refused at
# start, naming none of it.
for url in "postgresql://app2:Pw/h5Secr3t@/appdb?host=$PG_DIR" \
	"postgresql://app2:Pw@h5Secr3t@/appdb?host=$PG_DIR" \
	"postgresql://app2:Pw#h5Secr3t@/appdb?host=$PG_DIR"; do
	run "$HRD" --socket "$SOCK" --database "$url"
	expect_rc 1 "refused at start: ${url%%@*}@…"
	expect_contains "$ERR" "bad database url 'postgresql://app2:***@/appdb" "and called a bad url, redacted"
	ALL+=$OUT$ERR
done
ALL+=$(cat "$TMP/hrd.log")
for secret in "h5Secr3t" "Pw%3F"; do
	expect_not_contains "$ALL" "$secret" "the password ($secret) is in no output, error, log or ps"
done

finish
