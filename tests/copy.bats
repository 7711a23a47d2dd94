#!/usr/bin/env bats
# Copies between files, pipes, stdin/stdout and fd:N, with offsets,
# counts, --seek and --append, over every method --help lists.

load helper

# each_method CMD...: runs CMD once per method with $m set.
each_method() {
	for m in $(methods) auto; do
		"$@" || { echo "failed with --method=$m" >&2; return 1; }
	done
}

copy_file_file() {
	rm -f "$T/dst"
	run "$ZCP" -m "$m" "$T/src" "$T/dst"
	assert_success
	assert_reported "$(stat -c %s "$T/src")"
	cmp "$T/src" "$T/dst"
}

@test "file to file, sizes 0, 1, 64KiB-1, 64KiB, 64KiB+1, 3 MiB+7" {
	for size in 0 1 65535 65536 65537 3145735; do
		mkdata "$T/src" "$size"
		each_method copy_file_file
	done
}

copy_range() {
	run "$ZCP" -m "$m" --offset="$1" --count="$2" "$T/src" "$T/dst"
	assert_success
	range "$T/src" "$1" "$2" | cmp - "$T/dst"
	assert_reported "$(stat -c %s "$T/dst")"
}

@test "offsets and counts at 0, 1, inside and past the end" {
	mkdata "$T/src" 100000
	for oc in 0:0 0:1 1:0 1:1 0:100000 0:100001 1:99999 50000:10 \
		99999:1 99999:5 100000:1 100001:7 12345:65536 0:all 777:all \
		100000:all 200000:all; do
		o=${oc%%:*} c=${oc#*:}
		if [ "$c" = all ]; then
			each_method run_all "$o"
		else
			each_method copy_range "$o" "$c"
		fi
	done
}

run_all() {
	run "$ZCP" -m "$m" --offset="$1" "$T/src" "$T/dst"
	assert_success
	range "$T/src" "$1" all | cmp - "$T/dst"
}

@test "an existing longer DST ends up exactly the copy" {
	mkdata "$T/src" 1000
	for m in $(methods) auto; do
		mkdata "$T/dst" 5000
		run "$ZCP" -m "$m" "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
	done
}

@test "empty source makes an empty DST" {
	: > "$T/src"
	mkdata "$T/dst" 100
	run "$ZCP" "$T/src" "$T/dst"
	assert_success
	assert_output --partial "zcp: 0 bytes copied"
	[ ! -s "$T/dst" ]
}

@test "--seek writes at an offset and does not truncate" {
	mkdata "$T/src" 1000
	for m in $(methods) auto; do
		mkdata "$T/dst" 5000
		cp "$T/dst" "$T/orig"
		run "$ZCP" -m "$m" --seek=100 "$T/src" "$T/dst"
		assert_success
		[ "$(stat -c %s "$T/dst")" -eq 5000 ]
		cmp -n 100 "$T/orig" "$T/dst"
		cmp -i 0:100 -n 1000 "$T/src" "$T/dst"
		cmp -i 1100 "$T/orig" "$T/dst"
	done
}

@test "--seek past the end leaves a hole of zeros" {
	mkdata "$T/src" 10
	run "$ZCP" --seek=1M "$T/src" "$T/dst"
	assert_success
	[ "$(stat -c %s "$T/dst")" -eq $((1048576 + 10)) ]
	cmp -n 1048576 /dev/zero "$T/dst"
	cmp -i 0:1048576 "$T/src" "$T/dst"
}

@test "--append adds to the end" {
	mkdata "$T/src" 1000
	for m in $(methods) auto; do
		mkdata "$T/dst" 300
		cp "$T/dst" "$T/want"
		cat "$T/src" >> "$T/want"
		if ! serves "$m" file append; then
			cp "$T/dst" "$T/orig"
			run "$ZCP" -m "$m" -a "$T/src" "$T/dst"
			assert_refused
			run bash -c "'$ZCP' -m $m '$T/src' - >> '$T/dst'"
			assert_refused
			cmp "$T/orig" "$T/dst"
			continue
		fi
		run "$ZCP" -m "$m" -a "$T/src" "$T/dst"
		assert_success
		cmp "$T/want" "$T/dst"
		# And to a descriptor opened for appending.
		cat "$T/src" >> "$T/want"
		run bash -c "'$ZCP' -m $m '$T/src' - >> '$T/dst'"
		assert_success
		cmp "$T/want" "$T/dst"
	done
}

@test "--append to a DST that is not a regular file (/dev/null, a FIFO) copies as without it, as through '-'" {
	mkdata "$T/src" 100000
	mkfifo "$T/fifo"
	for m in $(methods) auto; do
		if ! serves "$m" file chr; then
			run "$ZCP" -m "$m" -a "$T/src" /dev/null
			assert_refused
			continue
		fi
		run "$ZCP" -m "$m" -a "$T/src" /dev/null
		assert_success
		assert_reported 100000
		# The same as a descriptor for it handed over without O_APPEND.
		run bash -c "'$ZCP' -m $m -a '$T/src' - > /dev/null"
		assert_success
		assert_reported 100000
		timeout 10 cat "$T/fifo" > "$T/out" 3>&- &
		run timeout 10 "$ZCP" -m "$m" -a "$T/src" "$T/fifo"
		wait $!
		assert_success
		cmp "$T/src" "$T/out"
	done
}

@test "--append on a handed descriptor: the caller's next write follows, its flags are as before" {
	mkdata "$T/src" 5000
	for m in rw aio io_uring auto; do
		# As with dd oflag=append: header, the appended bytes, footer.
		{ printf 'header\n'; "$ZCP" -q -m "$m" -a "$T/src" -; printf 'footer\n'; } > "$T/out"
		{ printf 'header\n'; cat "$T/src"; printf 'footer\n'; } | cmp - "$T/out"
		# The shell's descriptor has no O_APPEND afterwards.
		exec 5> "$T/out"
		run "$ZCP" -q -m "$m" -a "$T/src" fd:5
		assert_success
		flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$BASHPID/fdinfo/5)
		exec 5>&-
		[ $(( 0$flags & 02000 )) -eq 0 ]
		cmp "$T/src" "$T/out"
	done
	# Nor when the copy fails.
	command -v strace >/dev/null || skip "no strace for the failing case"
	exec 5> "$T/out"
	run strace -o /dev/null -e inject=write:error=EIO:when=1 "$ZCP" -m rw -a "$T/src" fd:5
	assert_failure 1
	assert_output --partial "write fd:5: Input/output error"
	flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$BASHPID/fdinfo/5)
	exec 5>&-
	[ $(( 0$flags & 02000 )) -eq 0 ]
}

