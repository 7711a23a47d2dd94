#!/usr/bin/env bats
# The man page: it renders without warnings, has its sections, and is what
# `make man` makes of the current --help and man/zcp.h2m.

load helper

MANDIR=$BATS_TEST_DIRNAME/../man

# gen FILE: the page help2man makes of $ZCP, as `make man` does.
gen() {
	help2man --no-info --include="$MANDIR/zcp.h2m" -o "$1" "$ZCP"
}

# lint FILE: groff's and mandoc's warnings, if any. help2man dates pages
# "Month Year" as GNU pages are; mandoc cannot parse that date and says so,
# which is the one message let through.
lint() {
	groff -man -ww -z "$1" 2>&1
	mandoc -T lint -W warning "$1" 2>&1 | grep -v 'WARNING: cannot parse date' || true
}

# The page without the lines that change from run to run: the generator's
# banner and the date on .TH.
stable() {
	sed '/^\.\\" DO NOT MODIFY THIS FILE/d; /^\.TH /d' "$1"
}

@test "the committed page renders without warnings" {
	run lint "$MANDIR/zcp.1"
	assert_success
	assert_output ''
}

@test "the page generated from this zcp renders without warnings" {
	gen "$T/zcp.1"
	run lint "$T/zcp.1"
	assert_success
	assert_output ''
}

@test "the page has every section, in order" {
	run grep '^\.SH' "$MANDIR/zcp.1"
	assert_output '.SH NAME
.SH SYNOPSIS
.SH DESCRIPTION
.SH OPTIONS
.SH ENDPOINTS
.SH METHODS
.SH "EXIT STATUS"
.SH PROMISES
.SH CAVEATS
.SH EXAMPLES
.SH "SEE ALSO"'
	run grep -A1 '^\.SH NAME' "$MANDIR/zcp.1"
	assert_line --index 1 'zcp \- copy bytes between files, pipes and sockets by the fastest kernel path'
}

# Branches that change --help can merge in any order; CI then checks the
# --help it built (the tests above) and reports a stale committed page as
# skipped, while anywhere else a stale page fails.
@test "the committed page is in step with --help (make man)" {
	gen "$T/zcp.1"
	run diff -u <(stable "$MANDIR/zcp.1") <(stable "$T/zcp.1")
	if [ "$status" -ne 0 ] && [ "${CI:-}" = true ]; then
		skip "man/zcp.1 is out of step with --help: run 'make man' and commit it"
	fi
	[ "$status" -eq 0 ] || fail "man/zcp.1 is out of step with --help; run 'make man':
$output"
}
