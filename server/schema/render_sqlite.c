/*
 * render_sqlite.c — the SQL that applies a diff to a SQLite database.
 *
 * New tables are created from their stored definition, as the models
 * wrote them. A table present on both sides is altered in place where
 * SQLite can (RENAME TO, RENAME COLUMN, ADD COLUMN of a plain column,
 * DROP COLUMN of an unconstrained one, CREATE/DROP INDEX); anything else
 * rebuilds it the way sqlite.org/lang_altertable.html §7 prescribes:
 * create new_X from the target definition, copy the rows, drop X, rename
 * new_X to X, recreate X's indexes. Renames always happen in place first,
 * so that other tables' foreign keys follow them (SQLite rewrites the
 * references on RENAME), and a rebuild then starts from the new names.
 * A rebuild needs foreign-key enforcement off while it runs
 * (notes->foreign_keys_off): dropping X would otherwise delete or refuse
 * on the rows referencing it.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diff.h"
#include "sqlite_lex.h"

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* An identifier as SQLite reads it back: bare when it can be. */
static void put_ident(hr_buf *b, const char *name)
{
	if (hr_sqlite_bare_ident(name)) {
		hr_buf_puts(b, name);
		return;
	}
	hr_buf_puts(b, "\"");
	for (const char *p = name; *p != '\0'; p++)
		hr_buf_puts(b, *p == '"' ? "\"\"" : (char[]){*p, '\0'});
	hr_buf_puts(b, "\"");
}


/* ------------------------------------------------------------------ */
/* Reading definitions                                                 */
/* ------------------------------------------------------------------ */

/* Whether text mentions the identifier name as a word (outside string
 * literals; case-insensitive, as SQLite's identifiers are). */
static int mentions(const char *text, const char *name)
{
	const char *p = text, *end = text + strlen(text);
	hr_sqltok tok;

	while (hr_sqltok_next(&p, end, &tok)) {
		char *ident;
		int same;

		if (tok.kind != HR_SQLTOK_WORD && tok.kind != HR_SQLTOK_QUOTED)
			continue;
		ident = hr_sqltok_ident(&tok);
		same = ident != NULL && strcasecmp(ident, name) == 0;
		free(ident);
		if (same)
			return 1;
	}
	return 0;
}

/* Whether a column definition holds the keyword w. */
static int has_word(const char *def, const char *w)
{
	const char *p = def, *end = def + strlen(def);
	hr_sqltok tok;

	while (hr_sqltok_next(&p, end, &tok))
		if (hr_sqltok_is(&tok, w))
			return 1;
	return 0;
}

/* Whether a column definition makes a generated column (GENERATED
 * ALWAYS AS (...), or just AS (...)): one nobody inserts into. */
static int is_generated(const char *def)
{
	const char *p = def, *end = def + strlen(def);
	hr_sqltok tok;
	int after_as = 0;

	while (hr_sqltok_next(&p, end, &tok)) {
		if (hr_sqltok_is(&tok, "GENERATED") ||
		    (after_as && hr_sqltok_punct(&tok, '(')))
			return 1;
		after_as = hr_sqltok_is(&tok, "AS");
	}
	return 0;
}

/* Whether a column definition has a CHECK whose normalised expression
 * is expr (a column-level check ADD COLUMN brings along). */
static int has_check(const char *def, const char *expr)
{
	const char *p = def, *end = def + strlen(def);
	hr_sqltok tok;

	while (hr_sqltok_next(&p, end, &tok)) {
		const char *body;
		int depth = 1, same;
		char *norm;

		if (!hr_sqltok_is(&tok, "CHECK") || !hr_sqltok_next(&p, end, &tok) ||
		    !hr_sqltok_punct(&tok, '('))
			continue;
		body = p;
		while (depth > 0 && hr_sqltok_next(&p, end, &tok)) {
			if (hr_sqltok_punct(&tok, '('))
				depth++;
			else if (hr_sqltok_punct(&tok, ')'))
				depth--;
		}
		if (depth > 0)
			return 0;
		norm = hr_sqltok_normalize(body, tok.start);
		same = norm != NULL && strcmp(norm, expr) == 0;
		free(norm);
		if (same)
			return 1;
	}
	return 0;
}

/* Whether a canonical default is a constant ADD COLUMN accepts (quote()
 * output: a number, a string, a blob or NULL). */
