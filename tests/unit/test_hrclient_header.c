/*
 * test_hrclient_header.c — client/hrclient.h, installed alone, defines
 * the status codes and hr_error itself; common/status.h, which the
 * library's own code is compiled with, holds the same definitions. They
 * must agree exactly (libhrclient fills a caller's hr_error through
 * common code): same values by name, same layout, same names at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hr_code_list.h"
#include "hrclient.h"

extern const int status_h_codes[];
extern const size_t status_h_n_codes, status_h_error_size,
	status_h_msg_offset, status_h_msg_max;

#define X(name) HR_##name,
static const int public_codes[] = {HR_CODE_LIST};
#undef X
#define X(name) #name,
static const char *const names[] = {HR_CODE_LIST};
#undef X
#define N_CODES (sizeof public_codes / sizeof public_codes[0])

static void codes_agree(void **state)
{
	(void)state;
	assert_int_equal(status_h_n_codes, N_CODES);
	for (size_t i = 0; i < N_CODES; i++) {
		assert_int_equal(public_codes[i], status_h_codes[i]);
		/* The wire value: google.rpc.Code numbering. */
		assert_string_equal(hr_code_name(public_codes[i]), names[i]);
	}
	/* No code beyond the list. */
	assert_string_equal(hr_code_name((int)N_CODES), "UNKNOWN");
}

static void error_layout_agrees(void **state)
{
	(void)state;
	assert_int_equal(sizeof(hr_error), status_h_error_size);
	assert_int_equal(offsetof(hr_error, msg), status_h_msg_offset);
	assert_int_equal(HR_ERROR_MSG_MAX, status_h_msg_max);
}

static void version_is_the_projects(void **state)
{
	(void)state;
	assert_string_equal(hr_client_version(), HR_CLIENT_VERSION);
	assert_string_equal(HR_CLIENT_VERSION, HR_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codes_agree),
		cmocka_unit_test(error_layout_agrees),
		cmocka_unit_test(version_is_the_projects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
