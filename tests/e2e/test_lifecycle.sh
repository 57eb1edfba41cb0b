#!/usr/bin/env bash
# upgrade / current / history / downgrade / stamp on the real HomeRack
# schema, checked through hrctl and through the database itself.
. "$(dirname "$0")/lib.sh"

start_hrd

hr current
expect_rc 0 "current on an empty database succeeds"
expect_eq "$OUT" "" "an empty database is at base: current prints nothing"

hr upgrade head
expect_rc 0 "upgrade head succeeds"
# On SQLite a backup is taken first (docs/operations.md), said in a line
# of its own before Alembic's.
OUT=$(grep -v '^Backed up the database to ' <<<"$OUT")
expect_eq "$(head -1 <<<"$OUT")" "Running upgrade  -> $INITIAL, Initial HomeRack schema" \
	"upgrade prints Alembic's line as the step starts"
expect_contains "$(sed -n 2p <<<"$OUT")" "  done in " "and its duration as it ends"

expect_eq "$(db_tables)" "$HOMERACK_TABLES" "upgrade creates exactly the five tables"
expect_eq "$(db_columns device_specifications)" \
	"id brand model variant height_u width_type depth_mm weight_kg power_watts heat_output_btu typical_ports mounting_type source source_url confidence fetched_at last_updated" \
	"device_specifications has its columns"
expect_eq "$(db_columns devices)" \
	"id custom_name specification_id brand model access_frequency notes" \
	"devices has its columns"
expect_eq "$(db_columns racks)" \
	"id name location total_height_u width_inches depth_mm max_weight_kg max_power_watts cooling_type" \
	"racks has its columns"
expect_eq "$(db_columns rack_positions)" "id device_id rack_id start_u locked" \
	"rack_positions has its columns"
expect_eq "$(db_columns connections)" \
	"id from_device_id to_device_id from_port to_port cable_type cable_category_required calculated_length_m routing_path" \
	"connections has its columns"
expect_eq "$(db_foreign_keys rack_positions)" "device_id->devices rack_id->racks" \
	"rack_positions has its foreign keys"
expect_eq "$(db_foreign_keys connections)" "from_device_id->devices to_device_id->devices" \
	"connections has its foreign keys"
sql "INSERT INTO racks (name) VALUES ('r1')"
expect_eq "$(sql "SELECT total_height_u, width_inches, cooling_type FROM racks")" \
	'42|19"|front-to-back' "racks defaults apply"
run sql "INSERT INTO racks (name, width_inches) VALUES ('r2', '20\"')"
expect_contains "$ERR" "$(by_backend "CHECK constraint failed" "invalid input value for enum widthtype")" \
	"the width enum rejects a bad value"
expect_eq "$(db_versions)" "$INITIAL" "alembic_version holds the head"
if [ "$HR_BACKEND" = postgres ]; then
	expect_eq "$(sql_line "SELECT column_name, data_type, character_maximum_length, is_nullable
		FROM information_schema.columns WHERE table_name = 'alembic_version'")" \
		"version_num|character varying|32|NO" "alembic_version has Alembic's column"
	expect_eq "$(sql_line "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'alembic_version'::regclass")" \
		"alembic_version_pkc|p|PRIMARY KEY (version_num)" "and Alembic's primary key"
else
	expect_eq "$(sql "SELECT sql FROM sqlite_master WHERE name='alembic_version'")" \
		"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))" \
		"alembic_version is exactly Alembic's table"
fi
expect_eq "$(sql "SELECT revision, direction, length(checksum), CASE WHEN peer_uid = $(id -u) THEN 1 ELSE 0 END FROM homerack_schema_history")" \
	"$INITIAL|upgrade|64|1" "history records revision, direction, checksum and peer uid"

hr current
expect_eq "$OUT" "$INITIAL (head)" "current shows the head"
hr history
expect_eq "$OUT" "<base> -> $INITIAL (head), Initial HomeRack schema" "history line"
hr history -i
expect_eq "$OUT" "<base> -> $INITIAL (head) (current), Initial HomeRack schema" "history -i marks current"
hr current -v
expect_contains "$OUT" "Rev: $INITIAL (head)" "current -v shows Rev"
expect_contains "$OUT" "Parent: <base>" "current -v shows Parent"
expect_contains "$OUT" "Path: $MIGRATIONS/${INITIAL}_initial_homerack_schema.sql" "current -v shows Path"
hr --json current
expect_contains "$OUT" "\"revision\": \"$INITIAL\"" "current --json names the revision"
expect_contains "$OUT" "\"is_head\": true" "current --json marks the head"

hr upgrade head
expect_rc 0 "upgrade head at head succeeds"
expect_eq "$OUT" "" "upgrade head at head runs nothing"

hr downgrade -1
expect_rc 0 "downgrade -1 succeeds"
OUT=$(grep -v '^Backed up the database to ' <<<"$OUT")
expect_eq "$(head -1 <<<"$OUT")" "Running downgrade $INITIAL -> , Initial HomeRack schema" \
	"downgrade prints Alembic's line"
hr upgrade head --quiet
expect_eq "$OUT" "" "upgrade --quiet prints nothing on success"
hr downgrade base -q
expect_eq "$(db_versions)" "" "downgrade -q still downgrades"
expect_eq "$(db_tables)" "" "downgrade removes the five tables"
expect_eq "$(db_versions)" "" "downgrade to base empties alembic_version"

hr upgrade +1
expect_rc 0 "upgrade +1 from base"
expect_eq "$(db_versions)" "$INITIAL" "upgrade +1 reaches the first revision"
hr downgrade base
expect_rc 0 "downgrade base succeeds"
expect_eq "$(db_tables)" "" "downgrade base removes the tables"

hr stamp head
expect_rc 0 "stamp head succeeds"
expect_eq "$OUT" "Running stamp_revision  -> $INITIAL" "stamp prints Alembic's line"
expect_eq "$(db_versions)" "$INITIAL" "stamp head moves the version"
expect_eq "$(db_tables)" "" "stamp runs no migration"
hr stamp base
expect_eq "$(db_versions)" "" "stamp base empties the version"
expect_eq "$(sql "SELECT count(*) FROM homerack_schema_history WHERE direction='stamp'")" "2" \
	"stamps are recorded in history"

hr upgrade 1f3c
expect_rc 0 "upgrade to a unique prefix"
expect_eq "$(db_versions)" "$INITIAL" "the prefix resolved to the revision"

finish
