/*
 * db.h — the database as the engine sees it: one interface, a backend per
 * dialect (sqlite.c, postgres.c).
 *
 * A handle is used by one thread at a time. Every call returns 0 or a
 * negated hr_code and describes failures in err; messages never contain
 * a password.
 *
 * A PostgreSQL handle connects lazily and reconnects on its own: opening
 * one never waits for the server, and while the server is unreachable
 * every call fails at once with HR_UNAVAILABLE ("database unavailable:
 * could not connect to URL: why"); a new attempt is made on a later call
 * after a back-off that grows while the server stays away. A connection
 * lost inside a transaction is not replaced until that transaction is
 * rolled back (the server already did): nothing after it runs outside
 * the transaction it belonged to.
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
/* The history row's direction for a change someone else made to the
 * version rows (engine/outside.c). */
#define HR_OUTSIDE_DIRECTION "outside"

/* Open a connection for url (the backend is chosen by url->kind). */
int hr_db_open(const hr_dburl *url, hr_db **out, hr_error *err);
void hr_db_close(hr_db *db);

/* "sqlite" or "postgresql": the dialect migration sections name. */
const char *hr_db_dialect(const hr_db *db);

/* Whether calls on db can wait on the network (PostgreSQL): such a
 * handle must never be used on the event loop's thread. */
int hr_db_may_block(const hr_db *db);

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
 * From now until the transaction ends, hold back what needs no answer
 * before the commit: the BEGIN, a migration's statements (those that
 * cannot end a transaction; any other first sends what is held back and
 * runs at once), the session reset, the version-row changes and the
 * history row. hr_db_flush or hr_db_commit sends them all in one
 * exchange with the server (PostgreSQL: libpq's pipeline mode;
 * elsewhere nothing is held back and every call runs at once). Their
 * failures, a version-row change that touched other than one row
 * included, are then reported there: a failed hr_db_commit leaves the
 * transaction open for the rollback as any failed commit does, and
 * hr_db_failed_line says where in the file a migration's statement
 * failed. Only those calls may come between.
 */
void hr_db_defer(hr_db *db);

/*
 * Send what hr_db_defer held back now, without the commit, and report
 * its failures as hr_db_commit would; holding back goes on until the
 * transaction ends. 0 when nothing was held back.
 */
int hr_db_flush(hr_db *db, hr_error *err);

/* After a failed hr_db_flush or hr_db_commit: the file line of the
 * migration statement that failed (as hr_db_exec_script's *fail_line),
 * or 0 when what failed was not a migration's statement. */
int hr_db_failed_line(const hr_db *db);

/*
 * Run every statement of sql (a migration section whose first line is
 * file line first_line). On failure *fail_line is the file line of the
 * failing statement and err holds the database's message. Only for a
 * migration's own SQL: what would escape hrd's transaction or outlive
 * the migration on hrd's connection is refused before it runs
 * (BEGIN/COMMIT/ROLLBACK; on SQLite also savepoints, ATTACH/DETACH,
 * temporary objects and PRAGMAs that set connection state).
 */
int hr_db_exec_script(hr_db *db, const char *sql, int first_line,
		      int *fail_line, hr_error *err);

/*
 * Return the session to the state every migration starts from: what a
 * migration SET (search_path, statement_timeout, role, …) is undone, and
 * outside a transaction also its temporary tables, prepared statements
 * and session advisory locks (PostgreSQL: RESET ALL in a transaction,
 * DISCARD ALL outside one). Nothing to do on SQLite, which refuses such
 * changes (see hr_db_exec_script). PostgreSQL sends it with what follows
 * in one exchange: inside a transaction after hr_db_defer, with the
 * commit; outside one, with the session's next statement.
 */
int hr_db_reset_session(hr_db *db, hr_error *err);

