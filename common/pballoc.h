/*
 * pballoc.h — a protobuf-c allocator with a byte budget.
 *
 * protobuf-c's unpack has no size limit of its own, and a small frame can
 * expand (a repeated field of empty messages costs ~2 bytes on the wire
 * and a whole struct in memory). Unpacking through a budget turns that
 * into a clean failure instead of memory exhaustion.
 */
#ifndef HR_PBALLOC_H
#define HR_PBALLOC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct hr_pballoc {
	ProtobufCAllocator base; /* pass &a.base to protobuf-c */
	size_t used;
	size_t limit;
} hr_pballoc;

/* Budget for unpacking one request: far above any legitimate request. */
#define HR_PBALLOC_REQUEST_LIMIT (8u * 1024 * 1024)

void hr_pballoc_init(hr_pballoc *a, size_t limit);

#endif
