/* test_revmap.c — building, checking and querying the revision map. */
#include "engine_fixtures.h"

#include <sys/stat.h>
#include <unistd.h>

/* Append m's id to the space-separated list in buf. */
static void add_id(char *buf, size_t cap, const hr_migration *m)
{
	size_t used = strlen(buf);

	snprintf(buf + used, cap - used, "%s%s", used ? " " : "", m->revision);
}

/* The map's revisions in topological order, space-separated. */
static const char *order_of(const hr_revmap *map, char *buf, size_t cap)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < hr_revmap_count(map); i++)
		add_id(buf, cap, hr_revmap_at(map, i));
	return buf;
}

static const char *heads_of(const hr_revmap *map, char *buf, size_t cap)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < hr_revmap_head_count(map); i++)
		add_id(buf, cap, hr_revmap_head(map, i));
	return buf;
}

static const char *children_of(const hr_revmap *map, const char *id,
			       char *buf, size_t cap)
{
	const hr_migration *m = hr_revmap_get(map, id);
	size_t i;

	assert_non_null(m);
	buf[0] = '\0';
	for (i = 0; i < hr_revmap_child_count(map, m); i++)
		add_id(buf, cap, hr_revmap_child(map, m, i));
	return buf;
}

static int anc(const hr_revmap *map, const char *a, const char *b)
{
	return hr_revmap_is_ancestor(map, hr_revmap_get(map, a),
				     hr_revmap_get(map, b));
}

/* A spec that must fail to build with code and a message with needle. */
static void expect_build_error(const char *spec, hr_code code,
			       const char *needle)
{
	hr_revmap *map = (hr_revmap *)&map;
	hr_error err = {0};

	assert_int_equal(fx_map(spec, &map, &err), -(int)code);
	assert_null(map);
	assert_int_equal(err.code, code);
	assert_msg_contains(err, needle);
}

static void test_linear_chain(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:b");
	char buf[256];
	size_t i;

	(void)state;
	assert_int_equal(hr_revmap_count(map), 3);
	assert_string_equal(order_of(map, buf, sizeof buf), "a b c");
	assert_string_equal(heads_of(map, buf, sizeof buf), "c");
	assert_string_equal(children_of(map, "a", buf, sizeof buf), "b");
	assert_string_equal(children_of(map, "c", buf, sizeof buf), "");
	assert_true(hr_revmap_is_base(map, hr_revmap_get(map, "a")));
	assert_false(hr_revmap_is_base(map, hr_revmap_get(map, "b")));
	assert_true(hr_revmap_is_head(map, hr_revmap_get(map, "c")));
	assert_false(hr_revmap_is_head(map, hr_revmap_get(map, "b")));
	assert_true(anc(map, "a", "c"));
	assert_true(anc(map, "b", "b"));
	assert_false(anc(map, "c", "a"));
	for (i = 0; i < 3; i++)
		assert_int_equal(hr_revmap_index(map, hr_revmap_at(map, i)), i);
	assert_null(hr_revmap_at(map, 3));
	assert_null(hr_revmap_get(map, "d"));
	assert_null(hr_revmap_get(map, NULL));
	hr_revmap_free(map);
}

/* Topological order, not file or id order: parents always come first,
 * and among ready revisions the one given first wins. */
static void test_topological_order(void **state)
{
	hr_revmap *map = fx_map_ok("d:c c:b z b:a a y:z");
	char buf[256];
	size_t i, j, k;

	(void)state;
	assert_string_equal(order_of(map, buf, sizeof buf), "z a b c d y");
	for (i = 0; i < hr_revmap_count(map); i++) {
		const hr_migration *m = hr_revmap_at(map, i);

		for (j = 0; j < m->n_down_revisions; j++) {
			k = hr_revmap_index(
				map, hr_revmap_get(map, m->down_revisions[j]));
			assert_true(k < i);
		}
	}
	hr_revmap_free(map);
}

