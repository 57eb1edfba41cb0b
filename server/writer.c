/*
 * writer.c — the single writer.
 *
 * Mutating calls become jobs in a FIFO; one at a time runs on a libuv
 * pool thread with the writer's own database connection, so the loop
 * keeps answering status calls meanwhile. A job talks back through a
 * mutex-protected event queue and a uv_async wakeup (uv_async_send
 * coalesces, so the loop drains the whole queue on every wakeup).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

static hr_job *job_new(hr_call *call, void (*work)(hr_job *), void *data,
		      void (*free_data)(void *))
{
	hr_job *job = calloc(1, sizeof *job);

	if (job == NULL)
		return NULL;
	job->server = call->server;
	job->call = call;
	job->map = hr_server_map_hold(call->server);
	job->peer_uid = call->peer_uid;
	job->deadline = call->deadline;
	job->changes_schema = call->method->mutating;
	job->work = work;
	job->data = data;
	job->free_data = free_data;
	job->method = call->method->path;
	job->events_tail = &job->events;
	pthread_mutex_init(&job->lock, NULL);
	job->req.data = job;
	return job;
}

static void job_free(hr_job *job)
{
	hr_job_event *e = job->events;

	while (e != NULL) {
		hr_job_event *next = e->next;

		free(e);
		e = next;
	}
	hr_strlist_free(&job->rows);
	if (job->free_data != NULL)
		job->free_data(job->data);
	hr_server_map_release(job->server, job->map);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

void hr_job_emit(hr_job *job, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	hr_job_event *e = malloc(sizeof *e + len);

	if (e == NULL)
		return; /* progress is best-effort; the final status is not */
	e->next = NULL;
	e->len = len;
	protobuf_c_message_pack(msg, e->data);
	pthread_mutex_lock(&job->lock);
	*job->events_tail = e;
	job->events_tail = &e->next;
	pthread_mutex_unlock(&job->lock);
	uv_async_send(&job->server->wakeup);
}

void hr_job_set_detail(hr_job *job, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&job->lock);
	va_start(ap, fmt);
	vsnprintf(job->detail, sizeof job->detail, fmt, ap);
	va_end(ap);
	job->detail_changed = 1;
	pthread_mutex_unlock(&job->lock);
}

void hr_job_publish_rows(hr_job *job, const hr_strlist *rows)
{
	hr_strlist copy = {0};

	for (size_t i = 0; i < rows->n; i++)
		if (hr_strlist_push(&copy, rows->items[i]) < 0) {
			hr_strlist_free(&copy);
			return; /* status reads fall back to the reader */
		}
	pthread_mutex_lock(&job->lock);
	hr_strlist_free(&job->rows);
	job->rows = copy;
	job->have_rows = 1;
	pthread_mutex_unlock(&job->lock);
}

int hr_writer_current_rows(hr_server *server, hr_strlist *out)
{
	hr_job *job = server->running;
	int ok = 1;

	if (job == NULL)
		return 0;
	pthread_mutex_lock(&job->lock);
	if (!job->have_rows)
		ok = 0;
	for (size_t i = 0; ok && i < job->rows.n; i++)
		if (hr_strlist_push(out, job->rows.items[i]) < 0)
			ok = 0;
	pthread_mutex_unlock(&job->lock);
	if (!ok)
		hr_strlist_free(out);
	return ok;
}

int hr_job_should_stop(hr_job *job, hr_error *err)
{
	int code = atomic_load(&job->stop_code);

	if (code == HR_CANCELLED)
		return hr_error_set(err, HR_CANCELLED, "cancelled") != 0;
	/* The loop's timer sets the code; the clock is asked too, so a busy
	 * loop never makes a job overrun its deadline. uv_now is the loop's
	 * cached clock; uv_hrtime is safe anywhere. */
	if (code == HR_DEADLINE_EXCEEDED ||
	    (job->deadline != 0 && uv_hrtime() / 1000000 >= job->deadline))
		return hr_error_set(err, HR_DEADLINE_EXCEEDED,
				    "deadline exceeded") != 0;
	return 0;
}

/* The writer connection's stop question (hr_db_set_stop) for a job. */
static int db_should_stop(void *ud, hr_error *err)
{
	return hr_job_should_stop(ud, err);
}

void hr_writer_drain(hr_server *server)
{
	hr_job *job = server->running;
	char detail[sizeof job->detail];
	int detail_changed;
	hr_job_event *e;

	if (job == NULL)
		return;
	pthread_mutex_lock(&job->lock);
	e = job->events;
	job->events = NULL;
	job->events_tail = &job->events;
	detail_changed = job->detail_changed;
	job->detail_changed = 0;
	memcpy(detail, job->detail, sizeof detail);
	pthread_mutex_unlock(&job->lock);
	/* Each event may mean a committed step. */
	if (detail_changed)
		hr_events_fire(server, HR_EVENT_JOB_PROGRESS, job, detail);
	else if (e != NULL)
		hr_events_fire(server, HR_EVENT_JOB_PROGRESS, job, NULL);
	while (e != NULL) {
		hr_job_event *next = e->next;

		if (job->call != NULL)
			hr_call_send_packed(job->call, e->data, e->len);
		free(e);
		e = next;
	}
}

