#!/usr/bin/env bash
# The backend conformance suite (tests/unit/test_backend.c) against
# PostgreSQL: the harness's throwaway cluster.
HR_BACKEND=postgres
. "$(dirname "$0")/lib.sh"
: "${TEST_BACKEND:?TEST_BACKEND must name the test_backend binary}"

HR_TEST_DATABASE_URL=$DB_URL run "$TEST_BACKEND"
expect_rc 0 "every conformance test passes on PostgreSQL"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR"
expect_contains "$OUT$ERR" "[  PASSED  ] 11 test(s)." "all eleven ran"

finish
