#!/usr/bin/env bats
# Block devices on either side: loop devices over files in the test's own
# directory, with 512- and 4096-byte sectors. Needs root and a free loop
# device; skips otherwise.

load helper

# A device is 8 MiB; the images behind them live in $T.
DEV_BYTES=$((8 << 20))

# attach NAME SECTOR: a loop device over $T/NAME.img with SECTOR-byte
# sectors, filled with random bytes; prints its path.
attach() {
	head -c "$DEV_BYTES" /dev/urandom > "$T/$1.img"
	losetup --find --show --sector-size "$2" "$T/$1.img"
}

setup() {
	command -v losetup >/dev/null || skip "no losetup"
	[ "$(id -u)" -eq 0 ] || skip "loop devices need root"
	A=$(attach a 512 2>/dev/null) || skip "cannot attach a loop device here"
	B=$(attach b 4096 2>/dev/null) || { losetup -d "$A"; skip "cannot attach a second loop device"; }
}

teardown() {
	[ -n "${A:-}" ] && losetup -d "$A"
	[ -n "${B:-}" ] && losetup -d "$B"
	return 0
}

# expect DEV SEEK FILE OFFSET COUNT: prints the path of what DEV should hold
# after COUNT bytes of FILE from OFFSET were written at SEEK: the device as
# it is now, with those bytes laid over it.
expect() {
	dd if="$1" of="$T/expect" bs=1M status=none
	range "$3" "$4" "$5" |
		dd of="$T/expect" seek="$2" oflag=seek_bytes conv=notrunc status=none
	echo "$T/expect"
}

@test "file to device, device to device, device to file: every method, byte for byte" {
	mkdata "$T/src" $((3 << 20))
	for m in $(methods) auto; do
		# file to device: the rest of the device keeps its bytes.
		dd if="$A" of="$T/before" bs=1M status=none
		want=$(expect "$A" 0 "$T/src" 0 all)
		run "$ZCP" -m "$m" "$T/src" "$A"
		if [ "$m" = copy_file_range ]; then
			assert_failure 2
			assert_output --partial "copy_file_range needs a regular file"
			cmp "$T/before" "$A"
			continue
		fi
		assert_success
		assert_reported $((3 << 20))
		cmp "$want" "$A"
		# device to device, the whole of it: 4096-byte sectors on B.
		run "$ZCP" -m "$m" "$A" "$B"
		assert_success
		assert_reported "$DEV_BYTES"
		cmp "$A" "$B"
		# device to file, an unaligned range: DST is exactly that range.
		rm -f "$T/dst"
		run "$ZCP" -m "$m" --offset=4097 --count=1000001 "$B" "$T/dst"
		assert_success
		range "$B" 4097 1000001 | cmp - "$T/dst"
		[ "$(stat -c %s "$T/dst")" -eq 1000001 ]
	done
}

@test "unaligned --seek, --offset and --count on 512- and 4096-byte sectors" {
	mkdata "$T/src" 300000
	for m in auto rw splice sendfile aio io_uring; do
		for dev in "$A" "$B"; do
			for cell in "0 1 1" "1001 7 100003" "4095 4097 65537" "8388000 3 500"; do
				set -- $cell
				want=$(expect "$dev" "$1" "$T/src" "$2" "$3")
				run "$ZCP" -m "$m" --seek="$1" --offset="$2" --count="$3" "$T/src" "$dev"
				assert_success
				assert_reported "$3"
				cmp "$want" "$dev" || { echo "$m on $dev: seek $1 offset $2 count $3" >&2; return 1; }
			done
		done
	done
}

@test "past the end of a device: ENOSPC names DST, the bytes that fit are reported" {
	mkdata "$T/src" $((DEV_BYTES + 100000))
	for m in auto rw splice sendfile aio io_uring; do
		run "$ZCP" -m "$m" --seek=1000 "$T/src" "$B"
		assert_failure 1
		assert_output --partial "zcp: write $B: No space left on device"
		assert_reported $((DEV_BYTES - 1000))
		range "$T/src" 0 $((DEV_BYTES - 1000)) | cmp - <(range "$B" 1000 all)
	done
}

@test "--offset past the end of a device: SRC ended before it, nothing copied, exit 0" {
	for m in auto rw splice sendfile aio io_uring; do
		for o in $((DEV_BYTES + 1)) 1T; do
			rm -f "$T/dst"
			run --separate-stderr "$ZCP" -m "$m" -o "$o" "$A" "$T/dst"
			echo "$m -o $o: $stderr"
			assert_success
			[[ "$stderr" == "zcp: warning: '$A' ended $DEV_BYTES bytes into --offset=$(numfmt --from=iec "$o")"$'\n'"zcp: 0 bytes copied"* ]]
			size_is "$T/dst" 0
		done
	done
}

@test "aio and io_uring use direct I/O on a device, aligned to its sectors" {
	command -v strace >/dev/null || skip "no strace"
	mkdata "$T/src" $((2 << 20))
	for m in aio io_uring; do
		run strace -o "$T/trace" -e trace=openat "$ZCP" -v -m "$m" "$T/src" "$B"
		assert_success
		assert_output --partial "DST direct, 4096-byte aligned"
		grep -E 'openat\(.*O_WRONLY.*O_DIRECT' "$T/trace"
		range "$T/src" 0 all | cmp - <(range "$B" 0 $((2 << 20)))
		run strace -o "$T/trace" -e trace=openat "$ZCP" -v -m "$m" "$A" "$T/dst"
		assert_success
		assert_output --partial "SRC direct, 512-byte aligned"
		grep -E 'openat\(.*O_RDONLY.*O_DIRECT' "$T/trace"
		cmp "$A" "$T/dst"
	done
}
