#!/usr/bin/env bats
# Runtime errors: exit 1 after the report, naming the side and the
# operand; DST untouched when the copy cannot start; SRC never written.

load helper

# fails_with MESSAGE CMD...: exit 1, the report line, then MESSAGE.
fails_with() {
	local msg=$1
	shift
	run --separate-stderr "$@"
	assert_failure 1
	[ -z "$output" ] || { echo "stdout: $output"; false; }
	[[ "$stderr" == "zcp: "*" copied, "* ]] || { echo "no report: $stderr"; false; }
	[[ "$stderr" == *"$msg" ]] || { echo "want '$msg' in: $stderr"; false; }
}

@test "a missing SRC: exit 1, DST not created" {
	fails_with "zcp: read $T/nope: No such file or directory" "$ZCP" "$T/nope" "$T/dst"
	[[ "$stderr" == "zcp: 0 bytes copied"* ]]
	[ ! -e "$T/dst" ]
}

@test "a missing SRC leaves an existing DST byte-identical" {
	mkdata "$T/dst" 1000
	cp "$T/dst" "$T/orig"
	fails_with "No such file or directory" "$ZCP" "$T/nope" "$T/dst"
	cmp "$T/orig" "$T/dst"
}

@test "a directory as SRC or DST" {
	mkdata "$T/src" 10
	fails_with "zcp: read $T: Is a directory" "$ZCP" "$T" "$T/dst"
	[ ! -e "$T/dst" ]
	fails_with "zcp: write $T: Is a directory" "$ZCP" "$T/src" "$T"
}

@test "a Unix socket's path as SRC or DST: the error says that unix:PATH connects to it" {
	mkdata "$T/src" 10
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
	msg="a Unix socket, which open(2) refuses: unix:PATH connects to it"
	fails_with "zcp: read $T/sock: $msg" "$ZCP" "$T/sock" "$T/dst"
	[ ! -e "$T/dst" ]
	fails_with "zcp: write $T/sock: $msg" "$ZCP" "$T/src" "$T/sock"
	run --separate-stderr "$ZCP" --json "$T/src" "$T/sock"
	assert_failure 1
	[ "$(tail -n 1 <<<"$stderr" | jq -c '[.error.side, .error.message, .error.errno]')" = "[\"write\",\"$msg\",6]" ]
	# Through a symbolic link, or /dev/stdout of a socket, the kernel's
	# words alone: unix:PATH would not name what was given.
	ln -s "$T/sock" "$T/link"
	fails_with "zcp: write $T/link: No such device or address" "$ZCP" "$T/src" "$T/link"
}

@test "DST in a missing directory" {
	mkdata "$T/src" 10
	fails_with "zcp: write $T/no/dst: No such file or directory" "$ZCP" "$T/src" "$T/no/dst"
}

@test "a file onto itself is refused, however it is named" {
	mkdata "$T/f" 5000
	cp "$T/f" "$T/orig"
	ln -s "$T/f" "$T/link"
	ln "$T/f" "$T/hard"
	fails_with "zcp: '$T/f' and '$T/f' are the same file" "$ZCP" "$T/f" "$T/f"
	fails_with "are the same file" "$ZCP" "$T/f" "$T/link"
	fails_with "are the same file" "$ZCP" "$T/link" "$T/hard"
	fails_with "are the same file" "$ZCP" --seek=10000 "$T/f" "$T/hard"
	fails_with "are the same file" "$ZCP" -a "$T/f" "$T/f"
	run bash -c "'$ZCP' '$T/f' fd:5 5>>'$T/f'"
	assert_failure 1
	assert_output --partial "are the same file"
	run bash -c "'$ZCP' '$T/f' - >> '$T/f'"
	assert_failure 1
	run bash -c "'$ZCP' - '$T/f' < '$T/f'"
	assert_failure 1
	assert_output --partial "are the same file"
	cmp "$T/orig" "$T/f"
}

