#!/usr/bin/env bats
# The command line: --help, --version, numbers, and every usage error
# (exit 2, one line and the hint, nothing opened or created).

load helper

@test "--help prints usage to stdout and exits 0" {
	run --separate-stderr "$ZCP" --help
	assert_success
	assert_line --index 0 'Usage: zcp [OPTION]... SRC DST'
	assert_output --partial '--method=NAME'
	assert_output --partial '--offset=BYTES'
	[ -z "$stderr" ]
}

@test "-h is --help" {
	run "$ZCP" -h
	assert_success
	assert_line --index 0 'Usage: zcp [OPTION]... SRC DST'
}

@test "--version prints one line to stdout" {
	run --separate-stderr "$ZCP" --version
	assert_success
	assert_output --regexp '^zcp [0-9]+\.[0-9]+\.[0-9]+$'
	run "$ZCP" -V
	assert_output --regexp '^zcp [0-9]+\.[0-9]+\.[0-9]+$'
}

# usage_error ARGS...: exit 2, a message and the hint, no DST created.
usage_fails() {
	cd "$T"
	run --separate-stderr "$ZCP" "$@"
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == zcp:* ]]
	[[ "$stderr" == *"Try 'zcp --help' for more information."* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ]
}

@test "no operands, one operand, three operands" {
	usage_fails
	[[ "$stderr" == *"missing operands"* ]]
	usage_fails src
	[[ "$stderr" == *"missing operand DST after 'src'"* ]]
	usage_fails a b c
	[[ "$stderr" == *"extra operand 'c'"* ]]
}

@test "unknown options" {
	usage_fails --bogus a b
	[[ "$stderr" == *"unknown option '--bogus'"* ]]
	usage_fails -Z a b
	[[ "$stderr" == "zcp: invalid option -- 'Z'"$'\n'* ]]
	usage_fails a b --count
	[[ "$stderr" == *"'--count' needs an argument"* ]]
}

@test "an option that takes no argument refuses one, by its full name" {
	mkdata "$T/src" 10
	for opt in quiet append help version verbose fsync direct no-direct \
		json explain; do
		usage_fails "--$opt=1" src dst
		assert_equal "${stderr%%$'\n'*}" "zcp: option '--$opt' doesn't allow an argument"
		[ ! -e "$T/dst" ]
	done
	usage_fails --verb=2 src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: option '--verbose' doesn't allow an argument"
}

@test "short option clusters name the character that failed" {
	mkdata "$T/src" 10
	usage_fails -q=1 src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid option -- '='"
	usage_fails -vZ src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid option -- 'Z'"
	# A cluster after a long option: the cluster is what failed.
	usage_fails --json -qx src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid option -- 'x'"
	usage_fails src dst -qn
	assert_equal "${stderr%%$'\n'*}" "zcp: option '-n' needs an argument"
	usage_fails src dst --cou
	assert_equal "${stderr%%$'\n'*}" "zcp: option '--count' needs an argument"
	[ ! -e "$T/dst" ]
}

@test "an ambiguous abbreviation lists what it could mean" {
	mkdata "$T/src" 10
	for b in --b=1 --b; do
		usage_fails "$b" src dst
		assert_equal "${stderr%%$'\n'*}" "zcp: option '--b' is ambiguous; possibilities: '--block-size' '--bench'"
	done
	# A unique abbreviation works; no option at all is unknown.
	run "$ZCP" --cou=3 --bl=1 "$T/src" "$T/dst"
	assert_success
	range "$T/src" 0 3 | cmp - "$T/dst"
	usage_fails --bx=1 src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: unknown option '--bx=1'"
}

@test "--help and --version report a failed write to stdout" {
	for opt in --help --version; do
		run --separate-stderr "$ZCP" "$opt"
		assert_success
		run --separate-stderr sh -c '"$ZCP" "$1" > /dev/full' sh "$opt"
		assert_failure 1
		assert_equal "$stderr" "zcp: write error: No space left on device"
		run --separate-stderr sh -c '"$ZCP" "$1" >&-' sh "$opt"
		assert_failure 1
		assert_equal "$stderr" "zcp: write error: Bad file descriptor"
	done
}

