/*
 * main.c — hrd: the HomeRack schema daemon. Parses options and the
 * environment, then hands over to the server.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dburl.h"
#include "log.h"
#include "pgpassword.h"
#include "server.h"
#include "sockpath.h"

#define HRD_VERSION "0.1.0"

static void name_open_handle(uv_handle_t *handle, void *arg)
{
	(void)arg;
	hr_log(HR_LOG_ERROR, "shutdown left a %s handle open%s",
	       uv_handle_type_name(uv_handle_get_type(handle)),
	       uv_is_closing(handle) ? " (closing)" : "");
}

/* Close the loop after a clean shutdown: every handle must be closed by
 * then (libuv's own tests end the same way). A handle left open is a
 * bug: named in the log, and hrd exits 1. */
static int close_loop(uv_loop_t *loop)
{
	int rc = uv_loop_close(loop);

	if (rc == 0)
		return 0;
	uv_walk(loop, name_open_handle, NULL);
	hr_log(HR_LOG_ERROR, "the event loop did not close cleanly: %s",
	       uv_strerror(rc));
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hrd [options]\n"
		"\n"
		"The HomeRack schema daemon: owns the database and its "
		"migrations, and\n"
		"answers hrctl (and other local programs) on a Unix socket.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH       listen here (env HOMERACK_SOCKET; "
		"default\n"
		"                          $XDG_RUNTIME_DIR/homerack/hrd.sock or "
		"/run/homerack/hrd.sock)\n"
		"  -d, --database URL      sqlite:///PATH or postgresql://… "
		"(env DATABASE_URL;\n"
		"                          default sqlite:///./homerack.db)\n"
		"  -m, --migrations DIR    migration files (env "
		"HOMERACK_MIGRATIONS;\n"
		"                          default ./migrations)\n"
		"      --models DIR        the models, *.sql (env "
		"HOMERACK_MODELS;\n"
		"                          default ./models)\n"
		"      --socket-mode MODE  socket permissions, octal (default "
		"0660)\n"
		"      --socket-group NAME the socket's group (default: hrd's)\n"
		"      --admin-group NAME  members may change the schema (root "
		"and hrd's\n"
		"                          own user always may)\n"
		"\n"
		"limits:\n"
		"      --max-connections N          in total (default 1024)\n"
		"      --max-connections-per-uid N  from one user (default 256)\n"
		"      --max-calls N                in flight per connection "
		"(default 64)\n"
		"      --max-queued N               schema changes waiting "
		"(default 64)\n"
		"      --max-queued-reads N         read-only jobs (verify) "
		"waiting (default 16)\n"
		"      --max-queued-per-uid N       one user's waiting jobs of "
		"each kind\n"
		"                                   (default 16)\n"
		"      --max-frame BYTES            request frame size (default "
		"1048576)\n"
		"      --frame-timeout SECONDS      to finish a started frame "
		"(default 10)\n"
		"      --idle-timeout SECONDS       before an idle connection "
		"closes (default 600)\n"
		"\n"
		"  -q, --quiet             log warnings and errors only\n"
		"  -v, --verbose           log debug detail\n"
		"  -h, --help              this text\n"
		"  -V, --version           print the version\n");
}

/* A whole number in [1, max] for option name, or -1 after printing why. */
static long long parse_count(const char *name, const char *text,
			     long long max)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (*end != '\0' || end == text || v < 1 || v > max) {
		fprintf(stderr, "hrd: bad --%s '%s' (want 1 to %lld)\n", name,
			text, max);
		return -1;
	}
	return v;
}

/*
 * A copy of a database URL given on the command line, whose original is
 * then overwritten in place with the redacted form, so ps
 * (/proc/PID/cmdline) never shows the password. The caller frees it.
 */
static char *take_database_arg(char *arg)
{
	char *copy = strdup(arg), *shown = hr_dburl_redact(arg);
	size_t n = strlen(arg), m;

	if (copy == NULL || shown == NULL) {
		free(shown);
		return copy;
	}
	m = strlen(shown) < n ? strlen(shown) : n;
	memset(arg, 0, n);
	memcpy(arg, shown, m);
	free(shown);
	return copy;
}

/* The copy behind cfg.database_url when it came from the command line;
 * freed at exit, whichever way main returns. */
static char *database_arg;

static void free_database_arg(void)
{
	free(database_arg);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : fallback;
}

