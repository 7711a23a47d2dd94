#!/usr/bin/env bats
# The asynchronous methods, aio and io_uring: exact bytes and sizes at any
# alignment with direct I/O, the fallback to buffered I/O, a pipe or a
# socket on one side, queue depths, flags, signals, and what strace sees.

load helper

ASYNC="aio io_uring"

# copy_check OFFSET COUNT: copies SRC with --offset/--count (COUNT "all":
# to the end) to a fresh DST with method $m and options $opts; checks the
# bytes, the size and the report.
copy_check() {
	local want
	rm -f "$T/dst"
	if [ "$2" = all ]; then
		run "$ZCP" -m "$m" $opts --offset="$1" "$T/src" "$T/dst"
	else
		run "$ZCP" -m "$m" $opts --offset="$1" --count="$2" "$T/src" "$T/dst"
	fi
	assert_success
	range "$T/src" "$1" "$2" > "$T/want"
	cmp "$T/want" "$T/dst"
	want=$(stat -c %s "$T/want")
	[ "$(stat -c %s "$T/dst")" -eq "$want" ]
	assert_reported "$want"
}

@test "sizes around the alignment: 0 to 1 MiB+1, byte for byte" {
	for size in 0 1 511 512 513 4095 4096 4097 1048575 1048576 1048577; do
		mkdata "$T/src" "$size"
		for m in $ASYNC; do
			copy_check 0 all
		done
	done
}

@test "100 MiB file to file" {
	mkdata "$T/src" $((100 * 1048576))
	for m in $ASYNC; do
		rm -f "$T/dst"
		run "$ZCP" -m "$m" "$T/src" "$T/dst"
		assert_success
		assert_reported 104857600
		cmp "$T/src" "$T/dst"
	done
}

@test "offsets and counts unaligned at either end or both" {
	mkdata "$T/src" 3000000
	for m in $ASYNC; do
		for oc in 0:1 1:511 511:2 513:4095 4095:4097 1000:1048577 \
			4096:1048576 7:all 1048575:all 2999999:all 3000000:all \
			3000001:5 12345:2987655 12345:2987656; do
			copy_check "${oc%%:*}" "${oc#*:}"
		done
	done
}

@test "--seek at unaligned DST offsets keeps the bytes around the copy" {
	mkdata "$T/src" 1100000
	for m in $ASYNC; do
		for s in 1 511 4096 4097 1048577; do
			mkdata "$T/dst" 3000000
			cp "$T/dst" "$T/orig"
			run "$ZCP" -m "$m" --seek="$s" --offset=3 --count=1050000 "$T/src" "$T/dst"
			assert_success
			assert_reported 1050000
			[ "$(stat -c %s "$T/dst")" -eq 3000000 ]
			cmp -n "$s" "$T/orig" "$T/dst"
			range "$T/src" 3 1050000 | cmp - <(range "$T/dst" "$s" 1050000)
			cmp -i $((s + 1050000)) "$T/orig" "$T/dst"
		done
	done
}

@test "an existing longer DST ends up exactly the copy" {
	for m in $ASYNC; do
		for size in 5000 1048577; do
			mkdata "$T/src" "$size"
			mkdata "$T/dst" 4194304
			run "$ZCP" -m "$m" "$T/src" "$T/dst"
			assert_success
			cmp "$T/src" "$T/dst"
			[ "$(stat -c %s "$T/dst")" -eq "$size" ]
		done
	done
}

@test "--seek past DST's end leaves a hole: only the copied bytes get blocks" {
	mkdata "$T/src" 100000
	for m in $ASYNC; do
		for size in none 5000; do
			rm -f "$T/dst"
			[ "$size" = none ] || mkdata "$T/dst" "$size"
			run "$ZCP" -m "$m" --seek=64M "$T/src" "$T/dst"
			assert_success
			assert_reported 100000
			[ "$(stat -c %s "$T/dst")" -eq $((67108864 + 100000)) ]
			range "$T/dst" 67108864 all | cmp - "$T/src"
			# As dd and the other methods leave it: sparse below the
			# copy (64 MiB of blocks would be the hole allocated).
			blocks=$(stat -c '%b * %B' "$T/dst")
			echo "$m, DST $size: $((blocks)) bytes allocated"
			[ $((blocks)) -lt 4194304 ]
		done
	done
}

@test "nothing to copy at a --seek past DST's end: DST keeps its size, as with the other methods" {
	mkdata "$T/src" 100000
	for m in $ASYNC rw; do
		for args in "--count=0" "--offset=100000" "--offset=200000"; do
			mkdata "$T/dst" 5000
			cp "$T/dst" "$T/orig"
			run "$ZCP" -q -m "$m" $args --seek=1M "$T/src" "$T/dst"
			echo "$m $args: $(stat -c %s "$T/dst")"
			assert_success
			cmp "$T/orig" "$T/dst"
		done
	done
}

@test "queue depths 1, 2 and 64, file to file and file to pipe" {
	mkdata "$T/src" $((5 * 1048576 + 3))
	for m in $ASYNC; do
		for d in 1 2 64; do
			opts="-d $d -b 64K"
			copy_check 0 all
			copy_check 1 $((4 * 1048576))
			"$ZCP" -q -m "$m" -d "$d" "$T/src" - | cmp - "$T/src"
		done
	done
}

