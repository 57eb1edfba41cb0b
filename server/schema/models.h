/*
 * models.h — the models: the schema as it should be, declared as SQL.
 *
 * A models directory holds `*.sql` files, read in name order. Each is
 * plain CREATE TABLE / CREATE INDEX (and on PostgreSQL CREATE TYPE ...
 * AS ENUM) statements. SQL before any marker applies to every dialect;
 * a line `-- +sqlite` or `-- +postgresql` opens a section for that
 * dialect only, `-- +all` one for every dialect again. A comment
 * `-- renamed from: OLD` on a CREATE TABLE line renames table OLD; on
 * a column's line it renames that table's column OLD (docs/models.md).
 *
 * Loading reads and checks the files (markers, UTF-8, renames); the
 * database is the parser: hr_models_build runs the statements on a
 * scratch database and reads the schema back from its catalog. Loaded
 * models are immutable and shared between threads by reference count.
 */
#ifndef HR_MODELS_H
#define HR_MODELS_H

#include <stddef.h>

#include "db.h"
#include "schema.h"

/* Largest models file read. */
#define HR_MODELS_FILE_MAX (4u * 1024 * 1024)
/* Most models files in a directory. */
#define HR_MODELS_FILES_MAX 1024

typedef struct hr_models hr_models;

/*
 * Read every *.sql file of dir. A missing directory loads as no models
 * (hr_models_present says so). On failure -HR_INVALID_ARGUMENT (or
 * another code) and err reads "FILE:LINE: what is wrong".
 */
int hr_models_load(const char *dir, hr_models **out, hr_error *err);

/* Take and drop a reference (any thread); the last drop frees. */
hr_models *hr_models_ref(hr_models *m);
void hr_models_unref(hr_models *m);

/* The directory the models came from, and whether it existed. */
const char *hr_models_dir(const hr_models *m);
int hr_models_present(const hr_models *m);
/* How many files were read. */
size_t hr_models_file_count(const hr_models *m);

/*
 * Run the models' statements for db's dialect on db (a scratch
 * database, hr_db_open_scratch) and read the result back into *out,
 * with each table's source ("FILE:LINE") and the renames set. Fails
 * with "FILE:LINE: database message" for a statement the database
 * refuses, and for a foreign key to a table or column the models do
 * not define. hr_schema_free(out) even on failure.
 */
int hr_models_build(const hr_models *m, hr_db *db, hr_schema *out,
		    hr_error *err);

#endif
