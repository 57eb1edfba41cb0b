/*
 * postgres.c — the PostgreSQL backend, on libpq.
 *
 * A handle talks to the server through up to two sessions: `main` runs
 * everything the hr_db_* functions ask for, and `lock` exists only to
 * hold the schema advisory lock beside it (db.h says why it must be a
 * session of its own). A session connects on first use, not at open, so
 * hrd starts whether or not the server is up; a session that fails to
 * connect is retried after a back-off (100 ms doubling to 2 s) and one
 * that is lost is reconnected on its next use, but never silently in
 * the middle of a transaction.
 *
 * Scripts run one statement at a time (sqlsplit.c): a failure names the
 * line of the statement, or of the error inside it, and CREATE INDEX
 * CONCURRENTLY runs on its own as it must.
 *
 * A scratch handle (hr_db_open_scratch) is one session connected at
 * once, inside one transaction for its whole life, with a schema of its
 * own first on the search path; the runner's transactions become
 * savepoints there, and closing it rolls everything back.
 *
 * The password travels in the URL to libpq and nowhere else: URLs are
 * printed redacted, and every message libpq hands us is scrubbed of the
 * password (as written in the URL and as decoded) before it goes on.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "pqapi.h"
#include "log.h"
#include "sqlsplit.h"

/* The advisory lock's key: "homerack" in ASCII, 0x686f6d657261636b. A
 * constant (not hashtext()) so that every server version and every
 * hrd agree on it, and pg_locks shows it as classid 0x686f6d65, objid
 * 0x7261636b. */
#define LOCK_KEY "7525474102034080619"
#define LOCK_POLL_MS 50
/* How often a statement that waits or runs asks whether to stop. */
#define STOP_POLL_MS 50
/* The most of a migration's SQL held back for one exchange (bytes): far
 * below a Unix or TCP socket's buffers. */
#define HELD_SCRIPT_MAX (64 * 1024)

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* What every session is set to on connecting, and again after a
 * migration: the history table's applied_at is written as UTC text. */
#define SESSION_SETUP "SET TIME ZONE 'UTC'"

/* libpq's connect_timeout unless the URL sets one (seconds). */
#define CONNECT_TIMEOUT "10"

typedef struct pg_session {
	const char *name; /* for logs: "connection", "lock connection" */
	PGconn *conn;
	uint64_t retry_at;   /* monotonic ms; no new attempt before */
	unsigned backoff_ms; /* the wait after the next failed attempt */
	int down;            /* the last attempt failed (logged once) */
	char down_msg[HR_ERROR_MSG_MAX];
} pg_session;

typedef struct pg_db {
	hr_db base;
	char *conninfo; /* the libpq URI, password included: libpq only */
	char *redacted;
	hr_strlist secrets; /* the password(s) as decoded and as spelled */
	char app_name[64];
	pg_session main, lock;
	int txn_lost;  /* main was lost inside a transaction not yet rolled
			  back: refuse everything but the rollback */
	int lock_held; /* the lock session holds the advisory lock */
	int scratch;   /* a scratch handle: main never reconnects */
	hr_error stopped; /* why should_stop cancelled a statement; 0: none */
	/* Scratch: enum types given values in the open step, to rebuild
	 * when it ends (launder_sql says why). */
	hr_strlist added_enums;
	/* Scratch: "SET LOCAL search_path TO hr_scratch_PID_N". */
	char scratch_path[96];
	/* The session reset after a step, held back to go out with the
	 * session's next statement (pg_reset_session). */
	int reset_pending;
} pg_db;

static int pg_exec_batch(hr_db *db, hr_db_stmt *stmts, size_t n,
			 hr_error *err);

/*
 * Send the held-back session reset (DISCARD ALL: temporary tables,
 * prepared statements, session locks; then the settings every session
 * starts with), followed by then (a statement of hrd's own, e.g. BEGIN)
 * when not NULL, in one exchange.
 */
static int send_reset(pg_db *p, const char *then, hr_error *err)
{
	hr_db_stmt stmts[3] = {{.sql = "DISCARD ALL", .alone = 1},
			       {.sql = SESSION_SETUP},
			       {.sql = then}};
	int rc;

	p->reset_pending = 0;
	rc = pg_exec_batch(&p->base, stmts, then ? 3 : 2, err);
	/* then ran after a failed reset (a Sync lies between): a BEGIN
	 * that the caller will take as failed must not stay open. */
	if (rc < 0 && then != NULL && p->main.conn != NULL &&
	    hr_pq.PQtransactionStatus(p->main.conn) != PQTRANS_IDLE)
		hr_pq.PQclear(hr_pq.PQexec(p->main.conn, "ROLLBACK"));
	return rc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* Messages: one line, no password                                      */
/* ------------------------------------------------------------------ */

/* A new copy of s with every occurrence of secret replaced by "***". */
static char *replace_all(const char *s, const char *secret)
{
	size_t n = strlen(secret), count = 0;
	const char *q;
	char *out, *o;

	for (q = s; (q = strstr(q, secret)) != NULL; q += n)
		count++;
	out = malloc(strlen(s) + count * 3 + 1);
	if (out == NULL)
		return NULL;
	for (o = out; (q = strstr(s, secret)) != NULL; s = q + n) {
		memcpy(o, s, (size_t)(q - s));
		o += q - s;
		memcpy(o, "***", 3);
		o += 3;
	}
	strcpy(o, s);
	return out;
}

/*
 * msg (from libpq or the server) made fit to print, into buf: the
 * password scrubbed out first (before anything can cut it in two), then
 * runs of white space — libpq's messages span lines — made one space.
 */
static const char *clean(const pg_db *p, const char *msg, char *buf,
			 size_t size)
{
	char *s = strdup(msg ? msg : ""), *r;
	size_t o = 0;
	int space = 0;

	for (size_t i = 0; s != NULL && i < p->secrets.n; i++) {
		r = replace_all(s, p->secrets.items[i]);
		free(s);
		s = r;
	}
	if (s == NULL) {
		snprintf(buf, size, "(message withheld: out of memory)");
		return buf;
	}
	for (const char *c = s; *c != '\0' && o + 1 < size; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			buf[o++] = ' ';
		space = 0;
		buf[o++] = *c;
	}
	buf[o] = '\0';
	free(s);
	return buf;
}

static void on_notice(void *arg, const char *message)
{
	char buf[HR_ERROR_MSG_MAX];

	hr_log(HR_LOG_DEBUG, "postgresql: %s", clean(arg, message, buf, sizeof buf));
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Canonical code for a SQLSTATE (NULL: no server error, e.g. a failure
 * on the client side of the connection). */
static hr_code code_for(const char *state)
{
	if (state == NULL || strlen(state) != 5)
		return HR_UNAVAILABLE;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "55P03") == 0)
		return HR_UNAVAILABLE; /* connection, shutdown, lock timeout */
	if (strcmp(state, "57014") == 0)
		return HR_DEADLINE_EXCEEDED; /* statement_timeout, cancel */
	if (strncmp(state, "53", 2) == 0)
		return HR_RESOURCE_EXHAUSTED;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "25", 2) == 0 ||
	    strncmp(state, "55", 2) == 0)
		return HR_FAILED_PRECONDITION; /* constraints, txn state */
	if (strcmp(state, "42501") == 0 || strncmp(state, "28", 2) == 0)
		return HR_PERMISSION_DENIED;
	if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0)
		return HR_DATA_LOSS;
	if (strncmp(state, "XX", 2) == 0)
		return HR_INTERNAL;
	return HR_ABORTED; /* syntax (42), data (22), conflicts (40), … */
}

