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

/* A target split into its parts; see parse_target. */
typedef struct target_parts {
	const char *text;
	char label[TARGET_MAX + 1]; /* before '@', or "" */
	char name[TARGET_MAX + 1];  /* id, prefix or keyword; may be "" */
	long rel;                   /* +N / -N, or 0 */
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
	if (p->no_current)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "this target counts from the database's "
				    "current revision, which is not read here; "
				    "name revisions instead");
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

static size_t id_span(const char *s)
{
	size_t n = 0;

	while (is_id_char(s[n]))
		n++;
	return n;
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
			    "base, current, a revision, +N, -N, REV+N, REV-N, "
			    "or any of these after LABEL@)",
			    shown);
}

/*
 * Split text into [LABEL@][NAME][(+|-)N]: a branch label (or revision)
 * the target keeps to, a name (keyword, id or prefix) and a relative
 * count. Ids cannot contain '@', '+' or '-', so those end each part.
 */
static int parse_target(planner *p, const char *text, target_parts *t)
{
	const char *rest;
	size_t n, i;

	memset(t, 0, sizeof *t);
	t->text = text;
	if (text == NULL || text[0] == '\0')
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "empty revision target");
	if (strlen(text) > TARGET_MAX)
		return bad_target(p, text);
	n = id_span(text);
	rest = text + n;
	if (*rest == '@') {
		if (n == 0)
			return bad_target(p, t->text);
		memcpy(t->label, text, n);
		text = rest + 1;
		n = id_span(text);
		rest = text + n;
		if (n == 0 && *rest != '+' && *rest != '-')
			return bad_target(p, t->text);
	}
	memcpy(t->name, text, n);
	if (*rest == '\0')
		return 0;
	if (*rest != '+' && *rest != '-')
		return bad_target(p, t->text);
	for (i = 1; rest[i] >= '0' && rest[i] <= '9'; i++)
		if (t->rel <= REL_MAX)
			t->rel = 10 * t->rel + (rest[i] - '0');
	if (i == 1 || rest[i] != '\0')
		return bad_target(p, t->text);
	if (t->rel == 0 || t->rel > REL_MAX)
		return hr_error_set(p->err, HR_INVALID_ARGUMENT,
				    "relative target '%s' needs a count from "
				    "1 to %d",
				    t->text, REL_MAX);
	if (*rest == '-')
		t->rel = -t->rel;
	return 0;
}

/* The revision LABEL@ names: the one carrying that branch label, or (as
 * Alembic allows) a revision id or unique prefix. */
static int resolve_branch(planner *p, const char *label,
			  const hr_migration **out)
{
	int rc;

	*out = hr_revmap_labelled(p->map, label);
	if (*out != NULL)
		return 0;
	rc = hr_revmap_lookup(p->map, label, out, p->err);
	if (rc == -HR_NOT_FOUND)
		return hr_error_set(p->err, HR_NOT_FOUND,
				    "no branch label or revision '%s'", label);
	return rc;
}

/* Whether m belongs to the target's branch (always, without LABEL@). */
static int on_branch(planner *p, const hr_migration *m)
{
	return p->branch == NULL ||
	       hr_revmap_shares_lineage(p->map, m, p->branch);
}

/*
 * The heads on the target's branch (every head without LABEL@). With
 * real, only the real heads: not a head that another of them depends on
 * (an "effective head"), which that one stands for, as Alembic's `heads`
 * target leaves such heads out.
 */
static int branch_heads(planner *p, int real, revset *out)
{
	size_t i, j;
	int rc;

	if ((rc = set_init(p, out)) < 0)
		return rc;
	for (i = 0; i < hr_revmap_head_count(p->map); i++)
		if (on_branch(p, hr_revmap_head(p->map, i)))
			set_add(out, hr_revmap_head(p->map, i));
	for (i = 0; real && i < out->n;) {
		int needed = 0;

		for (j = 0; j < out->n && !needed; j++)
			needed = j != i && hr_revmap_is_ancestor(p->map, out->v[i],
								 out->v[j]);
		if (needed)
			set_remove(out, out->v[i]);
		else
			i++;
	}
	return 0;
}

/* The single head of the branch (NULL for an empty map), or an error
 * naming them all. */
static int single_head(planner *p, const target_parts *t,
		       const hr_migration **out)
{
	char names[HR_ERROR_MSG_MAX / 2];
	revset heads;
	int rc;

	*out = NULL;
	if ((rc = branch_heads(p, 0, &heads)) < 0)
		return rc;
	if (heads.n == 1)
		*out = heads.v[0];
	else if (heads.n > 1 && t->label[0] != '\0')
		rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
				  "branch '%s' has several heads (%s); name "
				  "one of them",
				  t->label, join(&heads, names, sizeof names));
	else if (heads.n > 1)
		rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
				  "target '%s' is ambiguous: there are several "
				  "heads (%s); use 'heads' or name a revision",
				  t->text, join(&heads, names, sizeof names));
	free(heads.v);
	return rc;
}

/* `head`, or an id or unique prefix, on the target's branch. */
static int resolve_name(planner *p, const target_parts *t,
			const hr_migration **out)
{
	int rc;

	if (strcmp(t->name, "head") == 0)
		return single_head(p, t, out);
	if ((rc = hr_revmap_lookup(p->map, t->name, out, p->err)) < 0)
		return rc;
	if (!on_branch(p, *out)) {
		rc = hr_error_set(p->err, HR_INVALID_ARGUMENT,
				  "revision %s is not on branch '%s'",
				  (*out)->revision, t->label);
		*out = NULL;
	}
	return rc;
}

