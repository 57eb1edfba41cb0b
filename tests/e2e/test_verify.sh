#!/usr/bin/env bash
# Integrity: hrctl verify lists applied migrations whose file changed or
# disappeared (line endings aside) and exits non-zero; upgrade refuses to
# run while an applied file has changed, unless --allow-changed.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
NOTES=aaaa00000001
FILE=$MIGRATIONS/${NOTES}_add_notes.sql
cat >"$FILE" <<SQL
-- revision: $NOTES
-- down_revision: $INITIAL
-- message: Add rack notes

-- +upgrade
ALTER TABLE racks ADD COLUMN notes VARCHAR(200);
-- +downgrade
ALTER TABLE racks DROP COLUMN notes;
SQL
INITIAL_FILE=$MIGRATIONS/${INITIAL}_initial_homerack_schema.sql
start_hrd

# Edits are picked up by hrd's directory watch (reload.c): `editing`
# before changing files, `edited` after, to wait for the reload.
reloads() { grep -c "migrations changed: " "$TMP/hrd.log"; }
editing() { BEFORE=$(reloads); }
reloaded() { [ "$(reloads)" -gt "$BEFORE" ]; }
edited() { wait_until "hrd to reload after an edit" reloaded; }

hr verify
expect_rc 0 "verify on an empty database succeeds"
expect_eq "$OUT" "0 applied migrations match their recorded checksums" "nothing is applied"

hr upgrade head -q
hr verify
expect_rc 0 "verify after an upgrade succeeds"
expect_eq "$OUT" "2 applied migrations match their recorded checksums" "both files match"
hr --json verify
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["checked"] == 2 and d["problems"] == []' "$OUT"; then
	pass "verify --json counts the checked migrations"
else
	fail "verify --json counts the checked migrations" "$OUT"
fi

# Line endings alone are no change.
editing
sed -i 's/$/\r/' "$FILE"
edited
hr verify
expect_rc 0 "CRLF line endings do not count as a change"
hr upgrade head
expect_rc 0 "upgrade runs after a line-ending change"

# A real edit.
RECORDED=$(sql "SELECT checksum FROM homerack_schema_history WHERE revision = '$NOTES'")
editing
sed -i 's/VARCHAR(200)/VARCHAR(300)/' "$FILE"
edited
NOW=$(sed 's/\r$//' "$FILE" | sha256sum | cut -d' ' -f1)
hr verify
expect_rc 1 "verify fails when an applied file changed"
expect_eq "$OUT" "changed: $FILE changed since $NOTES was applied (sha256 was ${RECORDED:0:12}..., now ${NOW:0:12}...)
1 applied migration matches its recorded checksum" "verify names the file, the revision and both checksums"
expect_eq "$ERR" "hrctl: verify: 1 problem with applied migrations" "verify ends with a one-line error"
hr --json verify
if python3 -c '
import json,sys
d=json.loads(sys.argv[1]); p=d["problems"][0]
assert p["kind"] == "changed" and p["revision"] == sys.argv[2]
assert p["recorded_checksum"] == sys.argv[3] and p["file_checksum"] == sys.argv[4]' \
	"$OUT" "$NOTES" "$RECORDED" "$NOW"; then
	pass "verify --json gives kind, revision and both checksums"
else
	fail "verify --json gives kind, revision and both checksums" "$OUT"
fi

hr upgrade head
expect_rc 1 "upgrade refuses while an applied file changed"
expect_eq "$ERR" "hrctl: upgrade: 1 applied migration file changed since it was applied: $NOTES ($FILE); see hrctl verify, or upgrade --allow-changed" \
	"the refusal names the file and the way out"
hr upgrade head --allow-changed
expect_rc 0 "upgrade --allow-changed runs anyway"
hr downgrade -1
expect_rc 0 "downgrade is not refused"
hr upgrade head
expect_rc 0 "re-applying records the new checksum"
hr verify
expect_rc 0 "and verify is content again"

# Two changed files are both named.
editing
echo "-- a comment" >>"$FILE"
echo "-- a comment" >>"$INITIAL_FILE"
edited
hr upgrade head
expect_rc 1 "upgrade refuses with two changed files"
expect_contains "$ERR" "2 applied migration files changed since they were applied: $INITIAL ($INITIAL_FILE), $NOTES ($FILE)" \
	"both are named"
