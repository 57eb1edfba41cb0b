/* fuzz_frame.c — the frame decoder, fed in chunks the input chooses. */
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

static int count(void *ud, const uint8_t *payload, size_t len)
{
	size_t *n = ud;

	/* Touch every byte: ASan sees any overread. */
	for (size_t i = 0; i < len; i++)
		*n += payload[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hr_frame_reader r;
	size_t sum = 0;

	if (size < 1)
		return 0;
	/* First byte: chunk size, so splits across headers get explored. */
	size_t chunk = (size_t)data[0] % 16 + 1;

	hr_frame_reader_init(&r, 4096);
	for (size_t pos = 1; pos < size; pos += chunk) {
		size_t n = size - pos < chunk ? size - pos : chunk;

		if (hr_frame_reader_feed(&r, data + pos, n, count, &sum, NULL) < 0)
			break;
	}
	hr_frame_reader_free(&r);
	return 0;
}