static void session_drop(pg_session *s)
{
	hr_pq.PQfinish(s->conn);
	s->conn = NULL;
}

/* s's connection broke (why: libpq's account): forget it, and reconnect
 * at once on its next use. */
static int session_lost(pg_db *p, pg_session *s, const char *why,
			hr_error *err)
{
	char buf[HR_ERROR_MSG_MAX], *first = strdup(why ? why : "");

	/* The first line says why ("FATAL: terminating connection due to
	 * administrator command"); libpq's lines after it are generic. */
	if (first != NULL && first[0] != '\n')
		first[strcspn(first, "\n")] = '\0';
	hr_error_set(err, HR_UNAVAILABLE,
		     "database unavailable: lost the %s to %s: %s", s->name,
		     p->redacted,
		     clean(p, first ? first : "out of memory", buf, sizeof buf));
	free(first);
	hr_log(HR_LOG_WARN, "%s", err->msg);
	session_drop(s);
	s->retry_at = 0;
	s->backoff_ms = 0;
	if (s == &p->main && p->base.in_transaction)
		p->txn_lost = 1;
	if (s == &p->lock)
		p->lock_held = 0;
	return -(int)err->code;
}

/* A failed command on s: its result res (may be NULL) into err. */
static int fail(pg_db *p, pg_session *s, const PGresult *res, hr_error *err)
{
	const char *state = NULL, *primary = NULL, *detail = NULL;
	char buf[HR_ERROR_MSG_MAX], dbuf[HR_ERROR_MSG_MAX];

	if (hr_pq.PQstatus(s->conn) == CONNECTION_BAD)
		return session_lost(p, s, hr_pq.PQerrorMessage(s->conn), err);
	/* Cancelled by should_stop (main_exec): say why, not "canceling
	 * statement due to user request". */
	if (s == &p->main && p->stopped.code != HR_OK) {
		*err = p->stopped;
		hr_error_clear(&p->stopped);
		return -(int)err->code;
	}
	if (res != NULL) {
		state = hr_pq.PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = hr_pq.PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = hr_pq.PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (primary == NULL && hr_pq.PQresultStatus(res) != PGRES_FATAL_ERROR)
			primary = "unexpected reply from the server";
	}
	if (primary == NULL)
		primary = hr_pq.PQerrorMessage(s->conn);
	clean(p, primary, buf, sizeof buf);
	if (detail != NULL)
		return hr_error_set(err, code_for(state), "%s (%s)", buf,
				    clean(p, detail, dbuf, sizeof dbuf));
	return hr_error_set(err, code_for(state), "%s", buf);
}

