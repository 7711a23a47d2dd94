#!/usr/bin/env bats
# Fault injection: strace makes the system calls of each method's copy
# loop fail (EIO, ENOSPC, EINTR, EAGAIN, ENOSYS, EINVAL) at the first, a
# middle and the last call; then peers that reset, stall or dribble,
# odd sources, signals mid-copy and a file system that fills up. Each
# case checks the exit status, the message, the reported bytes and the
# bytes themselves.

load helper

SIZE=1000000	# not a multiple of any block: the last call is short

setup() {
	mkdata "$T/src" "$SIZE"
}

# traced TRACE STRACE-ARG... -- ZCP-ARG...: runs zcp under strace -f into
# TRACE, with SIGUSR1 ignored so that no progress thread starts: the main
# thread's calls are then all that strace counts for when=N.
traced() {
	local out=$1 sargs=()
	shift
	while [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	shift
	run --separate-stderr bash -c 'trap "" USR1; exec "$@"' _ \
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -s 0 -o "$out" "${sargs[@]}" "$ZCP" "$@"
}

# fdof TRACE PATH: the descriptor the traced zcp opened PATH as.
fdof() {
	awk -v p="\"$2\"" 'index($0, "openat(") && index($0, p) && $NF ~ /^[0-9]+$/ { print $NF; exit }' "$1"
}

# pick TRACE SYSCALL MATCH WHICH DELIVER: finds the first, middle or last
# (WHICH) call of SYSCALL in TRACE whose text matches the regex MATCH,
# once SRC is open (before, the loader reads libraries).
# Prints two numbers: its place among all SYSCALL calls of the main
# thread (strace's when=), and the bytes the calls matching DELIVER
# returned before it (what reached DST).
pick() {
	awk -v s="$2(" -v m="$3" -v which="$4" -v d="$5" -v src="\"$T/src\"" '
	NR == 1 { pid = $1 }
	$1 != pid { next }
	{ sub(/^[0-9]+ +/, "") }
	index($0, "openat(") && index($0, src) { open = 1 }
	index($0, s) == 1 {
		n++
		if (open && $0 ~ m) { k++; idx[k] = n; at[k] = NR }
	}
	d != "" && $0 ~ d { dl[NR] = $NF + 0 }
	END {
		if (!k) { print "no call matches " m > "/dev/stderr"; exit 1 }
		j = which == "first" ? 1 : which == "last" ? k : int((k + 1) / 2)
		for (l in dl) if (l + 0 < at[j]) sum += dl[l]
		print idx[j], sum + 0
	}' "$1"
}

# reported N: the report says N bytes copied, and nothing read but not
# written: SRC is a file, which gets back what a buffer or a pipe held.
reported() {
	local first
	first=$(grep -m1 ' copied, ' <<< "$stderr")
	[[ "$first" == "zcp: $1 byte"*" copied, "* ]] || { echo "want $1 bytes in: $stderr"; return 1; }
	[[ "$first" != *"not written"* ]] || { echo "unexpected pending: $first"; return 1; }
}

# holds N: DST is exactly the first N bytes of SRC; at 0, the DST that
# zcp created is gone again.
holds() {
	if [ "$1" -eq 0 ]; then
		[ ! -e "$T/dst" ] || { echo "dst is there, with nothing reported"; return 1; }
		return 0
	fi
	[ "$(stat -c %s "$T/dst")" -eq "$1" ] || { echo "dst has $(stat -c %s "$T/dst") bytes, want $1"; return 1; }
	range "$T/src" 0 "$1" | cmp - "$T/dst"
}

# says MESSAGE: the last line of stderr is MESSAGE.
says() {
	[ "${stderr##*$'\n'}" = "$1" ] || { echo "want '$1', got: $stderr"; return 1; }
}

# The calls of each method's copy loop, file to file, SRC and DST as
# descriptors $S and $D: READ and WRITE are "SYSCALL REGEX" for the calls
# that read SRC and write DST, DELIVER the regex of the calls whose
# results reached DST (empty: strace cannot see them).
loop_calls() {
	case $1 in
	rw)	READ="read ^read\\($S,"; WRITE="write ^write\\($D,"
		DELIVER="^write\\($D," ;;
	splice)	READ="splice ^splice\\($S,"
		WRITE="splice ^splice\\([0-9]+, NULL, $D,"
		DELIVER="^splice\\([0-9]+, NULL, $D," ;;
	sendfile)
		READ="sendfile ^sendfile\\($D, $S,"; WRITE=$READ
		DELIVER="^sendfile\\($D, $S," ;;
	copy_file_range)
		READ="copy_file_range ^copy_file_range\\($S, NULL, $D,"
		WRITE=$READ; DELIVER="^copy_file_range\\($S, NULL, $D," ;;
	aio)	READ="io_submit ."; WRITE="io_submit ."; DELIVER= ;;
	io_uring)
		READ="io_uring_enter ."; WRITE="io_uring_enter ."; DELIVER= ;;
	esac
}

