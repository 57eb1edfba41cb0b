/* test_plan.c — target resolution, step order and version-row changes. */
#include "engine_fixtures.h"

#include "plan.h"

#define MAX_ROWS 16

/* Split "a b" into ids (pointing into buf); returns how many. */
static size_t split_rows(const char *rows, char *buf, size_t cap,
			 const char **ids)
{
	char *save = NULL, *id;
	size_t n = 0;

	snprintf(buf, cap, "%s", rows);
	for (id = strtok_r(buf, " ", &save); id != NULL && n < MAX_ROWS;
	     id = strtok_r(NULL, " ", &save))
		ids[n++] = id;
	return n;
}

/*
 * A plan as text: each step is `rev[vops]` with vops `+x` (insert),
 * `x>y` (update) and `-x` (delete), then `=> ` and the final rows, e.g.
 * "a[+a] b[a>b] => b".
 */
static const char *describe(const hr_plan *plan, char *buf, size_t cap)
{
	size_t i, j, used = 0;

	buf[0] = '\0';
	for (i = 0; i < plan->n_steps; i++) {
		const hr_plan_step *s = &plan->steps[i];

		used += (size_t)snprintf(buf + used, cap - used, "%s[",
					 s->migration->revision);
		for (j = 0; j < s->n_vops; j++) {
			const hr_vop *v = &s->vops[j];
			const char *sep = j ? " " : "";

			if (v->kind == HR_VOP_INSERT)
				used += (size_t)snprintf(buf + used, cap - used,
							 "%s+%s", sep, v->to);
			else if (v->kind == HR_VOP_UPDATE)
				used += (size_t)snprintf(buf + used, cap - used,
							 "%s%s>%s", sep,
							 v->from, v->to);
			else
				used += (size_t)snprintf(buf + used, cap - used,
							 "%s-%s", sep, v->from);
		}
		used += (size_t)snprintf(buf + used, cap - used, "] ");
	}
	used += (size_t)snprintf(buf + used, cap - used, "=>");
	for (i = 0; i < plan->n_final_heads; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i ? "," : " ", plan->final_heads[i]);
	return buf;
}

/* Plan dir from rows to target; it must succeed and read as expected. */
static void expect_plan(const hr_revmap *map, hr_direction dir,
			const char *rows, const char *target,
			const char *expected)
{
	char rows_buf[256], text[4096];
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids), i;
	hr_plan plan;
	hr_error err = {0};

	if (hr_plan_build(map, dir, ids, n, target, &plan, &err) != 0)
		fail_msg("plan %s from '%s': %s", target, rows, err.msg);
	for (i = 0; i < plan.n_steps; i++) {
		size_t j;

		assert_int_equal(plan.steps[i].direction, dir);
		/* vops point into the map, not into the caller's rows */
		for (j = 0; j < plan.steps[i].n_vops; j++) {
			const hr_vop *v = &plan.steps[i].vops[j];
			const char *id = v->to != NULL ? v->to : v->from;

			assert_ptr_equal(id, hr_revmap_get(map, id)->revision);
		}
	}
	describe(&plan, text, sizeof text);
	hr_plan_free(&plan);
	assert_string_equal(text, expected);
}

static void expect_stamp(const hr_revmap *map, const char *rows,
			 const char *target, const char *expected)
{
	char rows_buf[256], text[4096];
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids);
	hr_plan plan;
	hr_error err = {0};

	if (hr_plan_stamp(map, ids, n, target, &plan, &err) != 0)
		fail_msg("stamp %s from '%s': %s", target, rows, err.msg);
	describe(&plan, text, sizeof text);
	hr_plan_free(&plan);
	assert_string_equal(text, expected);
}

/* The plan must fail with code and a message containing needle, and
 * leave the plan zeroed. dir 0 means stamp. */
static void expect_fail(const hr_revmap *map, hr_direction dir,
			const char *rows, const char *target, hr_code code,
			const char *needle)
{
	static const hr_plan zero;
	char rows_buf[256];
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids);
	hr_plan plan;
	hr_error err = {0};
	int rc;

	memset(&plan, 0xa5, sizeof plan);
	if (dir == 0)
		rc = hr_plan_stamp(map, ids, n, target, &plan, &err);
	else
		rc = hr_plan_build(map, dir, ids, n, target, &plan, &err);
	if (rc != -(int)code)
		fail_msg("target '%s' from '%s': rc %d, want %d (%s)", target,
			 rows, rc, -(int)code, err.msg);
	assert_int_equal(err.code, code);
	assert_msg_contains(err, needle);
	assert_memory_equal(&plan, &zero, sizeof plan);
}

