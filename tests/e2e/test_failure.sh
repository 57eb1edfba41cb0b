#!/usr/bin/env bash
# Failing migrations roll back whole; bad targets and broken files get a
# clear one-line error; the daemon keeps serving throughout.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
BAD=2a2a2a2a2a2a
cat >"$MIGRATIONS/${BAD}_add_cables.sql" <<'SQL'
-- revision: 2a2a2a2a2a2a
-- down_revision: 1f3c0a9d2b7e
-- message: Add cables, with a typo in the middle

-- +upgrade
CREATE TABLE cables (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50));
CREATE INDEX ix_cables_name ON cables (name);
INSERT INTO racks (name) VALUES ('inserted by a failing migration');
CREATE TABEL broken (id INTEGER);
CREATE TABLE after_broken (id INTEGER);

-- +downgrade
DROP TABLE cables;
SQL
start_hrd

hr upgrade head
expect_rc 1 "upgrade through a broken statement fails"
expect_one_line "$ERR" "the failure is one line"
expect_contains "$ERR" "upgrade failed at $BAD" "the error names the revision"
expect_contains "$ERR" "${BAD}_add_cables.sql:9" "the error names the file and line"
expect_contains "$ERR" "$(by_backend 'near "TABEL": syntax error' 'syntax error at or near "TABEL"')" \
	"the error carries the database's message"
expect_contains "$ERR" "database is at $INITIAL" "the error says where the database is"
expect_contains "$OUT" "Running upgrade $INITIAL -> $BAD" "the failing step was announced"
expect_eq "$(db_versions)" "$INITIAL" "alembic_version stayed at the previous revision"
expect_eq "$(db_tables)" "$HOMERACK_TABLES" "no table of the failed migration remains"
expect_eq "$(sql "SELECT count(*) FROM racks")" "0" "its row insert was rolled back"
expect_eq "$(db_index_count ix_cables_name)" "0" \
	"its index was rolled back"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history WHERE revision = '$BAD'")" "0" \
	"no history row for the failed migration"

hr current
expect_rc 0 "the daemon still serves after a failed migration"
expect_eq "$OUT" "$INITIAL" "current shows the last good revision"

# Fix the file, as a developer would, and retry (files load at start).
stop_hrd
sed -i 's/CREATE TABEL/CREATE TABLE/' "$MIGRATIONS/${BAD}_add_cables.sql"
start_hrd
hr upgrade head
expect_rc 0 "after fixing the file the upgrade succeeds"
expect_eq "$(db_versions)" "$BAD" "the database reaches the new head"

# --- bad targets -------------------------------------------------------------
hr upgrade zzzzzz
expect_rc 1 "an unknown revision fails"
expect_one_line "$ERR" "unknown revision: one line"
expect_contains "$ERR" "zzzzzz" "the error names the unknown revision"
hr downgrade -5
expect_rc 1 "downgrade below base fails"
expect_one_line "$ERR" "below base: one line"
expect_eq "$(db_versions)" "$BAD" "a failed plan changes nothing"
hr upgrade ''
expect_rc 1 "an empty target fails"
expect_contains "$ERR" "needs a target" "the empty target is explained"
hr upgrade 'head; DROP TABLE racks'
expect_rc 1 "a garbage target fails"
expect_eq "$(db_tables)" "after_broken broken cables $HOMERACK_TABLES" \
	"a garbage target touches nothing"
hr stamp nope
expect_rc 1 "stamp of an unknown revision fails"
expect_eq "$(db_versions)" "$BAD" "a failed stamp changes nothing"

# --- a broken migration file ---------------------------------------------------
stop_hrd
printf -- '-- revision: 3b3b3b3b3b3b\n-- down_revison: 2a2a2a2a2a2a\n' \
	>"$MIGRATIONS/3b3b3b3b3b3b_typo.sql"
start_hrd
hr current
expect_rc 0 "current works while the migrations are broken"
expect_eq "$OUT" "$BAD" "current still reports the database"
expect_contains "$ERR" "could not load the migrations" "current warns that the files are broken"
hr upgrade head
expect_rc 1 "upgrade refuses while a migration file is broken"
expect_one_line "$ERR" "broken file: one line"
expect_contains "$ERR" "3b3b3b3b3b3b_typo.sql:2" "the error names the file and line"
expect_contains "$ERR" "down_revison" "the error names the bad field"
expect_eq "$(db_versions)" "$BAD" "nothing moved"
rm "$MIGRATIONS/3b3b3b3b3b3b_typo.sql"
stop_hrd
start_hrd

# --- a header that is not UTF-8 -------------------------------------------------
# Header fields travel in JSON and protobuf strings: the file is refused.
stop_hrd
printf -- '-- revision: 4c4c4c4c4c4c\n-- down_revision: 2a2a2a2a2a2a\n-- message: caf\xe9\n' \
	>"$MIGRATIONS/4c4c4c4c4c4c_latin1.sql"
start_hrd
valid_json() { python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <<<"$1" 2>/dev/null; }
hr --json current
if valid_json "$OUT"; then pass "--json current prints valid JSON"; else
	fail "--json current prints valid JSON" "$OUT"; fi
expect_contains "$OUT" "4c4c4c4c4c4c_latin1.sql:3: invalid utf-8" "the file is refused, naming file and line"
hr --json history
if [ -z "$OUT" ] || valid_json "$OUT"; then pass "--json history prints no invalid JSON"; else
	fail "--json history prints no invalid JSON" "$OUT"; fi
expect_contains "$ERR" "4c4c4c4c4c4c_latin1.sql:3: invalid utf-8" "history names the refused file"
rm "$MIGRATIONS/4c4c4c4c4c4c_latin1.sql"
stop_hrd
start_hrd

# --- a version row no migration file knows ------------------------------------
sql "UPDATE alembic_version SET version_num = 'deadbeef0000'"
hr current
expect_eq "$OUT" "deadbeef0000 (no migration file)" "current shows an unknown row plainly"
hr upgrade head
expect_rc 1 "upgrade from an unknown row fails"
expect_contains "$ERR" "deadbeef0000" "the error names the unknown row"

# --- the version row changed under a step ------------------------------------
# A migration that deletes the version row itself: hrd's UPDATE of that
# row then touches none, and the step fails whole. On PostgreSQL that
# UPDATE goes out with the step's other bookkeeping in one pipeline,
# before the COMMIT: the COMMIT must not happen.
sql "UPDATE alembic_version SET version_num = '$BAD'"
UNDER=5e5e5e5e5e5e
cat >"$MIGRATIONS/${UNDER}_under_us.sql" <<SQL
-- revision: $UNDER
-- down_revision: $BAD
-- message: Take the version row away

-- +upgrade
CREATE TABLE under_us (id INTEGER);
DELETE FROM alembic_version;

-- +downgrade
DROP TABLE under_us;
SQL
stop_hrd
start_hrd
hr upgrade head
expect_rc 1 "a step whose version row went away fails"
expect_one_line "$ERR" "version row gone: one line"
expect_contains "$ERR" "update of a version row touched 0 rows of alembic_version" \
	"the error says the version row changed under the step"
expect_eq "$(db_versions)" "$BAD" "the version row is back: nothing of the step committed"
expect_not_contains "$(db_tables)" "under_us" "the step's table was rolled back"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history WHERE revision = '$UNDER'")" "0" \
	"no history row for the step"
hr current
expect_eq "$OUT" "$BAD" "the daemon still serves, at the last good revision"

finish
