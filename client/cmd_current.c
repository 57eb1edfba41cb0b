/* cmd_current.c — `hrctl current`: the revision(s) the database is at. */
#include <stdlib.h>
#include <string.h>

#include "dburl.h"
#include "hrctl.h"
#include "rpcnames.h"

/* Whether the rows are exactly the heads (in any order). */
static int rows_are_heads(const Homerack__V1__CurrentReply *cur,
			  const Homerack__V1__HistoryReply *heads)
{
	if (cur->n_revisions != heads->n_revisions)
		return 0;
	for (size_t i = 0; i < cur->n_revisions; i++) {
		size_t j = 0;

		while (j < heads->n_revisions &&
		       strcmp(heads->revisions[j]->revision,
			      cur->revisions[i]->revision) != 0)
			j++;
		if (j == heads->n_revisions)
			return 0;
	}
	return 1;
}

static void print_ids(FILE *out, Homerack__V1__Revision *const *revs,
		      size_t n)
{
	if (n == 0)
		fputs("<base>", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", revs[i]->revision);
}

/* The database URL hrd reported, redacted once more by our own reading
 * (hrd already hid the password, with libpq's). Caller frees. */
static char *shown_database(const Homerack__V1__CurrentReply *reply)
{
	char *shown = hr_dburl_redact(reply->database);

	return shown != NULL ? shown : strdup("(out of memory)");
}

static void print_json(const Homerack__V1__CurrentReply *reply,
		       const Homerack__V1__HistoryReply *heads, int at_heads)
{
	char *database = shown_database(reply);

	printf("{\"database\": ");
	hrctl_json_string(stdout, database ? database : "");
	free(database);
	printf(", \"migrations_error\": ");
	hrctl_json_string(stdout, reply->migrations_error);
	printf(", \"revisions\": ");
	hrctl_json_revisions(stdout, reply->revisions, reply->n_revisions);
	printf(", \"implied\": ");
	hrctl_json_revisions(stdout, reply->implied, reply->n_implied);
	if (heads != NULL) {
		printf(", \"heads\": ");
		hrctl_json_revisions(stdout, heads->revisions,
				     heads->n_revisions);
		printf(", \"at_heads\": %s", at_heads ? "true" : "false");
	}
	printf("}\n");
}

static void print_text(const Homerack__V1__CurrentReply *reply, int verbose)
{
	if (verbose) {
		char *database = shown_database(reply);

		printf("Current revision(s) for %s:\n",
		       database ? database : "");
		free(database);
	}
	for (size_t i = 0; i < reply->n_revisions; i++) {
		const Homerack__V1__Revision *r = reply->revisions[i];

		if (reply->migrations_error[0] != '\0') {
			printf("%s\n", r->revision);
		} else if (r->path[0] == '\0') {
			/* A row no migration file describes. */
			printf("%s (no migration file)\n", r->revision);
		} else if (verbose) {
			hrctl_print_verbose(stdout, r, 0);
		} else {
			hrctl_print_line(stdout, r, HRCTL_SHOW_TREE);
			printf("\n");
		}
	}
	/* Applied revisions a dependent's row stands for: Alembic's current
	 * lists them too. */
	for (size_t i = 0; i < reply->n_implied; i++) {
		if (verbose) {
			hrctl_print_verbose(stdout, reply->implied[i], 0);
			continue;
		}
		hrctl_print_line(stdout, reply->implied[i], HRCTL_SHOW_TREE);
		printf("\n");
	}
}

static int current_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	int verbose = 0, check_heads = 0, at_heads = 1, n_pos, rc;
	const hrctl_flag flags[] = {
		{"verbose", 'v', &verbose, NULL},
		{"check-heads", 0, &check_heads, NULL},
		{0},
	};
	Homerack__V1__ShowRequest show = HOMERACK__V1__SHOW_REQUEST__INIT;
	Homerack__V1__CurrentReply *reply;
	Homerack__V1__HistoryReply *heads = NULL;
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_current, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_current(ctx->client, &reply, &err) < 0)
		return hrctl_fail("current", &err);
	if (reply->migrations_error[0] != '\0')
		fprintf(stderr, "hrctl: warning: hrd could not load the migrations: "
				"%s\n",
			reply->migrations_error);
	if (check_heads) {
		show.target = "heads";
		if (hr_client_unary(ctx->client, HR_RPC_SHOW,
				    &show.base,
				    &homerack__v1__history_reply__descriptor, 0,
				    (ProtobufCMessage **)&heads, &err) < 0) {
			protobuf_c_message_free_unpacked(&reply->base, NULL);
			return hrctl_fail("current", &err);
		}
		at_heads = rows_are_heads(reply, heads);
	}
	if (ctx->json)
		print_json(reply, heads, at_heads);
	else
		print_text(reply, verbose);
	rc = HRCTL_EXIT_OK;
	if (!at_heads) {
		fflush(stdout);
		fprintf(stderr, "hrctl: current: the database is not at the "
				"heads: it is at ");
		print_ids(stderr, reply->revisions, reply->n_revisions);
		fprintf(stderr, "; the heads are ");
		print_ids(stderr, heads->revisions, heads->n_revisions);
		fprintf(stderr, "\n");
		rc = HRCTL_EXIT_FAILED;
	}
	if (heads != NULL)
		protobuf_c_message_free_unpacked(&heads->base, NULL);
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return rc;
}

const hrctl_cmd hrctl_cmd_current = {
	.name = "current",
	.args = "[-v] [--check-heads]",
	.summary = "Show the revision(s) the database is at.",
	.help = "  -v, --verbose   the full description of each revision\n"
		"      --check-heads  exit 1 unless the database is at every "
		"head\n"
		"Prints nothing when the database is at base (empty).\n",
	.exec = current_exec,
};
