/* test_newrev.c — new migration files: ids, slugs, text, exclusive writes. */
#include "engine_fixtures.h"

#include <sys/stat.h>
#include <unistd.h>

#include "newrev.h"

static void test_ids(void **state)
{
	char a[HR_NEWREV_ID_LEN + 1], b[HR_NEWREV_ID_LEN + 1];
	hr_error err = {0};
	size_t i;

	(void)state;
	assert_int_equal(hr_newrev_id(a, &err), 0);
	assert_int_equal(hr_newrev_id(b, &err), 0);
	assert_int_equal(strlen(a), 12);
	for (i = 0; i < 12; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_true(hr_revision_id_valid(a));
	/* 48 random bits: two equal ids would be a broken source */
	assert_string_not_equal(a, b);
}

static void expect_slug(const char *message, const char *want)
{
	char out[HR_NEWREV_SLUG_MAX + 1];

	hr_newrev_slug(message, out);
	assert_string_equal(out, want);
}

/* The expected slugs are what Alembic 1.8's ScriptDirectory makes. */
static void test_slugs(void **state)
{
	(void)state;
	expect_slug("Add rack notes and tags", "add_rack_notes_and_tags");
	expect_slug("Merge heads!!", "merge_heads");
	expect_slug("  ", "");
	expect_slug("a very long message that goes on and on beyond forty "
		    "characters",
		    "a_very_long_message_that_goes_on_and_on_");
	expect_slug("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_");
	expect_slug("add cable_type, drop 'notes'", "add_cable_type_drop_notes");
	/* non-ASCII letters are dropped (Alembic keeps them) */
	expect_slug("caf\xc3\xa9 tables", "caf_tables");
}

static void test_messages(void **state)
{
	hr_error err = {0};
	char long_msg[HR_NEWREV_MESSAGE_MAX + 2];

	(void)state;
	assert_true(hr_newrev_message_ok("Add racks", &err));
	assert_true(hr_newrev_message_ok("caf\xc3\xa9 \"quoted\" 'x'", &err));
	assert_false(hr_newrev_message_ok("", &err));
	assert_msg_contains(err, "a new revision needs a message (-m)");
	assert_false(hr_newrev_message_ok("two\nlines", &err));
	assert_msg_contains(err, "one line without control characters (byte "
				 "0x0a at offset 3)");
	assert_false(hr_newrev_message_ok("tab\there", &err));
	memset(long_msg, 'x', sizeof long_msg - 1);
	long_msg[sizeof long_msg - 1] = '\0';
	assert_false(hr_newrev_message_ok(long_msg, &err));
	assert_msg_contains(err, "the limit is 512");
}

static void test_text_parses_back(void **state)
{
	const char *parents[] = {"aaa", "bbb"}, *labels[] = {"cart"},
		   *deps[] = {"ccc", "lib"};
	hr_newrev rev = {
		.revision = "0123456789ab",
		.parents = parents,
		.n_parents = 2,
		.branch_labels = labels,
		.n_branch_labels = 1,
		.depends_on = deps,
		.n_depends_on = 2,
		.message = "Merge 'cart' and \"lib\"",
		.create_date = "2026-12-02 10:04:00",
	};
	char *text = hr_newrev_text(&rev);
	hr_migration *m;

	(void)state;
	assert_non_null(text);
	m = fx_parse("x.sql", text);
	assert_string_equal(m->revision, "0123456789ab");
	assert_int_equal(m->n_down_revisions, 2);
	assert_string_equal(m->down_revisions[1], "bbb");
	assert_int_equal(m->n_branch_labels, 1);
	assert_int_equal(m->n_depends_on, 2);
	assert_string_equal(m->message, "Merge 'cart' and \"lib\"");
	assert_string_equal(m->create_date, "2026-12-02 10:04:00");
	assert_int_equal(m->n_sections, 2);
	hr_migration_free(m);
	free(text);

	/* a base: an empty down_revision, no optional keys */
	rev.n_parents = 0;
	rev.n_branch_labels = 0;
	rev.n_depends_on = 0;
	text = hr_newrev_text(&rev);
	assert_non_null(strstr(text, "-- down_revision:\n"));
	assert_null(strstr(text, "branch_labels"));
	m = fx_parse("x.sql", text);
	assert_int_equal(m->n_down_revisions, 0);
	hr_migration_free(m);
	free(text);
}

static void test_write(void **state)
{
	char dir[] = "/tmp/hr_test_newrev_XXXXXX", want[256];
	hr_newrev rev = {
		.revision = "0123456789ab",
		.message = "Add rack notes",
		.create_date = "2026-12-02 10:04:00",
	};
	hr_migration *m = NULL;
	hr_error err = {0};
	char *path = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hr_newrev_write(dir, &rev, &path, &err), 0);
	snprintf(want, sizeof want, "%s/0123456789ab_add_rack_notes.sql", dir);
	assert_string_equal(path, want);
	assert_int_equal(hr_migration_load(path, &m, &err), 0);
	assert_string_equal(m->message, "Add rack notes");
	hr_migration_free(m);
	free(path);
	/* never replaces a file */
	path = (char *)&path;
	assert_int_equal(hr_newrev_write(dir, &rev, &path, &err),
			 -HR_ALREADY_EXISTS);
	assert_null(path);
	assert_msg_contains(err, "0123456789ab_add_rack_notes.sql: File exists");
	assert_int_equal(unlink(want), 0);
	assert_int_equal(rmdir(dir), 0);
	/* a directory that is gone */
	assert_int_equal(hr_newrev_write(dir, &rev, &path, &err),
			 -HR_FAILED_PRECONDITION);
	assert_msg_contains(err, "cannot create");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_slugs),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_text_parses_back),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
