/* cmd_history.c — `hrctl history`: the revisions, newest first. */
#include "hrctl.h"
#include "rpcnames.h"

static int history_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	int verbose = 0, indicate = 0, n_pos, rc;
	const char *range = NULL;
	const hrctl_flag flags[] = {
		{"verbose", 'v', &verbose, NULL},
		{"indicate-current", 'i', &indicate, NULL},
		{"rev-range", 'r', NULL, &range},
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
	req.range = (char *)(range ? range : "");
	if (hr_client_unary(ctx->client, HR_RPC_HISTORY,
			    &req.base, &homerack__v1__history_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("history", &err);
	hrctl_print_revisions(ctx, reply, verbose,
			      HRCTL_SHOW_PARENTS | HRCTL_SHOW_BRANCHES |
				      HRCTL_SHOW_TREE | HRCTL_SHOW_DOC |
				      (indicate ? HRCTL_SHOW_CURRENT : 0));
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_history = {
	.name = "history",
	.args = "[-r START:END] [-v] [-i]",
	.summary = "List the revisions, newest first.",
	.help = "  -r, --rev-range START:END  only the revisions from START up "
		"to END\n"
		"                             (either may be left out: base, "
		"heads;\n"
		"                             START may be -N below END, END +N "
		"above START)\n"
		"  -v, --verbose              the full description of each "
		"revision\n"
		"  -i, --indicate-current     mark the revision(s) the database "
		"is at\n",
	.exec = history_exec,
};
