/*
 * test_schema_pg.c — scratch schemas, the catalog reader and the SQL
 * renderer on a real PostgreSQL server (test_schema_pg.sh starts a
 * throwaway cluster and passes its URL as DATABASE_URL; SRCDIR names
 * the checkout, whose migrations/ is replayed).
 *
 *   test_schema_pg            the cmocka tests
 *   test_schema_pg hold       open a scratch, create a table in it, print
 *                             "holding SCHEMA BACKEND_PID" and wait for
 *                             stdin to close (the script SIGKILLs it)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "catalog.h"
#include "db.h"
#include "dburl.h"
#include "diff.h"
#include "migration.h"
#include "plan.h"
#include "revmap.h"
#include "runner.h"

static hr_dburl url;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static hr_db *open_scratch(void)
{
	hr_db *db = NULL;
	hr_error err;
	int rc = hr_db_open_scratch(&url, &db, &err);

	if (rc < 0)
		fail_msg("open scratch: %s", err.msg);
	return db;
}

static hr_db *open_live(void)
{
	hr_db *db = NULL;
	hr_error err;

	if (hr_db_open(&url, &db, &err) < 0)
		fail_msg("open: %s", err.msg);
	return db;
}

/* Run a script; fail the test on error. */
static void run(hr_db *db, const char *sql)
{
	hr_error err;
	int line = 0;

	if (hr_db_exec_script(db, sql, 1, &line, &err) < 0)
		fail_msg("line %d: %s\n%s", line, err.msg, sql);
}

/* Run a script as a migration step: in a transaction (on a scratch, a
 * savepoint), committed. */
static void run_step(hr_db *db, const char *sql)
{
	hr_error err;

	assert_int_equal(hr_db_begin(db, &err), 0);
	run(db, sql);
	if (hr_db_commit(db, &err) < 0)
		fail_msg("commit: %s", err.msg);
}

/* The one value a query returns (malloc'ed; NULL for SQL NULL). */
static char *value(hr_db *db, const char *sql)
{
	hr_rows rows;
	hr_error err;
	char *v;

	if (hr_db_query(db, sql, NULL, 0, &rows, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
	if (rows.n_rows != 1 || rows.n_cols != 1)
		fail_msg("%s: %zu rows, %zu columns", sql, rows.n_rows,
			 rows.n_cols);
	v = hr_rows_get(&rows, 0, 0) ? strdup(hr_rows_get(&rows, 0, 0)) : NULL;
	hr_rows_free(&rows);
	return v;
}

static void assert_value(hr_db *db, const char *sql, const char *want)
{
	char *v = value(db, sql);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, v ? v : "(null)", want);
	free(v);
}


/* ------------------------------------------------------------------ */
/* Schemas as text                                                     */
/* ------------------------------------------------------------------ */

static void dump_list(hr_buf *b, const hr_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		hr_buf_printf(b, "%s%s", i ? "," : "", l->items[i]);
}

/*
 * Everything the catalog says about s, one line per object; with_names
 * 0 leaves out constraint names (unique constraints, foreign keys,
 * checks), which a rename keeps from the table's old name while the
 * differ matches constraints by what they do.
 */
static char *dump(const hr_schema *s, int with_names)
{
	hr_buf b = {0};

	for (size_t i = 0; i < s->n_enums; i++) {
		hr_buf_printf(&b, "enum %s: ", s->enums[i].name);
		dump_list(&b, &s->enums[i].values);
		hr_buf_puts(&b, "\n");
	}
	for (size_t i = 0; i < s->n_tables; i++) {
		const hr_table *t = &s->tables[i];

		hr_buf_printf(&b, "table %s\n", t->name);
		for (size_t j = 0; j < t->n_columns; j++) {
			const hr_column *c = &t->columns[j];

			hr_buf_printf(&b, "  column %s %s%s default=%s pk=%d\n",
				      c->name, c->type,
				      c->not_null ? " not null" : "",
				      c->default_expr ? c->default_expr : "-",
				      c->pk_position);
		}
		for (size_t j = 0; j < t->n_indexes; j++) {
			const hr_index *x = &t->indexes[j];
			int named = with_names || !x->constraint;

			hr_buf_printf(&b, "  index %s%s%s (", named ? x->name : "",
				      x->unique ? " unique" : "",
				      x->constraint ? " constraint" : "");
			dump_list(&b, &x->columns);
			hr_buf_printf(&b, ") where=%s def=%s\n",
				      x->where ? x->where : "-",
				      x->definition ? x->definition : "-");
		}
		for (size_t j = 0; j < t->n_fkeys; j++) {
			const hr_fkey *f = &t->fkeys[j];

			hr_buf_printf(&b, "  fkey %s (",
				      with_names && f->name ? f->name : "");
			dump_list(&b, &f->columns);
			hr_buf_printf(&b, ") -> %s (", f->ref_table);
			dump_list(&b, &f->ref_columns);
			hr_buf_printf(&b, ") on update %s on delete %s\n",
				      f->on_update, f->on_delete);
		}
		for (size_t j = 0; j < t->n_checks; j++)
			hr_buf_printf(&b, "  check %s %s\n",
				      with_names && t->checks[j].name
					      ? t->checks[j].name
					      : "",
				      t->checks[j].expr);
	}
	assert_false(b.failed);
	return hr_buf_take(&b);
}

static void read_schema(hr_db *db, hr_schema *s)
{
	hr_error err;

	if (hr_catalog_read(db, s, &err) < 0)
		fail_msg("catalog: %s", err.msg);
	assert_string_equal(s->dialect, "postgresql");
}

/* Fail with both texts when they differ. */
static void assert_same_text(const char *got, const char *want,
			     const char *what)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s differ\n--- got:\n%s--- want:\n%s", what, got,
			 want);
}

