/*
 * call.c — the seam between transports and methods: one RPC from the
 * moment a transport hands it over (hr_call_start) to its final status.
 *
 * A transport (native.c for hrd's own frames; HTTP/2 gRPC beside it
 * later) turns bytes into a hr_call_request: method path, payload,
 * timeout, who the peer is, and a stream to send on (hr_stream_ops).
 * Here the interceptors every call passes run (limits, authorisation),
 * the payload is decoded with the method's own type, the deadline
 * armed, and the method started. Methods see only hr_call; whatever
 * happens, the stream ends with exactly one finish (unless its peer is
 * gone).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pballoc.h"
#include "server.h"

/* Watch's states are ~100 bytes: this holds dozens (Linux doubles it). */
#define KEEP_LATEST_SNDBUF 8192

void hr_call_send_packed(hr_call *call, const uint8_t *data, size_t len)
{
	if (call->stream != NULL)
		call->ops->send(call->stream, data, len);
}

void hr_call_send(hr_call *call, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *data = malloc(len + 1);

	if (data == NULL)
		return;
	protobuf_c_message_pack(msg, data);
	hr_call_send_packed(call, data, len);
	free(data);
}

void hr_call_keep_latest(hr_call *call, void (*on_drain)(hr_call *call))
{
	call->on_drain = on_drain;
	if (call->stream != NULL)
		call->ops->limit_buffer(call->stream, KEEP_LATEST_SNDBUF);
}

int hr_call_backlogged(const hr_call *call)
{
	return call->stream != NULL && call->ops->backlogged(call->stream);
}

void hr_call_drained(hr_call *call)
{
	if (call->on_drain != NULL)
		call->on_drain(call);
}

static void timer_free(uv_handle_t *handle)
{
	free(handle);
}

/* The call ends or loses its peer: its deadline no longer needs a
 * timer. */
static void disarm_deadline(hr_call *call)
{
	if (call->deadline_timer == NULL)
		return;
	uv_close((uv_handle_t *)call->deadline_timer, timer_free);
	call->deadline_timer = NULL;
}

/* Stop call's work with code and why: its job stops (dropped if queued),
 * a long call without one ends. A call finished at once has nothing to
 * stop. */
static void stop_call(hr_call *call, hr_code code, const char *why)
{
	if (call->job != NULL)
		hr_writer_stop(call->server, call->job, code);
	else if (call->on_cancel != NULL)
		call->on_cancel(call, code, why);
}

static void on_deadline(uv_timer_t *timer)
{
	hr_call *call = timer->data;

	hr_log(HR_LOG_INFO, "%s by uid %ld: deadline passed; stopping",
	       call->method->path, (long)call->peer_uid);
	stop_call(call, HR_DEADLINE_EXCEEDED, "deadline exceeded");
}

/* Arm a timer that stops call at its deadline, wherever it waits. */
static int arm_deadline(hr_call *call, uint64_t timeout_ms)
{
	uv_timer_t *timer = malloc(sizeof *timer);

	if (timer == NULL)
		return -1;
	uv_timer_init(call->server->loop, timer);
	timer->data = call;
	uv_timer_start(timer, on_deadline, timeout_ms, 0);
	call->deadline_timer = timer;
	return 0;
}

