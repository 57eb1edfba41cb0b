#!/usr/bin/env bash
# upgrade --single-transaction: the whole plan commits or nothing of it
# does (schema, version rows, history rows); progress still streams; a
# transactional: false migration in the plan is refused up front.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
A=5a5a5a5a5a01
B=5a5a5a5a5a02
C=5a5a5a5a5a03
cat >"$MIGRATIONS/${A}_add_cables.sql" <<SQL
-- revision: $A
-- down_revision: $INITIAL
-- message: Add cables

-- +upgrade
CREATE TABLE cables (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50));
CREATE INDEX ix_cables_name ON cables (name);
INSERT INTO racks (name) VALUES ('from step 1');

-- +downgrade
DROP TABLE cables;
SQL
cat >"$MIGRATIONS/${B}_add_notes.sql" <<SQL
-- revision: $B
-- down_revision: $A
-- message: Add rack notes

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR;

-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
SQL
cat >"$MIGRATIONS/${C}_broken.sql" <<SQL
-- revision: $C
-- down_revision: $B
-- message: Broken third step

-- +upgrade
CREATE TABLE labels (id INTEGER NOT NULL PRIMARY KEY);
CREATE TABEL oops (id INTEGER);

-- +downgrade
DROP TABLE labels;
SQL
start_hrd

hr upgrade "$INITIAL"
expect_rc 0 "the initial migration applies"
history_rows() { sql "SELECT count(*) FROM homerack_schema_history"; }
BEFORE_HISTORY=$(history_rows)

hr upgrade head --single-transaction
expect_rc 1 "a failure at step 3 fails the upgrade"
expect_one_line "$ERR" "the failure is one line"
expect_contains "$ERR" "upgrade failed at $C" "the error names the failing migration"
expect_contains "$ERR" "database is at $INITIAL (0 of 3 steps applied)" \
	"the error says the database is where it started"
expect_contains "$OUT" "Running upgrade $INITIAL -> $A, Add cables" "step 1's progress streamed"
expect_contains "$OUT" "Running upgrade $A -> $B, Add rack notes" "step 2's progress streamed"
expect_contains "$OUT" "Running upgrade $B -> $C, Broken third step" "step 3's progress streamed"
expect_eq "$(db_versions)" "$INITIAL" "alembic_version is at the starting revision"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "no table of steps 1-3 remains"
expect_eq "$(db_columns racks)" "$(by_backend \
	"id name location total_height_u width_inches depth_mm max_weight_kg max_power_watts cooling_type" \
	"id name location total_height_u width_inches depth_mm max_weight_kg max_power_watts cooling_type")" \
	"step 2's column is gone"
expect_eq "$(db_index_count ix_cables_name)" "0" "step 1's index is gone"
expect_eq "$(sql "SELECT count(*) FROM racks")" "0" "step 1's row is gone"
expect_eq "$(history_rows)" "$BEFORE_HISTORY" "no history row of steps 1-3"
hr current
expect_eq "$OUT" "$INITIAL" "current says the starting revision"

# The same plan without the broken step commits as a whole.
hr upgrade "$B" --single-transaction
expect_rc 0 "a plan that works commits"
expect_contains "$OUT" "Running upgrade $A -> $B" "progress streams on success too"
expect_eq "$(db_versions)" "$B" "the database is at the target"
expect_eq "$(db_index_count ix_cables_name)" "1" "step 1's index is there"
expect_eq "$(history_rows)" "$((BEFORE_HISTORY + 2))" "one history row per step"
hr downgrade "$INITIAL"
expect_rc 0 "downgrade back to the start"

# A transactional: false migration cannot be part of one transaction.
stop_hrd
rm "$MIGRATIONS/${C}_broken.sql"
NT=5a5a5a5a5a04
cat >"$MIGRATIONS/${NT}_concurrent.sql" <<SQL
-- revision: $NT
-- down_revision: $B
-- message: Concurrent index
-- transactional: false

-- +upgrade
CREATE INDEX IF NOT EXISTS ix_racks_name ON racks (name);

-- +downgrade
DROP INDEX IF EXISTS ix_racks_name;
SQL
start_hrd
hr upgrade head --single-transaction
expect_rc 1 "a plan with a transactional: false migration is refused"
expect_one_line "$ERR" "the refusal is one line"
expect_contains "$ERR" "$NT" "the refusal names the migration"
expect_contains "$ERR" "transactional: false" "the refusal says why"
expect_eq "$(db_versions)" "$INITIAL" "nothing ran"
expect_eq "$(db_index_count ix_cables_name)" "0" "not even the steps before it"
hr upgrade head
expect_rc 0 "without the option the plan runs migration by migration"
expect_eq "$(db_versions)" "$NT" "and reaches the head"

hr downgrade "$INITIAL" --single-transaction
expect_rc 2 "--single-transaction is for upgrade"
expect_contains "$ERR" "is for upgrade" "the usage error says so"

finish