static int result_ok(const PGresult *res)
{
	ExecStatusType st = hr_pq.PQresultStatus(res);

	return res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

/* Make s usable: keep a live connection, or connect (back-off allowing). */
static int session_open(pg_db *p, pg_session *s, hr_error *err)
{
	/* connect_timeout and client_encoding before dbname: the URL may
	 * override them; application_name after it, so holders of the
	 * schema lock can always be told apart. */
	const char *keys[] = {"connect_timeout", "client_encoding", "dbname",
			      "application_name", NULL};
	const char *vals[] = {CONNECT_TIMEOUT, "UTF8", p->conninfo, p->app_name,
			      NULL};
	char buf[HR_ERROR_MSG_MAX];
	uint64_t now = now_ms();
	PGresult *res;

	if (s->conn != NULL && hr_pq.PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (s->conn != NULL)
		session_drop(s);
	if (now < s->retry_at)
		return hr_error_set(err, HR_UNAVAILABLE, "%s", s->down_msg);
	s->conn = hr_pq.PQconnectdbParams(keys, vals, 1);
	if (s->conn != NULL && hr_pq.PQstatus(s->conn) == CONNECTION_OK) {
		hr_pq.PQsetNoticeProcessor(s->conn, on_notice, p);
		res = hr_pq.PQexec(s->conn, SESSION_SETUP);
		if (!result_ok(res)) {
			int rc = fail(p, s, res, err);

			hr_pq.PQclear(res);
			session_drop(s);
			return rc;
		}
		hr_pq.PQclear(res);
		if (s->down)
			hr_log(HR_LOG_INFO, "connected to %s again", p->redacted);
		s->down = 0;
		s->backoff_ms = 0;
		s->retry_at = 0;
		return 0;
	}
	snprintf(s->down_msg, sizeof s->down_msg,
		 "database unavailable: could not connect to %s: %s",
		 p->redacted,
		 s->conn ? clean(p, hr_pq.PQerrorMessage(s->conn), buf, sizeof buf)
			 : "out of memory");
	session_drop(s);
	s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS
			: s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							      : s->backoff_ms * 2;
	s->retry_at = now_ms() + s->backoff_ms;
	if (!s->down)
		hr_log(HR_LOG_WARN, "%s (will retry)", s->down_msg);
	s->down = 1;
	return hr_error_set(err, HR_UNAVAILABLE, "%s", s->down_msg);
}

/* The main session, ready for a statement (the held-back reset sent). */
static int main_ready(pg_db *p, hr_error *err)
{
	int rc;

	/* A scratch's work lives in its one transaction: a new session
	 * would find none of it. */
	if (p->scratch && (p->main.conn == NULL ||
			   hr_pq.PQstatus(p->main.conn) != CONNECTION_OK))
		return hr_error_set(err, HR_UNAVAILABLE,
				    "database unavailable: the scratch "
				    "connection to %s was lost, and its work "
				    "with it",
				    p->redacted);
	if (p->base.in_transaction &&
	    (p->main.conn == NULL || hr_pq.PQstatus(p->main.conn) != CONNECTION_OK))
		p->txn_lost = 1;
	if (p->txn_lost)
		return hr_error_set(err, HR_UNAVAILABLE,
				    "database unavailable: the connection to "
				    "%s was lost inside a transaction, which "
				    "the server rolled back",
				    p->redacted);
	if ((rc = session_open(p, &p->main, err)) < 0)
		return rc;
	return p->reset_pending ? send_reset(p, NULL, err) : 0;
}

/* ------------------------------------------------------------------ */
/* The backend                                                         */
/* ------------------------------------------------------------------ */

static void pg_close(hr_db *db)
{
	pg_db *p = (pg_db *)db;

	session_drop(&p->main);
	session_drop(&p->lock);
	hr_strlist_free(&p->added_enums);
	free(p->conninfo);
	free(p->redacted);
	hr_strlist_free(&p->secrets);
	free(p);
}

/* Longest first, so that scrubbing a password never leaves the tail of
 * a longer spelling that contains it. */
static void sort_longest_first(hr_strlist *l)
{
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = i; j > 0 && strlen(l->items[j]) >
					     strlen(l->items[j - 1]); j--) {
			char *t = l->items[j];

			l->items[j] = l->items[j - 1];
			l->items[j - 1] = t;
		}
}

static int pg_open(const hr_dburl *url, hr_db **out, hr_error *err)
{
	pg_db *p = calloc(1, sizeof *p);
	PQconninfoOption *opts;
	char *perr = NULL, host[64] = "";
	char buf[HR_ERROR_MSG_MAX];

	if (p == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	if (hr_pq_load(err) < 0) {
		free(p);
		return -(int)err->code;
	}
	p->base.ops = &hr_db_postgres_ops;
	p->main.name = "connection";
	p->lock.name = "lock connection";
	p->conninfo = strdup(url->conninfo);
	p->redacted = strdup(url->redacted);
	if (p->conninfo == NULL || p->redacted == NULL) {
		pg_close(&p->base);
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	}
	if (hr_dburl_secrets(p->conninfo, &p->secrets) < 0) {
		pg_close(&p->base);
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	}
	sort_longest_first(&p->secrets);
	/* Check the URL now: a typo is a configuration error hrd should
	 * refuse to start with, unlike a server that is not up yet. */
	opts = hr_pq.PQconninfoParse(p->conninfo, &perr);
	if (opts == NULL) {
		hr_error_set(err, HR_INVALID_ARGUMENT, "bad database url '%s': %s",
			     p->redacted,
			     perr ? clean(p, perr, buf, sizeof buf) : "out of memory");
		hr_pq.PQfreemem(perr);
		pg_close(&p->base);
		return -(int)err->code;
	}
	hr_pq.PQconninfoFree(opts);
	gethostname(host, sizeof host - 1);
	snprintf(p->app_name, sizeof p->app_name, "hrd %.40s pid %ld", host,
		 (long)getpid());
	*out = &p->base;
	return 0;
}

/* should_stop said stop (why in p->stopped): cancel what runs on the
 * main session, and say so in p->stopped. */
static void cancel_running(pg_db *p, int *asked)
{
	PGcancel *c = hr_pq.PQgetCancel(p->main.conn);
	hr_error stop = p->stopped;
	char why[256];

	*asked = 1;
	hr_error_set(&p->stopped, stop.code, "%s; the statement was cancelled",
		     stop.msg);
	if (c == NULL || !hr_pq.PQcancel(c, why, sizeof why))
		hr_log(HR_LOG_WARN, "cancelling a statement: %s",
		       c ? why : "out of memory");
	hr_pq.PQfreeCancel(c);
}

/*
 * PQexecParams on the main session (PQexec for a script's statement,
 * which may be anything the simple protocol takes), but one hr_db_set_stop's question can end: while the
 * statement waits (for a lock another session holds) or runs, it is
 * asked every STOP_POLL_MS, and when it says stop the statement is
 * cancelled on the server and p->stopped says why (fail reports it). A
 * COMMIT is never cancelled: once sent, its outcome must be the one
 * reported. Returns what PQexec would: the last result, NULL when out of
 * memory or the connection broke before one.
 */
static PGresult *main_exec(pg_db *p, const char *sql, int n_params,
			   const char *const *params, int script)
{
	PGconn *conn = p->main.conn;
	PGresult *res, *last = NULL;
	int asked = 0;

	hr_error_clear(&p->stopped);
	if (p->base.should_stop == NULL || strcmp(sql, "COMMIT") == 0)
		return script ? hr_pq.PQexec(conn, sql)
			      : hr_pq.PQexecParams(conn, sql, n_params, NULL,
						   params, NULL, NULL, 0);
	if (!(script ? hr_pq.PQsendQuery(conn, sql)
		     : hr_pq.PQsendQueryParams(conn, sql, n_params, NULL,
					       params, NULL, NULL, 0)))
		return NULL;
	for (;;) {
		struct pollfd pfd = {.fd = hr_pq.PQsocket(conn), .events = POLLIN};

		while (!hr_pq.PQisBusy(conn)) {
			ExecStatusType st;

			if ((res = hr_pq.PQgetResult(conn)) == NULL)
				return last;
			st = hr_pq.PQresultStatus(res);
			hr_pq.PQclear(last);
			last = res;
			/* As PQexec: COPY is the caller's to end. */
			if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
			    st == PGRES_COPY_BOTH)
				return last;
		}
		if (!asked && p->base.should_stop(p->base.stop_ud, &p->stopped))
			cancel_running(p, &asked);
		if (poll(&pfd, 1, STOP_POLL_MS) < 0 && errno != EINTR)
			break;
		if (!hr_pq.PQconsumeInput(conn))
			break;
	}
	/* The connection broke: what libpq has left says so. */
	while ((res = hr_pq.PQgetResult(conn)) != NULL) {
		hr_pq.PQclear(last);
		last = res;
	}
	return last;
}

static int pg_exec(hr_db *db, const char *sql, const char *const *params,
		   size_t n_params, int64_t *changes, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	PGresult *res;
	int rc;

	/* A step's BEGIN carries the reset after the step before; held
	 * back (hr_db_defer), both wait for the step's first exchange. */
	if (!db->in_transaction && strcmp(sql, db->ops->begin_sql) == 0) {
		if (db->deferring) {
			rc = 0;
			if (p->reset_pending &&
			    ((rc = hr_db_hold(db, "DISCARD ALL", 1, err)) < 0 ||
			     (rc = hr_db_hold(db, SESSION_SETUP, 0, err)) < 0))
				return rc;
			p->reset_pending = 0;
			return hr_db_hold(db, sql, 0, err);
		}
		if (p->reset_pending)
			return send_reset(p, sql, err);
	}
	if ((rc = main_ready(p, err)) < 0)
		return rc;
	res = main_exec(p, sql, (int)n_params, params, 0);
	if (!result_ok(res)) {
		rc = fail(p, &p->main, res, err);
	} else if (strcmp(sql, "COMMIT") == 0 &&
		   strcmp(hr_pq.PQcmdStatus(res), "ROLLBACK") == 0) {
		/* COMMIT of a failed transaction "succeeds" as a rollback. */
		rc = hr_error_set(err, HR_ABORTED,
				  "the transaction had failed and was rolled "
				  "back instead of committed");
	} else if (changes != NULL) {
		*changes = strtoll(hr_pq.PQcmdTuples(res), NULL, 10);
	}
	hr_pq.PQclear(res);
	return rc;
}

static void pg_rollback(hr_db *db)
{
	pg_db *p = (pg_db *)db;
	hr_error err;
	PGresult *res;

	if (p->txn_lost) { /* the server rolled it back with the session */
		p->txn_lost = 0;
		return;
	}
	if (p->main.conn == NULL)
		return;
	/* A reset held back with the BEGIN may not have gone out. */
	p->reset_pending = 1;
	res = hr_pq.PQexec(p->main.conn, "ROLLBACK");
	if (!result_ok(res)) {
		fail(p, &p->main, res, &err);
		hr_log(HR_LOG_WARN, "rollback failed: %s", err.msg);
	}
	hr_pq.PQclear(res);
}

static int pg_query_column(hr_db *db, const char *sql, hr_strlist *out,
			   hr_error *err)
{
	pg_db *p = (pg_db *)db;
	PGresult *res;
	int rc;

	if ((rc = main_ready(p, err)) < 0)
		return rc;
	res = main_exec(p, sql, 0, NULL, 0);
	if (!result_ok(res)) {
		rc = fail(p, &p->main, res, err);
		hr_pq.PQclear(res);
		return rc;
	}
	for (int i = 0; i < hr_pq.PQntuples(res); i++) {
		if (hr_strlist_push(out, hr_pq.PQgetvalue(res, i, 0)) < 0) {
			rc = hr_error_set(err, HR_INTERNAL, "out of memory");
			break;
		}
	}
	hr_pq.PQclear(res);
	return rc;
}

static int pg_table_exists(hr_db *db, const char *table, int *exists,
			   hr_error *err)
{
	pg_db *p = (pg_db *)db;
	const char *params[] = {table};
	PGresult *res;
	int rc;

	if ((rc = main_ready(p, err)) < 0)
		return rc;
	/* to_regclass follows search_path: the table an unqualified
	 * "alembic_version" means, as Alembic finds it. */
	res = main_exec(p, "SELECT to_regclass($1) IS NOT NULL", 1, params, 0);
	if (!result_ok(res) || hr_pq.PQntuples(res) != 1) {
		rc = fail(p, &p->main, res, err);
		hr_pq.PQclear(res);
		return rc;
	}
	*exists = strcmp(hr_pq.PQgetvalue(res, 0, 0), "t") == 0;
	hr_pq.PQclear(res);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scripts                                                             */
/* ------------------------------------------------------------------ */

static int count_lines(const char *from, const char *to)
{
	int n = 0;

	for (; from < to; from++)
		n += *from == '\n';
	return n;
}

/* Lines before character pos (1-based, as the server counts: characters,
 * not bytes, in UTF-8) of stmt: where inside the statement it failed. */
static int lines_before(const char *stmt, long pos)
{
	int lines = 0;

	for (const char *c = stmt; *c != '\0' && pos > 1; c++) {
		if (((unsigned char)*c & 0xc0) != 0x80)
			pos--;
		lines += *c == '\n';
	}
	return lines;
}

/* Whether stmt controls transactions (BEGIN, COMMIT, …): hrd owns them. */
static int is_transaction_control(const char *stmt)
{
	static const char *const words[] = {"begin", "start", "commit", "end",
					    "abort", "rollback"};
	size_t n = strspn(stmt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	const char *next = stmt + n + strspn(stmt + n, " \t\r\n");

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strlen(words[i]) == n && strncasecmp(stmt, words[i], n) == 0)
			/* ROLLBACK TO SAVEPOINT stays inside the transaction. */
			return !(i == 5 && strncasecmp(next, "to", 2) == 0);
	return 0;
}

/* COPY … FROM STDIN / TO STDOUT would wait for data we do not have. */
static void refuse_copy(PGconn *conn, PGresult *res)
{
	char *row;

	if (hr_pq.PQresultStatus(res) == PGRES_COPY_IN)
		hr_pq.PQputCopyEnd(conn, "COPY with STDIN is not supported in migrations");
	else
		while (hr_pq.PQgetCopyData(conn, &row, 0) > 0)
			hr_pq.PQfreemem(row);
	while ((res = hr_pq.PQgetResult(conn)) != NULL)
		hr_pq.PQclear(res);
}

/* A migration's statement stmt failed with res: its message in err,
 * and in *line_offset the line within stmt where the server located the
 * error (0 when it did not). */
static int statement_failed(pg_db *p, const char *stmt, const PGresult *res,
			    int *line_offset, hr_error *err)
{
	const char *pos = NULL, *state = NULL;
	int rc;

	if (res != NULL) {
		pos = hr_pq.PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		state = hr_pq.PQresultErrorField(res, PG_DIAG_SQLSTATE);
	}
	*line_offset = pos ? lines_before(stmt, strtol(pos, NULL, 10)) : 0;
	rc = fail(p, &p->main, res, err);
	if (p->base.in_transaction && state != NULL &&
	    strcmp(state, "25001") == 0) {
		hr_error inner = *err;

		rc = hr_error_set(err, inner.code,
				  "%s (statements like this one need a "
				  "migration with `transactional: false`)",
				  inner.msg);
	}
	return rc;
}

/*
 * Whether a migration's statement may wait in a pipeline behind others
 * (hr_db_defer): one that cannot end hrd's transaction, wants no data
 * from the client and answers with a line, not rows (which the server
 * could not send while hrd still sends), known by its first word.
 * Anything else (COPY, PREPARE TRANSACTION, SELECT, VACUUM, what hrd
 * does not know) runs on its own, where its effect on the transaction
 * is checked at once.
 */
static int may_wait_in_pipeline(const char *stmt)
{
	static const char *const words[] = {
		"alter", "analyze", "comment", "create", "delete", "do",
		"drop",  "grant",   "insert",  "lock",   "revoke", "set",
		"truncate", "update",
	};
	size_t n = strspn(stmt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strlen(words[i]) == n && strncasecmp(stmt, words[i], n) == 0)
			return 1;
	return 0;
}

/* One statement of a script; *line_offset gets the line within it
 * where the server located an error. */
static int run_statement(pg_db *p, const char *stmt, int *line_offset,
			 hr_error *err)
{
	PGconn *conn = p->main.conn;
	PGTransactionStatusType want = p->base.in_transaction || p->scratch
					       ? PQTRANS_INTRANS
					       : PQTRANS_IDLE;
	PGresult *res;
	int rc = 0;

	*line_offset = 0;
	if (is_transaction_control(stmt))
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "transaction control statements are not "
				    "allowed in a migration: hrd runs each "
				    "migration in its own transaction");
	res = main_exec(p, stmt, 0, NULL, 1);
	switch (hr_pq.PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		refuse_copy(conn, res);
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "COPY from STDIN or to STDOUT is not "
				  "supported in migrations");
		break;
	default:
		rc = statement_failed(p, stmt, res, line_offset, err);
	}
	hr_pq.PQclear(res);
	if (rc == 0 && hr_pq.PQtransactionStatus(conn) != want) {
		/* Something that slipped past is_transaction_control. */
		if (want == PQTRANS_IDLE)
			hr_pq.PQclear(hr_pq.PQexec(conn, "ROLLBACK"));
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "the statement changed the transaction "
				  "state: hrd runs each migration in its own "
				  "transaction");
	}
	return rc;
}

