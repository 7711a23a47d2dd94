#!/usr/bin/env bats
# splice into a device that discards (/dev/null) spreads a range that is
# in the page cache over one thread per CPU. Nothing arrives to compare,
# so these tests read the trace: the pieces the threads took from SRC
# tile the range, each byte once, and the report and SRC's position
# agree with them.

load helper

SIZE=$((40 * 1048576 + 12345))

setup() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: nothing to spread over"
	mkdata "$T/src" "$SIZE"
	cat "$T/src" > /dev/null
}

# spread_trace ARG...: runs zcp -v ARG... fd:0 /dev/null with SRC on
# descriptor 0, under strace -ff (a trace per thread, in $T/tr; with
# $inject, strace's -e inject= too); its stderr goes to $T/err, its
# status to $T/status. Then cat takes what SRC still holds into $T/rest.
spread_trace() {
	rm -rf "$T/tr"
	mkdir "$T/tr"
	{
		local st=0
		strace -ff -qq -e trace=splice ${inject:+-e inject="$inject"} \
			-o "$T/tr/t" "$ZCP" -v "$@" fd:0 /dev/null 2>"$T/err" || st=$?
		echo "$st" > "$T/status"
		cat > "$T/rest"
	} < "$T/src"
	cat "$T/err"
}

# tiles FROM TO: the splice calls that read descriptor 0 (SRC), in every
# thread's trace, took [FROM, TO) exactly once: no gap, no overlap.
# Calls without an offset read on from FROM at the descriptor's position.
tiles() {
	cat "$T"/tr/t.* | awk -v pos="$1" '
	/^splice\(0, / && $NF > 0 {
		if ($0 ~ /^splice\(0, NULL/) { print pos, pos + $NF; pos += $NF; next }
		o = $0; sub(/^splice\(0, \[/, "", o); sub(/\].*/, "", o)
		print o, o + $NF
	}' | sort -n | awk -v from="$1" -v to="$2" '
	NR == 1 && $1 != from { print "starts at " $1 ", want " from; bad = 1 }
	NR > 1 && $1 != end { print "gap or overlap at " end " / " $1; bad = 1 }
	{ end = $2 }
	END { if (end != to) { print "ends at " end ", want " to; bad = 1 } exit bad }'
}

# delivered: bytes the spliced calls from a pipe (no offsets on either
# side, not descriptor 0) delivered to DST, in every thread's trace.
delivered() {
	cat "$T"/tr/t.* | awk '/^splice\([1-9][0-9]*, NULL, [0-9]+, NULL/ && $NF > 0 { s += $NF } END { print s + 0 }'
}

# taken: bytes the calls reading SRC (descriptor 0) took.
taken() {
	cat "$T"/tr/t.* | awk '/^splice\(0, / && $NF > 0 { s += $NF } END { print s + 0 }'
}

@test "to /dev/null a cached range is spread over threads: each byte taken once, the count exact, SRC's position after it" {
	for m in splice auto; do
		spread_trace -m "$m" --offset=7 --count=$((33 * 1048576 + 5))
		[ "$(cat "$T/status")" -eq 0 ]
		grep -q "zcp: splice: .* spread over [0-9]* threads" "$T/err"
		grep -q "^zcp: $((33 * 1048576 + 5)) bytes (.*) copied" "$T/err"
		[ "$(ls "$T/tr" | wc -l)" -ge 2 ]
		tiles 7 $((7 + 33 * 1048576 + 5))
		range "$T/src" $((7 + 33 * 1048576 + 5)) all | cmp - "$T/rest"

		# To the end of SRC.
		spread_trace -m "$m" --offset=3
		[ "$(cat "$T/status")" -eq 0 ]
		grep -q "spread over" "$T/err"
		grep -q "^zcp: $((SIZE - 3)) bytes (.*) copied" "$T/err"
		tiles 3 "$SIZE"
		[ ! -s "$T/rest" ]
	done
}

@test "a SRC handed with O_DIRECT is spread from the page cache: its unaligned end read too, exit 0, the flag left as it was" {
	direct_here
	for m in splice auto; do
		for n in $((33 * 1048576 + 1)) ""; do
			run --separate-stderr odirect r "$T/src" "$ZCP" -v -m "$m" ${n:+--count=$n} FD /dev/null
			echo "$m ${n:-all}: $stderr"
			assert_success
			[[ "$stderr" == *"spread over"* ]]
			[[ "$stderr" == *"zcp: ${n:-$SIZE} bytes ("*") copied"* ]]
		done
	done
}

@test "a range that ends at the largest off_t (tmpfs allows it) is spread to its end" {
	shm_dir
	len=$((2 * SIZE))
	truncate -s "$OFF_MAX" "$shm/big"
	for at in $((OFF_MAX - len)) $((OFF_MAX - SIZE)); do
		dd if="$T/src" of="$shm/big" bs=1M seek="$at" oflag=seek_bytes conv=notrunc status=none
	done
	for m in splice auto; do
		run --separate-stderr "$ZCP" -v -m "$m" -o $((OFF_MAX - len)) "$shm/big" /dev/null
		echo "$m: $stderr"
		assert_success
		[[ "$stderr" == *"spread over"* ]]
		[[ "$stderr" == *"zcp: $len bytes ("*") copied"* ]]
	done
	# What arrives, through a pipe.
	"$ZCP" -q -o $((OFF_MAX - len)) "$shm/big" - | cmp - <(cat "$T/src" "$T/src")
}

@test "a range not in the page cache, or too small, is read in one stream" {
	sync "$T/src"
	dd if="$T/src" iflag=nocache count=0 status=none
	spread_trace -m splice
	[ "$(cat "$T/status")" -eq 0 ]
	! grep -q "spread over" "$T/err" || false
	grep -q "^zcp: $SIZE bytes (.*) copied" "$T/err"
	tiles 0 "$SIZE"

	cat "$T/src" > /dev/null
	spread_trace -m splice --count=$((31 * 1048576))
	[ "$(cat "$T/status")" -eq 0 ]
	! grep -q "spread over" "$T/err" || false
	tiles 0 $((31 * 1048576))
}

# A thread's splice fails; strace counts calls per thread, so the same
# call fails in every thread that gets that far. Each thread's calls
# alternate: SRC to its pipe (odd), its pipe to DST (even).
@test "a read error in a spread thread: exit 1, read side named, the count what reached DST" {
	inject=splice:error=EIO:when=9 spread_trace -m splice
	[ "$(cat "$T/status")" -eq 1 ]
	grep -q "^zcp: read fd:0: Input/output error" "$T/err"
	out=$(delivered)
	[ "$out" -gt 0 ] && [ "$out" -lt "$SIZE" ]
	[ "$(taken)" -eq "$out" ]
	grep -q "^zcp: $out bytes (.*) copied, [^;]*$" "$T/err"
	range "$T/src" "$out" all | cmp - "$T/rest"
}

@test "a write error in a spread thread: write side named, SRC left just past the bytes reported" {
	inject=splice:error=EIO:when=10 spread_trace -m splice
	[ "$(cat "$T/status")" -eq 1 ]
	grep -q "^zcp: write /dev/null: Input/output error" "$T/err"
	out=$(delivered)
	in=$(taken)
	[ "$out" -gt 0 ] && [ "$in" -gt "$out" ]
	# What the threads held went back to SRC: not lost, not reported.
	grep -q "^zcp: $out bytes (.*) copied, [^;]*$" "$T/err"
	range "$T/src" "$out" all | cmp - "$T/rest"
}

@test "SIGINT while threads splice: the report, the count, death by the signal" {
	( trap '' USR1; exec env --default-signal=INT,TERM ASAN_OPTIONS=detect_leaks=0 \
		strace -f -qq -o /dev/null -e inject=splice:delay_enter=20000:when=3+ \
		"$ZCP" -m splice "$T/src" /dev/null ) 2>"$T/err" 3>&- &
	spid=$!
	zpid=$(pid_of_child "$spid")
	# Until the spread has begun: zcp has a thread more.
	for _ in $(seq 250); do
		[ "$(ls /proc/"$zpid"/task 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.02
	done
	sleep 0.2
	kill -INT "$zpid"
	st=0
	wait "$spid" || st=$?
	cat "$T/err"
	[ "$st" -eq 130 ]
	n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' "$T/err")
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt "$SIZE" ]
}

@test "ThreadSanitizer: the threads of a spread and the progress line share the byte count without a data race" {
	tsan_build
	export TSAN_OPTIONS=halt_on_error=1:exitcode=66
	run --separate-stderr "$T/zcp-tsan" -v -m splice --progress=always "$T/src" /dev/null
	echo "$stderr"
	assert_success
	[[ "$stderr" == *"spread over"* ]]
	[[ "$stderr" == *"zcp: $SIZE bytes ("*") copied"* ]]
}
