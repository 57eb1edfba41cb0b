/*
 * hrclient_pb.h — libhrclient's calls in protobuf-c's types, for hrctl
 * and the in-tree tools built with the generated homerack.pb-c.h. Not
 * installed: programs outside the tree use hrclient.h alone.
 */
#ifndef HR_CLIENT_PB_H
#define HR_CLIENT_PB_H

#include "hrclient.h"

#include "homerack.pb-c.h"
#include "status.h"

/* hr_client_call_raw with request encoded here. */
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

/* The schema status, decoded. */
int hr_client_current(hr_client *c, Homerack__V1__CurrentReply **reply,
		      hr_error *err);

#endif
