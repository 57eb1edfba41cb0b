/*
 * render_postgresql.c — the PostgreSQL statements for a schema diff.
 *
 * Order, so that every statement finds what it needs and nothing it
 * removes is still in use:
 *   1. enum types: CREATE TYPE; ADD VALUE (BEFORE/AFTER, keeping the
 *      order); a removed or reordered value, or an added one the new
 *      schema already uses in a default or CHECK (PostgreSQL refuses to
 *      use it before commit), rewrites the type (rename the old one,
 *      create the new, cast every column through text, drop the old);
 *   2. CREATE TABLE in the diff's order (parents first), then their
 *      indexes; a foreign key to a table not there yet waits for 4;
 *   3. per altered table, after every altered table's dropped foreign
 *      keys went: rename, drop checks, unique constraints, indexes and a
 *      changed primary key; column renames, additions, type, NOT NULL
 *      and default changes, drops; then the new primary key, checks,
 *      unique constraints and indexes;
 *   4. foreign keys added (those 2 deferred, and those of 3);
 *   5. DROP TABLE in the diff's order (children first), then DROP TYPE.
 * Everything a reviewer must see (data lost, a rename guessed as a drop
 * and an add, rewrites, conditions that fail on existing rows) goes to
 * notes->review as it is rendered.
 */
#include "diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct render {
	const hr_diff *d;
	const hr_schema *from, *to;
	hr_buf *sql;
	hr_render_notes *notes;
	int oom;
} render;

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/* Keywords PostgreSQL reserves, fully or as names of types and
 * functions: an identifier spelled like one must be quoted. */
static const char *const reserved[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc",
	"asymmetric", "authorization", "binary", "both", "case", "cast",
	"check", "collate", "collation", "column", "concurrently",
	"constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "default", "deferrable", "desc", "distinct", "do",
	"else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
	"from", "full", "grant", "group", "having", "ilike", "in", "initially",
	"inner", "intersect", "into", "is", "isnull", "join", "lateral",
	"leading", "left", "like", "limit", "localtime", "localtimestamp",
	"natural", "not", "notnull", "null", "offset", "on", "only", "or",
	"order", "outer", "overlaps", "placing", "primary", "references",
	"returning", "right", "select", "session_user", "similar", "some",
	"symmetric", "table", "tablesample", "then", "to", "trailing", "true",
	"union", "unique", "user", "using", "variadic", "verbose", "when",
	"where", "window", "with",
};

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static int needs_quotes(const char *name)
{
	if (name[0] == '\0' || !((name[0] >= 'a' && name[0] <= 'z') ||
				 name[0] == '_'))
		return 1;
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '$'))
			return 1;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Append s with every q doubled, between q's. */
static void put_quoted(render *r, const char *s, char q)
{
	hr_buf_putn(r->sql, &q, 1);
	for (; *s != '\0'; s++) {
		hr_buf_putn(r->sql, s, 1);
		if (*s == q)
			hr_buf_putn(r->sql, s, 1);
	}
	hr_buf_putn(r->sql, &q, 1);
}

/* An identifier, quoted only when it must be. */
static void ident(render *r, const char *name)
{
	if (needs_quotes(name))
		put_quoted(r, name, '"');
	else
		hr_buf_puts(r->sql, name);
}

static void literal(render *r, const char *s)
{
	put_quoted(r, s, '\'');
}

/* A name as a regclass literal wants it: the identifier, quoted as
 * needed, inside a string literal ('"Racks"'). */
static void ident_literal(render *r, const char *name)
{
	hr_buf *sql = r->sql, name_sql = {0};

	r->sql = &name_sql;
	ident(r, name);
	r->sql = sql;
	if (name_sql.failed)
		r->oom = 1;
	else
		literal(r, hr_buf_str(&name_sql));
	hr_buf_free(&name_sql);
}

static void put(render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(render *r, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		hr_buf_puts(r->sql, small);
		return;
	}
	/* Only SQL text of the schema itself gets this long. */
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		r->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	hr_buf_puts(r->sql, big);
	free(big);
}

/* Names, quoted as needed, comma-separated. */
static void ident_list(render *r, const hr_strlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			hr_buf_puts(r->sql, ", ");
		ident(r, l->items[i]);
	}
}

/* "ALTER TABLE t " */
static void alter_table(render *r, const char *table)
{
	hr_buf_puts(r->sql, "ALTER TABLE ");
	ident(r, table);
	hr_buf_puts(r->sql, " ");
}

static void end_statement(render *r)
{
	hr_buf_puts(r->sql, ";\n");
}