#define UP HR_UPGRADE
#define DOWN HR_DOWNGRADE
#define STAMP 0

static void test_upgrade_chain(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:c");

	(void)state;
	expect_plan(map, UP, "", "head",
		    "a[+a] b[a>b] c[b>c] d[c>d] => d");
	expect_plan(map, UP, "b", "head", "c[b>c] d[c>d] => d");
	expect_plan(map, UP, "b", "heads", "c[b>c] d[c>d] => d");
	expect_plan(map, UP, "", "c", "a[+a] b[a>b] c[b>c] => c");
	expect_plan(map, UP, "a", "c", "b[a>b] c[b>c] => c");
	hr_revmap_free(map);
}

static void test_upgrade_already_applied(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:c");

	(void)state;
	expect_plan(map, UP, "d", "head", "=> d");
	expect_plan(map, UP, "d", "b", "=> d");
	expect_plan(map, UP, "d", "current", "=> d");
	expect_plan(map, UP, "b", "base", "=> b");
	expect_plan(map, UP, "", "base", "=>");
	hr_revmap_free(map);
}

static void test_downgrade_chain(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:c");

	(void)state;
	expect_plan(map, DOWN, "d", "base", "d[d>c] c[c>b] b[b>a] a[-a] =>");
	expect_plan(map, DOWN, "d", "-1", "d[d>c] => c");
	expect_plan(map, DOWN, "d", "-4", "d[d>c] c[c>b] b[b>a] a[-a] =>");
	expect_plan(map, DOWN, "d", "b", "d[d>c] c[c>b] => b");
	expect_plan(map, DOWN, "c", "c", "=> c");
	expect_plan(map, DOWN, "", "base", "=>");
	expect_fail(map, DOWN, "d", "-5", HR_FAILED_PRECONDITION,
		    "relative target '-5' goes below base (only 4 applied)");
	expect_fail(map, DOWN, "b", "-3", HR_FAILED_PRECONDITION,
		    "goes below base (only 2 applied)");
	expect_fail(map, DOWN, "", "-1", HR_FAILED_PRECONDITION,
		    "goes below base (only 0 applied)");
	expect_fail(map, DOWN, "b", "c", HR_FAILED_PRECONDITION,
		    "revision c is not applied; cannot downgrade to it");
	expect_fail(map, DOWN, "", "a", HR_FAILED_PRECONDITION,
		    "revision a is not applied");
	hr_revmap_free(map);
}

static void test_relative_upgrade(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:c");

	(void)state;
	expect_plan(map, UP, "", "+1", "a[+a] => a");
	expect_plan(map, UP, "", "+2", "a[+a] b[a>b] => b");
	expect_plan(map, UP, "b", "+2", "c[b>c] d[c>d] => d");
	expect_fail(map, UP, "b", "+3", HR_FAILED_PRECONDITION,
		    "relative target '+3' goes beyond head (only 2 revisions "
		    "above b)");
	expect_fail(map, UP, "d", "+1", HR_FAILED_PRECONDITION,
		    "goes beyond head (only 0 revisions above d)");
	expect_fail(map, UP, "", "+5", HR_FAILED_PRECONDITION,
		    "(only 4 revisions above base)");
	/* REV+N and REV-N count from REV, in either direction */
	expect_plan(map, UP, "", "b+1", "a[+a] b[a>b] c[b>c] => c");
	expect_plan(map, UP, "", "d-2", "a[+a] b[a>b] => b");
	expect_plan(map, UP, "a", "head-1", "b[a>b] c[b>c] => c");
	expect_plan(map, DOWN, "d", "d-2", "d[d>c] c[c>b] => b");
	expect_plan(map, DOWN, "d", "a+1", "d[d>c] c[c>b] => b");
	expect_plan(map, DOWN, "d", "b-2", "d[d>c] c[c>b] b[b>a] a[-a] =>");
	expect_fail(map, DOWN, "d", "b-3", HR_FAILED_PRECONDITION,
		    "relative target 'b-3' goes below base (only 2 revisions "
		    "at or below b)");
	expect_fail(map, UP, "", "c+2", HR_FAILED_PRECONDITION,
		    "goes beyond head (only 1 revisions above c)");
	hr_revmap_free(map);
}