@test "--block-size of 1, 7 and 1M gives the same bytes" {
	mkdata "$T/src" 20000
	for bs in 1 7 1M; do
		run "$ZCP" -b "$bs" "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
		run "$ZCP" -b "$bs" --offset=3 --count=10001 "$T/src" "$T/dst"
		range "$T/src" 3 10001 | cmp - "$T/dst"
	done
}

@test "stdin to stdout through pipes" {
	mkdata "$T/src" 3000000
	for m in $(methods) auto; do
		if ! serves "$m" pipe pipe; then
			run bash -c "set -o pipefail; cat '$T/src' | '$ZCP' -m $m - - | cat"
			assert_refused
			continue
		fi
		cat "$T/src" | "$ZCP" -m "$m" - - 2>"$T/err" | cat > "$T/dst"
		# A method that needs a file on one side refuses (async.bats).
		grep -q "cannot copy from pipe to pipe" "$T/err" && continue
		cmp "$T/src" "$T/dst"
		grep -q 'zcp: 3000000 bytes' "$T/err"
	done
}

@test "stdin and stdout redirected to files" {
	mkdata "$T/src" 100000
	for m in $(methods) auto; do
		"$ZCP" -m "$m" -o 10 -n 5000 - - < "$T/src" > "$T/dst" 2>/dev/null
		range "$T/src" 10 5000 | cmp - "$T/dst"
	done
}

