/*
 * revmap.h — the revision map: every migration of a directory, linked
 * into a DAG by down_revision (several parents for a merge) and
 * depends_on. Several bases and several heads are allowed.
 *
 * A map is immutable once built, so the loop thread and the writer can
 * share one without locking; reloading builds a new map.
 */
#ifndef HR_REVMAP_H
#define HR_REVMAP_H

#include <stddef.h>

#include "migration.h"
#include "status.h"

typedef struct hr_revmap hr_revmap;

/*
 * Load every `*.sql` file of dir (sorted by name; other files and
 * subdirectories are ignored) and build the map. A broken file, a
 * duplicate revision id, a parent or dependency that does not exist, a
 * cycle (self-loops and cycles through depends_on too) or a branch label
 * used twice fails with -HR_FAILED_PRECONDITION (-HR_NOT_FOUND when dir
 * itself cannot be read) and an err naming the file(s) involved.
 */
int hr_revmap_load_dir(const char *dir, hr_revmap **out, hr_error *err);

/*
 * Parse every `*.sql` file of dir, in name order, and pass each to
 * each(): the parsed migration (which each() then owns), or NULL and why
 * the file does not parse. A negative return from each() stops the scan
 * and is returned. -HR_NOT_FOUND when dir cannot be read.
 */
typedef int (*hr_revmap_scan_fn)(void *ud, const char *path, hr_migration *m,
				 const hr_error *why);
int hr_revmap_scan_dir(const char *dir, hr_revmap_scan_fn each, void *ud,
		       hr_error *err);

/*
 * Build a map from n parsed migrations, taking ownership of them and of
 * the array `migs` (both freed by hr_revmap_free, or here on failure).
 * Same validation as hr_revmap_load_dir.
 */
int hr_revmap_build(hr_migration **migs, size_t n, hr_revmap **out,
		    hr_error *err);

void hr_revmap_free(hr_revmap *map);

/* Migrations in a stable topological order: parents before children. */
size_t hr_revmap_count(const hr_revmap *map);
const hr_migration *hr_revmap_at(const hr_revmap *map, size_t i);

/* Position of m in the topological order (for m from this map). */
size_t hr_revmap_index(const hr_revmap *map, const hr_migration *m);

/* Exact id, or NULL. */
const hr_migration *hr_revmap_get(const hr_revmap *map, const char *id);

/*
 * Full id or unique prefix. -HR_NOT_FOUND ("no such revision 'x'") or,
 * for a prefix matching several, -HR_INVALID_ARGUMENT naming them all
 * ("revision prefix 'ab' is ambiguous: ab12.., ab34..").
 */
int hr_revmap_lookup(const hr_revmap *map, const char *id_or_prefix,
		     const hr_migration **out, hr_error *err);

/* Heads (no child names them as down_revision), in topological order. */
size_t hr_revmap_head_count(const hr_revmap *map);
const hr_migration *hr_revmap_head(const hr_revmap *map, size_t i);

/* Children of m: the migrations whose down_revisions name m. */
size_t hr_revmap_child_count(const hr_revmap *map, const hr_migration *m);
const hr_migration *hr_revmap_child(const hr_revmap *map,
				    const hr_migration *m, size_t i);

int hr_revmap_is_head(const hr_revmap *map, const hr_migration *m);
int hr_revmap_is_base(const hr_revmap *map, const hr_migration *m);

/*
 * Whether a is b or an ancestor of b, following down_revisions and
 * depends_on.
 */
int hr_revmap_is_ancestor(const hr_revmap *map, const hr_migration *a,
			  const hr_migration *b);

/* Whether a is b or an ancestor of b through down_revisions alone: the
 * branch structure, which depends_on does not change. */
int hr_revmap_is_parent_ancestor(const hr_revmap *map, const hr_migration *a,
				 const hr_migration *b);

/* Whether a and b are on one line of descent (either is an ancestor-or-
 * self of the other through down_revisions): Alembic's "shares lineage". */
int hr_revmap_shares_lineage(const hr_revmap *map, const hr_migration *a,
			     const hr_migration *b);

/* Dependents of m: the migrations whose depends_on names m. */
size_t hr_revmap_dependent_count(const hr_revmap *map, const hr_migration *m);
const hr_migration *hr_revmap_dependent(const hr_revmap *map,
					const hr_migration *m, size_t i);

/* The migration whose own branch_labels include label, or NULL. */
const hr_migration *hr_revmap_labelled(const hr_revmap *map,
				       const char *label);

/* A depends_on entry resolved: the revision of that id, else the one
 * carrying that branch label (NULL for neither). */
const hr_migration *hr_revmap_dependency(const hr_revmap *map,
					 const char *id_or_label);

/*
 * The branch labels m carries: its own, and those it inherits as
 * Alembic spreads them — a label reaches its revision's descendants
 * (through down_revision) and the revisions below it down to the nearest
 * branch point or merge. In topological order of the labelled revisions.
 */
size_t hr_revmap_label_count(const hr_revmap *map, const hr_migration *m);
const char *hr_revmap_label(const hr_revmap *map, const hr_migration *m,
			    size_t i);
/* Whether m carries label (own or inherited). */
int hr_revmap_on_branch(const hr_revmap *map, const hr_migration *m,
			const char *label);

/* The same lists as arrays of ids (*n entries; NULL when none), owned by
 * the map: for replies that point into it instead of copying. */
const char *const *hr_revmap_child_ids(const hr_revmap *map,
				       const hr_migration *m, size_t *n);
const char *const *hr_revmap_dependent_ids(const hr_revmap *map,
					   const hr_migration *m, size_t *n);
const char *const *hr_revmap_labels(const hr_revmap *map,
				    const hr_migration *m, size_t *n);

/* The lowest revision the labels of m reach downwards: where the branch
 * m starts (m itself when its parent is a branch point, merge or none). */
const hr_migration *hr_revmap_branch_base(const hr_revmap *map,
					  const hr_migration *m);

#endif
