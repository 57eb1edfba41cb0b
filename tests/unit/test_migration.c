/* test_migration.c — the migration file parser and loader. */
#include "engine_fixtures.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parse text that must fail; returns the code and leaves err filled. */
static int parse_fails(const char *text, hr_error *err)
{
	hr_migration *m = (hr_migration *)&m; /* must be reset to NULL */
	int rc = hr_migration_parse("m.sql", text, strlen(text), &m, err);

	assert_true(rc < 0);
	assert_null(m);
	assert_int_equal(err->code, -rc);
	return rc;
}

static void expect_error(const char *text, const char *needle)
{
	hr_error err = {0};

	assert_int_equal(parse_fails(text, &err), -HR_INVALID_ARGUMENT);
	assert_msg_contains(err, needle);
}

static void test_all_header_fields(void **state)
{
	hr_migration *m = fx_parse(
		"migrations/1f3c.sql",
		"-- HomeRack migration, free text is ignored\n"
		"-- revision: 1f3c0a9d2b7e\n"
		"\n"
		"-- down_revision: 0aa1, 0bb2\n"
		"-- message:   Initial HomeRack schema  \n"
		"-- create_date: 2026-11-24 23:13:00\n"
		"-- branch_labels: core ui\n"
		"-- depends_on: 0cc3,0dd4\n"
		"-- transactional: false\n"
		"-- TODO: later (uppercase keys are free text)\n"
		"-- see https://alembic.sqlalchemy.org for the model\n"
		"-- https://example.com/a-url-opening-a-comment\n");

	(void)state;
	assert_string_equal(m->revision, "1f3c0a9d2b7e");
	assert_int_equal(m->n_down_revisions, 2);
	assert_string_equal(m->down_revisions[0], "0aa1");
	assert_string_equal(m->down_revisions[1], "0bb2");
	assert_string_equal(m->message, "Initial HomeRack schema");
	assert_string_equal(m->create_date, "2026-11-24 23:13:00");
	assert_int_equal(m->n_branch_labels, 2);
	assert_string_equal(m->branch_labels[0], "core");
	assert_string_equal(m->branch_labels[1], "ui");
	assert_int_equal(m->n_depends_on, 2);
	assert_string_equal(m->depends_on[0], "0cc3");
	assert_string_equal(m->depends_on[1], "0dd4");
	assert_int_equal(m->transactional, 0);
	assert_string_equal(m->path, "migrations/1f3c.sql");
	assert_int_equal(m->n_sections, 0);
	hr_migration_free(m);
}

static void test_defaults_and_base(void **state)
{
	static const char *const bases[] = {
		"-- revision: a\n",
		"-- revision: a\n-- down_revision:\n",
		"-- revision: a\n-- down_revision: None\n",
		"-- revision: a\n-- down_revision:   \t\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		hr_migration *m = fx_parse("a.sql", bases[i]);

		assert_int_equal(m->n_down_revisions, 0);
		assert_null(m->down_revisions);
		assert_int_equal(m->n_branch_labels, 0);
		assert_int_equal(m->n_depends_on, 0);
		assert_string_equal(m->message, "");
		assert_string_equal(m->create_date, "");
		assert_int_equal(m->transactional, 1);
		hr_migration_free(m);
	}
}

static void test_transactional_values(void **state)
{
	static const struct {
		const char *value;
		int expected;
	} cases[] = {{"true", 1}, {"yes", 1}, {"TRUE", 1},
		     {"no", 0},   {"False", 0}};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		hr_migration *m;

		snprintf(text, sizeof text,
			 "-- revision: a\n-- transactional: %s\n",
			 cases[i].value);
		m = fx_parse("a.sql", text);
		assert_int_equal(m->transactional, cases[i].expected);
		hr_migration_free(m);
	}
	expect_error("-- revision: a\n-- transactional: maybe\n",
		     "m.sql:2: transactional must be true or false, not "
		     "'maybe'");
}

