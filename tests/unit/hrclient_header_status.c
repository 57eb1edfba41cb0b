/* hrclient_header_status.c — test_hrclient_header's other half: the
 * codes and error value as common/status.h (hrd's side) defines them. */
#include <stddef.h>

#include "hr_code_list.h"
#include "status.h"

#define X(name) HR_##name,
const int status_h_codes[] = {HR_CODE_LIST};
#undef X
const size_t status_h_n_codes = sizeof status_h_codes / sizeof(int);
const size_t status_h_error_size = sizeof(hr_error);
const size_t status_h_msg_offset = offsetof(hr_error, msg);
const size_t status_h_msg_max = HR_ERROR_MSG_MAX;
