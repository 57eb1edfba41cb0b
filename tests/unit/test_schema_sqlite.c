/*
 * test_schema_sqlite.c — SQLite's catalog read back, the differ and the
 * SQLite renderer, proven by round trips on scratch databases: load
 * schema A (with rows) and schema B, diff A->B, render, apply to A the
 * way the runner does, read back: nothing may differ from B, and the
 * downgrade (B->A) must bring A back, rows kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "db.h"
#include "db_fixtures.h"
#include "diff.h"
#include "migration.h"

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static void exec_sql(hr_db *db, const char *sql)
{
	hr_error err = {0};
	int line = 0;

	if (hr_db_exec_script(db, sql, 1, &line, &err) != 0)
		fail_msg("line %d: %s\n--- in:\n%s", line, err.msg, sql);
}

/* Foreign-key enforcement on or off, as the runner switches it (a
 * migration's own SQL may not). */
static void set_foreign_keys(hr_db *db, int on)
{
	hr_error err = {0};

	if (hr_db_foreign_keys(db, on, &err) != 0)
		fail_msg("foreign_keys %d: %s", on, err.msg);
}

/* Every cell of a query's rows: cells '|'-joined, rows ';'-joined
 * (NULL as "NULL"). Static storage. */
static const char *query(hr_db *db, const char *sql)
{
	static char out[4096];
	hr_error err = {0};
	hr_rows rows;
	size_t n = 0;

	if (hr_db_query(db, sql, NULL, 0, &rows, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
	out[0] = '\0';
	for (size_t r = 0; r < rows.n_rows; r++)
		for (size_t c = 0; c < rows.n_cols; c++) {
			const char *v = hr_rows_get(&rows, r, c);

			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s",
					      r + c == 0 ? "" : c ? "|" : ";",
					      v ? v : "NULL");
			assert_true(n < sizeof out);
		}
	hr_rows_free(&rows);
	return out;
}

static void read_schema(hr_db *db, hr_schema *s)
{
	hr_error err = {0};

	if (hr_catalog_read_sqlite(db, s, &err) != 0)
		fail_msg("catalog: %s", err.msg);
}

/* The initial migration's SQLite upgrade: the HomeRack schema. */
static char *initial_schema(void)
{
	hr_migration *m = NULL;
	hr_error err = {0};
	size_t len = 0;
	char *sql = calloc(1, 1);

	if (hr_migration_load(HR_SOURCE_DIR "/migrations/"
					    "1f3c0a9d2b7e_initial_homerack_schema.sql",
			      &m, &err) != 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < m->n_sections; i++) {
		const char *part = m->sections[i].sql;

		if (!hr_section_applies(&m->sections[i], HR_UPGRADE, "sqlite"))
			continue;
		sql = realloc(sql, len + strlen(part) + 1);
		memcpy(sql + len, part, strlen(part) + 1);
		len += strlen(part);
	}
	hr_migration_free(m);
	return sql;
}

/* text with its one occurrence of old replaced by new_text (the test
 * fails when old is absent). Takes text (malloc'ed) and frees it. */
static char *edit(char *text, const char *old, const char *new_text)
{
	const char *at = strstr(text, old);
	size_t head, len;
	char *out;

	if (at == NULL)
		fail_msg("'%s' not in the schema", old);
	head = (size_t)(at - text);
	len = strlen(text) - strlen(old) + strlen(new_text);
	out = malloc(len + 1);
	memcpy(out, text, head);
	strcpy(out + head, new_text);
	strcat(out, at + strlen(old));
	free(text);
	return out;
}

/* The schema a with racks renamed to cabinets, references and index
 * following. malloc'ed. */
static char *racks_renamed(const char *a)
{
	char *b = edit(strdup(a), "CREATE TABLE racks (", "CREATE TABLE cabinets (");

	b = edit(b, "REFERENCES racks (id)", "REFERENCES cabinets (id)");
	return edit(b, "ix_racks_id ON racks", "ix_racks_id ON cabinets");
}

static const char rows_sql[] =
	"INSERT INTO device_specifications (id, brand, model, height_u) "
	"VALUES (1, 'Dell', 'R740', 2);"
	"INSERT INTO devices (id, custom_name, specification_id, notes) "
	"VALUES (1, 'web1', 1, 'front');"
	"INSERT INTO racks (id, name) VALUES (1, 'main');"
	"INSERT INTO rack_positions (id, device_id, rack_id, start_u) "
	"VALUES (1, 1, 1, 5);"
	"INSERT INTO connections (id, from_device_id, to_device_id) "
	"VALUES (1, 1, 1);";

/* The diff's lines joined by '\n' (static storage). */
static const char *describe(const hr_diff *d)
{
	static char out[8192];
	hr_strlist lines = {0};
	size_t n = 0;

	assert_int_equal(hr_diff_describe(d, &lines), 0);
	out[0] = '\0';
	for (size_t i = 0; i < lines.n; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s\n",
				      lines.items[i]);
	hr_strlist_free(&lines);
	return out;
}

/* Fail unless a and b (read back) are the same structure. */
static void assert_same(const hr_schema *a, const hr_schema *b,
			const char *when)
{
	hr_error err = {0};
	hr_diff d;

	assert_int_equal(hr_schema_diff(a, b, &d, &err), 0);
	if (!hr_diff_empty(&d))
		fail_msg("%s: still differs:\n%s", when, describe(&d));
	hr_diff_free(&d);
}

/* What rendering one direction gave. */
typedef struct rendered {
	char *sql;
	char *description;
	hr_render_notes notes;
} rendered;

static void rendered_free(rendered *r)
{
	free(r->sql);
	free(r->description);
	hr_render_notes_free(&r->notes);
}

static int notes_contain(const rendered *r, const char *needle)
{
	for (size_t i = 0; i < r->notes.review.n; i++)
		if (strstr(r->notes.review.items[i], needle) != NULL)
			return 1;
	return 0;
}

/* Diff from -> to, render it, and apply it to db as the runner does:
 * enforcement off when the header asks, one transaction, foreign keys
 * checked before COMMIT. */
static rendered migrate(hr_db *db, const hr_schema *from, const hr_schema *to)
{
	rendered r = {0};
	hr_buf sql = {0};
	hr_error err = {0};
	hr_diff d;

	assert_int_equal(hr_schema_diff(from, to, &d, &err), 0);
	assert_false(hr_diff_empty(&d));
	r.description = strdup(describe(&d));
	if (hr_render_sqlite(&d, from, to, &sql, &r.notes, &err) != 0)
		fail_msg("render: %s", err.msg);
	hr_diff_free(&d);
	r.sql = hr_buf_take(&sql);
	if (r.notes.foreign_keys_off)
		set_foreign_keys(db, 0);
	assert_int_equal(hr_db_begin(db, &err), 0);
	exec_sql(db, r.sql);
	assert_string_equal(query(db, "PRAGMA foreign_key_check"), "");
	assert_int_equal(hr_db_commit(db, &err), 0);
	set_foreign_keys(db, 1);
	return r;
}

/* Sets the models' `renamed from` annotations on the target schema. */
typedef void (*annotate_fn)(hr_schema *to);

/* A round trip: database db holds A with rows; upgraded to B it must
 * read as B, downgraded again as A. */
typedef struct trip {
	hr_db *db;
	hr_schema a, b;
	rendered up, down; /* what each direction rendered */
} trip;

static void trip_up(trip *t, const char *a_sql, const char *b_sql,
		    annotate_fn annotate)
{
	hr_db *target = fx_scratch_sqlite();
	hr_schema now;

	*t = (trip){.db = fx_scratch_sqlite()};
	set_foreign_keys(t->db, 1);
	exec_sql(t->db, a_sql);
	exec_sql(t->db, rows_sql);
	exec_sql(target, b_sql);
	read_schema(t->db, &t->a);
	read_schema(target, &t->b);
	hr_db_close(target);
	if (annotate != NULL)
		annotate(&t->b);
	t->up = migrate(t->db, &t->a, &t->b);
	read_schema(t->db, &now);
	assert_same(&now, &t->b, t->up.sql);
	hr_schema_free(&now);
}

static void trip_down(trip *t)
{
	hr_schema now;

	t->down = migrate(t->db, &t->b, &t->a);
	read_schema(t->db, &now);
	assert_same(&now, &t->a, t->down.sql);
	hr_schema_free(&now);
}

static void round_trip(trip *t, const char *a_sql, const char *b_sql,
		       annotate_fn annotate)
{
	trip_up(t, a_sql, b_sql, annotate);
	trip_down(t);
}

static void trip_end(trip *t)
{
	rendered_free(&t->up);
	rendered_free(&t->down);
	hr_schema_free(&t->a);
	hr_schema_free(&t->b);
	hr_db_close(t->db);
}

/* ------------------------------------------------------------------ */
/* Scratch databases and row queries                                   */
/* ------------------------------------------------------------------ */

static void scratch_and_query_rows(void **state)
{
	hr_db *one = fx_scratch_sqlite(), *two = fx_scratch_sqlite();
	const char *params[] = {"b", NULL};
	hr_error err = {0};
	hr_rows rows;

	(void)state;
	assert_string_equal(hr_db_dialect(one), "sqlite");
	exec_sql(one, "CREATE TABLE t (k TEXT, v INTEGER);"
		      "INSERT INTO t VALUES ('a', 1), ('b', NULL), ('b', 3)");
	assert_int_equal(hr_db_query(one,
				     "SELECT k, v, $2 FROM t WHERE k = $1 "
				     "ORDER BY v",
				     params, 2, &rows, &err),
			 0);
	assert_int_equal(rows.n_rows, 2);
	assert_int_equal(rows.n_cols, 3);
	assert_string_equal(hr_rows_get(&rows, 0, 0), "b");
	assert_null(hr_rows_get(&rows, 0, 1)); /* SQL NULL */
	assert_string_equal(hr_rows_get(&rows, 1, 1), "3");
	assert_null(hr_rows_get(&rows, 1, 2));
	assert_null(hr_rows_get(&rows, 2, 0)); /* out of range */
	assert_null(hr_rows_get(&rows, 0, 3));
	hr_rows_free(&rows);

	/* Each scratch database is its own. */
	assert_int_equal(hr_db_query(two, "SELECT * FROM t", NULL, 0, &rows,
				     &err),
			 -HR_ABORTED);
	assert_string_equal(err.msg, "no such table: t");
	assert_int_equal(rows.n_rows, 0);
	assert_string_equal(query(two, "SELECT count(*) FROM sqlite_schema"),
			    "0");
	hr_db_close(one);
	hr_db_close(two);
}

/* ------------------------------------------------------------------ */
/* The catalog                                                         */
/* ------------------------------------------------------------------ */

static void catalog_reads_the_homerack_schema(void **state)
{
	char *sql = initial_schema();
	hr_db *db = fx_scratch_sqlite();
	hr_schema s;
	const hr_table *t;
	const hr_column *c;

	(void)state;
	exec_sql(db, sql);
	exec_sql(db, "CREATE TABLE alembic_version (version_num VARCHAR(32) "
		     "NOT NULL PRIMARY KEY);"
		     "CREATE TABLE homerack_schema_history (id INTEGER);"
		     "CREATE VIRTUAL TABLE search USING fts5(text);");
	read_schema(db, &s);
	assert_string_equal(s.dialect, "sqlite");
	/* The version and history tables and the FTS index's storage are
	 * left out; the virtual table itself is one of the schema's. */
	assert_int_equal(s.n_tables, 6);
	assert_string_equal(s.tables[5].name, "search");
	assert_string_equal(s.tables[0].name, "connections");
	assert_string_equal(s.tables[1].name, "device_specifications");
	assert_string_equal(s.tables[2].name, "devices");
	assert_string_equal(s.tables[3].name, "rack_positions");
	assert_string_equal(s.tables[4].name, "racks");

	t = hr_schema_table(&s, "racks");
	assert_int_equal(t->n_columns, 9);
	c = hr_table_column(t, "id");
	assert_string_equal(c->type, "INTEGER");
	assert_int_equal(c->pk_position, 1);
	assert_true(c->not_null);
	c = hr_table_column(t, "depth_mm");
	assert_string_equal(c->type, "FLOAT");
	/* DEFAULT 700 on a REAL column stores 700.0. */
	assert_string_equal(c->default_expr, "700.0");
	assert_string_equal(hr_table_column(t, "total_height_u")->default_expr,
			    "42");
	assert_string_equal(hr_table_column(t, "width_inches")->default_expr,
			    "'19\"'");
	assert_string_equal(hr_table_column(t, "width_inches")->type,
			    "VARCHAR(3)");
	assert_null(hr_table_column(t, "location")->default_expr);
	assert_false(hr_table_column(t, "location")->not_null);
	assert_string_equal(hr_table_column(t, "name")->definition,
			    "name VARCHAR NOT NULL");
	assert_int_equal(t->n_checks, 1);
	assert_string_equal(t->checks[0].name, "widthtype");
	assert_string_equal(t->checks[0].expr,
			    "width_inches IN ('11\"', '18\"', '19\"', '23\"')");
	assert_int_equal(t->n_indexes, 1);
	assert_string_equal(t->indexes[0].name, "ix_racks_id");
	assert_false(t->indexes[0].constraint);
	assert_string_equal(t->indexes[0].definition,
			    "CREATE INDEX ix_racks_id ON racks (id)");

	t = hr_schema_table(&s, "device_specifications");
	assert_int_equal(t->n_checks, 3);
	assert_string_equal(t->checks[0].name, "confidencelevel");
	assert_int_equal(t->n_indexes, 3);
	assert_string_equal(t->indexes[0].name, "ix_device_specifications_brand");
	assert_string_equal(t->indexes[0].columns.items[0], "brand");

	t = hr_schema_table(&s, "connections");
	assert_int_equal(t->n_fkeys, 2);
	assert_string_equal(t->fkeys[0].columns.items[0], "from_device_id");
	assert_string_equal(t->fkeys[0].ref_table, "devices");
	assert_string_equal(t->fkeys[0].ref_columns.items[0], "id");
	assert_string_equal(t->fkeys[0].on_delete, "NO ACTION");
	assert_int_equal(t->n_checks, 2);

	c = hr_table_column(hr_schema_table(&s, "rack_positions"), "locked");
	assert_string_equal(c->type, "BOOLEAN");
	assert_string_equal(c->default_expr, "0");

	hr_schema_free(&s);
	hr_db_close(db);
	free(sql);
}

/* Two spellings of one structure read alike. */
static void spellings_compare_equal(void **state)
{
	hr_db *x = fx_scratch_sqlite(), *y = fx_scratch_sqlite();
	hr_schema sx, sy;

	(void)state;
	exec_sql(x, "CREATE TABLE p (id integer primary key);"
		    "CREATE TABLE t (id integer primary key,"
		    " a varchar ( 3 ) default (700),"
		    " b float default 700, e datetime default current_timestamp,"
		    " c text check ( c in ('x' , 'y') ),"
		    " d int references p, u text unique,"
		    " f boolean default '1', g real default '2',"
		    " h text collate nocase, i text collate binary,"
		    " constraint ck check (b > 0 and a <> 'z'));"
		    "create index ix_t on t (a desc, lower(c)) where b>1;"
		    "create table r (id integer primary key, v text);"
		    "create table w (id integer primary key, v text) "
		    "without rowid;");
	exec_sql(y, "CREATE TABLE \"p\" (\"id\" INTEGER PRIMARY KEY);"
		    "CREATE TABLE \"t\" ( \"id\" INTEGER PRIMARY KEY,"
		    " a VARCHAR(3) DEFAULT '700',"
		    " b FLOAT DEFAULT 700.0, e DATETIME DEFAULT CURRENT_TIMESTAMP,"
		    " c TEXT CHECK (C IN ('x','y')),"
		    " d INT REFERENCES p (id), u TEXT,"
		    " f BOOLEAN DEFAULT TRUE, g REAL DEFAULT 2.0,"
		    " h TEXT COLLATE NOCASE, i TEXT,"
		    " CHECK (\"b\" > 0 AND a <> 'z'), UNIQUE (u));"
		    "CREATE INDEX ix_other_name ON t (a DESC, LOWER(c))"
		    " WHERE b > 1;"
		    /* The rowid is never NULL, said or not. */
		    "CREATE TABLE r (id INTEGER NOT NULL, v TEXT, "
		    "PRIMARY KEY (id));"
		    "CREATE TABLE w (id INTEGER NOT NULL PRIMARY KEY, v TEXT) "
		    "WITHOUT ROWID;");
	read_schema(x, &sx);
	read_schema(y, &sy);
	assert_same(&sx, &sy, "two spellings");
	hr_schema_free(&sx);
	hr_schema_free(&sy);
	hr_db_close(x);
	hr_db_close(y);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */
/* ------------------------------------------------------------------ */

static void new_column_is_added_in_place(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    cooling_type VARCHAR DEFAULT 'front-to-back',",
			  "    cooling_type VARCHAR DEFAULT 'front-to-back',\n"
			  "    notes VARCHAR,");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected added column 'racks.notes'\n");
	assert_string_equal(t.up.sql, "ALTER TABLE racks ADD COLUMN notes VARCHAR;\n");
	assert_false(t.up.notes.foreign_keys_off);
	assert_string_equal(t.down.sql, "ALTER TABLE racks DROP COLUMN notes;\n");
	assert_true(notes_contain(&t.down, "dropped column 'racks.notes'"));
	trip_end(&t);
	free(a);
	free(b);
}

static void new_table_with_a_foreign_key(void **state)
{
	char *a = initial_schema();
	size_t n = strlen(a);
	static const char more[] =
		"CREATE TABLE cables (id INTEGER NOT NULL, device_id INTEGER "
		"NOT NULL REFERENCES devices (id), label TEXT, PRIMARY KEY (id));"
		"CREATE INDEX ix_cables_device ON cables (device_id);";
	char *b = malloc(n + sizeof more);
	trip t;

	(void)state;
	memcpy(b, a, n);
	memcpy(b + n, more, sizeof more);
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected added table 'cables'\n"
			    "Detected added index 'ix_cables_device' on "
			    "'['device_id']'\n");
	assert_non_null(strstr(t.up.sql, "CREATE INDEX ix_cables_device"));
	assert_string_equal(t.down.sql, "DROP TABLE cables;\n");
	assert_true(notes_contain(&t.down, "dropped table 'cables'"));
	trip_end(&t);
	free(a);
	free(b);
}

