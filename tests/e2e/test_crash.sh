#!/usr/bin/env bash
# Crash safety: SIGKILL hrd at many moments of a long upgrade (and of a
# long downgrade); after each kill the database must be exactly at some
# revision of the chain — version table and schema agreeing, nothing
# half-applied — and a restarted hrd must finish the job.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-30}
STEPS=30
ROWS=4000
use_temp_migrations
prev=$INITIAL
for k in $(seq 1 $STEPS); do
	rev=$(printf 'dead%08d' "$k")
	cat >"$MIGRATIONS/${rev}_crash_$k.sql" <<SQL
-- revision: $rev
-- down_revision: $prev
-- message: Crash table $k

-- +upgrade sqlite
CREATE TABLE crash_$k (id INTEGER NOT NULL PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO crash_$k (v)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
  SELECT printf('row %d of table $k', i) FROM n;
-- +upgrade postgresql
CREATE TABLE crash_$k (id SERIAL NOT NULL PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO crash_$k (v)
  SELECT format('row %s of table $k', i) FROM generate_series(1, $ROWS) AS n(i);
-- +upgrade
CREATE INDEX ix_crash_${k}_v ON crash_$k (v);
-- +downgrade
DROP INDEX ix_crash_${k}_v;
DROP TABLE crash_$k;
SQL
	prev=$rev
done

# The revision number (0 = initial only, -1 = base) alembic_version
# names, or "bad" when it is not one row of the chain.
at_revision() {
	local v
	v=$(db_versions)
	case "$v" in
	"") echo -1 ;;
	"$INITIAL") echo 0 ;;
	dead*) echo $((10#${v#dead})) ;;
	*) echo bad ;;
	esac
}

# Does the schema agree with revision r? Every crash table up to r whole
# (all rows, its index), none after it; the HomeRack tables iff r >= 0.
consistent() {
	local r=$1 got
	got=$(db_tables | tr ' ' '\n' | grep -c '^crash_')
	[ "$got" -eq "$((r > 0 ? r : 0))" ] || { echo "$got crash tables at revision $r"; return 1; }
	for k in $(seq 1 "$r"); do
		got=$(sql "SELECT count(*) FROM crash_$k")
		[ "$got" -eq "$ROWS" ] || { echo "crash_$k has $got rows"; return 1; }
		got=$(db_index_count "ix_crash_${k}_v")
		[ "$got" -eq 1 ] || { echo "crash_$k lacks its index"; return 1; }
	done
	got=$(db_tables | wc -w)
	[ "$got" -eq "$((r >= 0 ? 5 + (r > 0 ? r : 0) : 0))" ] || { echo "$got tables at revision $r"; return 1; }
}

# How long a whole upgrade takes here, to spread the kills over it.
start_hrd
started=$(date +%s%N)
hr upgrade head -q
span_ms=$(( ($(date +%s%N) - started) / 1000000 ))
hr downgrade base -q
stop_hrd
echo "# a full upgrade takes ${span_ms} ms here; killing at random moments within it"

bad=0
seen=""
for round in $(seq 1 "$ROUNDS"); do
	start_hrd
	if [ $((round % 3)) -eq 0 ]; then
		hr upgrade head -q # this round kills a downgrade
		what=downgrade
		"$HRCTL" downgrade base -q >/dev/null 2>&1 &
	else
		what=upgrade
		"$HRCTL" upgrade head -q >/dev/null 2>&1 &
	fi
	client=$!
	sleep "$(printf '0.%03d' $((RANDOM % (span_ms > 999 ? 999 : span_ms + 1))))"
	kill -9 "$HRD_PID"
	wait "$HRD_PID" 2>/dev/null
	HRD_PID=
	wait "$client" 2>/dev/null
	r=$(at_revision)
	if [ "$r" = bad ]; then
		fail "round $round ($what): alembic_version holds '$(db_versions)'"
		bad=1
		continue
	fi
	if ! why=$(consistent "$r"); then
		fail "round $round ($what): killed at revision $r, schema disagrees: $why"
		bad=1
	fi
	seen="$seen $r"
	start_hrd
	hr upgrade head -q
	if [ "$RC" -ne 0 ] || [ "$(at_revision)" != "$STEPS" ]; then
		fail "round $round: upgrade head after the crash" "$ERR"
		bad=1
	fi
	hr downgrade base -q
	stop_hrd
done
[ "$bad" -eq 0 ] && pass "$ROUNDS kills: every one left a consistent revision and upgrade head recovered"
distinct=$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)
echo "# revisions the kills landed on:$seen"
if [ "$distinct" -ge 3 ]; then pass "the kills landed at $distinct different revisions"; else
	fail "the kills landed at only $distinct different revisions (spread too narrow)"; fi

finish
