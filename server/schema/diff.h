/*
 * diff.h — what it takes to turn one schema into another (both of one
 * dialect), and the SQL that does it per dialect.
 *
 *   hr_schema_diff     matches tables, columns, indexes, foreign keys,
 *                      checks and enums of `from` and `to` (by name, by a
 *                      model's `renamed from` annotation, constraints by
 *                      signature) and lists what differs, in the order a
 *                      migration must apply it;
 *   hr_diff_describe   Alembic's "Detected ..." lines for it;
 *   hr_render_sqlite / hr_render_postgresql
 *                      the SQL, with the changes a reviewer must see
 *                      flagged.
 *
 * The downgrade is the diff the other way round (to -> from), rendered
 * with the same rules: it recreates what the upgrade dropped from the
 * structure the older schema had. An annotation counts on either side:
 * on `to` it renames on the way up, on `from` (the models, going back)
 * it renames back.
 */
#ifndef HR_DIFF_H
#define HR_DIFF_H

#include <stdarg.h>

#include "buf.h"
#include "schema.h"

/* One column of a table present on both sides that differs: added
 * (from NULL), dropped (to NULL), or changed/renamed (both). */
typedef struct hr_column_change {
	const hr_column *from;
	const hr_column *to;
} hr_column_change;

typedef enum hr_table_change_kind {
	HR_TABLE_CREATE = 1, /* from NULL */
	HR_TABLE_DROP,       /* to NULL */
	HR_TABLE_ALTER,      /* both; possibly a rename (names differ) */
} hr_table_change_kind;

typedef struct hr_table_change {
	hr_table_change_kind kind;
	const hr_table *from;
	const hr_table *to;
	/* HR_TABLE_ALTER only: */
	hr_column_change *columns; /* in `to`'s column order, drops last */
	size_t n_columns;
	const hr_index **drop_indexes, **add_indexes;
	size_t n_drop_indexes, n_add_indexes;
	const hr_fkey **drop_fkeys, **add_fkeys;
	size_t n_drop_fkeys, n_add_fkeys;
	const hr_check **drop_checks, **add_checks;
	size_t n_drop_checks, n_add_checks;
	int pk_changed; /* the primary key's columns differ */
} hr_table_change;

/* A PostgreSQL enum type created (from NULL), dropped (to NULL) or
 * whose values changed (both). */
typedef struct hr_enum_change {
	const hr_enum *from;
	const hr_enum *to;
} hr_enum_change;

typedef struct hr_diff {
	/* Creates in foreign-key order (parents first), then alters, then
	 * drops in reverse foreign-key order (children first). */
	hr_table_change *tables;
	size_t n_tables;
	hr_enum_change *enums;
	size_t n_enums;
} hr_diff;

/* Compare from with to (one dialect). 0 and *out filled (empty when the
 * schemas are the same), or -HR_RESOURCE_EXHAUSTED. out points into
 * from and to: free it before them. */
int hr_schema_diff(const hr_schema *from, const hr_schema *to, hr_diff *out,
		   hr_error *err);
void hr_diff_free(hr_diff *d);
/* Whether d changes nothing. */
int hr_diff_empty(const hr_diff *d);

/* One line per change as Alembic prints them ("Detected added table
 * 'cables'", "Detected added column 'racks.notes'", "Detected removed
 * index 'ix_x' on 'devices'", ...), appended to lines. */
int hr_diff_describe(const hr_diff *d, hr_strlist *lines);

/* What rendering produced besides the SQL. */
typedef struct hr_render_notes {
	/* One line per change a reviewer must look at ("dropped column
	 * 'racks.notes' (its data is lost)", "table 'racks' is rebuilt
	 * (SQLite cannot alter it in place)", ...). */
	hr_strlist review;
	/* The SQL needs SQLite's foreign-key enforcement off while it runs
	 * (a table rebuild): the migration's header says
	 * `-- foreign_keys: off`. */
	int foreign_keys_off;
} hr_render_notes;

void hr_render_notes_free(hr_render_notes *n);
/* Append one review line (printf-style, cut at 1 KiB) to notes; -1 when
 * out of memory. The renderers' one way to flag a change. */
int hr_render_review(hr_render_notes *notes, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int hr_render_vreview(hr_render_notes *notes, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Append to sql the statements (each ending ";\n") that turn d.from
 * into d.to on the dialect, given both whole schemas (a rebuild needs
 * every index of the table, an enum rewrite every column using the
 * type). Review notes go to notes. 0, or a negative hr_code and err.
 */
int hr_render_sqlite(const hr_diff *d, const hr_schema *from,
		     const hr_schema *to, hr_buf *sql, hr_render_notes *notes,
		     hr_error *err);
int hr_render_postgresql(const hr_diff *d, const hr_schema *from,
			 const hr_schema *to, hr_buf *sql,
			 hr_render_notes *notes, hr_error *err);

#endif
