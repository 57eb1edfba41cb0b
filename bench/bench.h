/*
 * bench.h — what hrbench's commands share: a clock, samples and their
 * percentiles, the one result-line format bench/run.sh reads, CPU
 * pinning, /proc readings, and raw protocol frames.
 *
 * hrbench measures; it never judges. bench/run.sh compares the figures
 * with the targets of docs/performance.md.
 */
#ifndef HR_BENCH_H
#define HR_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

typedef struct bench_cmd {
	const char *name;
	const char *usage;   /* the arguments, for `hrbench --help` */
	const char *summary; /* one line */
	int (*run)(int argc, char **argv);
} bench_cmd;

extern const bench_cmd bench_cmd_pingpong;
extern const bench_cmd bench_cmd_latency;
extern const bench_cmd bench_cmd_throughput;
extern const bench_cmd bench_cmd_underload;
extern const bench_cmd bench_cmd_spawn;
extern const bench_cmd bench_cmd_conns;
extern const bench_cmd bench_cmd_gen;
extern const bench_cmd bench_cmd_flood;
extern const bench_cmd bench_cmd_grpc;

/* Print "hrbench: <message>" and exit 1: a benchmark that cannot run
 * has no figure to give. */
void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* ------------------------------------------------------------------ */
/* Time and samples                                                    */
/* ------------------------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

typedef struct bench_samples {
	double *v;
	size_t n, cap;
} bench_samples;

void bench_samples_add(bench_samples *s, double x);
void bench_samples_free(bench_samples *s);
/* The q-quantile (0 <= q <= 1) by nearest rank; sorts s. 0 when empty. */
double bench_quantile(bench_samples *s, double q);

/*
 * Time `runs` runs of `iters` calls of once(ud), in microseconds: every
 * call into all, each run's median into run_medians (their spread shows
 * the variance between runs).
 */
void bench_repeat(int runs, int iters, void (*once)(void *ud), void *ud,
		  bench_samples *all, bench_samples *run_medians);

/*
 * Print one result line for bench/run.sh:
 *
 *     RESULT name p50=X p99=Y unit=U n=N [extra]
 *
 * For latencies p99 is the 99th percentile. For rates (higher is
 * better) pass low_tail: "p99" is then the rate that 99 % of the
 * samples reach (the 1st percentile), the figure a slow tail drags down.
 */
void bench_report(const char *name, bench_samples *s, const char *unit,
		  int low_tail, const char *extra_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ------------------------------------------------------------------ */
/* Placement and memory                                                */
/* ------------------------------------------------------------------ */

/* The value of --peer-cpu / --hrd-cpu when not given: as --cpu. */
#define BENCH_CPU_SAME (-2)

/* Pin the calling thread to cpu, or let it run anywhere when cpu < 0. */
void bench_pin_self(int cpu);
/* The same for every thread of process pid (threads it starts later
 * inherit the placement of the thread that starts them). */
void bench_pin_process(pid_t pid, int cpu);

/* A "VmRSS"-style field of /proc/PID/status in KiB; -1 when missing. */
long bench_proc_kib(pid_t pid, const char *field);

/* ------------------------------------------------------------------ */
/* Raw protocol frames (docs/protocol.md)                              */
/* ------------------------------------------------------------------ */

#define BENCH_CURRENT "/homerack.v1.Schema/Current"

/* Connect to the Unix socket at path; exits on failure. */
int bench_connect(const char *path);

/* Write a whole Request frame for method with an empty payload into
 * buf; returns its length (0 when cap is too small). */
size_t bench_frame_call(uint8_t *buf, size_t cap, uint64_t call_id,
			const char *method);

/* One Response frame as far as a load generator cares. */
typedef struct bench_reply {
	uint64_t call_id;
	int is_status; /* else a message */
	int code;      /* the status code, when is_status */
} bench_reply;

/*
 * Take the complete frames at the front of buf[0..*len): each is decoded
 * into a bench_reply and handed to cb; consumed bytes are removed from
 * buf. Returns the number of frames, or -1 for a malformed frame.
 */
int bench_frames_take(uint8_t *buf, size_t *len,
		      void (*cb)(void *ud, const bench_reply *r), void *ud);

/* Send a Current call on fd (blocking) and read until its status;
 * exits unless the status is OK. */
void bench_current_blocking(int fd, uint64_t call_id);

#endif
