/*
 * sqlite.c — the SQLite backend.
 *
 * Connections run in WAL mode so that readers (hrd's status calls) never
 * wait behind the writer applying a migration. We issue BEGIN/COMMIT
 * ourselves, which makes SQLite's DDL transactional: a failing statement
 * rolls back the whole migration, tables created before it included.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct sqlite_db {
	hr_db base;
	sqlite3 *conn;
} sqlite_db;

/* How long a statement waits for another connection's lock. */
#define BUSY_TIMEOUT_MS 10000

static sqlite3 *conn_of(hr_db *db)
{
	return ((sqlite_db *)db)->conn;
}

static int fail(hr_db *db, hr_code code, hr_error *err)
{
	return hr_error_set(err, code, "%s", sqlite3_errmsg(conn_of(db)));
}

/* Map SQLite's result codes onto canonical status codes. */
static hr_code code_for(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return HR_UNAVAILABLE;
	case SQLITE_CONSTRAINT:
		return HR_FAILED_PRECONDITION;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return HR_DATA_LOSS;
	case SQLITE_FULL:
	case SQLITE_NOMEM:
		return HR_RESOURCE_EXHAUSTED;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
		return HR_FAILED_PRECONDITION;
	default:
		return HR_ABORTED;
	}
}

static void sqlite_close(hr_db *db)
{
	sqlite3_close(conn_of(db));
	free(db);
}

static int sqlite_open(const hr_dburl *url, hr_db **out, hr_error *err)
{
	sqlite_db *s = calloc(1, sizeof *s);
	int rc;

	if (s == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	s->base.ops = &hr_db_sqlite_ops;
	rc = sqlite3_open_v2(url->sqlite_path, &s->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		hr_error_set(err, code_for(rc), "cannot open sqlite database %s: %s",
			     url->redacted,
			     s->conn ? sqlite3_errmsg(s->conn) : sqlite3_errstr(rc));
		sqlite_close(&s->base);
		return -(int)err->code;
	}
	sqlite3_busy_timeout(s->conn, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->conn, 1);
	/* WAL persists in the file; in-memory databases keep "memory". */
	rc = sqlite3_exec(s->conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		hr_error_set(err, code_for(rc), "cannot use sqlite database %s: %s",
			     url->redacted, sqlite3_errmsg(s->conn));
		sqlite_close(&s->base);
		return -(int)err->code;
	}
	*out = &s->base;
	return 0;
}

static int sqlite_exec(hr_db *db, const char *sql, const char *const *params,
		       size_t n_params, int64_t *changes, hr_error *err)
{
	sqlite3 *conn = conn_of(db);
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	for (size_t i = 0; i < n_params; i++) {
		rc = params[i] ? sqlite3_bind_text(stmt, (int)i + 1, params[i],
						   -1, SQLITE_STATIC)
			       : sqlite3_bind_null(stmt, (int)i + 1);
		if (rc != SQLITE_OK)
			break;
	}
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(db, code_for(rc), err);
	if (changes != NULL)
		*changes = sqlite3_changes64(conn);
	return 0;
}

static int sqlite_query_column(hr_db *db, const char *sql, hr_strlist *out,
			       hr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn_of(db), sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(stmt, 0);

		if (hr_strlist_pushn(out, text ? text : "",
				     (size_t)sqlite3_column_bytes(stmt, 0)) < 0) {
			sqlite3_finalize(stmt);
			return hr_error_set(err, HR_INTERNAL, "out of memory");
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(db, code_for(rc), err);
	return 0;
}

static int sqlite_table_exists(hr_db *db, const char *table, int *exists,
			       hr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(conn_of(db),
				"SELECT 1 FROM sqlite_master WHERE type = "
				"'table' AND name = ?1",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, code_for(rc), err);
	*exists = rc == SQLITE_ROW;
	return 0;
}

/* 1-based line of p within text, counted from first_line. */
static int line_of(const char *text, const char *p, int first_line)
{
	int line = first_line;

	for (const char *q = text; q < p; q++)
		if (*q == '\n')
			line++;
	return line;
}

/* Skip white space and SQL comments, to where the next statement starts. */
static const char *skip_blank(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			if (end == NULL)
				return p;
			p = end + 2;
		} else {
			return p;
		}
	}
}

static int sqlite_exec_script(hr_db *db, const char *sql, int first_line,
			      int *fail_line, hr_error *err)
{
	sqlite3 *conn = conn_of(db);
	const char *p = sql;

	/* One statement at a time (sqlite3_prepare's tail splits them, even
	 * CREATE TRIGGER … BEGIN … END) so a failure can name its line. */
	while (*(p = skip_blank(p)) != '\0') {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(conn, p, -1, &stmt, &tail);

		if (rc == SQLITE_OK && stmt != NULL) {
			while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		sqlite3_finalize(stmt);
		if (rc != SQLITE_OK) {
			*fail_line = line_of(sql, p, first_line);
			return fail(db, code_for(rc), err);
		}
		if (tail == NULL || tail == p)
			break;
		p = tail;
	}
	return 0;
}

const hr_db_ops hr_db_sqlite_ops = {
	.dialect = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.query_column = sqlite_query_column,
	.table_exists = sqlite_table_exists,
	.exec_script = sqlite_exec_script,
	.begin_sql = "BEGIN IMMEDIATE",
	.history_ddl =
		"CREATE TABLE IF NOT EXISTS " HR_HISTORY_TABLE " ("
		"id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "
		"revision TEXT NOT NULL, "
		"direction VARCHAR(16) NOT NULL, "
		"from_revisions TEXT NOT NULL, "
		"to_revisions TEXT NOT NULL, "
		"checksum CHAR(64), "
		"message TEXT, "
		"applied_at VARCHAR(32) NOT NULL, "
		"duration_ms REAL NOT NULL, "
		"peer_uid INTEGER)",
};