static void test_diamond_merge(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a m:b,c n:m");
	char buf[256];

	(void)state;
	assert_string_equal(order_of(map, buf, sizeof buf), "a b c m n");
	assert_string_equal(heads_of(map, buf, sizeof buf), "n");
	assert_string_equal(children_of(map, "a", buf, sizeof buf), "b c");
	assert_string_equal(children_of(map, "b", buf, sizeof buf), "m");
	assert_string_equal(children_of(map, "c", buf, sizeof buf), "m");
	assert_true(anc(map, "b", "n"));
	assert_true(anc(map, "c", "m"));
	assert_false(anc(map, "b", "c"));
	assert_false(anc(map, "c", "b"));
	hr_revmap_free(map);
}

static void test_multiple_bases_and_heads(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a x y:x c:a");
	char buf[256];

	(void)state;
	assert_string_equal(heads_of(map, buf, sizeof buf), "b y c");
	assert_true(hr_revmap_is_base(map, hr_revmap_get(map, "a")));
	assert_true(hr_revmap_is_base(map, hr_revmap_get(map, "x")));
	assert_false(anc(map, "a", "y"));
	assert_false(anc(map, "x", "b"));
	hr_revmap_free(map);
}

static void test_empty_map(void **state)
{
	hr_revmap *map = NULL;
	const hr_migration *m = NULL;
	hr_error err = {0};

	(void)state;
	assert_int_equal(hr_revmap_build(NULL, 0, &map, &err), 0);
	assert_int_equal(hr_revmap_count(map), 0);
	assert_int_equal(hr_revmap_head_count(map), 0);
	assert_null(hr_revmap_get(map, "a"));
	assert_int_equal(hr_revmap_lookup(map, "a", &m, &err), -HR_NOT_FOUND);
	hr_revmap_free(map);
}

/* depends_on orders and counts as ancestry, but does not make a child. */
static void test_depends_on(void **state)
{
	hr_revmap *map = fx_map_ok("r:b|x a b:a x");
	char buf[256];

	(void)state;
	assert_string_equal(order_of(map, buf, sizeof buf), "a b x r");
	assert_true(anc(map, "x", "r"));
	assert_true(anc(map, "a", "r"));
	assert_string_equal(children_of(map, "x", buf, sizeof buf), "");
	assert_string_equal(heads_of(map, buf, sizeof buf), "x r");
	hr_revmap_free(map);
}

static void test_duplicate_id(void **state)
{
	(void)state;
	expect_build_error("a b:a a", HR_FAILED_PRECONDITION,
			   "duplicate revision 'a' in 00_a.sql and 02_a.sql");
}

static void test_missing_parent_and_dependency(void **state)
{
	(void)state;
	expect_build_error("a b:zzz", HR_FAILED_PRECONDITION,
			   "migration 01_b.sql: down_revision 'zzz' does not "
			   "exist");
	expect_build_error("a b:a|q", HR_FAILED_PRECONDITION,
			   "migration 01_b.sql: depends_on 'q' does not exist");
}

static void test_cycles(void **state)
{
	(void)state;
	expect_build_error("a b:b", HR_FAILED_PRECONDITION,
			   "cycle through revisions b -> b (01_b.sql)");
	expect_build_error("r a:c b:a c:b", HR_FAILED_PRECONDITION,
			   "cycle through revisions a -> c -> b -> a "
			   "(01_a.sql, 03_c.sql, 02_b.sql)");
	expect_build_error("a b:a|c c:b", HR_FAILED_PRECONDITION,
			   "cycle through revisions b -> c -> b (01_b.sql, "
			   "02_c.sql)");
}

static void test_branch_labels(void **state)
{
	hr_revmap *map = fx_map_ok("a#core b:a c:a#ui,inventory");

	(void)state;
	assert_string_equal(hr_revmap_get(map, "c")->branch_labels[1],
			    "inventory");
	hr_revmap_free(map);
	expect_build_error("a#core b:a c:a#core", HR_FAILED_PRECONDITION,
			   "branch label 'core' is used by both 00_a.sql and "
			   "02_c.sql");
	expect_build_error("a b:a#a", HR_FAILED_PRECONDITION,
			   "branch label 'a' in 01_b.sql is also the revision "
			   "id of 00_a.sql");
}