static void review(render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void review(render *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (hr_render_vreview(r->notes, fmt, ap) < 0)
		r->oom = 1;
	va_end(ap);
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ------------------------------------------------------------------ */
/* Columns and constraints                                             */
/* ------------------------------------------------------------------ */

/* Identity and generated columns carry their clause as the default
 * (catalog_postgresql.c): written as it is, not after DEFAULT. */
static int is_generated(const char *default_expr)
{
	return default_expr != NULL &&
	       strncmp(default_expr, "GENERATED ", 10) == 0;
}

static int is_identity(const char *default_expr)
{
	return is_generated(default_expr) &&
	       strstr(default_expr, "AS IDENTITY") != NULL;
}

/* The integer type under a serial pseudo-type, or NULL. */
static const char *serial_base(const char *type)
{
	if (strcmp(type, "serial") == 0)
		return "integer";
	if (strcmp(type, "bigserial") == 0)
		return "bigint";
	if (strcmp(type, "smallserial") == 0)
		return "smallint";
	return NULL;
}

/* The type as ALTER COLUMN TYPE and casts spell it. */
static const char *plain_type(const char *type)
{
	const char *base = serial_base(type);

	return base ? base : type;
}

/* "name type [DEFAULT x | GENERATED ...] [NOT NULL]" */
static void column_def(render *r, const hr_column *c)
{
	ident(r, c->name);
	put(r, " %s", c->type);
	if (is_generated(c->default_expr))
		put(r, " %s", c->default_expr);
	else if (c->default_expr != NULL)
		put(r, " DEFAULT %s", c->default_expr);
	if (c->not_null && serial_base(c->type) == NULL &&
	    !is_identity(c->default_expr))
		hr_buf_puts(r->sql, " NOT NULL");
}

static int pk_columns(const hr_table *t, hr_strlist *out)
{
	for (int pos = 1;; pos++) {
		size_t i;

		for (i = 0; i < t->n_columns; i++)
			if (t->columns[i].pk_position == pos)
				break;
		if (i == t->n_columns)
			return 0;
		if (hr_strlist_push(out, t->columns[i].name) < 0)
			return -1;
	}
}

static void primary_key_clause(render *r, const hr_table *t)
{
	hr_strlist cols = {0};

	if (pk_columns(t, &cols) < 0)
		r->oom = 1;
	if (cols.n > 0) {
		hr_buf_puts(r->sql, "PRIMARY KEY (");
		ident_list(r, &cols);
		hr_buf_puts(r->sql, ")");
	}
	hr_strlist_free(&cols);
}

/* "[CONSTRAINT n ]FOREIGN KEY (a) REFERENCES t (b)[ ON ...]" */
static void fkey_clause(render *r, const hr_fkey *f)
{
	if (f->name != NULL) {
		hr_buf_puts(r->sql, "CONSTRAINT ");
		ident(r, f->name);
		hr_buf_puts(r->sql, " ");
	}
	hr_buf_puts(r->sql, "FOREIGN KEY (");
	ident_list(r, &f->columns);
	hr_buf_puts(r->sql, ") REFERENCES ");
	ident(r, f->ref_table);
	if (f->ref_columns.n > 0) {
		hr_buf_puts(r->sql, " (");
		ident_list(r, &f->ref_columns);
		hr_buf_puts(r->sql, ")");
	}
	if (f->on_update != NULL && strcmp(f->on_update, "NO ACTION") != 0)
		put(r, " ON UPDATE %s", f->on_update);
	if (f->on_delete != NULL && strcmp(f->on_delete, "NO ACTION") != 0)
		put(r, " ON DELETE %s", f->on_delete);
}

static void check_clause(render *r, const hr_check *k)
{
	if (k->name != NULL) {
		hr_buf_puts(r->sql, "CONSTRAINT ");
		ident(r, k->name);
		hr_buf_puts(r->sql, " ");
	}
	put(r, "CHECK (%s)", k->expr);
}

/* A unique constraint's clause; its columns are SQL text already (the
 * catalog's pg_get_indexdef quotes what needs it). */
static void unique_clause(render *r, const hr_index *x)
{
	hr_buf_puts(r->sql, "CONSTRAINT ");
	ident(r, x->name);
	hr_buf_puts(r->sql, " UNIQUE (");
	for (size_t i = 0; i < x->columns.n; i++)
		put(r, "%s%s", i ? ", " : "", x->columns.items[i]);
	hr_buf_puts(r->sql, ")");
}

static void drop_constraint(render *r, const char *table, const char *name)
{
	alter_table(r, table);
	hr_buf_puts(r->sql, "DROP CONSTRAINT ");
	ident(r, name);
	end_statement(r);
}

static void add_constraint_start(render *r, const char *table)
{
	alter_table(r, table);
	hr_buf_puts(r->sql, "ADD ");
}

/* An index of the table: a unique constraint (ADD CONSTRAINT) or a
 * CREATE INDEX as the catalog gave it. */
static void add_index(render *r, const char *table, const hr_index *x)
{
	if (x->constraint) {
		add_constraint_start(r, table);
		unique_clause(r, x);
	} else if (x->definition != NULL) {
		hr_buf_puts(r->sql, x->definition);
	} else {
		return;
	}
	end_statement(r);
}

static void drop_index(render *r, const char *table, const hr_index *x)
{
	if (x->constraint) {
		drop_constraint(r, table, x->name);
		return;
	}
	hr_buf_puts(r->sql, "DROP INDEX ");
	ident(r, x->name);
	end_statement(r);
}

/* ------------------------------------------------------------------ */
/* 1. Enum types                                                       */
/* ------------------------------------------------------------------ */

static int has_value(const hr_enum *e, const char *v)
{
	for (size_t i = 0; i < e->values.n; i++)
		if (strcmp(e->values.items[i], v) == 0)
			return 1;
	return 0;
}

/* Whether from's values appear in to in the same order (to only adds). */
static int only_additions(const hr_enum *from, const hr_enum *to)
{
	size_t j = 0;

	for (size_t i = 0; i < to->values.n && j < from->values.n; i++)
		if (strcmp(to->values.items[i], from->values.items[j]) == 0)
			j++;
	return j == from->values.n;
}

static void create_type(render *r, const char *name, const hr_enum *e)
{
	hr_buf_puts(r->sql, "CREATE TYPE ");
	ident(r, name);
	hr_buf_puts(r->sql, " AS ENUM (");
	for (size_t i = 0; i < e->values.n; i++) {
		if (i > 0)
			hr_buf_puts(r->sql, ", ");
		literal(r, e->values.items[i]);
	}
	hr_buf_puts(r->sql, ")");
	end_statement(r);
}

static void add_values(render *r, const hr_enum *from, const hr_enum *to)
{
	for (size_t i = 0; i < to->values.n; i++) {
		const char *v = to->values.items[i];

		if (has_value(from, v))
			continue;
		hr_buf_puts(r->sql, "ALTER TYPE ");
		ident(r, to->name);
		hr_buf_puts(r->sql, " ADD VALUE ");
		literal(r, v);
		/* Values are added in to's order: the one before is there. */
		if (i > 0) {
			hr_buf_puts(r->sql, " AFTER ");
			literal(r, to->values.items[i - 1]);
		} else if (from->values.n > 0) {
			hr_buf_puts(r->sql, " BEFORE ");
			literal(r, from->values.items[0]);
		}
		end_statement(r);
		review(r,
		       "enum '%s' gains value '%s': it cannot be used (in "
		       "defaults, rows, comparisons) until this migration has "
		       "committed; use it in a later revision",
		       to->name, v);
	}
}

/* Whether type (format_type's spelling: "mood", "\"Mood\"") names the
 * type called name. */
static int type_is(const char *type, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(type, name) == 0)
		return 1;
	return type[0] == '"' && strncmp(type + 1, name, n) == 0 &&
	       type[n + 1] == '"' && type[n + 2] == '\0';
}

/* Whether a default is a value the enum no longer has ('x'::t). */
static int default_removed(const char *expr, const hr_enum *to)
{
	const char *end;
	char *v;
	int gone;

	if (expr == NULL || expr[0] != '\'')
		return 0;
	end = strstr(expr, "'::");
	if (end == NULL)
		return 0;
	v = strndup(expr + 1, (size_t)(end - expr - 1));
	if (v == NULL)
		return 1;
	gone = strchr(v, '\'') != NULL || !has_value(to, v);
	free(v);
	return gone;
}

/*
 * A value removed or reordered: PostgreSQL cannot, so the type is
 * rebuilt (migra's way) and every column of it is rewritten through
 * text. Rows holding a removed value make it fail.
 */
static void rewrite_type(render *r, const hr_enum *from, const hr_enum *to,
			 const char *why)
{
	char old[256];

	snprintf(old, sizeof old, "%.200s_old", from->name);
	hr_buf_puts(r->sql, "ALTER TYPE ");
	ident(r, from->name);
	hr_buf_puts(r->sql, " RENAME TO ");
	ident(r, old);
	end_statement(r);
	create_type(r, to->name, to);
	for (size_t i = 0; i < r->from->n_tables; i++) {
		const hr_table *t = &r->from->tables[i];

		for (size_t j = 0; j < t->n_columns; j++) {
			const hr_column *c = &t->columns[j];

			if (!type_is(c->type, from->name))
				continue;
			if (c->default_expr != NULL) {
				alter_table(r, t->name);
				hr_buf_puts(r->sql, "ALTER COLUMN ");
				ident(r, c->name);
				hr_buf_puts(r->sql, " DROP DEFAULT");
				end_statement(r);
			}
			alter_table(r, t->name);
			hr_buf_puts(r->sql, "ALTER COLUMN ");
			ident(r, c->name);
			hr_buf_puts(r->sql, " TYPE ");
			ident(r, to->name);
			hr_buf_puts(r->sql, " USING ");
			ident(r, c->name);
			hr_buf_puts(r->sql, "::text::");
			ident(r, to->name);
			end_statement(r);
			/* A default naming a value that went is replaced
			 * (or not) by the table's own changes, later. */
			if (c->default_expr != NULL &&
			    !default_removed(c->default_expr, to)) {
				alter_table(r, t->name);
				hr_buf_puts(r->sql, "ALTER COLUMN ");
				ident(r, c->name);
				put(r, " SET DEFAULT %s", c->default_expr);
				end_statement(r);
			}
		}
	}
	hr_buf_puts(r->sql, "DROP TYPE ");
	ident(r, old);
	end_statement(r);
	review(r,
	       "enum '%s' %s: the type is recreated and every column of it "
	       "rewritten under an ACCESS EXCLUSIVE lock (slow on big tables); "
	       "rows holding a removed value make the migration fail",
	       to->name, why);
}

/* Whether text holds the literal 'value'::type (quoted or not). */
static int mentions_value(const char *text, const char *value,
			  const char *type)
{
	hr_buf lit = {0};
	const char *at;
	int found = 0;

	hr_buf_puts(&lit, "'");
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\'')
			hr_buf_putn(&lit, c, 1); /* doubled */
		hr_buf_putn(&lit, c, 1);
	}
	hr_buf_puts(&lit, "'::");
	for (at = text; !found && !lit.failed &&
			(at = strstr(at, hr_buf_str(&lit))) != NULL;
	     at++) {
		const char *t = at + lit.len;
		size_t n = strlen(type);

		found = (strncmp(t, type, n) == 0 && !is_ident(t[n])) ||
			(t[0] == '"' && strncmp(t + 1, type, n) == 0 &&
			 t[n + 1] == '"');
	}
	hr_buf_free(&lit);
	return found;
}

