/*
 * frame.h — gRPC Length-Prefixed-Message framing.
 *
 * A frame is 1 flag byte (0: uncompressed; we accept nothing else), a
 * 4-byte big-endian payload length, then the payload. The reader checks
 * the length against its cap as soon as the 5-byte header is in, before
 * allocating anything for the payload.
 */
#ifndef HR_FRAME_H
#define HR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define HR_FRAME_HEADER_SIZE 5
/* Default cap on a request payload; requests are small. */
#define HR_FRAME_REQUEST_MAX (1u * 1024 * 1024)
/* Default cap on a reply payload (a History of many revisions). */
#define HR_FRAME_REPLY_MAX (64u * 1024 * 1024)

/* Write the 5-byte header for a payload of len bytes into out. */
void hr_frame_write_header(uint8_t out[HR_FRAME_HEADER_SIZE], uint32_t len);

/*
 * Called for each complete frame; payload is valid only during the call.
 * Return 0 to go on, non-zero to stop feeding (hr_frame_reader_feed then
 * returns that value).
 */
typedef int (*hr_frame_cb)(void *ud, const uint8_t *payload, size_t len);

typedef struct hr_frame_reader {
	uint8_t header[HR_FRAME_HEADER_SIZE];
	size_t header_len;   /* bytes of header received so far */
	uint8_t *payload;    /* allocated once the header is complete */
	size_t payload_len;  /* announced length */
	size_t payload_have; /* bytes received so far */
	size_t max_payload;
	int failed;          /* a framing error happened; the stream is dead */
	size_t taken;        /* bytes the last feed consumed: all of them,
				unless cb stopped it after a frame */
} hr_frame_reader;

void hr_frame_reader_init(hr_frame_reader *r, size_t max_payload);
void hr_frame_reader_free(hr_frame_reader *r);

/*
 * Feed n bytes from the stream. Calls cb for every frame completed.
 * Returns 0, cb's non-zero value (r->taken then says how many bytes
 * went into the frames up to that one; the rest is the caller's to feed
 * later), or a negative hr_code for a framing
 * error: -HR_RESOURCE_EXHAUSTED (length over the cap), -HR_INVALID_ARGUMENT
 * (non-zero flag byte; we never negotiated compression), -HR_INTERNAL
 * (out of memory). After an error, every further feed fails the same way.
 */
int hr_frame_reader_feed(hr_frame_reader *r, const uint8_t *data, size_t n,
			 hr_frame_cb cb, void *ud, hr_error *err);

/* Whether a frame has started but not completed (for slow-peer timeouts). */
int hr_frame_reader_partial(const hr_frame_reader *r);

#endif
