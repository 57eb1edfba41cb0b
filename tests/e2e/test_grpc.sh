#!/usr/bin/env bash
# gRPC over HTTP/2 on hrd's socket, spoken by a stock client: Debian's
# python3-grpcio with stubs generated here from proto/homerack.proto.
# hrctl (the native framing) shares the socket at the same time.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, with python3-grpcio (not a pyenv's)
STUBS=$TMP/stubs
mkdir -p "$STUBS"
if ! protoc -I "$SRCDIR/proto" --python_out="$STUBS" --grpc_out="$STUBS" \
	--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
	homerack.proto 2>"$TMP/protoc.err"; then
	fail "stubs generated from proto/homerack.proto" "$(cat "$TMP/protoc.err")"
	finish
fi
# gRPC's health protocol from grpc-proto, under a name that does not
# shadow the grpc package.
cp /usr/share/grpc-proto/grpc/health/v1/health.proto "$STUBS/health.proto"
protoc -I "$STUBS" --python_out="$STUBS" --grpc_out="$STUBS" \
	--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" health.proto ||
	fail "health stubs generated from grpc-proto"
for v in v1 v1alpha; do
	cp "/usr/share/grpc-proto/grpc/reflection/$v/reflection.proto" \
		"$STUBS/reflection_$v.proto"
	protoc -I "$STUBS" --python_out="$STUBS" --grpc_out="$STUBS" \
		--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
		"reflection_$v.proto" || fail "reflection $v stubs generated from grpc-proto"
done
chmod -R a+rX "$STUBS"

# g COMMAND ARGS...: run the grpcio client; its KEY=VALUE facts in OUT.
g() { run "$PY" "$SRCDIR/tests/e2e/grpc_client.py" "$SOCK" "$STUBS" "$@"; }
# raw COMMAND ARGS...: HTTP/2 spoken by hand (h2_raw.py), facts in OUT.
raw() { run "$PY" "$SRCDIR/tests/e2e/h2_raw.py" "$SOCK" "$@"; }
# fact KEY: the value of KEY in OUT (the last one said).
fact() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | tail -1; }

start_hrd --socket-mode 0666

g current
expect_rc 0 "Current over gRPC"
expect_eq "$(fact revisions)" "" "an empty database has no revision"
expect_eq "$(fact database)" "$DB_URL" "and names the database"

g history
expect_eq "$(fact revisions)" "$INITIAL" "History lists the migrations"

g upgrade head
expect_eq "$(printf '%s\n' "$OUT" | grep '^event=' | tr '\n' ' ')" \
	"event=KIND_PLAN  0/1 event=KIND_NOTE  0/0 event=KIND_STARTED $INITIAL 1/1 event=KIND_FINISHED $INITIAL 1/1 " \
	"Upgrade streams its events"
expect_eq "$(fact code)" "OK" "and ends with status OK"
expect_eq "$(db_versions)" "$INITIAL" "the database is at head"
hr current
expect_contains "$OUT" "$INITIAL (head)" "hrctl sees what gRPC did"

g downgrade base
expect_contains "$OUT" "event=KIND_FINISHED $INITIAL 1/1" "Downgrade streams its events"
expect_eq "$(fact code)" "OK" "and ends with status OK"
expect_eq "$(db_versions)" "" "the database is at base"

g stamp head
expect_eq "$(fact revisions)" "$INITIAL" "Stamp replies with the table after"
expect_eq "$(fact previous)" "" "and before"

g unknown
expect_eq "$(fact code)" "UNIMPLEMENTED" "an unknown method is UNIMPLEMENTED"
expect_contains "$(fact details)" "unknown method '/homerack.v1.Schema/Frobnicate'" \
	"and named"

g show ffffffffffff
expect_eq "$(fact code)" "NOT_FOUND" "a bad revision is NOT_FOUND"
expect_eq "$(fact details)" "no such revision 'ffffffffffff'" "with hrd's message"
g upgrade ffffffffffff
expect_eq "$(fact code)" "NOT_FOUND" "a streaming call ends NOT_FOUND too"

