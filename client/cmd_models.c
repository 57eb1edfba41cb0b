/* cmd_models.c — `hrctl models [-v]`: the tables the models define, as
 * the seed checks them ("Detected tables: [...]"). */
#include "hrctl.h"
#include "rpcnames.h"

static void print_json(const Homerack__V1__ModelsReply *r)
{
	printf("{\"directory\": ");
	hrctl_json_string(stdout, r->directory);
	printf(", \"dialect\": ");
	hrctl_json_string(stdout, r->dialect);
	printf(", \"files\": %u, \"tables\": [", r->files);
	for (size_t i = 0; i < r->n_tables; i++) {
		const Homerack__V1__ModelTable *t = r->tables[i];

		printf("%s{\"name\": ", i ? ", " : "");
		hrctl_json_string(stdout, t->name);
		printf(", \"source\": ");
		hrctl_json_string(stdout, t->source);
		printf(", \"renamed_from\": ");
		hrctl_json_string(stdout, t->renamed_from);
		printf(", \"columns\": [");
		for (size_t c = 0; c < t->n_columns; c++) {
			const Homerack__V1__ModelColumn *col = t->columns[c];

			printf("%s{\"name\": ", c ? ", " : "");
			hrctl_json_string(stdout, col->name);
			printf(", \"type\": ");
			hrctl_json_string(stdout, col->type);
			printf(", \"not_null\": %s, \"default\": ",
			       col->not_null ? "true" : "false");
			hrctl_json_string(stdout, col->default_value);
			printf(", \"primary_key\": %u, \"renamed_from\": ",
			       col->primary_key);
			hrctl_json_string(stdout, col->renamed_from);
			printf("}");
		}
		printf("], \"indexes\": ");
		hrctl_json_strings(stdout, t->indexes, t->n_indexes);
		printf(", \"foreign_keys\": ");
		hrctl_json_strings(stdout, t->foreign_keys, t->n_foreign_keys);
		printf(", \"checks\": ");
		hrctl_json_strings(stdout, t->checks, t->n_checks);
		printf("}");
	}
	printf("], \"enums\": ");
	hrctl_json_strings(stdout, r->enums, r->n_enums);
	printf("}\n");
}

static void print_table(const Homerack__V1__ModelTable *t)
{
	printf("\n%s", t->name);
	if (t->renamed_from[0] != '\0')
		printf(" (renamed from %s)", t->renamed_from);
	printf("  [%s]\n", t->source);
	for (size_t c = 0; c < t->n_columns; c++) {
		const Homerack__V1__ModelColumn *col = t->columns[c];

		printf("    %-24s %s%s%s%s", col->name,
		       col->type[0] ? col->type : "(no type)",
		       col->not_null ? " NOT NULL" : "",
		       col->primary_key ? " PRIMARY KEY" : "",
		       col->default_value[0] ? " DEFAULT " : "");
		printf("%s", col->default_value);
		if (col->renamed_from[0] != '\0')
			printf("  (renamed from %s)", col->renamed_from);
		printf("\n");
	}
	for (size_t k = 0; k < t->n_indexes; k++)
		printf("    index %s\n", t->indexes[k]);
	for (size_t k = 0; k < t->n_foreign_keys; k++)
		printf("    foreign key %s\n", t->foreign_keys[k]);
	for (size_t k = 0; k < t->n_checks; k++)
		printf("    check (%s)\n", t->checks[k]);
}

static int models_exec(hrctl_ctx *ctx, int argc, char **argv)
{
	Homerack__V1__ModelsRequest req = HOMERACK__V1__MODELS_REQUEST__INIT;
	Homerack__V1__ModelsReply *reply;
	int verbose = 0, n_pos, rc;
	const hrctl_flag flags[] = {{"verbose", 'v', &verbose, NULL}, {0}};
	hr_error err;

	if ((rc = hrctl_parse(&hrctl_cmd_models, argc, argv, flags, NULL, 0,
			      &n_pos)) != 0)
		return rc > 0 ? HRCTL_EXIT_OK : HRCTL_EXIT_USAGE;
	if ((rc = hrctl_connect(ctx)) != 0)
		return rc;
	if (hr_client_unary(ctx->client, HR_RPC_MODELS,
			    &req.base, &homerack__v1__models_reply__descriptor,
			    0, (ProtobufCMessage **)&reply, &err) < 0)
		return hrctl_fail("models", &err);
	if (ctx->json) {
		print_json(reply);
	} else {
		printf("Detected tables: [");
		for (size_t i = 0; i < reply->n_tables; i++)
			printf("%s'%s'", i ? ", " : "", reply->tables[i]->name);
		printf("]\n");
		if (verbose) {
			printf("(%u file%s in %s, read back by %s)\n",
			       reply->files, reply->files == 1 ? "" : "s",
			       reply->directory, reply->dialect);
			for (size_t i = 0; i < reply->n_enums; i++)
				printf("enum %s\n", reply->enums[i]);
			for (size_t i = 0; i < reply->n_tables; i++)
				print_table(reply->tables[i]);
		}
	}
	protobuf_c_message_free_unpacked(&reply->base, NULL);
	return HRCTL_EXIT_OK;
}

const hrctl_cmd hrctl_cmd_models = {
	.name = "models",
	.args = "[-v]",
	.summary = "List the tables the models define.",
	.help = "  -v, --verbose  also columns, indexes, foreign keys and "
		"checks\n"
		"The models are hrd's --models directory (docs/models.md), "
		"read back\n"
		"by a scratch database of hrd's own dialect.\n",
	.exec = models_exec,
};
