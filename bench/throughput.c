/*
 * throughput.c — calls per second over N connections with D calls in
 * flight on each, driven by one epoll thread speaking raw frames (the
 * protocol multiplexes calls by call_id; libhrclient makes one at a
 * time). With --echo the same driver exchanges bare SIZE-byte messages
 * with a single-threaded epoll echo server instead of hrd: the floor for
 * the same connection count.
 *
 * The rate is sampled in windows of --window-ms; each call's round trip
 * (sent to its final frame) is recorded too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_DEPTH 64
#define IN_CAP 65536
#define OUT_CAP 8192

typedef struct tconn {
	int fd;
	uint64_t next_id;
	int in_flight;
	uint64_t sent_at[MAX_DEPTH]; /* by call id % MAX_DEPTH, or FIFO */
	unsigned fifo_head;          /* echo: the oldest message's slot */
	size_t in_len, out_len;
	uint8_t in[IN_CAP];
	uint8_t out[OUT_CAP];
} tconn;

typedef struct driver {
	tconn *conns;
	int n_conns, depth, echo, sending;
	size_t size; /* echo message size */
	uint64_t done_in_window;
	bench_samples *lat; /* NULL while warming up */
	tconn *cur;         /* the connection whose replies are being read */
} driver;

/* ------------------------------------------------------------------ */
/* The echo server                                                     */
/* ------------------------------------------------------------------ */

/* Serve the child ends of the socket pairs until every peer has gone. */
static void echo_server(int *fds, int n)
{
	static uint8_t buf[65536];
	struct epoll_event ev[64];
	int ep = epoll_create1(0), open_fds = n;

	for (int i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.fd = fds[i]};

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
	}
	while (open_fds > 0) {
		int k = epoll_wait(ep, ev, 64, -1);

		for (int i = 0; i < k; i++) {
			int fd = ev[i].data.fd;
			ssize_t r = read(fd, buf, sizeof buf), w = 0;

			if (r <= 0) {
				close(fd);
				open_fds--;
				continue;
			}
			while (w < r) {
				ssize_t x = write(fd, buf + w, (size_t)(r - w));

				if (x <= 0)
					_exit(1);
				w += x;
			}
		}
	}
	_exit(0);
}

/* Connect d's connections to a forked echo server on server_cpu; returns
 * its pid. */
static pid_t start_echo(driver *d, int server_cpu)
{
	int *theirs = calloc((size_t)d->n_conns, sizeof *theirs);
	pid_t child;

	if (theirs == NULL)
		bench_die("out of memory");
	for (int i = 0; i < d->n_conns; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			bench_die("socketpair: %m");
		d->conns[i].fd = sv[0];
		theirs[i] = sv[1];
	}
	child = fork();
	if (child < 0)
		bench_die("fork: %m");
	if (child == 0) {
		bench_pin_self(server_cpu);
		for (int i = 0; i < d->n_conns; i++)
			close(d->conns[i].fd);
		echo_server(theirs, d->n_conns);
	}
	for (int i = 0; i < d->n_conns; i++)
		close(theirs[i]);
	free(theirs);
	return child;
}

/* ------------------------------------------------------------------ */
/* The driver                                                          */
/* ------------------------------------------------------------------ */

static void queue_call(driver *d, tconn *c)
{
	uint64_t now = bench_now_ns();

	if (d->echo) {
		if (c->out_len + d->size > OUT_CAP)
			bench_die("echo output buffer full");
		memset(c->out + c->out_len, 'x', d->size);
		c->out_len += d->size;
		c->sent_at[(c->fifo_head + (unsigned)c->in_flight) % MAX_DEPTH] =
			now;
	} else {
		size_t n = bench_frame_call(c->out + c->out_len,
					    OUT_CAP - c->out_len, c->next_id,
					    BENCH_CURRENT);

		if (n == 0)
			bench_die("request output buffer full");
		c->out_len += n;
		c->sent_at[c->next_id % MAX_DEPTH] = now;
		c->next_id++;
	}
	c->in_flight++;
}

static void call_done(driver *d, tconn *c, uint64_t sent_at)
{
	if (d->lat != NULL)
		bench_samples_add(d->lat,
				  (double)(bench_now_ns() - sent_at) / 1e3);
	d->done_in_window++;
	c->in_flight--;
	if (d->sending)
		queue_call(d, c);
}

static void on_reply(void *ud, const bench_reply *r)
{
	driver *d = ud;
	tconn *c = d->cur;

	if (!r->is_status)
		return; /* the reply message; the status ends the call */
	if (r->code != 0)
		bench_die("Current call %llu failed with status %d",
			  (unsigned long long)r->call_id, r->code);
	call_done(d, c, c->sent_at[r->call_id % MAX_DEPTH]);
}

static void flush(tconn *c)
{
	ssize_t w;

	if (c->out_len == 0)
		return;
	w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		bench_die("send: %m");
	}
	memmove(c->out, c->out + w, c->out_len - (size_t)w);
	c->out_len -= (size_t)w;
}

static void on_readable(driver *d, tconn *c)
{
	ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len,
			 MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0)
		bench_die("the server closed a connection");
	c->in_len += (size_t)r;
	if (d->echo) {
		while (c->in_len >= d->size) {
			uint64_t sent = c->sent_at[c->fifo_head];

			c->fifo_head = (c->fifo_head + 1) % MAX_DEPTH;
			memmove(c->in, c->in + d->size, c->in_len - d->size);
			c->in_len -= d->size;
			call_done(d, c, sent);
		}
	} else {
		d->cur = c;
		if (bench_frames_take(c->in, &c->in_len, on_reply, d) < 0)
			bench_die("malformed response frame");
		if (c->in_len == IN_CAP)
			bench_die("response frame too large");
	}
	flush(c);
}

