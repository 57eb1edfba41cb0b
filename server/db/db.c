/*
 * db.c — the dialect-neutral half of the database layer: backend choice,
 * transactions, and the version and history tables, written once on top
 * of each backend's exec/query.
 */
#include "db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "log.h"

/* Every backend (backend.h has the recipe for adding one). */
static const hr_db_ops *const backends[] = {
	&hr_db_sqlite_ops,
	&hr_db_postgres_ops,
};

/* The backend for url's kind; NULL (and err) when there is none. */
static const hr_db_ops *backend_for(const hr_dburl *url, hr_error *err)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (backends[i]->kind == url->kind)
			return backends[i];
	hr_error_set(err, HR_INVALID_ARGUMENT, "unknown database kind");
	return NULL;
}

int hr_db_open(const hr_dburl *url, hr_db **out, hr_error *err)
{
	const hr_db_ops *ops = backend_for(url, err);

	return ops != NULL ? ops->open(url, out, err) : -HR_INVALID_ARGUMENT;
}

void hr_db_close(hr_db *db)
{
	if (db == NULL)
		return;
	hr_db_rollback(db); /* also drops what was held back */
	db->ops->close(db);
}

const char *hr_db_dialect(const hr_db *db)
{
	return db->ops->dialect;
}

int hr_db_may_block(const hr_db *db)
{
	return db->ops->may_block;
}

int hr_db_read_versions(hr_db *db, hr_strlist *out, hr_error *err)
{
	int exists = 0, rc;

	if (db->ops->read_versions != NULL) {
		rc = db->ops->read_versions(db, out, err);
		if (rc == 0)
			hr_strlist_sort(out);
		return rc;
	}
	rc = db->ops->table_exists(db, HR_VERSION_TABLE, &exists, err);
	if (rc < 0 || !exists)
		return rc;
	rc = db->ops->query_column(db, "SELECT version_num FROM " HR_VERSION_TABLE,
				   out, err);
	if (rc == 0)
		hr_strlist_sort(out);
	return rc;
}

