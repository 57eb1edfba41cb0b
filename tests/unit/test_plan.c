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

/* applied[i]: whether the i-th revision is an ancestor-or-self of a row. */
static void applied_by(const hr_revmap *map, const hr_migration **rows,
		       size_t n_rows, unsigned char *applied)
{
	size_t i, j;

	for (i = 0; i < hr_revmap_count(map); i++) {
		applied[i] = 0;
		for (j = 0; j < n_rows; j++)
			if (hr_revmap_is_ancestor(map, hr_revmap_at(map, i),
						  rows[j]))
				applied[i] = 1;
	}
}

/*
 * Play plan's row changes on a simulated alembic_version starting from
 * rows, checking what the database would: an update or delete touches an
 * existing row, an insert a new one. After every step the rows must be
 * one per head of exactly what is applied (no row below another), and
 * what is applied must be what was, plus (upgrade) or minus (downgrade)
 * the steps so far. The last rows must be final_heads.
 */
static void check_rows(const hr_revmap *map, const char *const *ids,
		       size_t n_ids, const hr_plan *plan)
{
	size_t n = hr_revmap_count(map), i, j, k, n_rows = 0;
	const hr_migration **rows = calloc(n + 1, sizeof *rows);
	unsigned char *want = calloc(n + 1, 1), *got = calloc(n + 1, 1);

	assert_non_null(rows);
	assert_non_null(want);
	assert_non_null(got);
	for (i = 0; i < n_ids; i++)
		rows[n_rows++] = hr_revmap_get(map, ids[i]);
	applied_by(map, rows, n_rows, want);
	for (i = 0; i < plan->n_steps; i++) {
		const hr_plan_step *s = &plan->steps[i];

		for (j = 0; j < s->n_vops; j++) {
			const hr_vop *v = &s->vops[j];
			const hr_migration *from = hr_revmap_get(map, v->from);
			const hr_migration *to = hr_revmap_get(map, v->to);
			size_t at = n_rows;

			for (k = 0; from != NULL && k < n_rows; k++)
				if (rows[k] == from)
					at = k;
			for (k = 0; to != NULL && k < n_rows; k++)
				if (rows[k] == to)
					fail_msg("step %s: row %s exists",
						 s->migration->revision, v->to);
			if (v->kind != HR_VOP_INSERT && at == n_rows)
				fail_msg("step %s: no row %s to change",
					 s->migration->revision, v->from);
			if (v->kind == HR_VOP_DELETE)
				rows[at] = rows[--n_rows];
			else if (v->kind == HR_VOP_UPDATE)
				rows[at] = to;
			else
				rows[n_rows++] = to;
		}
		want[hr_revmap_index(map, s->migration)] =
			s->direction == HR_UPGRADE;
		applied_by(map, rows, n_rows, got);
		if (memcmp(want, got, n) != 0)
			fail_msg("after step %zu (%s) the rows do not say what "
				 "is applied",
				 i, s->migration->revision);
		for (j = 0; j < n_rows; j++)
			for (k = 0; k < n_rows; k++)
				if (j != k && hr_revmap_is_ancestor(map, rows[j],
								    rows[k]))
					fail_msg("after %s row %s is below %s",
						 s->migration->revision,
						 rows[j]->revision,
						 rows[k]->revision);
	}
	assert_int_equal(n_rows, plan->n_final_heads);
	for (i = 0; i < plan->n_final_heads; i++) {
		for (j = 0; j < n_rows; j++)
			if (strcmp(rows[j]->revision, plan->final_heads[i]) == 0)
				break;
		if (j == n_rows)
			fail_msg("final head %s is not a row",
				 plan->final_heads[i]);
	}
	free(rows);
	free(want);
	free(got);
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
	check_rows(map, ids, n, &plan);
	describe(&plan, text, sizeof text);
	hr_plan_free(&plan);
	assert_string_equal(text, expected);
}

