#!/usr/bin/env bash
# The Alembic revision model end to end: branches, merges, labels and
# depends_on through heads, branches, show, history -r, current
# --check-heads, LABEL@ targets, stamp of several revisions and --purge,
# and revision / merge writing files; every error message checked, the
# daemon serving after each.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
NOTES=aaaa00000001   # on the initial schema
CABLES=aabb00000002  # on the initial schema too: a branch point; label cables
COLOURS=cccc00000003 # on cables
MERGE=dddd00000004   # merges notes and colours
AUDIT=eeee00000005   # a second base; label audit
ANOTES=ffff00000006  # on audit, depends on notes

# mig REV PARENTS TABLE [EXTRA HEADER LINES]: a migration creating TABLE.
mig() {
	local rev=$1 parents=$2 table=$3
	shift 3
	{
		echo "-- revision: $rev"
		echo "-- down_revision: $parents"
		echo "-- message: Add $table"
		for line in "$@"; do echo "-- $line"; done
		echo
		echo "-- +upgrade"
		echo "CREATE TABLE $table (id INTEGER NOT NULL PRIMARY KEY);"
		echo "-- +downgrade"
		echo "DROP TABLE $table;"
	} >"$MIGRATIONS/${rev}_add_$table.sql"
}
mig $NOTES $INITIAL notes
mig $CABLES $INITIAL cables "branch_labels: cables"
mig $COLOURS $CABLES colours
cat >"$MIGRATIONS/${MERGE}_merge.sql" <<SQL
-- revision: $MERGE
-- down_revision: $NOTES, $COLOURS
-- message: Merge notes and colours

-- +upgrade
-- +downgrade
SQL
mig $AUDIT "" audit_log "branch_labels: audit"
mig $ANOTES $AUDIT audit_notes "depends_on: $NOTES"
start_hrd

# still_serving: after an error, the next call works.
still_serving() {
	local out
	out=$("$HRCTL" heads 2>&1)
	if [[ $out == *"(head)"* ]]; then pass "hrd still serves after: $1"; else
		fail "hrd still serves after: $1" "$out"
	fi
}
# json_ok TEXT KEY: TEXT is one JSON document with KEY at the top.
json_ok() {
	if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert sys.argv[2] in d' \
		"$1" "$2" 2>/dev/null; then pass "$3"; else fail "$3" "$1"; fi
}

# --- the graph as read commands show it ---------------------------------
hr heads
expect_rc 0 "heads succeeds"
expect_eq "$OUT" "$MERGE (cables) (head)
$ANOTES (audit) (head)" "heads lists both heads with their branch labels"
hr heads -v
expect_contains "$OUT" "Rev: $MERGE (head) (mergepoint)
Merges: $NOTES, $COLOURS
Branch names: cables
Path: $MIGRATIONS/${MERGE}_merge.sql" "heads -v prints Alembic's verbose block"
expect_contains "$OUT" "Also depends on: $NOTES" "heads -v shows depends_on"
hr --json heads
json_ok "$OUT" revisions "heads --json is JSON"
expect_contains "$OUT" "\"children\": [], \"dependents\": []" "heads --json has the graph fields"

hr branches
expect_rc 0 "branches succeeds"
expect_eq "$OUT" "$INITIAL (branchpoint)
             -> $NOTES
             -> $CABLES (cables)" "branches shows the branch point and its branches"
hr branches -v
expect_contains "$OUT" "Branches into: $NOTES, $CABLES" "branches -v names the branches"
expect_contains "$OUT" "-> $NOTES, Add notes" "branches -v adds the messages"
hr --json branches
json_ok "$OUT" branchpoints "branches --json is JSON"

hr history
expect_rc 0 "history succeeds"
expect_contains "$OUT" "$AUDIT ($NOTES) -> $ANOTES (audit) (head), Add audit_notes" \
	"history shows a dependency in parentheses"
expect_contains "$OUT" "$NOTES, $COLOURS -> $MERGE (cables) (head) (mergepoint), Merge notes and colours" \
	"history marks the merge"
expect_contains "$OUT" "<base> -> $INITIAL (branchpoint), Initial HomeRack schema" \
	"history marks the branch point"
hr history -r $CABLES:
expect_eq "$OUT" "$NOTES, $COLOURS -> $MERGE (cables) (head) (mergepoint), Merge notes and colours
$CABLES -> $COLOURS (cables), Add colours
$INITIAL -> $CABLES (cables), Add cables" "history -r START: lists START and what builds on it"
hr history -r :$NOTES
expect_eq "$(cut -d, -f1 <<<"$OUT")" "$INITIAL -> $NOTES
<base> -> $INITIAL (branchpoint)" "history -r :END lists END and below"
hr history -r-1:$COLOURS
expect_eq "$(cut -d' ' -f3 <<<"$OUT")" "$COLOURS
$CABLES" "history -r-N:END counts down from END (glued value)"
hr history --rev-range=$COLOURS:$NOTES
expect_rc 1 "a range whose start is not below its end fails"
expect_eq "$ERR" "hrctl: history: history range: $COLOURS is not an ancestor of '$NOTES'" \
	"and says so"
