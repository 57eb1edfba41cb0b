/*
 * reach.c — ancestry queries over a topologically numbered DAG without
 * an N×N closure (see reach.h): a depth-first numbering gives a spanning
 * tree's intervals (exact "yes") and GRAIL's descendant intervals (exact
 * "no"); a pruned walk settles what they leave open.
 */
#include "reach.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTS 2

struct hr_reach {
	size_t n;
	hr_reach_list lists[MAX_LISTS];
	size_t n_lists;
	size_t *pre;  /* order in which the traversal first reached v */
	size_t *post; /* order in which it finished v */
	size_t *low;  /* smallest post among v and its descendants */
};

/* Successors of v across every list: how many, and the k-th. */
static size_t succ_count(const hr_reach *r, size_t v)
{
	size_t l, count = 0;

	for (l = 0; l < r->n_lists; l++)
		count += r->lists[l].start[v + 1] - r->lists[l].start[v];
	return count;
}

static size_t succ_at(const hr_reach *r, size_t v, size_t k)
{
	size_t l;

	for (l = 0;; l++) {
		size_t len = r->lists[l].start[v + 1] - r->lists[l].start[v];

		if (k < len)
			return r->lists[l].to[r->lists[l].start[v] + k];
		k -= len;
	}
}

/* A frame of the iterative traversal: a node and its next successor. */
typedef struct frame {
	size_t v, next;
} frame;

/*
 * Number every node by one depth-first traversal from each node not yet
 * reached, in order. In a DAG every successor is finished before its
 * predecessor is, so low[] can be taken from the successors on the way
 * out, whether the tree reached them through v or earlier.
 */
static int number(hr_reach *r)
{
	const size_t unseen = SIZE_MAX;
	frame *stack = malloc((r->n ? r->n : 1) * sizeof *stack);
	size_t root, depth, pre = 0, post = 0;

	if (stack == NULL)
		return -1;
	for (root = 0; root < r->n; root++)
		r->pre[root] = unseen;
	for (root = 0; root < r->n; root++) {
		if (r->pre[root] != unseen)
			continue;
		r->pre[root] = pre++;
		stack[0].v = root;
		stack[0].next = 0;
		depth = 1;
		while (depth > 0) {
			frame *f = &stack[depth - 1];

			if (f->next < succ_count(r, f->v)) {
				size_t s = succ_at(r, f->v, f->next++);

				if (r->pre[s] == unseen) {
					r->pre[s] = pre++;
					stack[depth].v = s;
					stack[depth++].next = 0;
				}
				continue;
			}
			r->post[f->v] = post++;
			r->low[f->v] = r->post[f->v];
			for (size_t k = 0; k < succ_count(r, f->v); k++) {
				size_t s = succ_at(r, f->v, k);

				if (r->low[s] < r->low[f->v])
					r->low[f->v] = r->low[s];
			}
			depth--;
		}
	}
	free(stack);
	return 0;
}

hr_reach *hr_reach_build(size_t n, const hr_reach_list *lists,
			 size_t n_lists)
{
	hr_reach *r = calloc(1, sizeof *r);
	size_t l;

	if (r == NULL || n_lists > MAX_LISTS)
		goto fail;
	r->n = n;
	r->n_lists = n_lists;
	for (l = 0; l < n_lists; l++)
		r->lists[l] = lists[l];
	r->pre = malloc((n ? n : 1) * sizeof *r->pre);
	r->post = malloc((n ? n : 1) * sizeof *r->post);
	r->low = malloc((n ? n : 1) * sizeof *r->low);
	if (r->pre == NULL || r->post == NULL || r->low == NULL ||
	    number(r) < 0)
		goto fail;
	return r;
fail:
	hr_reach_free(r);
	return NULL;
}

void hr_reach_free(hr_reach *r)
{
	if (r == NULL)
		return;
	free(r->pre);
	free(r->post);
	free(r->low);
	free(r);
}

/* a is b or b's ancestor in the traversal's spanning tree. */
static int tree_ancestor(const hr_reach *r, size_t a, size_t b)
{
	return r->pre[a] <= r->pre[b] && r->post[b] <= r->post[a];
}

/* b might be reachable from a: b's interval lies inside a's, and a is
 * not after b in the topological numbering. */
static int may_reach(const hr_reach *r, size_t a, size_t b)
{
	return a <= b && r->low[a] <= r->low[b] && r->post[b] <= r->post[a];
}

/*
 * The walk the intervals leave open: the nodes a reaches, marked in
 * topological order from a up to b (a node is only reached from a lower
 * one), following only successors that may still reach b. One bit per
 * node of [a, b]: on the stack up to WALK_BITS nodes, else on the heap.
 */
#define WALK_BITS 65536

int hr_reach_test(const hr_reach *r, size_t a, size_t b)
{
	uint64_t local[WALK_BITS / 64], *mark = local;
	size_t span, v, k;
	int found = 0;

	if (tree_ancestor(r, a, b))
		return 1;
	if (!may_reach(r, a, b))
		return 0;
	span = b - a + 1;
	if (span > WALK_BITS && (mark = malloc((span / 64 + 1) * sizeof *mark)) == NULL)
		return -1;
	memset(mark, 0, (span / 64 + 1) * sizeof *mark);
	mark[0] = 1;
	for (v = a; v < b && !found; v++) {
		size_t count;

		if (!((mark[(v - a) / 64] >> ((v - a) % 64)) & 1) ||
		    !may_reach(r, v, b))
			continue;
		count = succ_count(r, v);
		for (k = 0; k < count && !found; k++) {
			size_t s = succ_at(r, v, k);

			if (s > b)
				continue;
			if (tree_ancestor(r, s, b))
				found = 1;
			mark[(s - a) / 64] |= UINT64_C(1) << ((s - a) % 64);
		}
	}
	if (mark != local)
		free(mark);
	return found;
}
