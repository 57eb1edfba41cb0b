/* status.c — status code names and the hr_error helpers. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const code_names[] = {
	"OK",
	"CANCELLED",
	"UNKNOWN",
	"INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED",
	"NOT_FOUND",
	"ALREADY_EXISTS",
	"PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION",
	"ABORTED",
	"OUT_OF_RANGE",
	"UNIMPLEMENTED",
	"INTERNAL",
	"UNAVAILABLE",
	"DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *hr_code_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof code_names / sizeof code_names[0])
		return "UNKNOWN";
	return code_names[code];
}

int hr_error_set(hr_error *err, hr_code code, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -(int)code;
}

void hr_error_clear(hr_error *err)
{
	if (err != NULL) {
		err->code = HR_OK;
		err->msg[0] = '\0';
	}
}
