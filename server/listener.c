/*
 * listener.c — the Unix socket hrd listens on.
 *
 * We create the socket fd ourselves and hand it to libuv (uv_pipe_open):
 * libuv 1.44's uv_pipe_bind truncates long paths silently and its chmod
 * cannot express 0660. A flock'ed "<socket>.lock" beside the socket makes
 * "is another hrd alive?" and "remove the stale socket" one atomic
 * decision, so two daemons started at once cannot steal each other's
 * socket. The socket is made ready under a temporary name and renamed
 * into place, so it never exists without listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "sockpath.h"

#define LISTEN_BACKLOG 128

static void on_connection(uv_stream_t *listener, int status)
{
	hr_server *server = listener->data;

	if (status < 0) {
		hr_log(HR_LOG_WARN, "accept failed: %s", uv_strerror(status));
		return;
	}
	hr_conn_accept(server);
}

/* Create the socket's directory (one level) if it is missing. */
static int ensure_directory(const char *path, hr_error *err)
{
	char *copy = strdup(path);
	const char *dir;
	struct stat st;
	int rc = 0;

	if (copy == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	dir = dirname(copy);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0750) < 0)
			rc = hr_error_set(err, HR_FAILED_PRECONDITION,
					  "cannot create socket directory %s: %s",
					  dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "%s is not a directory", dir);
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		/* Anyone could replace our socket with their own. */
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "socket directory %s is world-writable", dir);
	}
	free(copy);
	return rc;
}

/* Take the lock file; fail if another hrd holds it. */
static int take_lock(hr_server *server, const char *path, hr_error *err)
{
	char lock_path[PATH_MAX];
	struct stat st;
	int fd;

	if (snprintf(lock_path, sizeof lock_path, "%s.lock", path) >=
	    (int)sizeof lock_path)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "socket path too long: %s", path);
	/* Never through a symbolic link, and only a file of our own: in a
	 * shared (sticky) directory another user may have planted either,
	 * to make us create or lock a file of their choosing. */
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "cannot open lock file %s: %s", lock_path,
				    errno == ELOOP ? "it is a symbolic link"
						   : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "lock file %s belongs to uid %ld, not to "
				    "hrd's uid %ld; refusing it",
				    lock_path, (long)st.st_uid,
				    (long)geteuid());
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return hr_error_set(err, HR_ALREADY_EXISTS,
					    "another hrd is already serving %s",
					    path);
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "cannot lock %s: %s", lock_path, strerror(e));
	}
	server->lock_fd = fd;
	return 0;
}

/* With the lock held, whatever sits at path is stale: remove a socket,
 * refuse to touch anything else. */
static int remove_stale(const char *path, hr_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : hr_error_set(err, HR_FAILED_PRECONDITION,
						      "cannot inspect %s: %s",
						      path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "%s exists and is not a socket; not "
				    "touching it",
				    path);
	if (unlink(path) < 0)
		return hr_error_set(err, HR_FAILED_PRECONDITION,
				    "cannot remove stale socket %s: %s", path,
				    strerror(errno));
	hr_log(HR_LOG_INFO, "removed stale socket %s", path);
	return 0;
}

/* The name the socket is born under before it is renamed into place. */
#define TEMP_SUFFIX ".new"

/*
 * Listen on path, which appears only once it is ready: the socket is
 * bound, given its mode and group and set listening under path.new,
 * then renamed into place, so a client never finds it refusing
 * connections or with the wrong permissions. Runs with the lock held
 * (nobody else uses path.new); a leftover path.new is a crash's.
 */
