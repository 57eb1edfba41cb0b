#!/usr/bin/env bash
# SQLite backups before upgrade/downgrade (kept beside the database, the
# newest --keep-backups of them), hrctl restore, and its refusals; on
# PostgreSQL hrd takes no backups and says what to use instead.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
N=8d8d8d8d8d01
cat >"$MIGRATIONS/${N}_notes.sql" <<SQL
-- revision: $N
-- down_revision: $INITIAL
-- message: Add rack notes

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR;

-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
SQL
start_hrd --keep-backups 3

if [ "$HR_BACKEND" = postgres ]; then
	hr upgrade head
	expect_rc 0 "upgrade works"
	expect_not_contains "$OUT" "Backed up" "no backup is taken of PostgreSQL"
	hr restore
	expect_rc 1 "restore is refused on PostgreSQL"
	expect_one_line "$ERR" "with a one-line error"
	expect_contains "$ERR" "pg_dump" "pointing at pg_dump"
	finish
fi

backups() { ls "$TMP" | grep -E '^homerack\.db\.[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\..*\.backup$'; }

hr upgrade "$INITIAL"
expect_rc 0 "upgrade to the initial revision"
expect_contains "$OUT" "Backed up the database to $DB." "a backup is taken before the first step"
expect_eq "$(backups | grep -c '\.base\.backup$')" "1" "named with the revision it was at"
sql "INSERT INTO racks (name) VALUES ('r1'); INSERT INTO racks (name) VALUES ('r2'); INSERT INTO racks (name) VALUES ('r3')"

hr upgrade head
expect_rc 0 "upgrade to head"
expect_eq "$(backups | grep -c "\.$INITIAL\.backup$")" "1" "the second backup names $INITIAL"
sql "DELETE FROM racks"
expect_eq "$(sql "SELECT count(*) FROM racks")" "0" "the rows are lost"

hr restore --list
expect_rc 0 "restore --list"
expect_eq "$(echo "$OUT" | wc -l)" "2" "lists both backups"

hr restore
expect_rc 0 "restore puts the newest backup back"
expect_contains "$OUT" "Restored $DB." "saying which"
expect_contains "$OUT" "$N -> $INITIAL" "and the revisions before and after"
expect_eq "$(sql "SELECT count(*) FROM racks")" "3" "the rows are back"
expect_eq "$(db_versions)" "$INITIAL" "alembic_version is the backup's"
expect_eq "$(db_columns racks | grep -c notes)" "0" "the schema is the backup's"
expect_eq "$(sql "SELECT direction || ' ' || from_revisions || ' ' || to_revisions FROM homerack_schema_history ORDER BY id DESC LIMIT 1")" \
	"restore $N $INITIAL" "the history table records the restore"
hr current
expect_eq "$OUT" "$INITIAL" "hrd serves the restored database"

# An older one, by file name.
OLDEST=$(backups | head -1)
hr restore "$OLDEST"
expect_rc 0 "restore a named backup"
expect_eq "$(db_versions)" "" "back at base"
expect_eq "$(db_tables)" "" "with no tables"

# Only the newest --keep-backups are kept.
for i in 1 2; do
	hr upgrade head
	hr downgrade base
done
expect_eq "$(backups | wc -l)" "3" "the oldest backups are removed beyond --keep-backups"
expect_eq "$(backups | grep -c "^$OLDEST\$")" "0" "the oldest went first"

hr upgrade head --no-backup
expect_rc 0 "upgrade --no-backup"
expect_not_contains "$OUT" "Backed up" "takes no backup"
expect_eq "$(backups | wc -l)" "3" "and leaves the backups alone"
hr upgrade head
expect_not_contains "$OUT" "Backed up" "an upgrade with nothing to do takes no backup"

# Paths that are not ours.
hr restore /etc/passwd
expect_rc 1 "a file that is not a backup is refused"
expect_one_line "$ERR" "with a one-line error"
expect_contains "$ERR" "'/etc/passwd' is not a backup hrd made of this database" "naming it"
hr restore "$DB"
expect_rc 1 "the database itself is refused"
cp "$TMP/$(backups | tail -1)" "/tmp/$(backups | tail -1)"
hr restore "/tmp/$(backups | tail -1)"
expect_rc 1 "a backup's name in another directory is refused"
rm -f "/tmp/$(backups | tail -1)"
expect_eq "$(db_versions)" "$N" "nothing was restored"
hr current
expect_rc 0 "hrd keeps serving"

expect_eq "$(ls "$TMP" | grep -cE "backup-(wal|shm)$")" "0" "no WAL files beside the backups"
finish