static void index_dropped_and_added(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "CREATE INDEX ix_devices_brand ON devices (brand);",
			  "CREATE UNIQUE INDEX ux_devices_name ON devices "
			  "(custom_name);");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected removed index 'ix_devices_brand' on "
			    "'devices'\n"
			    "Detected added index 'ux_devices_name' on "
			    "'['custom_name']'\n");
	assert_string_equal(t.up.sql,
			    "DROP INDEX ix_devices_brand;\n"
			    "CREATE UNIQUE INDEX ux_devices_name ON devices "
			    "(custom_name);\n");
	assert_true(notes_contain(&t.up, "new unique index 'ux_devices_name'"));
	trip_end(&t);
	free(a);
	free(b);
}

/* A parent table (devices: rack_positions and connections point at it)
 * rebuilt for a new enum value: rows kept, foreign keys still hold. */
static void enum_check_change_rebuilds(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "access_frequency IN ('low', 'medium', 'high')",
			  "access_frequency IN ('low', 'medium', 'high', "
			  "'never')");
	trip t;
	hr_db *db;

	(void)state;
	trip_up(&t, a, b, NULL);
	db = t.db;
	assert_string_equal(t.up.description,
			    "Detected removed check constraint on 'devices'\n"
			    "Detected added check constraint on 'devices'\n");
	assert_true(t.up.notes.foreign_keys_off);
	assert_non_null(strstr(t.up.sql, "CREATE TABLE new_devices"));
	assert_non_null(strstr(t.up.sql, "ALTER TABLE new_devices RENAME TO "
				       "devices;\n"));
	assert_non_null(strstr(t.up.sql, "CREATE INDEX ix_devices_brand"));
	assert_true(notes_contain(&t.up, "table 'devices' is rebuilt"));
	assert_true(notes_contain(&t.up, "check constraints of 'devices'"));
	assert_string_equal(query(db, "SELECT id, custom_name, access_frequency, "
				      "notes FROM devices"),
			    "1|web1|medium|front");
	assert_string_equal(query(db, "PRAGMA foreign_key_check"), "");
	/* The new value is allowed now, and the parent still enforced. */
	exec_sql(db, "UPDATE devices SET access_frequency = 'never'");
	set_foreign_keys(db, 1);
	assert_string_equal(query(db, "SELECT count(*) FROM rack_positions "
				      "JOIN devices ON devices.id = device_id"),
			    "1");

	/* And back, with the rows (holding a value the old CHECK takes). */
	exec_sql(db, "UPDATE devices SET access_frequency = 'high'");
	trip_down(&t);
	assert_true(t.down.notes.foreign_keys_off);
	assert_string_equal(query(db, "SELECT id, custom_name, access_frequency, "
				      "notes FROM devices"),
			    "1|web1|high|front");
	trip_end(&t);
	free(a);
	free(b);
}