# Options that make each loop take many calls over SIZE bytes.
OPTS="-b 64K -d 2"

# clean_run METHOD: a run without faults, traced, to count the calls;
# sets S and D and the loop's calls.
clean_run() {
	rm -f "$T/dst"
	traced "$T/clean" -- -m "$1" $OPTS "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	S=$(fdof "$T/clean" "$T/src")
	D=$(fdof "$T/clean" "$T/dst")
	[ -n "$S" ] && [ -n "$D" ]
	loop_calls "$1"
}

# fault_case METHOD ERRNO WHICH CALLS MESSAGE: injects ERRNO at the WHICH
# call among CALLS ("SYSCALL REGEX") and checks exit 1, MESSAGE, the
# report and DST against the clean run. For the asynchronous methods,
# whose writes strace cannot count, DST must hold what was reported; how
# often they enter the kernel depends on timing, so a middle call is
# taken early and every call from there fails ("when=N+").
fault_case() {
	local m=$1 err=$2 which=$3 sys=${4%% *} re=${4#* } msg=$5
	local when want n plus=
	read -r when want < <(pick "$T/clean" "$sys" "$re" "$which" "$DELIVER")
	if [ -z "$DELIVER" ] && [ "$which" = middle ]; then
		when=$(( when / 2 > 2 ? when / 2 : 2 ))
		plus=+
	fi
	rm -f "$T/dst"
	traced "$T/trace" --seccomp-bpf -e trace="$sys" -e inject="$sys:error=$err:when=$when$plus" -- -m "$m" $OPTS "$T/src" "$T/dst"
	echo "$m $err at $which $sys (when=$when$plus): status $status"
	assert_failure 1
	[ -z "$output" ]
	says "$msg"
	if [ -n "$DELIVER" ]; then
		reported "$want"
		holds "$want"
	else
		n=$(sed -n '1s/^zcp: \([0-9]*\) byte.*/\1/p' <<< "$stderr")
		[ -n "$n" ]
		[ "$which" != first ] || [ "$n" -eq 0 ]
		holds "$n"
	fi
}

@test "EIO reading and ENOSPC writing, at the first, a middle and the last call, every method" {
	local rd wr rmsg wmsg
	for m in $(methods); do
		clean_run "$m"
		for which in first middle last; do
			rd=$READ wr=$WRITE
			rmsg="zcp: read $T/src: Input/output error"
			wmsg="zcp: write $T/dst: No space left on device"
			case $m:$which in
			aio:last | io_uring:last)
				# The unaligned end goes through the page cache.
				rd="pread64 ^pread64\\($S,"
				wr="pwritev2 ^pwritev2\\($D," ;;
			aio:* | io_uring:*)
				# The request interface fails, not a side.
				rmsg="zcp: method $m: Input/output error"
				wmsg="zcp: method $m: No space left on device" ;;
			esac
			fault_case "$m" EIO "$which" "$rd" "$rmsg"
			fault_case "$m" ENOSPC "$which" "$wr" "$wmsg"
		done
	done
}

# ok_case METHOD SYSCALL WHEN ERRNO: ERRNO injected at call WHEN of
# SYSCALL is waited out or retried: exit 0, every byte once.
ok_case() {
	rm -f "$T/dst"
	traced "$T/trace" -e inject="$2:error=$4:when=$3" -- -m "$1" $OPTS "$T/src" "$T/dst"
	echo "$1 $4 at $2 call $3: status $status"
	assert_success
	reported "$SIZE"
	cmp "$T/src" "$T/dst"
	# The fault did happen.
	grep -q "$4 (.*(INJECTED)" "$T/trace"
}