/* The next word of s (letters and '_') after blanks: *len gets its
 * length (0 at the end or before anything else). */
static char *next_word(char *s, size_t *len)
{
	s += strspn(s, " \t\r\n");
	*len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
	return s;
}

static int word_is(const char *w, size_t len, const char *keyword)
{
	return len == strlen(keyword) && strncasecmp(w, keyword, len) == 0;
}

/*
 * A scratch runs everything inside one transaction, where CREATE INDEX
 * CONCURRENTLY and DROP INDEX CONCURRENTLY are refused: blank the word
 * out of stmt (in place, so the server's error positions still match
 * the text), leaving the plain statement, which builds the same index.
 */
static void drop_concurrently(char *stmt)
{
	size_t len;
	char *w = next_word(stmt, &len);
	int create = word_is(w, len, "create");

	if (!create && !word_is(w, len, "drop"))
		return;
	w = next_word(w + len, &len);
	if (create && word_is(w, len, "unique"))
		w = next_word(w + len, &len);
	if (!word_is(w, len, "index"))
		return;
	w = next_word(w + len, &len);
	if (word_is(w, len, "concurrently"))
		memset(w, ' ', len);
}

/*
 * Whether stmt controls the transaction (BEGIN, COMMIT, ROLLBACK, ...).
 * On a scratch such a statement would end the one transaction that
 * keeps the scratch's work from the real database (what follows a
 * COMMIT would run outside it, on the default search_path): refused.
 */
static const char *transaction_control(char *stmt)
{
	static const char *const words[] = {
		"begin", "start",   "commit",   "end",  "rollback",
		"abort", "prepare", "savepoint", "release",
	};
	size_t len;
	char *w = next_word(stmt, &len);

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (word_is(w, len, words[i]))
			return words[i];
	return NULL;
}