static void test_lookup(void **state)
{
	hr_revmap *map = fx_map_ok("ab12 ab34:ab12 ac56:ab34 ab:ac56");
	const hr_migration *m = NULL;
	hr_error err = {0};

	(void)state;
	assert_int_equal(hr_revmap_lookup(map, "ab34", &m, &err), 0);
	assert_string_equal(m->revision, "ab34");
	assert_int_equal(hr_revmap_lookup(map, "ac", &m, &err), 0);
	assert_string_equal(m->revision, "ac56");
	assert_int_equal(hr_revmap_lookup(map, "ab3", &m, &err), 0);
	assert_string_equal(m->revision, "ab34");
	/* an exact id wins over being a prefix of others */
	assert_int_equal(hr_revmap_lookup(map, "ab", &m, &err), 0);
	assert_string_equal(m->revision, "ab");

	assert_int_equal(hr_revmap_lookup(map, "a", &m, &err),
			 -HR_INVALID_ARGUMENT);
	assert_null(m);
	assert_msg_contains(err, "revision prefix 'a' is ambiguous: ab, ab12, "
				 "ab34, ac56");
	assert_int_equal(hr_revmap_lookup(map, "ab1x", &m, &err),
			 -HR_NOT_FOUND);
	assert_msg_contains(err, "no such revision 'ab1x'");
	assert_int_equal(hr_revmap_lookup(map, "b", &m, &err), -HR_NOT_FOUND);
	assert_int_equal(hr_revmap_lookup(map, "", &m, &err),
			 -HR_INVALID_ARGUMENT);
	hr_revmap_free(map);
}

static void test_foreign_pointer(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a");
	hr_migration *other = fx_parse("a.sql", "-- revision: a\n");

	(void)state;
	assert_int_equal(hr_revmap_index(map, other), hr_revmap_count(map));
	assert_false(hr_revmap_is_head(map, other));
	assert_int_equal(hr_revmap_child_count(map, other), 0);
	assert_false(
		hr_revmap_is_ancestor(map, other, hr_revmap_get(map, "b")));
	hr_migration_free(other);
	hr_revmap_free(map);
}

/* Ancestry across many 64-bit words and a long chain. */
static void test_large_chain(void **state)
{
	char *spec = fx_chain_spec(300);
	hr_revmap *map = fx_map_ok(spec);

	(void)state;
	assert_int_equal(hr_revmap_count(map), 300);
	assert_int_equal(hr_revmap_head_count(map), 1);
	assert_string_equal(hr_revmap_head(map, 0)->revision, "r0299");
	assert_true(anc(map, "r0000", "r0299"));
	assert_true(anc(map, "r0063", "r0064"));
	assert_true(anc(map, "r0064", "r0128"));
	assert_false(anc(map, "r0128", "r0064"));
	assert_string_equal(hr_revmap_at(map, 200)->revision, "r0200");
	free(spec);
	hr_revmap_free(map);
}

/* The labels m carries, own and inherited, space-separated. */
static const char *labels_of(const hr_revmap *map, const char *id, char *buf,
			     size_t cap)
{
	const hr_migration *m = hr_revmap_get(map, id);
	size_t i, used = 0;

	assert_non_null(m);
	buf[0] = '\0';
	for (i = 0; i < hr_revmap_label_count(map, m); i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i ? " " : "",
					 hr_revmap_label(map, m, i));
	return buf;
}

/*
 * Labels spread as Alembic spreads them: to the labelled revision's
 * descendants, and down to the nearest branch point or merge.
 *
 *   a - b - c(bp) - d#cart - e
 *                 \ f - g#net - h
 *                           \ i
 */
