#!/usr/bin/env bash
# hrd as a daemon: its socket, who may change the schema, secrets, bad
# configuration, and hrctl's own errors.
. "$(dirname "$0")/lib.sh"

# --- hrctl without a daemon ------------------------------------------------------
hr current
expect_rc 3 "hrctl exits 3 when hrd is not running"
expect_one_line "$ERR" "unreachable: one line"
expect_contains "$ERR" "is hrd running?" "unreachable: says why"
hr
expect_rc 2 "hrctl with no command is a usage error"
hr frobnicate
expect_rc 2 "an unknown command is a usage error"
expect_contains "$ERR" "unknown command 'frobnicate'" "the unknown command is named"
hr upgrade
expect_rc 2 "upgrade without a target is a usage error"
hr upgrade head --bogus
expect_rc 2 "an unknown option is a usage error"
hr --help
expect_rc 0 "hrctl --help"
for c in current history upgrade downgrade stamp; do
	expect_contains "$OUT" "$c" "hrctl --help lists $c"
done
hr upgrade --help
expect_rc 0 "hrctl upgrade --help"
expect_contains "$OUT" "usage: hrctl upgrade TARGET" "upgrade --help shows usage"

# --- the socket -------------------------------------------------------------
start_hrd
expect_eq "$(stat -c %a "$SOCK")" "660" "the socket is created 0660"
expect_eq "$(stat -c %U "$SOCK.lock")" "$(id -un)" "its lock file belongs to hrd's user"
run "$HRD" --socket "$SOCK" --database "$DB_URL" --migrations "$MIGRATIONS"
expect_rc 1 "a second hrd on the same socket refuses to start"
expect_contains "$ERR" "another hrd is already serving" "and says why"
hr current
expect_rc 0 "the first hrd still serves"
stop_hrd
if [ -e "$SOCK" ]; then fail "shutdown removes the socket"; else pass "shutdown removes the socket"; fi

# A stale socket (left by a crash) is replaced.
"$HRD" --socket "$SOCK" --database "$DB_URL" --migrations "$MIGRATIONS" >/dev/null 2>&1 &
pid=$!
wait_until "hrd's socket" test -S "$SOCK"
kill -9 "$pid"
wait "$pid" 2>/dev/null
start_hrd
hr current
expect_rc 0 "hrd replaces a stale socket left by a crash"
stop_hrd

# Something that is not a socket is never removed.
echo precious >"$TMP/not-a-socket"
run "$HRD" --socket "$TMP/not-a-socket" --database "$DB_URL"
expect_rc 1 "hrd refuses a socket path that is a regular file"
expect_eq "$(cat "$TMP/not-a-socket")" "precious" "and leaves the file alone"
long=$TMP/$(printf 'x%.0s' $(seq 120)).sock
run "$HRD" --socket "$long" --database "$DB_URL"
expect_rc 1 "hrd refuses a socket path too long for sun_path"
expect_contains "$ERR" "over the 107" "and says so"

# A directory anyone may write to (not sticky) could swap our socket.
mkdir -m 0777 "$TMP/open" && chmod 0777 "$TMP/open"
run "$HRD" --socket "$TMP/open/hrd.sock" --database "$DB_URL"
expect_rc 1 "hrd refuses a world-writable socket directory"
expect_contains "$ERR" "is world-writable" "and says so"

# In a shared sticky directory, a lock file planted by someone else is
# never followed nor used: a link to a victim...
mkdir "$TMP/shared" && chmod 1777 "$TMP/shared"
ln -s "$TMP/victim" "$TMP/shared/hrd.sock.lock"
run timeout 60 "$HRD" --socket "$TMP/shared/hrd.sock" --database "$DB_URL" --migrations "$MIGRATIONS"
expect_rc 1 "hrd refuses a lock file that is a symbolic link"
expect_one_line "$ERR" "the refused link: one line"
expect_contains "$ERR" "is a symbolic link" "and says so"
if [ -e "$TMP/victim" ]; then fail "hrd created the link's target"; else pass "hrd creates nothing through the link"; fi
rm "$TMP/shared/hrd.sock.lock"
# ...or a file of another user.
if [ "$(id -u)" -eq 0 ]; then
	touch "$TMP/shared/hrd.sock.lock"
	chown 65534 "$TMP/shared/hrd.sock.lock"
	run timeout 60 "$HRD" --socket "$TMP/shared/hrd.sock" --database "$DB_URL" --migrations "$MIGRATIONS"
	expect_rc 1 "hrd refuses a lock file of another user"
	expect_one_line "$ERR" "the refused lock file: one line"
	expect_contains "$ERR" "belongs to uid 65534" "and says whose it is"
	rm "$TMP/shared/hrd.sock.lock"