hr verify
expect_eq "$(grep -c '^changed: ' <<<"$OUT")" 2 "verify lists both"

# A file that does not parse any more.
editing
printf -- '-- revision: %s\n-- down_revison: %s\n' $NOTES $INITIAL >"$FILE"
edited
hr verify
expect_rc 1 "verify fails on a broken file"
expect_contains "$OUT" "unreadable: $FILE:2: unknown header field 'down_revison'" \
	"a broken file is reported with its line"
expect_contains "$OUT" "missing: $NOTES is applied but no migration file has it (it was $FILE)" \
	"its revision has no readable file any more"

# A file that disappeared.
editing
rm "$FILE"
edited
hr verify
expect_rc 1 "verify fails when an applied file is gone"
expect_contains "$OUT" "missing: $NOTES is applied but no migration file has it" \
	"the missing revision is named"
expect_not_contains "$OUT" "unreadable" "the broken file is no longer reported"

# Revisions without a checksum on record (stamped, or applied by Alembic,
# which keeps no history): counted, not failed.
editing
cp "$SRCDIR/migrations/${INITIAL}_initial_homerack_schema.sql" "$INITIAL_FILE"
edited
hr stamp head --purge
sql "DELETE FROM homerack_schema_history"
hr verify
expect_rc 0 "a stamped database verifies"
expect_eq "$OUT" "0 applied migrations match their recorded checksums; 1 applied without a recorded checksum (stamped, or by Alembic)" \
	"stamped revisions are counted as unrecorded"
hr current
expect_rc 0 "hrd still serves"

# Checksums belong to whole revision ids: with abc and abcd in one graph,
# an edit of one never passes for (or blames) the other.
ABC=$MIGRATIONS/abc_prefix.sql
ABCD=$MIGRATIONS/abcd_longer.sql
editing
printf -- '-- revision: abc\n-- down_revision: %s\n\n-- +upgrade\nCREATE TABLE t_abc (id INTEGER);\n' $INITIAL >"$ABC"
printf -- '-- revision: abcd\n-- down_revision: abc\n\n-- +upgrade\nCREATE TABLE t_abcd (id INTEGER);\n-- +downgrade\nDROP TABLE t_abcd;\n' >"$ABCD"
edited
hr upgrade head -q
expect_rc 0 "abc and abcd are applied"
editing
echo "-- an edit" >>"$ABC"
edited
hr verify
expect_rc 1 "verify fails when abc changed"
expect_eq "$(grep '^changed: ' <<<"$OUT")" "changed: $ABC changed since abc was applied (sha256 was $(sql "SELECT substr(checksum, 1, 12) FROM homerack_schema_history WHERE revision = 'abc'")..., now $(sha256sum "$ABC" | cut -c1-12)...)" \
	"verify names abc, and only abc"
hr downgrade abc -q
hr upgrade head
expect_rc 1 "upgrade refuses while abc changed"
expect_contains "$ERR" "1 applied migration file changed since it was applied: abc ($ABC)" \
	"the upgrade's check names abc only"
editing
head -n -1 "$ABC" >"$TMP/abc" && cat "$TMP/abc" >"$ABC"
echo "-- an edit" >>"$ABCD"
edited
hr upgrade head -q
expect_rc 0 "abc unchanged again: abcd (not applied) may change"
editing
echo "-- another edit" >>"$ABCD"
edited
hr verify
expect_eq "$(grep '^changed: ' <<<"$OUT" | sed 's/ (sha256.*//')" "changed: $ABCD changed since abcd was applied" \
	"verify names abcd, and only abcd"

# verify notices outside changes under the schema lock, as upgrade and
# stamp do: on PostgreSQL another host's upgrade landing between its
# reads would otherwise be recorded as an outside change.
outside_rows=$(sql "SELECT count(*) FROM homerack_schema_history WHERE direction = 'outside'")
hold_lock
"$HRCTL" verify >"$TMP/verify.out" 2>&1 &
VERIFY_PID=$!
wait_blocked
release_lock
wait "$VERIFY_PID"
expect_eq "$?" 1 "verify ran once the lock came free (abcd is still changed)"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history WHERE direction = 'outside'")" \
	"$outside_rows" "and recorded no outside change"

finish
