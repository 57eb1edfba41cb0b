/*
 * sqlite.c — the SQLite backend.
 *
 * Connections run in WAL mode so that readers (hrd's status calls) never
 * wait behind the writer applying a migration. We issue BEGIN/COMMIT
 * ourselves, which makes SQLite's DDL transactional: a failing statement
 * rolls back the whole migration, tables created before it included.
 *
 * A migration's SQL runs under an authorizer that refuses, before they
 * run, the statements that would break that (its own BEGIN, COMMIT,
 * ROLLBACK, savepoints) or outlive the migration on hrd's connection
 * (ATTACH, temporary objects, PRAGMAs that set connection state): each
 * migration starts from the same session. Foreign keys are enforced
 * (PRAGMA foreign_keys = ON) unless a migration's header turns them off.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backend.h"
#include "log.h"

typedef struct sqlite_db {
	hr_db base;
	sqlite3 *conn;
	sqlite3_stmt *versions; /* the status read, kept prepared */
	char refused[160];      /* why the authorizer refused a statement */
	uint64_t busy_since;    /* monotonic ns when the current wait began */
	hr_error stopped;       /* why should_stop ended a wait; code 0: none */
} sqlite_db;

/* Attempts at the status read when a schema change races it. */
#define SCHEMA_RETRIES 8

/* How long a statement waits for another connection's lock. */
#define BUSY_TIMEOUT_MS 10000
/* How long one wait for it sleeps before asking again. */
#define BUSY_SLEEP_MS 5
/* Virtual machine steps between two stop questions of a long statement. */
#define PROGRESS_STEPS 10000

static sqlite3 *conn_of(hr_db *db)
{
	return ((sqlite_db *)db)->conn;
}

static int fail(hr_db *db, hr_code code, hr_error *err)
{
	sqlite_db *s = (sqlite_db *)db;

	/* A wait or a statement ended by should_stop: say why, not
	 * "database is locked" or "interrupted". */
	if (s->stopped.code != HR_OK) {
		*err = s->stopped;
		hr_error_clear(&s->stopped);
		return -(int)err->code;
	}
	return hr_error_set(err, code, "%s", sqlite3_errmsg(conn_of(db)));
}

/* Whether hr_db_set_stop's question says stop; keeps the reason. */
static int asked_to_stop(sqlite_db *s)
{
	return s->base.should_stop != NULL &&
	       s->base.should_stop(s->base.stop_ud, &s->stopped);
}

/*
 * Another connection holds the lock a statement needs: wait for it in
 * short sleeps, asking should_stop between them, for BUSY_TIMEOUT_MS at
 * most (sqlite3_busy_timeout's wait, but one a deadline or a cancel can
 * end). Runs on whatever thread runs the statement.
 */
static int on_busy(void *ud, int attempts)
{
	sqlite_db *s = ud;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;

	if (attempts == 0) {
		s->busy_since = now;
		hr_log(HR_LOG_INFO, "waiting for the database lock (another "
				    "connection is writing)");
	}
	if (asked_to_stop(s)) {
		hr_error why = s->stopped;

		hr_error_set(&s->stopped, why.code,
			     "%s while waiting for the database lock", why.msg);
		return 0;
	}
	if (now - s->busy_since >= (uint64_t)BUSY_TIMEOUT_MS * 1000000)
		return 0;
	sqlite3_sleep(BUSY_SLEEP_MS);
	return 1;
}

/* A long statement is interrupted (and its transaction rolled back by
 * the caller) once should_stop says stop. */
static int on_progress(void *ud)
{
	return asked_to_stop(ud);
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
	sqlite3_finalize(((sqlite_db *)db)->versions);
	sqlite3_close(conn_of(db));
	free(db);
}

/* Open path (a file, or ":memory:") as a handle: the one way both a
 * configured database and a scratch one are opened. */
