/*
 * revmap.c — link parsed migrations into the revision DAG, check it, and
 * answer the graph questions the planner asks.
 *
 * Everything is computed once at build time (the map is immutable):
 * a topological order, an id index sorted for exact and prefix lookup, a
 * pointer index so a migration finds its position in O(1), child and
 * dependent lists, two reachability indexes (through parents and
 * dependencies, and through parents alone; reach.c: linear memory, no
 * N×N closure), and the branch labels each revision carries.
 */
#include "revmap.h"
#include "reach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* A revision id (or label) and a position; sorted arrays of these are
 * the id indexes, since qsort and bsearch take no context argument. */
typedef struct id_key {
	const char *id;
	size_t pos;
} id_key;

struct hr_revmap {
	hr_migration **migs; /* topological order */
	size_t n;
	id_key *by_id; /* sorted by id, with topological positions */
	/* children of i: child[child_start[i] .. child_start[i + 1]) */
	size_t *child_start;
	size_t *child;
	const char **child_id; /* child[k]'s revision id */
	size_t *heads;
	size_t n_heads;
	/* open-addressing table from migration pointer to position */
	const hr_migration **slot_mig;
	size_t *slot_pos;
	size_t slot_mask;
	/* ancestry through children and dependents */
	hr_reach *reach;
	/* the same through down_revisions only: the branch structure */
	hr_reach *reach_v;
	/* dependents of i (depends_on names i): dep[dep_start[i] ..) */
	size_t *dep_start;
	size_t *dep;
	const char **dep_id; /* dep[k]'s revision id */
	/* labels i carries, own and inherited: label[label_start[i] ..) */
	size_t *label_start;
	const char **label;
	id_key *by_label; /* own labels, sorted, with the owner's position */
	size_t n_labels;
};

/* The edges into one migration, during the build: its parents and
 * dependencies as positions in the input array. */
typedef struct edges {
	size_t *start; /* edges of i: to[start[i] .. start[i + 1]) */
	size_t *to;
} edges;

static int oom(hr_error *err)
{
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
			    "out of memory building the revision map");
}

/* Append s to the message buffer, keeping it NUL-terminated when full. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t used = strlen(buf);

	if (used + 1 < cap)
		snprintf(buf + used, cap - used, "%s", s);
}

/* The j-th of m's parents then dependencies: the edges into m. */
static const char *prior_id(const hr_migration *m, size_t j)
{
	return j < m->n_down_revisions
		? m->down_revisions[j]
		: m->depends_on[j - m->n_down_revisions];
}

/* ---- sorting by id ----------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
	const id_key *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* First key whose id is >= id (n when none). */
