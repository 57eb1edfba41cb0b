/*
 * target.c — the revision-target grammar of plan.h ([LABEL@]NAME[(+|-)N],
 * docs/migrations.md) and its resolution against the map and the
 * current alembic_version rows: which revisions a target names. What to
 * run to get there is plan.c's job.
 */
#include "plan_int.h"

/* ---- current rows ------------------------------------------------------ */

/* Resolve the version rows against the map (only once: stamp needs them
 * only for relative targets, so a row the map lost cannot block it). */
int hr_target_current(planner *p)
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
int hr_target_parse(planner *p, const char *text, target_parts *t)
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
int hr_target_on_branch(planner *p, const hr_migration *m)
{
	return p->branch == NULL ||
	       hr_revmap_shares_lineage(p->map, m, p->branch);
}

/* Keep in s only the revisions that no other member of s descends
 * from. */
static void drop_ancestors(planner *p, revset *s)
{
	for (size_t i = 0; i < s->n;) {
		int below = 0;

		for (size_t j = 0; j < s->n && !below; j++)
			below = j != i &&
				hr_revmap_is_ancestor(p->map, s->v[i], s->v[j]);
		if (below)
			set_remove(s, s->v[i]);
		else
			i++;
	}
}

/*
 * The heads on the target's branch (every head without LABEL@). With
 * real, only the real heads: not a head that another of them depends on
 * (an "effective head"), which that one stands for, as Alembic's `heads`
 * target leaves such heads out.
 */
static int branch_heads(planner *p, int real, revset *out)
{
	size_t i;
	int rc;

	if ((rc = set_init(p, out)) < 0)
		return rc;
	for (i = 0; i < hr_revmap_head_count(p->map); i++)
		if (hr_target_on_branch(p, hr_revmap_head(p->map, i)))
			set_add(out, hr_revmap_head(p->map, i));
	if (real)
		drop_ancestors(p, out);
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
	if (!hr_target_on_branch(p, *out)) {
		rc = hr_error_set(p->err, HR_INVALID_ARGUMENT,
				  "revision %s is not on branch '%s'",
				  (*out)->revision, t->label);
		*out = NULL;
	}
	return rc;
}

/* Follow the only child (on the branch) `count` times from start (NULL:
 * from base). */
int hr_target_walk_up(planner *p, const target_parts *t,
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
			    hr_target_on_branch(p, hr_revmap_at(p->map, i)))
				set_add(&next, hr_revmap_at(p->map, i));
		for (i = 0; cur != NULL && i < hr_revmap_child_count(p->map, cur);
		     i++)
			if (hr_target_on_branch(p, hr_revmap_child(p->map, cur, i)))
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
int hr_target_walk_down(planner *p, const target_parts *t,
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
	size_t n = hr_revmap_count(p->map), i;

	for (i = 0; i < n; i++) {
		const hr_migration *m = hr_revmap_at(p->map, i);

		if (set_covers(p->map, &p->current, m) && hr_target_on_branch(p, m))
			set_add(out, m);
	}
	drop_ancestors(p, out);
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
	if ((rc = hr_target_current(p)) < 0 || (rc = set_init(p, &rows)) < 0)
		return rc;
	for (i = 0; i < p->current.n; i++)
		if (hr_target_on_branch(p, p->current.v[i]))
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
int hr_target_resolve(planner *p, mode md, const char *text, revset *out)
{
	const hr_migration *m = NULL, *start;
	target_parts t;
	size_t i;
	int rc;

	p->branch = NULL;
	p->branch_base = 0;
	if ((rc = hr_target_parse(p, text, &t)) < 0 ||
	    (rc = set_init(p, out)) < 0)
		return rc;
	if (t.label[0] != '\0' &&
	    (rc = resolve_branch(p, t.label, &p->branch)) < 0)
		return rc;
	if (t.rel != 0) {
		rc = relative_start(p, md, &t, &start);
		if (rc == 0 && t.rel > 0)
			rc = hr_target_walk_up(p, &t, start, t.rel, &m);
		else if (rc == 0)
			rc = hr_target_walk_down(p, &t, start, -t.rel, &m);
	} else if (strcmp(t.name, "base") == 0) {
		p->branch_base = p->branch != NULL;
		return 0;
	} else if (strcmp(t.name, "heads") == 0) {
		free(out->v);
		return branch_heads(p, 1, out);
	} else if (strcmp(t.name, "current") == 0) {
		if (p->branch != NULL)
			return bad_target(p, text);
		if ((rc = hr_target_current(p)) == 0)
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

int hr_plan_needs_current(const char *target)
{
	planner p = {.err = NULL};
	target_parts t;

	if (hr_target_parse(&p, target, &t) < 0)
		return 0;
	return strcmp(t.name, "current") == 0 ||
	       (t.rel != 0 && t.name[0] == '\0');
}