@test "a sparse 5 GiB file: ranges around markers, and the whole file" {
	truncate -s 5G "$T/src" || skip "no sparse files here"
	printf 'MARK-C' | dd of="$T/src" bs=1 seek=$((1048576 + 100)) conv=notrunc status=none
	printf 'MARK-A' | dd of="$T/src" bs=1 seek=$((4294967296 - 3)) conv=notrunc status=none
	printf 'MARK-B' | dd of="$T/src" bs=1 seek=$((5368709120 - 6)) conv=notrunc status=none
	for m in $ASYNC; do
		copy_check 1048000 2000
		copy_check $((4294967296 - 1000)) 2001
		copy_check $((4294967296 - 3)) 6
		copy_check $((5368709120 - 1048576 - 5)) all
		# All of it, read through O_DIRECT (holes read as zeros).
		run "$ZCP" -m "$m" "$T/src" /dev/null
		assert_success
		assert_reported 5368709120
	done
}

@test "SRC, DST or both on tmpfs" {
	shm_dir
	mkdata "$shm/src" 1048577
	mkdata "$T/src" 1048577
	for m in $ASYNC; do
		run "$ZCP" -v -m "$m" "$shm/src" "$T/dst"
		assert_success
		assert_output --partial "$m: queue depth"
		cmp "$shm/src" "$T/dst"
		run "$ZCP" -m "$m" --offset=7 "$T/src" "$shm/dst"
		assert_success
		range "$T/src" 7 all | cmp - "$shm/dst"
		run "$ZCP" -m "$m" --seek=5 "$shm/src" "$shm/dst2"
		assert_success
		cmp -i 0:5 "$shm/src" "$shm/dst2"
	done
}

@test "offsets near the largest off_t (tmpfs allows them): nothing to read there, and DST takes what fits below it, then File too large" {
	shm_dir
	mkdata "$shm/src" 100000
	for m in $ASYNC; do
		for o in 9223372036854775000 9223372036854775807; do
			rm -f "$shm/dst"
			run --separate-stderr "$ZCP" -m "$m" -o "$o" "$shm/src" "$shm/dst"
			assert_success
			[[ "$stderr" == "zcp: warning: '$shm/src' ended 100000 bytes into --offset=$o"$'\n'"zcp: 0 bytes copied"* ]]
			[ "$(stat -c %s "$shm/dst")" -eq 0 ]
			fit=$((OFF_MAX - o))
			run --separate-stderr "$ZCP" -m "$m" --seek "$o" "$shm/src" "$shm/dst"
			assert_failure 1
			[[ "$stderr" == "zcp: $fit bytes"*"zcp: write $shm/dst: File too large" ]]
			[ "$fit" -eq 0 ] || head -c "$fit" "$shm/src" | cmp - <(tail -c "$fit" "$shm/dst")
		done
	done
}

@test "a SRC with bytes up to the largest off_t (tmpfs allows it): its last bytes are copied, not dropped" {
	shm_dir
	max=$OFF_MAX
	# 5000 bytes that end at the largest offset, within the last block.
	max_file "$shm/src"
	for m in $ASYNC; do
		for d in --direct --no-direct; do
			for o in $((max - 5000)) $((max - 2000000)); do
				rm -f "$shm/dst"
				run --separate-stderr "$ZCP" -m "$m" $d -o "$o" "$shm/src" "$shm/dst"
				echo "$m $d -o $o: $stderr"
				assert_success
				want=$((max - o))
				[[ "$stderr" == "zcp: $want bytes"* ]]
				[ "$(stat -c %s "$shm/dst")" -eq "$want" ]
				tail -c 5000 "$shm/dst" | cmp - "$T/tail"
			done
			# Up to the end, through a pipe.
			run --separate-stderr bash -c '"$1" -m "$2" $3 -o "$4" "$5" - | cmp - "$6"' _ \
				"$ZCP" "$m" "$d" $((max - 5000)) "$shm/src" "$T/tail"
			assert_success
			# --count stops short of the end.
			rm -f "$shm/dst"
			run --separate-stderr "$ZCP" -m "$m" $d -o $((max - 5000)) -n 3000 "$shm/src" "$shm/dst"
			assert_success
			head -c 3000 "$T/tail" | cmp - "$shm/dst"
		done
	done
}

