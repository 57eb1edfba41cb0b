/*
 * reload.c — the revision map's lifetime: loading, reloading (SIGHUP, or
 * by itself when a file in the migrations directory changes), and
 * keeping a superseded map alive while a job still uses it.
 *
 * Maps are immutable, so a reload builds a new one and swaps the pointer
 * on the loop thread. A job on the pool holds the map it planned with;
 * holds and releases happen on the loop thread only, so plain counters
 * suffice. A reload that fails (a file mid-edit, a typo) keeps the old
 * map serving and logs why.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "server.h"

/* Quiet period after the last file event before reloading: an editor's
 * save is several events (temp file, rename, chmod). */
#define RELOAD_DEBOUNCE_MS 200

typedef struct hr_retired_map {
	hr_revmap *map;
	size_t refs;
	struct hr_retired_map *next;
} hr_retired_map;

const hr_revmap *hr_server_map_hold(hr_server *server)
{
	if (server->map != NULL)
		server->map_refs++;
	return server->map;
}

void hr_server_map_release(hr_server *server, const hr_revmap *map)
{
	if (map == NULL)
		return;
	if (map == server->map) {
		server->map_refs--;
		return;
	}
	for (hr_retired_map **p = &server->retired; *p != NULL; p = &(*p)->next) {
		hr_retired_map *r = *p;

		if (r->map == map) {
			if (--r->refs == 0) {
				*p = r->next;
				hr_revmap_free(r->map);
				free(r);
			}
			return;
		}
	}
}

int hr_server_reload(hr_server *server, hr_error *err)
{
	hr_revmap *map;
	hr_error load_err;

	if (hr_revmap_load_dir(server->cfg.migrations_dir, &map, &load_err) < 0) {
		/* Keep serving with what we had; without a map, remember why
		 * for the calls that need one. */
		if (server->map == NULL)
			server->map_error = load_err;
		if (err != NULL)
			*err = load_err;
		return -(int)load_err.code;
	}
	if (server->map != NULL && server->map_refs > 0) {
		hr_retired_map *r = malloc(sizeof *r);

		if (r == NULL) {
			hr_revmap_free(map);
			return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					    "out of memory");
		}
		r->map = server->map;
		r->refs = server->map_refs;
		r->next = server->retired;
		server->retired = r;
	} else {
		hr_revmap_free(server->map);
	}
	server->map = map;
	server->map_refs = 0;
	server->map_generation++;
	hr_error_clear(&server->map_error);
	hr_events_fire(server, HR_EVENT_MAP_RELOADED, NULL, NULL);
	return 0;
}

static void reload_and_log(hr_server *server, const char *why)
{
	hr_error err;

	if (hr_server_reload(server, &err) < 0)
		hr_log(HR_LOG_ERROR, "%s: migrations not reloaded: %s", why,
		       err.msg);
	else
		hr_log(HR_LOG_INFO, "%s: reloaded %zu migrations from %s", why,
		       hr_revmap_count(server->map), server->cfg.migrations_dir);
}

static void on_sighup(uv_signal_t *handle, int signum)
{
	(void)signum;
	reload_and_log(handle->data, "SIGHUP");
	hr_events_fire(handle->data, HR_EVENT_RELOAD, NULL, NULL);
}

static void on_debounced(uv_timer_t *timer)
{
	reload_and_log(timer->data, "migrations changed");
}

static void on_dir_event(uv_fs_event_t *handle, const char *filename,
			 int events, int status)
{
	hr_server *server = handle->data;

	(void)filename;
	(void)events;
	if (status < 0)
		return;
	/* Restarting the timer on every event reloads once things settle. */
	uv_timer_start(&server->reload_timer, on_debounced, RELOAD_DEBOUNCE_MS, 0);
}

void hr_reload_init(hr_server *server)
{
	int rc;

	uv_signal_init(server->loop, &server->sighup);
	server->sighup.data = server;
	uv_signal_start(&server->sighup, on_sighup, SIGHUP);
	uv_timer_init(server->loop, &server->reload_timer);
	server->reload_timer.data = server;
	uv_fs_event_init(server->loop, &server->dir_watch);
	server->dir_watch.data = server;
	rc = uv_fs_event_start(&server->dir_watch, on_dir_event,
			       server->cfg.migrations_dir, 0);
	if (rc < 0)
		hr_log(HR_LOG_WARN, "not watching %s for changes (%s); send "
				    "SIGHUP to reload",
		       server->cfg.migrations_dir, uv_strerror(rc));
}

void hr_reload_close(hr_server *server)
{
	uv_close((uv_handle_t *)&server->sighup, NULL);
	uv_close((uv_handle_t *)&server->reload_timer, NULL);
	uv_close((uv_handle_t *)&server->dir_watch, NULL);
}

void hr_reload_free(hr_server *server)
{
	while (server->retired != NULL) {
		hr_retired_map *r = server->retired;

		server->retired = r->next;
		hr_revmap_free(r->map);
		free(r);
	}
	hr_revmap_free(server->map);
	server->map = NULL;
}
