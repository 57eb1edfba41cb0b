#!/usr/bin/env bash
# The seed's workflow end to end: edit the models, `revision
# --autogenerate`, upgrade, `check` clean, downgrade, upgrade again, with
# the rows in the tables kept; on SQLite and (HR_BACKEND=postgres) on
# PostgreSQL. Also `models`, `check`'s exit status, drift, Alembic's
# "Target database is not up to date." rule and broken models files.
. "$(dirname "$0")/lib.sh"

use_temp_migrations
MODELS=$TMP/models
mkdir -p "$MODELS"
cp "$SRCDIR/models/homerack.sql" "$MODELS/"
M=$MODELS/homerack.sql
start_hrd --models "$MODELS"

# edit PYTHON: change the models file with a Python snippet on `s`.
edit() {
	python3 - "$M" "$1" <<'PY'
import sys
p, code = sys.argv[1], sys.argv[2]
s = open(p).read()
env = {"s": s}
exec(code, env)
if env["s"] == s:
    sys.exit("edit changed nothing: " + code)
open(p, "w").write(env["s"])
PY
}

# The models file is reloaded on change: wait until hrd logged it.
RELOADS=0
reloaded() {
	local n
	RELOADS=$((RELOADS + 1))
	for _ in $(seq 500); do
		n=$(grep -c "reloaded .* models file" "$TMP/hrd.log")
		[ "$n" -ge "$RELOADS" ] && return 0
		grep -q "models not reloaded" "$TMP/hrd.log" && break
		sleep 0.02
	done
	fail "hrd did not reload the models" "$(tail -5 "$TMP/hrd.log")"
	finish
}
# Rather than wait for the file watcher, ask for the reload: SIGHUP.
reload_models() {
	kill -HUP "$HRD_PID"
	reloaded
}

rows() { sql_line "SELECT count(*) FROM $1"; }

# --- models and check on the shipped models --------------------------------

hr models
expect_rc 0 "models answers"
expect_eq "$(echo "$OUT" | head -1)" \
	"Detected tables: ['device_specifications', 'devices', 'racks', 'rack_positions', 'connections']" \
	"models: the seed's Detected tables line, in definition order"
hr models -v
expect_contains "$OUT" "foreign key (specification_id) -> device_specifications (id)" \
	"models -v lists foreign keys"
expect_contains "$OUT" "index ix_devices_brand (brand)" "models -v lists indexes"
hr --json models
json_ok() {
	if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d["tables"]) == 5' \
		"$1" 2>/dev/null; then pass "$2"; else fail "$2" "$1"; fi
}
json_ok "$OUT" "models --json: five tables"

hr check
expect_rc 0 "check: the shipped models match the initial migration"
expect_eq "$OUT" "No new upgrade operations detected." "check says so as Alembic does"

hr revision --autogenerate -m "too early"
expect_rc 1 "autogenerate refuses while the database is behind"
expect_contains "$ERR" "Target database is not up to date." "with Alembic's words"

hr upgrade head
expect_rc 0 "upgrade head"
sql "INSERT INTO device_specifications (id, brand, model, height_u) VALUES (1, 'Ubiquiti', 'USW-24', 1);
     INSERT INTO devices (id, custom_name, specification_id, notes) VALUES (1, 'core switch', 1, 'top of rack');
     INSERT INTO devices (id, custom_name, specification_id) VALUES (2, 'nas', 1);
     INSERT INTO racks (id, name) VALUES (1, 'main');
     INSERT INTO racks (id, name, location) VALUES (2, 'spare', 'garage');
     INSERT INTO rack_positions (id, device_id, rack_id, start_u) VALUES (1, 1, 1, 40);
     INSERT INTO connections (id, from_device_id, to_device_id, cable_type) VALUES (1, 1, 2, 'Cat6a');"
ROWS_BEFORE="$(rows devices) $(rows racks) $(rows rack_positions) $(rows connections)"

hr check --database
expect_rc 0 "check --database: no drift after a clean upgrade"

