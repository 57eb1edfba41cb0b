/*
 * catalog_sqlite.c — read a SQLite database's schema back: tables from
 * sqlite_schema, columns, indexes and foreign keys from the pragmas,
 * CHECK constraints and column definitions from the stored CREATE TABLE
 * text (SQLite has no catalog for them).
 *
 * Normalisation (schema.h): types upper-cased with blanks collapsed,
 * a collation other than BINARY appended ("TEXT COLLATE NOCASE");
 * constant defaults as quote() renders the value the column would store
 * (so DEFAULT 700, DEFAULT (700) and, on a REAL column, DEFAULT 700.0
 * read alike); other defaults, CHECK expressions and partial-index
 * predicates as canonical token streams.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "catalog.h"
#include "sqlite_lex.h"

static int oom(hr_error *err)
{
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
}

/* A malloc'ed copy of s, or NULL for NULL; *failed set when out of
 * memory. */
static char *dup_or_null(const char *s, int *failed)
{
	char *copy;

	if (s == NULL)
		return NULL;
	copy = strdup(s);
	if (copy == NULL)
		*failed = 1;
	return copy;
}

/* ------------------------------------------------------------------ */
/* The stored CREATE text                                              */
/* ------------------------------------------------------------------ */

/* The tokens of one statement, in order. */
typedef struct token_list {
	hr_sqltok *toks;
	size_t n;
} token_list;

static int tokenize(const char *sql, token_list *out)
{
	const char *p = sql, *end = sql + strlen(sql);
	hr_sqltok tok;
	size_t cap = 0;

	*out = (token_list){0};
	while (hr_sqltok_next(&p, end, &tok)) {
		if (out->n == cap) {
			hr_sqltok *grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(out->toks, cap * sizeof *grown);
			if (grown == NULL)
				return -1;
			out->toks = grown;
		}
		out->toks[out->n++] = tok;
	}
	return 0;
}

/* Token range [first, last) of one item of a parenthesised list. */
typedef struct item {
	size_t first, last;
} item;

/*
 * The items of the first parenthesised list at or after token from
 * (split at its top-level commas): *items malloc'ed, *n of them, *after
 * the token past its ')'. -1 when out of memory or there is no list.
 */
static int list_items(const token_list *tl, size_t from, item **items,
		      size_t *n, size_t *after)
{
	size_t i = from, start, depth = 0;

	*items = NULL;
	*n = 0;
	while (i < tl->n && !hr_sqltok_punct(&tl->toks[i], '('))
		i++;
	if (i == tl->n)
		return -1;
	start = ++i;
	for (; i < tl->n; i++) {
		const hr_sqltok *t = &tl->toks[i];
		int end_of_list = depth == 0 && hr_sqltok_punct(t, ')');

		if (hr_sqltok_punct(t, '('))
			depth++;
		else if (hr_sqltok_punct(t, ')') && depth > 0)
			depth--;
		if (end_of_list || (depth == 0 && hr_sqltok_punct(t, ','))) {
			item *grown = realloc(*items, (*n + 1) * sizeof *grown);

			if (grown == NULL)
				return -1;
			*items = grown;
			(*items)[(*n)++] = (item){start, i};
			start = i + 1;
			if (end_of_list) {
				*after = i + 1;
				return 0;
			}
		}
	}
	*after = tl->n;
	return *n > 0 ? 0 : -1;
}

/* The source text from token first's start to token last-1's end. */
static const char *text_start(const token_list *tl, size_t first)
{
	return tl->toks[first].start;
}

static const char *text_end(const token_list *tl, size_t last)
{
	return tl->toks[last - 1].start + tl->toks[last - 1].len;
}

/* The index of the ')' closing the '(' at open, or tl->n. */
static size_t closing_paren(const token_list *tl, size_t open)
{
	size_t depth = 0;

	for (size_t i = open; i < tl->n; i++) {
		if (hr_sqltok_punct(&tl->toks[i], '('))
			depth++;
		else if (hr_sqltok_punct(&tl->toks[i], ')') && --depth == 0)
			return i;
	}
	return tl->n;
}

/* Whether an item of CREATE TABLE's list is a table constraint rather
 * than a column. */
