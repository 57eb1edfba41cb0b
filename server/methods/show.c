/*
 * show.c — Show: the revisions a target names (`heads`, `cart@head`, an
 * id, `current`...), described as History describes them. The version
 * rows are read only for targets that count from them, so `heads` and
 * `show REV` work while the database is down.
 */
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "rpcnames.h"

/* Answer with what target names; rows NULL when they were not read. */
static void show_answer(hr_call *call, const char *target,
			const hr_strlist *rows)
{
	const hr_migration **named = NULL;
	size_t n = 0;
	hr_error err;

	if (hr_method_need_map(call))
		return;
	if (hr_plan_resolve(call->server->map,
			    rows ? (const char *const *)rows->items : NULL,
			    rows ? rows->n : 0, rows != NULL, target, &named,
			    &n, &err) < 0) {
		hr_call_finish(call, err.code, "%s", err.msg);
		return;
	}
	hr_revinfo_reply(call, named, n, rows);
	free(named);
}

static void show_rows(hr_call *call, void *ud, int rc, const hr_strlist *rows,
		      const hr_error *err)
{
	if (rc < 0)
		hr_call_finish(call, HR_UNAVAILABLE,
			       "cannot read " HR_VERSION_TABLE ": %s", err->msg);
	else
		show_answer(call, ud, rows);
}

static void show_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__ShowRequest *req =
		(const Homerack__V1__ShowRequest *)request;
	char *target;

	if (hr_method_need_map(call))
		return;
	if (req->target[0] == '\0') {
		hr_call_finish(call, HR_INVALID_ARGUMENT,
			       "show needs a target revision (e.g. head)");
		return;
	}
	if (!hr_plan_needs_current(req->target)) {
		show_answer(call, req->target, NULL);
		return;
	}
	target = strdup(req->target);
	if (target == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	hr_reader_for_call(call, show_rows, target, free);
}

const hr_method hr_method_show = {
	.path = HR_RPC_SHOW,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__show_request__descriptor,
	.start = show_start,
};