/*
 * Turn the connection's foreign-key enforcement off (on == 0) or back on,
 * outside a transaction, for a migration whose header says
 * `foreign_keys: off`: SQLite's PRAGMA foreign_keys (which cannot change
 * inside a transaction). hrd's SQLite connections enforce foreign keys
 * otherwise. Nothing to do on PostgreSQL, which always enforces them.
 */
int hr_db_foreign_keys(hr_db *db, int on, hr_error *err);

/*
 * While hr_db_foreign_keys has enforcement off: fail with
 * -HR_FAILED_PRECONDITION naming the table when a row breaks a foreign
 * key (SQLite: PRAGMA foreign_key_check, which reads every referencing
 * row; before the COMMIT of such a migration). Nothing to do with
 * enforcement on, where the database checked every change, nor on
 * PostgreSQL.
 */
int hr_db_check_foreign_keys(hr_db *db, hr_error *err);

/*
 * The schema lock, held around every schema change (read the version
 * rows, plan, apply) so that several hrd processes sharing one database
 * never interleave. On PostgreSQL it is a session advisory lock taken
 * on a connection of db's own, never the one running the migrations
 * (CREATE INDEX CONCURRENTLY waits for other sessions' transactions, and
 * lock and index on one session can deadlock). A held lock makes
 * should_stop(ud, err) be asked every ~50 ms; when it says stop (a
 * deadline, a cancel), hr_db_lock fails with its code and a message that
 * names who holds the lock. On SQLite these do nothing: BEGIN IMMEDIATE
 * already serialises each step, and the exactly-one-row checks on
 * alembic_version catch a plan made stale by another process.
 */
int hr_db_lock(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
	       void *ud, hr_error *err);
/* Fails (HR_UNAVAILABLE) when the lock's connection was lost, which
 * released it; 0 when it is still held or db has no such lock. */
int hr_db_lock_check(hr_db *db, hr_error *err);
/* Release the lock if held (errors only logged; closing its connection
 * releases it too). */
void hr_db_unlock(hr_db *db);

/*
 * From now on, wherever a call on db waits for another connection (a
 * busy SQLite database, a lock) or runs long, should_stop(ud, err) is
 * asked every few milliseconds; when it says stop (a deadline, a
 * cancel), the call fails with its code and message and the open
 * transaction is left to be rolled back. NULL: no such question.
 */
void hr_db_set_stop(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
		    void *ud);
/* The question hr_db_set_stop set (NULLs when none), to put it back
 * after asking another one for a while. */
void hr_db_get_stop(hr_db *db, int (**should_stop)(void *ud, hr_error *err),
		    void **ud);

/*
 * SQLite: copy db's database, consistently, into the file at path (which
 * must exist, empty: the caller creates it with the permissions it
 * wants) with the online backup API, a few thousand pages at a time.
 * Other connections keep reading meanwhile; a write by another
 * connection restarts the copy. hr_db_set_stop's question is asked
 * between steps. hr_db_restore does the reverse: db's database becomes
 * the file's content (outside a transaction; it takes the write lock).
 * -HR_UNIMPLEMENTED on PostgreSQL (pg_dump and PITR are the tools).
 */
int hr_db_backup(hr_db *db, const char *path, hr_error *err);
int hr_db_restore(hr_db *db, const char *path, hr_error *err);
/* Whether db's backend has hr_db_backup/hr_db_restore. */
int hr_db_can_backup(const hr_db *db);

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
	/* An upgrade's way back for the dialect it ran on (runner.h
	 * hr_runner_recorded_downgrade), so a database ahead of its files
	 * can still go down; NULL for none. Not written by offline scripts,
	 * which may run against a history table from before the column. */
	const char *downgrade_sql;
} hr_history_entry;

int hr_db_history_append(hr_db *db, const hr_history_entry *e,
			 hr_error *err);

/*
 * The latest upgrade of revision recorded in the history table with its
 * downgrade SQL: *sql gets that SQL, *from and *to the version rows
 * before and after it (space-separated), *applied_at when (free them
 * all). -HR_NOT_FOUND when there is none (never upgraded by an hrd that
 * records it: applied by Alembic, stamped, or by an older hrd).
 */
