#!/bin/sh
# check_initial_schema.sh — apply the initial HomeRack migration to a
# scratch SQLite database and (when the server binaries are there) a
# throwaway PostgreSQL cluster, check the schema it creates, then check
# that its downgrade leaves an empty database.
#
# usage: tests/sql/check_initial_schema.sh [MIGRATION_FILE]
#        PG_BIN=/usr/lib/postgresql/15/bin (default) selects the server;
#        SKIP_PG=1 skips PostgreSQL.
#
# The extractor below follows the file format of docs/migrations.md: the
# header is everything before the first `-- +upgrade` / `-- +downgrade`
# marker; a marker may name one dialect, and a section runs on dialect D
# when it names D or names none. hrd issues BEGIN/COMMIT itself, so we do
# the same here.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
file=${1:-$here/../../migrations/1f3c0a9d2b7e_initial_homerack_schema.sql}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect NAME EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"
		printf '  expected: %s\n  actual:   %s\n' "$2" "$3" >&2
	fi
}

# sections DIRECTION DIALECT < file: the SQL that runs for them, in order.
sections() {
	tr -d '\r' | awk -v dir="$1" -v dia="$2" '
		/^-- \+(upgrade|downgrade)([ \t]+[a-z]+)?[ \t]*$/ {
			on = ($2 == ("+" dir)) && ($3 == "" || $3 == dia)
			next
		}
		on { print }'
}

# --- the file itself -----------------------------------------------------

header=$(tr -d '\r' <"$file" | awk '/^-- \+(upgrade|downgrade)/ { exit } { print }')
bad_keys=$(printf '%s\n' "$header" | sed -n 's/^--[ \t]*\([a-z_][a-z_]*\):.*/\1/p' |
	grep -vxE 'revision|down_revision|message|create_date|branch_labels|depends_on|transactional' || true)
expect "header has only known keys" "" "$bad_keys"
expect "revision" "1f3c0a9d2b7e" \
	"$(printf '%s\n' "$header" | sed -n 's/^-- revision:[ \t]*//p')"
expect "no BEGIN/COMMIT in the file" "0" \
	"$(grep -ciE '^[[:space:]]*(BEGIN|COMMIT|END|ROLLBACK)([[:space:]]|;|$)' "$file" || true)"