@test "offset on a pipe reads and discards; count leaves the rest unread" {
	mkdata "$T/src" 100000
	cat "$T/src" | { "$ZCP" -q --offset=1000 --count=2 - "$T/a"; cat > "$T/b"; }
	range "$T/src" 1000 2 | cmp - "$T/a"
	range "$T/src" 1002 all | cmp - "$T/b"
}

@test "the time reported, and the progress line's, count reading away an offset from a pipe" {
	mkdata "$T/src" 100
	# The copy then waits 1 s for end of file: the progress line draws.
	# The first pause starts once zcp has read the 60 bytes (the pipe
	# is empty): zcp's clock, started before that read, then counts
	# both pauses whole, however late zcp itself started.
	drained='import array, fcntl, termios, time
q = array.array("i", [0])
while fcntl.ioctl(1, termios.FIONREAD, q) == 0 and q[0] > 0:
    time.sleep(0.01)'
	run --separate-stderr bash -c \
		'{ head -c 60 "$1"; python3 -c "$4"; sleep 1; tail -c 40 "$1"; sleep 1; } | "$2" --json --progress=always --offset=80 - "$3"' \
		sh "$T/src" "$ZCP" "$T/dst" "$drained"
	assert_success
	range "$T/src" 80 all | cmp - "$T/dst"
	jq -e '.bytes == 20 and .seconds >= 1.9' <<< "${stderr##*$'\n'}"
	# The line draws during the skip too, and says so; the first drawn
	# after it counts the time from before it.
	grep -q 'copied, [0-9.]* s, 0\.00 B/s, skipped 60 of 80 bytes' <<< "$stderr"
	first=$(tr '\r' '\n' <<< "$stderr" | grep -v skipped |
		grep -o 'copied, [0-9.]* s' | head -n 1)
	echo "first progress line after the skip: $first"
	[[ "$first" =~ ^copied,\ ([0-9.]+)\ s$ ]]
	awk -v t="${BASH_REMATCH[1]}" 'BEGIN { exit !(t >= 0.9) }'
}

@test "offset past the end of a pipe or file copies nothing, with a warning as dd gives" {
	mkdata "$T/src" 1000
	run --separate-stderr bash -c "cat '$T/src' | '$ZCP' --offset=5000 - '$T/dst'"
	assert_success
	[[ "$stderr" == "zcp: warning: '-' ended 1000 bytes into --offset=5000"$'\n'"zcp: 0 bytes copied"* ]]
	[ ! -s "$T/dst" ]
	# A file handed over at byte 100 has 900 bytes for the offset.
	run --separate-stderr bash -c "exec 5< '$T/src'; dd bs=100 count=1 status=none of=/dev/null <&5; exec '$ZCP' --offset=5000 fd:5 '$T/dst'"
	assert_success
	[[ "$stderr" == "zcp: warning: 'fd:5' ended 900 bytes into --offset=5000"$'\n'"zcp: 0 bytes copied"* ]]
	# To its end exactly: nothing to warn of. -q: no warning either.
	run --separate-stderr "$ZCP" --offset=1000 "$T/src" "$T/dst"
	assert_success
	[[ "$stderr" == "zcp: 0 bytes copied"* ]]
	run --separate-stderr "$ZCP" -q --offset=5000 "$T/src" "$T/dst"
	assert_success
	[ -z "$stderr" ]
}

@test "offset into a /proc file, whose size says 0: a warning only when it ends first" {
	len=$(wc -c < /proc/version)
	[ "$len" -gt 30 ]
	run --separate-stderr "$ZCP" --offset=10 --count=20 /proc/version "$T/dst"
	assert_success
	[[ "$stderr" == "zcp: 20 bytes copied"* ]]
	range /proc/version 10 20 | cmp - "$T/dst"
	run --separate-stderr "$ZCP" --offset=100000 /proc/version "$T/dst"
	assert_success
	[[ "$stderr" == "zcp: warning: '/proc/version' ended $len bytes into --offset=100000"$'\n'"zcp: 0 bytes copied"* ]]
	[ ! -s "$T/dst" ]
}