static int is_table_constraint(const hr_sqltok *first)
{
	return hr_sqltok_is(first, "CONSTRAINT") ||
	       hr_sqltok_is(first, "PRIMARY") || hr_sqltok_is(first, "UNIQUE") ||
	       hr_sqltok_is(first, "CHECK") || hr_sqltok_is(first, "FOREIGN");
}

/* Add the CHECK constraints of one item (a column's or the table's) to
 * t, named when `CONSTRAINT name` precedes them. */
static int item_checks(const token_list *tl, item it, hr_table *t)
{
	for (size_t i = it.first; i + 1 < it.last; i++) {
		const hr_sqltok *tok = &tl->toks[i];
		size_t close;
		hr_check *c;

		if (!hr_sqltok_is(tok, "CHECK") ||
		    !hr_sqltok_punct(&tl->toks[i + 1], '('))
			continue;
		close = closing_paren(tl, i + 1);
		if (close >= it.last || close == i + 2)
			continue;
		c = HR_SCHEMA_PUSH(&t->checks, &t->n_checks);
		if (c == NULL)
			return -1;
		c->expr = hr_sqltok_normalize(text_start(tl, i + 2),
					      text_end(tl, close));
		if (c->expr == NULL)
			return -1;
		if (i >= it.first + 2 &&
		    hr_sqltok_is(&tl->toks[i - 2], "CONSTRAINT") &&
		    (c->name = hr_sqltok_ident(&tl->toks[i - 1])) == NULL)
			return -1;
		i = close;
	}
	return 0;
}

/* Column definitions (by name) and CHECK constraints from t's stored
 * CREATE TABLE. Text SQLite stored but we cannot split is no error: the
 * table then reads without them, and a diff shows it. */
static int parse_create_table(hr_table *t, hr_strlist *col_names,
			      hr_strlist *col_defs)
{
	token_list tl;
	item *items = NULL;
	size_t n = 0, after;
	int rc = 0;

	if (tokenize(t->definition, &tl) < 0) {
		free(tl.toks);
		return -1;
	}
	if (list_items(&tl, 0, &items, &n, &after) < 0)
		n = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		item it = items[k];
		char *name, *def;

		if (it.first >= it.last)
			continue;
		rc = item_checks(&tl, it, t);
		if (rc < 0 || is_table_constraint(&tl.toks[it.first]))
			continue;
		name = hr_sqltok_ident(&tl.toks[it.first]);
		def = hr_sqltok_join(text_start(&tl, it.first),
				     text_end(&tl, it.last));
		if (name == NULL || def == NULL ||
		    hr_strlist_push(col_names, name) < 0 ||
		    hr_strlist_push(col_defs, def) < 0)
			rc = -1;
		free(name);
		free(def);
	}
	free(items);
	free(tl.toks);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Columns                                                             */
/* ------------------------------------------------------------------ */

/* The declared type upper-cased, blanks collapsed and none inside the
 * parentheses: "varchar ( 3 )" -> "VARCHAR(3)". */
static char *normalize_type(const char *type)
{
	hr_buf b = {0};
	char *out;

	hr_buf_puts(&b, "");
	for (const char *p = type; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			const char *q = p;

			while (isspace((unsigned char)q[1]))
				q++;
			if (b.len > 0 && q[1] != '\0' && q[1] != '(' &&
			    q[1] != ')' && q[1] != ',' &&
			    b.data[b.len - 1] != '(' && b.data[b.len - 1] != ',')
				hr_buf_puts(&b, " ");
			p = q;
			continue;
		}
		hr_buf_putn(&b, &(char){(char)toupper((unsigned char)*p)}, 1);
	}
	out = hr_buf_take(&b);
	return out;
}

/* Whether expr is made of literals only (numbers, strings, blobs, NULL,
 * TRUE, FALSE, signs and parentheses): a value, not a computation
 * (CURRENT_TIMESTAMP, functions) that would differ per evaluation. */
