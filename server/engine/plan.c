/*
 * plan.c — from the revisions a target names (target.c) and the
 * current alembic_version rows, list the steps that reach it together
 * with the row changes each step makes; stamp, history ranges and the
 * implied heads of `current` too.
 *
 * The row changes come from simulating the version table: every step
 * keeps the rows an antichain of the DAG (no row an ancestor of another),
 * the way Alembic keeps one row per head.
 */
#include "plan_int.h"

#include <assert.h>

/* ---- steps and version-table changes ----------------------------------- */

static void add_vop(hr_plan_step *step, hr_vop_kind kind,
		    const hr_migration *from, const hr_migration *to)
{
	hr_vop *v = &step->vops[step->n_vops++];

	v->kind = kind;
	v->from = from != NULL ? from->revision : NULL;
	v->to = to != NULL ? to->revision : NULL;
}

/*
 * Upgrading to r: r takes over the row of its first parent in rows (the
 * other parents' rows go: a merge), or gets a new row (a new branch).
 * Rows r now descends from go too, so rows stay an antichain.
 */
static void upgrade_rows(planner *p, revset *rows, const hr_migration *r,
			 hr_plan_step *step)
{
	const hr_migration *taken = NULL;
	size_t i;

	for (i = 0; i < r->n_down_revisions; i++) {
		const hr_migration *parent =
			hr_revmap_get(p->map, r->down_revisions[i]);

		if (!set_has(rows, parent))
			continue;
		add_vop(step, taken ? HR_VOP_DELETE : HR_VOP_UPDATE, parent,
			taken ? NULL : r);
		taken = taken ? taken : parent;
		set_remove(rows, parent);
	}
	if (taken == NULL)
		add_vop(step, HR_VOP_INSERT, NULL, r);
	for (i = 0; i < rows->n;)
		if (hr_revmap_is_ancestor(p->map, rows->v[i], r)) {
			add_vop(step, HR_VOP_DELETE, rows->v[i], NULL);
			set_remove(rows, rows->v[i]);
		} else {
			i++;
		}
	set_add(rows, r);
}

/* The j-th of r's parents and dependencies. */
static const hr_migration *prior(planner *p, const hr_migration *r, size_t j)
{
	return j < r->n_down_revisions
		? hr_revmap_get(p->map, r->down_revisions[j])
		: hr_revmap_dependency(p->map,
				       r->depends_on[j - r->n_down_revisions]);
}

/*
 * Downgrading r (one of rows): its parents and dependencies become rows
 * unless another row still covers them or one is an ancestor of another
 * (which would break the antichain). Dependencies count, because the
 * upgrade that reached r deleted their rows. The first such parent takes
 * r's row; none left means r's row goes.
 */
static void downgrade_rows(planner *p, revset *rows, const hr_migration *r,
			   hr_plan_step *step)
{
	size_t n = r->n_down_revisions + r->n_depends_on, i, j;
	const hr_migration *taken = NULL;

	assert(set_has(rows, r));
	set_remove(rows, r);
	for (i = 0; i < n; i++) {
		const hr_migration *c = prior(p, r, i);
		int below_other = set_covers(p->map, rows, c);

		for (j = 0; j < n && !below_other; j++)
			below_other = prior(p, r, j) != c &&
				      hr_revmap_is_ancestor(p->map, c,
							    prior(p, r, j));
		if (below_other)
			continue;
		add_vop(step, taken ? HR_VOP_INSERT : HR_VOP_UPDATE,
			taken ? NULL : r, c);
		taken = taken ? taken : c;
		set_add(rows, c);
	}
	if (taken == NULL)
		add_vop(step, HR_VOP_DELETE, r, NULL);
}

/* rows, in topological order, as out->final_heads. */
static int set_final_heads(planner *p, const revset *rows, hr_plan *out)
{
	size_t n = hr_revmap_count(p->map), i;
	unsigned char *in_rows = calloc(n + 1, 1);

	out->final_heads = malloc((rows->n + 1) * sizeof *out->final_heads);
	if (in_rows == NULL || out->final_heads == NULL) {
		free(in_rows);
		return plan_oom(p->err);
	}
	for (i = 0; i < rows->n; i++)
		in_rows[hr_revmap_index(p->map, rows->v[i])] = 1;
	for (i = 0; i < n; i++)
		if (in_rows[i])
			out->final_heads[out->n_final_heads++] =
				hr_revmap_at(p->map, i)->revision;
	free(in_rows);
	return 0;
}