# round_trip NAME DETECTED: autogenerate from the edited models, then
# upgrade, check, downgrade, upgrade, check; rows kept throughout.
round_trip() {
	local name=$1 detected=$2 file
	reload_models
	hr check
	expect_rc 1 "$name: check exits 1 while models and migrations differ"
	expect_contains "$OUT" "$detected" "$name: check lists the difference"
	hr revision --autogenerate -m "$name"
	expect_rc 0 "$name: revision --autogenerate"
	expect_contains "$OUT" "$detected" "$name: it says what it detected"
	expect_contains "$OUT" "Generating $MIGRATIONS/" "$name: and which file it wrote"
	file=$(echo "$OUT" | sed -n 's/^  Generating \(.*\) \.\.\.  done$/\1/p')
	expect_contains "$(cat "$file" 2>/dev/null)" "-- +upgrade sqlite" "$name: a sqlite section"
	if [ "$HR_BACKEND" = postgres ]; then
		expect_contains "$(cat "$file")" "-- +upgrade postgresql" "$name: a postgresql section"
	else
		expect_contains "$OUT" "NOT GENERATED (postgresql)" "$name: the unreached dialect is named"
		expect_contains "$(cat "$file")" "RAISE EXCEPTION" "$name: and its section refuses to run"
	fi
	hr upgrade head
	expect_rc 0 "$name: upgrade head" "$ERR"
	hr check
	expect_rc 0 "$name: check clean after the upgrade"
	hr check --database
	expect_rc 0 "$name: no drift after the upgrade"
	hr downgrade -1
	expect_rc 0 "$name: downgrade -1" "$ERR"
	hr upgrade head
	expect_rc 0 "$name: upgrade head again" "$ERR"
	hr check
	expect_rc 0 "$name: check clean again"
	expect_eq "$(rows devices) $(rows racks) $(rows rack_positions) $(rows connections)" \
		"$ROWS_BEFORE" "$name: rows kept"
}

# Both dialect sections of a table get the same line.
edit 's = s.replace("    cooling_type VARCHAR DEFAULT '"'"'front-to-back'"'"',\n", "    cooling_type VARCHAR DEFAULT '"'"'front-to-back'"'"',\n    notes VARCHAR,\n")'
round_trip "add a column" "Detected added column 'racks.notes'"
expect_eq "$(sql_line "SELECT name FROM racks WHERE id = 2")" "spare" "add a column: data intact"

edit 's += "\nCREATE TABLE cables (\n    id INTEGER NOT NULL,\n    device_id INTEGER NOT NULL,\n    colour VARCHAR,\n    PRIMARY KEY (id),\n    FOREIGN KEY (device_id) REFERENCES devices (id)\n);\n"'
round_trip "add a table" "Detected added table 'cables'"
expect_eq "$(db_foreign_keys cables)" "device_id->devices" "add a table: its foreign key to devices"

edit 's = s.replace("CREATE INDEX ix_racks_id ON racks (id);\n", "CREATE INDEX ix_racks_name ON racks (name);\n")'
round_trip "swap an index" "Detected added index 'ix_racks_name'"
expect_eq "$(db_index_count ix_racks_name) $(db_index_count ix_racks_id)" "1 0" \
	"swap an index: the new one there, the old one gone"

edit 's = s.replace("'"'"'Power'"'"', '"'"'Console'"'"'", "'"'"'Power'"'"', '"'"'Console'"'"', '"'"'Cat8'"'"'")'
round_trip "change an enum" "$(by_backend "check constraint" "Detected added enum value 'Cat8'")"
run sql "INSERT INTO connections (id, from_device_id, to_device_id, cable_type) VALUES (2, 2, 1, 'Cat8')"
expect_rc 0 "change an enum: the new value is accepted"
sql "DELETE FROM connections WHERE id = 2"

edit 's = s.replace("    notes VARCHAR,\n    PRIMARY KEY (id),\n    FOREIGN KEY (specification_id)", "    remarks VARCHAR, -- renamed from: notes\n    PRIMARY KEY (id),\n    FOREIGN KEY (specification_id)")'
round_trip "rename a column" "Detected renamed column 'devices.notes' to 'devices.remarks'"
expect_eq "$(sql_line "SELECT remarks FROM devices WHERE id = 1")" "top of rack" \
	"rename a column: its data moved with it"

edit 's = s.replace("    location VARCHAR,\n", "    location VARCHAR DEFAULT '"'"'unknown'"'"' NOT NULL,\n")'
round_trip "make a column NOT NULL" "Detected NOT NULL on column 'racks.location'"
expect_eq "$(sql_line "SELECT location FROM racks ORDER BY id")" "unknown garage" \
	"NOT NULL with a default: NULLs got the default, values kept"

