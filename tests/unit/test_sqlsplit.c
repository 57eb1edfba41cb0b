/* test_sqlsplit.c — cutting PostgreSQL scripts into statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sqlsplit.h"

/* The statements of sql, each as its own string, "|"-joined. */
static char *split(const char *sql)
{
	static char out[4096];
	const char *pos = sql;
	hr_sql_stmt st;
	size_t n = 0;

	out[0] = '\0';
	while (hr_sql_next(&pos, &st)) {
		assert_true(n + st.len + 2 < sizeof out);
		if (n > 0)
			out[n++] = '|';
		memcpy(out + n, st.start, st.len);
		n += st.len;
		out[n] = '\0';
	}
	assert_int_equal(*pos, '\0');
	return out;
}

static void plain_statements(void **state)
{
	(void)state;
	assert_string_equal(split("SELECT 1; SELECT 2;"), "SELECT 1|SELECT 2");
	assert_string_equal(split("SELECT 1"), "SELECT 1");
	assert_string_equal(split("\n  SELECT 1 ;\n\n"), "SELECT 1 ");
	assert_string_equal(split(""), "");
	assert_string_equal(split(" ;; \n ; "), "");
}

static void comments(void **state)
{
	(void)state;
	assert_string_equal(split("-- a; b\nSELECT 1; -- c; d\n"), "SELECT 1");
	assert_string_equal(split("/* a; /* nested; */ still; */ SELECT 1;"),
			    "SELECT 1");
	assert_string_equal(split("SELECT /* ; */ 1; SELECT 2 -- ;\n;"),
			    "SELECT /* ; */ 1|SELECT 2 -- ;\n");
	/* Unterminated: the rest is one statement, for the server to judge. */
	assert_string_equal(split("SELECT 1 /* ; open"), "SELECT 1 /* ; open");
}

static void strings_and_identifiers(void **state)
{
	(void)state;
	assert_string_equal(split("SELECT 'a;b', 'it''s;'; SELECT 2"),
			    "SELECT 'a;b', 'it''s;'|SELECT 2");
	assert_string_equal(split("SELECT E'it\\'s; here'; SELECT 2"),
			    "SELECT E'it\\'s; here'|SELECT 2");
	/* Without the E a backslash is an ordinary character. */
	assert_string_equal(split("SELECT 'a\\'; SELECT 2"),
			    "SELECT 'a\\'|SELECT 2");
	assert_string_equal(split("CREATE TABLE \"odd;name\" (\"x\"\"y;\" int);"),
			    "CREATE TABLE \"odd;name\" (\"x\"\"y;\" int)");
	/* A word ending in e is not an E'' prefix. */
	assert_string_equal(split("SELECT name'x\\'; SELECT 2"),
			    "SELECT name'x\\'|SELECT 2");
}

static void dollar_quotes(void **state)
{
	(void)state;
	assert_string_equal(split("DO $$ BEGIN PERFORM 1; END $$; SELECT 2"),
			    "DO $$ BEGIN PERFORM 1; END $$|SELECT 2");
	assert_string_equal(split("SELECT $tag$a;$$;b$tag$; SELECT 2"),
			    "SELECT $tag$a;$$;b$tag$|SELECT 2");
	/* $1 is a parameter and a$b an identifier, not quotes. */
	assert_string_equal(split("PREPARE p AS SELECT $1; SELECT a$b; SELECT 3"),
			    "PREPARE p AS SELECT $1|SELECT a$b|SELECT 3");
}

static void routine_bodies(void **state)
{
	(void)state;
	assert_string_equal(
		split("CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
		      "BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;"
		      "SELECT 3"),
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
		"BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END|"
		"SELECT 3");
	assert_string_equal(
		split("create or replace procedure p() begin atomic insert into t "
		      "values (1); end; select 2"),
		"create or replace procedure p() begin atomic insert into t "
		"values (1); end|select 2");
	/* BEGIN outside a routine is a statement of its own. */
	assert_string_equal(split("BEGIN; SELECT 1; END;"), "BEGIN|SELECT 1|END");
	/* Parentheses hold semicolons only inside a routine's text anyway,
	 * but never end a statement inside them. */
	assert_string_equal(split("SELECT (1;2); SELECT 3"), "SELECT (1;2)|SELECT 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_statements),
		cmocka_unit_test(comments),
		cmocka_unit_test(strings_and_identifiers),
		cmocka_unit_test(dollar_quotes),
		cmocka_unit_test(routine_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