/* Whether to (a default, a CHECK) uses a value that from lacks: ADD
 * VALUE would leave it unusable until the migration commits. */
static int uses_added_value(render *r, const hr_enum *from, const hr_enum *to)
{
	for (size_t v = 0; v < to->values.n; v++) {
		const char *value = to->values.items[v];

		if (has_value(from, value))
			continue;
		for (size_t i = 0; i < r->to->n_tables; i++) {
			const hr_table *t = &r->to->tables[i];

			for (size_t j = 0; j < t->n_columns; j++)
				if (t->columns[j].default_expr != NULL &&
				    mentions_value(t->columns[j].default_expr,
						   value, to->name))
					return 1;
			for (size_t j = 0; j < t->n_checks; j++)
				if (mentions_value(t->checks[j].expr, value,
						   to->name))
					return 1;
		}
	}
	return 0;
}

static void render_enums(render *r)
{
	for (size_t i = 0; i < r->d->n_enums; i++) {
		const hr_enum_change *e = &r->d->enums[i];

		if (e->from == NULL)
			create_type(r, e->to->name, e->to);
		else if (e->to == NULL)
			continue; /* dropped last */
		else if (!only_additions(e->from, e->to))
			rewrite_type(r, e->from, e->to,
				     "loses or reorders values");
		else if (uses_added_value(r, e->from, e->to))
			rewrite_type(r, e->from, e->to,
				     "gains values that this migration already "
				     "uses (ADD VALUE would leave them unusable "
				     "until it commits)");
		else
			add_values(r, e->from, e->to);
	}
}