/* End the job's call with the job's result, then free the job. */
static void finish_job(hr_job *job)
{
	if (job->call != NULL) {
		job->call->job = NULL;
		hr_call_finish(job->call, job->result.code, "%s",
			       job->result.msg);
	}
	job_free(job);
}

static void start_next(hr_server *server);

static void work_cb(uv_work_t *req)
{
	hr_job *job = req->data;
	hr_error err;

	hr_error_clear(&job->result);
	/* A deadline that passed, or a cancel that came, while queued. */
	if (hr_job_should_stop(job, &err)) {
		job->result = err;
		return;
	}
	/* Every wait of the writer's connection (a busy database, a lock)
	 * now ends when the job must stop. */
	hr_db_set_stop(job->server->writer, db_should_stop, job);
	job->work(job);
	hr_db_set_stop(job->server->writer, NULL, NULL);
}

static void after_work_cb(uv_work_t *req, int status)
{
	hr_job *job = req->data;
	hr_server *server = job->server;

	if (status == UV_ECANCELED)
		hr_error_set(&job->result, HR_CANCELLED, "cancelled");
	hr_writer_drain(server);
	server->running = NULL;
	if (job->after != NULL && job->call != NULL)
		job->after(job);
	finish_job(job);
	start_next(server);
	hr_events_fire(server, HR_EVENT_JOB_FINISHED, NULL, NULL);
	if (server->running == NULL)
		hr_server_job_done(server);
}

static void start_next(hr_server *server)
{
	hr_job *job = server->queue;
	int rc;

	if (server->running != NULL || job == NULL)
		return;
	server->queue = job->next;
	if (server->queue == NULL)
		server->queue_tail = &server->queue;
	server->running = job;
	hr_events_fire(server, HR_EVENT_JOB_STARTED, job, job->method);
	rc = uv_queue_work(server->loop, &job->req, work_cb, after_work_cb);
	if (rc < 0) {
		server->running = NULL;
		hr_error_set(&job->result, HR_INTERNAL, "cannot start job: %s",
			     uv_strerror(rc));
		finish_job(job);
		start_next(server);
		hr_events_fire(server, HR_EVENT_JOB_FINISHED, NULL, NULL);
	}
}

int hr_writer_busy(const hr_server *server)
{
	return server->running != NULL;
}

/* Whether a place in the queue is free for a job of call's kind and
 * uid; if not, finish call saying which limit it met and return -1. */
static int queue_admit(hr_call *call)
{
	hr_server *server = call->server;
	int changes = call->method->mutating;
	size_t limit = changes ? server->cfg.max_queued_jobs
			       : server->cfg.max_queued_reads;
	const char *what = changes ? "schema changes" : "read-only jobs";
	size_t n = 0, mine = 0;

	for (const hr_job *j = server->queue; j != NULL; j = j->next) {
		if (j->changes_schema != changes)
			continue;
		n++;
		mine += j->peer_uid == call->peer_uid;
	}
	if (n >= limit) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED,
			       "%zu %s are already waiting (limit %zu)", n, what,
			       limit);
		return -1;
	}
	if (mine >= server->cfg.max_queued_per_uid) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED,
			       "uid %ld already has %zu %s waiting (limit %zu "
			       "per uid)",
			       (long)call->peer_uid, mine, what,
			       server->cfg.max_queued_per_uid);
		return -1;
	}
	return 0;
}

hr_job *hr_writer_run(hr_call *call, void (*work)(hr_job *), void *data,
		      void (*free_data)(void *))
{
	hr_server *server = call->server;
	hr_job *job;

	if (server->stopping) {
		free_data(data);
		hr_call_finish(call, HR_UNAVAILABLE, "hrd is shutting down");
		return NULL;
	}
	if (queue_admit(call) < 0) {
		free_data(data);
		return NULL;
	}
	job = job_new(call, work, data, free_data);
	if (job == NULL) {
		free_data(data);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	call->job = job;
	*server->queue_tail = job;
	server->queue_tail = &job->next;
	start_next(server);
	return job;
}

void hr_writer_stop(hr_server *server, hr_job *job, hr_code code)
{
	int none = 0;

	/* The first reason stands: a cancel after the deadline changes
	 * nothing. */
	atomic_compare_exchange_strong(&job->stop_code, &none, (int)code);
	if (job == server->running)
		return; /* it stops at its next step or wait */
	for (hr_job **p = &server->queue; *p != NULL; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			if (server->queue_tail == &job->next)
				server->queue_tail = p;
			hr_error_set(&job->result, code, "%s",
				     code == HR_CANCELLED
					     ? "cancelled before it started"
					     : "deadline exceeded while waiting "
					       "behind another job");
			finish_job(job);
			return;
		}
	}
}
