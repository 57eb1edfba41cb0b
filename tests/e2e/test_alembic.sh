#!/usr/bin/env bash
# Cross-check with Alembic itself (Debian's python3-alembic, which
# scripts/install-deps.sh installs): the same revision graph as Alembic
# scripts and as hrd's SQL files, the same commands on two databases,
# and after every one alembic_version must hold the same rows. A database
# Alembic upgraded is continued by hrd and the other way round, and the
# read commands print what Alembic prints.
. "$(dirname "$0")/lib.sh"

PY=${ALEMBIC_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import alembic' 2>/dev/null; then
	fail "Alembic is installed (python3-alembic; scripts/install-deps.sh)"
	finish
fi

MIGRATIONS=$TMP/migrations
ALEMBIC=$TMP/alembic
mkdir -p "$MIGRATIONS" "$ALEMBIC/versions"
ADB=$TMP/alembic.db

cat >"$TMP/alembic.ini" <<INI
[alembic]
script_location = $ALEMBIC
sqlalchemy.url = sqlite:///$ADB
INI
cat >"$ALEMBIC/env.py" <<'PY'
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section),
                            prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
PY
cat >"$ALEMBIC/script.py.mako" <<'MAKO'
MAKO

# rev REV PARENTS LABELS DEPENDS MESSAGE: the same migration twice, each
# creating table t_REV: an Alembic script and an hrd SQL file.
rev() {
	local id=$1 parents=$2 labels=$3 deps=$4 msg=$5 py_parents py_labels py_deps
	py_parents=$(tuple "$parents")
	py_labels=$(tuple "$labels")
	py_deps=$(tuple "$deps")
	cat >"$ALEMBIC/versions/${id}.py" <<PY
"""$msg

Revision ID: $id
"""
from alembic import op

revision = "$id"
down_revision = $py_parents
branch_labels = $py_labels
depends_on = $py_deps


def upgrade():
    op.execute("CREATE TABLE t_$id (id INTEGER)")


def downgrade():
    op.execute("DROP TABLE t_$id")
PY
	cat >"$MIGRATIONS/${id}.sql" <<SQL
-- revision: $id
-- down_revision: $parents
-- branch_labels: $labels
-- depends_on: $deps
-- message: $msg

-- +upgrade
CREATE TABLE t_$id (id INTEGER);
-- +downgrade
DROP TABLE t_$id;
SQL
}
tuple() { # "a b" -> ("a", "b",) ; "" -> None
	[ -z "$1" ] && { echo None; return; }
	printf '('
	for x in $1; do printf '"%s", ' "$x"; done
	printf ')'
}
rev a1a1a1a1a1a1 "" "" "" "Create the base"
rev a2a2a2a2a2a2 "a1a1a1a1a1a1" "" "" "Add notes"
rev a3a3a3a3a3a3 "a1a1a1a1a1a1" "cables" "" "Add cables"
rev a4a4a4a4a4a4 "a3a3a3a3a3a3" "" "" "Add colours"
rev a5a5a5a5a5a5 "a2a2a2a2a2a2 a4a4a4a4a4a4" "" "" "Merge notes and colours"
rev a6a6a6a6a6a6 "" "audit" "" "Start audit"
rev a7a7a7a7a7a7 "a6a6a6a6a6a6" "" "a2a2a2a2a2a2" "Audit notes"
rev a8a8a8a8a8a8 "a5a5a5a5a5a5" "" "" "After the merge"
rev a9a9a9a9a9a9 "a5a5a5a5a5a5" "" "" "Beside it"
# c1 is a head c2 depends on: an "effective head".
rev c1c1c1c1c1c1 "" "" "" "Lookup tables"
rev c2c2c2c2c2c2 "" "" "c1c1c1c1c1c1" "Reports on lookups"

alembic() { "$PY" -m alembic -c "$TMP/alembic.ini" "$@"; }
rows_of() { sqlite3 -batch "$1" "SELECT version_num FROM alembic_version ORDER BY 1" 2>/dev/null | tr '\n' ' '; }
tables_of() {
	sqlite3 -batch "$1" "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 't_%' ORDER BY 1" |
		tr '\n' ' '
}
start_hrd

