#!/usr/bin/env bash
# cmake --install into a temporary prefix, then, as a user of the library
# would: build tests/install/app.c outside the tree with
# `pkg-config --cflags --libs libhrclient` (shared) and against
# libhrclient.a (static), and have both ask the installed hrd, started on
# the installed migrations, for the current revision.
#
# Environment (set by CTest): BUILD (the build tree), SRCDIR, CC,
# APP_CFLAGS (sanitizer flags when the build has them).
. "$(dirname "$0")/../e2e/lib.sh"
: "${BUILD:?BUILD must name the build tree}"

PREFIX=$TMP/prefix
run cmake --install "$BUILD" --prefix "$PREFIX"
expect_rc 0 "cmake --install into a temporary prefix"

libdir=$(dirname "$(find "$PREFIX" -name libhrclient.pc)")
libdir=${libdir%/pkgconfig}
version=$(cat "$SRCDIR/VERSION")
for f in sbin/hrd bin/hrctl include/hrclient.h include/hrclient_version.h \
	share/man/man8/hrd.8 share/man/man1/hrctl.1 \
	share/man/man5/homerack-migrations.5 \
	share/bash-completion/completions/hrctl \
	lib/systemd/system/hrd.service lib/systemd/system/hrd.socket \
	share/homerack/migrations/${INITIAL}_initial_homerack_schema.sql \
	share/homerack/proto/homerack.proto \
	"${libdir#"$PREFIX"/}/libhrclient.so.$version" \
	"${libdir#"$PREFIX"/}/libhrclient.a"; do
	if [ -f "$PREFIX/$f" ]; then pass "installed $f"; else fail "installed $f"; fi
done
soname=$(readelf -d "$libdir/libhrclient.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
expect_eq "$soname" "libhrclient.so.${version%%.*}" "the library's SONAME carries the major version"
[ "$(readlink "$libdir/libhrclient.so.${version%%.*}")" = "libhrclient.so.$version" ] &&
	pass "libhrclient.so.MAJOR links to the versioned file" ||
	fail "libhrclient.so.MAJOR links to the versioned file"
grep -q "^ExecStart=$PREFIX/sbin/hrd " "$PREFIX/lib/systemd/system/hrd.service" &&
	pass "hrd.service starts the installed hrd" ||
	fail "hrd.service starts the installed hrd" "$(grep ExecStart "$PREFIX/lib/systemd/system/hrd.service")"
run "$PREFIX/sbin/hrd" --version
expect_eq "$OUT" "hrd $version" "hrd --version is the VERSION file's"
run "$PREFIX/bin/hrctl" --version
expect_eq "$OUT" "hrctl $version" "hrctl --version is the VERSION file's"
run man -l -P cat "$PREFIX/share/man/man1/hrctl.1"
expect_contains "$OUT" "EXIT STATUS" "the hrctl man page renders"

# The installed header stands alone: nothing from the tree, strict C99
# and C++.
APP=$TMP/app
mkdir -p "$APP"
cp "$SRCDIR/tests/install/app.c" "$APP/"
cd "$APP" || exit 1
export PKG_CONFIG_PATH=$libdir/pkgconfig
run pkg-config --modversion libhrclient
expect_eq "$OUT" "$version" "libhrclient.pc carries the version"
echo '#include <hrclient.h>' >header.c
run "${CC:-cc}" -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only \
	$(pkg-config --cflags libhrclient) header.c
expect_rc 0 "the installed header compiles alone (C99, -pedantic)"
if command -v c++ >/dev/null; then
	run c++ -Wall -Werror -fsyntax-only -x c++ $(pkg-config --cflags libhrclient) header.c
	expect_rc 0 "the installed header compiles as C++"
fi
run "${CC:-cc}" -Wall -Werror $APP_CFLAGS -o app app.c \
	$(pkg-config --cflags --libs libhrclient)
expect_rc 0 "app.c builds with pkg-config --cflags --libs libhrclient"
run "${CC:-cc}" -Wall -Werror $APP_CFLAGS -o app-static app.c \
	$(pkg-config --cflags libhrclient) "$libdir/libhrclient.a" \
	$(pkg-config --libs-only-l --static libhrclient | sed 's/-lhrclient//')
expect_rc 0 "app.c builds against libhrclient.a alone"
# Only the installed copy may be found: no build tree on the path.
export LD_LIBRARY_PATH=$libdir
# (Read whole first: under pipefail, grep -q quitting early would make
# ldd's SIGPIPE a failure.)
loaded=$(ldd ./app)
grep -q "libhrclient.so.${version%%.*} => $libdir/" <<<"$loaded" &&
	pass "app loads the installed libhrclient.so" ||
	fail "app loads the installed libhrclient.so" "$loaded"

run ./app "$SOCK"
expect_rc 3 "app: hrd not running is UNAVAILABLE"

HRD=$PREFIX/sbin/hrd HRCTL=$PREFIX/bin/hrctl
MIGRATIONS=$PREFIX/share/homerack/migrations
start_hrd
run ./app "$SOCK"
expect_rc 0 "app asks the installed hrd for current"
expect_eq "$OUT" "compiled against $version, running $version" "app at base: the versions, no revision"
hr upgrade head
expect_rc 0 "upgrade head with the installed hrctl"
for prog in app app-static; do
	run "./$prog" "$SOCK"
	expect_eq "$OUT" "compiled against $version, running $version
$INITIAL" "$prog prints the current revision"
done
finish
