#!/usr/bin/env bash
# Migrations reload by themselves when files change (and on SIGHUP); a
# broken edit keeps the last good map serving; a reload during a running
# upgrade does not disturb it.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
start_hrd
hr upgrade head -q

wait_for_log() { # text: wait (bounded: wait_until) for hrd to log it
	wait_for "$TMP/hrd.log" "$1"
}
add_migration() { # rev parent table
	cat >"$MIGRATIONS/${1}_add_$3.sql" <<SQL
-- revision: $1
-- down_revision: $2
-- message: Add $3

-- +upgrade
CREATE TABLE $3 (id INTEGER NOT NULL PRIMARY KEY);
-- +downgrade
DROP TABLE $3;
SQL
}

add_migration aaaa00000001 "$INITIAL" cables
if wait_for_log "migrations changed: reloaded 2 migrations"; then
	pass "a new file is picked up without a restart"
else
	fail "a new file is picked up without a restart" "$(cat "$TMP/hrd.log")"
fi
hr upgrade head
expect_rc 0 "upgrade applies the new migration"
expect_eq "$(db_versions)" "aaaa00000001" "the database is at the new head"

# A broken edit: logged, and the last good map keeps serving.
printf -- '-- revision: bbbb00000002\n-- down_revison: aaaa00000001\n' >"$MIGRATIONS/bbbb00000002_typo.sql"
if wait_for_log "migrations not reloaded: .*bbbb00000002_typo.sql:2"; then
	pass "a broken file is reported in the log, naming file and line"
else
	fail "a broken file is reported in the log, naming file and line" "$(cat "$TMP/hrd.log")"
fi
hr history
expect_contains "$OUT" "aaaa00000001 (head)" "the last good map keeps serving"
hr current
expect_eq "$ERR" "" "current has no warning while an old map serves"
rm "$MIGRATIONS/bbbb00000002_typo.sql"

# A file or directory others may write is refused, as sshd's StrictModes
# refuses such keys; the last good map keeps serving.
chmod 666 "$MIGRATIONS/aaaa00000001_add_cables.sql"
if wait_for_log "migrations not reloaded: .*aaaa00000001_add_cables.sql: refusing a migration file writable by anyone (mode 0666"; then
	pass "a world-writable migration file is refused, naming it"
else
	fail "a world-writable migration file is refused, naming it" "$(cat "$TMP/hrd.log")"
fi
hr history
expect_contains "$OUT" "aaaa00000001 (head)" "the last good map keeps serving after a refused file"
n=$(grep -c "migrations changed: reloaded" "$TMP/hrd.log")
chmod 644 "$MIGRATIONS/aaaa00000001_add_cables.sql"
for _ in $(seq 400); do
	[ "$(grep -c "migrations changed: reloaded" "$TMP/hrd.log")" -gt "$n" ] && break
	sleep 0.05
done
if [ "$(grep -c "migrations changed: reloaded" "$TMP/hrd.log")" -gt "$n" ]; then
	pass "chmod go-w makes the file load again"
else
	fail "chmod go-w makes the file load again" "$(cat "$TMP/hrd.log")"
fi
chmod 777 "$MIGRATIONS"
kill -HUP "$HRD_PID"
if wait_for_log "SIGHUP: migrations not reloaded: $MIGRATIONS: refusing a migrations directory writable by anyone"; then
	pass "a world-writable migrations directory is refused, naming it"
else
	fail "a world-writable migrations directory is refused, naming it" "$(cat "$TMP/hrd.log")"
fi
hr upgrade head
expect_rc 0 "hrd keeps serving the last good map"
chmod 755 "$MIGRATIONS"

# SIGHUP reloads too.
kill -HUP "$HRD_PID"
if wait_for_log "SIGHUP: reloaded 2 migrations"; then pass "SIGHUP reloads"; else
	fail "SIGHUP reloads" "$(cat "$TMP/hrd.log")"; fi

# A reload while an upgrade runs: the job keeps the map it planned with.
hr downgrade base -q
hold_lock
"$HRCTL" --json upgrade head >"$TMP/up.out" 2>&1 &
UP=$!
wait_blocked "$TMP/up.out"
n=$(grep -c "reloaded" "$TMP/hrd.log")
add_migration cccc00000003 aaaa00000001 patch_panels
reloaded_again() { [ "$(grep -c "reloaded" "$TMP/hrd.log")" -gt "$n" ]; }
wait_until "hrd to reload during the upgrade" reloaded_again
release_lock
wait "$UP"
RC=$?
expect_rc 0 "an upgrade survives a reload under it"
expect_eq "$(db_versions)" "aaaa00000001" "it ran the plan it made (to the old head)"
hr upgrade head
expect_rc 0 "the next upgrade uses the new map"
expect_eq "$(db_versions)" "cccc00000003" "and reaches the new head"

finish
