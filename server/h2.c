/*
 * h2.c — hrd's gRPC transport: real gRPC over HTTP/2 (libnghttp2) on the
 * same socket as the native frames. conn.c picks it for a connection
 * whose first byte is 'P' (the client preface) and hands it every byte
 * read; nghttp2 does the HTTP/2 and no I/O, and what it wants written
 * goes out through conn.c (back-pressure included).
 *
 * One stream is one call through the seam (hr_call_start), as gRPC's
 * PROTOCOL-HTTP2 maps it:
 *   :path                 the method path
 *   grpc-timeout          the deadline
 *   other headers         metadata: accepted, ignored (as natively)
 *   DATA                  one length-prefixed request message; the call
 *                         starts once the client ends its side
 *   response              HEADERS (:status 200), DATA with each message
 *                         length-prefixed, then trailers grpc-status and
 *                         grpc-message (percent-encoded); a call that
 *                         ends before sending anything gets one
 *                         Trailers-Only HEADERS
 *   RST_STREAM            the call's peer is gone: its work stops (a
 *                         running migration after the step in flight)
 * SETTINGS_MAX_CONCURRENT_STREAMS is the per-connection call limit;
 * :authority is ignored (grpcurl sends odd ones over Unix sockets).
 *
 * Limits on hostile peers: nghttp2's own (Debian 1.52.0-1+deb12u2:
 * the rapid-reset rate limit, at most 8 CONTINUATION frames per header
 * block, at most 1000 queued ACKs), the header list size checked here,
 * a request message no larger than --max-frame, and conn.c's cap on
 * output waiting for the peer (a stream's own output waits for the
 * peer's flow-control window, and is bounded by what its method sends:
 * Watch keeps only its latest state).
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

/* Headers one request may carry, in HTTP/2's accounting (name + value +
 * 32 per field): plenty for gRPC's, far below what would hurt. */
#define HEADER_LIST_MAX (16u * 1024)
/* The longest method path kept; longer ones are unknown anyway. */
#define PATH_MAX_LEN 256
/* gRPC's Length-Prefixed-Message header: flag + 4-byte length. */
#define LPM_HEADER 5

typedef struct h2_stream {
	struct hr_h2 *h2;
	int32_t id;
	hr_call *call;      /* bound by hr_call_start; NULL when none */
	int in_call;        /* handed to the seam, not yet finished */
	int ready;          /* the request is complete: start it */
	int client_done;    /* the client ended its side (END_STREAM) */
	int exchanges;      /* an HR_BIDI_EXCHANGES method: a call per
			       request message */
	char path[PATH_MAX_LEN + 1];
	uint64_t timeout_ms;
	size_t header_bytes;
	/* Set when the request is refused before it reaches the seam. */
	hr_code refuse_code;
	char refuse_msg[128];
	uint8_t *in;        /* request bytes (length-prefixed message) */
	size_t in_len;
	uint8_t *out;       /* response DATA not yet taken by nghttp2 */
	size_t out_len, out_off;
	int headers_sent;   /* :status 200 went out (or is queued) */
	int deferred;       /* the data source waits for more output */
	int finished;       /* the call ended: trailers follow the data */
	hr_code code;
	char *message;
	struct h2_stream *next;
} h2_stream;

typedef struct hr_h2 {
	hr_conn *conn;
	nghttp2_session *session;
	h2_stream *streams;
	/* Inside nghttp2, or walking the streams: output waits (nghttp2
	 * forbids mem_send from its callbacks; sending may close streams). */
	int busy;
	int sending; /* in hr_h2_output's mem_send: a stream may close */
} hr_h2;

/* ---- streams ----------------------------------------------------------- */

