#!/usr/bin/env bash
# Status calls are answered while a migration runs; concurrent schema
# changes are serialized; Ctrl-C and vanished clients stop cleanly.
#
# To hold an upgrade "in progress" for as long as the test needs, the
# test itself holds the lock hrd's writer needs (lib.sh's hold_lock:
# SQLite's write lock, or PostgreSQL's schema advisory lock as another
# host would), with no timing assumption.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
# A chain of 20 small migrations after the initial one.
prev=$INITIAL
for i in $(seq 1 20); do
	rev=$(printf 'c0ffee%06d' "$i")
	cat >"$MIGRATIONS/${rev}_add_column_$i.sql" <<SQL
-- revision: $rev
-- down_revision: $prev
-- message: Add racks.extra_$i

-- +upgrade
ALTER TABLE racks ADD COLUMN extra_$i INTEGER;
-- +downgrade
ALTER TABLE racks DROP COLUMN extra_$i;
SQL
	prev=$rev
done
HEAD=$prev
start_hrd

# --- current while an upgrade is in progress ---------------------------------
hold_lock
"$HRCTL" --json upgrade head >"$TMP/up.out" 2>&1 &
UP_PID=$!
wait_blocked "$TMP/up.out"
hr current
expect_rc 0 "current is answered while an upgrade is in progress"
expect_eq "$OUT" "" "current shows the last committed state (base)"
hr history
expect_rc 0 "history is answered while an upgrade is in progress"
if kill -0 "$UP_PID" 2>/dev/null; then pass "the upgrade was still running then"; else
	fail "the upgrade was still running then"; fi
release_lock
wait "$UP_PID"
RC=$?
expect_rc 0 "the upgrade completes once the lock is released"
expect_eq "$(db_versions)" "$HEAD" "the database reached head"
expect_eq "$(grep -c '"event": "finished"' "$TMP/up.out")" "21" "21 steps streamed as finished"

# --- concurrent upgrades are serialized ----------------------------------------
hr downgrade base
expect_rc 0 "downgrade base"
sql "DELETE FROM homerack_schema_history"
pids=()
for i in 1 2 3 4; do
	"$HRCTL" upgrade head >"$TMP/par$i.out" 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
expect_eq "$ok" "4" "four concurrent upgrades all succeed"
expect_eq "$(sql "SELECT count(*), count(DISTINCT revision) FROM homerack_schema_history WHERE direction='upgrade'")" \
	"21|21" "every migration was applied exactly once"
expect_eq "$(cat "$TMP"/par*.out | grep -c '^Running upgrade')" "21" \
	"the steps were reported once in total"
expect_eq "$(db_versions)" "$HEAD" "the database is at head"

# --- on a terminal: one line per step, with N/M and its duration ---------------
hr downgrade base
run script -qec "$HRCTL upgrade head" /dev/null
expect_rc 0 "upgrade on a terminal succeeds"
expect_contains "$OUT" "[21/21] Running upgrade c0ffee000019 -> $HEAD, Add racks.extra_20 ... done in " \
	"a terminal gets one progress line per step with N/M and duration"

# --- deadlines end a call wherever it waits ------------------------------------
# Each call below is provably held up (the test holds the lock its writer
# needs) when its deadline passes; the outcome is checked, not the time.
# `timeout -k 10 120` only bounds a regression that would otherwise hang
# (hrctl answers SIGTERM by cancelling and waiting: -k kills it then).
hr downgrade base -q
hold_lock
run timeout -k 10 120 "$HRCTL" --json upgrade head --timeout 1
expect_rc 1 "an upgrade blocked on the database lock ends at its deadline"
expect_contains "$ERR" "deadline exceeded" "with DEADLINE_EXCEEDED's reason"
expect_contains "$ERR" "database is at" "saying where the database is"
if kill -0 "$LOCK_PID" 2>/dev/null; then pass "while the lock was still held"; else
	fail "while the lock was still held"; fi
release_lock
expect_eq "$(db_versions)" "" "and the timed-out upgrade applied nothing"

# Queued behind another change (itself waiting for our lock).
hold_lock
"$HRCTL" upgrade head -q >"$TMP/ahead.out" 2>&1 &
AHEAD_PID=$!
wait_blocked
run timeout -k 10 120 "$HRCTL" upgrade head --timeout 1
expect_rc 1 "an upgrade queued behind another change ends at its deadline"
expect_contains "$ERR" "deadline exceeded while waiting behind another job" \
	"saying it was still waiting its turn"
if kill -0 "$AHEAD_PID" 2>/dev/null; then pass "while the change ahead was still waiting"; else
	fail "while the change ahead was still waiting"; fi
release_lock
wait "$AHEAD_PID"
RC=$?
expect_rc 0 "the change ahead completes once the lock is released"
expect_eq "$(db_versions)" "$HEAD" "and only it moved the database"

# A stamp waiting for the lock, with a deadline: nothing is stamped.
hold_lock
run timeout -k 10 120 "$HRCTL" stamp base --timeout 1
expect_rc 1 "a stamp blocked on the database lock ends at its deadline"
expect_contains "$ERR" "deadline exceeded" "with DEADLINE_EXCEEDED's reason"
release_lock
expect_eq "$(db_versions)" "$HEAD" "and the timed-out stamp changed nothing"

# A stamp whose client hangs up while it waits for the lock: cancelled,
# nothing stamped once the lock comes free.
hold_lock
"$HRCTL" stamp base >/dev/null 2>&1 &
STAMP_PID=$!
wait_blocked
kill -9 "$STAMP_PID"
wait "$STAMP_PID" 2>/dev/null
wait_for "$TMP/hrd.log" "Stamp: uid [0-9]* went away; cancelling"
release_lock
wait_for "$TMP/hrd.log" "Stamp by uid [0-9]*: CANCELLED\\|stamped <base>"
expect_contains "$(cat "$TMP/hrd.log")" "Stamp by uid $(id -u): CANCELLED" \
	"a stamp whose client hung up is cancelled"
expect_eq "$(db_versions)" "$HEAD" "and stamps nothing"
hr downgrade base -q

# --- Ctrl-C cancels between migrations ----------------------------------------
hr downgrade base
hold_lock
"$HRCTL" --json upgrade head >"$TMP/int.out" 2>"$TMP/int.err" &
INT_PID=$!
wait_blocked "$TMP/int.out"
kill -INT "$INT_PID"
# hrd logs the cancel while its writer still waits for our lock.
wait_for "$TMP/hrd.log" "cancelled the call"
release_lock
wait "$INT_PID"
RC=$?
ERR=$(cat "$TMP/int.err")
expect_rc 1 "an interrupted upgrade exits non-zero"
expect_contains "$ERR" "cancelled" "the user is told it was cancelled"
expect_contains "$ERR" "database is at" "the user is told where the database is"
expect_eq "$(db_versions)" "" "no migration started after the cancel"

# --- a client that vanishes mid-call ------------------------------------------
hold_lock
"$HRCTL" --json upgrade head >"$TMP/gone.out" 2>&1 &
GONE_PID=$!
wait_blocked "$TMP/gone.out"
kill -9 "$GONE_PID"
wait "$GONE_PID" 2>/dev/null
wait_for "$TMP/hrd.log" "went away; cancelling"
release_lock
hr current
expect_rc 0 "the daemon serves after a client vanished mid-call"
expect_eq "$(db_versions)" "" "a vanished client's upgrade starts no migration"
expect_eq "$(db_tables)" "" "and leaves nothing half-applied"
hr upgrade head
expect_rc 0 "a new upgrade completes afterwards"
expect_eq "$(db_versions)" "$HEAD" "and reaches head"

finish