@test "EINTR is retried and EAGAIN waited out, in every method's loop" {
	local when sys re
	for m in $(methods); do
		clean_run "$m"
		for err in EINTR EAGAIN; do
			specs=("$READ")
			[ "$READ" = "$WRITE" ] || specs+=("$WRITE")
			for spec in "${specs[@]}"; do
				sys=${spec%% *} re=${spec#* }
				case $m in
				aio) sys=io_getevents re=. ;;
				esac
				read -r when _ < <(pick "$T/clean" "$sys" "$re" middle "")
				case $m in
				aio | io_uring) when=$(( when / 3 + 1 )) ;;
				esac
				ok_case "$m" "$sys" "$when" "$err"
			done
		done
		# Asynchronous submission interrupted, or short of
		# resources with nothing in flight: submitted again.
		case $m in
		aio)	ok_case aio io_submit 2 EINTR
			ok_case aio io_submit 1 EAGAIN ;;
		io_uring)
			ok_case io_uring io_uring_enter 1 EAGAIN ;;
		esac
	done
}

# A DST that exists before the copy, to show that it is left alone.
old_dst() {
	mkdata "$T/dst" 5000
	cp "$T/dst" "$T/old"
}

# refused METHOD MESSAGE INJECT...: a named method whose first call fails
# with an errno that means "not here": exit 1 naming the method and the
# reason, nothing copied, DST as it was.
refused() {
	local m=$1 msg=$2 inj=()
	shift 2
	for i in "$@"; do
		inj+=(-e "inject=$i")
	done
	old_dst
	traced "$T/trace" "${inj[@]}" -- -m "$m" $OPTS "$T/src" "$T/dst"
	echo "$m with ${inj[*]}: status $status"
	assert_failure 1
	says "zcp: method $m: $msg"
	reported 0
	cmp "$T/old" "$T/dst"
}

@test "ENOSYS or EINVAL at the first call: a named method stops, DST untouched" {
	for err in ENOSYS EINVAL; do
		[ $err = ENOSYS ] && why="Function not implemented" || why="Invalid argument"
		refused copy_file_range "the kernel refused it: $why" copy_file_range:error=$err:when=1
		refused sendfile "the kernel refused it: $why" sendfile:error=$err:when=1
		refused splice "the kernel refused it: $why" splice:error=$err:when=1
		# DST refuses the first bytes: they go back to SRC.
		refused splice "the kernel refused it: $why" splice:error=$err:when=2
		refused aio "the kernel refused it: $why" io_setup:error=$err:when=1
		refused io_uring "the kernel refused it: $why" io_uring_setup:error=$err:when=1
	done
	# rw has nothing to fall back to: a failing read is a read error.
	clean_run rw
	read -r when _ < <(pick "$T/clean" read "^read\\($S," first "")
	old_dst
	traced "$T/trace" -e inject=read:error=ENOSYS:when="$when" -- -m rw "$T/src" "$T/dst"
	assert_failure 1
	says "zcp: read $T/src: Function not implemented"
	reported 0
	cmp "$T/old" "$T/dst"
}

# fallback INJECT... -- ZCP-ARGS: auto, with each INJECT, still copies
# SRC to DST exactly; prints the -v lines.
fallback() {
	local inj=()
	while [ "$1" != -- ]; do
		inj+=(-e "inject=$1")
		shift
	done
	shift
	rm -f "$T/dst"
	traced "$T/trace" "${inj[@]}" -- -v "$@" "$T/src" "$T/dst"
	echo "${inj[*]}: status $status; $stderr"
	assert_success
	reported "$SIZE"
	cmp "$T/src" "$T/dst"
	grep -q "(INJECTED)" "$T/trace"
}

@test "ENOSYS or EINVAL at the first call: auto falls back, no byte lost or repeated" {
	for err in ENOSYS EINVAL; do
		fallback copy_file_range:error=$err:when=1 -- $OPTS
		[[ "$stderr" == *"method sendfile"* ]]
		fallback copy_file_range:error=$err sendfile:error=$err -- $OPTS
		[[ "$stderr" == *"method splice"* ]]
		# splice moved the first block into its pipe before DST refused.
		fallback copy_file_range:error=$err sendfile:error=$err splice:error=$err:when=2 -- $OPTS
		[[ "$stderr" == *"method rw"* ]]
		fallback io_uring_setup:error=$err -- --direct $OPTS
		[[ "$stderr" == *"method aio"* ]]
		# With --direct, not on to buffered I/O: DST not created.
		rm -f "$T/dst"
		traced "$T/trace" -e inject=io_uring_setup:error=$err -e inject=io_setup:error=$err -- --direct $OPTS "$T/src" "$T/dst"
		assert_failure 1
		[[ "$stderr" == *"zcp: method auto: the kernel refused io_uring and aio, and --direct asks for one of them" ]]
		[ ! -e "$T/dst" ]
	done
}

