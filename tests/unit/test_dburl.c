/* test_dburl.c — database URL parsing and password redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dburl.h"

static void sqlite_relative(void **state)
{
	hr_dburl u;

	(void)state;
	assert_int_equal(hr_dburl_parse("sqlite:///./homerack.db", &u, NULL), 0);
	assert_int_equal(u.kind, HR_DB_SQLITE);
	assert_string_equal(u.sqlite_path, "./homerack.db");
	assert_string_equal(u.redacted, "sqlite:///./homerack.db");
	hr_dburl_free(&u);
}

static void sqlite_absolute_and_memory(void **state)
{
	hr_dburl u;

	(void)state;
	assert_int_equal(hr_dburl_parse("sqlite:////var/lib/hr.db", &u, NULL), 0);
	assert_string_equal(u.sqlite_path, "/var/lib/hr.db");
	hr_dburl_free(&u);
	assert_int_equal(hr_dburl_parse("sqlite://", &u, NULL), 0);
	assert_string_equal(u.sqlite_path, ":memory:");
	hr_dburl_free(&u);
	assert_int_equal(hr_dburl_parse("sqlite:///:memory:", &u, NULL), 0);
	assert_string_equal(u.sqlite_path, ":memory:");
	hr_dburl_free(&u);
}

static void sqlite_errors(void **state)
{
	hr_dburl u;
	hr_error err;

	(void)state;
	assert_int_equal(hr_dburl_parse("sqlite://relative.db", &u, &err),
			 -HR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "sqlite:///relative.db"));
	assert_int_equal(hr_dburl_parse("sqlite:///", &u, &err),
			 -HR_INVALID_ARGUMENT);
	assert_int_equal(hr_dburl_parse("sqlite:///x.db?mode=ro", &u, &err),
			 -HR_INVALID_ARGUMENT);
	assert_int_equal(hr_dburl_parse("homerack.db", &u, &err),
			 -HR_INVALID_ARGUMENT);
	assert_int_equal(hr_dburl_parse("", &u, &err), -HR_INVALID_ARGUMENT);
	assert_null(u.redacted); /* nothing leaks on failure */
}

static void postgres_forms(void **state)
{
	hr_dburl u;

	(void)state;
	assert_int_equal(hr_dburl_parse("postgresql://hr:pw@db:5432/homerack",
					&u, NULL),
			 0);
	assert_int_equal(u.kind, HR_DB_POSTGRES);
	assert_string_equal(u.conninfo, "postgresql://hr:pw@db:5432/homerack");
	assert_string_equal(u.redacted, "postgresql://hr:***@db:5432/homerack");
	hr_dburl_free(&u);
	/* postgres:// and SQLAlchemy's +driver become libpq's scheme. */
	assert_int_equal(hr_dburl_parse("postgres://hr@/homerack?host=/run/pg",
					&u, NULL),
			 0);
	assert_string_equal(u.conninfo, "postgresql://hr@/homerack?host=/run/pg");
	hr_dburl_free(&u);
	assert_int_equal(hr_dburl_parse("postgresql+psycopg2://a:b@h/d", &u,
					NULL),
			 0);
	assert_string_equal(u.conninfo, "postgresql://a:b@h/d");
	assert_string_equal(u.redacted, "postgresql+psycopg2://a:***@h/d");
	hr_dburl_free(&u);
}

static void unknown_scheme_hides_password(void **state)
{
	hr_dburl u;
	hr_error err;

	(void)state;
	assert_int_equal(hr_dburl_parse("mysql://root:hunter2@h/db", &u, &err),
			 -HR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "unsupported scheme 'mysql'"));
	assert_null(strstr(err.msg, "hunter2"));
}

static void redaction(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"postgresql://u:secret@h/db", "postgresql://u:***@h/db"},
		{"postgresql://u@h/db", "postgresql://u@h/db"},
		{"postgresql://u:@h/db", "postgresql://u:***@h/db"},
		/* a raw '@' in the password: the last '@' ends userinfo */
		{"postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"},
		{"postgresql://h/db?password=secret&sslmode=require",
		 "postgresql://h/db?password=***&sslmode=require"},
		{"postgresql://u:a@h/db?sslmode=disable&password=b",
		 "postgresql://u:***@h/db?sslmode=disable&password=***"},
		{"host=h password=secret dbname=x", "host=h password=*** dbname=x"},
		{"postgresql://h/db?xpassword=keep", "postgresql://h/db?xpassword=keep"},
		{"sqlite:///./a.db", "sqlite:///./a.db"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = hr_dburl_redact(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sqlite_relative),
		cmocka_unit_test(sqlite_absolute_and_memory),
		cmocka_unit_test(sqlite_errors),
		cmocka_unit_test(postgres_forms),
		cmocka_unit_test(unknown_scheme_hides_password),
		cmocka_unit_test(redaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