/* A name part at s (an identifier or a "quoted" one): its length. */
static size_t name_part(const char *s)
{
	size_t n = 0;

	if (s[0] != '"')
		return strspn(s, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
	for (n = 1; s[n] != '\0'; n++)
		if (s[n] == '"' && s[++n] != '"')
			return n;
	return 0; /* unterminated */
}

/* For `ALTER TYPE name ADD VALUE ...`: a copy of name as written
 * (possibly qualified and quoted); else NULL. */
static char *enum_added_to(char *stmt)
{
	size_t len, n;
	char *w = next_word(stmt, &len), *name;

	if (!word_is(w, len, "alter"))
		return NULL;
	w = next_word(w + len, &len);
	if (!word_is(w, len, "type"))
		return NULL;
	name = w + len + strspn(w + len, " \t\r\n");
	for (n = 0;;) {
		size_t part = name_part(name + n);

		if (part == 0)
			return NULL;
		n += part;
		if (name[n] != '.')
			break;
		n++;
	}
	w = next_word(name + n, &len);
	if (!word_is(w, len, "add"))
		return NULL;
	w = next_word(w + len, &len);
	return word_is(w, len, "value") ? strndup(name, n) : NULL;
}

/*
 * PostgreSQL refuses to use an enum value added by ALTER TYPE ... ADD
 * VALUE until the transaction that added it commits, and a scratch
 * never commits: a replay whose later migration uses the value would
 * fail where the real upgrade works. So on a scratch the type is rebuilt
 * where a real COMMIT would have been (the end of a step, or at once
 * outside one), with the same labels in the same order (values a CREATE
 * TYPE made are usable at once) and its columns cast over, defaults
 * kept. Until then the value is as unusable as on a real database.
 * Columns of arrays of the type, or views and functions using it, make
 * the rebuild fail with the server's message.
 */
static const char launder_sql[] =
	"DO $hr$\n"
	"DECLARE\n"
	"  old regtype := to_regtype(%s);\n"
	"  nsp text; typ text; labels text; r record;\n"
	"  rels text[] := '{}'; cols text[] := '{}'; defs text[] := '{}';\n"
	"BEGIN\n"
	"  IF old IS NULL THEN RETURN; END IF; -- dropped or renamed since\n"
	"  SELECT n.nspname, t.typname INTO nsp, typ FROM pg_type t\n"
	"    JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = old;\n"
	"  SELECT string_agg(quote_literal(enumlabel), ', '\n"
	"    ORDER BY enumsortorder) INTO labels FROM pg_enum\n"
	"    WHERE enumtypid = old;\n"
	"  FOR r IN SELECT a.attrelid::regclass::text AS rel, a.attname::text\n"
	"      AS col, pg_get_expr(d.adbin, d.adrelid) AS def\n"
	"    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid\n"
	"    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid\n"
	"      AND d.adnum = a.attnum\n"
	"    WHERE a.atttypid = old AND a.attnum > 0 AND NOT a.attisdropped\n"
	"      AND c.relkind IN ('r', 'p') LOOP\n"
	"    rels := rels || r.rel; cols := cols || r.col; defs := defs || r.def;\n"
	"  END LOOP;\n"
	"  EXECUTE format('ALTER TYPE %%I.%%I RENAME TO %%I', nsp, typ,\n"
	"    typ || '_hr_scratch');\n"
	"  EXECUTE format('CREATE TYPE %%I.%%I AS ENUM (%%s)', nsp, typ, labels);\n"
	"  FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP\n"
	"    IF defs[i] IS NOT NULL THEN\n"
	"      EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I DROP DEFAULT',\n"
	"        rels[i], cols[i]);\n"
	"    END IF;\n"
	"    EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I TYPE %%I.%%I '\n"
	"      'USING %%I::text::%%I.%%I', rels[i], cols[i], nsp, typ, cols[i],\n"
	"      nsp, typ);\n"
	"    IF defs[i] IS NOT NULL THEN\n"
	"      EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I SET DEFAULT %%s',\n"
	"        rels[i], cols[i], defs[i]);\n"
	"    END IF;\n"
	"  END LOOP;\n"
	"  EXECUTE format('DROP TYPE %%I.%%I', nsp, typ || '_hr_scratch');\n"
	"END $hr$";

static int launder_enum(pg_db *p, const char *type, hr_error *err)
{
	size_t n = strlen(type);
	char *lit = malloc(2 * n + 3), *sql, *o = lit;
	int rc;

	if (lit == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	*o++ = '\'';
	for (const char *c = type; *c != '\0'; c++) {
		if (*c == '\'')
			*o++ = '\'';
		*o++ = *c;
	}
	*o++ = '\'';
	*o = '\0';
	sql = malloc(sizeof launder_sql + strlen(lit));
	if (sql == NULL) {
		free(lit);
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	}
	sprintf(sql, launder_sql, lit);
	rc = pg_exec(&p->base, sql, NULL, 0, NULL, err);
	free(sql);
	free(lit);
	return rc;
}

static int pg_exec_script(hr_db *db, const char *sql, int first_line,
			  int *fail_line, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	const char *pos = sql, *counted = sql;
	int line = first_line, offset, rc;
	hr_sql_stmt st;

	while (hr_sql_next(&pos, &st)) {
		char *stmt, *added;

		line += count_lines(counted, st.start);
		counted = st.start;
		*fail_line = line;
		if ((rc = main_ready(p, err)) < 0)
			return rc;
		stmt = strndup(st.start, st.len);
		if (stmt == NULL)
			return hr_error_set(err, HR_INTERNAL, "out of memory");
		if (p->scratch && transaction_control(stmt) != NULL) {
			rc = hr_error_set(err, HR_INVALID_ARGUMENT,
					  "%s refused on a scratch database "
					  "(it would end the transaction that "
					  "keeps scratch work from the real "
					  "database)",
					  transaction_control(stmt));
			free(stmt);
			return rc;
		}
		if (p->scratch)
			drop_concurrently(stmt);
		/* What is held back fits the socket's buffers, so sending it
		 * never waits for the server to read while the server waits
		 * for us to read its results. */
		if (db->deferring && !is_transaction_control(stmt) &&
		    may_wait_in_pipeline(stmt) &&
		    db->held_script_bytes + st.len <= HELD_SCRIPT_MAX) {
			rc = hr_db_hold_script(db, stmt, line, err);
			if (rc < 0)
				return rc;
			continue;
		}
		/* What waits goes first, and its failure is its own. */
		if ((rc = hr_db_flush(db, err)) < 0) {
			if (db->failed_line > 0)
				*fail_line = db->failed_line;
			free(stmt);
			return rc;
		}
		rc = run_statement(p, stmt, &offset, err);
		if (rc == 0 && p->scratch &&
		    (added = enum_added_to(stmt)) != NULL) {
			if (!p->base.in_transaction)
				rc = launder_enum(p, added, err);
			else if (hr_strlist_push(&p->added_enums, added) < 0)
				rc = hr_error_set(err, HR_INTERNAL,
						  "out of memory");
			free(added);
		}
		free(stmt);
		if (rc < 0) {
			*fail_line = line + offset;
			return rc;
		}
	}
	return 0;
}

/*
 * A statement that must touch one row (stmt->what), sent in a batch
 * whose COMMIT follows it: the check cannot wait for the answer, so the
 * server makes it, failing the statement (division by zero, which the
 * batch reads back as "touched 0 rows") unless exactly one row was
 * touched; the failure then skips the COMMIT. A data-modifying WITH
 * always runs to the end. NULL when out of memory.
 */
static char *one_row_or_fail(const hr_db_stmt *stmt)
{
	static const char shape[] =
		"WITH touched AS (%s RETURNING 1) "
		"SELECT 1 / (count(*) = 1)::int FROM touched";
	size_t n = sizeof shape + strlen(stmt->sql);
	char *sql = malloc(n);

	if (sql != NULL)
		snprintf(sql, n, shape, stmt->sql);
	return sql;
}

/* Whether stmts[i] is followed by a COMMIT within the n of the batch. */
static int commit_follows(const hr_db_stmt *stmts, size_t i, size_t n)
{
	while (++i < n)
		if (strcmp(stmts[i].sql, "COMMIT") == 0)
			return 1;
	return 0;
}

/* Whether a batch may be cancelled while it waits: only one that
 * carries a migration's statements (which may wait for locks) and no
 * COMMIT (whose outcome, once sent, must be the one reported). */
static int may_cancel(const hr_db_stmt *stmts, size_t n)
{
	int script = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(stmts[i].sql, "COMMIT") == 0)
			return 0;
		script |= stmts[i].line > 0;
	}
	return script;
}

