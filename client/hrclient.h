/*
 * hrclient.h — libhrclient, the C client of hrd: connect, ask, call.
 * hrctl is one user; any local C program can be another:
 *
 *     #include <hrclient.h>      // cc app.c $(pkg-config --cflags --libs libhrclient)
 *
 *     hr_client *c;
 *     hr_error err;
 *     char **revs;
 *     size_t n;
 *     if (hr_client_connect(NULL, &c, &err) == 0 &&
 *         hr_client_current_revisions(c, &revs, &n, &err) == 0) { ... }
 *
 * This header stands alone (the C library's headers only). Calls block.
 * One call at a time per hr_client (the protocol allows more; open
 * several clients for parallel calls). For calls beyond the helpers
 * here, encode the messages of homerack.proto (installed with the
 * library's -dev files) with any protobuf library and use
 * hr_client_call_raw.
 */
#ifndef HR_CLIENT_H
#define HR_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "hrclient_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version at run time ("0.1.0"); HR_CLIENT_VERSION is the
 * one compiled against. */
const char *hr_client_version(void);

#ifndef HR_STATUS_TYPES
#define HR_STATUS_TYPES
/*
 * Failures: gRPC's canonical status codes (google.rpc.Code numbering,
 * the values on the wire). common/status.h, which hrd's own sources use,
 * holds the same definitions under the same guard;
 * tests/unit/test_hrclient_header.c checks that they agree.
 */
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

/* What failed: the code and one lowercase line naming the cause. */
typedef struct hr_error {
	hr_code code;
	char msg[HR_ERROR_MSG_MAX];
} hr_error;
#endif

/* "NOT_FOUND" etc.; "UNKNOWN" for values outside the table. */
const char *hr_code_name(int code);

/*
 * Every function below that returns int returns 0 on success, or the
 * negated hr_code of the failure with err (when not NULL) filled in.
 */

typedef struct hr_client hr_client;

/* Connect to socket_path, or the default path when NULL ($HOMERACK_SOCKET,
 * else $XDG_RUNTIME_DIR/homerack/hrd.sock, else /run/homerack/hrd.sock as
 * root, /tmp/homerack-UID/hrd.sock otherwise). Failure is
 * -HR_UNAVAILABLE with a message that says whether hrd is running. */
int hr_client_connect(const char *socket_path, hr_client **out,
		      hr_error *err);
void hr_client_close(hr_client *c);

/*
 * While a call runs, a non-zero *flag (set from a signal handler) sends
 * the server a cancel for it once; the call then ends with the server's
 * final status (CANCELLED, or OK if it had already finished).
 */
void hr_client_set_cancel_flag(hr_client *c, volatile sig_atomic_t *flag);

/*
 * Give up on calls locally after ms milliseconds (0: never, the default):
 * a call still running then is cancelled and fails with
 * DEADLINE_EXCEEDED. For waiting on streams (Watch); a schema change's
 * own deadline is better left to hrd (the timeout_ms of the call), which
 * knows when it is safe to stop.
 */
void hr_client_set_wait_limit(hr_client *c, uint32_t ms);

/* Each message of a call; return non-zero to stop reading (the call is
 * then abandoned and the connection closed). */
typedef int (*hr_client_on_message)(void *ud, const uint8_t *data,
				    size_t len);

/*
 * Call method (e.g. "/homerack.v1.Schema/Current") with the encoded
 * request message (len bytes of protobuf) and block until its final
 * status, passing every encoded reply message to on_message.
 * timeout_ms 0 means no deadline.
 */
int hr_client_call_raw(hr_client *c, const char *method,
		       const uint8_t *request, size_t len, uint32_t timeout_ms,
		       hr_client_on_message on_message, void *ud,
		       hr_error *err);

/*
 * The database's current revisions, as `hrctl current` lists them (one
 * id per row of alembic_version; none when the database is at base):
 * *revisions is a NULL-terminated array of *n ids, to free with
 * hr_client_free_revisions.
 */
int hr_client_current_revisions(hr_client *c, char ***revisions, size_t *n,
				hr_error *err);
void hr_client_free_revisions(char **revisions);

#ifdef __cplusplus
}
#endif

#endif