hr history -r nope
expect_rc 1 "a range without ':' fails"
expect_contains "$ERR" "history range needs START:END" "and says what it wants"
still_serving "bad history ranges"
hr --json history -r audit@base:audit@head
json_ok "$OUT" revisions "history --json -r is JSON"
# As in Alembic, the range holds what END needs, dependencies included.
expect_eq "$(grep -o '"revision": "[a-f0-9]*"' <<<"$OUT" | cut -d'"' -f4 | tr '\n' ' ')" \
	"$ANOTES $AUDIT $NOTES $INITIAL " "a LABEL@base:LABEL@head range is what the branch head needs"

hr show $MERGE
expect_contains "$OUT" "Rev: $MERGE (head) (mergepoint)" "show prints the revision in full"
expect_contains "$OUT" "    Revises: $NOTES, $COLOURS" "show prints the docstring part"
hr show aa
expect_rc 1 "an ambiguous prefix fails"
expect_eq "$ERR" "hrctl: show: revision prefix 'aa' is ambiguous: $NOTES, $CABLES" \
	"an ambiguous prefix names every match"
hr show nope
expect_eq "$ERR" "hrctl: show: no such revision 'nope'" "show of an unknown revision says so"
hr show heads
expect_eq "$(grep -c '^Rev: ' <<<"$OUT")" 2 "show heads shows both heads"
hr show cables@head
expect_contains "$OUT" "Rev: $MERGE" "show LABEL@head"
hr show cables@$NOTES
expect_eq "$ERR" "hrctl: show: revision $NOTES is not on branch 'cables'" \
	"LABEL@REV off the branch is refused"
hr show
expect_rc 2 "show without a revision is a usage error"
hr --json show $COLOURS
json_ok "$OUT" revisions "show --json is JSON"
still_serving "bad show targets"

# --- targets over branches, and the version rows ---------------------------
hr upgrade head
expect_rc 1 "upgrade head with two heads fails"
expect_eq "$ERR" "hrctl: upgrade: target 'head' is ambiguous: there are several heads ($MERGE, $ANOTES); use 'heads' or name a revision" \
	"the error names the heads"
hr upgrade cables@+2
expect_rc 0 "upgrade LABEL@+2 from base"
expect_eq "$(db_versions)" "$CABLES" "LABEL@+N walks up along the branch"
hr upgrade +1
expect_eq "$(db_versions)" "$COLOURS" "+1 from a revision with one child"
hr upgrade $NOTES
expect_eq "$(db_versions)" "$NOTES $COLOURS" "a second branch gets its own row"
hr current
expect_eq "$OUT" "$NOTES
$COLOURS" "current lists one line per row"
hr current --check-heads
expect_rc 1 "current --check-heads fails off the heads"
expect_eq "$ERR" "hrctl: current: the database is not at the heads: it is at $NOTES, $COLOURS; the heads are $MERGE, $ANOTES" \
	"and says where it is and where the heads are"
hr --json current --check-heads
expect_contains "$OUT" '"at_heads": false' "current --json --check-heads says at_heads false"
hr downgrade -1
expect_rc 1 "downgrade -1 from two rows fails"
expect_contains "$ERR" "relative target '-1' is ambiguous: there are several current revisions ($NOTES, $COLOURS)" \
	"the ambiguous walk is explained"
hr downgrade cables@-1
expect_rc 0 "downgrade LABEL@-1 picks the branch's row"
expect_eq "$(db_versions)" "$NOTES $CABLES" "only that branch moved"
expect_not_contains " $(db_tables) " " colours " "its table is gone"
hr upgrade +1
expect_rc 1 "upgrade +1 from two rows fails"
hr upgrade heads
expect_rc 0 "upgrade heads"
expect_eq "$(db_versions)" "$MERGE $ANOTES" "the merge left one row per head"
hr current --check-heads
expect_rc 0 "current --check-heads at the heads exits 0"
hr downgrade $COLOURS
# Un-merging restores the parents' rows, except notes: audit_notes
# depends on it, so its row stands for notes too (as in Alembic).
expect_eq "$(db_versions)" "$COLOURS $ANOTES" "un-merging restores the parents' rows"
hr downgrade $INITIAL
expect_rc 0 "downgrade below the dependency"
expect_eq "$(db_versions)" "$INITIAL $AUDIT" "the dependent went first; the other base stays"
hr downgrade audit@base
expect_eq "$(db_versions)" "$INITIAL" "LABEL@base removes that branch"
hr upgrade audit@head
expect_eq "$(db_versions)" "$ANOTES" "LABEL@head pulls in the dependency, whose row it absorbs"
expect_eq "$(db_tables)" "audit_log audit_notes connections device_specifications devices notes rack_positions racks" "and its table"
hr upgrade nope@head
expect_eq "$ERR" "hrctl: upgrade: no branch label or revision 'nope'" "an unknown label says so"
hr downgrade $COLOURS
expect_eq "$ERR" "hrctl: downgrade: revision $COLOURS is not applied; cannot downgrade to it" \
	"a downgrade to an unapplied revision says so"