/* Run the loop until `until` (ns); every window_ns push the rate seen. */
static void drive(driver *d, int ep, uint64_t until, uint64_t window_ns,
		  bench_samples *rates)
{
	struct epoll_event ev[256];
	uint64_t window_end = bench_now_ns() + window_ns;

	d->done_in_window = 0;
	for (;;) {
		uint64_t now = bench_now_ns();
		int pending = 0, k;

		if (now >= window_end) {
			if (rates != NULL)
				bench_samples_add(rates,
						  (double)d->done_in_window * 1e9 /
							  (double)(now - window_end + window_ns));
			d->done_in_window = 0;
			window_end = now + window_ns;
		}
		if (now >= until)
			return;
		for (int i = 0; i < d->n_conns; i++) {
			flush(&d->conns[i]);
			pending |= d->conns[i].out_len > 0;
		}
		k = epoll_wait(ep, ev, 256, pending ? 0 : 10);
		for (int i = 0; i < k; i++)
			on_readable(d, &d->conns[ev[i].data.u32]);
	}
}

static int throughput_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"echo", no_argument, NULL, 'e'},
		{"size", required_argument, NULL, 'z'},
		{"conns", required_argument, NULL, 'c'},
		{"depth", required_argument, NULL, 'd'},
		{"seconds", required_argument, NULL, 't'},
		{"warmup", required_argument, NULL, 'w'},
		{"window-ms", required_argument, NULL, 'm'},
		{"cpu", required_argument, NULL, 'C'},
		{"server-cpu", required_argument, NULL, 'S'},
		{"hrd-pid", required_argument, NULL, 'p'},
		{0},
	};
	const char *name = "throughput", *socket_path = NULL;
	double seconds = 2, warmup = 0.3;
	int window_ms = 50, cpu = -1, server_cpu = -1, opt, ep, status;
	driver d = {.n_conns = 1, .depth = 1, .size = 64};
	bench_samples rates = {0}, lat = {0};
	pid_t hrd_pid = 0, child = 0;
	char lat_name[256];

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'e': d.echo = 1; break;
		case 'z': d.size = (size_t)atol(optarg); break;
		case 'c': d.n_conns = atoi(optarg); break;
		case 'd': d.depth = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'm': window_ms = atoi(optarg); break;
		case 'C': cpu = atoi(optarg); break;
		case 'S': server_cpu = atoi(optarg); break;
		case 'p': hrd_pid = (pid_t)atol(optarg); break;
		default: return 2;
		}
	}
	if ((socket_path == NULL) == !d.echo)
		bench_die("throughput: give either --socket PATH or --echo");
	if (d.n_conns < 1 || d.depth < 1 || d.depth > MAX_DEPTH ||
	    d.size < 1 || d.size * MAX_DEPTH > OUT_CAP || window_ms < 1 ||
	    seconds <= 0)
		bench_die("throughput: bad --conns, --depth (1..%d), --size or "
			  "--seconds",
			  MAX_DEPTH);
	d.conns = calloc((size_t)d.n_conns, sizeof *d.conns);
	if (d.conns == NULL)
		bench_die("out of memory");
	bench_pin_self(cpu);
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, server_cpu);
	if (d.echo) {
		child = start_echo(&d, server_cpu);
	} else {
		for (int i = 0; i < d.n_conns; i++)
			d.conns[i].fd = bench_connect(socket_path);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < d.n_conns; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		d.conns[i].next_id = 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, d.conns[i].fd, &e) < 0)
			bench_die("epoll_ctl: %m");
	}
	d.sending = 1;
	for (int i = 0; i < d.n_conns; i++)
		for (int k = 0; k < d.depth; k++)
			queue_call(&d, &d.conns[i]);
	drive(&d, ep, bench_now_ns() + (uint64_t)(warmup * 1e9),
	      (uint64_t)window_ms * 1000000u, NULL);
	d.lat = &lat;
	drive(&d, ep, bench_now_ns() + (uint64_t)(seconds * 1e9),
	      (uint64_t)window_ms * 1000000u, &rates);
	d.lat = NULL;
	d.sending = 0;
	for (int i = 0; i < d.n_conns; i++)
		close(d.conns[i].fd);
	close(ep);
	if (child > 0)
		waitpid(child, &status, 0);
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, -1);
	bench_report(name, &rates, "calls/s", 1,
		     "conns=%d depth=%d server=%s cpu=%d server_cpu=%d",
		     d.n_conns, d.depth, d.echo ? "echo" : "hrd", cpu, server_cpu);
	snprintf(lat_name, sizeof lat_name, "%s.latency", name);
	bench_report(lat_name, &lat, "us", 0, "conns=%d depth=%d", d.n_conns,
		     d.depth);
	bench_samples_free(&rates);
	bench_samples_free(&lat);
	free(d.conns);
	return 0;
}

const bench_cmd bench_cmd_throughput = {
	.name = "throughput",
	.usage = "(--socket PATH | --echo [--size 64]) [--name N] [--conns 1] "
		 "[--depth 1] [--seconds 2] [--warmup 0.3] [--window-ms 50] "
		 "[--cpu C] [--server-cpu S [--hrd-pid PID]]",
	.summary = "calls/s over N connections with D calls in flight each",
	.run = throughput_run,
};