static void drop_enums(render *r)
{
	for (size_t i = 0; i < r->d->n_enums; i++) {
		if (r->d->enums[i].to != NULL)
			continue;
		hr_buf_puts(r->sql, "DROP TYPE ");
		ident(r, r->d->enums[i].from->name);
		end_statement(r);
	}
}

/* ------------------------------------------------------------------ */
/* 2. New tables                                                       */
/* ------------------------------------------------------------------ */

/* Whether a table of this name exists by the time statement phase 2
 * reaches create index `upto` of the diff: one kept under its name, or
 * one created before. Anything else (a table renamed in phase 3, one
 * created later) must wait for phase 4. */
static int exists_for_create(render *r, const char *name, size_t upto)
{
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table_change *c = &r->d->tables[i];

		if (c->kind == HR_TABLE_ALTER && strcmp(c->to->name, name) == 0)
			return strcmp(c->from->name, name) == 0;
		if (c->kind == HR_TABLE_CREATE && strcmp(c->to->name, name) == 0)
			return i < upto;
	}
	/* Unchanged: in both schemas. */
	return hr_schema_table(r->from, name) != NULL;
}

static void create_table(render *r, size_t at, const hr_table *t)
{
	int first = 1;

	hr_buf_puts(r->sql, "CREATE TABLE ");
	ident(r, t->name);
	hr_buf_puts(r->sql, " (");
	for (size_t i = 0; i < t->n_columns; i++) {
		hr_buf_puts(r->sql, first ? "\n    " : ",\n    ");
		first = 0;
		column_def(r, &t->columns[i]);
	}
	for (size_t i = 0; i < t->n_columns; i++)
		if (t->columns[i].pk_position > 0) {
			hr_buf_puts(r->sql, ",\n    ");
			primary_key_clause(r, t);
			break;
		}
	for (size_t i = 0; i < t->n_indexes; i++)
		if (t->indexes[i].constraint) {
			hr_buf_puts(r->sql, ",\n    ");
			unique_clause(r, &t->indexes[i]);
		}
	for (size_t i = 0; i < t->n_checks; i++) {
		hr_buf_puts(r->sql, ",\n    ");
		check_clause(r, &t->checks[i]);
	}
	for (size_t i = 0; i < t->n_fkeys; i++) {
		const hr_fkey *f = &t->fkeys[i];

		if (strcmp(f->ref_table, t->name) != 0 &&
		    !exists_for_create(r, f->ref_table, at))
			continue; /* phase 4 */
		hr_buf_puts(r->sql, ",\n    ");
		fkey_clause(r, f);
	}
	hr_buf_puts(r->sql, "\n)");
	end_statement(r);
	for (size_t i = 0; i < t->n_indexes; i++)
		if (!t->indexes[i].constraint)
			add_index(r, t->name, &t->indexes[i]);
}