/* Whether res, the result of st (sent as checked: see one_row_or_fail),
 * is a success; its row count into st->changes when it is. */
static int batch_ok(hr_db_stmt *st, int checked, PGresult *res)
{
	if (st->line > 0 && hr_pq.PQresultStatus(res) == PGRES_EMPTY_QUERY)
		return 1;
	if (!result_ok(res))
		return 0;
	st->changes = checked ? 1 : strtoll(hr_pq.PQcmdTuples(res), NULL, 10);
	/* COMMIT of a failed transaction "succeeds" as a rollback. */
	return strcmp(st->sql, "COMMIT") != 0 ||
	       strcmp(hr_pq.PQcmdStatus(res), "ROLLBACK") != 0;
}

/* The failure in err of a batch whose first bad result was res, for st
 * (NULL: a Sync's), once the batch is read to its end (so a connection
 * the server ended is known as lost): a migration's statement with its
 * file line in failed_line. */
static int batch_failed(pg_db *p, const hr_db_stmt *st, int checked,
			const PGresult *res, hr_error *err)
{
	const char *state = hr_pq.PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int offset, rc;

	if (st != NULL && st->line > 0 &&
	    hr_pq.PQstatus(p->main.conn) != CONNECTION_BAD) {
		rc = statement_failed(p, st->text, res, &offset, err);
		p->base.failed_line = st->line + offset;
		return rc;
	}
	if (st != NULL && checked && state != NULL && strcmp(state, "22012") == 0)
		return hr_db_check_one_row(st->what, 0, err);
	if (st != NULL && result_ok(res))
		return hr_error_set(err, HR_ABORTED,
				    "the transaction had failed and was "
				    "rolled back instead of committed");
	return fail(p, &p->main, res, err);
}

/*
 * The next result of the pipeline on the main session. With cancel,
 * hr_db_set_stop's question is asked while it waits, and a stop cancels
 * the statement running on the server (once; p->stopped says why, as
 * in main_exec). NULL where libpq has none: between statements, or the
 * connection broke.
 */
static PGresult *pipeline_result(pg_db *p, int cancel, int *asked)
{
	PGconn *conn = p->main.conn;

	while (cancel && p->base.should_stop != NULL && hr_pq.PQisBusy(conn)) {
		struct pollfd pfd = {.fd = hr_pq.PQsocket(conn), .events = POLLIN};

		if (!*asked && p->base.should_stop(p->base.stop_ud, &p->stopped))
			cancel_running(p, asked);
		if (poll(&pfd, 1, STOP_POLL_MS) < 0 && errno != EINTR)
			break;
		if (!hr_pq.PQconsumeInput(conn))
			break;
	}
	return hr_pq.PQgetResult(conn);
}

/*
 * Statements that need no answer until the last, in one exchange:
 * libpq's pipeline mode sends them all, then reads every result. One
 * Sync ends the lot, and one follows each statement marked alone (which
 * then runs in no implicit transaction with the next: DISCARD ALL
 * refuses to share one). After a failure the server skips the rest up
 * to the next Sync ("aborted" results), or, inside a transaction, fails
 * them; a COMMIT among them is then not run. The first failure goes to
 * err; every statement that ran gets its row count.
 */
