/*
 * pqapi.h — the part of libpq the PostgreSQL backend uses, loaded with
 * dlopen when the first postgresql:// URL is opened.
 *
 * Linking libpq would map it and the twenty-odd libraries it needs
 * (GnuTLS, Kerberos, LDAP, SASL, …) into every hrd, SQLite deployments
 * included: over 3 MiB of resident memory for nothing. Call sites keep
 * libpq's names (hr_pq.PQexec(...)), so they read and grep as libpq.
 */
#ifndef HR_PQAPI_H
#define HR_PQAPI_H

#include <libpq-fe.h>

#include "status.h"

typedef struct hr_pq_api {
	__typeof__(PQclear) *PQclear;
	__typeof__(PQcmdStatus) *PQcmdStatus;
	__typeof__(PQcmdTuples) *PQcmdTuples;
	__typeof__(PQconnectdbParams) *PQconnectdbParams;
	__typeof__(PQconninfoFree) *PQconninfoFree;
	__typeof__(PQconninfoParse) *PQconninfoParse;
	__typeof__(PQerrorMessage) *PQerrorMessage;
	__typeof__(PQexec) *PQexec;
	__typeof__(PQexecParams) *PQexecParams;
	__typeof__(PQfinish) *PQfinish;
	__typeof__(PQfreemem) *PQfreemem;
	__typeof__(PQgetCopyData) *PQgetCopyData;
	__typeof__(PQgetResult) *PQgetResult;
	__typeof__(PQgetisnull) *PQgetisnull;
	__typeof__(PQgetvalue) *PQgetvalue;
	__typeof__(PQnfields) *PQnfields;
	__typeof__(PQntuples) *PQntuples;
	__typeof__(PQputCopyEnd) *PQputCopyEnd;
	__typeof__(PQresultErrorField) *PQresultErrorField;
	__typeof__(PQresultStatus) *PQresultStatus;
	__typeof__(PQsetNoticeProcessor) *PQsetNoticeProcessor;
	__typeof__(PQstatus) *PQstatus;
	__typeof__(PQtransactionStatus) *PQtransactionStatus;
	__typeof__(PQcancel) *PQcancel;
	__typeof__(PQconsumeInput) *PQconsumeInput;
	__typeof__(PQfreeCancel) *PQfreeCancel;
	__typeof__(PQgetCancel) *PQgetCancel;
	__typeof__(PQisBusy) *PQisBusy;
	__typeof__(PQsendQuery) *PQsendQuery;
	__typeof__(PQsendQueryParams) *PQsendQueryParams;
	__typeof__(PQsocket) *PQsocket;
	__typeof__(PQenterPipelineMode) *PQenterPipelineMode;
	__typeof__(PQexitPipelineMode) *PQexitPipelineMode;
	__typeof__(PQpipelineSync) *PQpipelineSync;
} hr_pq_api;

/* Valid after hr_pq_load succeeded. */
extern hr_pq_api hr_pq;

/*
 * Load libpq (once; later calls return the first outcome). On failure
 * -HR_UNIMPLEMENTED with dlerror's reason: PostgreSQL support needs the
 * libpq5 package installed.
 */
int hr_pq_load(hr_error *err);

#endif
