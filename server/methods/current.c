/*
 * current.c — Current: the rows of alembic_version, read through the
 * reader connection (reader.c: on the loop for SQLite, on the pool for
 * PostgreSQL). That read never waits for a migration in progress; it
 * sees the last committed revision.
 */
#include <stdlib.h>

#include "methods.h"
#include "rpcnames.h"

/* Current's answer to "which applied revisions does a dependent's row
 * stand for", kept for the rows and map it was computed for (a reload
 * empties it). */
typedef struct implied_cache {
	hr_strlist rows;
	const hr_migration **implied;
	size_t n;
	int valid;
} implied_cache;

static void cache_clear(implied_cache *c)
{
	free(c->implied);
	hr_strlist_free(&c->rows);
	c->implied = NULL;
	c->n = 0;
	c->valid = 0;
}

static void on_event(hr_server *server, const hr_event *ev, void *ud)
{
	(void)server;
	if (ev->kind == HR_EVENT_MAP_RELOADED)
		cache_clear(ud);
	else if (ev->kind == HR_EVENT_FREE) {
		cache_clear(ud);
		free(ud);
	}
}

int hr_current_init(hr_server *server, hr_error *err)
{
	implied_cache *c = calloc(1, sizeof *c);
	int rc;

	if (c == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if ((rc = hr_events_subscribe(server, on_event, c, err)) < 0)
		free(c);
	return rc;
}

/*
 * The applied revisions a dependent's row stands for (Alembic's current
 * lists them), for rows and the loaded map: computed once per pair and
 * kept, since Current asks it on every call and the rows rarely change.
 * The array belongs to the cache. NULL with *n 0 when it cannot tell.
 */
static const hr_migration **implied_heads(hr_server *server,
					  const hr_strlist *rows, size_t *n)
{
	implied_cache *c = hr_events_data(server, on_event);

	if (!c->valid || !hr_strlist_equal(&c->rows, rows)) {
		int ok = 1;

		cache_clear(c);
		/* Best effort: rows the map does not know imply nothing. */
		if (hr_plan_implied_heads(server->map,
					  (const char *const *)rows->items,
					  rows->n, &c->implied, &c->n, NULL) < 0) {
			*n = 0;
			return NULL;
		}
		for (size_t i = 0; i < rows->n && ok; i++)
			ok = hr_strlist_push(&c->rows, rows->items[i]) == 0;
		c->valid = ok;
	}
	*n = c->n;
	return c->implied;
}

static void current_reply(hr_call *call, void *ud, int rc,
			  const hr_strlist *rows, const hr_error *err)
{
	Homerack__V1__CurrentReply reply = HOMERACK__V1__CURRENT_REPLY__INIT;
	Homerack__V1__Revision *revs, **ptrs;
	hr_server *server = call->server;
	const hr_migration **implied;

	(void)ud;

	if (rc < 0) {
		hr_call_finish(call, HR_UNAVAILABLE,
			       "cannot read " HR_VERSION_TABLE ": %s", err->msg);
		return;
	}
	revs = calloc(rows->n + 1, sizeof *revs);
	ptrs = calloc(rows->n + 1, sizeof *ptrs);
	if (revs == NULL || ptrs == NULL) {
		free(revs);
		free(ptrs);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < rows->n; i++) {
		const hr_migration *m =
			server->map ? hr_revmap_get(server->map, rows->items[i])
				    : NULL;

		homerack__v1__revision__init(&revs[i]);
		if (m != NULL)
			hr_revinfo_fill(&revs[i], server->map, m);
		else
			revs[i].revision = rows->items[i];
		revs[i].is_current = 1;
		ptrs[i] = &revs[i];
	}
	reply.revisions = ptrs;
	reply.n_revisions = rows->n;
	reply.database = server->url.redacted;
	if (server->map == NULL)
		reply.migrations_error = server->map_error.msg;
	if (server->map != NULL &&
	    (implied = implied_heads(server, rows, &reply.n_implied)) != NULL)
		reply.implied = hr_revinfo_array(server->map, implied,
						 reply.n_implied);
	if (reply.implied == NULL)
		reply.n_implied = 0;
	hr_call_send(call, &reply.base);
	hr_call_finish(call, HR_OK, "%s", "");
	free(revs);
	free(ptrs);
	free(reply.implied);
}

static void current_start(hr_call *call, const ProtobufCMessage *request)
{
	(void)request;
	hr_reader_for_call(call, current_reply, NULL, NULL);
}

const hr_method hr_method_current = {
	.path = HR_RPC_CURRENT,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__current_request__descriptor,
	.start = current_start,
};