static int is_constant(const char *expr)
{
	const char *p = expr, *end = expr + strlen(expr);
	hr_sqltok tok;
	int any = 0;

	while (hr_sqltok_next(&p, end, &tok)) {
		any = 1;
		if (tok.kind == HR_SQLTOK_NUMBER || tok.kind == HR_SQLTOK_STRING ||
		    tok.kind == HR_SQLTOK_BLOB || hr_sqltok_is(&tok, "NULL") ||
		    hr_sqltok_is(&tok, "TRUE") || hr_sqltok_is(&tok, "FALSE") ||
		    hr_sqltok_punct(&tok, '+') || hr_sqltok_punct(&tok, '-') ||
		    hr_sqltok_punct(&tok, '(') || hr_sqltok_punct(&tok, ')'))
			continue;
		return 0;
	}
	return any;
}

/*
 * A column's default in canonical form (malloc'ed into *out): a constant
 * as quote() renders the value the column stores for it (its affinity
 * applied: 700 on a REAL column is 700.0), anything else as a canonical
 * token stream. 0, or -1 when out of memory.
 */
static int canonical_default(hr_db *db, const char *dflt, const char *type,
			     char **out)
{
	const char *aff = hr_sqlite_affinity(type), *cast;
	hr_buf sql = {0};
	hr_rows rows;
	hr_error err;
	int rc, numeric;

	*out = NULL;
	if (!is_constant(dflt)) {
		*out = hr_sqltok_normalize(dflt, dflt + strlen(dflt));
		return *out ? 0 : -1;
	}
	/* v0 the value; v with a numeric column's conversion of
	 * well-formed number text ('5' stored as 5); then the cast. */
	if (strcmp(aff, "REAL") == 0)
		cast = "CASE WHEN typeof(v) = 'integer' THEN CAST(v AS REAL) "
		       "ELSE v END";
	else if (strcmp(aff, "TEXT") == 0)
		cast = "CASE WHEN typeof(v) IN ('integer', 'real') THEN "
		       "CAST(v AS TEXT) ELSE v END";
	else if (strcmp(aff, "BLOB") == 0)
		cast = "v";
	else /* INTEGER, NUMERIC: an integral real is stored as an integer */
		cast = "CASE WHEN typeof(v) = 'real' AND v = CAST(v AS INTEGER) "
		       "THEN CAST(v AS INTEGER) ELSE v END";
	numeric = strcmp(aff, "TEXT") != 0 && strcmp(aff, "BLOB") != 0;
	hr_buf_printf(&sql,
		      "SELECT quote(%s) FROM (SELECT CASE WHEN %d AND "
		      "typeof(v0) = 'text' AND CAST(CAST(v0 AS NUMERIC) AS "
		      "TEXT) = v0 THEN CAST(v0 AS NUMERIC) ELSE v0 END AS v "
		      "FROM (SELECT (%s) AS v0))",
		      cast, numeric, dflt);
	if (sql.failed)
		return -1;
	rc = hr_db_query(db, sql.data, NULL, 0, &rows, &err);
	hr_buf_free(&sql);
	if (rc == -HR_RESOURCE_EXHAUSTED)
		return -1;
	if (rc == 0 && hr_rows_get(&rows, 0, 0) != NULL)
		*out = strdup(hr_rows_get(&rows, 0, 0));
	else /* not evaluable after all: keep its tokens */
		*out = hr_sqltok_normalize(dflt, dflt + strlen(dflt));
	hr_rows_free(&rows);
	return *out ? 0 : -1;
}

/*
 * A column's collation other than BINARY, as its definition names it
 * (`COLLATE nocase`), upper-cased into the column's type ("TEXT COLLATE
 * NOCASE"): the pragmas do not report it, and a change of it is a change
 * of the column. 0, or -1 when out of memory.
 */
static int add_collation(hr_column *c)
{
	const char *p = c->definition, *end;
	hr_sqltok tok;
	char *name = NULL, *type;
	size_t n;

	if (p == NULL)
		return 0;
	end = p + strlen(p);
	while (name == NULL && hr_sqltok_next(&p, end, &tok))
		if (hr_sqltok_is(&tok, "COLLATE") && hr_sqltok_next(&p, end, &tok) &&
		    (name = hr_sqltok_ident(&tok)) == NULL)
			return -1;
	if (name == NULL || strcasecmp(name, "BINARY") == 0) {
		free(name);
		return 0;
	}
	n = strlen(c->type) + strlen(name) + sizeof " COLLATE ";
	type = malloc(n);
	if (type != NULL) {
		snprintf(type, n, "%s%sCOLLATE %s", c->type, *c->type ? " " : "",
			 name);
		for (char *q = type + strlen(type) - strlen(name); *q; q++)
			*q = (char)toupper((unsigned char)*q);
		free(c->type);
		c->type = type;
	}
	free(name);
	return type ? 0 : -1;
}

