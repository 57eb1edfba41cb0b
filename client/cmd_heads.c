/* cmd_heads.c — `hrctl heads`: the heads of the revision graph. */
#include <stdlib.h>

#include "hrctl.h"
#include "rpcnames.h"

/* Every head, effective ones included, as Alembic's `heads` lists them:
 * History's revisions that are heads. */
static int all_heads(hrctl_ctx *ctx, int verbose)
{
	Homerack__V1__HistoryRequest req = HOMERACK__V1__HISTORY_REQUEST__INIT;
	Homerack__V1__HistoryReply *reply,
		heads = HOMERACK__V1__HISTORY_REPLY__INIT;
	hr_error err;
	int rc;

	req.heads_only = 1;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_unary(ctx->client, HR_RPC_HISTORY,
			    &req.base, &homerack__v1__history_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("heads", &err);
	heads.revisions = calloc(reply->n_revisions + 1, sizeof *heads.revisions);
	if (heads.revisions == NULL) {
		protobuf_c_message_free_unpacked(&reply->base, NULL);
		fprintf(stderr, "hrctl: heads: out of memory\n");
		return HRCTL_EXIT_FAILED;
	}
	/* History is newest first; heads go oldest first, as `heads`
	 * targets resolve. */
	for (size_t i = reply->n_revisions; i-- > 0;)
		if (reply->revisions[i]->is_head)
			heads.revisions[heads.n_revisions++] =
				reply->revisions[i];
	hrctl_print_revisions(ctx, &heads, verbose, HRCTL_SHOW_BRANCHES);
	free(heads.revisions);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

static int heads_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__HistoryReply *reply;
	int verbose = 0, resolve = 0, n_pos, rc;
	const hrctl_flag flags[] = {
		{"verbose", 'v', &verbose, NULL},
		{"resolve-dependencies", 0, &resolve, NULL},
		{0},
	};

	if ((rc = hrctl_parse(&hrctl_cmd_heads, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (!resolve)
		return all_heads(ctx, verbose);
	/* The `heads` target: without the heads others depend on. */
	if ((rc = hrctl_show_call(ctx, "heads", "heads", &reply)) != 0)
		return rc;
	hrctl_print_revisions(ctx, reply, verbose, HRCTL_SHOW_BRANCHES);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_heads = {
	.name = "heads",
	.args = "[-v] [--resolve-dependencies]",
	.summary = "Show the heads: revisions no other revision builds on.",
	.help = "  -v, --verbose               the full description of each "
		"head\n"
		"      --resolve-dependencies  leave out heads another head "
		"depends on\n"
		"A head that another revision depends on (depends_on) shows "
		"as\n"
		"(effective head).\n",
	.exec = heads_exec,
};
