/*
 * reader.c — status reads: the rows of alembic_version for Current and
 * History, through the reader connection (never the writer's, so they
 * never wait for a migration in progress).
 *
 * SQLite reads on the loop thread: in WAL mode a read takes microseconds
 * and never waits for the writer, so a status call is answered at once.
 *
 * PostgreSQL reads are network round trips that can take seconds when
 * the server is slow, restarting or gone (connect_timeout), and the loop
 * must never wait on them. So they run on the libuv pool, one at a time
 * on the reader connection (a libpq connection serves one thread at a
 * time). Calls that arrive while a read is under way wait for the next
 * one rather than share it: the read in flight may have started before a
 * change the caller has already seen committed. A burst of status calls
 * so costs at most one query in flight, one waiting, and one pool
 * thread, leaving the others to the writer.
 *
 * Why not a cache of the rows kept by the writer: with several hosts on
 * one database, another hrd's migrations change the rows behind ours;
 * only asking the database answers for them. The exception is while our
 * own migration job runs: it holds the schema lock (PostgreSQL) or is
 * the one writing (SQLite), and the rows it committed last are fresher
 * than a read — which on SQLite would also re-parse a schema that every
 * step changes (hr_writer_current_rows).
 */
#include <stdlib.h>

#include "log.h"
#include "server.h"

static void start_read(hr_server *server);

/*
 * The synchronous (SQLite) read, shared by every call of one poll phase
 * (between the prepare and check handles). The requests handled in one
 * poll phase had all begun to arrive before the poll returned, so one
 * read made during the phase has seen every commit any of their clients
 * could have seen; any other phase (the next poll, timers, callbacks
 * before the poll) reads again. Under load this turns a read per call
 * into a read per batch.
 */
static int read_now(hr_server *server, hr_strlist *out, hr_error *err)
{
	hr_reads *r = &server->reads;
	int rc;

	if (r->cached_at != r->iteration + 1) {
		hr_strlist_free(&r->cached);
		r->cached_at = 0;
		rc = hr_db_read_versions(server->reader, &r->cached, err);
		if (rc < 0)
			return rc;
		r->cached_at = r->iteration + 1;
	}
	for (size_t i = 0; i < r->cached.n; i++)
		if (hr_strlist_push(out, r->cached.items[i]) < 0)
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
	return 0;
}

static void on_tick(uv_prepare_t *tick)
{
	hr_server *server = tick->data;

	server->reads.iteration++;
}

static void on_tock(uv_check_t *tock)
{
	hr_server *server = tock->data;

	server->reads.iteration++;
}

static void read_work(uv_work_t *req)
{
	hr_server *server = req->data;
	hr_reads *r = &server->reads;

	r->rc = hr_db_read_versions(server->reader, &r->rows, &r->err);
}

static void read_done(uv_work_t *req, int status)
{
	hr_server *server = req->data;
	hr_reads *r = &server->reads;
	hr_strlist rows = r->rows;
	hr_error err = r->err;
	int rc = r->rc;
	hr_read *read;

	(void)status; /* 0: reads are never uv_cancel'ed */
	r->rows = (hr_strlist){0};
	/* One at a time from the list: a callback may withdraw another read
	 * (a failed write closes a connection and cancels its calls). Reads
	 * submitted meanwhile wait, as busy is still set. */
	while ((read = r->served) != NULL) {
		r->served = read->next;
		read->done(read, rc, &rows, &err);
	}
	hr_strlist_free(&rows);
	r->busy = 0;
	if (r->waiting != NULL)
		start_read(server);
}

static void start_read(hr_server *server)
{
	hr_reads *r = &server->reads;
	hr_error err;
	hr_read *read;
	int rc;

	r->served = r->waiting;
	r->waiting = NULL;
	r->busy = 1;
	r->req.data = server;
	hr_error_clear(&r->err);
	rc = uv_queue_work(server->loop, &r->req, read_work, read_done);
	if (rc < 0) {
		hr_strlist none = {0};

		hr_error_set(&err, HR_INTERNAL, "cannot start a read: %s",
			     uv_strerror(rc));
		while ((read = r->served) != NULL) {
			r->served = read->next;
			read->done(read, -(int)err.code, &none, &err);
		}
		r->busy = 0;
	}
}

/*
 * The rows without waiting, when they can be had so: from the job that
 * is migrating (hr_writer_current_rows), or read on the loop (SQLite).
 * Returns 1 with *rc (and rows or err) set; 0 when only a read on the
 * pool can answer.
 */