still_serving "bad targets"

# --- stamp: several revisions, lines of descent, --purge -------------------
hr stamp $NOTES $COLOURS
expect_rc 0 "stamp of two revisions"
expect_eq "$OUT" "Running stamp_revision $ANOTES -> $NOTES, $COLOURS" \
	"stamp prints before and after"
expect_eq "$(db_versions)" "$NOTES $COLOURS" "stamp replaced the rows on their lines of descent"
hr stamp cables@base
expect_eq "$(db_versions)" "$NOTES" "stamp LABEL@base drops that branch's row"
hr stamp $CABLES $COLOURS
expect_rc 1 "stamp of two revisions on one line fails"
expect_eq "$ERR" "hrctl: stamp: stamp targets $CABLES and $COLOURS are on one line of descent; name only one" \
	"and says why"
sql "UPDATE alembic_version SET version_num = 'deadbeef0000'"
hr stamp heads
expect_rc 1 "stamp with an unknown row fails"
expect_eq "$ERR" "hrctl: stamp: current revision 'deadbeef0000' is not in the migrations directory; stamp --purge replaces every row" \
	"and points at --purge"
hr stamp heads --purge
expect_rc 0 "stamp --purge replaces an unknown row"
expect_eq "$(db_versions)" "$MERGE $ANOTES" "the table holds the heads"
hr --json stamp base
json_ok "$OUT" previous "stamp --json is JSON"
expect_eq "$(db_versions)" "" "stamp base empties the table"
hr stamp
expect_rc 2 "stamp without a revision is a usage error"
still_serving "bad stamps"
hr stamp $ANOTES
expect_eq "$(db_versions)" "$ANOTES" "stamped back to what the tables are"

# --- revision and merge -------------------------------------------------------
hr revision -m "Add rack notes"
expect_rc 1 "revision with several heads fails"
expect_eq "$ERR" "hrctl: revision: there are several heads ($MERGE, $ANOTES): name the new revision's parent with --head, or merge them first (hrctl merge heads)" \
	"and says what to do"
hr revision -m "x" --head $NOTES
expect_eq "$ERR" "hrctl: revision: revision $NOTES is not a head; pass --splice to branch from it" \
	"a parent that is not a head needs --splice"
hr revision -m "bad id" --rev-id ab-cd --head $MERGE
expect_eq "$ERR" "hrctl: revision: revision id 'ab-cd' has the character '-' (want [A-Za-z0-9_]; '-', '+', '@', ':' and ',' belong to the target grammar)" \
	"an id with a reserved character is refused"
hr revision -m "long id" --rev-id 0123456789abcdef0123456789abcdef0 --head $MERGE
expect_eq "$ERR" "hrctl: revision: revision id '0123456789abcdef0123456789abcdef0' is 33 characters long; alembic_version.version_num is VARCHAR(32)" \
	"an id over VARCHAR(32) is refused"
hr revision -m "keyword" --rev-id heads --head $MERGE
expect_eq "$ERR" "hrctl: revision: 'heads' is a target keyword and cannot be a revision id" \
	"a keyword id is refused"
hr revision -m "taken" --rev-id $NOTES --head $MERGE
expect_eq "$ERR" "hrctl: revision: revision id '$NOTES' is already the revision id of $MIGRATIONS/${NOTES}_add_notes.sql" \
	"an existing id is refused"
hr revision -m "label" --head $MERGE --branch-label cables
expect_eq "$ERR" "hrctl: revision: branch label 'cables' is already a branch label of $CABLES ($MIGRATIONS/${CABLES}_add_cables.sql)" \
	"a label in use is refused"
hr revision -m "$(printf 'two\nlines')" --head $MERGE
expect_eq "$ERR" "hrctl: revision: the message must be one line without control characters (byte 0x0a at offset 3)" \
	"a multi-line message is refused"