static void annotate_renames(hr_schema *to)
{
	hr_table *cabinets = (hr_table *)hr_schema_table(to, "cabinets");
	hr_table *devices = (hr_table *)hr_schema_table(to, "devices");
	hr_column *remarks = (hr_column *)hr_table_column(devices, "remarks");

	assert_non_null(cabinets);
	assert_non_null(remarks);
	cabinets->renamed_from = strdup("racks");
	remarks->renamed_from = strdup("notes");
}

static void renames_through_annotations(void **state)
{
	char *a = initial_schema();
	char *cabinets = racks_renamed(a);
	char *b = edit(cabinets, "    notes VARCHAR,", "    remarks VARCHAR,");
	trip t;

	(void)state;
	trip_up(&t, a, b, annotate_renames);
	assert_string_equal(query(t.db, "SELECT remarks FROM devices"), "front");
	assert_string_equal(query(t.db, "SELECT name FROM cabinets"), "main");
	trip_down(&t);
	assert_string_equal(query(t.db, "SELECT notes FROM devices"), "front");
	assert_string_equal(query(t.db, "SELECT name FROM racks"), "main");
	assert_string_equal(t.up.description,
			    "Detected renamed table 'racks' to 'cabinets'\n"
			    "Detected renamed column 'devices.notes' to "
			    "'devices.remarks'\n");
	assert_string_equal(t.up.sql,
			    "ALTER TABLE racks RENAME TO cabinets;\n"
			    "ALTER TABLE devices RENAME COLUMN notes TO remarks;\n");
	assert_false(t.up.notes.foreign_keys_off);
	/* Tables are renamed first. */
	assert_string_equal(t.down.sql,
			    "ALTER TABLE cabinets RENAME TO racks;\n"
			    "ALTER TABLE devices RENAME COLUMN remarks TO notes;\n");
	trip_end(&t);
	free(a);
	free(b);
}