# --- drift: a change nobody migrated -----------------------------------------
sql "CREATE TABLE handmade (id INTEGER PRIMARY KEY)"
hr check --database
expect_rc 1 "check --database exits 1 on drift"
expect_contains "$OUT" "Detected added table 'handmade'" "and names the hand-made table"
sql "DROP TABLE handmade"

# --- hrd on SQLite generating PostgreSQL sections on a dev database ----------
if [ "$HR_BACKEND" = postgres ]; then
	stop_hrd
	PG_URL=$DB_URL
	DB_URL=sqlite:///$TMP/lite.db
	start_hrd --models "$MODELS"
	hr upgrade head
	expect_rc 0 "sqlite hrd: upgrade head"
	edit 's = s.replace("    to_port VARCHAR,\n", "    to_port VARCHAR,\n    label VARCHAR,\n")'
	reload_models
	hr revision --autogenerate -m "dev database" --dev-database sqlite:///nope.db
	expect_rc 1 "--dev-database must be PostgreSQL"
	expect_contains "$ERR" "must be a postgresql:// URL" "and says so"
	hr revision --autogenerate -m "dev database" --dev-database "$PG_URL"
	expect_rc 0 "sqlite hrd: autogenerate with --dev-database" "$ERR"
	expect_not_contains "$OUT" "NOT GENERATED" "both dialects generated"
	file=$(echo "$OUT" | sed -n 's/^  Generating \(.*\) \.\.\.  done$/\1/p')
	expect_contains "$(cat "$file")" "ALTER TABLE connections ADD COLUMN label character varying" \
		"the postgresql section came from the dev database"
	expect_eq "$(sql_line "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'hr_scratch%'")" \
		"0" "the dev database keeps no scratch schema"
	hr upgrade head
	expect_rc 0 "sqlite hrd: the generated migration upgrades" "$ERR"
	hr check
	expect_rc 0 "sqlite hrd: check clean"
	stop_hrd
	DB_URL=$PG_URL
	start_hrd --models "$MODELS"
fi

# --- broken models files: one line naming file and line; hrd serves on -------
cp "$M" "$TMP/good.sql"
broken() { # description, then the file's new text on stdin
	cat >"$M"
	kill -HUP "$HRD_PID"
	for _ in $(seq 500); do
		grep -q "SIGHUP: models not reloaded" "$TMP/hrd.log" && break
		sleep 0.02
	done
	expect_contains "$(grep "models not reloaded" "$TMP/hrd.log" | tail -1)" \
		"$M:$2" "$1: the error names file and line"
	expect_one_line "$(grep "models not reloaded" "$TMP/hrd.log" | tail -1)" "$1: one line"
	hr check
	expect_rc 0 "$1: the last good models keep serving"
	sed -i '/models not reloaded/d' "$TMP/hrd.log"
	cp "$TMP/good.sql" "$M"
	reload_models
}
if [ "$HR_BACKEND" = sqlite ]; then
	printf 'CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER,\n  x NOPE NOPE NOPE(\n);\n' |
		broken "a syntax error" 2
	printf 'CREATE TABLE a (id INTEGER);\n\nCREATE TABLE b (id INTEGER REFERENCES nowhere (id));\n' |
		broken "a foreign key to a missing table" 3
fi
if [ "$HR_BACKEND" = postgres ]; then
	# A COMMIT in the models would end the scratch transaction: what
	# follows would land in the real database.
	printf 'CREATE TABLE a (id INTEGER);\nCOMMIT;\nCREATE TABLE leak (id INTEGER);\n' >"$M"
	reload_models
	hr check
	expect_rc 1 "a COMMIT in the models fails the check"
	expect_contains "$ERR" "$M:2: commit refused on a scratch database" \
		"naming file and line"
	expect_not_contains " $(db_tables) " " leak " "and nothing reached the real database"
	expect_not_contains " $(db_tables) " " a " "not even what came before it"
	cp "$TMP/good.sql" "$M"
	reload_models
fi
printf 'CREATE TABLE a (id INTEGER);\n-- +mysql\nCREATE TABLE b (id INTEGER);\n' |
	broken "an unknown dialect section" 2
printf 'CREATE TABLE a (id INTEGER);\n-- \xff\xfe\n' | broken "invalid UTF-8" 2

finish
