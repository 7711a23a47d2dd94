#!/usr/bin/env bats
# Shell completions: what the bash and fish files offer for partial command
# lines, zsh syntax, and that every option --help lists is in every file.

load helper

COMP=$BATS_TEST_DIRNAME/../completions

setup() {
	cd "$T"
	: > alpha.txt
	: > also.bin
	mkdir sockdir
	printf '127.0.0.1 zcphost.example\n' > hosts
	export HOME=$T XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
	export HOSTFILE=$T/hosts
}

# method_names: auto and every method --help lists, sorted as the
# completions offer them.
method_names() {
	{ methods; echo auto; } | LC_ALL=C sort
}

# bash_complete LINE: what the bash completion offers at the end of LINE,
# one a line. COMP_WORDS is split as readline splits it: blanks separate
# words, and each run of = or : (from COMP_WORDBREAKS) is a word of its own.
bash_complete() {
	bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		compopt() { :; }	# only works under readline
		line=$2 w= words=()
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			if [[ $c == [[:blank:]] ]]; then
				[[ -n $w ]] && words+=("$w")
				w=
			elif [[ $c == [=:] ]]; then
				[[ -n $w && $w != [=:]* ]] && { words+=("$w"); w=; }
				w+=$c
			else
				[[ $w == [=:]* ]] && { words+=("$w"); w=; }
				w+=$c
			fi
		done
		words+=("$w")
		COMP_WORDS=("${words[@]}")
		COMP_CWORD=$((${#words[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_zcp zcp "${words[-1]}" "${words[-2]}"
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort
		true
	' _ "$COMP/bash/zcp" "$1"
}

# fish_complete LINE: the candidates fish offers, without descriptions.
fish_complete() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$COMP/fish/zcp.fish" "$1" | cut -f1 | LC_ALL=C sort
}

# The options --help lists, one a line: -x and --long, with --[no-]x
# expanded to --x and --no-x.
help_options() {
	"$ZCP" --help | awk '
		# An option starts in the first columns; a wrapped description
		# line may start with an option name much further in.
		/^ +-/ && index($0, $1) <= 7 {
			for (i = 1; i <= NF && $i ~ /^-/; i++) {
				o = $i
				sub(/,$/, "", o)
				sub(/\[?=.*/, "", o)
				if (o ~ /^--\[no-\]/) {
					sub(/\[no-\]/, "", o)
					print o
					sub(/^--/, "--no-", o)
				}
				print o
			}
		}' | LC_ALL=C sort -u
}

@test "--help lists options (the list the next test checks)" {
	run help_options
	assert_success
	assert_line -- --method
	assert_line -- -m
	assert_line -- --block-size
	assert_line -- --version
}

@test "every option --help lists is offered by every completion file" {
	local missing= o
	local bash_opts fish_opts
	bash_opts=$(bash_complete 'zcp -' | sed 's/=$//')
	fish_opts=$(fish_complete 'zcp -')
	for o in $(help_options); do
		grep -qxe "$o" <<< "$bash_opts" || missing+=" bash:$o"
		grep -qxe "$o" <<< "$fish_opts" || missing+=" fish:$o"
		grep -qE -e "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$COMP/zsh/_zcp" ||
			missing+=" zsh:$o"
	done
	[ -z "$missing" ] || fail "options missing from completions:$missing"
}

@test "bash: options, with = left open for an argument" {
	run bash_complete 'zcp --me'
	assert_output -- '--method='
	run bash_complete 'zcp --q'
	assert_output -- '--queue-depth=
--quiet'
	run bash_complete 'zcp --no-'
	assert_output -- '--no-direct'
}

@test "bash: method names after -m, --method and --method=" {
	run bash_complete 'zcp -m '
	assert_output "$(method_names)"
	run bash_complete 'zcp --method s'
	assert_output 'sendfile
splice'
	run bash_complete 'zcp --method=co'
	assert_output 'copy_file_range'
}

@test "bash: --flags offers the chosen method's flags" {
	run bash_complete 'zcp -m splice --flags='
	assert_output 'gift
more
move
nonblock'
	run bash_complete 'zcp --method=aio --flags dsync,'
	assert_output 'dsync,hipri
dsync,nowait
dsync,sync'
	run bash_complete 'zcp -mio_uring a b --flags=h'
	assert_output 'hipri'
	# the last --method wins
	run bash_complete 'zcp -m splice -m rw --flags='
	assert_output ''
	# no method, no flags: --flags needs --method
	run bash_complete 'zcp --flags='
	assert_output ''
}

@test "bash: endpoint prefixes and file names for operands" {
	run bash_complete 'zcp a'
	assert_output 'alpha.txt
also.bin'
	run bash_complete 'zcp alpha.txt tc'
	assert_output 'tcp-listen:
tcp:'
	run bash_complete 'zcp u'
	assert_output 'unix-listen:
unix:'
	run bash_complete 'zcp f'
	assert_output 'fd:'
}

@test "bash: what follows unix: and tcp: (after readline's colon split)" {
	run bash_complete 'zcp alpha.txt unix:so'
	assert_output 'sockdir/'
	run bash_complete 'zcp unix-listen:al'
	assert_output 'alpha.txt
also.bin'
	run bash_complete 'zcp alpha.txt tcp:zcph'
	assert_output 'zcphost.example:'
	run bash_complete 'zcp alpha.txt tcp:zcphost.example:'
	assert_output ''
}

@test "bash: nothing is offered for a number" {
	run bash_complete 'zcp -o '
	assert_output ''
	run bash_complete 'zcp --count='
	assert_output ''
	run bash_complete 'zcp --bench='
	assert_output ''
	# --bench takes its number only after =: next is an operand
	run bash_complete 'zcp --bench al'
	assert_output 'alpha.txt
also.bin'
}

@test "bash and fish: --progress= offers WHEN; -p takes none" {
	run bash_complete 'zcp --progress='
	assert_output 'always
auto
never'
	run bash_complete 'zcp --progress=al'
	assert_output 'always'
	run bash_complete 'zcp --pro'
	assert_output -- '--progress
--progress='
	run bash_complete 'zcp -p al'
	assert_output 'alpha.txt
also.bin'
	run fish_complete 'zcp --progress='
	assert_output -- '--progress=always
--progress=auto
--progress=never'
	run fish_complete 'zcp -p al'
	assert_output 'alpha.txt
also.bin'
	# --bench=N is a number, not a file name
	run fish_complete 'zcp --bench='
	assert_output ''
}

@test "fish: the file parses, options and method names" {
	run fish --no-execute "$COMP/fish/zcp.fish"
	assert_success
	assert_output ''
	run fish_complete 'zcp --me'
	assert_output -- '--method'
	run fish_complete 'zcp -m '
	assert_output "$(method_names)"
	run fish_complete 'zcp --method=s'
	assert_output -- '--method=sendfile
--method=splice'
}

@test "fish: --flags follows the chosen method" {
	run fish_complete 'zcp -m splice --flags='
	assert_output -- '--flags=gift
--flags=more
--flags=move
--flags=nonblock'
	run fish_complete 'zcp --method=io_uring --flags=sync,h'
	assert_output -- '--flags=sync,hipri'
	run fish_complete 'zcp -m rw --flags='
	assert_output ''
}

@test "fish: endpoint prefixes and socket paths" {
	run fish_complete 'zcp alpha.txt tcp-'
	assert_output 'tcp-listen:'
	run fish_complete 'zcp alpha.txt unix:so'
	assert_output 'unix:sockdir/'
	# No file names after a prefix that takes none.
	for tok in fd: tcp:zcphost.example: tcp-listen:1 TCP:zcphost.example:; do
		run fish_complete "zcp alpha.txt $tok"
		assert_output ''
	done
	run fish_complete 'zcp al'
	assert_output 'alpha.txt
also.bin'
}

@test "zsh: the file parses and is a completion function for zcp" {
	run zsh -n "$COMP/zsh/_zcp"
	assert_success
	assert_output ''
	run head -n 1 "$COMP/zsh/_zcp"
	assert_output '#compdef zcp'
	# it loads into the completion system without complaint
	run zsh -f -c 'fpath=("$1" $fpath)
		autoload -Uz compinit && compinit -u -d "$2/zcompdump"
		print -r -- $_comps[zcp]' _ "$COMP/zsh" "$T"
	assert_success
	assert_output '_zcp'
}