int hr_db_begin(hr_db *db, hr_error *err)
{
	int rc = db->ops->exec(db, db->ops->begin_sql, NULL, 0, NULL, err);

	if (rc == 0)
		db->in_transaction = 1;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Deferred bookkeeping                                                */
/* ------------------------------------------------------------------ */

/* Forget what was held back (deferring stays as it is). */
static void drop_deferred(hr_db *db)
{
	for (size_t i = 0; i < db->n_deferred; i++) {
		for (size_t j = 0; j < db->deferred[i].n_params; j++)
			free(db->deferred[i].params[j]);
		free(db->deferred[i].text);
	}
	free(db->deferred);
	db->deferred = NULL;
	db->n_deferred = db->cap_deferred = 0;
	db->held_script_bytes = 0;
}

/* The end of a transaction ends holding back. */
static void stop_deferring(hr_db *db)
{
	drop_deferred(db);
	db->deferring = 0;
}

void hr_db_defer(hr_db *db)
{
	db->deferring = db->ops->exec_batch != NULL;
}

int hr_db_check_one_row(const char *what, int64_t changes, hr_error *err)
{
	if (changes == 1)
		return 0;
	return hr_error_set(err, HR_ABORTED,
			    "%s touched %" PRId64 " rows of " HR_VERSION_TABLE
			    " instead of 1; the table changed under us",
			    what, changes);
}

/* Send what was held back, then check each statement's row count. */
static int flush_deferred(hr_db *db, hr_error *err)
{
	int rc = 0;

	db->failed_line = 0;
	if (db->n_deferred > 0)
		rc = db->ops->exec_batch(db, db->deferred, db->n_deferred, err);
	for (size_t i = 0; i < db->n_deferred && rc == 0; i++)
		if (db->deferred[i].what != NULL)
			rc = hr_db_check_one_row(db->deferred[i].what,
						 db->deferred[i].changes, err);
	drop_deferred(db);
	return rc;
}

/* A new slot at the end of what is held back, zeroed; NULL when out of
 * memory. */
static hr_db_stmt *hold_slot(hr_db *db)
{
	if (db->n_deferred == db->cap_deferred) {
		size_t cap = db->cap_deferred ? 2 * db->cap_deferred : 8;
		hr_db_stmt *more = realloc(db->deferred, cap * sizeof *more);

		if (more == NULL)
			return NULL;
		db->deferred = more;
		db->cap_deferred = cap;
	}
	db->deferred[db->n_deferred] = (hr_db_stmt){0};
	return &db->deferred[db->n_deferred];
}

int hr_db_hold(hr_db *db, const char *sql, int alone, hr_error *err)
{
	hr_db_stmt *st = hold_slot(db);

	if (st == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	st->sql = sql;
	st->alone = alone;
	db->n_deferred++;
	return 0;
}

int hr_db_hold_script(hr_db *db, char *text, int line, hr_error *err)
{
	hr_db_stmt *st = hold_slot(db);

	if (st == NULL) {
		free(text);
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	}
	st->text = text;
	st->sql = text;
	st->line = line;
	db->n_deferred++;
	db->held_script_bytes += strlen(text);
	return 0;
}

int hr_db_exec_deferrable(hr_db *db, const char *sql,
			  const char *const *params, size_t n_params,
			  const char *what, hr_error *err)
{
	hr_db_stmt *st;
	int64_t changes = 0;
	int rc;

	if (!db->deferring) {
		rc = db->ops->exec(db, sql, params, n_params, &changes, err);
		return rc < 0 || what == NULL
			       ? rc
			       : hr_db_check_one_row(what, changes, err);
	}
	if (n_params > HR_DB_STMT_PARAMS)
		return hr_error_set(err, HR_INTERNAL,
				    "a deferred statement has %zu parameters, "
				    "more than %d",
				    n_params, HR_DB_STMT_PARAMS);
	if ((st = hold_slot(db)) == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	st->sql = sql;
	st->what = what;
	for (; st->n_params < n_params; st->n_params++) {
		const char *v = params[st->n_params];

		st->params[st->n_params] = v ? strdup(v) : NULL;
		if (v != NULL && st->params[st->n_params] == NULL) {
			for (size_t j = 0; j < st->n_params; j++)
				free(st->params[j]);
			return hr_error_set(err, HR_INTERNAL, "out of memory");
		}
	}
	db->n_deferred++;
	return 0;
}

int hr_db_flush(hr_db *db, hr_error *err)
{
	return db->deferring ? flush_deferred(db, err) : 0;
}

int hr_db_failed_line(const hr_db *db)
{
	return db->failed_line;
}

int hr_db_commit(hr_db *db, hr_error *err)
{
	int rc;

	/* The commit joins what was held back: one exchange for both. */
	if (db->deferring && db->n_deferred > 0) {
		rc = hr_db_exec_deferrable(db, "COMMIT", NULL, 0, NULL, err);
		if (rc == 0)
			rc = flush_deferred(db, err);
	} else {
		db->failed_line = 0;
		rc = db->ops->exec(db, "COMMIT", NULL, 0, NULL, err);
	}
	stop_deferring(db);

	/* A failed COMMIT leaves the transaction open on both backends
	 * until rolled back; the caller does that. */
	if (rc == 0)
		db->in_transaction = 0;
	return rc;
}

void hr_db_rollback(hr_db *db)
{
	hr_error err;

	stop_deferring(db);
	if (!db->in_transaction)
		return;
	db->in_transaction = 0;
	if (db->ops->rollback != NULL)
		db->ops->rollback(db);
	else if (db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, &err) < 0)
		hr_log(HR_LOG_WARN, "rollback failed: %s", err.msg);
}

int hr_db_lock(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
	       void *ud, hr_error *err)
{
	return db->ops->lock ? db->ops->lock(db, should_stop, ud, err) : 0;
}

void hr_db_set_stop(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
		    void *ud)
{
	db->should_stop = should_stop;
	db->stop_ud = ud;
}

void hr_db_get_stop(hr_db *db, int (**should_stop)(void *ud, hr_error *err),
		    void **ud)
{
	*should_stop = db->should_stop;
	*ud = db->stop_ud;
}

int hr_db_lock_check(hr_db *db, hr_error *err)
{
	return db->ops->lock_check ? db->ops->lock_check(db, err) : 0;
}

void hr_db_unlock(hr_db *db)
{
	if (db->ops->unlock != NULL)
		db->ops->unlock(db);
}

int hr_db_exec_script(hr_db *db, const char *sql, int first_line,
		      int *fail_line, hr_error *err)
{
	return db->ops->exec_script(db, sql, first_line, fail_line, err);
}

int hr_db_reset_session(hr_db *db, hr_error *err)
{
	return db->ops->reset_session ? db->ops->reset_session(db, err) : 0;
}

int hr_db_foreign_keys(hr_db *db, int on, hr_error *err)
{
	const char *sql = on ? db->ops->foreign_keys_on_sql
			     : db->ops->foreign_keys_off_sql;
	int rc = sql ? db->ops->exec(db, sql, NULL, 0, NULL, err) : 0;

	if (rc == 0 && sql != NULL)
		db->foreign_keys_off = !on;
	return rc;
}

int hr_db_check_foreign_keys(hr_db *db, hr_error *err)
{
	/* With enforcement on, the database checked every change (a
	 * deferred key at COMMIT): reading every referencing row again
	 * would cost a scan of them per step (230 ms on a 10 MiB SQLite
	 * database with a million such rows). */
	if (!db->foreign_keys_off || db->ops->check_foreign_keys == NULL)
		return 0;
	return db->ops->check_foreign_keys(db, err);
}

int hr_db_can_backup(const hr_db *db)
{
	return db->ops->backup != NULL;
}

int hr_db_backup(hr_db *db, const char *path, hr_error *err)
{
	if (db->ops->backup == NULL)
		return hr_error_set(err, HR_UNIMPLEMENTED,
				    "%s databases are not backed up by hrd",
				    db->ops->dialect);
	return db->ops->backup(db, path, err);
}

int hr_db_restore(hr_db *db, const char *path, hr_error *err)
{
	if (db->ops->restore == NULL)
		return hr_error_set(err, HR_UNIMPLEMENTED,
				    "%s databases are not restored by hrd",
				    db->ops->dialect);
	return db->ops->restore(db, path, err);
}

static int script_exec(hr_db *db, const char *sql, const char *const *params,
		       size_t n_params, int64_t *changes, hr_error *err);

/* Whether db is a script handle (hr_db_open_script). */
static int is_script(const hr_db *db)
{
	return db->ops->exec == script_exec;
}

/*
 * A history table made before downgrade_sql existed gets it, as a
 * nullable column at the end: older hrd versions and Alembic (which
 * ignores the table) are unaffected. Not on script handles, whose reads
 * see nothing (a script's CREATE TABLE has the column).
 */
static int add_downgrade_column(hr_db *db, hr_error *err)
{
	const char *params[] = {HR_HISTORY_TABLE};
	const char *probe =
		strcmp(db->ops->dialect, "sqlite") == 0
			? "SELECT 1 FROM pragma_table_info($1) "
			  "WHERE name = 'downgrade_sql'"
			/* The catalog itself: information_schema's view
			 * costs milliseconds on every upgrade. The table
			 * is the one the statements find (search_path). */
			: "SELECT 1 FROM pg_catalog.pg_attribute WHERE "
			  "attrelid = to_regclass($1) AND "
			  "attname = 'downgrade_sql' AND NOT attisdropped";
	hr_rows rows = {0};
	int rc;

	if (is_script(db) || db->ops->query_rows == NULL)
		return 0;
	rc = db->ops->query_rows(db, probe, params, 1, &rows, err);
	if (rc == 0 && rows.n_rows == 0)
		rc = db->ops->exec(db,
				   "ALTER TABLE " HR_HISTORY_TABLE
				   " ADD COLUMN downgrade_sql TEXT",
				   NULL, 0, NULL, err);
	hr_rows_free(&rows);
	return rc;
}

int hr_db_ensure_tables(hr_db *db, hr_error *err)
{
	/* Alembic's exact DDL, so either tool recognises the other's table. */
	static const char version_ddl[] =
		"CREATE TABLE IF NOT EXISTS " HR_VERSION_TABLE " ("
		"version_num VARCHAR(32) NOT NULL, "
		"CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))";
	int rc = db->ops->exec(db, version_ddl, NULL, 0, NULL, err);

	if (rc == 0)
		rc = db->ops->exec(db, db->ops->history_ddl, NULL, 0, NULL, err);
	if (rc == 0)
		rc = add_downgrade_column(db, err);
	return rc;
}

/* Run (or hold back: hr_db_defer) a version-table statement that must
 * touch exactly one row. */
static int exec_one_row(hr_db *db, const char *sql, const char *const *params,
			size_t n, const char *what, hr_error *err)
{
	return hr_db_exec_deferrable(db, sql, params, n, what, err);
}

int hr_db_version_insert(hr_db *db, const char *rev, hr_error *err)
{
	const char *params[] = {rev};

	return exec_one_row(db,
			    "INSERT INTO " HR_VERSION_TABLE
			    " (version_num) VALUES ($1)",
			    params, 1, "insert of a version row", err);
}

int hr_db_version_update(hr_db *db, const char *from, const char *to,
			 hr_error *err)
{
	const char *params[] = {to, from};

	return exec_one_row(db,
			    "UPDATE " HR_VERSION_TABLE
			    " SET version_num = $1 WHERE version_num = $2",
			    params, 2, "update of a version row", err);
}

int hr_db_version_delete(hr_db *db, const char *rev, hr_error *err)
{
	const char *params[] = {rev};

	return exec_one_row(db,
			    "DELETE FROM " HR_VERSION_TABLE
			    " WHERE version_num = $1",
			    params, 1, "delete of a version row", err);
}

int hr_db_version_delete_all(hr_db *db, hr_error *err)
{
	return db->ops->exec(db, "DELETE FROM " HR_VERSION_TABLE, NULL, 0,
			     NULL, err);
}

static void script_history_values(const hr_db *db, const char **params);

int hr_db_history_append(hr_db *db, const hr_history_entry *e, hr_error *err)
{
	char applied_at[64], duration[32], uid[32];
	struct timespec now;
	struct tm tm;
	const char *params[10];

	/* ISO 8601 UTC text: both dialects read it into their own type. */
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(applied_at, sizeof applied_at,
		 "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000);
	snprintf(duration, sizeof duration, "%.3f",
		 (double)e->duration_us / 1000.0);
	snprintf(uid, sizeof uid, "%" PRId64, e->peer_uid);
	params[0] = e->revision;
	params[1] = e->direction;
	params[2] = e->from_revisions;
	params[3] = e->to_revisions;
	params[4] = e->checksum;
	params[5] = e->message;
	params[6] = applied_at;
	params[7] = duration;
	params[8] = e->peer_uid < 0 ? NULL : uid;
	params[9] = e->downgrade_sql;
	script_history_values(db, params);
	if (is_script(db) || e->downgrade_sql == NULL)
		return hr_db_exec_deferrable(db,
					     "INSERT INTO " HR_HISTORY_TABLE
					     " (revision, direction, "
					     "from_revisions, to_revisions, "
					     "checksum, message, applied_at, "
					     "duration_ms, peer_uid) VALUES "
					     "($1, $2, $3, $4, $5, $6, $7, $8, "
					     "$9)",
					     params, 9, NULL, err);
	return hr_db_exec_deferrable(db,
				     "INSERT INTO " HR_HISTORY_TABLE
				     " (revision, direction, from_revisions, "
				     "to_revisions, checksum, message, "
				     "applied_at, duration_ms, peer_uid, "
				     "downgrade_sql) VALUES "
				     "($1, $2, $3, $4, $5, $6, $7, $8, $9, "
				     "$10)",
				     params, 10, NULL, err);
}

/* A malloc'ed copy of the cell s, SQL NULL read as "" (NULL: no memory). */
static char *dup_cell(const char *s)
{
	return strdup(s ? s : "");
}

int hr_db_history_downgrade(hr_db *db, const char *revision, char **sql,
			    char **from, char **to, char **applied_at,
			    hr_error *err)
{
	const char *params[] = {revision};
	hr_rows rows = {0};
	int exists = 0, rc;

	*sql = *from = *to = *applied_at = NULL;
	rc = db->ops->table_exists(db, HR_HISTORY_TABLE, &exists, err);
	if (rc == 0 && exists)
		rc = add_downgrade_column(db, err);
	if (rc == 0 && exists)
		rc = hr_db_query(db,
				 "SELECT downgrade_sql, from_revisions, "
				 "to_revisions, CAST(applied_at AS TEXT) FROM "
				 HR_HISTORY_TABLE " WHERE revision = $1 AND "
				 "direction = 'upgrade' ORDER BY id DESC "
				 "LIMIT 1",
				 params, 1, &rows, err);
	if (rc < 0) {
		hr_rows_free(&rows);
		return rc;
	}
	if (!exists || rows.n_rows == 0 || hr_rows_get(&rows, 0, 0) == NULL) {
		hr_rows_free(&rows);
		return hr_error_set(err, HR_NOT_FOUND,
				    "revision '%s' has no migration file and "
				    "no downgrade SQL recorded in "
				    HR_HISTORY_TABLE " (it was applied by "
				    "Alembic, stamped, or by an older hrd)",
				    revision);
	}
	*sql = dup_cell(hr_rows_get(&rows, 0, 0));
	*from = dup_cell(hr_rows_get(&rows, 0, 1));
	*to = dup_cell(hr_rows_get(&rows, 0, 2));
	*applied_at = dup_cell(hr_rows_get(&rows, 0, 3));
	hr_rows_free(&rows);
	if (*sql && *from && *to && *applied_at)
		return 0;
	free(*sql);
	free(*from);
	free(*to);
	free(*applied_at);
	*sql = *from = *to = *applied_at = NULL;
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
}

/* ------------------------------------------------------------------ */
/* History reads and offline scripts                                   */
/* ------------------------------------------------------------------ */

int hr_db_history_rows(hr_db *db, hr_history_which which, hr_rows *out,
		       hr_error *err)
{
	/* checksum is CHAR(64): PostgreSQL pads a shorter value with
	 * blanks, which rtrim takes off again (a SHA-256 hex has none). */
#define HISTORY_COLUMNS                                                      \
	"SELECT revision, direction, from_revisions, to_revisions, "         \
	"rtrim(checksum) FROM " HR_HISTORY_TABLE
	static const char *const sql[] = {
		[HR_HISTORY_ALL] = HISTORY_COLUMNS " ORDER BY id",
		[HR_HISTORY_LAST] = HISTORY_COLUMNS " ORDER BY id DESC LIMIT 1",
		[HR_HISTORY_CREDITS] =
			HISTORY_COLUMNS " WHERE direction = '"
			HR_OUTSIDE_DIRECTION "' OR id IN (SELECT max(id) FROM "
			HR_HISTORY_TABLE " WHERE direction = 'downgrade' OR "
			"(direction = 'upgrade' AND checksum IS NOT NULL) "
			"GROUP BY revision) ORDER BY id",
	};
#undef HISTORY_COLUMNS
	int exists = 0, rc;

	*out = (hr_rows){0};
	rc = db->ops->table_exists(db, HR_HISTORY_TABLE, &exists, err);
	if (rc < 0 || !exists)
		return rc;
	return hr_db_query(db, sql[which], NULL, 0, out, err);
}

/* A script larger than this is not a script anyone reviews. */
#define SCRIPT_MAX (64u * 1024 * 1024)

typedef struct script_db {
	hr_db base;
	hr_db_ops ops; /* like's dialect, our functions */
	char *buf;
	size_t len, cap;
} script_db;

/* applied_at is the moment the script runs, not when it was written. */
static const char script_now[] = "CURRENT_TIMESTAMP";

static int script_exec(hr_db *db, const char *sql, const char *const *params,
		       size_t n_params, int64_t *changes, hr_error *err);

/* In a script, a history row was applied when the script runs, took no
 * measured time, and has no peer. */
static void script_history_values(const hr_db *db, const char **params)
{
	if (db->ops->exec != script_exec)
		return;
	params[6] = script_now;
	params[7] = "0";
	params[8] = NULL;
}

static int script_put(hr_db *db, const char *s, size_t n, hr_error *err)
{
	script_db *sd = (script_db *)db;

	if (n > SCRIPT_MAX - sd->len)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "the sql script would exceed %u bytes",
				    SCRIPT_MAX);
	if (sd->len + n + 1 > sd->cap) {
		size_t cap = sd->cap ? sd->cap : 4096;
		char *buf;

		while (cap < sd->len + n + 1)
			cap *= 2;
		buf = realloc(sd->buf, cap);
		if (buf == NULL)
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
		sd->buf = buf;
		sd->cap = cap;
	}
	memcpy(sd->buf + sd->len, s, n);
	sd->len += n;
	sd->buf[sd->len] = '\0';
	return 0;
}

/* A parameter as an SQL literal: NULL, CURRENT_TIMESTAMP, or quoted text
 * with quotes doubled (standard SQL; PostgreSQL's standard strings). */
static int script_literal(hr_db *db, const char *v, hr_error *err)
{
	int rc = 0;

	if (v == NULL)
		return script_put(db, "NULL", 4, err);
	if (v == script_now)
		return script_put(db, v, strlen(v), err);
	rc = script_put(db, "'", 1, err);
	while (rc == 0 && *v != '\0') {
		size_t n = strcspn(v, "'");

		rc = script_put(db, v, n, err);
		v += n;
		if (rc == 0 && *v == '\'') {
			rc = script_put(db, "''", 2, err);
			v++;
		}
	}
	return rc == 0 ? script_put(db, "'", 1, err) : rc;
}

static int script_exec(hr_db *db, const char *sql, const char *const *params,
		       size_t n_params, int64_t *changes, hr_error *err)
{
	int rc = 0;

	while (rc == 0 && *sql != '\0') {
		size_t n = strcspn(sql, "$");
		char *end;
		unsigned long k;

		rc = script_put(db, sql, n, err);
		sql += n;
		if (rc < 0 || *sql == '\0')
			break;
		k = strtoul(sql + 1, &end, 10);
		if (end == sql + 1 || k == 0 || k > n_params) {
			rc = script_put(db, "$", 1, err);
			sql++;
			continue;
		}
		rc = script_literal(db, params[k - 1], err);
		sql = end;
	}
	if (rc == 0)
		rc = script_put(db, ";\n", 2, err);
	if (changes != NULL)
		*changes = 1;
	return rc;
}

static int script_query_column(hr_db *db, const char *sql, hr_strlist *out,
			       hr_error *err)
{
	(void)db;
	(void)sql;
	(void)out;
	(void)err;
	return 0;
}

static int script_table_exists(hr_db *db, const char *table, int *exists,
			       hr_error *err)
{
	(void)db;
	(void)table;
	(void)err;
	*exists = 0;
	return 0;
}

/* A migration section as written, without its blank edges. */
static int script_exec_script(hr_db *db, const char *sql, int first_line,
			      int *fail_line, hr_error *err)
{
	size_t end = strlen(sql);

	(void)first_line;
	(void)fail_line;
	while (*sql == '\n' || *sql == '\r' || *sql == ' ' || *sql == '\t')
		sql++, end--;
	while (end > 0 && (sql[end - 1] == '\n' || sql[end - 1] == '\r' ||
			   sql[end - 1] == ' ' || sql[end - 1] == '\t'))
		end--;
	if (end == 0)
		return 0;
	if (script_put(db, sql, end, err) < 0)
		return -(int)err->code;
	return script_put(db, "\n", 1, err);
}

static void script_rollback(hr_db *db)
{
	(void)db;
}

static void script_close(hr_db *db)
{
	script_db *sd = (script_db *)db;

	free(sd->buf);
	free(sd);
}

int hr_db_open_script(const hr_db *like, hr_db **out, hr_error *err)
{
	script_db *sd = calloc(1, sizeof *sd);

	*out = NULL;
	if (sd == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	sd->ops = (hr_db_ops){
		.dialect = like->ops->dialect,
		.close = script_close,
		.exec = script_exec,
		.query_column = script_query_column,
		.table_exists = script_table_exists,
		.exec_script = script_exec_script,
		.rollback = script_rollback,
		.begin_sql = like->ops->begin_sql,
		.foreign_keys_off_sql = like->ops->foreign_keys_off_sql,
		.foreign_keys_on_sql = like->ops->foreign_keys_on_sql,
		.history_ddl = like->ops->history_ddl,
	};
	sd->base.ops = &sd->ops;
	*out = &sd->base;
	return 0;
}

int hr_db_script_append(hr_db *db, const char *text, hr_error *err)
{
	return script_put(db, text, strlen(text), err);
}

char *hr_db_script_take(hr_db *db)
{
	script_db *sd = (script_db *)db;
	char *text = sd->buf != NULL ? sd->buf : strdup("");

	sd->buf = NULL;
	sd->len = sd->cap = 0;
	return text;
}

/* ------------------------------------------------------------------ */
/* Generic reads and scratch databases                                 */
/* ------------------------------------------------------------------ */

int hr_db_query(hr_db *db, const char *sql, const char *const *params,
		size_t n_params, hr_rows *out, hr_error *err)
{
	*out = (hr_rows){0};
	if (db->ops->query_rows == NULL)
		return hr_error_set(err, HR_UNIMPLEMENTED,
				    "%s handles cannot run queries",
				    db->ops->dialect);
	return db->ops->query_rows(db, sql, params, n_params, out, err);
}

const char *hr_rows_get(const hr_rows *rows, size_t row, size_t col)
{
	if (row >= rows->n_rows || col >= rows->n_cols)
		return NULL;
	return rows->cells[row * rows->n_cols + col];
}

void hr_rows_free(hr_rows *rows)
{
	for (size_t i = 0; i < rows->n_rows * rows->n_cols; i++)
		free(rows->cells[i]);
	free(rows->cells);
	*rows = (hr_rows){0};
}

int hr_db_open_scratch(const hr_dburl *url, hr_db **out, hr_error *err)
{
	const hr_db_ops *ops = backend_for(url, err);

	*out = NULL;
	if (ops == NULL)
		return -HR_INVALID_ARGUMENT;
	if (ops->open_scratch == NULL)
		return hr_error_set(err, HR_UNIMPLEMENTED,
				    "no scratch databases on %s",
				    ops->dialect);
	return ops->open_scratch(url, out, err);
}
