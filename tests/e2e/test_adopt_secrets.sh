#!/usr/bin/env bash
# contrib/alembic-import and contrib/sqlalchemy-export never show a
# database password: not in another process's argv (ps), not in their
# errors, not in the migration files they write. The application's own
# import is made to fail on a URL SQLAlchemy cannot parse, whose error
# quotes the whole URL.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
	fail "Alembic and SQLAlchemy are installed (python3-alembic; scripts/install-deps.sh)"
	finish
fi
PROJECT=$TMP/backend
cp -r "$SRCDIR/tests/e2e/alembic_project" "$PROJECT"
# Every process that imports the application notes its argv.
ARGV_LOG=$TMP/argv.log
cat >>"$PROJECT/app/__init__.py" <<'PYEOF'
import os as _os
import sys as _sys
with open(_os.environ["HR_TEST_ARGV_LOG"], "a") as _f:
    _f.write(" ".join(_sys.argv) + "\n")
PYEOF
export HR_TEST_ARGV_LOG=$ARGV_LOG
MIGRATIONS=$TMP/migrations
mkdir -p "$MIGRATIONS"
SECRET=s3cretpw
BAD_URL="postgres ql://hr:$SECRET@db.example/homerack"

run "$PY" "$SRCDIR/contrib/alembic-import" -c "$PROJECT/alembic.ini" \
	-o "$MIGRATIONS" --dialect postgresql --url "postgresql=$BAD_URL"
expect_rc 1 "alembic-import: an unparsable URL leaves sections to write by hand"
expect_contains "$ERR" "Could not parse SQLAlchemy URL" "the reason is named"
expect_not_contains "$ERR$OUT" "$SECRET" "its messages hide the password"
expect_not_contains "$(cat "$MIGRATIONS"/*.sql)" "$SECRET" \
	"the files it writes hide the password"
expect_contains "$(cat "$ARGV_LOG")" "--render postgresql" \
	"the child that renders imported the application"
expect_not_contains "$(cat "$ARGV_LOG")" "$SECRET" \
	"no process's argv holds the password"

run env DATABASE_URL="$BAD_URL" "$PY" "$SRCDIR/contrib/sqlalchemy-export" \
	-C "$PROJECT" -o "$TMP/models.sql"
expect_rc 2 "sqlalchemy-export: the application's import fails"
expect_contains "$ERR" "cannot import app.models: ArgumentError" "the reason is named"
expect_not_contains "$ERR$OUT" "$SECRET" "its message hides the password"
finish
