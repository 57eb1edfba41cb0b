/*
 * describe.c — a diff as the lines Alembic's autogenerate logs
 * ("Detected added table 'cables'", ...), for both dialects.
 */
#include <stdio.h>
#include <string.h>

#include "diff.h"

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A list as Python prints it: ['a', 'b']. */
static void put_pylist(hr_buf *b, const hr_strlist *l)
{
	hr_buf_puts(b, "[");
	for (size_t i = 0; i < l->n; i++)
		hr_buf_printf(b, "%s'%s'", i ? ", " : "", l->items[i]);
	hr_buf_puts(b, "]");
}

static void put_joined(hr_buf *b, const hr_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		hr_buf_printf(b, "%s%s", i ? ", " : "", l->items[i]);
}

/* Move b's text to lines as one line. */
static int emit(hr_buf *b, hr_strlist *lines)
{
	int rc = b->failed ? -1 : hr_strlist_push(lines, hr_buf_str(b));

	hr_buf_free(b);
	return rc;
}

static int describe_columns(const hr_table_change *tc, hr_strlist *lines)
{
	const char *t = tc->to->name;

	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column *f = tc->columns[i].from, *c = tc->columns[i].to;
		hr_buf b = {0};

		if (f == NULL) {
			hr_buf_printf(&b, "Detected added column '%s.%s'", t,
				      c->name);
			if (emit(&b, lines) < 0)
				return -1;
			continue;
		}
		if (c == NULL) {
			hr_buf_printf(&b, "Detected removed column '%s.%s'", t,
				      f->name);
			if (emit(&b, lines) < 0)
				return -1;
			continue;
		}
		if (strcmp(f->name, c->name) != 0) {
			hr_buf_printf(&b,
				      "Detected renamed column '%s.%s' to "
				      "'%s.%s'",
				      t, f->name, t, c->name);
			if (emit(&b, lines) < 0)
				return -1;
		}
		if (f->not_null != c->not_null) {
			hr_buf_printf(&b, "Detected %s on column '%s.%s'",
				      c->not_null ? "NOT NULL" : "NULL", t,
				      c->name);
			if (emit(&b, lines) < 0)
				return -1;
		}
		if (strcasecmp(f->type, c->type) != 0) {
			hr_buf_printf(&b,
				      "Detected type change from %s to %s on "
				      "'%s.%s'",
				      *f->type ? f->type : "(none)",
				      *c->type ? c->type : "(none)", t, c->name);
			if (emit(&b, lines) < 0)
				return -1;
		}
		if (!str_eq(f->default_expr, c->default_expr)) {
			hr_buf_printf(&b, "Detected default change on '%s.%s'",
				      t, c->name);
			if (emit(&b, lines) < 0)
				return -1;
		}
	}
	return 0;
}

static int describe_added_index(const hr_index *ix, hr_strlist *lines)
{
	hr_buf b = {0};

	hr_buf_printf(&b, "Detected added %s '%s' on '",
		      ix->constraint ? "unique constraint" : "index", ix->name);
	put_pylist(&b, &ix->columns);
	hr_buf_puts(&b, "'");
	return emit(&b, lines);
}

static int describe_constraints(const hr_table_change *tc, hr_strlist *lines)
{
	const char *t = tc->to->name;
	hr_buf b = {0};

	if (tc->pk_changed) {
		hr_buf_printf(&b, "Detected primary key change on '%s'", t);
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t i = 0; i < tc->n_drop_indexes; i++) {
		const hr_index *ix = tc->drop_indexes[i];

		hr_buf_printf(&b, "Detected removed %s '%s' on '%s'",
			      ix->constraint ? "unique constraint" : "index",
			      ix->name, t);
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t i = 0; i < tc->n_add_indexes; i++)
		if (describe_added_index(tc->add_indexes[i], lines) < 0)
			return -1;
	for (size_t k = 0; k < tc->n_drop_fkeys + tc->n_add_fkeys; k++) {
		int added = k >= tc->n_drop_fkeys;
		const hr_fkey *fk = added ? tc->add_fkeys[k - tc->n_drop_fkeys]
					  : tc->drop_fkeys[k];

		hr_buf_printf(&b, "Detected %s foreign key (",
			      added ? "added" : "removed");
		put_joined(&b, &fk->columns);
		hr_buf_printf(&b, ")(");
		put_joined(&b, &fk->ref_columns);
		hr_buf_printf(&b, ") on table %s",
			      added ? t : tc->from->name);
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t i = 0; i < tc->n_drop_checks; i++) {
		hr_buf_printf(&b, "Detected removed check constraint on '%s'",
			      t);
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t i = 0; i < tc->n_add_checks; i++) {
		hr_buf_printf(&b, "Detected added check constraint on '%s'", t);
		if (emit(&b, lines) < 0)
			return -1;
	}
	return 0;
}