static void column_made_not_null_with_a_default(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    location VARCHAR,",
			  "    location VARCHAR NOT NULL DEFAULT 'garage',");
	trip t;

	(void)state;
	trip_up(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected NOT NULL on column 'racks.location'\n"
			    "Detected default change on 'racks.location'\n");
	assert_non_null(strstr(t.up.sql, "COALESCE(location, 'garage')"));
	assert_true(notes_contain(&t.up, "rows holding NULL get its default"));
	assert_string_equal(query(t.db, "SELECT location FROM racks"), "garage");
	trip_down(&t);
	assert_string_equal(query(t.db, "SELECT location FROM racks"), "garage");
	trip_end(&t);
	free(a);
	free(b);
}

static void dropped_column_in_place(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    notes VARCHAR,\n", "");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected removed column 'devices.notes'\n");
	assert_string_equal(t.up.sql, "ALTER TABLE devices DROP COLUMN notes;\n");
	assert_true(notes_contain(&t.up, "dropped column 'devices.notes' (its "
				       "data is lost)"));
	assert_string_equal(t.down.sql,
			    "ALTER TABLE devices ADD COLUMN notes VARCHAR;\n");
	trip_end(&t);
	free(a);
	free(b);
}

/* A changed default: a rebuild, which must leave the generated column
 * to SQLite. */
static void changed_default_rebuilds(void **state)
{
	char *a = edit(initial_schema(), "total_height_u INTEGER DEFAULT 42",
		       "total_height_u INTEGER DEFAULT 42,\n"
		       "    label TEXT GENERATED ALWAYS AS (name || '@' || "
		       "coalesce(location, '?')) STORED");
	char *b = edit(strdup(a), "total_height_u INTEGER DEFAULT 42",
		       "total_height_u INTEGER DEFAULT 48");
	trip t;
	hr_db *db;

	(void)state;
	trip_up(&t, a, b, NULL);
	db = t.db;
	assert_string_equal(t.up.description,
			    "Detected default change on 'racks.total_height_u'\n");
	assert_true(t.up.notes.foreign_keys_off);
	/* The row keeps its value; new rows get the new default; the
	 * generated column is computed, not copied. */
	assert_string_equal(query(db, "SELECT total_height_u, label FROM racks"),
			    "42|main@?");
	exec_sql(db, "INSERT INTO racks (id, name) VALUES (2, 'b')");
	assert_string_equal(query(db, "SELECT total_height_u FROM racks "
				      "WHERE id = 2"),
			    "48");
	assert_string_equal(query(db, "SELECT count(*) FROM rack_positions "
				      "JOIN racks ON racks.id = rack_id"),
			    "1");
	trip_down(&t);
	assert_string_equal(query(db, "SELECT id, total_height_u FROM racks"),
			    "1|42;2|48");
	trip_end(&t);
	free(a);
	free(b);
}

/* Renamed and rebuilt at once: the rename runs in place first, so the
 * tables pointing at it follow, and the rebuild starts from the new
 * name. */
static void annotate_cabinets(hr_schema *to)
{
	hr_table *cabinets = (hr_table *)hr_schema_table(to, "cabinets");

	assert_non_null(cabinets);
	cabinets->renamed_from = strdup("racks");
}

