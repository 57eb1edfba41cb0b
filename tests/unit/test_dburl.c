/* test_dburl.c — database URL parsing and password redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dburl.h"
#include "pgpassword.h"

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
		/* where libpq and RFC 3986 disagree, both readings hide */
		{"postgresql://hr:Pw?h5Secr3t@/db?host=/run/pg",
		 "postgresql://hr:***@/db?host=/run/pg"},
		{"postgresql://u:Zq9/Wx7@h/db", "postgresql://u:***@h/db"},
		{"postgresql://u:Zq9#Wx7@h/db", "postgresql://u:***@h/db"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db"},
		/* libpq decodes keys: pass%77ord is password */
		{"postgresql://h/db?pass%77ord=sec&x=1",
		 "postgresql://h/db?pass%77ord=***&x=1"},
		{"postgresql://h/db?%70assword=sec", "postgresql://h/db?%70assword=***"},
		/* given twice: both hide (libpq uses the last) */
		{"postgresql://h/db?password=a1&password=b2",
		 "postgresql://h/db?password=***&password=***"},
		{"postgresql://u:a1@h/db?password=b2",
		 "postgresql://u:***@h/db?password=***"},
		{"postgresql://h/db?password=", "postgresql://h/db?password=***"},
		{"host=h password=a1 password = 'b2 c3' dbname=x",
		 "host=h password=*** password = '***' dbname=x"},
		{"password='it\\'s' host=h", "password='***' host=h"},
		{"password=a\\ b host=h", "password=*** host=h"},
		/* an '@' in a query value is not user info */
		{"postgresql://h:5432/db?application_name=x@y",
		 "postgresql://h:5432/db?application_name=x@y"},
		{"postgresql://user@h/db", "postgresql://user@h/db"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = hr_dburl_redact(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

/* Every password as spelled and decoded, for scrubbing messages. */
static void secrets(void **state)
{
	hr_strlist l = {0};

	(void)state;
	assert_int_equal(hr_dburl_secrets("postgresql://u:p%40ss@h/db?password=b2&"
					  "password=c3", &l),
			 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.items[0], "p%40ss");
	assert_string_equal(l.items[1], "p@ss");
	assert_string_equal(l.items[2], "b2");
	assert_string_equal(l.items[3], "c3");
	hr_strlist_free(&l);
}

/* With libpq's own parser the redactor also hides every other spelling
 * of what libpq reads as the password (when libpq is installed). */
static void redaction_with_libpq(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"postgresql://u:Zq9Wx7@h/Zq9Wx7", "postgresql://u:***@h/***"},
		{"postgresql://u:Zq9Wx7@h/db?application_name=Zq9%57x7",
		 "postgresql://u:***@h/db?application_name=***"},
		{"postgresql+psycopg2://u:Zq9Wx7@h/Zq9Wx7",
		 "postgresql+psycopg2://u:***@h/***"},
		{"host=h password=Zq9Wx7 dbname=Zq9Wx7",
		 "host=h password=*** dbname=***"},
		{"postgresql://hr:Pw?h5Secr3t@/db?host=/run/pg",
		 "postgresql://hr:***@/db?host=/run/pg"},
		{"postgresql://h/db?password=a1&password=b2",
		 "postgresql://h/db?password=***&password=***"},
		{"sqlite:///./Zq9Wx7.db", "sqlite:///./Zq9Wx7.db"},
	};
	hr_strlist l = {0};

	(void)state;
	if (hr_pg_passwords("postgresql://u:Zq9Wx7@h/db", &l) < 0)
		skip(); /* libpq5 not installed: hrd then has no postgresql */
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0], "Zq9Wx7");
	hr_strlist_free(&l);
	hr_dburl_set_password_parser(hr_pg_passwords);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = hr_dburl_redact(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
	hr_dburl_set_password_parser(NULL);
}

/* URLs libpq would read differently from their writer are refused, and
 * the message shows none of the password's pieces. */
static void ambiguous_passwords_refused(void **state)
{
	static const struct {
		const char *url, *why;
	} cases[] = {
		{"postgresql://u:Zq9@Wx7@h/db", "a raw '@' or '/'"},
		{"postgresql://u:Zq9/Wx7@h/db", "a raw '@' or '/'"},
		{"postgresql://u:Zq9#Wx7@h/db", "fragments are not allowed"},
	};
	hr_dburl u;
	hr_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(hr_dburl_parse(cases[i].url, &u, &err),
				 -HR_INVALID_ARGUMENT);
		assert_non_null(strstr(err.msg, cases[i].why));
		assert_non_null(strstr(err.msg, "postgresql://u:***@h/db"));
		assert_null(strstr(err.msg, "Zq9"));
		assert_null(strstr(err.msg, "Wx7"));
	}
	/* a raw '?' is one reading only, and libpq connects with it */
	assert_int_equal(hr_dburl_parse("postgresql://hr:Pw?h5Secr3t@/db?host=/run/pg",
					&u, &err),
			 0);
	assert_string_equal(u.redacted, "postgresql://hr:***@/db?host=/run/pg");
	hr_dburl_free(&u);
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
		cmocka_unit_test(secrets),
		cmocka_unit_test(redaction_with_libpq),
		cmocka_unit_test(ambiguous_passwords_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