static size_t lower_bound(const id_key *keys, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(keys[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The position stored with id, or SIZE_MAX when id is not in keys. */
static size_t find_key(const id_key *keys, size_t n, const char *id)
{
	size_t i = lower_bound(keys, n, id);

	return i < n && strcmp(keys[i].id, id) == 0 ? keys[i].pos : SIZE_MAX;
}

/* Revision ids of migs, sorted, each with its position in migs. */
static id_key *sort_ids(hr_migration *const *migs, size_t n)
{
	id_key *keys = malloc((n ? n : 1) * sizeof *keys);
	size_t i;

	if (keys == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		keys[i].id = migs[i]->revision;
		keys[i].pos = i;
	}
	qsort(keys, n, sizeof *keys, cmp_key);
	return keys;
}

/* ---- validation -------------------------------------------------------- */

/*
 * Duplicate ids, labels used twice or equal to an id. keys are the sorted
 * ids; *out gets the sorted labels with their owners' input positions.
 */
static int check_names(hr_migration *const *migs, size_t n,
		       const id_key *keys, id_key **out, size_t *n_out,
		       hr_error *err)
{
	id_key *labels;
	size_t i, j, n_labels = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 1; i < n; i++)
		if (strcmp(keys[i - 1].id, keys[i].id) == 0)
			return hr_error_set(
				err, HR_FAILED_PRECONDITION,
				"duplicate revision '%s' in %s and %s",
				keys[i].id, migs[keys[i - 1].pos]->path,
				migs[keys[i].pos]->path);
	for (i = 0; i < n; i++)
		n_labels += migs[i]->n_branch_labels;
	labels = malloc((n_labels ? n_labels : 1) * sizeof *labels);
	if (labels == NULL)
		return oom(err);
	n_labels = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < migs[i]->n_branch_labels; j++) {
			labels[n_labels].id = migs[i]->branch_labels[j];
			labels[n_labels++].pos = i;
		}
	qsort(labels, n_labels, sizeof *labels, cmp_key);
	for (i = 0; i < n_labels && rc == 0; i++) {
		size_t owner = find_key(keys, n, labels[i].id);

		if (i > 0 && strcmp(labels[i - 1].id, labels[i].id) == 0)
			rc = hr_error_set(
				err, HR_FAILED_PRECONDITION,
				"branch label '%s' is used by both %s and %s",
				labels[i].id, migs[labels[i - 1].pos]->path,
				migs[labels[i].pos]->path);
		else if (owner != SIZE_MAX)
			rc = hr_error_set(
				err, HR_FAILED_PRECONDITION,
				"branch label '%s' in %s is also the revision "
				"id of %s",
				labels[i].id, migs[labels[i].pos]->path,
				migs[owner]->path);
	}
	*out = labels;
	*n_out = n_labels;
	return rc;
}

/* Resolve every down_revision and depends_on into e, in input positions.
 * A depends_on may name a branch label, as in Alembic: the revision that
 * carries it. */
static int link_edges(hr_migration *const *migs, size_t n, const id_key *keys,
		      const id_key *labels, size_t n_labels, edges *e,
		      hr_error *err)
{
	size_t i, j, k = 0, total = 0;

	for (i = 0; i < n; i++)
		total += migs[i]->n_down_revisions + migs[i]->n_depends_on;
	e->start = malloc((n + 1) * sizeof *e->start);
	e->to = malloc((total ? total : 1) * sizeof *e->to);
	if (e->start == NULL || e->to == NULL)
		return oom(err);
	for (i = 0; i < n; i++) {
		const hr_migration *m = migs[i];

		e->start[i] = k;
		for (j = 0; j < m->n_down_revisions + m->n_depends_on; j++) {
			e->to[k] = find_key(keys, n, prior_id(m, j));
			if (e->to[k] == SIZE_MAX && j >= m->n_down_revisions)
				e->to[k] = find_key(labels, n_labels,
						    prior_id(m, j));
			if (e->to[k++] == SIZE_MAX)
				return hr_error_set(
					err, HR_FAILED_PRECONDITION,
					"migration %s: %s '%s' does not exist",
					m->path,
					j < m->n_down_revisions
						? "down_revision"
						: "depends_on",
					prior_id(m, j));
		}
	}
	e->start[n] = k;
	return 0;
}

/*
 * Describe one cycle among the migrations Kahn's algorithm could not
 * order (done[i] == 0). Each of those still has an unordered parent, so
 * walking parents from any of them must come back to a migration already
 * on the walk; the loop from there is the cycle.
 */
static int report_cycle(hr_migration *const *migs, size_t n, const edges *e,
			const unsigned char *done, hr_error *err)
{
	size_t *walk = malloc(n * sizeof *walk);
	size_t *step_of = malloc(n * sizeof *step_of);
	size_t len = 0, cur = 0, first, i, k;
	char ids[HR_ERROR_MSG_MAX] = "", files[HR_ERROR_MSG_MAX] = "";

	if (walk == NULL || step_of == NULL) {
		free(walk);
		free(step_of);
		return oom(err);
	}
	for (i = 0; i < n; i++)
		step_of[i] = SIZE_MAX;
	while (done[cur])
		cur++;
	while (step_of[cur] == SIZE_MAX) {
		step_of[cur] = len;
		walk[len++] = cur;
		for (k = e->start[cur]; done[e->to[k]]; k++)
			;
		cur = e->to[k];
	}
	for (first = step_of[cur]; first < len; first++) {
		append(ids, sizeof ids, migs[walk[first]]->revision);
		append(ids, sizeof ids, " -> ");
		append(files, sizeof files, migs[walk[first]]->path);
		if (first + 1 < len)
			append(files, sizeof files, ", ");
	}
	append(ids, sizeof ids, migs[cur]->revision);
	free(walk);
	free(step_of);
	return hr_error_set(err, HR_FAILED_PRECONDITION,
			    "cycle through revisions %s (%s)", ids, files);
}

/* ---- ordering ---------------------------------------------------------- */

/* Min-heap of input positions: among ready migrations the earliest given
 * goes first, which makes the order stable. */
static void heap_push(size_t *heap, size_t *n, size_t v)
{
	size_t i = (*n)++;

	while (i > 0 && heap[(i - 1) / 2] > v) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = v;
}

static size_t heap_pop(size_t *heap, size_t *n)
{
	size_t top = heap[0], v = heap[--*n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= v)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (*n > 0)
		heap[i] = v;
	return top;
}

/*
 * Kahn's algorithm over e: order[k] is the input position of the k-th
 * migration, parents first. Fails with the cycle when there is one.
 */
static int topo_sort(hr_migration *const *migs, size_t n, const edges *e,
		     size_t *order, hr_error *err)
{
	size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
	size_t *succ_start = calloc(n + 1, sizeof *succ_start);
	size_t *succ = malloc((e->start[n] ? e->start[n] : 1) * sizeof *succ);
	size_t *heap = malloc((n ? n : 1) * sizeof *heap);
	unsigned char *done = calloc(n ? n : 1, 1);
	size_t i, k, n_heap = 0, n_order = 0;
	int rc = 0;

	if (indeg == NULL || succ_start == NULL || succ == NULL ||
	    heap == NULL || done == NULL) {
		rc = oom(err);
		goto out;
	}
	/* Successor lists: the reverse of e, bucketed by parent. */
	for (k = 0; k < e->start[n]; k++)
		succ_start[e->to[k] + 1]++;
	for (i = 0; i < n; i++)
		succ_start[i + 1] += succ_start[i];
	/* indeg serves as each bucket's fill cursor before it is set. */
	for (i = 0; i < n; i++)
		for (k = e->start[i]; k < e->start[i + 1]; k++)
			succ[succ_start[e->to[k]] + indeg[e->to[k]]++] = i;
	for (i = 0; i < n; i++) {
		indeg[i] = e->start[i + 1] - e->start[i];
		if (indeg[i] == 0)
			heap_push(heap, &n_heap, i);
	}
	while (n_heap > 0) {
		size_t v = heap_pop(heap, &n_heap);

		done[v] = 1;
		order[n_order++] = v;
		for (k = succ_start[v]; k < succ_start[v + 1]; k++)
			if (--indeg[succ[k]] == 0)
				heap_push(heap, &n_heap, succ[k]);
	}
	if (n_order < n)
		rc = report_cycle(migs, n, e, done, err);
out:
	free(indeg);
	free(succ_start);
	free(succ);
	free(heap);
	free(done);
	return rc;
}

/* ---- indexes over the ordered map -------------------------------------- */

static size_t slot_of(const hr_revmap *map, const hr_migration *m)
{
	/* Fibonacci hashing of the pointer; malloc'd pointers are aligned,
	 * so the low bits carry nothing and the high product bits mix best. */
	uint64_t h = (uint64_t)((uintptr_t)m >> 4) *
		     UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & map->slot_mask;
}

/* Fill the pointer -> position table; linear probing, load <= 1/2. */
static int index_pointers(hr_revmap *map)
{
	size_t slots = 8, i;

	while (slots < 2 * map->n)
		slots *= 2;
	map->slot_mask = slots - 1;
	map->slot_mig = calloc(slots, sizeof *map->slot_mig);
	map->slot_pos = malloc(slots * sizeof *map->slot_pos);
	if (map->slot_mig == NULL || map->slot_pos == NULL)
		return -1;
	for (i = 0; i < map->n; i++) {
		size_t s = slot_of(map, map->migs[i]);

		while (map->slot_mig[s] != NULL)
			s = (s + 1) & map->slot_mask;
		map->slot_mig[s] = map->migs[i];
		map->slot_pos[s] = i;
	}
	return 0;
}

/*
 * Child and dependent lists, heads and the reachability indexes, in
 * topological positions; e is in input positions, order and rank
 * translate between the two.
 */
static int index_graph(hr_revmap *map, const edges *e, const size_t *order,
		       const size_t *rank)
{
	size_t n = map->n, i, k;
	size_t *fill = calloc(n ? n : 1, sizeof *fill);
	size_t *dfill = calloc(n ? n : 1, sizeof *dfill);
	int rc = -1;

	map->child_start = calloc(n + 1, sizeof *map->child_start);
	map->dep_start = calloc(n + 1, sizeof *map->dep_start);
	map->heads = malloc((n ? n : 1) * sizeof *map->heads);
	if (fill == NULL || dfill == NULL || map->child_start == NULL ||
	    map->dep_start == NULL || map->heads == NULL)
		goto out;
	/* A migration's first n_down_revisions edges are its parents, the
	 * rest its dependencies. */
	for (i = 0; i < n; i++) {
		const size_t *to = e->to + e->start[order[i]];
		size_t n_edges = e->start[order[i] + 1] - e->start[order[i]];

		for (k = 0; k < n_edges; k++) {
			if (k < map->migs[i]->n_down_revisions)
				map->child_start[rank[to[k]] + 1]++;
			else
				map->dep_start[rank[to[k]] + 1]++;
		}
	}
	for (i = 0; i < n; i++) {
		map->child_start[i + 1] += map->child_start[i];
		map->dep_start[i + 1] += map->dep_start[i];
	}
	map->child = malloc((map->child_start[n] ? map->child_start[n] : 1) *
			    sizeof *map->child);
	map->dep = malloc((map->dep_start[n] ? map->dep_start[n] : 1) *
			  sizeof *map->dep);
	map->child_id = malloc((map->child_start[n] + 1) *
			       sizeof *map->child_id);
	map->dep_id = malloc((map->dep_start[n] + 1) * sizeof *map->dep_id);
	if (map->child == NULL || map->dep == NULL || map->child_id == NULL ||
	    map->dep_id == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		size_t first = e->start[order[i]];

		for (k = first; k < e->start[order[i] + 1]; k++) {
			size_t p = rank[e->to[k]];

			if (k - first < map->migs[i]->n_down_revisions)
				map->child[map->child_start[p] + fill[p]++] = i;
			else
				map->dep[map->dep_start[p] + dfill[p]++] = i;
		}
	}
	for (k = 0; k < map->child_start[n]; k++)
		map->child_id[k] = map->migs[map->child[k]]->revision;
	for (k = 0; k < map->dep_start[n]; k++)
		map->dep_id[k] = map->migs[map->dep[k]]->revision;
	for (i = 0; i < n; i++)
		if (map->child_start[i + 1] == map->child_start[i])
			map->heads[map->n_heads++] = i;
	{
		const hr_reach_list lists[2] = {
			{map->child_start, map->child},
			{map->dep_start, map->dep},
		};

		map->reach = hr_reach_build(n, lists, 2);
		map->reach_v = hr_reach_build(n, lists, 1);
	}
	if (map->reach != NULL && map->reach_v != NULL)
		rc = 0;
out:
	free(fill);
	free(dfill);
	return rc;
}

/*
 * The revision below i on its branch: its one parent, unless i is a
 * merge or base, or that parent is a branch point (has another child or
 * a dependent) or a merge. SIZE_MAX when the branch ends at i.
 */
static size_t branch_below(const hr_revmap *map, size_t i)
{
	const hr_migration *m = map->migs[i];
	size_t p;

	if (m->n_down_revisions != 1)
		return SIZE_MAX;
	p = find_key(map->by_id, map->n, m->down_revisions[0]);
	if (p == SIZE_MAX || map->migs[p]->n_down_revisions > 1 ||
	    map->child_start[p + 1] - map->child_start[p] +
			    map->dep_start[p + 1] - map->dep_start[p] >
		    1)
		return SIZE_MAX;
	return p;
}

/*
 * Mark in member[] the revisions branch label(s) of revision r reach, as
 * Alembic spreads them: r and its descendants through down_revision, and
 * the revisions below r down to the nearest branch point or merge.
 * Children come after their parents, so one pass from r marks every
 * descendant.
 */
static void branch_members(const hr_revmap *map, size_t r,
			   unsigned char *member)
{
	size_t i, k;

	memset(member, 0, map->n);
	member[r] = 1;
	for (i = r; i < map->n; i++) {
		if (!member[i])
			continue;
		for (k = map->child_start[i]; k < map->child_start[i + 1]; k++)
			member[map->child[k]] = 1;
	}
	for (i = branch_below(map, r); i != SIZE_MAX; i = branch_below(map, i))
		member[i] = 1;
}

/* Every revision's labels, own and inherited: two passes over the
 * labelled revisions, one to count and one to fill. */
static int index_labels(hr_revmap *map)
{
	size_t n = map->n, i, k, pass;
	unsigned char *member = malloc(n ? n : 1);
	size_t *fill = calloc(n + 1, sizeof *fill);
	int rc = -1;

	map->label_start = calloc(n + 1, sizeof *map->label_start);
	if (member == NULL || fill == NULL || map->label_start == NULL)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			const hr_migration *m = map->migs[i];

			if (m->n_branch_labels == 0)
				continue;
			branch_members(map, i, member);
			for (k = 0; k < n; k++) {
				if (!member[k])
					continue;
				if (pass == 0) {
					map->label_start[k + 1] +=
						m->n_branch_labels;
					continue;
				}
				memcpy(map->label + map->label_start[k] +
					       fill[k],
				       m->branch_labels,
				       m->n_branch_labels * sizeof(char *));
				fill[k] += m->n_branch_labels;
			}
		}
		if (pass == 0) {
			for (i = 0; i < n; i++)
				map->label_start[i + 1] += map->label_start[i];
			map->label = malloc((map->label_start[n] + 1) *
					    sizeof *map->label);
			if (map->label == NULL)
				goto out;
		}
	}
	rc = 0;
