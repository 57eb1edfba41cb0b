/* schema.c — the schema tree: lookups, order, and freeing it. */
#include "schema.h"

#include <stdlib.h>
#include <string.h>

void *hr_schema_push(void **array, size_t *n, size_t size)
{
	char *grown = realloc(*array, (*n + 1) * size);

	if (grown == NULL)
		return NULL;
	*array = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

static void table_free(hr_table *t)
{
	for (size_t i = 0; i < t->n_columns; i++) {
		free(t->columns[i].name);
		free(t->columns[i].type);
		free(t->columns[i].default_expr);
		free(t->columns[i].definition);
		free(t->columns[i].renamed_from);
	}
	for (size_t i = 0; i < t->n_indexes; i++) {
		free(t->indexes[i].name);
		hr_strlist_free(&t->indexes[i].columns);
		free(t->indexes[i].where);
		free(t->indexes[i].definition);
	}
	for (size_t i = 0; i < t->n_fkeys; i++) {
		free(t->fkeys[i].name);
		hr_strlist_free(&t->fkeys[i].columns);
		free(t->fkeys[i].ref_table);
		hr_strlist_free(&t->fkeys[i].ref_columns);
		free(t->fkeys[i].on_update);
		free(t->fkeys[i].on_delete);
	}
	for (size_t i = 0; i < t->n_checks; i++) {
		free(t->checks[i].name);
		free(t->checks[i].expr);
	}
	free(t->columns);
	free(t->indexes);
	free(t->fkeys);
	free(t->checks);
	free(t->name);
	free(t->definition);
	free(t->renamed_from);
	free(t->source);
}

void hr_schema_free(hr_schema *s)
{
	for (size_t i = 0; i < s->n_tables; i++)
		table_free(&s->tables[i]);
	for (size_t i = 0; i < s->n_enums; i++) {
		free(s->enums[i].name);
		hr_strlist_free(&s->enums[i].values);
	}
	free(s->tables);
	free(s->enums);
	*s = (hr_schema){0};
}

const hr_table *hr_schema_table(const hr_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n_tables; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

const hr_column *hr_table_column(const hr_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_columns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

const hr_enum *hr_schema_enum(const hr_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n_enums; i++)
		if (strcmp(s->enums[i].name, name) == 0)
			return &s->enums[i];
	return NULL;
}

static int by_table_name(const void *a, const void *b)
{
	return strcmp(((const hr_table *)a)->name, ((const hr_table *)b)->name);
}

static int by_index_name(const void *a, const void *b)
{
	return strcmp(((const hr_index *)a)->name, ((const hr_index *)b)->name);
}

/* Lists compare item by item, then by length. */
static int strlist_cmp(const hr_strlist *a, const hr_strlist *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		int c = strcmp(a->items[i], b->items[i]);

		if (c != 0)
			return c;
	}
	return (a->n > b->n) - (a->n < b->n);
}

static int by_fkey_columns(const void *a, const void *b)
{
	const hr_fkey *x = a, *y = b;
	int c = strlist_cmp(&x->columns, &y->columns);

	return c ? c : strcmp(x->ref_table, y->ref_table);
}

static int by_check_expr(const void *a, const void *b)
{
	return strcmp(((const hr_check *)a)->expr, ((const hr_check *)b)->expr);
}

static int by_enum_name(const void *a, const void *b)
{
	return strcmp(((const hr_enum *)a)->name, ((const hr_enum *)b)->name);
}

void hr_schema_sort(hr_schema *s)
{
	if (s->n_tables > 1)
		qsort(s->tables, s->n_tables, sizeof *s->tables, by_table_name);
	if (s->n_enums > 1)
		qsort(s->enums, s->n_enums, sizeof *s->enums, by_enum_name);
	for (size_t i = 0; i < s->n_tables; i++) {
		hr_table *t = &s->tables[i];

		if (t->n_indexes > 1)
			qsort(t->indexes, t->n_indexes, sizeof *t->indexes,
			      by_index_name);
		if (t->n_fkeys > 1)
			qsort(t->fkeys, t->n_fkeys, sizeof *t->fkeys,
			      by_fkey_columns);
		if (t->n_checks > 1)
			qsort(t->checks, t->n_checks, sizeof *t->checks,
			      by_check_expr);
	}
}

/* ------------------------------------------------------------------ */
/* Copying                                                             */
/* ------------------------------------------------------------------ */

/* Copy a string that may be NULL; sets *failed when out of memory. */
static char *dup(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

static hr_strlist dup_list(const hr_strlist *l, int *failed)
{
	hr_strlist d = {0};

	for (size_t i = 0; i < l->n; i++)
		if (hr_strlist_push(&d, l->items[i]) < 0)
			*failed = 1;
	return d;
}

/* A copy of n elements of size bytes (NULL for none); *failed on OOM. */
static void *dup_array(const void *a, size_t n, size_t size, int *failed)
{
	void *d;

	if (n == 0)
		return NULL;
	if ((d = calloc(n, size)) == NULL) {
		*failed = 1;
		return NULL;
	}
	memcpy(d, a, n * size);
	return d;
}

/* Replace every pointer of the shallow copy t with one of its own. */
static void table_deepen(hr_table *t, int *f)
{
	hr_column *cols = t->columns;
	hr_index *ixs = t->indexes;
	hr_fkey *fks = t->fkeys;
	hr_check *cks = t->checks;

	t->name = dup(t->name, f);
	t->definition = dup(t->definition, f);
	t->renamed_from = dup(t->renamed_from, f);
	t->source = dup(t->source, f);
	t->columns = dup_array(cols, t->n_columns, sizeof *cols, f);
	t->indexes = dup_array(ixs, t->n_indexes, sizeof *ixs, f);
	t->fkeys = dup_array(fks, t->n_fkeys, sizeof *fks, f);
	t->checks = dup_array(cks, t->n_checks, sizeof *cks, f);
	if (*f) {
		/* Nothing below points at the original any more. */
		t->n_columns = t->columns ? t->n_columns : 0;
		t->n_indexes = t->indexes ? t->n_indexes : 0;
		t->n_fkeys = t->fkeys ? t->n_fkeys : 0;
		t->n_checks = t->checks ? t->n_checks : 0;
	}
	for (size_t i = 0; i < t->n_columns; i++) {
		hr_column *c = &t->columns[i];

		c->name = dup(c->name, f);
		c->type = dup(c->type, f);
		c->default_expr = dup(c->default_expr, f);
		c->definition = dup(c->definition, f);
		c->renamed_from = dup(c->renamed_from, f);
	}
	for (size_t i = 0; i < t->n_indexes; i++) {
		hr_index *x = &t->indexes[i];

		x->name = dup(x->name, f);
		x->columns = dup_list(&x->columns, f);
		x->where = dup(x->where, f);
		x->definition = dup(x->definition, f);
	}
	for (size_t i = 0; i < t->n_fkeys; i++) {
		hr_fkey *k = &t->fkeys[i];

		k->name = dup(k->name, f);
		k->columns = dup_list(&k->columns, f);
		k->ref_table = dup(k->ref_table, f);
		k->ref_columns = dup_list(&k->ref_columns, f);
		k->on_update = dup(k->on_update, f);
		k->on_delete = dup(k->on_delete, f);
	}
	for (size_t i = 0; i < t->n_checks; i++) {
		t->checks[i].name = dup(t->checks[i].name, f);
		t->checks[i].expr = dup(t->checks[i].expr, f);
	}
}

int hr_schema_copy(const hr_schema *src, hr_schema *dst)
{
	int failed = 0;

	*dst = (hr_schema){.dialect = src->dialect};
	dst->tables = dup_array(src->tables, src->n_tables,
				sizeof *src->tables, &failed);
	dst->n_tables = dst->tables ? src->n_tables : 0;
	dst->enums = dup_array(src->enums, src->n_enums, sizeof *src->enums,
			       &failed);
	dst->n_enums = dst->enums ? src->n_enums : 0;
	for (size_t i = 0; i < dst->n_tables; i++)
		table_deepen(&dst->tables[i], &failed);
	for (size_t i = 0; i < dst->n_enums; i++) {
		dst->enums[i].name = dup(dst->enums[i].name, &failed);
		dst->enums[i].values = dup_list(&dst->enums[i].values, &failed);
	}
	if (failed) {
		hr_schema_free(dst);
		return -1;
	}
	return 0;
}