/* Turn the ordered migrations todo into out's steps, simulating the
 * version rows from the current ones. */
static int emit_steps(planner *p, hr_direction dir, const revset *todo,
		      hr_plan *out)
{
	revset rows;
	size_t i;
	int rc;

	if ((rc = set_init(p, &rows)) < 0)
		return rc;
	for (i = 0; i < p->current.n; i++)
		set_add(&rows, p->current.v[i]);
	out->steps = calloc(todo->n + 1, sizeof *out->steps);
	if (out->steps == NULL)
		rc = plan_oom(p->err);
	for (i = 0; i < todo->n && rc == 0; i++) {
		const hr_migration *r = todo->v[i];
		hr_plan_step *step = &out->steps[i];

		step->migration = r;
		step->direction = dir;
		step->vops = malloc((1 + r->n_down_revisions + r->n_depends_on +
				     rows.n) * sizeof *step->vops);
		if (step->vops == NULL) {
			rc = plan_oom(p->err);
			break;
		}
		out->n_steps++;
		if (dir == HR_UPGRADE)
			upgrade_rows(p, &rows, r, step);
		else
			downgrade_rows(p, &rows, r, step);
	}
	if (rc == 0)
		rc = set_final_heads(p, &rows, out);
	free(rows.v);
	return rc;
}

/* applied[i]: whether the i-th migration is an ancestor-or-self of a row. */
static unsigned char *applied_flags(planner *p)
{
	size_t n = hr_revmap_count(p->map), i;
	unsigned char *applied = calloc(n + 1, 1);

	for (i = 0; applied != NULL && i < n; i++)
		applied[i] = (unsigned char)set_covers(
			p->map, &p->current, hr_revmap_at(p->map, i));
	return applied;
}

/* Everything the targets need that the rows do not cover, parents first. */
static int plan_upgrade(planner *p, const revset *targets, hr_plan *out)
{
	size_t n = hr_revmap_count(p->map), i;
	unsigned char *applied = applied_flags(p);
	revset todo;
	int rc;

	if (applied == NULL)
		return plan_oom(p->err);
	if ((rc = set_init(p, &todo)) < 0) {
		free(applied);
		return rc;
	}
	for (i = 0; i < n; i++) {
		const hr_migration *m = hr_revmap_at(p->map, i);

		if (!applied[i] && set_covers(p->map, targets, m))
			todo.v[todo.n++] = m;
	}
	rc = emit_steps(p, HR_UPGRADE, &todo, out);
	free(todo.v);
	free(applied);
	return rc;
}

/*
 * Whether applied revision m goes when downgrading to targets: it is
 * above a target (everything is, for base) and on the target's branch,
 * or above the branch's start for LABEL@base. dropped holds what goes
 * already: whatever depends on one of those goes too.
 */
static int drops(planner *p, const revset *targets, const revset *dropped,
		 const hr_migration *m)
{
	size_t k;
	int above = targets->n == 0;

	if (set_has(targets, m))
		return 0;
	if (p->branch_base)
		above = hr_revmap_is_ancestor(
			p->map, hr_revmap_branch_base(p->map, p->branch), m);
	for (k = 0; k < targets->n && !above; k++)
		above = hr_revmap_is_ancestor(p->map, targets->v[k], m);
	if (above && (p->branch_base || hr_target_on_branch(p, m)))
		return 1;
	for (k = 0; k < dropped->n; k++)
		if (hr_revmap_is_ancestor(p->map, dropped->v[k], m))
			return 1;
	return 0;
}

/* Every applied revision drops() selects, children first; each target
 * must itself be applied. */
