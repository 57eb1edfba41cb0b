/*
 * schema.h — a database schema as structure: what the catalog of a
 * database says, read back after the database itself parsed and
 * normalised the DDL (the models, or the migrations replayed). Two
 * schemas of one dialect compare field by field; nothing here is DDL
 * text except the `definition` fields renderers reuse.
 *
 * Every string is owned (malloc'ed) by the schema; hr_schema_free frees
 * the whole tree. Names are as the database stores them (unquoted).
 * Tables are sorted by name, and so are a table's indexes, foreign keys
 * (by columns) and checks (by expression); columns keep their order.
 */
#ifndef HR_SCHEMA_H
#define HR_SCHEMA_H

#include <stddef.h>

#include "status.h"
#include "strlist.h"

typedef struct hr_column {
	char *name;
	/* The type, normalised per dialect: SQLite the declared type with
	 * its affinity keywords upper-cased ("INTEGER", "VARCHAR(50)"),
	 * "" for none, and a collation other than BINARY appended ("TEXT
	 * COLLATE NOCASE"); PostgreSQL format_type() ("character
	 * varying(50)", an enum's type name). */
	char *type;
	int not_null;
	/* The default, normalised (SQLite: a constant as quote() renders
	 * it, else the expression text; PostgreSQL: pg_get_expr()), or
	 * NULL when there is none. */
	char *default_expr;
	int pk_position; /* 1-based position in the primary key; 0: not in it */
	/* Column-level text renderers may need (SQLite: the column's whole
	 * definition as written in CREATE TABLE, constraints included), or
	 * NULL. */
	char *definition;
	char *renamed_from; /* models only: `-- renamed from: x`; else NULL */
} hr_column;

typedef struct hr_index {
	char *name;
	int unique;
	/* Backs a constraint of the table itself (SQLite's
	 * sqlite_autoindex_*, PostgreSQL's UNIQUE/PRIMARY KEY constraint
	 * indexes): created and dropped with the table's definition, never
	 * by CREATE/DROP INDEX. Primary keys are not listed as indexes. */
	int constraint;
	hr_strlist columns; /* column names, or expressions as stored */
	char *where;        /* a partial index's predicate, or NULL */
	/* The statement that creates it, as the database would run it again
	 * (SQLite: sqlite_schema.sql; PostgreSQL: pg_get_indexdef without
	 * the schema qualifier); NULL for constraint indexes. */
	char *definition;
} hr_index;

typedef struct hr_fkey {
	char *name; /* the constraint's name, or NULL (SQLite keeps none) */
	hr_strlist columns;
	char *ref_table;
	hr_strlist ref_columns; /* as declared; for SQLite's `REFERENCES
				 * parent` the parent's primary key (empty
				 * when the parent does not exist) */
	char *on_update; /* "NO ACTION", "CASCADE", "SET NULL", ... */
	char *on_delete;
} hr_fkey;

typedef struct hr_check {
	char *name; /* or NULL */
	/* The expression, normalised so that two spellings the database
	 * treats alike compare equal (PostgreSQL: pg_get_constraintdef;
	 * SQLite: its tokens, blanks collapsed, keywords upper-cased). */
	char *expr;
} hr_check;

typedef struct hr_table {
	char *name;
	hr_column *columns;
	size_t n_columns;
	hr_index *indexes;
	size_t n_indexes;
	hr_fkey *fkeys;
	size_t n_fkeys;
	hr_check *checks;
	size_t n_checks;
	/* The CREATE TABLE statement that makes this table (SQLite:
	 * sqlite_schema.sql as stored; PostgreSQL: NULL, renderers build it
	 * from the structure). */
	char *definition;
	char *renamed_from; /* models only: `-- renamed from: x`; else NULL */
	char *source;       /* models only: "models/homerack.sql:12"; else NULL */
} hr_table;

typedef struct hr_enum {
	char *name;
	hr_strlist values; /* in the type's sort order */
} hr_enum;

typedef struct hr_schema {
	const char *dialect; /* "sqlite" or "postgresql" (static) */
	hr_table *tables;
	size_t n_tables;
	hr_enum *enums; /* PostgreSQL enum types; none on SQLite */
	size_t n_enums;
} hr_schema;

void hr_schema_free(hr_schema *s);

/* A deep copy of src into *dst: 0, or -1 when out of memory (dst is
 * then empty). */
int hr_schema_copy(const hr_schema *src, hr_schema *dst);

/* Lookups by name; NULL when absent. */
const hr_table *hr_schema_table(const hr_schema *s, const char *name);
const hr_column *hr_table_column(const hr_table *t, const char *name);
const hr_enum *hr_schema_enum(const hr_schema *s, const char *name);

/* Sort tables and, within each, indexes, foreign keys and checks into
 * the order schema.h promises (readers call it last). */
void hr_schema_sort(hr_schema *s);

/* Append a new zeroed element to a growable array of the schema tree
 * (tables, columns, ...): returns it, or NULL when out of memory. Use
 * as HR_SCHEMA_PUSH(&t->columns, &t->n_columns). */
void *hr_schema_push(void **array, size_t *n, size_t size);
#define HR_SCHEMA_PUSH(arr, n) \
	((__typeof__(*(arr)))hr_schema_push((void **)(arr), (n), sizeof **(arr)))

#endif
