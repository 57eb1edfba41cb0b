/*
 * socket_activate.c — a stand-in for systemd's socket activation, for
 * tests: bind and listen on PATH, then exec the command with the socket
 * as fd 3 and LISTEN_PID/LISTEN_FDS set as sd_listen_fds(3) expects.
 *
 *   socket_activate PATH COMMAND [ARGS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char pid[32];
	int fd;

	if (argc < 3 || strlen(argv[1]) >= sizeof addr.sun_path) {
		fprintf(stderr, "usage: socket_activate PATH COMMAND [ARGS...]\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    listen(fd, 16) < 0) {
		perror("socket_activate");
		return 1;
	}
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	execvp(argv[2], argv + 2);
	perror("socket_activate: exec");
	return 127;
}