/* Stamp the space-separated targets from rows (purge or not). */
static void expect_stamp_to(const hr_revmap *map, const char *rows,
			    const char *targets, int purge,
			    const char *expected)
{
	char rows_buf[256], targets_buf[256], text[4096];
	const char *ids[MAX_ROWS], *dests[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids);
	size_t n_dests = split_rows(targets, targets_buf, sizeof targets_buf,
				    dests);
	hr_plan plan;
	hr_error err = {0};

	if (hr_plan_stamp(map, ids, n, dests, n_dests, purge, &plan, &err) !=
	    0)
		fail_msg("stamp %s from '%s': %s", targets, rows, err.msg);
	assert_int_equal(plan.purge, purge);
	describe(&plan, text, sizeof text);
	hr_plan_free(&plan);
	assert_string_equal(text, expected);
}

static void expect_stamp(const hr_revmap *map, const char *rows,
			 const char *target, const char *expected)
{
	expect_stamp_to(map, rows, target, 0, expected);
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
		rc = hr_plan_stamp(map, ids, n, &target, 1, 0, &plan, &err);
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
		"a+",  "+1x",   "+-1",    "++1",   "a+1+1", "a b",  "a@",
		"@head", "a@@b", "a@b@c", "@", "a@+", "a@current", "1.5",
		"+1.5", "head\n", "\x01",
		"+9999999999999999999999", "-2147483648",
		/* One over-long target, cut in two lines (parenthesised so
		 * clang sees the concatenation is meant). */
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
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
	/* stamp replaces rows by their line of descent, which an unknown
	 * row does not have: --purge is the way out, as in Alembic */
	expect_fail(map, STAMP, "gone", "head", HR_NOT_FOUND,
		    "current revision 'gone' is not in the migrations "
		    "directory; stamp --purge replaces every row");
	expect_stamp_to(map, "gone", "head", 1, "=> b");
	expect_stamp_to(map, "gone a", "base", 1, "=>");
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
		    "relative target '+1' is ambiguous: a is a branch point "
		    "(children b, d); name a revision instead");
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
		    "relative target '-1' is ambiguous: it crosses merge "
		    "point m");
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

/*
 * Two labelled branches off a: cart (b, c) and net (d, e).
 *
 *        b#cart - c
 *      /
 *     a
 *      \
 *        d#net - e
 */
static void test_labels(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a#cart c:b d:a#net e:d");

	(void)state;
	expect_plan(map, UP, "", "cart@head", "a[+a] b[a>b] c[b>c] => c");
	expect_plan(map, UP, "", "cart@heads", "a[+a] b[a>b] c[b>c] => c");
	expect_plan(map, UP, "c", "net@head", "d[+d] e[d>e] => c,e");
	expect_plan(map, UP, "c", "net@d+1", "d[+d] e[d>e] => c,e");
	expect_plan(map, UP, "", "net@e", "a[+a] d[a>d] e[d>e] => e");
	/* LABEL@+N: from the branch's row, or where it forks off below */
	expect_plan(map, UP, "c", "net@+1", "d[+d] => c,d");
	expect_plan(map, UP, "c d", "net@+1", "e[d>e] => c,e");
	expect_plan(map, UP, "", "cart@+2", "a[+a] b[a>b] => b");
	expect_plan(map, UP, "b e", "cart@+1", "c[b>c] => c,e");
	expect_fail(map, UP, "c", "cart@+1", HR_FAILED_PRECONDITION,
		    "goes beyond head (only 0 revisions above c)");
	/* a revision serves as a label, as in Alembic */
	expect_plan(map, UP, "", "b@head", "a[+a] b[a>b] c[b>c] => c");
	expect_fail(map, UP, "", "a@head", HR_FAILED_PRECONDITION,
		    "branch 'a' has several heads (c, e); name one of them");
	expect_fail(map, UP, "", "nope@head", HR_NOT_FOUND,
		    "no branch label or revision 'nope'");
	expect_fail(map, UP, "", "net@c", HR_INVALID_ARGUMENT,
		    "revision c is not on branch 'net'");
	/* downgrades keep to the branch */
	expect_plan(map, DOWN, "c e", "net@-1", "e[e>d] => c,d");
	expect_plan(map, DOWN, "c e", "net@base", "e[e>d] d[-d] => c");
	expect_plan(map, DOWN, "c e", "cart@base", "c[c>b] b[-b] => e");
	expect_plan(map, DOWN, "c e", "net@a", "e[e>d] d[-d] => c");
	expect_plan(map, DOWN, "c e", "cart@b", "c[c>b] => b,e");
	expect_plan(map, DOWN, "c e", "a",
		    "e[e>d] d[-d] c[c>b] b[b>a] => a");
	expect_plan(map, DOWN, "c", "net@base", "=> c");
	expect_fail(map, DOWN, "c e", "cart@-1-1", HR_INVALID_ARGUMENT,
		    "invalid revision target");
	expect_fail(map, DOWN, "c", "net@-1", HR_FAILED_PRECONDITION,
		    "relative target 'net@-1' goes below base (only 0 "
		    "applied)");
	/* upgrading to a branch's base does nothing */
	expect_plan(map, UP, "c", "net@base", "=> c");
	/* stamp replaces the rows of the target's line of descent only */
	expect_stamp(map, "c e", "net@base", "=> c");
	expect_stamp(map, "c e", "cart@b", "=> b,e");
	expect_stamp(map, "c", "d", "=> c,d");
	expect_stamp(map, "c", "net@head", "=> c,e");
	expect_stamp(map, "c e", "a", "=> a");
	expect_stamp_to(map, "", "c e", 0, "=> c,e");
	expect_stamp_to(map, "b", "c net@head", 0, "=> c,e");
	hr_revmap_free(map);
}