tmp=$(mktemp -d)
cleanup() {
	if [ -f "$tmp/pg/data/postmaster.pid" ]; then
		su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$tmp/pg/data' -m fast -w stop" >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# --- SQLite --------------------------------------------------------------

db=$tmp/s.db
lite() { sqlite3 -bail -batch "$db" "$@"; }
run_lite() { # DIRECTION
	{ echo 'PRAGMA foreign_keys = ON;'; echo 'BEGIN;'
	  sections "$1" sqlite <"$file"; echo 'COMMIT;'; } | sqlite3 -bail -batch "$db"
}

run_lite upgrade
expect "sqlite: tables" \
	"connections device_specifications devices rack_positions racks" \
	"$(lite "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"

# PRAGMA table_info rows: cid|name|type|notnull|dflt_value|pk
cols() { lite "SELECT name||' '||type||' '||\"notnull\"||' '||ifnull(dflt_value,'-')||' '||pk FROM pragma_table_info('$1')" | tr '\n' ',' | sed 's/,$//'; }
expect "sqlite: device_specifications columns" \
	"id INTEGER 1 - 1,brand VARCHAR 1 - 0,model VARCHAR 1 - 0,variant VARCHAR 0 - 0,height_u FLOAT 1 - 0,width_type VARCHAR(3) 0 - 0,depth_mm FLOAT 0 - 0,weight_kg FLOAT 0 - 0,power_watts FLOAT 0 - 0,heat_output_btu FLOAT 0 - 0,typical_ports JSON 0 - 0,mounting_type VARCHAR 0 - 0,source VARCHAR(17) 0 'user_custom' 0,source_url VARCHAR 0 - 0,confidence VARCHAR(6) 0 'medium' 0,fetched_at DATETIME 0 - 0,last_updated DATETIME 0 - 0" \
	"$(cols device_specifications)"
expect "sqlite: devices columns" \
	"id INTEGER 1 - 1,custom_name VARCHAR 1 - 0,specification_id INTEGER 1 - 0,brand VARCHAR 0 - 0,model VARCHAR 0 - 0,access_frequency VARCHAR(6) 0 'medium' 0,notes VARCHAR 0 - 0" \
	"$(cols devices)"
expect "sqlite: racks columns" \
	"id INTEGER 1 - 1,name VARCHAR 1 - 0,location VARCHAR 0 - 0,total_height_u INTEGER 0 42 0,width_inches VARCHAR(3) 0 '19\"' 0,depth_mm FLOAT 0 700 0,max_weight_kg FLOAT 0 500 0,max_power_watts FLOAT 0 5000 0,cooling_type VARCHAR 0 'front-to-back' 0" \
	"$(cols racks)"
expect "sqlite: rack_positions columns" \
	"id INTEGER 1 - 1,device_id INTEGER 1 - 0,rack_id INTEGER 1 - 0,start_u INTEGER 1 - 0,locked BOOLEAN 0 0 0" \
	"$(cols rack_positions)"
expect "sqlite: connections columns" \
	"id INTEGER 1 - 1,from_device_id INTEGER 1 - 0,to_device_id INTEGER 1 - 0,from_port VARCHAR 0 - 0,to_port VARCHAR 0 - 0,cable_type VARCHAR(8) 0 'Cat6' 0,cable_category_required VARCHAR 0 - 0,calculated_length_m FLOAT 0 - 0,routing_path VARCHAR(10) 0 'direct' 0" \
	"$(cols connections)"

# PRAGMA foreign_key_list rows: from -> table.to
fks() { lite "SELECT \"from\"||'->'||\"table\"||'.'||\"to\" FROM pragma_foreign_key_list('$1') ORDER BY \"from\"" | tr '\n' ',' | sed 's/,$//'; }
expect "sqlite: device_specifications fks" "" "$(fks device_specifications)"
expect "sqlite: devices fks" "specification_id->device_specifications.id" "$(fks devices)"
expect "sqlite: racks fks" "" "$(fks racks)"
expect "sqlite: rack_positions fks" "device_id->devices.id,rack_id->racks.id" "$(fks rack_positions)"
expect "sqlite: connections fks" "from_device_id->devices.id,to_device_id->devices.id" "$(fks connections)"

# PRAGMA index_list + index_info: name(column) unique
idx() { lite "SELECT l.name||'('||i.name||')'||l.\"unique\" FROM pragma_index_list('$1') l, pragma_index_info(l.name) i ORDER BY l.name" | tr '\n' ',' | sed 's/,$//'; }
expect "sqlite: device_specifications indexes" \
	"ix_device_specifications_brand(brand)0,ix_device_specifications_id(id)0,ix_device_specifications_model(model)0" \
	"$(idx device_specifications)"
expect "sqlite: devices indexes" "ix_devices_brand(brand)0,ix_devices_id(id)0,ix_devices_model(model)0" "$(idx devices)"
expect "sqlite: racks indexes" "ix_racks_id(id)0" "$(idx racks)"
expect "sqlite: rack_positions indexes" "ix_rack_positions_id(id)0" "$(idx rack_positions)"
expect "sqlite: connections indexes" "ix_connections_id(id)0" "$(idx connections)"

# Defaults apply, good enum values pass, FKs hold.
lite "PRAGMA foreign_keys = ON;
INSERT INTO device_specifications (brand, model, height_u) VALUES ('Ubiquiti', 'USW-Pro-24', 1);
INSERT INTO device_specifications (brand, model, height_u, width_type, source, confidence, typical_ports)
  VALUES ('Dell', 'R740', 2, '19\"', 'manufacturer_spec', 'high', '{\"sfp\": 2}');
INSERT INTO devices (custom_name, specification_id, brand, model) VALUES ('core-sw', 1, 'Ubiquiti', 'USW-Pro-24');
INSERT INTO devices (custom_name, specification_id, access_frequency) VALUES ('nas', 2, 'high');
INSERT INTO racks (name) VALUES ('main');
INSERT INTO rack_positions (device_id, rack_id, start_u) VALUES (1, 1, 42);
INSERT INTO connections (from_device_id, to_device_id) VALUES (1, 2);
INSERT INTO connections (from_device_id, to_device_id, cable_type, routing_path) VALUES (1, 2, 'Fiber-SM', 'cable_tray');"
expect "sqlite: device_specifications defaults" "user_custom|medium" \
	"$(lite "SELECT source, confidence FROM device_specifications WHERE id = 1")"
expect "sqlite: devices default" "medium" "$(lite "SELECT access_frequency FROM devices WHERE id = 1")"
expect "sqlite: racks defaults" "42|integer|19\"|700.0|real|500.0|5000.0|front-to-back" \
	"$(lite "SELECT total_height_u, typeof(total_height_u), width_inches, depth_mm, typeof(depth_mm), max_weight_kg, max_power_watts, cooling_type FROM racks")"
expect "sqlite: rack_positions default" "0" "$(lite "SELECT locked FROM rack_positions")"
expect "sqlite: connections defaults" "Cat6|direct" "$(lite "SELECT cable_type, routing_path FROM connections WHERE id = 1")"

# each must fail: "table.column value" checked by CHECK constraints
for bad_row in \
	"device_specifications (brand, model, height_u, width_type) VALUES ('x', 'y', 1, '20\"')" \
	"device_specifications (brand, model, height_u, width_type) VALUES ('x', 'y', 1, '19')" \
	"device_specifications (brand, model, height_u, source) VALUES ('x', 'y', 1, 'USER_CUSTOM')" \
	"device_specifications (brand, model, height_u, confidence) VALUES ('x', 'y', 1, 'certain')" \
	"devices (custom_name, specification_id, access_frequency) VALUES ('x', 1, 'daily')" \
	"racks (name, width_inches) VALUES ('x', '21\"')" \
	"connections (from_device_id, to_device_id, cable_type) VALUES (1, 2, 'cat6')" \
	"connections (from_device_id, to_device_id, routing_path) VALUES (1, 2, 'ceiling')" \
	"devices (custom_name) VALUES ('no spec')" \
	"device_specifications (brand, model) VALUES ('no', 'height')"
do
	if out=$(lite "INSERT INTO $bad_row" 2>&1); then
		bad "sqlite: accepted INSERT INTO $bad_row"
	else
		case $out in
		*constraint\ failed*) ok ;;
		*) bad "sqlite: INSERT INTO $bad_row failed for another reason: $out" ;;
		esac
	fi
