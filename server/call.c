/*
 * call.c — one RPC from decode to final status.
 *
 * A Request frame is decoded through a budgeted allocator, its protocol
 * version and method checked, the peer authorized, the payload decoded
 * with the method's own type, and the method started. Whatever happens,
 * the call ends with exactly one status frame (unless its peer is gone).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pballoc.h"
#include "server.h"

static hr_call *find_call(hr_conn *conn, uint64_t id)
{
	for (hr_call *c = conn->calls; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void unlink_call(hr_call *call)
{
	hr_conn *conn = call->conn;

	if (conn == NULL)
		return;
	for (hr_call **p = &conn->calls; *p != NULL; p = &(*p)->next) {
		if (*p == call) {
			*p = call->next;
			conn->n_calls--;
			break;
		}
	}
	call->conn = NULL;
}

void hr_call_send_packed(hr_call *call, const uint8_t *data, size_t len)
{
	Homerack__V1__Response resp = HOMERACK__V1__RESPONSE__INIT;

	if (call->conn == NULL)
		return;
	resp.call_id = call->id;
	resp.body_case = HOMERACK__V1__RESPONSE__BODY_MESSAGE;
	resp.message.data = (uint8_t *)data;
	resp.message.len = len;
	hr_conn_write_response(call->conn, &resp);
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

/* Watch's states are ~100 bytes: this holds dozens (Linux doubles it). */
#define KEEP_LATEST_SNDBUF 8192

void hr_call_keep_latest(hr_call *call, void (*on_drain)(hr_call *call))
{
	call->on_drain = on_drain;
	if (call->conn != NULL)
		hr_conn_limit_send_buffer(call->conn, KEEP_LATEST_SNDBUF);
}

int hr_call_backlogged(const hr_call *call)
{
	return call->conn != NULL && hr_conn_backlogged(call->conn);
}

void hr_call_drained(hr_conn *conn)
{
	hr_call *c = conn->calls, *next;

	for (; c != NULL; c = next) {
		next = c->next; /* on_drain may end c */
		if (c->on_drain != NULL)
			c->on_drain(c);
	}
}

static void timer_free(uv_handle_t *handle)
{
	free(handle);
}

/* The call ends or leaves its connection: its deadline no longer needs
 * a timer. */
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
	hr_conn *conn = call->conn;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (call->conn != NULL)
		hr_conn_write_status(call->conn, call->id, code, message);
	if (code != HR_OK)
		hr_log(HR_LOG_INFO, "%s by uid %ld: %s: %s", call->method->path,
		       (long)call->peer_uid, hr_code_name(code), message);
	if (conn != NULL)
		conn->last_active = uv_now(call->server->loop);
	unlink_call(call);
	disarm_deadline(call);
	free(call);
	if (conn != NULL)
		hr_conn_call_ended(conn);
}

void hr_call_detach_all(hr_conn *conn)
{
	while (conn->calls != NULL) {
		hr_call *call = conn->calls;

		unlink_call(call);
		/* The job finishes the call (now peerless) when it ends;
		 * a call without one has nothing left to do. */
		if (call->job != NULL)
			hr_log(HR_LOG_INFO, "%s: uid %ld went away; cancelling",
			       call->method->path, (long)conn->uid);
		if (call->job != NULL || call->on_cancel != NULL) {
			stop_call(call, HR_CANCELLED, "the client went away");
		} else {
			disarm_deadline(call);
			free(call);
		}
	}
}

void hr_call_cancel(hr_conn *conn, uint64_t id)
{
	hr_call *call = find_call(conn, id);

	/* Cancelling a call that already ended is not an error (it races
	 * with the final status), so unknown ids are ignored. */
	if (call == NULL)
		return;
	if (call->job != NULL)
		hr_log(HR_LOG_INFO, "%s: uid %ld cancelled the call",
		       call->method->path, (long)conn->uid);
	stop_call(call, HR_CANCELLED, "cancelled");
}