/* Several targets on one line of descent make no sense to stamp. */
static void test_stamp_several(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b d:a");
	char buf[4][8] = {"b", "c", "d", "heads"};
	const char *targets[] = {buf[0], buf[1]};
	const char *both[] = {buf[2], buf[3]};
	hr_plan plan;
	hr_error err = {0};

	(void)state;
	assert_int_equal(hr_plan_stamp(map, NULL, 0, targets, 2, 0, &plan,
				       &err),
			 -HR_INVALID_ARGUMENT);
	assert_msg_contains(err, "stamp targets b and c are on one line of "
				 "descent; name only one");
	/* naming a revision twice is harmless */
	assert_int_equal(hr_plan_stamp(map, NULL, 0, both, 2, 0, &plan, &err),
			 0);
	assert_int_equal(plan.n_final_heads, 2);
	hr_plan_free(&plan);
	assert_int_equal(hr_plan_stamp(map, NULL, 0, NULL, 0, 0, &plan, &err),
			 -HR_INVALID_ARGUMENT);
	expect_stamp_to(map, "c d", "base b", 0, "=> b");
	hr_revmap_free(map);
}

/* A branch point above a merge: x and y both come off m. */
static void test_branch_from_merge_point(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a m:b,c x:m y:m");

	(void)state;
	expect_plan(map, UP, "", "heads",
		    "a[+a] b[a>b] c[+c] m[b>m -c] x[m>x] y[+y] => x,y");
	expect_plan(map, UP, "x", "y", "y[+y] => x,y");
	expect_plan(map, UP, "b", "x", "c[+c] m[b>m -c] x[m>x] => x");
	expect_plan(map, DOWN, "x y", "m", "y[-y] x[x>m] => m");
	expect_plan(map, DOWN, "x y", "b",
		    "y[-y] x[x>m] m[m>b +c] => b,c");
	expect_plan(map, DOWN, "x", "-1", "x[x>m] => m");
	expect_fail(map, DOWN, "x", "-2", HR_FAILED_PRECONDITION,
		    "crosses merge point m");
	expect_fail(map, UP, "m", "+1", HR_FAILED_PRECONDITION,
		    "m is a branch point (children x, y)");
	expect_fail(map, DOWN, "x y", "-1", HR_FAILED_PRECONDITION,
		    "several current revisions (x, y)");
	expect_plan(map, UP, "", "x-1", "a[+a] b[a>b] c[+c] m[b>m -c] => m");
	hr_revmap_free(map);
}