static int open_path(const char *path, const char *redacted, hr_db **out,
		     hr_error *err)
{
	static int configured; /* opens happen on the loop thread only */
	sqlite_db *s = calloc(1, sizeof *s);
	int rc;

	if (s == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	s->base.ops = &hr_db_sqlite_ops;
	/* SQLite's memory statistics take a process-wide mutex on every
	 * allocation, which the loop's reads and the writer's migrations
	 * then contend for; we never read the statistics. Only possible
	 * before SQLite initialises, i.e. before the first open. */
	if (!configured) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = 1;
	}
	rc = sqlite3_open_v2(path, &s->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		hr_error_set(err, code_for(rc), "cannot open sqlite database %s: %s",
			     redacted,
			     s->conn ? sqlite3_errmsg(s->conn) : sqlite3_errstr(rc));
		sqlite_close(&s->base);
		return -(int)err->code;
	}
	sqlite3_busy_handler(s->conn, on_busy, s);
	sqlite3_progress_handler(s->conn, PROGRESS_STEPS, on_progress, s);
	sqlite3_extended_result_codes(s->conn, 1);
	/* WAL persists in the file; in-memory databases keep "memory". */
	rc = sqlite3_exec(s->conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		hr_error_set(err, code_for(rc), "cannot use sqlite database %s: %s",
			     redacted, sqlite3_errmsg(s->conn));
		sqlite_close(&s->base);
		return -(int)err->code;
	}
	/* Enforced for migrations as for the application; a migration that
	 * must not be checked (a table rebuild) says `foreign_keys: off`. */
	rc = sqlite3_exec(s->conn, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		hr_error_set(err, code_for(rc), "cannot use sqlite database %s: %s",
			     redacted, sqlite3_errmsg(s->conn));
		sqlite_close(&s->base);
		return -(int)err->code;
	}
	*out = &s->base;
	return 0;
}

static int sqlite_open(const hr_dburl *url, hr_db **out, hr_error *err)
{
	return open_path(url->sqlite_path, url->redacted, out, err);
}

/* A private in-memory database: every ":memory:" open is a new one. */
static int sqlite_open_scratch(const hr_dburl *url, hr_db **out,
			       hr_error *err)
{
	int rc;

	(void)url;
	rc = open_path(":memory:", "(scratch)", out, err);
	/* Scratch work replays and proves schema changes on empty tables:
	 * enforcement would only stand in the way of a rebuild run inside
	 * the proof's one transaction (where the PRAGMA cannot change). */
	if (rc == 0)
		sqlite3_exec(conn_of(*out), "PRAGMA foreign_keys = OFF", NULL,
			     NULL, NULL);
	return rc;
}

/* Bind text parameters to stmt: params[i] to $<i+1> wherever it is
 * (SQLite numbers named parameters by first appearance, so "$2 ... $1"
 * must be bound by name); NULL binds SQL NULL. SQLITE_OK or SQLite's
 * code. */
static int bind_params(sqlite3_stmt *stmt, const char *const *params,
		       size_t n_params)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < n_params && rc == SQLITE_OK; i++) {
		char name[24];
		int at;

		snprintf(name, sizeof name, "$%zu", i + 1);
		at = sqlite3_bind_parameter_index(stmt, name);
		if (at == 0)
			continue; /* not used by this statement */
		rc = params[i] ? sqlite3_bind_text(stmt, at, params[i], -1,
						   SQLITE_STATIC)
			       : sqlite3_bind_null(stmt, at);
	}
	return rc;
}