@test "fd:N as SRC and DST" {
	mkdata "$T/src" 200000
	for m in $(methods) auto; do
		run bash -c "'$ZCP' -m $m fd:5 fd:7 5<'$T/src' 7>'$T/dst'"
		assert_success
		cmp "$T/src" "$T/dst"
	done
}

@test "fd:N opened O_DIRECT: exact for any size; the flag is left as it was" {
	direct_here
	for size in 123 4096 1048699; do
		mkdata "$T/src" "$size"
		for m in $(methods) auto; do
			rm -f "$T/dst"
			run odirect w "$T/dst" "$ZCP" -m "$m" "$T/src" FD
			assert_success
			assert_reported "$size"
			cmp "$T/src" "$T/dst"
			rm -f "$T/dst"
			run odirect r "$T/src" "$ZCP" -m "$m" FD "$T/dst"
			assert_success
			cmp "$T/src" "$T/dst"
			# A pipe hands over pieces of any length.
			serves "$m" pipe file || continue
			rm -f "$T/dst"
			run odirect w "$T/dst" "$ZCP" -m "$m" - FD < <(cat "$T/src")
			assert_success
			cmp "$T/src" "$T/dst"
		done
	done
}

@test "a file SRC's size comes from fstat, none of it read: an O_DIRECT fd:N keeps it, a copy makes no extra call" {
	mkdata "$T/src" 1000000
	command -v strace >/dev/null || skip "no strace"
	# Each 1-byte pread at the end once cost every copy two calls.
	run strace -o "$T/trace" -e trace=pread64 "$ZCP" -m rw "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	! grep -E '^pread64\([0-9]+, .*, 1, [0-9]+\)' "$T/trace" || false
	direct_here
	# A 1-byte pread of an O_DIRECT descriptor fails: the size was lost.
	run odirect r "$T/src" "$ZCP" --explain FD "$T/dst"
	assert_success
	assert_line --regexp '^SRC fd:[0-9]+: file, 1000000 bytes to copy$'
}

@test "fd:N offsets are relative to the descriptor's position" {
	printf 'abcdefghij' > "$T/src"
	{ head -c 2 >/dev/null; "$ZCP" -q --offset=3 fd:0 "$T/dst"; } < "$T/src"
	# head may read ahead; dd with count=2 reads exactly 2 bytes.
	{ dd bs=1 count=2 status=none >/dev/null; "$ZCP" -q --offset=3 fd:0 "$T/dst"; } < "$T/src"
	[ "$(cat "$T/dst")" = fghij ]
}

@test "a FIFO as SRC and as DST" {
	mkdata "$T/src" 500000
	mkfifo "$T/fifo"
	for m in $(methods) auto; do
		if serves "$m" pipe file; then
			cat "$T/src" > "$T/fifo" 3>&- &
			run "$ZCP" -m "$m" "$T/fifo" "$T/dst"
			wait
			assert_success
			cmp "$T/src" "$T/dst"
		fi
		if ! serves "$m" file pipe; then
			run "$ZCP" -m "$m" "$T/src" "$T/fifo"
			assert_refused
			continue
		fi
		cat "$T/fifo" > "$T/dst2" 3>&- &
		run "$ZCP" -m "$m" "$T/src" "$T/fifo"
		wait
		assert_success
		cmp "$T/src" "$T/dst2"
	done
}

@test "a pause in a pipe is not end of file" {
	( printf first; sleep 0.5; printf second ) | "$ZCP" -q - "$T/dst"
	[ "$(cat "$T/dst")" = firstsecond ]
}

@test "character devices: /dev/zero to /dev/null, counted" {
	run "$ZCP" --count=10M /dev/zero /dev/null
	assert_success
	assert_reported 10485760
	run "$ZCP" --count=4097 /dev/zero "$T/dst"
	cmp -n 4097 /dev/zero "$T/dst"
	[ "$(stat -c %s "$T/dst")" -eq 4097 ]
}

