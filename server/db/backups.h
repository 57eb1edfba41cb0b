/*
 * backups.h — the backup files hrd keeps of a SQLite database, beside it:
 *
 *     homerack.db.20261129T104512.123Z.1f3c0a9d2b7e.backup
 *
 * the database's file name, the UTC time the copy was taken (so names
 * sort oldest first), the revision(s) it was at ("base" for none, heads
 * joined with '+'), and ".backup". Copies are taken with the online
 * backup API (hr_db_backup): consistent, while others keep reading. A
 * temporary copy for a rehearsal is made the same way, under a name no
 * backup listing ever shows.
 *
 * PostgreSQL databases are not copied by hrd: pg_dump and point-in-time
 * recovery are the tools (docs/operations.md).
 */
#ifndef HR_BACKUPS_H
#define HR_BACKUPS_H

#include <stddef.h>

#include "db.h"
#include "strlist.h"

/* Whether db (whose file is db_path) can be copied into files beside
 * it: a SQLite database in a file (not ":memory:"). */
int hr_backups_possible(const hr_db *db, const char *db_path);

/*
 * Copy db (whose file is db_path, at version rows `rows`) into a new
 * backup file beside it (mode 0600, never overwriting), then delete the
 * oldest backups of db_path beyond the newest `keep`. *made gets the
 * new file's path (free it). A copy that fails leaves no file.
 */
int hr_backups_take(hr_db *db, const char *db_path, const hr_strlist *rows,
		    size_t keep, char **made, hr_error *err);

/* The backup files of db_path, oldest first, as paths. */
int hr_backups_list(const char *db_path, hr_strlist *out, hr_error *err);

/*
 * The backup `given` names: "" or NULL for the newest; else a path (or
 * a bare file name, looked up beside the database) that must be one of
 * db_path's backups, or -HR_INVALID_ARGUMENT "'X' is not a backup hrd
 * made of this database". *path gets it (free it).
 */
int hr_backups_resolve(const char *db_path, const char *given, char **path,
		       hr_error *err);

/* The revision part of a backup's name ("1f3c0a9d2b7e", "a+b", "base"),
 * pointing into path; its length in *len. NULL when not a backup name. */
const char *hr_backups_revisions(const char *path, size_t *len);

/*
 * A temporary copy of db (file db_path) beside it, for a rehearsal:
 * *path gets its name (free it); hr_backups_drop_copy removes it and
 * the WAL files SQLite may have left next to it.
 */
int hr_backups_temp_copy(hr_db *db, const char *db_path, char **path,
			 hr_error *err);
void hr_backups_drop_copy(const char *path);

#endif