/* foreign_keys: off asks for SQLite's enforcement off while it runs. */
static void test_foreign_keys_values(void **state)
{
	hr_migration *m;

	(void)state;
	m = fx_parse("a.sql", "-- revision: a\n");
	assert_int_equal(m->foreign_keys_off, 0);
	hr_migration_free(m);
	m = fx_parse("a.sql", "-- revision: a\n-- foreign_keys: off\n");
	assert_int_equal(m->foreign_keys_off, 1);
	hr_migration_free(m);
	m = fx_parse("a.sql", "-- revision: a\n-- foreign_keys: ON\n");
	assert_int_equal(m->foreign_keys_off, 0);
	hr_migration_free(m);
	expect_error("-- revision: a\n-- foreign_keys: later\n",
		     "m.sql:2: foreign_keys must be on or off, not 'later'");
	expect_error("-- revision: a\n-- foreign_keys: off\n"
		     "-- foreign_keys: on\n",
		     "m.sql:3: repeated header field 'foreign_keys'");
}

static void test_merge_list_separators(void **state)
{
	hr_migration *m = fx_parse("m.sql", "-- revision: m\n"
					    "-- down_revision: a,b , c\td\n");

	(void)state;
	assert_int_equal(m->n_down_revisions, 4);
	assert_string_equal(m->down_revisions[0], "a");
	assert_string_equal(m->down_revisions[1], "b");
	assert_string_equal(m->down_revisions[2], "c");
	assert_string_equal(m->down_revisions[3], "d");
	hr_migration_free(m);
	m = fx_parse("m.sql", "-- revision:m\n-- down_revision:a,b\n");
	assert_string_equal(m->revision, "m");
	assert_int_equal(m->n_down_revisions, 2);
	assert_string_equal(m->down_revisions[1], "b");
	hr_migration_free(m);
	expect_error("-- revision: m\n-- down_revision: a, b, a\n",
		     "m.sql:2: down_revision lists 'a' twice");
	expect_error("-- revision: m\n-- depends_on: a, b-c\n",
		     "m.sql:2: invalid id 'b-c' in depends_on");
}

static void test_sections_and_dialects(void **state)
{
	const char *text = "-- revision: a\n"              /* 1 */
			   "-- +upgrade\n"                 /* 2 */
			   "CREATE TABLE t (x INT);\n"     /* 3 */
			   "\n"                            /* 4 */
			   "--+upgrade   postgresql  \n"   /* 5 */
			   "CREATE INDEX CONCURRENTLY i;\n" /* 6 */
			   "-- +upgrade sqlite\n"          /* 7 */
			   "-- +downgrade\n"               /* 8 */
			   "-- revision: not a header here\n" /* 9 */
			   "DROP TABLE t;";                /* 10 */
	hr_migration *m = fx_parse("a.sql", text);
	hr_sql_section *s = m->sections;

	(void)state;
	assert_int_equal(m->n_sections, 4);
	assert_int_equal(s[0].direction, HR_UPGRADE);
	assert_null(s[0].dialect);
	assert_string_equal(s[0].sql, "CREATE TABLE t (x INT);\n\n");
	assert_int_equal(s[0].first_line, 3);
	assert_int_equal(s[1].direction, HR_UPGRADE);
	assert_string_equal(s[1].dialect, "postgresql");
	assert_string_equal(s[1].sql, "CREATE INDEX CONCURRENTLY i;\n");
	assert_int_equal(s[1].first_line, 6);
	assert_string_equal(s[2].dialect, "sqlite");
	assert_string_equal(s[2].sql, "");
	assert_int_equal(s[2].first_line, 8);
	assert_int_equal(s[3].direction, HR_DOWNGRADE);
	assert_null(s[3].dialect);
	assert_string_equal(s[3].sql,
			    "-- revision: not a header here\nDROP TABLE t;");
	assert_int_equal(s[3].first_line, 9);

	assert_true(hr_section_applies(&s[0], HR_UPGRADE, "sqlite"));
	assert_true(hr_section_applies(&s[0], HR_UPGRADE, "postgresql"));
	assert_true(hr_section_applies(&s[0], HR_UPGRADE, NULL));
	assert_false(hr_section_applies(&s[0], HR_DOWNGRADE, "sqlite"));
	assert_true(hr_section_applies(&s[1], HR_UPGRADE, "postgresql"));
	assert_false(hr_section_applies(&s[1], HR_UPGRADE, "sqlite"));
	assert_false(hr_section_applies(&s[1], HR_UPGRADE, NULL));
	assert_true(hr_section_applies(&s[2], HR_UPGRADE, "sqlite"));
	assert_false(hr_section_applies(&s[2], HR_DOWNGRADE, "sqlite"));
	assert_true(hr_section_applies(&s[3], HR_DOWNGRADE, "postgresql"));
	hr_migration_free(m);
}