# listener METHOD: starts "zcp -m METHOD tcp-listen:0 $T/dst" in the
# background, its stderr in $T/lerr; sets zpid and port.
listener() {
	rm -f "$T/dst"
	timeout 20 "$ZCP" -m "$1" tcp-listen:0 "$T/dst" 2>"$T/lerr" 3>&- &
	zpid=$!
	port=$(wait_port "$T/lerr")
}

# At 0 bytes sent, holds also checks that the DST zcp created is gone.
@test "a sending peer that resets the connection: read error, DST holds what was reported, or is gone if nothing was" {
	for sent in 300000 0; do
		for m in $(methods) auto; do
			serves "$m" socket file || continue
			listener "$m"
			RESET=1 peer send "$port" "$T/src" "$sent" 65536
			st=0
			wait "$zpid" || st=$?
			stderr=$(cat "$T/lerr")
			echo "$m, $sent sent: status $st: $stderr"
			[ "$st" -eq 1 ]
			says "zcp: read tcp-listen:0: Connection reset by peer"
			n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' "$T/lerr")
			[ -n "$n" ] && [ "$n" -le "$sent" ]
			holds "$n"
		done
	done
}

@test "a receiving peer that resets the connection: write error, the bytes it got are SRC's" {
	mkdata "$T/src" 20000000
	for m in $(methods) auto; do
		serves "$m" file socket || continue
		rm -f "$T/got" "$T/port"
		PORTFILE=$T/port peer reset-after 200000 "$T/got" 3>&- &
		ppid=$!
		wait_path "$T/port"
		run --separate-stderr timeout 20 "$ZCP" -m "$m" "$T/src" "tcp:127.0.0.1:$(cat "$T/port")"
		wait "$ppid"
		echo "$m: status $status: $stderr"
		assert_failure 1
		[[ "${stderr##*$'\n'}" =~ ^"zcp: write tcp:127.0.0.1:"[0-9]+": "(Connection reset by peer|Broken pipe)$ ]]
		n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' <<< "$stderr")
		[ "$n" -ge 200000 ] && [ "$n" -lt 20000000 ]
		[ "$(stat -c %s "$T/got")" -eq 200000 ]
		range "$T/src" 0 200000 | cmp - "$T/got"
	done
}

@test "a peer that stops reading: zcp waits; SIGTERM gives the report and death by the signal" {
	truncate -s 200M "$T/big"
	for m in rw sendfile splice; do
		rm -f "$T/port"
		PORTFILE=$T/port peer stall 3>&- &
		ppid=$!
		wait_path "$T/port"
		env --default-signal=INT,TERM timeout 20 "$ZCP" -m "$m" "$T/big" "tcp:127.0.0.1:$(cat "$T/port")" 2>"$T/err" 3>&- &
		tpid=$!
		zpid=$(pid_of_child "$tpid")
		sleep 0.5
		# Blocked in the kernel, not finished and not spinning.
		kill -0 "$zpid"
		[[ "$(cat /proc/"$zpid"/stat)" =~ \)\ S ]]
		kill -TERM "$zpid"
		st=0
		wait "$tpid" || st=$?
		touch "$T/port.stop"
		wait "$ppid"
		rm "$T/port.stop"
		echo "$m: status $st: $(cat "$T/err")"
		[ "$st" -eq 143 ]
		grep -qE '^zcp: [0-9]+ bytes \(.*\) copied' "$T/err"
		! grep -q 'zcp: write' "$T/err" || false
	done
}

@test "a peer that sends in tiny pieces: every byte, once, in order" {
	for m in $(methods) auto; do
		serves "$m" socket file || continue
		listener "$m"
		peer send "$port" "$T/src" 6000 13
		wait "$zpid"
		grep -q '^zcp: 6000 bytes' "$T/lerr"
		range "$T/src" 0 6000 | cmp - "$T/dst"
	done
}