out:
	free(member);
	free(fill);
	return rc;
}

/* ---- building ---------------------------------------------------------- */

/* Check map->migs (in input order), then reorder and index them. */
static int build(hr_revmap *map, hr_error *err)
{
	hr_migration **migs = map->migs;
	size_t n = map->n, i;
	edges e = {NULL, NULL};
	size_t *order = malloc((n ? n : 1) * sizeof *order);
	size_t *rank = malloc((n ? n : 1) * sizeof *rank);
	hr_migration **sorted = malloc((n ? n : 1) * sizeof *sorted);
	id_key *keys = sort_ids(migs, n), *labels = NULL;
	size_t n_labels = 0;
	int rc;

	if (order == NULL || rank == NULL || sorted == NULL || keys == NULL) {
		rc = oom(err);
		goto out;
	}
	if ((rc = check_names(migs, n, keys, &labels, &n_labels, err)) < 0 ||
	    (rc = link_edges(migs, n, keys, labels, n_labels, &e, err)) < 0 ||
	    (rc = topo_sort(migs, n, &e, order, err)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		sorted[i] = migs[order[i]];
		rank[order[i]] = i;
	}
	free(migs);
	map->migs = sorted;
	sorted = NULL;
	for (i = 0; i < n; i++)
		keys[i].pos = rank[keys[i].pos];
	for (i = 0; i < n_labels; i++)
		labels[i].pos = rank[labels[i].pos];
	map->by_id = keys;
	keys = NULL;
	map->by_label = labels;
	map->n_labels = n_labels;
	labels = NULL;
	if (index_pointers(map) < 0 || index_graph(map, &e, order, rank) < 0 ||
	    index_labels(map) < 0)
		rc = oom(err);
out:
	free(labels);
	free(e.start);
	free(e.to);
	free(order);
	free(rank);
	free(sorted);
	free(keys);
	return rc;
}

int hr_revmap_build(hr_migration **migs, size_t n, hr_revmap **out,
		    hr_error *err)
{
	hr_revmap *map = calloc(1, sizeof *map);
	int rc;

	*out = NULL;
	if (map == NULL) {
		size_t i;

		for (i = 0; i < n; i++)
			hr_migration_free(migs[i]);
		free(migs);
		return oom(err);
	}
	map->migs = migs;
	map->n = n;
	rc = build(map, err);
	if (rc < 0) {
		hr_revmap_free(map);
		return rc;
	}
	*out = map;
	return 0;
}

/* Migration files: *.sql, but not editor droppings like .#x.sql. */
static int is_sql_name(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 4 &&
	       strcmp(d->d_name + len - 4, ".sql") == 0;
}

/* Byte order, not the locale's collation, so every host agrees. */
static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Whether the entry d of the directory open as dir_fd is to be read as a
 * migration: what stat(2) says, a regular file or a path that does not
 * resolve (a dangling symlink is a broken migration, which loading
 * reports). The directory's own type for the entry saves the stat for
 * every entry but a symlink (or on a file system that does not say).
 */
static int is_migration_entry(int dir_fd, const struct dirent *d)
{
	struct stat st;

	if (d->d_type == DT_REG)
		return 1;
	if (d->d_type != DT_LNK && d->d_type != DT_UNKNOWN)
		return 0;
	return fstatat(dir_fd, d->d_name, &st, 0) != 0 || S_ISREG(st.st_mode);
}

int hr_revmap_scan_dir(const char *dir, hr_revmap_scan_fn each, void *ud,
		       hr_error *err)
{
	struct dirent **names = NULL;
	size_t dlen = strlen(dir);
	int slash = dlen > 0 && dir[dlen - 1] != '/';
	struct stat dir_st;
	int dir_fd, n, i, rc = 0;

	/* Files are opened relative to the directory: one path walk for
	 * all of them. */
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = dir_fd < 0 ? -1
		       : scandirat(dir_fd, ".", &names, is_sql_name, cmp_name);
	if (n < 0) {
		rc = hr_error_set(err, HR_NOT_FOUND,
				  "cannot read migrations directory '%s': %s",
				  dir, strerror(errno));
		if (dir_fd >= 0)
			close(dir_fd);
		return rc;
	}
	/* Whoever may add a file here may add a migration. */
	if (fstat(dir_fd, &dir_st) != 0)
		rc = hr_error_set(err, HR_NOT_FOUND,
				  "cannot read migrations directory '%s': %s",
				  dir, strerror(errno));
	else
		rc = hr_migration_check_mode(dir, &dir_st,
					     "migrations directory", err);
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		size_t name_len = strlen(name);
		char *path;
		hr_migration *m = NULL;
		hr_error why;

		/* A directory named x.sql is not a migration. */
		if (!is_migration_entry(dir_fd, names[i]))
			continue;
		path = malloc(dlen + slash + name_len + 1);
		if (path == NULL) {
			rc = oom(err);
			break;
		}
		memcpy(path, dir, dlen);
		if (slash)
			path[dlen] = '/';
		memcpy(path + dlen + slash, name, name_len + 1);
		hr_error_clear(&why);
		hr_migration_load_at(dir_fd, name, path, &m, &why);
		rc = each(ud, path, m, &why);
		free(path);
	}
	close(dir_fd);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Collects the migrations of a directory for load_dir; the first file
 * that does not parse stops the scan. */
typedef struct loading {
	hr_migration **migs;
	size_t n, cap;
	hr_error *err;
} loading;

static int collect(void *ud, const char *path, hr_migration *m,
		   const hr_error *why)
{
	loading *l = ud;

	(void)path;
	if (m == NULL)
		return hr_error_set(l->err, HR_FAILED_PRECONDITION, "%s",
				    why->msg);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		hr_migration **migs = realloc(l->migs, cap * sizeof *migs);

		if (migs == NULL) {
			hr_migration_free(m);
			return oom(l->err);
		}
		l->migs = migs;
		l->cap = cap;
	}
	l->migs[l->n++] = m;
	return 0;
}

