#!/usr/bin/env bash
# Offline SQL: upgrade --sql, downgrade --sql and stamp --sql print what
# hrd would run without touching the database; the printed script, run
# by the database's own client, leaves the database exactly as hrd would.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
NOTES=aaaa00000001
INDEX=bbbb00000002
cat >"$MIGRATIONS/${NOTES}_add_notes.sql" <<SQL
-- revision: $NOTES
-- down_revision: $INITIAL
-- message: Add rack notes, 'quoted'

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR(200);
-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
SQL
cat >"$MIGRATIONS/${INDEX}_index.sql" <<SQL
-- revision: $INDEX
-- down_revision: $NOTES
-- message: Index racks by name
-- transactional: false

-- +upgrade sqlite
CREATE INDEX IF NOT EXISTS ix_racks_name ON racks (name);
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_racks_name ON racks (name);
-- +downgrade
DROP INDEX IF EXISTS ix_racks_name;
SQL
start_hrd
BEGIN_SQL=$(by_backend "BEGIN IMMEDIATE;" "BEGIN;")

# run_script FILE: the database's own client runs the script, stopping at
# the first error.
run_script() {
	if [ "$HR_BACKEND" = postgres ]; then
		PGOPTIONS="-c client_min_messages=warning" \
			"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres \
			-d "$PG_DB" -f "$1" >/dev/null
	else
		sqlite3 -bail "$DB" <"$1" >/dev/null
	fi
}

hr upgrade --sql head
expect_rc 0 "upgrade --sql succeeds"
echo "$OUT" >"$TMP/up.sql"
expect_eq "$(db_versions)" "" "upgrade --sql touches nothing"
expect_eq "$(db_tables)" "" "upgrade --sql creates no table"
expect_eq "$(head -1 <<<"$OUT")" "$BEGIN_SQL" "the script opens hrd's transaction"
expect_contains "$OUT" "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));" \
	"the script creates Alembic's version table"
expect_contains "$OUT" "-- Running upgrade  -> $INITIAL, Initial HomeRack schema" \
	"each migration is announced as hrctl announces it"
expect_contains "$OUT" "INSERT INTO alembic_version (version_num) VALUES ('$INITIAL');" \
	"a new branch inserts its row"
expect_contains "$OUT" "UPDATE alembic_version SET version_num = '$NOTES' WHERE version_num = '$INITIAL';" \
	"a step updates the row"
expect_contains "$OUT" "'Add rack notes, ''quoted'''" "quotes in values are doubled"
expect_eq "$(grep -c "^$BEGIN_SQL\$" <<<"$OUT")" 4 "one transaction per migration (and one for the tables)"
expect_eq "$(grep -c '^COMMIT;$' <<<"$OUT")" 4 "each committed"
expect_eq "$(grep -A1 -- "-> $INDEX" <<<"$OUT" | tail -1)" "" "a blank line after the announcement"
expect_eq "$(grep -A2 -- "-> $INDEX" <<<"$OUT" | tail -1)" \
	"$(by_backend "CREATE INDEX IF NOT EXISTS ix_racks_name ON racks (name);" \
		"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_racks_name ON racks (name);")" \
	"a non-transactional migration runs before its transaction, in the dialect's section"

run_script "$TMP/up.sql"
expect_eq "$?" 0 "the database's client runs the script"
expect_eq "$(db_versions)" "$INDEX" "the script leaves the database at head"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "with the five tables"
expect_contains " $(db_columns racks) " " notes " "and the new column"
expect_eq "$(db_index_count ix_racks_name)" 1 "and the index"
expect_eq "$(sql "SELECT revision || ':' || direction FROM homerack_schema_history ORDER BY id" | tr '\n' ' ')" \
	"$INITIAL:upgrade $NOTES:upgrade $INDEX:upgrade " "the history table records each step"
hr current
expect_eq "$OUT" "$INDEX (head)" "hrd reads a database upgraded by the script"
hr verify
expect_rc 0 "the recorded checksums match the files"
hr upgrade head
expect_eq "$OUT" "" "hrd sees nothing left to do"