static void test_bad_targets(void **state)
{
	static const char *const garbage[] = {
		"",    " ",     "head ",  " head", "+0",    "-0",   "+x",
		"a+",  "+1x",   "+-1",    "++1",   "a+1+1", "a b",  "a@b",
		"@head", "a@heads", "1.5", "+1.5", "head\n", "\x01",
		"+9999999999999999999999", "-2147483648",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	hr_revmap *map = fx_map_ok("a b:a");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		expect_fail(map, UP, "a", garbage[i], HR_INVALID_ARGUMENT,
			    "");
		expect_fail(map, STAMP, "a", garbage[i], HR_INVALID_ARGUMENT,
			    "");
	}
	expect_fail(map, UP, "a", "", HR_INVALID_ARGUMENT,
		    "empty revision target");
	expect_fail(map, UP, "a", "a b", HR_INVALID_ARGUMENT,
		    "invalid revision target 'a?b'");
	expect_fail(map, UP, "a", "+0", HR_INVALID_ARGUMENT,
		    "relative target '+0' needs a count from 1");
	expect_fail(map, UP, "", NULL, HR_INVALID_ARGUMENT,
		    "empty revision target");
	expect_fail(map, UP, "a", "-1", HR_INVALID_ARGUMENT,
		    "relative target '-1' is for downgrade");
	expect_fail(map, DOWN, "b", "+1", HR_INVALID_ARGUMENT,
		    "relative target '+1' is for upgrade");
	expect_fail(map, UP, "a", "base+1", HR_INVALID_ARGUMENT,
		    "must count from a revision or 'head'");
	expect_fail(map, DOWN, "b", "zzz", HR_NOT_FOUND,
		    "no such revision 'zzz'");
	expect_fail(map, UP, "", "zzz+1", HR_NOT_FOUND,
		    "no such revision 'zzz'");
	expect_fail(map, (hr_direction)7, "", "head", HR_INVALID_ARGUMENT,
		    "direction");
	hr_revmap_free(map);
}

static void test_prefixes(void **state)
{
	hr_revmap *map = fx_map_ok("ab12 ab34:ab12 c9:ab34");

	(void)state;
	expect_plan(map, UP, "", "ab3", "ab12[+ab12] ab34[ab12>ab34] => ab34");
	expect_plan(map, DOWN, "c9", "ab1",
		    "c9[c9>ab34] ab34[ab34>ab12] => ab12");
	expect_fail(map, UP, "", "ab", HR_INVALID_ARGUMENT,
		    "revision prefix 'ab' is ambiguous: ab12, ab34");
	expect_fail(map, UP, "", "ab+1", HR_INVALID_ARGUMENT,
		    "ambiguous: ab12, ab34");
	hr_revmap_free(map);
}

static void test_unknown_current_row(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a");

	(void)state;
	expect_fail(map, UP, "a gone", "head", HR_NOT_FOUND,
		    "current revision 'gone' is not in the migrations "
		    "directory");
	expect_fail(map, DOWN, "gone", "base", HR_NOT_FOUND, "'gone'");
	/* stamp needs the rows only to count from them */
	expect_stamp(map, "gone", "head", "=> b");
	expect_stamp(map, "gone", "base", "=>");
	expect_fail(map, STAMP, "gone", "-1", HR_NOT_FOUND, "'gone'");
	expect_fail(map, STAMP, "gone", "current", HR_NOT_FOUND, "'gone'");
	hr_revmap_free(map);
}

/* a - b - c, and d branching off a. */
static void test_branches(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:a");

	(void)state;
	expect_fail(map, UP, "", "head", HR_FAILED_PRECONDITION,
		    "target 'head' is ambiguous: there are several heads "
		    "(c, d); use 'heads' or name a revision");
	expect_fail(map, UP, "", "head+1", HR_FAILED_PRECONDITION,
		    "several heads (c, d)");
	expect_plan(map, UP, "", "heads", "a[+a] b[a>b] c[b>c] d[+d] => c,d");
	/* a branch off a revision below the current row gets its own row */
	expect_plan(map, UP, "c", "d", "d[+d] => c,d");
	expect_plan(map, UP, "d", "c", "b[+b] c[b>c] => c,d");
	expect_plan(map, UP, "a", "d", "d[a>d] => d");
	expect_fail(map, UP, "a", "+1", HR_FAILED_PRECONDITION,
		    "relative target '+1' is ambiguous: a has several "
		    "children (b, d); name a revision instead");
	expect_fail(map, DOWN, "c d", "-1", HR_FAILED_PRECONDITION,
		    "relative target '-1' is ambiguous: there are several "
		    "current revisions (c, d)");
	expect_fail(map, UP, "c d", "+1", HR_FAILED_PRECONDITION,
		    "several current revisions (c, d)");
	/* downgrading one branch leaves the other alone */
	expect_plan(map, DOWN, "c d", "b", "c[c>b] => b,d");
	expect_plan(map, DOWN, "c d", "a", "d[-d] c[c>b] b[b>a] => a");
	expect_plan(map, DOWN, "c d", "base",
		    "d[-d] c[c>b] b[b>a] a[-a] =>");
	expect_plan(map, DOWN, "d", "-1", "d[d>a] => a");
	hr_revmap_free(map);
}

