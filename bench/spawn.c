/*
 * spawn.c — whole commands as processes: start, run, exit, timed from
 * just before posix_spawn to just after waitpid. Several commands
 * separated by ":::" run in turn each round (e.g. upgrade then
 * downgrade), each timed under its own name. --before runs a shell
 * command, untimed, at the start of every round (e.g. to make hrd drop
 * what it kept, and wait until it has). stdin and stdout are /dev/null;
 * stderr is kept so a failure says why. A command that exits non-zero
 * stops the benchmark.
 *
 * A command written "@activate=PATH hrd …" is an hrd started cold, as
 * systemd would start it on its socket: a listening socket is bound at
 * PATH first (untimed), then the clock runs from just before the fork
 * until hrd has answered one Current on it (the call is queued on the
 * socket before hrd even runs); hrd is then stopped, untimed.
 */
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_CMDS 8

extern char **environ;

static double run_once(char **cmd)
{
	posix_spawn_file_actions_t fa;
	uint64_t t0 = bench_now_ns();
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ) != 0)
		bench_die("cannot start %s", cmd[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0)
		bench_die("waitpid: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_die("%s %s failed (status %d)", cmd[0],
			  cmd[1] ? cmd[1] : "", status);
	return (double)(bench_now_ns() - t0) / 1e6;
}

#define ACTIVATE "@activate="

/* A listening Unix socket at path (replacing a stale one). */
static int listen_at(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(path) >= sizeof addr.sun_path)
		bench_die("socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(fd, 16) < 0)
		bench_die("cannot listen on %s: %m", path);
	return fd;
}

/* cmd[0] is "@activate=PATH": start cmd[1…] on a socket at PATH, time
 * it until its first Current is answered, then stop it. */
static double run_activated(char **cmd)
{
	const char *path = cmd[0] + strlen(ACTIVATE);
	int lfd = listen_at(path), fd, status;
	uint64_t t0;
	double ms;
	pid_t pid;

	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0)
		bench_die("fork: %m");
	if (pid == 0) {
		char num[32];
		int null = open("/dev/null", O_RDWR);

		snprintf(num, sizeof num, "%ld", (long)getpid());
		setenv("LISTEN_PID", num, 1);
		setenv("LISTEN_FDS", "1", 1);
		dup2(null, 0);
		dup2(null, 1);
		if (dup2(lfd, 3) < 0)
			_exit(127);
		execvp(cmd[1], &cmd[1]);
		_exit(127);
	}
	fd = bench_connect(path);
	/* hrd holds the only listening socket now: if it dies, the call
	 * is reset instead of waiting forever. */
	close(lfd);
	bench_current_blocking(fd, 1);
	ms = (double)(bench_now_ns() - t0) / 1e6;
	close(fd);
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) < 0)
		bench_die("waitpid: %m");
	unlink(path);
	return ms;
}

static int spawn_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"names", required_argument, NULL, 'n'},
		{"runs", required_argument, NULL, 'r'},
		{"warmup", required_argument, NULL, 'w'},
		{"before", required_argument, NULL, 'b'},
		{0},
	};
	char *names = NULL, *names_copy, *save = NULL;
	char *before[] = {"sh", "-c", NULL, NULL};
	char *name[MAX_CMDS];
	char **cmd[MAX_CMDS];
	bench_samples ms[MAX_CMDS] = {{0}};
	int runs = 20, warmup = 3, n_cmds = 0, opt;

	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 'n': names = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'b': before[2] = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc || names == NULL || runs < 1 || warmup < 0)
		bench_die("spawn: needs --names and a command after --");
	/* Split the rest of argv at ":::" into NULL-terminated commands. */
	cmd[n_cmds++] = &argv[optind];
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], ":::") != 0)
			continue;
		if (n_cmds == MAX_CMDS)
			bench_die("spawn: at most %d commands", MAX_CMDS);
		argv[i] = NULL;
		cmd[n_cmds++] = &argv[i + 1];
	}
	names_copy = strdup(names);
	if (names_copy == NULL)
		bench_die("out of memory");
	for (int i = 0; i < n_cmds; i++) {
		name[i] = strtok_r(i == 0 ? names_copy : NULL, ",", &save);
		if (name[i] == NULL || cmd[i][0] == NULL)
			bench_die("spawn: one name per command, and no empty "
				  "command");
	}
	for (int r = 0; r < warmup + runs; r++) {
		if (before[2] != NULL)
			run_once(before);
		for (int i = 0; i < n_cmds; i++) {
			double t = strncmp(cmd[i][0], ACTIVATE,
					   strlen(ACTIVATE)) == 0
					   ? run_activated(cmd[i])
					   : run_once(cmd[i]);

			if (r >= warmup)
				bench_samples_add(&ms[i], t);
		}
	}
	for (int i = 0; i < n_cmds; i++) {
		bench_report(name[i], &ms[i], "ms", 0, "max=%.6g",
			     bench_quantile(&ms[i], 1));
		bench_samples_free(&ms[i]);
	}
	free(names_copy);
	return 0;
}

const bench_cmd bench_cmd_spawn = {
	.name = "spawn",
	.usage = "--names A[,B…] [--runs 20] [--warmup 3] [--before SHELL] "
		 "-- CMD… [::: CMD…] (CMD may be @activate=SOCKET HRD…)",
	.summary = "wall time of whole commands run as processes",
	.run = spawn_run,
};
