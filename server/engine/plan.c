/*
 * plan.c — resolve a revision target against the map and the current
 * alembic_version rows, then list the steps that reach it together with
 * the row changes each step makes.
 *
 * The row changes come from simulating the version table: every step
 * keeps the rows an antichain of the DAG (no row an ancestor of another),
 * the way Alembic keeps one row per head.
 */
#include "plan.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	revset current; /* current_ids resolved, once resolved is set */
	int resolved;
	hr_error *err;
} planner;

/* A target split into its parts; see parse_target. */
typedef struct target_parts {
	const char *text;
	char name[TARGET_MAX + 1]; /* id, prefix, keyword or label; may be "" */
	long rel;                  /* +N / -N, or 0 */
	int at_head;               /* name@head */
} target_parts;

static int oom(hr_error *err)
{
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
			    "out of memory building a plan");
}

/* ---- revision sets ----------------------------------------------------- */

/* Room for every migration of the map: a set never holds one twice. */
static int set_init(planner *p, revset *s)
{
	s->n = 0;
	s->v = malloc((hr_revmap_count(p->map) + 1) * sizeof *s->v);
	return s->v == NULL ? oom(p->err) : 0;
}

static int set_has(const revset *s, const hr_migration *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == m)
			return 1;
	return 0;
}

static void set_add(revset *s, const hr_migration *m)
{
	if (!set_has(s, m))
		s->v[s->n++] = m;
}

static void set_remove(revset *s, const hr_migration *m)
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
static int set_covers(const hr_revmap *map, const revset *s,
		      const hr_migration *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (hr_revmap_is_ancestor(map, m, s->v[i]))
			return 1;
	return 0;
}

/* "a, b, c" for a message; cut short rather than overflow. */
static const char *join(const revset *s, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n && used + 1 < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i ? ", " : "", s->v[i]->revision);
	return buf;
}

/* ---- current rows ------------------------------------------------------ */

/* Resolve the version rows against the map (only once: stamp needs them
 * only for relative targets, so a row the map lost cannot block it). */
static int resolve_current(planner *p)
{
	size_t i;
	int rc;

	if (p->resolved)
		return 0;
	if ((rc = set_init(p, &p->current)) < 0)
		return rc;
	for (i = 0; i < p->n_current_ids; i++) {
		const char *id = p->current_ids[i];
		const hr_migration *m = hr_revmap_get(p->map, id);

		if (m == NULL)
			return hr_error_set(p->err, HR_NOT_FOUND,
					    "current revision '%.64s' is not "
					    "in the migrations directory",
					    id != NULL ? id : "");
		set_add(&p->current, m);
	}
	p->resolved = 1;
	return 0;
}

/* ---- targets ----------------------------------------------------------- */

static int is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int bad_target(planner *p, const char *text)
{
	char shown[TARGET_MAX + 1];
	size_t i;

	/* Quote it without control bytes: it came from a client. */
	for (i = 0; text[i] != '\0' && i < TARGET_MAX; i++)
		shown[i] = text[i] > ' ' && text[i] < 0x7f ? text[i] : '?';
	shown[i] = '\0';
	return hr_error_set(p->err, HR_INVALID_ARGUMENT,
			    "invalid revision target '%s' (want head, heads, "
			    "base, current, a revision, +N, -N, REV+N, REV-N "
			    "or LABEL@head)",
			    shown);
}

/*
 * Split text into name, relative count and @head: `name`, `name+N`,
 * `name-N`, `+N`, `-N` or `name@head`. Ids cannot contain '+', '-' or
 * '@', so the first of those ends the name.
 */