int hr_revmap_load_dir(const char *dir, hr_revmap **out, hr_error *err)
{
	loading l = {NULL, 0, 0, err};
	int rc;

	*out = NULL;
	rc = hr_revmap_scan_dir(dir, collect, &l, err);
	if (rc < 0) {
		while (l.n > 0)
			hr_migration_free(l.migs[--l.n]);
		free(l.migs);
		return rc;
	}
	return hr_revmap_build(l.migs, l.n, out, err);
}

void hr_revmap_free(hr_revmap *map)
{
	size_t i;

	if (map == NULL)
		return;
	for (i = 0; i < map->n; i++)
		hr_migration_free(map->migs[i]);
	free(map->migs);
	free(map->by_id);
	free(map->child_start);
	free(map->child);
	free(map->heads);
	free(map->slot_mig);
	free(map->slot_pos);
	hr_reach_free(map->reach);
	hr_reach_free(map->reach_v);
	free(map->dep_start);
	free(map->dep);
	free(map->child_id);
	free(map->dep_id);
	free(map->label_start);
	free(map->label);
	free(map->by_label);
	free(map);
}

/* ---- queries ----------------------------------------------------------- */

size_t hr_revmap_count(const hr_revmap *map)
{
	return map->n;
}

const hr_migration *hr_revmap_at(const hr_revmap *map, size_t i)
{
	return i < map->n ? map->migs[i] : NULL;
}

