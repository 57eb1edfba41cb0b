/*
 * cmd_wait.c — `hrctl wait`: block until the database reaches a target,
 * for services that must not start before their schema is ready.
 * Waits for hrd itself too, if it is not up yet.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hrctl.h"
#include "rpcnames.h"

/* "90", "90s", "500ms", "5m", "1h" into milliseconds; -1 if malformed. */
static long long parse_duration(const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60 * 1000;
	else if (strcmp(end, "h") == 0)
		v *= 3600 * 1000;
	else if (strcmp(end, "ms") != 0)
		return -1;
	return v > 30.0 * 24 * 3600 * 1000 ? -1 : (long long)v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct wait_state {
	int json;
	Homerack__V1__SchemaState *last; /* the latest state seen */
} wait_state;

static int on_state(void *ud, const uint8_t *data, size_t len)
{
	wait_state *ws = ud;
	Homerack__V1__SchemaState *st =
		homerack__v1__schema_state__unpack(NULL, len, data);

	if (st == NULL)
		return 0;
	if (ws->last != NULL)
		homerack__v1__schema_state__free_unpacked(ws->last, NULL);
	ws->last = st;
	return st->target_reached; /* stop reading: we are there */
}

static void describe(FILE *out, const Homerack__V1__SchemaState *st)
{
	if (st->n_revisions == 0)
		fprintf(out, "<base>");
	hrctl_print_list(out, st->revisions, st->n_revisions);
	if (st->at_head)
		fprintf(out, " (head)");
}

static int wait_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	const char *target = "head", *timeout = NULL;
	const hrctl_flag flags[] = {
		{"for", 'f', NULL, &target},
		{"timeout", 't', NULL, &timeout},
		{0},
	};
	Homerack__V1__WatchRequest req = HOMERACK__V1__WATCH_REQUEST__INIT;
	wait_state ws = {.json = ctx->json};
	long long limit = 0, deadline = 0;
	int n_pos, rc, said_waiting = 0;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_wait, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (timeout != NULL && (limit = parse_duration(timeout)) < 0) {
		fprintf(stderr, "hrctl: wait: bad --timeout '%s' (e.g. 30s, "
				"500ms, 5m)\n",
			timeout);
		return HRCTL_EXIT_USAGE;
	}
	if (limit > 0)
		deadline = now_ms() + limit;
	/* hrd may not be up yet (both start at boot): keep trying. */
	while (hr_client_connect(ctx->socket_path, &ctx->client, &err) < 0) {
		if (deadline != 0 && now_ms() >= deadline) {
			fprintf(stderr, "hrctl: wait: timed out after %s: %s\n",
				timeout, err.msg);
			return HRCTL_EXIT_FAILED;
		}
		if (!said_waiting++)
			fprintf(stderr, "hrctl: wait: %s; retrying\n", err.msg);
		usleep(100 * 1000);
	}
	if (deadline != 0) {
		long long left = deadline - now_ms();

		hr_client_set_wait_limit(ctx->client,
					 (uint32_t)(left > 0 ? left : 1));
	}
	req.target = (char *)target;
	rc = hr_client_call(ctx->client, HR_RPC_WATCH, &req.base,
			    0, on_state, &ws, &err);
	if (ws.last != NULL && ws.last->target_reached) {
		if (ctx->json) {
			printf("{\"reached\": true, \"revisions\": ");
			hrctl_json_strings(stdout, ws.last->revisions,
					   ws.last->n_revisions);
			printf("}\n");
		} else {
			describe(stdout, ws.last);
			printf("\n");
		}
		rc = HRCTL_EXIT_OK;
	} else if (err.code == HR_DEADLINE_EXCEEDED && ws.last != NULL) {
		fprintf(stderr, "hrctl: wait: timed out after %s waiting for %s; "
				"database is at ",
			timeout, target);
		describe(stderr, ws.last);
		if (ws.last->detail[0] != '\0')
			fprintf(stderr, "; hrd is busy: %s", ws.last->detail);
		fprintf(stderr, "\n");
		rc = HRCTL_EXIT_FAILED;
	} else {
		rc = hrctl_fail("wait", &err);
	}
	if (ws.last != NULL)
		homerack__v1__schema_state__free_unpacked(ws.last, NULL);
	return rc;
}

const hrctl_cmd hrctl_cmd_wait = {
	.name = "wait",
	.args = "[--for head|REV] [--timeout DURATION]",
	.summary = "Wait until the database is at a target (default head).",
	.help = "  -f, --for TARGET        head (default), heads, or a revision "
		"that must be applied\n"
		"  -t, --timeout DURATION  give up after e.g. 30s, 500ms, 5m "
		"(default: never)\n"
		"Exits 0 once the target is reached (printing the revision), 1 "
		"on timeout.\n"
		"Waits for hrd to come up, too.\n",
	.exec = wait_exec,
};