static int parse_target(planner *p, const char *text, target_parts *t)
{
	size_t len, i;
	const char *rest;

	memset(t, 0, sizeof *t);
	t->text = text;
	if (text == NULL || text[0] == '\0')
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "empty revision target");
	len = strlen(text);
	if (len > TARGET_MAX)
		return bad_target(p, text);
	for (i = 0; is_id_char(text[i]); i++)
		t->name[i] = text[i];
	t->name[i] = '\0';
	rest = text + i;
	if (strcmp(rest, "@head") == 0 && i > 0) {
		t->at_head = 1;
		return 0;
	}
	if (*rest == '\0')
		return 0;
	if (*rest != '+' && *rest != '-')
		return bad_target(p, text);
	for (i = 1; rest[i] >= '0' && rest[i] <= '9'; i++)
		if (t->rel <= REL_MAX)
			t->rel = 10 * t->rel + (rest[i] - '0');
	if (i == 1 || rest[i] != '\0')
		return bad_target(p, text);
	if (t->rel == 0 || t->rel > REL_MAX)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "relative target '%s' needs a count from "
				    "1 to %d",
				    text, REL_MAX);
	if (*rest == '-')
		t->rel = -t->rel;
	return 0;
}

/* The single head (NULL for an empty map), or an error naming them all. */
static int single_head(planner *p, const char *text, const hr_migration **out)
{
	size_t n = hr_revmap_head_count(p->map), i;
	char names[HR_ERROR_MSG_MAX / 2];
	revset heads;
	int rc;

	*out = n > 0 ? hr_revmap_head(p->map, 0) : NULL;
	if (n <= 1)
		return 0;
	if ((rc = set_init(p, &heads)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		set_add(&heads, hr_revmap_head(p->map, i));
	rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
			  "target '%s' is ambiguous: there are several heads "
			  "(%s); use 'heads' or name a revision",
			  text, join(&heads, names, sizeof names));
	free(heads.v);
	return rc;
}

/* `head` or a full id or unique prefix. */
static int resolve_name(planner *p, const target_parts *t,
			const hr_migration **out)
{
	if (strcmp(t->name, "head") == 0)
		return single_head(p, t->text, out);
	return hr_revmap_lookup(p->map, t->name, out, p->err);
}

/* The one head that descends from the revision carrying label (or, as
 * Alembic allows, the revision named so). */
static int label_head(planner *p, const target_parts *t,
		      const hr_migration **out)
{
	size_t n = hr_revmap_count(p->map), i, j;
	const hr_migration *labelled = NULL;
	char names[HR_ERROR_MSG_MAX / 2];
	revset heads;
	int rc;

	for (i = 0; i < n && labelled == NULL; i++) {
		const hr_migration *m = hr_revmap_at(p->map, i);

		for (j = 0; j < m->n_branch_labels; j++)
			if (strcmp(m->branch_labels[j], t->name) == 0)
				labelled = m;
	}
	if (labelled == NULL &&
	    (rc = hr_revmap_lookup(p->map, t->name, &labelled, p->err)) < 0)
		return rc == -HR_NOT_FOUND
			? hr_error_set(p->err, HR_NOT_FOUND,
				       "no branch label or revision '%s'",
				       t->name)
			: rc;
	if ((rc = set_init(p, &heads)) < 0)
		return rc;
	for (i = 0; i < hr_revmap_head_count(p->map); i++)
		if (hr_revmap_is_ancestor(p->map, labelled,
					  hr_revmap_head(p->map, i)))
			set_add(&heads, hr_revmap_head(p->map, i));
	/* labelled itself or one of its descendants is a head. */
	*out = heads.v[0];
	rc = 0;
	if (heads.n > 1)
		rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
				  "branch '%s' has several heads (%s); name "
				  "one of them",
				  t->name, join(&heads, names, sizeof names));
	free(heads.v);
	return rc;
}