@test "a file system that refuses O_DIRECT: buffered, said in -v; --direct refuses" {
	mkdir "$T/mnt"
	mount -t ramfs zcp-test "$T/mnt" 2>/dev/null || skip "cannot mount a ramfs here"
	mkdata "$T/src" 100000
	mkdata "$T/mnt/src" 100000
	for m in $ASYNC; do
		rm -f "$T/mnt/dst"
		run "$ZCP" -v -m "$m" --offset=1 "$T/src" "$T/mnt/dst"
		assert_success
		assert_output --partial "DST buffered: the file system refuses O_DIRECT"
		range "$T/src" 1 all | cmp - "$T/mnt/dst"
		run "$ZCP" -v -m "$m" "$T/mnt/src" "$T/dst"
		assert_success
		assert_output --partial "SRC buffered: the file system refuses O_DIRECT"
		cmp "$T/mnt/src" "$T/dst"
		# --direct: a runtime error of the side that refuses, known
		# once SRC is open and before DST is touched: asked of SRC, of
		# an existing DST, or of a new one's directory. auto, asked for
		# direct I/O, fails the same way.
		cp "$T/dst" "$T/before"
		for named in "-m $m" ""; do
			run --separate-stderr "$ZCP" $named --direct "$T/mnt/src" "$T/dst"
			assert_failure 1
			[ "${stderr_lines[1]}" = "zcp: read $T/mnt/src: the file system refuses O_DIRECT (--direct)" ]
			[[ "${stderr_lines[0]}" == "zcp: 0 bytes copied, "* ]]
			cmp "$T/before" "$T/dst"
			cp "$T/src" "$T/mnt/dst"
			run --separate-stderr "$ZCP" $named --direct "$T/dst" "$T/mnt/dst"
			assert_failure 1
			[ "${stderr_lines[1]}" = "zcp: write $T/mnt/dst: the file system refuses O_DIRECT (--direct)" ]
			cmp "$T/src" "$T/mnt/dst"
			rm -f "$T/mnt/dst"
			run --separate-stderr "$ZCP" $named --direct "$T/src" "$T/mnt/dst"
			assert_failure 1
			[ "${stderr_lines[1]}" = "zcp: write $T/mnt/dst: the file system refuses O_DIRECT (--direct)" ]
			[ -z "$(ls -A "$T/mnt" | grep -vx src)" ]
			# Asked before DST is opened for writing at all.
			cp "$T/src" "$T/mnt/dst"
			for dst in "$T/mnt/dst" "$T/mnt/new"; do
				run strace -f -o "$T/trace" -e trace=open,openat \
					"$ZCP" $named --direct "$T/src" "$dst"
				assert_failure 1
				! grep -E "\"$dst\", [^)]*O_(WRONLY|RDWR|CREAT)" "$T/trace" || false
			done
			rm -f "$T/mnt/dst"
			# Handed over (fd:N): asked too, before --seek moves
			# the caller's offset; and -v gives the block size, as
			# for a path.
			ran=${named:+$m}
			echo kept > "$T/mnt/h"
			run --separate-stderr bash -c 'exec 5<>"$1"; shift
				"$@" || echo "status $?"
				grep "^pos:" /proc/$$/fdinfo/5' sh "$T/mnt/h" \
				"$ZCP" -v $named --direct --seek=3 "$T/src" fd:5
			assert_output "status 1
pos:	0"
			[ "${stderr_lines[3]}" = "zcp: write fd:5: the file system refuses O_DIRECT (--direct)" ]
			[[ "${stderr_lines[0]}" == "zcp: method ${ran:-io_uring}, file to file, block size 1048576" ]]
			[ "$(cat "$T/mnt/h")" = kept ]
			run --separate-stderr "$ZCP" -v $named --direct "$T/src" "$T/mnt/dst"
			assert_failure 1
			[[ "${stderr_lines[0]}" == "zcp: method ${ran:-io_uring}, file to file, block size 1048576" ]]
			# Appending, DST is written buffered: nothing to refuse.
			echo old > "$T/mnt/dst"
			run --separate-stderr "$ZCP" $named --direct --append "$T/src" "$T/mnt/dst"
			assert_success
			{ echo old; cat "$T/src"; } | cmp - "$T/mnt/dst"
			rm -f "$T/mnt/dst" "$T/mnt/h"
		done
		# --explain says so, and where.
		run --separate-stderr "$ZCP" --explain -m "$m" --direct "$T/mnt/src" "$T/dst"
		assert_success
		assert_line "A copy would fail: read $T/mnt/src: the file system refuses O_DIRECT (--direct)."
		# With the operand's control characters escaped.
		cp "$T/mnt/src" "$T/mnt/a"$'\n'b
		run --separate-stderr "$ZCP" --explain -m "$m" --direct "$T/mnt/a"$'\n'b "$T/dst"
		assert_success
		assert_line "A copy would fail: read $T/mnt/a\\nb: the file system refuses O_DIRECT (--direct)."
		rm "$T/mnt/a"$'\n'b
		run --separate-stderr "$ZCP" --explain --json --direct "$T/src" "$T/mnt/dst"
		assert_success
		[ "$(json "$output" '[.auto, .would_fail.side, .would_fail.operand, .would_fail.message]')" = \
			"[\"io_uring\",\"write\",\"$T/mnt/dst\",\"the file system refuses O_DIRECT (--direct)\"]" ]
		run --separate-stderr "$ZCP" --explain --json "$T/mnt/src" "$T/mnt/dst"
		[ "$(json "$output" .would_fail)" = null ]
	done
	umount "$T/mnt"
}

