/*
 * test_backend.c — the conformance suite every database backend passes
 * (golang-migrate's database/testing): the transactional core — db.c
 * over a backend (backend.h) and the runner on top — checked through
 * the public interfaces only, so the same tests hold for every backend.
 *
 * The database comes from HR_TEST_DATABASE_URL: unset, a fresh SQLite
 * file in a temp directory (CTest's unit.test_backend); a PostgreSQL URL
 * when tests/e2e/test_backend_pg.sh runs it against the harness's
 * throwaway cluster (e2e.pg.conformance). Each test starts from a
 * database without the tables it uses.
 */
#include <unistd.h>

#include "engine_fixtures.h"

#include "db.h"
#include "dburl.h"
#include "plan.h"
#include "runner.h"

static char tmpdir[64];
static hr_dburl url;
static hr_db *db;

/* ---- setup ------------------------------------------------------------- */

static const char *const test_tables[] = {
	"conf_t1", "conf_t2", "conf_t3", HR_HISTORY_TABLE, HR_VERSION_TABLE,
};

static void must(int rc, const hr_error *err)
{
	if (rc < 0)
		fail_msg("%s", err->msg);
}

static hr_db *open_db(void)
{
	hr_error err;
	hr_db *h = NULL;

	must(hr_db_open(&url, &h, &err), &err);
	return h;
}

