/* pqapi.c — load libpq on first use (see pqapi.h). */
#include "pqapi.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* libpq's soname: stable across PostgreSQL versions since 8.x. */
#define LIBPQ "libpq.so.5"

hr_pq_api hr_pq;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* empty when loaded */

/* Resolve one symbol into the table; 0 or -1 (failure says which). */
static int resolve(void *lib, const char *name, void **slot)
{
	*slot = dlsym(lib, name);
	if (*slot != NULL)
		return 0;
	snprintf(failure, sizeof failure, "%s has no %s", LIBPQ, name);
	return -1;
}

static void load(void)
{
	/* Never closed: the table points into it for hrd's lifetime. */
	void *lib = dlopen(LIBPQ, RTLD_NOW | RTLD_LOCAL);
	int rc = 0;

	if (lib == NULL) {
		snprintf(failure, sizeof failure, "%s", dlerror());
		return;
	}
	rc |= resolve(lib, "PQclear", (void **)&hr_pq.PQclear);
	rc |= resolve(lib, "PQcmdStatus", (void **)&hr_pq.PQcmdStatus);
	rc |= resolve(lib, "PQcmdTuples", (void **)&hr_pq.PQcmdTuples);
	rc |= resolve(lib, "PQconnectdbParams", (void **)&hr_pq.PQconnectdbParams);
	rc |= resolve(lib, "PQconninfoFree", (void **)&hr_pq.PQconninfoFree);
	rc |= resolve(lib, "PQconninfoParse", (void **)&hr_pq.PQconninfoParse);
	rc |= resolve(lib, "PQerrorMessage", (void **)&hr_pq.PQerrorMessage);
	rc |= resolve(lib, "PQexec", (void **)&hr_pq.PQexec);
	rc |= resolve(lib, "PQexecParams", (void **)&hr_pq.PQexecParams);
	rc |= resolve(lib, "PQfinish", (void **)&hr_pq.PQfinish);
	rc |= resolve(lib, "PQfreemem", (void **)&hr_pq.PQfreemem);
	rc |= resolve(lib, "PQgetCopyData", (void **)&hr_pq.PQgetCopyData);
	rc |= resolve(lib, "PQgetResult", (void **)&hr_pq.PQgetResult);
	rc |= resolve(lib, "PQgetisnull", (void **)&hr_pq.PQgetisnull);
	rc |= resolve(lib, "PQgetvalue", (void **)&hr_pq.PQgetvalue);
	rc |= resolve(lib, "PQnfields", (void **)&hr_pq.PQnfields);
	rc |= resolve(lib, "PQntuples", (void **)&hr_pq.PQntuples);
	rc |= resolve(lib, "PQputCopyEnd", (void **)&hr_pq.PQputCopyEnd);
	rc |= resolve(lib, "PQresultErrorField", (void **)&hr_pq.PQresultErrorField);
	rc |= resolve(lib, "PQresultStatus", (void **)&hr_pq.PQresultStatus);
	rc |= resolve(lib, "PQsetNoticeProcessor", (void **)&hr_pq.PQsetNoticeProcessor);
	rc |= resolve(lib, "PQstatus", (void **)&hr_pq.PQstatus);
	rc |= resolve(lib, "PQtransactionStatus", (void **)&hr_pq.PQtransactionStatus);
	rc |= resolve(lib, "PQcancel", (void **)&hr_pq.PQcancel);
	rc |= resolve(lib, "PQconsumeInput", (void **)&hr_pq.PQconsumeInput);
	rc |= resolve(lib, "PQfreeCancel", (void **)&hr_pq.PQfreeCancel);
	rc |= resolve(lib, "PQgetCancel", (void **)&hr_pq.PQgetCancel);
	rc |= resolve(lib, "PQisBusy", (void **)&hr_pq.PQisBusy);
	rc |= resolve(lib, "PQsendQuery", (void **)&hr_pq.PQsendQuery);
	rc |= resolve(lib, "PQsendQueryParams", (void **)&hr_pq.PQsendQueryParams);
	rc |= resolve(lib, "PQsocket", (void **)&hr_pq.PQsocket);
	rc |= resolve(lib, "PQenterPipelineMode", (void **)&hr_pq.PQenterPipelineMode);
	rc |= resolve(lib, "PQexitPipelineMode", (void **)&hr_pq.PQexitPipelineMode);
	rc |= resolve(lib, "PQpipelineSync", (void **)&hr_pq.PQpipelineSync);
	if (rc < 0)
		memset(&hr_pq, 0, sizeof hr_pq);
}

int hr_pq_load(hr_error *err)
{
	pthread_once(&once, load);
	if (failure[0] != '\0')
		return hr_error_set(err, HR_UNIMPLEMENTED,
				    "postgresql support needs libpq (package "
				    "libpq5): %s",
				    failure);
	return 0;
}