static int constant_default(const char *dflt)
{
	if (dflt == NULL)
		return 1;
	return dflt[0] == '\'' || dflt[0] == '-' || dflt[0] == '+' ||
	       (dflt[0] >= '0' && dflt[0] <= '9') ||
	       strncmp(dflt, "X'", 2) == 0 || strcmp(dflt, "NULL") == 0;
}

static int null_default(const char *dflt)
{
	return dflt == NULL || strcmp(dflt, "NULL") == 0;
}

/*
 * definition (a CREATE TABLE) with the table's name replaced by name:
 * into b.
 */
static int put_renamed_definition(hr_buf *b, const char *definition,
				  const char *name)
{
	const char *p = definition, *end = definition + strlen(definition);
	const char *name_start = NULL, *name_end = NULL;
	hr_sqltok tok;

	/* CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name */
	while (hr_sqltok_next(&p, end, &tok)) {
		if (hr_sqltok_is(&tok, "CREATE") || hr_sqltok_is(&tok, "TEMP") ||
		    hr_sqltok_is(&tok, "TEMPORARY") || hr_sqltok_is(&tok, "TABLE") ||
		    hr_sqltok_is(&tok, "IF") || hr_sqltok_is(&tok, "NOT") ||
		    hr_sqltok_is(&tok, "EXISTS"))
			continue;
		name_start = tok.start;
		name_end = tok.start + tok.len;
		if (hr_sqltok_next(&p, end, &tok) && hr_sqltok_punct(&tok, '.') &&
		    hr_sqltok_next(&p, end, &tok))
			name_end = tok.start + tok.len;
		break;
	}
	if (name_start == NULL)
		return -1;
	hr_buf_putn(b, definition, (size_t)(name_start - definition));
	put_ident(b, name);
	hr_buf_puts(b, name_end);
	return 0;
}

/* ------------------------------------------------------------------ */
/* In place, or rebuilt                                                */
/* ------------------------------------------------------------------ */

static const hr_column_change *added_column(const hr_table_change *tc,
					    const char *name)
{
	for (size_t i = 0; i < tc->n_columns; i++)
		if (tc->columns[i].from == NULL &&
		    strcmp(tc->columns[i].to->name, name) == 0)
			return &tc->columns[i];
	return NULL;
}

/* Whether ADD COLUMN can make c (sqlite.org lang_altertable §5). */
static int can_add(const hr_column *c)
{
	if (c->definition == NULL || c->pk_position > 0 ||
	    has_word(c->definition, "PRIMARY") ||
	    has_word(c->definition, "UNIQUE") || is_generated(c->definition) ||
	    !constant_default(c->default_expr))
		return 0;
	if (c->not_null && null_default(c->default_expr))
		return 0;
	/* With enforcement on, a REFERENCES column must default to NULL. */
	return !has_word(c->definition, "REFERENCES") ||
	       null_default(c->default_expr);
}

/* Whether an added foreign key comes with its column's ADD COLUMN. */
static int fkey_comes_with_column(const hr_table_change *tc, const hr_fkey *fk)
{
	const hr_column_change *cc;

	return fk->columns.n == 1 &&
	       (cc = added_column(tc, fk->columns.items[0])) != NULL &&
	       can_add(cc->to) && has_word(cc->to->definition, "REFERENCES");
}

static int check_comes_with_column(const hr_table_change *tc,
				   const hr_check *ck)
{
	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column *c = tc->columns[i].to;

		if (tc->columns[i].from == NULL && can_add(c) &&
		    has_check(c->definition, ck->expr))
			return 1;
	}
	return 0;
}

/* Whether DROP COLUMN can remove f: no key, constraint or surviving
 * index uses it (sqlite.org lang_altertable §6). */
