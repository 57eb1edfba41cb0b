/*
 * wire.c — raw frames for the load generators: requests packed with the
 * generated code, responses read with a minimal decoder (call id, and
 * for a status its code) so the client side costs as little as it can.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"
#include "frame.h"
#include "homerack.pb-c.h"

int bench_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof addr.sun_path)
		bench_die("socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		bench_die("cannot connect to %s: %m", path);
	return fd;
}

size_t bench_frame_call(uint8_t *buf, size_t cap, uint64_t call_id,
			const char *method)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	size_t len;

	req.protocol_version =
		HOMERACK__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_CURRENT;
	req.call_id = call_id;
	req.method = (char *)method;
	len = homerack__v1__request__get_packed_size(&req);
	if (HR_FRAME_HEADER_SIZE + len > cap)
		return 0;
	hr_frame_write_header(buf, (uint32_t)len);
	homerack__v1__request__pack(&req, buf + HR_FRAME_HEADER_SIZE);
	return HR_FRAME_HEADER_SIZE + len;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/*
 * Walk the fields of one message. For each varint field its value goes
 * to varints[field] (fields 1..3); for each length-delimited field its
 * span goes to spans[field]. Other wire types are skipped.
 */
static int walk(const uint8_t *p, const uint8_t *end, uint64_t varints[4],
		const uint8_t *spans[4], size_t span_len[4])
{
	while (p < end) {
		uint64_t tag, v;
		unsigned field, type;

		if (get_varint(&p, end, &tag) < 0)
			return -1;
		field = (unsigned)(tag >> 3);
		type = (unsigned)(tag & 7);
		switch (type) {
		case 0:
			if (get_varint(&p, end, &v) < 0)
				return -1;
			if (field < 4)
				varints[field] = v;
			break;
		case 2:
			if (get_varint(&p, end, &v) < 0 ||
			    v > (uint64_t)(end - p))
				return -1;
			if (field < 4) {
				spans[field] = p;
				span_len[field] = (size_t)v;
			}
			p += v;
			break;
		case 1:
		case 5:
			if ((size_t)(end - p) < (type == 1 ? 8u : 4u))
				return -1;
			p += type == 1 ? 8 : 4;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int decode_reply(const uint8_t *p, size_t len, bench_reply *r)
{
	uint64_t v[4] = {0}, sv[4] = {0};
	const uint8_t *s[4] = {0}, *ss[4] = {0};
	size_t sl[4] = {0}, ssl[4] = {0};

	if (walk(p, p + len, v, s, sl) < 0)
		return -1;
	r->call_id = v[1];
	r->is_status = s[3] != NULL;
	r->code = 0;
	if (r->is_status) {
		if (walk(s[3], s[3] + sl[3], sv, ss, ssl) < 0)
			return -1;
		r->code = (int)(int32_t)sv[1];
	} else if (s[2] == NULL) {
		return -1; /* neither message nor status */
	}
	return 0;
}

int bench_frames_take(uint8_t *buf, size_t *len,
		      void (*cb)(void *ud, const bench_reply *r), void *ud)
{
	size_t off = 0;
	int n = 0;

	while (*len - off >= HR_FRAME_HEADER_SIZE) {
		const uint8_t *h = buf + off;
		size_t plen = (size_t)h[1] << 24 | (size_t)h[2] << 16 |
			      (size_t)h[3] << 8 | h[4];
		bench_reply r;

		if (h[0] != 0)
			return -1;
		if (*len - off - HR_FRAME_HEADER_SIZE < plen)
			break;
		if (decode_reply(h + HR_FRAME_HEADER_SIZE, plen, &r) < 0)
			return -1;
		cb(ud, &r);
		off += HR_FRAME_HEADER_SIZE + plen;
		n++;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return n;
}

typedef struct blocking_state {
	uint64_t id;
	int done, code;
} blocking_state;

static void on_blocking_reply(void *ud, const bench_reply *r)
{
	blocking_state *st = ud;

	if (r->is_status && (r->call_id == st->id || r->call_id == 0)) {
		st->done = 1;
		st->code = r->code;
	}
}

void bench_current_blocking(int fd, uint64_t call_id)
{
	uint8_t out[128], in[8192];
	size_t n = bench_frame_call(out, sizeof out, call_id, BENCH_CURRENT);
	size_t have = 0;
	blocking_state st = {.id = call_id};

	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		bench_die("send to hrd: %m");
	while (!st.done) {
		ssize_t r = read(fd, in + have, sizeof in - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			bench_die("hrd closed the connection during a call");
		have += (size_t)r;
		if (bench_frames_take(in, &have, on_blocking_reply, &st) < 0)
			bench_die("malformed response frame from hrd");
		if (have == sizeof in)
			bench_die("response frame over %zu bytes", sizeof in);
	}
	if (st.code != 0)
		bench_die("Current failed with status %d", st.code);
}
