/*
 * server.c — hrd's lifecycle: open the database and the migrations,
 * listen, serve until SIGINT/SIGTERM, then shut down cleanly (a running
 * migration is cancelled between steps and allowed to finish its step).
 */
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

void hr_config_defaults(hr_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->database_url = "sqlite:///./homerack.db";
	cfg->migrations_dir = "./migrations";
	cfg->models_dir = "./models";
	cfg->socket_mode = 0660;
	cfg->max_frame = HR_FRAME_REQUEST_MAX;
	cfg->max_connections = 1024;
	cfg->max_connections_per_uid = 256;
	cfg->max_calls_per_conn = 64;
	cfg->max_queued_jobs = 64;
	cfg->max_queued_reads = 16;
	cfg->max_queued_per_uid = 16;
	cfg->frame_timeout_ms = 10 * 1000;
	cfg->idle_timeout_ms = 10 * 60 * 1000;
}

static void on_wakeup(uv_async_t *handle)
{
	hr_writer_drain(handle->data);
}

static void on_sweep(uv_timer_t *timer)
{
	hr_conn_sweep(timer->data);
}

static void begin_shutdown(hr_server *server)
{
	if (server->stopping)
		return;
	server->stopping = 1;
	hr_log(HR_LOG_INFO, "shutting down");
	hr_listener_close(server);
	while (server->conns != NULL)
		hr_conn_close(server->conns);
	hr_events_fire(server, HR_EVENT_SHUTTING_DOWN, NULL, NULL);
	uv_close((uv_handle_t *)&server->sweep, NULL);
	hr_reload_close(server);
	hr_reader_close(server);
	uv_close((uv_handle_t *)&server->sigint, NULL);
	uv_close((uv_handle_t *)&server->sigterm, NULL);
	/* With a job running, the wakeup handle stays until it is done
	 * (hr_server_job_done); its events still need draining. */
	if (server->running == NULL)
		uv_close((uv_handle_t *)&server->wakeup, NULL);
}

void hr_server_job_done(hr_server *server)
{
	if (server->stopping && server->running == NULL)
		uv_close((uv_handle_t *)&server->wakeup, NULL);
}

static void on_signal(uv_signal_t *handle, int signum)
{
	(void)signum;
	begin_shutdown(handle->data);
}

int hr_server_init(hr_server *server, uv_loop_t *loop, const hr_config *cfg,
		   hr_error *err)
{
	int rc;

	memset(server, 0, sizeof *server);
	server->loop = loop;
	server->cfg = *cfg;
	server->lock_fd = -1;
	server->queue_tail = &server->queue;
	server->socket_gid = (gid_t)-1;
	if (cfg->socket_group != NULL) {
		struct group *g = getgrnam(cfg->socket_group);

		if (g == NULL)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "unknown socket group '%s'",
					    cfg->socket_group);
		server->socket_gid = g->gr_gid;
	}
	if (cfg->admin_group != NULL) {
		struct group *g = getgrnam(cfg->admin_group);

		if (g == NULL)
			return hr_error_set(err, HR_INVALID_ARGUMENT,
					    "unknown admin group '%s'",
					    cfg->admin_group);
		server->admin_gid = g->gr_gid;
		server->have_admin_gid = 1;
	}
	if ((rc = hr_dburl_parse(cfg->database_url, &server->url, err)) < 0)
		return rc;
	/* Two connections: the writer for jobs, the reader for status calls
	 * (reader.c; WAL lets SQLite read while the writer writes). Neither
	 * waits for a PostgreSQL server: they connect on first use. */
	if ((rc = hr_db_open(&server->url, &server->writer, err)) < 0 ||
	    (rc = hr_db_open(&server->url, &server->reader, err)) < 0)
		return rc;
	/* Broken migrations do not stop the daemon: status calls still
	 * work, and migration calls say what is broken. */
	if (hr_server_reload(server, NULL) < 0)
		hr_log(HR_LOG_ERROR, "%s", server->map_error.msg);
	if ((rc = hr_listener_open(server, err)) < 0)
		return rc;
	uv_async_init(loop, &server->wakeup, on_wakeup);
	server->wakeup.data = server;
	/* A quarter of the shortest timeout keeps enforcement within 25%
	 * of it without waking an idle daemon more than needed. */
	uint64_t period = cfg->frame_timeout_ms < cfg->idle_timeout_ms
				  ? cfg->frame_timeout_ms
				  : cfg->idle_timeout_ms;
	period = period / 4 > 0 ? period / 4 : 1;
	hr_reload_init(server);
	if ((rc = hr_methods_init(server, err)) < 0)
		return rc;
	uv_timer_init(loop, &server->sweep);
	server->sweep.data = server;
	uv_timer_start(&server->sweep, on_sweep, period, period);
	uv_signal_init(loop, &server->sigint);
	uv_signal_init(loop, &server->sigterm);
	server->sigint.data = server->sigterm.data = server;
	uv_signal_start(&server->sigint, on_signal, SIGINT);
	uv_signal_start(&server->sigterm, on_signal, SIGTERM);
	return 0;
}

int hr_server_run(hr_server *server)
{
	size_t n = server->map ? hr_revmap_count(server->map) : 0;

	hr_log(HR_LOG_INFO, "listening on %s; database %s; %zu migrations in %s",
	       server->cfg.socket_path, server->url.redacted, n,
	       server->cfg.migrations_dir);
	hr_reader_init(server);
	/* Returns once shutdown closed every handle. */
	return uv_run(server->loop, UV_RUN_DEFAULT);
}

void hr_server_free(hr_server *server)
{
	hr_events_fire(server, HR_EVENT_FREE, NULL, NULL);
	hr_reload_free(server);
	hr_db_close(server->reader);
	hr_db_close(server->writer);
	hr_dburl_free(&server->url);
	if (server->lock_fd >= 0)
		close(server->lock_fd);
}
