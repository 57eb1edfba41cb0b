/* cmd_history.c — `hrctl history`: every revision, newest first. */
#include "hrctl.h"

static int history_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	int verbose = 0, indicate = 0, n_pos, rc;
	const hrctl_flag flags[] = {
		{"verbose", 'v', &verbose, NULL},
		{"indicate-current", 'i', &indicate, NULL},
		{0},
	};
	Homerack__V1__HistoryRequest req = HOMERACK__V1__HISTORY_REQUEST__INIT;
	Homerack__V1__HistoryReply *reply;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_history, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_unary(ctx->client, "/homerack.v1.Schema/History",
			    &req.base, &homerack__v1__history_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("history", &err);
	if (ctx->json) {
		printf("{\"revisions\": [");
		for (size_t i = 0; i < reply->n_revisions; i++) {
			if (i > 0)
				printf(", ");
			hrctl_json_revision(stdout, reply->revisions[i]);
		}
		printf("]}\n");
	}
	for (size_t i = 0; !ctx->json && i < reply->n_revisions; i++) {
		const Homerack__V1__Revision *r = reply->revisions[i];

		if (verbose) {
			hrctl_print_verbose(stdout, r, indicate);
			continue;
		}
		hrctl_print_parents(stdout, r);
		printf(" -> %s", r->revision);
		hrctl_print_markers(stdout, r, indicate);
		printf(", %s\n", r->message);
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_history = {
	.name = "history",
	.args = "[-v] [-i]",
	.summary = "List the revisions, newest first.",
	.help = "  -v, --verbose            the full description of each "
		"revision\n"
		"  -i, --indicate-current   mark the revision(s) the database "
		"is at\n",
	.exec = history_exec,
};