/* Check the envelope; on failure answer (and maybe close) and return -1. */
static int check_envelope(hr_conn *conn, const Homerack__V1__Request *req)
{
	char message[256];

	if (req->protocol_version != HOMERACK__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT) {
		snprintf(message, sizeof message,
			 "protocol version %u is not supported; this hrd "
			 "speaks version %d",
			 req->protocol_version,
			 HOMERACK__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT);
		hr_conn_write_status(conn, req->call_id, HR_FAILED_PRECONDITION,
				     message);
		hr_conn_close_after_writes(conn);
		return -1;
	}
	if (req->cancel) {
		hr_call_cancel(conn, req->call_id);
		return -1;
	}
	/* A status under a live call's id would end that call for the
	 * client while it runs on, and id 0 names the connection: both are
	 * connection errors (as a reused stream id is in HTTP/2). */
	if (req->call_id == 0 || find_call(conn, req->call_id) != NULL) {
		snprintf(message, sizeof message,
			 req->call_id == 0
				 ? "call id %llu is reserved; closing"
				 : "call id %llu is already in use on this "
				   "connection; closing",
			 (unsigned long long)req->call_id);
		hr_log(HR_LOG_WARN, "uid %ld: %s", (long)conn->uid, message);
		hr_conn_write_status(conn, 0, HR_INVALID_ARGUMENT, message);
		hr_conn_close_after_writes(conn);
		return -1;
	}
	if (conn->n_calls >= conn->server->cfg.max_calls_per_conn) {
		snprintf(message, sizeof message,
			 "too many calls in flight on this connection (limit "
			 "%zu)",
			 conn->server->cfg.max_calls_per_conn);
		hr_conn_write_status(conn, req->call_id, HR_RESOURCE_EXHAUSTED, message);
		return -1;
	}
	return 0;
}

/* Method lookup, authorization and payload decoding, then start. */
static void start_call(hr_conn *conn, const Homerack__V1__Request *req)
{
	const hr_method *method = hr_method_find(req->method);
	ProtobufCMessage *payload;
	char message[512];
	hr_pballoc alloc;
	hr_call *call;

	if (method == NULL) {
		snprintf(message, sizeof message, "unknown method '%.200s'",
			 req->method);
		hr_conn_write_status(conn, req->call_id, HR_UNIMPLEMENTED, message);
		return;
	}
	if (method->mutating && !conn->is_admin) {
		snprintf(message, sizeof message,
			 "uid %ld may not call %s: changing the schema needs %s",
			 (long)conn->uid, method->path,
			 hr_peer_admin_description(conn->server));
		hr_conn_write_status(conn, req->call_id, HR_PERMISSION_DENIED, message);
		return;
	}
	hr_pballoc_init(&alloc, HR_PBALLOC_REQUEST_LIMIT);
	payload = protobuf_c_message_unpack(method->request_type, &alloc.base,
					    req->payload.len, req->payload.data);
	if (payload == NULL) {
		snprintf(message, sizeof message, "malformed %s payload",
			 method->request_type->name);
		hr_conn_write_status(conn, req->call_id, HR_INVALID_ARGUMENT, message);
		return;
	}
	call = calloc(1, sizeof *call);
	if (call == NULL) {
		protobuf_c_message_free_unpacked(payload, &alloc.base);
		hr_conn_write_status(conn, req->call_id, HR_RESOURCE_EXHAUSTED,
			    "out of memory");
		return;
	}
	call->server = conn->server;
	call->conn = conn;
	call->id = req->call_id;
	call->method = method;
	call->peer_uid = conn->uid;
	if (req->timeout_ms > 0) {
		call->deadline = uv_now(conn->server->loop) + req->timeout_ms;
		if (arm_deadline(call, req->timeout_ms) < 0) {
			free(call);
			protobuf_c_message_free_unpacked(payload, &alloc.base);
			hr_conn_write_status(conn, req->call_id,
					     HR_RESOURCE_EXHAUSTED,
					     "out of memory");
			return;
		}
	}
	call->next = conn->calls;
	conn->calls = call;
	conn->n_calls++;
	method->start(call, payload);
	protobuf_c_message_free_unpacked(payload, &alloc.base);
}

void hr_call_dispatch(hr_conn *conn, const uint8_t *frame, size_t len)
{
	Homerack__V1__Request *req;
	hr_pballoc alloc;

	hr_pballoc_init(&alloc, HR_PBALLOC_REQUEST_LIMIT);
	req = homerack__v1__request__unpack(&alloc.base, len, frame);
	if (req == NULL) {
		hr_log(HR_LOG_WARN, "uid %ld sent an undecodable request frame",
		       (long)conn->uid);
		hr_conn_write_status(conn, 0, HR_INVALID_ARGUMENT,
			    "malformed request frame: not a homerack.v1.Request");
		hr_conn_close_after_writes(conn);
		return;
	}
	if (check_envelope(conn, req) == 0)
		start_call(conn, req);
	homerack__v1__request__free_unpacked(req, &alloc.base);
}