@test "O_DIRECT refused at open (injected): buffered and exact" {
	direct_here
	mkdata "$T/src" 1048577
	fds=()
	for n in $(seq 3 12); do fds+=(-P "/proc/self/fd/$n"); done
	for m in $ASYNC; do
		rm -f "$T/dst"
		run strace -o /dev/null -e trace=openat -e inject=openat:error=EINVAL \
			"${fds[@]}" "$ZCP" -v -m "$m" --offset=3 "$T/src" "$T/dst"
		assert_success
		assert_output --partial "SRC buffered: the file system refuses O_DIRECT; DST buffered: the file system refuses O_DIRECT"
		range "$T/src" 3 all | cmp - "$T/dst"
		rm -f "$T/dst"
		run strace -o /dev/null -e trace=openat -e inject=openat:error=EINVAL \
			"${fds[@]}" "$ZCP" -m "$m" --direct "$T/src" "$T/dst"
		assert_failure 1
		assert_output --partial "zcp: read $T/src: the file system refuses O_DIRECT (--direct)"
		[ ! -e "$T/dst" ]
	done
}

@test "strace: the file side is opened O_DIRECT and requests overlap" {
	direct_here
	mkdata "$T/src" 1048577
	for m in $ASYNC; do
		rm -f "$T/dst"
		run strace -f -o "$T/trace" -e trace=openat,io_submit,io_uring_enter \
			"$ZCP" -v -m "$m" -d 8 -b 64K "$T/src" "$T/dst"
		assert_success
		assert_output --partial "SRC direct"
		cmp "$T/src" "$T/dst"
		grep -E 'openat\(.*"/proc/self/fd/[0-9]+", O_RDONLY\|O_NOCTTY\|O_DIRECT' "$T/trace"
		grep -E 'openat\(.*"/proc/self/fd/[0-9]+", O_WRONLY\|O_NOCTTY\|O_DIRECT' "$T/trace"
		! grep -E 'openat\(.*O_(WRONLY|RDWR).*src' "$T/trace" || false
		if [ "$m" = aio ]; then
			grep -E 'io_submit\(0x[0-9a-f]+, ([2-9]|[1-9][0-9]+),' "$T/trace"
		else
			grep -E 'io_uring_enter\([0-9]+, ([2-9]|[1-9][0-9]+),' "$T/trace"
		fi
		# --no-direct: no O_DIRECT anywhere.
		run strace -f -o "$T/trace" -e trace=openat "$ZCP" -m "$m" --no-direct "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
		! grep O_DIRECT "$T/trace" || false
	done
}

@test "a pipe on one side: file to pipe, pipe to file; pipe to pipe is refused" {
	mkdata "$T/src" $((3 * 1048576 + 13))
	for m in $ASYNC; do
		"$ZCP" -m "$m" -d 2 --offset=5 "$T/src" - 2>"$T/err" | cat > "$T/dst"
		range "$T/src" 5 all | cmp - "$T/dst"
		grep -q "zcp: $((3 * 1048576 + 8)) bytes" "$T/err"
		rm -f "$T/dst"
		cat "$T/src" | "$ZCP" -m "$m" --seek=3 - "$T/dst" 2>"$T/err"
		cmp -i 0:3 "$T/src" "$T/dst"
		cmp -n 3 /dev/zero "$T/dst"
		grep -q "zcp: $((3 * 1048576 + 13)) bytes" "$T/err"
		run bash -c "cat '$T/src' | '$ZCP' -m $m - - | cat > /dev/null"
		assert_output --partial "method $m cannot copy from pipe to pipe: needs a regular file or block device on one side"
		run "$ZCP" -m "$m" /dev/zero /dev/null
		assert_failure 2
		assert_output --partial "cannot copy from character device to character device"
	done
}

@test "a socket on one side, both ways" {
	mkdata "$T/src" $((2 * 1048576 + 1))
	for m in $ASYNC; do
		rm -f "$T/sock" "$T/dst" "$T/dst2"
		timeout 20 "$ZCP" -q -m rw unix-listen:"$T/sock" "$T/dst" &
		wait_path "$T/sock"
		run "$ZCP" -m "$m" "$T/src" unix:"$T/sock"
		wait
		assert_success
		cmp "$T/src" "$T/dst"
		timeout 20 "$ZCP" -m "$m" tcp-listen:0 "$T/dst2" 2>"$T/err" &
		port=$(wait_port "$T/err")
		"$ZCP" -q -m rw "$T/src" tcp:127.0.0.1:"$port"
		wait
		cmp "$T/src" "$T/dst2"
		grep -q "zcp: $((2 * 1048576 + 1)) bytes" "$T/err"
	done
}

@test "--flags dsync, sync and nowait copy exactly; hipri polls or says why not" {
	mkdata "$T/src" 1048577
	for m in $ASYNC; do
		for f in dsync sync nowait dsync,nowait 8; do
			rm -f "$T/dst"
			run "$ZCP" -m "$m" --flags="$f" --offset=1 "$T/src" "$T/dst"
			assert_success
			range "$T/src" 1 all | cmp - "$T/dst"
		done
		rm -f "$T/dst"
		run "$ZCP" -m "$m" --flags=HIPRI "$T/src" "$T/dst"
		if [ "$status" -eq 0 ]; then
			cmp "$T/src" "$T/dst"
		else
			assert_failure 1
			assert_output --partial "polled I/O (hipri) is not supported here"
		fi
	done
	# tmpfs may refuse nowait: then both methods say so, not only
	# "Operation not supported".
	shm_dir
	mkdata "$shm/src" 100000
	for m in $ASYNC; do
		run "$ZCP" -m "$m" --flags=nowait "$shm/src" "$shm/dst"
		if [ "$status" -eq 0 ]; then
			cmp "$shm/src" "$shm/dst"
		else
			assert_failure 1
			assert_output --partial "non-blocking I/O (nowait) is not supported here"
			[ ! -e "$shm/dst" ]
		fi
	done
}