static int plan_downgrade(planner *p, const revset *targets, hr_plan *out)
{
	size_t n = hr_revmap_count(p->map), i;
	unsigned char *applied = applied_flags(p);
	revset todo = {NULL, 0};
	int rc = 0;

	if (applied == NULL)
		return plan_oom(p->err);
	for (i = 0; i < targets->n && rc == 0; i++)
		if (!applied[hr_revmap_index(p->map, targets->v[i])])
			rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
					  "revision %s is not applied; cannot "
					  "downgrade to it",
					  targets->v[i]->revision);
	if (rc == 0)
		rc = set_init(p, &todo);
	for (i = 0; i < n && rc == 0; i++) {
		const hr_migration *m = hr_revmap_at(p->map, i);

		if (applied[i] && drops(p, targets, &todo, m))
			todo.v[todo.n++] = m;
	}
	/* Children first: the reverse of the topological order. */
	for (i = 0; i < todo.n / 2; i++) {
		const hr_migration *swap = todo.v[i];

		todo.v[i] = todo.v[todo.n - 1 - i];
		todo.v[todo.n - 1 - i] = swap;
	}
	if (rc == 0)
		rc = emit_steps(p, HR_DOWNGRADE, &todo, out);
	free(todo.v);
	free(applied);
	return rc;
}

/* ---- stamp ------------------------------------------------------------- */

/* Whether a and b are on one line of descent, dependencies included. */
static int related(planner *p, const hr_migration *a, const hr_migration *b)
{
	return hr_revmap_is_ancestor(p->map, a, b) ||
	       hr_revmap_is_ancestor(p->map, b, a);
}

/*
 * Apply one stamp target to rows, as Alembic's stamp does: each revision
 * it names replaces the rows on its line of descent; base removes every
 * row, LABEL@base those of the branch. dests collects the revisions
 * named so far, which must not be related to each other.
 */
static int stamp_one(planner *p, const char *text, revset *rows,
		     revset *dests)
{
	revset named = {0}; /* freed below even when resolving fails */
	size_t i, j;
	int rc = hr_target_resolve(p, MODE_STAMP, text, &named);

	for (i = 0; rc == 0 && i < named.n; i++)
		for (j = 0; rc == 0 && j < dests->n; j++)
			if (dests->v[j] != named.v[i] &&
			    related(p, dests->v[j], named.v[i]))
				rc = hr_error_set(
					p->err, HR_INVALID_ARGUMENT,
					"stamp targets %s and %s are on one "
					"line of descent; name only one",
					dests->v[j]->revision,
					named.v[i]->revision);
	if (rc == 0 && named.n == 0) {
		for (i = 0; i < rows->n;)
			if (p->branch == NULL ||
			    related(p, rows->v[i], p->branch))
				set_remove(rows, rows->v[i]);
			else
				i++;
	}
	for (i = 0; rc == 0 && i < named.n; i++) {
		for (j = 0; j < rows->n;)
			if (rows->v[j] != named.v[i] &&
			    related(p, rows->v[j], named.v[i]))
				set_remove(rows, rows->v[j]);
			else
				j++;
		set_add(rows, named.v[i]);
		set_add(dests, named.v[i]);
	}
	free(named.v);
	return rc;
}

/* ---- entry points ------------------------------------------------------ */

int hr_plan_build(const hr_revmap *map, hr_direction dir,
		  const char *const *current, size_t n_current,
		  const char *target, hr_plan *out, hr_error *err)
{
	planner p = {.map = map,
		     .current_ids = current,
		     .n_current_ids = n_current,
		     .err = err};
	revset targets = {NULL, 0};
	int rc;

	memset(out, 0, sizeof *out);
	if (dir != HR_UPGRADE && dir != HR_DOWNGRADE)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "unknown migration direction %d", (int)dir);
	rc = hr_target_current(&p);
	if (rc == 0)
		rc = hr_target_resolve(&p,
				    dir == HR_UPGRADE ? MODE_UPGRADE
						      : MODE_DOWNGRADE,
				    target, &targets);
	if (rc == 0 && dir == HR_UPGRADE)
		rc = plan_upgrade(&p, &targets, out);
	else if (rc == 0)
		rc = plan_downgrade(&p, &targets, out);
	free(targets.v);
	free(p.current.v);
	if (rc < 0)
		hr_plan_free(out);
	return rc;
}

