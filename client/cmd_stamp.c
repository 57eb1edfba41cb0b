/* cmd_stamp.c — `hrctl stamp REV...`: set the version, run nothing. */
#include <stdlib.h>

#include "hrctl.h"
#include "rpcnames.h"

/* More revisions than this on one command line are a mistake. */
#define STAMP_TARGETS_MAX 64

static int stamp_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	const char *targets[STAMP_TARGETS_MAX];
	int n_pos, rc, purge = 0, sql = 0;
	const char *timeout = NULL;
	const hrctl_flag flags[] = {
		{"purge", 0, &purge, NULL},
		{"sql", 0, &sql, NULL},
		{"timeout", 't', NULL, &timeout},
		{0},
	};
	unsigned long timeout_s = 0;
	char *end;
	Homerack__V1__StampRequest req = HOMERACK__V1__STAMP_REQUEST__INIT;
	Homerack__V1__StampReply *reply;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_stamp, argc, argv, flags, targets,
			      STAMP_TARGETS_MAX, &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (n_pos == 0) {
		fprintf(stderr, "hrctl: stamp needs a target (usage: hrctl "
				"stamp %s)\n",
			hrctl_cmd_stamp.args);
		return HRCTL_EXIT_USAGE;
	}
	if (sql)
		return hrctl_script(
			ctx, "stamp",
			HOMERACK__V1__SCRIPT_REQUEST__COMMAND__COMMAND_STAMP,
			targets, (size_t)n_pos, purge);
	if (timeout != NULL) {
		timeout_s = strtoul(timeout, &end, 10);
		if (*end != '\0' || end == timeout || timeout_s > 86400 * 7) {
			fprintf(stderr, "hrctl: stamp: bad --timeout '%s' (whole "
					"seconds)\n",
				timeout);
			return HRCTL_EXIT_USAGE;
		}
	}
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.targets = (char **)targets;
	req.n_targets = (size_t)n_pos;
	req.purge = purge;
	if (hr_client_unary(ctx->client, HR_RPC_STAMP, &req.base,
			    &homerack__v1__stamp_reply__descriptor,
			    (uint32_t)(timeout_s * 1000),
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
		hrctl_print_list(stdout, reply->previous, reply->n_previous);
		printf(" -> ");
		hrctl_print_list(stdout, reply->revisions, reply->n_revisions);
		printf("\n");
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_stamp = {
	.name = "stamp",
	.args = "REV... [--purge] [--sql] [--timeout SECONDS]",
	.summary = "Set the version table to REV(s) without running "
		   "migrations.",
	.help = "      --purge  empty the version table first (for rows no "
		"migration knows)\n"
		"      --sql    print the SQL instead ([START:]END per REV); "
		"the database\n"
		"               is not touched\n"
		"  -t, --timeout SECONDS  give up after that long (waiting "
		"for another\n"
		"               change or a lock); nothing is stamped then\n"
		"For a database whose schema already matches REV (e.g. made "
		"by another\n"
		"tool). Each REV replaces the rows on its line of descent; "
		"`stamp base`\n"
		"empties the table. Several REVs stamp several branch "
		"heads.\n",
	.exec = stamp_exec,
};
