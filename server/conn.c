/*
 * conn.c — one client connection: reading frames in, writing frames out.
 *
 * Back-pressure: a connection may have at most UNSENT_MAX bytes of
 * replies waiting in hrd for its peer to read. Past that, hrd stops
 * reading its requests (the frames already read wait, undecoded) until
 * the peer has taken half of it, so a peer that pipelines calls and
 * never reads costs a bounded amount of memory, as HTTP/2's flow control
 * and redis's client-output-buffer-limit bound theirs. The kernel's
 * socket buffers then fill and the peer's writes block.
 *
 * Half-close: a peer that shuts down its writing side (end of requests)
 * still gets the replies and final statuses of its calls; the connection
 * closes after the last one. A peer that closes entirely cancels its
 * calls.
 */
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "server.h"

typedef struct write_req {
	uv_write_t req;
	uv_buf_t buf;
} write_req;

/* The most one batched write holds before it is sent. */
#define BATCH_MAX (256u * 1024)
/* The most replies a connection may leave unsent before hrd stops
 * reading its requests; reading resumes below half of it. */
#define UNSENT_MAX (32u * 1024)

static void flush_batch(hr_conn *conn);
static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void on_close(uv_handle_t *handle)
{
	hr_conn *conn = handle->data;
	int trim = conn->warned;

	hr_frame_reader_free(&conn->reader);
	free(conn->batch);
	free(conn->held);
	free(conn);
	/* A peer that made us hold replies for it leaves free memory
	 * behind; give it back to the system rather than keep the peak. */
	if (trim)
		malloc_trim(0);
}

void hr_conn_close(hr_conn *conn)
{
	hr_server *server = conn->server;

	if (conn->closing)
		return;
	conn->closing = 1;
	hr_native_detach_all(conn);
	if (conn->h2 != NULL)
		hr_h2_close(conn);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		server->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	server->n_conns--;
	uv_close((uv_handle_t *)&conn->pipe, on_close);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	hr_conn *conn = req->data;

	(void)status;
	free(req);
	hr_conn_close(conn);
}

void hr_conn_close_after_writes(hr_conn *conn)
{
	uv_shutdown_t *req;

	if (conn->closing || conn->ending)
		return;
	conn->ending = 1;
	/* What was batched goes before the shutdown. */
	flush_batch(conn);
	conn->batching = 0;
	uv_read_stop((uv_stream_t *)&conn->pipe);
	req = malloc(sizeof *req);
	if (req == NULL ||
	    uv_shutdown(req, (uv_stream_t *)&conn->pipe, on_shutdown) < 0) {
		free(req);
		hr_conn_close(conn);
		return;
	}
	req->data = conn;
}

