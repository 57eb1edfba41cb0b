/*
 * watch.c — Watch: the schema's state now, then at every change.
 *
 * The server keeps the state it last told watchers (version rows,
 * activity, detail). hr_watch_refresh re-reads the rows and, when
 * anything differs, sends the new state to every watcher. A watcher whose
 * connection has not taken the previous message is only marked dirty and
 * gets the latest state once it drains (hr_watch_flush): a slow reader
 * never makes hrd queue a backlog.
 *
 * Changes hrd makes itself are seen as its writer reports them; changes
 * made by other programs (Alembic, a second hrd on a shared PostgreSQL)
 * are caught by polling once a second while anyone watches.
 *
 * The rows are read through reader.c: at once on SQLite, on the pool on
 * PostgreSQL (never a network wait on the loop). One refresh read is out
 * at a time; refreshes asked for meanwhile make one more read after it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "methods.h"
#include "rpcnames.h"

#define POLL_MS 1000
/* A watcher's kernel send buffer (Linux doubles it): states are ~100
 * bytes, so this holds dozens, and a stalled watcher pins little. */
#define WATCH_SNDBUF 8192

typedef struct watch_data {
	char *target; /* "" for none */
	int dirty;    /* a state is owed once the connection drains */
} watch_data;

typedef Homerack__V1__SchemaState__Activity activity_t;

/*
 * The rows the version table holds at head, sorted (empty when no map):
 * the `heads` target as the engine resolves it, so a head another head
 * depends on (and which therefore never has a row of its own) is left
 * out, as Alembic does.
 */
static void map_heads(const hr_revmap *map, hr_strlist *out)
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

static void send_state(hr_call *call)
{
	Homerack__V1__SchemaState st = HOMERACK__V1__SCHEMA_STATE__INIT;
	hr_server *server = call->server;
	watch_data *wd = call->data;
	hr_strlist heads = {0};

	map_heads(server->map, &heads);
	st.sequence = server->watch_sequence;
	st.revisions = server->watch_rows.items;
	st.n_revisions = server->watch_rows.n;
	st.heads = heads.items;
	st.n_heads = heads.n;
	st.at_head = heads.n > 0 && hr_strlist_equal(&server->watch_rows, &heads);
	st.activity = (activity_t)server->watch_activity;
	st.detail = server->watch_detail;
	st.target_reached =
		target_reached(server, wd->target, &server->watch_rows, &heads);
	hr_call_send(call, &st.base);
	wd->dirty = 0;
	hr_strlist_free(&heads);
}

/* Send now, or owe it until the connection drains. */
static void offer_state(hr_call *call)
{
	watch_data *wd = call->data;

	if (call->conn == NULL)
		return;
	if (hr_conn_backlogged(call->conn))
		wd->dirty = 1;
	else
		send_state(call);
}

static void watch_cancel(hr_call *call, hr_code code, const char *why);

void hr_watch_flush(hr_conn *conn)
{
	/* Only watch calls: other long calls use on_cancel too. */
	for (hr_call *c = conn->calls; c != NULL; c = c->next)
		if (c->on_cancel == watch_cancel && ((watch_data *)c->data)->dirty)
			send_state(c);
}

/* The refresh's read is done: rows (rc 0) or why not (the state is then
 * UNAVAILABLE with the reason). Compare with what watchers were last
 * told, and tell them when anything differs. */