static void test_label_spread(void **state)
{
	hr_revmap *map =
		fx_map_ok("a b:a c:b d:c#cart e:d f:c g:f#net h:g i:g");
	char buf[256];

	(void)state;
	assert_string_equal(labels_of(map, "d", buf, sizeof buf), "cart");
	assert_string_equal(labels_of(map, "e", buf, sizeof buf), "cart");
	assert_string_equal(labels_of(map, "c", buf, sizeof buf), "");
	assert_string_equal(labels_of(map, "f", buf, sizeof buf), "net");
	assert_string_equal(labels_of(map, "h", buf, sizeof buf), "net");
	assert_string_equal(labels_of(map, "i", buf, sizeof buf), "net");
	assert_string_equal(labels_of(map, "a", buf, sizeof buf), "");
	assert_ptr_equal(hr_revmap_labelled(map, "net"), hr_revmap_get(map, "g"));
	assert_null(hr_revmap_labelled(map, "g"));
	assert_null(hr_revmap_labelled(map, NULL));
	assert_true(hr_revmap_on_branch(map, hr_revmap_get(map, "f"), "net"));
	assert_false(hr_revmap_on_branch(map, hr_revmap_get(map, "f"), "cart"));
	assert_string_equal(
		hr_revmap_branch_base(map, hr_revmap_get(map, "g"))->revision,
		"f");
	assert_string_equal(
		hr_revmap_branch_base(map, hr_revmap_get(map, "d"))->revision,
		"d");
	assert_string_equal(
		hr_revmap_branch_base(map, hr_revmap_get(map, "b"))->revision,
		"a");
	assert_null(hr_revmap_branch_base(map, NULL));
	hr_revmap_free(map);

	/* a label on a base with no branching reaches everything; two
	 * labels on one line of descent stack */
	map = fx_map_ok("a#core b:a c:b#top,also");
	assert_string_equal(labels_of(map, "a", buf, sizeof buf), "core top also");
	assert_string_equal(labels_of(map, "c", buf, sizeof buf), "core top also");
	hr_revmap_free(map);

	/* a merge stops the downward spread */
	map = fx_map_ok("a b:a c:a m:b,c n:m#after");
	assert_string_equal(labels_of(map, "n", buf, sizeof buf), "after");
	assert_string_equal(labels_of(map, "m", buf, sizeof buf), "");
	hr_revmap_free(map);

	/* a dependent makes a branch point for the spread too */
	map = fx_map_ok("a b:a#x o p:o|a");
	assert_string_equal(labels_of(map, "a", buf, sizeof buf), "");
	assert_string_equal(labels_of(map, "b", buf, sizeof buf), "x");
	hr_revmap_free(map);
}

static void test_lineage_and_dependents(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a c:a x y:x|b");
	const hr_migration *a = hr_revmap_get(map, "a"),
			   *b = hr_revmap_get(map, "b"),
			   *c = hr_revmap_get(map, "c"),
			   *y = hr_revmap_get(map, "y");

	(void)state;
	assert_true(hr_revmap_shares_lineage(map, a, b));
	assert_true(hr_revmap_shares_lineage(map, b, a));
	assert_false(hr_revmap_shares_lineage(map, b, c));
	/* depends_on is ancestry, but not lineage */
	assert_true(hr_revmap_is_ancestor(map, b, y));
	assert_false(hr_revmap_is_parent_ancestor(map, b, y));
	assert_false(hr_revmap_shares_lineage(map, b, y));
	assert_true(hr_revmap_is_parent_ancestor(map, y, y));
	assert_int_equal(hr_revmap_dependent_count(map, b), 1);
	assert_ptr_equal(hr_revmap_dependent(map, b, 0), y);
	assert_null(hr_revmap_dependent(map, b, 1));
	assert_int_equal(hr_revmap_dependent_count(map, a), 0);
	assert_int_equal(hr_revmap_child_count(map, b), 0);
	assert_true(hr_revmap_is_head(map, b));
	hr_revmap_free(map);
}