@test "usage errors: --queue-depth, --flags, and --direct with a method that does not take it, or with auto and no file side" {
	mkdata "$T/src" 10
	for d in 0 1025 x 8k -1 ''; do
		run "$ZCP" -m aio --queue-depth="$d" "$T/src" "$T/dst"
		assert_failure 2
		assert_output --partial "zcp: invalid --queue-depth '$d'"
		assert_output --partial "Try 'zcp --help'"
	done
	run "$ZCP" -d
	assert_failure 2
	assert_output --partial "option '-d' needs an argument"
	for m in $ASYNC; do
		run "$ZCP" -m "$m" --flags=dsync,bogus "$T/src" "$T/dst"
		assert_failure 2
		assert_output --partial "method $m does not take flag 'bogus'; it takes dsync, sync, hipri, nowait"
		run "$ZCP" -m "$m" --flags=16 "$T/src" "$T/dst"
		assert_failure 2
		assert_output --partial "method $m does not take flag value 16"
	done
	# The other methods would ignore --direct: direct I/O asked for
	# and not had. A queue depth or --no-direct changes nothing there.
	for m in copy_file_range sendfile splice rw; do
		run "$ZCP" -m "$m" --direct "$T/src" "$T/dst"
		assert_failure 2
		assert_output --partial "zcp: --direct is for aio and io_uring: method $m does not take it"
		[ ! -e "$T/dst" ]
		run "$ZCP" -m "$m" -d 4 --no-direct "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
		rm "$T/dst"
	done
	# auto with --direct: aio or io_uring, which need a file on one
	# side; a FIFO SRC is known by its path, and not opened.
	mkfifo "$T/fifo"
	run timeout 10 "$ZCP" --direct "$T/fifo" /dev/null
	assert_failure 2
	assert_output --partial "zcp: --direct is for aio and io_uring, which cannot copy from pipe to character device: they need a regular file or block device on one side"
	run --separate-stderr sh -c 'echo x | "$1" --explain --direct - /dev/null' sh "$ZCP"
	assert_success
	assert_line "  none: a copy would stop with a usage error"
	assert_line "  rw               does not take --direct (a usage error)"
	[ ! -e "$T/dst" ]
}

@test "the kernel interface missing: a named method fails, auto passes over it" {
	mkdata "$T/src" 100000
	run strace -o /dev/null -e inject=io_uring_setup:error=ENOSYS "$ZCP" -m io_uring "$T/src" "$T/dst"
	assert_failure 1
	assert_output --partial "zcp: method io_uring: the kernel refused it: Function not implemented"
	run strace -o /dev/null -e inject=io_uring_setup:error=ENOSYS "$ZCP" -v --direct "$T/src" "$T/dst"
	assert_success
	assert_output --partial "io_uring passed over: the kernel refused it: Function not implemented"
	cmp "$T/src" "$T/dst"
	rm -f "$T/dst"
	run strace -o /dev/null -e inject=io_setup:error=EAGAIN "$ZCP" -m aio "$T/src" "$T/dst"
	assert_failure 1
	assert_output --partial "zcp: method aio: the kernel refused it: Resource temporarily unavailable"
}

@test "the kernel refuses the first requests: a named method fails with DST as it was, auto passes over it, but not to buffered I/O with --direct" {
	mkdata "$T/src" 300000
	echo "kept" > "$T/dst"
	run strace -o /dev/null -e inject=io_submit:error=EINVAL:when=1 "$ZCP" -m aio "$T/src" "$T/dst"
	assert_failure 1
	assert_output --partial "zcp: method aio: the kernel refused it: Invalid argument"
	[ "$(cat "$T/dst")" = kept ]
	# auto with --direct passes over each, and then has nothing left:
	# direct I/O or none, DST as it was.
	run strace -o /dev/null -e inject=io_uring_setup:error=ENOSYS -e inject=io_submit:error=EINVAL:when=1 "$ZCP" -v --direct "$T/src" "$T/dst"
	assert_failure 1
	assert_output --partial "io_uring passed over: the kernel refused it: Function not implemented"
	assert_output --partial "aio passed over: the kernel refused it: Invalid argument"
	assert_output --partial "zcp: method auto: the kernel refused io_uring and aio, and --direct asks for one of them"
	[ "$(cat "$T/dst")" = kept ]
	run strace -o /dev/null -e inject=io_uring_setup:error=ENOSYS "$ZCP" -v --direct "$T/src" "$T/dst"
	assert_success
	assert_output --partial "zcp: method aio,"
	cmp "$T/src" "$T/dst"
	# A /proc file takes no aio requests at all.
	rm -f "$T/dst"
	run "$ZCP" -m aio /proc/self/maps "$T/dst"
	if [ "$status" -eq 0 ]; then
		skip "this kernel takes aio requests on /proc/self/maps"
	fi
	assert_failure 1
	assert_output --partial "zcp: method aio: the kernel refused it: Invalid argument"
	[ ! -e "$T/dst" ]
}