@test "/dev/full: No space left on device, bytes reported" {
	mkdata "$T/src" 100000
	for m in $(methods) auto; do
		case $m in
		copy_file_range)
			# A named method is never replaced: the method's refusal
			# is the error.
			run --separate-stderr "$ZCP" -m "$m" "$T/src" /dev/full
			[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
			[[ "$stderr" == *"zcp: method $m"* ]]
			continue ;;
		esac
		fails_with "zcp: write /dev/full: No space left on device" "$ZCP" -m "$m" "$T/src" /dev/full
		[[ "$stderr" == "zcp: 0 bytes copied"* ]]
	done
}

@test "a file size limit stops the copy with EFBIG; DST holds what was reported" {
	mkdata "$T/src" 1000000
	run --separate-stderr bash -c "ulimit -f 100; exec '$ZCP' '$T/src' '$T/dst'"
	assert_failure 1
	[[ "$stderr" == *"zcp: write $T/dst: File too large" ]]
	[[ "$stderr" == "zcp: 102400 bytes"* ]]
	[ "$(stat -c %s "$T/dst")" -eq 102400 ]
	range "$T/src" 0 102400 | cmp - "$T/dst"
}

@test "from a pipe into a file that hits its size limit: DST holds what was reported, the next reader of the pipe gets all but the pending bytes" {
	mkdata "$T/src" 3000000
	for m in $(methods) auto; do
		serves "$m" pipe file || continue
		rm -f "$T/dst" "$T/rest"
		bash -c 'cat "$3/src" | { (ulimit -f 100; exec "$1" --json -m "$2" - "$3/dst" 2>"$3/err"); echo $? > "$3/rc"; cat > "$3/rest"; }' \
			_ "$ZCP" "$m" "$T"
		echo "$m: $(tail -n 1 "$T/err")"
		[ "$(< "$T/rc")" -eq 1 ]
		[ "$(json "$(< "$T/err")" '[.ok, .bytes, .error.side]')" = '[false,102400,"write"]' ]
		grep -q "File too large" "$T/err"
		range "$T/src" 0 102400 | cmp - "$T/dst"
		taken=$((102400 + $(json "$(< "$T/err")" .pending)))
		range "$T/src" "$taken" all | cmp - "$T/rest"
	done
}

@test "SRC is opened read-only and never written" {
	mkdata "$T/src" 300000
	cp "$T/src" "$T/orig"
	run strace -f -e trace=openat,open -o "$T/trace" "$ZCP" "$T/src" "$T/dst"
	assert_success
	grep "\"$T/src\"" "$T/trace" | grep -q O_RDONLY
	! grep "\"$T/src\"" "$T/trace" | grep -qE 'O_WRONLY|O_RDWR|O_TRUNC|O_CREAT' || false
	cmp "$T/orig" "$T/src"
}

@test "DST is created only after SRC is open" {
	mkfifo "$T/fifo"
	# SRC's open blocks until a writer comes: DST must not exist yet.
	"$ZCP" -q "$T/fifo" "$T/dst" 3>&- &
	pid=$!
	sleep 0.3
	[ ! -e "$T/dst" ]
	echo hello > "$T/fifo"
	wait "$pid"
	[ "$(cat "$T/dst")" = hello ]
}

@test "control characters in operands are escaped in messages: C0, DEL, C1 and bytes that are not UTF-8; other UTF-8 as it is" {
	fails_with 'zcp: read a\nb\x01: No such file or directory' "$ZCP" $'a\nb\x01' "$T/dst"
	# CSI as U+009B in UTF-8 and as a lone byte, DEL, then é and €.
	fails_with $'zcp: read a\\xc2\\x9b2Jb\\x9b2Jc\\x7fd\303\251\342\202\254: No such file or directory' \
		"$ZCP" $'a\302\2332Jb\2332Jc\177d\303\251\342\202\254' "$T/dst"
}