int main(int argc, char **argv)
{
	enum {
		OPT_SOCKET_MODE = 256,
		OPT_SOCKET_GROUP,
		OPT_ADMIN_GROUP,
		OPT_MAX_CONNECTIONS,
		OPT_MAX_PER_UID,
		OPT_MAX_CALLS,
		OPT_MAX_QUEUED,
		OPT_MAX_QUEUED_READS,
		OPT_MAX_QUEUED_PER_UID,
		OPT_MAX_FRAME,
		OPT_FRAME_TIMEOUT,
		OPT_IDLE_TIMEOUT,
		OPT_MODELS,
	};
	static const struct option options[] = {
		{"socket", required_argument, NULL, 's'},
		{"database", required_argument, NULL, 'd'},
		{"migrations", required_argument, NULL, 'm'},
		{"models", required_argument, NULL, OPT_MODELS},
		{"socket-mode", required_argument, NULL, OPT_SOCKET_MODE},
		{"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
		{"admin-group", required_argument, NULL, OPT_ADMIN_GROUP},
		{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
		{"max-connections-per-uid", required_argument, NULL, OPT_MAX_PER_UID},
		{"max-calls", required_argument, NULL, OPT_MAX_CALLS},
		{"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
		{"max-queued-reads", required_argument, NULL, OPT_MAX_QUEUED_READS},
		{"max-queued-per-uid", required_argument, NULL,
		 OPT_MAX_QUEUED_PER_UID},
		{"max-frame", required_argument, NULL, OPT_MAX_FRAME},
		{"frame-timeout", required_argument, NULL, OPT_FRAME_TIMEOUT},
		{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	char socket_path[HR_SOCKPATH_MAX + 1];
	hr_log_level level = HR_LOG_INFO;
	hr_server server;
	hr_config cfg;
	hr_error err;
	long long n;
	char *end;
	int opt, rc;

	atexit(free_database_arg);
	hr_config_defaults(&cfg);
	cfg.database_url = env_or("DATABASE_URL", cfg.database_url);
	cfg.migrations_dir = env_or("HOMERACK_MIGRATIONS", cfg.migrations_dir);
	cfg.models_dir = env_or("HOMERACK_MODELS", cfg.models_dir);
	/* libpq decides where a URL's password is, for every redaction
	 * from here on (ps, logs, errors, replies). */
	hr_dburl_set_password_parser(hr_pg_passwords);
	while ((opt = getopt_long(argc, argv, "s:d:m:qvhV", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.socket_path = optarg;
			break;
		case 'd':
			free(database_arg);
			cfg.database_url = database_arg = take_database_arg(optarg);
			break;
		case 'm':
			cfg.migrations_dir = optarg;
			break;
		case OPT_MODELS:
			cfg.models_dir = optarg;
			break;
		case OPT_SOCKET_MODE:
			cfg.socket_mode = (mode_t)strtoul(optarg, &end, 8);
			if (*end != '\0' || end == optarg || cfg.socket_mode > 0777) {
				fprintf(stderr, "hrd: bad --socket-mode '%s' "
						"(want octal, e.g. 0660)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SOCKET_GROUP:
			cfg.socket_group = optarg;
			break;
		case OPT_ADMIN_GROUP:
			cfg.admin_group = optarg;
			break;
		case OPT_MAX_CONNECTIONS:
			if ((n = parse_count("max-connections", optarg, 1 << 20)) < 0)
				return 2;
			cfg.max_connections = (size_t)n;
			break;
		case OPT_MAX_PER_UID:
			if ((n = parse_count("max-connections-per-uid", optarg,
					     1 << 20)) < 0)
				return 2;
			cfg.max_connections_per_uid = (size_t)n;
			break;
		case OPT_MAX_CALLS:
			if ((n = parse_count("max-calls", optarg, 1 << 16)) < 0)
				return 2;
			cfg.max_calls_per_conn = (size_t)n;
			break;
		case OPT_MAX_QUEUED:
			if ((n = parse_count("max-queued", optarg, 1 << 16)) < 0)
				return 2;
			cfg.max_queued_jobs = (size_t)n;
			break;
		case OPT_MAX_QUEUED_READS:
			if ((n = parse_count("max-queued-reads", optarg,
					     1 << 16)) < 0)
				return 2;
			cfg.max_queued_reads = (size_t)n;
			break;
		case OPT_MAX_QUEUED_PER_UID:
			if ((n = parse_count("max-queued-per-uid", optarg,
					     1 << 16)) < 0)
				return 2;
			cfg.max_queued_per_uid = (size_t)n;
			break;
		case OPT_MAX_FRAME:
			/* Below 64 bytes not even a Current request fits. */
			if ((n = parse_count("max-frame", optarg, 1 << 30)) < 0)
				return 2;
			cfg.max_frame = (size_t)(n < 64 ? 64 : n);
			break;
		case OPT_FRAME_TIMEOUT:
			if ((n = parse_count("frame-timeout", optarg, 86400)) < 0)
				return 2;
			cfg.frame_timeout_ms = (uint64_t)n * 1000;
			break;
		case OPT_IDLE_TIMEOUT:
			if ((n = parse_count("idle-timeout", optarg, 86400 * 7)) < 0)
				return 2;
			cfg.idle_timeout_ms = (uint64_t)n * 1000;
			break;
		case 'q':
			level = HR_LOG_WARN;
			break;
		case 'v':
			level = HR_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hrd %s\n", HRD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hrd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	hr_log_init("hrd", level);
	if (cfg.socket_path == NULL) {
		if (hr_sockpath_default(socket_path, sizeof socket_path, &err) < 0) {
			fprintf(stderr, "hrd: %s\n", err.msg);
			return 1;
		}
		cfg.socket_path = socket_path;
	}
	/* A client that hangs up mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	rc = hr_server_init(&server, uv_default_loop(), &cfg, &err);
	/* The loop is closed before hr_server_free: the features free
	 * their state (and the handles in it) on HR_EVENT_FREE, and a
	 * handle left open must still be there to be named. */
	if (rc == 0) {
		rc = hr_server_run(&server);
		if (rc == 0)
			rc = close_loop(uv_default_loop());
		hr_server_free(&server);
	} else {
		fprintf(stderr, "hrd: %s\n", err.msg);
		/* Best effort: a start that failed half-way may leave handles
		 * open, and hrd exits 1 anyway. */
		uv_loop_close(uv_default_loop());
		hr_server_free(&server);
	}
	return rc < 0 ? 1 : 0;
}
