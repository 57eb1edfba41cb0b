/* util.c — clock, samples, result lines, CPU placement, /proc readings. */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "hrbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_samples_add(bench_samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		double *v = realloc(s->v, cap * sizeof *v);

		if (v == NULL)
			bench_die("out of memory for %zu samples", cap);
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

void bench_samples_free(bench_samples *s)
{
	free(s->v);
	*s = (bench_samples){0};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile(bench_samples *s, double q)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof *s->v, cmp_double);
	/* Nearest rank: the smallest sample with at least q of them at or
	 * below it. */
	rank = (size_t)(q * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

void bench_repeat(int runs, int iters, void (*once)(void *ud), void *ud,
		  bench_samples *all, bench_samples *run_medians)
{
	for (int r = 0; r < runs; r++) {
		bench_samples run = {0};

		for (int i = 0; i < iters; i++) {
			uint64_t t0 = bench_now_ns();
			double us;

			once(ud);
			us = (double)(bench_now_ns() - t0) / 1e3;
			bench_samples_add(&run, us);
			bench_samples_add(all, us);
		}
		bench_samples_add(run_medians, bench_quantile(&run, 0.5));
		bench_samples_free(&run);
	}
}

void bench_report(const char *name, bench_samples *s, const char *unit,
		  int low_tail, const char *extra_fmt, ...)
{
	double p50 = bench_quantile(s, 0.5);
	double p99 = bench_quantile(s, low_tail ? 0.01 : 0.99);
	va_list ap;

	printf("RESULT %s p50=%.6g p99=%.6g unit=%s n=%zu", name, p50, p99,
	       unit, s->n);
	if (extra_fmt != NULL) {
		putchar(' ');
		va_start(ap, extra_fmt);
		vprintf(extra_fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
}

static void fill_mask(cpu_set_t *set, int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(set);
	if (cpu >= 0) {
		CPU_SET(cpu, set);
		return;
	}
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, set);
}

void bench_pin_self(int cpu)
{
	cpu_set_t set;

	fill_mask(&set, cpu);
	if (sched_setaffinity(0, sizeof set, &set) < 0)
		bench_die("cannot pin to cpu %d: %m", cpu);
}

void bench_pin_process(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *e;
	cpu_set_t set;
	DIR *d;

	fill_mask(&set, cpu);
	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (d == NULL)
		bench_die("cannot list the threads of pid %ld: %m", (long)pid);
	while ((e = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atol(e->d_name);

		/* A thread that ended meanwhile is no failure. */
		if (tid > 0 && sched_setaffinity(tid, sizeof set, &set) < 0 &&
		    kill(tid, 0) == 0)
			bench_die("cannot pin thread %ld to cpu %d: %m",
				  (long)tid, cpu);
	}
	closedir(d);
}

long bench_proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kib = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}
