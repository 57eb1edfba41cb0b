/* history.c — History: every revision of the map, newest first. */
#include <stdlib.h>
#include <string.h>

#include "methods.h"

static void history_reply(hr_call *call, int rc, const hr_strlist *rows,
			  const hr_error *err)
{
	Homerack__V1__HistoryReply reply = HOMERACK__V1__HISTORY_REPLY__INIT;
	Homerack__V1__Revision *revs, **ptrs;
	hr_server *server = call->server;
	size_t n, n_rows;

	(void)err;
	/* The map may have been unloaded while the rows were read. */
	if (hr_method_need_map(call))
		return;
	/* The current rows only mark revisions; a failed read is not fatal
	 * to listing the map, so it shows nothing as current. */
	n_rows = rc < 0 ? 0 : rows->n;
	n = hr_revmap_count(server->map);
	revs = calloc(n + 1, sizeof *revs);
	ptrs = calloc(n + 1, sizeof *ptrs);
	if (revs == NULL || ptrs == NULL) {
		free(revs);
		free(ptrs);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const hr_migration *m = hr_revmap_at(server->map, n - 1 - i);

		homerack__v1__revision__init(&revs[i]);
		hr_revinfo_fill(&revs[i], server->map, m);
		for (size_t j = 0; j < n_rows; j++)
			if (strcmp(rows->items[j], m->revision) == 0)
				revs[i].is_current = 1;
		ptrs[i] = &revs[i];
	}
	reply.revisions = ptrs;
	reply.n_revisions = n;
	hr_call_send(call, &reply.base);
	hr_call_finish(call, HR_OK, "%s", "");
	free(revs);
	free(ptrs);
}

static void history_start(hr_call *call, const ProtobufCMessage *request)
{
	(void)request;
	if (hr_method_need_map(call))
		return;
	hr_reader_for_call(call, history_reply);
}

const hr_method hr_method_history = {
	.path = "/homerack.v1.Schema/History",
	.kind = HR_UNARY,
	.request_type = &homerack__v1__history_request__descriptor,
	.start = history_start,
};