static void test_marker_at_eof_and_empty_merge(void **state)
{
	hr_migration *m = fx_parse("a.sql", "-- revision: a\n-- +downgrade");

	(void)state;
	assert_int_equal(m->n_sections, 1);
	assert_int_equal(m->sections[0].direction, HR_DOWNGRADE);
	assert_string_equal(m->sections[0].sql, "");
	assert_int_equal(m->sections[0].first_line, 3);
	hr_migration_free(m);

	m = fx_parse("m.sql", "-- revision: m\n-- down_revision: a b\n");
	assert_int_equal(m->n_sections, 0);
	assert_int_equal(m->n_down_revisions, 2);
	hr_migration_free(m);
}

static void test_checksum_is_sha256_with_crlf_as_lf(void **state)
{
	hr_migration *lf = fx_parse(
		"a.sql", "-- revision: abc\n-- +upgrade\nSELECT 1;\n");
	hr_migration *crlf = fx_parse(
		"a.sql", "-- revision: abc\r\n-- +upgrade\r\nSELECT 1;\r\n");
	hr_migration *other = fx_parse(
		"a.sql", "-- revision: abc\n-- +upgrade\nSELECT 2;\n");

	(void)state;
	/* sha256sum of the LF text */
	assert_string_equal(lf->checksum, "8d0c84b4c8088bdffdcd991218074026"
					  "b6cf7fd12975010e5fa16d24c6e7422d");
	assert_string_equal(crlf->checksum, lf->checksum);
	assert_string_not_equal(other->checksum, lf->checksum);
	/* the SQL keeps its CRLF; the header and markers still parse */
	assert_string_equal(crlf->revision, "abc");
	assert_int_equal(crlf->n_sections, 1);
	assert_string_equal(crlf->sections[0].sql, "SELECT 1;\r\n");
	hr_migration_free(lf);
	hr_migration_free(crlf);
	hr_migration_free(other);
}

static void test_lone_cr_is_hashed(void **state)
{
	hr_migration *a = fx_parse("a.sql", "-- revision: a\n-- x\r\r\n");
	hr_migration *b = fx_parse("a.sql", "-- revision: a\n-- x\r\n");

	/* CR CR LF is a CR and a line end; a CR that ends the file stays. */
	hr_migration *c = fx_parse("a.sql", "-- revision: a\r\n-- x\r\r\n\r");

	(void)state;
	assert_string_not_equal(a->checksum, b->checksum);
	/* sha256sum of "-- revision: a\n-- x\r\n\r" */
	assert_string_equal(c->checksum, "12cc061f34a2907f1503f2c4a60569f7"
					 "924d88af4c56214d3e7f5968ed22fc15");
	hr_migration_free(a);
	hr_migration_free(b);
	hr_migration_free(c);
}

static void test_utf8_bom_is_skipped(void **state)
{
	hr_migration *m = fx_parse("a.sql", "\xef\xbb\xbf-- revision: a\n");

	(void)state;
	assert_string_equal(m->revision, "a");
	hr_migration_free(m);
}

static void test_unknown_key_names_line(void **state)
{
	(void)state;
	expect_error("-- revision: abc\n"
		     "-- message: x\n"
		     "-- down_revison: a\n",
		     "m.sql:3: unknown header field 'down_revison'");
	expect_error("-- revision: abc\n--note : spaced key\n",
		     "m.sql:2: unknown header field 'note'");
	/* no space after the colon is still a key, not free text */
	expect_error("-- revision:abc\n-- down_revison:a\n",
		     "m.sql:2: unknown header field 'down_revison'");
}