static int pg_exec_batch(hr_db *db, hr_db_stmt *stmts, size_t n,
			 hr_error *err)
{
	pg_db *p = (pg_db *)db;
	int rc, cancel, asked = 0;
	size_t i, bad_at = 0;
	PGconn *conn;
	PGresult *bad = NULL;
	unsigned char *checked = calloc(n ? n : 1, 1);

	if (checked == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if ((rc = main_ready(p, err)) < 0) {
		free(checked);
		return rc;
	}
	conn = p->main.conn;
	if (!hr_pq.PQenterPipelineMode(conn)) {
		free(checked);
		return fail(p, &p->main, NULL, err);
	}
	for (i = 0; i < n; i++) {
		char *wrapped = NULL;
		int sent;

		if (stmts[i].what != NULL && commit_follows(stmts, i, n)) {
			if ((wrapped = one_row_or_fail(&stmts[i])) == NULL)
				break;
			checked[i] = 1;
		}
		sent = hr_pq.PQsendQueryParams(conn, wrapped ? wrapped
							     : stmts[i].sql,
					       (int)stmts[i].n_params, NULL,
					       (const char *const *)stmts[i].params,
					       NULL, NULL, 0);
		free(wrapped);
		if (!sent || ((stmts[i].alone || i + 1 == n) &&
			      !hr_pq.PQpipelineSync(conn)))
			break;
	}
	if (i < n) {
		/* Half a pipeline sent: the session cannot be trusted (nor
		 * its transaction); a new one replaces it. */
		rc = fail(p, &p->main, NULL, err);
		if (p->main.conn != NULL) {
			session_drop(&p->main);
			if (db->in_transaction)
				p->txn_lost = 1;
		}
		free(checked);
		return rc;
	}
	cancel = may_cancel(stmts, n);
	hr_error_clear(&p->stopped);
	/* Read to the end before judging the first failure: a server that
	 * ended the session sends its reason before libpq knows it lost. */
	for (i = 0; i < n; i++) {
		PGresult *res = pipeline_result(p, cancel, &asked);

		if (res == NULL) /* the connection broke */
			break;
		if (bad == NULL && !batch_ok(&stmts[i], checked[i], res)) {
			bad = res;
			bad_at = i;
		} else {
			hr_pq.PQclear(res);
		}
		/* The end of this statement's results, then its Sync's. */
		while ((res = pipeline_result(p, cancel, &asked)) != NULL)
			hr_pq.PQclear(res);
		if (hr_pq.PQstatus(conn) == CONNECTION_BAD)
			break;
		if (stmts[i].alone || i + 1 == n) {
			res = pipeline_result(p, cancel, &asked);
			if (bad == NULL &&
			    hr_pq.PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
				bad = res;
				bad_at = n;
			} else {
				hr_pq.PQclear(res);
			}
		}
	}
	if (bad != NULL)
		rc = batch_failed(p, bad_at < n ? &stmts[bad_at] : NULL,
				  bad_at < n && checked[bad_at], bad, err);
	else if (i < n || hr_pq.PQstatus(conn) == CONNECTION_BAD)
		rc = fail(p, &p->main, NULL, err);
	hr_pq.PQclear(bad);
	free(checked);
	if (p->main.conn != NULL && !hr_pq.PQexitPipelineMode(conn) && rc == 0)
		rc = fail(p, &p->main, NULL, err);
	return rc;
}

/*
 * Undo what a migration left on the session: inside its transaction
 * RESET ALL (SET, SET ROLE, search_path, timeouts: hrd's own statements
 * after it run as on a fresh session), outside one DISCARD ALL (also
 * temporary tables, prepared statements, cursors, LISTEN and session
 * advisory locks; the schema lock lives on another session). Then the
 * settings every session starts with.
 */
static int pg_reset_session(hr_db *db, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	int rc;

	/* In a step's transaction, held back until its commit (hr_db_defer)
	 * or run now; outside one, held back until the session's next
	 * statement (the next step's BEGIN), which it joins. */
	if (db->in_transaction) {
		if ((rc = hr_db_exec_deferrable(db, "RESET ALL", NULL, 0, NULL,
						err)) < 0)
			return rc;
		return hr_db_exec_deferrable(db, SESSION_SETUP, NULL, 0, NULL,
					     err);
	}
	p->reset_pending = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The schema lock                                                     */
/* ------------------------------------------------------------------ */

/* One query on the lock session; *out is its result on success. */
static int lock_query(pg_db *p, const char *sql, PGresult **out, hr_error *err)
{
	PGresult *res;
	int rc;

	*out = NULL;
	if ((rc = session_open(p, &p->lock, err)) < 0)
		return rc;
	res = hr_pq.PQexec(p->lock.conn, sql);
	if (!result_ok(res)) {
		rc = fail(p, &p->lock, res, err);
		hr_pq.PQclear(res);
		return rc;
	}
	*out = res;
	return 0;
}

/* Who holds the lock, for people: its application_name (another hrd
 * names its host and pid there), backend pid, client and role. */
static void describe_holder(pg_db *p, char *buf, size_t size)
{
	static const char sql[] =
		"SELECT l.pid, coalesce(a.application_name, ''), "
		"CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) "
		"WHEN a.client_port = -1 THEN 'local socket' "
		"ELSE 'unknown client' END, coalesce(a.usename::text, '?') "
		"FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
		"AND l.database = (SELECT oid FROM pg_database "
		"WHERE datname = current_database()) "
		"AND l.classid = (" LOCK_KEY "::bigint >> 32)::oid "
		"AND l.objid = (" LOCK_KEY "::bigint & 4294967295)::oid LIMIT 1";
	PGresult *res;
	hr_error err;

	if (lock_query(p, sql, &res, &err) < 0) {
		snprintf(buf, size, "another session (cannot tell which: %.200s)",
			 err.msg);
		return;
	}
	if (hr_pq.PQntuples(res) != 1)
		snprintf(buf, size, "another session, which just let it go");
	else if (hr_pq.PQgetvalue(res, 0, 1)[0] != '\0')
		snprintf(buf, size, "'%.63s' (postgres pid %s, %s, role %.63s)",
			 hr_pq.PQgetvalue(res, 0, 1), hr_pq.PQgetvalue(res, 0, 0),
			 hr_pq.PQgetvalue(res, 0, 2), hr_pq.PQgetvalue(res, 0, 3));
	else
		snprintf(buf, size, "postgres pid %s (%s, role %.63s)",
			 hr_pq.PQgetvalue(res, 0, 0), hr_pq.PQgetvalue(res, 0, 2),
			 hr_pq.PQgetvalue(res, 0, 3));
	hr_pq.PQclear(res);
}

/*
 * pg_try_advisory_lock every LOCK_POLL_MS rather than a blocking
 * pg_advisory_lock: the wait stays bounded by the caller's deadline and
 * cancel (asked between tries), needs no statement cancel from another
 * thread, and a lost connection is noticed at the next try.
 */
static int pg_lock(hr_db *db, int (*should_stop)(void *ud, hr_error *err),
		   void *ud, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	uint64_t start = now_ms();
	char holder[512];
	int waited = 0, got, rc;
	PGresult *res;
	hr_error stop;

	if (p->lock_held)
		return 0;
	for (;;) {
		rc = lock_query(p, "SELECT pg_try_advisory_lock(" LOCK_KEY ")",
				&res, err);
		if (rc < 0)
			return rc;
		got = hr_pq.PQntuples(res) == 1 && strcmp(hr_pq.PQgetvalue(res, 0, 0), "t") == 0;
		hr_pq.PQclear(res);
		if (got) {
			p->lock_held = 1;
			if (waited)
				hr_log(HR_LOG_INFO,
				       "got the schema lock after %llu ms",
				       (unsigned long long)(now_ms() - start));
			return 0;
		}
		if (!waited) {
			describe_holder(p, holder, sizeof holder);
			hr_log(HR_LOG_INFO, "waiting for the schema lock held by %s",
			       holder);
			waited = 1;
		}
		if (should_stop != NULL && should_stop(ud, &stop)) {
			describe_holder(p, holder, sizeof holder);
			return hr_error_set(err, stop.code,
					    "%s while waiting for the schema "
					    "lock, held by %s",
					    stop.msg, holder);
		}
		sleep_ms(LOCK_POLL_MS);
	}
}

static int pg_lock_check(hr_db *db, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	PGresult *res;
	int rc;

	if (!p->lock_held)
		return 0;
	/* A round trip: only an answer proves the session (and so the
	 * lock) is still there. */
	if ((rc = lock_query(p, "SELECT 1", &res, err)) < 0)
		return rc;
	hr_pq.PQclear(res);
	return 0;
}

static void pg_unlock(hr_db *db)
{
	pg_db *p = (pg_db *)db;
	PGresult *res;
	hr_error err;

	if (!p->lock_held)
		return;
	p->lock_held = 0;
	if (lock_query(p, "SELECT pg_advisory_unlock(" LOCK_KEY ")", &res, &err) < 0) {
		hr_log(HR_LOG_WARN, "releasing the schema lock: %s", err.msg);
		session_drop(&p->lock); /* ending the session releases it */
		return;
	}
	if (strcmp(hr_pq.PQgetvalue(res, 0, 0), "t") != 0) {
		hr_log(HR_LOG_WARN, "the schema lock was not held at release");
		session_drop(&p->lock);
	}
	hr_pq.PQclear(res);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

static int pg_query_rows(hr_db *db, const char *sql, const char *const *params,
			 size_t n_params, hr_rows *out, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	size_t n_rows, n_cols, n;
	PGresult *res;
	int rc;

	if ((rc = main_ready(p, err)) < 0)
		return rc;
	res = main_exec(p, sql, (int)n_params, params, 0);
	if (!result_ok(res)) {
		rc = fail(p, &p->main, res, err);
		hr_pq.PQclear(res);
		return rc;
	}
	n_rows = (size_t)hr_pq.PQntuples(res);
	n_cols = (size_t)hr_pq.PQnfields(res);
	n = n_rows * n_cols; /* two ints: no overflow in a size_t */
	if (n > HR_ROWS_MAX) {
		hr_pq.PQclear(res);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "the query returned more than %u values",
				    HR_ROWS_MAX);
	}
	out->cells = calloc(n ? n : 1, sizeof *out->cells);
	if (out->cells == NULL)
		rc = -1;
	else
		out->n_rows = n_rows, out->n_cols = n_cols;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int r = (int)(i / n_cols), c = (int)(i % n_cols);

		if (hr_pq.PQgetisnull(res, r, c))
			continue;
		out->cells[i] = strdup(hr_pq.PQgetvalue(res, r, c));
		if (out->cells[i] == NULL)
			rc = -1;
	}
	hr_pq.PQclear(res);
	if (rc < 0) {
		hr_rows_free(out);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scratch handles                                                     */
/* ------------------------------------------------------------------ */

/* What hr_db_begin/commit/rollback mean on a scratch: this savepoint. */
#define STEP_SAVEPOINT "hr_scratch_step"
/* Around a script run outside a step (a `transactional: false`
 * migration): a failure must not abort the whole scratch. */
#define SCRIPT_SAVEPOINT "hr_scratch_script"

/* hr_db_commit's COMMIT ends the step: the enum values it added become
 * usable, then its savepoint is released. */
static int scratch_exec(hr_db *db, const char *sql, const char *const *params,
			size_t n_params, int64_t *changes, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	int rc = 0;

	if (strcmp(sql, "COMMIT") != 0)
		return pg_exec(db, sql, params, n_params, changes, err);
	for (size_t i = 0; rc == 0 && i < p->added_enums.n; i++)
		rc = launder_enum(p, p->added_enums.items[i], err);
	hr_strlist_free(&p->added_enums);
	if (rc < 0)
		return rc;
	return pg_exec(db, "RELEASE SAVEPOINT " STEP_SAVEPOINT, NULL, 0, NULL,
		       err);
}

/* Run a rollback statement of the scratch (failures only logged). */
static void scratch_rollback_to(pg_db *p, const char *sql)
{
	PGresult *res;
	hr_error err;

	if (p->main.conn == NULL ||
	    hr_pq.PQstatus(p->main.conn) != CONNECTION_OK)
		return;
	res = hr_pq.PQexec(p->main.conn, sql);
	if (!result_ok(res)) {
		fail(p, &p->main, res, &err);
		hr_log(HR_LOG_WARN, "scratch rollback failed: %s", err.msg);
	}
	hr_pq.PQclear(res);
}

static void scratch_rollback(hr_db *db)
{
	hr_strlist_free(&((pg_db *)db)->added_enums);
	scratch_rollback_to((pg_db *)db,
			    "ROLLBACK TO SAVEPOINT " STEP_SAVEPOINT
			    "; RELEASE SAVEPOINT " STEP_SAVEPOINT);
}

static int scratch_exec_script(hr_db *db, const char *sql, int first_line,
			       int *fail_line, hr_error *err)
{
	int rc;

	if (db->in_transaction)
		return pg_exec_script(db, sql, first_line, fail_line, err);
	*fail_line = first_line;
	rc = pg_exec(db, "SAVEPOINT " SCRIPT_SAVEPOINT, NULL, 0, NULL, err);
	if (rc == 0)
		rc = pg_exec_script(db, sql, first_line, fail_line, err);
	if (rc < 0) {
		scratch_rollback_to((pg_db *)db,
				    "ROLLBACK TO SAVEPOINT " SCRIPT_SAVEPOINT
				    "; RELEASE SAVEPOINT " SCRIPT_SAVEPOINT);
		return rc;
	}
	return pg_exec(db, "RELEASE SAVEPOINT " SCRIPT_SAVEPOINT, NULL, 0,
		       NULL, err);
}

/* What a migration SET is undone (its search_path too), as
 * pg_reset_session does inside a transaction; then the scratch is again
 * alone on the search path. */
static int scratch_reset_session(hr_db *db, hr_error *err)
{
	pg_db *p = (pg_db *)db;
	const char *steps[] = {"RESET ALL", SESSION_SETUP, p->scratch_path};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof *steps; i++)
		rc = pg_exec(db, steps[i], NULL, 0, NULL, err);
	return rc;
}

/* Roll the scratch's transaction back and wait for the server to say
 * so: when this returns, the schema is gone for everyone. (Were hrd
 * killed instead, the server rolls back when the session ends.) */
static void scratch_close(hr_db *db)
{
	scratch_rollback_to((pg_db *)db, "ROLLBACK");
	pg_close(db);
}

static const hr_db_ops scratch_ops;

static int pg_open_scratch(const hr_dburl *url, hr_db **out, hr_error *err)
{
	static unsigned counter;
	unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	char schema[64], create[128];
	const char *setup[] = {"BEGIN", create, NULL};
	hr_db *db;
	pg_db *p;
	int rc;

	*out = NULL;
	if ((rc = pg_open(url, &db, err)) < 0)
		return rc;
	p = (pg_db *)db;
	p->base.ops = &scratch_ops;
	p->scratch = 1;
	snprintf(schema, sizeof schema, "hr_scratch_%ld_%u", (long)getpid(), n);
	snprintf(create, sizeof create, "CREATE SCHEMA %s", schema);
	/* Only the scratch: nothing the SQL names can resolve to a live
	 * table (pg_catalog is searched first regardless). */
	snprintf(p->scratch_path, sizeof p->scratch_path,
		 "SET LOCAL search_path TO %s", schema);
	setup[2] = p->scratch_path;
	rc = session_open(p, &p->main, err);
	for (size_t i = 0; rc == 0 && i < sizeof setup / sizeof *setup; i++)
		rc = pg_exec(db, setup[i], NULL, 0, NULL, err);
	if (rc < 0) {
		hr_error why = *err;

		scratch_close(db);
		return hr_error_set(err, why.code,
				    "cannot open a scratch schema: %s", why.msg);
	}
	*out = db;
	return 0;
}

/* hrd's history table (db.h). */
#define HISTORY_DDL \
	"CREATE TABLE IF NOT EXISTS " HR_HISTORY_TABLE " (" \
	"id BIGSERIAL NOT NULL PRIMARY KEY, " \
	"revision TEXT NOT NULL, " \
	"direction VARCHAR(16) NOT NULL, " \
	"from_revisions TEXT NOT NULL, " \
	"to_revisions TEXT NOT NULL, " \
	"checksum CHAR(64), " \
	"message TEXT, " \
	"applied_at TIMESTAMPTZ NOT NULL, " \
	"duration_ms DOUBLE PRECISION NOT NULL, " \
	"peer_uid BIGINT, " \
	"downgrade_sql TEXT)"

const hr_db_ops hr_db_postgres_ops = {
	.kind = HR_DB_POSTGRES,
	.dialect = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.query_column = pg_query_column,
	.table_exists = pg_table_exists,
	.exec_script = pg_exec_script,
	.rollback = pg_rollback,
	.reset_session = pg_reset_session,
	.exec_batch = pg_exec_batch,
	.lock = pg_lock,
	.lock_check = pg_lock_check,
	.unlock = pg_unlock,
	.query_rows = pg_query_rows,
	.open_scratch = pg_open_scratch,
	.may_block = 1,
	.begin_sql = "BEGIN",
	.history_ddl = HISTORY_DDL,
};

/* As the normal handle, but: transactions are savepoints, no schema lock
 * (the scratch is private), and closing rolls back. */
static const hr_db_ops scratch_ops = {
	.open = pg_open_scratch,
	.dialect = "postgresql",
	.close = scratch_close,
	.exec = scratch_exec,
	.query_column = pg_query_column,
	.table_exists = pg_table_exists,
	.exec_script = scratch_exec_script,
	.rollback = scratch_rollback,
	.reset_session = scratch_reset_session,
	.query_rows = pg_query_rows,
	.may_block = 1,
	.begin_sql = "SAVEPOINT " STEP_SAVEPOINT,
	.history_ddl = HISTORY_DDL,
};
