#!/usr/bin/env bash
# The Debian packages, built and installed on this machine (Debian 12).
# Too slow for CI and it changes the machine (installs hrd, adds the
# homerack user), so it runs by hand:
#
#   scripts/package-test.sh          # build, lintian, install, check, purge
#   KEEP=1 scripts/package-test.sh   # ... and leave the packages installed
#
# Builds with `dpkg-buildpackage -us -uc -b` in a clean copy of the
# checkout (build/deb/), runs lintian, installs the .debs with apt-get
# (dpkg -i plus their dependencies), then checks what a user gets:
# hrd --version, man -w for the three pages, the homerack user and group,
# the systemd units, the completion, and the -dev package (tests/install/
# app.c built with pkg-config against it asks the packaged hrd for
# current). Ends with "N passed, N failed"; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "package-test.sh: installs packages: run it as root" >&2; exit 2; }

scripts/install-deps.sh debhelper lintian man-db
version=$(cat VERSION)
out=$PWD/build/deb
passed=0 failed=0
check() { # description command...: run it quietly (its output shown on failure)
	local what=$1
	shift
	if "$@" >"$out/check.log" 2>&1; then
		passed=$((passed + 1)) && echo "ok - $what"
	else
		failed=$((failed + 1)) && echo "FAIL - $what" && sed 's/^/   /' "$out/check.log"
	fi
}

echo "== dpkg-buildpackage (log: build/deb/build.log) =="
rm -rf "$out" && mkdir -p "$out/homerack"
git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T - | tar -xf - -C "$out/homerack"
if (cd "$out/homerack" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	echo "ok - dpkg-buildpackage -us -uc -b" && passed=$((passed + 1))
else
	tail -30 "$out/build.log"
	echo "FAIL - dpkg-buildpackage -us -uc -b"
	exit 1
fi
ls "$out"/*.deb

echo "== lintian =="
check "lintian: no error, no warning" lintian --fail-on error,warning "$out"/*.changes

echo "== install =="
debs=("$out"/homerack_*.deb "$out"/libhrclient0_*.deb "$out"/libhrclient-dev_*.deb)
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >/dev/null
check "hrd --version says $version" sh -c "[ \"\$(hrd --version)\" = 'hrd $version' ]"
check "hrctl --version says $version" sh -c "[ \"\$(hrctl --version)\" = 'hrctl $version' ]"
check "man -w hrctl" man -w hrctl
check "man -w 8 hrd" man -w 8 hrd
check "man -w 5 homerack-migrations" man -w 5 homerack-migrations
check "the homerack group exists" getent group homerack
check "the homerack system user exists" getent passwd homerack
check "hrd.socket is installed" test -f /lib/systemd/system/hrd.socket
check "hrd.service runs /usr/sbin/hrd" grep -q '^ExecStart=/usr/sbin/hrd ' /lib/systemd/system/hrd.service
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify the units" systemd-analyze verify /lib/systemd/system/hrd.socket /lib/systemd/system/hrd.service
fi
check "the completion is installed" test -f /usr/share/bash-completion/completions/hrctl
check "pkg-config --modversion libhrclient" sh -c "[ \"\$(pkg-config --modversion libhrclient)\" = '$version' ]"

# The -dev package in use, against the packaged hrd on a private socket.
tmp=$(mktemp -d)
hrd_pid=
trap '[ -n "$hrd_pid" ] && kill "$hrd_pid"; rm -rf "$tmp"' EXIT
cp tests/install/app.c "$tmp/"
check "app.c builds against libhrclient-dev" sh -c "cd '$tmp' && cc -Wall -Werror -o app app.c \$(pkg-config --cflags --libs libhrclient)"
hrd --socket "$tmp/hrd.sock" --database "sqlite:///$tmp/db" \
	--migrations /usr/share/homerack/migrations --models /usr/share/homerack/models \
	>"$tmp/hrd.log" 2>&1 &
hrd_pid=$!
for _ in $(seq 100); do # up to ~10 s for the socket to answer
	hrctl --socket "$tmp/hrd.sock" current >/dev/null 2>&1 && break
	kill -0 "$hrd_pid" 2>/dev/null || break
	sleep 0.1
done
check "packaged hrctl upgrades the packaged hrd" hrctl --socket "$tmp/hrd.sock" upgrade head
check "app asks the packaged hrd for current" sh -c "'$tmp/app' '$tmp/hrd.sock' | grep -qx 1f3c0a9d2b7e"
kill "$hrd_pid" && wait "$hrd_pid" || true
hrd_pid=

if [ "${KEEP:-}" != 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq homerack libhrclient0 libhrclient-dev >/dev/null
	echo "(packages purged; KEEP=1 keeps them)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