/* depends_on may name a branch label (Alembic allows it). */
static void test_depends_on_label(void **state)
{
	hr_revmap *map = fx_map_ok("a b:a#lib x y:x|lib");
	char buf[256];

	(void)state;
	assert_true(anc(map, "b", "y"));
	assert_ptr_equal(hr_revmap_dependency(map, "lib"),
			 hr_revmap_get(map, "b"));
	assert_ptr_equal(hr_revmap_dependency(map, "x"),
			 hr_revmap_get(map, "x"));
	assert_null(hr_revmap_dependency(map, "nope"));
	assert_int_equal(hr_revmap_dependent_count(map, hr_revmap_get(map, "b")),
			 1);
	assert_string_equal(heads_of(map, buf, sizeof buf), "b y");
	hr_revmap_free(map);
	/* but a down_revision must be an id */
	expect_build_error("a b:a#lib c:lib", HR_FAILED_PRECONDITION,
			   "migration 02_c.sql: down_revision 'lib' does not "
			   "exist");
	/* a cycle through a label dependency */
	expect_build_error("a#top b:a|c c:b", HR_FAILED_PRECONDITION,
			   "cycle through revisions");
}

/* Every kind of cycle names its revisions and files, never crashes. */
static void test_more_cycles(void **state)
{
	(void)state;
	/* a cycle with nothing outside it (no base at all) */
	expect_build_error("a:b b:a", HR_FAILED_PRECONDITION,
			   "cycle through revisions");
	/* a self-dependency */
	expect_build_error("a b:a|b", HR_FAILED_PRECONDITION,
			   "cycle through revisions b -> b (01_b.sql)");
	/* a merge whose parent descends from it */
	expect_build_error("a m:a,c b:m c:b", HR_FAILED_PRECONDITION,
			   "cycle through revisions");
	/* a long cycle hanging off a valid chain */
	expect_build_error("r s:r a:s,e b:a c:b d:c e:d", HR_FAILED_PRECONDITION,
			   "(02_a.sql, 06_e.sql, 05_d.sql, 04_c.sql, 03_b.sql)");
}