void hr_conn_limit_send_buffer(hr_conn *conn, int bytes)
{
	uv_os_fd_t fd;

	/* Best effort: without it a backlog just forms later. */
	if (uv_fileno((uv_handle_t *)&conn->pipe, &fd) == 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

int hr_conn_backlogged(const hr_conn *conn)
{
	return uv_stream_get_write_queue_size((const uv_stream_t *)&conn->pipe) > 0;
}

/* Bytes of replies hrd holds for conn: batched, or handed to libuv and
 * not yet given back (a write the kernel took is freed only when its
 * callback runs, on a later turn of the loop). */
static size_t unsent(const hr_conn *conn)
{
	return conn->batch_len + conn->writing;
}

static void resume_reading(hr_conn *conn);

static void on_write(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;
	hr_conn *conn = req->handle->data;

	conn->writing -= w->buf.len;
	free(w->buf.base);
	free(w);
	if (conn->closing)
		return;
	if (status < 0) {
		/* The peer is gone. Its read side may be stopped (paused or
		 * half-closed), so no EOF would tell us: close here. */
		hr_conn_close(conn);
		return;
	}
	if (conn->h2 != NULL)
		hr_h2_output(conn); /* what waited for room */
	if (!conn->closing && conn->paused && !conn->ending &&
	    unsent(conn) <= UNSENT_MAX / 2)
		resume_reading(conn);
	if (!conn->closing && !hr_conn_backlogged(conn)) {
		if (conn->h2 != NULL)
			hr_h2_drained(conn);
		else
			hr_native_drained(conn);
	}
}

/*
 * Hand buf (len bytes, malloc'ed) to libuv; it is freed either way.
 * With nothing queued before it, the socket usually takes it all at
 * once (uv_try_write), and no request or callback is needed; what it
 * does not take is queued.
 */
static int write_buffer(hr_conn *conn, char *buf, size_t len)
{
	uv_buf_t now = uv_buf_init(buf, (unsigned int)len);
	int sent = conn->writing == 0
			   ? uv_try_write((uv_stream_t *)&conn->pipe, &now, 1)
			   : UV_EAGAIN;
	write_req *w;

	if (sent == (int)len) {
		free(buf);
		return 0;
	}
	/* A failure (the peer gone) is uv_write's to report, as always. */
	if (sent > 0) {
		memmove(buf, buf + sent, len - (size_t)sent);
		len -= (size_t)sent;
	}
	if ((w = malloc(sizeof *w)) == NULL) {
		free(buf);
		return -1;
	}
	w->buf = uv_buf_init(buf, (unsigned int)len);
	if (uv_write(&w->req, (uv_stream_t *)&conn->pipe, &w->buf, 1,
		     on_write) < 0) {
		free(buf);
		free(w);
		return -1;
	}
	conn->writing += len;
	return 0;
}

/* Write what the batch holds as one write. */
static void flush_batch(hr_conn *conn)
{
	char *buf = conn->batch;
	size_t len = conn->batch_len;

	conn->batch = NULL;
	conn->batch_len = conn->batch_cap = 0;
	if (len > 0 && !conn->closing)
		write_buffer(conn, buf, len);
	else
		free(buf);
}

/* Room for n more bytes in the batch (bounded: see BATCH_MAX). */
static int batch_reserve(hr_conn *conn, size_t n)
{
	size_t cap = conn->batch_cap ? conn->batch_cap : 4096;
	char *grown;

	if (conn->batch_len + n <= conn->batch_cap)
		return 0;
	while (cap < conn->batch_len + n)
		cap *= 2;
	grown = realloc(conn->batch, cap);
	if (grown == NULL)
		return -1;
	conn->batch = grown;
	conn->batch_cap = cap;
	return 0;
}

int hr_conn_output_full(const hr_conn *conn, size_t more)
{
	return unsent(conn) + more > UNSENT_MAX;
}

int hr_conn_write_bytes(hr_conn *conn, const uint8_t *data, size_t len)
{
	uint8_t *out;

	if (conn->closing)
		return -1;
	if (conn->batching && conn->batch_len + len > BATCH_MAX)
		flush_batch(conn);
	if (conn->batching && len <= BATCH_MAX) {
		if (batch_reserve(conn, len) < 0)
			return -1;
		memcpy(conn->batch + conn->batch_len, data, len);
		conn->batch_len += len;
		return 0;
	}
	if ((out = malloc(len)) == NULL)
		return -1;
	memcpy(out, data, len);
	return write_buffer(conn, (char *)out, len);
}

int hr_conn_write_response(hr_conn *conn, const Homerack__V1__Response *resp)
{
	size_t len = homerack__v1__response__get_packed_size(resp);
	size_t frame = HR_FRAME_HEADER_SIZE + len;
	uint8_t *out;

	if (conn->closing)
		return -1;
	/* While a read is being handled, frames gather into one write (the
	 * reply and its status leave together; pipelined calls share it). A
	 * batch past BATCH_MAX, or a frame larger than it, goes out now. */
	if (conn->batching && conn->batch_len + frame > BATCH_MAX)
		flush_batch(conn);
	if (conn->batching && frame <= BATCH_MAX) {
		if (batch_reserve(conn, frame) < 0)
			return -1;
		out = (uint8_t *)conn->batch + conn->batch_len;
		conn->batch_len += frame;
	} else {
		out = malloc(frame);
		if (out == NULL)
			return -1;
	}
	hr_frame_write_header(out, (uint32_t)len);
	homerack__v1__response__pack(resp, out + HR_FRAME_HEADER_SIZE);
	if (conn->batching && frame <= BATCH_MAX)
		return 0;
	return write_buffer(conn, (char *)out, frame);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	hr_conn *conn = handle->data;

	(void)suggested;
	buf->base = (char *)conn->server->read_buf;
	buf->len = sizeof conn->server->read_buf;
}

static int on_frame(void *ud, const uint8_t *payload, size_t len)
{
	hr_conn *conn = ud;

	hr_native_frame(conn, payload, len);
	/* Stop feeding once dispatch decided to close the connection, or
	 * once the peer leaves too much unread (see UNSENT_MAX): what the
	 * batch holds goes to the kernel first, which may take it all. */
	if (conn->closing || conn->ending)
		return 1;
	if (unsent(conn) > UNSENT_MAX)
		flush_batch(conn);
	return unsent(conn) > UNSENT_MAX;
}

int hr_conn_write_status(hr_conn *conn, uint64_t call_id, hr_code code,
			 const char *message)
{
	Homerack__V1__Response resp = HOMERACK__V1__RESPONSE__INIT;
	Homerack__V1__Status status = HOMERACK__V1__STATUS__INIT;

	status.code = (int32_t)code;
	status.message = (char *)message;
	resp.call_id = call_id;
	resp.body_case = HOMERACK__V1__RESPONSE__BODY_STATUS;
	resp.status = &status;
	return hr_conn_write_response(conn, &resp);
}

/* Tell the peer why we hang up: a status with call id 0 (no call of
 * theirs), or on HTTP/2 a GOAWAY. */
static void reject_stream(hr_conn *conn, const hr_error *err)
{
	if (conn->h2 != NULL)
		hr_h2_goaway(conn, err);
	else
		hr_conn_write_status(conn, 0, err->code, err->msg);
	hr_conn_close_after_writes(conn);
}

/* A half-closed connection with nothing left to answer closes. */
static void close_if_done(hr_conn *conn)
{
	if (conn->read_eof && conn->n_calls == 0 && conn->held == NULL)
		hr_conn_close_after_writes(conn);
}

void hr_conn_call_ended(hr_conn *conn)
{
	close_if_done(conn);
}

/* Stop reading conn's requests; keep the n unhandled bytes at data. */
static void pause_reading(hr_conn *conn, const uint8_t *data, size_t n)
{
	uint8_t *held = n > 0 ? malloc(n) : NULL;

	if (n > 0 && held == NULL) {
		hr_log(HR_LOG_ERROR, "uid %ld: out of memory holding requests",
		       (long)conn->uid);
		hr_conn_close(conn);
		return;
	}
	if (n > 0)
		memcpy(held, data, n);
	conn->held = held;
	conn->held_len = n;
	uv_read_stop((uv_stream_t *)&conn->pipe);
	/* Said once, and only when the kernel's buffer for the peer is
	 * full too: a pause until the last writes' callbacks ran is not
	 * the peer's doing. */
	if (!conn->warned && hr_conn_backlogged(conn)) {
		hr_log(HR_LOG_WARN,
		       "uid %ld is not reading its replies (%zu bytes unsent); "
		       "not reading its requests until it does",
		       (long)conn->uid, unsent(conn));
		conn->warned = 1;
	}
	conn->paused = 1;
}

/* Handle n bytes read from an HTTP/2 connection (h2.c), batching what
 * it writes; stop reading while the peer leaves too much unread. */
static void take_h2_input(hr_conn *conn, const uint8_t *data, size_t n)
{
	int rc;

	conn->batching = 1;
	rc = hr_h2_input(conn, data, n);
	conn->batching = 0;
	flush_batch(conn);
	if (rc < 0) {
		hr_conn_close_after_writes(conn);
		return;
	}
	if (conn->closing || conn->ending)
		return;
	if (!hr_h2_partial(conn))
		conn->frame_started = 0;
	else if (conn->frame_started == 0)
		conn->frame_started = uv_now(conn->server->loop);
	if (unsent(conn) > UNSENT_MAX)
		pause_reading(conn, NULL, 0);
}

/* The first byte of a connection names its transport: 'P' begins the
 * HTTP/2 client preface (gRPC), anything else is a native frame (whose
 * flag byte is 0; the frame reader rejects the rest). */
static int choose_transport(hr_conn *conn, uint8_t first)
{
	hr_error err;

	conn->chosen = 1;
	if (first != 'P')
		return 0;
	if (hr_h2_open(conn, &err) < 0) {
		hr_log(HR_LOG_ERROR, "uid %ld: %s", (long)conn->uid, err.msg);
		hr_conn_close(conn);
		return -1;
	}
	return 0;
}

/* Handle n request bytes read from conn: dispatch every whole frame,
 * batching the replies, unless the peer falls too far behind. */
static void take_input(hr_conn *conn, const uint8_t *data, size_t n)
{
	hr_error err;
	int rc;

	if (!conn->chosen && n > 0 && choose_transport(conn, data[0]) < 0)
		return;
	if (conn->h2 != NULL) {
		take_h2_input(conn, data, n);
		return;
	}
	conn->batching = 1;
	rc = hr_frame_reader_feed(&conn->reader, data, n, on_frame, conn, &err);
	conn->batching = 0;
	flush_batch(conn);
	if (rc < 0) {
		hr_log(HR_LOG_WARN, "connection from uid %ld: %s",
		       (long)conn->uid, err.msg);
		reject_stream(conn, &err);
		return;
	}
	if (conn->closing || conn->ending)
		return;
	/* (A pause comes between frames: no frame has started then.) */
	if (!hr_frame_reader_partial(&conn->reader))
		conn->frame_started = 0;
	else if (conn->frame_started == 0)
		conn->frame_started = uv_now(conn->server->loop);
	if (rc > 0)
		pause_reading(conn, data + conn->reader.taken,
			      n - conn->reader.taken);
}

/* The peer caught up: handle the requests held, then read again. */
static void resume_reading(hr_conn *conn)
{
	uint8_t *held = conn->held;
	size_t n = conn->held_len;

	conn->paused = 0;
	conn->held = NULL;
	conn->held_len = 0;
	take_input(conn, held, n);
	free(held);
	if (conn->closing || conn->ending || conn->paused)
		return;
	uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
}

/* Whether the peer closed its socket entirely (POLLHUP), not just its
 * writing side: a half-close shows as end of file too. */
static int peer_hung_up(const hr_conn *conn)
{
	struct pollfd pfd = {.events = 0};
	uv_os_fd_t fd;

	if (uv_fileno((const uv_handle_t *)&conn->pipe, &fd) < 0)
		return 1;
	pfd.fd = fd;
	if (poll(&pfd, 1, 0) < 0)
		return 1;
	return (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	hr_conn *conn = stream->data;

	if (nread == UV_EOF && !hr_frame_reader_partial(&conn->reader) &&
	    !peer_hung_up(conn)) {
		conn->read_eof = 1;
		uv_read_stop(stream);
		close_if_done(conn);
		return;
	}
	if (nread < 0) {
		hr_conn_close(conn);
		return;
	}
	conn->last_active = uv_now(conn->server->loop);
	take_input(conn, (const uint8_t *)buf->base, (size_t)nread);
}

void hr_conn_sweep(hr_server *server)
{
	uint64_t now = uv_now(server->loop);
	hr_conn *conn = server->conns;

	while (conn != NULL) {
		hr_conn *next = conn->next; /* conn may close below */
		hr_error err;

		if (conn->closing || uv_is_closing((uv_handle_t *)&conn->pipe)) {
			conn = next;
			continue;
		}
		/* A paused connection's frame waits on us, not on its peer. */
		if (conn->frame_started != 0 && !conn->paused &&
		    now - conn->frame_started >= server->cfg.frame_timeout_ms) {
			/* A frame begun and never finished: a stuck or
			 * deliberately slow peer holding a slot. */
			hr_error_set(&err, HR_DEADLINE_EXCEEDED,
				     "frame incomplete after %llu ms; closing",
				     (unsigned long long)server->cfg.frame_timeout_ms);
			hr_log(HR_LOG_WARN, "uid %ld: %s", (long)conn->uid, err.msg);
			conn->frame_started = 0;
			reject_stream(conn, &err);
		} else if (conn->n_calls == 0 &&
			   now - conn->last_active >= server->cfg.idle_timeout_ms) {
			hr_log(HR_LOG_DEBUG, "uid %ld: idle connection closed",
			       (long)conn->uid);
			hr_conn_close(conn);
		}
		conn = next;
	}
}

/* Connections the peer's uid already holds (this one included). */
static size_t conns_of_uid(const hr_server *server, uid_t uid)
{
	size_t n = 0;

	for (const hr_conn *c = server->conns; c != NULL; c = c->next)
		n += c->uid == uid && !c->closing;
	return n;
}

void hr_conn_accept(hr_server *server)
{
	hr_conn *conn = calloc(1, sizeof *conn);
	hr_error err;

	if (conn == NULL)
		return;
	conn->server = server;
	uv_pipe_init(server->loop, &conn->pipe, 0);
	conn->pipe.data = conn;
	hr_frame_reader_init(&conn->reader, server->cfg.max_frame);
	if (uv_accept((uv_stream_t *)&server->listener,
		      (uv_stream_t *)&conn->pipe) < 0) {
		uv_close((uv_handle_t *)&conn->pipe, on_close);
		return;
	}
	/* Linked first so every later path can use hr_conn_close. */
	conn->next = server->conns;
	if (server->conns != NULL)
		server->conns->prev = conn;
	server->conns = conn;
	server->n_conns++;
	if (hr_peer_identify(conn, &err) < 0) {
		hr_log(HR_LOG_WARN, "rejecting connection: %s", err.msg);
		hr_conn_close(conn);
		return;
	}
	conn->last_active = uv_now(server->loop);
	if (server->stopping)
		hr_error_set(&err, HR_UNAVAILABLE, "hrd is shutting down");
	else if (server->n_conns > server->cfg.max_connections)
		hr_error_set(&err, HR_RESOURCE_EXHAUSTED,
			     "too many connections (limit %zu)",
			     server->cfg.max_connections);
	else if (conns_of_uid(server, conn->uid) >
		 server->cfg.max_connections_per_uid)
		hr_error_set(&err, HR_RESOURCE_EXHAUSTED,
			     "too many connections from uid %ld (limit %zu)",
			     (long)conn->uid, server->cfg.max_connections_per_uid);
	else
		hr_error_clear(&err);
	if (err.code != HR_OK) {
		hr_log(HR_LOG_WARN, "rejecting connection: %s", err.msg);
		reject_stream(conn, &err);
		return;
	}
	uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
}