/* Two merges of the same two revisions: two heads over one merge. */
static void test_twin_merges(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a m1:b,c m2:b,c");

	(void)state;
	expect_plan(map, UP, "", "heads",
		    "a[+a] b[a>b] c[+c] m1[b>m1 -c] m2[+m2] => m1,m2");
	expect_plan(map, UP, "m1", "m2", "m2[+m2] => m1,m2");
	expect_plan(map, UP, "b c", "m2", "m2[b>m2 -c] => m2");
	/* m2 is not above m1: nothing to drop */
	expect_plan(map, DOWN, "m1 m2", "m1", "=> m1,m2");
	expect_plan(map, DOWN, "m1 m2", "b",
		    "m2[-m2] m1[m1>b +c] => b,c");
	expect_plan(map, DOWN, "m1 m2", "base",
		    "m2[-m2] m1[m1>b +c] c[-c] b[b>a] a[-a] =>");
	expect_fail(map, UP, "", "head", HR_FAILED_PRECONDITION,
		    "several heads (m1, m2)");
	expect_stamp(map, "m1", "m2", "=> m1,m2");
	hr_revmap_free(map);
}

static void test_diamond(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a d:b,c e:d");

	(void)state;
	expect_plan(map, UP, "", "head",
		    "a[+a] b[a>b] c[+c] d[b>d -c] e[d>e] => e");
	expect_plan(map, UP, "b", "e", "c[+c] d[b>d -c] e[d>e] => e");
	expect_plan(map, UP, "c", "d", "b[+b] d[b>d -c] => d");
	expect_plan(map, DOWN, "e", "a",
		    "e[e>d] d[d>b +c] c[-c] b[b>a] => a");
	expect_plan(map, DOWN, "e", "c", "e[e>d] d[d>b +c] => b,c");
	/* c is not above b, so it stays */
	expect_plan(map, DOWN, "e", "b", "e[e>d] d[d>b +c] => b,c");
	expect_plan(map, UP, "", "e-1", "a[+a] b[a>b] c[+c] d[b>d -c] => d");
	expect_fail(map, UP, "", "e-2", HR_FAILED_PRECONDITION,
		    "relative target 'e-2' is ambiguous: it crosses merge "
		    "point d");
	expect_stamp(map, "b c", "d", "=> d");
	expect_stamp(map, "e", "b", "=> b");
	hr_revmap_free(map);
}

/* y (on base x) depends on b (on base a); z on y. */
static void test_depends_on_across_bases(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a x y:x|b z:y");
	hr_revmap *by_label = fx_map_ok("a b:a#lib x y:x|lib z:y");

	(void)state;
	expect_plan(map, UP, "", "z",
		    "a[+a] b[a>b] x[+x] y[x>y -b] z[y>z] => z");
	expect_plan(by_label, UP, "", "z",
		    "a[+a] b[a>b] x[+x] y[x>y -b] z[y>z] => z");
	expect_plan(map, UP, "b", "y", "x[+x] y[x>y -b] => y");
	expect_plan(map, UP, "x", "y", "a[+a] b[a>b] y[x>y -b] => y");
	expect_plan(map, DOWN, "z", "y", "z[z>y] => y");
	expect_plan(map, DOWN, "z", "b", "z[z>y] y[y>x +b] => b,x");
	expect_plan(map, DOWN, "z", "x", "z[z>y] y[y>x +b] => b,x");
	expect_plan(map, DOWN, "z", "a", "z[z>y] y[y>x +b] b[b>a] => a,x");
	/* lib reaches down to a (no branch point below b): all of it goes */
	expect_plan(by_label, DOWN, "z", "lib@base",
		    "z[z>y] y[y>x +b] b[b>a] a[-a] => x");
	expect_plan(map, DOWN, "z", "base",
		    "z[z>y] y[y>x +b] x[-x] b[b>a] a[-a] =>");
	/* a walk down follows down_revision, not depends_on */
	expect_plan(map, DOWN, "z", "-2", "z[z>y] y[y>x +b] => b,x");
	expect_fail(map, DOWN, "z", "-4", HR_FAILED_PRECONDITION,
		    "goes below base (only 3 applied)");
	expect_stamp(map, "z", "b", "=> b");
	expect_stamp(map, "b x", "y", "=> y");
	hr_revmap_free(map);
	hr_revmap_free(by_label);
}

/* The revisions a target names, as show resolves them. */
static void expect_resolve(const hr_revmap *map, const char *rows,
			   int have_rows, const char *target,
			   const char *expected)
{
	char rows_buf[256], text[1024] = "";
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids), n_out, i;
	const hr_migration **out = NULL;
	hr_error err = {0};

	if (hr_plan_resolve(map, ids, n, have_rows, target, &out, &n_out,
			    &err) != 0)
		fail_msg("resolve %s: %s", target, err.msg);
	for (i = 0; i < n_out; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "%s%s", i ? " " : "", out[i]->revision);
	free(out);
	assert_string_equal(text, expected);
}

