/*
 * test.c — Test: round trip every migration (upgrade, downgrade,
 * upgrade) on scratch databases and compare the schemas read back
 * (roundtrip.h). SQLite always (in memory); PostgreSQL when hrd runs on
 * it (a scratch schema in a transaction never committed) or on the
 * request's dev_database. The live database is never touched.
 *
 * It runs as a read-only job (PostgreSQL scratch databases wait on the
 * network), behind a schema change in progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "roundtrip.h"
#include "rpcnames.h"

typedef struct test_row {
	const char *dialect; /* static */
	const hr_migration *migration;
	int ok;
	char *problem;
	hr_strlist differences;
} test_row;

typedef struct test_job {
	char *range;
	char *dev_database;
	const char *dialect; /* of the run in progress */
	test_row *rows;
	size_t n_rows, cap;
	hr_strlist untested;
} test_job;

static void test_job_free(void *data)
{
	test_job *tj = data;

	for (size_t i = 0; i < tj->n_rows; i++) {
		free(tj->rows[i].problem);
		hr_strlist_free(&tj->rows[i].differences);
	}
	free(tj->rows);
	hr_strlist_free(&tj->untested);
	free(tj->range);
	free(tj->dev_database);
	free(tj);
}

/* Keep one revision's result (worker thread). */
static int keep_result(void *ud, const hr_roundtrip_result *r)
{
	test_job *tj = ud;
	test_row *row;

	if (tj->n_rows == tj->cap) {
		size_t cap = tj->cap ? 2 * tj->cap : 64;
		test_row *rows = realloc(tj->rows, cap * sizeof *rows);

		if (rows == NULL)
			return -HR_RESOURCE_EXHAUSTED;
		tj->rows = rows;
		tj->cap = cap;
	}
	row = &tj->rows[tj->n_rows];
	*row = (test_row){.dialect = tj->dialect,
			  .migration = r->migration,
			  .ok = r->ok};
	if ((row->problem = strdup(r->problem)) == NULL)
		return -HR_RESOURCE_EXHAUSTED;
	tj->n_rows++;
	for (size_t i = 0; i < r->differences.n; i++)
		if (hr_strlist_push(&row->differences,
				    r->differences.items[i]) < 0)
			return -HR_RESOURCE_EXHAUSTED;
	return 0;
}

static int run_dialect(test_job *tj, const hr_revmap *map,
		       const hr_dburl *url, hr_error *err)
{
	size_t failed = 0;

	tj->dialect = url->kind == HR_DB_SQLITE ? "sqlite" : "postgresql";
	return hr_roundtrip_run(map, url, tj->range, keep_result, tj, &failed,
				err);
}

/* Worker thread. */
static void test_work(hr_job *job)
{
	test_job *tj = job->data;
	const hr_dburl *own = &job->server->url;
	hr_dburl memory = {.kind = HR_DB_SQLITE}, dev = {0};
	hr_error err = {0};
	int rc;

	if ((rc = run_dialect(tj, job->map, &memory, &err)) < 0)
		goto out;
	if (tj->dev_database[0] != '\0') {
		rc = hr_method_dev_database(tj->dev_database, &dev, &err);
		if (rc == 0)
			rc = run_dialect(tj, job->map, &dev, &err);
		hr_dburl_free(&dev);
	} else if (own->kind == HR_DB_POSTGRES) {
		rc = run_dialect(tj, job->map, own, &err);
	} else if (hr_strlist_push(&tj->untested,
				   "postgresql: hrd runs on SQLite and no "
				   "--dev-database postgresql://... was "
				   "given") < 0) {
		rc = hr_error_set(&err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
out:
	if (rc < 0)
		job->result = err;
}

/* Loop thread: the reply. */
static void test_after(hr_job *job)
{
	test_job *tj = job->data;
	Homerack__V1__TestReply reply = HOMERACK__V1__TEST_REPLY__INIT;
	Homerack__V1__TestResult *results, **ptrs;

	if (job->result.code != HR_OK)
		return;
	results = calloc(tj->n_rows + 1, sizeof *results);
	ptrs = calloc(tj->n_rows + 1, sizeof *ptrs);
	if (results == NULL || ptrs == NULL) {
		free(results);
		free(ptrs);
		hr_error_set(&job->result, HR_RESOURCE_EXHAUSTED,
			     "out of memory");
		return;
	}
	for (size_t i = 0; i < tj->n_rows; i++) {
		Homerack__V1__TestResult *r = &results[i];
		const test_row *row = &tj->rows[i];

		homerack__v1__test_result__init(r);
		r->dialect = (char *)row->dialect;
		r->revision = (char *)row->migration->revision;
		r->message = row->migration->message;
		r->ok = row->ok;
		r->problem = row->problem;
		r->differences = row->differences.items;
		r->n_differences = row->differences.n;
		ptrs[i] = r;
	}
	reply.results = ptrs;
	reply.n_results = tj->n_rows;
	reply.untested = tj->untested.items;
	reply.n_untested = tj->untested.n;
	hr_call_send(job->call, &reply.base);
	free(results);
	free(ptrs);
}

static void test_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__TestRequest *req =
		(const Homerack__V1__TestRequest *)request;
	test_job *tj;
	hr_job *job;

	if (hr_method_need_map(call))
		return;
	tj = calloc(1, sizeof *tj);
	if (tj == NULL || (tj->range = strdup(req->range)) == NULL ||
	    (tj->dev_database = strdup(req->dev_database)) == NULL) {
		if (tj != NULL)
			test_job_free(tj);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	job = hr_writer_run(call, test_work, tj, test_job_free);
	if (job != NULL)
		job->after = test_after;
}

const hr_method hr_method_test = {
	.path = HR_RPC_TEST,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__test_request__descriptor,
	.start = test_start,
};
