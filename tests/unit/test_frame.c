/* test_frame.c — the Length-Prefixed-Message decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

/*
 * Every malloc of this executable, frame.c's included, comes through
 * here (it is linked with -Wl,--wrap=malloc): the tests can see whether
 * the reader allocated, and how much.
 */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static size_t mallocs, largest_malloc;

void *__wrap_malloc(size_t n)
{
	mallocs++;
	if (n > largest_malloc)
		largest_malloc = n;
	return __real_malloc(n);
}

static void count_mallocs_from_now(void)
{
	mallocs = largest_malloc = 0;
}

/* Frames the callback saw, concatenated as "len:bytes|". */
typedef struct seen {
	char log[4096];
	int frames;
	int stop_after; /* return non-zero after this many; 0 = never */
} seen;

static int record(void *ud, const uint8_t *payload, size_t len)
{
	seen *s = ud;
	size_t used = strlen(s->log);

	snprintf(s->log + used, sizeof s->log - used, "%zu:%.*s|", len,
		 (int)len, (const char *)payload);
	s->frames++;
	return s->stop_after && s->frames >= s->stop_after ? 7 : 0;
}

static size_t frame(uint8_t *out, const char *payload)
{
	size_t len = strlen(payload);

	hr_frame_write_header(out, (uint32_t)len);
	memcpy(out + HR_FRAME_HEADER_SIZE, payload, len);
	return HR_FRAME_HEADER_SIZE + len;
}

static void header_is_big_endian(void **state)
{
	uint8_t h[5];

	(void)state;
	hr_frame_write_header(h, 0x01020304);
	assert_int_equal(h[0], 0);
	assert_int_equal(h[1], 1);
	assert_int_equal(h[2], 2);
	assert_int_equal(h[3], 3);
	assert_int_equal(h[4], 4);
}

static void several_frames_in_one_read(void **state)
{
	uint8_t buf[64];
	size_t n = 0;
	hr_frame_reader r;
	seen s = {0};

	(void)state;
	n += frame(buf + n, "abc");
	n += frame(buf + n, "");
	n += frame(buf + n, "hello");
	hr_frame_reader_init(&r, 100);
	assert_int_equal(hr_frame_reader_feed(&r, buf, n, record, &s, NULL), 0);
	assert_string_equal(s.log, "3:abc|0:|5:hello|");
	assert_false(hr_frame_reader_partial(&r));
	hr_frame_reader_free(&r);
}

static void byte_by_byte(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "split me");
	hr_frame_reader r;
	seen s = {0};

	(void)state;
	hr_frame_reader_init(&r, 100);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hr_frame_reader_feed(&r, buf + i, 1, record, &s,
						      NULL),
				 0);
		if (i + 1 < n)
			assert_true(hr_frame_reader_partial(&r));
	}
	assert_string_equal(s.log, "8:split me|");
	hr_frame_reader_free(&r);
}

static void truncated_frame_waits(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "truncated");
	hr_frame_reader r;
	seen s = {0};

	(void)state;
	hr_frame_reader_init(&r, 100);
	assert_int_equal(hr_frame_reader_feed(&r, buf, n - 3, record, &s, NULL),
			 0);
	assert_int_equal(s.frames, 0);
	assert_true(hr_frame_reader_partial(&r));
	/* Freeing mid-frame releases the partial payload (ASan checks). */
	hr_frame_reader_free(&r);
}

static void oversized_rejected_before_allocating(void **state)
{
	uint8_t h[5];
	hr_frame_reader r;
	hr_error err;
	seen s = {0};

	(void)state;
	/* 4 GiB - 1 announced: must fail on the header alone. */
	hr_frame_write_header(h, 0xffffffffu);
	hr_frame_reader_init(&r, 1024);
	count_mallocs_from_now();
	assert_int_equal(hr_frame_reader_feed(&r, h, 5, record, &s, &err),
			 -HR_RESOURCE_EXHAUSTED);
	/* Not a byte was allocated for it (nor anything else). */
	assert_int_equal(mallocs, 0);
	assert_non_null(strstr(err.msg, "exceeds the 1024-byte limit"));
	assert_null(r.payload);
	/* The stream stays failed. */
	assert_int_equal(hr_frame_reader_feed(&r, h, 1, record, &s, &err),
			 -HR_INVALID_ARGUMENT);
	hr_frame_reader_free(&r);
}

static void limit_is_inclusive(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "12345678");
	hr_frame_reader r;
	seen s = {0};

	(void)state;
	hr_frame_reader_init(&r, 8);
	count_mallocs_from_now();
	assert_int_equal(hr_frame_reader_feed(&r, buf, n, record, &s, NULL), 0);
	assert_int_equal(s.frames, 1);
	/* The reader's allocations are seen (so the check above can fail). */
	assert_true(mallocs >= 1);
	assert_true(largest_malloc >= 8);
	hr_frame_reader_free(&r);
}

static void compressed_flag_rejected(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "x");
	hr_frame_reader r;
	hr_error err;
	seen s = {0};

	(void)state;
	buf[0] = 1;
	hr_frame_reader_init(&r, 100);
	assert_int_equal(hr_frame_reader_feed(&r, buf, n, record, &s, &err),
			 -HR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "compression"));
	assert_int_equal(s.frames, 0);
	hr_frame_reader_free(&r);
}

static void garbage_does_not_crash(void **state)
{
	uint8_t junk[4096];
	hr_frame_reader r;
	seen s = {0};

	(void)state;
	srand(42);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % (int)sizeof junk);

		for (size_t i = 0; i < n; i++)
			junk[i] = (uint8_t)rand();
		hr_frame_reader_init(&r, 512);
		/* Any outcome is fine but a crash, a leak or an overread. */
		(void)hr_frame_reader_feed(&r, junk, n, record, &s, NULL);
		hr_frame_reader_free(&r);
		s.log[0] = '\0';
	}
}

static void callback_can_stop(void **state)
{
	uint8_t buf[64];
	size_t n = 0;
	hr_frame_reader r;
	seen s = {.stop_after = 1};

	(void)state;
	n += frame(buf + n, "one");
	n += frame(buf + n, "two");
	hr_frame_reader_init(&r, 100);
	assert_int_equal(hr_frame_reader_feed(&r, buf, n, record, &s, NULL), 7);
	assert_string_equal(s.log, "3:one|");
	hr_frame_reader_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_is_big_endian),
		cmocka_unit_test(several_frames_in_one_read),
		cmocka_unit_test(byte_by_byte),
		cmocka_unit_test(truncated_frame_waits),
		cmocka_unit_test(oversized_rejected_before_allocating),
		cmocka_unit_test(limit_is_inclusive),
		cmocka_unit_test(compressed_flag_rejected),
		cmocka_unit_test(garbage_does_not_crash),
		cmocka_unit_test(callback_can_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