done
if lite "PRAGMA foreign_keys = ON; INSERT INTO rack_positions (device_id, rack_id, start_u) VALUES (99, 1, 1)" 2>/dev/null; then
	bad "sqlite: FK rack_positions.device_id not enforced"
else ok; fi

lite "DELETE FROM connections; DELETE FROM rack_positions; DELETE FROM racks; DELETE FROM devices; DELETE FROM device_specifications"
run_lite downgrade
expect "sqlite: empty after downgrade" "0" "$(lite "SELECT count(*) FROM sqlite_master")"

# Upgrade again on the emptied file: the downgrade really removed everything.
run_lite upgrade && ok || bad "sqlite: second upgrade failed"
run_lite downgrade && ok || bad "sqlite: second downgrade failed"

# --- PostgreSQL ----------------------------------------------------------

if [ "${SKIP_PG:-}" = 1 ] || [ ! -x "$PG_BIN/initdb" ] || ! id postgres >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	echo "skipping PostgreSQL (needs root, a postgres user and $PG_BIN)"
else
	mkdir "$tmp/pg"
	chown postgres "$tmp" "$tmp/pg"
	su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$tmp/pg/data' -A trust -U postgres" >"$tmp/pg/initdb.log" 2>&1
	su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$tmp/pg/data' -o \"-k '$tmp/pg' -c listen_addresses=''\" -l '$tmp/pg/log' -w start" >/dev/null
	pq() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$tmp/pg" -U postgres -d postgres "$@"; }
	run_pg() { # DIRECTION
		{ echo 'BEGIN;'; sections "$1" postgresql <"$file"; echo 'COMMIT;'; } | pq
	}

	run_pg upgrade
	expect "pg: tables" "connections device_specifications devices rack_positions racks" \
		"$(pq -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
	expect "pg: enum types" \
		"accessfrequency:low,medium,high cabletype:Cat5e,Cat6,Cat6a,Cat7,Fiber-SM,Fiber-MM,Power,Console confidencelevel:high,medium,low routingpath:direct,cable_tray,conduit sourcetype:web_fetched,manufacturer_spec,community,user_custom widthtype:11\",18\",19\",23\"" \
		"$(pq -c "SELECT t.typname||':'||string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"

	pcols() { pq -c "SELECT column_name||' '||format_type(a.atttypid, a.atttypmod)||' '||a.attnotnull||' '||coalesce(c.column_default,'-')
		FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = '$1'::regclass AND a.attname = c.column_name
		WHERE c.table_name = '$1' ORDER BY c.ordinal_position" | tr '\n' ',' | sed 's/,$//'; }
	expect "pg: device_specifications columns" \
		"id integer true nextval('device_specifications_id_seq'::regclass),brand character varying true -,model character varying true -,variant character varying false -,height_u double precision true -,width_type widthtype false -,depth_mm double precision false -,weight_kg double precision false -,power_watts double precision false -,heat_output_btu double precision false -,typical_ports json false -,mounting_type character varying false -,source sourcetype false 'user_custom'::sourcetype,source_url character varying false -,confidence confidencelevel false 'medium'::confidencelevel,fetched_at timestamp without time zone false -,last_updated timestamp without time zone false -" \
		"$(pcols device_specifications)"
	expect "pg: devices columns" \
		"id integer true nextval('devices_id_seq'::regclass),custom_name character varying true -,specification_id integer true -,brand character varying false -,model character varying false -,access_frequency accessfrequency false 'medium'::accessfrequency,notes character varying false -" \
		"$(pcols devices)"
	expect "pg: racks columns" \
		"id integer true nextval('racks_id_seq'::regclass),name character varying true -,location character varying false -,total_height_u integer false 42,width_inches widthtype false '19\"'::widthtype,depth_mm double precision false 700,max_weight_kg double precision false 500,max_power_watts double precision false 5000,cooling_type character varying false 'front-to-back'::character varying" \
		"$(pcols racks)"
	expect "pg: rack_positions columns" \
		"id integer true nextval('rack_positions_id_seq'::regclass),device_id integer true -,rack_id integer true -,start_u integer true -,locked boolean false false" \
		"$(pcols rack_positions)"
	expect "pg: connections columns" \
		"id integer true nextval('connections_id_seq'::regclass),from_device_id integer true -,to_device_id integer true -,from_port character varying false -,to_port character varying false -,cable_type cabletype false 'Cat6'::cabletype,cable_category_required character varying false -,calculated_length_m double precision false -,routing_path routingpath false 'direct'::routingpath" \
		"$(pcols connections)"
	expect "pg: constraints" \
		"connections:connections_from_device_id_fkey:FOREIGN KEY (from_device_id) REFERENCES devices(id),connections:connections_pkey:PRIMARY KEY (id),connections:connections_to_device_id_fkey:FOREIGN KEY (to_device_id) REFERENCES devices(id),device_specifications:device_specifications_pkey:PRIMARY KEY (id),devices:devices_pkey:PRIMARY KEY (id),devices:devices_specification_id_fkey:FOREIGN KEY (specification_id) REFERENCES device_specifications(id),rack_positions:rack_positions_device_id_fkey:FOREIGN KEY (device_id) REFERENCES devices(id),rack_positions:rack_positions_pkey:PRIMARY KEY (id),rack_positions:rack_positions_rack_id_fkey:FOREIGN KEY (rack_id) REFERENCES racks(id),racks:racks_pkey:PRIMARY KEY (id)" \
		"$(pq -c "SELECT conrelid::regclass||':'||conname||':'||pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1" | tr '\n' ',' | sed 's/,$//')"
	expect "pg: indexes" \
		"ix_connections_id:connections(id),ix_device_specifications_brand:device_specifications(brand),ix_device_specifications_id:device_specifications(id),ix_device_specifications_model:device_specifications(model),ix_devices_brand:devices(brand),ix_devices_id:devices(id),ix_devices_model:devices(model),ix_rack_positions_id:rack_positions(id),ix_racks_id:racks(id)" \
		"$(pq -c "SELECT indexname||':'||tablename||substring(indexdef from '\(.*\)$') FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'ix\_%' ORDER BY 1" | tr '\n' ',' | sed 's/,$//')"

	pq -c "INSERT INTO device_specifications (brand, model, height_u) VALUES ('Ubiquiti', 'USW-Pro-24', 1);
INSERT INTO devices (custom_name, specification_id) VALUES ('core-sw', 1);
INSERT INTO racks (name) VALUES ('main');
INSERT INTO rack_positions (device_id, rack_id, start_u) VALUES (1, 1, 42);
INSERT INTO connections (from_device_id, to_device_id, cable_type) VALUES (1, 1, 'Fiber-MM');
INSERT INTO racks (name, width_inches) VALUES ('small', '11\"');"
	expect "pg: defaults" "user_custom|medium|medium|42|19\"|700|500|5000|front-to-back|f|Fiber-MM|direct" \
		"$(pq -c "SELECT s.source, s.confidence, d.access_frequency, r.total_height_u, r.width_inches, r.depth_mm, r.max_weight_kg, r.max_power_watts, r.cooling_type, p.locked, c.cable_type, c.routing_path
			FROM device_specifications s, devices d, racks r, rack_positions p, connections c WHERE r.id = 1")"
	for bad_row in \
		"racks (name, width_inches) VALUES ('x', '20\"')" \
		"device_specifications (brand, model, height_u, source) VALUES ('x', 'y', 1, 'USER_CUSTOM')" \
		"connections (from_device_id, to_device_id, cable_type) VALUES (1, 1, 'cat6')"
	do
		if out=$(pq -c "INSERT INTO $bad_row" 2>&1); then
			bad "pg: accepted INSERT INTO $bad_row"
		else
			case $out in
			*"invalid input value for enum"*) ok ;;
			*) bad "pg: INSERT INTO $bad_row failed for another reason: $out" ;;
			esac
		fi
	done

	pq -c "TRUNCATE connections, rack_positions, racks, devices, device_specifications"
	run_pg downgrade
	expect "pg: nothing left after downgrade" "0" \
		"$(pq -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")"
	expect "pg: no types left after downgrade" "0" \
		"$(pq -c "SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace")"
	run_pg upgrade && ok || bad "pg: second upgrade failed"
	run_pg downgrade && ok || bad "pg: second downgrade failed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
