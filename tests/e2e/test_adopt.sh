#!/usr/bin/env bash
# Adopting an Alembic project (issue 16), on SQLite and (HR_BACKEND=postgres)
# PostgreSQL: tests/e2e/alembic_project is the seed's layout (alembic.ini,
# alembic/env.py, app/database.py, app/models.py with the five HomeRack
# tables; revisions with a branch, a merge, a branch label, a depends_on).
#
# - contrib/alembic-import writes one migration per revision, and the
#   imported migrations build what Alembic builds (the catalogs compared,
#   and hrd's own check --database on Alembic's database);
# - `hrctl history` and `alembic history` print the same lines;
# - a database Alembic brought half-way is read and continued by hrd;
# - contrib/sqlalchemy-export's models equal the schema at the heads
#   (check is clean), and after a models.py change, export + revision
#   --autogenerate + upgrade reach what Alembic's autogenerate + upgrade do;
# - Alembic moving hrd's database behind its back (down, un-merge, up) is
#   recorded in the history, and verify credits only what hrd applied;
# - a revision offline mode cannot render is named with its reason, and
#   its file refuses to run.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
	fail "Alembic and SQLAlchemy are installed (python3-alembic; scripts/install-deps.sh)"
	finish
fi
if [ "$HR_BACKEND" = postgres ] && ! "$PY" -c 'import psycopg2' 2>/dev/null; then
	fail "psycopg2 is installed (python3-psycopg2; scripts/install-deps.sh)"
	finish
fi

PROJECT=$TMP/backend
cp -r "$SRCDIR/tests/e2e/alembic_project" "$PROJECT"
MIGRATIONS=$TMP/migrations
MODELS=$TMP/models
mkdir -p "$MIGRATIONS" "$MODELS"
IMPORT=$SRCDIR/contrib/alembic-import
EXPORT=$SRCDIR/contrib/sqlalchemy-export

# Alembic's own database beside hrd's, for comparison.
if [ "$HR_BACKEND" = postgres ]; then
	pg_sql "CREATE DATABASE alembic_ref" >/dev/null
	REF_URL="postgresql://postgres@/alembic_ref?host=$PG_DIR"
else
	REF_URL=sqlite:///$TMP/alembic.db
fi
HRD_URL=$DB_URL

# alembic URL ARGS...: the alembic command in the project, on URL (the
# seed's env.py takes it from DATABASE_URL).
alembic() {
	local url=$1
	shift
	(cd "$PROJECT" && DATABASE_URL=$url "$PY" -m alembic "$@")
}