static void renamed_and_rebuilt_parent(void **state)
{
	char *a = initial_schema();
	char *cabinets = racks_renamed(a);
	char *b = edit(cabinets, "width_inches IN ('11\"', '18\"', '19\"', '23\"')",
			  "width_inches IN ('10\"', '11\"', '18\"', '19\"', "
			  "'23\"')");
	trip t;
	hr_db *db;

	(void)state;
	trip_up(&t, a, b, annotate_cabinets);
	db = t.db;
	assert_string_equal(t.up.description,
			    "Detected renamed table 'racks' to 'cabinets'\n"
			    "Detected removed check constraint on 'cabinets'\n"
			    "Detected added check constraint on 'cabinets'\n");
	assert_non_null(strstr(t.up.sql, "ALTER TABLE racks RENAME TO cabinets;\n"
				       "CREATE TABLE new_cabinets"));
	assert_non_null(strstr(t.up.sql, "INSERT INTO new_cabinets (id, name, "));
	assert_non_null(strstr(t.up.sql, "CREATE INDEX ix_racks_id ON cabinets"));
	assert_string_equal(query(db, "SELECT \"table\" FROM "
				      "pragma_foreign_key_list('rack_positions') "
				      "ORDER BY id"),
			    "cabinets;devices");
	assert_string_equal(query(db, "SELECT p.start_u, c.name FROM "
				      "rack_positions p JOIN cabinets c ON "
				      "c.id = p.rack_id"),
			    "5|main");
	trip_down(&t);
	assert_non_null(strstr(t.down.sql, "ALTER TABLE cabinets RENAME TO racks;\n"
					 "CREATE TABLE new_racks"));
	trip_end(&t);
	free(a);
	free(b);
}

/* ADD COLUMN takes a column's own CHECK and REFERENCES along; dropping
 * such a column again needs a rebuild. */
static void constrained_columns_added_in_place(void **state)
{
	char *a = initial_schema();
	char *b1 = edit(strdup(a), "    cooling_type VARCHAR DEFAULT 'front-to-back',",
			   "    cooling_type VARCHAR DEFAULT 'front-to-back',\n"
			   "    kind VARCHAR(5) DEFAULT 'a' CHECK (kind IN "
			   "('a', 'b')),");
	char *b = edit(b1, "    notes VARCHAR,",
			  "    notes VARCHAR,\n"
			  "    rack_id INTEGER REFERENCES racks (id),");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected added column 'devices.rack_id'\n"
			    "Detected added foreign key (rack_id)(id) on table "
			    "devices\n"
			    "Detected added column 'racks.kind'\n"
			    "Detected added check constraint on 'racks'\n");
	assert_string_equal(t.up.sql,
			    "ALTER TABLE devices ADD COLUMN rack_id INTEGER "
			    "REFERENCES racks(id);\n"
			    "ALTER TABLE racks ADD COLUMN kind VARCHAR(5) "
			    "DEFAULT 'a' CHECK (kind IN ('a', 'b'));\n");
	assert_false(t.up.notes.foreign_keys_off);
	assert_true(t.down.notes.foreign_keys_off);
	assert_non_null(strstr(t.down.sql, "CREATE TABLE new_devices"));
	assert_non_null(strstr(t.down.sql, "CREATE TABLE new_racks"));
	trip_end(&t);
	free(a);
	free(b);
}

/* An indexed column goes in place: its index first. */
static void indexed_column_dropped_in_place(void **state)
{
	char *a = initial_schema();
	char *b1 = edit(strdup(a), "    brand VARCHAR,\n    model VARCHAR,\n"
			      "    access_frequency",
			   "    model VARCHAR,\n    access_frequency");
	char *b = edit(b1, "CREATE INDEX ix_devices_brand ON devices (brand);",
			  "");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.sql, "DROP INDEX ix_devices_brand;\n"
				    "ALTER TABLE devices DROP COLUMN brand;\n");
	assert_string_equal(t.down.sql,
			    "ALTER TABLE devices ADD COLUMN brand VARCHAR;\n"
			    "CREATE INDEX ix_devices_brand ON devices (brand);\n");
	trip_end(&t);
	free(a);
	free(b);
}

/* Without an annotation a rename is a drop and an add, and the review
 * says what to write. */
static void unannotated_rename_is_flagged(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    notes VARCHAR,", "    remarks VARCHAR,");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected added column 'devices.remarks'\n"
			    "Detected removed column 'devices.notes'\n");
	assert_string_equal(t.up.sql,
			    "ALTER TABLE devices DROP COLUMN notes;\n"
			    "ALTER TABLE devices ADD COLUMN remarks VARCHAR;\n");
	assert_true(notes_contain(&t.up, "write `-- renamed from: notes` after "
				       "'remarks'"));
	trip_end(&t);
	free(a);
	free(b);
}

/* A type change, a new UNIQUE constraint and a new primary key: each a
 * rebuild, each flagged. */
static void constraint_changes_rebuild(void **state)
{
	char *a = initial_schema();
	char *b1 = edit(strdup(a), "    name VARCHAR NOT NULL,\n    location",
			   "    name TEXT NOT NULL,\n    location");
	char *b2 = edit(b1, "    cooling_type VARCHAR DEFAULT 'front-to-back',\n"
			       "    PRIMARY KEY (id),",
			   "    cooling_type VARCHAR DEFAULT 'front-to-back',\n"
			   "    PRIMARY KEY (id),\n    UNIQUE (name),");
	char *b = edit(b2, "    locked BOOLEAN DEFAULT 0,\n    PRIMARY KEY (id),",
			  "    locked BOOLEAN DEFAULT 0,\n"
			  "    PRIMARY KEY (id, rack_id),");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected primary key change on 'rack_positions'\n"
			    "Detected type change from VARCHAR to TEXT on "
			    "'racks.name'\n"
			    "Detected added unique constraint "
			    "'sqlite_autoindex_racks_1' on '['name']'\n");
	assert_true(notes_contain(&t.up, "the primary key of 'rack_positions' "
				       "changes"));
	assert_true(notes_contain(&t.up, "the type of 'racks.name' changes from "
				       "VARCHAR to TEXT"));
	assert_true(notes_contain(&t.up, "table 'racks' is rebuilt"));
	assert_true(notes_contain(&t.up, "table 'rack_positions' is rebuilt"));
	assert_true(t.up.notes.foreign_keys_off);
	trip_end(&t);
	free(a);
	free(b);
}

/* A new NOT NULL column without a default cannot fill existing rows:
 * rendered as a rebuild, and flagged. */