fi

# --- who may change the schema -------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	start_hrd --socket-mode 0666
	# A copy nobody can execute: the build tree may sit in a 0700 dir.
	cp "$HRCTL" "$TMP/hrctl-nobody"
	chmod 755 "$TMP/hrctl-nobody"
	as_nobody() {
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/hrctl-nobody" "$@"
	}
	as_nobody current
	expect_rc 0 "any peer may read the status"
	as_nobody upgrade head
	expect_rc 1 "a non-admin peer may not upgrade"
	expect_contains "$ERR" "uid 65534 may not call /homerack.v1.Schema/Upgrade" "PERMISSION_DENIED names the peer"
	expect_contains "$ERR" "root or uid 0" "and says who may"
	expect_eq "$(db_versions)" "" "nothing changed"
	as_nobody stamp head
	expect_rc 1 "a non-admin peer may not stamp"
	stop_hrd
	start_hrd --socket-mode 0640 --socket-group nogroup
	expect_eq "$(stat -c '%a %G' "$SOCK")" "640 nogroup" "--socket-mode and --socket-group shape the socket"
	stop_hrd
	start_hrd --socket-mode 0666 --admin-group nogroup
	as_nobody upgrade head
	expect_rc 0 "a member of the admin group may upgrade"
	expect_eq "$(sql "SELECT peer_uid FROM homerack_schema_history")" "65534" \
		"history records who did it"
	stop_hrd
else
	skip "peer-credential checks" "switching users needs root"
fi

# --- configuration errors and secrets ---------------------------------------------
run "$HRD" --socket "$SOCK" --database 'mysql://u:hunter2@host/db'
expect_rc 1 "an unsupported database url is refused"
expect_one_line "$ERR" "bad url: one line"
expect_contains "$ERR" "unsupported scheme" "bad url: says why"
expect_not_contains "$ERR" "hunter2" "bad url: the password is not printed"
run "$HRD" --socket "$SOCK" --database 'sqlite://relative.db'
expect_rc 1 "a malformed sqlite url is refused"
expect_contains "$ERR" "sqlite:///" "malformed sqlite url: shows the right form"
# A PostgreSQL server that is not there: hrd starts anyway, its calls
# say the database is unavailable, and the password shows nowhere.
SAVED_URL=$DB_URL
DB_URL='postgresql://admin:s3cr3t-pw@127.0.0.1:1/none?password=s3cr3t-pw'
start_hrd_any
hr current
expect_rc 3 "with postgresql down, current fails as unavailable"
expect_one_line "$ERR" "postgresql down: one line"
expect_contains "$ERR" "database unavailable: could not connect to postgresql://admin:***@127.0.0.1:1/none?password=***" \
	"postgresql down: says why, with the url redacted"
hr upgrade head
expect_rc 3 "with postgresql down, upgrade fails as unavailable"
expect_contains "$ERR" "database unavailable" "postgresql down: upgrade says why"
expect_not_contains "$OUT$ERR" "s3cr3t-pw" "a postgresql password never reaches hrctl"
expect_not_contains "$(tr '\0' ' ' </proc/"$HRD_PID"/cmdline)" "s3cr3t-pw" \
	"a password given with --database is hidden from ps"
stop_hrd
expect_not_contains "$(cat "$TMP/hrd.log")" "s3cr3t-pw" "a postgresql password never reaches hrd's log"
DB_URL=$SAVED_URL
run "$HRD" --socket "$SOCK" --database "sqlite:///$TMP/no/such/dir/db.sqlite"
expect_rc 1 "an unopenable database is refused"
expect_contains "$ERR" "cannot open sqlite database" "unopenable database: says why"
run "$HRD" --bogus
expect_rc 2 "hrd rejects an unknown option"
run "$HRD" --help
expect_rc 0 "hrd --help"
expect_contains "$OUT" "--database URL" "hrd --help documents --database"

finish