/* Follow the only child `count` times from start (NULL: from base). */
static int walk_up(planner *p, const target_parts *t,
		   const hr_migration *start, long count,
		   const hr_migration **out)
{
	size_t n = hr_revmap_count(p->map), i;
	char names[HR_ERROR_MSG_MAX / 2];
	const hr_migration *cur = start;
	revset next;
	long step;
	int rc;

	if ((rc = set_init(p, &next)) < 0)
		return rc;
	for (step = 0; step < count && rc == 0; step++) {
		next.n = 0;
		if (cur == NULL) {
			for (i = 0; i < n; i++)
				if (hr_revmap_is_base(p->map,
						      hr_revmap_at(p->map, i)))
					set_add(&next, hr_revmap_at(p->map, i));
		} else {
			for (i = 0; i < hr_revmap_child_count(p->map, cur); i++)
				set_add(&next, hr_revmap_child(p->map, cur, i));
		}
		if (next.n == 0)
			rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
					  "relative target '%s' goes beyond "
					  "head (only %ld revisions above %s)",
					  t->text, step,
					  start ? start->revision : "base");
		else if (next.n > 1 && cur == NULL)
			rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
					  "relative target '%s' is ambiguous: "
					  "there are several bases (%s); name "
					  "a revision instead",
					  t->text,
					  join(&next, names, sizeof names));
		else if (next.n > 1)
			rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
					  "relative target '%s' is ambiguous: "
					  "%s has several children (%s); name "
					  "a revision instead",
					  t->text, cur->revision,
					  join(&next, names, sizeof names));
		else
			cur = next.v[0];
	}
	free(next.v);
	*out = cur;
	return rc;
}

/* Follow the only parent `count` times from start; NULL means base. */
static int walk_down(planner *p, const target_parts *t,
		     const hr_migration *start, long count,
		     const hr_migration **out)
{
	const hr_migration *cur = start;
	long step;

	for (step = 0; step < count; step++) {
		if (cur == NULL && t->name[0] == '\0')
			return hr_error_set(p->err, HR_FAILED_PRECONDITION,
					    "relative target '%s' goes below "
					    "base (only %ld applied)",
					    t->text, step);
		if (cur == NULL)
			return hr_error_set(p->err, HR_FAILED_PRECONDITION,
					    "relative target '%s' goes below "
					    "base (only %ld revisions at or "
					    "below %s)",
					    t->text, step,
					    start ? start->revision : "base");
		if (cur->n_down_revisions > 1)
			return hr_error_set(p->err, HR_FAILED_PRECONDITION,
					    "relative target '%s' crosses "
					    "merge point %s; name a revision "
					    "instead",
					    t->text, cur->revision);
		cur = cur->n_down_revisions == 0
			? NULL
			: hr_revmap_get(p->map, cur->down_revisions[0]);
	}
	*out = cur;
	return 0;
}

/* Where a relative target counts from: its name, or the one current row
 * (none: base). */
static int relative_start(planner *p, mode md, const target_parts *t,
			  const hr_migration **start)
{
	char names[HR_ERROR_MSG_MAX / 2];
	int rc;

	*start = NULL;
	if (t->name[0] != '\0') {
		if (strcmp(t->name, "base") == 0 ||
		    strcmp(t->name, "heads") == 0 ||
		    strcmp(t->name, "current") == 0)
			return hr_error_set(p->err, HR_INVALID_ARGUMENT,
					    "relative target '%s' must count "
					    "from a revision or 'head'",
					    t->text);
		return resolve_name(p, t, start);
	}
	if (md == MODE_UPGRADE && t->rel < 0)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "relative target '%s' is for downgrade; "
				    "upgrade takes +N",
				    t->text);
	if (md == MODE_DOWNGRADE && t->rel > 0)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "relative target '%s' is for upgrade; "
				    "downgrade takes -N",
				    t->text);
	if ((rc = resolve_current(p)) < 0)
		return rc;
	if (p->current.n > 1)
		return hr_error_set(p->err, HR_FAILED_PRECONDITION,
				    "relative target '%s' is ambiguous: there "
				    "are several current revisions (%s); name "
				    "a revision instead",
				    t->text,
				    join(&p->current, names, sizeof names));
	if (p->current.n == 1)
		*start = p->current.v[0];
	return 0;
}