# The schema of a database as its catalog has it, normalised into sorted
# lines (the version and history tables left out): columns with type,
# nullability, default and key; indexes with their columns; foreign keys;
# CHECK constraints and enum types.
catalog() { # URL
	if [ "$HR_BACKEND" = postgres ]; then
		local db=${1#postgresql://postgres@/}
		db=${db%%\?*}
		pg_sql -d "$db" "
		SELECT 'column ' || table_name || '.' || column_name || ' ' || udt_name || ' ' ||
		       is_nullable || ' ' || coalesce(column_default, '-')
		  FROM information_schema.columns WHERE table_schema = 'public'
		   AND table_name NOT IN ('alembic_version', 'homerack_schema_history')
		UNION ALL
		SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes
		 WHERE schemaname = 'public'
		   AND tablename NOT IN ('alembic_version', 'homerack_schema_history')
		UNION ALL
		SELECT 'constraint ' || conrelid::regclass::text || ' ' || contype::text || ' ' ||
		       pg_get_constraintdef(oid) FROM pg_constraint
		 WHERE connamespace = 'public'::regnamespace AND conrelid <> 0
		   AND conrelid::regclass::text NOT IN ('alembic_version', 'homerack_schema_history')
		UNION ALL
		SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
		  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
		ORDER BY 1"
	else
		sqlite3 -batch "${1#sqlite:///}" "
		WITH t AS (SELECT name FROM sqlite_master WHERE type = 'table'
		  AND name NOT IN ('alembic_version', 'homerack_schema_history', 'sqlite_sequence'))
		SELECT 'column ' || t.name || '.' || c.name || ' ' || c.type || ' ' || c.\"notnull\" ||
		       ' ' || coalesce(c.dflt_value, '-') || ' ' || c.pk
		  FROM t, pragma_table_info(t.name) c
		UNION ALL
		SELECT 'index ' || t.name || ' ' || i.name || ' ' || i.\"unique\" || ' ' ||
		       (SELECT group_concat(ii.name) FROM pragma_index_info(i.name) ii)
		  FROM t, pragma_index_list(t.name) i
		UNION ALL
		SELECT 'fk ' || t.name || '.' || f.\"from\" || ' ' || f.\"table\" || '.' || f.\"to\"
		  FROM t, pragma_foreign_key_list(t.name) f
		UNION ALL
		SELECT 'checks ' || name || ' ' || (length(sql) - length(replace(sql, 'CHECK', ''))) / 5
		  FROM sqlite_master WHERE name IN (SELECT name FROM t)
		ORDER BY 1"
	fi
}

# --- import ------------------------------------------------------------------

run "$PY" "$IMPORT" -c "$PROJECT/alembic.ini" -o "$MIGRATIONS"
expect_rc 0 "alembic-import imports the project" "$ERR"
expect_eq "$(ls "$MIGRATIONS" | tr '\n' ' ')" \
	"3f9d2c1a7b10_initial_specifications_and_racks.sql 4a6c9e1d0b35_merge_positions_and_connections.sql 8b41e2d9c603_add_devices.sql 9e2f7c4b1a58_index_devices_by_brand_and_model.sql c27a5f0e9d14_add_rack_positions.sql e5d0b8a3f217_add_connections.sql " \
	"one file per revision, named as Alembic names the script"
merge=$MIGRATIONS/4a6c9e1d0b35_merge_positions_and_connections.sql
expect_contains "$(cat "$merge")" "-- down_revision: c27a5f0e9d14, e5d0b8a3f217" "a merge keeps both parents"
expect_contains "$(cat "$MIGRATIONS"/8b41*)" "-- branch_labels: devices" "the branch label"
expect_contains "$(cat "$MIGRATIONS"/c27a*)" "-- depends_on: 8b41e2d9c603" "the dependency"
expect_contains "$(cat "$MIGRATIONS"/c27a*)" "-- create_date: 2026-11-04 11:00:00" "the create date"
expect_contains "$(cat "$MIGRATIONS"/3f9d*)" "CREATE TYPE widthtype AS ENUM" \
	"PostgreSQL's section has Alembic's enum types"
expect_not_contains "$(cat "$MIGRATIONS"/*.sql)" "alembic_version" "no version-table bookkeeping"
expect_not_contains "$(cat "$MIGRATIONS"/*.sql)" "BEGIN;" "no BEGIN (hrd owns the transaction)"
before=$(cat "$MIGRATIONS"/*.sql | sha256sum)
run "$PY" "$IMPORT" -c "$PROJECT/alembic.ini" -o "$MIGRATIONS"
expect_eq "$(grep -c '^  Unchanged ' <<<"$OUT") $(cat "$MIGRATIONS"/*.sql | sha256sum)" "6 $before" \
	"importing again changes no file"

# --- export --------------------------------------------------------------------

run "$PY" "$EXPORT" -C "$PROJECT" -o "$MODELS/homerack.sql"
expect_rc 0 "sqlalchemy-export writes the models" "$ERR"
before=$(sha256sum <"$MODELS/homerack.sql")
run "$PY" "$EXPORT" -C "$PROJECT" -o "$MODELS/homerack.sql"
expect_eq "$OUT $(sha256sum <"$MODELS/homerack.sql")" "  Unchanged $MODELS/homerack.sql $before" \
	"exporting an unchanged models.py changes no file"
run "$PY" "$EXPORT" -C "$PROJECT" --metadata app.models:Nope -o "$MODELS/x.sql"
expect_rc 2 "export: a wrong --metadata fails"
expect_one_line "$ERR" "with one line"
expect_contains "$ERR" "app.models has no attribute 'Nope'" "naming what is missing"
# A rename, which nobody guesses, comes from the column's info.
cp -r "$PROJECT" "$TMP/renamed"
sed -i 's/^    notes = Column(String)$/    remarks = Column(String, info={"renamed_from": "notes"})/' \
	"$TMP/renamed/app/models.py"
run "$PY" "$EXPORT" -C "$TMP/renamed" -o "$TMP/renamed.sql"
expect_eq "$(grep -c -- 'remarks VARCHAR, -- renamed from: notes' "$TMP/renamed.sql")" 2 \
	"export: info={'renamed_from': ...} becomes hrd's annotation in both dialects"

start_hrd --models "$MODELS"

# Both list the same revisions with the same parents, labels, dependencies
# and messages. "The same lines" means the same set: Alembic prints
# siblings of a branch point in its own order, hrd in graph order.
same_history() { # description, then hrctl/alembic history words
	local what=$1 a h
	shift
	a=$(alembic "$REF_URL" history "$@" 2>/dev/null | sed 's/ *$//' | sort)
	h=$("$HRCTL" history "$@" 2>/dev/null | sed 's/ *$//' | sort)
	expect_eq "$h" "$a" "$what: hrctl and alembic print the same lines"
}
same_history "history"
same_history "history -r" -r 8b41e2d9c603:9e2f7c4b1a58

# --- the imported migrations build what Alembic builds --------------------

hr upgrade heads
expect_rc 0 "hrd upgrades a fresh database with the imported migrations" "$ERR"
run alembic "$REF_URL" upgrade heads
expect_rc 0 "Alembic upgrades its own" "$ERR"
expect_eq "$(catalog "$HRD_URL")" "$(catalog "$REF_URL")" "the same schema as Alembic's, catalog by catalog"
expect_contains "$(catalog "$HRD_URL")" "rack_positions" "(the catalog read something)"
hr check
expect_eq "$RC $OUT" "0 No new upgrade operations detected." \
	"the exported models equal the migrations' heads: check is clean"
hr check --database
expect_rc 0 "and the database matches its revision"

# --- Alembic behind hrd's back: recorded, and verify credits hrd's work only ---

outside_rows() {
	sql_line "SELECT from_revisions || '>' || to_revisions FROM homerack_schema_history
	          WHERE direction = 'outside' ORDER BY id"
}
hr verify
expect_eq "$RC $OUT" "0 6 applied migrations match their recorded checksums" \
	"verify: every revision hrd applied is checked"
run alembic "$HRD_URL" downgrade -1
expect_rc 0 "alembic downgrade -1 behind hrd's back"
hr verify
run alembic "$HRD_URL" downgrade e5d0b8a3f217 # un-merges 4a6c9e1d0b35 into two rows
expect_rc 0 "alembic un-merges behind hrd's back"
hr verify
run alembic "$HRD_URL" upgrade heads
expect_rc 0 "alembic upgrade heads behind hrd's back"
expect_eq "$(outside_rows)" "9e2f7c4b1a58>4a6c9e1d0b35 4a6c9e1d0b35>c27a5f0e9d14 e5d0b8a3f217" \
	"each change Alembic made was recorded when hrd next looked (down, un-merge)"
hr verify
expect_eq "$(outside_rows)" \
	"9e2f7c4b1a58>4a6c9e1d0b35 4a6c9e1d0b35>c27a5f0e9d14 e5d0b8a3f217 c27a5f0e9d14 e5d0b8a3f217>9e2f7c4b1a58" \
	"and back up"
expect_eq "$(sql_line "SELECT revision || ' ' || coalesce(checksum, '-') || ' ' || coalesce(peer_uid, -1)
                       FROM homerack_schema_history ORDER BY id DESC LIMIT 1")" \
	"9e2f7c4b1a58 - -1" "an outside row names where the database went, with no checksum or peer"
expect_eq "$RC $OUT" \
	"0 4 applied migrations match their recorded checksums; 2 applied without a recorded checksum (stamped, or by Alembic)" \
	"verify credits hrd only with what Alembic did not redo (the merge and the head)"
# The file of a revision Alembic re-applied is not what ran: editing it
# is no problem for verify, nor for upgrade.
f=$(ls "$MIGRATIONS"/9e2f*.sql)
cp "$f" "$TMP/kept.sql"
echo "-- a comment added later" >>"$f"
hr verify
expect_rc 0 "verify: a file Alembic's run superseded may change"
hr upgrade heads
expect_rc 0 "upgrade does not refuse it either" "$ERR"
cp "$TMP/kept.sql" "$f"
f=$(ls "$MIGRATIONS"/8b41*.sql)
cp "$f" "$TMP/kept.sql"
echo "-- and one to a revision hrd applied" >>"$f"
hr verify
expect_rc 1 "verify still catches a changed file hrd applied"
expect_contains "$OUT" "8b41e2d9c603" "naming it"
cp "$TMP/kept.sql" "$f"

# hrd notices before it changes anything, too.
alembic "$HRD_URL" downgrade c27a5f0e9d14 >/dev/null 2>&1
hr upgrade heads
expect_rc 0 "hrd upgrades after Alembic's downgrade" "$ERR"
expect_eq "$(sql_line "SELECT direction || ' ' || from_revisions || '>' || to_revisions
                       FROM homerack_schema_history ORDER BY id DESC LIMIT 3")" \
	"upgrade 4a6c9e1d0b35>9e2f7c4b1a58 upgrade c27a5f0e9d14 e5d0b8a3f217>4a6c9e1d0b35 outside 9e2f7c4b1a58>c27a5f0e9d14 e5d0b8a3f217" \
	"the outside change comes first, then hrd's own steps from where Alembic left it"

# --- a database Alembic brought half-way, continued by hrd --------------------

alembic "$REF_URL" downgrade base >/dev/null 2>&1
run alembic "$REF_URL" upgrade c27a5f0e9d14
expect_rc 0 "Alembic upgrades half-way (its dependency comes along)" "$ERR"
stop_hrd
DB_URL=$REF_URL start_hrd --models "$MODELS"
hr current
expect_eq "$(sort <<<"$OUT")" "$(alembic "$REF_URL" current 2>/dev/null | sort)" \
	"hrctl current agrees with alembic current at once"
hr upgrade head
expect_rc 0 "hrctl upgrade head continues from there" "$ERR"
expect_eq "$(alembic "$REF_URL" current 2>/dev/null)" "9e2f7c4b1a58 (head)" "and Alembic sees the head"
hr check --database
expect_rc 0 "the database Alembic and hrd built together matches the head"
stop_hrd
DB_URL=$HRD_URL start_hrd --models "$MODELS"

# --- a models.py change: export + autogenerate = Alembic's autogenerate --------

"$PY" - "$PROJECT/app/models.py" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
t = s.replace('    name = Column(String, nullable=False)\n    location',
              '    name = Column(String, nullable=False, index=True)\n    notes = Column(String)\n    location')
assert t != s
open(p, "w").write(t)
PY
run "$PY" "$EXPORT" -C "$PROJECT" -o "$MODELS/homerack.sql"
expect_eq "$OUT" "  Writing $MODELS/homerack.sql ...  done" "the export rewrites the models"
reloads=$(grep -c "reloaded .* models file" "$TMP/hrd.log")
kill -HUP "$HRD_PID"
models_reloaded() { [ "$(grep -c "reloaded .* models file" "$TMP/hrd.log")" -gt "$reloads" ]; }
wait_until "hrd to reload the models" models_reloaded
hr check
expect_rc 1 "check sees the change"
expect_contains "$OUT" "Detected added column 'racks.notes'" "the new column"
hr revision --autogenerate -m "Add rack notes"
expect_rc 0 "hrctl revision --autogenerate" "$ERR"
hr upgrade head
expect_rc 0 "and upgrade head" "$ERR"
hr check
expect_rc 0 "check is clean again"
run alembic "$REF_URL" revision --autogenerate -m "Add rack notes"
expect_rc 0 "alembic revision --autogenerate" "$ERR"
expect_not_contains "$ERR" "homerack_schema_history" "Alembic leaves hrd's history table alone (env.py's include_name)"
run alembic "$REF_URL" upgrade head
expect_rc 0 "and alembic upgrade head" "$ERR"
expect_eq "$(catalog "$HRD_URL")" "$(catalog "$REF_URL")" \
	"both reach the same schema"
expect_contains "$(catalog "$HRD_URL")" "racks.notes" "(with the new column)"

# --- a revision offline mode cannot render --------------------------------------

cat >"$PROJECT/alembic/versions/b3d8f1a0c642_fill_rack_locations.py" <<'PY'
"""Fill rack locations from their names

Revision ID: b3d8f1a0c642
Revises: 9e2f7c4b1a58
Create Date: 2026-11-08 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = 'b3d8f1a0c642'
down_revision = '9e2f7c4b1a58'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    for rack_id, name in conn.execute(sa.text("SELECT id, name FROM racks")).fetchall():
        conn.execute(sa.text("UPDATE racks SET location = :l WHERE id = :i"),
                     {"l": name.split()[0], "i": rack_id})


def downgrade():
    with op.batch_alter_table('racks') as batch_op:
        batch_op.alter_column('location', existing_type=sa.String(), nullable=True)
PY
run "$PY" "$IMPORT" -c "$PROJECT/alembic.ini" -o "$MIGRATIONS"
expect_rc 1 "alembic-import exits 1 when a section must be written by hand"
expect_contains "$ERR" "NOT RENDERED b3d8f1a0c642 (sqlite upgrade): it calls op.get_bind() and uses what the database returns" \
	"the data migration is named, with the reason"
expect_contains "$ERR" "NOT RENDERED b3d8f1a0c642 (sqlite downgrade): CommandError: This operation cannot proceed in --sql mode; batch mode" \
	"so is the batch operation, with Alembic's reason"
expect_not_contains "$ERR" "(postgresql downgrade)" "what offline mode can render is rendered"
file=$(ls "$MIGRATIONS"/b3d8f1a0c642_*.sql)
expect_contains "$(cat "$file")" "-- NOT RENDERED (alembic-import): it calls op.get_bind()" "the file says so"
# hrd must know the new file before it is asked for it: a reload on
# SIGHUP, sent after the import ended, reads it (the directory watch's
# own reload may come before or after; it is not waited for).
hups=$(grep -c "SIGHUP: reloaded" "$TMP/hrd.log")
kill -HUP "$HRD_PID"
sighup_reloaded() { [ "$(grep -c "SIGHUP: reloaded" "$TMP/hrd.log")" -gt "$hups" ]; }
wait_until "hrd to reload the migrations" sighup_reloaded
hr upgrade b3d8f1a0c642
expect_rc 1 "hrd refuses to run the section until it is written"
expect_contains "$ERR" "b3d8f1a0c642 upgrade ($(by_backend sqlite postgresql)) must be written by hand" \
	"saying what to write"
expect_contains "$ERR" "(0 of 1 steps applied)" "and nothing was applied"

finish