/* Position of m, or map->n when m is not from this map. */
size_t hr_revmap_index(const hr_revmap *map, const hr_migration *m)
{
	size_t s;

	if (m == NULL || map->n == 0)
		return map->n;
	for (s = slot_of(map, m); map->slot_mig[s] != NULL;
	     s = (s + 1) & map->slot_mask)
		if (map->slot_mig[s] == m)
			return map->slot_pos[s];
	return map->n;
}

const hr_migration *hr_revmap_get(const hr_revmap *map, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	i = find_key(map->by_id, map->n, id);
	return i == SIZE_MAX ? NULL : map->migs[i];
}

int hr_revmap_lookup(const hr_revmap *map, const char *id_or_prefix,
		     const hr_migration **out, hr_error *err)
{
	size_t first, i, len;
	char names[HR_ERROR_MSG_MAX] = "";

	*out = NULL;
	if (id_or_prefix == NULL || id_or_prefix[0] == '\0')
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "empty revision id");
	*out = hr_revmap_get(map, id_or_prefix);
	if (*out != NULL)
		return 0;
	len = strlen(id_or_prefix);
	first = lower_bound(map->by_id, map->n, id_or_prefix);
	for (i = first; i < map->n; i++) {
		const char *rev = map->by_id[i].id;

		if (strncmp(rev, id_or_prefix, len) != 0)
			break;
		if (i > first)
			append(names, sizeof names, ", ");
		append(names, sizeof names, rev);
	}
	if (i == first)
		return hr_error_set(err, HR_NOT_FOUND,
				    "no such revision '%.64s'", id_or_prefix);
	if (i > first + 1)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "revision prefix '%s' is ambiguous: %s",
				    id_or_prefix, names);
	*out = map->migs[map->by_id[first].pos];
	return 0;
}