static void test_several_bases(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a x");

	(void)state;
	expect_fail(map, UP, "", "+1", HR_FAILED_PRECONDITION,
		    "relative target '+1' is ambiguous: there are several "
		    "bases (a, x)");
	expect_plan(map, UP, "", "heads", "a[+a] b[a>b] x[+x] => b,x");
	expect_plan(map, UP, "b", "x", "x[+x] => b,x");
	expect_plan(map, DOWN, "b x", "base", "x[-x] b[b>a] a[-a] =>");
	hr_revmap_free(map);
}

/* a, then b and c on two branches, merged by m. */
static void test_merge_rows(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a m:b,c n:m");

	(void)state;
	/* upgrading into a merge updates one row and deletes the other */
	expect_plan(map, UP, "b c", "m", "m[b>m -c] => m");
	expect_plan(map, UP, "", "m", "a[+a] b[a>b] c[+c] m[b>m -c] => m");
	expect_plan(map, UP, "b", "n", "c[+c] m[b>m -c] n[m>n] => n");
	/* a merge whose other parent is not applied yet */
	expect_plan(map, UP, "c", "m", "b[+b] m[b>m -c] => m");
	/* downgrading a merge updates one row and inserts the other */
	expect_plan(map, DOWN, "m", "b", "m[m>b +c] => b,c");
	/* b is not below c, so it stays */
	expect_plan(map, DOWN, "n", "c", "n[n>m] m[m>b +c] => b,c");
	expect_plan(map, DOWN, "m", "base",
		    "m[m>b +c] c[-c] b[b>a] a[-a] =>");
	expect_fail(map, DOWN, "m", "-1", HR_FAILED_PRECONDITION,
		    "relative target '-1' crosses merge point m");
	expect_plan(map, DOWN, "n", "-1", "n[n>m] => m");
	expect_fail(map, DOWN, "n", "-2", HR_FAILED_PRECONDITION,
		    "crosses merge point m");
	expect_plan(map, UP, "m", "+1", "n[m>n] => n");
	hr_revmap_free(map);
}

/* r's parent is b and it depends on x, a head of another branch. */
static void test_depends_on_rows(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a x r:b|x");

	(void)state;
	expect_plan(map, UP, "", "r", "a[+a] b[a>b] x[+x] r[b>r -x] => r");
	expect_plan(map, UP, "b", "r", "x[+x] r[b>r -x] => r");
	/* x comes back as a row, or the table would forget it is applied */
	expect_plan(map, DOWN, "r", "-1", "r[r>b +x] => b,x");
	expect_plan(map, DOWN, "r", "x", "r[r>b +x] => b,x");
	expect_plan(map, DOWN, "r", "a", "r[r>b +x] b[b>a] => a,x");
	expect_plan(map, DOWN, "r", "base", "r[r>b +x] x[-x] b[b>a] a[-a] =>");
	expect_plan(map, UP, "r", "heads", "=> r");
	hr_revmap_free(map);
}

static void test_stamp(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:a#side");

	(void)state;
	expect_stamp(map, "", "heads", "=> c,d");
	expect_stamp(map, "c d", "base", "=>");
	expect_stamp(map, "", "b", "=> b");
	expect_stamp(map, "", "+1", "=> a");
	expect_stamp(map, "b", "+1", "=> c");
	expect_stamp(map, "c", "-2", "=> a");
	expect_stamp(map, "a", "-1", "=>");
	expect_stamp(map, "c d", "current", "=> c,d");
	expect_stamp(map, "", "side@head", "=> d");
	expect_stamp(map, "", "b@head", "=> c");
	expect_fail(map, STAMP, "", "head", HR_FAILED_PRECONDITION,
		    "several heads (c, d)");
	expect_fail(map, STAMP, "", "a@head", HR_FAILED_PRECONDITION,
		    "branch 'a' has several heads (c, d)");
	expect_fail(map, STAMP, "", "nope@head", HR_NOT_FOUND,
		    "no branch label or revision 'nope'");
	expect_fail(map, STAMP, "c d", "+1", HR_FAILED_PRECONDITION,
		    "several current revisions (c, d)");
	expect_fail(map, STAMP, "", "zz", HR_NOT_FOUND, "no such revision");
	hr_revmap_free(map);

	map = fx_map_ok("a b:a");
	expect_stamp(map, "", "head", "=> b");
	expect_plan(map, UP, "", "b@head", "a[+a] b[a>b] => b");
	hr_revmap_free(map);
}