static int describe_enum(const hr_enum_change *ec, hr_strlist *lines)
{
	hr_buf b = {0};
	const hr_enum *f = ec->from, *t = ec->to;
	size_t kept = 0;

	if (f == NULL || t == NULL) {
		hr_buf_printf(&b, "Detected %s enum '%s'",
			      f ? "removed" : "added", f ? f->name : t->name);
		return emit(&b, lines);
	}
	for (size_t i = 0; i < t->values.n; i++) {
		int found = 0;

		for (size_t j = 0; j < f->values.n && !found; j++)
			found = strcmp(f->values.items[j], t->values.items[i]) == 0;
		kept += found;
		if (found)
			continue;
		hr_buf_printf(&b, "Detected added enum value '%s' to '%s'",
			      t->values.items[i], t->name);
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t j = 0; j < f->values.n; j++) {
		int found = 0;

		for (size_t i = 0; i < t->values.n && !found; i++)
			found = strcmp(f->values.items[j], t->values.items[i]) == 0;
		if (found)
			continue;
		hr_buf_printf(&b, "Detected removed enum value '%s' from '%s'",
			      f->values.items[j], t->name);
		if (emit(&b, lines) < 0)
			return -1;
	}
	if (kept == f->values.n && kept == t->values.n) {
		hr_buf_printf(&b, "Detected reordered values of enum '%s'",
			      t->name);
		return emit(&b, lines);
	}
	return 0;
}

int hr_diff_describe(const hr_diff *d, hr_strlist *lines)
{
	/* Types first (tables use them), dropped types last. */
	for (size_t i = 0; i < d->n_enums; i++)
		if (d->enums[i].to != NULL && describe_enum(&d->enums[i], lines) < 0)
			return -1;
	for (size_t i = 0; i < d->n_tables; i++) {
		const hr_table_change *tc = &d->tables[i];
		hr_buf b = {0};

		if (tc->kind == HR_TABLE_CREATE) {
			/* A new table's indexes are listed too, as Alembic
			 * does (constraints come with the table). */
			hr_buf_printf(&b, "Detected added table '%s'",
				      tc->to->name);
			if (emit(&b, lines) < 0)
				return -1;
			for (size_t k = 0; k < tc->to->n_indexes; k++)
				if (!tc->to->indexes[k].constraint &&
				    describe_added_index(&tc->to->indexes[k],
							 lines) < 0)
					return -1;
			continue;
		} else if (tc->kind == HR_TABLE_DROP) {
			hr_buf_printf(&b, "Detected removed table '%s'",
				      tc->from->name);
		} else {
			if (strcmp(tc->from->name, tc->to->name) != 0) {
				hr_buf_printf(&b,
					      "Detected renamed table '%s' to "
					      "'%s'",
					      tc->from->name, tc->to->name);
				if (emit(&b, lines) < 0)
					return -1;
			}
			if (describe_columns(tc, lines) < 0 ||
			    describe_constraints(tc, lines) < 0)
				return -1;
			continue;
		}
		if (emit(&b, lines) < 0)
			return -1;
	}
	for (size_t i = 0; i < d->n_enums; i++)
		if (d->enums[i].to == NULL && describe_enum(&d->enums[i], lines) < 0)
			return -1;
	return 0;
}
