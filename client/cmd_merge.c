/* cmd_merge.c — `hrctl merge REV... -m MSG`: a migration merging several
 * revisions (`heads` for all) into one head. */
#include <stdlib.h>

#include "hrctl.h"
#include "rpcnames.h"

/* More revisions than this in one merge are a mistake. */
#define MERGE_MAX 64

static int merge_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	const char *revisions[MERGE_MAX], *message = NULL, *labels = NULL,
						    *rev_id = NULL;
	const hrctl_flag flags[] = {
		{"message", 'm', NULL, &message},
		{"branch-label", 0, NULL, &labels},
		{"rev-id", 0, NULL, &rev_id},
		{0},
	};
	Homerack__V1__MergeRequest req = HOMERACK__V1__MERGE_REQUEST__INIT;
	Homerack__V1__RevisionReply *reply;
	hrctl_list label_list;
	int n_pos, rc;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_merge, argc, argv, flags, revisions,
			      MERGE_MAX, &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (n_pos == 0 || message == NULL) {
		fprintf(stderr, "hrctl: merge needs revisions and a message "
				"(usage: hrctl merge %s)\n",
			hrctl_cmd_merge.args);
		return HRCTL_EXIT_USAGE;
	}
	if (hrctl_split_list(labels, &label_list) < 0) {
		fprintf(stderr, "hrctl: merge: too many branch labels\n");
		return HRCTL_EXIT_USAGE;
	}
	if ((rc = hrctl_connect(ctx)) == 0) {
		req.revisions = (char **)revisions;
		req.n_revisions = (size_t)n_pos;
		req.message = (char *)message;
		req.branch_labels = label_list.items;
		req.n_branch_labels = label_list.n;
		req.rev_id = (char *)(rev_id ? rev_id : "");
		if (hr_client_unary(ctx->client, HR_RPC_MERGE,
				    &req.base,
				    &homerack__v1__revision_reply__descriptor,
				    0, (ProtobufCMessage **)&reply, &err) < 0) {
			rc = hrctl_fail("merge", &err);
		} else {
			rc = hrctl_print_new_revision(ctx, reply);
			protobuf_c_message_free_unpacked(&reply->base, NULL);
		}
	}
	free(label_list.copy);
	return rc;
}

const hrctl_cmd hrctl_cmd_merge = {
	.name = "merge",
	.args = "REV... -m MESSAGE [--branch-label L] [--rev-id ID]",
	.summary = "Write a migration merging revisions (e.g. heads) into "
		   "one.",
	.help = "  -m, --message MESSAGE  one line; also the file name's slug\n"
		"      --branch-label L   name the merged branch\n"
		"      --rev-id ID        the id (default: 12 random hex "
		"characters)\n"
		"REV is any target naming revisions of separate branches; "
		"`heads` merges\n"
		"every head. Only admins may add revisions.\n",
	.exec = merge_exec,
};