size_t hr_revmap_head_count(const hr_revmap *map)
{
	return map->n_heads;
}

const hr_migration *hr_revmap_head(const hr_revmap *map, size_t i)
{
	return i < map->n_heads ? map->migs[map->heads[i]] : NULL;
}

size_t hr_revmap_child_count(const hr_revmap *map, const hr_migration *m)
{
	size_t i = hr_revmap_index(map, m);

	if (i == map->n)
		return 0;
	return map->child_start[i + 1] - map->child_start[i];
}

const hr_migration *hr_revmap_child(const hr_revmap *map,
				    const hr_migration *m, size_t i)
{
	size_t pos = hr_revmap_index(map, m);

	if (pos == map->n ||
	    i >= map->child_start[pos + 1] - map->child_start[pos])
		return NULL;
	return map->migs[map->child[map->child_start[pos] + i]];
}

int hr_revmap_is_head(const hr_revmap *map, const hr_migration *m)
{
	return hr_revmap_index(map, m) < map->n &&
	       hr_revmap_child_count(map, m) == 0;
}

int hr_revmap_is_base(const hr_revmap *map, const hr_migration *m)
{
	return hr_revmap_index(map, m) < map->n && m->n_down_revisions == 0;
}

int hr_revmap_is_ancestor(const hr_revmap *map, const hr_migration *a,
			  const hr_migration *b)
{
	size_t i = hr_revmap_index(map, a), j = hr_revmap_index(map, b);

	if (i == map->n || j == map->n)
		return 0;
	return hr_reach_test(map->reach, i, j) == 1;
}

