/*
 * rows.c — read alembic_version's rows for a call that has context of
 * its own (a target, a range): reader.c's read, plus a pointer carried
 * to the callback and freed after it, or when the call goes first.
 */
#include <stdlib.h>

#include "methods.h"

typedef struct rows_read {
	hr_read read; /* first: the hr_read is the rows_read */
	hr_call *call;
	hr_rows_fn fn;
	void *ud;
	void (*free_ud)(void *ud);
} rows_read;

static void rows_read_free(rows_read *rr)
{
	if (rr->free_ud != NULL)
		rr->free_ud(rr->ud);
	free(rr);
}

static void rows_done(hr_read *read, int rc, const hr_strlist *rows,
		      const hr_error *err)
{
	rows_read *rr = (rows_read *)read;
	hr_call *call = rr->call;

	call->on_cancel = NULL;
	call->data = NULL;
	rr->fn(call, rr->ud, rc, rows, err);
	rows_read_free(rr);
}

static void rows_cancel(hr_call *call)
{
	rows_read *rr = call->data;

	hr_reader_withdraw(call->server, &rr->read);
	call->on_cancel = NULL;
	call->data = NULL;
	rows_read_free(rr);
	hr_call_finish(call, HR_CANCELLED, "cancelled");
}

void hr_method_read_rows(hr_call *call, hr_rows_fn fn, void *ud,
			 void (*free_ud)(void *ud))
{
	rows_read *rr = calloc(1, sizeof *rr);

	if (rr == NULL) {
		if (free_ud != NULL)
			free_ud(ud);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rr->call = call;
	rr->fn = fn;
	rr->ud = ud;
	rr->free_ud = free_ud;
	/* Keeps the call alive if its client goes away meanwhile. */
	call->data = rr;
	call->on_cancel = rows_cancel;
	hr_reader_submit(call->server, &rr->read, rows_done);
}
