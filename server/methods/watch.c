/*
 * watch.c — Watch: the schema's state now, then at every change.
 *
 * Watch keeps the state it last told watchers (version rows, activity,
 * detail) in its own struct, which it subscribes to the server's events
 * with. refresh() re-reads the rows and, when anything differs, sends
 * the new state to every watcher. A watch call keeps only the latest
 * state (hr_call_keep_latest): a watcher whose peer has not taken the
 * previous message is only marked dirty and gets the latest state once
 * it drains, so a slow reader never makes hrd queue a backlog.
 *
 * Changes hrd makes itself are seen as its writer reports them (the job
 * events); changes made by other programs (Alembic, a second hrd on a
 * shared PostgreSQL) are caught by polling once a second while anyone
 * watches.
 *
 * The rows are read through reader.c: at once on SQLite, on the pool on
 * PostgreSQL (never a network wait on the loop). One refresh read is out
 * at a time; refreshes asked for meanwhile make one more read after it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "methods.h"
#include "rpcnames.h"

#define POLL_MS 1000

typedef struct watch_data {
	hr_call *call;
	char *target; /* "" for none */
	hr_watch_tell_fn tell; /* NULL: send the SchemaState as it is */
	int told;             /* tell's memory: -1 until it keeps some */
	int dirty;    /* a state is owed once the connection drains */
	struct watch_data *next; /* in watch_state.watchers */
} watch_data;

/* Watch's state for one server: what watchers were last told. */
typedef struct watch_state {
	hr_server *server;
	hr_strlist rows;
	int activity; /* Homerack__V1__SchemaState__Activity */
	char detail[256];
	uint64_t sequence;
	int known;        /* the fields above hold a state */
	hr_read read;     /* the refresh's read of the rows (reader.c) */
	int reading;      /* it is submitted and not done */
	int again;        /* a refresh was asked for meanwhile */
	watch_data *watchers;
	uv_timer_t poll;  /* while anyone watches: see outside changes */
} watch_state;

static void on_event(hr_server *server, const hr_event *ev, void *ud);

static watch_state *state_of(const hr_server *server)
{
	return hr_events_data(server, on_event);
}

typedef Homerack__V1__SchemaState__Activity activity_t;

/*
 * The rows the version table holds at head, sorted (empty when no map):
 * the `heads` target as the engine resolves it, so a head another head
 * depends on (and which therefore never has a row of its own) is left
 * out, as Alembic does.
 */
