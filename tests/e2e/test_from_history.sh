#!/usr/bin/env bash
# Rollback without the file: each upgrade records its downgrade SQL in
# the history table; an older checkout (its migrations/ without the
# newest file) can still go down with downgrade --from-history, shown
# first and run only with --yes.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
N=9e9e9e9e9e01
cat >"$MIGRATIONS/${N}_notes.sql" <<SQL
-- revision: $N
-- down_revision: $INITIAL
-- message: Add rack notes, indexed

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR;
CREATE INDEX ix_racks_notes ON racks (notes);

-- +downgrade
DROP INDEX ix_racks_notes;
ALTER TABLE racks DROP COLUMN notes;
SQL
start_hrd
hr upgrade head
expect_rc 0 "upgrade to the new revision"
expect_contains "$(sql "SELECT downgrade_sql FROM homerack_schema_history WHERE revision = '$N'")" \
	"DROP INDEX ix_racks_notes;" "the upgrade recorded its downgrade SQL"

# An older checkout: the newest file is gone.
stop_hrd
mv "$MIGRATIONS/${N}_notes.sql" "$TMP/"
start_hrd

hr downgrade -1
expect_rc 1 "a plain downgrade of a revision without a file fails"
expect_one_line "$ERR" "with a one-line error"
expect_contains "$ERR" "--from-history" "that points at --from-history"

hr downgrade head --from-history
expect_rc 1 "--from-history alone only shows the SQL"
expect_contains "$OUT" "-- downgrade $N: no migration file" "it names the revision"
expect_contains "$OUT" "DROP INDEX ix_racks_notes;" "and shows the recorded SQL"
expect_one_line "$ERR" "the refusal is one line"
expect_contains "$ERR" "--from-history --yes" "saying how to confirm"
expect_eq "$(db_versions)" "$N" "nothing ran"
expect_contains "$(db_columns racks)" "notes" "the column is still there"

hr downgrade head --from-history --yes
expect_rc 0 "confirmed, the recorded SQL runs"
expect_contains "$OUT" "Running downgrade $N -> $INITIAL, (recorded SQL: no migration file)" \
	"the step is reported"
expect_eq "$(db_versions)" "$INITIAL" "the database is back at the known head"
expect_not_contains "$(db_columns racks)" "notes" "the column is gone"
expect_eq "$(db_index_count ix_racks_notes)" "0" "the index is gone"
expect_eq "$(sql "SELECT direction FROM homerack_schema_history WHERE revision = '$N' ORDER BY id DESC LIMIT 1")" \
	"downgrade" "the history table records the downgrade"
hr current
expect_eq "$OUT" "$INITIAL (head)" "hrd agrees"

# A history table from before the column (an older hrd) gets it back
# on the next upgrade, and Alembic's table is untouched by all this.
stop_hrd
sql "ALTER TABLE homerack_schema_history DROP COLUMN downgrade_sql" >/dev/null
mv "$TMP/${N}_notes.sql" "$MIGRATIONS/"
start_hrd
hr upgrade head --no-backup
expect_rc 0 "an upgrade over an old history table works"
expect_contains "$(db_columns homerack_schema_history)" "downgrade_sql" "the column is added back"
expect_eq "$(db_columns alembic_version)" "version_num" "alembic_version is Alembic's own"

# A revision with no recorded SQL (stamped, applied by Alembic).
sql "UPDATE alembic_version SET version_num = 'deadbeef0000'" >/dev/null
hr downgrade head --from-history --yes
expect_rc 1 "a revision without a record cannot go down"
expect_one_line "$ERR" "with a one-line error"
expect_contains "$ERR" "'deadbeef0000' has no migration file and no downgrade SQL recorded" \
	"naming it"
expect_eq "$(db_versions)" "deadbeef0000" "nothing ran"

hr upgrade head --from-history
expect_rc 2 "--from-history is for downgrade"
finish