@test "a sparse file over 4 GiB: offsets and counts across the boundary" {
	truncate -s 5G "$T/big" || skip "no sparse files here"
	printf 'MARK-A' | dd of="$T/big" bs=1 seek=$((4294967296 - 3)) conv=notrunc status=none
	printf 'MARK-B' | dd of="$T/big" bs=1 seek=$((5368709120 - 6)) conv=notrunc status=none
	for m in $(methods) auto; do
		run "$ZCP" -m "$m" --offset=$((4294967296 - 10)) --count=20 "$T/big" "$T/dst"
		assert_success
		range "$T/big" $((4294967296 - 10)) 20 | cmp - "$T/dst"
		run "$ZCP" -m "$m" --offset=$((5368709120 - 100)) "$T/big" "$T/dst"
		assert_success
		range "$T/big" $((5368709120 - 100)) all | cmp - "$T/dst"
	done
}

@test "writing past 4 GiB with --seek" {
	mkdata "$T/src" 4096
	run "$ZCP" --seek=$((4294967296 - 100)) "$T/src" "$T/dst"
	assert_success
	[ "$(stat -c %s "$T/dst")" -eq $((4294967296 - 100 + 4096)) ]
	range "$T/dst" $((4294967296 - 100)) all | cmp - "$T/src"
}

@test "a file with bytes up to the largest off_t (tmpfs allows it): every method reads them to its end; a DST there takes what fits, then File too large" {
	shm_dir
	max=$OFF_MAX
	# Marks in the last 3 MB; the kernel refuses any read or write whose
	# range passes the largest off_t, so a block-sized call there fails.
	max_file "$shm/big"
	printf MARK | dd of="$shm/big" bs=4 seek=$((max - 3000000)) oflag=seek_bytes conv=notrunc status=none
	for m in $(methods) auto; do
		for o in $((max - 5000)) $((max - 3000000)); do
			rm -f "$shm/dst"
			run --separate-stderr "$ZCP" -m "$m" -o "$o" "$shm/big" "$shm/dst"
			echo "$m -o $o: $stderr"
			assert_success
			[[ "$stderr" == "zcp: $((max - o)) bytes"* ]]
			[ "$(stat -c %s "$shm/dst")" -eq $((max - o)) ]
			tail -c 5000 "$shm/dst" | cmp - "$T/tail"
			[ "$o" -ne $((max - 3000000)) ] || [ "$(head -c 4 "$shm/dst")" = MARK ]
			serves "$m" file pipe || continue
			run --separate-stderr bash -c '"$1" -m "$2" -o "$3" "$4" - | tail -c 5000 | cmp - "$5"' _ \
				"$ZCP" "$m" "$o" "$shm/big" "$T/tail"
			assert_success
		done
	done
	# 807 bytes fit below the largest off_t; 1500000 of 3 MB, more than
	# the first call of splice or sendfile moves.
	mkdata "$T/src" 3000000
	for fit in 807 1500000; do
		for m in rw splice sendfile auto; do
			for from in file pipe; do
				[ "$from" = file ] || serves "$m" pipe file || continue
				rm -f "$shm/dst"
				run --separate-stderr bash -c 'if [ "$5" = pipe ]; then cat "$4" | "$1" -m "$2" --seek="$3" - "$6"
					else "$1" -m "$2" --seek="$3" "$4" "$6"; fi' _ \
					"$ZCP" "$m" $((max - fit)) "$T/src" "$from" "$shm/dst"
				echo "$m from $from --seek=max-$fit: $stderr"
				assert_failure 1
				[[ "$stderr" == "zcp: $fit bytes"* ]]
				[ "${stderr##*$'\n'}" = "zcp: write $shm/dst: File too large" ]
				[ "$(stat -c %s "$shm/dst")" -eq "$max" ]
				tail -c "$fit" "$shm/dst" | cmp - <(head -c "$fit" "$T/src")
			done
		done
	done
}

