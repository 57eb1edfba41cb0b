#!/usr/bin/env bash
# hrctl test: every migration goes up, down and up again on scratch
# databases; a downgrade that forgets an index, a column or an enum type
# is caught and named with the difference; branches and merges are all
# tried; the live database is never touched.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
G=6b6b6b6b6b01
H=6b6b6b6b6b02
M=6b6b6b6b6b03
cat >"$MIGRATIONS/${G}_cables.sql" <<SQL
-- revision: $G
-- down_revision: $INITIAL
-- message: Add cables

-- +upgrade
CREATE TABLE cables (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50));
CREATE INDEX ix_cables_name ON cables (name);

-- +downgrade
DROP INDEX ix_cables_name;
DROP TABLE cables;
SQL
cat >"$MIGRATIONS/${H}_notes.sql" <<SQL
-- revision: $H
-- down_revision: $INITIAL
-- message: Add rack notes

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR;

-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
SQL
cat >"$MIGRATIONS/${M}_merge.sql" <<SQL
-- revision: $M
-- down_revision: $G, $H
-- message: Merge cables and notes

-- +upgrade
-- +downgrade
SQL
start_hrd
hr upgrade "$INITIAL"
BEFORE=$(sql "SELECT count(*) FROM homerack_schema_history")

DIALECTS=$(by_backend "sqlite" "sqlite postgresql")
hr test
expect_rc 0 "a graph whose downgrades undo their upgrades passes"
for d in $DIALECTS; do
	for r in $INITIAL $G $H $M; do
		expect_contains "$OUT" "$(printf '%-10s ok   %s' "$d" "$r")" \
			"$d: $r (base, branch, merge) was round tripped"
	done
done
if [ "$HR_BACKEND" = sqlite ]; then
	expect_contains "$OUT" "not tested: postgresql" "an unreached dialect is said to be untested"
fi
expect_eq "$(db_versions)" "$INITIAL" "the live database did not move"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "no table reached the live database"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history")" "$BEFORE" \
	"no history row was written"

hr test "$G"
expect_rc 0 "one revision can be tested alone"
expect_contains "$OUT" "ok   $G" "it is tested"
expect_not_contains "$OUT" "$H" "the revisions outside it are not reported"

# Downgrades that forget things.
stop_hrd
BI=6b6b6b6b6b11
BC=6b6b6b6b6b12
BE=6b6b6b6b6b13
cat >"$MIGRATIONS/${BI}_forgets_index.sql" <<SQL
-- revision: $BI
-- down_revision: $M
-- message: Index racks by name, downgrade forgets it

-- +upgrade
CREATE INDEX ix_racks_name ON racks (name);

-- +downgrade
SELECT 1;
SQL
cat >"$MIGRATIONS/${BC}_forgets_column.sql" <<SQL
-- revision: $BC
-- down_revision: $BI
-- message: Add cable colour, downgrade forgets a column

-- +upgrade
ALTER TABLE cables ADD COLUMN colour VARCHAR(20);
ALTER TABLE cables ADD COLUMN length_m FLOAT;

-- +downgrade
ALTER TABLE cables DROP COLUMN colour;
SQL
cat >"$MIGRATIONS/${BE}_forgets_enum.sql" <<SQL
-- revision: $BE
-- down_revision: $BC
-- message: Cable kinds, downgrade forgets the enum type

-- +upgrade postgresql
CREATE TYPE cable_kind AS ENUM ('copper', 'fiber');
CREATE TABLE cable_kinds (id INTEGER NOT NULL PRIMARY KEY, kind cable_kind);

-- +upgrade sqlite
CREATE TABLE cable_kinds (id INTEGER NOT NULL PRIMARY KEY, kind VARCHAR(6) CHECK (kind IN ('copper', 'fiber')));

-- +downgrade
DROP TABLE cable_kinds;
SQL
start_hrd

hr test
expect_rc 1 "a downgrade that forgets an index fails the test"
expect_contains "$OUT" "FAIL $BI" "the first failing migration is named"
expect_contains "$OUT" "Detected added index 'ix_racks_name' on '['name']'" \
	"the forgotten index is shown"
expect_not_contains "$OUT" "$BC" "the run stops at the first failure"
expect_one_line "$ERR" "the error is one line"
expect_contains "$ERR" "$BI fails its round trip on sqlite: the downgrade does not restore" \
	"the error names the migration and what is wrong"

hr test "$BC"
expect_rc 1 "a downgrade that forgets a column fails"
expect_contains "$OUT" "Detected added column 'cables.length_m'" "the column left behind is shown"
expect_not_contains "$OUT" "FAIL $BI" "revisions below the range are applied, not tested"

hr test "$BE"
if [ "$HR_BACKEND" = postgres ]; then
	expect_rc 1 "a downgrade that forgets an enum type fails on PostgreSQL"
	expect_contains "$OUT" "sqlite     ok   $BE" "SQLite (a CHECK, no type) passes"
	expect_contains "$OUT" "postgresql FAIL $BE" "PostgreSQL fails"
	expect_contains "$OUT" "Detected added enum 'cable_kind'" "the enum type left behind is shown"
else
	expect_rc 0 "SQLite has no enum type to forget"
fi

# A second upgrade that cannot run (the first left something behind that
# it creates again) is a failure too, with the database's message.
stop_hrd
rm "$MIGRATIONS"/6b6b6b6b6b1*
BT=6b6b6b6b6b21
cat >"$MIGRATIONS/${BT}_forgets_table.sql" <<SQL
-- revision: $BT
-- down_revision: $M
-- message: Add labels, downgrade forgets the table

-- +upgrade
CREATE TABLE labels (id INTEGER NOT NULL PRIMARY KEY);

-- +downgrade
SELECT 1;
SQL
start_hrd
hr test "$BT"
expect_rc 1 "a table left behind fails"
expect_contains "$OUT" "Detected added table 'labels'" "the table is shown"

hr test nosuchrev
expect_rc 1 "an unknown revision in the range fails"
expect_one_line "$ERR" "with a one-line error"
expect_contains "$ERR" "nosuchrev" "naming it"
hr current
expect_rc 0 "hrd keeps serving"

finish
