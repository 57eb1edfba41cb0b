/*
 * models.c — Models: the tables the models define, as hrd's database
 * reads them back (`hrctl models`, the seed's "Detected tables" check).
 *
 * The models are built on a scratch database of hrd's dialect, so the
 * types, defaults and constraints shown are the database's own. That
 * may wait on the network (PostgreSQL), so it runs as a job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "methods.h"
#include "models.h"
#include "rpcnames.h"

struct hr_models *hr_method_need_models(hr_call *call)
{
	hr_server *server = call->server;
	hr_models_state *ms = hr_models_state_of(server);

	if (ms->models == NULL) {
		hr_call_finish(call, HR_FAILED_PRECONDITION,
			       "models are not loaded: %s", ms->error.msg);
		return NULL;
	}
	if (!hr_models_present(ms->models)) {
		hr_call_finish(call, HR_FAILED_PRECONDITION,
			       "no models directory %s (hrd --models DIR; "
			       "docs/models.md)",
			       server->cfg.models_dir);
		return NULL;
	}
	return hr_models_ref(ms->models);
}

/* The strings the reply points at: freed together after packing. */
typedef struct arena {
	hr_strlist s;
	int failed;
} arena;

static char *keep(arena *a, char *s)
{
	if (s == NULL || hr_strlist_push(&a->s, s) < 0) {
		a->failed = 1;
		free(s);
		return (char *)"";
	}
	free(s);
	return a->s.items[a->s.n - 1];
}

static char *joined(arena *a, const hr_strlist *l)
{
	hr_buf b = {0};

	for (size_t i = 0; i < l->n; i++)
		hr_buf_printf(&b, "%s%s", i ? ", " : "", l->items[i]);
	return keep(a, hr_buf_take(&b));
}

static char *describe_index(arena *a, const hr_index *ix)
{
	hr_buf b = {0};

	hr_buf_printf(&b, "%s%s (", ix->unique ? "UNIQUE " : "", ix->name);
	for (size_t i = 0; i < ix->columns.n; i++)
		hr_buf_printf(&b, "%s%s", i ? ", " : "", ix->columns.items[i]);
	hr_buf_puts(&b, ")");
	if (ix->where)
		hr_buf_printf(&b, " WHERE %s", ix->where);
	return keep(a, hr_buf_take(&b));
}

static char *describe_fkey(arena *a, const hr_fkey *fk)
{
	hr_buf b = {0};
	char *cols = joined(a, &fk->columns), *refs = joined(a, &fk->ref_columns);

	hr_buf_printf(&b, "(%s) -> %s (%s)", cols, fk->ref_table, refs);
	if (fk->on_delete && strcmp(fk->on_delete, "NO ACTION") != 0)
		hr_buf_printf(&b, " ON DELETE %s", fk->on_delete);
	if (fk->on_update && strcmp(fk->on_update, "NO ACTION") != 0)
		hr_buf_printf(&b, " ON UPDATE %s", fk->on_update);
	return keep(a, hr_buf_take(&b));
}

/* "path:line" sorts by path, then by line as a number. */
static int by_source(const void *x, const void *y)
{
	const Homerack__V1__ModelTable *a = *(Homerack__V1__ModelTable *const *)x,
				       *b = *(Homerack__V1__ModelTable *const *)y;
	const char *ca = strrchr(a->source, ':'), *cb = strrchr(b->source, ':');
	size_t la = ca ? (size_t)(ca - a->source) : strlen(a->source),
	       lb = cb ? (size_t)(cb - b->source) : strlen(b->source);
	int c = strncmp(a->source, b->source, la < lb ? la : lb);

	if (c == 0 && la != lb)
		c = la < lb ? -1 : 1;
	if (c == 0 && ca && cb)
		c = atoi(ca + 1) - atoi(cb + 1);
	return c ? c : strcmp(a->name, b->name);
}