@test "a closed stdout is a write error" {
	mkdata "$T/src" 10
	run --separate-stderr bash -c "'$ZCP' '$T/src' - >&-"
	assert_failure 1
	[[ "$stderr" == *"zcp: write -: Bad file descriptor" ]]
}

@test "/dev/stdout, /dev/stdin and /proc/self/fd/N of a closed descriptor are errors" {
	mkdata "$T/src" 1000
	for dst in /dev/stdout /dev/fd/1 /proc/self/fd/1; do
		run --separate-stderr bash -c "'$ZCP' '$T/src' $dst >&-"
		assert_failure 1
		[[ "$stderr" == *"zcp: write $dst: "* ]]
	done
	# An existing DST is not replaced by the nothing a closed stdin has.
	cp "$T/src" "$T/dst"
	run --separate-stderr bash -c "'$ZCP' /dev/stdin '$T/dst' <&-"
	assert_failure 1
	[[ "$stderr" == *"zcp: read /dev/stdin: "* ]]
	cmp "$T/src" "$T/dst"
}

@test "descriptors that are not open, or open the wrong way" {
	mkdata "$T/src" 10
	fails_with "zcp: read fd:9: Bad file descriptor" "$ZCP" fd:9 "$T/dst"
	[ ! -e "$T/dst" ]
	run --separate-stderr bash -c "'$ZCP' '$T/src' fd:5 5<'$T/src'"
	assert_failure 1
	[[ "$stderr" == *"zcp: write fd:5: Bad file descriptor" ]]
	run --separate-stderr bash -c "'$ZCP' fd:5 '$T/dst' 5>'$T/out'"
	assert_failure 1
	[[ "$stderr" == *"zcp: read fd:5: Bad file descriptor" ]]
	# A directory, never open for writing, is said to be one, as it is
	# as SRC: a handed one before SRC (a FIFO no one writes) is opened.
	mkfifo "$T/fifo"
	for dst in fd:5 - /dev/fd/5; do
		src=$T/fifo
		[ "$dst" != /dev/fd/5 ] || src=$T/src
		run --separate-stderr timeout 5 bash -c "exec '$ZCP' '$src' $dst 5<'$T' >&5"
		assert_failure 1
		[[ "$stderr" == *"zcp: write $dst: Is a directory" ]]
	done
	run --separate-stderr bash -c "'$ZCP' fd:5 '$T/dst' 5<'$T'"
	assert_failure 1
	[[ "$stderr" == *"zcp: read fd:5: Is a directory" ]]
	[ ! -e "$T/dst" ]
}

@test "a DST descriptor closed or open read-only fails before a peer is accepted or a FIFO's writer waited for" {
	mkdata "$T/src" 10
	mkfifo "$T/fifo"
	for src in tcp-listen:0 "unix-listen:$T/sock" "$T/fifo"; do
		run --separate-stderr timeout 5 bash -c "exec '$ZCP' '$src' fd:5 5<'$T/src'"
		echo "$src to a read-only fd:5: status $status: $stderr"
		assert_failure 1
		[ "$stderr" = "$(printf 'zcp: 0 bytes copied, 0.000000 s, 0.00 B/s\nzcp: write fd:5: Bad file descriptor')" ]
		run --separate-stderr timeout 5 bash -c "exec '$ZCP' '$src' - >&-"
		echo "$src to a closed stdout: status $status: $stderr"
		assert_failure 1
		[[ "$stderr" == *"zcp: write -: Bad file descriptor" ]]
		[[ "$stderr" != *listening* ]]
	done
	[ ! -e "$T/sock" ]
}