static void new_not_null_without_default_is_flagged(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    notes VARCHAR,",
			  "    notes VARCHAR,\n    serial VARCHAR NOT NULL,");
	hr_db *x = fx_scratch_sqlite(), *y = fx_scratch_sqlite();
	hr_schema sa, sb;
	hr_diff d;
	hr_buf sql = {0};
	hr_render_notes notes = {0};
	hr_error err = {0};
	char *text;

	(void)state;
	exec_sql(x, a);
	exec_sql(y, b);
	read_schema(x, &sa);
	read_schema(y, &sb);
	assert_int_equal(hr_schema_diff(&sa, &sb, &d, &err), 0);
	assert_int_equal(hr_render_sqlite(&d, &sa, &sb, &sql, &notes, &err), 0);
	text = hr_buf_take(&sql);
	assert_non_null(strstr(text, "CREATE TABLE new_devices"));
	assert_int_equal(notes.review.n, 2);
	assert_string_equal(notes.review.items[0],
			    "column 'devices.serial' is added NOT NULL without a "
			    "default: the migration fails if 'devices' has rows");
	/* With rows, it does fail, and nothing is half-applied. */
	exec_sql(x, rows_sql);
	assert_int_equal(hr_db_begin(x, &err), 0);
	{
		int line = 0;

		assert_int_not_equal(hr_db_exec_script(x, text, 1, &line, &err),
				     0);
		assert_non_null(strstr(err.msg, "NOT NULL constraint failed"));
	}
	hr_db_rollback(x);
	assert_string_equal(query(x, "SELECT custom_name FROM devices"), "web1");
	free(text);
	hr_render_notes_free(&notes);
	hr_diff_free(&d);
	hr_schema_free(&sa);
	hr_schema_free(&sb);
	hr_db_close(x);
	hr_db_close(y);
	free(a);
	free(b);
}

/* A dropped table that a created one resembles is flagged as a possible
 * rename; creates go parents first, drops children first. */
static void table_order_and_rename_hint(void **state)
{
	hr_db *x = fx_scratch_sqlite(), *y = fx_scratch_sqlite();
	hr_schema sa, sb;
	hr_diff d;
	hr_buf sql = {0};
	hr_render_notes notes = {0};
	hr_error err = {0};

	(void)state;
	exec_sql(x, "CREATE TABLE a_child (id INTEGER PRIMARY KEY, p INTEGER "
		    "REFERENCES z_parent (id));"
		    "CREATE TABLE z_parent (id INTEGER PRIMARY KEY, v TEXT);");
	exec_sql(y, "CREATE TABLE b_child (id INTEGER PRIMARY KEY, p INTEGER "
		    "REFERENCES y_parent (id));"
		    "CREATE TABLE y_parent (id INTEGER PRIMARY KEY, v TEXT);");
	read_schema(x, &sa);
	read_schema(y, &sb);
	assert_int_equal(hr_schema_diff(&sa, &sb, &d, &err), 0);
	assert_string_equal(describe(&d), "Detected added table 'y_parent'\n"
					  "Detected added table 'b_child'\n"
					  "Detected removed table 'a_child'\n"
					  "Detected removed table 'z_parent'\n");
	assert_int_equal(hr_render_sqlite(&d, &sa, &sb, &sql, &notes, &err), 0);
	assert_true(notes.review.n == 4);
	assert_string_equal(notes.review.items[2],
			    "table 'a_child' is dropped and 'b_child' created "
			    "with the same columns: if it is a rename, write "
			    "`-- renamed from: a_child` before 'b_child' in the "
			    "model");
	hr_buf_free(&sql);
	hr_render_notes_free(&notes);
	hr_diff_free(&d);
	hr_schema_free(&sa);
	hr_schema_free(&sb);
	hr_db_close(x);
	hr_db_close(y);
}

