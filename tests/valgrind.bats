#!/usr/bin/env bats
# valgrind memcheck over representative copies and errors: no memory
# error, no leak, and no descriptor left open at exit beyond 0, 1 and 2
# (--track-fds). Kept to a few cases: valgrind is slow.

load helper

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	# A sanitizer build cannot run under valgrind.
	if grep -qa __asan_init "$ZCP"; then
		skip "$ZCP is built with AddressSanitizer: valgrind cannot run it"
	fi
	mkdata "$T/src" 300000
}

# vg STATUS ZCP-ARG...: zcp under memcheck exits STATUS with no error
# and no descriptor of its own open at exit. Descriptors other than 0-2
# are closed first, so that any left open at exit are zcp's.
vg() {
	local want=$1
	shift
	run --separate-stderr bash -c 'for fd in /proc/$$/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --track-fds=yes \
			--log-file="$0" "$@"' "$T/vg.log" "$ZCP" "$@"
	echo "status $status; $stderr"
	cat "$T/vg.log"
	[ "$status" -eq "$want" ]
	# valgrind's own messages: only the descriptor table.
	! grep -v -e '^==[0-9]*== *$' -e 'FILE DESCRIPTORS' -e 'Open file descriptor' \
		-e '<inherited from parent>' "$T/vg.log" | grep -q . || false
	# Every descriptor open at exit was inherited, not opened by zcp.
	! grep -A1 'Open file descriptor' "$T/vg.log" | grep -q '  at 0x' || false
	grep -q 'FILE DESCRIPTORS: [0-9]* open (3 std)' "$T/vg.log"
}

@test "valgrind: file to file with rw, copy_file_range, splice and aio" {
	# io_uring is left out: memcheck cannot see its completions fill
	# the buffers, and reports them as uninitialised.
	for m in rw copy_file_range splice aio auto; do
		rm -f "$T/dst"
		vg 0 -m "$m" -b 64K "$T/src" "$T/dst"
		cmp "$T/src" "$T/dst"
	done
}

@test "valgrind: sendfile to a FIFO with -v, splice pipe to pipe with --json" {
	mkfifo "$T/fifo"
	cat "$T/fifo" > "$T/dst" &
	vg 0 -v -m sendfile "$T/src" "$T/fifo"
	wait
	cmp "$T/src" "$T/dst"
	run bash -c "cat '$T/src' | valgrind -q --error-exitcode=99 --leak-check=full --track-fds=yes --log-file='$T/vg2.log' '$ZCP' --json -m splice - - 3>&- | cat > '$T/dst'"
	assert_success
	cmp "$T/src" "$T/dst"
	! grep -A1 'Open file descriptor' "$T/vg2.log" | grep -q '  at 0x' || false
}

@test "valgrind: a TCP listener, and runtime errors" {
	timeout 60 valgrind -q --error-exitcode=99 --leak-check=full --track-fds=yes \
		--log-file="$T/vg3.log" "$ZCP" tcp-listen:0 "$T/dst" 2>"$T/lerr" 3>&- &
	pid=$!
	port=$(wait_port "$T/lerr")
	timeout 20 "$ZCP" -q "$T/src" "tcp:127.0.0.1:$port"
	wait "$pid"
	cmp "$T/src" "$T/dst"
	! grep -A1 'Open file descriptor' "$T/vg3.log" | grep -q '  at 0x' || false
	vg 1 "$T/nope" "$T/dst"
	[[ "$stderr" == *"zcp: read $T/nope: No such file or directory" ]]
	vg 1 -m rw "$T/src" /dev/full
	[[ "$stderr" == *"zcp: write /dev/full: No space left on device" ]]
	vg 2 --flags=bogus -m splice "$T/src" "$T/dst"
}