@test "a reader that goes away ends zcp quietly, as it does cat" {
	mkdata "$T/src" 5000000
	for m in $(methods) auto; do
		serves "$m" file pipe || continue
		"$ZCP" -m "$m" "$T/src" - 2>"$T/err" | head -c 10 > "$T/out"
		st=${PIPESTATUS[0]}
		[ "$st" -eq 141 ]
		[ ! -s "$T/err" ]
		range "$T/src" 0 10 | cmp - "$T/out"
		# --json asked for a report whatever comes: it has one.
		"$ZCP" --json -m "$m" "$T/src" - 2>"$T/err" | head -c 10 > "$T/out"
		st=${PIPESTATUS[0]}
		[ "$st" -eq 141 ]
		jq -e '.ok == false and .bytes >= 10 and .bytes + .pending <= 5000000 and
			.error == {"side": "write", "operand": "-", "message": "Broken pipe",
			"errno": 32, "signal": 13}' "$T/err"
	done
}

# socketpair_reader CMD...: runs CMD with stdout one end of a socketpair
# whose reader takes 10 bytes and closes; prints CMD's status (-13:
# death by SIGPIPE) and the bytes taken.
socketpair_reader() {
	run --separate-stderr timeout 20 python3 -c '
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[1:], stdout=a)
a.close()
got = b.recv(10)
b.close()
print(p.wait(), len(got))' "$@"
}

@test "a reader on a socket handed as stdout that goes away ends zcp quietly too, as it does cat" {
	mkdata "$T/src" 5000000
	for m in $(methods) auto; do
		serves "$m" file socket || continue
		socketpair_reader "$ZCP" -m "$m" "$T/src" -
		echo "$m: $output; $stderr"
		[ "$output" = "-13 10" ]
		[ -z "$stderr" ]
	done
	# A reader that closes with bytes unread gives a write blocked at
	# that moment ECONNRESET rather than EPIPE: the same going away.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		socketpair_reader strace -o /dev/null -e trace=write \
		-e inject=write:error=ECONNRESET:when=2 "$ZCP" -m rw "$T/src" -
	echo "ECONNRESET: $output; $stderr"
	[ "$output" = "-13 10" ]
	[ -z "$stderr" ]
}

@test "a reader that goes away with SIGPIPE ignored is a write error" {
	mkdata "$T/src" 5000000
	run bash -c "trap '' PIPE; '$ZCP' '$T/src' - 2>'$T/err' | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 1 ]
	grep -q 'zcp: write -: Broken pipe' "$T/err"
}

@test "SIGINT and SIGTERM: the report, then death by the signal" {
	for sig in INT TERM; do
		mkfifo "$T/fifo"
		# A background job starts with SIGINT ignored: undo that.
		env --default-signal=INT,TERM "$ZCP" "$T/fifo" "$T/dst" 2>"$T/err" 3>&- &
		pid=$!
		watchdog 10 "$pid"
		exec 4>"$T/fifo"
		printf 'abc' >&4
		wait_for size_is "$T/dst" 3
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		unwatch
		exec 4>&-
		rm "$T/fifo"
		[ "$st" -eq $((128 + $(kill -l "$sig"))) ]
		grep -q '^zcp: 3 bytes copied' "$T/err"
		[ "$(cat "$T/dst")" = abc ]
	done
}

@test "an inherited ignore of SIGINT is honoured" {
	mkfifo "$T/fifo"
	( trap '' INT; exec "$ZCP" -q "$T/fifo" "$T/dst" ) 3>&- &
	pid=$!
	exec 4>"$T/fifo"
	printf 'abc' >&4
	sleep 0.3
	kill -INT "$pid"
	sleep 0.2
	printf 'def' >&4
	exec 4>&-
	wait "$pid"
	[ "$(cat "$T/dst")" = abcdef ]
}

@test "a /proc file, whose size says 0, copies in full" {
	run "$ZCP" /proc/self/maps "$T/dst"
	assert_success
	[ -s "$T/dst" ]
	grep -q zcp "$T/dst"
	for m in rw auto; do
		"$ZCP" -q -m "$m" /proc/version "$T/dst"
		cmp /proc/version "$T/dst"
	done
	# Other methods copy it exactly or say that they cannot.
	for m in $(methods); do
		rm -f "$T/dst"
		run --separate-stderr "$ZCP" -q -m "$m" /proc/version "$T/dst"
		if [ "$status" -eq 0 ]; then
			cmp /proc/version "$T/dst"
		else
			[[ "$stderr" == *"zcp: method $m"* ]]
			[ ! -s "$T/dst" ]
		fi
	done
}

