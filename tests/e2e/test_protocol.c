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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "homerack.pb-c.h"

static char tmpdir[64], sock_path[128];
static pid_t hrd_pid;
/* Extra hrd arguments for the group being run (NULL-terminated). */
static const char *const *hrd_extra;

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
	hrd_pid = fork();
	if (hrd_pid == 0) {
		const char *argv[32] = {"hrd", "--quiet", "--socket", sock_path,
					"--database", db, "--migrations",
					migrations};
		int argc = 8;

		for (int i = 0; hrd_extra && hrd_extra[i] && argc < 31; i++)
			argv[argc++] = hrd_extra[i];
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

static int stop_hrd(void **state)
{
	int status = -1;
	char cmd[128];

	(void)state;
	kill(hrd_pid, SIGTERM);
	waitpid(hrd_pid, &status, 0);
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

int main(void)
{
	static const char *const limits[] = {"--frame-timeout", "1",
					     "--idle-timeout", "1",
					     "--max-frame", "100", NULL};
	static const char *const per_uid[] = {"--max-connections-per-uid", "3",
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
	int failed = 0;

	failed += cmocka_run_group_tests_name("protocol", tests, start_hrd,
					      stop_hrd);
	hrd_extra = limits;
	failed += cmocka_run_group_tests_name("limits", limit_tests, start_hrd,
					      stop_hrd);
	hrd_extra = per_uid;
	failed += cmocka_run_group_tests_name("per-uid", uid_tests, start_hrd,
					      stop_hrd);
	return failed != 0;
}
