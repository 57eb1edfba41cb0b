/*
 * test_protocol.c — hrd's wire protocol under bad and unusual input,
 * spoken raw over its socket: every rejection is a clear status and the
 * daemon keeps serving.
 *
 * Environment: HRD (the binary), SRCDIR (for migrations/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "frame.h"
#include "homerack.pb-c.h"
#include "status.h"

static char tmpdir[64], sock_path[128];
static pid_t hrd_pid;
/* Extra hrd arguments for the group being run (NULL-terminated). */
static const char *const *hrd_extra;
/* The group's hrd reads a copy of the migrations in its temp directory
 * (one that methods changing the directory may change). */
static int own_migrations;
/* An inotify descriptor watching tmpdir from before hrd started, when
 * the group asks for one (see socket_appears_ready); else -1. */
static int watch_startup;
static int dir_watch = -1;

static int try_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int start_hrd(void **state)
{
	char db[160], migrations[512];

	(void)state;
	strcpy(tmpdir, "/tmp/hr-proto.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof sock_path, "%s/hrd.sock", tmpdir);
	snprintf(db, sizeof db, "sqlite:///%s/db.sqlite", tmpdir);
	snprintf(migrations, sizeof migrations, "%s/migrations",
		 getenv("SRCDIR"));
	if (own_migrations) {
		char cmd[1024];

		snprintf(cmd, sizeof cmd, "cp -r %s %s/", migrations, tmpdir);
		if (system(cmd) != 0)
			return -1;
		snprintf(migrations, sizeof migrations, "%s/migrations", tmpdir);
	}
	if (watch_startup) {
		dir_watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (dir_watch < 0 ||
		    inotify_add_watch(dir_watch, tmpdir, IN_CREATE | IN_MOVED_TO) < 0)
			return -1;
	}
	hrd_pid = fork();
	if (hrd_pid == 0) {
		const char *argv[32] = {"hrd", "--quiet", "--socket", sock_path,
					"--database", db, "--migrations",
					migrations};
		char log[160];
		int argc = 8, fd;

		for (int i = 0; hrd_extra && hrd_extra[i] && argc < 31; i++)
			argv[argc++] = hrd_extra[i];
		/* Its log, for tests that wait on a line (and shown when
		 * hrd fails: see stop_hrd). */
		snprintf(log, sizeof log, "%s/hrd.log", tmpdir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execv(getenv("HRD"), (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		int fd = try_connect();

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(25000);
	}
	return -1;
}

/* 1 once process pid has exited (reap it with waitpid), 0 if it is
 * still running after timeout_ms. Waits on the exit event through a
 * pidfd, not by polling. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	int n;

	if (pfd < 0)
		return 1; /* no pidfd: let waitpid block */
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	close(pfd);
	return n > 0;
}

static int stop_hrd(void **state)
{
	int status = -1;
	char cmd[128];

	(void)state;
	if (hrd_pid == 0) {
		status = 0; /* the test stopped it and checked how it ended */
	} else {
		kill(hrd_pid, SIGTERM);
		waitpid(hrd_pid, &status, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(cmd, sizeof cmd, "cat %s/hrd.log >&2", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no hrd log)\n");
	}
	if (dir_watch >= 0)
		close(dir_watch);
	dir_watch = -1;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	/* A clean shutdown (and, under ASan, no leaks) or the group fails. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int connect_or_fail(void)
{
	int fd = try_connect();

	assert_true(fd >= 0);
	return fd;
}

static void send_bytes(int fd, const void *data, size_t len)
{
	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_request(int fd, const Homerack__V1__Request *req)
{
	uint8_t buf[4096];
	size_t len = homerack__v1__request__pack(req, buf + 5);

	hr_frame_write_header(buf, (uint32_t)len);
	send_bytes(fd, buf, len + 5);
}

static void send_call(int fd, uint64_t id, const char *method,
		      uint32_t version)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;

	req.protocol_version = version;
	req.call_id = id;
	req.method = (char *)method;
	send_request(fd, &req);
}

/* Read one whole Response frame; NULL at EOF. */
static Homerack__V1__Response *read_response(int fd)
{
	uint8_t header[5], *payload;
	Homerack__V1__Response *resp;
	size_t len, have = 0;

	while (have < 5) {
		ssize_t n = read(fd, header + have, 5 - have);

		if (n <= 0)
			return NULL;
		have += (size_t)n;
	}
	assert_int_equal(header[0], 0);
	len = (size_t)header[1] << 24 | (size_t)header[2] << 16 |
	      (size_t)header[3] << 8 | header[4];
	payload = malloc(len + 1);
	for (have = 0; have < len;) {
		ssize_t n = read(fd, payload + have, len - have);

		assert_true(n > 0);
		have += (size_t)n;
	}
	resp = homerack__v1__response__unpack(NULL, len, payload);
	free(payload);
	assert_non_null(resp);
	return resp;
}

/* Read frames until the status of call id; return its code. */
static int read_status(int fd, uint64_t id, char *msg, size_t msg_size)
{
	for (;;) {
		Homerack__V1__Response *resp = read_response(fd);
		int code;

		assert_non_null(resp);
		if (resp->call_id != id ||
		    resp->body_case != HOMERACK__V1__RESPONSE__BODY_STATUS) {
			homerack__v1__response__free_unpacked(resp, NULL);
			continue;
		}
		code = resp->status->code;
		if (msg != NULL)
			snprintf(msg, msg_size, "%s", resp->status->message);
		homerack__v1__response__free_unpacked(resp, NULL);
		return code;
	}
}

static void assert_closed(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 0);
}

/* After every abuse: a fresh connection still gets answers. */
static void assert_still_serving(void)
{
	int fd = connect_or_fail();

	send_call(fd, 1, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(read_status(fd, 1, NULL, 0), 0);
	close(fd);
}

static void current_round_trip(void **state)
{
	int fd = connect_or_fail();
	Homerack__V1__Response *resp;
	Homerack__V1__CurrentReply *reply;

	(void)state;
	send_call(fd, 42, "/homerack.v1.Schema/Current", 1);
	resp = read_response(fd);
	assert_int_equal(resp->call_id, 42);
	assert_int_equal(resp->body_case, HOMERACK__V1__RESPONSE__BODY_MESSAGE);
	reply = homerack__v1__current_reply__unpack(NULL, resp->message.len,
						    resp->message.data);
	assert_non_null(reply);
	assert_int_equal(reply->n_revisions, 0);
	assert_non_null(strstr(reply->database, "sqlite:///"));
	homerack__v1__current_reply__free_unpacked(reply, NULL);
	homerack__v1__response__free_unpacked(resp, NULL);
	assert_int_equal(read_status(fd, 42, NULL, 0), 0);
	close(fd);
}

static void garbage_payload_closes_connection(void **state)
{
	uint8_t buf[5 + 8] = {0, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff,
			      0xff, 0xff, 0xff, 0xff};
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	send_bytes(fd, buf, sizeof buf);
	assert_int_equal(read_status(fd, 0, msg, sizeof msg), 3);
	assert_non_null(strstr(msg, "malformed request frame"));
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void oversized_frame_rejected(void **state)
{
	uint8_t h[5];
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	hr_frame_write_header(h, 0x7fffffffu);
	send_bytes(fd, h, sizeof h);
	assert_int_equal(read_status(fd, 0, msg, sizeof msg), 8);
	assert_non_null(strstr(msg, "exceeds"));
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void compressed_flag_rejected(void **state)
{
	uint8_t h[6] = {1, 0, 0, 0, 1, 0};
	int fd = connect_or_fail();

	(void)state;
	send_bytes(fd, h, sizeof h);
	assert_int_equal(read_status(fd, 0, NULL, 0), 3);
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void wrong_protocol_version(void **state)
{
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	send_call(fd, 5, "/homerack.v1.Schema/Current", 99);
	assert_int_equal(read_status(fd, 5, msg, sizeof msg), 9);
	assert_non_null(strstr(msg, "protocol version 99 is not supported"));
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void unknown_method_keeps_connection(void **state)
{
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	send_call(fd, 7, "/homerack.v1.Schema/DropEverything", 1);
	assert_int_equal(read_status(fd, 7, msg, sizeof msg), 12);
	assert_non_null(strstr(msg, "unknown method"));
	send_call(fd, 8, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(read_status(fd, 8, NULL, 0), 0);
	close(fd);
}

static void malformed_method_payload(void **state)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	uint8_t junk[] = {0x0a, 0x7f, 'x'}; /* field 1, length 127, 1 byte */
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	req.protocol_version = 1;
	req.call_id = 9;
	req.method = "/homerack.v1.Schema/Upgrade";
	req.payload.data = junk;
	req.payload.len = sizeof junk;
	send_request(fd, &req);
	assert_int_equal(read_status(fd, 9, msg, sizeof msg), 3);
	assert_non_null(strstr(msg, "malformed homerack.v1.MigrateRequest"));
	send_call(fd, 10, "/homerack.v1.Schema/History", 1);
	assert_int_equal(read_status(fd, 10, NULL, 0), 0);
	close(fd);
}

static void truncated_then_hangup(void **state)
{
	uint8_t h[7] = {0, 0, 0, 0, 100, 1, 2};
	int fd = connect_or_fail();

	(void)state;
	send_bytes(fd, h, sizeof h);
	close(fd);
	assert_still_serving();
}

static void multiplexed_calls(void **state)
{
	int fd = connect_or_fail();
	int seen_history = 0, seen_current = 0;

	(void)state;
	/* Two calls written back to back; each answer carries its id. */
	send_call(fd, 100, "/homerack.v1.Schema/History", 1);
	send_call(fd, 200, "/homerack.v1.Schema/Current", 1);
	while (!(seen_history && seen_current)) {
		Homerack__V1__Response *resp = read_response(fd);

		assert_non_null(resp);
		assert_true(resp->call_id == 100 || resp->call_id == 200);
		if (resp->body_case == HOMERACK__V1__RESPONSE__BODY_STATUS) {
			assert_int_equal(resp->status->code, 0);
			if (resp->call_id == 100)
				seen_history = 1;
			else
				seen_current = 1;
		}
		homerack__v1__response__free_unpacked(resp, NULL);
	}
	close(fd);
}

static void many_connections(void **state)
{
	int fds[200];

	(void)state;
	for (int i = 0; i < 200; i++)
		fds[i] = connect_or_fail();
	for (int i = 0; i < 200; i++)
		send_call(fds[i], (uint64_t)i + 1, "/homerack.v1.Schema/Current", 1);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(read_status(fds[i], (uint64_t)i + 1, NULL, 0), 0);
		close(fds[i]);
	}
}

/* A Watch whose client does not read: hrd keeps only the latest state
 * for it instead of queueing every change. */
static void send_watch(int fd, uint64_t id)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	Homerack__V1__WatchRequest w = HOMERACK__V1__WATCH_REQUEST__INIT;
	uint8_t payload[64];

	req.protocol_version = 1;
	req.call_id = id;
	req.method = "/homerack.v1.Schema/Watch";
	req.payload.data = payload;
	req.payload.len = homerack__v1__watch_request__pack(&w, payload);
	send_request(fd, &req);
}

static void send_stamp(int fd, uint64_t id, const char *target)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	Homerack__V1__StampRequest st = HOMERACK__V1__STAMP_REQUEST__INIT;
	uint8_t payload[64];

	st.target = (char *)target;
	req.protocol_version = 1;
	req.call_id = id;
	req.method = "/homerack.v1.Schema/Stamp";
	req.payload.data = payload;
	req.payload.len = homerack__v1__stamp_request__pack(&st, payload);
	send_request(fd, &req);
}

/* The next SchemaState on fd's watch call id. */
static Homerack__V1__SchemaState *next_state(int fd, uint64_t id)
{
	for (;;) {
		Homerack__V1__Response *resp = read_response(fd);
		Homerack__V1__SchemaState *st;

		assert_non_null(resp);
		assert_int_equal(resp->call_id, id);
		assert_int_equal(resp->body_case,
				 HOMERACK__V1__RESPONSE__BODY_MESSAGE);
		st = homerack__v1__schema_state__unpack(NULL, resp->message.len,
							resp->message.data);
		homerack__v1__response__free_unpacked(resp, NULL);
		assert_non_null(st);
		return st;
	}
}

static void slow_watcher_gets_latest_state_only(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int rcvbuf = 1024, slow, probe, writer;
	Homerack__V1__SchemaState *st;
	uint64_t final_seq, received = 0, last_seq = 0;
	const int flips = 1000;

	(void)state;
	/* A tiny receive buffer, set before connecting, fills fast. */
	slow = socket(AF_UNIX, SOCK_STREAM, 0);
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	strcpy(addr.sun_path, sock_path);
	assert_int_equal(connect(slow, (struct sockaddr *)&addr, sizeof addr), 0);
	send_watch(slow, 1);

	writer = connect_or_fail();
	for (int i = 0; i < flips; i++) {
		send_stamp(writer, (uint64_t)i + 1, i % 2 ? "base" : "head");
		assert_int_equal(read_status(writer, (uint64_t)i + 1, NULL, 0), 0);
	}
	close(writer);

	/* Every flip changed the state at least twice (migrating, idle). */
	probe = connect_or_fail();
	send_watch(probe, 1);
	st = next_state(probe, 1);
	final_seq = st->sequence;
	assert_true(final_seq >= (uint64_t)flips * 2);
	homerack__v1__schema_state__free_unpacked(st, NULL);
	close(probe);

	/* The slow watcher now reads: it must reach the final state, having
	 * been sent far fewer messages than there were changes. */
	while (last_seq < final_seq) {
		st = next_state(slow, 1);
		assert_true(st->sequence > last_seq);
		last_seq = st->sequence;
		received++;
		homerack__v1__schema_state__free_unpacked(st, NULL);
	}
	assert_int_equal(last_seq, final_seq);
	printf("slow watcher: %llu messages for %llu changes\n",
	       (unsigned long long)received, (unsigned long long)final_seq);
	assert_true(received < final_seq / 4);
	close(slow);
}

/* --- limits (hrd started with tight ones) ------------------------------- */

static void incomplete_frame_times_out(void **state)
{
	uint8_t partial[8] = {0, 0, 0, 0, 50, 1, 2, 3};
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	send_bytes(fd, partial, sizeof partial);
	/* Blocks until hrd gives up on the frame (--frame-timeout 1). */
	assert_int_equal(read_status(fd, 0, msg, sizeof msg), 4);
	assert_non_null(strstr(msg, "frame incomplete"));
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void idle_connection_closed(void **state)
{
	int fd = connect_or_fail();

	(void)state;
	/* One call, then silence: hrd closes it (--idle-timeout 1). */
	send_call(fd, 1, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(read_status(fd, 1, NULL, 0), 0);
	assert_closed(fd);
	close(fd);
}

static void frame_over_configured_cap(void **state)
{
	uint8_t h[5];
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	hr_frame_write_header(h, 101);
	send_bytes(fd, h, sizeof h);
	assert_int_equal(read_status(fd, 0, msg, sizeof msg), 8);
	assert_non_null(strstr(msg, "100-byte limit"));
	close(fd);
	assert_still_serving();
}

static void per_uid_connection_limit(void **state)
{
	int fds[3], extra;
	char msg[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_or_fail();
		send_call(fds[i], 1, "/homerack.v1.Schema/Current", 1);
		assert_int_equal(read_status(fds[i], 1, NULL, 0), 0);
	}
	extra = connect_or_fail();
	assert_int_equal(read_status(extra, 0, msg, sizeof msg), 8);
	assert_non_null(strstr(msg, "too many connections from uid"));
	assert_closed(extra);
	close(extra);
	/* The three admitted connections still work. */
	for (int i = 0; i < 3; i++) {
		send_call(fds[i], 2, "/homerack.v1.Schema/History", 1);
		assert_int_equal(read_status(fds[i], 2, NULL, 0), 0);
		close(fds[i]);
	}
}

/* --- calls: deadlines, fresh reads, who may change, queue places ------- */

/* Bound every read on fd: a call that never ends fails the test instead
 * of hanging it (the bound is generous; nothing waits for it to pass). */
static void bound_reads(int fd)
{
	struct timeval tv = {.tv_sec = 60};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Send method with payload (packed msg, or none) and a deadline. */
static void send_msg_call(int fd, uint64_t id, const char *method,
			  const ProtobufCMessage *msg, uint32_t timeout_ms)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	uint8_t payload[256];

	req.protocol_version = 1;
	req.call_id = id;
	req.method = (char *)method;
	req.timeout_ms = timeout_ms;
	if (msg != NULL) {
		req.payload.data = payload;
		req.payload.len = protobuf_c_message_pack(msg, payload);
	}
	send_request(fd, &req);
}

static void watch_ends_at_its_deadline(void **state)
{
	Homerack__V1__WatchRequest w = HOMERACK__V1__WATCH_REQUEST__INIT;
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	bound_reads(fd);
	w.target = "head"; /* never reached: the database stays at base */
	send_msg_call(fd, 1, "/homerack.v1.Schema/Watch", &w.base, 200);
	assert_int_equal(read_status(fd, 1, msg, sizeof msg),
			 HR_DEADLINE_EXCEEDED);
	assert_non_null(strstr(msg, "deadline exceeded"));
	close(fd);
	assert_still_serving();
}

/* Run SQL on the test's database from outside hrd, as another program. */
static void outside_sql(const char *sql)
{
	char path[160];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/db.sqlite", tmpdir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 60000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Current on fd: its one row ("" for none). */
static void current_row(int fd, uint64_t id, char *row, size_t size)
{
	Homerack__V1__Response *resp;
	Homerack__V1__CurrentReply *reply;

	send_call(fd, id, "/homerack.v1.Schema/Current", 1);
	resp = read_response(fd);
	assert_non_null(resp);
	assert_int_equal(resp->body_case, HOMERACK__V1__RESPONSE__BODY_MESSAGE);
	reply = homerack__v1__current_reply__unpack(NULL, resp->message.len,
						    resp->message.data);
	assert_non_null(reply);
	snprintf(row, size, "%s",
		 reply->n_revisions ? reply->revisions[0]->revision : "");
	homerack__v1__current_reply__free_unpacked(reply, NULL);
	homerack__v1__response__free_unpacked(resp, NULL);
	assert_int_equal(read_status(fd, id, NULL, 0), HR_OK);
}

/* Two status calls on one connection, with a change made by another
 * program between them: the second sees it. Whatever hrd caches to
 * answer many calls with one read, a call never gets a read older than
 * its own request. */
static void current_never_answers_from_an_older_read(void **state)
{
	char row[64], sql[128], want[16];
	int fd = connect_or_fail();

	(void)state;
	bound_reads(fd);
	outside_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num "
		    "VARCHAR(32) NOT NULL PRIMARY KEY); DELETE FROM "
		    "alembic_version; INSERT INTO alembic_version VALUES "
		    "('00000000')");
	current_row(fd, 1, row, sizeof row);
	assert_string_equal(row, "00000000");
	for (int i = 1; i <= 50; i++) {
		snprintf(want, sizeof want, "%08d", i);
		snprintf(sql, sizeof sql,
			 "UPDATE alembic_version SET version_num = '%s'", want);
		outside_sql(sql);
		current_row(fd, (uint64_t)i + 1, row, sizeof row);
		assert_string_equal(row, want);
	}
	outside_sql("DROP TABLE alembic_version");
	close(fd);
}

/* Methods a peer outside the admin group may call: they change nothing.
 * Every other method of the service, a new one included, must refuse it. */
static const char *const read_only_methods[] = {
	"Current", "History", "Watch", "Show", "Verify", "Script",
	"Models",  "Check", "Test",
};

static int is_read_only(const char *name)
{
	for (size_t i = 0; i < sizeof read_only_methods / sizeof *read_only_methods; i++)
		if (strcmp(name, read_only_methods[i]) == 0)
			return 1;
	return 0;
}

/* Set when a test is skipped: main then reports the run as skipped (77),
 * never as a pass. */
static int skipped;

/* Run fn as uid/gid 65534 (nobody) in a child; its exit status is the
 * number of failures it found. Skips the test unless we are root. */
static void as_nobody(int (*fn)(void))
{
	int status = -1;
	pid_t pid;

	if (geteuid() != 0) {
		printf("skipped: switching to uid 65534 needs root\n");
		skipped = 1;
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Every mutating method, each with an empty request: PERMISSION_DENIED,
 * before anything else is looked at. */
static int try_every_mutating_method(void)
{
	const ProtobufCServiceDescriptor *svc = &homerack__v1__schema__descriptor;
	int fd = try_connect(), failures = 0;
	char path[128], msg[512];

	if (fd < 0)
		return 99;
	bound_reads(fd);
	for (unsigned i = 0; i < svc->n_methods; i++) {
		const char *name = svc->methods[i].name;
		int code;

		if (is_read_only(name))
			continue;
		snprintf(path, sizeof path, "/%s/%s", svc->name, name);
		send_call(fd, i + 1, path, 1);
		code = read_status(fd, i + 1, msg, sizeof msg);
		if (code != HR_PERMISSION_DENIED ||
		    strstr(msg, "may not call") == NULL) {
			fprintf(stderr, "%s as uid 65534: code %d: %s\n", path,
				code, msg);
			failures++;
		}
	}
	close(fd);
	return failures;
}

/* Version rows and the migrations directory's files, as one string. */
static void snapshot(char *out, size_t size)
{
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof cmd,
		 "sqlite3 %s/db.sqlite 'SELECT * FROM alembic_version' "
		 "2>&1; ls -l %s/migrations",
		 tmpdir, tmpdir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void non_admin_may_call_no_mutating_method(void **state)
{
	char before[4096], after[4096];

	(void)state;
	snapshot(before, sizeof before);
	as_nobody(try_every_mutating_method);
	snapshot(after, sizeof after);
	assert_string_equal(before, after);
}

/* A connection of the current user, for the queue test. */
static int queue_conn(void)
{
	int fd = try_connect();

	if (fd >= 0)
		bound_reads(fd);
	return fd;
}

/* Send n calls of method (ids first..first+n-1), then a Current (id
 * first+n); read until the Current's status. Returns how many of the n
 * were refused with RESOURCE_EXHAUSTED meanwhile (the rest are queued:
 * refusals are immediate, and hrd handles a connection's frames in
 * order); -1 if any other status came. The last refusal's message goes
 * into msg. */
static int pipeline(int fd, const char *method, const ProtobufCMessage *req,
		    uint64_t first, int n, char *msg, size_t size)
{
	uint64_t current = first + (uint64_t)n;
	int refused = 0;

	for (int i = 0; i < n; i++)
		send_msg_call(fd, first + (uint64_t)i, method, req, 0);
	send_call(fd, current, "/homerack.v1.Schema/Current", 1);
	for (;;) {
		Homerack__V1__Response *resp = read_response(fd);
		int code;

		if (resp == NULL)
			return -1;
		if (resp->body_case != HOMERACK__V1__RESPONSE__BODY_STATUS) {
			homerack__v1__response__free_unpacked(resp, NULL);
			continue;
		}
		code = resp->status->code;
		if (resp->call_id == current) {
			homerack__v1__response__free_unpacked(resp, NULL);
			return refused;
		}
		if (code != HR_RESOURCE_EXHAUSTED) {
			homerack__v1__response__free_unpacked(resp, NULL);
			return -1;
		}
		snprintf(msg, size, "%s", resp->status->message);
		homerack__v1__response__free_unpacked(resp, NULL);
		refused++;
	}
}

/* As uid 65534: 80 Verify calls on two connections, then
 * one Stamp (it may change the schema here: --admin-group nogroup). */
static int flood_then_change(void)
{
	Homerack__V1__VerifyRequest v = HOMERACK__V1__VERIFY_REQUEST__INIT;
	Homerack__V1__StampRequest st = HOMERACK__V1__STAMP_REQUEST__INIT;
	int a = queue_conn(), b = queue_conn(), refused, failures = 0;
	char msg[512] = "";

	if (a < 0 || b < 0)
		return 99;
	/* 16 read-only jobs wait at most; the other 64 are refused. */
	refused = pipeline(a, "/homerack.v1.Schema/Verify", &v.base, 1, 40, msg,
			   sizeof msg);
	refused += pipeline(b, "/homerack.v1.Schema/Verify", &v.base, 1, 40,
			    msg, sizeof msg);
	if (refused != 64 || strstr(msg, "read-only jobs") == NULL) {
		fprintf(stderr, "verify flood: %d refused, last: %s\n", refused,
			msg);
		failures++;
	}
	/* Its own change still finds a place behind root's sixteen. */
	st.target = "head";
	refused = pipeline(a, "/homerack.v1.Schema/Stamp", &st.base, 100, 1,
			   msg, sizeof msg);
	if (refused != 0) {
		fprintf(stderr, "nobody's stamp: %d refused: %s\n", refused, msg);
		failures++;
	}
	close(a);
	close(b);
	return failures;
}

static void queue_places_are_shared_fairly(void **state)
{
	Homerack__V1__MigrateRequest up = HOMERACK__V1__MIGRATE_REQUEST__INIT;
	Homerack__V1__StampRequest st = HOMERACK__V1__STAMP_REQUEST__INIT;
	char path[160], msg[512] = "";
	int fd = queue_conn(), refused;
	sqlite3 *lock;

	(void)state;
	if (geteuid() != 0) {
		printf("skipped: switching to uid 65534 needs root\n");
		skipped = 1;
		skip();
	}
	assert_true(fd >= 0);
	/* Hold the database's write lock: the first upgrade waits for it, and
	 * everything after it waits in the queue until the test ends. */
	snprintf(path, sizeof path, "%s/db.sqlite", tmpdir);
	assert_int_equal(sqlite3_open(path, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	up.target = "head";
	assert_int_equal(pipeline(fd, "/homerack.v1.Schema/Upgrade", &up.base, 1,
				  1, msg, sizeof msg),
			 0);
	/* root: 20 changes; 16 wait (the limit per uid), 4 are refused. */
	st.target = "base";
	refused = pipeline(fd, "/homerack.v1.Schema/Stamp", &st.base, 10, 20, msg,
			   sizeof msg);
	assert_int_equal(refused, 4);
	assert_non_null(strstr(msg, "already has 16 schema changes waiting"));
	/* nobody: a flood of read-only jobs takes none of the changes'
	 * places, and its own change is not starved by root's. */
	as_nobody(flood_then_change);
	/* Going away cancels what waits; then the lock comes free. */
	close(fd);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	assert_still_serving();
}

/* A socket and a directory anyone may use, for the uid 65534 peer. */
static int start_hrd_open(void **state)
{
	own_migrations = 1;
	if (start_hrd(state) < 0)
		return -1;
	return chmod(tmpdir, 0755);
}

static Homerack__V1__Response *next_status(int fd);

/* --- the global connection limit (--max-connections 3) ----------------- */

static void global_connection_limit(void **state)
{
	int fds[3], extra;
	char msg[256];

	(void)state;
	/* Exactly the limit is admitted... */
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_or_fail();
		send_call(fds[i], 1, "/homerack.v1.Schema/Current", 1);
		assert_int_equal(read_status(fds[i], 1, NULL, 0), 0);
	}
	/* ...and one more is refused, with the reason, before any call of
	 * its own is answered. */
	extra = connect_or_fail();
	{
		uint8_t call[128];
		size_t len;
		Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
		Homerack__V1__Response *resp;

		req.protocol_version = 1;
		req.call_id = 1;
		req.method = "/homerack.v1.Schema/Current";
		len = homerack__v1__request__pack(&req, call + 5);
		hr_frame_write_header(call, (uint32_t)len);
		/* hrd may have hung up already: the send may fail. */
		(void)send(extra, call, len + 5, MSG_NOSIGNAL);
		resp = next_status(extra);
		assert_non_null(resp);
		assert_int_equal(resp->call_id, 0);
		assert_int_equal(resp->status->code, 8);
		snprintf(msg, sizeof msg, "%s", resp->status->message);
		homerack__v1__response__free_unpacked(resp, NULL);
	}
	assert_non_null(strstr(msg, "too many connections (limit 3)"));
	{
		/* Closed: at the end of the stream, or reset because hrd
		 * closed with our call unread. */
		char c;
		ssize_t n = read(extra, &c, 1);

		assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	}
	close(extra);
	for (int i = 0; i < 3; i++) {
		send_call(fds[i], 2, "/homerack.v1.Schema/History", 1);
		assert_int_equal(read_status(fds[i], 2, NULL, 0), 0);
		close(fds[i]);
	}
}

/* --- call ids, half-close, back-pressure -------------------------------- */

/* The next status frame on fd, whatever its call; NULL at EOF. */
static Homerack__V1__Response *next_status(int fd)
{
	for (;;) {
		Homerack__V1__Response *resp = read_response(fd);

		if (resp == NULL ||
		    resp->body_case == HOMERACK__V1__RESPONSE__BODY_STATUS)
			return resp;
		homerack__v1__response__free_unpacked(resp, NULL);
	}
}

static void reused_call_id_closes_connection(void **state)
{
	Homerack__V1__SchemaState *st;
	Homerack__V1__Response *resp;
	int fd = connect_or_fail();

	(void)state;
	send_watch(fd, 1);
	st = next_state(fd, 1);
	homerack__v1__schema_state__free_unpacked(st, NULL);
	/* Call 1 is live. A status under id 1 would tell the client its
	 * watch ended while hrd streams on: the reuse ends the connection,
	 * reported under id 0. */
	send_call(fd, 1, "/homerack.v1.Schema/Current", 1);
	resp = next_status(fd);
	assert_non_null(resp);
	assert_int_equal(resp->call_id, 0);
	assert_int_equal(resp->status->code, 3);
	assert_non_null(strstr(resp->status->message,
			       "call id 1 is already in use"));
	homerack__v1__response__free_unpacked(resp, NULL);
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

static void call_id_zero_is_reserved(void **state)
{
	char msg[256];
	int fd = connect_or_fail();

	(void)state;
	/* Id 0 is the connection's own (its errors come under it). */
	send_call(fd, 0, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(read_status(fd, 0, msg, sizeof msg), 3);
	assert_non_null(strstr(msg, "call id 0 is reserved"));
	assert_closed(fd);
	close(fd);
	assert_still_serving();
}

/* How many times hrd's log holds text. */
static int log_count(const char *text)
{
	char path[160], *buf;
	int count = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/hrd.log", tmpdir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	for (const char *p = buf; (p = strstr(p, text)) != NULL; p++)
		count++;
	free(buf);
	return count;
}

/* The revisions Current reports, on a fresh connection. */
static size_t current_revisions(void)
{
	Homerack__V1__Response *resp;
	Homerack__V1__CurrentReply *cur;
	int fd = connect_or_fail();
	size_t n;

	send_call(fd, 1, "/homerack.v1.Schema/Current", 1);
	resp = read_response(fd);
	assert_non_null(resp);
	assert_int_equal(resp->body_case, HOMERACK__V1__RESPONSE__BODY_MESSAGE);
	cur = homerack__v1__current_reply__unpack(NULL, resp->message.len,
						  resp->message.data);
	assert_non_null(cur);
	n = cur->n_revisions;
	homerack__v1__current_reply__free_unpacked(cur, NULL);
	homerack__v1__response__free_unpacked(resp, NULL);
	close(fd);
	return n;
}

static void nothing_runs_after_a_connection_error(void **state)
{
	const char *logged = "call id 0 is reserved";
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	uint8_t buf[256];
	size_t len, n = 0;
	int fd = connect_or_fail(), before = log_count(logged);

	(void)state;
	/* One write, two frames that are each a connection error: the
	 * first ends the connection, so the second must not be handled
	 * (were it a schema change, it would run). */
	req.protocol_version = 1;
	req.method = "/homerack.v1.Schema/Current";
	for (int i = 0; i < 2; i++) {
		len = homerack__v1__request__pack(&req, buf + n + 5);
		hr_frame_write_header(buf + n, (uint32_t)len);
		n += len + 5;
	}
	send_bytes(fd, buf, n);
	assert_int_equal(read_status(fd, 0, NULL, 0), 3);
	assert_closed(fd);
	close(fd);
	/* hrd handled the whole read before it closed: its log is final. */
	assert_int_equal(log_count(logged), before + 1);
}

static void send_upgrade(int fd, uint64_t id, const char *target)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	Homerack__V1__MigrateRequest m = HOMERACK__V1__MIGRATE_REQUEST__INIT;
	uint8_t payload[64];

	m.target = (char *)target;
	req.protocol_version = 1;
	req.call_id = id;
	req.method = "/homerack.v1.Schema/Upgrade";
	req.payload.data = payload;
	req.payload.len = homerack__v1__migrate_request__pack(&m, payload);
	send_request(fd, &req);
}

static void half_closed_connection_gets_its_replies(void **state)
{
	Homerack__V1__Response *resp;
	int fd = connect_or_fail(), seen_upgrade = 0, seen_current = 0;

	(void)state;
	/* A gRPC-style client: its requests, then end of stream. */
	send_upgrade(fd, 1, "head");
	send_call(fd, 2, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	while (!(seen_upgrade && seen_current)) {
		resp = next_status(fd);
		assert_non_null(resp); /* not EOF before both statuses */
		assert_int_equal(resp->status->code, 0);
		seen_upgrade |= resp->call_id == 1;
		seen_current |= resp->call_id == 2;
		homerack__v1__response__free_unpacked(resp, NULL);
	}
	/* Then hrd closes its side too. */
	assert_closed(fd);
	close(fd);
	/* And the upgrade was applied. */
	assert_true(current_revisions() > 0);
}

/* A field of /proc/<hrd>/status in KiB ("VmRSS:"). */
static long hrd_kib(const char *field)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)hrd_pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kib = atol(line + strlen(field));
	fclose(f);
	return kib;
}

/* A peer writing a flood of requests from its own thread. */
typedef struct flood {
	int fd;
	uint8_t *buf;
	size_t len;
	atomic_int done; /* 1: all written; -1: the write failed */
} flood;

static void *flood_write(void *ud)
{
	flood *f = ud;
	size_t off = 0;

	while (off < f->len) {
		ssize_t n = send(f->fd, f->buf + off, f->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			atomic_store(&f->done, -1);
			return NULL;
		}
		off += (size_t)n;
	}
	atomic_store(&f->done, 1);
	return NULL;
}

static void peer_that_never_reads_is_paused(void **state)
{
	/* Far more than the kernel's socket buffers hold either way. */
	const size_t calls = 100000;
	const char *paused = "is not reading its replies";
	flood f = {.len = 0};
	pthread_t thread;
	long before, during;
	size_t statuses = 0;
	int waited_ms = 0;

	(void)state;
	before = hrd_kib("VmRSS:");
	f.buf = malloc(calls * 64);
	assert_non_null(f.buf);
	for (size_t i = 0; i < calls; i++) {
		Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
		size_t len;

		req.protocol_version = 1;
		req.call_id = i + 1;
		req.method = "/homerack.v1.Schema/Current";
		len = homerack__v1__request__pack(&req, f.buf + f.len + 5);
		hr_frame_write_header(f.buf + f.len, (uint32_t)len);
		f.len += len + 5;
	}
	f.fd = connect_or_fail();
	assert_int_equal(pthread_create(&thread, NULL, flood_write, &f), 0);

	/* hrd must stop reading this peer (and say so) long before the
	 * peer has written everything: its writes block. */
	while (log_count(paused) == 0 && atomic_load(&f.done) == 0) {
		struct timespec ms = {0, 1000000};

		if (++waited_ms > 120000)
			fail_msg("no \"%s\" in hrd's log after 120 s", paused);
		nanosleep(&ms, NULL);
	}
	if (atomic_load(&f.done) != 0)
		fail_msg("hrd read all %zu pipelined requests of a peer that "
			 "read none of its replies", calls);
	assert_int_equal(atomic_load(&f.done), 0);
	during = hrd_kib("VmRSS:");
	printf("hrd resident: %ld KiB before, %ld KiB while paused\n", before,
	       during);
	assert_true(during - before < 16 * 1024);
	/* Others are served meanwhile. */
	assert_still_serving();

	/* Once the peer reads, hrd reads again: every call is answered. */
	while (statuses < calls) {
		Homerack__V1__Response *resp = next_status(f.fd);

		assert_non_null(resp);
		assert_int_equal(resp->status->code, 0);
		statuses++;
		homerack__v1__response__free_unpacked(resp, NULL);
	}
	pthread_join(thread, NULL);
	assert_int_equal(atomic_load(&f.done), 1);
	close(f.fd);
	free(f.buf);
}

/* --- startup (the socket directory watched from before hrd started) ----- */

static void socket_appears_ready(void **state)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint32_t first = 0;
	struct stat st;
	ssize_t n;

	(void)state;
	/* The path must come into being already listening, with its final
	 * mode: renamed into place, never created in place (a client
	 * connecting between bind and listen is refused). */
	while (first == 0 && (n = read(dir_watch, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (first == 0 && ev->len > 0 &&
			    strcmp(ev->name, "hrd.sock") == 0)
				first = ev->mask;
			p += sizeof *ev + ev->len;
		}
	}
	assert_true(first != 0);
	assert_true(first & IN_MOVED_TO);
	assert_false(first & IN_CREATE);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_still_serving();
}

/* One History call: how many revisions came, and how many of them are
 * marked heads. */
static size_t call_history(int fd, uint64_t id, int heads_only,
			   size_t *n_marked)
{
	Homerack__V1__Request req = HOMERACK__V1__REQUEST__INIT;
	Homerack__V1__HistoryRequest hreq =
		HOMERACK__V1__HISTORY_REQUEST__INIT;
	Homerack__V1__Response *resp;
	Homerack__V1__HistoryReply *reply;
	uint8_t payload[64];
	size_t n;

	hreq.heads_only = heads_only;
	req.protocol_version = 1;
	req.call_id = id;
	req.method = "/homerack.v1.Schema/History";
	req.payload.len = homerack__v1__history_request__pack(&hreq, payload);
	req.payload.data = payload;
	send_request(fd, &req);
	resp = read_response(fd);
	assert_non_null(resp);
	assert_int_equal(resp->body_case, HOMERACK__V1__RESPONSE__BODY_MESSAGE);
	reply = homerack__v1__history_reply__unpack(NULL, resp->message.len,
						    resp->message.data);
	assert_non_null(reply);
	n = reply->n_revisions;
	*n_marked = 0;
	for (size_t i = 0; i < n; i++)
		*n_marked += reply->revisions[i]->is_head;
	homerack__v1__history_reply__free_unpacked(reply, NULL);
	homerack__v1__response__free_unpacked(resp, NULL);
	assert_int_equal(read_status(fd, id, NULL, 0), 0);
	return n;
}

/* A group whose hrd reads two revisions in a line from a directory of
 * its own (a later --migrations wins): one head, two revisions. */
static char line_dir[64];
static const char *line_args[3] = {"--migrations", line_dir, NULL};

static int start_hrd_line(void **state)
{
	static const char *const files[2][2] = {
		{"aaaaaaaaaaa1_a.sql", "-- revision: aaaaaaaaaaa1\n"
				       "-- down_revision:\n"
				       "-- +upgrade\nCREATE TABLE a (x);\n"
				       "-- +downgrade\nDROP TABLE a;\n"},
		{"bbbbbbbbbbb2_b.sql", "-- revision: bbbbbbbbbbb2\n"
				       "-- down_revision: aaaaaaaaaaa1\n"
				       "-- +upgrade\nCREATE TABLE b (x);\n"
				       "-- +downgrade\nDROP TABLE b;\n"},
	};

	strcpy(line_dir, "/tmp/hr-line.XXXXXX");
	if (mkdtemp(line_dir) == NULL)
		return -1;
	for (int i = 0; i < 2; i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", line_dir, files[i][0]);
		if ((f = fopen(path, "w")) == NULL)
			return -1;
		fputs(files[i][1], f);
		if (fclose(f) != 0)
			return -1;
	}
	hrd_extra = line_args;
	return start_hrd(state);
}

static int stop_hrd_line(void **state)
{
	char cmd[128];
	int rc = stop_hrd(state);

	snprintf(cmd, sizeof cmd, "rm -rf %s", line_dir);
	if (system(cmd) != 0)
		rc = -1;
	hrd_extra = NULL;
	return rc;
}

/* heads_only: hrd sends the heads alone (`hrctl heads` at 10,000
 * revisions must not receive all of them). */
static void history_heads_only(void **state)
{
	int fd = connect_or_fail();
	size_t all, heads_in_all, only, heads_in_only;

	(void)state;
	all = call_history(fd, 61, 0, &heads_in_all);
	only = call_history(fd, 62, 1, &heads_in_only);
	assert_true(heads_in_all >= 1);
	assert_true(all > heads_in_all);
	assert_int_equal(only, heads_in_all);
	assert_int_equal(heads_in_only, only);
	close(fd);
}

/* --- shutdown with everything live ------------------------------------ */

/*
 * SIGTERM while a connection sits idle, a Watch streams and an upgrade
 * runs (held at the database's write lock): hrd ends every call, stops
 * the job at its wait, closes every handle — uv_loop_close succeeds, or
 * main logs the handles left open and exits 1 — and exits 0.
 */
static void shutdown_with_live_calls(void **state)
{
	Homerack__V1__MigrateRequest up = HOMERACK__V1__MIGRATE_REQUEST__INIT;
	Homerack__V1__SchemaState *st;
	int idle = connect_or_fail(), watch = connect_or_fail();
	int upgrade = connect_or_fail(), status = -1, migrating = 0;
	char path[160];
	sqlite3 *lock;
	pid_t pid = hrd_pid;

	(void)state;
	bound_reads(idle);
	bound_reads(watch);
	bound_reads(upgrade);
	/* The idle connection has been served once: hrd holds it. */
	send_call(idle, 1, "/homerack.v1.Schema/Current", 1);
	assert_int_equal(read_status(idle, 1, NULL, 0), 0);
	/* The watch is live once its first state came. */
	send_watch(watch, 1);
	st = next_state(watch, 1);
	homerack__v1__schema_state__free_unpacked(st, NULL);
	/* The upgrade runs once the watch says so; it then waits for the
	 * lock the test holds, until shutdown stops it. */
	snprintf(path, sizeof path, "%s/db.sqlite", tmpdir);
	assert_int_equal(sqlite3_open(path, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	up.target = "head";
	send_msg_call(upgrade, 1, "/homerack.v1.Schema/Upgrade", &up.base, 0);
	while (!migrating) {
		st = next_state(watch, 1);
		migrating = st->activity ==
			    HOMERACK__V1__SCHEMA_STATE__ACTIVITY__ACTIVITY_MIGRATING;
		homerack__v1__schema_state__free_unpacked(st, NULL);
	}
	assert_int_equal(kill(pid, SIGTERM), 0);
	/* Wait for hrd's exit itself (its pidfd turns readable), bounded so
	 * that a hang fails the test instead of stalling it. */
	if (wait_exit(pid, 60000))
		waitpid(pid, &status, 0);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	hrd_pid = 0;
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("hrd did not exit within 60 s of SIGTERM");
	}
	close(idle);
	close(watch);
	close(upgrade);
	assert_int_equal(log_count("left a"), 0);
	assert_int_equal(log_count("did not close cleanly"), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	static const char *const limits[] = {"--frame-timeout", "1",
					     "--idle-timeout", "1",
					     "--max-frame", "100", NULL};
	static const char *const per_uid[] = {"--max-connections-per-uid", "3",
					      NULL};
	static const char *const open_socket[] = {"--socket-mode", "0666", NULL};
	static const char *const nobody_admin[] = {"--socket-mode", "0666",
						   "--admin-group", "nogroup",
						   NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(current_round_trip),
		cmocka_unit_test(garbage_payload_closes_connection),
		cmocka_unit_test(oversized_frame_rejected),
		cmocka_unit_test(compressed_flag_rejected),
		cmocka_unit_test(wrong_protocol_version),
		cmocka_unit_test(unknown_method_keeps_connection),
		cmocka_unit_test(malformed_method_payload),
		cmocka_unit_test(truncated_then_hangup),
		cmocka_unit_test(multiplexed_calls),
		cmocka_unit_test(many_connections),
		cmocka_unit_test(slow_watcher_gets_latest_state_only),
	};
	const struct CMUnitTest limit_tests[] = {
		cmocka_unit_test(incomplete_frame_times_out),
		cmocka_unit_test(idle_connection_closed),
		cmocka_unit_test(frame_over_configured_cap),
	};
	const struct CMUnitTest uid_tests[] = {
		cmocka_unit_test(per_uid_connection_limit),
	};
	const struct CMUnitTest call_tests[] = {
		cmocka_unit_test(watch_ends_at_its_deadline),
		cmocka_unit_test(current_never_answers_from_an_older_read),
		cmocka_unit_test(non_admin_may_call_no_mutating_method),
	};
	const struct CMUnitTest queue_tests[] = {
		cmocka_unit_test(queue_places_are_shared_fairly),
	};
	static const char *const global[] = {"--max-connections", "3", NULL};
	const struct CMUnitTest global_tests[] = {
		cmocka_unit_test(global_connection_limit),
	};
	const struct CMUnitTest heads_tests[] = {
		cmocka_unit_test(history_heads_only),
	};
	const struct CMUnitTest transport_tests[] = {
		cmocka_unit_test(reused_call_id_closes_connection),
		cmocka_unit_test(call_id_zero_is_reserved),
		cmocka_unit_test(peer_that_never_reads_is_paused),
		cmocka_unit_test(nothing_runs_after_a_connection_error),
		cmocka_unit_test(half_closed_connection_gets_its_replies),
	};
	const struct CMUnitTest shutdown_tests[] = {
		cmocka_unit_test(shutdown_with_live_calls),
	};
	const struct CMUnitTest startup_tests[] = {
		cmocka_unit_test(socket_appears_ready),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("protocol", tests, start_hrd,
					      stop_hrd);
	hrd_extra = limits;
	failed += cmocka_run_group_tests_name("limits", limit_tests, start_hrd,
					      stop_hrd);
	hrd_extra = per_uid;
	failed += cmocka_run_group_tests_name("per-uid", uid_tests, start_hrd,
					      stop_hrd);
	hrd_extra = open_socket;
	failed += cmocka_run_group_tests_name("calls", call_tests,
					      start_hrd_open, stop_hrd);
	hrd_extra = nobody_admin;
	failed += cmocka_run_group_tests_name("queue", queue_tests,
					      start_hrd_open, stop_hrd);
	own_migrations = 0;
	hrd_extra = global;
	failed += cmocka_run_group_tests_name("global", global_tests, start_hrd,
					      stop_hrd);
	hrd_extra = NULL;
	failed += cmocka_run_group_tests_name("transport", transport_tests,
					      start_hrd, stop_hrd);
	failed += cmocka_run_group_tests_name("heads", heads_tests,
					      start_hrd_line, stop_hrd_line);
	failed += cmocka_run_group_tests_name("shutdown", shutdown_tests,
					      start_hrd, stop_hrd);
	watch_startup = 1;
	failed += cmocka_run_group_tests_name("startup", startup_tests,
					      start_hrd, stop_hrd);
	/* A skipped test is reported as such (CTest's SKIP_RETURN_CODE),
	 * never as a pass. */
	if (failed != 0)
		return 1;
	return skipped ? 77 : 0;
}
