#!/usr/bin/env bash
# The bash completion (contrib/bash-completion/hrctl), sourced in a fresh
# bash and its completion function called as bash would: it offers
# hrctl's commands and options, and the revision ids and branch labels
# hrd holds; with hrd down it offers the keywords only, quietly.
. "$(dirname "$0")/../e2e/lib.sh"
COMPLETION=$SRCDIR/contrib/bash-completion/hrctl

# complete WORD...: the candidates bash would offer for the last WORD of
# `hrctl WORD...`, one per line, and the function's stderr in $TMP/cerr.
complete_hrctl() {
	bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_hrctl
		printf "%s\n" "${COMPREPLY[@]}"' \
		complete "$COMPLETION" "$HRCTL" "$@" 2>"$TMP/cerr"
}

# offers WORDS... -- CANDIDATE...: each CANDIDATE is offered.
expect_offers() {
	local got=$1 what=$2
	shift 2
	for want in "$@"; do
		grep -qx -- "$want" <<<"$got" && pass "$what: offers $want" ||
			fail "$what: offers $want" "offered: $(echo $got)"
	done
}

use_temp_migrations
CABLES=c0ffee000001
cat >"$MIGRATIONS/${CABLES}_cable_colours.sql" <<SQL
-- revision: $CABLES
-- down_revision: $INITIAL
-- message: Cable colours
-- branch_labels: cables

-- +upgrade
ALTER TABLE connections ADD COLUMN colour VARCHAR;
-- +downgrade
ALTER TABLE connections DROP COLUMN colour;
SQL

# hrd down: commands, and the target keywords, without a word on stderr.
got=$(complete_hrctl "")
expect_offers "$got" "commands" current history upgrade downgrade stamp heads show
got=$(complete_hrctl --socket "$SOCK" upgrade "")
expect_offers "$got" "targets with hrd down" head heads base
grep -qx "$INITIAL" <<<"$got" && fail "no revision is offered with hrd down" ||
	pass "no revision is offered with hrd down"
expect_eq "$(cat "$TMP/cerr")" "" "nothing printed with hrd down"

start_hrd
got=$(complete_hrctl upgrade "")
expect_offers "$got" "upgrade's target" head "$INITIAL" "$CABLES" cables@head
got=$(complete_hrctl upgrade c0f)
expect_eq "$got" "$CABLES" "a prefix completes to the one id"
got=$(complete_hrctl --socket "$SOCK" history -r "")
expect_offers "$got" "history -r (through --socket)" "$INITIAL" "$CABLES"
got=$(complete_hrctl revision --head "")
expect_offers "$got" "revision --head" "$CABLES" cables
got=$(complete_hrctl upgrade --)
expect_offers "$got" "upgrade's options" --sql --timeout --allow-changed --quiet
got=$(complete_hrctl --j)
expect_offers "$got" "global options" --json
got=$(complete_hrctl current "")
expect_eq "$got" "" "current takes no target: nothing offered"
expect_eq "$(cat "$TMP/cerr")" "" "nothing printed on stderr"
finish
