/* hr_code_list.h — every status code by name, as an X-macro: the two
 * halves of test_hrclient_header expand it against the two headers that
 * define the codes. */
#define HR_CODE_LIST                                                          \
	X(OK) X(CANCELLED) X(UNKNOWN) X(INVALID_ARGUMENT) X(DEADLINE_EXCEEDED) \
	X(NOT_FOUND) X(ALREADY_EXISTS) X(PERMISSION_DENIED)                    \
	X(RESOURCE_EXHAUSTED) X(FAILED_PRECONDITION) X(ABORTED)               \
	X(OUT_OF_RANGE) X(UNIMPLEMENTED) X(INTERNAL) X(UNAVAILABLE)           \
	X(DATA_LOSS) X(UNAUTHENTICATED)
