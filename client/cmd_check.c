/* cmd_check.c — `hrctl check [--database]`: whether the models and the
 * migrations agree (Alembic's check), or whether the live database has
 * drifted from its recorded revision; exit 1 on any difference. */
#include "hrctl.h"
#include "rpcnames.h"

static int check_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__CheckRequest req = HOMERACK__V1__CHECK_REQUEST__INIT;
	Homerack__V1__CheckReply *reply;
	int database = 0, n_pos, rc;
	const hrctl_flag flags[] = {{"database", 0, &database, NULL}, {0}};
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_check, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.database = database;
	if (hr_client_unary(ctx->client, HR_RPC_CHECK,
			    &req.base, &homerack__v1__check_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("check", &err);
	if (ctx->json) {
		printf("{\"dialect\": ");
		hrctl_json_string(stdout, reply->dialect);
		printf(", \"database\": %s, \"detected\": ",
		       database ? "true" : "false");
		hrctl_json_strings(stdout, reply->detected, reply->n_detected);
		printf("}\n");
	} else if (reply->n_detected == 0) {
		printf(database ? "No drift detected: the database matches its "
				  "recorded revision.\n"
				: "No new upgrade operations detected.\n");
	} else {
		for (size_t i = 0; i < reply->n_detected; i++)
			printf("%s\n", reply->detected[i]);
	}
	fflush(stdout);
	rc = HRCTL_EXIT_OK;
	if (reply->n_detected > 0) {
		if (database)
			fprintf(stderr, "hrctl: check: the database differs "
					"from what its recorded revision "
					"creates (%zu difference%s)\n",
				reply->n_detected,
				reply->n_detected == 1 ? "" : "s");
		else
			fprintf(stderr, "hrctl: check: new upgrade operations "
					"detected (%zu): write them with hrctl "
					"revision --autogenerate -m MESSAGE\n",
				reply->n_detected);
		rc = HRCTL_EXIT_FAILED;
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return rc;
}

const hrctl_cmd hrctl_cmd_check = {
	.name = "check",
	.args = "[--database]",
	.summary = "Check whether the models and the migrations agree "
		   "(exit 1 if not).",
	.help = "      --database  compare the live database with what its "
		"recorded\n"
		"                  revision creates instead (drift: tables, "
		"columns,\n"
		"                  indexes someone changed by hand)\n"
		"Without --database: the migrations replayed to every head on a "
		"scratch\n"
		"database against the models. Prints \"No new upgrade "
		"operations\n"
		"detected.\" and exits 0, or lists the differences and exits 1 "
		"(for CI).\n",
	.exec = check_exec,
};
