/*
 * catalog_postgresql.c — a PostgreSQL schema read back from the catalog
 * of current_schema(): pg_class, pg_attribute, pg_attrdef, pg_index,
 * pg_constraint and pg_enum, one query per kind of object for every
 * table at once.
 *
 * The text comes from the server's own deparsers (format_type,
 * pg_get_expr, pg_get_indexdef, pg_get_constraintdef), so two schemas
 * built from different spellings compare equal. What still differs
 * between two copies of one structure is normalised here:
 *   - the schema's own name, which the deparsers print when it is not on
 *     the search path ("hr_scratch_1_2.widthtype"), is removed;
 *   - a serial column (an integer type whose default is nextval() of a
 *     sequence the column owns) reads as "serial" ("smallserial",
 *     "bigserial") without a default, since the sequence's name follows
 *     the table's first name, not its present one;
 *   - identity and generated columns carry their clause as the default
 *     ("GENERATED ALWAYS AS IDENTITY", "GENERATED ALWAYS AS (...)
 *     STORED"), which renderers write as it is.
 * Lists (index columns, foreign-key columns, enum labels) travel as one
 * text joined with the unit separator (0x1f), which no name holds.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "\x1f"

/* The schema's tables, as every query below restricts them. */
#define IN_SCHEMA(rel)                                                      \
	rel ".relnamespace = (SELECT oid FROM pg_namespace "                \
	    "WHERE nspname = current_schema()) AND " rel                    \
	    ".relkind IN ('r', 'p') AND NOT " rel ".relispartition AND "    \
	    rel ".relname NOT IN ('" HR_VERSION_TABLE "', '"                \
	    HR_HISTORY_TABLE "') AND NOT EXISTS (SELECT 1 FROM pg_depend "  \
	    "x WHERE x.classid = 'pg_class'::regclass AND x.objid = " rel   \
	    ".oid AND x.deptype = 'e')"

static const char tables_sql[] =
	"SELECT c.relname FROM pg_class c WHERE " IN_SCHEMA("c");

static const char columns_sql[] =
	"SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
	"a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, "
	"a.attgenerated, "
	/* serial: nextval() of a sequence this column owns */
	"EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = "
	"dep.objid AND s.relkind = 'S' WHERE dep.classid = "
	"'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass AND "
	"dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND "
	"dep.deptype = 'a' AND a.attidentity = '' AND "
	"pg_get_expr(d.adbin, d.adrelid) = 'nextval(' || "
	"quote_literal(s.oid::regclass::text) || '::regclass)'), "
	"a.atttypid::regtype::text "
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"WHERE " IN_SCHEMA("c") " AND a.attnum > 0 AND NOT a.attisdropped "
	"ORDER BY c.relname, a.attnum";

static const char primary_keys_sql[] =
	"SELECT c.relname, a.attname, k.ord FROM pg_constraint con "
	"JOIN pg_class c ON c.oid = con.conrelid "
	"CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(attnum, ord) "
	"JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
	"WHERE con.contype = 'p' AND " IN_SCHEMA("c");

static const char indexes_sql[] =
	"SELECT c.relname, i.relname, ix.indisunique, "
	"EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = "
	"ix.indexrelid AND con.conrelid = ix.indrelid AND con.contype = 'u'), "
	"pg_get_indexdef(ix.indexrelid), pg_get_expr(ix.indpred, ix.indrelid), "
	"(SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), '" SEP
	"' ORDER BY k) FROM generate_series(1, ix.indnkeyatts) k) "
	"FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
	"JOIN pg_class c ON c.oid = ix.indrelid "
	"WHERE NOT ix.indisprimary AND " IN_SCHEMA("c");

static const char fkeys_sql[] =
	"SELECT c.relname, con.conname, "
	"string_agg(a.attname, '" SEP "' ORDER BY k.ord), r.relname, "
	"string_agg(ra.attname, '" SEP "' ORDER BY k.ord), "
	"con.confupdtype, con.confdeltype FROM pg_constraint con "
	"JOIN pg_class c ON c.oid = con.conrelid "
	"JOIN pg_class r ON r.oid = con.confrelid "
	"CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY "
	"k(att, ratt, ord) "
	"JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att "
	"JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND "
	"ra.attnum = k.ratt "
	"WHERE con.contype = 'f' AND " IN_SCHEMA("c") " "
	"GROUP BY c.relname, con.oid, con.conname, r.relname, con.confupdtype, "
	"con.confdeltype";

/* NOT NULL is attnotnull, never a CHECK here (contype 'c' only). */
static const char checks_sql[] =
	"SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
	"FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
	"WHERE con.contype = 'c' AND " IN_SCHEMA("c");

static const char enums_sql[] =
	"SELECT t.typname, (SELECT string_agg(e.enumlabel, '" SEP
	"' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) "
	"FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = (SELECT oid "
	"FROM pg_namespace WHERE nspname = current_schema()) AND NOT EXISTS "
	"(SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND "
	"x.objid = t.oid AND x.deptype = 'e')";

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

