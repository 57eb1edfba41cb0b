/*
 * script.c — `upgrade --sql`, `downgrade --sql`, `stamp --sql`: ask hrd
 * for the SQL it would run (offline mode) and print it. The database is
 * never touched; hrd knows the dialect and the files.
 */
#include <stdlib.h>
#include <string.h>

#include "hrctl.h"
#include "rpcnames.h"

typedef struct script_state {
	int json;
	int chunks;
	char *dialect;
} script_state;

static int print_chunk(void *ud, const uint8_t *data, size_t len)
{
	script_state *ss = ud;
	Homerack__V1__ScriptChunk *c =
		homerack__v1__script_chunk__unpack(NULL, len, data);

	if (c == NULL)
		return 0;
	if (ss->dialect == NULL && c->dialect[0] != '\0')
		ss->dialect = strdup(c->dialect);
	if (ss->json) {
		printf("%s", ss->chunks ? ", " : "");
		hrctl_json_string(stdout, c->sql);
	} else {
		fputs(c->sql, stdout);
	}
	ss->chunks++;
	homerack__v1__script_chunk__free_unpacked(c, NULL);
	return 0;
}

int hrctl_script(hrctl_ctx *ctx, const char *what,
		 Homerack__V1__ScriptRequest__Command command,
		 const char *const *targets, size_t n_targets, int purge)
{
	Homerack__V1__ScriptRequest req = HOMERACK__V1__SCRIPT_REQUEST__INIT;
	script_state ss = {.json = ctx->json};
	hr_error err;
	int rc;

	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	req.command = command;
	req.targets = (char **)targets;
	req.n_targets = n_targets;
	req.purge = purge;
	if (ctx->json)
		printf("{\"chunks\": [");
	rc = hr_client_call(ctx->client, HR_RPC_SCRIPT,
			    &req.base, 0, print_chunk, &ss, &err);
	if (ctx->json) {
		printf("], \"dialect\": ");
		hrctl_json_string(stdout, ss.dialect ? ss.dialect : "");
		printf("}\n");
	}
	fflush(stdout);
	free(ss.dialect);
	if (rc < 0)
		return hrctl_fail(what, &err);
	return HRCTL_EXIT_OK;
}
