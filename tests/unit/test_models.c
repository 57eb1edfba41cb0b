/* test_models.c — the models loader: dialect sections, renames, sources,
 * and each kind of broken file reported as FILE:LINE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "models.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/hr-models.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Load dir and build it on an in-memory SQLite database. */
static int build(hr_schema *s, hr_error *err)
{
	hr_dburl memory = {.kind = HR_DB_SQLITE};
	hr_models *m;
	hr_db *db;
	int rc = hr_models_load(dir, &m, err);

	*s = (hr_schema){0};
	if (rc < 0)
		return rc;
	assert_int_equal(hr_db_open_scratch(&memory, &db, err), 0);
	rc = hr_models_build(m, db, s, err);
	hr_db_close(db);
	hr_models_unref(m);
	return rc;
}

static void test_missing_directory(void **state)
{
	hr_models *m;
	hr_error err = {0};

	(void)state;
	assert_int_equal(hr_models_load("/nonexistent/models", &m, &err), 0);
	assert_false(hr_models_present(m));
	assert_int_equal(hr_models_file_count(m), 0);
	hr_models_unref(m);
}

static void test_sections_and_sources(void **state)
{
	hr_schema s;
	hr_error err = {0};
	const hr_table *t;

	(void)state;
	put("b.sql", "-- second file\n"
		     "CREATE TABLE notes (id INTEGER PRIMARY KEY,\n"
		     "  rack_id INTEGER REFERENCES racks (id));\n");
	put("a.sql", "CREATE TABLE racks (\n"
		     "  id INTEGER PRIMARY KEY);\n"
		     "-- +postgresql\n"
		     "CREATE TABLE pg_only (id SERIAL PRIMARY KEY);\n"
		     "-- +sqlite\n"
		     "CREATE TABLE lite_only (id INTEGER);\n"
		     "-- +all\n"
		     "CREATE INDEX ix_racks_id ON racks (id);\n");
	if (build(&s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s.n_tables, 3);
	assert_null(hr_schema_table(&s, "pg_only"));
	t = hr_schema_table(&s, "racks");
	assert_non_null(t);
	assert_non_null(strstr(t->source, "/a.sql:1"));
	t = hr_schema_table(&s, "notes");
	assert_non_null(strstr(t->source, "/b.sql:2"));
	assert_non_null(strstr(hr_schema_table(&s, "lite_only")->source,
			       "/a.sql:6"));
	assert_int_equal(hr_schema_table(&s, "racks")->n_indexes, 1);
	hr_schema_free(&s);
}

static void test_renames(void **state)
{
	hr_schema s;
	hr_error err = {0};
	const hr_table *t;

	(void)state;
	put("m.sql", "CREATE TABLE cables ( -- renamed from: connections\n"
		     "  id INTEGER PRIMARY KEY,\n"
		     "  colour VARCHAR, -- renamed from: color\n"
		     "  \"len\" FLOAT -- renamed from: \"length\"\n"
		     ");\n");
	if (build(&s, &err) < 0)
		fail_msg("%s", err.msg);
	t = hr_schema_table(&s, "cables");
	assert_non_null(t);
	assert_string_equal(t->renamed_from, "connections");
	assert_string_equal(hr_table_column(t, "colour")->renamed_from, "color");
	assert_string_equal(hr_table_column(t, "len")->renamed_from, "length");
	assert_null(hr_table_column(t, "id")->renamed_from);
	hr_schema_free(&s);
}

/* Each broken file fails with FILE:LINE at the start of the message. */
static void expect_error(const char *text, const char *where,
			 const char *what)
{
	hr_schema s;
	hr_error err = {0};
	char want[128];

	put("bad.sql", text);
	assert_true(build(&s, &err) < 0);
	snprintf(want, sizeof want, "%s/bad.sql:%s", dir, where);
	if (strncmp(err.msg, want, strlen(want)) != 0 ||
	    strstr(err.msg, what) == NULL)
		fail_msg("got '%s', wanted '%s...%s'", err.msg, want, what);
	assert_null(strchr(err.msg, '\n'));
	hr_schema_free(&s);
}

static void test_errors(void **state)
{
	char path[128];

	(void)state;
	expect_error("CREATE TABLE a (id INTEGER);\n-- +mysql\n", "2:",
		     "unknown section marker");
	expect_error("CREATE TABLE a (id INTEGER);\n\nCREATE TABLE b (id "
		     "INTEGER,\n x NOPE NOPE NOPE(\n);\n",
		     "3:", "syntax error");
	expect_error("CREATE TABLE a (id INTEGER);\n-- caf\xc3\n", "2:",
		     "invalid utf-8");
	expect_error("\n\nCREATE TABLE b (id INTEGER REFERENCES nowhere (id));\n",
		     "3:", "'nowhere', which the models do not define");
	expect_error("CREATE TABLE a (id INTEGER REFERENCES a (nope));\n",
		     "1:", "'a.nope', which the models do not define");
	expect_error("CREATE TABLE a (\n  id INTEGER,\n  -- renamed from:\n);\n",
		     "3:", "names no table or column");
	snprintf(path, sizeof path, "%s/bad.sql", dir);
	unlink(path);
}

/* Models run on scratch databases of the real server: a file or a
 * directory others may write is refused, as migrations are. */
static void test_strict_modes(void **state)
{
	char path[128];
	hr_models *m;
	hr_error err = {0};

	(void)state;
	put("m.sql", "CREATE TABLE a (id INTEGER);\n");
	snprintf(path, sizeof path, "%s/m.sql", dir);
	assert_int_equal(chmod(path, 0666), 0);
	assert_true(hr_models_load(dir, &m, &err) < 0);
	assert_non_null(strstr(err.msg, "refusing a models file writable by "
					"anyone"));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_true(hr_models_load(dir, &m, &err) < 0);
	assert_non_null(strstr(err.msg, "refusing a models directory"));
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(hr_models_load(dir, &m, &err), 0);
	hr_models_unref(m);
	/* A FIFO named *.sql is refused, not waited on. */
	snprintf(path, sizeof path, "%s/z.sql", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_true(hr_models_load(dir, &m, &err) < 0);
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_directory),
		cmocka_unit_test_setup_teardown(test_sections_and_sources,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_renames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_modes, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
