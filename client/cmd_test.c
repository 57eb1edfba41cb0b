/* cmd_test.c — `hrctl test [RANGE] [--dev-database URL]`: round trip
 * every migration (upgrade, downgrade, upgrade) on scratch databases;
 * exit 1 on the first whose downgrade does not undo its upgrade. */
#include <string.h>

#include "hrctl.h"
#include "rpcnames.h"

static void print_json(const Homerack__V1__TestReply *r)
{
	printf("{\"results\": [");
	for (size_t i = 0; i < r->n_results; i++) {
		const Homerack__V1__TestResult *t = r->results[i];

		printf("%s{\"dialect\": ", i ? ", " : "");
		hrctl_json_string(stdout, t->dialect);
		printf(", \"revision\": ");
		hrctl_json_string(stdout, t->revision);
		printf(", \"message\": ");
		hrctl_json_string(stdout, t->message);
		printf(", \"ok\": %s, \"problem\": ", t->ok ? "true" : "false");
		hrctl_json_string(stdout, t->problem);
		printf(", \"differences\": ");
		hrctl_json_strings(stdout, t->differences, t->n_differences);
		printf("}");
	}
	printf("], \"untested\": ");
	hrctl_json_strings(stdout, r->untested, r->n_untested);
	printf("}\n");
}

static void print_text(const Homerack__V1__TestReply *r)
{
	for (size_t i = 0; i < r->n_results; i++) {
		const Homerack__V1__TestResult *t = r->results[i];

		printf("%-10s %s %s, %s\n", t->dialect, t->ok ? "ok  " : "FAIL",
		       t->revision, t->message);
		if (!t->ok)
			printf("    %s\n", t->problem);
		for (size_t k = 0; k < t->n_differences; k++)
			printf("      %s\n", t->differences[k]);
	}
	for (size_t i = 0; i < r->n_untested; i++)
		printf("not tested: %s\n", r->untested[i]);
}

static int test_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__TestRequest req = HOMERACK__V1__TEST_REQUEST__INIT;
	Homerack__V1__TestReply *reply;
	const char *range = NULL, *dev = NULL;
	const hrctl_flag flags[] = {{"dev-database", 0, NULL, &dev}, {0}};
	char one[128];
	int n_pos, rc;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_test, argc, argv, flags, &range, 1,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	/* One revision alone is the range from it to it. */
	if (range != NULL && strchr(range, ':') == NULL) {
		snprintf(one, sizeof one, "%s:%s", range, range);
		range = one;
	}
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.range = (char *)(range ? range : "");
	req.dev_database = (char *)(dev ? dev : "");
	if (hr_client_unary(ctx->client, HR_RPC_TEST, &req.base,
			    &homerack__v1__test_reply__descriptor, 0,
			    (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("test", &err);
	if (ctx->json)
		print_json(reply);
	else
		print_text(reply);
	fflush(stdout);
	rc = HRCTL_EXIT_OK;
	for (size_t i = 0; i < reply->n_results; i++) {
		const Homerack__V1__TestResult *t = reply->results[i];

		if (t->ok)
			continue;
		fprintf(stderr, "hrctl: test: %s fails its round trip on %s: "
				"%s\n",
			t->revision, t->dialect, t->problem);
		rc = HRCTL_EXIT_FAILED;
		break;
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return rc;
}

const hrctl_cmd hrctl_cmd_test = {
	.name = "test",
	.args = "[RANGE] [--dev-database URL]",
	.summary = "Round trip every migration (upgrade, downgrade, upgrade) "
		   "on scratch databases.",
	.help = "      --dev-database URL  also test PostgreSQL on this "
		"postgresql:// database\n"
		"                          (in a scratch schema, rolled back); "
		"when hrd runs\n"
		"                          on PostgreSQL its own database is "
		"used that way\n"
		"RANGE is START:END as history -r reads it (either end may be "
		"left out), or\n"
		"one revision; default: every revision, branches and merges "
		"included.\n"
		"For each revision in order: upgrade, downgrade, upgrade, "
		"comparing the\n"
		"schema read back after each. The downgrade must restore "
		"exactly the\n"
		"schema from before the upgrade, the second upgrade must build "
		"what the\n"
		"first did. SQLite runs in memory. Stops at the first failing "
		"migration,\n"
		"prints what differs (a column left behind, an index not "
		"dropped, ...)\n"
		"and exits 1. The live database is never touched.\n",
	.exec = test_exec,
};
