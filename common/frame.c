/* frame.c — incremental Length-Prefixed-Message decoder. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

void hr_frame_write_header(uint8_t out[HR_FRAME_HEADER_SIZE], uint32_t len)
{
	out[0] = 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

void hr_frame_reader_init(hr_frame_reader *r, size_t max_payload)
{
	memset(r, 0, sizeof *r);
	r->max_payload = max_payload;
}

void hr_frame_reader_free(hr_frame_reader *r)
{
	free(r->payload);
	r->payload = NULL;
}

int hr_frame_reader_partial(const hr_frame_reader *r)
{
	return r->header_len > 0;
}

/* Validate a complete header and allocate room for the payload. */
static int start_payload(hr_frame_reader *r, hr_error *err)
{
	uint32_t len = (uint32_t)r->header[1] << 24 |
		       (uint32_t)r->header[2] << 16 |
		       (uint32_t)r->header[3] << 8 | (uint32_t)r->header[4];

	if (r->header[0] != 0)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "frame flag byte is 0x%02x; compression is "
				    "not supported",
				    r->header[0]);
	if (len > r->max_payload)
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "frame of %u bytes exceeds the %zu-byte limit",
				    len, r->max_payload);
	r->payload_len = len;
	r->payload_have = 0;
	/* +1 so a zero-length frame still gets a non-NULL buffer. */
	r->payload = malloc((size_t)len + 1);
	if (r->payload == NULL)
		return hr_error_set(err, HR_INTERNAL, "out of memory for a "
				    "%u-byte frame", len);
	return 0;
}

int hr_frame_reader_feed(hr_frame_reader *r, const uint8_t *data, size_t n,
			 hr_frame_cb cb, void *ud, hr_error *err)
{
	const uint8_t *start = data;

	r->taken = 0;
	if (r->failed)
		return hr_error_set(err, HR_INVALID_ARGUMENT,
				    "stream already failed framing");
	while (n > 0) {
		if (r->header_len < HR_FRAME_HEADER_SIZE) {
			size_t take = HR_FRAME_HEADER_SIZE - r->header_len;
			int rc;

			if (take > n)
				take = n;
			memcpy(r->header + r->header_len, data, take);
			r->header_len += take;
			data += take;
			n -= take;
			if (r->header_len < HR_FRAME_HEADER_SIZE)
				break;
			if ((rc = start_payload(r, err)) < 0) {
				r->failed = 1;
				return rc;
			}
		}
		size_t take = r->payload_len - r->payload_have;
		if (take > n)
			take = n;
		memcpy(r->payload + r->payload_have, data, take);
		r->payload_have += take;
		data += take;
		n -= take;
		if (r->payload_have == r->payload_len) {
			uint8_t *payload = r->payload;
			size_t len = r->payload_len;
			int stop;

			/* Reset first: the callback sees a reader ready for the next frame. */
			r->payload = NULL;
			r->header_len = 0;
			stop = cb(ud, payload, len);
			free(payload);
			if (stop) {
				r->taken = (size_t)(data - start);
				return stop;
			}
		}
	}
	r->taken = (size_t)(data - start);
	return 0;
}
