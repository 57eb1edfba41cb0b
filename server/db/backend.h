/*
 * backend.h — what a database backend implements (private to server/db).
 *
 * Statements passed to exec/query use $1, $2, … placeholders, in order
 * of first appearance: PostgreSQL's syntax, which SQLite reads as named
 * parameters bound by position.
 *
 * Adding a backend (golang-migrate's database/driver.go recipe):
 *
 *   1. common/dburl.h: a hr_db_kind value; common/dburl.c: a row in
 *      `dialects` (its URL schemes, its dialect name, a parser filling
 *      hr_dburl). Migration files' sections then accept the dialect
 *      name by themselves (migration.c asks hr_dialect_find).
 *   2. server/db/NAME.c: a `const hr_db_ops hr_db_NAME_ops` with every
 *      member below that is not marked optional, and its handle struct
 *      starting with `struct hr_db`. The contract of each member is the
 *      one db.h states for the hr_db_* call built on it: in particular
 *      begin/commit/rollback must make DDL transactional (or the
 *      backend must refuse transactional migrations it cannot keep
 *      atomic), exec's *changes must count the rows touched (the
 *      version table's exactly-one-row checks rely on it), and every
 *      wait must ask db->should_stop.
 *   3. server/db/db.c: the ops in `backends`; extern below.
 *   4. CMakeLists.txt: NAME.c in hr_db, its library linked.
 *   5. Run the conformance suite on it: tests/unit/test_backend.c with
 *      HR_TEST_DATABASE_URL set to a database of the new kind (register
 *      it like tests/e2e/test_backend_pg.sh does for PostgreSQL). It
 *      must pass unchanged: what it checks is what the runner and the
 *      server rely on.
 */
#ifndef HR_DB_BACKEND_H
#define HR_DB_BACKEND_H

#include "db.h"

/*
 * One of hrd's own statements held back while a step's bookkeeping is
 * deferred (hr_db_defer): sent with the others in one exchange.
 */
#define HR_DB_STMT_PARAMS 10 /* the most any of hrd's own statements has */

typedef struct hr_db_stmt {
	const char *sql;  /* a literal, or text */
	char *text;       /* a migration's statement (owned), or NULL */
	int line;         /* text's first line in its file; 0 for hrd's own */
	char *params[HR_DB_STMT_PARAMS]; /* owned copies; NULL: SQL NULL */
	size_t n_params;
	const char *what; /* must touch exactly one row: what it is, for
			     the error; NULL: any count */
	int alone;        /* runs in no implicit transaction with the
			     statements after it (DISCARD ALL) */
	int64_t changes;  /* the rows it touched, once run */
} hr_db_stmt;

