/*
 * flood.c — what peers that never read cost hrd. PEERS connections each
 * pipeline Current calls as fast as hrd takes them and read no reply,
 * until none of them can write any more (hrd stopped reading them: its
 * back-pressure) or each has written --cap-mib (hrd kept reading: no
 * back-pressure). Then hrd's resident set and peak, whether another
 * client is still answered, and the resident set once the peers close.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* A run of frames, written again and again with fresh call ids. */
#define CHUNK 16384
/* How long every peer must stay unable to write before we call it
 * stalled (hrd no longer reads any of them). */
#define STALL_MS 1000

typedef struct peer {
	int fd;
	uint64_t next_id;
	uint8_t buf[CHUNK];
	size_t len, off;
	size_t written;
	int done; /* written its cap */
} peer;

/* Fill p's chunk with Current calls numbered on from p->next_id. */
static void refill(peer *p)
{
	size_t n;

	p->len = p->off = 0;
	while ((n = bench_frame_call(p->buf + p->len, sizeof p->buf - p->len,
				     p->next_id, BENCH_CURRENT)) > 0) {
		p->len += n;
		p->next_id++;
	}
}

/* Write what p's socket takes now; returns the bytes written. */
static size_t write_some(peer *p, size_t cap)
{
	size_t total = 0;

	while (!p->done) {
		ssize_t n;

		if (p->off == p->len)
			refill(p);
		n = send(p->fd, p->buf + p->off, p->len - p->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			bench_die("flood: write to hrd failed: %m");
		p->off += (size_t)n;
		p->written += (size_t)n;
		total += (size_t)n;
		p->done = p->written >= cap;
	}
	return total;
}

static void report_one(const char *name, const char *suffix, double kib,
		       const char *extra)
{
	bench_samples s = {0};
	char full[256];

	bench_samples_add(&s, kib);
	snprintf(full, sizeof full, "%s.%s", name, suffix);
	bench_report(full, &s, "KiB", 0, "%s", extra);
	bench_samples_free(&s);
}

static long kib_of(pid_t pid, const char *field)
{
	long kib = bench_proc_kib(pid, field);

	if (kib < 0)
		bench_die("cannot read %s of pid %ld", field, (long)pid);
	return kib;
}

static int flood_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"pid", required_argument, NULL, 'p'},
		{"peers", required_argument, NULL, 'c'},
		{"cap-mib", required_argument, NULL, 'm'},
		{0},
	};
	const char *name = "flood", *socket_path = NULL;
	int count = 256, opt, stalled, all_done;
	size_t cap = 4u << 20, total = 0;
	struct pollfd *pfds;
	char extra[128];
	pid_t pid = 0;
	peer *peers;
	long before;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 's': socket_path = optarg; break;
		case 'p': pid = (pid_t)atol(optarg); break;
		case 'c': count = atoi(optarg); break;
		case 'm': cap = (size_t)atol(optarg) << 20; break;
		default: return 2;
		}
	}
	if (pid <= 0 || socket_path == NULL || count < 1 || cap == 0)
		bench_die("flood: needs --pid, --socket and --peers >= 1");
	before = kib_of(pid, "VmRSS");
	peers = calloc((size_t)count, sizeof *peers);
	pfds = calloc((size_t)count, sizeof *pfds);
	if (peers == NULL || pfds == NULL)
		bench_die("out of memory");
	for (int i = 0; i < count; i++) {
		peers[i].fd = bench_connect(socket_path);
		peers[i].next_id = 1;
		pfds[i].fd = peers[i].fd;
		pfds[i].events = POLLOUT;
	}
	/* Write while anyone can; stop when for STALL_MS nobody could. */
	do {
		all_done = 1;
		for (int i = 0; i < count; i++) {
			total += write_some(&peers[i], cap);
			all_done &= peers[i].done;
			pfds[i].fd = peers[i].done ? -1 : peers[i].fd;
		}
		stalled = !all_done && poll(pfds, (nfds_t)count, STALL_MS) == 0;
	} while (!all_done && !stalled);

	snprintf(extra, sizeof extra, "peers=%d written_kib=%zu stalled=%d",
		 count, total >> 10, stalled);
	report_one(name, "rss", (double)kib_of(pid, "VmRSS"), extra);
	report_one(name, "hwm", (double)kib_of(pid, "VmHWM"), extra);
	report_one(name, "before.rss", (double)before, extra);
	/* Others are still served (exits unless the call succeeds). */
	{
		int fd = bench_connect(socket_path);

		bench_current_blocking(fd, 1);
		close(fd);
	}
	for (int i = 0; i < count; i++)
		close(peers[i].fd);
	free(peers);
	free(pfds);
	usleep(500000); /* let hrd see the hang-ups */
	report_one(name, "closed.rss", (double)kib_of(pid, "VmRSS"), extra);
	return 0;
}

const bench_cmd bench_cmd_flood = {
	.name = "flood",
	.usage = "--pid PID --socket PATH [--name N] [--peers N] [--cap-mib M]",
	.summary = "hrd's memory with N peers that pipeline calls and never read",
	.run = flood_run,
};