static void test_resolve(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a#cart c:b d:a#net e:d");
	const hr_migration **out = (const hr_migration **)&out;
	size_t n_out = 7;
	hr_error err = {0};

	(void)state;
	expect_resolve(map, "", 1, "heads", "c e");
	expect_resolve(map, "", 1, "base", "");
	expect_resolve(map, "c d", 1, "current", "c d");
	expect_resolve(map, "e", 1, "-1", "d");
	expect_resolve(map, "", 1, "+1", "a");
	expect_resolve(map, "", 0, "net@head", "e");
	expect_resolve(map, "", 0, "c-2", "a");
	expect_resolve(map, "", 0, "e", "e");
	assert_int_equal(hr_plan_resolve(map, NULL, 0, 0, "current", &out,
					 &n_out, &err),
			 -HR_INVALID_ARGUMENT);
	assert_null(out);
	assert_int_equal(n_out, 0);
	assert_msg_contains(err, "counts from the database's current revision");
	assert_int_equal(hr_plan_resolve(map, NULL, 0, 0, "head", &out, &n_out,
					 &err),
			 -HR_FAILED_PRECONDITION);
	assert_msg_contains(err, "several heads (c, e)");
	hr_revmap_free(map);
}

/* What the rows stand for besides themselves (Alembic's current). */
static void expect_implied(const hr_revmap *map, const char *rows,
			   const char *expected)
{
	char rows_buf[256], text[1024] = "";
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids), n_out, i;
	const hr_migration **out = NULL;
	hr_error err = {0};

	if (hr_plan_implied_heads(map, ids, n, &out, &n_out, &err) != 0)
		fail_msg("implied by %s: %s", rows, err.msg);
	for (i = 0; i < n_out; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "%s%s", i ? " " : "", out[i]->revision);
	free(out);
	assert_string_equal(text, expected);
}

/* b is a head y depends on: an effective head, which `heads` leaves out
 * (y stands for it), while `head` still counts it, as in Alembic. */
static void test_effective_heads(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a x y:x|b");

	(void)state;
	expect_plan(map, UP, "", "heads",
		    "a[+a] b[a>b] x[+x] y[x>y -b] => y");
	expect_stamp(map, "", "heads", "=> y");
	expect_resolve(map, "", 0, "heads", "y");
	expect_fail(map, UP, "", "head", HR_FAILED_PRECONDITION,
		    "several heads (b, y)");
	expect_implied(map, "y", "b");
	expect_implied(map, "b y", "");
	expect_implied(map, "x", "");
	expect_implied(map, "", "");
	hr_revmap_free(map);
	/* a dependency with a descendant applied is no head */
	map = fx_map_ok("a b:a c:b x y:x|b");
	expect_implied(map, "c y", "");
	expect_implied(map, "y", "b");
	hr_revmap_free(map);
}

static void expect_range(const hr_revmap *map, const char *rows,
			 const char *range, const char *expected)
{
	char rows_buf[256], text[1024] = "";
	const char *ids[MAX_ROWS];
	size_t n = split_rows(rows, rows_buf, sizeof rows_buf, ids), n_out, i;
	const hr_migration **out = NULL;
	hr_error err = {0};

	if (hr_plan_range(map, ids, n, range, &out, &n_out, &err) != 0)
		fail_msg("range %s: %s", range, err.msg);
	for (i = 0; i < n_out; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
			 "%s%s", i ? " " : "", out[i]->revision);
	free(out);
	assert_string_equal(text, expected);
}

static void expect_range_fail(const hr_revmap *map, const char *range,
			      hr_code code, const char *needle)
{
	const hr_migration **out = NULL;
	size_t n_out = 0;
	hr_error err = {0};

	assert_int_equal(hr_plan_range(map, NULL, 0, range, &out, &n_out, &err),
			 -(int)code);
	assert_null(out);
	assert_msg_contains(err, needle);
}