@test "the file positions are set at the end, and a failure to set one is an error of that side" {
	mkdata "$T/src" 3000000
	for m in $ASYNC; do
		# The last two lseek calls set SRC's position, then DST's.
		strace -f -o "$T/trace" -e trace=lseek "$ZCP" -q -m "$m" fd:0 "$T/dst" < "$T/src"
		n=$(grep -c 'lseek(' "$T/trace")
		grep 'lseek(' "$T/trace" | tail -n 2 | grep -q 'lseek(0, 3000000, SEEK_SET)'
		for when in $((n - 1)):read:fd:0 $n:write:$T/dst; do
			IFS=: read -r w side operand <<< "$when"
			rm -f "$T/dst"
			run --separate-stderr strace -f -o /dev/null -e inject=lseek:error=EIO:when="$w" \
				"$ZCP" -m "$m" fd:0 "$T/dst" < "$T/src"
			echo "$m, lseek $w: $stderr"
			assert_failure 1
			[[ "$stderr" == *"zcp: $side $operand: Input/output error" ]]
		done
	done
}

# fault_shim: builds tests/shim/async_fault.c, which alters single aio and
# io_uring completions (strace cannot), into $T/fault.so; skips if it
# cannot be built or preloaded.
fault_shim() {
	${CC:-cc} -shared -fPIC -o "$T/fault.so" \
		"$BATS_TEST_DIRNAME/shim/async_fault.c" -ldl 2>"$T/cc.err" ||
		skip "cannot build the fault shim: $(head -n 1 "$T/cc.err")"
	faulty none 0 --version >/dev/null 2>"$T/cc.err" ||
		skip "cannot preload the fault shim: $(head -n 1 "$T/cc.err")"
}

# faulty FAULT AT ZCP-ARG...: zcp with the shim making FAULT (read, write,
# short) at file offset AT. AddressSanitizer wants to be first among the
# libraries; the shim intercepts nothing it relies on.
faulty() {
	ZCP_FAULT=$1 ZCP_FAULT_AT=$2 LD_PRELOAD="$T/fault.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$ZCP" "${@:3}"
}

# copied: the bytes the report in $output says were copied.
copied() {
	sed -n 's/^zcp: \([0-9]*\) bytes\{0,1\} .*copied.*/\1/p' <<< "$output"
}