static void test_repeated_key(void **state)
{
	(void)state;
	expect_error("-- revision: a\n-- message: x\n-- revision: b\n",
		     "m.sql:3: repeated header field 'revision' (first on "
		     "line 1)");
	expect_error("-- revision: a\n-- message: x\n-- message: x\n",
		     "m.sql:3: repeated header field 'message'");
}

static void test_sql_outside_section(void **state)
{
	(void)state;
	expect_error("-- revision: a\nCREATE TABLE t (x INT);\n-- +upgrade\n",
		     "m.sql:2: sql outside an upgrade/downgrade section");
	expect_error("-- revision: a\n  -- indented comment\n",
		     "m.sql:2: sql outside");
}

static void test_bad_markers(void **state)
{
	(void)state;
	expect_error("-- revision: a\n-- +upgrade\nSELECT 1;\n"
		     "-- +downgrade mysql\n",
		     "m.sql:4: unknown dialect 'mysql'");
	expect_error("-- revision: a\n-- +upgrade sqlite postgresql\n",
		     "m.sql:2: unknown dialect 'sqlite postgresql'");
	/* a typo must not turn the downgrade into part of the upgrade */
	expect_error("-- revision: a\n-- +upgrade\nSELECT 1;\n-- +downgarde\n"
		     "DROP TABLE t;\n",
		     "m.sql:4: unknown section marker '+downgarde'");
	expect_error("-- revision: a\n-- +upgrade_sqlite\n",
		     "m.sql:2: unknown section marker '+upgrade_sqlite'");
	expect_error("-- revision: a\n-- +upgrade;\n",
		     "m.sql:2: malformed section marker");
}

static void test_missing_revision(void **state)
{
	hr_migration *m = (hr_migration *)&m;
	hr_error err = {0};

	(void)state;
	expect_error("", "m.sql: missing revision");
	expect_error("-- message: no id\n-- +upgrade\nSELECT 1;\n",
		     "m.sql: missing revision");
	/* the revision line inside a section is SQL, not a header */
	expect_error("-- +upgrade\n-- revision: a\n", "missing revision");
	expect_error("-- revision:\n", "m.sql:1: invalid revision id ''");
	assert_int_equal(hr_migration_parse("m.sql", NULL, 0, &m, &err),
			 -HR_INVALID_ARGUMENT);
	assert_null(m);
}

static void test_revision_ids(void **state)
{
	char id32[] = "0123456789abcdefABCDEF_012345678";
	char text[128];
	hr_migration *m;

	(void)state;
	assert_int_equal(strlen(id32), 32);
	assert_true(hr_revision_id_valid(id32));
	assert_true(hr_revision_id_valid("a"));
	assert_false(hr_revision_id_valid(""));
	assert_false(hr_revision_id_valid(NULL));
	assert_false(hr_revision_id_valid("0123456789abcdefABCDEF_0123456789"));
	assert_false(hr_revision_id_valid("ab-cd"));
	assert_false(hr_revision_id_valid("ab@cd"));
	assert_false(hr_revision_id_valid("ab cd"));
	assert_false(hr_revision_id_valid("\xc3\xa9"));

	snprintf(text, sizeof text, "-- revision: %s\n", id32);
	m = fx_parse("a.sql", text);
	assert_string_equal(m->revision, id32);
	hr_migration_free(m);
	expect_error("-- revision: 0123456789abcdefABCDEF_0123456789\n",
		     "m.sql:1: invalid revision id "
		     "'0123456789abcdefABCDEF_0123456789'");
	expect_error("-- revision: ab+1\n",
		     "m.sql:1: invalid revision id 'ab+1'");
	expect_error("-- revision: a b\n", "invalid revision id 'a b'");
	expect_error("-- revision: a\n-- branch_labels: x@y\n",
		     "m.sql:2: invalid id 'x@y' in branch_labels");
	/* the target keywords can name neither a revision nor a branch */
	expect_error("-- revision: head\n",
		     "m.sql:1: 'head' is a target keyword and cannot be a "
		     "revision id");
	expect_error("-- revision: current\n", "'current' is a target keyword");
	expect_error("-- revision: a\n-- branch_labels: x, base\n",
		     "m.sql:2: 'base' is a target keyword and cannot be a "
		     "branch label");
	assert_true(hr_revision_name_reserved("heads"));
	assert_false(hr_revision_name_reserved("header"));
	assert_false(hr_revision_name_reserved(NULL));
	m = fx_parse("a.sql", "-- revision: heads_up\n-- branch_labels: Head\n");
	assert_string_equal(m->branch_labels[0], "Head");
	hr_migration_free(m);
}