static int can_drop(const hr_table_change *tc, const hr_column *f)
{
	const hr_table *t = tc->from;

	if (f->pk_position > 0 || sqlite3_libversion_number() < 3035000)
		return 0; /* DROP COLUMN came with 3.35.0 */
	for (size_t i = 0; i < t->n_indexes; i++) {
		const hr_index *ix = &t->indexes[i];
		int dropped = 0, used = ix->where && mentions(ix->where, f->name);

		for (size_t k = 0; k < ix->columns.n && !used; k++)
			used = mentions(ix->columns.items[k], f->name);
		for (size_t k = 0; k < tc->n_drop_indexes && !dropped; k++)
			dropped = tc->drop_indexes[k] == ix && !ix->constraint;
		if (used && !dropped)
			return 0;
	}
	for (size_t i = 0; i < t->n_fkeys; i++)
		for (size_t k = 0; k < t->fkeys[i].columns.n; k++)
			if (strcmp(t->fkeys[i].columns.items[k], f->name) == 0)
				return 0;
	for (size_t i = 0; i < t->n_checks; i++)
		if (mentions(t->checks[i].expr, f->name))
			return 0;
	return 1;
}

/* Whether a column on both sides changes more than its name (what
 * RENAME COLUMN does; anything else SQLite cannot alter). */
static int changes_beyond_name(const hr_column *f, const hr_column *c)
{
	if ((f->default_expr == NULL) != (c->default_expr == NULL) ||
	    (f->default_expr != NULL &&
	     strcmp(f->default_expr, c->default_expr) != 0))
		return 1;
	return strcasecmp(f->type, c->type) != 0 ||
	       f->not_null != c->not_null || f->pk_position != c->pk_position;
}

/* Whether tc needs the 12-step rebuild: anything but renames, plain
 * ADD/DROP COLUMN and CREATE/DROP INDEX. */