static int is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/*
 * A copy of text without the qualifier `schema.` (or `"schema".`) in
 * front of names, outside string literals: what the deparsers print for
 * objects of a schema that is not on the search path. NULL stays NULL;
 * NULL also when out of memory (*oom set).
 */
static char *unqualified(const char *text, const char *schema, int *oom)
{
	size_t n = strlen(schema);
	int quoted = 0;
	char *out, *o;

	if (text == NULL)
		return NULL;
	out = malloc(strlen(text) + 1);
	if (out == NULL) {
		*oom = 1;
		return NULL;
	}
	for (o = out; *text != '\0';) {
		int boundary = o == out || !is_ident_char(o[-1]);

		if (*text == '\'')
			quoted = !quoted;
		if (!quoted && boundary && strncmp(text, schema, n) == 0 &&
		    text[n] == '.') {
			text += n + 1;
			continue;
		}
		if (!quoted && boundary && text[0] == '"' &&
		    strncmp(text + 1, schema, n) == 0 && text[n + 1] == '"' &&
		    text[n + 2] == '.') {
			text += n + 3;
			continue;
		}
		*o++ = *text++;
	}
	*o = '\0';
	return out;
}

/* Split a SEP-joined text into l (nothing for NULL). */
static int split(const char *text, hr_strlist *l)
{
	while (text != NULL) {
		size_t n = strcspn(text, SEP);

		if (hr_strlist_pushn(l, text, n) < 0)
			return -1;
		text = text[n] != '\0' ? text + n + 1 : NULL;
	}
	return 0;
}

/* A copy, or NULL for NULL (*oom set when out of memory). */
static char *dup(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = 1;
	return d;
}

static const char *fk_action(const char *code)
{
	switch (code ? code[0] : 'a') {
	case 'r':
		return "RESTRICT";
	case 'c':
		return "CASCADE";
	case 'n':
		return "SET NULL";
	case 'd':
		return "SET DEFAULT";
	default:
		return "NO ACTION";
	}
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

typedef struct reader {
	hr_db *db;
	hr_schema *s;
	char *schema; /* current_schema() */
	int oom;
	hr_error *err;
} reader;

static hr_table *table_named(reader *r, const char *name)
{
	for (size_t i = 0; i < r->s->n_tables; i++)
		if (strcmp(r->s->tables[i].name, name) == 0)
			return &r->s->tables[i];
	return NULL;
}

static int query(reader *r, const char *sql, hr_rows *rows)
{
	int rc = hr_db_query(r->db, sql, NULL, 0, rows, r->err);

	if (rc < 0) {
		hr_error why = *r->err;

		return hr_error_set(r->err, why.code,
				    "cannot read the postgresql catalog: %s",
				    why.msg);
	}
	return 0;
}

#define CELL(rows, i, j) hr_rows_get((rows), (i), (j))

static void read_tables(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_table *t = HR_SCHEMA_PUSH(&r->s->tables, &r->s->n_tables);

		if (t == NULL || (t->name = dup(CELL(rows, i, 0), &r->oom)) == NULL)
			r->oom = 1;
	}
}

/* The serial pseudo-type for an integer type, or NULL. */
static const char *serial_for(const char *type)
{
	if (strcmp(type, "integer") == 0)
		return "serial";
	if (strcmp(type, "bigint") == 0)
		return "bigserial";
	if (strcmp(type, "smallint") == 0)
		return "smallserial";
	return NULL;
}

static char *identity_clause(const char *identity, const char *generated,
			     const char *expr, int *oom)
{
	const char *fixed = NULL;
	size_t n;
	char *s;

	if (identity != NULL && identity[0] == 'a')
		fixed = "GENERATED ALWAYS AS IDENTITY";
	else if (identity != NULL && identity[0] == 'd')
		fixed = "GENERATED BY DEFAULT AS IDENTITY";
	if (fixed != NULL)
		return dup(fixed, oom);
	if (generated == NULL || generated[0] != 's' || expr == NULL)
		return NULL;
	n = strlen(expr) + sizeof "GENERATED ALWAYS AS () STORED";
	s = malloc(n);
	if (s == NULL) {
		*oom = 1;
		return NULL;
	}
	snprintf(s, n, "GENERATED ALWAYS AS (%s) STORED", expr);
	return s;
}

static void read_columns(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_table *t = table_named(r, CELL(rows, i, 0));
		const char *type = CELL(rows, i, 2), *serial = NULL;
		char *expr;
		hr_column *c;

		if (t == NULL)
			continue;
		c = HR_SCHEMA_PUSH(&t->columns, &t->n_columns);
		if (c == NULL) {
			r->oom = 1;
			return;
		}
		if (strcmp(CELL(rows, i, 7), "t") == 0)
			serial = serial_for(CELL(rows, i, 8));
		c->name = dup(CELL(rows, i, 1), &r->oom);
		c->type = serial ? dup(serial, &r->oom)
				 : unqualified(type, r->schema, &r->oom);
		c->not_null = strcmp(CELL(rows, i, 3), "t") == 0;
		expr = unqualified(CELL(rows, i, 4), r->schema, &r->oom);
		c->default_expr = identity_clause(CELL(rows, i, 5),
						  CELL(rows, i, 6), expr,
						  &r->oom);
		if (c->default_expr == NULL && serial == NULL) {
			c->default_expr = expr;
			expr = NULL;
		}
		free(expr);
	}
}