static void render_creates(render *r)
{
	for (size_t i = 0; i < r->d->n_tables; i++)
		if (r->d->tables[i].kind == HR_TABLE_CREATE)
			create_table(r, i, r->d->tables[i].to);
}

/* ------------------------------------------------------------------ */
/* 3. Altered tables                                                   */
/* ------------------------------------------------------------------ */

static void alter_column_start(render *r, const char *table,
			       const char *column)
{
	alter_table(r, table);
	hr_buf_puts(r->sql, "ALTER COLUMN ");
	ident(r, column);
	hr_buf_puts(r->sql, " ");
}

static int is_enum(const hr_schema *s, const char *type)
{
	for (size_t i = 0; i < s->n_enums; i++)
		if (type_is(type, s->enums[i].name))
			return 1;
	return 0;
}

/* serial -> integer, or integer -> serial: the owned sequence. */
static void change_serial(render *r, const char *table, const hr_column *from,
			  const hr_column *to)
{
	char seq[256];

	if (serial_base(from->type) != NULL) {
		/* The default first: it depends on the sequence. */
		alter_column_start(r, table, to->name);
		hr_buf_puts(r->sql, "DROP DEFAULT");
		end_statement(r);
		hr_buf_puts(r->sql, "DO $$BEGIN EXECUTE 'DROP SEQUENCE ' || "
				    "pg_get_serial_sequence(");
		ident_literal(r, table);
		hr_buf_puts(r->sql, ", ");
		literal(r, to->name);
		hr_buf_puts(r->sql, "); END$$");
		end_statement(r);
		return;
	}
	snprintf(seq, sizeof seq, "%.100s_%.100s_seq", table, to->name);
	hr_buf_puts(r->sql, "CREATE SEQUENCE ");
	ident(r, seq);
	hr_buf_puts(r->sql, " OWNED BY ");
	ident(r, table);
	hr_buf_puts(r->sql, ".");
	ident(r, to->name);
	end_statement(r);
	hr_buf_puts(r->sql, "SELECT setval(");
	ident_literal(r, seq);
	hr_buf_puts(r->sql, ", coalesce(max(");
	ident(r, to->name);
	hr_buf_puts(r->sql, "), 0) + 1, false) FROM ");
	ident(r, table);
	end_statement(r);
	alter_column_start(r, table, to->name);
	hr_buf_puts(r->sql, "SET DEFAULT nextval(");
	ident_literal(r, seq);
	hr_buf_puts(r->sql, "::regclass)");
	end_statement(r);
}

