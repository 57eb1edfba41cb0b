#!/usr/bin/env bash
# Two hosts, one database: two hrd processes on two sockets share one
# PostgreSQL database. Each round, `hrctl upgrade head` runs against both
# at once, then `hrctl downgrade base` against both at once. The schema
# advisory lock must make every migration run exactly once per round and
# direction, with no errors, and both hosts must agree on the head.
#
# ROUNDS (default 20) sets the number of rounds.
HR_BACKEND=postgres
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-20}
STEPS=20
use_temp_migrations
prev=$INITIAL
for i in $(seq 1 $STEPS); do
	rev=$(printf 'ba5e%08d' "$i")
	cat >"$MIGRATIONS/${rev}_add_column_$i.sql" <<SQL
-- revision: $rev
-- down_revision: $prev
-- message: Add racks.extra_$i

-- +upgrade
ALTER TABLE racks ADD COLUMN extra_$i INTEGER;
CREATE TABLE extra_$i (id INTEGER PRIMARY KEY, rack_id INTEGER REFERENCES racks (id));
-- +downgrade
DROP TABLE extra_$i;
ALTER TABLE racks DROP COLUMN extra_$i;
SQL
	prev=$rev
done
HEAD=$prev
TOTAL=$((STEPS + 1))

# Host A is lib.sh's hrd; host B a second one on its own socket and log.
start_hrd
SOCK_B=$TMP/hrd-b.sock
"$HRD" --socket "$SOCK_B" --database "$DB_URL" --migrations "$MIGRATIONS" \
	>>"$TMP/hrd-b.log" 2>&1 &
HRD_B=$!
echo "$HRD_B" >>"$TMP/hrd.pids"
trap 'kill -9 "$HRD_B" 2>/dev/null; cleanup' EXIT
b_answers() {
	"$HRCTL" --socket "$SOCK_B" current && return 0
	kill -0 "$HRD_B" 2>/dev/null || { fail "host B did not start" "$(cat "$TMP/hrd-b.log")"; finish; }
	return 1
}
wait_until "host B to answer" b_answers

# both VERB TARGET: the same command on both hosts at once; sets OK to
# how many succeeded and keeps their output in $TMP/a.out, $TMP/b.out.
both() {
	"$HRCTL" --socket "$SOCK" "$@" >"$TMP/a.out" 2>&1 &
	local a=$!
	"$HRCTL" --socket "$SOCK_B" "$@" >"$TMP/b.out" 2>&1 &
	local b=$!
	OK=0
	wait "$a" && OK=$((OK + 1))
	wait "$b" && OK=$((OK + 1))
}

# The history table's last id (0 before it exists).
last_id() {
	local id
	id=$(sql "SELECT coalesce(max(id), 0) FROM homerack_schema_history" 2>/dev/null)
	echo "${id:-0}"
}

# Steps recorded in the history table after id $1, in direction $2:
# "count|distinct revisions".
steps_since() {
	sql "SELECT count(*), count(DISTINCT revision) FROM homerack_schema_history
	     WHERE id > $1 AND direction = '$2'"
}

bad_rounds=0
for round in $(seq 1 "$ROUNDS"); do
	mark=$(last_id)
	both upgrade head
	up=$(steps_since "$mark" upgrade)
	versions=$(db_versions)
	cur_a=$("$HRCTL" --socket "$SOCK" current 2>&1)
	cur_b=$("$HRCTL" --socket "$SOCK_B" current 2>&1)
	ran=$(cat "$TMP/a.out" "$TMP/b.out" | grep -c '^Running upgrade')
	mark=$(last_id)
	up_ok=$OK
	both downgrade base
	down=$(steps_since "$mark" downgrade)
	if [ "$up_ok" != 2 ] || [ "$up" != "$TOTAL|$TOTAL" ] || [ "$ran" != "$TOTAL" ] ||
		[ "$versions" != "$HEAD" ] || [ "$cur_a" != "$HEAD (head)" ] ||
		[ "$cur_b" != "$HEAD (head)" ] || [ "$OK" != 2 ] ||
		[ "$down" != "$TOTAL|$TOTAL" ] || [ "$(db_versions)" != "" ]; then
		bad_rounds=$((bad_rounds + 1))
		fail "round $round" "upgrades ok: $up_ok, applied: $up, reported: $ran, rows: $versions" \
			"current: A '$cur_a', B '$cur_b'" "downgrades ok: $OK, applied: $down" \
			"$(cat "$TMP/a.out" "$TMP/b.out")"
	fi
done
expect_eq "$bad_rounds" "0" \
	"$ROUNDS rounds: every migration applied and undone exactly once, no errors, both at head"
expect_eq "$(db_tables)" "" "every round ends with an empty schema"
waits=$(cat "$TMP/hrd.log" "$TMP/hrd-b.log" | grep -c "waiting for the schema lock held by 'hrd ")
if [ "$waits" -gt 0 ]; then pass "the hosts waited for each other ($waits times)"; else
	fail "the hosts waited for each other"; fi

kill -TERM "$HRD_B"
wait "$HRD_B"
RC=$?
expect_rc 0 "host B exits cleanly"
[ "$RC" -eq 0 ] || echo "$(tail -20 "$TMP/hrd-b.log")"
finish