static void test_history_range(void **state)
{
	hr_revmap *chain = fx_map_ok("a b:a c:b d:c");
	hr_revmap *forked = fx_map_ok("a b:a#cart c:b d:a#net e:d");
	hr_revmap *deps = fx_map_ok("a b:a x y:x|b");

	(void)state;
	expect_range(chain, "", ":", "d c b a");
	expect_range(chain, "", "b:", "d c b");
	expect_range(chain, "", ":c", "c b a");
	expect_range(chain, "", "b:c", "c b");
	expect_range(chain, "", "base:heads", "d c b a");
	expect_range(chain, "", "-2:", "d c b");
	expect_range(chain, "", "-1:c", "c b");
	expect_range(chain, "", "b:+1", "c b");
	expect_range(chain, "", ":+2", "b a");
	expect_range(chain, "c", "current:", "d c");
	expect_range(chain, "c", ":current", "c b a");
	expect_range(chain, "", "c:c", "c");
	expect_range_fail(chain, "c:b", HR_INVALID_ARGUMENT,
			  "history range: c is not an ancestor of 'b'");
	expect_range_fail(chain, "b", HR_INVALID_ARGUMENT,
			  "history range needs START:END");
	expect_range_fail(chain, "a:b:c", HR_INVALID_ARGUMENT,
			  "history range needs START:END");
	expect_range_fail(chain, "-1:+1", HR_INVALID_ARGUMENT,
			  "only one end can be relative");
	expect_range_fail(chain, "+1:", HR_INVALID_ARGUMENT,
			  "the start counts down");
	expect_range_fail(chain, "zz:", HR_NOT_FOUND, "no such revision 'zz'");
	expect_range(deps, "", "b:", "b");
	expect_range(deps, "", ":y", "y x b a");
	expect_range(forked, "", ":", "e d c b a");
	expect_range(forked, "", "b:", "c b");
	expect_range(forked, "", ":net@head", "e d a");
	expect_range(forked, "", "cart@base:cart@head", "c b a");
	expect_range_fail(forked, "-1:", HR_FAILED_PRECONDITION,
			  "counts from several revisions (c, e)");
	hr_revmap_free(chain);
	hr_revmap_free(forked);
	hr_revmap_free(deps);
}

/*
 * About 150 revisions: a trunk, a fan of four branches off it (two of
 * them merged back, one labelled), a second base whose branch depends on
 * the trunk, and a chain on top. Every revision is upgraded to from base
 * and downgraded from again, and stamped; check_rows validates each plan.
 */
