/*
 * hrclient.h — the client library: connect to hrd, make calls, read
 * streams. hrctl is one user; any local C program can be another:
 *
 *     hr_client *c;
 *     Homerack__V1__CurrentReply *cur;
 *     if (hr_client_connect(NULL, &c, &err) == 0 &&
 *         hr_client_current(c, &cur, &err) == 0) { ... }
 *
 * Calls block. One call at a time per hr_client (the protocol allows
 * more; open several clients for parallel calls).
 */
#ifndef HR_CLIENT_H
#define HR_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "homerack.pb-c.h"
#include "status.h"

typedef struct hr_client hr_client;

/* Connect to socket_path, or the default path when NULL. Failure is
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
 * Call method (e.g. "/homerack.v1.Schema/Upgrade") with request and
 * block until its final status, passing every message to on_message.
 * timeout_ms 0 means no deadline. Returns 0 for status OK, else the
 * negated status code with the server's message in err.
 */
int hr_client_call(hr_client *c, const char *method,
		   const ProtobufCMessage *request, uint32_t timeout_ms,
		   hr_client_on_message on_message, void *ud, hr_error *err);

/* A unary call: the single reply decoded as reply_type into *reply
 * (free with protobuf_c_message_free_unpacked(*reply, NULL)). */
int hr_client_unary(hr_client *c, const char *method,
		    const ProtobufCMessage *request,
		    const ProtobufCMessageDescriptor *reply_type,
		    uint32_t timeout_ms, ProtobufCMessage **reply,
		    hr_error *err);

/* The schema status, for services that only want to ask. */
int hr_client_current(hr_client *c, Homerack__V1__CurrentReply **reply,
		      hr_error *err);

#endif