void hr_call_finish(hr_call *call, hr_code code, const char *fmt, ...)
{
	char message[HR_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (code != HR_OK)
		hr_log(HR_LOG_INFO, "%s by uid %ld: %s: %s", call->method->path,
		       (long)call->peer_uid, hr_code_name(code), message);
	disarm_deadline(call);
	/* Last: the transport may close the connection once its last
	 * stream ends. */
	if (call->stream != NULL)
		call->ops->finish(call->stream, code, message);
	free(call);
}

void hr_call_detach(hr_call *call)
{
	call->stream = NULL;
	/* The job finishes the call (now peerless) when it ends; a call
	 * without one has nothing left to do. */
	if (call->job != NULL)
		hr_log(HR_LOG_INFO, "%s: uid %ld went away; cancelling",
		       call->method->path, (long)call->peer_uid);
	if (call->job != NULL || call->on_cancel != NULL) {
		stop_call(call, HR_CANCELLED, "the client went away");
	} else {
		disarm_deadline(call);
		free(call);
	}
}

void hr_call_cancel(hr_call *call)
{
	if (call->job != NULL)
		hr_log(HR_LOG_INFO, "%s: uid %ld cancelled the call",
		       call->method->path, (long)call->peer_uid);
	stop_call(call, HR_CANCELLED, "cancelled");
}

/* ---- interceptors ------------------------------------------------------ */

/* The checks every call passes before its method starts, whatever its
 * transport (gRPC's interceptors): each returns 0, or fills err with
 * the status that ends the call. */
typedef int (*interceptor)(hr_server *server, const hr_call_request *req,
			   const hr_method *method, hr_error *err);

/* A connection holds at most max_calls_per_conn calls at once: checked
 * first, before the method is even looked up. */
static int limit_calls(hr_server *server, const hr_call_request *req,
		       hr_error *err)
{
	if (req->peer_calls < server->cfg.max_calls_per_conn)
		return 0;
	return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
			    "too many calls in flight on this connection "
			    "(limit %zu)",
			    server->cfg.max_calls_per_conn);
}

/* Only admins may call a method that changes the schema. */
static int authorize(hr_server *server, const hr_call_request *req,
		     const hr_method *method, hr_error *err)
{
	if (!method->mutating || req->peer_is_admin)
		return 0;
	return hr_error_set(err, HR_PERMISSION_DENIED,
			    "uid %ld may not call %s: changing the schema "
			    "needs %s",
			    (long)req->peer_uid, method->path,
			    hr_peer_admin_description(server));
}

static const interceptor interceptors[] = {authorize};

/* Find req's method and run the interceptors; on failure err says why. */
static const hr_method *admit(hr_server *server, const hr_call_request *req,
			      hr_error *err)
{
	const hr_method *method;
	size_t i;

	if (limit_calls(server, req, err) < 0)
		return NULL;
	method = hr_method_find(req->method);
	if (method == NULL) {
		hr_error_set(err, HR_UNIMPLEMENTED, "unknown method '%.200s'",
			     req->method);
		return NULL;
	}
	for (i = 0; i < sizeof interceptors / sizeof interceptors[0]; i++)
		if (interceptors[i](server, req, method, err) < 0)
			return NULL;
	return method;
}

/* ---- start ------------------------------------------------------------- */

void hr_call_start(hr_server *server, const hr_call_request *req)
{
	const hr_method *method;
	ProtobufCMessage *payload;
	hr_pballoc alloc;
	hr_call *call;
	hr_error err;

	if ((method = admit(server, req, &err)) == NULL) {
		req->ops->finish(req->stream, err.code, err.msg);
		return;
	}
	hr_pballoc_init(&alloc, HR_PBALLOC_REQUEST_LIMIT);
	payload = protobuf_c_message_unpack(method->request_type, &alloc.base,
					    req->payload_len, req->payload);
	if (payload == NULL) {
		hr_error_set(&err, HR_INVALID_ARGUMENT, "malformed %s payload",
			     method->request_type->name);
		req->ops->finish(req->stream, err.code, err.msg);
		return;
	}
	call = calloc(1, sizeof *call);
	if (call != NULL) {
		call->server = server;
		call->ops = req->ops;
		call->stream = req->stream;
		call->method = method;
		call->peer_uid = req->peer_uid;
	}
	if (call != NULL && req->timeout_ms > 0) {
		call->deadline = uv_now(server->loop) + req->timeout_ms;
		if (arm_deadline(call, req->timeout_ms) < 0) {
			free(call);
			call = NULL;
		}
	}
	if (call == NULL) {
		protobuf_c_message_free_unpacked(payload, &alloc.base);
		req->ops->finish(req->stream, HR_RESOURCE_EXHAUSTED,
				 "out of memory");
		return;
	}
	*req->bind = call;
	method->start(call, payload);
	protobuf_c_message_free_unpacked(payload, &alloc.base);
}
