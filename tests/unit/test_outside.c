/*
 * test_outside.c — outside changes (server/engine/outside.c) on a SQLite
 * scratch database: a version-row change hrd did not make is recorded
 * once, and the checksums verify trusts follow downgrades and outside
 * changes.
 */
#include "engine_fixtures.h"

#include "db.h"
#include "db_fixtures.h"
#include "outside.h"

/* hrd's own history row for a step (committed). */
static void step(hr_db *db, const char *rev, const char *dir,
		 const char *from, const char *to, const char *sum)
{
	hr_history_entry e = {.revision = rev,
			      .direction = dir,
			      .from_revisions = from,
			      .to_revisions = to,
			      .checksum = sum,
			      .message = "m",
			      .peer_uid = 0};
	hr_error err = {0};

	if (hr_db_ensure_tables(db, &err) != 0 ||
	    hr_db_history_append(db, &e, &err) != 0)
		fail_msg("history: %s", err.msg);
}

/* Someone else's change: alembic_version's rows become `rows`. */
static void set_rows(hr_db *db, const char *const *rows, size_t n)
{
	hr_error err = {0};

	if (hr_db_ensure_tables(db, &err) != 0 ||
	    hr_db_version_delete_all(db, &err) != 0)
		fail_msg("rows: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		if (hr_db_version_insert(db, rows[i], &err) != 0)
			fail_msg("rows: %s", err.msg);
}

static int notice(hr_db *db)
{
	hr_error err = {0};
	int noticed = -1;

	if (hr_outside_notice(db, &noticed, &err) != 0)
		fail_msg("notice: %s", err.msg);
	return noticed;
}

/* The credits as "rev=sum ..." sorted by revision. */
static char *credits(hr_db *db, const hr_revmap *map)
{
	hr_strlist revs = {0}, sums = {0}, pairs = {0};
	hr_error err = {0};
	char *out;

	if (hr_outside_credits(db, map, &revs, &sums, &err) != 0)
		fail_msg("credits: %s", err.msg);
	assert_int_equal(revs.n, sums.n);
	for (size_t i = 0; i < revs.n; i++) {
		char pair[128];

		snprintf(pair, sizeof pair, "%s=%s", revs.items[i],
			 sums.items[i]);
		assert_int_equal(hr_strlist_push(&pairs, pair), 0);
	}
	hr_strlist_sort(&pairs);
	out = hr_strlist_join(&pairs);
	hr_strlist_free(&revs);
	hr_strlist_free(&sums);
	hr_strlist_free(&pairs);
	return out;
}

static void assert_credits(hr_db *db, const hr_revmap *map, const char *want)
{
	char *got = credits(db, map);

	assert_string_equal(got, want);
	free(got);
}

/* The newest history row as "direction from>to revision". */
static char *last_row(hr_db *db)
{
	hr_rows r = {0};
	hr_error err = {0};
	char buf[256];

	if (hr_db_history_rows(db, HR_HISTORY_LAST, &r, &err) != 0)
		fail_msg("rows: %s", err.msg);
	assert_int_equal(r.n_rows, 1);
	snprintf(buf, sizeof buf, "%s %s>%s %s", hr_rows_get(&r, 0, 1),
		 hr_rows_get(&r, 0, 2), hr_rows_get(&r, 0, 3),
		 hr_rows_get(&r, 0, 0));
	assert_null(hr_rows_get(&r, 0, 4));
	hr_rows_free(&r);
	return strdup(buf);
}

static void test_nothing_to_notice(void **state)
{
	hr_db *db = fx_scratch_sqlite();
	hr_rows r = {0};
	hr_error err = {0};

	(void)state;
	/* Neither rows nor history: untouched, no table created. */
	assert_int_equal(notice(db), 0);
	assert_int_equal(hr_db_history_rows(db, HR_HISTORY_ALL, &r, &err), 0);
	assert_int_equal(r.n_rows, 0);
	/* hrd's own change matches its history row. */
	step(db, "a", "upgrade", "", "a", "A");
	set_rows(db, (const char *[]){"a"}, 1);
	assert_int_equal(notice(db), 0);
	hr_db_close(db);
}

static void test_outside_change_recorded_once(void **state)
{
	hr_db *db = fx_scratch_sqlite();
	char *row;

	(void)state;
	/* A database Alembic upgraded before hrd ever ran. */
	set_rows(db, (const char *[]){"c", "b"}, 2);
	assert_int_equal(notice(db), 1);
	row = last_row(db);
	assert_string_equal(row, "outside >b c b c");
	free(row);
	assert_int_equal(notice(db), 0);
	/* Then a change to base. */
	set_rows(db, NULL, 0);
	assert_int_equal(notice(db), 1);
	row = last_row(db);
	assert_string_equal(row, "outside b c> ");
	free(row);
	hr_db_close(db);
}

static void test_credits_follow_downgrades_and_outside(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a m:b,c");
	hr_db *db = fx_scratch_sqlite();

	(void)state;
	step(db, "a", "upgrade", "", "a", "A");
	step(db, "b", "upgrade", "a", "b", "B");
	step(db, "c", "upgrade", "b", "b c", "C");
	step(db, "m", "upgrade", "b c", "m", "M");
	assert_credits(db, map, "a=A b=B c=C m=M");
	/* Un-merged outside: m is no longer applied, b and c still are. */
	step(db, "b c", "outside", "m", "b c", NULL);
	assert_credits(db, map, "a=A b=B c=C");
	/* hrd downgrades c: its upgrade no longer counts. */
	step(db, "c", "downgrade", "b c", "b", NULL);
	assert_credits(db, map, "a=A b=B");
	/* Outside, m comes back (and c with it): applied by someone else. */
	step(db, "m", "outside", "b", "m", NULL);
	assert_credits(db, map, "a=A b=B");
	/* hrd's later upgrade of a revision counts again, newest sum. */
	step(db, "m", "downgrade", "m", "b c", NULL);
	step(db, "m", "upgrade", "b c", "m", "M2");
	assert_credits(db, map, "a=A b=B m=M2");
	/* Rows that credit nothing leave the newest credit standing: an
	 * upgrade without a checksum (an offline script's), a stamp. */
	step(db, "m", "upgrade", "m", "m", NULL);
	step(db, "m", "stamp", "m", "m", NULL);
	assert_credits(db, map, "a=A b=B m=M2");
	/* A row the map does not know stands only for itself. */
	step(db, "zz", "outside", "m", "zz", NULL);
	assert_credits(db, map, "");
	hr_db_close(db);
	hr_revmap_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_to_notice),
		cmocka_unit_test(test_outside_change_recorded_once),
		cmocka_unit_test(test_credits_follow_downgrades_and_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