/* The migration's upgrade sections for postgresql, as one script. */
static char *migration_sql(const char *path)
{
	hr_migration *m = NULL;
	hr_error err;
	hr_buf b = {0};

	if (hr_migration_load(path, &m, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	for (size_t i = 0; i < m->n_sections; i++)
		if (hr_section_applies(&m->sections[i], HR_UPGRADE,
				       "postgresql"))
			hr_buf_printf(&b, "%s;\n", m->sections[i].sql);
	hr_migration_free(m);
	assert_false(b.failed);
	return hr_buf_take(&b);
}

/* The initial HomeRack migration's postgresql upgrade (malloc'ed). */
static char *initial_sql(void)
{
	char path[700];

	snprintf(path, sizeof path,
		 "%s/migrations/1f3c0a9d2b7e_initial_homerack_schema.sql",
		 getenv("SRCDIR"));
	return migration_sql(path);
}

/* Scratch schemas a live session can see (none, when all is well). */
static const char visible_scratch_sql[] =
	"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'hr\\_scratch\\_%'";

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

static void test_query_rows(void **state)
{
	hr_db *db = open_live();
	const char *params[] = {"b", NULL};
	hr_rows rows;
	hr_error err;

	(void)state;
	assert_int_equal(hr_db_query(db,
				     "SELECT x, $1::text, $2::text FROM "
				     "generate_series(1, 3) x ORDER BY x",
				     params, 2, &rows, &err),
			 0);
	assert_int_equal(rows.n_rows, 3);
	assert_int_equal(rows.n_cols, 3);
	assert_string_equal(hr_rows_get(&rows, 2, 0), "3");
	assert_string_equal(hr_rows_get(&rows, 1, 1), "b");
	assert_null(hr_rows_get(&rows, 1, 2)); /* SQL NULL */
	assert_null(hr_rows_get(&rows, 3, 0)); /* out of range */
	hr_rows_free(&rows);

	assert_int_equal(hr_db_query(db, "SELECT 1 WHERE false", NULL, 0,
				     &rows, &err),
			 0);
	assert_int_equal(rows.n_rows, 0);
	hr_rows_free(&rows);

	assert_true(hr_db_query(db, "SELECT nosuchcolumn", NULL, 0, &rows,
				&err) < 0);
	assert_non_null(strstr(err.msg, "nosuchcolumn"));
	assert_int_equal(rows.n_rows, 0);
	hr_db_close(db);
}

/* ------------------------------------------------------------------ */
/* Scratch schemas                                                     */
/* ------------------------------------------------------------------ */

static void test_scratch_private_and_rolled_back(void **state)
{
	hr_db *live = open_live(), *a = open_scratch(), *b = open_scratch();
	char *sa = value(a, "SELECT current_schema()");
	char *sb = value(b, "SELECT current_schema()");

	(void)state;
	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(strncmp(sa, "hr_scratch_", 11), 0);
	assert_string_not_equal(sa, sb);
	run(a, "CREATE TABLE t (id integer PRIMARY KEY)");
	run(b, "CREATE TABLE t (id text)"); /* same name, another scratch */
	assert_value(a, "SELECT format_type(atttypid, atttypmod) FROM "
			"pg_attribute WHERE attrelid = 't'::regclass AND "
			"attname = 'id'",
		     "integer");
	/* Nothing leaks into the database before or after. */
	assert_value(live, "SELECT to_regclass('t') IS NULL", "t");
	assert_value(live, visible_scratch_sql, "0");
	hr_db_close(a);
	hr_db_close(b);
	assert_value(live, visible_scratch_sql, "0");
	/* Closing waits for the ROLLBACK: no session of ours is left
	 * inside a transaction. */
	assert_value(live,
		     "SELECT count(*) FROM pg_stat_activity WHERE datname = "
		     "current_database() AND pid <> pg_backend_pid() AND "
		     "state LIKE 'idle in transaction%'",
		     "0");
	free(sa);
	free(sb);
	hr_db_close(live);
}

static void test_scratch_transactions_are_savepoints(void **state)
{
	hr_db *db = open_scratch();
	hr_error err;
	int line = 0;

	(void)state;
	run(db, "CREATE TABLE kept (id integer)");
	assert_int_equal(hr_db_begin(db, &err), 0);
	run(db, "CREATE TABLE gone (id integer)");
	hr_db_rollback(db);
	assert_int_equal(hr_db_begin(db, &err), 0);
	run(db, "CREATE TABLE committed (id integer)");
	assert_int_equal(hr_db_commit(db, &err), 0);
	/* A failed statement in a step: the step goes, the scratch stays. */
	assert_int_equal(hr_db_begin(db, &err), 0);
	run(db, "CREATE TABLE also_gone (id integer)");
	assert_true(hr_db_exec_script(db, "INSERT INTO nosuch VALUES (1)", 1,
				      &line, &err) < 0);
	hr_db_rollback(db);
	/* A step that gives an enum a value and drops it ends cleanly (the
	 * type it would make usable at the end is gone). */
	assert_int_equal(hr_db_begin(db, &err), 0);
	run(db, "CREATE TYPE gone AS ENUM ('a');\n"
		"ALTER TYPE gone ADD VALUE 'b';\nDROP TYPE gone;\n");
	if (hr_db_commit(db, &err) < 0)
		fail_msg("commit: %s", err.msg);
	/* A failed script outside a step leaves the scratch usable too. */
	assert_true(hr_db_exec_script(db,
				      "CREATE TABLE half (id integer);\n"
				      "SELECT nosuch",
				      1, &line, &err) < 0);
	assert_int_equal(line, 2);
	/* Transaction control in a script is refused, as in migrations. */
	assert_true(hr_db_exec_script(db, "COMMIT", 1, &line, &err) < 0);
	assert_value(db,
		     "SELECT string_agg(relname, ',' ORDER BY relname) FROM "
		     "pg_class WHERE relnamespace = current_schema()::regnamespace",
		     "committed,kept");
	/* The lock is a no-op: even while another session holds it. */
	{
		hr_db *live = open_live();

		assert_int_equal(hr_db_lock(live, NULL, NULL, &err), 0);
		assert_int_equal(hr_db_lock(db, NULL, NULL, &err), 0);
		assert_int_equal(hr_db_lock_check(db, &err), 0);
		hr_db_unlock(db);
		hr_db_unlock(live);
		hr_db_close(live);
	}
	hr_db_close(db);
}

/* Write a migration file into dir. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Apply every migration of dir to heads on db: 0 or the runner's rc. */
static int upgrade_heads(hr_db *db, const char *dir, hr_error *err)
{
	hr_revmap *map = NULL;
	hr_plan plan;
	hr_strlist versions = {0};
	hr_runner_hooks hooks = {0};
	size_t done = 0;
	int rc;

	if ((rc = hr_revmap_load_dir(dir, &map, err)) < 0)
		return rc;
	rc = hr_plan_build(map, HR_UPGRADE, NULL, 0, "heads", &plan, err);
	if (rc == 0) {
		rc = hr_runner_apply(db, &plan, &versions, &hooks, -1, &done,
				     err);
		hr_plan_free(&plan);
	}
	hr_strlist_free(&versions);
	hr_revmap_free(map);
	return rc;
}

static void test_scratch_runs_the_runner(void **state)
{
	char dir[] = "/tmp/hr-schema-pg.XXXXXX", mig[600];
	hr_db *db = open_scratch(), *live = open_live();
	hr_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(mig, sizeof mig, "%s/migrations", getenv("SRCDIR"));
	if (upgrade_heads(db, mig, &err) < 0)
		fail_msg("%s", err.msg);
	assert_value(db, "SELECT version_num FROM alembic_version",
		     "1f3c0a9d2b7e");
	assert_value(db, "SELECT count(*) FROM pg_class WHERE relkind = 'r' "
			 "AND relnamespace = current_schema()::regnamespace",
		     "7"); /* five tables, alembic_version, history */

	/* A non-transactional migration with CREATE INDEX CONCURRENTLY runs
	 * inside the scratch's transaction, as a plain CREATE INDEX. */
	write_file(dir, "a1_base.sql",
		   "-- revision: a1a1a1a1a1a1\n-- down_revision:\n"
		   "-- message: base\n\n-- +upgrade\n"
		   "CREATE TABLE t (id integer, v text);\n");
	write_file(dir, "b2_concurrently.sql",
		   "-- revision: b2b2b2b2b2b2\n-- down_revision: a1a1a1a1a1a1\n"
		   "-- message: index\n-- transactional: false\n\n"
		   "-- +upgrade postgresql\n"
		   "create  unique index\n  CONCURRENTLY ix_t_id ON t (id);\n"
		   "DROP INDEX CONCURRENTLY ix_t_id;\n"
		   "CREATE INDEX CONCURRENTLY ix_t_v ON t (v);\n");
	hr_db_close(db);
	db = open_scratch();
	if (upgrade_heads(db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_value(db, "SELECT version_num FROM alembic_version",
		     "b2b2b2b2b2b2");
	assert_value(db, "SELECT indexname FROM pg_indexes WHERE tablename = 't' "
			 "AND schemaname = current_schema()",
		     "ix_t_v");

	/* A failing migration: the runner rolls its step back, and the
	 * scratch goes on at the step before. */
	write_file(dir, "c3_broken.sql",
		   "-- revision: c3c3c3c3c3c3\n-- down_revision: b2b2b2b2b2b2\n"
		   "-- message: broken\n\n-- +upgrade\n"
		   "CREATE TABLE u (id integer);\nSELECT nosuch;\n");
	hr_db_close(db);
	db = open_scratch();
	assert_true(upgrade_heads(db, dir, &err) < 0);
	assert_non_null(strstr(err.msg, "c3c3c3c3c3c3"));
	assert_value(db, "SELECT version_num FROM alembic_version",
		     "b2b2b2b2b2b2");
	assert_value(db, "SELECT to_regclass('u') IS NULL", "t");
	hr_db_close(db);

	/* An enum value added by one migration and used by the next: in a
	 * scratch the whole replay is one transaction, which PostgreSQL
	 * allows because the type itself was created in it. */
	write_file(dir, "c3_broken.sql",
		   "-- revision: c3c3c3c3c3c3\n-- down_revision: b2b2b2b2b2b2\n"
		   "-- message: enum\n\n-- +upgrade postgresql\n"
		   "CREATE TYPE mood AS ENUM ('low');\n"
		   "ALTER TABLE t ADD COLUMN m mood;\n");
	write_file(dir, "d4_value.sql",
		   "-- revision: d4d4d4d4d4d4\n-- down_revision: c3c3c3c3c3c3\n"
		   "-- message: value\n\n-- +upgrade postgresql\n"
		   "ALTER TYPE mood ADD VALUE 'high';\n");
	write_file(dir, "e5_use.sql",
		   "-- revision: e5e5e5e5e5e5\n-- down_revision: d4d4d4d4d4d4\n"
		   "-- message: use\n\n-- +upgrade postgresql\n"
		   "ALTER TABLE t ALTER COLUMN m SET DEFAULT 'high';\n"
		   "INSERT INTO t (id) VALUES (1);\n");
	db = open_scratch();
	if (upgrade_heads(db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_value(db, "SELECT m FROM t", "high");
	hr_db_close(db);

	/* A migration that moves the search path moves it for itself only:
	 * the next one creates its table in the scratch again. */
	write_file(dir, "f6_path.sql",
		   "-- revision: f6f6f6f6f6f6\n-- down_revision: e5e5e5e5e5e5\n"
		   "-- message: path\n\n-- +upgrade postgresql\n"
		   "SET search_path TO public;\n");
	write_file(dir, "f7_after_path.sql",
		   "-- revision: f7f7f7f7f7f7\n-- down_revision: f6f6f6f6f6f6\n"
		   "-- message: after path\n\n-- +upgrade postgresql\n"
		   "CREATE TABLE after_path (id int);\n");
	db = open_scratch();
	if (upgrade_heads(db, dir, &err) < 0)
		fail_msg("%s", err.msg);
	assert_value(db, "SELECT count(*) FROM pg_class WHERE relname = "
			 "'after_path' AND relnamespace = "
			 "current_schema()::regnamespace",
		     "1");
	assert_value(db, "SELECT current_schema() LIKE 'hr\\_scratch\\_%'",
		     "t");
	hr_db_close(db);
	unlink(strcat(strcpy(mig, dir), "/f6_path.sql"));
	unlink(strcat(strcpy(mig, dir), "/f7_after_path.sql"));

	/* Used by the migration that adds it, it fails there as it does on
	 * a real database: the value is not committed yet. */
	write_file(dir, "f6_add_and_use.sql",
		   "-- revision: f6f6f6f6f6f6\n-- down_revision: e5e5e5e5e5e5\n"
		   "-- message: add and use\n\n-- +upgrade postgresql\n"
		   "ALTER TYPE mood ADD VALUE 'mid';\n"
		   "INSERT INTO t (id, m) VALUES (2, 'mid');\n");
	db = open_scratch();
	assert_true(upgrade_heads(db, dir, &err) < 0);
	assert_non_null(strstr(err.msg, "unsafe use of new value"));
	assert_value(db, "SELECT version_num FROM alembic_version",
		     "e5e5e5e5e5e5");
	assert_value(db, "SELECT count(*) FROM t", "1");
	hr_db_close(db);

	/* None of it reached the database itself. */
	assert_value(live, "SELECT to_regclass('public.alembic_version') IS NULL",
		     "t");
	assert_value(live, visible_scratch_sql, "0");
	hr_db_close(live);
	unlink(strcat(strcpy(mig, dir), "/a1_base.sql"));
	unlink(strcat(strcpy(mig, dir), "/b2_concurrently.sql"));
	unlink(strcat(strcpy(mig, dir), "/c3_broken.sql"));
	unlink(strcat(strcpy(mig, dir), "/d4_value.sql"));
	unlink(strcat(strcpy(mig, dir), "/e5_use.sql"));
	unlink(strcat(strcpy(mig, dir), "/f6_add_and_use.sql"));
	rmdir(dir);
}

static void test_scratch_url_errors_keep_the_password(void **state)
{
	hr_dburl bad;
	hr_db *db = NULL;
	hr_error err;

	(void)state;
	/* A server that is not there, with a password in the URL. */
	assert_int_equal(hr_dburl_parse("postgresql://u:s3cr3tpw@/nodb?host="
					"/nonexistent-dir&connect_timeout=2",
					&bad, &err),
			 0);
	assert_true(hr_db_open_scratch(&bad, &db, &err) < 0);
	assert_null(db);
	assert_int_equal(err.code, HR_UNAVAILABLE);
	assert_null(strstr(err.msg, "s3cr3tpw"));
	assert_non_null(strstr(err.msg, "scratch"));
	hr_dburl_free(&bad);
}


/* ------------------------------------------------------------------ */
/* The catalog                                                         */
/* ------------------------------------------------------------------ */

static const hr_column *column_of(const hr_schema *s, const char *table,
				  const char *column)
{
	const hr_table *t = hr_schema_table(s, table);
	const hr_column *c = t ? hr_table_column(t, column) : NULL;

	if (c == NULL)
		fail_msg("no column %s.%s", table, column);
	return c;
}

static void test_catalog_initial_migration(void **state)
{
	char dir[600], *sql = initial_sql();
	hr_db *a = open_scratch(), *b = open_scratch();
	hr_schema sa, sb;
	hr_diff d;
	hr_error err;
	char *da, *db_text;
	const hr_table *t;

	(void)state;
	/* a: the runner replays the migrations (version tables and all);
	 * b: the same file's postgresql sections run by hand. */
	snprintf(dir, sizeof dir, "%s/migrations", getenv("SRCDIR"));
	if (upgrade_heads(a, dir, &err) < 0)
		fail_msg("%s", err.msg);
	run(b, sql);
	free(sql);
	read_schema(a, &sa);
	read_schema(b, &sb);
	da = dump(&sa, 1);
	db_text = dump(&sb, 1);
	assert_same_text(da, db_text, "two scratches of the initial migration");
	assert_int_equal(hr_schema_diff(&sa, &sb, &d, &err), 0);
	assert_true(hr_diff_empty(&d));
	hr_diff_free(&d);

	/* What the reader made of it. */
	assert_int_equal(sa.n_tables, 5); /* no alembic_version, no history */
	assert_null(hr_schema_table(&sa, "alembic_version"));
	assert_string_equal(column_of(&sa, "devices", "id")->type, "serial");
	assert_null(column_of(&sa, "devices", "id")->default_expr);
	assert_int_equal(column_of(&sa, "devices", "id")->pk_position, 1);
	assert_true(column_of(&sa, "devices", "id")->not_null);
	assert_string_equal(column_of(&sa, "devices", "custom_name")->type,
			    "character varying");
	assert_string_equal(column_of(&sa, "racks", "width_inches")->type,
			    "widthtype");
	assert_string_equal(column_of(&sa, "racks", "width_inches")->default_expr,
			    "'19\"'::widthtype");
	assert_string_equal(column_of(&sa, "racks", "depth_mm")->type,
			    "double precision");
	assert_string_equal(column_of(&sa, "rack_positions", "locked")->default_expr,
			    "false");
	assert_int_equal(column_of(&sa, "racks", "name")->pk_position, 0);
	t = hr_schema_table(&sa, "devices");
	assert_int_equal(t->n_indexes, 3);
	assert_string_equal(t->indexes[0].name, "ix_devices_brand");
	assert_string_equal(t->indexes[0].definition,
			    "CREATE INDEX ix_devices_brand ON devices USING "
			    "btree (brand)");
	assert_string_equal(t->indexes[0].columns.items[0], "brand");
	assert_int_equal(t->n_fkeys, 1);
	assert_string_equal(t->fkeys[0].ref_table, "device_specifications");
	assert_string_equal(t->fkeys[0].columns.items[0], "specification_id");
	assert_string_equal(t->fkeys[0].ref_columns.items[0], "id");
	assert_string_equal(t->fkeys[0].on_delete, "NO ACTION");
	assert_int_equal(hr_schema_table(&sa, "connections")->n_fkeys, 2);
	assert_int_equal(sa.n_enums, 6);
	assert_string_equal(hr_schema_enum(&sa, "confidencelevel")->values.items[0],
			    "high");
	assert_string_equal(hr_schema_enum(&sa, "confidencelevel")->values.items[2],
			    "low");

	free(da);
	free(db_text);
	hr_schema_free(&sa);
	hr_schema_free(&sb);
	hr_db_close(a);
	hr_db_close(b);
}

static void test_catalog_constraints(void **state)
{
	hr_db *db = open_scratch();
	hr_schema s;
	const hr_table *t;
	char *text;

	(void)state;
	run(db, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
		"ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';\n"
		"CREATE TABLE p (a int, b text, PRIMARY KEY (b, a));\n"
		"CREATE TABLE c (\n"
		"  id bigserial PRIMARY KEY,\n"
		"  ident int GENERATED ALWAYS AS IDENTITY,\n"
		"  twice int GENERATED ALWAYS AS (ident * 2) STORED,\n"
		"  pa int, pb text, m mood DEFAULT 'ok' NOT NULL,\n"
		"  code varchar(8) CONSTRAINT c_code_key UNIQUE,\n"
		"  n numeric(10, 2) CHECK (n > 0),\n"
		"  CONSTRAINT c_p_fk FOREIGN KEY (pb, pa) REFERENCES p (b, a)\n"
		"    ON DELETE CASCADE ON UPDATE SET NULL\n"
		");\n"
		"CREATE UNIQUE INDEX ix_c_lower ON c (lower(pb), pa) WHERE pa > 1;\n");
	read_schema(db, &s);
	t = hr_schema_table(&s, "p");
	assert_int_equal(hr_table_column(t, "b")->pk_position, 1);
	assert_int_equal(hr_table_column(t, "a")->pk_position, 2);
	assert_int_equal(t->n_indexes, 0); /* the primary key is no index */
	t = hr_schema_table(&s, "c");
	assert_string_equal(hr_table_column(t, "id")->type, "bigserial");
	assert_string_equal(hr_table_column(t, "ident")->default_expr,
			    "GENERATED ALWAYS AS IDENTITY");
	assert_string_equal(hr_table_column(t, "twice")->default_expr,
			    "GENERATED ALWAYS AS ((ident * 2)) STORED");
	assert_string_equal(hr_table_column(t, "m")->default_expr,
			    "'ok'::mood");
	assert_string_equal(hr_table_column(t, "n")->type, "numeric(10,2)");
	assert_int_equal(t->n_indexes, 2);
	assert_string_equal(t->indexes[0].name, "c_code_key");
	assert_true(t->indexes[0].unique && t->indexes[0].constraint);
	assert_null(t->indexes[0].definition);
	assert_string_equal(t->indexes[1].name, "ix_c_lower");
	assert_true(t->indexes[1].unique && !t->indexes[1].constraint);
	assert_string_equal(t->indexes[1].columns.items[0], "lower(pb)");
	assert_string_equal(t->indexes[1].columns.items[1], "pa");
	assert_string_equal(t->indexes[1].where, "(pa > 1)");
	assert_int_equal(t->n_fkeys, 1);
	assert_string_equal(t->fkeys[0].name, "c_p_fk");
	assert_string_equal(t->fkeys[0].columns.items[0], "pb");
	assert_string_equal(t->fkeys[0].ref_columns.items[1], "a");
	assert_string_equal(t->fkeys[0].on_delete, "CASCADE");
	assert_string_equal(t->fkeys[0].on_update, "SET NULL");
	assert_int_equal(t->n_checks, 1);
	assert_string_equal(t->checks[0].name, "c_n_check");
	assert_string_equal(t->checks[0].expr, "(n > (0)::numeric)");
	text = dump(&s, 1);
	assert_non_null(strstr(text, "enum mood: sad,meh,ok,happy\n"));
	free(text);
	hr_schema_free(&s);
	hr_db_close(db);
}


/* ------------------------------------------------------------------ */
/* Round trips: diff, render, apply, read back                         */
/* ------------------------------------------------------------------ */

/* Declares renames on a schema as the models would (`renamed from`). */
typedef void (*annotate_fn)(hr_schema *s);

typedef struct trip {
	hr_db *db;     /* a scratch at A again, after upgrade and downgrade */
	char *up, *down;
	hr_strlist up_review, down_review;
} trip;

/* The SQL turning from into to, with its review notes. */
static char *render_diff(const hr_schema *from, const hr_schema *to,
			 hr_strlist *review)
{
	hr_render_notes notes = {0};
	hr_buf sql = {0};
	hr_diff d;
	hr_error err;

	if (hr_schema_diff(from, to, &d, &err) < 0)
		fail_msg("diff: %s", err.msg);
	assert_false(hr_diff_empty(&d));
	if (hr_render_postgresql(&d, from, to, &sql, &notes, &err) < 0)
		fail_msg("render: %s", err.msg);
	hr_diff_free(&d);
	*review = notes.review;
	notes.review = (hr_strlist){0};
	hr_render_notes_free(&notes);
	return hr_buf_take(&sql);
}

/* db's schema must now be want's: no diff, and the same text. */
static void assert_schema(hr_db *db, const hr_schema *want, const char *what)
{
	hr_schema got;
	hr_diff d;
	hr_error err;
	char *g, *w;
	hr_strlist lines = {0};

	read_schema(db, &got);
	assert_int_equal(hr_schema_diff(&got, want, &d, &err), 0);
	if (!hr_diff_empty(&d)) {
		hr_diff_describe(&d, &lines);
		fail_msg("%s: still differs: %s", what,
			 lines.n ? lines.items[0] : "(no description)");
	}
	hr_diff_free(&d);
	g = dump(&got, 0);
	w = dump(want, 0);
	assert_same_text(g, w, what);
	free(g);
	free(w);
	hr_schema_free(&got);
}

/*
 * Load a (then seed, rows for A) into one scratch and b into another;
 * upgrade the first with the rendered diff a -> b and check it is b;
 * then downgrade it with the diff back and check it is a again. ann
 * declares b's renames (on b for the upgrade; on the upgraded schema,
 * the downgrade's `from`, for the way back).
 */
static trip round_trip(const char *a, const char *seed, const char *b,
		       annotate_fn ann)
{
	hr_db *sb = open_scratch();
	hr_schema sa_schema, sb_schema, mid;
	trip t = {.db = open_scratch()};

	run(t.db, a);
	if (seed != NULL)
		run(t.db, seed);
	run(sb, b);
	read_schema(t.db, &sa_schema);
	read_schema(sb, &sb_schema);
	if (ann != NULL)
		ann(&sb_schema);

	t.up = render_diff(&sa_schema, &sb_schema, &t.up_review);
	run_step(t.db, t.up);
	assert_schema(t.db, &sb_schema, "after the upgrade");

	read_schema(t.db, &mid);
	if (ann != NULL)
		ann(&mid);
	t.down = render_diff(&mid, &sa_schema, &t.down_review);
	run_step(t.db, t.down);
	assert_schema(t.db, &sa_schema, "after the downgrade");

	/* The scratch is more lenient than a database (an enum value added
	 * there is usable at once): the same SQL must also run in a plain
	 * transaction, rolled back. */
	{
		hr_db *live = open_live();
		hr_error err;

		assert_int_equal(hr_db_begin(live, &err), 0);
		run(live, a);
		if (seed != NULL)
			run(live, seed);
		run(live, t.up);
		run(live, t.down);
		hr_db_rollback(live);
		assert_value(live, "SELECT count(*) FROM pg_class WHERE "
				   "relnamespace = 'public'::regnamespace",
			     "0");
		hr_db_close(live);
	}

	hr_schema_free(&mid);
	hr_schema_free(&sa_schema);
	hr_schema_free(&sb_schema);
	hr_db_close(sb);
	return t;
}

static void trip_free(trip *t)
{
	hr_db_close(t->db);
	free(t->up);
	free(t->down);
	hr_strlist_free(&t->up_review);
	hr_strlist_free(&t->down_review);
}

static void assert_has(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("no '%s' in:\n%s", needle, text);
}

static void assert_reviewed(const hr_strlist *review, const char *needle)
{
	for (size_t i = 0; i < review->n; i++)
		if (strstr(review->items[i], needle) != NULL)
			return;
	fail_msg("no review note with '%s' (%zu notes%s%s)", needle, review->n,
		 review->n ? ", first: " : "", review->n ? review->items[0] : "");
}

static const char devices_sql[] =
	"CREATE TABLE devices (id serial PRIMARY KEY, name varchar NOT NULL);\n"
	"CREATE INDEX ix_devices_name ON devices (name);\n";
static const char devices_rows[] =
	"INSERT INTO devices (name) VALUES ('switch'), ('router');\n";
static const char devices_names_sql[] =
	"SELECT string_agg(name, ',' ORDER BY id) FROM devices";

static void test_trip_new_column(void **state)
{
	trip t = round_trip(devices_sql, devices_rows,
			    "CREATE TABLE devices (id serial PRIMARY KEY, "
			    "name varchar NOT NULL, notes text, slot integer "
			    "NOT NULL DEFAULT 0);\n"
			    "CREATE INDEX ix_devices_name ON devices (name);\n",
			    NULL);

	(void)state;
	assert_has(t.up, "ALTER TABLE devices ADD COLUMN notes text;\n");
	assert_has(t.up, "ALTER TABLE devices ADD COLUMN slot integer DEFAULT "
			 "0 NOT NULL;\n");
	assert_has(t.down, "ALTER TABLE devices DROP COLUMN notes;\n");
	assert_reviewed(&t.down_review, "dropped column 'devices.slot'");
	assert_value(t.db, devices_names_sql, "switch,router");
	trip_free(&t);
}

/* Rows cannot get a NOT NULL column without a default: this one runs on
 * an empty table, and checks the upgrade fails on a full one. */
static void test_not_null_without_default_fails_on_rows(void **state)
{
	hr_db *db = open_scratch(), *b = open_scratch();
	hr_schema from, to;
	hr_strlist review = {0};
	hr_error err;
	char *up;
	int line;

	(void)state;
	run(db, devices_sql);
	run(db, devices_rows);
	run(b, "CREATE TABLE devices (id serial PRIMARY KEY, name varchar "
	       "NOT NULL, seen boolean NOT NULL);\n"
	       "CREATE INDEX ix_devices_name ON devices (name);\n");
	read_schema(db, &from);
	read_schema(b, &to);
	up = render_diff(&from, &to, &review);
	assert_reviewed(&review, "'devices.seen' is NOT NULL without a default");
	assert_true(hr_db_exec_script(db, up, 1, &line, &err) < 0);
	assert_non_null(strstr(err.msg, "seen"));
	free(up);
	hr_strlist_free(&review);
	hr_schema_free(&from);
	hr_schema_free(&to);
	hr_db_close(db);
	hr_db_close(b);
}

static void test_trip_new_table_with_fkey(void **state)
{
	trip t = round_trip(
		devices_sql, devices_rows,
		"CREATE TABLE devices (id serial PRIMARY KEY, name varchar NOT "
		"NULL);\nCREATE INDEX ix_devices_name ON devices (name);\n"
		"CREATE TABLE cables (id serial PRIMARY KEY, device_id integer "
		"NOT NULL REFERENCES devices (id) ON DELETE CASCADE, kind "
		"varchar(16) DEFAULT 'cat6', CHECK (kind <> ''));\n"
		"CREATE INDEX ix_cables_device_id ON cables (device_id);\n",
		NULL);

	(void)state;
	assert_has(t.up, "CREATE TABLE cables (\n    id serial,\n    "
			 "device_id integer NOT NULL,\n");
	assert_has(t.up, "CONSTRAINT cables_device_id_fkey FOREIGN KEY "
			 "(device_id) REFERENCES devices (id) ON DELETE CASCADE");
	assert_has(t.up, "CREATE INDEX ix_cables_device_id ON cables USING "
			 "btree (device_id);\n");
	assert_has(t.down, "DROP TABLE cables;\n");
	assert_reviewed(&t.down_review, "dropped table 'cables'");
	assert_value(t.db, devices_names_sql, "switch,router");
	trip_free(&t);
}

static void test_trip_tables_in_a_cycle(void **state)
{
	trip t = round_trip(
		"CREATE TABLE keep (id int);\n", NULL,
		"CREATE TABLE keep (id int);\n"
		"CREATE TABLE a (id int PRIMARY KEY, b_id int);\n"
		"CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);\n"
		"ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b;\n",
		NULL);

	(void)state;
	/* a first (the cycle releases it), its key to b after b exists. */
	assert_has(t.up, "ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN "
			 "KEY (b_id) REFERENCES b (id);\n");
	trip_free(&t);
}

static void test_trip_indexes(void **state)
{
	trip t = round_trip(
		devices_sql, devices_rows,
		"CREATE TABLE devices (id serial PRIMARY KEY, name varchar NOT "
		"NULL, CONSTRAINT devices_name_key UNIQUE (name));\n"
		"CREATE INDEX ix_devices_lower ON devices (lower(name), id) "
		"WHERE id > 0;\n",
		NULL);

	(void)state;
	assert_has(t.up, "DROP INDEX ix_devices_name;\n");
	assert_has(t.up, "ALTER TABLE devices ADD CONSTRAINT devices_name_key "
			 "UNIQUE (name);\n");
	assert_has(t.up, "CREATE INDEX ix_devices_lower ON devices USING btree "
			 "(lower((name)::text), id) WHERE (id > 0);\n");
	assert_reviewed(&t.up_review, "new unique index 'devices_name_key'");
	assert_has(t.down, "ALTER TABLE devices DROP CONSTRAINT "
			   "devices_name_key;\n");
	assert_has(t.down, "CREATE INDEX ix_devices_name ON devices USING "
			   "btree (name);\n");
	assert_value(t.db, devices_names_sql, "switch,router");
	trip_free(&t);
}

static const char mood_sql[] =
	"CREATE TYPE mood AS ENUM ('low', 'high');\n"
	"CREATE TABLE feelings (id int, m mood DEFAULT 'low', "
	"n mood NOT NULL);\n";

static void test_trip_enum_value_added(void **state)
{
	trip t = round_trip(
		mood_sql,
		"INSERT INTO feelings VALUES (1, 'low', 'high'), "
		"(2, 'high', 'low');\n",
		"CREATE TYPE mood AS ENUM ('none', 'low', 'medium', 'high');\n"
		"CREATE TABLE feelings (id int, m mood DEFAULT 'low', "
		"n mood NOT NULL);\n",
		NULL);

	(void)state;
	assert_has(t.up, "ALTER TYPE mood ADD VALUE 'none' BEFORE 'low';\n");
	assert_has(t.up, "ALTER TYPE mood ADD VALUE 'medium' AFTER 'low';\n");
	assert_reviewed(&t.up_review, "cannot be used");
	/* The way back rewrites the type. */
	assert_has(t.down, "ALTER TYPE mood RENAME TO mood_old;\n"
			   "CREATE TYPE mood AS ENUM ('low', 'high');\n");
	assert_has(t.down, "ALTER TABLE feelings ALTER COLUMN m DROP DEFAULT;\n"
			   "ALTER TABLE feelings ALTER COLUMN m TYPE mood USING "
			   "m::text::mood;\n"
			   "ALTER TABLE feelings ALTER COLUMN m SET DEFAULT "
			   "'low'::mood;\n");
	assert_has(t.down, "DROP TYPE mood_old;\n");
	assert_reviewed(&t.down_review, "ACCESS EXCLUSIVE");
	assert_value(t.db,
		     "SELECT string_agg(m || '/' || n, ',' ORDER BY id) FROM "
		     "feelings",
		     "low/high,high/low");
	trip_free(&t);
}

/* A value the same migration uses (a default) cannot come by ADD VALUE:
 * PostgreSQL refuses it until commit. The type is rewritten instead. */
static void test_trip_enum_value_used_at_once(void **state)
{
	hr_db *live = open_live();
	hr_error err;
	int line;
	trip t = round_trip(
		mood_sql, "INSERT INTO feelings VALUES (1, 'low', 'high');\n",
		"CREATE TYPE mood AS ENUM ('low', 'medium', 'high');\n"
		"CREATE TABLE feelings (id int, m mood DEFAULT 'medium', "
		"n mood NOT NULL);\n",
		NULL);

	(void)state;
	assert_null(strstr(t.up, "ADD VALUE"));
	assert_has(t.up, "ALTER TYPE mood RENAME TO mood_old;\n"
			 "CREATE TYPE mood AS ENUM ('low', 'medium', 'high');\n");
	assert_has(t.up, "ALTER TABLE feelings ALTER COLUMN m SET DEFAULT "
			 "'medium'::mood;\n");
	assert_reviewed(&t.up_review, "gains values that this migration "
				      "already uses");
	assert_value(t.db, "SELECT m || '/' || n FROM feelings", "low/high");
	trip_free(&t);

	/* Why: ADD VALUE then the default, in one transaction, fails. */
	assert_int_equal(hr_db_begin(live, &err), 0);
	run(live, mood_sql);
	assert_true(hr_db_exec_script(live,
				      "ALTER TYPE mood ADD VALUE 'medium';\n"
				      "ALTER TABLE feelings ALTER COLUMN m SET "
				      "DEFAULT 'medium';\n",
				      1, &line, &err) < 0);
	assert_non_null(strstr(err.msg, "unsafe use of new value"));
	hr_db_rollback(live);
	hr_db_close(live);
}

static void rename_racks(hr_schema *s)
{
	hr_table *t = (hr_table *)hr_schema_table(s, "cabinets");
	hr_column *c = t ? (hr_column *)hr_table_column(t, "location") : NULL;

	assert_non_null(c);
	t->renamed_from = strdup("racks");
	c->renamed_from = strdup("loc");
}

static void test_trip_renames(void **state)
{
	trip t = round_trip(
		"CREATE TABLE racks (id serial PRIMARY KEY, name text NOT NULL, "
		"loc text CHECK (loc <> ''));\n"
		"CREATE INDEX ix_racks_loc ON racks (loc);\n"
		"CREATE TABLE devices (id serial PRIMARY KEY, rack_id integer "
		"REFERENCES racks (id));\n",
		"INSERT INTO racks (name, loc) VALUES ('a', 'attic'), "
		"('b', 'basement');\n"
		"INSERT INTO devices (rack_id) VALUES (2);\n",
		"CREATE TABLE cabinets (id serial PRIMARY KEY, name text NOT "
		"NULL, location text CHECK (location <> ''));\n"
		"CREATE INDEX ix_racks_loc ON cabinets (location);\n"
		"CREATE TABLE devices (id serial PRIMARY KEY, rack_id integer "
		"REFERENCES cabinets (id));\n",
		rename_racks);

	(void)state;
	assert_has(t.up, "ALTER TABLE racks RENAME TO cabinets;\n");
	assert_has(t.up, "ALTER TABLE cabinets RENAME COLUMN loc TO location;\n");
	assert_null(strstr(t.up, "DROP"));
	assert_has(t.down, "ALTER TABLE cabinets RENAME TO racks;\n");
	assert_has(t.down, "ALTER TABLE racks RENAME COLUMN location TO loc;\n");
	assert_value(t.db,
		     "SELECT string_agg(name || ':' || loc, ',' ORDER BY id) "
		     "FROM racks JOIN (SELECT rack_id FROM devices) d ON "
		     "d.rack_id = racks.id",
		     "b:basement");
	/* A serial keeps counting where it was. */
	run(t.db, "INSERT INTO racks (name, loc) VALUES ('c', 'cellar')");
	assert_value(t.db, "SELECT max(id) FROM racks", "3");
	trip_free(&t);
}

static void test_trip_not_null_with_default(void **state)
{
	trip t = round_trip(
		"CREATE TABLE devices (id int, status text);\n",
		"INSERT INTO devices VALUES (1, NULL), (2, 'spare');\n",
		"CREATE TABLE devices (id int, status text NOT NULL DEFAULT "
		"'active');\n",
		NULL);

	(void)state;
	assert_has(t.up, "ALTER TABLE devices ALTER COLUMN status SET DEFAULT "
			 "'active'::text;\n"
			 "UPDATE devices SET status = DEFAULT WHERE status IS "
			 "NULL;\n"
			 "ALTER TABLE devices ALTER COLUMN status SET NOT NULL;\n");
	assert_reviewed(&t.up_review, "becomes NOT NULL");
	assert_has(t.down, "ALTER TABLE devices ALTER COLUMN status DROP "
			   "DEFAULT;\n");
	assert_has(t.down, "ALTER TABLE devices ALTER COLUMN status DROP NOT "
			   "NULL;\n");
	/* The NULL became the default on the way up and stays. */
	assert_value(t.db,
		     "SELECT string_agg(status, ',' ORDER BY id) FROM devices",
		     "active,spare");
	trip_free(&t);
}

static void test_trip_keys_serial_identity(void **state)
{
	trip t = round_trip(
		"CREATE TABLE t (id serial PRIMARY KEY, code text NOT NULL, "
		"n int NOT NULL);\n",
		"INSERT INTO t (code, n) VALUES ('x', 1), ('y', 2);\n",
		"CREATE TABLE t (id integer NOT NULL, code text PRIMARY KEY, "
		"n int GENERATED BY DEFAULT AS IDENTITY);\n",
		NULL);

	(void)state;
	assert_has(t.up, "ALTER TABLE t ALTER COLUMN id DROP DEFAULT;\n");
	assert_has(t.up, "pg_get_serial_sequence('t', 'id')");
	assert_has(t.up, "ALTER TABLE t ALTER COLUMN n ADD GENERATED BY DEFAULT "
			 "AS IDENTITY;\n");
	assert_has(t.up, "ALTER TABLE t ADD PRIMARY KEY (code);\n");
	assert_reviewed(&t.up_review, "the primary key of 't' changes");
	assert_has(t.down, "CREATE SEQUENCE t_id_seq OWNED BY t.id;\n");
	assert_has(t.down, "ALTER TABLE t ALTER COLUMN n DROP IDENTITY;\n");
	assert_has(t.down, "ALTER TABLE t ADD PRIMARY KEY (id);\n");
	/* The sequence goes on after the highest id. */
	run(t.db, "INSERT INTO t (code, n) VALUES ('z', 3)");
	assert_value(t.db, "SELECT string_agg(id || code, ',' ORDER BY id) "
			   "FROM t",
		     "1x,2y,3z");
	trip_free(&t);
}

/* Renames the models do not declare are a drop and an add, flagged. */
static void test_trip_undeclared_renames(void **state)
{
	trip t = round_trip("CREATE TABLE racks (id int, name text);\n"
			    "CREATE TABLE things (a text);\n",
			    NULL,
			    "CREATE TABLE cabinets (id int, name text);\n"
			    "CREATE TABLE things (b text);\n",
			    NULL);

	(void)state;
	assert_has(t.up, "DROP TABLE racks;\n");
	assert_has(t.up, "ALTER TABLE things DROP COLUMN a;\n");
	assert_reviewed(&t.up_review, "dropped table 'racks' (its rows are "
				      "lost)");
	assert_reviewed(&t.up_review, "`-- renamed from: racks` on 'cabinets'");
	assert_reviewed(&t.up_review, "column 'things.a' is dropped and 'b' "
				      "added");
	trip_free(&t);
}

static void rename_notes(hr_schema *s)
{
	hr_table *t = (hr_table *)hr_schema_table(s, "devices");
	hr_column *c = t ? (hr_column *)hr_table_column(t, "description") : NULL;

	assert_non_null(c);
	c->renamed_from = strdup("notes");
}

/* The HomeRack schema itself, and a plausible next version of it. */
static void test_trip_homerack(void **state)
{
	char *a = initial_sql(), *b;
	hr_buf next = {0};
	trip t;

	(void)state;
	hr_buf_puts(&next, a);
	hr_buf_puts(&next,
		    "ALTER TYPE cabletype ADD VALUE 'Cat8' AFTER 'Cat7';\n"
		    "ALTER TABLE devices RENAME COLUMN notes TO description;\n"
		    "ALTER TABLE racks ADD COLUMN notes text;\n"
		    "ALTER TABLE racks ALTER COLUMN location SET DEFAULT 'lab';\n"
		    "UPDATE racks SET location = 'lab' WHERE location IS NULL;\n"
		    "ALTER TABLE racks ALTER COLUMN location SET NOT NULL;\n"
		    "CREATE TYPE cablecolor AS ENUM ('blue', 'grey');\n"
		    "CREATE TABLE cables (id SERIAL PRIMARY KEY,\n"
		    "  connection_id INTEGER NOT NULL REFERENCES connections (id)\n"
		    "    ON DELETE CASCADE,\n"
		    "  color cablecolor DEFAULT 'blue', length_m FLOAT\n"
		    "    CHECK (length_m > 0));\n"
		    "CREATE INDEX ix_cables_connection_id ON cables "
		    "(connection_id);\n"
		    "DROP INDEX ix_racks_id;\n"
		    "CREATE UNIQUE INDEX ix_racks_name ON racks (name);\n");
	assert_false(next.failed);
	b = hr_buf_take(&next);
	t = round_trip(
		a,
		"INSERT INTO device_specifications (brand, model, height_u) "
		"VALUES ('ACME', 'S1', 1);\n"
		"INSERT INTO devices (custom_name, specification_id, notes) "
		"VALUES ('core', 1, 'top'), ('edge', 1, NULL);\n"
		"INSERT INTO racks (name) VALUES ('r1');\n"
		"INSERT INTO rack_positions (device_id, rack_id, start_u) "
		"VALUES (1, 1, 10);\n"
		"INSERT INTO connections (from_device_id, to_device_id, "
		"cable_type) VALUES (1, 2, 'Cat7');\n",
		b, rename_notes);
	assert_has(t.up, "ALTER TYPE cabletype ADD VALUE 'Cat8' AFTER 'Cat7';\n");
	assert_has(t.up, "CREATE TYPE cablecolor AS ENUM ('blue', 'grey');\n");
	assert_has(t.up, "ALTER TABLE devices RENAME COLUMN notes TO "
			 "description;\n");
	assert_has(t.up, "UPDATE racks SET location = DEFAULT WHERE location IS "
			 "NULL;\n");
	assert_has(t.up, "DROP INDEX ix_racks_id;\n");
	assert_has(t.down, "DROP TABLE cables;\n");
	assert_has(t.down, "DROP TYPE cablecolor;\n");
	assert_has(t.down, "ALTER TYPE cabletype RENAME TO cabletype_old;\n");
	/* Every row came through both ways. */
	assert_value(t.db,
		     "SELECT string_agg(d.custom_name || ':' || coalesce(d.notes, "
		     "'-'), ',' ORDER BY d.id) || ' ' || (SELECT name || '@' || "
		     "location FROM racks) || ' ' || (SELECT cable_type::text "
		     "FROM connections) || ' ' || (SELECT start_u FROM "
		     "rack_positions) FROM devices d",
		     "core:top,edge:- r1@lab Cat7 10");
	trip_free(&t);
	free(a);
	free(b);
}

static void test_trip_types_checks_defaults(void **state)
{
	trip t = round_trip(
		"CREATE TYPE kind AS ENUM ('a', 'b');\n"
		"CREATE TABLE \"Things\" (id int PRIMARY KEY, n int DEFAULT 1, "
		"label varchar(10), k kind DEFAULT 'a', \"order\" int);\n",
		"INSERT INTO \"Things\" VALUES (1, 5, 'x', 'b', 1);\n",
		"CREATE TABLE \"Things\" (id bigint PRIMARY KEY, n bigint "
		"DEFAULT 2 CHECK (n > 0), label text, k text DEFAULT 'a', "
		"\"order\" int NOT NULL);\n",
		NULL);

	(void)state;
	assert_has(t.up, "ALTER TABLE \"Things\" ALTER COLUMN n TYPE bigint "
			 "USING n::bigint;\n");
	assert_has(t.up, "ALTER TABLE \"Things\" ALTER COLUMN k TYPE text "
			 "USING k::text;\n");
	assert_has(t.up, "ALTER TABLE \"Things\" ALTER COLUMN \"order\" SET "
			 "NOT NULL;\n");
	assert_has(t.up, "DROP TYPE kind;\n");
	assert_has(t.up, "ADD CONSTRAINT \"Things_n_check\" CHECK ((n > 0))");
	assert_reviewed(&t.up_review, "changes type from integer to bigint");
	assert_reviewed(&t.up_review, "default of 'Things.n' changes");
	assert_reviewed(&t.up_review, "new CHECK on 'Things'");
	assert_reviewed(&t.up_review, "the migration fails if any row holds "
				      "NULL");
	assert_has(t.down, "CREATE TYPE kind AS ENUM ('a', 'b');\n");
	assert_has(t.down, "USING k::kind;\n");
	assert_value(t.db, "SELECT n || label || k FROM \"Things\"", "5xb");
	trip_free(&t);
}

/* ------------------------------------------------------------------ */

/* `hold`: a scratch with a table in it, until stdin closes. */
static int hold(void)
{
	hr_db *db = open_scratch();
	char *schema = value(db, "SELECT current_schema()");
	char *pid = value(db, "SELECT pg_backend_pid()");
	int c;

	run(db, "CREATE TABLE held (id integer)");
	printf("holding %s %s\n", schema, pid);
	fflush(stdout);
	while ((c = getchar()) != EOF)
		;
	free(schema);
	free(pid);
	hr_db_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_rows),
		cmocka_unit_test(test_scratch_private_and_rolled_back),
		cmocka_unit_test(test_scratch_transactions_are_savepoints),
		cmocka_unit_test(test_scratch_runs_the_runner),
		cmocka_unit_test(test_scratch_url_errors_keep_the_password),
		cmocka_unit_test(test_catalog_initial_migration),
		cmocka_unit_test(test_catalog_constraints),
		cmocka_unit_test(test_trip_new_column),
		cmocka_unit_test(test_not_null_without_default_fails_on_rows),
		cmocka_unit_test(test_trip_new_table_with_fkey),
		cmocka_unit_test(test_trip_tables_in_a_cycle),
		cmocka_unit_test(test_trip_indexes),
		cmocka_unit_test(test_trip_enum_value_added),
		cmocka_unit_test(test_trip_enum_value_used_at_once),
		cmocka_unit_test(test_trip_renames),
		cmocka_unit_test(test_trip_not_null_with_default),
		cmocka_unit_test(test_trip_types_checks_defaults),
		cmocka_unit_test(test_trip_keys_serial_identity),
		cmocka_unit_test(test_trip_undeclared_renames),
		cmocka_unit_test(test_trip_homerack),
	};
	const char *u = getenv("DATABASE_URL");
	hr_error err;
	int rc;

	if (u == NULL || getenv("SRCDIR") == NULL) {
		fprintf(stderr, "test_schema_pg: DATABASE_URL and SRCDIR must "
				"be set (test_schema_pg.sh sets them)\n");
		return 2;
	}
	if (hr_dburl_parse(u, &url, &err) < 0) {
		fprintf(stderr, "test_schema_pg: %s\n", err.msg);
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "hold") == 0)
		rc = hold();
	else
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	hr_dburl_free(&url);
	return rc;
}