void hr_watch_map_heads(const hr_revmap *map, hr_strlist *out)
{
	const hr_migration **heads = NULL;
	size_t n = 0;

	if (map == NULL ||
	    hr_plan_resolve(map, NULL, 0, 0, "heads", &heads, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		hr_strlist_push(out, heads[i]->revision);
	free(heads);
	hr_strlist_sort(out);
}

/* Whether the rows satisfy target ("" never; head(s): exactly the heads;
 * a revision: applied). Resolved each time: the map may be replaced. */
static int target_reached(const hr_server *server, const char *target,
			  const hr_strlist *rows, const hr_strlist *heads)
{
	const hr_migration *want;

	if (target[0] == '\0' || server->map == NULL)
		return 0;
	if (strcmp(target, "head") == 0 || strcmp(target, "heads") == 0)
		return heads->n > 0 && hr_strlist_equal(rows, heads);
	if (hr_revmap_lookup(server->map, target, &want, NULL) < 0)
		return 0;
	for (size_t i = 0; i < rows->n; i++) {
		const hr_migration *m = hr_revmap_get(server->map, rows->items[i]);

		if (m != NULL && hr_revmap_is_ancestor(server->map, want, m))
			return 1;
	}
	return 0;
}

static void send_state(watch_data *wd)
{
	Homerack__V1__SchemaState st = HOMERACK__V1__SCHEMA_STATE__INIT;
	hr_server *server = wd->call->server;
	watch_state *ws = state_of(server);
	hr_strlist heads = {0};

	hr_watch_map_heads(server->map, &heads);
	st.sequence = ws->sequence;
	st.revisions = ws->rows.items;
	st.n_revisions = ws->rows.n;
	st.heads = heads.items;
	st.n_heads = heads.n;
	st.at_head = heads.n > 0 && hr_strlist_equal(&ws->rows, &heads);
	st.activity = (activity_t)ws->activity;
	st.detail = ws->detail;
	st.target_reached =
		target_reached(server, wd->target, &ws->rows, &heads);
	if (wd->tell != NULL)
		wd->tell(wd->call, &st, &wd->told);
	else
		hr_call_send(wd->call, &st.base);
	wd->dirty = 0;
	hr_strlist_free(&heads);
}

/* Send now, or owe it until the peer drains. */
static void offer_state(watch_data *wd)
{
	if (hr_call_backlogged(wd->call))
		wd->dirty = 1;
	else
		send_state(wd);
}

/* The peer took everything: send what is owed. */
static void on_drain(hr_call *call)
{
	watch_data *wd = call->data;

	if (wd->dirty)
		send_state(wd);
}

static void refresh(watch_state *ws);

/* The refresh's read is done: rows (rc 0) or why not (the state is then
 * UNAVAILABLE with the reason). Compare with what watchers were last
 * told, and tell them when anything differs. */
static void refresh_done(hr_read *read, int rc, const hr_strlist *rows,
			 const hr_error *err)
{
	watch_state *ws =
		(watch_state *)((char *)read - offsetof(watch_state, read));
	hr_strlist copy = {0};
	int activity = ws->activity, oom = 0;
	char detail[sizeof ws->detail];

	ws->reading = 0;
	if (ws->watchers == NULL) {
		ws->known = 0; /* nobody to compare for */
		ws->again = 0;
		return;
	}
	snprintf(detail, sizeof detail, "%s", ws->detail);
	if (activity == HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_UNAVAILABLE) {
		int busy = hr_writer_busy(ws->server);

		activity = busy
				   ? HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_MIGRATING
				   : HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_IDLE;
		if (!busy)
			detail[0] = '\0';
	}
	for (size_t i = 0; rc == 0 && !oom && i < rows->n; i++)
		oom = hr_strlist_push(&copy, rows->items[i]) < 0;
	if (rc < 0 || oom) {
		hr_strlist_free(&copy);
		activity = HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_UNAVAILABLE;
		snprintf(detail, sizeof detail, "%.200s",
			 oom ? "out of memory" : err->msg);
	}
	if (ws->known && activity == ws->activity &&
	    strcmp(detail, ws->detail) == 0 && hr_strlist_equal(&copy, &ws->rows)) {
		hr_strlist_free(&copy);
	} else {
		hr_strlist_free(&ws->rows);
		ws->rows = copy;
		ws->activity = activity;
		snprintf(ws->detail, sizeof ws->detail, "%s", detail);
		ws->sequence++;
		ws->known = 1;
		for (watch_data *wd = ws->watchers; wd != NULL; wd = wd->next)
			offer_state(wd);
	}
	/* A change committed while this read was out may have been missed. */
	if (ws->again) {
		ws->again = 0;
		refresh(ws);
	}
}

/* Re-read the schema state and tell every watcher if it changed. */
static void refresh(watch_state *ws)
{
	if (ws->watchers == NULL) {
		ws->known = 0; /* nobody to compare for */
		return;
	}
	if (ws->reading) {
		ws->again = 1;
		return;
	}
	ws->reading = 1;
	hr_reader_submit(ws->server, &ws->read, refresh_done);
}

/* The writer started / finished a job, or its job reported progress. */
static void set_activity(watch_state *ws, int migrating, const char *detail)
{
	ws->activity =
		migrating ? HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_MIGRATING
			  : HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_IDLE;
	snprintf(ws->detail, sizeof ws->detail, "%s", detail);
	/* Force a comparison failure so the new activity is always sent. */
	ws->known = 0;
	refresh(ws);
}

static void on_poll(uv_timer_t *timer)
{
	refresh(timer->data);
}

static void unlink_watcher(watch_state *ws, watch_data *wd)
{
	for (watch_data **p = &ws->watchers; *p != NULL; p = &(*p)->next) {
		if (*p == wd) {
			*p = wd->next;
			break;
		}
	}
	if (ws->watchers == NULL)
		uv_timer_stop(&ws->poll);
}

static void end_watch(watch_data *wd, hr_code code, const char *why)
{
	hr_call *call = wd->call;

	unlink_watcher(state_of(call->server), wd);
	free(wd->target);
	free(wd);
	hr_call_finish(call, code, "%s", why);
}

static void watch_cancel(hr_call *call, hr_code code, const char *why)
{
	end_watch(call->data, code,
		  code == HR_CANCELLED ? "watch cancelled" : why);
}

static void on_event(hr_server *server, const hr_event *ev, void *ud)
{
	watch_state *ws = ud;

	(void)server;
	switch (ev->kind) {
	case HR_EVENT_JOB_STARTED:
		set_activity(ws, 1, ev->detail);
		break;
	case HR_EVENT_JOB_PROGRESS:
		/* Each event may mean a committed step: watchers see it. */
		if (ev->detail != NULL)
			set_activity(ws, 1, ev->detail);
		else
			refresh(ws);
		break;
	case HR_EVENT_JOB_FINISHED:
		if (!hr_writer_busy(server))
			set_activity(ws, 0, "");
		break;
	case HR_EVENT_MAP_RELOADED:
		/* The heads may have moved: watchers hear of it. */
		ws->known = 0;
		refresh(ws);
		break;
	case HR_EVENT_SHUTTING_DOWN:
		while (ws->watchers != NULL)
			end_watch(ws->watchers, HR_UNAVAILABLE,
				  "hrd is shutting down");
		uv_close((uv_handle_t *)&ws->poll, NULL);
		break;
	case HR_EVENT_FREE:
		/* Not before: a read still out at shutdown ends later. */
		hr_strlist_free(&ws->rows);
		free(ws);
		break;
	case HR_EVENT_RELOAD:
		break;
	}
}

int hr_watch_init(hr_server *server, hr_error *err)
{
	watch_state *ws = calloc(1, sizeof *ws);
	int rc;

	if (ws == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	ws->server = server;
	if ((rc = hr_events_subscribe(server, on_event, ws, err)) < 0) {
		free(ws);
		return rc;
	}
	uv_timer_init(server->loop, &ws->poll);
	ws->poll.data = ws;
	return 0;
}

void hr_watch_follow(hr_call *call, const char *target, hr_watch_tell_fn tell)
{
	watch_state *ws = state_of(call->server);
	watch_data *wd = calloc(1, sizeof *wd);

	if (wd == NULL || (wd->target = strdup(target)) == NULL) {
		free(wd);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	wd->call = call;
	wd->tell = tell;
	wd->told = -1;
	call->data = wd;
	call->on_cancel = watch_cancel;
	hr_call_keep_latest(call, on_drain);
	if (ws->watchers == NULL)
		uv_timer_start(&ws->poll, on_poll, POLL_MS, POLL_MS);
	wd->next = ws->watchers;
	ws->watchers = wd;
	/* The state now. A refresh that finds a change sends it to every
	 * watcher, this one included; otherwise this one is still owed it.
	 * While no state is known yet (the first read is still out, on
	 * PostgreSQL) the read's end sends it to every watcher. */
	wd->dirty = 1;
	refresh(ws);
	if (wd->dirty && ws->known)
		offer_state(wd);
}

static void watch_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__WatchRequest *req =
		(const Homerack__V1__WatchRequest *)request;
	hr_server *server = call->server;
	const hr_migration *m;
	hr_error err;

	if (req->target[0] != '\0' && strcmp(req->target, "head") != 0 &&
	    strcmp(req->target, "heads") != 0) {
		if (hr_method_need_map(call))
			return;
		if (hr_revmap_lookup(server->map, req->target, &m, &err) < 0) {
			hr_call_finish(call, err.code, "%s", err.msg);
			return;
		}
	}
	hr_watch_follow(call, req->target, NULL);
}

const hr_method hr_method_watch = {
	.path = HR_RPC_WATCH,
	.kind = HR_SERVER_STREAM,
	.request_type = &homerack__v1__watch_request__descriptor,
	.start = watch_start,
};