/* Type, default and NOT NULL of a column present on both sides (by
 * now under its new name, in its table's new name). */
static void change_column(render *r, const char *table, const hr_column *from,
			  const hr_column *to)
{
	const char *ft = plain_type(from->type), *tt = plain_type(to->type);
	int type_changed = strcmp(ft, tt) != 0;
	int serial_changed = (serial_base(from->type) != NULL) !=
			     (serial_base(to->type) != NULL);
	int default_changed = !same(from->default_expr, to->default_expr);
	int default_dropped = 0;

	if (is_generated(from->default_expr) != is_generated(to->default_expr) ||
	    (is_generated(to->default_expr) && default_changed)) {
		/* Identity can be added and dropped; a stored generated
		 * expression only dropped. */
		if (is_identity(from->default_expr)) {
			alter_column_start(r, table, to->name);
			hr_buf_puts(r->sql, "DROP IDENTITY");
			end_statement(r);
		} else if (is_generated(from->default_expr)) {
			alter_column_start(r, table, to->name);
			hr_buf_puts(r->sql, "DROP EXPRESSION");
			end_statement(r);
		} else if (from->default_expr != NULL) {
			alter_column_start(r, table, to->name);
			hr_buf_puts(r->sql, "DROP DEFAULT");
			end_statement(r);
		}
		default_dropped = 1;
	}
	if (type_changed && from->default_expr != NULL && !default_dropped) {
		/* The old default may not cast to the new type. */
		alter_column_start(r, table, to->name);
		hr_buf_puts(r->sql, "DROP DEFAULT");
		end_statement(r);
		default_dropped = 1;
	}
	if (type_changed) {
		/* Enums cast to and from text only. */
		int via_text = (is_enum(r->from, ft) || is_enum(r->to, tt)) &&
			       strcmp(ft, "text") != 0 && strcmp(tt, "text") != 0;

		alter_column_start(r, table, to->name);
		put(r, "TYPE %s USING ", tt);
		ident(r, to->name);
		put(r, "%s::%s", via_text ? "::text" : "", tt);
		end_statement(r);
		review(r,
		       "column '%s.%s' changes type from %s to %s (USING a cast: "
		       "a narrowing loses data or fails on rows that do not fit, "
		       "and the table is rewritten)",
		       table, to->name, ft, tt);
	}
	if (serial_changed)
		change_serial(r, table, from, to);
	if (is_identity(to->default_expr) &&
	    (default_dropped || !is_identity(from->default_expr))) {
		alter_column_start(r, table, to->name);
		put(r, "ADD %s", to->default_expr);
		end_statement(r);
	} else if (is_generated(to->default_expr) &&
		   (default_dropped || default_changed)) {
		review(r,
		       "column '%s.%s' becomes a generated column, which "
		       "PostgreSQL cannot do in place: drop and add it",
		       table, to->name);
	} else if (to->default_expr != NULL &&
		   (default_changed || default_dropped)) {
		alter_column_start(r, table, to->name);
		put(r, "SET DEFAULT %s", to->default_expr);
		end_statement(r);
	} else if (to->default_expr == NULL && from->default_expr != NULL &&
		   !default_dropped) {
		alter_column_start(r, table, to->name);
		hr_buf_puts(r->sql, "DROP DEFAULT");
		end_statement(r);
	}
	if (default_changed && !is_generated(to->default_expr) &&
	    !is_generated(from->default_expr))
		review(r, "default of '%s.%s' changes from %s to %s", table,
		       to->name, from->default_expr ? from->default_expr : "none",
		       to->default_expr ? to->default_expr : "none");
	if (to->not_null && !from->not_null && serial_base(to->type) == NULL &&
	    !is_identity(to->default_expr)) {
		if (to->default_expr != NULL && !is_generated(to->default_expr)) {
			hr_buf_puts(r->sql, "UPDATE ");
			ident(r, table);
			hr_buf_puts(r->sql, " SET ");
			ident(r, to->name);
			hr_buf_puts(r->sql, " = DEFAULT WHERE ");
			ident(r, to->name);
			hr_buf_puts(r->sql, " IS NULL");
			end_statement(r);
			review(r,
			       "column '%s.%s' becomes NOT NULL: rows holding "
			       "NULL get its default %s first",
			       table, to->name, to->default_expr);
		} else {
			review(r,
			       "column '%s.%s' becomes NOT NULL: the migration "
			       "fails if any row holds NULL",
			       table, to->name);
		}
		alter_column_start(r, table, to->name);
		hr_buf_puts(r->sql, "SET NOT NULL");
		end_statement(r);
	} else if (!to->not_null && from->not_null &&
		   serial_base(from->type) == NULL &&
		   !is_identity(from->default_expr)) {
		alter_column_start(r, table, to->name);
		hr_buf_puts(r->sql, "DROP NOT NULL");
		end_statement(r);
	}
}