static int sqlite_exec(hr_db *db, const char *sql, const char *const *params,
		       size_t n_params, int64_t *changes, hr_error *err)
{
	sqlite3 *conn = conn_of(db);
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	rc = bind_params(stmt, params, n_params);
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

/* Append one row of stmt (n_cols cells, as text) to out's cells. */
static int keep_row(sqlite3_stmt *stmt, hr_rows *out, size_t *cap)
{
	size_t need = (out->n_rows + 1) * out->n_cols;

	if (need > HR_ROWS_MAX)
		return -HR_RESOURCE_EXHAUSTED;
	if (need > *cap) {
		size_t grown = *cap ? *cap * 2 : 64;
		char **cells;

		while (grown < need)
			grown *= 2;
		cells = realloc(out->cells, grown * sizeof *cells);
		if (cells == NULL)
			return -HR_RESOURCE_EXHAUSTED;
		out->cells = cells;
		*cap = grown;
	}
	for (size_t c = 0; c < out->n_cols; c++) {
		const char *text =
			(const char *)sqlite3_column_text(stmt, (int)c);
		char **cell = &out->cells[out->n_rows * out->n_cols + c];

		*cell = NULL;
		if (text == NULL)
			continue;
		*cell = strndup(text, (size_t)sqlite3_column_bytes(stmt, (int)c));
		if (*cell == NULL) {
			/* The row is not counted: free what it has so far. */
			while (c-- > 0)
				free(out->cells[out->n_rows * out->n_cols + c]);
			return -HR_RESOURCE_EXHAUSTED;
		}
	}
	out->n_rows++;
	return 0;
}

static int sqlite_query_rows(hr_db *db, const char *sql,
			     const char *const *params, size_t n_params,
			     hr_rows *out, hr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0;
	int rc = sqlite3_prepare_v2(conn_of(db), sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	out->n_cols = (size_t)sqlite3_column_count(stmt);
	rc = bind_params(stmt, params, n_params);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (keep_row(stmt, out, &cap) < 0) {
			sqlite3_finalize(stmt);
			hr_rows_free(out);
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "query result too large or out of "
					    "memory");
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		int code = fail(db, code_for(rc), err);

		sqlite3_finalize(stmt);
		hr_rows_free(out);
		return code;
	}
	sqlite3_finalize(stmt);
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

static int no_such_table(sqlite_db *s)
{
	return strncmp(sqlite3_errmsg(s->conn), "no such table", 13) == 0;
}

/*
 * The rows of alembic_version: Current's query, so the hot one. One
 * statement kept prepared (SQLite re-prepares it by itself after a
 * schema change) and one read transaction per call. A missing table is
 * base. A schema change racing the read (every DDL migration commits
 * one) is retried rather than reported.
 */
static int sqlite_read_versions(hr_db *db, hr_strlist *out, hr_error *err)
{
	sqlite_db *s = (sqlite_db *)db;
	int rc = SQLITE_OK;

	for (int attempt = 0; attempt < SCHEMA_RETRIES; attempt++) {
		if (s->versions == NULL &&
		    (rc = sqlite3_prepare_v3(s->conn,
					     "SELECT version_num FROM " HR_VERSION_TABLE,
					     -1, SQLITE_PREPARE_PERSISTENT,
					     &s->versions, NULL)) != SQLITE_OK)
			break;
		while ((rc = sqlite3_step(s->versions)) == SQLITE_ROW) {
			const char *v =
				(const char *)sqlite3_column_text(s->versions, 0);
			size_t n = (size_t)sqlite3_column_bytes(s->versions, 0);

			if (hr_strlist_pushn(out, v ? v : "", n) < 0) {
				sqlite3_reset(s->versions);
				return hr_error_set(err, HR_INTERNAL, "out of memory");
			}
		}
		sqlite3_reset(s->versions);
		if (rc == SQLITE_DONE)
			return 0;
		hr_strlist_free(out);
		if ((rc & 0xff) != SQLITE_SCHEMA &&
		    strstr(sqlite3_errmsg(s->conn), "schema has changed") == NULL)
			break;
		/* A migration's DDL committed while we prepared: again. */
	}
	if (no_such_table(s)) {
		/* Never created, or dropped since it was prepared: base. */
		sqlite3_finalize(s->versions);
		s->versions = NULL;
		return 0;
	}
	return fail(db, code_for(rc), err);
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

/* PRAGMAs a migration may give an argument: they read a table, or
 * change the database file rather than the connection. */
static int pragma_allowed(const char *name)
{
	static const char *const allowed[] = {
		"table_info",   "table_xinfo", "table_list",
		"index_list",   "index_info",  "index_xinfo",
		"foreign_key_list", "foreign_key_check", "integrity_check",
		"quick_check",  "user_version", "application_id",
		"defer_foreign_keys", /* reset by SQLite at COMMIT */
	};

	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
		if (strcasecmp(name, allowed[i]) == 0)
			return 1;
	return 0;
}

/*
 * The authorizer while a migration's SQL is prepared: refuse what would
 * end hrd's transaction or leave state on the connection behind for the
 * next migration and for hrd's own statements, saying why in
 * s->refused.
 */
static int authorize(void *ud, int action, const char *a1, const char *a2,
		     const char *a3, const char *a4)
{
	sqlite_db *s = ud;
	const char *why = NULL;

	(void)a3;
	(void)a4;
	switch (action) {
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
		why = "transaction control statements are not allowed in a "
		      "migration: hrd runs each migration in its own "
		      "transaction";
		break;
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		why = "ATTACH and DETACH are not allowed in a migration: an "
		      "attached database is outside the migration's "
		      "transaction and would stay attached after it";
		break;
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_CREATE_TEMP_INDEX:
	case SQLITE_CREATE_TEMP_TRIGGER:
	case SQLITE_CREATE_TEMP_VIEW:
		why = "temporary tables, views, indexes and triggers are not "
		      "allowed in a migration: they would outlive it on hrd's "
		      "connection (use an ordinary table and drop it)";
		break;
	case SQLITE_PRAGMA:
		if (a2 == NULL || pragma_allowed(a1))
			break;
		if (strcasecmp(a1, "foreign_keys") == 0) {
			why = "PRAGMA foreign_keys cannot change inside a "
			      "migration: say `-- foreign_keys: off` in its "
			      "header";
			break;
		}
		snprintf(s->refused, sizeof s->refused,
			 "PRAGMA %.40s with a value is not allowed in a "
			 "migration: it would change hrd's connection, not "
			 "the schema",
			 a1);
		return SQLITE_DENY;
	default:
		break;
	}
	if (why == NULL)
		return SQLITE_OK;
	snprintf(s->refused, sizeof s->refused, "%s", why);
	return SQLITE_DENY;
}

static int sqlite_exec_script(hr_db *db, const char *sql, int first_line,
			      int *fail_line, hr_error *err)
{
	sqlite_db *s = (sqlite_db *)db;
	sqlite3 *conn = s->conn;
	const char *p = sql;
	int rc = 0;

	/* Only while the migration's statements are prepared: hrd's own
	 * BEGIN and COMMIT run without it. */
	s->refused[0] = '\0';
	sqlite3_set_authorizer(conn, authorize, s);

	/* One statement at a time (sqlite3_prepare's tail splits them, even
	 * CREATE TRIGGER … BEGIN … END) so a failure can name its line. */
	while (*(p = skip_blank(p)) != '\0') {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		int src = sqlite3_prepare_v2(conn, p, -1, &stmt, &tail);

		if (src == SQLITE_OK && stmt != NULL) {
			while ((src = sqlite3_step(stmt)) == SQLITE_ROW)
				;
			if (src == SQLITE_DONE)
				src = SQLITE_OK;
		}
		sqlite3_finalize(stmt);
		if (src != SQLITE_OK) {
			*fail_line = line_of(sql, p, first_line);
			if ((src & 0xff) == SQLITE_AUTH && s->refused[0] != '\0')
				rc = hr_error_set(err, HR_FAILED_PRECONDITION,
						  "%s", s->refused);
			else
				rc = fail(db, code_for(src), err);
			break;
		}
		if (tail == NULL || tail == p)
			break;
		p = tail;
	}
	sqlite3_set_authorizer(conn, NULL, NULL);
	return rc;
}

/*
 * PRAGMA foreign_key_check over the whole database: the first violation
 * fails, naming the child table, the row and the parent table. Run in
 * the migration's transaction before COMMIT, it catches what a
 * migration with enforcement off (or deferred constraints) left behind.
 */
static int sqlite_check_foreign_keys(hr_db *db, hr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn_of(db), "PRAGMA foreign_key_check",
				    -1, &stmt, NULL);

	if (rc != SQLITE_OK)
		return fail(db, code_for(rc), err);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(stmt, 0);
		const char *parent = (const char *)sqlite3_column_text(stmt, 2);

		hr_error_set(err, HR_FAILED_PRECONDITION,
			     "foreign key violation: a row of table '%.64s' "
			     "(rowid %lld) references a missing row of '%.64s'",
			     table ? table : "?",
			     (long long)sqlite3_column_int64(stmt, 1),
			     parent ? parent : "?");
		sqlite3_finalize(stmt);
		return -(int)err->code;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(db, code_for(rc), err);
	return 0;
}

const hr_db_ops hr_db_sqlite_ops = {
	.kind = HR_DB_SQLITE,
	.dialect = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.query_column = sqlite_query_column,
	.table_exists = sqlite_table_exists,
	.read_versions = sqlite_read_versions,
	.exec_script = sqlite_exec_script,
	.query_rows = sqlite_query_rows,
	.open_scratch = sqlite_open_scratch,
	.check_foreign_keys = sqlite_check_foreign_keys,
	.foreign_keys_off_sql = "PRAGMA foreign_keys = OFF",
	.foreign_keys_on_sql = "PRAGMA foreign_keys = ON",
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