@test "a non-blocking stdin is waited on with poll, not spun on" {
	for m in $(methods) auto; do
		serves "$m" pipe file || continue
		rm -f "$T/dst"
		run --separate-stderr bash -c '(sleep 0.3; cat "$1") |
			python3 -c "import fcntl, os, sys
fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execvp(sys.argv[1], sys.argv[1:])" "$2" -v -m "$3" - "$4"' _ "$T/src" "$ZCP" "$m" "$T/dst"
		echo "$m: $stderr"
		assert_success
		cmp "$T/src" "$T/dst"
		calls=$(sed -n 's/.*; \([0-9]*\) system calls.*/\1/p' <<< "$stderr")
		[ "$calls" -lt 500 ]
	done
}

# nonblocking CMD...: CMD, in place of the shell, with O_NONBLOCK set on
# stdin.
nonblocking() {
	exec python3 -c "import fcntl, os, sys
fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execvp(sys.argv[1], sys.argv[1:])" "$@"
}

@test "a wait on a non-blocking stdin: the stop signals are unblocked only inside ppoll; SIGINT ends it at once" {
	# SIGINT, SIGTERM and SIGHUP are blocked from before the check of
	# the flag until ppoll unblocks them atomically, so one that comes
	# just before the wait interrupts it rather than waiting for input.
	# (SIGUSR1 ignored: no progress thread in the trace.)
	(sleep 2; printf abc) 3>&- | (trap '' USR1; nonblocking timeout 20 env \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -o "$T/trace" -e trace=rt_sigprocmask,poll,ppoll \
		"$ZCP" -m rw - "$T/dst" 2>"$T/err")
	[ "$(cat "$T/dst")" = abc ]
	grep -q '^zcp: 3 bytes copied' "$T/err"
	grep -E '^rt_sigprocmask\(SIG_BLOCK, \[HUP INT TERM\]' "$T/trace"
	mask=$(sed -n 's/^ppoll(\[{fd=0, events=POLLIN}\], 1, NULL, \(.*\), 8).*/\1/p' "$T/trace")
	[ -n "$mask" ]
	! grep -qE 'INT|TERM|HUP' <<< "$mask" || false
	! grep -q '^poll(' "$T/trace" || false

	# And the signal, during the wait: the report, death by SIGINT.
	(sleep 5) 3>&- | nonblocking env --default-signal=INT,TERM \
		"$ZCP" -m rw - "$T/dst" 2>"$T/err" 3>&- &
	pid=$!
	watchdog 10 "$pid"
	# Asleep in its wait (sanitizer builds start slowly): asleep once
	# its handlers are set, not while it is still starting.
	wait_for catches "$pid" INT
	for i in $(seq 1 100); do
		[[ "$(cat /proc/"$pid"/stat 2>/dev/null)" =~ ^[0-9]+\ \(zcp\)\ S ]] && break
		sleep 0.05
	done
	[[ "$(cat /proc/"$pid"/stat)" =~ ^[0-9]+\ \(zcp\)\ S ]]
	kill -INT "$pid"
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	st=0
	! kill -0 "$pid" 2>/dev/null || { kill -9 "$pid"; st=timeout; }
	unwatch
	[ "$st" = 0 ]
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	grep -q '^zcp: 0 bytes copied' "$T/err"
}

@test "SIGINT just before a blocking read or splice: the call is interrupted, not left waiting for input" {
	# gdb stops zcp on entry to the call that reads the silent pipe and
	# delivers SIGINT there: the handler runs before the call blocks,
	# the window no check of the flag can close. The SIGALRM the handler
	# starts must interrupt the call; without it zcp waits for input.
	command -v gdb >/dev/null || skip "no gdb"
	mkfifo "$T/fifo"
	for m in rw splice; do
		call=$([ "$m" = rw ] && echo read || echo splice)
		sleep 20 > "$T/fifo" 3>&- &
		writer=$!
		start=$(date +%s)
		run timeout 15 env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			gdb -q -batch -ex 'handle SIGINT nostop noprint pass' \
			-ex "break $call if \$rdi == 0" -ex "run -m $m - '$T/dst' 2>'$T/err'" \
			-ex 'signal SIGINT' -ex delete -ex continue "$ZCP" < "$T/fifo"
		took=$(( $(date +%s) - start ))
		kill "$writer" 2>/dev/null || true
		wait "$writer" 2>/dev/null || true
		assert_output --partial "Program terminated with signal SIGINT"
		grep -q '^zcp: 0 bytes copied' "$T/err"
		[ "$took" -lt 10 ]
	done
}

