/*
 * plan.h — from (revision map, current version rows, target) to the
 * ordered steps that get there, and the alembic_version row changes each
 * step makes.
 *
 * Targets (docs/migrations.md): [LABEL@]NAME[(+|-)N] or [LABEL@](+|-)N,
 * where NAME is `head` (the one head; an error naming them when there
 * are several), `heads`, `base`, `current` or a full id or unique prefix,
 * and +N/-N walk that many revisions up or down (from the current
 * revision when there is no NAME). LABEL@ keeps the target to one branch:
 * LABEL is a branch label (or a revision); `LABEL@head` is that branch's
 * head, `LABEL@base` where the branch starts, `LABEL@+1` one step up the
 * branch from its current revision, `LABEL@REV` REV checked to be on it.
 */
#ifndef HR_PLAN_H
#define HR_PLAN_H

#include <stddef.h>

#include "migration.h"
#include "revmap.h"
#include "status.h"

/* One change to alembic_version, applied in the step's transaction. */
typedef enum hr_vop_kind {
	HR_VOP_INSERT, /* INSERT to */
	HR_VOP_UPDATE, /* UPDATE from -> to (must touch exactly one row) */
	HR_VOP_DELETE, /* DELETE from (must touch exactly one row) */
} hr_vop_kind;

typedef struct hr_vop {
	hr_vop_kind kind;
	const char *from; /* NULL for INSERT; points into the map */
	const char *to;   /* NULL for DELETE; points into the map */
} hr_vop;

typedef struct hr_plan_step {
	const hr_migration *migration;
	hr_direction direction;
	hr_vop *vops;
	size_t n_vops;
} hr_plan_step;

typedef struct hr_plan {
	hr_plan_step *steps;
	size_t n_steps;
	/* The alembic_version rows after the last step (points into map). */
	const char **final_heads;
	size_t n_final_heads;
	int purge; /* stamp: empty the table first, whatever it holds */
} hr_plan;

/*
 * Plan an upgrade or downgrade from the version rows `current` (n_current
 * ids, possibly none) to target.
 *
 * Upgrade: every ancestor-or-self of the target not already an
 * ancestor-or-self of a current row, parents first. A target already
 * applied is an empty plan.
 * Downgrade: every applied descendant of the target (all applied
 * revisions for `base`), children first; a target that is not applied is
 * -HR_FAILED_PRECONDITION. With LABEL@, only the descendants on that
 * branch (and what depends on them) go; LABEL@base removes the branch
 * from where it starts.
 *
 * Errors: unknown revision (also a current row the map does not know)
 * -HR_NOT_FOUND; malformed target -HR_INVALID_ARGUMENT; several heads
 * for `head`, an ambiguous prefix, or a relative step across a branch or
 * merge point, or beyond base/head, -HR_FAILED_PRECONDITION or
 * -HR_INVALID_ARGUMENT with a message saying which revisions are
 * involved. On success the caller frees *out with hr_plan_free.
 */
int hr_plan_build(const hr_revmap *map, hr_direction dir,
		  const char *const *current, size_t n_current,
		  const char *target, hr_plan *out, hr_error *err);

/*
 * Plan `stamp` of targets (each a target as above): the rows
 * alembic_version should hold, in final_heads, as Alembic's stamp
 * computes them. Each revision a target names replaces the rows on its
 * line of descent (rows it descends from or that descend from it) and
 * leaves other branches' rows alone; `base` removes every row, LABEL@base
 * the rows on that branch. Targets on one line of descent with each other
 * are -HR_INVALID_ARGUMENT. Relative targets count from current. With
 * purge the table starts empty (plan->purge is set), so rows the map does
 * not know are no obstacle; without it they are -HR_NOT_FOUND.
 */
int hr_plan_stamp(const hr_revmap *map, const char *const *current,
		  size_t n_current, const char *const *targets,
		  size_t n_targets, int purge, hr_plan *out, hr_error *err);

/*
 * The revisions target names (none for base), in topological order, as a
 * new array in *out (free() it). Relative targets count from the current
 * rows in either direction. have_current 0: the caller does not know the
 * rows, and a target that needs them fails with -HR_INVALID_ARGUMENT.
 */
int hr_plan_resolve(const hr_revmap *map, const char *const *current,
		    size_t n_current, int have_current, const char *target,
		    const hr_migration ***out, size_t *n_out, hr_error *err);

/*
 * A history range "START:END" (either may be empty: base and heads) as
 * Alembic's `history -r` reads it: the revisions that are descendants-or-
 * self of START (through down_revision) and ancestors-or-self of END
 * (dependencies included), newest first, as a new
 * array in *out (free() it). START may be -N (counted down from END) and
 * END +N (counted up from START); `current` is the version rows. A START
 * that is not an ancestor of END is -HR_INVALID_ARGUMENT.
 */
int hr_plan_range(const hr_revmap *map, const char *const *current,
		  size_t n_current, const char *range,
		  const hr_migration ***out, size_t *n_out, hr_error *err);

/*
 * The applied revisions that have no row of their own because a
 * dependent's row stands for them, and that no applied revision descends
 * from (through down_revision): with the rows, what Alembic's `current`
 * lists. A new array in *out (free() it), topological order.
 */
int hr_plan_implied_heads(const hr_revmap *map, const char *const *current,
			  size_t n_current, const hr_migration ***out,
			  size_t *n_out, hr_error *err);

/* Whether target counts from the version rows (`current`, +N, -N,
 * LABEL@+N): the caller must read them first. 0 for a malformed target,
 * which resolving then reports. */
int hr_plan_needs_current(const char *target);

void hr_plan_free(hr_plan *plan);

#endif
