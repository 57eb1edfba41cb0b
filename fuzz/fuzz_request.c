/*
 * fuzz_request.c — decoding a request as hrd does: the envelope, then
 * the payload as every method's request type, through the budgeted
 * allocator, then validating the enum fields protobuf-c leaves open.
 */
#include <stddef.h>
#include <stdint.h>

#include "homerack.pb-c.h"
#include "pballoc.h"

static const ProtobufCMessageDescriptor *const payload_types[] = {
	&homerack__v1__current_request__descriptor,
	&homerack__v1__history_request__descriptor,
	&homerack__v1__migrate_request__descriptor,
	&homerack__v1__stamp_request__descriptor,
	&homerack__v1__watch_request__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Homerack__V1__Request *req;
	hr_pballoc alloc;

	hr_pballoc_init(&alloc, HR_PBALLOC_REQUEST_LIMIT);
	req = homerack__v1__request__unpack(&alloc.base, size, data);
	if (req == NULL)
		return 0;
	for (size_t i = 0; i < sizeof payload_types / sizeof *payload_types; i++) {
		hr_pballoc inner;
		ProtobufCMessage *m;

		hr_pballoc_init(&inner, HR_PBALLOC_REQUEST_LIMIT);
		m = protobuf_c_message_unpack(payload_types[i], &inner.base,
					      req->payload.len, req->payload.data);
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, &inner.base);
		if (inner.used != 0)
			__builtin_trap(); /* the budget must balance */
	}
	homerack__v1__request__free_unpacked(req, &alloc.base);
	if (alloc.used != 0)
		__builtin_trap();
	return 0;
}