/* Whether a CREATE TABLE makes a WITHOUT ROWID table. */
static int without_rowid(const char *definition)
{
	const char *p = definition, *end = definition + strlen(definition);
	hr_sqltok tok;
	int after_without = 0;

	while (hr_sqltok_next(&p, end, &tok)) {
		if (after_without && hr_sqltok_is(&tok, "ROWID"))
			return 1;
		after_without = hr_sqltok_is(&tok, "WITHOUT");
	}
	return 0;
}

/*
 * A rowid table's sole INTEGER primary key column is the rowid itself,
 * never NULL whether or not it says NOT NULL (SQLite reports notnull 0
 * for `id INTEGER PRIMARY KEY`): read it as NOT NULL either way.
 */
static void rowid_is_not_null(hr_table *t)
{
	hr_column *pk = NULL;
	size_t n_pk = 0;

	for (size_t i = 0; i < t->n_columns; i++)
		if (t->columns[i].pk_position > 0) {
			pk = &t->columns[i];
			n_pk++;
		}
	if (n_pk == 1 && strcmp(pk->type, "INTEGER") == 0 &&
	    !without_rowid(t->definition))
		pk->not_null = 1;
}

static int read_columns(hr_db *db, hr_table *t, hr_error *err)
{
	const char *params[] = {t->name};
	hr_strlist names = {0}, defs = {0};
	hr_rows rows;
	int rc, failed = 0;

	rc = hr_db_query(db,
			 "SELECT name, type, \"notnull\", dflt_value, pk "
			 "FROM pragma_table_xinfo($1) ORDER BY cid",
			 params, 1, &rows, err);
	if (rc < 0)
		return rc;
	if (parse_create_table(t, &names, &defs) < 0)
		failed = 1;
	for (size_t r = 0; r < rows.n_rows && !failed; r++) {
		hr_column *c = HR_SCHEMA_PUSH(&t->columns, &t->n_columns);
		const char *dflt = hr_rows_get(&rows, r, 3);

		if (c == NULL) {
			failed = 1;
			break;
		}
		c->name = dup_or_null(hr_rows_get(&rows, r, 0), &failed);
		c->type = normalize_type(hr_rows_get(&rows, r, 1)
						 ? hr_rows_get(&rows, r, 1)
						 : "");
		if (c->name == NULL || c->type == NULL) {
			failed = 1;
			break;
		}
		c->not_null = atoi(hr_rows_get(&rows, r, 2));
		c->pk_position = atoi(hr_rows_get(&rows, r, 4));
		if (dflt != NULL &&
		    canonical_default(db, dflt, c->type, &c->default_expr) < 0)
			failed = 1;
		for (size_t k = 0; k < names.n && !failed; k++)
			if (strcasecmp(names.items[k], c->name) == 0) {
				c->definition = dup_or_null(defs.items[k],
							    &failed);
				break;
			}
		if (!failed && add_collation(c) < 0)
			failed = 1;
	}
	hr_rows_free(&rows);
	hr_strlist_free(&names);
	hr_strlist_free(&defs);
	if (failed)
		return oom(err);
	rowid_is_not_null(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Indexes                                                             */
/* ------------------------------------------------------------------ */

/* The key expressions and WHERE predicate of a CREATE INDEX, each
 * normalised: exprs gets one per key, *where the predicate or NULL. */
static int parse_create_index(const char *sql, hr_strlist *exprs, char **where)
{
	token_list tl;
	item *items = NULL;
	size_t n = 0, after = 0;
	int rc = 0;

	*where = NULL;
	if (tokenize(sql, &tl) < 0) {
		free(tl.toks);
		return -1;
	}
	/* The list after ON table: skip to ON first (the name may not be
	 * followed by a parenthesis, but let nothing before ON count). */
	size_t on = 0;

	while (on < tl.n && !hr_sqltok_is(&tl.toks[on], "ON"))
		on++;
	if (on < tl.n && list_items(&tl, on, &items, &n, &after) == 0) {
		for (size_t k = 0; k < n && rc == 0; k++) {
			char *e = items[k].first < items[k].last
					  ? hr_sqltok_normalize(
						    text_start(&tl, items[k].first),
						    text_end(&tl, items[k].last))
					  : strdup("");

			if (e == NULL || hr_strlist_push(exprs, e) < 0)
				rc = -1;
			free(e);
		}
		if (rc == 0 && after + 1 < tl.n &&
		    hr_sqltok_is(&tl.toks[after], "WHERE") &&
		    (*where = hr_sqltok_normalize(text_start(&tl, after + 1),
						  text_end(&tl, tl.n))) == NULL)
			rc = -1;
	}
	free(items);
	free(tl.toks);
	return rc;
}

/* Fill ix's columns (and predicate) from index_xinfo and its SQL. */
static int read_index_columns(hr_db *db, hr_index *ix, const char *sql,
			      hr_error *err)
{
	const char *params[] = {ix->name};
	hr_strlist exprs = {0};
	hr_rows rows;
	int rc, failed = 0;

	rc = hr_db_query(db,
			 "SELECT name, \"desc\", coll FROM "
			 "pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
			 params, 1, &rows, err);
	if (rc < 0)
		return rc;
	if (sql != NULL && parse_create_index(sql, &exprs, &ix->where) < 0)
		failed = 1;
	for (size_t r = 0; r < rows.n_rows && !failed; r++) {
		const char *name = hr_rows_get(&rows, r, 0);
		const char *coll = hr_rows_get(&rows, r, 2);
		hr_buf key = {0};

		if (name == NULL) {
			/* An expression: as written, normalised. */
			hr_buf_puts(&key, r < exprs.n ? exprs.items[r] : "?");
		} else {
			hr_buf_puts(&key, name);
			if (coll != NULL && strcasecmp(coll, "BINARY") != 0)
				hr_buf_printf(&key, " COLLATE %s", coll);
			if (atoi(hr_rows_get(&rows, r, 1)))
				hr_buf_puts(&key, " DESC");
		}
		if (key.failed || hr_strlist_push(&ix->columns, key.data) < 0)
			failed = 1;
		hr_buf_free(&key);
	}
	hr_rows_free(&rows);
	hr_strlist_free(&exprs);
	return failed ? oom(err) : 0;
}

static int read_indexes(hr_db *db, hr_table *t, hr_error *err)
{
	const char *params[] = {t->name};
	hr_rows rows;
	int rc;

	/* Primary keys are not indexes here (schema.h): origin 'pk' goes. */
	rc = hr_db_query(db,
			 "SELECT l.name, l.\"unique\", l.origin, s.sql "
			 "FROM pragma_index_list($1) AS l "
			 "LEFT JOIN sqlite_schema AS s ON s.type = 'index' "
			 "AND s.name = l.name WHERE l.origin <> 'pk' "
			 "ORDER BY l.name",
			 params, 1, &rows, err);
	if (rc < 0)
		return rc;
	for (size_t r = 0; r < rows.n_rows && rc == 0; r++) {
		hr_index *ix = HR_SCHEMA_PUSH(&t->indexes, &t->n_indexes);
		const char *origin = hr_rows_get(&rows, r, 2);
		const char *sql = hr_rows_get(&rows, r, 3);
		int failed = 0;

		if (ix == NULL) {
			rc = oom(err);
			break;
		}
		ix->name = dup_or_null(hr_rows_get(&rows, r, 0), &failed);
		ix->unique = atoi(hr_rows_get(&rows, r, 1));
		ix->constraint = strcmp(origin, "c") != 0;
		if (!ix->constraint)
			ix->definition = dup_or_null(sql, &failed);
		if (failed || ix->name == NULL) {
			rc = oom(err);
			break;
		}
		rc = read_index_columns(db, ix, ix->constraint ? NULL : sql, err);
	}
	hr_rows_free(&rows);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Foreign keys                                                        */
/* ------------------------------------------------------------------ */

static int read_fkeys(hr_db *db, hr_table *t, hr_error *err)
{
	const char *params[] = {t->name};
	hr_fkey *fk = NULL;
	const char *last_id = NULL;
	hr_rows rows;
	int rc, failed = 0;

	rc = hr_db_query(db,
			 "SELECT id, \"table\", \"from\", \"to\", on_update, "
			 "on_delete FROM pragma_foreign_key_list($1) "
			 "ORDER BY id, seq",
			 params, 1, &rows, err);
	if (rc < 0)
		return rc;
	for (size_t r = 0; r < rows.n_rows && !failed; r++) {
		const char *id = hr_rows_get(&rows, r, 0);
		const char *to = hr_rows_get(&rows, r, 3);

		if (last_id == NULL || strcmp(last_id, id) != 0) {
			fk = HR_SCHEMA_PUSH(&t->fkeys, &t->n_fkeys);
			if (fk == NULL) {
				failed = 1;
				break;
			}
			fk->ref_table = dup_or_null(hr_rows_get(&rows, r, 1),
						    &failed);
			fk->on_update = dup_or_null(hr_rows_get(&rows, r, 4),
						    &failed);
			fk->on_delete = dup_or_null(hr_rows_get(&rows, r, 5),
						    &failed);
			last_id = id;
		}
		if (hr_strlist_push(&fk->columns, hr_rows_get(&rows, r, 2)) < 0 ||
		    (to != NULL && hr_strlist_push(&fk->ref_columns, to) < 0))
			failed = 1;
	}
	hr_rows_free(&rows);
	return failed ? oom(err) : 0;
}

/*
 * `REFERENCES parent` without columns means the parent's primary key:
 * spell it out where the parent is known, so that both spellings of one
 * key compare equal.
 */
static int resolve_implicit_references(hr_schema *s)
{
	for (size_t i = 0; i < s->n_tables; i++)
		for (size_t f = 0; f < s->tables[i].n_fkeys; f++) {
			hr_fkey *fk = &s->tables[i].fkeys[f];
			const hr_table *parent;

			if (fk->ref_columns.n > 0 ||
			    (parent = hr_schema_table(s, fk->ref_table)) == NULL)
				continue;
			for (int pos = 1; pos <= (int)parent->n_columns; pos++)
				for (size_t c = 0; c < parent->n_columns; c++)
					if (parent->columns[c].pk_position == pos &&
					    hr_strlist_push(&fk->ref_columns,
							    parent->columns[c].name) < 0)
						return -1;
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

/* Virtual tables' shadow tables (an FTS index's storage) belong to the
 * virtual table and are left out. */

int hr_catalog_read_sqlite(hr_db *db, hr_schema *out, hr_error *err)
{
	hr_rows rows;
	int rc;

	*out = (hr_schema){.dialect = "sqlite"};
	rc = hr_db_query(db,
			 "SELECT name, sql FROM sqlite_schema WHERE type = "
			 "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
			 "AND name NOT IN ('" HR_VERSION_TABLE "', '"
			 HR_HISTORY_TABLE "') AND name NOT IN (SELECT name "
			 "FROM pragma_table_list WHERE schema = 'main' AND "
			 "type = 'shadow') ORDER BY name",
			 NULL, 0, &rows, err);
	if (rc < 0)
		return rc;
	for (size_t r = 0; r < rows.n_rows && rc == 0; r++) {
		hr_table *t = HR_SCHEMA_PUSH(&out->tables, &out->n_tables);
		int failed = 0;

		if (t == NULL) {
			rc = oom(err);
			break;
		}
		t->name = dup_or_null(hr_rows_get(&rows, r, 0), &failed);
		t->definition = dup_or_null(hr_rows_get(&rows, r, 1), &failed);
		if (failed || t->name == NULL || t->definition == NULL) {
			rc = oom(err);
			break;
		}
		rc = read_columns(db, t, err);
		if (rc == 0)
			rc = read_indexes(db, t, err);
		if (rc == 0)
			rc = read_fkeys(db, t, err);
	}
	hr_rows_free(&rows);
	if (rc == 0 && resolve_implicit_references(out) < 0)
		rc = oom(err);
	if (rc == 0)
		hr_schema_sort(out);
	return rc;
}