static void unlink_stream(hr_h2 *h2, h2_stream *s)
{
	for (h2_stream **p = &h2->streams; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

static void free_stream(h2_stream *s)
{
	free(s->in);
	free(s->out);
	free(s->message);
	free(s);
}

/* The call of s ended (finished, or its peer went away). */
static void call_gone(h2_stream *s)
{
	if (!s->in_call)
		return;
	s->in_call = 0;
	s->call = NULL;
	s->h2->conn->n_calls--;
	s->h2->conn->last_active = uv_now(s->h2->conn->server->loop);
}

/* ---- output ------------------------------------------------------------ */

void hr_h2_output(hr_conn *conn)
{
	hr_h2 *h2 = conn->h2;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (h2 == NULL || h2->busy || conn->closing || conn->ending)
		return;
	/* One write for everything nghttp2 has now, up to what conn.c lets
	 * wait for the peer: the rest stays in nghttp2 and the streams. */
	h2->sending = 1;
	while (!hr_conn_output_full(conn, len)) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(h2->session, &data);

		if (n < 0) {
			hr_log(HR_LOG_WARN, "uid %ld: http/2: %s",
			       (long)conn->uid, nghttp2_strerror((int)n));
			h2->sending = 0;
			free(buf);
			hr_conn_close(conn);
			return;
		}
		if (n == 0)
			break;
		if (len + (size_t)n > cap) {
			size_t ncap = cap ? cap : 16384;
			uint8_t *grown;

			while (ncap < len + (size_t)n)
				ncap *= 2;
			if ((grown = realloc(buf, ncap)) == NULL) {
				h2->sending = 0;
				free(buf);
				hr_conn_close(conn);
				return;
			}
			buf = grown;
			cap = ncap;
		}
		memcpy(buf + len, data, (size_t)n);
		len += (size_t)n;
	}
	h2->sending = 0;
	if (len > 0)
		hr_conn_write_bytes(conn, buf, len);
	free(buf);
	/* Neither side wants more: the peer said GOAWAY, or we did. */
	if (!nghttp2_session_want_read(h2->session) &&
	    !nghttp2_session_want_write(h2->session))
		hr_conn_close_after_writes(conn);
	else
		hr_conn_call_ended(conn); /* a stream may have closed */
}

/* nghttp2 takes the response DATA of a stream from here. */
static ssize_t read_output(nghttp2_session *session, int32_t stream_id,
			   uint8_t *buf, size_t length, uint32_t *flags,
			   nghttp2_data_source *source, void *ud)
{
	h2_stream *s = source->ptr;
	size_t avail = s->out_len - s->out_off;
	size_t n = avail < length ? avail : length;

	(void)ud;
	memcpy(buf, s->out + s->out_off, n);
	s->out_off += n;
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_len > 0)
		return (ssize_t)n;
	if (s->finished) {
		char status[16];
		nghttp2_nv trailers[] = {
			{(uint8_t *)"grpc-status", (uint8_t *)status, 11, 0,
			 NGHTTP2_NV_FLAG_NONE},
			{(uint8_t *)"grpc-message", (uint8_t *)s->message, 12,
			 strlen(s->message), NGHTTP2_NV_FLAG_NONE},
		};

		trailers[0].valuelen = (size_t)snprintf(status, sizeof status,
							"%d", (int)s->code);
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		if (nghttp2_submit_trailer(session, stream_id, trailers,
					   s->message[0] ? 2 : 1) != 0)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		return (ssize_t)n;
	}
	if (n == 0) {
		s->deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

#define NV(name, value)                                                        \
	{(uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1,              \
	 strlen(value), NGHTTP2_NV_FLAG_NONE}

/* Start s's response: :status 200 and the data source. */
static int send_headers(h2_stream *s)
{
	nghttp2_nv hdrs[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
	};
	nghttp2_data_provider dp = {.source.ptr = s, .read_callback = read_output};

	s->headers_sent = 1;
	return nghttp2_submit_response(s->h2->session, s->id, hdrs, 2, &dp);
}

/* message percent-encoded as grpc-message wants it (malloc'ed). */
static char *percent_encode(const char *message)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(message);
	char *out = malloc(3 * n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
		if (*p >= 0x20 && *p <= 0x7e && *p != '%') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* End s with code and message: trailers after the data sent, or one
 * Trailers-Only HEADERS when nothing was. */
static void end_stream(h2_stream *s, hr_code code, const char *message)
{
	char *encoded = percent_encode(message);
	char status[16];
	int rc;

	if (encoded == NULL) {
		nghttp2_submit_rst_stream(s->h2->session, NGHTTP2_FLAG_NONE,
					  s->id, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	if (s->headers_sent) {
		s->finished = 1;
		s->code = code;
		s->message = encoded;
		if (s->deferred) {
			s->deferred = 0;
			nghttp2_session_resume_data(s->h2->session, s->id);
		}
		return;
	}
	s->finished = 1;
	snprintf(status, sizeof status, "%d", (int)code);
	{
		nghttp2_nv hdrs[] = {
			NV(":status", "200"),
			NV("content-type", "application/grpc"),
			NV("grpc-status", status),
			NV("grpc-message", encoded),
		};

		s->headers_sent = 1;
		rc = nghttp2_submit_response(s->h2->session, s->id, hdrs,
					     encoded[0] ? 4 : 3, NULL);
	}
	free(encoded);
	if (rc != 0)
		nghttp2_submit_rst_stream(s->h2->session, NGHTTP2_FLAG_NONE,
					  s->id, NGHTTP2_INTERNAL_ERROR);
}

/* ---- the stream a call sends on ---------------------------------------- */

static void stream_send(void *stream, const uint8_t *data, size_t len)
{
	h2_stream *s = stream;
	size_t need = s->out_len + LPM_HEADER + len;

	if (need > SIZE_MAX / 2 || len > UINT32_MAX)
		return;
	if (s->out_off > 0 && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	{
		uint8_t *grown = realloc(s->out, need);

		if (grown == NULL)
			return; /* dropped, as a native write that fails */
		s->out = grown;
	}
	s->out[s->out_len] = 0;
	s->out[s->out_len + 1] = (uint8_t)(len >> 24);
	s->out[s->out_len + 2] = (uint8_t)(len >> 16);
	s->out[s->out_len + 3] = (uint8_t)(len >> 8);
	s->out[s->out_len + 4] = (uint8_t)len;
	memcpy(s->out + s->out_len + LPM_HEADER, data, len);
	s->out_len = need;
	if (!s->headers_sent) {
		if (send_headers(s) != 0)
			nghttp2_submit_rst_stream(s->h2->session,
						  NGHTTP2_FLAG_NONE, s->id,
						  NGHTTP2_INTERNAL_ERROR);
	} else if (s->deferred) {
		s->deferred = 0;
		nghttp2_session_resume_data(s->h2->session, s->id);
	}
	hr_h2_output(s->h2->conn);
}

static void start_ready(hr_h2 *h2);

static void stream_finish(void *stream, hr_code code, const char *message)
{
	h2_stream *s = stream;
	hr_conn *conn = s->h2->conn;

	call_gone(s);
	if (s->exchanges && code == HR_OK) {
		/* One exchange done: the next request message, or the end. */
		s->ready = 1;
		if (!s->h2->busy) {
			s->h2->busy = 1;
			start_ready(s->h2);
			s->h2->busy = 0;
			hr_h2_output(conn);
		}
		return;
	}
	end_stream(s, code, message);
	if (s->h2->busy)
		return; /* hr_h2_input ends the turn */
	hr_h2_output(conn);
	hr_conn_call_ended(conn);
}

static int stream_backlogged(void *stream)
{
	h2_stream *s = stream;

	return s->out_len > s->out_off || hr_conn_backlogged(s->h2->conn);
}

static void stream_limit_buffer(void *stream, int bytes)
{
	hr_conn_limit_send_buffer(((h2_stream *)stream)->h2->conn, bytes);
}

static const hr_stream_ops stream_ops = {
	.send = stream_send,
	.finish = stream_finish,
	.backlogged = stream_backlogged,
	.limit_buffer = stream_limit_buffer,
};

/* ---- requests in ------------------------------------------------------- */

/* Refuse s's request with code (answered once it is complete). */
static void refuse(h2_stream *s, hr_code code, const char *message)
{
	if (s->refuse_code != HR_OK)
		return;
	s->refuse_code = code;
	snprintf(s->refuse_msg, sizeof s->refuse_msg, "%s", message);
}

/* grpc-timeout: up to 8 digits and a unit (H M S m u n), as ms rounded
 * up (a timeout is never 0, which means none). -1 when malformed. */
static int64_t parse_timeout(const uint8_t *v, size_t len)
{
	uint64_t n = 0, ms;

	if (len < 2 || len > 9)
		return -1;
	for (size_t i = 0; i + 1 < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	switch (v[len - 1]) {
	case 'H': ms = n * 3600000; break;
	case 'M': ms = n * 60000; break;
	case 'S': ms = n * 1000; break;
	case 'm': ms = n; break;
	case 'u': ms = (n + 999) / 1000; break;
	case 'n': ms = (n + 999999) / 1000000; break;
	default: return -1;
	}
	return (int64_t)(ms == 0 ? 1 : ms);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame,
			    void *ud)
{
	hr_h2 *h2 = ud;
	h2_stream *s;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	s->h2 = h2;
	s->id = frame->hd.stream_id;
	s->next = h2->streams;
	h2->streams = s;
	nghttp2_session_set_stream_user_data(session, s->id, s);
	return 0;
}

static int header_is(const uint8_t *name, size_t namelen, const char *want)
{
	return namelen == strlen(want) && memcmp(name, want, namelen) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
		     const uint8_t *name, size_t namelen, const uint8_t *value,
		     size_t valuelen, uint8_t flags, void *ud)
{
	h2_stream *s = nghttp2_session_get_stream_user_data(session,
							    frame->hd.stream_id);
	int64_t timeout;

	(void)flags;
	(void)ud;
	if (s == NULL || frame->hd.type != NGHTTP2_HEADERS)
		return 0; /* trailers of a request: nothing we use */
	s->header_bytes += namelen + valuelen + 32;
	if (s->header_bytes > HEADER_LIST_MAX) {
		hr_log(HR_LOG_WARN, "uid %ld: http/2: header list over %u "
		       "bytes; resetting the stream",
		       (long)s->h2->conn->uid, HEADER_LIST_MAX);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	if (header_is(name, namelen, ":path")) {
		if (valuelen > PATH_MAX_LEN)
			refuse(s, HR_UNIMPLEMENTED, "unknown method (path too long)");
		else {
			memcpy(s->path, value, valuelen);
			s->path[valuelen] = '\0';
		}
	} else if (header_is(name, namelen, ":method")) {
		if (!(valuelen == 4 && memcmp(value, "POST", 4) == 0))
			refuse(s, HR_UNIMPLEMENTED, "grpc calls are POSTs");
	} else if (header_is(name, namelen, "content-type")) {
		if (valuelen < 16 || memcmp(value, "application/grpc", 16) != 0)
			refuse(s, HR_INVALID_ARGUMENT,
			       "content-type is not application/grpc");
	} else if (header_is(name, namelen, "grpc-timeout")) {
		if ((timeout = parse_timeout(value, valuelen)) < 0)
			refuse(s, HR_INVALID_ARGUMENT, "malformed grpc-timeout");
		else
			s->timeout_ms = (uint64_t)timeout;
	} else if (header_is(name, namelen, "grpc-encoding")) {
		if (!(valuelen == 8 && memcmp(value, "identity", 8) == 0))
			refuse(s, HR_UNIMPLEMENTED,
			       "grpc-encoding: hrd speaks identity only");
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags,
			 int32_t stream_id, const uint8_t *data, size_t len,
			 void *ud)
{
	h2_stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
	hr_h2 *h2 = ud;
	uint8_t *grown;

	(void)flags;
	if (s == NULL || s->refuse_code != HR_OK)
		return 0;
	if (s->in_len + len > h2->conn->server->cfg.max_frame + LPM_HEADER) {
		char msg[128];

		snprintf(msg, sizeof msg,
			 "request message larger than %zu bytes",
			 h2->conn->server->cfg.max_frame);
		refuse(s, HR_RESOURCE_EXHAUSTED, msg);
		free(s->in);
		s->in = NULL;
		s->in_len = 0;
		return 0;
	}
	if ((grown = realloc(s->in, s->in_len + len)) == NULL)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(grown + s->in_len, data, len);
	s->in = grown;
	s->in_len += len;
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
			 void *ud)
{
	h2_stream *s;

	(void)ud;
	if (frame->hd.type == NGHTTP2_HEADERS &&
	    frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
		s = nghttp2_session_get_stream_user_data(session,
							 frame->hd.stream_id);
		if (s != NULL) {
			const hr_method *m = hr_method_find(s->path);

			s->exchanges = m != NULL && m->kind == HR_BIDI_EXCHANGES;
		}
	}
	if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    !(frame->hd.type == NGHTTP2_DATA))
		return 0;
	s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (s == NULL || s->finished)
		return 0;
	if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
		s->client_done = 1;
	/* Started after nghttp2 returns (start_ready): a request once the
	 * client ends its side, an exchange at each message. */
	if (s->exchanges || (s->client_done && !s->headers_sent && !s->in_call))
		s->ready = 1;
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
			   uint32_t error_code, void *ud)
{
	h2_stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
	hr_h2 *h2 = ud;

	if (s == NULL)
		return 0;
	if (s->in_call) {
		hr_call *call = s->call;

		hr_log(HR_LOG_INFO, "uid %ld %s stream %d (%s)",
		       (long)h2->conn->uid,
		       error_code == NGHTTP2_CANCEL ? "cancelled" : "reset",
		       (int)stream_id, s->path);
		call_gone(s);
		if (call != NULL)
			hr_call_detach(call);
		/* Not while output is gathered: hr_h2_output tells conn.c
		 * once it is written. */
		if (!h2->busy && !h2->sending)
			hr_conn_call_ended(h2->conn);
	}
	nghttp2_session_set_stream_user_data(session, stream_id, NULL);
	unlink_stream(h2, s);
	free_stream(s);
	return 0;
}

/* The one length-prefixed message of s's request, checked; refuses s
 * and returns -1 when there is not exactly one, uncompressed. */
static int request_message(h2_stream *s)
{
	uint32_t len;

	if (s->in_len < LPM_HEADER) {
		refuse(s, HR_INVALID_ARGUMENT, "a call carries one request message");
		return -1;
	}
	len = (uint32_t)s->in[1] << 24 | (uint32_t)s->in[2] << 16 |
	      (uint32_t)s->in[3] << 8 | s->in[4];
	if ((size_t)len != s->in_len - LPM_HEADER) {
		refuse(s, HR_INVALID_ARGUMENT,
		       "a call carries exactly one request message");
		return -1;
	}
	if (s->in[0] != 0) {
		refuse(s, HR_UNIMPLEMENTED,
		       "compressed messages are not supported");
		return -1;
	}
	return 0;
}

/* An exchange stream (HR_BIDI_EXCHANGES): start a call for the first
 * whole request message waiting, one at a time; once the client has
 * ended its side and every message was answered, end the stream OK. */
static void start_exchange(h2_stream *s, hr_call_request *cr)
{
	hr_conn *conn = s->h2->conn;
	uint8_t *msg;
	uint32_t len;

	if (s->in_call || s->finished)
		return;
	if (s->in_len < LPM_HEADER) {
		if (s->client_done)
			end_stream(s, s->in_len == 0 ? HR_OK : HR_INVALID_ARGUMENT,
				   s->in_len == 0 ? "" : "truncated request message");
		return;
	}
	len = (uint32_t)s->in[1] << 24 | (uint32_t)s->in[2] << 16 |
	      (uint32_t)s->in[3] << 8 | s->in[4];
	if (s->in_len - LPM_HEADER < len) {
		if (s->client_done)
			end_stream(s, HR_INVALID_ARGUMENT,
				   "truncated request message");
		return;
	}
	if (s->in[0] != 0) {
		end_stream(s, HR_UNIMPLEMENTED,
			   "compressed messages are not supported");
		return;
	}
	/* Taken off the buffer first: the call may end at once and the
	 * next exchange start from here again. */
	msg = s->in;
	s->in_len -= LPM_HEADER + len;
	s->in = s->in_len > 0 ? malloc(s->in_len) : NULL;
	if (s->in_len > 0 && s->in == NULL) {
		free(msg);
		s->in_len = 0;
		end_stream(s, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if (s->in_len > 0)
		memcpy(s->in, msg + LPM_HEADER + len, s->in_len);
	cr->payload = msg + LPM_HEADER;
	cr->payload_len = len;
	s->in_call = 1;
	conn->n_calls++;
	hr_call_start(conn->server, cr);
	free(msg);
}

/* Hand s's complete request to the seam, or answer why not. Runs with
 * h2->busy set: a call that ends at once leaves s in place. */
static void start_stream(h2_stream *s)
{
	hr_conn *conn = s->h2->conn;
	hr_call_request cr = {
		.method = s->path,
		.timeout_ms = s->timeout_ms,
		.peer_uid = conn->uid,
		.peer_is_admin = conn->is_admin,
		.peer_calls = conn->n_calls,
		.ops = &stream_ops,
		.stream = s,
		.bind = &s->call,
	};

	s->ready = 0;
	if (s->finished)
		return; /* answered already (refused) */
	if (s->refuse_code == HR_OK && s->path[0] == '\0')
		refuse(s, HR_INVALID_ARGUMENT, "no :path");
	if (s->exchanges && s->refuse_code == HR_OK) {
		start_exchange(s, &cr);
		return;
	}
	if (s->refuse_code != HR_OK || request_message(s) < 0) {
		end_stream(s, s->refuse_code, s->refuse_msg);
		return;
	}
	cr.payload = s->in + LPM_HEADER;
	cr.payload_len = s->in_len - LPM_HEADER;
	s->in_call = 1;
	conn->n_calls++;
	hr_call_start(conn->server, &cr);
	/* The payload is decoded by now. */
	free(s->in);
	s->in = NULL;
	s->in_len = 0;
}

/* Start the streams whose request completed during the last input. */
static void start_ready(hr_h2 *h2)
{
	int again = 1;

	/* A started call may finish at once and its stream close: look
	 * afresh after each start. */
	while (again && !h2->conn->closing) {
		again = 0;
		for (h2_stream *s = h2->streams; s != NULL; s = s->next) {
			if (s->ready) {
				start_stream(s);
				again = 1;
				break;
			}
		}
	}
}

/* ---- the connection ---------------------------------------------------- */

int hr_h2_open(hr_conn *conn, hr_error *err)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	hr_h2 *h2 = calloc(1, sizeof *h2);
	nghttp2_settings_entry settings[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
		 (uint32_t)conn->server->cfg.max_calls_per_conn},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HEADER_LIST_MAX},
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
	};
	int rc;

	if (h2 == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	h2->conn = conn;
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		free(h2);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		free(h2);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* What Debian's nghttp2 does by default, said here so it stays:
	 * CVE-2023-44487 (rapid reset) and CVE-2024-28182 (CONTINUATION
	 * flood). */
	nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
	nghttp2_option_set_max_continuations(opt, 8);
	nghttp2_option_set_max_outbound_ack(opt, 1000);
	nghttp2_option_set_max_settings(opt, 32);
	rc = nghttp2_session_server_new2(&h2->session, cb, h2, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0) {
		free(h2);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "http/2: %s",
				    nghttp2_strerror(rc));
	}
	nghttp2_submit_settings(h2->session, NGHTTP2_FLAG_NONE, settings,
				sizeof settings / sizeof settings[0]);
	conn->h2 = h2;
	return 0;
}

int hr_h2_input(hr_conn *conn, const uint8_t *data, size_t n)
{
	hr_h2 *h2 = conn->h2;
	ssize_t rc;

	h2->busy = 1;
	rc = nghttp2_session_mem_recv(h2->session, data, n);
	if (rc >= 0)
		start_ready(h2);
	h2->busy = 0;
	if (rc < 0) {
		hr_log(HR_LOG_WARN, "uid %ld: http/2: %s; closing",
		       (long)conn->uid, nghttp2_strerror((int)rc));
		/* Tell the peer (GOAWAY) when the session still can. */
		if (rc != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
			nghttp2_session_terminate_session(
				h2->session, NGHTTP2_PROTOCOL_ERROR);
		hr_h2_output(conn);
		return -1;
	}
	hr_h2_output(conn);
	return 0;
}

int hr_h2_partial(const hr_conn *conn)
{
	for (const h2_stream *s = conn->h2->streams; s != NULL; s = s->next)
		if (!s->in_call && !s->headers_sent && !s->ready)
			return 1; /* a request begun, not complete */
	return 0;
}

void hr_h2_drained(hr_conn *conn)
{
	hr_h2 *h2 = conn->h2;
	int was_busy = h2->busy;

	/* A drained call may send or end: its output waits for the walk. */
	h2->busy = 1;
	for (h2_stream *s = h2->streams; s != NULL; s = s->next)
		if (s->in_call && s->call != NULL && s->out_len == s->out_off)
			hr_call_drained(s->call);
	h2->busy = was_busy;
	hr_h2_output(conn);
	hr_conn_call_ended(conn);
}

void hr_h2_goaway(hr_conn *conn, const hr_error *err)
{
	hr_h2 *h2 = conn->h2;

	nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE,
			      nghttp2_session_get_last_proc_stream_id(h2->session),
			      err->code == HR_DEADLINE_EXCEEDED
				      ? NGHTTP2_NO_ERROR
				      : NGHTTP2_ENHANCE_YOUR_CALM,
			      (const uint8_t *)err->msg, strlen(err->msg));
	hr_h2_output(conn);
}

void hr_h2_close(hr_conn *conn)
{
	hr_h2 *h2 = conn->h2;

	while (h2->streams != NULL) {
		h2_stream *s = h2->streams;
		hr_call *call = s->in_call ? s->call : NULL;

		h2->streams = s->next;
		call_gone(s);
		free_stream(s);
		if (call != NULL)
			hr_call_detach(call);
	}
	nghttp2_session_del(h2->session);
	free(h2);
	conn->h2 = NULL;
}