static void test_nul_byte_is_binary(void **state)
{
	static const char text[] = "-- revision: a\n-- +upgrade\nSEL\0ECT;\n";
	hr_migration *m = (hr_migration *)&m;
	hr_error err = {0};

	(void)state;
	assert_int_equal(hr_migration_parse("m.sql", text, sizeof text - 1,
					    &m, &err),
			 -HR_INVALID_ARGUMENT);
	assert_null(m);
	assert_msg_contains(err, "m.sql:3: binary");
}

/* Header fields travel as protobuf strings and JSON: the file must be
 * UTF-8, and a bad byte is named with its line. */
static void test_invalid_utf8_is_refused(void **state)
{
	static const char *const bad[] = {
		"-- revision: a\n-- message: caf\xe9\n",       /* latin-1 */
		"-- revision: a\n-- message: \xc0\xaf\n",      /* overlong */
		"-- revision: a\n-- message: \xed\xa0\x80\n", /* surrogate */
		"-- revision: a\n-- message: \xf4\x90\x80\x80\n", /* > U+10FFFF */
		"-- revision: a\n-- message: \xe2\x82\n",      /* cut short */
	};
	hr_migration *m;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		expect_error(bad[i], "m.sql:2: invalid utf-8");
	m = fx_parse("ok.sql", "-- revision: a\n-- message: caf\xc3\xa9 "
			       "\xe2\x82\xac \xf0\x9f\x97\x84\n");
	assert_string_equal(m->message, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x97\x84");
	hr_migration_free(m);
	/* in the sql too: it is sent to servers that expect utf-8 */
	expect_error("-- revision: a\n-- +upgrade\n\nSELECT '\xff';\n",
		     "m.sql:4: invalid utf-8");
}

/* A bad byte is found, on its line, at any offset (the check reads
 * eight bytes at a time where it can); a good sequence passes at any. */
static void test_text_check_at_every_offset(void **state)
{
	char text[40], want[32];
	hr_error err = {0};

	(void)state;
	for (size_t at = 0; at + 3 < sizeof text; at++) {
		for (size_t k = 0; k < sizeof text; k++)
			text[k] = k % 7 == 6 ? '\n' : 'x';
		int line = 1;
		for (size_t k = 0; k < at; k++)
			line += text[k] == '\n';
		snprintf(want, sizeof want, "t.sql:%d: invalid utf-8", line);
		text[at] = (char)0xff;
		assert_int_equal(hr_migration_check_text("t.sql", text,
							 sizeof text, "sql",
							 &err),
				 -HR_INVALID_ARGUMENT);
		assert_msg_contains(err, want);
		text[at] = '\0';
		snprintf(want, sizeof want, "t.sql:%d: binary", line);
		assert_int_equal(hr_migration_check_text("t.sql", text,
							 sizeof text, "sql",
							 &err),
				 -HR_INVALID_ARGUMENT);
		assert_msg_contains(err, want);
		memcpy(text + at, "\xe2\x82\xac", 3); /* the euro sign */
		assert_int_equal(hr_migration_check_text("t.sql", text,
							 sizeof text, "sql",
							 &err),
				 0);
	}
}

/*
 * Every prefix of a valid file, each in a heap buffer of exactly that
 * size (so ASan sees any read past len), parses or fails cleanly.
 */
static void test_truncated_input(void **state)
{
	static const char text[] = "-- revision: abc123\r\n"
				   "-- down_revision: a, b\n"
				   "-- branch_labels: x\n"
				   "-- transactional: no\n"
				   "-- +upgrade sqlite\r\n"
				   "CREATE TABLE t (x INT);\n"
				   "-- +downgrade\n"
				   "DROP TABLE t;\n";
	size_t len, ok = 0, header_only = strlen("-- revision: abc123\r\n");

	(void)state;
	for (len = 0; len < sizeof text; len++) {
		char *buf = malloc(len ? len : 1);
		hr_migration *m = NULL;
		hr_error err = {0};
		int rc;

		assert_non_null(buf);
		memcpy(buf, text, len);
		rc = hr_migration_parse("t.sql", buf, len, &m, &err);
		if (rc == 0) {
			ok++;
			/* a cut inside the id leaves a shorter valid id */
			assert_true(m->revision[0] != '\0');
			assert_memory_equal(m->revision, "abc123",
					    strlen(m->revision));
			if (len == header_only)
				assert_int_equal(m->n_sections, 0);
			if (len == sizeof text - 1)
				assert_int_equal(m->n_sections, 2);
			hr_migration_free(m);
		} else {
			/* e.g. "-- +upgr" is a bad marker, "-" is sql */
			assert_null(m);
			assert_int_equal(strncmp(err.msg, "t.sql", 5), 0);
			assert_true(len != header_only &&
				    len != sizeof text - 1);
		}
		free(buf);
	}
	assert_true(ok > 0);
}

/* Write text to the new file dir/name; returns its path. */
static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	FILE *f;

	assert_non_null(path);
	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_load(void **state)
{
	char dir[] = "/tmp/hr_test_migration_XXXXXX";
	hr_migration *m = NULL;
	hr_error err = {0};
	char *good, *big, *missing;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	good = write_file(dir, "a.sql", "-- revision: abc\n-- +upgrade\n"
					"SELECT 1;\n");
	assert_int_equal(hr_migration_load(good, &m, &err), 0);
	assert_string_equal(m->revision, "abc");
	assert_string_equal(m->path, good);
	assert_string_equal(m->checksum, "8d0c84b4c8088bdffdcd991218074026"
					 "b6cf7fd12975010e5fa16d24c6e7422d");
	hr_migration_free(m);

	big = write_file(dir, "big.sql", "-- revision: big\n");
	fd = open(big, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, HR_MIGRATION_FILE_MAX + 1), 0);
	close(fd);
	m = (hr_migration *)&m;
	assert_int_equal(hr_migration_load(big, &m, &err),
			 -HR_INVALID_ARGUMENT);
	assert_null(m);
	assert_msg_contains(err, "big.sql: file is larger than 16777216");

	missing = write_file(dir, "gone.sql", "");
	unlink(missing);
	assert_int_equal(hr_migration_load(missing, &m, &err), -HR_NOT_FOUND);
	assert_msg_contains(err, "gone.sql: cannot read");

	assert_int_equal(hr_migration_load(dir, &m, &err),
			 -HR_INVALID_ARGUMENT);
	assert_msg_contains(err, "not a regular file");

	unlink(good);
	unlink(big);
	rmdir(dir);
	free(good);
	free(big);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_header_fields),
		cmocka_unit_test(test_defaults_and_base),
		cmocka_unit_test(test_transactional_values),
		cmocka_unit_test(test_foreign_keys_values),
		cmocka_unit_test(test_merge_list_separators),
		cmocka_unit_test(test_sections_and_dialects),
		cmocka_unit_test(test_marker_at_eof_and_empty_merge),
		cmocka_unit_test(test_checksum_is_sha256_with_crlf_as_lf),
		cmocka_unit_test(test_lone_cr_is_hashed),
		cmocka_unit_test(test_utf8_bom_is_skipped),
		cmocka_unit_test(test_unknown_key_names_line),
		cmocka_unit_test(test_repeated_key),
		cmocka_unit_test(test_sql_outside_section),
		cmocka_unit_test(test_bad_markers),
		cmocka_unit_test(test_missing_revision),
		cmocka_unit_test(test_revision_ids),
		cmocka_unit_test(test_nul_byte_is_binary),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_text_check_at_every_offset),
		cmocka_unit_test(test_truncated_input),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