@test "a SRC that ends just where DST reaches the largest off_t (tmpfs allows it): every method copies all of it, exit 0" {
	shm_dir
	# 100 bytes: within the margin aio and io_uring keep below the
	# largest offset; 3 MB: past it.
	for size in 1 100 3000000; do
		mkdata "$shm/src" "$size"
		for m in $(methods) auto; do
			rm -f "$shm/dst"
			run --separate-stderr "$ZCP" -m "$m" --seek=$((OFF_MAX - size)) "$shm/src" "$shm/dst"
			echo "$m, $size bytes: $stderr"
			assert_success
			[[ "$stderr" == "zcp: $size byte"* ]]
			size_is "$shm/dst" "$OFF_MAX"
			tail -c "$size" "$shm/dst" | cmp - "$shm/src"
		done
	done
	# aio and io_uring write the last MiB or so there by read/write,
	# and say so.
	for m in $(methods); do
		[ "$m" = aio ] || [ "$m" = io_uring ] || continue
		run --separate-stderr "$ZCP" --json -m "$m" --seek=$((OFF_MAX - size)) "$shm/src" "$shm/dst"
		assert_success
		json "$stderr" -e '.note | endswith("; the last bytes below the largest offset by read/write")'
	done
}

@test "a whole 5 GiB sparse file copies byte for byte" {
	truncate -s 5G "$T/big" || skip "no sparse files here"
	printf 'END' | dd of="$T/big" bs=1 seek=$((5368709120 - 3)) conv=notrunc status=none
	"$ZCP" "$T/big" - 2>"$T/err" | cmp - "$T/big"
	grep -q 'zcp: 5368709120 bytes' "$T/err"
}

@test "the report goes to stderr, data to stdout; -q silences the report" {
	mkdata "$T/src" 1000
	run --separate-stderr "$ZCP" "$T/src" -
	assert_success
	[ "${#output}" -gt 0 ]
	[[ "$stderr" =~ ^zcp:\ 1000\ bytes\ \(1\.00\ kB\)\ copied,\ [0-9.]+\ s,\ [0-9.]+\ [kMGT]?B/s$ ]]
	run --separate-stderr "$ZCP" -q "$T/src" "$T/dst"
	assert_success
	[ -z "$stderr" ]
	[ -z "$output" ]
	cmp "$T/src" "$T/dst"
}

@test "the report's units: three significant digits, the next unit when rounding reaches it" {
	mkdata "$T/src" 1048576
	# size:words of the report, as dd words them (one unit up, never
	# "1000 kB" or "1024 KiB", nor a fourth digit as in "100.0 kB").
	for spec in '999:999 bytes' '1000:1000 bytes (1.00 kB)' \
		'9994:9994 bytes (9.99 kB, 9.76 KiB)' \
		'9996:9996 bytes (10.0 kB, 9.76 KiB)' \
		'99949:99949 bytes (99.9 kB, 97.6 KiB)' \
		'99960:99960 bytes (100 kB, 97.6 KiB)' \
		'999499:999499 bytes (999 kB, 976 KiB)' \
		'999600:999600 bytes (1.00 MB, 976 KiB)' \
		'1024000:1024000 bytes (1.02 MB, 1000 KiB)' \
		'1048063:1048063 bytes (1.05 MB, 1023 KiB)' \
		'1048064:1048064 bytes (1.05 MB, 1.00 MiB)' \
		'1048575:1048575 bytes (1.05 MB, 1.00 MiB)'; do
		run --separate-stderr "$ZCP" -n "${spec%%:*}" "$T/src" "$T/dst"
		assert_success
		cmp -n "${spec%%:*}" "$T/src" "$T/dst"
		[[ "$stderr" == "zcp: ${spec#*:} copied, "* ]] || {
			echo "want: ${spec#*:}, got: $stderr"
			return 1
		}
	done
}