static int rows_at_once(hr_server *server, hr_strlist *rows, int *rc,
			hr_error *err)
{
	if (hr_writer_current_rows(server, rows)) {
		*rc = 0;
		return 1;
	}
	if (server->reads.async)
		return 0;
	*rc = read_now(server, rows, err);
	return 1;
}

void hr_reader_submit(hr_server *server, hr_read *read, hr_read_cb done)
{
	hr_reads *r = &server->reads;
	hr_strlist rows = {0};
	hr_error err;
	int rc;

	read->done = done;
	if (rows_at_once(server, &rows, &rc, &err)) {
		done(read, rc, &rows, &err);
		hr_strlist_free(&rows);
		return;
	}
	read->next = r->waiting;
	r->waiting = read;
	if (!r->busy)
		start_read(server);
}

void hr_reader_withdraw(hr_server *server, hr_read *read)
{
	hr_read **lists[] = {&server->reads.waiting, &server->reads.served};

	for (size_t i = 0; i < 2; i++) {
		for (hr_read **p = lists[i]; *p != NULL; p = &(*p)->next) {
			if (*p == read) {
				*p = read->next;
				return;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Calls waiting for a read                                            */
/* ------------------------------------------------------------------ */

typedef struct call_read {
	hr_read read; /* first: the hr_read is the call_read */
	hr_call *call;
	hr_call_rows_fn fn;
	void *ud;
	void (*free_ud)(void *ud);
} call_read;

static void call_read_free(call_read *cr)
{
	if (cr->free_ud != NULL)
		cr->free_ud(cr->ud);
	free(cr);
}

static void call_read_done(hr_read *read, int rc, const hr_strlist *rows,
			   const hr_error *err)
{
	call_read *cr = (call_read *)read;
	hr_call *call = cr->call;

	call->on_cancel = NULL;
	call->data = NULL;
	cr->fn(call, cr->ud, rc, rows, err);
	call_read_free(cr);
}

static void call_read_cancel(hr_call *call, hr_code code, const char *why)
{
	call_read *cr = call->data;

	hr_reader_withdraw(call->server, &cr->read);
	call->on_cancel = NULL;
	call->data = NULL;
	call_read_free(cr);
	hr_call_finish(call, code, "%s", why);
}

void hr_reader_for_call(hr_call *call, hr_call_rows_fn fn, void *ud,
			void (*free_ud)(void *ud))
{
	hr_server *server = call->server;
	hr_strlist rows = {0};
	call_read *cr;
	hr_error err;
	int rc;

	/* The fast path: no allocation, no indirection. */
	if (!rows_at_once(server, &rows, &rc, &err)) {
		cr = calloc(1, sizeof *cr);
		if (cr == NULL) {
			if (free_ud != NULL)
				free_ud(ud);
			hr_call_finish(call, HR_RESOURCE_EXHAUSTED,
				       "out of memory");
			return;
		}
		cr->call = call;
		cr->fn = fn;
		cr->ud = ud;
		cr->free_ud = free_ud;
		/* Keeps the call alive if its client goes away meanwhile. */
		call->data = cr;
		call->on_cancel = call_read_cancel;
		hr_reader_submit(server, &cr->read, call_read_done);
		return;
	}
	fn(call, ud, rc, &rows, &err);
	if (free_ud != NULL)
		free_ud(ud);
	hr_strlist_free(&rows);
}

static void warmup_done(hr_read *read, int rc, const hr_strlist *rows,
			const hr_error *err)
{
	(void)read;
	(void)rows;
	/* postgres.c has logged a failure to connect; say what we found. */
	if (rc == 0)
		hr_log(HR_LOG_DEBUG, "database reachable");
	else
		hr_log(HR_LOG_DEBUG, "database not readable yet: %s", err->msg);
}

void hr_reader_init(hr_server *server)
{
	server->reads.async = hr_db_may_block(server->reader);
	uv_prepare_init(server->loop, &server->reads.tick);
	uv_check_init(server->loop, &server->reads.tock);
	server->reads.tick.data = server;
	server->reads.tock.data = server;
	if (!server->reads.async) {
		uv_prepare_start(&server->reads.tick, on_tick);
		uv_check_start(&server->reads.tock, on_tock);
		/* They alone must not keep the loop alive. */
		uv_unref((uv_handle_t *)&server->reads.tick);
		uv_unref((uv_handle_t *)&server->reads.tock);
	}
	if (server->reads.async)
		hr_reader_submit(server, &server->reads.warmup, warmup_done);
}

void hr_reader_close(hr_server *server)
{
	uv_close((uv_handle_t *)&server->reads.tick, NULL);
	uv_close((uv_handle_t *)&server->reads.tock, NULL);
	hr_strlist_free(&server->reads.cached);
	server->reads.cached_at = 0;
}
