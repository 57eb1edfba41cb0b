/* hrclient.c — blocking client for hrd's RPCs over its Unix socket. */
#include "hrclient.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "sockpath.h"
#include "rpcnames.h"

struct hr_client {
	int fd;
	char path[HR_SOCKPATH_MAX + 1];
	uint64_t next_call_id;
	volatile sig_atomic_t *cancel_flag;
	uint32_t wait_limit_ms;
	hr_frame_reader reader;
};

int hr_client_connect(const char *socket_path, hr_client **out, hr_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	hr_client *c;
	int rc;

	c = calloc(1, sizeof *c);
	if (c == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if (socket_path != NULL) {
		if ((rc = hr_sockpath_check(socket_path, err)) < 0) {
			free(c);
			return rc;
		}
		strcpy(c->path, socket_path);
	} else if ((rc = hr_sockpath_default(c->path, sizeof c->path, err)) < 0) {
		free(c);
		return rc;
	}
	strcpy(addr.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int e = errno;

		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return hr_error_set(err, HR_UNAVAILABLE,
				    "cannot connect to hrd at %s: %s%s",
				    addr.sun_path, strerror(e),
				    e == ENOENT || e == ECONNREFUSED
					    ? " (is hrd running?)"
					    : "");
	}
	c->next_call_id = 1;
	hr_frame_reader_init(&c->reader, HR_FRAME_REPLY_MAX);
	*out = c;
	return 0;
}

void hr_client_close(hr_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	hr_frame_reader_free(&c->reader);
	free(c);
}

void hr_client_set_cancel_flag(hr_client *c, volatile sig_atomic_t *flag)
{
	c->cancel_flag = flag;
}

void hr_client_set_wait_limit(hr_client *c, uint32_t ms)
{
	c->wait_limit_ms = ms;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a vanished hrd is an error, not a SIGPIPE. */
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_request(hr_client *c, const Homerack__V1__Request *req,
			hr_error *err)
{
	size_t len = homerack__v1__request__get_packed_size(req);
	uint8_t *buf = malloc(HR_FRAME_HEADER_SIZE + len);
	int rc;

	if (buf == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	hr_frame_write_header(buf, (uint32_t)len);
	homerack__v1__request__pack(req, buf + HR_FRAME_HEADER_SIZE);
	rc = write_all(c->fd, buf, HR_FRAME_HEADER_SIZE + len);
	free(buf);
	if (rc < 0)
		return hr_error_set(err, HR_UNAVAILABLE,
				    "lost connection to hrd: %s",
				    strerror(errno));
	return 0;
}

static int send_cancel(hr_client *c, uint64_t id, hr_error *err)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;

	req.protocol_version =
		HOMERACK__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	req.call_id = id;
	req.cancel = 1;
	return send_request(c, &req, err);
}

/* State of one call while its frames come in. */
typedef struct call_state {
	uint64_t id;
	hr_client_on_message on_message;
	void *ud;
	int done;     /* the final status arrived */
	int aborted;  /* on_message asked to stop */
	hr_error *err;
	int rc;
} call_state;

static int on_frame(void *ud, const uint8_t *payload, size_t len)
{
	call_state *st = ud;
	Homerack__V1__Response *resp =
		homerack__v1__response__unpack(NULL, len, payload);

	if (resp == NULL) {
		st->rc = hr_error_set(st->err, HR_INTERNAL,
				      "undecodable response from hrd");
		st->done = 1;
		return 1;
	}
	/* Call id 0 is the connection itself (protocol errors). */
	if (resp->call_id == st->id || resp->call_id == 0) {
		if (resp->body_case == HOMERACK__V1__RESPONSE__BODY_STATUS) {
			const Homerack__V1__Status *s = resp->status;

			st->rc = s->code == HR_OK
					 ? 0
					 : hr_error_set(st->err, (hr_code)s->code,
							"%s", s->message);
			st->done = 1;
		} else if (resp->body_case == HOMERACK__V1__RESPONSE__BODY_MESSAGE &&
			   st->on_message != NULL &&
			   st->on_message(st->ud, resp->message.data,
					  resp->message.len) != 0) {
			st->aborted = 1;
		}
	}
	homerack__v1__response__free_unpacked(resp, NULL);
	return st->done || st->aborted;
}

int hr_client_call(hr_client *c, const char *method,
		   const ProtobufCMessage *request, uint32_t timeout_ms,
		   hr_client_on_message on_message, void *ud, hr_error *err)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	call_state st = {.on_message = on_message, .ud = ud, .err = err};
	size_t len = protobuf_c_message_get_packed_size(request);
	uint8_t buf[65536];
	int cancel_sent = 0, rc;
	int64_t give_up = c->wait_limit_ms ? now_ms() + c->wait_limit_ms : 0;

	req.payload.data = malloc(len + 1);
	if (req.payload.data == NULL)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	req.payload.len = protobuf_c_message_pack(request, req.payload.data);
	req.protocol_version =
		HOMERACK__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	req.call_id = st.id = c->next_call_id++;
	req.method = (char *)method;
	req.timeout_ms = timeout_ms;
	rc = send_request(c, &req, err);
	free(req.payload.data);
	if (rc < 0)
		return rc;
	while (!st.done && !st.aborted) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int wait_ms = -1;
		ssize_t n;

		if (c->cancel_flag != NULL && *c->cancel_flag && !cancel_sent) {
			cancel_sent = 1;
			if ((rc = send_cancel(c, st.id, err)) < 0)
				return rc;
		}
		if (give_up != 0) {
			int64_t left = give_up - now_ms();

			if (left <= 0) {
				send_cancel(c, st.id, NULL);
				return hr_error_set(err, HR_DEADLINE_EXCEEDED,
						    "gave up after %u ms",
						    c->wait_limit_ms);
			}
			wait_ms = (int)left;
		}
		/* poll, not read: a signal interrupts it (EINTR) so a
		 * cancel request goes out promptly. */
		rc = poll(&pfd, 1, wait_ms);
		if (rc == 0)
			continue; /* the wait limit is checked above */
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return hr_error_set(err, HR_UNAVAILABLE, "poll: %s",
					    strerror(errno));
		}
		n = read(c->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hr_error_set(err, HR_UNAVAILABLE,
					    "hrd closed the connection before "
					    "the call finished");
		rc = hr_frame_reader_feed(&c->reader, buf, (size_t)n, on_frame,
					  &st, err);
		if (rc < 0)
			return rc;
	}
	if (st.aborted)
		return hr_error_set(err, HR_CANCELLED, "call abandoned");
	return st.rc;
}

