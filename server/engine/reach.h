/*
 * reach.h — reachability in a DAG in linear memory: whether a is b or an
 * ancestor of b, for a graph whose nodes 0..n-1 are numbered in a
 * topological order (every edge goes from a lower number to a higher).
 *
 * The graph is given as one or two successor lists in compressed form
 * (the successors of v: to[start[v] .. start[v + 1]), all lists
 * together); the index keeps pointers to them, which must outlive it.
 * It holds three numbers per node: the pre- and post-order numbers of a
 * depth-first traversal, which answer "yes" at once when a is an
 * ancestor of b in the traversal's spanning tree, and the smallest
 * post-order number among a node's descendants (GRAIL's interval),
 * which answers "no" at once when b's interval is not inside a's. Only
 * when neither decides does a query walk the nodes between a and b in
 * order, following successors that pass the "no" test: on the graphs
 * migrations make (long lines, few branches and merges) that is rare.
 *
 * Immutable once built: any number of threads may query one index.
 */
#ifndef HR_REACH_H
#define HR_REACH_H

#include <stddef.h>

/* One successor list in compressed form. */
typedef struct hr_reach_list {
	const size_t *start; /* n + 1 offsets into to */
	const size_t *to;
} hr_reach_list;

typedef struct hr_reach hr_reach;

/* Index the graph of n nodes whose successors are the union of
 * lists[0 .. n_lists) (n_lists is 1 or 2). NULL when out of memory. */
hr_reach *hr_reach_build(size_t n, const hr_reach_list *lists,
			 size_t n_lists);

void hr_reach_free(hr_reach *r);

/*
 * 1 when a == b or b is reachable from a, 0 when not. a and b are < n.
 * A walk over more than 65,536 nodes needs one bit per node from the
 * heap: -1 when that cannot be had.
 */
int hr_reach_test(const hr_reach *r, size_t a, size_t b);

#endif
