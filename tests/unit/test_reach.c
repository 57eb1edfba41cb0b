/* test_reach.c — the linear-memory reachability index against a full
 * transitive closure, on random DAGs of every shape the intervals find
 * hard (many merges, many roots, long lines with cross edges), and on
 * lists with walks longer than the on-stack mark buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reach.h"

/* A graph in the index's compressed form, built from an edge list. */
typedef struct graph {
	size_t n;
	size_t *start, *to;
} graph;

/* xorshift: the same graphs on every run. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* n nodes; each node v > 0 gets up to max_in edges from random lower
 * nodes (none with probability 1/roots: a root). */
static graph random_dag(size_t n, size_t max_in, unsigned roots,
			uint64_t seed)
{
	graph g = {n, calloc(n + 1, sizeof(size_t)), NULL};
	size_t *from = malloc(n * max_in * sizeof(size_t));
	size_t *dst = malloc(n * max_in * sizeof(size_t));
	size_t n_edges = 0, v, j, *fill = calloc(n + 1, sizeof(size_t));

	assert_non_null(g.start);
	assert_non_null(from);
	assert_non_null(dst);
	assert_non_null(fill);
	for (v = 1; v < n; v++) {
		size_t k;

		if (next_random(&seed) % roots == 0)
			continue;
		k = 1 + next_random(&seed) % max_in;
		for (j = 0; j < k; j++) {
			/* Mostly a near parent, as migrations have. */
			size_t back = next_random(&seed) % 4 == 0
				? 1 + next_random(&seed) % v
				: 1 + next_random(&seed) % (v < 3 ? v : 3);

			from[n_edges] = v - back;
			dst[n_edges++] = v;
		}
	}
	for (j = 0; j < n_edges; j++)
		g.start[from[j] + 1]++;
	for (v = 0; v < n; v++)
		g.start[v + 1] += g.start[v];
	g.to = malloc((n_edges + 1) * sizeof(size_t));
	assert_non_null(g.to);
	for (j = 0; j < n_edges; j++)
		g.to[g.start[from[j]] + fill[from[j]]++] = dst[j];
	free(from);
	free(dst);
	free(fill);
	return g;
}

/* closure[a * n + b]: b is a or reachable from a (nodes are in
 * topological order, so one backward pass suffices). */
static unsigned char *closure(const graph *g)
{
	unsigned char *c = calloc(g->n * g->n, 1);
	size_t a, k, b;

	assert_non_null(c);
	for (a = g->n; a-- > 0;) {
		c[a * g->n + a] = 1;
		for (k = g->start[a]; k < g->start[a + 1]; k++)
			for (b = 0; b < g->n; b++)
				c[a * g->n + b] |= c[g->to[k] * g->n + b];
	}
	return c;
}

static void check_against_closure(size_t n, size_t max_in, unsigned roots,
				  uint64_t seed)
{
	graph g = random_dag(n, max_in, roots, seed);
	hr_reach_list list = {g.start, g.to};
	hr_reach *r = hr_reach_build(n, &list, 1);
	unsigned char *c = closure(&g);
	size_t a, b;

	assert_non_null(r);
	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++)
			assert_int_equal(hr_reach_test(r, a, b), c[a * n + b]);
	hr_reach_free(r);
	free(c);
	free(g.start);
	free(g.to);
}

static void test_random_dags(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 40; seed++) {
		check_against_closure(60, 1, 8, seed * 7919);	/* a forest */
		check_against_closure(60, 2, 20, seed * 104729); /* merges */
		check_against_closure(120, 4, 3, seed * 1299709); /* dense */
	}
}

/* Two lists are one graph: the union of their edges. */
static void test_two_lists(void **state)
{
	/* 0 -> 1 -> 2 in the first list, 2 -> 3 and 0 -> 4 in the second. */
	size_t s1[] = {0, 1, 2, 2, 2, 2}, t1[] = {1, 2};
	size_t s2[] = {0, 1, 1, 2, 2, 2}, t2[] = {4, 3};
	hr_reach_list lists[2] = {{s1, t1}, {s2, t2}};
	hr_reach *both = hr_reach_build(5, lists, 2);
	hr_reach *first = hr_reach_build(5, lists, 1);

	(void)state;
	assert_non_null(both);
	assert_non_null(first);
	assert_int_equal(hr_reach_test(both, 0, 3), 1);
	assert_int_equal(hr_reach_test(both, 1, 4), 0);
	assert_int_equal(hr_reach_test(first, 0, 3), 0);
	assert_int_equal(hr_reach_test(first, 0, 2), 1);
	assert_int_equal(hr_reach_test(first, 3, 3), 1);
	hr_reach_free(both);
	hr_reach_free(first);
}

/*
 * A ladder longer than the walk's on-stack buffer: two lines, rung i
 * linking left i to right i + 1, so which side the traversal's tree
 * takes leaves the other side's ancestry to the walk.
 */
static void test_long_ladder(void **state)
{
	const size_t rungs = 40000, n = 2 * rungs;
	size_t *start = calloc(n + 1, sizeof(size_t));
	size_t *to = malloc(2 * n * sizeof(size_t));
	size_t i, k = 0;
	hr_reach_list list;
	hr_reach *r;

	(void)state;
	assert_non_null(start);
	assert_non_null(to);
	/* left i = 2i, right i = 2i + 1 */
	for (i = 0; i < n; i++) {
		start[i] = k;
		if (i + 2 < n)
			to[k++] = i + 2;
		if (i % 2 == 0 && i + 3 < n)
			to[k++] = i + 3;
	}
	start[n] = k;
	list.start = start;
	list.to = to;
	r = hr_reach_build(n, &list, 1);
	assert_non_null(r);
	assert_int_equal(hr_reach_test(r, 0, n - 1), 1);
	assert_int_equal(hr_reach_test(r, 0, n - 2), 1);
	assert_int_equal(hr_reach_test(r, 1, n - 1), 1);
	assert_int_equal(hr_reach_test(r, 1, n - 2), 0);
	assert_int_equal(hr_reach_test(r, n - 1, 0), 0);
	hr_reach_free(r);
	free(start);
	free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_dags),
		cmocka_unit_test(test_two_lists),
		cmocka_unit_test(test_long_ladder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
