/*
 * catalog.h — read a database's schema back from its catalog.
 *
 * SQLite: sqlite_schema and the table/index/foreign-key pragmas (CHECK
 * constraints from the stored CREATE TABLE text). PostgreSQL: pg_class,
 * pg_attribute, pg_constraint, pg_index and pg_enum of current_schema().
 * Both leave out Alembic's alembic_version, hrd's history table and the
 * database's own objects (sqlite_%, sequences owned by serial columns),
 * and normalise as schema.h says, so that two databases of one dialect
 * built from different SQL text compare equal when their structure is.
 */
#ifndef HR_CATALOG_H
#define HR_CATALOG_H

#include "db.h"
#include "schema.h"

/* Read db's schema into *out (zeroed first; hr_schema_free it even on
 * failure). 0, or a negative hr_code and err. */
int hr_catalog_read(hr_db *db, hr_schema *out, hr_error *err);

/* The dialect readers hr_catalog_read chooses between. */
int hr_catalog_read_sqlite(hr_db *db, hr_schema *out, hr_error *err);
int hr_catalog_read_postgresql(hr_db *db, hr_schema *out, hr_error *err);

#endif