@test "-q silences the report but not errors" {
	run --separate-stderr "$ZCP" -q "$T/nope" "$T/dst"
	assert_failure 1
	[ "$stderr" = "zcp: read $T/nope: No such file or directory" ]
}

@test "SIGTERM stops a copy that never blocks, for every method" {
	truncate -s 64G "$T/big" || skip "no sparse files here"
	for m in $(methods) auto; do
		dst=/dev/null
		serves "$m" file chr || dst=$T/dst
		rm -f "$T/dst"
		env --default-signal=INT,TERM "$ZCP" -m "$m" -b 4096 "$T/big" "$dst" 2>"$T/err" 3>&- &
		pid=$!
		watchdog 20 "$pid"
		# Once zcp handles SIGTERM (a sanitizer build on a loaded
		# machine starts slowly) and has copied a while: a file DST
		# then holds bytes, which a stop before the first would not
		# leave (DST removed).
		wait_for catches "$pid" TERM
		sleep 0.5
		[ "$dst" = /dev/null ] || wait_for test -s "$T/dst"
		kill -TERM "$pid"
		st=0
		wait "$pid" || st=$?
		unwatch
		[ "$st" -eq 143 ] || { echo "$m: exit $st"; cat "$T/err"; false; }
		grep -qE '^zcp: [0-9]+ bytes' "$T/err"
		if [ "$dst" != /dev/null ]; then
			n=$(sed -n 's/^zcp: \([0-9]*\) bytes.*/\1/p' "$T/err" | head -n 1)
			[ "$(stat -c %s "$T/dst")" -eq "$n" ]
		fi
	done
}

@test "an interrupted copy leaves DST holding exactly the reported bytes" {
	mkdata "$T/src" 1000
	mkdata "$T/dst" 5000000
	mkfifo "$T/fifo"
	env --default-signal=INT,TERM "$ZCP" -m rw "$T/fifo" "$T/dst" 2>"$T/err" 3>&- &
	pid=$!
	exec 4>"$T/fifo"
	cat "$T/src" >&4
	# DST is written over, not cut, until the copy ends: its first
	# 1000 bytes tell when they are in.
	wait_for cmp -s -n 1000 "$T/src" "$T/dst"
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	exec 4>&-
	[ "$st" -eq 143 ]
	grep -q '^zcp: 1000 bytes' "$T/err"
	cmp "$T/src" "$T/dst"
}

@test "with 0, 1 and 2 closed, no descriptor of zcp's takes their place" {
	mkdata "$T/src" 100000
	for m in $(methods) auto; do
		serves "$m" file file || continue
		run strace -f -o "$T/trace" -e trace=openat,eventfd2,signalfd4,io_uring_setup,io_setup,pipe2 \
			"$ZCP" -q -m "$m" --progress=always "$T/src" "$T/dst" <&- >&-
		assert_success
		cmp "$T/src" "$T/dst"
		# Only the loader's short-lived opens and zcp's /dev/null
		# placeholders may return 0 or 1.
		! grep -E '(openat|eventfd2|signalfd4|io_uring_setup)\(.*= [012]$|pipe2\(\[[012],|pipe2\(\[[0-9]+, [012]\]' "$T/trace" |
			grep -v -e '\.so' -e '"/dev/null"' || false
	done
}

@test "a named method that cannot serve a socket SRC is refused before listening" {
	run --separate-stderr "$ZCP" -m copy_file_range "unix-listen:$T/sock" "$T/dst"
	assert_failure 2
	[[ "$stderr" == *"method copy_file_range cannot copy from socket to file"* ]]
	[ ! -e "$T/sock" ]
	[ ! -e "$T/dst" ]
}

