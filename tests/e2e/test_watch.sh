#!/usr/bin/env bash
# hrctl wait (on the Watch stream): waits for hrd, for head, for a
# revision; times out cleanly; sees changes made by other programs.
. "$(dirname "$0")/lib.sh"

# Started before hrd exists: it waits for hrd, then for head.
"$HRCTL" wait --for head --timeout 120s >"$TMP/early.out" 2>"$TMP/early.err" &
EARLY=$!
# Only once it has found no hrd (whenever it gets to run) is hrd started.
wait_for "$TMP/early.err" "retrying"
start_hrd

hr wait --timeout 300ms
expect_rc 1 "wait times out while the database is not at head"
expect_one_line "$ERR" "the timeout is one line"
expect_contains "$ERR" "timed out after 300ms waiting for head; database is at <base>" \
	"the timeout says where the database is"

hr wait --for nope --timeout 5s
expect_rc 1 "waiting for an unknown revision fails at once"
expect_contains "$ERR" "no such revision 'nope'" "and names it"
hr wait --timeout soon
expect_rc 2 "a malformed duration is a usage error"

hr upgrade head -q
wait "$EARLY"
RC=$?
expect_rc 0 "a wait started before hrd returns once the schema is at head"
expect_eq "$(cat "$TMP/early.out")" "$INITIAL (head)" "and prints where it is"
expect_contains "$(cat "$TMP/early.err")" "retrying" "it said it was waiting for hrd"

hr wait --timeout 120s
expect_rc 0 "wait at head returns at once"
hr wait --for 1f3c --timeout 120s
expect_rc 0 "wait for an applied revision (by prefix) returns at once"
hr --json wait --timeout 120s
expect_contains "$OUT" "\"reached\": true" "wait --json reports the state"

# A change made behind hrd's back (another tool) is seen too.
hr downgrade base -q
"$HRCTL" wait --timeout 60s >"$TMP/outside.out" 2>&1 &
W=$!
sql "INSERT INTO alembic_version VALUES ('$INITIAL')"
wait "$W"
RC=$?
expect_rc 0 "wait notices a version change made by another program"

# Many watchers at once all see the same change.
hr stamp base
pids=()
for i in $(seq 1 20); do
	"$HRCTL" wait --timeout 60s >"$TMP/w$i.out" 2>&1 &
	pids+=($!)
done
hr stamp head
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
expect_eq "$ok" "20" "twenty watchers all return when the head is reached"

# Two heads, one depending on the other: at head the table holds only
# the dependent's row (as Alembic keeps it), and that counts as head.
stop_hrd
use_temp_migrations
printf -- '-- revision: aaaa00000001\n-- down_revision: %s\n-- +upgrade\nCREATE TABLE a1 (id INTEGER);\n' \
	"$INITIAL" >"$MIGRATIONS/aaaa00000001_a.sql"
printf -- '-- revision: bbbb00000002\n-- down_revision: %s\n-- depends_on: aaaa00000001\n-- +upgrade\nCREATE TABLE b2 (id INTEGER);\n' \
	"$INITIAL" >"$MIGRATIONS/bbbb00000002_b.sql"
start_hrd
hr upgrade heads -q
expect_eq "$(db_versions)" "bbbb00000002" "a head depended on gets no row of its own"
hr wait --timeout 30s
expect_rc 0 "and the database counts as at head for wait"

finish
