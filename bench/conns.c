/*
 * conns.c — hrd's memory: its resident set now (--count 0), or before,
 * while and after holding COUNT open idle connections. Each connection
 * makes one Current call first, so hrd has surely accepted and served
 * it; then it stays open and silent.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

/* Report field of pid as NAME.SUFFIX, sampled a few times 50 ms apart. */
static void report_kib(const char *name, const char *suffix, pid_t pid,
		       const char *field)
{
	bench_samples s = {0};
	char full[256];

	for (int i = 0; i < 5; i++) {
		long kib = bench_proc_kib(pid, field);

		if (kib < 0)
			bench_die("cannot read %s of pid %ld", field, (long)pid);
		bench_samples_add(&s, (double)kib);
		usleep(50000);
	}
	snprintf(full, sizeof full, "%s.%s", name, suffix);
	bench_report(full, &s, "KiB", 0, "field=%s", field);
	bench_samples_free(&s);
}

static int conns_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"pid", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'c'},
		{0},
	};
	const char *name = "memory", *socket_path = NULL;
	int count = 0, opt, *fds;
	pid_t pid = 0;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'p': pid = (pid_t)atol(optarg); break;
		case 'c': count = atoi(optarg); break;
		default: return 2;
		}
	}
	if (pid <= 0 || count < 0 || (count > 0 && socket_path == NULL))
		bench_die("conns: needs --pid, and --socket with --count");
	report_kib(name, "rss", pid, "VmRSS");
	report_kib(name, "anon", pid, "RssAnon");
	report_kib(name, "hwm", pid, "VmHWM");
	if (count == 0)
		return 0;
	fds = calloc((size_t)count, sizeof *fds);
	if (fds == NULL)
		bench_die("out of memory");
	for (int i = 0; i < count; i++) {
		fds[i] = bench_connect(socket_path);
		bench_current_blocking(fds[i], 1);
	}
	report_kib(name, "open.rss", pid, "VmRSS");
	report_kib(name, "open.anon", pid, "RssAnon");
	report_kib(name, "open.hwm", pid, "VmHWM");
	for (int i = 0; i < count; i++)
		close(fds[i]);
	free(fds);
	usleep(200000); /* let hrd see the hang-ups */
	report_kib(name, "closed.rss", pid, "VmRSS");
	return 0;
}

const bench_cmd bench_cmd_conns = {
	.name = "conns",
	.usage = "--pid PID [--name N] [--socket PATH --count N]",
	.summary = "hrd's resident memory, idle and with N open connections",
	.run = conns_run,
};
