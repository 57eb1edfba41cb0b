/* cmd_stamp.c — `hrctl stamp TARGET`: set the version, run nothing. */
#include "hrctl.h"

static void print_rows(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", items[i]);
}

static int stamp_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	const char *target = NULL;
	int n_pos, rc;
	Homerack__V1__StampRequest req = HOMERACK__V1__STAMP_REQUEST__INIT;
	Homerack__V1__StampReply *reply;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_stamp, argc, argv, NULL, &target, 1,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (n_pos != 1) {
		fprintf(stderr, "hrctl: stamp needs a target (usage: hrctl "
				"stamp TARGET)\n");
		return HRCTL_EXIT_USAGE;
	}
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.target = (char *)target;
	if (hr_client_unary(ctx->client, "/homerack.v1.Schema/Stamp", &req.base,
			    &homerack__v1__stamp_reply__descriptor, 0,
			    (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("stamp", &err);
	if (ctx->json) {
		printf("{\"previous\": ");
		hrctl_json_strings(stdout, reply->previous, reply->n_previous);
		printf(", \"revisions\": ");
		hrctl_json_strings(stdout, reply->revisions, reply->n_revisions);
		printf("}\n");
	} else {
		printf("Running stamp_revision ");
		print_rows(reply->previous, reply->n_previous);
		printf(" -> ");
		print_rows(reply->revisions, reply->n_revisions);
		printf("\n");
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_stamp = {
	.name = "stamp",
	.args = "TARGET",
	.summary = "Set the version table to TARGET without running "
		   "migrations.",
	.help = "For a database whose schema already matches TARGET (e.g. "
		"made by\n"
		"another tool). `stamp base` empties the version table.\n",
	.exec = stamp_exec,
};