/* Follow the only child (on the branch) `count` times from start (NULL:
 * from base). */
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
		for (i = 0; cur == NULL && i < n; i++)
			if (hr_revmap_is_base(p->map, hr_revmap_at(p->map, i)) &&
			    on_branch(p, hr_revmap_at(p->map, i)))
				set_add(&next, hr_revmap_at(p->map, i));
		for (i = 0; cur != NULL && i < hr_revmap_child_count(p->map, cur);
		     i++)
			if (on_branch(p, hr_revmap_child(p->map, cur, i)))
				set_add(&next, hr_revmap_child(p->map, cur, i));
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
					  "%s is a branch point (children %s); "
					  "name a revision instead",
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
					    "relative target '%s' is ambiguous: "
					    "it crosses merge point %s; name a "
					    "revision instead",
					    t->text, cur->revision);
		cur = cur->n_down_revisions == 0
			? NULL
			: hr_revmap_get(p->map, cur->down_revisions[0]);
	}
	*out = cur;
	return 0;
}

/*
 * The applied revisions on the target's branch that no other of them
 * descends from: where LABEL@+N starts when no version row is on the
 * branch itself (the branch forks off below the rows).
 */
static int applied_tips(planner *p, revset *out)
{
	size_t n = hr_revmap_count(p->map), i, j;

	for (i = 0; i < n; i++) {
		const hr_migration *m = hr_revmap_at(p->map, i);

		if (set_covers(p->map, &p->current, m) && on_branch(p, m))
			set_add(out, m);
	}
	for (i = 0; i < out->n;) {
		int below = 0;

		for (j = 0; j < out->n && !below; j++)
			below = j != i && hr_revmap_is_ancestor(p->map, out->v[i],
								out->v[j]);
		if (below)
			set_remove(out, out->v[i]);
		else
			i++;
	}
	return 0;
}

/* Where a relative target counts from: its name, or the one current row
 * on its branch (none: base). */
static int relative_start(planner *p, mode md, const target_parts *t,
			  const hr_migration **start)
{
	char names[HR_ERROR_MSG_MAX / 2];
	revset rows;
	size_t i;
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
	if ((rc = resolve_current(p)) < 0 || (rc = set_init(p, &rows)) < 0)
		return rc;
	for (i = 0; i < p->current.n; i++)
		if (on_branch(p, p->current.v[i]))
			set_add(&rows, p->current.v[i]);
	if (rows.n == 0 && p->branch != NULL && t->rel > 0)
		applied_tips(p, &rows);
	if (rows.n > 1)
		rc = hr_error_set(p->err, HR_FAILED_PRECONDITION,
				  "relative target '%s' is ambiguous: there "
				  "are several current revisions (%s); name a "
				  "revision instead",
				  t->text, join(&rows, names, sizeof names));
	else if (rows.n == 1)
		*start = rows.v[0];
	free(rows.v);
	return rc;
}

/* Resolve text into the set of revisions it names (empty for base), and
 * p->branch / p->branch_base from its LABEL@ part. */
static int resolve_target(planner *p, mode md, const char *text, revset *out)
{
	const hr_migration *m = NULL, *start;
	target_parts t;
	size_t i;
	int rc;

	p->branch = NULL;
	p->branch_base = 0;
	if ((rc = parse_target(p, text, &t)) < 0 ||
	    (rc = set_init(p, out)) < 0)
		return rc;
	if (t.label[0] != '\0' &&
	    (rc = resolve_branch(p, t.label, &p->branch)) < 0)
		return rc;
	if (t.rel != 0) {
		rc = relative_start(p, md, &t, &start);
		if (rc == 0 && t.rel > 0)
			rc = walk_up(p, &t, start, t.rel, &m);
		else if (rc == 0)
			rc = walk_down(p, &t, start, -t.rel, &m);
	} else if (strcmp(t.name, "base") == 0) {
		p->branch_base = p->branch != NULL;
		return 0;
	} else if (strcmp(t.name, "heads") == 0) {
		free(out->v);
		return branch_heads(p, 1, out);
	} else if (strcmp(t.name, "current") == 0) {
		if (p->branch != NULL)
			return bad_target(p, text);
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
	if (above && (p->branch_base || on_branch(p, m)))
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
		return oom(p->err);
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
	int rc = resolve_target(p, MODE_STAMP, text, &named);

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
	rc = purge ? 0 : resolve_current(&p);
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
		return oom(p->err);
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
	rc = resolve_target(&p, MODE_STAMP, target, &named);
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
	if ((rc = parse_target(p, text, &t)) < 0)
		return rc;
	if (t.rel == 0 || t.name[0] != '\0' || t.label[0] != '\0')
		return resolve_target(p, MODE_STAMP, text, out);
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
	rc = t.rel > 0 ? walk_up(p, &t, other->n ? other->v[0] : NULL, t.rel,
				 &m)
		       : walk_down(p, &t, other->n ? other->v[0] : NULL,
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
	if ((rc = resolve_current(&p)) < 0 || (rc = set_init(&p, &implied)) < 0)
		goto out;
	if ((applied = applied_flags(&p)) == NULL) {
		rc = oom(err);
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

int hr_plan_needs_current(const char *target)
{
	planner p = {.err = NULL};
	target_parts t;

	if (parse_target(&p, target, &t) < 0)
		return 0;
	return strcmp(t.name, "current") == 0 ||
	       (t.rel != 0 && t.name[0] == '\0');
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
