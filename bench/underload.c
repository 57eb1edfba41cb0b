/*
 * underload.c — Current's round trip while the same hrd runs a long
 * schema change: one thread asks for Upgrade (then Downgrade) and waits
 * for its stream to end; meanwhile the main thread calls Current on a
 * second connection, back to back or every --gap-us.
 *
 * A failed Current is a finding, not a reason to stop: failures are
 * counted (errors=N) and the first one is printed.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "hrclient_pb.h"

typedef struct change {
	const char *socket_path;
	const char *method;
	const char *target;
	atomic_int done;
	double seconds;
	hr_error err;
	int rc;
} change;

static void *run_change(void *arg)
{
	change *ch = arg;
	Homerack__V1__MigrateRequest req = HOMERACK__V1__MIGRATE_REQUEST__INIT;
	uint64_t t0 = bench_now_ns();
	hr_client *c;

	req.target = (char *)ch->target;
	ch->rc = hr_client_connect(ch->socket_path, &c, &ch->err);
	if (ch->rc == 0) {
		ch->rc = hr_client_call(c, ch->method, &req.base, 0, NULL, NULL,
					&ch->err);
		hr_client_close(c);
	}
	ch->seconds = (double)(bench_now_ns() - t0) / 1e9;
	atomic_store(&ch->done, 1);
	return NULL;
}

typedef struct load {
	hr_client *client;
	unsigned gap_us;
	bench_samples lat;
	size_t calls, errors;
} load;

/* Call Current until ch is done. */
static void load_during(change *ch, load *l)
{
	pthread_t thread;
	hr_error err;

	atomic_store(&ch->done, 0);
	if (pthread_create(&thread, NULL, run_change, ch) != 0)
		bench_die("pthread_create failed");
	while (!atomic_load(&ch->done)) {
		Homerack__V1__CurrentReply *reply;
		uint64_t t0 = bench_now_ns();

		l->calls++;
		if (hr_client_current(l->client, &reply, &err) < 0) {
			if (l->errors++ == 0)
				fprintf(stderr, "hrbench: Current during %s: %s\n",
					ch->method, err.msg);
			/* A failed status leaves the connection usable; a
			 * lost connection does not. */
			if (strstr(err.msg, "connection") != NULL)
				bench_die("lost the connection to hrd: %s",
					  err.msg);
		} else {
			bench_samples_add(&l->lat,
					  (double)(bench_now_ns() - t0) / 1e3);
			protobuf_c_message_free_unpacked(&reply->base, NULL);
		}
		if (l->gap_us > 0)
			usleep(l->gap_us);
	}
	pthread_join(thread, NULL);
	if (ch->rc < 0)
		bench_die("%s %s: %s", ch->method, ch->target, ch->err.msg);
}

static int underload_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"up", required_argument, NULL, 'u'},
		{"down", required_argument, NULL, 'd'},
		{"rounds", required_argument, NULL, 'r'},
		{"gap-us", required_argument, NULL, 'g'},
		{0},
	};
	const char *name = "underload", *socket_path = NULL;
	const char *up = "head", *down = "base";
	int rounds = 1, opt;
	bench_samples up_s = {0}, down_s = {0};
	char sub[256];
	load l = {0};
	hr_error err;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'u': up = optarg; break;
		case 'd': down = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		case 'g': l.gap_us = (unsigned)atol(optarg); break;
		default: return 2;
		}
	}
	if (socket_path == NULL || rounds < 1)
		bench_die("underload: needs --socket and positive --rounds");
	if (hr_client_connect(socket_path, &l.client, &err) < 0)
		bench_die("%s", err.msg);
	for (int r = 0; r < rounds; r++) {
		change ch = {.socket_path = socket_path};

		ch.method = "/homerack.v1.Schema/Upgrade";
		ch.target = up;
		load_during(&ch, &l);
		bench_samples_add(&up_s, ch.seconds);
		ch.method = "/homerack.v1.Schema/Downgrade";
		ch.target = down;
		load_during(&ch, &l);
		bench_samples_add(&down_s, ch.seconds);
	}
	hr_client_close(l.client);
	bench_report(name, &l.lat, "us", 0,
		     "gap_us=%u calls=%zu errors=%zu max=%.6g", l.gap_us,
		     l.calls, l.errors, bench_quantile(&l.lat, 1));
	snprintf(sub, sizeof sub, "%s.upgrade", name);
	bench_report(sub, &up_s, "s", 0, "target=%s", up);
	snprintf(sub, sizeof sub, "%s.downgrade", name);
	bench_report(sub, &down_s, "s", 0, "target=%s", down);
	bench_samples_free(&l.lat);
	bench_samples_free(&up_s);
	bench_samples_free(&down_s);
	return 0;
}

const bench_cmd bench_cmd_underload = {
	.name = "underload",
	.usage = "--socket PATH [--name N] [--up head] [--down base] "
		 "[--rounds 1] [--gap-us 0]",
	.summary = "Current round trip while an upgrade/downgrade runs",
	.run = underload_run,
};