static void refresh_done(hr_read *read, int rc, const hr_strlist *rows,
			 const hr_error *err)
{
	hr_server *server =
		(hr_server *)((char *)read - offsetof(hr_server, watch_read));
	hr_strlist copy = {0};
	int activity = server->watch_activity, oom = 0;
	char detail[sizeof server->watch_detail];

	server->watch_reading = 0;
	if (server->watchers == NULL) {
		server->watch_known = 0; /* nobody to compare for */
		server->watch_again = 0;
		return;
	}
	snprintf(detail, sizeof detail, "%s", server->watch_detail);
	if (activity == HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_UNAVAILABLE) {
		activity = server->running
				   ? HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_MIGRATING
				   : HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_IDLE;
		if (!server->running)
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
	if (server->watch_known && activity == server->watch_activity &&
	    strcmp(detail, server->watch_detail) == 0 &&
	    hr_strlist_equal(&copy, &server->watch_rows)) {
		hr_strlist_free(&copy);
	} else {
		hr_strlist_free(&server->watch_rows);
		server->watch_rows = copy;
		server->watch_activity = activity;
		snprintf(server->watch_detail, sizeof server->watch_detail, "%s",
			 detail);
		server->watch_sequence++;
		server->watch_known = 1;
		for (hr_call *c = server->watchers; c != NULL; c = c->watch_next)
			offer_state(c);
	}
	/* A change committed while this read was out may have been missed. */
	if (server->watch_again) {
		server->watch_again = 0;
		hr_watch_refresh(server);
	}
}

void hr_watch_refresh(hr_server *server)
{
	if (server->watchers == NULL) {
		server->watch_known = 0; /* nobody to compare for */
		return;
	}
	if (server->watch_reading) {
		server->watch_again = 1;
		return;
	}
	server->watch_reading = 1;
	hr_reader_submit(server, &server->watch_read, refresh_done);
}

void hr_watch_activity(hr_server *server, int migrating, const char *detail)
{
	server->watch_activity =
		migrating ? HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_MIGRATING
			  : HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_IDLE;
	snprintf(server->watch_detail, sizeof server->watch_detail, "%s",
		 detail);
	/* Force a comparison failure so the new activity is always sent. */
	server->watch_known = 0;
	hr_watch_refresh(server);
}

static void on_poll(uv_timer_t *timer)
{
	hr_watch_refresh(timer->data);
}

static void unlink_watcher(hr_call *call)
{
	hr_server *server = call->server;

	for (hr_call **p = &server->watchers; *p != NULL; p = &(*p)->watch_next) {
		if (*p == call) {
			*p = call->watch_next;
			break;
		}
	}
	if (server->watchers == NULL)
		uv_timer_stop(&server->watch_poll);
}

static void end_watch(hr_call *call, hr_code code, const char *why)
{
	watch_data *wd = call->data;

	unlink_watcher(call);
	free(wd->target);
	free(wd);
	hr_call_finish(call, code, "%s", why);
}

static void watch_cancel(hr_call *call, hr_code code, const char *why)
{
	end_watch(call, code,
		  code == HR_CANCELLED ? "watch cancelled" : why);
}

void hr_watch_stop_all(hr_server *server)
{
	while (server->watchers != NULL)
		end_watch(server->watchers, HR_UNAVAILABLE, "hrd is shutting down");
	uv_close((uv_handle_t *)&server->watch_poll, NULL);
}

static void watch_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__WatchRequest *req =
		(const Homerack__V1__WatchRequest *)request;
	hr_server *server = call->server;
	const hr_migration *m;
	watch_data *wd;
	uv_os_fd_t fd;
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
	wd = calloc(1, sizeof *wd);
	if (wd == NULL || (wd->target = strdup(req->target)) == NULL) {
		free(wd);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	call->data = wd;
	call->on_cancel = watch_cancel;
	if (uv_fileno((uv_handle_t *)&call->conn->pipe, &fd) == 0) {
		int size = WATCH_SNDBUF;

		/* Best effort: without it the backlog just forms later. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	if (server->watchers == NULL)
		uv_timer_start(&server->watch_poll, on_poll, POLL_MS, POLL_MS);
	call->watch_next = server->watchers;
	server->watchers = call;
	/* The state now. A refresh that finds a change sends it to every
	 * watcher, this one included; otherwise this one is still owed it.
	 * While no state is known yet (the first read is still out, on
	 * PostgreSQL) the read's end sends it to every watcher. */
	wd->dirty = 1;
	hr_watch_refresh(server);
	if (wd->dirty && server->watch_known)
		offer_state(call);
}

const hr_method hr_method_watch = {
	.path = HR_RPC_WATCH,
	.kind = HR_SERVER_STREAM,
	.request_type = &homerack__v1__watch_request__descriptor,
	.start = watch_start,
};
