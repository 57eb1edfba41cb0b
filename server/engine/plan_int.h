/*
 * plan_int.h — what plan.c and target.c share and no other file sees
 * (SQLite's btreeInt.h pattern): the planner's state, sets of revisions
 * of the map, and the target grammar's entry points, which target.c
 * defines and the planner (plan.c) calls.
 */
#ifndef HR_PLAN_INT_H
#define HR_PLAN_INT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* Longer targets are garbage: an id, a sign and a count fit easily. */
#define TARGET_MAX 96
/* Larger relative counts cannot mean anything in a real map. */
#define REL_MAX 1000000

typedef enum mode { MODE_UPGRADE, MODE_DOWNGRADE, MODE_STAMP } mode;

/* A set of migrations of the map: a target, or version rows. */
typedef struct revset {
	const hr_migration **v;
	size_t n;
} revset;

typedef struct planner {
	const hr_revmap *map;
	const char *const *current_ids;
	size_t n_current_ids;
	int no_current; /* the caller cannot know the rows: `current` fails */
	revset current; /* current_ids resolved, once resolved is set */
	int resolved;
	/* The last target's LABEL@ part: the revision the label names, and
	 * whether the target was LABEL@base. Downgrade and stamp keep to
	 * that branch. */
	const hr_migration *branch;
	int branch_base;
	hr_error *err;
} planner;

/* A target split into its parts; see hr_target_parse. */
typedef struct target_parts {
	const char *text;
	char label[TARGET_MAX + 1]; /* before '@', or "" */
	char name[TARGET_MAX + 1];  /* id, prefix or keyword; may be "" */
	long rel;                   /* +N / -N, or 0 */
} target_parts;

static inline int plan_oom(hr_error *err)
{
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
			    "out of memory building a plan");
}

/* ---- revision sets ----------------------------------------------------- */

/* Room for every migration of the map: a set never holds one twice. */
static inline int set_init(planner *p, revset *s)
{
	s->n = 0;
	s->v = malloc((hr_revmap_count(p->map) + 1) * sizeof *s->v);
	return s->v == NULL ? plan_oom(p->err) : 0;
}

static inline int set_has(const revset *s, const hr_migration *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == m)
			return 1;
	return 0;
}

static inline void set_add(revset *s, const hr_migration *m)
{
	if (!set_has(s, m))
		s->v[s->n++] = m;
}

static inline void set_remove(revset *s, const hr_migration *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == m) {
			memmove(s->v + i, s->v + i + 1,
				(s->n - i - 1) * sizeof *s->v);
			s->n--;
			return;
		}
}

/* Whether m is an ancestor-or-self of some member of s. */
static inline int set_covers(const hr_revmap *map, const revset *s,
		      const hr_migration *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (hr_revmap_is_ancestor(map, m, s->v[i]))
			return 1;
	return 0;
}

/* "a, b, c" for a message; cut short rather than overflow. */
static inline const char *join(const revset *s, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n && used + 1 < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i ? ", " : "", s->v[i]->revision);
	return buf;
}

/* ---- the target grammar (target.c) ------------------------------------- */

/* Resolve the version rows into p->current (only once: stamp needs them
 * only for relative targets, so a row the map lost cannot block it).
 * A row the map does not know is -HR_NOT_FOUND; p->no_current makes
 * every call -HR_INVALID_ARGUMENT. */
int hr_target_current(planner *p);

/* Split text into [LABEL@][NAME][(+|-)N] (see target_parts); a
 * malformed or oversized target is -HR_INVALID_ARGUMENT. */
int hr_target_parse(planner *p, const char *text, target_parts *t);

/* Whether m belongs to the last target's branch (always, without
 * LABEL@). */
int hr_target_on_branch(planner *p, const hr_migration *m);

/* Follow the only child (on the branch) count times from start (NULL:
 * from base) into *out; a branch point or the head on the way is
 * -HR_FAILED_PRECONDITION naming t's text. */
int hr_target_walk_up(planner *p, const target_parts *t,
		      const hr_migration *start, long count,
		      const hr_migration **out);

/* Follow the only parent count times from start into *out (NULL:
 * base); a merge point or base on the way is -HR_FAILED_PRECONDITION. */
int hr_target_walk_down(planner *p, const target_parts *t,
			const hr_migration *start, long count,
			const hr_migration **out);

/* Resolve text into the set of revisions it names (empty for base) as
 * a new set in *out (free out->v even on error), and set p->branch /
 * p->branch_base from its LABEL@ part. md says which relative counts
 * make sense (upgrade +N, downgrade -N, stamp either). */
int hr_target_resolve(planner *p, mode md, const char *text, revset *out);

#endif