hr revision --head $MERGE
expect_rc 2 "revision without -m is a usage error"
hr revision -m "x" --head nope
expect_eq "$ERR" "hrctl: revision: no such revision 'nope'" "an unknown --head says so"
expect_eq "$(ls "$MIGRATIONS" | wc -l)" 7 "no refused revision left a file"
still_serving "refused revisions"

hr revision -m "Add rack notes, v2!" --head cables@head --rev-id 0a0a0a0a0a0a \
	--branch-label racks2 --depends-on audit
expect_rc 0 "revision with an id, a label and a dependency"
NEW=$MIGRATIONS/0a0a0a0a0a0a_add_rack_notes_v2.sql
expect_eq "$OUT" "  Generating $NEW ...  done" "revision prints the file it wrote"
expect_eq "$(grep -- '^-- ' "$NEW" | grep -v create_date)" "-- revision: 0a0a0a0a0a0a
-- down_revision: $MERGE
-- branch_labels: racks2
-- depends_on: audit
-- message: Add rack notes, v2!
-- +upgrade
-- +downgrade" "the file has the header and empty sections"
expect_contains "$(grep create_date "$NEW")" "-- create_date: $(date +%Y-%m-%d)" "the file has today's date"
hr heads
expect_eq "$OUT" "0a0a0a0a0a0a (cables, racks2) (head)
$ANOTES (audit) (head)" "hrd loaded the new revision at once"

hr revision -m "Start reports" --head base --branch-label reports
expect_rc 0 "revision --head base starts a new base"
REPORTS=$(sed -n 's/^  Generating .*\/\([0-9a-f]\{12\}\)_start_reports.sql .*/\1/p' <<<"$OUT")
expect_eq "${#REPORTS}" 12 "a fresh id is 12 hex characters"
hr show reports@head
expect_contains "$OUT" "Parent: <base>" "the new base has no parent"
hr revision -m "Spliced" --head $NOTES --splice --rev-id 5b5b5b5b5b5b
expect_rc 0 "revision --splice branches from a non-head"

hr merge heads
expect_rc 2 "merge without -m is a usage error"
hr merge $NOTES $MERGE -m "redundant"
expect_eq "$ERR" "hrctl: merge: $NOTES is an ancestor of $MERGE; merge revisions of separate branches" \
	"merging a revision with its descendant is refused"
hr merge $NOTES -m "one"
expect_eq "$ERR" "hrctl: merge: nothing to merge: the targets name only $NOTES" \
	"merging one revision is refused"
hr --json merge heads -m "Merge everything" --rev-id 9f9f9f9f9f9f
expect_rc 0 "merge heads"
json_ok "$OUT" revision "merge --json is JSON"
sorted() { tr -d ',' | tr ' ' '\n' | sort | tr '\n' ' '; }
hr heads
expect_eq "$(sed 's/ (head)$//' <<<"$OUT" | cut -d' ' -f1)" "9f9f9f9f9f9f" "one head is left"
expect_eq "$(sed 's/.*(\(.*\)) (head)/\1/' <<<"$OUT" | sorted)" "audit cables racks2 reports " \
	"it carries every branch's label"
expect_eq "$(sed -n 's/^-- down_revision: //p' "$MIGRATIONS"/9f9f9f9f9f9f_merge_everything.sql | sorted)" \
	"$(sorted <<<"0a0a0a0a0a0a $ANOTES $REPORTS 5b5b5b5b5b5b")" "the merge names every head"
hr merge heads -m "again"
expect_eq "$ERR" "hrctl: merge: nothing to merge: the targets name only 9f9f9f9f9f9f" \
	"merging a single head is refused"
hr upgrade head
expect_rc 0 "upgrade head through the new revisions"
expect_eq "$(db_versions)" "9f9f9f9f9f9f" "the database is at the merge"
hr downgrade 0a0a0a0a0a0a
expect_rc 0 "downgrade below the merge"
expect_eq "$(db_versions | sorted)" "$(sorted <<<"0a0a0a0a0a0a $ANOTES $REPORTS 5b5b5b5b5b5b")" \
	"un-merging four heads gives back four rows"
still_serving "revision and merge"

# --- only admins may add revisions -------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp "$HRCTL" "$TMP/hrctl-nobody"
	chmod 755 "$TMP/hrctl-nobody"
	chmod 777 "$TMP" && chmod 666 "$SOCK"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/hrctl-nobody" \
		revision -m "sneaky" --head 9f9f9f9f9f9f
	expect_rc 1 "a non-admin may not add a revision"
	expect_contains "$ERR" "may not call /homerack.v1.Schema/Revision" "the error says who may"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/hrctl-nobody" heads
	expect_rc 0 "a non-admin may read the heads"
else
	skip "non-admin revision checks" "switching users needs root and setpriv"
fi

finish