int hr_revmap_is_parent_ancestor(const hr_revmap *map, const hr_migration *a,
				 const hr_migration *b)
{
	size_t i = hr_revmap_index(map, a), j = hr_revmap_index(map, b);

	if (i == map->n || j == map->n)
		return 0;
	return hr_reach_test(map->reach_v, i, j) == 1;
}

int hr_revmap_shares_lineage(const hr_revmap *map, const hr_migration *a,
			     const hr_migration *b)
{
	return hr_revmap_is_parent_ancestor(map, a, b) ||
	       hr_revmap_is_parent_ancestor(map, b, a);
}

size_t hr_revmap_dependent_count(const hr_revmap *map, const hr_migration *m)
{
	size_t i = hr_revmap_index(map, m);

	if (i == map->n)
		return 0;
	return map->dep_start[i + 1] - map->dep_start[i];
}

const hr_migration *hr_revmap_dependent(const hr_revmap *map,
					const hr_migration *m, size_t i)
{
	size_t pos = hr_revmap_index(map, m);

	if (pos == map->n ||
	    i >= map->dep_start[pos + 1] - map->dep_start[pos])
		return NULL;
	return map->migs[map->dep[map->dep_start[pos] + i]];
}

const hr_migration *hr_revmap_labelled(const hr_revmap *map,
				       const char *label)
{
	size_t i;

	if (label == NULL)
		return NULL;
	i = find_key(map->by_label, map->n_labels, label);
	return i == SIZE_MAX ? NULL : map->migs[i];
}

