/* cmd_current.c — `hrctl current`: the revision(s) the database is at. */
#include "hrctl.h"

static int current_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	int verbose = 0, n_pos, rc;
	const hrctl_flag flags[] = {{"verbose", 'v', &verbose, NULL}, {0}};
	Homerack__V1__CurrentReply *reply;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_current, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_current(ctx->client, &reply, &err) < 0)
		return hrctl_fail("current", &err);
	if (reply->migrations_error[0] != '\0')
		fprintf(stderr, "hrctl: warning: hrd could not load the migrations: "
				"%s\n",
			reply->migrations_error);
	if (ctx->json) {
		printf("{\"database\": ");
		hrctl_json_string(stdout, reply->database);
		printf(", \"migrations_error\": ");
		hrctl_json_string(stdout, reply->migrations_error);
		printf(", \"revisions\": [");
		for (size_t i = 0; i < reply->n_revisions; i++) {
			if (i > 0)
				printf(", ");
			hrctl_json_revision(stdout, reply->revisions[i]);
		}
		printf("]}\n");
	} else {
		if (verbose)
			printf("Current revision(s) for %s:\n", reply->database);
		for (size_t i = 0; i < reply->n_revisions; i++) {
			const Homerack__V1__Revision *r = reply->revisions[i];

			if (reply->migrations_error[0] != '\0')
				printf("%s\n", r->revision);
			else if (r->path[0] == '\0')
				/* A row no migration file describes. */
				printf("%s (no migration file)\n", r->revision);
			else if (verbose)
				hrctl_print_verbose(stdout, r, 0);
			else {
				printf("%s", r->revision);
				hrctl_print_markers(stdout, r, 0);
				printf("\n");
			}
		}
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_current = {
	.name = "current",
	.args = "[-v]",
	.summary = "Show the revision(s) the database is at.",
	.help = "  -v, --verbose   the full description of each revision\n"
		"Prints nothing when the database is at base (empty).\n",
	.exec = current_exec,
};
