/*
 * latency.c — the round trip of one Current call with one client, as a
 * program using libhrclient sees it (or, with --raw, one blocking write
 * of a prepared frame and reads until the status: the client library's
 * own cost taken out).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "hrclient_pb.h"

typedef struct caller {
	hr_client *client; /* libhrclient, or */
	int raw_fd;        /* raw frames when >= 0 */
	uint64_t next_id;
} caller;

static void one_call(void *ud)
{
	caller *c = ud;
	Homerack__V1__CurrentReply *reply;
	hr_error err;

	if (c->raw_fd >= 0) {
		bench_current_blocking(c->raw_fd, c->next_id++);
		return;
	}
	if (hr_client_current(c->client, &reply, &err) < 0)
		bench_die("current: %s", err.msg);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
}

static int latency_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"cpu", required_argument, NULL, 'c'},
		{"hrd-pid", required_argument, NULL, 'p'},
		{"hrd-cpu", required_argument, NULL, 'h'},
		{"runs", required_argument, NULL, 'r'},
		{"iters", required_argument, NULL, 'i'},
		{"raw", no_argument, NULL, 'w'},
		{0},
	};
	const char *name = "current", *socket_path = NULL;
	int cpu = -1, hrd_cpu = BENCH_CPU_SAME, runs = 5, iters = 20000;
	int raw = 0, opt;
	bench_samples all = {0}, medians = {0};
	caller c = {.raw_fd = -1, .next_id = 1};
	pid_t hrd_pid = 0;
	hr_error err;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		case 'p': hrd_pid = (pid_t)atol(optarg); break;
		case 'h': hrd_cpu = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'i': iters = atoi(optarg); break;
		case 'w': raw = 1; break;
		default: return 2;
		}
	}
	if (socket_path == NULL || runs < 1 || iters < 1)
		bench_die("latency: needs --socket, and positive --runs/--iters");
	if (hrd_cpu == BENCH_CPU_SAME)
		hrd_cpu = cpu;
	bench_pin_self(cpu);
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, hrd_cpu);
	if (raw)
		c.raw_fd = bench_connect(socket_path);
	else if (hr_client_connect(socket_path, &c.client, &err) < 0)
		bench_die("%s", err.msg);
	for (int i = 0; i < 2000; i++)
		one_call(&c);
	bench_repeat(runs, iters, one_call, &c, &all, &medians);
	if (c.raw_fd >= 0)
		close(c.raw_fd);
	hr_client_close(c.client);
	/* Leave hrd free to run anywhere for the benchmarks that follow. */
	if (hrd_pid > 0)
		bench_pin_process(hrd_pid, -1);
	bench_report(name, &all, "us", 0,
		     "cpu=%d hrd_cpu=%d client=%s run_p50_min=%.3g "
		     "run_p50_max=%.3g",
		     cpu, hrd_pid > 0 ? hrd_cpu : -1,
		     raw ? "raw" : "libhrclient", bench_quantile(&medians, 0),
		     bench_quantile(&medians, 1));
	bench_samples_free(&all);
	bench_samples_free(&medians);
	return 0;
}

const bench_cmd bench_cmd_latency = {
	.name = "latency",
	.usage = "--socket PATH [--name N] [--cpu C [--hrd-pid PID "
		 "[--hrd-cpu C]]] [--raw] [--runs 5] [--iters 20000]",
	.summary = "Current round trip with one client",
	.run = latency_run,
};