typedef struct hr_db_ops {
	hr_db_kind kind;     /* the URLs it opens (common/dburl.h) */
	const char *dialect; /* hr_dialect_name(kind) */
	int (*open)(const hr_dburl *url, hr_db **out, hr_error *err);
	void (*close)(hr_db *db);
	/* One statement with text parameters; *changes gets the row count
	 * it touched (may be NULL). */
	int (*exec)(hr_db *db, const char *sql, const char *const *params,
		    size_t n_params, int64_t *changes, hr_error *err);
	/* One query; the first column of every row appended to out. */
	int (*query_column)(hr_db *db, const char *sql, hr_strlist *out,
			    hr_error *err);
	int (*table_exists)(hr_db *db, const char *table, int *exists,
			    hr_error *err);
	/* Optional: the rows of alembic_version, unsorted (none when the
	 * table is missing). Without it db.c asks table_exists and
	 * query_column. */
	int (*read_versions)(hr_db *db, hr_strlist *out, hr_error *err);
	int (*exec_script)(hr_db *db, const char *sql, int first_line,
			   int *fail_line, hr_error *err);
	/* Roll back the open transaction (in_transaction is already 0);
	 * NULL: exec "ROLLBACK". */
	void (*rollback)(hr_db *db);
	/* The schema lock (db.h); NULL where the database's own write lock
	 * already serialises schema changes. */
	int (*lock)(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
		    void *ud, hr_error *err);
	int (*lock_check)(hr_db *db, hr_error *err);
	void (*unlock)(hr_db *db);
	/* A query's every row as text (db.h hr_db_query). */
	int (*query_rows)(hr_db *db, const char *sql,
			  const char *const *params, size_t n_params,
			  hr_rows *out, hr_error *err);
	/* A scratch database (db.h hr_db_open_scratch). */
	int (*open_scratch)(const hr_dburl *url, hr_db **out, hr_error *err);
	/* Optional: return the session to the state every migration starts
	 * from, undoing what the last one's SQL changed (settings, and
	 * outside a transaction also temporary objects, prepared
	 * statements, session locks). NULL where exec_script refuses such
	 * changes instead (SQLite). */
	int (*reset_session)(hr_db *db, hr_error *err);
	/* Optional: fail when a row breaks a foreign key (SQLite, whose
	 * enforcement a migration may turn off); NULL: the server always
	 * enforces them. */
	int (*check_foreign_keys)(hr_db *db, hr_error *err);
	/* Optional: copy the database into the (existing, empty) file at
	 * path / replace the database with the file's (db.h hr_db_backup,
	 * hr_db_restore); NULL where hrd leaves that to the database's own
	 * tools (PostgreSQL). */
	int (*backup)(hr_db *db, const char *path, hr_error *err);
	int (*restore)(hr_db *db, const char *path, hr_error *err);
	/* Statements turning foreign-key enforcement off and back on,
	 * outside a transaction; NULL where a migration cannot (PostgreSQL). */
	const char *foreign_keys_off_sql, *foreign_keys_on_sql;
	/* Optional: run stmts in order in one exchange with the server
	 * (they need no answer until the last is sent), filling each one's
	 * changes; the first failure in err (and, for a migration's
	 * statement, the hr_db's failed_line). Waits that hr_db_set_stop's
	 * question ends cancel a migration's statement, never a COMMIT.
	 * Without it nothing is deferred. */
	int (*exec_batch)(hr_db *db, hr_db_stmt *stmts, size_t n,
			  hr_error *err);
	int may_block;          /* calls can wait on the network */
	const char *begin_sql;  /* "BEGIN IMMEDIATE", "BEGIN" */
	const char *history_ddl; /* CREATE TABLE IF NOT EXISTS for history */
} hr_db_ops;

/* Every backend's handle starts with this. */
struct hr_db {
	const hr_db_ops *ops;
	int in_transaction;
	/* hr_db_set_stop's question, asked wherever a call waits (NULL:
	 * wait as long as the backend's own limit). */
	int (*should_stop)(void *ud, hr_error *err);
	void *stop_ud;
	/* hr_db_defer: statements held back until the commit. */
	int deferring;
	hr_db_stmt *deferred;
	size_t n_deferred, cap_deferred;
	size_t held_script_bytes; /* the migration statements' among them */
	/* hr_db_foreign_keys turned enforcement off (and not back on). */
	int foreign_keys_off;
	/* exec_batch sets it: the file line where the migration statement
	 * whose failure it reported failed; 0 when none did. */
	int failed_line;
};

/* The row-count check of a statement that must touch exactly one row
 * (what names it): 0, or HR_ABORTED "the table changed under us". */
int hr_db_check_one_row(const char *what, int64_t changes, hr_error *err);

/*
 * Hold sql back (deferring) or run it now; what as in hr_db_stmt. For
 * a backend's own statements that need no answer (a session reset).
 */
int hr_db_exec_deferrable(hr_db *db, const char *sql,
			  const char *const *params, size_t n_params,
			  const char *what, hr_error *err);

/* Hold back one of the backend's own statements without parameters
 * (BEGIN, a session reset); alone as in hr_db_stmt. Only while
 * deferring. */
int hr_db_hold(hr_db *db, const char *sql, int alone, hr_error *err);

/* Hold back a migration's statement text (malloc'ed; owned from now on,
 * freed on failure too), which starts on file line line; its failure is
 * reported with the line (hr_db_failed_line). Only while deferring. */
int hr_db_hold_script(hr_db *db, char *text, int line, hr_error *err);

extern const hr_db_ops hr_db_sqlite_ops;
extern const hr_db_ops hr_db_postgres_ops;

#endif
