/* cmd_verify.c — `hrctl verify`: applied migrations whose file changed
 * or disappeared since they ran; exit 1 when there are any. */
#include "hrctl.h"
#include "rpcnames.h"

static const char *kind_name(Homerack__V1__VerifyProblem__Kind kind)
{
	switch (kind) {
	case HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_CHANGED:
		return "changed";
	case HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_MISSING:
		return "missing";
	case HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_UNREADABLE:
		return "unreadable";
	default:
		return "unknown";
	}
}

static void print_json(const Homerack__V1__VerifyReply *reply)
{
	printf("{\"checked\": %u, \"unrecorded\": %u, \"problems\": [",
	       reply->checked, reply->unrecorded);
	for (size_t i = 0; i < reply->n_problems; i++) {
		const Homerack__V1__VerifyProblem *p = reply->problems[i];

		printf("%s{\"kind\": \"%s\", \"revision\": ", i ? ", " : "",
		       kind_name(p->kind));
		hrctl_json_string(stdout, p->revision);
		printf(", \"path\": ");
		hrctl_json_string(stdout, p->path);
		printf(", \"recorded_checksum\": ");
		hrctl_json_string(stdout, p->recorded_checksum);
		printf(", \"file_checksum\": ");
		hrctl_json_string(stdout, p->file_checksum);
		printf(", \"detail\": ");
		hrctl_json_string(stdout, p->detail);
		printf("}");
	}
	printf("]}\n");
}

static int verify_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__VerifyRequest req = HOMERACK__V1__VERIFY_REQUEST__INIT;
	Homerack__V1__VerifyReply *reply;
	int n_pos, rc;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_verify, argc, argv, NULL, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_unary(ctx->client, HR_RPC_VERIFY,
			    &req.base, &homerack__v1__verify_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("verify", &err);
	if (ctx->json) {
		print_json(reply);
	} else {
		for (size_t i = 0; i < reply->n_problems; i++)
			printf("%s: %s\n", kind_name(reply->problems[i]->kind),
			       reply->problems[i]->detail);
		printf("%u applied migration%s match%s %s recorded "
		       "checksum%s",
		       reply->checked, reply->checked == 1 ? "" : "s",
		       reply->checked == 1 ? "es" : "",
		       reply->checked == 1 ? "its" : "their",
		       reply->checked == 1 ? "" : "s");
		if (reply->unrecorded > 0)
			printf("; %u applied without a recorded checksum "
			       "(stamped, or by Alembic)",
			       reply->unrecorded);
		printf("\n");
	}
	fflush(stdout);
	rc = HRCTL_EXIT_OK;
	if (reply->n_problems > 0) {
		fprintf(stderr, "hrctl: verify: %zu problem%s with applied "
				"migrations\n",
			reply->n_problems, reply->n_problems == 1 ? "" : "s");
		rc = HRCTL_EXIT_FAILED;
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return rc;
}

const hrctl_cmd hrctl_cmd_verify = {
	.name = "verify",
	.args = "",
	.summary = "Check applied migrations' files against their recorded "
		   "checksums.",
	.help = "Lists applied migrations whose file changed (line endings "
		"aside) or\n"
		"disappeared since they ran, and files that do not parse; "
		"exits 1 when\n"
		"there are any. `upgrade` refuses to run while one has "
		"changed.\n",
	.exec = verify_exec,
};