# Both tools, the same command; then the same rows and tables.
both() { # description, then the command's words (shared by both tools)
	local what=$1 aout
	shift
	if ! aout=$(alembic "$@" 2>&1); then
		fail "alembic $* runs" "$aout"
		return
	fi
	hr "$@"
	if [ "$RC" -ne 0 ]; then
		fail "hrctl $* runs" "$ERR"
		return
	fi
	expect_eq "$(rows_of "$DB")" "$(rows_of "$ADB")" "$what: alembic_version as Alembic has it"
	expect_eq "$(tables_of "$DB")" "$(tables_of "$ADB")" "$what: the same migrations ran"
}

both "upgrade to a branch" upgrade a3a3a3a3a3a3
both "a second branch" upgrade a2a2a2a2a2a2
both "relative upgrade on a branch" upgrade cables@+1
both "into the merge" upgrade a5a5a5a5a5a5
both "from a merge point to two heads" upgrade heads
both "down one of two heads" downgrade a8a8a8a8a8a8
both "un-merging" downgrade a4a4a4a4a4a4
both "a branch by label" upgrade audit@head
both "below a dependency" downgrade a1a1a1a1a1a1
both "everything again" upgrade heads
both "a branch to its base" downgrade audit@base
both "all the way down" downgrade base
both "stamp two revisions" stamp a2a2a2a2a2a2 a4a4a4a4a4a4
both "stamp a descendant" stamp a5a5a5a5a5a5
both "stamp into another line" stamp a7a7a7a7a7a7
both "stamp base" stamp base
both "heads, effective ones absorbed" upgrade heads
both "stamp heads" stamp heads
both "stamp back" stamp a7a7a7a7a7a7 a8a8a8a8a8a8 a9a9a9a9a9a9 c2c2c2c2c2c2
both "all the way down, effective heads too" downgrade base

expect_eq "$(sqlite3 "$DB" "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || pk FROM pragma_table_info('alembic_version')")" \
	"$(sqlite3 "$ADB" "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || pk FROM pragma_table_info('alembic_version')")" \
	"alembic_version has Alembic's columns"
expect_eq "$(sqlite3 "$DB" "SELECT name FROM pragma_index_list('alembic_version')")" \
	"$(sqlite3 "$ADB" "SELECT name FROM pragma_index_list('alembic_version')")" \
	"and Alembic's primary key"

# --- each continues the other's database --------------------------------
alembic upgrade a4a4a4a4a4a4 >/dev/null 2>&1
stop_hrd
DB_URL=sqlite:///$ADB start_hrd
hr current
expect_eq "$OUT" "a4a4a4a4a4a4" "hrd reads a database Alembic upgraded"
hr upgrade heads
expect_rc 0 "hrd continues it"
expect_eq "$(rows_of "$ADB")" "a7a7a7a7a7a7 a8a8a8a8a8a8 a9a9a9a9a9a9 c2c2c2c2c2c2 " "to every head"
hr downgrade a5a5a5a5a5a5
out=$(alembic current 2>/dev/null)
expect_eq "$(cut -d' ' -f1 <<<"$out" | sort | tr '\n' ' ')" \
	"a5a5a5a5a5a5 a7a7a7a7a7a7 c1c1c1c1c1c1 c2c2c2c2c2c2 " \
	"Alembic reads a database hrd changed"
out=$(alembic upgrade heads 2>&1)
expect_eq "$?" 0 "Alembic continues it"
expect_eq "$(rows_of "$ADB")" "a7a7a7a7a7a7 a8a8a8a8a8a8 a9a9a9a9a9a9 c2c2c2c2c2c2 " "back at every head"
hr current --check-heads
expect_rc 0 "current --check-heads: an effective head needs no row of its own"

# --- the read commands print what Alembic prints --------------------------
# (Alembic lists branch labels and a branch point's branches as sets, in
# no fixed order; hrd in graph order. Paths differ: .py against .sql.)
same_lines() { # description, then the command's words
	local what=$1 a h
	shift
	a=$(alembic "$@" 2>/dev/null | sed 's/ *$//' | sort)
	h=$("$HRCTL" "$@" 2>/dev/null | sed 's/ *$//' | sort)
	expect_eq "$h" "$a" "$what prints what Alembic prints"
}
same_lines "history" history
same_lines "history -r" history -r a3a3a3a3a3a3:a8a8a8a8a8a8
same_lines "history -i" history -i
same_lines "heads" heads
same_lines "heads --resolve-dependencies" heads --resolve-dependencies
same_lines "branches" branches
same_lines "current" current

finish