# --- a deadline, and a cancel, while hrd waits for the database lock ---------
hr stamp base
hold_lock
g deadline 1.5
expect_eq "$(fact code)" "DEADLINE_EXCEEDED" "an upgrade past its deadline is DEADLINE_EXCEEDED"
expect_eq "$(fact on_time)" "1" "not before the deadline"
# grpcio ends the call at its deadline itself; with grpc-timeout alone
# (no deadline of the client's), hrd must end it.
raw deadline 1000m
expect_eq "$(fact status)" "4" "hrd ends a call at its grpc-timeout (DEADLINE_EXCEEDED)"
expect_contains "$(fact message)" "deadline exceeded" "and says so in grpc-message"
g cancel
expect_eq "$(fact first)" "KIND_PLAN" "an upgrade streams its plan first"
expect_eq "$(fact code)" "CANCELLED" "the client cancels it"
wait_for "$TMP/hrd.log" "cancelled stream"
wait_for "$TMP/hrd.log" "Upgrade by uid 0: CANCELLED"
release_lock
expect_eq "$(db_versions)" "" "no migration ran after the deadline or the cancel"
hr current
expect_rc 0 "hrd keeps serving"

# --- many calls on one channel --------------------------------------------
g concurrent 20
expect_eq "$(fact watches)" "20" "20 Watch streams open at once on one channel"
expect_eq "$(fact currents)" "20" "and 20 unary calls in flight beside them"
g threads 20
expect_eq "$(fact ok)" "20" "20 threads share one channel"

# --- both protocols on the socket at once ----------------------------------
"$PY" "$SRCDIR/tests/e2e/grpc_client.py" "$SOCK" "$STUBS" watch-until "$INITIAL" \
	>"$TMP/watch.out" 2>&1 &
W=$!
wait_for "$TMP/watch.out" "^watching="
hr stamp head
expect_rc 0 "hrctl stamps while a gRPC client watches"
wait "$W"
RC=$?
expect_rc 0 "the gRPC watcher returns"
expect_contains "$(cat "$TMP/watch.out")" "seen=$INITIAL" "having seen hrctl's change"
expect_contains "$(cat "$TMP/watch.out")" "at_head=1" "at head"