int hr_db_history_downgrade(hr_db *db, const char *revision, char **sql,
			    char **from, char **to, char **applied_at,
			    hr_error *err);

/* ------------------------------------------------------------------ */
/* Generic reads and scratch databases (the schema differ's)           */
/* ------------------------------------------------------------------ */

/* A query's result as text: cells[row * n_cols + col], NULL for SQL
 * NULL. */
typedef struct hr_rows {
	size_t n_rows, n_cols;
	char **cells;
} hr_rows;

/* Run one query with text parameters ($1, $2, ...) and keep every row
 * (at most HR_ROWS_MAX cells, else -HR_RESOURCE_EXHAUSTED). */
#define HR_ROWS_MAX (1u << 20)
int hr_db_query(hr_db *db, const char *sql, const char *const *params,
		size_t n_params, hr_rows *out, hr_error *err);
/* The cell, or NULL (SQL NULL, or out of range). */
const char *hr_rows_get(const hr_rows *rows, size_t row, size_t col);
void hr_rows_free(hr_rows *rows);

/*
 * A scratch database of url's dialect: a throwaway place to replay the
 * migrations or load the models and read the result back through the
 * catalog. SQLite: a private in-memory database (url's path unused).
 * PostgreSQL: a new connection to url, inside one transaction, with a
 * fresh empty schema first on its search_path (current_schema() is it);
 * hr_db_begin/commit/rollback on it become a savepoint, its release and
 * a rollback to it, so the runner works unchanged; CREATE INDEX
 * CONCURRENTLY runs as a plain CREATE INDEX; hr_db_lock does nothing;
 * an enum value added by ALTER TYPE ... ADD VALUE becomes usable where
 * a real COMMIT would make it so: at hr_db_commit, or at once outside a
 * transaction (the type is rebuilt then, since nothing ever commits).
 * Closing the handle rolls everything back: nothing is left behind,
 * even when hrd is killed. Never used for anything but scratch work.
 */
int hr_db_open_scratch(const hr_dburl *url, hr_db **out, hr_error *err);

/* ------------------------------------------------------------------ */
/* History reads and offline scripts (the migration engine's)          */
/* ------------------------------------------------------------------ */

/* Which of the history's rows hr_db_history_rows reads. */
typedef enum hr_history_which {
	HR_HISTORY_ALL,  /* every row */
	HR_HISTORY_LAST, /* the newest alone */
	/* What an upgrade's credit depends on (outside.c): each revision's
	 * newest downgrade or checksummed upgrade, and every outside row;
	 * the rest changes nothing there. */
	HR_HISTORY_CREDITS,
} hr_history_which;

/*
 * The history table's rows as cells revision, direction, from_revisions,
 * to_revisions, checksum (NULL when none), oldest first; which says
 * which rows. No rows when the table is missing.
 */
int hr_db_history_rows(hr_db *db, hr_history_which which, hr_rows *out,
		       hr_error *err);

/*
 * A handle that runs nothing: every statement given to it (the version
 * and history tables' statements, BEGIN/COMMIT, migration sections) is
 * appended as SQL text in like's dialect, parameters inlined as
 * literals, so an offline script is produced by the very calls that
 * would run it. Statements end with ";\n"; row changes count as one row;
 * the history row's applied_at is CURRENT_TIMESTAMP. Reads see an empty
 * database. Close it with hr_db_close.
 */
int hr_db_open_script(const hr_db *like, hr_db **out, hr_error *err);
/* Append text (comments) to a script handle's SQL. */
int hr_db_script_append(hr_db *db, const char *text, hr_error *err);
/* The SQL so far (caller frees; "" when none), and start afresh. NULL
 * when out of memory. */
char *hr_db_script_take(hr_db *db);

#endif
