/*
 * db.h — the database as the engine sees it: one interface, a backend per
 * dialect (sqlite.c, later postgres.c).
 *
 * A handle is used by one thread at a time. Every call returns 0 or a
 * negated hr_code and describes failures in err; messages never contain
 * a password.
 */
#ifndef HR_DB_H
#define HR_DB_H

#include <stddef.h>
#include <stdint.h>

#include "dburl.h"
#include "status.h"
#include "strlist.h"

typedef struct hr_db hr_db;

/* Alembic's own table, created exactly as Alembic creates it. */
#define HR_VERSION_TABLE "alembic_version"
/* Ours, beside it: what ran, when, by whom, how long, and the checksum. */
#define HR_HISTORY_TABLE "homerack_schema_history"

/* Open a connection for url (the backend is chosen by url->kind). */
int hr_db_open(const hr_dburl *url, hr_db **out, hr_error *err);
void hr_db_close(hr_db *db);

/* "sqlite" or "postgresql": the dialect migration sections name. */
const char *hr_db_dialect(const hr_db *db);

/* The rows of alembic_version, sorted; none when the table is missing. */
int hr_db_read_versions(hr_db *db, hr_strlist *out, hr_error *err);

/*
 * Transactions. begin takes the database's write lock up front (SQLite
 * BEGIN IMMEDIATE) so a step never fails half-way for lack of it.
 */
int hr_db_begin(hr_db *db, hr_error *err);
int hr_db_commit(hr_db *db, hr_error *err);
/* Roll back the open transaction, if any; errors are only logged. */
void hr_db_rollback(hr_db *db);

/*
 * Run every statement of sql (a migration section whose first line is
 * file line first_line). On failure *fail_line is the file line of the
 * failing statement and err holds the database's message.
 */
int hr_db_exec_script(hr_db *db, const char *sql, int first_line,
		      int *fail_line, hr_error *err);

/* Create alembic_version and the history table when missing. */
int hr_db_ensure_tables(hr_db *db, hr_error *err);

/* alembic_version row changes; update/delete must touch exactly one row
 * (else -HR_ABORTED: someone else changed the table under us). */
int hr_db_version_insert(hr_db *db, const char *rev, hr_error *err);
int hr_db_version_update(hr_db *db, const char *from, const char *to,
			 hr_error *err);
int hr_db_version_delete(hr_db *db, const char *rev, hr_error *err);
int hr_db_version_delete_all(hr_db *db, hr_error *err);

/* One row of the history table. */
typedef struct hr_history_entry {
	const char *revision;  /* the migration (or stamp target) */
	const char *direction; /* "upgrade" | "downgrade" | "stamp" */
	const char *from_revisions; /* space-separated version rows before */
	const char *to_revisions;   /* space-separated version rows after */
	const char *checksum;       /* SHA-256 hex of the file, or NULL */
	const char *message;
	int64_t duration_us;
	int64_t peer_uid; /* -1 when unknown */
} hr_history_entry;

int hr_db_history_append(hr_db *db, const hr_history_entry *e,
			 hr_error *err);

#endif
