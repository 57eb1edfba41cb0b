/* cmd_revision.c — `hrctl revision -m MSG`: a new, empty migration file
 * on the current head, written by hrd into its migrations directory. */
#include <stdlib.h>
#include <string.h>

#include "hrctl.h"

int hrctl_split_list(const char *text, hrctl_list *out)
{
	char *save = NULL, *item;

	out->n = 0;
	out->copy = NULL;
	if (text == NULL)
		return 0;
	out->copy = strdup(text);
	if (out->copy == NULL)
		return -1;
	for (item = strtok_r(out->copy, ", ", &save); item != NULL;
	     item = strtok_r(NULL, ", ", &save)) {
		if (out->n == HRCTL_LIST_MAX)
			return -1;
		out->items[out->n++] = item;
	}
	return 0;
}

/* "  Generating PATH ...  done", as Alembic says it. */
int hrctl_print_new_revision(hrctl_ctx *ctx,
			     const Homerack__V1__RevisionReply *reply)
{
	if (reply->revision == NULL)
		return HRCTL_EXIT_FAILED;
	if (ctx->json) {
		printf("{\"revision\": ");
		hrctl_json_revision(stdout, reply->revision);
		printf("}\n");
	} else {
		printf("  Generating %s ...  done\n", reply->revision->path);
	}
	return HRCTL_EXIT_OK;
}

static int revision_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	const char *message = NULL, *head = NULL, *labels = NULL,
		   *deps = NULL, *rev_id = NULL;
	int splice = 0, n_pos, rc;
	const hrctl_flag flags[] = {
		{"message", 'm', NULL, &message},
		{"head", 0, NULL, &head},
		{"splice", 0, &splice, NULL},
		{"branch-label", 0, NULL, &labels},
		{"depends-on", 0, NULL, &deps},
		{"rev-id", 0, NULL, &rev_id},
		{0},
	};
	Homerack__V1__RevisionRequest req = HOMERACK__V1__REVISION_REQUEST__INIT;
	Homerack__V1__RevisionReply *reply;
	hrctl_list label_list, dep_list;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_revision, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (message == NULL) {
		fprintf(stderr, "hrctl: revision needs a message (usage: hrctl "
				"revision -m MESSAGE)\n");
		return HRCTL_EXIT_USAGE;
	}
	rc = hrctl_split_list(labels, &label_list);
	if (rc == 0)
		rc = hrctl_split_list(deps, &dep_list);
	if (rc < 0) {
		fprintf(stderr, "hrctl: revision: too many list items (limit "
				"%d)\n",
			HRCTL_LIST_MAX);
		return HRCTL_EXIT_USAGE;
	}
	if ((rc = hrctl_connect(ctx)) == 0) {
		req.message = (char *)message;
		req.head = (char *)(head ? head : "");
		req.splice = splice;
		req.branch_labels = label_list.items;
		req.n_branch_labels = label_list.n;
		req.depends_on = dep_list.items;
		req.n_depends_on = dep_list.n;
		req.rev_id = (char *)(rev_id ? rev_id : "");
		if (hr_client_unary(ctx->client, "/homerack.v1.Schema/Revision",
				    &req.base,
				    &homerack__v1__revision_reply__descriptor,
				    0, (ProtobufCMessage **)&reply, &err) < 0) {
			rc = hrctl_fail("revision", &err);
		} else {
			rc = hrctl_print_new_revision(ctx, reply);
			protobuf_c_message_free_unpacked(&reply->base, NULL);
		}
	}
	free(label_list.copy);
	free(dep_list.copy);
	return rc;
}

const hrctl_cmd hrctl_cmd_revision = {
	.name = "revision",
	.args = "-m MESSAGE [--head REV] [--splice] [--branch-label L] "
		"[--depends-on REV] [--rev-id ID]",
	.summary = "Write a new, empty migration file (hrd writes it).",
	.help = "  -m, --message MESSAGE  one line; also the file name's slug\n"
		"      --head REV         the parent (default: the head; "
		"`base` starts a\n"
		"                         new base)\n"
		"      --splice           allow a parent that is not a head (a "
		"new branch)\n"
		"      --branch-label L   name the new branch (comma-separate "
		"several)\n"
		"      --depends-on REV   revisions or branch labels to apply "
		"first\n"
		"                         (comma-separated)\n"
		"      --rev-id ID        the id (default: 12 random hex "
		"characters)\n"
		"The file lands in hrd's migrations directory as "
		"ID_SLUG.sql and\n"
		"hrd loads it at once. Only admins may add revisions.\n",
	.exec = revision_exec,
};