# --- the admin rule, per connection ------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	hr stamp base
	# The checkout may be out of uid 65534's reach (a 0700 directory):
	# it runs its own copy of the client, beside the stubs.
	install -m 0644 "$SRCDIR/tests/e2e/grpc_client.py" "$STUBS/"
	nobody() { run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PY" "$STUBS/grpc_client.py" "$SOCK" "$STUBS" "$@"; }
	nobody current
	expect_rc 0 "any peer may read over gRPC"
	nobody upgrade head
	expect_eq "$(fact code)" "PERMISSION_DENIED" "a non-admin may not upgrade over gRPC"
	expect_contains "$(fact details)" "uid 65534 may not call /homerack.v1.Schema/Upgrade" \
		"the message names the peer"
	expect_eq "$(db_versions)" "" "nothing changed"
else
	skip "PERMISSION_DENIED for a non-admin" "switching users needs root and setpriv"
fi

# --- grpc.health.v1.Health ---------------------------------------------------
hr stamp base
g health-check ""
expect_eq "$(fact status)" "SERVING" "Health: hrd itself is SERVING"
g health-check homerack.v1.Schema
expect_eq "$(fact status)" "NOT_SERVING" "homerack.v1.Schema is NOT_SERVING below head"
g health-check nope
expect_eq "$(fact code)" "NOT_FOUND" "an unknown service is NOT_FOUND"
g health-watch-until nope SERVICE_UNKNOWN
expect_eq "$(fact status)" "SERVICE_UNKNOWN" "watching an unknown service: SERVICE_UNKNOWN"
g health-watch-until "" SERVING
expect_eq "$(fact status)" "SERVING" "watching hrd itself: SERVING"
"$PY" "$SRCDIR/tests/e2e/grpc_client.py" "$SOCK" "$STUBS" health-watch-until \
	homerack.v1.Schema SERVING >"$TMP/health.out" 2>&1 &
W=$!
wait_for "$TMP/health.out" "^status=NOT_SERVING"
hr upgrade head
wait "$W"
RC=$?
expect_rc 0 "a health watch follows an upgrade"
expect_eq "$(sed -n 's/^status=//p' "$TMP/health.out" | tr '\n' ' ')" "NOT_SERVING SERVING " \
	"NOT_SERVING, then SERVING once at head, each said once"
g health-check homerack.v1.Schema
expect_eq "$(fact status)" "SERVING" "Check: SERVING at head"
run env PYTHONPATH="$STUBS" "$PY" "$SRCDIR/contrib/grpc/python/schema_status.py" --wait "$SOCK"
expect_eq "$OUT" "$INITIAL (head)" "the Python example in contrib/grpc works"
hr downgrade base
g health-check homerack.v1.Schema
expect_eq "$(fact status)" "NOT_SERVING" "and NOT_SERVING again after a downgrade"

# --- server reflection (what grpcurl list/describe use) -------------------------
SERVICES="grpc.health.v1.Health grpc.reflection.v1.ServerReflection grpc.reflection.v1alpha.ServerReflection homerack.v1.Schema"
for v in v1 v1alpha; do
	g reflect $v homerack.v1.Schema homerack.v1.SchemaState.Activity nope.Nothing
	expect_eq "$(fact services)" "$SERVICES" "reflection $v lists the services"
	expect_eq "$(fact files)" "homerack.proto" "reflection $v finds the file of a symbol"
	expect_eq "$(fact methods.homerack.v1.Schema)" \
		"Current History Upgrade Downgrade Stamp Watch Show Verify Script Revision Merge Models Check Test Restore" \
		"and its descriptor describes the service"
	expect_eq "$(fact error)" "5" "an unknown symbol is NOT_FOUND"
	expect_eq "$(fact code)" "OK" "the stream ends OK once the client ends its side"
done

# --- hostile peers on the HTTP/2 path ------------------------------------------
stop_hrd
start_hrd --frame-timeout 2
hrd_hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$HRD_PID/status"; }
HWM=$(hrd_hwm)

raw bad-preface
expect_eq "$(fact closed)" "1" "a bad preface: hrd hangs up"
raw garbage
expect_eq "$(fact goaway)" "6" "garbage after the preface: GOAWAY FRAME_SIZE_ERROR, then hrd hangs up"
raw big-headers 20000
expect_eq "$(fact big)" "reset" "a header list over 16 KiB: the stream is reset"
expect_eq "$(fact after)" "0" "and the connection serves the next call"
raw big-headers 8000
expect_eq "$(fact big)" "0" "8 KiB of metadata is served"
raw continuation-flood 100000
expect_eq "$(fact all_sent)" "0" "a CONTINUATION flood is cut off (CVE-2024-28182)"
expect_eq "$(fact goaway)" "1" "with GOAWAY PROTOCOL_ERROR"
raw rapid-reset 20000
expect_eq "$(fact all_sent)" "0" "rapid resets are cut off (CVE-2023-44487)"
expect_eq "$(fact goaway)" "2" "with GOAWAY"
raw stream-flood 300
expect_eq "$(fact refused)" "236" "streams past SETTINGS_MAX_CONCURRENT_STREAMS (64) are refused"
expect_eq "$(fact closed)" "1" "and requests never finished end with the connection (frame timeout)"
expect_contains "$(cat "$TMP/hrd.log")" "frame incomplete after 2000 ms" "hrd says why it hung up"

# A peer that sends calls and never reads: hrd stops reading it.
mkfifo "$TMP/hold"
"$PY" "$SRCDIR/tests/e2e/h2_raw.py" "$SOCK" never-reads 100000 <"$TMP/hold" >"$TMP/nr.out" 2>&1 &
NR=$!
exec 8>"$TMP/hold"
wait_for "$TMP/nr.out" "blocked=1"
hr current
expect_rc 0 "hrd serves others while a peer never reads"
g current
expect_eq "$(fact revisions)" "" "over gRPC too"
exec 8>&-
wait "$NR"
GREW=$(($(hrd_hwm) - HWM))
if [ "$GREW" -lt 65536 ]; then pass "hostile peers cost hrd little memory (${GREW} kB)"; else
	fail "hostile peers cost hrd little memory" "its peak grew by ${GREW} kB"
fi

finish
