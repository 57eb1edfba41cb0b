#!/usr/bin/env bash
# upgrade --rehearse: the real plan on a copy of the real database (a
# backup-API copy on SQLite, one rolled-back transaction on PostgreSQL):
# what an empty scratch database cannot show (a NOT NULL over NULLs)
# fails there, and the real database is left exactly as it was.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
R=7c7c7c7c7c01
cat >"$MIGRATIONS/${R}_location_not_null.sql" <<SQL
-- revision: $R
-- down_revision: $INITIAL
-- message: Every rack has a location

-- +upgrade postgresql
ALTER TABLE racks ALTER COLUMN location SET NOT NULL;

-- +upgrade sqlite
CREATE TABLE racks_new (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, location VARCHAR NOT NULL);
INSERT INTO racks_new (id, name, location) SELECT id, name, location FROM racks;
DROP TABLE racks_new;

-- +downgrade postgresql
ALTER TABLE racks ALTER COLUMN location DROP NOT NULL;

-- +downgrade sqlite
SELECT 1;
SQL
start_hrd
hr upgrade "$INITIAL"
expect_rc 0 "the initial migration applies"
sql "INSERT INTO racks (name, location) VALUES ('a', 'attic'); INSERT INTO racks (name) VALUES ('b')" >/dev/null
HISTORY=$(sql "SELECT count(*) FROM homerack_schema_history")

hr upgrade head --rehearse
expect_rc 1 "a NOT NULL over a NULL row fails the rehearsal"
expect_one_line "$ERR" "the failure is one line"
expect_contains "$ERR" "rehearsal: upgrade failed at $R" "the error names the migration"
expect_contains "$ERR" "$(by_backend "NOT NULL constraint failed" "contains null values")" \
	"the error carries the database's message"
expect_contains "$ERR" "the database was not changed (it is at $INITIAL)" \
	"the error says the database was not changed"
expect_contains "$OUT" "Running upgrade $INITIAL -> $R" "the step was reported"
expect_eq "$(db_versions)" "$INITIAL" "alembic_version did not move"
expect_eq "$(sql "SELECT count(*) FROM racks")" "2" "the rows are all there"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history")" "$HISTORY" "no history row"
if [ "$HR_BACKEND" = sqlite ]; then
	expect_eq "$(ls "$TMP" | grep -c rehearsal)" "0" "the copy is gone"
fi

sql "UPDATE racks SET location = 'cellar' WHERE location IS NULL" >/dev/null
hr upgrade head --rehearse
expect_rc 0 "once the data is fixed the rehearsal passes"
expect_contains "$OUT" "Running upgrade $INITIAL -> $R, Every rack has a location" "step by step"
expect_contains "$OUT" "done in" "with timings"
expect_contains "$OUT" "Rehearsal passed: 1 step in" "and a verdict"
expect_contains "$OUT" "$(by_backend "Rehearsing on a copy of the database" "Rehearsing in one transaction, rolled back")" \
	"saying how it rehearsed"
expect_eq "$(db_versions)" "$INITIAL" "a passing rehearsal changes nothing either"
if [ "$HR_BACKEND" = postgres ]; then
	expect_eq "$(sql "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'racks' AND column_name = 'location'")" \
		"YES" "the column is still nullable"
fi

# A rehearsal while a schema change runs is refused, not queued.
hold_lock
"$HRCTL" upgrade head >"$TMP/bg.out" 2>&1 &
BG=$!
wait_blocked
hr upgrade head --rehearse
expect_rc 1 "a rehearsal during a schema change is refused"
expect_one_line "$ERR" "with a one-line error"
expect_contains "$ERR" "a schema change is in progress" "saying why"
release_lock
wait "$BG"
expect_eq "$?" "0" "the real upgrade then runs"
expect_eq "$(db_versions)" "$R" "and reaches the head"

if [ "$HR_BACKEND" = postgres ]; then
	stop_hrd
	NT=7c7c7c7c7c02
	cat >"$MIGRATIONS/${NT}_concurrent.sql" <<SQL
-- revision: $NT
-- down_revision: $R
-- message: Concurrent index
-- transactional: false

-- +upgrade
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_racks_name ON racks (name);

-- +downgrade
DROP INDEX CONCURRENTLY IF EXISTS ix_racks_name;
SQL
	start_hrd
	hr upgrade head --rehearse
	expect_rc 1 "a transactional: false migration cannot be rehearsed on PostgreSQL"
	expect_one_line "$ERR" "the refusal is one line"
	expect_contains "$ERR" "$NT" "naming the migration"
	expect_eq "$(db_versions)" "$R" "nothing ran"
fi

hr upgrade head --rehearse --sql
expect_rc 2 "--rehearse does not go with --sql"
finish
