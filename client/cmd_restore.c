/* cmd_restore.c — `hrctl restore [BACKUP] [--list]`: put back a backup
 * hrd took of its SQLite database before an upgrade or downgrade. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hrctl.h"
#include "rpcnames.h"

static int restore_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__RestoreRequest req = HOMERACK__V1__RESTORE_REQUEST__INIT;
	Homerack__V1__RestoreReply *reply;
	const char *backup = NULL;
	char absolute[PATH_MAX];
	int list = 0, n_pos, rc;
	const hrctl_flag flags[] = {{"list", 'l', &list, NULL}, {0}};
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_restore, argc, argv, flags, &backup,
			      1, &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if (list && backup != NULL) {
		fprintf(stderr, "hrctl: restore: --list takes no backup\n");
		return HRCTL_EXIT_USAGE;
	}
	/* hrd resolves paths from its own directory: a relative path
	 * with a directory in it is made absolute here, as the user meant
	 * it (a bare file name is looked up beside the database). */
	if (backup != NULL && backup[0] != '/' && strchr(backup, '/') &&
	    realpath(backup, absolute) != NULL)
		backup = absolute;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.backup = (char *)(backup ? backup : "");
	req.list = list;
	if (hr_client_unary(ctx->client, HR_RPC_RESTORE,
			    &req.base, &homerack__v1__restore_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("restore", &err);
	if (ctx->json) {
		printf("{\"backup\": ");
		hrctl_json_string(stdout, reply->backup);
		printf(", \"from\": ");
		hrctl_json_strings(stdout, reply->from_revisions,
				   reply->n_from_revisions);
		printf(", \"to\": ");
		hrctl_json_strings(stdout, reply->to_revisions,
				   reply->n_to_revisions);
		printf(", \"backups\": ");
		hrctl_json_strings(stdout, reply->backups, reply->n_backups);
		printf("}\n");
	} else if (list) {
		for (size_t i = 0; i < reply->n_backups; i++)
			printf("%s\n", reply->backups[i]);
	} else {
		printf("Restored %s: ", reply->backup);
		if (reply->n_from_revisions == 0)
			printf("<base>");
		hrctl_print_list(stdout, reply->from_revisions,
				 reply->n_from_revisions);
		printf(" -> ");
		if (reply->n_to_revisions == 0)
			printf("<base>");
		hrctl_print_list(stdout, reply->to_revisions,
				 reply->n_to_revisions);
		printf("\n");
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_restore = {
	.name = "restore",
	.args = "[BACKUP] | --list",
	.summary = "Put back a backup hrd took of its SQLite database.",
	.help = "  -l, --list  list the backups, oldest first\n"
		"hrd copies a SQLite database (online backup API) before every "
		"upgrade or\n"
		"downgrade that runs a step, beside it as\n"
		"DB.YYYYmmddTHHMMSS.mmmZ.REVISION.backup, keeping the newest "
		"few (hrd\n"
		"--keep-backups). restore puts one back (default: the newest) "
		"while no\n"
		"migration runs, and records it in the history table. Only "
		"hrd's own\n"
		"backups of this database are accepted. PostgreSQL: use "
		"pg_dump or\n"
		"point-in-time recovery.\n",
	.exec = restore_exec,
};
