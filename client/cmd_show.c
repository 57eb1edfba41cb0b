/* cmd_show.c — `hrctl show REV`: the full description of a revision. */
#include "hrctl.h"
#include "rpcnames.h"

int hrctl_show_call(hrctl_ctx *ctx, const char *what, const char *target,
		    Homerack__V1__HistoryReply **reply)
{
	Homerack__V1__ShowRequest req = HOMERACK__V1__SHOW_REQUEST__INIT;
	hr_error err;
	int rc;

	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.target = (char *)target;
	if (hr_client_unary(ctx->client, HR_RPC_SHOW, &req.base,
			    &homerack__v1__history_reply__descriptor, 0,
			    (ProtobufCMessage **)reply, &err) < 0)
		return hrctl_fail(what, &err);
	return 0;
}

static int show_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__HistoryReply *reply;
	const char *target = NULL;
	int n_pos, rc;

	if ((rc = hrctl_parse(&hrctl_cmd_show, argc, argv, NULL, &target, 1,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (n_pos != 1) {
		fprintf(stderr, "hrctl: show needs a revision (usage: hrctl "
				"show REV)\n");
		return HRCTL_EXIT_USAGE;
	}
	if ((rc = hrctl_show_call(ctx, "show", target, &reply)) != 0)
		return rc;
	hrctl_print_revisions(ctx, reply, 1, 0);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_show = {
	.name = "show",
	.args = "REV",
	.summary = "Show the revision(s) a target names, in full.",
	.help = "REV is any target: an id or prefix, head, heads, "
		"LABEL@head, current, ...\n",
	.exec = show_exec,
};