@test "a named method that cannot serve a path SRC is a usage error before SRC is opened" {
	mkdata "$T/src" 1000
	for pair in "copy_file_range $T/src /dev/null" "sendfile /dev/zero $T/dst" \
		"copy_file_range /dev/zero $T/dst"; do
		set -- $pair
		m=$1
		run strace -f -o "$T/trace" -e trace=open,openat "$ZCP" -m "$m" "$2" "$3"
		assert_refused
		! grep -F "\"$2\"" "$T/trace" || false
		[ ! -e "$T/dst" ]
	done
	# A SRC it cannot open is still that error, with its kind unknown.
	run --separate-stderr "$ZCP" --json -m sendfile "$T/missing" "$T/dst"
	assert_failure 1
	[ "$(tail -n 1 <<< "$stderr" | jq -c '[.src.kind, .dst.kind, .error.side, .error.errno]')" = '[null,null,"read",2]' ]
	[ ! -e "$T/dst" ]
}

@test "a terminal named by path, SRC or DST, is known as one before it is opened: a named method that cannot serve it, or --bench, is a usage error" {
	mkdata "$T/src" 1000
	ttys=/dev/tty
	# A pseudo-terminal of its own, where script(1) can make one.
	if command -v script >/dev/null &&
		pts=$(timeout 10 script -qec tty /dev/null < /dev/null | tr -d '\r') &&
		[[ "$pts" == /dev/pts/* ]]; then
		ttys="$ttys pts"
	fi
	for t in $ttys; do
		for m in sendfile splice; do
			if [ "$t" = pts ]; then
				# (LeakSanitizer cannot run under strace.)
				run timeout 10 script -qec "ASAN_OPTIONS='${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0' strace -o '$T/trace' -e trace=open,openat '$ZCP' -m $m '$T/src' \$(tty)" /dev/null
			else
				run strace -o "$T/trace" -e trace=open,openat "$ZCP" -m "$m" "$T/src" "$t"
			fi
			echo "$t, $m: $output"
			assert_refused
			assert_output --partial "to terminal: $m cannot write to a terminal (rw can)"
			! grep -E '"/dev/(tty|pts/[0-9]+)"' "$T/trace" || false
		done
	done
	run "$ZCP" --bench "$T/src" /dev/tty
	assert_failure 2
	assert_output --partial "--bench cannot write every run to '/dev/tty': it is a terminal"
	# As SRC, with no terminal to open (setsid): refused all the same.
	for m in sendfile splice; do
		run setsid env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -o "$T/trace" -e trace=open,openat "$ZCP" -m "$m" /dev/tty "$T/dst"
		assert_refused
		assert_output --partial "from terminal to file: $m"
		! grep -F '"/dev/tty"' "$T/trace" || false
		[ ! -e "$T/dst" ]
	done
}

@test "offsets at the top of off_t: nothing to copy or an error, never an overflow" {
	mkdata "$T/src" 100
	# SRC's position (10) plus the offset passes the largest off_t.
	run --separate-stderr bash -c "{ dd bs=10 count=1 of=/dev/null status=none; exec '$ZCP' --explain -o 9223372036854775807 - '$T/x'; } < '$T/src'"
	assert_success
	[[ "$output" == *"SRC -: file, 0 bytes to copy"* ]]
	[ ! -e "$T/x" ]
	# ext4 and most file systems refuse a position that far (lseek:
	# EINVAL); no file has bytes there, so SRC ended before it, as past
	# its end, and a handed SRC is left at its end.
	o=9223372036854775000
	for m in $(methods) auto; do
		run --separate-stderr bash -c '{ "$1" -m "$2" -o "$3" fd:0 "$4"; echo "status $?"; cat; } < "$5"' _ \
			"$ZCP" "$m" "$o" "$T/x" "$T/src"
		echo "$m: $stderr"
		assert_output "status 0"
		[[ "$stderr" == "zcp: warning: 'fd:0' ended 100 bytes into --offset=$o"$'\n'"zcp: 0 bytes copied"* ]]
		size_is "$T/x" 0
	done
	# Nor can DST grow there: File too large, and DST is not left.
	rm "$T/x"
	run --separate-stderr "$ZCP" --seek="$o" "$T/src" "$T/x"
	if [ "$status" -ne 0 ]; then
		assert_failure 1
		[[ "$stderr" == "zcp: 0 bytes copied"*"zcp: write $T/x: File too large" ]]
		[ ! -e "$T/x" ]
	fi
}


@test "a copy that fails before its first byte removes the DST it created; an existing DST is left as it was" {
	mkdata "$T/src" 300000
	# The kernel refuses the named method at its first call.
	run --separate-stderr "$ZCP" -m splice /dev/null "$T/new"
	assert_failure 1
	[[ "$stderr" == "zcp: 0 bytes copied"*"zcp: method splice: the kernel refused it: Invalid argument" ]]
	[ ! -e "$T/new" ]
	echo old > "$T/old"
	run --separate-stderr "$ZCP" -m splice /dev/null "$T/old"
	assert_failure 1
	[ "$(cat "$T/old")" = old ]
	# Bytes moved: what was created stays, holding them.
	run --separate-stderr strace -o /dev/null -e inject=write:error=EIO:when=2 "$ZCP" -m rw -b 64K "$T/src" "$T/new"
	assert_failure 1
	[[ "$stderr" == "zcp: 65536 bytes "*"copied"* ]]
	[ "$(stat -c %s "$T/new")" -eq 65536 ]
}

@test "--seek into a DST handed over for appending ('>>', fd:N) is refused as --append --seek is" {
	mkdata "$T/src" 100
	printf PRE > "$T/ap"
	run --separate-stderr bash -c "exec '$ZCP' --seek=1 -n 3 '$T/src' - >> '$T/ap'"
	assert_failure 2
	[[ "$stderr" == "zcp: --seek cannot be used with a DST opened for appending: '-' has O_APPEND"* ]]
	run --separate-stderr bash -c "exec '$ZCP' --seek=1 -n 3 '$T/src' fd:5 5>> '$T/ap'"
	assert_failure 2
	[[ "$stderr" == *"'fd:5' has O_APPEND"* ]]
	[ "$(cat "$T/ap")" = PRE ]
	# Opened for writing in place, --seek is honoured.
	run bash -c "exec '$ZCP' -q --seek=1 -n 3 '$T/src' - 1<> '$T/ap'"
	assert_success
	{ printf P; head -c 3 "$T/src"; } | cmp - "$T/ap"
}

@test "--seek into a socket, pipe or FIFO is a usage error before a peer is accepted or a reader waited for" {
	mkdata "$T/src" 100
	mkfifo "$T/fifo"
	for dst in socket:tcp-listen:0 socket:tcp:127.0.0.1:1 \
		   "socket:unix-listen:$T/sock" "pipe:$T/fifo"; do
		run --separate-stderr timeout 5 "$ZCP" --seek=1 "$T/src" "${dst#*:}"
		echo "$dst: status $status: $stderr"
		assert_failure 2
		[ "${stderr_lines[0]}" = "zcp: --seek needs a DST that can seek: '${dst#*:}' is a ${dst%%:*}" ]
	done
	[ ! -e "$T/sock" ]
	run --separate-stderr bash -c "'$ZCP' --seek=1 '$T/src' - | cat"
	[[ "$stderr" == "zcp: --seek needs a DST that can seek: '-' is a pipe"* ]]
	run --separate-stderr bash -c "'$ZCP' --seek=0 '$T/src' fd:5 5>&1 | cat"
	[[ "$stderr" == "zcp: --seek needs a DST that can seek: 'fd:5' is a pipe"* ]]
	[ -z "$output" ]
}
