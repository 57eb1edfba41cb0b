/*
 * status.h — gRPC canonical status codes and the error value every layer
 * returns through.
 *
 * Convention (libuv's): functions return 0 on success or a negated
 * hr_code on failure, and describe the failure in an hr_error the caller
 * passed in. The message is one lowercase line naming what failed.
 */
#ifndef HR_STATUS_H
#define HR_STATUS_H

#include <stddef.h>

#ifndef HR_STATUS_TYPES
#define HR_STATUS_TYPES
/* google.rpc.Code numbering, so the wire value is the enum value. The
 * same definitions stand in client/hrclient.h, libhrclient's public
 * header, which must not include this one (it is installed alone);
 * tests/unit/test_hrclient_header.c checks that they agree. */
typedef enum hr_code {
	HR_OK = 0,
	HR_CANCELLED = 1,
	HR_UNKNOWN = 2,
	HR_INVALID_ARGUMENT = 3,
	HR_DEADLINE_EXCEEDED = 4,
	HR_NOT_FOUND = 5,
	HR_ALREADY_EXISTS = 6,
	HR_PERMISSION_DENIED = 7,
	HR_RESOURCE_EXHAUSTED = 8,
	HR_FAILED_PRECONDITION = 9,
	HR_ABORTED = 10,
	HR_OUT_OF_RANGE = 11,
	HR_UNIMPLEMENTED = 12,
	HR_INTERNAL = 13,
	HR_UNAVAILABLE = 14,
	HR_DATA_LOSS = 15,
	HR_UNAUTHENTICATED = 16,
} hr_code;

#define HR_ERROR_MSG_MAX 1024

typedef struct hr_error {
	hr_code code;
	char msg[HR_ERROR_MSG_MAX];
} hr_error;
#endif

/* "NOT_FOUND" etc.; "UNKNOWN" for values outside the table. */
const char *hr_code_name(int code);

/*
 * Record a failure in err (which may be NULL) and return -code, so a
 * function can end with `return hr_error_set(err, HR_NOT_FOUND, ...)`.
 */
int hr_error_set(hr_error *err, hr_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reset err to HR_OK with an empty message. */
void hr_error_clear(hr_error *err);

#endif