hr downgrade --sql $INDEX:base
expect_rc 0 "downgrade --sql START:END"
echo "$OUT" >"$TMP/down.sql"
expect_eq "$(db_versions)" "$INDEX" "downgrade --sql touches nothing"
expect_contains "$OUT" "-- Running downgrade $NOTES -> $INITIAL, Add rack notes, 'quoted'" \
	"downgrade steps are announced"
expect_contains "$OUT" "DELETE FROM alembic_version WHERE version_num = '$INITIAL';" \
	"downgrade to base deletes the last row"
run_script "$TMP/down.sql"
expect_eq "$(db_versions)" "" "the downgrade script empties the version table"
expect_eq "$(db_tables)" "" "and drops the tables"

hr upgrade --sql $NOTES:head
expect_contains "$OUT" "UPDATE alembic_version SET version_num = '$INDEX' WHERE version_num = '$NOTES';" \
	"upgrade --sql START:END starts from START"
expect_not_contains "$OUT" "VALUES ('$INITIAL')" "and leaves out what is below START"
hr upgrade --sql $INITIAL:+1
expect_eq "$(grep -c -- '-- Running upgrade' <<<"$OUT")" 1 "END may count from START"
hr upgrade --sql head:head
expect_contains "$OUT" "-- nothing to run" "a range with nothing in it says so"

hr stamp --sql $NOTES
expect_rc 0 "stamp --sql"
expect_contains "$OUT" "-- Running stamp_revision  -> $NOTES" "stamp --sql announces the stamp"
expect_contains "$OUT" "INSERT INTO alembic_version (version_num) VALUES ('$NOTES');" \
	"stamp --sql inserts the row"
hr stamp --sql $NOTES:$INDEX
expect_contains "$OUT" "DELETE FROM alembic_version WHERE version_num = '$NOTES';" \
	"stamp --sql START:END replaces START's row"
hr stamp --sql --purge $INDEX
expect_contains "$OUT" "DELETE FROM alembic_version;" "stamp --sql --purge empties the table"
echo "$OUT" >"$TMP/stamp.sql"
run_script "$TMP/stamp.sql"
expect_eq "$(db_versions)" "$INDEX" "the stamp script sets the row"
expect_eq "$(db_tables)" "" "and runs no migration"

hr --json upgrade --sql head
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["dialect"] == sys.argv[2] and len(d["chunks"]) == 4' \
	"$OUT" "$(by_backend sqlite postgresql)"; then
	pass "upgrade --sql --json gives the dialect and one chunk per block"
else
	fail "upgrade --sql --json gives the dialect and one chunk per block" "$OUT"
fi

# --- what is refused --------------------------------------------------------
hr downgrade --sql base
expect_rc 1 "downgrade --sql without a start fails"
expect_eq "$ERR" "hrctl: downgrade: downgrade --sql needs START:END: offline mode does not read the database's revision" \
	"and says why"
hr upgrade $INITIAL:head
expect_rc 2 "a range without --sql is a usage error"
expect_eq "$ERR" "hrctl: upgrade: a START:END range needs --sql (online, upgrade starts from the database's revision)" \
	"and says why"
hr upgrade --sql a:b:c
expect_rc 1 "a range with two colons fails"
expect_contains "$ERR" "has more than one ':'" "and says so"
hr upgrade --sql nope
expect_eq "$ERR" "hrctl: upgrade: no such revision 'nope'" "an unknown END says so"
hr upgrade --sql +1
expect_eq "$(grep -- '-- Running' <<<"$OUT")" "-- Running upgrade  -> $INITIAL, Initial HomeRack schema" \
	"+N counts from START (base when there is none), not from the database"
hr stamp --sql $NOTES:$INDEX $INITIAL:$INDEX
expect_eq "$ERR" "hrctl: stamp: stamp --sql takes one START for all its targets ('$NOTES' and '$INITIAL')" \
	"several STARTs are refused"
hr current
expect_rc 0 "hrd still serves after bad scripts"

finish