static int bind_socket(const char *path, mode_t mode, gid_t gid, int *out,
		       hr_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	mode_t old_umask;
	int fd, rc;

	if (strlen(path) + strlen(TEMP_SUFFIX) >= sizeof addr.sun_path)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "socket path is %zu bytes, over the %zu "
				    "hrd allows (it binds PATH" TEMP_SUFFIX
				    " first): %s",
				    strlen(path),
				    sizeof addr.sun_path - 1 - strlen(TEMP_SUFFIX),
				    path);
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s" TEMP_SUFFIX, path);
	if ((rc = remove_stale(addr.sun_path, err)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return hr_error_set(err, HR_INTERNAL, "socket: %s",
				    strerror(errno));
	/* Born with no access beyond the owner and group even before it
	 * is renamed into place. */
	old_umask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
	umask(old_umask);
	if (rc < 0 || chmod(addr.sun_path, mode) < 0 ||
	    (gid != (gid_t)-1 && chown(addr.sun_path, (uid_t)-1, gid) < 0) ||
	    listen(fd, LISTEN_BACKLOG) < 0 || rename(addr.sun_path, path) < 0) {
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "cannot listen on %s: %s", path,
				  strerror(errno));
		unlink(addr.sun_path);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/*
 * systemd socket activation (sd_listen_fds(3), without libsystemd): when
 * LISTEN_PID is our pid, LISTEN_FDS sockets start at fd 3. We take
 * exactly one listening Unix stream socket. Returns 1 with *fd set, 0
 * when not activated, or a negated hr_code.
 */
static int activated_socket(hr_server *server, int *fd, hr_error *err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_un addr;
	socklen_t len = sizeof addr;
	int type = 0, listening = 0;
	socklen_t olen = sizeof type;
	const int first = 3; /* SD_LISTEN_FDS_START */

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return 0;
	/* Not for our children (and a second call would misread them). */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (atoi(fds) != 1)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "socket activation passed %s sockets; hrd "
				    "takes exactly one",
				    fds);
	if (getsockopt(first, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
	    type != SOCK_STREAM ||
	    getsockopt(first, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) < 0 ||
	    !listening ||
	    getsockname(first, (struct sockaddr *)&addr, &len) < 0 ||
	    addr.sun_family != AF_UNIX)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "socket activation passed fd 3, which is "
				    "not a listening unix stream socket");
	fcntl(first, F_SETFD, FD_CLOEXEC);
	fcntl(first, F_SETFL, fcntl(first, F_GETFL) | O_NONBLOCK);
	/* Name it in logs by its real path; systemd owns the file. */
	snprintf(server->activated_path, sizeof server->activated_path, "%.*s",
		 (int)(len - offsetof(struct sockaddr_un, sun_path)),
		 addr.sun_path);
	server->cfg.socket_path = server->activated_path;
	*fd = first;
	return 1;
}

int hr_listener_open(hr_server *server, hr_error *err)
{
	const char *path = server->cfg.socket_path;
	int fd = -1, rc;

	if ((rc = activated_socket(server, &fd, err)) < 0)
		return rc;
	if (rc == 1)
		server->activated = 1;
	else if ((rc = hr_sockpath_check(path, err)) < 0 ||
	    (rc = ensure_directory(path, err)) < 0 ||
	    (rc = take_lock(server, path, err)) < 0 ||
	    (rc = remove_stale(path, err)) < 0 ||
	    (rc = bind_socket(path, server->cfg.socket_mode, server->socket_gid,
			      &fd, err)) < 0)
		return rc;
	path = server->cfg.socket_path;
	uv_pipe_init(server->loop, &server->listener, 0);
	server->listener.data = server;
	if ((rc = uv_pipe_open(&server->listener, fd)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&server->listener, LISTEN_BACKLOG,
			    on_connection)) < 0) {
		if (!server->activated)
			unlink(path);
		return hr_error_set(err, HR_INTERNAL, "cannot listen on %s: %s",
				    path, uv_strerror(rc));
	}
	return 0;
}

void hr_listener_close(hr_server *server)
{
	if (uv_is_closing((uv_handle_t *)&server->listener))
		return;
	/* Unlink while we still hold the lock: nobody else can have bound
	 * a new socket at this path yet. An activated socket is systemd's. */
	if (!server->activated)
		unlink(server->cfg.socket_path);
	uv_close((uv_handle_t *)&server->listener, NULL);
}