static int needs_rebuild(const hr_table_change *tc)
{
	if (tc->pk_changed || tc->n_drop_fkeys > 0 || tc->n_drop_checks > 0)
		return 1;
	for (size_t i = 0; i < tc->n_add_fkeys; i++)
		if (!fkey_comes_with_column(tc, tc->add_fkeys[i]))
			return 1;
	for (size_t i = 0; i < tc->n_add_checks; i++)
		if (!check_comes_with_column(tc, tc->add_checks[i]))
			return 1;
	for (size_t i = 0; i < tc->n_drop_indexes; i++)
		if (tc->drop_indexes[i]->constraint)
			return 1;
	for (size_t i = 0; i < tc->n_add_indexes; i++)
		if (tc->add_indexes[i]->constraint ||
		    tc->add_indexes[i]->definition == NULL)
			return 1;
	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column *f = tc->columns[i].from, *c = tc->columns[i].to;

		if (f == NULL ? !can_add(c)
			      : c == NULL ? !can_drop(tc, f)
					  : changes_beyond_name(f, c))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

static void put_indexes(hr_buf *sql, const hr_table *t)
{
	for (size_t i = 0; i < t->n_indexes; i++)
		if (!t->indexes[i].constraint && t->indexes[i].definition)
			hr_buf_printf(sql, "%s;\n", t->indexes[i].definition);
}

/* A name for the rebuilt copy of t that neither schema uses. */
static void temp_name(char *out, size_t size, const hr_table *t,
		      const hr_schema *from, const hr_schema *to)
{
	snprintf(out, size, "new_%s", t->name);
	while ((hr_schema_table(from, out) || hr_schema_table(to, out)) &&
	       strlen(out) + 1 < size) {
		memmove(out + 1, out, strlen(out) + 1);
		out[0] = '_';
	}
}

/* The 12-step rebuild of tc->to (its columns already renamed). */
static int rebuild(const hr_table_change *tc, const hr_schema *from,
		   const hr_schema *to, hr_buf *sql, hr_render_notes *notes,
		   hr_error *err)
{
	const hr_table *t = tc->to;
	char tmp[512];
	int first = 1;
	hr_buf cols = {0}, vals = {0};

	temp_name(tmp, sizeof tmp, t, from, to);
	if (t->definition == NULL ||
	    put_renamed_definition(sql, t->definition, tmp) < 0)
		return hr_error_set(err, HR_INTERNAL,
				    "cannot read the definition of table '%s'",
				    t->name);
	hr_buf_puts(sql, ";\n");
	for (size_t i = 0; i < t->n_columns; i++) {
		const hr_column *c = &t->columns[i], *f = NULL;

		for (size_t k = 0; k < tc->n_columns && f == NULL; k++)
			if (tc->columns[k].to == c)
				f = tc->columns[k].from;
		if ((f == NULL && added_column(tc, c->name) != NULL) ||
		    (c->definition != NULL && is_generated(c->definition)))
			continue; /* new: gets its default; or computed */
		if (f == NULL) /* unchanged, so one name on both sides */
			f = hr_table_column(tc->from, c->name);
		hr_buf_puts(&cols, first ? "" : ", ");
		hr_buf_puts(&vals, first ? "" : ", ");
		put_ident(&cols, c->name);
		if (c->not_null && c->default_expr != NULL &&
		    (f == NULL || !f->not_null)) {
			hr_buf_puts(&vals, "COALESCE(");
			put_ident(&vals, c->name);
			hr_buf_printf(&vals, ", %s)", c->default_expr);
		} else {
			put_ident(&vals, c->name);
		}
		first = 0;
	}
	if (!first) {
		hr_buf_puts(sql, "INSERT INTO ");
		put_ident(sql, tmp);
		hr_buf_printf(sql, " (%s) SELECT %s FROM ", hr_buf_str(&cols),
			      hr_buf_str(&vals));
		put_ident(sql, t->name);
		hr_buf_puts(sql, ";\n");
	}
	if (cols.failed || vals.failed)
		sql->failed = 1;
	hr_buf_free(&cols);
	hr_buf_free(&vals);
	hr_buf_puts(sql, "DROP TABLE ");
	put_ident(sql, t->name);
	hr_buf_puts(sql, ";\nALTER TABLE ");
	put_ident(sql, tmp);
	hr_buf_puts(sql, " RENAME TO ");
	put_ident(sql, t->name);
	hr_buf_puts(sql, ";\n");
	put_indexes(sql, t);
	notes->foreign_keys_off = 1;
	return hr_render_review(notes,
		      "table '%s' is rebuilt (SQLite cannot alter it in place): "
		      "its rows are copied into a new table",
		      t->name) < 0
		       ? hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory")
		       : 0;
}

static void put_alter(hr_buf *sql, const hr_table *t)
{
	hr_buf_puts(sql, "ALTER TABLE ");
	put_ident(sql, t->name);
}

/* What SQLite does in place: drop indexes, drop and add columns, create
 * indexes, in that order (an index must go before its column). */
static void in_place(const hr_table_change *tc, hr_buf *sql)
{
	for (size_t i = 0; i < tc->n_drop_indexes; i++) {
		hr_buf_puts(sql, "DROP INDEX ");
		put_ident(sql, tc->drop_indexes[i]->name);
		hr_buf_puts(sql, ";\n");
	}
	for (size_t i = 0; i < tc->n_columns; i++)
		if (tc->columns[i].to == NULL) {
			put_alter(sql, tc->to);
			hr_buf_puts(sql, " DROP COLUMN ");
			put_ident(sql, tc->columns[i].from->name);
			hr_buf_puts(sql, ";\n");
		}
	for (size_t i = 0; i < tc->n_columns; i++)
		if (tc->columns[i].from == NULL) {
			put_alter(sql, tc->to);
			hr_buf_printf(sql, " ADD COLUMN %s;\n",
				      tc->columns[i].to->definition);
		}
	for (size_t i = 0; i < tc->n_add_indexes; i++)
		hr_buf_printf(sql, "%s;\n", tc->add_indexes[i]->definition);
}

/* The review lines of an altered table. */
static int review_alter(const hr_table_change *tc, hr_render_notes *notes)
{
	const char *t = tc->to->name;
	int rc = 0;

	if (tc->pk_changed)
		rc |= hr_render_review(notes, "the primary key of '%s' changes", t);
	if (tc->n_drop_checks > 0 || tc->n_add_checks > 0)
		rc |= hr_render_review(notes,
			     "the check constraints of '%s' change (an enum's "
			     "values?): existing rows must satisfy the new ones",
			     t);
	for (size_t i = 0; i < tc->n_add_indexes; i++)
		if (tc->add_indexes[i]->unique)
			rc |= hr_render_review(notes,
				     "new unique index '%s' on '%s': the "
				     "migration fails if existing rows hold "
				     "duplicates",
				     tc->add_indexes[i]->name, t);
	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column *f = tc->columns[i].from, *c = tc->columns[i].to;

		if (c == NULL) {
			rc |= hr_render_review(notes,
				     "dropped column '%s.%s' (its data is lost)",
				     t, f->name);
			for (size_t k = 0; k < tc->n_columns; k++) {
				const hr_column *a = tc->columns[k].to;

				if (tc->columns[k].from == NULL &&
				    strcmp(hr_sqlite_affinity(a->type),
					   hr_sqlite_affinity(f->type)) == 0)
					rc |= hr_render_review(notes,
						     "column '%s.%s' is dropped "
						     "and '%s.%s' added with a "
						     "like type: if it is a rename, "
						     "write `-- renamed from: %s` "
						     "after '%s' in the model",
						     t, f->name, t, a->name,
						     f->name, a->name);
			}
		} else if (f == NULL) {
			if (c->not_null && null_default(c->default_expr))
				rc |= hr_render_review(notes,
					     "column '%s.%s' is added NOT NULL "
					     "without a default: the migration "
					     "fails if '%s' has rows",
					     t, c->name, t);
		} else {
			if (strcasecmp(f->type, c->type) != 0)
				rc |= hr_render_review(notes,
					     "the type of '%s.%s' changes from "
					     "%s to %s: check that existing "
					     "values fit",
					     t, c->name, *f->type ? f->type : "(none)",
					     *c->type ? c->type : "(none)");
			if (c->not_null && !f->not_null)
				rc |= hr_render_review(notes,
					     c->default_expr
						     ? "column '%s.%s' becomes NOT "
						       "NULL: rows holding NULL get "
						       "its default"
						     : "column '%s.%s' becomes NOT "
						       "NULL without a default: the "
						       "migration fails if a row "
						       "holds NULL",
					     t, c->name);
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Renames                                                             */
/* ------------------------------------------------------------------ */

/* One rename: of a column of table (as it is named by then), or of a
 * table when table is NULL. */
typedef struct rename_step {
	const hr_table *table;
	const char *old_name, *new_name;
} rename_step;

/* Where the names of one kind of rename live: a table's columns before
 * and after (from_table, to_table), or the tables of two schemas. */
typedef struct name_space {
	const hr_table *from_table, *to_table;
	const hr_schema *from, *to;
} name_space;

static int used_before(const name_space *ns, const char *name)
{
	return ns->from_table ? hr_table_column(ns->from_table, name) != NULL
			      : hr_schema_table(ns->from, name) != NULL;
}

static int used_after(const name_space *ns, const char *name)
{
	return ns->to_table ? hr_table_column(ns->to_table, name) != NULL
			    : hr_schema_table(ns->to, name) != NULL;
}

static void put_rename(hr_buf *sql, const rename_step *r, const char *old_name,
		       const char *new_name)
{
	hr_buf_puts(sql, "ALTER TABLE ");
	if (r->table != NULL) {
		put_ident(sql, r->table->name);
		hr_buf_puts(sql, " RENAME COLUMN ");
		put_ident(sql, old_name);
		hr_buf_puts(sql, " TO ");
	} else {
		put_ident(sql, old_name);
		hr_buf_puts(sql, " RENAME TO ");
	}
	put_ident(sql, new_name);
	hr_buf_puts(sql, ";\n");
}

/*
 * The renames of one name space. When a new name is one still in use
 * before (renames that chain or swap), every rename goes through a
 * temporary name neither side uses. -1 when out of memory.
 */
static int put_renames(hr_buf *sql, const rename_step *steps, size_t n,
		       const name_space *ns)
{
	hr_strlist tmp = {0};
	char name[64];
	int collide = 0;
	size_t k = 0;

	for (size_t i = 0; i < n && !collide; i++)
		collide = used_before(ns, steps[i].new_name);
	if (!collide) {
		for (size_t i = 0; i < n; i++)
			put_rename(sql, &steps[i], steps[i].old_name,
				   steps[i].new_name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		do
			snprintf(name, sizeof name, "hr_renaming_%zu", k++);
		while (used_before(ns, name) || used_after(ns, name));
		if (hr_strlist_push(&tmp, name) < 0) {
			hr_strlist_free(&tmp);
			return -1;
		}
		put_rename(sql, &steps[i], steps[i].old_name, name);
	}
	for (size_t i = 0; i < n; i++)
		put_rename(sql, &steps[i], tmp.items[i], steps[i].new_name);
	hr_strlist_free(&tmp);
	return 0;
}

/* Rename tc's renamed columns (tc->to names the table by then). */
static int rename_columns(const hr_table_change *tc, hr_buf *sql)
{
	name_space ns = {.from_table = tc->from, .to_table = tc->to};
	rename_step *steps = calloc(tc->n_columns + 1, sizeof *steps);
	size_t n = 0;
	int rc;

	if (steps == NULL)
		return -1;
	for (size_t i = 0; i < tc->n_columns; i++) {
		const hr_column *f = tc->columns[i].from, *c = tc->columns[i].to;

		if (f != NULL && c != NULL && strcmp(f->name, c->name) != 0)
			steps[n++] = (rename_step){tc->to, f->name, c->name};
	}
	rc = put_renames(sql, steps, n, &ns);
	free(steps);
	return rc;
}

/* Rename the renamed tables, before anything else: creates may reuse
 * an old name, and other tables' foreign keys follow a rename. */
static int rename_tables(const hr_diff *d, const hr_schema *from,
			 const hr_schema *to, hr_buf *sql)
{
	name_space ns = {.from = from, .to = to};
	rename_step *steps = calloc(d->n_tables + 1, sizeof *steps);
	size_t n = 0;
	int rc;

	if (steps == NULL)
		return -1;
	for (size_t i = 0; i < d->n_tables; i++) {
		const hr_table_change *tc = &d->tables[i];

		if (tc->kind == HR_TABLE_ALTER &&
		    strcmp(tc->from->name, tc->to->name) != 0)
			steps[n++] = (rename_step){NULL, tc->from->name,
						   tc->to->name};
	}
	rc = put_renames(sql, steps, n, &ns);
	free(steps);
	return rc;
}

static int render_alter(const hr_table_change *tc, const hr_schema *from,
			const hr_schema *to, hr_buf *sql,
			hr_render_notes *notes, hr_error *err)
{
	if (rename_columns(tc, sql) < 0 || review_alter(tc, notes) != 0)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if (needs_rebuild(tc))
		return rebuild(tc, from, to, sql, notes, err);
	in_place(tc, sql);
	return 0;
}

/* Whether a and b have the same column names (a dropped and a created
 * table that may be one table renamed). */
static int same_columns(const hr_table *a, const hr_table *b)
{
	if (a->n_columns != b->n_columns)
		return 0;
	for (size_t i = 0; i < a->n_columns; i++)
		if (hr_table_column(b, a->columns[i].name) == NULL)
			return 0;
	return 1;
}

static int review_table_renames(const hr_diff *d, hr_render_notes *notes)
{
	int rc = 0;

	for (size_t i = 0; i < d->n_tables; i++)
		for (size_t k = 0; k < d->n_tables; k++) {
			const hr_table_change *a = &d->tables[i], *b = &d->tables[k];

			if (a->kind == HR_TABLE_DROP && b->kind == HR_TABLE_CREATE &&
			    same_columns(a->from, b->to))
				rc |= hr_render_review(notes,
					     "table '%s' is dropped and '%s' "
					     "created with the same columns: if "
					     "it is a rename, write `-- renamed "
					     "from: %s` before '%s' in the model",
					     a->from->name, b->to->name,
					     a->from->name, b->to->name);
		}
	return rc;
}

int hr_render_sqlite(const hr_diff *d, const hr_schema *from,
		     const hr_schema *to, hr_buf *sql, hr_render_notes *notes,
		     hr_error *err)
{
	int rc = 0;

	if (rename_tables(d, from, to, sql) < 0)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < d->n_tables && rc == 0; i++) {
		const hr_table_change *tc = &d->tables[i];

		switch (tc->kind) {
		case HR_TABLE_CREATE:
			if (tc->to->definition == NULL)
				return hr_error_set(err, HR_INTERNAL,
						    "table '%s' has no definition",
						    tc->to->name);
			hr_buf_printf(sql, "%s;\n", tc->to->definition);
			put_indexes(sql, tc->to);
			break;
		case HR_TABLE_DROP:
			hr_buf_puts(sql, "DROP TABLE ");
			put_ident(sql, tc->from->name);
			hr_buf_puts(sql, ";\n");
			if (hr_render_review(notes,
				   "dropped table '%s' (its data is lost)",
				   tc->from->name) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
			break;
		case HR_TABLE_ALTER:
			rc = render_alter(tc, from, to, sql, notes, err);
			break;
		}
	}
	if (rc == 0 && review_table_renames(d, notes) != 0)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if (rc == 0 && sql->failed)
		rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				  "the migration's sql is too large");
	return rc;
}
