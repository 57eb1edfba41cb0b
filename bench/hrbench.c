/*
 * hrbench.c — hrd's benchmarks, one command each; bench/run.sh runs the
 * whole set and turns the RESULT lines into the table of
 * docs/performance.md. Built by CMake, never run by the tests.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const bench_cmd *const commands[] = {
	&bench_cmd_pingpong, &bench_cmd_latency, &bench_cmd_throughput,
	&bench_cmd_underload, &bench_cmd_spawn, &bench_cmd_conns,
	&bench_cmd_gen, &bench_cmd_flood, &bench_cmd_grpc,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: hrbench COMMAND [OPTIONS]\n\n"
		     "Prints one line per figure:\n"
		     "  RESULT NAME p50=X p99=Y unit=U n=SAMPLES ...\n\n"
		     "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n  %-10s   %s\n", commands[i]->name,
			commands[i]->summary, "", commands[i]->usage);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i]->name) == 0) {
			/* The command parses argv[1..] with getopt_long. */
			optind = 1;
			return commands[i]->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "hrbench: unknown command '%s' (see hrbench --help)\n",
		argv[1]);
	return 2;
}
