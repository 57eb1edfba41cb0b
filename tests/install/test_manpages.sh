#!/usr/bin/env bash
# The man pages keep up with the binaries: every command of hrctl --help
# has its entry in hrctl(1), every option of each `hrctl COMMAND --help`
# and of `hrd --help` is in hrctl(1) / hrd(8), and each page renders
# with man without a warning.
. "$(dirname "$0")/../e2e/lib.sh"
MAN=$SRCDIR/docs/man

options_of() { # the --long and -s options of a --help text on stdin
	sed -n -e h -e 's/^ \{1,\}-\([a-zA-Z]\), .*/-\1/p' \
		-e g -e 's/^ \{1,\}\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'
}

commands=$("$HRCTL" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] && pass "hrctl --help lists commands" || fail "hrctl --help lists commands"
for cmd in $commands; do
	if grep -q "^\*$cmd\*" "$MAN/hrctl.1.scd"; then pass "hrctl(1) has $cmd"; else
		fail "hrctl(1) has $cmd" "no line starting *$cmd* in docs/man/hrctl.1.scd"
	fi
	# The command's entry: from its line up to the next command's.
	entry=$(awk -v c="*$cmd*" '/^\*[a-z]/ { in_entry = index($0, c) == 1 }
		in_entry' "$MAN/hrctl.1.scd")
	for opt in $("$HRCTL" "$cmd" --help | options_of); do
		# The option in bold within the command's entry (up to the next one).
		if grep -qF -- "*$opt*" <<<"$entry"; then
			pass "hrctl(1) $cmd has $opt"
		else
			fail "hrctl(1) $cmd has $opt" "no *$opt* in the entry of $cmd in docs/man/hrctl.1.scd"
		fi
	done
done
for opt in $("$HRCTL" --help | options_of); do
	grep -qF -- "*$opt*" "$MAN/hrctl.1.scd" && pass "hrctl(1) has global $opt" ||
		fail "hrctl(1) has global $opt"
done
for opt in $("$HRD" --help | options_of); do
	grep -qF -- "*$opt*" "$MAN/hrd.8.scd" && pass "hrd(8) has $opt" ||
		fail "hrd(8) has $opt" "no *$opt* in docs/man/hrd.8.scd"
done
for page in hrd.8 hrctl.1 homerack-migrations.5; do
	if ! scdoc <"$MAN/$page.scd" >"$TMP/$page" 2>"$TMP/scdoc.err"; then
		fail "scdoc $page" "$(cat "$TMP/scdoc.err")"
		continue
	fi
	run env MANWIDTH=80 man --warnings -l -P cat "$TMP/$page"
	expect_eq "$ERR" "" "$page renders without a warning"
	expect_contains "$OUT" "SEE ALSO" "$page renders"
done
finish