@test "-v names the method and the endpoint kinds" {
	mkdata "$T/src" 1000
	run "$ZCP" -v -m rw "$T/src" "$T/dst"
	assert_success
	assert_output --partial "method rw, file to file"
}

@test "--fsync flushes and still copies" {
	mkdata "$T/src" 100000
	run strace -f -e trace=fsync -o "$T/trace" "$ZCP" --fsync "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	grep -q 'fsync(' "$T/trace"
}

@test "zcp's own descriptors never take 0, 1 or 2" {
	mkdata "$T/src" 70000
	run bash -c "'$ZCP' -q '$T/src' '$T/dst' <&- >&- 2>&-"
	assert_success
	cmp "$T/src" "$T/dst"
	run strace -f -e trace=openat -o "$T/trace" "$ZCP" -q "$T/src" "$T/dst2" <&- >&-
	assert_success
	cmp "$T/src" "$T/dst2"
	grep -E "openat\(.*(src|dst2)" "$T/trace"
	! grep -E "openat\(.*(src|dst2).*= [012]$" "$T/trace" || false
}

# ext4_here: skips unless the fixtures live on ext4 (stat calls it ext2/ext3).
ext4_here() {
	[ "$(stat -f -c %T "$T")" = ext2/ext3 ] || skip "$T is not on ext4"
	command -v strace >/dev/null || skip "no strace"
}

@test "a DST replaced on ext4 is allocated up front, to the bytes wanted" {
	ext4_here
	mkdata "$T/src" $((1 << 20))
	for m in copy_file_range splice sendfile rw; do
		rm -f "$T/dst"
		run strace -o "$T/trace" -e trace=fallocate "$ZCP" -m "$m" --offset=5 --count=700001 "$T/src" "$T/dst"
		assert_success
		range "$T/src" 5 700001 | cmp - "$T/dst"
		grep -E '^fallocate\([0-9]+, FALLOC_FL_KEEP_SIZE, 0, 700001\) = 0' "$T/trace"
	done
	# Not for a DST it only writes into: --seek and --append.
	run strace -o "$T/trace" -e trace=fallocate "$ZCP" --seek=3 "$T/src" "$T/dst"
	assert_success
	run strace -o "$T/trace2" -e trace=fallocate "$ZCP" --append "$T/src" "$T/dst"
	assert_success
	! grep -q fallocate "$T/trace" "$T/trace2" || false
}

@test "a refused allocation changes nothing; a failed copy keeps no blocks past its end" {
	ext4_here
	mkdata "$T/src" $((4 << 20))
	run strace -o /dev/null -e trace=fallocate -e inject=fallocate:error=EOPNOTSUPP "$ZCP" "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	# The fifth write fails: DST holds the four before it, and no more
	# blocks than those 256 KiB take.
	rm -f "$T/dst"
	run strace -o /dev/null -e trace=write -e inject=write:error=EIO:when=5 "$ZCP" -m rw -b 64K "$T/src" "$T/dst"
	assert_failure 1
	assert_reported 262144
	range "$T/src" 0 262144 | cmp - "$T/dst"
	[ $(( $(stat -c %b "$T/dst") * $(stat -c %B "$T/dst") )) -le 262144 ]
	# The first write fails: an existing DST is left as it was, with no
	# blocks past its 3 bytes.
	printf abc > "$T/dst"
	run strace -o /dev/null -e trace=write -e inject=write:error=EIO:when=1 "$ZCP" -m rw "$T/src" "$T/dst"
	assert_failure 1
	assert_reported 0
	[ "$(cat "$T/dst")" = abc ]
	[ $(( $(stat -c %b "$T/dst") * $(stat -c %B "$T/dst") )) -le 4096 ]
}

@test "a dangling symbolic link as DST: its target is created, as a shell's > does" {
	mkdata "$T/src" 5000
	ln -s target "$T/link"
	for m in $(methods) auto; do
		rm -f "$T/target"
		run "$ZCP" -m "$m" "$T/src" "$T/link"
		assert_success
		[ -L "$T/link" ]
		cmp "$T/src" "$T/target"
	done
}