@test "a terminal as SRC: lines as typed, to end of file" {
	for m in rw auto; do
		rm -f "$T/dst"
		printf 'hello\nworld\n\004' | script -qec "'$ZCP' -m $m - '$T/dst'" /dev/null
		[ "$(cat "$T/dst")" = $'hello\nworld' ]
		[ "$(stat -c %s "$T/dst")" -eq 12 ]
	done
	for m in splice; do
		run bash -c "printf 'x\n\004' | script -qec \"'$ZCP' -m $m - '$T/dst2'\" /dev/null"
		assert_failure 2
		assert_output --partial "splice cannot read from a terminal"
		[ ! -e "$T/dst2" ]
	done
}

# started FILE: waits until FILE has bytes: the copy has begun.
started() {
	local i
	for i in $(seq 1 250); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	echo "$1 stayed empty" >&2
	return 1
}

# The call each method's loop makes once per block, file to file.
loop_syscall() {
	case $1 in
	rw) echo read ;;
	aio) echo io_submit ;;
	io_uring) echo io_uring_enter ;;
	*) echo "$1" ;;
	esac
}

@test "a SRC that shrinks during the copy: a prefix of the old SRC, reported exactly" {
	for m in $(methods); do
		mkdata "$T/src" "$SIZE"
		cp "$T/src" "$T/orig"
		rm -f "$T/dst"
		sys=$(loop_syscall "$m")
		# Each block waits 30 ms: SRC is cut to a half while the copy runs.
		( trap '' USR1; exec env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null \
			-e inject="$sys:delay_enter=30000:when=2+" \
			"$ZCP" -m "$m" -b 64K -d 1 "$T/src" "$T/dst" ) 2>"$T/err" 3>&- &
		spid=$!
		started "$T/dst"
		sleep 0.05
		truncate -s 500000 "$T/src"
		wait "$spid"
		n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' "$T/err")
		echo "$m: $(cat "$T/err")"
		[ "$n" -ge 500000 ] && [ "$n" -le "$SIZE" ]
		[ "$(stat -c %s "$T/dst")" -eq "$n" ]
		range "$T/orig" 0 "$n" | cmp - "$T/dst"
	done
}

@test "SIGINT and SIGTERM mid-copy, every method: the report, DST holds it, death by the signal" {
	for m in $(methods); do
		for sig in INT TERM; do
			rm -f "$T/dst"
			sys=$(loop_syscall "$m")
			( trap '' USR1; exec env --default-signal=INT,TERM ASAN_OPTIONS=detect_leaks=0 \
				strace -f -qq -o /dev/null -e inject="$sys:delay_enter=50000:when=3+" \
				"$ZCP" -m "$m" -b 64K -d 1 "$T/src" "$T/dst" ) 2>"$T/err" 3>&- &
			spid=$!
			zpid=$(pid_of_child "$spid")
			started "$T/dst"
			sleep 0.1
			kill -"$sig" "$zpid"
			st=0
			wait "$spid" || st=$?
			echo "$m $sig: status $st: $(cat "$T/err")"
			[ "$st" -eq $((128 + $(kill -l "$sig"))) ]
			n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' "$T/err")
			[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt "$SIZE" ]
			holds "$n"
		done
	done
}