static void add_column(render *r, const char *table, const hr_column *c)
{
	alter_table(r, table);
	hr_buf_puts(r->sql, "ADD COLUMN ");
	column_def(r, c);
	end_statement(r);
	if (c->not_null && c->default_expr == NULL &&
	    serial_base(c->type) == NULL)
		review(r,
		       "new column '%s.%s' is NOT NULL without a default: the "
		       "migration fails if the table has rows",
		       table, c->name);
}

/* A dropped column with the type of an added one in the same table
 * looks like a rename the models did not declare. */
static void suspect_renames(render *r, const hr_table_change *c)
{
	for (size_t i = 0; i < c->n_columns; i++) {
		const hr_column *gone = c->columns[i].from;

		if (gone == NULL || c->columns[i].to != NULL)
			continue;
		for (size_t j = 0; j < c->n_columns; j++) {
			const hr_column *added = c->columns[j].to;

			if (added != NULL && c->columns[j].from == NULL &&
			    strcmp(plain_type(added->type),
				   plain_type(gone->type)) == 0)
				review(r,
				       "column '%s.%s' is dropped and '%s' added "
				       "with the same type: if it is a rename, "
				       "declare `-- renamed from: %s` on '%s' "
				       "in the models",
				       c->to->name, gone->name, added->name,
				       gone->name, added->name);
		}
	}
}

static void render_alter(render *r, const hr_table_change *c)
{
	const char *table = c->to->name;

	if (strcmp(c->from->name, c->to->name) != 0) {
		alter_table(r, c->from->name);
		hr_buf_puts(r->sql, "RENAME TO ");
		ident(r, c->to->name);
		end_statement(r);
	}
	for (size_t i = 0; i < c->n_drop_checks; i++)
		if (c->drop_checks[i]->name != NULL)
			drop_constraint(r, table, c->drop_checks[i]->name);
	for (size_t i = 0; i < c->n_drop_indexes; i++)
		drop_index(r, table, c->drop_indexes[i]);
	if (c->pk_changed) {
		int had_pk = 0;

		for (size_t i = 0; i < c->from->n_columns; i++)
			had_pk |= c->from->columns[i].pk_position > 0;
		/* Its name is the table's first name, or the models' own:
		 * the catalog knows it. */
		if (had_pk) {
			hr_buf_puts(r->sql,
				    "DO $$BEGIN EXECUTE (SELECT 'ALTER TABLE ' "
				    "|| conrelid::regclass || ' DROP CONSTRAINT "
				    "' || quote_ident(conname) FROM pg_constraint "
				    "WHERE contype = 'p' AND conrelid = ");
			ident_literal(r, table);
			hr_buf_puts(r->sql, "::regclass); END$$");
			end_statement(r);
		}
		review(r, "the primary key of '%s' changes", table);
	}
	for (size_t i = 0; i < c->n_columns; i++) {
		const hr_column *f = c->columns[i].from, *t = c->columns[i].to;

		if (f != NULL && t != NULL && strcmp(f->name, t->name) != 0) {
			alter_table(r, table);
			hr_buf_puts(r->sql, "RENAME COLUMN ");
			ident(r, f->name);
			hr_buf_puts(r->sql, " TO ");
			ident(r, t->name);
			end_statement(r);
		}
	}
	for (size_t i = 0; i < c->n_columns; i++) {
		const hr_column *f = c->columns[i].from, *t = c->columns[i].to;

		if (f == NULL) {
			add_column(r, table, t);
		} else if (t == NULL) {
			alter_table(r, table);
			hr_buf_puts(r->sql, "DROP COLUMN ");
			ident(r, f->name);
			end_statement(r);
			review(r, "dropped column '%s.%s' (its data is lost)",
			       table, f->name);
		} else {
			change_column(r, table, f, t);
		}
	}
	suspect_renames(r, c);
	if (c->pk_changed) {
		int has_pk = 0;

		for (size_t i = 0; i < c->to->n_columns; i++)
			has_pk |= c->to->columns[i].pk_position > 0;
		if (has_pk) {
			add_constraint_start(r, table);
			primary_key_clause(r, c->to);
			end_statement(r);
		}
	}
	for (size_t i = 0; i < c->n_add_checks; i++) {
		add_constraint_start(r, table);
		check_clause(r, c->add_checks[i]);
		end_statement(r);
		review(r,
		       "new CHECK on '%s' (%s): the migration fails if existing "
		       "rows violate it",
		       table, c->add_checks[i]->expr);
	}
	for (size_t i = 0; i < c->n_add_indexes; i++) {
		add_index(r, table, c->add_indexes[i]);
		if (c->add_indexes[i]->unique)
			review(r,
			       "new unique index '%s' on '%s': the migration "
			       "fails if existing rows hold duplicates",
			       c->add_indexes[i]->name, table);
	}
}

