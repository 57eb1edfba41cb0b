#!/usr/bin/env bash
# Each migration is whole and starts from the same session: its own
# COMMIT/ROLLBACK cannot split it, nothing it sets on hrd's connection
# (an ATTACH, a SET, a temporary table) reaches the next migration, and on
# SQLite foreign keys are enforced (checked before COMMIT when a migration
# turns enforcement off for a table rebuild).
. "$(dirname "$0")/lib.sh"

use_temp_migrations
PARENT=$INITIAL

# migration REV [HEADER-LINE]: write REV (child of $PARENT) with the
# sections read from stdin.
migration() {
	{
		printf -- '-- revision: %s\n-- down_revision: %s\n-- message: %s\n' "$1" "$PARENT" "$1"
		[ $# -gt 1 ] && printf -- '%s\n' "$2"
		printf '\n'
		cat
	} >"$MIGRATIONS/$1.sql"
}

# Restart hrd so it loads the files as they are now.
restart() {
	[ -n "$HRD_PID" ] && stop_hrd
	start_hrd
}

# expect_refused REV LINE NEEDLE WHAT: upgrading to REV fails at REV's line
# LINE with NEEDLE, leaving the database at $PARENT with nothing of REV.
# The upgrade's output stays in UPGRADE_OUT.
expect_refused() {
	hr upgrade head
	UPGRADE_OUT=$OUT
	expect_rc 1 "$4: refused"
	expect_one_line "$ERR" "$4: one line"
	expect_contains "$ERR" "upgrade failed at $1 ($MIGRATIONS/$1.sql:$2): $3" "$4: names file, line and why"
	expect_eq "$(db_versions)" "$PARENT" "$4: the database stays at the previous revision"
	hr current
	expect_eq "$OUT" "$PARENT" "$4: hrd reports that revision"
	rm "$MIGRATIONS/$1.sql"
}

# --- a migration's own COMMIT cannot split it ----------------------------------
migration c0c0c0c0c0c0 <<'SQL'
-- +upgrade
CREATE TABLE half (id INTEGER);
COMMIT;
CREATE TABLE other_half (id INTEGER);
SQL
restart
expect_refused c0c0c0c0c0c0 7 "transaction control statements are not allowed in a migration" "a migration's COMMIT"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "nothing before the COMMIT was committed"

migration c1c1c1c1c1c1 <<'SQL'
-- +upgrade
CREATE TABLE half (id INTEGER);
ROLLBACK;
CREATE TABLE other_half (id INTEGER);
SQL
restart
expect_refused c1c1c1c1c1c1 7 "transaction control statements are not allowed in a migration" "a migration's ROLLBACK"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "nothing of a migration with ROLLBACK remains"

# --- SQLite: what would outlive the migration on hrd's connection -------------
if [ "$HR_BACKEND" = sqlite ]; then
	while IFS='|' read -r stmt needle what; do
		migration d0d0d0d0d0d0 <<SQL
-- +upgrade
CREATE TABLE before_it (id INTEGER);
$stmt
SQL
		restart
		expect_refused d0d0d0d0d0d0 7 "$needle" "$what"
		expect_eq "$(db_tables)" "$HOMERACK_TABLES" "$what: nothing of it remains"
	done <<LIST
ATTACH DATABASE '$TMP/side.db' AS side;|ATTACH and DETACH are not allowed in a migration|ATTACH
SAVEPOINT inner_one;|transaction control statements are not allowed in a migration|SAVEPOINT
CREATE TEMP TABLE scratch (x INTEGER);|temporary tables, views, indexes and triggers are not allowed|a temporary table
PRAGMA query_only = ON;|PRAGMA query_only with a value is not allowed in a migration|PRAGMA query_only
PRAGMA foreign_keys = OFF;|PRAGMA foreign_keys cannot change inside a migration: say \`-- foreign_keys: off\`|PRAGMA foreign_keys
LIST
	[ -e "$TMP/side.db" ] && fail "ATTACH created no file" "$(ls -l "$TMP")"
	# Reading a table's shape through a PRAGMA stays allowed.
	migration d1d1d1d1d1d1 <<'SQL'
-- +upgrade
CREATE TABLE shape AS SELECT name FROM pragma_table_info('racks');
PRAGMA table_info(racks);
PRAGMA foreign_key_check;
SQL
	restart
	hr upgrade head
	expect_rc 0 "PRAGMAs that read are allowed in a migration"
	PARENT=d1d1d1d1d1d1
fi

# --- settings one migration makes do not reach the next -----------------------
# Both run in one upgrade, on one connection. On PostgreSQL the first sets a
# statement timeout the second's pg_sleep would exceed and a search_path
# hrd's own tables are not on, and both create the same temporary table.
migration e0e0e0e0e0e0 <<'SQL'
-- +upgrade postgresql
SET statement_timeout = 50;
CREATE SCHEMA elsewhere;
SET search_path = elsewhere;
CREATE TEMP TABLE scratch (x INTEGER);
SELECT pg_advisory_lock(42);
-- +upgrade
CREATE TABLE first_one (id INTEGER);
SQL
PARENT=e0e0e0e0e0e0
migration e1e1e1e1e1e1 <<'SQL'
-- +upgrade postgresql
SELECT pg_sleep(0.3);
CREATE TEMP TABLE scratch (x INTEGER);
-- +upgrade
CREATE TABLE second_one (id INTEGER);
SQL
restart
hr upgrade head
expect_rc 0 "the second migration does not inherit the first one's session"
expect_eq "$(db_versions)" "e1e1e1e1e1e1" "both applied"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history WHERE revision LIKE 'e_e_e_e_e_e_'")" "2" \
	"hrd's own rows were written where they belong"
if [ "$HR_BACKEND" = postgres ]; then
	expect_eq "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42")" "0" \
		"a session lock a migration took does not outlive it"
fi
PARENT=e1e1e1e1e1e1

# --- foreign keys --------------------------------------------------------------
migration f0f0f0f0f0f0 <<'SQL'
-- +upgrade
INSERT INTO device_specifications (id, brand, model, height_u) VALUES (1, 'b', 'm', 1);
INSERT INTO devices (id, custom_name, specification_id) VALUES (1, 'd', 1);
INSERT INTO racks (id, name, location) VALUES (1, 'r1', 'attic');
INSERT INTO rack_positions (id, device_id, rack_id, start_u) VALUES (1, 1, 1, 1);
SQL
restart
hr upgrade head
expect_rc 0 "rows that keep their foreign keys go in"
PARENT=f0f0f0f0f0f0

migration f1f1f1f1f1f1 <<'SQL'
-- +upgrade
INSERT INTO devices (id, custom_name, specification_id) VALUES (2, 'orphan', 999);
SQL
restart
expect_refused f1f1f1f1f1f1 6 "$(by_backend "FOREIGN KEY constraint failed" 'insert or update on table "devices" violates foreign key constraint')" \
	"a row breaking a foreign key"
expect_eq "$(sql "SELECT count(*) FROM devices")" "1" "the orphan row was not committed"

# The SQLite table rebuild (create new, copy, drop, rename) needs
# enforcement off: with it on, dropping racks fails on rack_positions' rows.
rebuild() { # REV [HEADER-LINE]
	migration "$@" <<'SQL'
-- +upgrade sqlite
CREATE TABLE new_racks (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO new_racks (id, name) SELECT id, name FROM racks;
DROP TABLE racks;
ALTER TABLE new_racks RENAME TO racks;
-- +upgrade postgresql
ALTER TABLE racks DROP COLUMN location, DROP COLUMN total_height_u,
    DROP COLUMN width_inches, DROP COLUMN depth_mm, DROP COLUMN max_weight_kg,
    DROP COLUMN max_power_watts, DROP COLUMN cooling_type;
SQL
}
if [ "$HR_BACKEND" = sqlite ]; then
	rebuild a0a0a0a0a0a0
	restart
	expect_refused a0a0a0a0a0a0 12 "FOREIGN KEY constraint failed" "a rebuild without foreign_keys: off"
	expect_eq "$(sql "SELECT count(*) FROM racks")" "1" "racks kept its row"
fi
# The rebuild, and in the same upgrade (same connection) a migration whose
# row breaks a foreign key: enforcement is back on after the rebuild.
rebuild a1a1a1a1a1a1 "-- foreign_keys: off"
PARENT=a1a1a1a1a1a1
migration f2f2f2f2f2f2 <<'SQL'
-- +upgrade
INSERT INTO rack_positions (id, device_id, rack_id, start_u) VALUES (2, 1, 77, 1);
SQL
restart
expect_refused f2f2f2f2f2f2 6 "$(by_backend "FOREIGN KEY constraint failed" 'insert or update on table "rack_positions" violates foreign key constraint')" \
	"enforcement is back on after a foreign_keys: off migration"
expect_contains "$UPGRADE_OUT" "Running upgrade f0f0f0f0f0f0 -> a1a1a1a1a1a1" "the rebuild ran in that upgrade"
expect_eq "$(db_columns racks)" "id name" "racks was rebuilt"
expect_eq "$(sql_line "SELECT id, name FROM racks")" "1|r1" "the rows of the rebuilt table survive"
expect_eq "$(sql_line "SELECT device_id, rack_id FROM rack_positions")" "1|1" \
	"the rows referencing it survive"
if [ "$HR_BACKEND" = sqlite ]; then
	expect_eq "$(sql "PRAGMA foreign_key_check")" "" "no foreign key is broken"
fi

# With enforcement off, a violation is caught before COMMIT.
migration f3f3f3f3f3f3 "-- foreign_keys: off" <<'SQL'
-- +upgrade
INSERT INTO rack_positions (id, device_id, rack_id, start_u) VALUES (3, 1, 88, 1);
SQL
restart
if [ "$HR_BACKEND" = sqlite ]; then
	hr upgrade head
	expect_rc 1 "a violation with enforcement off is refused"
	expect_one_line "$ERR" "a violation with enforcement off: one line"
	expect_contains "$ERR" "upgrade failed at f3f3f3f3f3f3 ($MIGRATIONS/f3f3f3f3f3f3.sql): foreign key violation: a row of table 'rack_positions' (rowid 3) references a missing row of 'racks'" \
		"the error names the table"
	expect_eq "$(db_versions)" "$PARENT" "the violating migration was rolled back"
	expect_eq "$(sql "SELECT count(*) FROM rack_positions")" "1" "its row is gone"
	rm "$MIGRATIONS/f3f3f3f3f3f3.sql"
	# A row someone broke outside hrd (the sqlite3 client enforces
	# nothing) is not the next migration's doing: with enforcement on,
	# SQLite checked every change the migration made, and hrd does not
	# scan every referencing row of the database for it.
	sql "INSERT INTO rack_positions (id, device_id, rack_id, start_u) VALUES (4, 1, 99, 1)"
	migration f4f4f4f4f4f4 <<'SQL'
-- +upgrade
CREATE TABLE cables (id INTEGER PRIMARY KEY);
SQL
	restart
	hr upgrade head
	expect_rc 0 "a migration with enforcement on runs beside a row broken outside hrd"
	expect_eq "$(db_versions)" "f4f4f4f4f4f4" "and is applied"
	PARENT=f4f4f4f4f4f4
else
	expect_refused f3f3f3f3f3f3 7 'insert or update on table "rack_positions" violates foreign key constraint' \
		"PostgreSQL ignores foreign_keys: off"
fi

# Offline, the PRAGMAs are around that migration only (SQLite).
restart
hr upgrade --sql "$INITIAL:$PARENT"
expect_rc 0 "upgrade --sql over the rebuild"
if [ "$HR_BACKEND" = sqlite ]; then
	expect_contains "$OUT" "PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;" "the script turns enforcement off before the rebuild's BEGIN"
	expect_contains "$OUT" "CREATE TABLE new_racks" "and has the rebuild"
	expect_eq "$(printf '%s\n' "$OUT" | grep -c "PRAGMA foreign_keys")" "2" \
		"one PRAGMA off, one back on"
	expect_eq "$(printf '%s\n' "$OUT" | grep -A1 "^COMMIT;" | grep -c "PRAGMA foreign_keys = ON;")" "1" \
		"and turns it back on after that COMMIT"
else
	expect_not_contains "$OUT" "PRAGMA" "no PRAGMA on PostgreSQL"
fi

finish