static void read_primary_keys(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows; i++) {
		hr_table *t = table_named(r, CELL(rows, i, 0));
		hr_column *c = t ? (hr_column *)hr_table_column(t, CELL(rows, i, 1))
				 : NULL;

		if (c != NULL)
			c->pk_position = atoi(CELL(rows, i, 2));
	}
}

static void read_indexes(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_table *t = table_named(r, CELL(rows, i, 0));
		hr_index *x;

		if (t == NULL)
			continue;
		x = HR_SCHEMA_PUSH(&t->indexes, &t->n_indexes);
		if (x == NULL) {
			r->oom = 1;
			return;
		}
		x->name = dup(CELL(rows, i, 1), &r->oom);
		x->unique = strcmp(CELL(rows, i, 2), "t") == 0;
		x->constraint = strcmp(CELL(rows, i, 3), "t") == 0;
		if (!x->constraint)
			x->definition = unqualified(CELL(rows, i, 4), r->schema,
						    &r->oom);
		x->where = unqualified(CELL(rows, i, 5), r->schema, &r->oom);
		if (split(CELL(rows, i, 6), &x->columns) < 0)
			r->oom = 1;
	}
}

static void read_fkeys(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_table *t = table_named(r, CELL(rows, i, 0));
		hr_fkey *f;

		if (t == NULL)
			continue;
		f = HR_SCHEMA_PUSH(&t->fkeys, &t->n_fkeys);
		if (f == NULL) {
			r->oom = 1;
			return;
		}
		f->name = dup(CELL(rows, i, 1), &r->oom);
		f->ref_table = dup(CELL(rows, i, 3), &r->oom);
		f->on_update = dup(fk_action(CELL(rows, i, 5)), &r->oom);
		f->on_delete = dup(fk_action(CELL(rows, i, 6)), &r->oom);
		if (split(CELL(rows, i, 2), &f->columns) < 0 ||
		    split(CELL(rows, i, 4), &f->ref_columns) < 0)
			r->oom = 1;
	}
}

/* "CHECK ((x > 0))" -> "(x > 0)": the expression inside CHECK ( ). */
static char *check_expr(const char *def, const char *schema, int *oom)
{
	char *s = unqualified(def, schema, oom), *close;

	if (s == NULL || strncmp(s, "CHECK (", 7) != 0)
		return s;
	close = strrchr(s, ')');
	if (close == NULL)
		return s;
	*close = '\0';
	memmove(s, s + 7, strlen(s + 7) + 1);
	return s;
}

static void read_checks(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_table *t = table_named(r, CELL(rows, i, 0));
		hr_check *k;

		if (t == NULL)
			continue;
		k = HR_SCHEMA_PUSH(&t->checks, &t->n_checks);
		if (k == NULL) {
			r->oom = 1;
			return;
		}
		k->name = dup(CELL(rows, i, 1), &r->oom);
		k->expr = check_expr(CELL(rows, i, 2), r->schema, &r->oom);
		if (k->expr == NULL)
			r->oom = 1;
	}
}

static void read_enums(reader *r, const hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows && !r->oom; i++) {
		hr_enum *e = HR_SCHEMA_PUSH(&r->s->enums, &r->s->n_enums);

		if (e == NULL) {
			r->oom = 1;
			return;
		}
		e->name = dup(CELL(rows, i, 0), &r->oom);
		if (split(CELL(rows, i, 1), &e->values) < 0)
			r->oom = 1;
	}
}

int hr_catalog_read_postgresql(hr_db *db, hr_schema *out, hr_error *err)
{
	static const struct {
		const char *sql;
		void (*read)(reader *r, const hr_rows *rows);
	} steps[] = {
		{tables_sql, read_tables},   {columns_sql, read_columns},
		{primary_keys_sql, read_primary_keys},
		{indexes_sql, read_indexes}, {fkeys_sql, read_fkeys},
		{checks_sql, read_checks},   {enums_sql, read_enums},
	};
	reader r = {.db = db, .s = out, .err = err};
	hr_rows rows;
	int rc;

	*out = (hr_schema){.dialect = "postgresql"};
	if ((rc = query(&r, "SELECT current_schema()", &rows)) < 0)
		return rc;
	if (rows.n_rows == 1 && CELL(&rows, 0, 0) != NULL)
		r.schema = strdup(CELL(&rows, 0, 0));
	hr_rows_free(&rows);
	if (r.schema == NULL)
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "cannot read the postgresql catalog: no "
				    "schema on the search path exists");
	for (size_t i = 0; i < sizeof steps / sizeof *steps && !r.oom; i++) {
		if ((rc = query(&r, steps[i].sql, &rows)) < 0) {
			free(r.schema);
			return rc;
		}
		steps[i].read(&r, &rows);
		hr_rows_free(&rows);
	}
	free(r.schema);
	if (r.oom)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory reading the catalog");
	hr_schema_sort(out);
	return 0;
}
