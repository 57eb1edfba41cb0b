/*
 * grpc.c — the round trip of one Current call over gRPC (HTTP/2), as a
 * C client on libnghttp2 sees it: one connection, one stream per call
 * (HEADERS and the request's DATA in one write), reads until the stream
 * closes with its trailers. Beside `latency`, it measures what the
 * HTTP/2 path costs hrd, without a gRPC library's own overhead.
 */
#include <getopt.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

typedef struct h2_client {
	int fd;
	nghttp2_session *session;
	int32_t stream; /* the call in flight */
	int done;       /* it closed */
	int status;     /* its grpc-status (-1: none seen) */
} h2_client;

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len,
		       int flags, void *ud)
{
	h2_client *c = ud;
	ssize_t n = write(c->fd, data, len);

	(void)s;
	(void)flags;
	return n < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame,
		     const uint8_t *name, size_t namelen, const uint8_t *value,
		     size_t valuelen, uint8_t flags, void *ud)
{
	h2_client *c = ud;

	(void)s;
	(void)flags;
	(void)valuelen;
	if (frame->hd.stream_id == c->stream && namelen == 11 &&
	    memcmp(name, "grpc-status", 11) == 0)
		c->status = atoi((const char *)value);
	return 0;
}

static int on_close(nghttp2_session *s, int32_t stream, uint32_t code, void *ud)
{
	h2_client *c = ud;

	(void)s;
	(void)code;
	if (stream == c->stream)
		c->done = 1;
	return 0;
}

/* The request: one empty CurrentRequest, length-prefixed. */
static ssize_t read_request(nghttp2_session *s, int32_t stream, uint8_t *buf,
			    size_t length, uint32_t *flags,
			    nghttp2_data_source *src, void *ud)
{
	(void)s;
	(void)stream;
	(void)src;
	(void)ud;
	if (length < 5)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memset(buf, 0, 5);
	*flags |= NGHTTP2_DATA_FLAG_EOF;
	return 5;
}

#define NV(n, v)                                                               \
	{(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,         \
	 NGHTTP2_NV_FLAG_NONE}

static void one_call(void *ud)
{
	h2_client *c = ud;
	static const nghttp2_nv hdrs[] = {
		NV(":method", "POST"),
		NV(":scheme", "http"),
		NV(":path", "/homerack.v1.Schema/Current"),
		NV(":authority", "localhost"),
		NV("content-type", "application/grpc"),
		NV("te", "trailers"),
	};
	nghttp2_data_provider dp = {.read_callback = read_request};
	uint8_t buf[16384];

	c->done = 0;
	c->status = -1;
	c->stream = nghttp2_submit_request(c->session, NULL, hdrs,
					   sizeof hdrs / sizeof hdrs[0], &dp, c);
	if (c->stream < 0 || nghttp2_session_send(c->session) != 0)
		bench_die("grpc: cannot send the request");
	while (!c->done) {
		ssize_t n = read(c->fd, buf, sizeof buf);

		if (n <= 0 || nghttp2_session_mem_recv(c->session, buf, (size_t)n) < 0)
			bench_die("grpc: hrd closed the connection");
		if (nghttp2_session_send(c->session) != 0)
			bench_die("grpc: cannot send");
	}
	if (c->status != 0)
		bench_die("grpc: Current ended with grpc-status %d", c->status);
}

static int grpc_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"cpu", required_argument, NULL, 'c'},
		{"hrd-pid", required_argument, NULL, 'p'},
		{"runs", required_argument, NULL, 'r'},
		{"iters", required_argument, NULL, 'i'},
		{0},
	};
	const char *name = "grpc", *socket_path = NULL;
	int cpu = -1, runs = 5, iters = 20000, opt;
	bench_samples all = {0}, medians = {0};
	nghttp2_session_callbacks *cb;
	h2_client c = {0};
	pid_t hrd_pid = 0;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		case 'p': hrd_pid = (pid_t)atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'i': iters = atoi(optarg); break;
		default: return 2;
		}
	}
	if (socket_path == NULL || runs < 1 || iters < 1)
		bench_die("grpc: needs --socket, and positive --runs/--iters");
	bench_pin_self(cpu);
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, cpu);
	c.fd = bench_connect(socket_path);
	if (nghttp2_session_callbacks_new(&cb) != 0)
		bench_die("grpc: out of memory");
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	if (nghttp2_session_client_new(&c.session, cb, &c) != 0)
		bench_die("grpc: out of memory");
	nghttp2_session_callbacks_del(cb);
	/* The preface and our (empty) SETTINGS go with the first call. */
	nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, NULL, 0);
	for (int i = 0; i < 2000; i++)
		one_call(&c);
	bench_repeat(runs, iters, one_call, &c, &all, &medians);
	nghttp2_session_del(c.session);
	close(c.fd);
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, -1);
	bench_report(name, &all, "us", 0,
		     "cpu=%d client=nghttp2 run_p50_min=%.3g run_p50_max=%.3g",
		     cpu, bench_quantile(&medians, 0),
		     bench_quantile(&medians, 1));
	bench_samples_free(&all);
	bench_samples_free(&medians);
	return 0;
}

const bench_cmd bench_cmd_grpc = {
	.name = "grpc",
	.usage = "--socket PATH [--name N] [--cpu C [--hrd-pid PID]] "
		 "[--runs 5] [--iters 20000]",
	.summary = "Current round trip over gRPC (HTTP/2, libnghttp2 client)",
	.run = grpc_run,
};