@test "an error while requests complete out of order: the report, DST and SRC's position are the prefix written without a gap" {
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		for f in read:0 write:0 read:1048576 write:1048576; do
			fault=${f%:*} at=${f#*:}
			rm -f "$T/dst"
			status=0
			{
				faulty "$fault" "$at" -m "$m" fd:0 "$T/dst" 2>"$T/err" ||
					status=$?
				pos=$(awk '$1 == "pos:" { print $2 }' /proc/self/fdinfo/0)
			} < "$T/src"
			output=$(cat "$T/err")
			mapfile -t lines < "$T/err"
			echo "$m, $fault fails at $at: status $status, SRC at $pos"
			echo "$output"
			assert_failure 1
			if [ "$fault" = read ]; then
				# Other blocks reached DST before the failure came.
				assert_output --partial "zcp-fault: the read at offset $at failed, after a later block's write"
				assert_line --index 2 "zcp: read fd:0: Input/output error"
			else
				assert_output --partial "zcp-fault: the write at offset $at failed"
				assert_line --index 2 "zcp: write $T/dst: Input/output error"
			fi
			n=$(copied)
			[ -n "$n" ] && [ "$n" -le "$at" ]
			# Nothing reported: the DST zcp created is gone again.
			if [ "$n" -eq 0 ]; then
				[ ! -e "$T/dst" ]
			else
				[ "$(stat -c %s "$T/dst")" -eq "$n" ]
				cmp -n "$n" "$T/src" "$T/dst"
			fi
			[ "$pos" -eq "$n" ]
			# SRC went back: nothing read from it is lost.
			refute_output --partial "not written"
		done
	done
}

@test "an error at the first block while later ones reached an existing DST: DST holds what was reported, not old bytes among new" {
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		mkdata "$T/dst" 3000000
		run --separate-stderr faulty write 0 -m "$m" "$T/src" "$T/dst"
		echo "$m: $stderr"
		assert_failure 1
		[[ "$stderr" == "zcp-fault: the write at offset 0 failed"*"zcp: 0 bytes copied"*"zcp: write $T/dst: Input/output error" ]]
		[ "$(stat -c %s "$T/dst")" -eq 0 ]
	done
}

@test "an error while requests complete out of order, DST written in place (--seek, fd:N): the blocks past the prefix are said, with their range, and the rest of DST is as it was" {
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		# (With --seek=7 no write starts at 1 MiB: blocks are aligned
		# to DST.)
		for f in read:seek read:fd write:fd; do
			how=${f#*:} f=${f%:*}
			head -c 4000000 /dev/zero | tr '\0' x > "$T/dst"
			if [ "$how" = seek ]; then
				run --separate-stderr faulty "$f" 1048576 -m "$m" --seek=7 "$T/src" "$T/dst"
				at=7
			else
				run --separate-stderr faulty "$f" 1048576 -m "$m" "$T/src" fd:3 3<>"$T/dst"
				at=0
			fi
			echo "$m, $f, $how: $stderr"
			assert_failure 1
			n=$(sed -n 's/^zcp: \([0-9]*\) bytes .*copied.*/\1/p' <<< "$stderr")
			# The block at 1 MiB failed; with --seek=7 blocks
			# are aligned to DST, so the prefix ends near it.
			[ "$n" -gt 1000000 ] && [ "$n" -lt 1100000 ]
			range=$(sed -n "s/^zcp: warning: past the bytes copied, DST's bytes \([0-9]*\) to \([0-9]*\) (offsets, both included) hold blocks of the copy in part: requests complete in any order\$/\1 \2/p" <<< "$stderr")
			[ -n "$range" ]
			set -- $range
			# As offsets from, to (not included).
			set -- "$1" $(($2 + 1))
			[ "$1" -eq $((at + n)) ] && [ "$2" -gt "$1" ] && [ "$2" -le $((at + 3000000)) ]
			# DST is its old self but for the bytes reported and
			# the range said; its size has not changed.
			size_is "$T/dst" 4000000
			cmp -n "$at" "$T/dst" <(head -c 4000000 /dev/zero | tr '\0' x)
			cmp -i "$at:0" -n "$n" "$T/dst" "$T/src"
			cmp -i "$2:$2" "$T/dst" <(head -c 4000000 /dev/zero | tr '\0' x)
			# Blocks of the copy did land in the range said.
			! cmp -s -i "$1:$1" -n $(($2 - $1)) "$T/dst" <(head -c 4000000 /dev/zero | tr '\0' x) || false
			# In --json too.
			head -c 4000000 /dev/zero | tr '\0' x > "$T/dst"
			run --separate-stderr faulty "$f" 1048576 --json -m "$m" "$T/src" fd:3 3<>"$T/dst"
			assert_failure 1
			json "$stderr" -e '.bytes == 1048576 and .scattered.from == 1048576 and .scattered.to > 1048576'
		done
		# Into a DST shorter than the copy, the blocks past the gap were
		# all past its old end, and cut: nothing to say.
		head -c 1500000 /dev/zero | tr '\0' x > "$T/dst"
		run --separate-stderr faulty read 1048576 --json -m "$m" "$T/src" fd:3 3<>"$T/dst"
		assert_failure 1
		json "$stderr" -e '.bytes == 1048576 and .scattered == null'
		size_is "$T/dst" 1500000
		cmp -n 1048576 "$T/src" "$T/dst"
		cmp -i 1048576:0 "$T/dst" <(head -c 451424 /dev/zero | tr '\0' x)
		# A DST zcp replaces is cut to the bytes reported: nothing to say.
		run --separate-stderr faulty read 1048576 --json -m "$m" "$T/src" "$T/dst"
		assert_failure 1
		json "$stderr" -e '.bytes == 1048576 and .scattered == null'
		size_is "$T/dst" 1048576
	done
}

@test "an error while requests complete out of order, SRC a pipe: the bytes read past the prefix are reported lost" {
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		rm -f "$T/dst"
		status=0
		faulty write 0 -m "$m" - "$T/dst" < <(cat "$T/src") 2>"$T/err" ||
			status=$?
		output=$(cat "$T/err")
		mapfile -t lines < "$T/err"
		echo "$output"
		assert_failure 1
		assert_output --partial "zcp-fault: the write at offset 0 failed"
		assert_line --index 2 "zcp: write $T/dst: Input/output error"
		assert_line --index 1 --regexp "^zcp: 0 bytes copied, .*; [0-9]+ bytes read but not written\$"
		lost=$(sed -n 's/.*; \([0-9]*\) bytes read but not written$/\1/p' <<< "$output")
		# At least the block whose write failed, at most all of SRC.
		[ "$lost" -ge 1048576 ] && [ "$lost" -le 3000000 ]
		[ ! -e "$T/dst" ]
	done
}

@test "a direct write that ends short at an unaligned offset: the rest follows, at queue depth 1 too" {
	direct_here
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		for d in 1 16; do
			rm -f "$T/dst"
			run faulty short 0 -v -m "$m" -d "$d" "$T/src" "$T/dst"
			assert_success
			assert_output --partial "DST direct"
			assert_output --partial "zcp-fault: the write at offset 0 completed 100 bytes short"
			assert_reported 3000000
			cmp "$T/src" "$T/dst"
		done
	done
}

# interrupt SIGNAL: a pipe feeds 3 MiB and stays open; once DST holds the
# 3 MiB, the signal stops zcp, which reports exactly the bytes in DST.
interrupt() {
	rm -f "$T/dst" "$T/fifo"
	mkfifo "$T/fifo"
	set -m		# background jobs would otherwise ignore SIGINT
	timeout 30 "$ZCP" -m "$m" "$T/fifo" "$T/dst" 2>"$T/err" &
	pid=$!
	set +m
	exec 5>"$T/fifo"
	head -c 3145728 "$T/src" >&5
	for _ in $(seq 1 200); do
		[ "$(stat -c %s "$T/dst" 2>/dev/null)" = 3145728 ] && break
		sleep 0.05
	done
	kill -"$1" "$pid"
	status=0
	wait "$pid" || status=$?
	exec 5>&-
	[ "$status" -eq "$2" ]
	grep -q "zcp: 3145728 bytes" "$T/err"
	cmp -n 3145728 "$T/src" "$T/dst"
}

@test "SIGINT and SIGTERM: nothing left in flight, the bytes in DST reported" {
	mkdata "$T/src" 3145728
	for m in $ASYNC; do
		interrupt INT 130
		interrupt TERM 143
	done
}

@test "a socket SRC that sends, then resets: what it sent is written and reported, then the read error" {
	mkdata "$T/src" 300001
	for m in $ASYNC; do
		# OPTIONS:N:OLD: N bytes sent, written after the OLD bytes DST
		# had. With --seek=1 (DST direct) they stop short of DST's first
		# aligned offset: read before any request is made.
		for v in ":300001:0" "-b 64K:300001:0" "--seek=1:100:1"; do
			IFS=: read -r opts n old <<< "$v"
			rm -f "$T/dst" "$T/port"
			mkdata "$T/dst" "$old"
			cp "$T/dst" "$T/old"
			PORTFILE=$T/port peer serve "$T/src" "$n" 3>&- &
			ppid=$!
			wait_path "$T/port"
			port=$(cat "$T/port")
			run --separate-stderr timeout 20 "$ZCP" -m "$m" $opts "tcp:127.0.0.1:$port" "$T/dst"
			wait "$ppid"
			echo "$m $opts: status $status: $stderr"
			assert_failure 1
			[ "${#stderr_lines[@]}" -eq 2 ]
			grep -qE "^zcp: $n bytes( \(.*\))? copied, [^;]*\$" <<< "${stderr_lines[0]}"
			[ "${stderr_lines[1]}" = "zcp: read tcp:127.0.0.1:$port: Connection reset by peer" ]
			[ "$(stat -c %s "$T/dst")" -eq $((old + n)) ]
			cmp -n "$old" "$T/old" "$T/dst"
			cmp -n "$n" -i "0:$old" "$T/src" "$T/dst"
		done
	done
}

# FEED SRC N FLAG: writes the first N bytes of SRC to its stdout, a pipe,
# and once they have all been read from it creates FLAG; then writes
# nothing more until killed.
FEED='
import array, fcntl, sys, termios, time
sys.stdout.buffer.write(open(sys.argv[1], "rb").read(int(sys.argv[2])))
sys.stdout.buffer.flush()
q = array.array("i", [0])
while fcntl.ioctl(1, termios.FIONREAD, q) == 0 and q[0] > 0:
    time.sleep(0.01)
open(sys.argv[3], "w").close()
time.sleep(30)'

@test "a pipe SRC that delivers, then stalls, and SIGTERM: what it delivered is written and reported, then death by the signal" {
	mkdata "$T/src" 300001
	mkfifo "$T/fifo"
	for m in $ASYNC; do
		# OPTIONS:N:OLD as above, N bytes delivered.
		for v in ":300001:0" "-b 64K:300001:0" "--append:300001:1000" "--seek=1:100:1"; do
			IFS=: read -r opts n old <<< "$v"
			rm -f "$T/dst" "$T/fed"
			mkdata "$T/dst" "$old"
			cp "$T/dst" "$T/old"
			timeout 20 python3 -c "$FEED" "$T/src" "$n" "$T/fed" > "$T/fifo" 3>&- &
			fpid=$!
			env --default-signal=INT,TERM timeout 20 "$ZCP" -m "$m" $opts - "$T/dst" < "$T/fifo" 2>"$T/err" 3>&- &
			tpid=$!
			zpid=$(pid_of_child "$tpid")
			wait_path "$T/fed"
			kill -TERM "$zpid"
			st=0
			wait "$tpid" || st=$?
			kill "$fpid"
			wait "$fpid" || true
			echo "$m $opts: status $st: $(cat "$T/err")"
			[ "$st" -eq 143 ]
			# The report, and no more (no error line after a signal).
			[ "$(wc -l < "$T/err")" -eq 1 ]
			grep -qE "^zcp: $n bytes( \(.*\))? copied, [^;]*\$" "$T/err"
			[ "$(stat -c %s "$T/dst")" -eq $((old + n)) ]
			cmp -n "$old" "$T/old" "$T/dst"
			cmp -n "$n" -i "0:$old" "$T/src" "$T/dst"
		done
	done
}

@test "an error at the first block at a --seek past DST's end: DST keeps its size" {
	mkdata "$T/src" 3000000
	fault_shim
	for m in $ASYNC; do
		mkdata "$T/dst" 5000
		cp "$T/dst" "$T/orig"
		run --separate-stderr faulty write 1048576 -m "$m" --seek=1M "$T/src" "$T/dst"
		echo "$m: $stderr"
		assert_failure 1
		[[ "$stderr" == "zcp-fault: the write at offset 1048576 failed"*"zcp: 0 bytes copied"*"zcp: write $T/dst: Input/output error" ]]
		cmp "$T/orig" "$T/dst"
	done
}
