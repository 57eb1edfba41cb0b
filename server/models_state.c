/*
 * models_state.c — the models' lifetime in hrd: loaded at start,
 * reloaded on SIGHUP or by itself when a file in the models directory
 * changes, and shared with jobs by reference (models.h).
 *
 * A reload reads the files and, when hrd runs on SQLite, builds them on
 * an in-memory scratch database (a few milliseconds for dozens of
 * tables), so that a typo is reported at once, naming file and line. On
 * PostgreSQL the statements are checked when a call builds them (that
 * needs the network, never done on the loop). A reload that fails keeps
 * the last good models serving and logs why.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "models.h"
#include "server.h"

/* Quiet period after the last file event (an editor's save is several). */
#define MODELS_DEBOUNCE_MS 200

hr_models *hr_server_models_hold(hr_server *server)
{
	return hr_models_ref(server->models);
}

/* Build m on an in-memory SQLite database: the statements' own check. */
static int validate(hr_models *m, hr_error *err)
{
	hr_dburl memory = {.kind = HR_DB_SQLITE};
	hr_schema schema;
	hr_db *db;
	int rc = hr_db_open_scratch(&memory, &db, err);

	if (rc < 0)
		return rc;
	rc = hr_models_build(m, db, &schema, err);
	hr_schema_free(&schema);
	hr_db_close(db);
	return rc;
}

int hr_server_models_reload(hr_server *server, hr_error *err)
{
	hr_models *m;
	int rc = hr_models_load(server->cfg.models_dir, &m, err);

	if (rc == 0 && server->url.kind == HR_DB_SQLITE &&
	    (rc = validate(m, err)) < 0)
		hr_models_unref(m);
	if (rc < 0) {
		if (server->models == NULL)
			server->models_error = *err;
		return rc;
	}
	hr_models_unref(server->models);
	server->models = m;
	server->models_generation++;
	hr_error_clear(&server->models_error);
	return 0;
}

void hr_server_models_reload_and_log(hr_server *server, const char *why)
{
	hr_error err;

	if (hr_server_models_reload(server, &err) < 0)
		hr_log(HR_LOG_ERROR, "%s: models not reloaded: %s", why,
		       err.msg);
	else if (hr_models_present(server->models))
		hr_log(HR_LOG_INFO, "%s: reloaded %zu models file(s) from %s",
		       why, hr_models_file_count(server->models),
		       server->cfg.models_dir);
}

static void on_debounced(uv_timer_t *timer)
{
	hr_server_models_reload_and_log(timer->data, "models changed");
}

static void on_dir_event(uv_fs_event_t *handle, const char *filename,
			 int events, int status)
{
	hr_server *server = handle->data;

	(void)filename;
	(void)events;
	if (status == 0)
		uv_timer_start(&server->models_timer, on_debounced,
			       MODELS_DEBOUNCE_MS, 0);
}

void hr_models_state_init(hr_server *server)
{
	hr_error err;

	if (hr_server_models_reload(server, &err) < 0)
		hr_log(HR_LOG_ERROR, "models: %s", err.msg);
	uv_timer_init(server->loop, &server->models_timer);
	server->models_timer.data = server;
	uv_fs_event_init(server->loop, &server->models_watch);
	server->models_watch.data = server;
	/* No directory, no watch: SIGHUP picks one up once it exists. */
	if (server->models != NULL && !hr_models_present(server->models))
		return;
	if (uv_fs_event_start(&server->models_watch, on_dir_event,
			      server->cfg.models_dir, 0) < 0)
		hr_log(HR_LOG_WARN, "not watching %s for changes; send SIGHUP "
				    "to reload",
		       server->cfg.models_dir);
}

void hr_models_state_close(hr_server *server)
{
	uv_close((uv_handle_t *)&server->models_timer, NULL);
	uv_close((uv_handle_t *)&server->models_watch, NULL);
}

void hr_models_state_free(hr_server *server)
{
	hr_models_unref(server->models);
	server->models = NULL;
}
