#!/usr/bin/env bash
# PostgreSQL only: scratch schemas, the catalog reader and the rendered
# SQL (test_schema_pg.c, against this test's throwaway cluster), and a
# scratch whose process is SIGKILLed mid-transaction leaves nothing.
HR_BACKEND=postgres
. "$(dirname "$0")/lib.sh"
: "${TEST_SCHEMA_PG:?TEST_SCHEMA_PG must name the test_schema_pg binary}"
export DATABASE_URL=$DB_URL SRCDIR

# --- the C tests ------------------------------------------------------------
run "$TEST_SCHEMA_PG"
expect_rc 0 "scratch, catalog and render tests"
[ "$RC" -eq 0 ] || printf '%s\n%s\n' "$OUT" "$ERR"

# --- SIGKILL while a scratch is open -----------------------------------------
mkfifo "$TMP/hold.in"
"$TEST_SCHEMA_PG" hold <"$TMP/hold.in" >"$TMP/hold.out" 2>&1 &
HOLD_PID=$!
exec 8>"$TMP/hold.in"
for _ in $(seq 600); do
	grep -q '^holding ' "$TMP/hold.out" && break
	kill -0 "$HOLD_PID" 2>/dev/null || break
	sleep 0.05
done
read -r SCHEMA BACKEND < <(sed -n 's/^holding //p' "$TMP/hold.out")
if [ -z "${BACKEND:-}" ]; then
	fail "the holder never opened its scratch" "$(cat "$TMP/hold.out")"
	finish
fi
expect_eq "$(sql "SELECT state FROM pg_stat_activity WHERE pid = $BACKEND")" \
	"idle in transaction" "the scratch's session sits in its transaction"
expect_eq "$(sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$SCHEMA'")" \
	"0" "its schema is invisible to other sessions"
kill -9 "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
exec 8>&-
# The server notices the closed socket and ends the session: wait for
# that (bounded), then nothing of the scratch may be left.
for _ in $(seq 600); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE pid = $BACKEND")" = 0 ] && break
	sleep 0.05
done
expect_eq "$(sql "SELECT count(*) FROM pg_stat_activity WHERE pid = $BACKEND")" \
	"0" "the killed scratch's session ended"
expect_eq "$(sql "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'hr\_scratch\_%'")" \
	"0" "no hr_scratch_ schema is left after SIGKILL"
expect_eq "$(sql "SELECT count(*) FROM pg_class WHERE relname = 'held'")" \
	"0" "nor the table created in it"
expect_eq "$(sql "SELECT count(*) FROM pg_prepared_xacts")" "0" \
	"nor a prepared transaction"

finish
