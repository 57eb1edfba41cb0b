/*
 * diff.c — compare two schemas of one dialect (diff.h).
 *
 * Dialect-neutral: tables and columns match by name or by a `renamed
 * from` annotation on either side (the upgrade diff sees it on `to`, the
 * downgrade diff on `from`); indexes, foreign keys and checks match by
 * what they do, with the names of renamed tables and columns mapped
 * first, so a rename alone never reads as a new constraint.
 */
#include "diff.h"

#include <stdarg.h>
#include <stdio.h>

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* ------------------------------------------------------------------ */
/* Matching tables and columns                                         */
/* ------------------------------------------------------------------ */

/* A table of `to` and the table of `from` it continues, if any. */
typedef struct table_pair {
	const hr_table *from, *to;
	hr_table_change *change; /* its ALTER entry while building */
} table_pair;

/*
 * Tables and a table's columns match alike: by a rename declared on
 * either side (`to` carries it in the upgrade diff, `from` in the
 * downgrade's), else by name. A declared rename wins over a name, so
 * that renames may chain (a -> b, b -> c) or swap; a name another thing
 * is declared renamed from is taken. A named_list views either kind.
 */
typedef struct named_list {
	const char *base;
	size_t n, stride, name_off, renamed_off;
} named_list;

static named_list tables_of(const hr_schema *s)
{
	return (named_list){(const char *)s->tables, s->n_tables,
			    sizeof *s->tables, offsetof(hr_table, name),
			    offsetof(hr_table, renamed_from)};
}

static named_list columns_of(const hr_table *t)
{
	return (named_list){(const char *)t->columns, t->n_columns,
			    sizeof *t->columns, offsetof(hr_column, name),
			    offsetof(hr_column, renamed_from)};
}

static const char *name_at(const named_list *l, size_t i)
{
	return *(const char *const *)(l->base + i * l->stride + l->name_off);
}

static const char *renamed_at(const named_list *l, size_t i)
{
	return *(const char *const *)(l->base + i * l->stride + l->renamed_off);
}

/* The index of name in l, or l->n. */
static size_t find_name(const named_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(name_at(l, i), name) == 0)
			return i;
	return l->n;
}

/* Whether l[i] is declared renamed from a thing other has. */
static int renamed_from_other(const named_list *l, size_t i,
			      const named_list *other)
{
	return renamed_at(l, i) != NULL &&
	       find_name(other, renamed_at(l, i)) < other->n;
}

/* The thing of from that to[i] is declared renamed from, or from->n:
 * from must have it, and to's own thing of that name, if any, must be
 * renamed from something else. */
static size_t declared_on_to(const named_list *from, const named_list *to,
			     size_t i)
{
	const char *old = renamed_at(to, i);
	size_t f, same;

	if (old == NULL || (f = find_name(from, old)) == from->n)
		return from->n;
	same = find_name(to, old);
	return same == to->n || renamed_from_other(to, same, from) ? f : from->n;
}

/* The thing of from declared renamed from to[i] (the downgrade's view
 * of the same annotation), or from->n; likewise exclusive. */
static size_t declared_on_from(const named_list *from, const named_list *to,
			       size_t i)
{
	const char *name = name_at(to, i);
	size_t same = find_name(from, name);

	if (same < from->n && !renamed_from_other(from, same, to))
		return from->n;
	for (size_t f = 0; f < from->n; f++)
		if (str_eq(renamed_at(from, f), name))
			return f;
	return from->n;
}

/* The thing of from that to[i] continues, or from->n: a new one. */
static size_t match_named(const named_list *from, const named_list *to,
			  size_t i)
{
	size_t f = declared_on_to(from, to, i);

	if (f < from->n || (f = declared_on_from(from, to, i)) < from->n)
		return f;
	if ((f = find_name(from, name_at(to, i))) == from->n)
		return from->n;
	for (size_t j = 0; j < to->n; j++)
		if (j != i && (declared_on_to(from, to, j) == f ||
			       declared_on_from(from, to, j) == f))
			return from->n; /* taken by a rename */
	return f;
}

