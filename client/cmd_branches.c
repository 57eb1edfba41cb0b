/* cmd_branches.c — `hrctl branches`: the branch points and their
 * branches, as `alembic branches` shows them. */
#include <string.h>

#include "hrctl.h"
#include "rpcnames.h"

static const Homerack__V1__Revision *
find(const Homerack__V1__HistoryReply *reply, const char *id)
{
	for (size_t i = 0; i < reply->n_revisions; i++)
		if (strcmp(reply->revisions[i]->revision, id) == 0)
			return reply->revisions[i];
	return NULL;
}

static void print_branch_point(const Homerack__V1__HistoryReply *reply,
			       const Homerack__V1__Revision *r, int verbose)
{
	/* The verbose block ends in a blank line already. */
	if (verbose) {
		hrctl_print_verbose(stdout, r, 0);
	} else {
		hrctl_print_line(stdout, r,
				 HRCTL_SHOW_BRANCHES | HRCTL_SHOW_TREE);
		printf("\n");
	}
	for (size_t j = 0; j < r->n_children; j++) {
		const Homerack__V1__Revision *child =
			find(reply, r->children[j]);

		printf("%*s -> ", (int)strlen(r->revision), "");
		if (child != NULL)
			hrctl_print_line(stdout, child,
					 HRCTL_SHOW_BRANCHES | HRCTL_SHOW_TREE |
						 (verbose ? HRCTL_SHOW_DOC : 0));
		else
			printf("%s", r->children[j]);
		printf("\n");
	}
	printf("\n");
}

static int branches_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__HistoryRequest req = HOMERACK__V1__HISTORY_REQUEST__INIT;
	Homerack__V1__HistoryReply *reply;
	int verbose = 0, n_pos, rc, first = 1;
	const hrctl_flag flags[] = {{"verbose", 'v', &verbose, NULL}, {0}};
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_branches, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_unary(ctx->client, HR_RPC_HISTORY,
			    &req.base, &homerack__v1__history_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("branches", &err);
	if (ctx->json)
		printf("{\"branchpoints\": [");
	for (size_t i = 0; i < reply->n_revisions; i++) {
		const Homerack__V1__Revision *r = reply->revisions[i];

		if (r->n_children < 2)
			continue;
		if (!ctx->json) {
			print_branch_point(reply, r, verbose);
			continue;
		}
		printf("%s", first ? "" : ", ");
		hrctl_json_revision(stdout, r);
		first = 0;
	}
	if (ctx->json)
		printf("]}\n");
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_branches = {
	.name = "branches",
	.args = "[-v]",
	.summary = "Show the branch points and the branches leaving them.",
	.help = "  -v, --verbose   the full description of each branch point\n",
	.exec = branches_exec,
};