const hr_migration *hr_revmap_dependency(const hr_revmap *map,
					 const char *id_or_label)
{
	const hr_migration *m = hr_revmap_get(map, id_or_label);

	return m != NULL ? m : hr_revmap_labelled(map, id_or_label);
}

size_t hr_revmap_label_count(const hr_revmap *map, const hr_migration *m)
{
	size_t i = hr_revmap_index(map, m);

	if (i == map->n)
		return 0;
	return map->label_start[i + 1] - map->label_start[i];
}

const char *hr_revmap_label(const hr_revmap *map, const hr_migration *m,
			    size_t i)
{
	size_t pos = hr_revmap_index(map, m);

	if (pos == map->n ||
	    i >= map->label_start[pos + 1] - map->label_start[pos])
		return NULL;
	return map->label[map->label_start[pos] + i];
}

int hr_revmap_on_branch(const hr_revmap *map, const hr_migration *m,
			const char *label)
{
	size_t i, n = hr_revmap_label_count(map, m);

	for (i = 0; i < n; i++)
		if (strcmp(hr_revmap_label(map, m, i), label) == 0)
			return 1;
	return 0;
}

const hr_migration *hr_revmap_branch_base(const hr_revmap *map,
					  const hr_migration *m)
{
	size_t i = hr_revmap_index(map, m), below;

	if (i == map->n)
		return NULL;
	while ((below = branch_below(map, i)) != SIZE_MAX)
		i = below;
	return map->migs[i];
}

const char *const *hr_revmap_child_ids(const hr_revmap *map,
				       const hr_migration *m, size_t *n)
{
	size_t i = hr_revmap_index(map, m);

	*n = i == map->n ? 0 : map->child_start[i + 1] - map->child_start[i];
	return *n ? map->child_id + map->child_start[i] : NULL;
}

const char *const *hr_revmap_dependent_ids(const hr_revmap *map,
					   const hr_migration *m, size_t *n)
{
	size_t i = hr_revmap_index(map, m);

	*n = i == map->n ? 0 : map->dep_start[i + 1] - map->dep_start[i];
	return *n ? map->dep_id + map->dep_start[i] : NULL;
}

const char *const *hr_revmap_labels(const hr_revmap *map,
				    const hr_migration *m, size_t *n)
{
	size_t i = hr_revmap_index(map, m);

	*n = i == map->n ? 0 : map->label_start[i + 1] - map->label_start[i];
	return *n ? map->label + map->label_start[i] : NULL;
}
