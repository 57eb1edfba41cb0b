/*
 * native.c — hrd's native transport: the Request/Response envelopes of
 * proto/homerack.proto carried in length-prefixed frames (conn.c reads
 * and writes the bytes). A Request becomes a call through the seam
 * (hr_call_start); a cancel frame cancels one; each call's stream
 * writes Response frames under its call id.
 *
 * What is specific to this framing stays here: the protocol version on
 * every frame, call ids (unique per connection while live; 0 names the
 * connection), cancel frames. A second transport (HTTP/2 gRPC) does the
 * same job beside it with its own framing and the same seam.
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "pballoc.h"
#include "server.h"

/* One live call of a connection: its stream. */
typedef struct hr_native_call {
	hr_conn *conn;
	uint64_t id;
	hr_call *call; /* bound by hr_call_start; NULL while refused */
	struct hr_native_call *next;
} hr_native_call;

static hr_native_call *find_call(hr_conn *conn, uint64_t id)
{
	for (hr_native_call *c = conn->calls; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void unlink_call(hr_native_call *nc)
{
	hr_conn *conn = nc->conn;

	for (hr_native_call **p = &conn->calls; *p != NULL; p = &(*p)->next) {
		if (*p == nc) {
			*p = nc->next;
			conn->n_calls--;
			return;
		}
	}
}

/* ---- the stream a call sends on --------------------------------------- */

static void stream_send(void *stream, const uint8_t *data, size_t len)
{
	hr_native_call *nc = stream;
	Homerack__V1__Response resp = HOMERACK__V1__RESPONSE__INIT;

	resp.call_id = nc->id;
	resp.body_case = HOMERACK__V1__RESPONSE__BODY_MESSAGE;
	resp.message.data = (uint8_t *)data;
	resp.message.len = len;
	hr_conn_write_response(nc->conn, &resp);
}

static void stream_finish(void *stream, hr_code code, const char *message)
{
	hr_native_call *nc = stream;
	hr_conn *conn = nc->conn;

	hr_conn_write_status(conn, nc->id, code, message);
	conn->last_active = uv_now(conn->server->loop);
	unlink_call(nc);
	free(nc);
	hr_conn_call_ended(conn);
}

static int stream_backlogged(void *stream)
{
	return hr_conn_backlogged(((hr_native_call *)stream)->conn);
}

static void stream_limit_buffer(void *stream, int bytes)
{
	hr_conn_limit_send_buffer(((hr_native_call *)stream)->conn, bytes);
}

static const hr_stream_ops stream_ops = {
	.send = stream_send,
	.finish = stream_finish,
	.backlogged = stream_backlogged,
	.limit_buffer = stream_limit_buffer,
};

/* ---- requests in ------------------------------------------------------- */

/* Check the envelope; on failure answer (and maybe close) and return -1. */
static int check_envelope(hr_conn *conn, const Homerack__V1__Request *req)
{
	char message[256];
	hr_native_call *nc;

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
		/* Cancelling a call that already ended is not an error (it
		 * races with the final status), so unknown ids are ignored. */
		nc = find_call(conn, req->call_id);
		if (nc != NULL && nc->call != NULL)
			hr_call_cancel(nc->call);
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
	return 0;
}

/* Hand req to the seam on a new stream of conn. */
static void start_call(hr_conn *conn, const Homerack__V1__Request *req)
{
	hr_native_call *nc = calloc(1, sizeof *nc);
	hr_call_request cr = {
		.method = req->method,
		.payload = req->payload.data,
		.payload_len = req->payload.len,
		.timeout_ms = req->timeout_ms,
		.peer_uid = conn->uid,
		.peer_is_admin = conn->is_admin,
		.peer_calls = conn->n_calls,
		.ops = &stream_ops,
		.stream = nc,
	};

	if (nc == NULL) {
		hr_conn_write_status(conn, req->call_id, HR_RESOURCE_EXHAUSTED,
				     "out of memory");
		return;
	}
	nc->conn = conn;
	nc->id = req->call_id;
	nc->next = conn->calls;
	conn->calls = nc;
	conn->n_calls++;
	cr.bind = &nc->call;
	hr_call_start(conn->server, &cr);
}

void hr_native_frame(hr_conn *conn, const uint8_t *frame, size_t len)
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

void hr_native_drained(hr_conn *conn)
{
	hr_native_call *nc = conn->calls, *next;

	for (; nc != NULL; nc = next) {
		next = nc->next; /* a drained call may end */
		if (nc->call != NULL)
			hr_call_drained(nc->call);
	}
}

void hr_native_detach_all(hr_conn *conn)
{
	while (conn->calls != NULL) {
		hr_native_call *nc = conn->calls;
		hr_call *call = nc->call;

		unlink_call(nc);
		free(nc);
		if (call != NULL)
			hr_call_detach(call);
	}
}