int hr_plan_stamp(const hr_revmap *map, const char *const *current,
		  size_t n_current, const char *const *targets,
		  size_t n_targets, int purge, hr_plan *out, hr_error *err)
{
	planner p = {.map = map,
		     .current_ids = current,
		     .n_current_ids = n_current,
		     .err = err};
	revset rows = {NULL, 0}, dests = {NULL, 0};
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	out->purge = purge;
	if (n_targets == 0)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "stamp needs a target revision");
	/* Without --purge every row must be known: a row is replaced by
	 * its line of descent, which an unknown row does not have. */
	rc = purge ? 0 : hr_target_current(&p);
	if (rc == 0 && (rc = set_init(&p, &rows)) == 0)
		rc = set_init(&p, &dests);
	if (rc == -HR_NOT_FOUND && err != NULL) {
		hr_error why = *err;

		hr_error_set(err, HR_NOT_FOUND,
			     "%s; stamp --purge replaces every row", why.msg);
	}
	for (i = 0; rc == 0 && !purge && i < p.current.n; i++)
		set_add(&rows, p.current.v[i]);
	for (i = 0; rc == 0 && i < n_targets; i++)
		rc = stamp_one(&p, targets[i], &rows, &dests);
	if (rc == 0)
		rc = set_final_heads(&p, &rows, out);
	free(rows.v);
	free(dests.v);
	free(p.current.v);
	if (rc < 0)
		hr_plan_free(out);
	return rc;
}

/* set's revisions in topological order (newest first when reverse) as a
 * new array, for the callers. */
static int export_set(planner *p, const revset *set, int reverse,
		      const hr_migration ***out, size_t *n_out)
{
	size_t n = hr_revmap_count(p->map), i, k = 0;

	*out = malloc((set->n + 1) * sizeof **out);
	if (*out == NULL)
		return plan_oom(p->err);
	for (i = 0; i < n; i++) {
		const hr_migration *m =
			hr_revmap_at(p->map, reverse ? n - 1 - i : i);

		if (set_has(set, m))
			(*out)[k++] = m;
	}
	*n_out = k;
	return 0;
}

int hr_plan_resolve(const hr_revmap *map, const char *const *current,
		    size_t n_current, int have_current, const char *target,
		    const hr_migration ***out, size_t *n_out, hr_error *err)
{
	planner p = {.map = map,
		     .current_ids = current,
		     .n_current_ids = n_current,
		     .no_current = !have_current,
		     .err = err};
	revset named = {NULL, 0};
	int rc;

	*out = NULL;
	*n_out = 0;
	rc = hr_target_resolve(&p, MODE_STAMP, target, &named);
	if (rc == 0)
		rc = export_set(&p, &named, 0, out, n_out);
	free(named.v);
	free(p.current.v);
	return rc;
}

/*
 * One end of a history range: `base` or nothing is the empty set, a
 * relative end without a name counts from the other end (`other`, which
 * must be one revision or base); anything else is an ordinary target.
 */
static int range_end(planner *p, const char *text, const revset *other,
		     int is_start, revset *out)
{
	char names[HR_ERROR_MSG_MAX / 2];
	const hr_migration *m = NULL;
	target_parts t;
	int rc;

	if (text[0] == '\0')
		text = is_start ? "base" : "heads";
	if ((rc = hr_target_parse(p, text, &t)) < 0)
		return rc;
	if (t.rel == 0 || t.name[0] != '\0' || t.label[0] != '\0')
		return hr_target_resolve(p, MODE_STAMP, text, out);
	if (other == NULL)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "history range: only one end can be "
				    "relative");
	if (other->n > 1)
		return hr_error_set(p->err, HR_FAILED_PRECONDITION,
				    "history range: '%s' is ambiguous: it "
				    "counts from several revisions (%s)",
				    text, join(other, names, sizeof names));
	if (is_start != (t.rel < 0))
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "history range: the start counts down "
				    "(-N) from the end, the end up (+N) from "
				    "the start");
	p->branch = NULL;
	rc = t.rel > 0 ? hr_target_walk_up(p, &t, other->n ? other->v[0] : NULL, t.rel,
				 &m)
		       : hr_target_walk_down(p, &t, other->n ? other->v[0] : NULL,
				   -t.rel, &m);
	if (rc == 0 && (rc = set_init(p, out)) == 0 && m != NULL)
		set_add(out, m);
	return rc;
}

