/* history.c — History: every revision of the map (or those of a range,
 * `history -r START:END`), newest first; with heads_only, only the heads
 * among them. */
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "rpcnames.h"

/* What one History call asked, kept until its rows are read. */
typedef struct history_ask {
	int heads_only;
	char range[];
} history_ask;

/* Keep the heads of list[0 .. *n), in order. */
static void keep_heads(const hr_revmap *map, const hr_migration **list,
		       size_t *n)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++)
		if (hr_revmap_is_head(map, list[i]))
			list[kept++] = list[i];
	*n = kept;
}

static void history_reply(hr_call *call, void *ud, int rc,
			  const hr_strlist *rows, const hr_error *err)
{
	hr_server *server = call->server;
	const history_ask *ask = ud;
	const char *range = ask->range;
	const hr_migration **list = NULL;
	size_t n;
	hr_error range_err;

	/* The map may have been unloaded while the rows were read. */
	if (hr_method_need_map(call))
		return;
	/* The current rows only mark revisions; a failed read is not fatal
	 * to listing the map, so it shows nothing as current. A range may
	 * count from them, though. */
	if (rc < 0 && range[0] != '\0') {
		hr_call_finish(call, HR_UNAVAILABLE,
			       "cannot read " HR_VERSION_TABLE ": %s", err->msg);
		return;
	}
	n = hr_revmap_count(server->map);
	if (range[0] != '\0') {
		if (hr_plan_range(server->map, (const char *const *)rows->items,
				  rows->n, range, &list, &n, &range_err) < 0) {
			hr_call_finish(call, range_err.code, "%s",
				       range_err.msg);
			return;
		}
	} else if (ask->heads_only) {
		/* The map's heads are in topological order: newest last. */
		n = hr_revmap_head_count(server->map);
		if ((list = malloc((n + 1) * sizeof *list)) != NULL)
			for (size_t i = 0; i < n; i++)
				list[i] = hr_revmap_head(server->map,
							 n - 1 - i);
	} else if ((list = malloc((n + 1) * sizeof *list)) != NULL) {
		for (size_t i = 0; i < n; i++)
			list[i] = hr_revmap_at(server->map, n - 1 - i);
	}
	if (list == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if (ask->heads_only && range[0] != '\0')
		keep_heads(server->map, list, &n);
	hr_revinfo_reply(call, list, n, rc < 0 ? NULL : rows);
	free(list);
}

static void history_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__HistoryRequest *req =
		(const Homerack__V1__HistoryRequest *)request;
	size_t len = strlen(req->range);
	history_ask *ask;

	if (hr_method_need_map(call))
		return;
	ask = malloc(sizeof *ask + len + 1);
	if (ask == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	ask->heads_only = req->heads_only;
	memcpy(ask->range, req->range, len + 1);
	hr_reader_for_call(call, history_reply, ask, free);
}

const hr_method hr_method_history = {
	.path = HR_RPC_HISTORY,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__history_request__descriptor,
	.start = history_start,
};
