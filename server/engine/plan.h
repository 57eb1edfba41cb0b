/*
 * plan.h — from (revision map, current version rows, target) to the
 * ordered steps that get there, and the alembic_version row changes each
 * step makes.
 *
 * Targets (docs/migrations.md): `head` (the one head; an error naming
 * them when there are several), `heads`, `base`, a full id or unique
 * prefix, `+N` (upgrade) and `-N` (downgrade) relative to the current
 * revision, and `REV+N` / `REV-N` relative to REV.
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
 * -HR_FAILED_PRECONDITION.
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
 * Resolve target for `stamp`: the rows alembic_version should hold
 * (none for `base`). Relative targets count from current.
 */
int hr_plan_stamp(const hr_revmap *map, const char *const *current,
		  size_t n_current, const char *target, hr_plan *out,
		  hr_error *err);

void hr_plan_free(hr_plan *plan);

#endif
