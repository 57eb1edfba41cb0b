/*
 * health.c — grpc.health.v1.Health (Check and Watch), for readiness
 * probes and any gRPC health checker:
 *
 *   ""                    SERVING while hrd serves
 *   "homerack.v1.Schema"  SERVING while the database is at every head
 *                         (and readable), NOT_SERVING otherwise
 *   anything else         Check: NOT_FOUND; Watch: SERVICE_UNKNOWN
 *
 * Built on the schema state hrd already keeps: Check reads the version
 * rows as Current does (reader.c), Watch follows the state Watch sends
 * (watch.c's hr_watch_follow), so a health watcher sees every change a
 * Watch does, with the same slow-reader rules.
 */
#include <string.h>

#include "health.pb-c.h"
#include "methods.h"

#define SERVICE_SCHEMA "homerack.v1.Schema"

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_t;

static void send_status(hr_call *call, serving_t status)
{
	Grpc__Health__V1__HealthCheckResponse resp =
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;

	resp.status = status;
	hr_call_send(call, &resp.base);
}

static serving_t serving_if(int ok)
{
	return ok ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
		  : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

/* ---- Check ------------------------------------------------------------- */

static void check_reply(hr_call *call, void *ud, int rc,
			const hr_strlist *rows, const hr_error *err)
{
	hr_strlist heads = {0};

	(void)ud;
	(void)err;
	hr_watch_map_heads(call->server->map, &heads);
	send_status(call, serving_if(rc == 0 && heads.n > 0 &&
				     hr_strlist_equal(rows, &heads)));
	hr_strlist_free(&heads);
	hr_call_finish(call, HR_OK, "%s", "");
}

static void check_start(hr_call *call, const ProtobufCMessage *request)
{
	const Grpc__Health__V1__HealthCheckRequest *req =
		(const Grpc__Health__V1__HealthCheckRequest *)request;

	if (req->service[0] == '\0') {
		send_status(call, serving_if(1));
		hr_call_finish(call, HR_OK, "%s", "");
	} else if (strcmp(req->service, SERVICE_SCHEMA) == 0) {
		hr_reader_for_call(call, check_reply, NULL, NULL);
	} else {
		hr_call_finish(call, HR_NOT_FOUND, "unknown service '%.200s'",
			       req->service);
	}
}

const hr_method hr_method_health_check = {
	.path = "/grpc.health.v1.Health/Check",
	.kind = HR_UNARY,
	.request_type = &grpc__health__v1__health_check_request__descriptor,
	.start = check_start,
};

/* ---- Watch ------------------------------------------------------------- */

/* Send status unless it is what the watcher was last told. */
static void tell_status(hr_call *call, serving_t status, int *told)
{
	if (*told == (int)status)
		return;
	*told = (int)status;
	send_status(call, status);
}

static void tell_server(hr_call *call, const Homerack__V1__SchemaState *st,
			int *told)
{
	(void)st;
	tell_status(call, serving_if(1), told);
}

static void tell_schema(hr_call *call, const Homerack__V1__SchemaState *st,
			int *told)
{
	tell_status(call,
		    serving_if(st->at_head &&
			       st->activity != HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_UNAVAILABLE),
		    told);
}

static void tell_unknown(hr_call *call, const Homerack__V1__SchemaState *st,
			 int *told)
{
	(void)st;
	tell_status(call,
		    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN,
		    told);
}

static void watch_start(hr_call *call, const ProtobufCMessage *request)
{
	const Grpc__Health__V1__HealthCheckRequest *req =
		(const Grpc__Health__V1__HealthCheckRequest *)request;

	if (req->service[0] == '\0')
		hr_watch_follow(call, "", tell_server);
	else if (strcmp(req->service, SERVICE_SCHEMA) == 0)
		hr_watch_follow(call, "", tell_schema);
	else
		hr_watch_follow(call, "", tell_unknown);
}

const hr_method hr_method_health_watch = {
	.path = "/grpc.health.v1.Health/Watch",
	.kind = HR_SERVER_STREAM,
	.request_type = &grpc__health__v1__health_check_request__descriptor,
	.start = watch_start,
};