static void test_empty_map(void **state)
{
	hr_revmap *map = fx_map_ok("");

	(void)state;
	expect_plan(map, UP, "", "head", "=>");
	expect_plan(map, UP, "", "heads", "=>");
	expect_plan(map, DOWN, "", "base", "=>");
	expect_stamp(map, "", "head", "=>");
	expect_fail(map, UP, "", "+1", HR_FAILED_PRECONDITION,
		    "goes beyond head (only 0 revisions above base)");
	expect_fail(map, DOWN, "", "head-1", HR_FAILED_PRECONDITION,
		    "goes below base");
	hr_revmap_free(map);
}

static void test_free_zeroed_plan(void **state)
{
	hr_plan plan;

	(void)state;
	memset(&plan, 0, sizeof plan);
	hr_plan_free(&plan);
	hr_plan_free(&plan);
	hr_plan_free(NULL);
	assert_int_equal(plan.n_steps, 0);
}

/* A generated chain of 150 revisions, walked up and down. */
static void test_long_chain(void **state)
{
	char *spec = fx_chain_spec(150);
	hr_revmap *map = fx_map_ok(spec);
	const char *rows[] = {"r0100"};
	hr_plan plan;
	hr_error err = {0};
	size_t i;

	(void)state;
	assert_int_equal(hr_plan_build(map, UP, NULL, 0, "head", &plan, &err),
			 0);
	assert_int_equal(plan.n_steps, 150);
	assert_int_equal(plan.steps[0].vops[0].kind, HR_VOP_INSERT);
	for (i = 1; i < 150; i++) {
		char want[8];

		snprintf(want, sizeof want, "r%04zu", i);
		assert_string_equal(plan.steps[i].migration->revision, want);
		assert_int_equal(plan.steps[i].n_vops, 1);
		assert_int_equal(plan.steps[i].vops[0].kind, HR_VOP_UPDATE);
		assert_string_equal(plan.steps[i].vops[0].from,
				    plan.steps[i - 1].migration->revision);
		assert_string_equal(plan.steps[i].vops[0].to, want);
	}
	assert_int_equal(plan.n_final_heads, 1);
	assert_string_equal(plan.final_heads[0], "r0149");
	hr_plan_free(&plan);

	assert_int_equal(hr_plan_build(map, DOWN, rows, 1, "-75", &plan, &err),
			 0);
	assert_int_equal(plan.n_steps, 75);
	assert_string_equal(plan.steps[0].migration->revision, "r0100");
	assert_string_equal(plan.steps[74].migration->revision, "r0026");
	assert_string_equal(plan.final_heads[0], "r0025");
	hr_plan_free(&plan);

	expect_plan(map, UP, "r0100", "+2", "r0101[r0100>r0101] "
					   "r0102[r0101>r0102] => r0102");
	expect_plan(map, UP, "r0147", "r0040+109",
		    "r0148[r0147>r0148] r0149[r0148>r0149] => r0149");
	expect_fail(map, DOWN, "r0100", "-102", HR_FAILED_PRECONDITION,
		    "goes below base (only 101 applied)");
	assert_int_equal(hr_plan_build(map, DOWN, rows, 1, "-101", &plan, &err),
			 0);
	assert_int_equal(plan.n_steps, 101);
	assert_int_equal(plan.steps[100].vops[0].kind, HR_VOP_DELETE);
	assert_string_equal(plan.steps[100].vops[0].from, "r0000");
	assert_int_equal(plan.n_final_heads, 0);
	hr_plan_free(&plan);
	free(spec);
	hr_revmap_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_chain),
		cmocka_unit_test(test_upgrade_already_applied),
		cmocka_unit_test(test_downgrade_chain),
		cmocka_unit_test(test_relative_upgrade),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_unknown_current_row),
		cmocka_unit_test(test_branches),
		cmocka_unit_test(test_several_bases),
		cmocka_unit_test(test_merge_rows),
		cmocka_unit_test(test_depends_on_rows),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_free_zeroed_plan),
		cmocka_unit_test(test_long_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