/* A branch point, a merge and a second base in ~150 revisions. */
static void test_large_branched_map(void **state)
{
	char spec[8192], *p = spec, buf[256];
	hr_revmap *map;
	int k;

	(void)state;
	p += sprintf(p, "t000");
	for (k = 1; k < 50; k++)
		p += sprintf(p, " t%03d:t%03d", k, k - 1);
	p += sprintf(p, " l000:t049#left r000:t049#right");
	for (k = 1; k < 40; k++)
		p += sprintf(p, " l%03d:l%03d r%03d:r%03d", k, k - 1, k, k - 1);
	p += sprintf(p, " m:l039,r039 o000|t010");
	for (k = 1; k < 20; k++)
		p += sprintf(p, " o%03d:o%03d", k, k - 1);
	map = fx_map_ok(spec);
	assert_int_equal(hr_revmap_count(map), 50 + 80 + 1 + 20);
	assert_string_equal(heads_of(map, buf, sizeof buf), "m o019");
	assert_string_equal(labels_of(map, "l039", buf, sizeof buf), "left");
	assert_string_equal(labels_of(map, "m", buf, sizeof buf), "left right");
	assert_string_equal(labels_of(map, "t049", buf, sizeof buf), "");
	assert_true(anc(map, "t000", "m"));
	assert_true(anc(map, "l000", "m"));
	assert_true(anc(map, "t010", "o019"));
	assert_false(anc(map, "t011", "o019"));
	assert_false(hr_revmap_shares_lineage(map, hr_revmap_get(map, "l005"),
					      hr_revmap_get(map, "r005")));
	assert_true(hr_revmap_shares_lineage(map, hr_revmap_get(map, "t005"),
					     hr_revmap_get(map, "r005")));
	assert_string_equal(children_of(map, "t049", buf, sizeof buf),
			    "l000 r000");
	hr_revmap_free(map);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void drop(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(remove(path), 0);
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/hr_test_revmap_XXXXXX", path[512], buf[256];
	hr_revmap *map = NULL;
	hr_error err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* names sort in the opposite order of the chain */
	put(dir, "1_c.sql", "-- revision: ccc\n-- down_revision: bbb\n");
	put(dir, "2_b.sql", "-- revision: bbb\n-- down_revision: aaa\n");
	put(dir, "3_a.sql", "-- revision: aaa\n-- +upgrade\nSELECT 1;\n");
	put(dir, "README.md", "not a migration\n");
	put(dir, "notes.sql.bak", "garbage\n");
	put(dir, ".#1_c.sql", "editor lock file\n");
	snprintf(path, sizeof path, "%s/sub.sql", dir);
	assert_int_equal(mkdir(path, 0700), 0);

	assert_int_equal(hr_revmap_load_dir(dir, &map, &err), 0);
	assert_string_equal(order_of(map, buf, sizeof buf), "aaa bbb ccc");
	snprintf(path, sizeof path, "%s/3_a.sql", dir);
	assert_string_equal(hr_revmap_get(map, "aaa")->path, path);
	assert_int_equal(hr_revmap_get(map, "aaa")->n_sections, 1);
	hr_revmap_free(map);

	put(dir, "4_d.sql", "-- revision: ddd\n-- down_revison: ccc\n");
	map = (hr_revmap *)&map;
	assert_int_equal(hr_revmap_load_dir(dir, &map, &err),
			 -HR_FAILED_PRECONDITION);
	assert_null(map);
	assert_int_equal(err.code, HR_FAILED_PRECONDITION);
	assert_msg_contains(err, "/4_d.sql:2: unknown header field "
				 "'down_revison'");
	drop(dir, "4_d.sql");

	put(dir, "4_d.sql", "-- revision: ddd\n-- down_revision: zzz\n");
	assert_int_equal(hr_revmap_load_dir(dir, &map, &err),
			 -HR_FAILED_PRECONDITION);
	assert_msg_contains(err, "4_d.sql: down_revision 'zzz' does not exist");

	drop(dir, "1_c.sql");
	drop(dir, "2_b.sql");
	drop(dir, "3_a.sql");
	drop(dir, "4_d.sql");
	drop(dir, "README.md");
	drop(dir, "notes.sql.bak");
	drop(dir, ".#1_c.sql");
	drop(dir, "sub.sql");
	assert_int_equal(hr_revmap_load_dir(dir, &map, &err), 0);
	assert_int_equal(hr_revmap_count(map), 0);
	hr_revmap_free(map);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(hr_revmap_load_dir(dir, &map, &err), -HR_NOT_FOUND);
	assert_null(map);
	assert_msg_contains(err, "cannot read migrations directory");
}

/*
 * What stat(2) says of an entry decides, as it always has, whether it is
 * read: the directory's own type of an entry stands for it except for
 * symlinks, which are followed.
 */
static void test_load_dir_entry_types(void **state)
{
	char dir[] = "/tmp/hr_test_revmap_XXXXXX", path[512], target[512];
	hr_revmap *map = NULL;
	hr_error err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "a.txt", "-- revision: aaa\n-- +upgrade\nSELECT 1;\n");
	snprintf(path, sizeof path, "%s/1_a.sql", dir);
	assert_int_equal(symlink("a.txt", path), 0);
	snprintf(path, sizeof path, "%s/2_fifo.sql", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(target, sizeof target, "%s/subdir", dir);
	assert_int_equal(mkdir(target, 0700), 0);
	snprintf(path, sizeof path, "%s/3_dir.sql", dir);
	assert_int_equal(symlink("subdir", path), 0);

	/* A symlink to a file is that file, named as the link; a FIFO and
	 * a symlink to a directory are not migrations. */
	assert_int_equal(hr_revmap_load_dir(dir, &map, &err), 0);
	assert_int_equal(hr_revmap_count(map), 1);
	snprintf(path, sizeof path, "%s/1_a.sql", dir);
	assert_string_equal(hr_revmap_get(map, "aaa")->path, path);
	hr_revmap_free(map);

	/* A symlink to nothing is a broken migration. */
	snprintf(path, sizeof path, "%s/4_gone.sql", dir);
	assert_int_equal(symlink("nowhere.sql", path), 0);
	map = (hr_revmap *)&map;
	assert_int_equal(hr_revmap_load_dir(dir, &map, &err),
			 -HR_FAILED_PRECONDITION);
	assert_null(map);
	assert_msg_contains(err, "/4_gone.sql: cannot read: No such file");

	drop(dir, "4_gone.sql");
	drop(dir, "3_dir.sql");
	drop(dir, "subdir");
	drop(dir, "2_fifo.sql");
	drop(dir, "1_a.sql");
	drop(dir, "a.txt");
	assert_int_equal(rmdir(dir), 0);
}

/* A file or directory others may write is refused (StrictModes). */
static void expect_refused(const char *dir, const char *needle)
{
	hr_revmap *map = (hr_revmap *)&map;
	hr_error err = {0};

	assert_true(hr_revmap_load_dir(dir, &map, &err) < 0);
	assert_null(map);
	assert_msg_contains(err, needle);
}

static void expect_loads(const char *dir)
{
	hr_revmap *map = NULL;
	hr_error err = {0};

	if (hr_revmap_load_dir(dir, &map, &err) != 0)
		fail_msg("%s", err.msg);
	hr_revmap_free(map);
}

static void test_writable_by_others_refused(void **state)
{
	char dir[] = "/tmp/hr_test_revmap_XXXXXX", path[512], needle[600];

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "a.sql", "-- revision: aaa\n");
	snprintf(path, sizeof path, "%s/a.sql", dir);
	assert_int_equal(chmod(path, 0644), 0);
	expect_loads(dir);

	assert_int_equal(chmod(path, 0666), 0);
	snprintf(needle, sizeof needle, "%s: refusing a migration file "
		 "writable by anyone (mode 0666", path);
	expect_refused(dir, needle);
	assert_int_equal(chmod(path, 0664), 0);
	expect_refused(dir, "writable by its group (mode 0664");
	assert_int_equal(chmod(path, 0600), 0);
	expect_loads(dir);

	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(needle, sizeof needle, "%s: refusing a migrations directory "
		 "writable by anyone (mode 0777", dir);
	expect_refused(dir, needle);
	/* sticky or not: anyone may still add a file */
	assert_int_equal(chmod(dir, 01777), 0);
	expect_refused(dir, "migrations directory writable by anyone");
	assert_int_equal(chmod(dir, 0755), 0);
	expect_loads(dir);

	/* Owned by another user: only root can set that up. */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
		expect_refused(dir, "refusing a migration file owned by uid 65534");
		assert_int_equal(chown(path, 0, (gid_t)-1), 0);
		assert_int_equal(chown(dir, 65534, (gid_t)-1), 0);
		expect_refused(dir, "refusing a migrations directory owned by "
				    "uid 65534");
		assert_int_equal(chown(dir, 0, (gid_t)-1), 0);
		expect_loads(dir);
	}
	drop(dir, "a.sql");
	assert_int_equal(rmdir(dir), 0);
}

/* The product's own migrations/ loads. (Not found through __FILE__:
 * -ffile-prefix-map, as Debian's build flags pass it, makes that
 * relative to a directory the test does not run in.) */
static void test_real_migrations_dir(void **state)
{
	hr_revmap *map = NULL;
	hr_error err = {0};

	(void)state;
	if (hr_revmap_load_dir(HR_SOURCE_DIR "/migrations", &map, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(hr_revmap_count(map) > 0);
	assert_int_equal(hr_revmap_head_count(map), 1);
	hr_revmap_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear_chain),
		cmocka_unit_test(test_topological_order),
		cmocka_unit_test(test_diamond_merge),
		cmocka_unit_test(test_multiple_bases_and_heads),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_depends_on),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_missing_parent_and_dependency),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_branch_labels),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_foreign_pointer),
		cmocka_unit_test(test_large_chain),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_writable_by_others_refused),
		cmocka_unit_test(test_real_migrations_dir),
		cmocka_unit_test(test_label_spread),
		cmocka_unit_test(test_lineage_and_dependents),
		cmocka_unit_test(test_depends_on_label),
		cmocka_unit_test(test_more_cycles),
		cmocka_unit_test(test_large_branched_map),
		cmocka_unit_test(test_load_dir_entry_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
