/*
 * events.c — the core tells the features what happened (tmux's
 * events.c): the writer, the map's reload, SIGHUP and shutdown fire
 * events; Watch, Current's cache and the models subscribe at start
 * (methods/table.c) and keep their state in their own files, found
 * again through their subscription. The core never calls a feature by
 * name.
 */
#include <stddef.h>

#include "server.h"

int hr_events_subscribe(hr_server *server, hr_event_fn fn, void *ud,
			hr_error *err)
{
	if (server->n_sinks == HR_EVENT_SINKS_MAX)
		return hr_error_set(err, HR_INTERNAL,
				    "more than %d event subscribers",
				    HR_EVENT_SINKS_MAX);
	server->sinks[server->n_sinks].fn = fn;
	server->sinks[server->n_sinks].ud = ud;
	server->n_sinks++;
	return 0;
}

void *hr_events_data(const hr_server *server, hr_event_fn fn)
{
	for (size_t i = 0; i < server->n_sinks; i++)
		if (server->sinks[i].fn == fn)
			return server->sinks[i].ud;
	return NULL;
}

void hr_events_fire(hr_server *server, hr_event_kind kind, const hr_job *job,
		    const char *detail)
{
	hr_event ev = {.kind = kind, .job = job, .detail = detail};

	/* In subscription order: a feature set up later may rely on an
	 * earlier one having heard first. */
	for (size_t i = 0; i < server->n_sinks; i++)
		server->sinks[i].fn(server, &ev, server->sinks[i].ud);
}
