#!/usr/bin/env bash
# systemd socket activation: hrd serves the socket it is handed (fd 3,
# LISTEN_PID/LISTEN_FDS), leaves the file to its owner, and refuses
# anything that is not one listening Unix socket.
. "$(dirname "$0")/lib.sh"
: "${SOCKET_ACTIVATE:?SOCKET_ACTIVATE must name the launcher}"

"$SOCKET_ACTIVATE" "$SOCK" "$HRD" --database "$DB_URL" --migrations "$MIGRATIONS" \
	>"$TMP/hrd.log" 2>&1 &
HRD_PID=$!
wait_until "the activated hrd to answer" "$HRCTL" current
hr upgrade head -q
expect_rc 0 "an activated hrd serves upgrades"
hr current
expect_eq "$OUT" "$INITIAL (head)" "and status"
expect_contains "$(cat "$TMP/hrd.log")" "listening on $SOCK" "it logs the socket's real path"
stop_hrd
if [ -S "$SOCK" ]; then pass "the activated socket is left to its owner"; else
	fail "the activated socket is left to its owner"; fi
rm -f "$SOCK"

run bash -c 'LISTEN_FDS=2 LISTEN_PID=$BASHPID exec "$0" --database "$1"' "$HRD" "$DB_URL"
expect_rc 1 "two activated sockets are refused"
expect_contains "$ERR" "passed 2 sockets; hrd takes exactly one" "and the reason is given"
run bash -c 'LISTEN_FDS=1 LISTEN_PID=$BASHPID exec "$0" --database "$1" 3</dev/null' "$HRD" "$DB_URL"
expect_rc 1 "an fd 3 that is not a socket is refused"
expect_contains "$ERR" "not a listening unix stream socket" "and the reason is given"
# LISTEN_PID naming another process means the fds are not ours.
LISTEN_FDS=1 LISTEN_PID=1 start_hrd
hr current
expect_rc 0 "activation variables meant for another process are ignored"

finish