/* The table of from that t (a table of to) continues, or NULL. */
static const hr_table *match_table(const hr_schema *from, const hr_schema *to,
				   const hr_table *t)
{
	named_list f = tables_of(from), l = tables_of(to);
	size_t k = match_named(&f, &l, (size_t)(t - to->tables));

	return k < f.n ? &from->tables[k] : NULL;
}

/* The column of from that c (a column of to) continues, or NULL. */
static const hr_column *match_column(const hr_table *from, const hr_table *to,
				     const hr_column *c)
{
	named_list f = columns_of(from), l = columns_of(to);
	size_t k = match_named(&f, &l, (size_t)(c - to->columns));

	return k < f.n ? &from->columns[k] : NULL;
}

static int column_differs(const hr_column *a, const hr_column *b)
{
	return strcmp(a->name, b->name) != 0 ||
	       strcasecmp(a->type, b->type) != 0 || a->not_null != b->not_null ||
	       !str_eq(a->default_expr, b->default_expr) ||
	       a->pk_position != b->pk_position;
}

static int push_column_change(hr_table_change *tc, const hr_column *from,
			      const hr_column *to)
{
	hr_column_change *grown =
		realloc(tc->columns, (tc->n_columns + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	tc->columns = grown;
	tc->columns[tc->n_columns++] = (hr_column_change){from, to};
	return 0;
}

/* Whether to's columns are from's, by name and alike in every respect:
 * then any rename declared on either side has already happened (the
 * models keep their annotations after the migration ran). */
static int same_by_name(const hr_table *from, const hr_table *to)
{
	if (from->n_columns != to->n_columns)
		return 0;
	for (size_t i = 0; i < to->n_columns; i++) {
		const hr_column *f = hr_table_column(from, to->columns[i].name);

		if (f == NULL || column_differs(f, &to->columns[i]))
			return 0;
	}
	return 1;
}

/* The column changes of a table pair: to's order, drops last. */
static int diff_columns(hr_table_change *tc)
{
	const hr_table *from = tc->from, *to = tc->to;
	const hr_column **match;

	if (same_by_name(from, to))
		return 0;
	match = calloc(to->n_columns + 1, sizeof *match);
	if (match == NULL)
		return -1;
	for (size_t i = 0; i < to->n_columns; i++) {
		const hr_column *c = &to->columns[i];

		match[i] = match_column(from, to, c);
		if ((match[i] == NULL || column_differs(match[i], c)) &&
		    push_column_change(tc, match[i], c) < 0)
			goto oom;
	}
	for (size_t i = 0; i < from->n_columns; i++) {
		const hr_column *f = &from->columns[i];
		int kept = 0;

		for (size_t j = 0; j < to->n_columns && !kept; j++)
			kept = match[j] == f;
		if (!kept && push_column_change(tc, f, NULL) < 0)
			goto oom;
	}
	free(match);
	return 0;
oom:
	free(match);
	return -1;
}

/* The column of from that to's column c continues, once diff_columns
 * ran: a change's, else the unchanged column of its name. */
static const hr_column *from_column(const hr_table_change *tc,
				    const hr_column *c)
{
	for (size_t i = 0; i < tc->n_columns; i++)
		if (tc->columns[i].to == c)
			return tc->columns[i].from;
	return hr_table_column(tc->from, c->name);
}

/* ------------------------------------------------------------------ */
/* Constraints, compared with from's names mapped to to's              */
/* ------------------------------------------------------------------ */

typedef struct differ {
	const hr_schema *from, *to;
	table_pair *pairs;
	size_t n_pairs;
} differ;

static const table_pair *pair_of_from(const differ *d, const char *from_name)
{
	for (size_t i = 0; i < d->n_pairs; i++)
		if (strcmp(d->pairs[i].from->name, from_name) == 0)
			return &d->pairs[i];
	return NULL;
}

/* from_name, a table of from, as to calls it. */
static const char *table_in_to(const differ *d, const char *from_name)
{
	const table_pair *p = pair_of_from(d, from_name);

	return p != NULL ? p->to->name : from_name;
}

/* The new name of from's column `word` (len bytes) if tc renames it,
 * else NULL. Case-insensitive: SQLite's names are, and normalised
 * expressions may spell them in another case. */
static const char *renamed_to(const hr_table_change *tc, const char *word,
			      size_t len)
{
	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column_change *cc = &tc->columns[i];

		if (cc->from != NULL && cc->to != NULL &&
		    strcmp(cc->from->name, cc->to->name) != 0 &&
		    strlen(cc->from->name) == len &&
		    strncasecmp(cc->from->name, word, len) == 0)
			return cc->to->name;
	}
	return NULL;
}

/* Text of from's table (a column name, a key, an expression) with every
 * word naming a renamed column (outside '...' literals) spelled as in
 * to, in one pass (renames may chain or swap). malloc'ed; NULL on OOM. */
static char *map_columns(const hr_table_change *tc, const char *text)
{
	hr_buf b = {0};
	int in_string = 0;

	hr_buf_puts(&b, "");
	for (const char *p = text; *p != '\0';) {
		size_t len = 0;
		const char *new_name;

		if (*p == '\'')
			in_string = !in_string;
		if (in_string || !ident_char(*p)) {
			hr_buf_putn(&b, p++, 1);
			continue;
		}
		while (ident_char(p[len]))
			len++;
		new_name = renamed_to(tc, p, len);
		if (new_name != NULL)
			hr_buf_puts(&b, new_name);
		else
			hr_buf_putn(&b, p, len);
		p += len;
	}
	return hr_buf_take(&b);
}

/* Whether from's list (mapped through tc's renames) equals to's list.
 * -1 when out of memory. */
static int list_matches(const hr_table_change *tc, const hr_strlist *from,
			const hr_strlist *to)
{
	if (from->n != to->n)
		return 0;
	for (size_t i = 0; i < from->n; i++) {
		char *m = tc ? map_columns(tc, from->items[i])
			     : strdup(from->items[i]);
		int same;

		if (m == NULL)
			return -1;
		same = strcmp(m, to->items[i]) == 0;
		free(m);
		if (!same)
			return 0;
	}
	return 1;
}

/* Whether optional texts match once from's is mapped. -1: OOM. */
static int text_matches(const hr_table_change *tc, const char *from,
			const char *to)
{
	char *m;
	int same;

	if (from == NULL || to == NULL)
		return from == to;
	if ((m = map_columns(tc, from)) == NULL)
		return -1;
	same = strcmp(m, to) == 0;
	free(m);
	return same;
}

static int index_matches(const hr_table_change *tc, const hr_index *f,
			 const hr_index *t)
{
	int same;

	if (f->unique != t->unique || f->constraint != t->constraint)
		return 0;
	same = list_matches(tc, &f->columns, &t->columns);
	return same == 1 ? text_matches(tc, f->where, t->where) : same;
}

static int fkey_matches(const differ *d, const hr_table_change *tc,
			const hr_fkey *f, const hr_fkey *t)
{
	const table_pair *parent;
	int same;

	if (strcmp(table_in_to(d, f->ref_table), t->ref_table) != 0 ||
	    !str_eq(f->on_update, t->on_update) ||
	    !str_eq(f->on_delete, t->on_delete))
		return 0;
	same = list_matches(tc, &f->columns, &t->columns);
	if (same != 1)
		return same;
	parent = pair_of_from(d, f->ref_table);
	return list_matches(parent ? parent->change : NULL, &f->ref_columns,
			    &t->ref_columns);
}

static int check_matches(const hr_table_change *tc, const hr_check *f,
			 const hr_check *t)
{
	return text_matches(tc, f->expr, t->expr);
}

/* Append p to a growable array of pointers. */
static int push_ptr(const void ***arr, size_t *n, const void *p)
{
	const void **grown = realloc((void *)*arr, (*n + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	*arr = grown;
	grown[(*n)++] = p;
	return 0;
}

/*
 * The elements of from (n_from, stride bytes apart) that nothing in to
 * matches go to *drop, those of to that nothing in from matches to *add.
 * match(d, tc, f, t) says 1/0, or -1 when out of memory.
 */
typedef int (*match_fn)(const differ *d, const hr_table_change *tc,
			const void *f, const void *t);

static int diff_elements(const differ *d, const hr_table_change *tc,
			 const void *from, size_t n_from, const void *to,
			 size_t n_to, size_t stride, match_fn match,
			 const void ***drop, size_t *n_drop, const void ***add,
			 size_t *n_add)
{
	const char *f0 = from, *t0 = to;

	for (size_t i = 0; i < n_from; i++) {
		int found = 0;

		for (size_t j = 0; j < n_to && !found; j++)
			if ((found = match(d, tc, f0 + i * stride,
					   t0 + j * stride)) < 0)
				return -1;
		if (!found && push_ptr(drop, n_drop, f0 + i * stride) < 0)
			return -1;
	}
	for (size_t j = 0; j < n_to; j++) {
		int found = 0;

		for (size_t i = 0; i < n_from && !found; i++)
			if ((found = match(d, tc, f0 + i * stride,
					   t0 + j * stride)) < 0)
				return -1;
		if (!found && push_ptr(add, n_add, t0 + j * stride) < 0)
			return -1;
	}
	return 0;
}

static int index_match_fn(const differ *d, const hr_table_change *tc,
			  const void *f, const void *t)
{
	(void)d;
	return index_matches(tc, f, t);
}

static int fkey_match_fn(const differ *d, const hr_table_change *tc,
			 const void *f, const void *t)
{
	return fkey_matches(d, tc, f, t);
}

static int check_match_fn(const differ *d, const hr_table_change *tc,
			  const void *f, const void *t)
{
	(void)d;
	return check_matches(tc, f, t);
}

/* Whether the primary key's columns (matched through renames) or their
 * order in the key differ. */
static int pk_differs(const hr_table_change *tc)
{
	size_t n_from = 0, n_to = 0;

	for (size_t i = 0; i < tc->from->n_columns; i++)
		n_from += tc->from->columns[i].pk_position > 0;
	for (size_t i = 0; i < tc->to->n_columns; i++) {
		const hr_column *c = &tc->to->columns[i];
		const hr_column *f;

		if (c->pk_position == 0)
			continue;
		n_to++;
		f = from_column(tc, c);
		if (f == NULL || f->pk_position != c->pk_position)
			return 1;
	}
	return n_from != n_to;
}

static int diff_constraints(const differ *d, hr_table_change *tc)
{
	const hr_table *f = tc->from, *t = tc->to;

	tc->pk_changed = pk_differs(tc);
	if (diff_elements(d, tc, f->indexes, f->n_indexes, t->indexes,
			  t->n_indexes, sizeof *f->indexes, index_match_fn,
			  (const void ***)&tc->drop_indexes, &tc->n_drop_indexes,
			  (const void ***)&tc->add_indexes,
			  &tc->n_add_indexes) < 0 ||
	    diff_elements(d, tc, f->fkeys, f->n_fkeys, t->fkeys, t->n_fkeys,
			  sizeof *f->fkeys, fkey_match_fn,
			  (const void ***)&tc->drop_fkeys, &tc->n_drop_fkeys,
			  (const void ***)&tc->add_fkeys, &tc->n_add_fkeys) < 0 ||
	    diff_elements(d, tc, f->checks, f->n_checks, t->checks,
			  t->n_checks, sizeof *f->checks, check_match_fn,
			  (const void ***)&tc->drop_checks, &tc->n_drop_checks,
			  (const void ***)&tc->add_checks,
			  &tc->n_add_checks) < 0)
		return -1;
	return 0;
}

static int alter_is_empty(const hr_table_change *tc)
{
	return strcmp(tc->from->name, tc->to->name) == 0 &&
	       tc->n_columns == 0 && tc->n_drop_indexes == 0 &&
	       tc->n_add_indexes == 0 && tc->n_drop_fkeys == 0 &&
	       tc->n_add_fkeys == 0 && tc->n_drop_checks == 0 &&
	       tc->n_add_checks == 0 && !tc->pk_changed;
}

static void change_free(hr_table_change *tc)
{
	free(tc->columns);
	free(tc->drop_indexes);
	free(tc->add_indexes);
	free(tc->drop_fkeys);
	free(tc->add_fkeys);
	free(tc->drop_checks);
	free(tc->add_checks);
}

/* ------------------------------------------------------------------ */
/* Order                                                               */
/* ------------------------------------------------------------------ */

/* Whether child has a foreign key to parent (itself excepted). */
static int references(const hr_table *child, const hr_table *parent)
{
	if (child == parent)
		return 0;
	for (size_t i = 0; i < child->n_fkeys; i++)
		if (strcmp(child->fkeys[i].ref_table, parent->name) == 0)
			return 1;
	return 0;
}

/*
 * tables (n, sorted by name) in foreign-key order, parents first
 * (Kahn's algorithm, the smallest name first among the ready; a cycle
 * releases its smallest name). Written to order[]; -1 on OOM.
 */
static int fk_order(const hr_table *const *tables, size_t n,
		    const hr_table **order)
{
	char *done = calloc(n ? n : 1, 1);

	if (done == NULL)
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t pick = n;

		for (size_t i = 0; i < n && pick == n; i++) {
			int ready = !done[i];

			for (size_t j = 0; j < n && ready; j++)
				if (!done[j] && references(tables[i], tables[j]))
					ready = 0;
			if (ready)
				pick = i;
		}
		for (size_t i = 0; i < n && pick == n; i++)
			if (!done[i])
				pick = i; /* a cycle: name order */
		done[pick] = 1;
		order[k] = tables[pick];
	}
	free(done);
	return 0;
}

static int push_table_change(hr_diff *out, hr_table_change tc)
{
	hr_table_change *grown =
		realloc(out->tables, (out->n_tables + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	out->tables = grown;
	out->tables[out->n_tables++] = tc;
	return 0;
}

/* Append CREATE (or, reversed, DROP) changes for tables in FK order. */
static int push_ordered(hr_diff *out, const hr_table **tables, size_t n,
			hr_table_change_kind kind)
{
	const hr_table **order = calloc(n ? n : 1, sizeof *order);
	int rc = 0;

	if (order == NULL || fk_order(tables, n, order) < 0) {
		free(order);
		return -1;
	}
	for (size_t k = 0; k < n && rc == 0; k++) {
		hr_table_change tc = {.kind = kind};

		if (kind == HR_TABLE_CREATE)
			tc.to = order[k];
		else
			tc.from = order[n - 1 - k]; /* children first */
		rc = push_table_change(out, tc);
	}
	free(order);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Enums                                                               */
/* ------------------------------------------------------------------ */

static int push_enum_change(hr_diff *out, const hr_enum *from,
			    const hr_enum *to)
{
	hr_enum_change *grown =
		realloc(out->enums, (out->n_enums + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	out->enums = grown;
	out->enums[out->n_enums++] = (hr_enum_change){from, to};
	return 0;
}

static int diff_enums(const hr_schema *from, const hr_schema *to, hr_diff *out)
{
	for (size_t i = 0; i < to->n_enums; i++) {
		const hr_enum *t = &to->enums[i];
		const hr_enum *f = hr_schema_enum(from, t->name);

		if ((f == NULL || !hr_strlist_equal(&f->values, &t->values)) &&
		    push_enum_change(out, f, t) < 0)
			return -1;
	}
	for (size_t i = 0; i < from->n_enums; i++)
		if (hr_schema_enum(to, from->enums[i].name) == NULL &&
		    push_enum_change(out, &from->enums[i], NULL) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The diff                                                            */
/* ------------------------------------------------------------------ */

static int build(const hr_schema *from, const hr_schema *to, hr_diff *out)
{
	differ d = {.from = from, .to = to};
	const hr_table **created = NULL, **dropped = NULL;
	hr_table_change *alters = NULL;
	size_t n_created = 0, n_dropped = 0, n_alters = 0;
	int rc = -1;

	d.pairs = calloc(to->n_tables + 1, sizeof *d.pairs);
	alters = calloc(to->n_tables + 1, sizeof *alters);
	created = calloc(to->n_tables + 1, sizeof *created);
	dropped = calloc(from->n_tables + 1, sizeof *dropped);
	if (d.pairs == NULL || alters == NULL || created == NULL ||
	    dropped == NULL)
		goto done;
	/* Pair the tables, and each pair's columns, before any constraint
	 * is compared: a foreign key maps names through its parent's. */
	for (size_t i = 0; i < to->n_tables; i++) {
		const hr_table *t = &to->tables[i];
		const hr_table *f = match_table(from, to, t);

		if (f == NULL) {
			created[n_created++] = t;
			continue;
		}
		alters[n_alters] = (hr_table_change){
			.kind = HR_TABLE_ALTER, .from = f, .to = t};
		d.pairs[d.n_pairs++] = (table_pair){f, t, &alters[n_alters]};
		if (diff_columns(&alters[n_alters++]) < 0)
			goto done;
	}
	for (size_t i = 0; i < from->n_tables; i++)
		if (pair_of_from(&d, from->tables[i].name) == NULL)
			dropped[n_dropped++] = &from->tables[i];
	for (size_t i = 0; i < n_alters; i++)
		if (diff_constraints(&d, &alters[i]) < 0)
			goto done;
	if (diff_enums(from, to, out) < 0 ||
	    push_ordered(out, created, n_created, HR_TABLE_CREATE) < 0)
		goto done;
	for (size_t i = 0; i < n_alters; i++) {
		if (alter_is_empty(&alters[i])) {
			change_free(&alters[i]);
		} else if (push_table_change(out, alters[i]) < 0) {
			goto done;
		}
		alters[i] = (hr_table_change){0};
	}
	rc = push_ordered(out, dropped, n_dropped, HR_TABLE_DROP);
done:
	for (size_t i = 0; alters != NULL && i < n_alters; i++)
		change_free(&alters[i]);
	free(alters);
	free(d.pairs);
	free(created);
	free(dropped);
	return rc;
}

int hr_schema_diff(const hr_schema *from, const hr_schema *to, hr_diff *out,
		   hr_error *err)
{
	*out = (hr_diff){0};
	if (build(from, to, out) < 0) {
		hr_diff_free(out);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	return 0;
}

void hr_diff_free(hr_diff *d)
{
	for (size_t i = 0; i < d->n_tables; i++)
		change_free(&d->tables[i]);
	free(d->tables);
	free(d->enums);
	*d = (hr_diff){0};
}

void hr_render_notes_free(hr_render_notes *n)
{
	hr_strlist_free(&n->review);
	*n = (hr_render_notes){0};
}

int hr_render_vreview(hr_render_notes *notes, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof line, fmt, ap);
	return hr_strlist_push(&notes->review, line);
}

int hr_render_review(hr_render_notes *notes, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hr_render_vreview(notes, fmt, ap);
	va_end(ap);
	return rc;
}

int hr_diff_empty(const hr_diff *d)
{
	return d->n_tables == 0 && d->n_enums == 0;
}