static int group_setup(void **state)
{
	const char *env = getenv("HR_TEST_DATABASE_URL");
	char text[128];
	hr_error err;

	(void)state;
	if (env == NULL || env[0] == '\0') {
		strcpy(tmpdir, "/tmp/hr-backend.XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			return -1;
		snprintf(text, sizeof text, "sqlite:///%s/conformance.db",
			 tmpdir);
		env = text;
	}
	if (hr_dburl_parse(env, &url, &err) < 0) {
		fprintf(stderr, "HR_TEST_DATABASE_URL: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	hr_dburl_free(&url);
	if (tmpdir[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
		return system(cmd) == 0 ? 0 : -1;
	}
	return 0;
}

/* A database without the tables the tests use, and db open on it. */
static int test_setup(void **state)
{
	char sql[128];
	int fail_line;
	hr_error err;

	(void)state;
	db = open_db();
	for (size_t i = 0; i < sizeof test_tables / sizeof test_tables[0]; i++) {
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s",
			 test_tables[i]);
		must(hr_db_exec_script(db, sql, 1, &fail_line, &err), &err);
	}
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	hr_db_close(db);
	db = NULL;
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* Whether table exists, asked on a connection of its own (so only
 * committed work counts). */
static int table_exists(const char *table)
{
	hr_db *other = open_db();
	char sql[128];
	hr_rows rows = {0};
	hr_error err;
	int rc;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	rc = hr_db_query(other, sql, NULL, 0, &rows, &err);
	hr_rows_free(&rows);
	hr_db_close(other);
	return rc == 0;
}

/* alembic_version's rows as "a b c" (sorted), read by another
 * connection. */
static void committed_versions(char *out, size_t cap)
{
	hr_db *other = open_db();
	hr_strlist rows = {0};
	size_t used = 0;
	hr_error err;

	must(hr_db_read_versions(other, &rows, &err), &err);
	out[0] = '\0';
	for (size_t i = 0; i < rows.n; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s",
					 i ? " " : "", rows.items[i]);
	hr_strlist_free(&rows);
	hr_db_close(other);
}

/* The number of history rows (direction, or every row for NULL). */
static long history_count(const char *direction)
{
	const char *params[] = {direction};
	hr_rows rows = {0};
	hr_error err;
	long n;

	must(hr_db_query(db,
			 direction != NULL
				 ? "SELECT count(*) FROM " HR_HISTORY_TABLE
				   " WHERE direction = $1"
				 : "SELECT count(*) FROM " HR_HISTORY_TABLE,
			 params, direction != NULL, &rows, &err),
	     &err);
	n = atol(hr_rows_get(&rows, 0, 0));
	hr_rows_free(&rows);
	return n;
}

#define assert_versions(want)                                                \
	do {                                                                 \
		char got_[256];                                              \
		committed_versions(got_, sizeof got_);                       \
		assert_string_equal(got_, (want));                           \
	} while (0)

/* ---- transactions and the version table -------------------------------- */

static void commit_keeps_schema_and_rows_together(void **state)
{
	int fail_line;
	hr_error err;

	(void)state;
	must(hr_db_ensure_tables(db, &err), &err);
	must(hr_db_begin(db, &err), &err);
	must(hr_db_exec_script(db, "CREATE TABLE conf_t1 (id INTEGER);", 1,
			       &fail_line, &err),
	     &err);
	must(hr_db_version_insert(db, "aaaa00000001", &err), &err);
	must(hr_db_commit(db, &err), &err);
	assert_true(table_exists("conf_t1"));
	assert_versions("aaaa00000001");
}

static void rollback_discards_schema_and_rows(void **state)
{
	int fail_line;
	hr_error err;

	(void)state;
	must(hr_db_ensure_tables(db, &err), &err);
	must(hr_db_begin(db, &err), &err);
	must(hr_db_exec_script(db, "CREATE TABLE conf_t1 (id INTEGER);", 1,
			       &fail_line, &err),
	     &err);
	must(hr_db_version_insert(db, "aaaa00000001", &err), &err);
	hr_db_rollback(db);
	/* DDL is transactional on every backend (SQLite too: hrd issues
	 * BEGIN itself). */
	assert_false(table_exists("conf_t1"));
	assert_versions("");
	/* A rollback with no transaction open is harmless. */
	hr_db_rollback(db);
}

static void missing_version_table_reads_as_no_rows(void **state)
{
	hr_strlist rows = {0};
	hr_error err;

	(void)state;
	must(hr_db_read_versions(db, &rows, &err), &err);
	assert_int_equal(rows.n, 0);
	hr_strlist_free(&rows);
}

static void version_rows_change_exactly_one_row(void **state)
{
	hr_error err;

	(void)state;
	must(hr_db_ensure_tables(db, &err), &err);
	/* Twice: creating the tables is idempotent. */
	must(hr_db_ensure_tables(db, &err), &err);
	must(hr_db_version_insert(db, "bbbb00000002", &err), &err);
	must(hr_db_version_insert(db, "aaaa00000001", &err), &err);
	assert_versions("aaaa00000001 bbbb00000002");
	must(hr_db_version_update(db, "aaaa00000001", "cccc00000003", &err),
	     &err);
	must(hr_db_version_delete(db, "bbbb00000002", &err), &err);
	assert_versions("cccc00000003");
	/* A row that is not there: someone changed the table under us. */
	assert_int_equal(hr_db_version_update(db, "bbbb00000002", "dddd", &err),
			 -HR_ABORTED);
	assert_msg_contains(err, "instead of 1");
	assert_int_equal(hr_db_version_delete(db, "bbbb00000002", &err),
			 -HR_ABORTED);
	/* Alembic's primary key: one row per revision. */
	assert_true(hr_db_version_insert(db, "cccc00000003", &err) < 0);
	must(hr_db_version_delete_all(db, &err), &err);
	assert_versions("");
}

/*
 * The bookkeeping held back for the commit (hr_db_defer: PostgreSQL
 * sends it with the COMMIT in one exchange) still refuses a version row
 * that is not there, and nothing of the transaction is kept: the check
 * runs before the commit, not after.
 */
static void held_back_commit_refuses_a_missing_row(void **state)
{
	hr_history_entry e = {
		.revision = "bbbb00000002",
		.direction = "upgrade",
		.from_revisions = "aaaa00000001",
		.to_revisions = "bbbb00000002",
		.duration_us = 1,
		.peer_uid = 0,
	};
	hr_error err;
	int rc;

	(void)state;
	must(hr_db_begin(db, &err), &err);
	must(hr_db_ensure_tables(db, &err), &err);
	must(hr_db_version_insert(db, "aaaa00000001", &err), &err);
	must(hr_db_commit(db, &err), &err);
	must(hr_db_begin(db, &err), &err);
	must(hr_db_exec_script(db, "CREATE TABLE conf_held (id INTEGER);", 1,
			       &(int){0}, &err),
	     &err);
	hr_db_defer(db);
	/* Held back (and so accepted) or refused at once (SQLite). */
	rc = hr_db_version_update(db, "zzzz00000009", "bbbb00000002", &err);
	if (rc == 0 && (rc = hr_db_history_append(db, &e, &err)) == 0)
		rc = hr_db_commit(db, &err);
	assert_int_equal(rc, -HR_ABORTED);
	assert_msg_contains(err, "touched 0 rows");
	hr_db_rollback(db);
	assert_versions("aaaa00000001");
	assert_int_equal(history_count(NULL), 0);
	assert_false(table_exists("conf_held"));
}

static void history_rows_are_recorded(void **state)
{
	hr_history_entry e = {
		.revision = "aaaa00000001",
		.direction = "upgrade",
		.from_revisions = "",
		.to_revisions = "aaaa00000001",
		.checksum = "0123abcd",
		.message = "first",
		.duration_us = 42,
		.peer_uid = 1000,
	};
	hr_rows rows = {0};
	hr_error err;

	(void)state;
	must(hr_db_ensure_tables(db, &err), &err);
	must(hr_db_history_append(db, &e, &err), &err);
	e.direction = "stamp";
	e.checksum = NULL;
	e.peer_uid = -1;
	must(hr_db_history_append(db, &e, &err), &err);
	assert_int_equal(history_count(NULL), 2);
	assert_int_equal(history_count("stamp"), 1);
	/* Read back oldest first: the upgrade's checksum is what verify
	 * compares files with; a stamp has none. */
	must(hr_db_history_rows(db, HR_HISTORY_ALL, &rows, &err), &err);
	assert_int_equal(rows.n_rows, 2);
	assert_string_equal(hr_rows_get(&rows, 0, 0), "aaaa00000001");
	assert_string_equal(hr_rows_get(&rows, 0, 1), "upgrade");
	assert_string_equal(hr_rows_get(&rows, 0, 3), "aaaa00000001");
	assert_string_equal(hr_rows_get(&rows, 0, 4), "0123abcd");
	assert_null(hr_rows_get(&rows, 1, 4));
	hr_rows_free(&rows);
	/* The newest alone: where hrd last left the version rows. */
	must(hr_db_history_rows(db, HR_HISTORY_LAST, &rows, &err), &err);
	assert_int_equal(rows.n_rows, 1);
	assert_string_equal(hr_rows_get(&rows, 0, 1), "stamp");
	hr_rows_free(&rows);
}

static void script_failure_names_its_line(void **state)
{
	int fail_line = 0;
	hr_error err;

	(void)state;
	assert_true(hr_db_exec_script(db,
				      "CREATE TABLE conf_t1 (id INTEGER);\n"
				      "\n"
				      "SELEKT 1;\n",
				      10, &fail_line, &err) < 0);
	assert_int_equal(fail_line, 12);
	assert_true(err.msg[0] != '\0');
}

/* ---- the runner: one transaction per migration -------------------------- */

#define REV_A "aaaa00000001"
#define REV_B "bbbb00000002"

/* A map of two migrations: A creates conf_t1, B conf_t2 (b_sql is B's
 * upgrade; B_header may add header lines). */
static hr_revmap *two_step_map(const char *b_header, const char *b_sql)
{
	/* hr_revmap_build owns the array too. */
	hr_migration **migs = calloc(2, sizeof *migs);
	hr_revmap *map = NULL;
	char text[1024];
	hr_error err;

	assert_non_null(migs);
	migs[0] = fx_parse("a.sql", "-- revision: " REV_A "\n"
				    "-- down_revision:\n"
				    "-- +upgrade\n"
				    "CREATE TABLE conf_t1 (id INTEGER);\n"
				    "INSERT INTO conf_t1 VALUES (1);\n"
				    "-- +downgrade\n"
				    "DROP TABLE conf_t1;\n");
	snprintf(text, sizeof text,
		 "-- revision: " REV_B "\n"
		 "-- down_revision: " REV_A "\n%s"
		 "-- +upgrade\n%s"
		 "-- +downgrade\n"
		 "DROP TABLE conf_t2;\n",
		 b_header, b_sql);
	migs[1] = fx_parse("b.sql", text);
	must(hr_revmap_build(migs, 2, &map, &err), &err);
	return map;
}

/* Plan dir to target from the committed rows, apply it; rc, and
 * *done steps committed. */
static int run_plan(const hr_revmap *map, hr_direction dir,
		    const char *target, size_t *done, hr_error *err)
{
	hr_runner_hooks hooks = {0};
	hr_strlist rows = {0};
	hr_plan plan;
	int rc;

	must(hr_db_read_versions(db, &rows, err), err);
	must(hr_plan_build(map, dir, (const char *const *)rows.items, rows.n,
			   target, &plan, err),
	     err);
	rc = hr_runner_apply(db, &plan, &rows, &hooks, 1000, done, err);
	hr_plan_free(&plan);
	hr_strlist_free(&rows);
	return rc;
}

static void runner_upgrades_and_downgrades(void **state)
{
	hr_revmap *map = two_step_map("", "CREATE TABLE conf_t2 (id INTEGER);\n");
	size_t done = 0;
	hr_error err;

	(void)state;
	must(run_plan(map, HR_UPGRADE, "head", &done, &err), &err);
	assert_int_equal(done, 2);
	assert_versions(REV_B);
	assert_true(table_exists("conf_t2"));
	assert_int_equal(history_count("upgrade"), 2);
	must(run_plan(map, HR_DOWNGRADE, "base", &done, &err), &err);
	assert_int_equal(done, 2);
	assert_versions("");
	assert_false(table_exists("conf_t1"));
	assert_false(table_exists("conf_t2"));
	assert_int_equal(history_count("downgrade"), 2);
	hr_revmap_free(map);
}

static void failure_mid_migration_leaves_nothing(void **state)
{
	/* B's first statement succeeds, its second fails: B goes whole. */
	hr_revmap *map = two_step_map("", "CREATE TABLE conf_t2 (id INTEGER);\n"
					  "INSERT INTO conf_missing VALUES (1);\n");
	size_t done = 0;
	hr_error err;

	(void)state;
	assert_true(run_plan(map, HR_UPGRADE, "head", &done, &err) < 0);
	assert_msg_contains(err, "upgrade failed at " REV_B);
	assert_int_equal(done, 1);
	assert_versions(REV_A);
	assert_true(table_exists("conf_t1"));
	assert_false(table_exists("conf_t2"));
	assert_int_equal(history_count("upgrade"), 1);
	hr_revmap_free(map);
}

static void non_transactional_migration_runs_in_autocommit(void **state)
{
	/* Without a transaction what ran before the failure stays (the
	 * documented price of `transactional: false`), but the version
	 * row moves only when the whole migration ran. */
	hr_revmap *map = two_step_map("-- transactional: false\n",
				      "CREATE TABLE conf_t2 (id INTEGER);\n"
				      "INSERT INTO conf_missing VALUES (1);\n");
	hr_revmap *good = two_step_map("-- transactional: false\n",
				       "CREATE TABLE conf_t2 (id INTEGER);\n");
	size_t done = 0;
	hr_error err;
	int fail_line;

	(void)state;
	assert_true(run_plan(map, HR_UPGRADE, "head", &done, &err) < 0);
	assert_int_equal(done, 1);
	assert_versions(REV_A);
	assert_true(table_exists("conf_t2"));
	must(hr_db_exec_script(db, "DROP TABLE conf_t2;", 1, &fail_line, &err),
	     &err);
	must(run_plan(good, HR_UPGRADE, "head", &done, &err), &err);
	assert_int_equal(done, 1);
	assert_versions(REV_B);
	assert_true(table_exists("conf_t2"));
	hr_revmap_free(map);
	hr_revmap_free(good);
}

static void stamp_moves_rows_without_running_sql(void **state)
{
	hr_revmap *map = two_step_map("", "CREATE TABLE conf_t2 (id INTEGER);\n");
	const char *target[] = {"head"};
	hr_strlist rows = {0};
	hr_plan plan;
	hr_error err;

	(void)state;
	must(hr_plan_stamp(map, NULL, 0, target, 1, 0, &plan, &err), &err);
	must(hr_runner_stamp(db, &plan, &rows, "head", 1000, &err), &err);
	hr_plan_free(&plan);
	hr_strlist_free(&rows);
	assert_versions(REV_B);
	assert_false(table_exists("conf_t1"));
	assert_int_equal(history_count("stamp"), 1);
	hr_revmap_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
		T(commit_keeps_schema_and_rows_together),
		T(rollback_discards_schema_and_rows),
		T(missing_version_table_reads_as_no_rows),
		T(version_rows_change_exactly_one_row),
		T(held_back_commit_refuses_a_missing_row),
		T(history_rows_are_recorded),
		T(script_failure_names_its_line),
		T(runner_upgrades_and_downgrades),
		T(failure_mid_migration_leaves_nothing),
		T(non_transactional_migration_runs_in_autocommit),
		T(stamp_moves_rows_without_running_sql),
#undef T
	};

	return cmocka_run_group_tests_name("backend conformance", tests,
					   group_setup, group_teardown);
}