static void render_alters(render *r)
{
	/* Foreign keys go first, everywhere: a column or key they lean on
	 * may change in any table. */
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table_change *c = &r->d->tables[i];

		if (c->kind != HR_TABLE_ALTER)
			continue;
		for (size_t j = 0; j < c->n_drop_fkeys; j++)
			if (c->drop_fkeys[j]->name != NULL)
				drop_constraint(r, c->from->name,
						c->drop_fkeys[j]->name);
	}
	for (size_t i = 0; i < r->d->n_tables; i++)
		if (r->d->tables[i].kind == HR_TABLE_ALTER)
			render_alter(r, &r->d->tables[i]);
}

/* ------------------------------------------------------------------ */
/* 4. Foreign keys added                                               */
/* ------------------------------------------------------------------ */

static void add_fkey(render *r, const char *table, const hr_fkey *f)
{
	add_constraint_start(r, table);
	fkey_clause(r, f);
	end_statement(r);
}

static void render_fkeys(render *r)
{
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table_change *c = &r->d->tables[i];

		if (c->kind == HR_TABLE_CREATE) {
			for (size_t j = 0; j < c->to->n_fkeys; j++) {
				const hr_fkey *f = &c->to->fkeys[j];

				if (strcmp(f->ref_table, c->to->name) != 0 &&
				    !exists_for_create(r, f->ref_table, i))
					add_fkey(r, c->to->name, f);
			}
		} else if (c->kind == HR_TABLE_ALTER) {
			for (size_t j = 0; j < c->n_add_fkeys; j++)
				add_fkey(r, c->to->name, c->add_fkeys[j]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* 5. Drops                                                            */
/* ------------------------------------------------------------------ */

/* Whether the diff drops a table of this name before position `at`. */
static int dropped_before(render *r, const char *name, size_t at)
{
	for (size_t i = 0; i < at; i++)
		if (r->d->tables[i].kind == HR_TABLE_DROP &&
		    strcmp(r->d->tables[i].from->name, name) == 0)
			return 1;
	return 0;
}

/* A created table of the same columns looks like a rename. */
static void suspect_table_rename(render *r, const hr_table *gone)
{
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table *t = r->d->tables[i].to;
		size_t j;

		if (r->d->tables[i].kind != HR_TABLE_CREATE ||
		    t->n_columns != gone->n_columns)
			continue;
		for (j = 0; j < t->n_columns; j++)
			if (strcmp(t->columns[j].name, gone->columns[j].name) != 0)
				break;
		if (j == t->n_columns)
			review(r,
			       "table '%s' is dropped and '%s' created with the "
			       "same columns: if it is a rename, declare "
			       "`-- renamed from: %s` on '%s' in the models",
			       gone->name, t->name, gone->name, t->name);
	}
}

static void render_drops(render *r)
{
	/* Children come first; in a cycle among dropped tables, a key to a
	 * table dropped before its own must be cut first. */
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table *t = r->d->tables[i].from;

		if (r->d->tables[i].kind != HR_TABLE_DROP)
			continue;
		for (size_t j = 0; j < t->n_fkeys; j++)
			if (t->fkeys[j].name != NULL &&
			    strcmp(t->fkeys[j].ref_table, t->name) != 0 &&
			    dropped_before(r, t->fkeys[j].ref_table, i))
				drop_constraint(r, t->name, t->fkeys[j].name);
	}
	for (size_t i = 0; i < r->d->n_tables; i++) {
		const hr_table *t = r->d->tables[i].from;

		if (r->d->tables[i].kind != HR_TABLE_DROP)
			continue;
		hr_buf_puts(r->sql, "DROP TABLE ");
		ident(r, t->name);
		end_statement(r);
		review(r, "dropped table '%s' (its rows are lost)", t->name);
		suspect_table_rename(r, t);
	}
	drop_enums(r);
}

int hr_render_postgresql(const hr_diff *d, const hr_schema *from,
			 const hr_schema *to, hr_buf *sql,
			 hr_render_notes *notes, hr_error *err)
{
	render r = {.d = d, .from = from, .to = to, .sql = sql, .notes = notes};

	render_enums(&r);
	render_creates(&r);
	render_alters(&r);
	render_fkeys(&r);
	render_drops(&r);
	if (r.oom || sql->failed)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory rendering postgresql sql");
	return 0;
}