@test "a tmpfs that fills up: No space left on device, DST holds what was reported" {
	if ! unshare -Urm true 2>/dev/null; then
		skip "no user namespaces here (unshare -Urm fails): cannot mount a small tmpfs"
	fi
	mkdir "$T/mnt"
	for m in $(methods) auto; do
		rm -f "$T/got" "$T/err"
		# SRC and DST share the 2 MiB file system: 1.5 MB and what fits.
		mkdata "$T/big" 1500000
		unshare -Urm bash -c '
			mount -t tmpfs -o size=2m none "$1" || exit 99
			head -c 1500000 "$2" > "$1/src"
			"$3" -m "$4" "$1/src" "$1/dst" 2> "$5/err"
			echo $? > "$5/status"
			cp "$1/dst" "$5/got"
			cp "$1/src" "$5/fullsrc"' _ "$T/mnt" "$T/big" "$ZCP" "$m" "$T"
		echo "$m: $(cat "$T/status"): $(cat "$T/err")"
		[ "$(cat "$T/status")" -eq 1 ]
		grep -qx "zcp: write $T/mnt/dst: No space left on device" "$T/err"
		n=$(sed -n 's/^zcp: \([0-9]*\) byte.* copied, .*/\1/p' "$T/err")
		[ "$n" -gt 0 ] && [ "$n" -lt 1500000 ]
		[ "$(stat -c %s "$T/got")" -eq "$n" ]
		range "$T/fullsrc" 0 "$n" | cmp - "$T/got"
	done
}

@test "rw: the bytes a pipe SRC delivered just before a stop signal reach a file DST, then death by the signal" {
	# strace holds the read that returns the pipe's bytes for 3 s at its
	# exit; SIGTERM comes meanwhile and is handled as the read returns
	# them. A file's write does not wait, and the pipe cannot give them
	# again: they are written and reported, and then zcp stops.
	mkfifo "$T/fifo"
	(printf abc; exec sleep 1) > "$T/fifo" 3>&- &
	traced "$T/clean" -e trace=read -- -m rw - "$T/dst" < "$T/fifo"
	assert_success
	# Which read of the main thread returns them.
	when=$(awk 'NR == 1 { pid = $1 } $1 != pid { next }
		{ sub(/^[0-9]+ +/, "") } /^read\(/ { n++ }
		/^read\(0, / && $NF == 3 { print n; exit }' "$T/clean")
	[ -n "$when" ]
	rm -f "$T/dst"
	(printf abc; exec sleep 10) > "$T/fifo" 3>&- &
	wpid=$!
	(trap '' USR1; exec env --default-signal=INT,TERM \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o /dev/null -e trace=read \
		-e inject=read:delay_exit=3000000:when="$when" \
		"$ZCP" -m rw - "$T/dst") < "$T/fifo" 2>"$T/err" 3>&- &
	spid=$!
	zpid=$(pid_of_child "$spid")
	wait_path "$T/dst"
	sleep 0.5
	kill -TERM "$zpid"
	st=0
	wait "$spid" || st=$?
	kill "$wpid"
	wait "$wpid" || true
	echo "status $st: $(cat "$T/err")"
	[ "$st" -eq 143 ]
	# The report, and no more: no error line after a signal, no bytes
	# read but not written.
	[ "$(wc -l < "$T/err")" -eq 1 ]
	grep -qE '^zcp: 3 bytes copied, [^;]*$' "$T/err"
	[ "$(cat "$T/dst")" = abc ]
}

@test "a write error leaves a handed SRC just past the bytes DST holds, every method: what follows reads the rest" {
	for m in $(methods); do
		rm -f "$T/dst" "$T/rest"
		case $m in
		rw) inject=write:error=ENOSPC:when=4 ;;
		# Calls alternate: into zcp's pipe, then out of it into DST.
		splice) inject=splice:error=ENOSPC:when=4 ;;
		sendfile | copy_file_range) inject=$m:error=ENOSPC:when=4 ;;
		aio) inject=io_submit:error=ENOSPC:when=4+ ;;
		io_uring) inject=io_uring_enter:error=ENOSPC:when=4+ ;;
		esac
		{
			traced "$T/trace" -e trace="${inject%%:*}" -e inject="$inject" -- \
				-m "$m" $OPTS - "$T/dst"
			cat > "$T/rest"
		} < "$T/src"
		echo "$m ($inject): status $status: $stderr"
		assert_failure 1
		grep -q INJECTED "$T/trace"
		n=$(sed -n '1s/^zcp: \([0-9]*\) byte.*/\1/p' <<< "$stderr")
		if [ "$n" -eq 0 ]; then
			# Nothing written (the queue's first requests failed):
			# the DST zcp created is gone again.
			[ ! -e "$T/dst" ]
			: > "$T/dst"
		fi
		[ "$(stat -c %s "$T/dst")" -eq "$n" ]
		cat "$T/dst" "$T/rest" | cmp - "$T/src"
	done
}
