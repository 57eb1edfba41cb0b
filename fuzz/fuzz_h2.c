/*
 * fuzz_h2.c — hrd's gRPC transport (server/h2.c, with libnghttp2) fed
 * what a hostile peer sends after the client preface, in chunks the
 * input chooses. The connection and the call seam around it are stand-ins
 * (below): every call the transport starts is answered at once, with a
 * message and OK, with an error, or left running until the input ends,
 * as its payload's first byte says; "/f.F/Exchange" is a stream of
 * exchanges (reflection's kind). What h2.c writes is thrown away. ASan
 * finds what leaks or is used after it is freed; the seam's rules are
 * checked: each call ends exactly once, and never after its peer left.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const hr_method method_unary = {.path = "/f.F/Unary", .kind = HR_UNARY};
static const hr_method method_stream = {.path = "/f.F/Stream",
					.kind = HR_SERVER_STREAM};
static const hr_method method_exchange = {.path = "/f.F/Exchange",
					  .kind = HR_BIDI_EXCHANGES};

const hr_method *hr_method_find(const char *path)
{
	if (strcmp(path, method_unary.path) == 0)
		return &method_unary;
	if (strcmp(path, method_stream.path) == 0)
		return &method_stream;
	if (strcmp(path, method_exchange.path) == 0)
		return &method_exchange;
	return NULL;
}

/* ---- the seam, standing in --------------------------------------------- */

/* The calls left running; the transport detaches them or they end at
 * the end of the input. */
#define RUNNING_MAX 256
static hr_call *running[RUNNING_MAX];
static size_t n_running;

static void forget(hr_call *call)
{
	for (size_t i = 0; i < n_running; i++) {
		if (running[i] == call) {
			running[i] = running[--n_running];
			return;
		}
	}
	__builtin_trap(); /* a call the seam does not know */
}

void hr_call_start(hr_server *server, const hr_call_request *req)
{
	uint8_t how = req->payload_len > 0 ? req->payload[0] % 3 : 0;
	hr_call *call;

	if (hr_method_find(req->method) == NULL) {
		req->ops->finish(req->stream, HR_UNIMPLEMENTED, "unknown method");
		return;
	}
	if (how == 1) {
		req->ops->finish(req->stream, HR_NOT_FOUND, "no such thing %");
		return;
	}
	if (how == 0 || n_running == RUNNING_MAX) {
		req->ops->send(req->stream, req->payload, req->payload_len);
		req->ops->finish(req->stream, HR_OK, "");
		return;
	}
	call = calloc(1, sizeof *call);
	if (call == NULL)
		abort();
	call->server = server;
	call->ops = req->ops;
	call->stream = req->stream;
	*req->bind = call;
	running[n_running++] = call;
	req->ops->send(req->stream, req->payload, req->payload_len);
}

void hr_call_detach(hr_call *call)
{
	forget(call);
	free(call);
}

void hr_call_drained(hr_call *call)
{
	(void)call;
}

/* ---- the connection, standing in --------------------------------------- */

int hr_conn_write_bytes(hr_conn *conn, const uint8_t *data, size_t len)
{
	(void)conn;
	(void)data;
	(void)len;
	return 0;
}

int hr_conn_output_full(const hr_conn *conn, size_t more)
{
	(void)conn;
	return more > 256 * 1024;
}

int hr_conn_backlogged(const hr_conn *conn)
{
	(void)conn;
	return 0;
}

void hr_conn_limit_send_buffer(hr_conn *conn, int bytes)
{
	(void)conn;
	(void)bytes;
}

void hr_conn_call_ended(hr_conn *conn)
{
	(void)conn;
}

void hr_conn_close(hr_conn *conn)
{
	conn->closing = 1;
}

void hr_conn_close_after_writes(hr_conn *conn)
{
	conn->ending = 1;
}

/* ---- the input ---------------------------------------------------------- */

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static int loop_ready;
	hr_server server = {.loop = &loop};
	hr_conn conn = {.server = &server};
	hr_error err;

	if (!loop_ready)
		loop_ready = uv_loop_init(&loop) == 0;
	server.cfg.max_frame = 4096;
	server.cfg.max_calls_per_conn = 8;
	if (hr_h2_open(&conn, &err) < 0)
		return 0;
	if (hr_h2_input(&conn, (const uint8_t *)preface, sizeof preface - 1) == 0) {
		/* Each chunk: one byte of length, then that many bytes. */
		while (size > 0 && !conn.closing && !conn.ending) {
			size_t n = (size_t)data[0] + 1;

			data++;
			size--;
			if (n > size)
				n = size;
			if (hr_h2_input(&conn, data, n) < 0)
				break;
			data += n;
			size -= n;
			/* The peer took it all: calls may send more. */
			hr_h2_drained(&conn);
		}
	}
	/* The running calls end (one stream each), the rest go with the
	 * connection. */
	while (n_running > 0 && !conn.closing) {
		hr_call *call = running[0];

		forget(call);
		call->ops->finish(call->stream, HR_CANCELLED, "ended");
		free(call);
	}
	hr_h2_close(&conn);
	if (n_running != 0)
		__builtin_trap(); /* a call the transport never let go */
	return 0;
}