@test "bad numbers are usage errors naming the option and the text" {
	mkdata "$T/src" 10
	for bad in '' -1 +1 ' 1' '1 ' 0x10 1.5M 10Q 10m 10kiB 10KIB 1e3 K; do
		usage_fails --count="$bad" src dst
		[[ "$stderr" == *"invalid --count '$bad': expected a whole number of bytes"* ]] || { echo "$bad: $stderr"; false; }
		[ ! -e "$T/dst" ]
	done
	# Well formed, but too large: the range is what is wrong.
	for big in 9223372036854775808 9223372036854775807K 99999999999999999999 9000000T; do
		usage_fails --count="$big" src dst
		[[ "$stderr" == *"invalid --count '$big': must be from 0 to 9223372036854775807"* ]] || { echo "$big: $stderr"; false; }
		[ ! -e "$T/dst" ]
	done
	usage_fails --offset=abc src dst
	[[ "$stderr" == *"invalid --offset 'abc'"* ]]
	usage_fails --seek=1x src dst
	[[ "$stderr" == *"invalid --seek '1x'"* ]]
	usage_fails --block-size=0 src dst
	[[ "$stderr" == *"invalid --block-size '0'"* ]]
	usage_fails --block-size=2G src dst
	[[ "$stderr" == *"invalid --block-size '2G'"* ]]
}