/* Whether text is a relative count with nothing before it ("-2"). */
static int bare_relative(const char *text)
{
	return text[0] == '+' || text[0] == '-';
}

int hr_plan_range(const hr_revmap *map, const char *const *current,
		  size_t n_current, const char *range,
		  const hr_migration ***out, size_t *n_out, hr_error *err)
{
	planner p = {.map = map,
		     .current_ids = current,
		     .n_current_ids = n_current,
		     .err = err};
	char start[TARGET_MAX + 1], end[TARGET_MAX + 1];
	const char *colon = range ? strchr(range, ':') : NULL;
	revset lo = {NULL, 0}, hi = {NULL, 0}, keep = {NULL, 0};
	size_t n = hr_revmap_count(map), i, k;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (colon == NULL || strchr(colon + 1, ':') != NULL)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "history range needs START:END, START: or "
				    ":END");
	if ((size_t)(colon - range) > TARGET_MAX || strlen(colon + 1) > TARGET_MAX)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "history range is too long");
	snprintf(start, sizeof start, "%.*s", (int)(colon - range), range);
	snprintf(end, sizeof end, "%s", colon + 1);
	if (bare_relative(start)) {
		rc = range_end(&p, end, NULL, 0, &hi);
		if (rc == 0)
			rc = range_end(&p, start, &hi, 1, &lo);
	} else {
		rc = range_end(&p, start, NULL, 1, &lo);
		if (rc == 0)
			rc = range_end(&p, end, &lo, 0, &hi);
	}
	for (i = 0; rc == 0 && i < lo.n; i++)
		if (!set_covers(map, &hi, lo.v[i]))
			rc = hr_error_set(err, HR_INVALID_ARGUMENT,
					  "history range: %s is not an "
					  "ancestor of '%s'",
					  lo.v[i]->revision,
					  end[0] ? end : "heads");
	if (rc == 0)
		rc = set_init(&p, &keep);
	for (i = 0; rc == 0 && i < n; i++) {
		const hr_migration *m = hr_revmap_at(map, i);
		int above = lo.n == 0;

		/* Above START through down_revision, as Alembic walks:
		 * a dependent on another branch is not in START's range. */
		for (k = 0; k < lo.n && !above; k++)
			above = hr_revmap_is_parent_ancestor(map, lo.v[k], m);
		if (above && set_covers(map, &hi, m))
			set_add(&keep, m);
	}
	if (rc == 0)
		rc = export_set(&p, &keep, 1, out, n_out);
	free(lo.v);
	free(hi.v);
	free(keep.v);
	free(p.current.v);
	return rc;
}

int hr_plan_implied_heads(const hr_revmap *map, const char *const *current,
			  size_t n_current, const hr_migration ***out,
			  size_t *n_out, hr_error *err)
{
	planner p = {.map = map,
		     .current_ids = current,
		     .n_current_ids = n_current,
		     .err = err};
	size_t n = hr_revmap_count(map), i, j;
	unsigned char *applied = NULL;
	revset implied = {NULL, 0};
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = hr_target_current(&p)) < 0 || (rc = set_init(&p, &implied)) < 0)
		goto out;
	if ((applied = applied_flags(&p)) == NULL) {
		rc = plan_oom(err);
		goto out;
	}
	/* The applied set holds every parent of its members, so an applied
	 * revision has an applied descendant (through down_revision)
	 * exactly when it has an applied child: look at its children only,
	 * not at every applied revision (that was quadratic, and Current
	 * asks this on every call). */
	for (i = 0; i < n; i++) {
		const hr_migration *m = hr_revmap_at(map, i);
		size_t children = hr_revmap_child_count(map, m);
		int below = 0;

		if (!applied[i] || set_has(&p.current, m))
			continue;
		for (j = 0; j < children && !below; j++)
			below = applied[hr_revmap_index(map,
							hr_revmap_child(map, m, j))];
		if (!below)
			set_add(&implied, m);
	}
	rc = export_set(&p, &implied, 0, out, n_out);
out:
	free(applied);
	free(implied.v);
	free(p.current.v);
	return rc;
}


void hr_plan_free(hr_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->n_steps; i++)
		free(plan->steps[i].vops);
	free(plan->steps);
	free(plan->final_heads);
	memset(plan, 0, sizeof *plan);
}