/* Many changes in one migration, each kind at once, both ways. */
static void everything_at_once(void **state)
{
	static const char cables[] =
		"CREATE TABLE cables (id INTEGER NOT NULL, device_id INTEGER "
		"NOT NULL REFERENCES devices (id), PRIMARY KEY (id));"
		"CREATE INDEX ix_connections_cable ON connections (cable_type);";
	char *a = initial_schema(), *b = racks_renamed(a);
	trip t;

	(void)state;
	b = edit(b, "width_inches IN ('11\"', ",
		 "width_inches IN ('10\"', '11\"', ");
	b = edit(b, "    notes VARCHAR,\n", "");
	b = edit(b, "confidence VARCHAR(6) DEFAULT 'medium'",
		 "confidence VARCHAR(6) DEFAULT 'low'");
	b = realloc(b, strlen(b) + sizeof cables);
	strcat(b, cables);
	round_trip(&t, a, b, annotate_cabinets);
	assert_string_equal(
		t.up.description,
		"Detected added table 'cables'\n"
		"Detected renamed table 'racks' to 'cabinets'\n"
		"Detected removed check constraint on 'cabinets'\n"
		"Detected added check constraint on 'cabinets'\n"
		"Detected added index 'ix_connections_cable' on '['cable_type']'\n"
		"Detected default change on 'device_specifications.confidence'\n"
		"Detected removed column 'devices.notes'\n");
	assert_string_equal(
		t.down.description,
		"Detected removed index 'ix_connections_cable' on 'connections'\n"
		"Detected default change on 'device_specifications.confidence'\n"
		"Detected added column 'devices.notes'\n"
		"Detected renamed table 'cabinets' to 'racks'\n"
		"Detected removed check constraint on 'racks'\n"
		"Detected added check constraint on 'racks'\n"
		"Detected removed table 'cables'\n");
	trip_end(&t);
	free(a);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Many random pairs of one table's shapes                             */
/* ------------------------------------------------------------------ */

/* Each column of table t: absent (0) or one of its spellings (1..). */
static const char *const shape_columns[][4] = {
	{"a TEXT", "a TEXT NOT NULL DEFAULT 'z'", "a VARCHAR(20)", NULL},
	{"b INTEGER DEFAULT 5", "b INTEGER DEFAULT 6",
	 "b INTEGER NOT NULL DEFAULT 5", NULL},
	{"c REAL", "c REAL DEFAULT 1.5", NULL, NULL},
	{"d VARCHAR(10) DEFAULT 'x' CHECK (d IN ('x', 'y'))",
	 "d VARCHAR(10) DEFAULT 'x' CHECK (d IN ('x', 'y', 'z'))", NULL, NULL},
	{"e TEXT UNIQUE", "e TEXT", NULL, NULL},
	{"f INTEGER REFERENCES p (id)", "f INTEGER", NULL, NULL},
};
#define N_SHAPE_COLUMNS (sizeof shape_columns / sizeof *shape_columns)

/* A small deterministic generator (no dependence on libc's rand). */
static unsigned next_random(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* The shape of table t: a spelling per column (0: absent), and which
 * of its optional constraints and indexes it has. */
typedef struct shape {
	int variant[N_SHAPE_COLUMNS];
	int check_b, ix_a, ux_b, ix_bc;
	int a_named_z; /* column a is called z (a rename, declared) */
	int t_named_u; /* table t is called u (likewise) */
} shape;

static int n_spellings(size_t column)
{
	int n = 0;

	while (n < 4 && shape_columns[column][n] != NULL)
		n++;
	return n;
}

static void random_column(unsigned *state, shape *sh, size_t i)
{
	sh->variant[i] = (int)(next_random(state) % (unsigned)(n_spellings(i) + 1));
}

static void random_extras(unsigned *state, shape *sh)
{
	sh->check_b = next_random(state) % 2;
	sh->ix_a = next_random(state) % 2;
	sh->ux_b = next_random(state) % 2;
	sh->ix_bc = next_random(state) % 2;
	sh->a_named_z = next_random(state) % 2;
	sh->t_named_u = next_random(state) % 2;
}

static shape random_shape(unsigned *state)
{
	shape sh;

	for (size_t i = 0; i < N_SHAPE_COLUMNS; i++)
		random_column(state, &sh, i);
	random_extras(state, &sh);
	return sh;
}

/* sh with one column respelled, added or dropped, and sometimes its
 * constraints and indexes redrawn: the small steps a model takes. */
static shape mutated_shape(unsigned *state, shape sh)
{
	random_column(state, &sh, next_random(state) % N_SHAPE_COLUMNS);
	if (next_random(state) % 4 == 0)
		random_extras(state, &sh);
	return sh;
}

/* Parent p, table t shaped sh, child k of t. malloc'ed. */
static char *shape_sql(const shape *sh)
{
	const int *v = sh->variant;
	const char *t = sh->t_named_u ? "u" : "t";
	char *sql = malloc(4096);
	size_t n = 0;

	n += (size_t)sprintf(sql + n,
			     "CREATE TABLE p (id INTEGER PRIMARY KEY);"
			     "CREATE TABLE %s (id INTEGER NOT NULL", t);
	for (size_t i = 0; i < N_SHAPE_COLUMNS; i++)
		if (v[i] > 0)
			n += (size_t)sprintf(sql + n, ", %s%s",
					     i == 0 && sh->a_named_z ? "z" : "",
					     shape_columns[i][v[i] - 1] +
						     (i == 0 && sh->a_named_z));
	if (v[1] > 0 && sh->check_b)
		n += (size_t)sprintf(sql + n, ", CHECK (b > 0)");
	n += (size_t)sprintf(sql + n, ", PRIMARY KEY (id));"
				      "CREATE TABLE k (id INTEGER PRIMARY KEY, "
				      "t_id INTEGER REFERENCES %s (id));", t);
	if (v[0] > 0 && sh->ix_a)
		n += (size_t)sprintf(sql + n, "CREATE INDEX ix_t_a ON %s (%s);", t,
				     sh->a_named_z ? "z" : "a");
	if (v[1] > 0 && sh->ux_b)
		n += (size_t)sprintf(sql + n,
				     "CREATE UNIQUE INDEX ux_t_b ON %s (b);", t);
	if (v[1] > 0 && v[2] > 0 && sh->ix_bc)
		n += (size_t)sprintf(sql + n, "CREATE INDEX ix_t_bc ON %s (b, c) "
					      "WHERE c > 0;", t);
	assert_true(n < 4096);
	return sql;
}

/* Shape a goes to shape b and back, t's row and the row pointing at it
 * kept. Whether it ran in place goes to *in_place. */
static void shapes_round_trip(const shape *a_shape, const shape *b_shape,
			      int *in_place)
{
	char *a = shape_sql(a_shape), *b = shape_sql(b_shape);
	hr_db *db = fx_scratch_sqlite(), *target = fx_scratch_sqlite();
	hr_schema sa, sb, now;
	hr_table *t;
	hr_diff d;
	hr_error err = {0};

	set_foreign_keys(db, 1);
	exec_sql(db, a);
	exec_sql(db, a_shape->t_named_u ? "INSERT INTO u (id) VALUES (1)"
				       : "INSERT INTO t (id) VALUES (1)");
	exec_sql(db, "INSERT INTO p VALUES (1); INSERT INTO k VALUES (1, 1)");
	exec_sql(target, b);
	read_schema(db, &sa);
	read_schema(target, &sb);
	t = (hr_table *)hr_schema_table(&sb, b_shape->t_named_u ? "u" : "t");
	if (a_shape->t_named_u != b_shape->t_named_u)
		t->renamed_from = strdup(a_shape->t_named_u ? "u" : "t");
	if (a_shape->variant[0] > 0 && b_shape->variant[0] > 0 &&
	    a_shape->a_named_z != b_shape->a_named_z) {
		hr_column *renamed = (hr_column *)hr_table_column(
			t, b_shape->a_named_z ? "z" : "a");

		renamed->renamed_from = strdup(a_shape->a_named_z ? "z" : "a");
	}
	assert_int_equal(hr_schema_diff(&sa, &sb, &d, &err), 0);
	if (!hr_diff_empty(&d)) {
		rendered up = migrate(db, &sa, &sb), down;

		*in_place += !up.notes.foreign_keys_off;
		read_schema(db, &now);
		assert_same(&now, &sb, up.sql);
		hr_schema_free(&now);
		down = migrate(db, &sb, &sa);
		read_schema(db, &now);
		assert_same(&now, &sa, down.sql);
		hr_schema_free(&now);
		rendered_free(&up);
		rendered_free(&down);
	}
	assert_string_equal(query(db, "SELECT count(*) FROM k"), "1");
	assert_string_equal(query(db, "PRAGMA foreign_key_check"), "");
	hr_diff_free(&d);
	hr_schema_free(&sa);
	hr_schema_free(&sb);
	hr_db_close(db);
	hr_db_close(target);
	free(a);
	free(b);
}

/* Any shape of t goes to any other, and to its small mutations, and
 * back. */
static void random_shapes_round_trip(void **state)
{
	unsigned seed = 20261129;
	int in_place = 0;

	(void)state;
	for (int k = 0; k < 40; k++) {
		shape a = random_shape(&seed), b = random_shape(&seed);

		shapes_round_trip(&a, &b, &in_place);
	}
	for (int k = 0; k < 120; k++) {
		shape a = random_shape(&seed), b = mutated_shape(&seed, a);

		shapes_round_trip(&a, &b, &in_place);
	}
	/* Both ways of altering were taken, many times. */
	assert_true(in_place >= 20);
}

/* Renamed columns that take each other's names (a chain, a swap): the
 * checks that name them are unchanged, and the renames go through a
 * name neither side uses. */
static void annotate_chain(hr_schema *to)
{
	hr_table *t = (hr_table *)hr_schema_table(to, "t");

	((hr_column *)hr_table_column(t, "b"))->renamed_from = strdup("a");
	((hr_column *)hr_table_column(t, "c"))->renamed_from = strdup("b");
	((hr_column *)hr_table_column(t, "x"))->renamed_from = strdup("y");
	((hr_column *)hr_table_column(t, "y"))->renamed_from = strdup("x");
}

static void column_renames_that_chain(void **state)
{
	hr_db *db = fx_scratch_sqlite(), *target = fx_scratch_sqlite();
	hr_schema a, b, now;
	rendered up, down;

	(void)state;
	exec_sql(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, "
		     "b INTEGER, x TEXT, y INTEGER, CHECK (a <> '' AND b > 0 "
		     "AND x <> '' AND y > 0));"
		     "INSERT INTO t VALUES (1, 'A', 2, 'X', 3)");
	exec_sql(target, "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, "
			 "c INTEGER, y TEXT, x INTEGER, CHECK (b <> '' AND c > 0 "
			 "AND y <> '' AND x > 0))");
	read_schema(db, &a);
	read_schema(target, &b);
	annotate_chain(&b);
	up = migrate(db, &a, &b);
	assert_string_equal(up.description,
			    "Detected renamed column 't.a' to 't.b'\n"
			    "Detected renamed column 't.b' to 't.c'\n"
			    "Detected renamed column 't.x' to 't.y'\n"
			    "Detected renamed column 't.y' to 't.x'\n");
	assert_false(up.notes.foreign_keys_off);
	assert_string_equal(up.sql,
			    "ALTER TABLE t RENAME COLUMN a TO hr_renaming_0;\n"
			    "ALTER TABLE t RENAME COLUMN b TO hr_renaming_1;\n"
			    "ALTER TABLE t RENAME COLUMN x TO hr_renaming_2;\n"
			    "ALTER TABLE t RENAME COLUMN y TO hr_renaming_3;\n"
			    "ALTER TABLE t RENAME COLUMN hr_renaming_0 TO b;\n"
			    "ALTER TABLE t RENAME COLUMN hr_renaming_1 TO c;\n"
			    "ALTER TABLE t RENAME COLUMN hr_renaming_2 TO y;\n"
			    "ALTER TABLE t RENAME COLUMN hr_renaming_3 TO x;\n");
	read_schema(db, &now);
	assert_same(&now, &b, up.sql);
	hr_schema_free(&now);
	assert_string_equal(query(db, "SELECT b, c, y, x FROM t"), "A|2|X|3");
	down = migrate(db, &b, &a);
	read_schema(db, &now);
	assert_same(&now, &a, down.sql);
	hr_schema_free(&now);
	assert_string_equal(query(db, "SELECT a, b, x, y FROM t"), "A|2|X|3");
	rendered_free(&up);
	rendered_free(&down);
	hr_schema_free(&a);
	hr_schema_free(&b);
	hr_db_close(db);
	hr_db_close(target);
}

/* A collation is part of a column: changing it is a change (a rebuild),
 * though the pragmas never report it. */
static void collation_change_is_a_change(void **state)
{
	char *a = initial_schema();
	char *b = edit(strdup(a), "    custom_name VARCHAR NOT NULL,",
		       "    custom_name VARCHAR NOT NULL COLLATE nocase,");
	trip t;

	(void)state;
	round_trip(&t, a, b, NULL);
	assert_string_equal(t.up.description,
			    "Detected type change from VARCHAR to VARCHAR "
			    "COLLATE NOCASE on 'devices.custom_name'\n");
	assert_true(notes_contain(&t.up, "table 'devices' is rebuilt"));
	assert_string_equal(query(t.db, "SELECT custom_name FROM devices"),
			    "web1");
	trip_end(&t);
	free(a);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Enums (PostgreSQL's; the differ is shared)                          */
/* ------------------------------------------------------------------ */

static void add_enum(hr_schema *s, const char *name, const char *values)
{
	hr_enum *e = HR_SCHEMA_PUSH(&s->enums, &s->n_enums);
	char *copy = strdup(values), *save = NULL;

	e->name = strdup(name);
	for (char *v = strtok_r(copy, " ", &save); v != NULL;
	     v = strtok_r(NULL, " ", &save))
		hr_strlist_push(&e->values, v);
	free(copy);
}

static void enums_compare_by_name_and_order(void **state)
{
	hr_schema from = {.dialect = "postgresql"}, to = {.dialect = "postgresql"};
	hr_error err = {0};
	hr_diff d;

	(void)state;
	add_enum(&from, "level", "low medium high");
	add_enum(&from, "old", "a b");
	add_enum(&from, "same", "p q");
	add_enum(&from, "shuffled", "p q");
	add_enum(&to, "level", "low medium high critical");
	add_enum(&to, "same", "p q");
	add_enum(&to, "new", "x");
	add_enum(&to, "shuffled", "q p");
	add_enum(&to, "shrunk", "a");
	add_enum(&from, "shrunk", "a b");
	hr_schema_sort(&from);
	hr_schema_sort(&to);
	assert_int_equal(hr_schema_diff(&from, &to, &d, &err), 0);
	assert_string_equal(describe(&d),
			    "Detected added enum value 'critical' to 'level'\n"
			    "Detected added enum 'new'\n"
			    "Detected removed enum value 'b' from 'shrunk'\n"
			    "Detected reordered values of enum 'shuffled'\n"
			    "Detected removed enum 'old'\n");
	hr_diff_free(&d);
	assert_int_equal(hr_schema_diff(&to, &to, &d, &err), 0);
	assert_true(hr_diff_empty(&d));
	hr_diff_free(&d);
	hr_schema_free(&from);
	hr_schema_free(&to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scratch_and_query_rows),
		cmocka_unit_test(catalog_reads_the_homerack_schema),
		cmocka_unit_test(spellings_compare_equal),
		cmocka_unit_test(new_column_is_added_in_place),
		cmocka_unit_test(new_table_with_a_foreign_key),
		cmocka_unit_test(index_dropped_and_added),
		cmocka_unit_test(enum_check_change_rebuilds),
		cmocka_unit_test(renames_through_annotations),
		cmocka_unit_test(column_made_not_null_with_a_default),
		cmocka_unit_test(dropped_column_in_place),
		cmocka_unit_test(changed_default_rebuilds),
		cmocka_unit_test(renamed_and_rebuilt_parent),
		cmocka_unit_test(constrained_columns_added_in_place),
		cmocka_unit_test(indexed_column_dropped_in_place),
		cmocka_unit_test(unannotated_rename_is_flagged),
		cmocka_unit_test(constraint_changes_rebuild),
		cmocka_unit_test(new_not_null_without_default_is_flagged),
		cmocka_unit_test(table_order_and_rename_hint),
		cmocka_unit_test(everything_at_once),
		cmocka_unit_test(column_renames_that_chain),
		cmocka_unit_test(collation_change_is_a_change),
		cmocka_unit_test(enums_compare_by_name_and_order),
		cmocka_unit_test(random_shapes_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
