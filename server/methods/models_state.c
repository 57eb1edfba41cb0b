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
 *
 * The state is the models feature's own, subscribed to the server's
 * events: SIGHUP reloads, shutdown closes the watch, the end frees.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "methods.h"
#include "models.h"

/* Quiet period after the last file event (an editor's save is several). */
#define MODELS_DEBOUNCE_MS 200

static void on_event(hr_server *server, const hr_event *ev, void *ud);

hr_models_state *hr_models_state_of(const hr_server *server)
{
	return hr_events_data(server, on_event);
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

/* Reload the models directory; on failure the old models stay and err
 * says why. */
static int reload(hr_models_state *ms, hr_error *err)
{
	hr_server *server = ms->server;
	hr_models *m;
	int rc = hr_models_load(server->cfg.models_dir, &m, err);

	if (rc == 0 && server->url.kind == HR_DB_SQLITE &&
	    (rc = validate(m, err)) < 0)
		hr_models_unref(m);
	if (rc < 0) {
		if (ms->models == NULL)
			ms->error = *err;
		return rc;
	}
	hr_models_unref(ms->models);
	ms->models = m;
	ms->generation++;
	hr_error_clear(&ms->error);
	return 0;
}

/* Reload and log the outcome (SIGHUP, a file change). */
static void reload_and_log(hr_models_state *ms, const char *why)
{
	hr_error err;

	if (reload(ms, &err) < 0)
		hr_log(HR_LOG_ERROR, "%s: models not reloaded: %s", why,
		       err.msg);
	else if (hr_models_present(ms->models))
		hr_log(HR_LOG_INFO, "%s: reloaded %zu models file(s) from %s",
		       why, hr_models_file_count(ms->models),
		       ms->server->cfg.models_dir);
}

static void on_debounced(uv_timer_t *timer)
{
	reload_and_log(timer->data, "models changed");
}

static void on_dir_event(uv_fs_event_t *handle, const char *filename,
			 int events, int status)
{
	hr_models_state *ms = handle->data;

	(void)filename;
	(void)events;
	if (status == 0)
		uv_timer_start(&ms->timer, on_debounced, MODELS_DEBOUNCE_MS, 0);
}

static void on_event(hr_server *server, const hr_event *ev, void *ud)
{
	hr_models_state *ms = ud;

	(void)server;
	if (ev->kind == HR_EVENT_RELOAD) {
		reload_and_log(ms, "SIGHUP");
	} else if (ev->kind == HR_EVENT_SHUTTING_DOWN) {
		uv_close((uv_handle_t *)&ms->timer, NULL);
		uv_close((uv_handle_t *)&ms->watch, NULL);
	} else if (ev->kind == HR_EVENT_FREE) {
		hr_models_unref(ms->models);
		free(ms);
	}
}

int hr_models_state_init(hr_server *server, hr_error *err)
{
	hr_models_state *ms = calloc(1, sizeof *ms);
	hr_error why;
	int rc;

	if (ms == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	ms->server = server;
	if ((rc = hr_events_subscribe(server, on_event, ms, err)) < 0) {
		free(ms);
		return rc;
	}
	if (reload(ms, &why) < 0)
		hr_log(HR_LOG_ERROR, "models: %s", why.msg);
	uv_timer_init(server->loop, &ms->timer);
	ms->timer.data = ms;
	uv_fs_event_init(server->loop, &ms->watch);
	ms->watch.data = ms;
	/* No directory, no watch: SIGHUP picks one up once it exists. */
	if (ms->models != NULL && !hr_models_present(ms->models))
		return 0;
	if (uv_fs_event_start(&ms->watch, on_dir_event,
			      server->cfg.models_dir, 0) < 0)
		hr_log(HR_LOG_WARN, "not watching %s for changes; send SIGHUP "
				    "to reload",
		       server->cfg.models_dir);
	return 0;
}