/* Keep the first (only) message of a unary reply. */
typedef struct unary_state {
	const ProtobufCMessageDescriptor *type;
	ProtobufCMessage *reply;
	int bad;
} unary_state;

static int keep_reply(void *ud, const uint8_t *data, size_t len)
{
	unary_state *u = ud;

	if (u->reply != NULL)
		protobuf_c_message_free_unpacked(u->reply, NULL);
	u->reply = protobuf_c_message_unpack(u->type, NULL, len, data);
	u->bad = u->reply == NULL;
	return 0;
}

int hr_client_unary(hr_client *c, const char *method,
		    const ProtobufCMessage *request,
		    const ProtobufCMessageDescriptor *reply_type,
		    uint32_t timeout_ms, ProtobufCMessage **reply,
		    hr_error *err)
{
	unary_state u = {.type = reply_type};
	int rc = hr_client_call(c, method, request, timeout_ms, keep_reply, &u,
				err);

	if (rc == 0 && (u.bad || u.reply == NULL))
		rc = hr_error_set(err, HR_INTERNAL,
				  "hrd sent no decodable %s", reply_type->name);
	if (rc < 0) {
		if (u.reply != NULL)
			protobuf_c_message_free_unpacked(u.reply, NULL);
		return rc;
	}
	*reply = u.reply;
	return 0;
}

int hr_client_current(hr_client *c, Homerack__V1__CurrentReply **reply,
		      hr_error *err)
{
	Homerack__V1__CurrentRequest req = HOMERACK__V1__CURRENT_REQUEST__INIT;

	return hr_client_unary(c, HR_RPC_CURRENT, &req.base,
			       &homerack__v1__current_reply__descriptor, 0,
			       (ProtobufCMessage **)reply, err);
}