/* Fill reply from the built schema s (strings kept in a). */
static int fill(Homerack__V1__ModelsReply *reply, const hr_schema *s,
		arena *a)
{
	Homerack__V1__ModelTable *tables, **tptr;

	tables = calloc(s->n_tables + 1, sizeof *tables);
	tptr = calloc(s->n_tables + 1, sizeof *tptr);
	reply->enums = calloc(s->n_enums + 1, sizeof *reply->enums);
	if (tables == NULL || tptr == NULL || reply->enums == NULL) {
		free(tables);
		free(tptr);
		return -1;
	}
	reply->tables = tptr;
	reply->n_tables = s->n_tables;
	for (size_t i = 0; i < s->n_tables; i++) {
		homerack__v1__model_table__init(&tables[i]);
		tptr[i] = &tables[i];
	}
	for (size_t i = 0; i < s->n_tables; i++) {
		const hr_table *t = &s->tables[i];
		Homerack__V1__ModelTable *mt = &tables[i];
		Homerack__V1__ModelColumn *cols;

		mt->name = t->name;
		mt->source = t->source ? t->source : (char *)"";
		mt->renamed_from = t->renamed_from ? t->renamed_from : (char *)"";
		cols = calloc(t->n_columns + 1, sizeof *cols);
		mt->columns = calloc(t->n_columns + 1, sizeof *mt->columns);
		mt->indexes = calloc(t->n_indexes + 1, sizeof *mt->indexes);
		mt->foreign_keys = calloc(t->n_fkeys + 1, sizeof *mt->foreign_keys);
		mt->checks = calloc(t->n_checks + 1, sizeof *mt->checks);
		if (cols == NULL || !mt->columns || !mt->indexes ||
		    !mt->foreign_keys || !mt->checks) {
			free(cols);
			return -1;
		}
		for (size_t c = 0; c < t->n_columns; c++) {
			const hr_column *col = &t->columns[c];

			homerack__v1__model_column__init(&cols[c]);
			cols[c].name = col->name;
			cols[c].type = col->type;
			cols[c].not_null = col->not_null;
			cols[c].default_value =
				col->default_expr ? col->default_expr : (char *)"";
			cols[c].primary_key = (uint32_t)col->pk_position;
			cols[c].renamed_from =
				col->renamed_from ? col->renamed_from : (char *)"";
			mt->columns[c] = &cols[c];
		}
		mt->n_columns = t->n_columns;
		for (size_t k = 0; k < t->n_indexes; k++)
			mt->indexes[k] = describe_index(a, &t->indexes[k]);
		mt->n_indexes = t->n_indexes;
		for (size_t k = 0; k < t->n_fkeys; k++)
			mt->foreign_keys[k] = describe_fkey(a, &t->fkeys[k]);
		mt->n_foreign_keys = t->n_fkeys;
		for (size_t k = 0; k < t->n_checks; k++)
			mt->checks[k] = t->checks[k].expr;
		mt->n_checks = t->n_checks;
	}
	qsort(tptr, s->n_tables, sizeof *tptr, by_source);
	for (size_t i = 0; i < s->n_enums; i++) {
		hr_buf b = {0};

		hr_buf_printf(&b, "%s (", s->enums[i].name);
		for (size_t v = 0; v < s->enums[i].values.n; v++)
			hr_buf_printf(&b, "%s'%s'", v ? ", " : "",
				      s->enums[i].values.items[v]);
		hr_buf_puts(&b, ")");
		reply->enums[i] = keep(a, hr_buf_take(&b));
	}
	reply->n_enums = s->n_enums;
	return a->failed ? -1 : 0;
}

static void reply_free(Homerack__V1__ModelsReply *reply)
{
	for (size_t i = 0; i < reply->n_tables; i++) {
		Homerack__V1__ModelTable *mt = reply->tables[i];

		free(mt->indexes);
		free(mt->foreign_keys);
		free(mt->checks);
		if (mt->n_columns > 0)
			free(mt->columns[0]);
		free(mt->columns);
	}
	/* The tables are one array; its first element is the lowest
	 * address whatever order the pointers were sorted into. */
	if (reply->n_tables > 0) {
		Homerack__V1__ModelTable *first = reply->tables[0];

		for (size_t i = 1; i < reply->n_tables; i++)
			if (reply->tables[i] < first)
				first = reply->tables[i];
		free(first);
	}
	free(reply->tables);
	free(reply->enums);
}

/* Worker thread. */
static void models_work(hr_job *job)
{
	Homerack__V1__ModelsReply reply = HOMERACK__V1__MODELS_REPLY__INIT;
	hr_models *models = job->data;
	hr_schema s = {0};
	arena a = {0};
	hr_db *db = NULL;
	hr_error err;
	int rc = hr_db_open_scratch(&job->server->url, &db, &err);

	if (rc == 0)
		rc = hr_models_build(models, db, &s, &err);
	hr_db_close(db);
	if (rc < 0) {
		job->result = err;
	} else if (fill(&reply, &s, &a) < 0) {
		hr_error_set(&job->result, HR_RESOURCE_EXHAUSTED,
			     "out of memory");
	} else {
		reply.directory = (char *)hr_models_dir(models);
		reply.dialect = (char *)s.dialect;
		reply.files = (uint32_t)hr_models_file_count(models);
		hr_job_emit(job, &reply.base);
	}
	reply_free(&reply);
	hr_strlist_free(&a.s);
	hr_schema_free(&s);
}

static void models_free(void *data)
{
	hr_models_unref(data);
}

static void models_start(hr_call *call, const ProtobufCMessage *request)
{
	hr_models *models = hr_method_need_models(call);

	(void)request;
	if (models != NULL)
		hr_writer_run(call, models_work, models, models_free);
}

const hr_method hr_method_models = {
	.path = HR_RPC_MODELS,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__models_request__descriptor,
	.start = models_start,
};
