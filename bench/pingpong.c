/*
 * pingpong.c — the floor for an RPC: a bare request/reply of SIZE bytes
 * between two processes over a Unix stream socket, blocking read and
 * write on both ends. No framing, no decoding, no event loop: what the
 * kernel costs for one round trip.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SIZE 65536

static int read_full(int fd, uint8_t *buf, size_t n)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = read(fd, buf + have, n - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static void echo_child(int fd, size_t size)
{
	static uint8_t buf[MAX_SIZE];

	while (read_full(fd, buf, size) == 0)
		if (write_full(fd, buf, size) < 0)
			break;
	_exit(0);
}

typedef struct exchange {
	int fd;
	size_t size;
} exchange;

static void round_trip(void *ud)
{
	static uint8_t buf[MAX_SIZE];
	exchange *x = ud;

	if (write_full(x->fd, buf, x->size) < 0 ||
	    read_full(x->fd, buf, x->size) < 0)
		bench_die("echo child went away");
}

static int pingpong_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"cpu", required_argument, NULL, 'c'},
		{"peer-cpu", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 's'},
		{"runs", required_argument, NULL, 'r'},
		{"iters", required_argument, NULL, 'i'},
		{0},
	};
	const char *name = "pingpong";
	int cpu = -1, peer_cpu = BENCH_CPU_SAME, runs = 5, iters = 20000, opt, sv[2], status;
	size_t size = 64;
	bench_samples all = {0}, medians = {0};
	exchange x;
	pid_t child;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		case 'p': peer_cpu = atoi(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'i': iters = atoi(optarg); break;
		default: return 2;
		}
	}
	if (size < 1 || size > MAX_SIZE || runs < 1 || iters < 1)
		bench_die("pingpong: bad --size, --runs or --iters");
	/* Pinned before the fork: the child inherits the placement unless
	 * --peer-cpu puts it elsewhere. */
	if (peer_cpu == BENCH_CPU_SAME)
		peer_cpu = cpu;
	bench_pin_self(cpu);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		bench_die("socketpair: %m");
	child = fork();
	if (child < 0)
		bench_die("fork: %m");
	if (child == 0) {
		bench_pin_self(peer_cpu);
		close(sv[0]);
		echo_child(sv[1], size);
	}
	close(sv[1]);
	x.fd = sv[0];
	x.size = size;
	for (int i = 0; i < 2000; i++) /* warm up caches and the scheduler */
		round_trip(&x);
	bench_repeat(runs, iters, round_trip, &x, &all, &medians);
	close(sv[0]);
	waitpid(child, &status, 0);
	bench_report(name, &all, "us", 0,
		     "size=%zu cpu=%d peer_cpu=%d run_p50_min=%.3g "
		     "run_p50_max=%.3g",
		     size, cpu, peer_cpu, bench_quantile(&medians, 0),
		     bench_quantile(&medians, 1));
	bench_samples_free(&all);
	bench_samples_free(&medians);
	return 0;
}

const bench_cmd bench_cmd_pingpong = {
	.name = "pingpong",
	.usage = "[--name N] [--cpu C] [--peer-cpu C] [--size 64] [--runs 5] [--iters 20000]",
	.summary = "bare request/reply round trip between two processes",
	.run = pingpong_run,
};