static void test_large_map(void **state)
{
	hr_revmap *map;
	size_t n, i, j;
	char spec[16384], *p = spec;
	int b, k;
	hr_plan plan;
	hr_error err = {0};

	(void)state;
	p += sprintf(p, "t00");
	for (k = 1; k < 30; k++)
		p += sprintf(p, " t%02d:t%02d", k, k - 1);
	for (b = 0; b < 4; b++) {
		p += sprintf(p, " f%d00:t29%s", b, b == 3 ? "#fan3" : "");
		for (k = 1; k < 20; k++)
			p += sprintf(p, " f%d%02d:f%d%02d", b, k, b, k - 1);
	}
	p += sprintf(p, " m00:f019,f119");
	for (k = 1; k < 10; k++)
		p += sprintf(p, " m%02d:m%02d", k, k - 1);
	p += sprintf(p, " o00#other");
	for (k = 1; k < 20; k++)
		p += sprintf(p, " o%02d:o%02d%s", k, k - 1,
			     k == 10 ? "|t15" : "");
	p += sprintf(p, " z00:m09,o19");
	for (k = 1; k < 10; k++)
		p += sprintf(p, " z%02d:z%02d", k, k - 1);
	map = fx_map_ok(spec);
	n = hr_revmap_count(map);
	assert_true(n >= 150);
	/* heads: the two unmerged fan branches and the top chain */
	assert_int_equal(hr_revmap_head_count(map), 3);

	assert_int_equal(hr_plan_build(map, UP, NULL, 0, "heads", &plan, &err),
			 0);
	assert_int_equal(plan.n_steps, n);
	check_rows(map, NULL, 0, &plan);
	assert_int_equal(plan.n_final_heads, 3);
	hr_plan_free(&plan);

	for (i = 0; i < n; i++) {
		const char *id = hr_revmap_at(map, i)->revision;
		const char *const *rows;
		size_t n_rows;

		if (hr_plan_build(map, UP, NULL, 0, id, &plan, &err) != 0)
			fail_msg("upgrade to %s: %s", id, err.msg);
		check_rows(map, NULL, 0, &plan);
		/* the steps are exactly id's ancestors */
		for (j = 0, n_rows = 0; j < n; j++)
			n_rows += (size_t)hr_revmap_is_ancestor(
				map, hr_revmap_at(map, j), hr_revmap_at(map, i));
		assert_int_equal(plan.n_steps, n_rows);
		rows = plan.final_heads;
		n_rows = plan.n_final_heads;
		{
			hr_plan up, down;

			/* from there to every head, and back to base */
			if (hr_plan_build(map, UP, rows, n_rows, "heads", &up,
					  &err) != 0)
				fail_msg("heads from %s: %s", id, err.msg);
			check_rows(map, rows, n_rows, &up);
			assert_int_equal(plan.n_steps + up.n_steps, n);
			if (hr_plan_build(map, DOWN, up.final_heads,
					  up.n_final_heads, id, &down,
					  &err) != 0)
				fail_msg("down to %s: %s", id, err.msg);
			check_rows(map, up.final_heads, up.n_final_heads,
				   &down);
			/* everything above id goes, nothing else */
			for (j = 0, n_rows = 0; j < n; j++)
				n_rows += j != i && hr_revmap_is_ancestor(
					map, hr_revmap_at(map, i),
					hr_revmap_at(map, j));
			assert_int_equal(down.n_steps, n_rows);
			n_rows = plan.n_final_heads;
			hr_plan_free(&down);
			if (hr_plan_build(map, DOWN, rows, n_rows, "base",
					  &down, &err) != 0)
				fail_msg("base from %s: %s", id, err.msg);
			check_rows(map, rows, n_rows, &down);
			assert_int_equal(down.n_steps, plan.n_steps);
			hr_plan_free(&down);
			hr_plan_free(&up);
		}
		hr_plan_free(&plan);
	}
	expect_plan(map, UP, "f305", "fan3@+2",
		    "f306[f305>f306] f307[f306>f307] => f307");
	expect_plan(map, DOWN, "f219 f319 z09", "fan3@base",
		    "f319[f319>f318] f318[f318>f317] f317[f317>f316] "
		    "f316[f316>f315] f315[f315>f314] f314[f314>f313] "
		    "f313[f313>f312] f312[f312>f311] f311[f311>f310] "
		    "f310[f310>f309] f309[f309>f308] f308[f308>f307] "
		    "f307[f307>f306] f306[f306>f305] f305[f305>f304] "
		    "f304[f304>f303] f303[f303>f302] f302[f302>f301] "
		    "f301[f301>f300] f300[-f300] => f219,z09");
	expect_fail(map, UP, "t29", "+1", HR_FAILED_PRECONDITION,
		    "t29 is a branch point (children f000, f100, f200, f300)");
	expect_plan(map, DOWN, "f219 f319 z09", "other@base",
		    "z09[z09>z08] z08[z08>z07] z07[z07>z06] z06[z06>z05] "
		    "z05[z05>z04] z04[z04>z03] z03[z03>z02] z02[z02>z01] "
		    "z01[z01>z00] z00[z00>m09 +o19] o19[o19>o18] "
		    "o18[o18>o17] o17[o17>o16] o16[o16>o15] o15[o15>o14] "
		    "o14[o14>o13] o13[o13>o12] o12[o12>o11] o11[o11>o10] "
		    "o10[o10>o09] o09[o09>o08] o08[o08>o07] "
		    "o07[o07>o06] o06[o06>o05] o05[o05>o04] o04[o04>o03] "
		    "o03[o03>o02] o02[o02>o01] o01[o01>o00] o00[-o00] "
		    "=> f219,f319,m09");
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
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_stamp_several),
		cmocka_unit_test(test_branch_from_merge_point),
		cmocka_unit_test(test_twin_merges),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_depends_on_across_bases),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_effective_heads),
		cmocka_unit_test(test_history_range),
		cmocka_unit_test(test_large_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