/* Resolve text into the set of revisions it names (empty for base). */
static int resolve_target(planner *p, mode md, const char *text, revset *out)
{
	const hr_migration *m = NULL, *start;
	target_parts t;
	size_t i;
	int rc;

	if ((rc = parse_target(p, text, &t)) < 0 ||
	    (rc = set_init(p, out)) < 0)
		return rc;
	if (t.at_head) {
		rc = label_head(p, &t, &m);
	} else if (t.rel != 0) {
		rc = relative_start(p, md, &t, &start);
		if (rc == 0 && t.rel > 0)
			rc = walk_up(p, &t, start, t.rel, &m);
		else if (rc == 0)
			rc = walk_down(p, &t, start, -t.rel, &m);
	} else if (strcmp(t.name, "base") == 0) {
		return 0;
	} else if (strcmp(t.name, "heads") == 0) {
		for (i = 0; i < hr_revmap_head_count(p->map); i++)
			set_add(out, hr_revmap_head(p->map, i));
		return 0;
	} else if (strcmp(t.name, "current") == 0) {
		if ((rc = resolve_current(p)) == 0)
			for (i = 0; i < p->current.n; i++)
				set_add(out, p->current.v[i]);
		return rc;
	} else {
		rc = resolve_name(p, &t, &m);
	}
	if (rc == 0 && m != NULL)
		set_add(out, m);
	return rc;
}

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
	return hr_revmap_get(p->map,
			     j < r->n_down_revisions
				     ? r->down_revisions[j]
				     : r->depends_on[j - r->n_down_revisions]);
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
		return oom(p->err);
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
		rc = oom(p->err);
	for (i = 0; i < todo->n && rc == 0; i++) {
		const hr_migration *r = todo->v[i];
		hr_plan_step *step = &out->steps[i];

		step->migration = r;
		step->direction = dir;
		step->vops = malloc((1 + r->n_down_revisions + r->n_depends_on +
				     rows.n) * sizeof *step->vops);
		if (step->vops == NULL) {
			rc = oom(p->err);
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
		return oom(p->err);
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

/* Every applied descendant of the targets (all applied ones for base),
 * children first; each target must itself be applied. */
static int plan_downgrade(planner *p, const revset *targets, hr_plan *out)
{
	size_t n = hr_revmap_count(p->map), i;
	unsigned char *applied = applied_flags(p);
	revset todo = {NULL, 0};
	int rc = 0;

	if (applied == NULL)
		return oom(p->err);
	for (i = 0; i < targets->n && rc == 0; i++)
		if (!applied[hr_revmap_index(p->map, targets->v[i])])
			rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
					  "revision %s is not applied; cannot "
					  "downgrade to it",
					  targets->v[i]->revision);
	if (rc == 0)
		rc = set_init(p, &todo);
	for (i = n; i-- > 0 && rc == 0;) {
		const hr_migration *m = hr_revmap_at(p->map, i);
		size_t k;
		int below = targets->n == 0;

		for (k = 0; k < targets->n && !below; k++)
			below = hr_revmap_is_ancestor(p->map, targets->v[k], m);
		if (applied[i] && below && !set_has(targets, m))
			todo.v[todo.n++] = m;
	}
	if (rc == 0)
		rc = emit_steps(p, HR_DOWNGRADE, &todo, out);
	free(todo.v);
	free(applied);
	return rc;
}

/* ---- entry points ------------------------------------------------------ */

int hr_plan_build(const hr_revmap *map, hr_direction dir,
		  const char *const *current, size_t n_current,
		  const char *target, hr_plan *out, hr_error *err)
{
	planner p = {map, current, n_current, {NULL, 0}, 0, err};
	revset targets = {NULL, 0};
	int rc;

	memset(out, 0, sizeof *out);
	if (dir != HR_UPGRADE && dir != HR_DOWNGRADE)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "unknown migration direction %d", (int)dir);
	rc = resolve_current(&p);
	if (rc == 0)
		rc = resolve_target(&p,
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
		  size_t n_current, const char *target, hr_plan *out,
		  hr_error *err)
{
	planner p = {map, current, n_current, {NULL, 0}, 0, err};
	revset targets = {NULL, 0};
	int rc;

	memset(out, 0, sizeof *out);
	rc = resolve_target(&p, MODE_STAMP, target, &targets);
	if (rc == 0)
		rc = set_final_heads(&p, &targets, out);
	free(targets.v);
	free(p.current.v);
	if (rc < 0)
		hr_plan_free(out);
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
