/* cmd_heads.c — `hrctl heads`: the heads of the revision graph. */
#include "hrctl.h"

static int heads_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__HistoryReply *reply;
	int verbose = 0, n_pos, rc;
	const hrctl_flag flags[] = {{"verbose", 'v', &verbose, NULL}, {0}};

	if ((rc = hrctl_parse(&hrctl_cmd_heads, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_show_call(ctx, "heads", "heads", &reply)) != 0)
		return rc;
	hrctl_print_revisions(ctx, reply, verbose, HRCTL_SHOW_BRANCHES);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_heads = {
	.name = "heads",
	.args = "[-v]",
	.summary = "Show the heads: revisions no other revision builds on.",
	.help = "  -v, --verbose   the full description of each head\n"
		"A head that another revision depends on (depends_on) shows "
		"as\n"
		"(effective head).\n",
	.exec = heads_exec,
};