@test "numbers with suffixes: powers of 1024 and of 1000" {
	mkdata "$T/src" 3000000
	for spec in 0:0 7:7 1K:1024 1k:1024 1KiB:1024 1KB:1000 1kB:1000 \
		2M:2097152 2MiB:2097152 2MB:2000000; do
		n=${spec%%:*} want=${spec#*:}
		run "$ZCP" --count="$n" "$T/src" "$T/dst"
		assert_success
		[ "$(stat -c %s "$T/dst")" -eq "$want" ]
		range "$T/src" 0 "$want" | cmp - "$T/dst"
	done
	# G and T and their forms parse (and are huge, so copy everything).
	for n in 1G 1GiB 1GB 1T 1TiB 1TB 8388607T; do
		run "$ZCP" --count="$n" "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
	done
}

@test "bad methods are usage errors" {
	mkdata "$T/src" 10
	usage_fails --method=nope src dst
	[[ "$stderr" == *"unknown method 'nope'"* ]]
	[ ! -e "$T/dst" ]
	usage_fails -m '' src dst
	[[ "$stderr" == *"unknown method ''"* ]]
	# A prefix is not a name.
	usage_fails -m spl src dst
	[[ "$stderr" == *"unknown method 'spl'"* ]]
}

@test "method names are taken in any case, as --flags names and endpoint prefixes are" {
	mkdata "$T/src" 100000
	for m in AUTO Rw SPLICE SendFile; do
		rm -f "$T/dst"
		run --separate-stderr "$ZCP" -v -m "$m" "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
		lower=$(tr A-Z a-z <<< "$m")
		[ "$lower" = auto ] || [[ "$stderr" == "zcp: method $lower,"* ]]
	done
}

@test "bad addresses are usage errors before anything is opened" {
	mkdata "$T/src" 10
	for bad in tcp: tcp:host tcp::80 tcp:host: tcp:host:0 tcp:host:65536 \
		tcp:host:http tcp:::1:80 'tcp:[::1]80' 'tcp:[::1' \
		tcp-listen: tcp-listen:x tcp-listen::80 tcp-listen:70000 \
		fd: fd:x fd:-1 fd:99999999999 unix: unix-listen: \
		"unix:$(printf 'x%.0s' $(seq 108))"; do
		usage_fails src "$bad"
		[[ "$stderr" == *"invalid address '$bad'"* ]] || { echo "$bad: $stderr"; false; }
	done
	usage_fails tcp-listen:0 tcp:bad
	[[ "$stderr" == *"invalid address 'tcp:bad'"* ]]
	# Nothing listened, nothing was created for a bad SRC.
	usage_fails unix-listen:"$T/sock" tcp:bad
	[ ! -e "$T/sock" ]
}

@test "a file named like an address that is not valid: the usage error says to write ./NAME, which copies it" {
	cd "$T"
	mkdata 'tcp:x' 100
	usage_fails 'tcp:x' dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid address 'tcp:x': expected HOST:PORT (for the file of that name, write './tcp:x')"
	[ ! -e dst ]
	"$ZCP" -q ./tcp:x dst
	cmp 'tcp:x' dst
	# As DST too; with no such file, no hint.
	usage_fails dst 'fd:x'
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid address 'fd:x': expected fd:N with N a descriptor number"
	touch 'fd:x'
	usage_fails dst 'fd:x'
	[[ "$stderr" == *"(for the file of that name, write './fd:x')"* ]]
}

@test "usage errors show control characters in what was typed escaped, on one line" {
	mkdata "$T/src" 10
	usage_fails src $'tcp:a\nb:x'
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid address 'tcp:a\\nb:x': port must be a number from 1 to 65535"
	usage_fails $'tcp:a\e[31mb' dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid address 'tcp:a\\x1b[31mb': expected HOST:PORT"
	usage_fails --count=$'1\e]0;x\a' src dst
	[[ "${stderr%%$'\n'*}" == "zcp: invalid --count '1\\x1b]0;x\\x07': "* ]]
	usage_fails --method=$'x\ty' src dst
	[[ "${stderr%%$'\n'*}" == "zcp: unknown method 'x\\ty'; "* ]]
	usage_fails $'--fo\no' src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: unknown option '--fo\\no'"
	usage_fails $'-\x01' src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid option -- '\\x01'"
}

@test "--append with --seek is a usage error" {
	mkdata "$T/src" 10
	usage_fails --append --seek=1 src dst
	[[ "$stderr" == *"--append and --seek"* ]]
	[ ! -e "$T/dst" ]
}

@test "a usage error leaves an existing DST byte-identical" {
	mkdata "$T/src" 100
	mkdata "$T/dst" 50
	cp "$T/dst" "$T/orig"
	usage_fails --count=bad src dst
	cmp "$T/orig" "$T/dst"
}

@test "options may follow the operands; -- ends options" {
	mkdata "$T/src" 1000
	cd "$T"
	run "$ZCP" src dst --count=10
	assert_success
	range src 0 10 | cmp - dst
	cp src ./-n
	run "$ZCP" -- -n dst2
	assert_success
	cmp src dst2
}

@test "--flags needs a method that takes flags" {
	mkdata "$T/src" 10
	usage_fails --flags=more src dst
	[[ "$stderr" == *"--flags needs --method"* ]]
	usage_fails -m auto --flags=more src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: --flags needs a named method, not auto: flags belong to one method"
	usage_fails --flags=more --method=auto src dst
	[[ "$stderr" == *"needs a named method, not auto"* ]]
	usage_fails --method=rw --flags=0 src dst
	[[ "$stderr" == *"method rw takes no --flags"* ]]
	[ ! -e "$T/dst" ]
}

@test "--queue-depth and --bench take a plain whole number" {
	mkdata "$T/src" 10
	for opt in --queue-depth --bench; do
		max=1024
		[ "$opt" = --bench ] && max=1000
		for bad in x 1K 1k 8KiB 1e2 -1 +1 ' 1' 0x10 ''; do
			usage_fails "$opt=$bad" src dst
			assert_equal "${stderr%%$'\n'*}" "zcp: invalid $opt '$bad': expected a whole number from 1 to $max"
		done
		for bad in 0 $((max + 1)) 99999999999999999999; do
			usage_fails "$opt=$bad" src dst
			assert_equal "${stderr%%$'\n'*}" "zcp: invalid $opt '$bad': must be from 1 to $max"
		done
		[ ! -e "$T/dst" ]
	done
	usage_fails -d x src dst
	assert_equal "${stderr%%$'\n'*}" "zcp: invalid --queue-depth 'x': expected a whole number from 1 to 1024"
	run "$ZCP" -d 1024 "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	run "$ZCP" --help
	assert_output --partial 'is a plain whole number, without a suffix'
}
