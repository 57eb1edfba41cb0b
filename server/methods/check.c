/*
 * check.c — Check: do the models and the migrations agree (Alembic's
 * `check`), or, with `database`, does the live database still look the
 * way its recorded revision says (drift)?
 *
 * Comparing the models with the migrations replays every migration on
 * a scratch database: seconds for thousands of them. Its answer depends
 * only on the migrations and the models, so it is kept for the map and
 * models generation it was computed for, and a second check with
 * nothing changed answers from the loop without replaying. Drift reads
 * the live database and is never kept.
 */
#include <stdlib.h>
#include <string.h>

#include "autogen.h"
#include "methods.h"
#include "models.h"
#include "rpcnames.h"

/* The last models-vs-migrations answer (loop thread only). */
static struct {
	int valid;
	uint64_t map_generation, models_generation;
	const char *dialect;
	hr_strlist detected;
} kept;

typedef struct check_job {
	int database;
	hr_models *models;
	uint64_t map_generation, models_generation;
	hr_autogen_result result;
} check_job;

static void check_job_free(void *data)
{
	check_job *cj = data;

	hr_models_unref(cj->models);
	hr_autogen_result_free(&cj->result);
	free(cj);
}

static void reply(hr_call *call, const char *dialect, const hr_strlist *lines)
{
	Homerack__V1__CheckReply r = HOMERACK__V1__CHECK_REPLY__INIT;

	r.dialect = (char *)dialect;
	r.detected = lines->items;
	r.n_detected = lines->n;
	hr_call_send(call, &r.base);
}

/* Worker thread. */
static void check_work(hr_job *job)
{
	check_job *cj = job->data;
	hr_db *db = job->server->writer;
	hr_strlist rows = {0};
	hr_error err;
	int rc;

	if (cj->database) {
		rc = hr_db_read_versions(db, &rows, &err);
		if (rc == 0)
			rc = hr_autogen_drift(job->map, db, &job->server->url,
					      &rows, &cj->result, &err);
	} else {
		rc = hr_autogen_compare(job->map, cj->models,
					&job->server->url, 0, &cj->result,
					&err);
	}
	hr_strlist_free(&rows);
	if (rc < 0)
		job->result = err;
}

/* Loop thread: answer, and keep a models-vs-migrations answer. */
static void check_after(hr_job *job)
{
	check_job *cj = job->data;

	if (job->result.code != HR_OK)
		return;
	reply(job->call, cj->result.dialect, &cj->result.detected);
	if (cj->database)
		return;
	hr_strlist_free(&kept.detected);
	kept.detected = cj->result.detected;
	cj->result.detected = (hr_strlist){0};
	kept.dialect = cj->result.dialect;
	kept.map_generation = cj->map_generation;
	kept.models_generation = cj->models_generation;
	kept.valid = 1;
}

static void check_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__CheckRequest *req =
		(const Homerack__V1__CheckRequest *)request;
	hr_server *server = call->server;
	hr_models_state *ms = hr_models_state_of(server);
	check_job *cj;
	hr_job *job;

	if (hr_method_need_map(call))
		return;
	if (!req->database && kept.valid &&
	    kept.map_generation == server->map_generation &&
	    kept.models_generation == ms->generation && ms->models != NULL) {
		reply(call, kept.dialect, &kept.detected);
		hr_call_finish(call, HR_OK, "%s", "");
		return;
	}
	cj = calloc(1, sizeof *cj);
	if (cj == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	cj->database = req->database;
	cj->map_generation = server->map_generation;
	cj->models_generation = ms->generation;
	if (!cj->database && (cj->models = hr_method_need_models(call)) == NULL) {
		free(cj);
		return;
	}
	job = hr_writer_run(call, check_work, cj, check_job_free);
	if (job != NULL)
		job->after = check_after;
}

const hr_method hr_method_check = {
	.path = HR_RPC_CHECK,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__check_request__descriptor,
	.start = check_start,
};
