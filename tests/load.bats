#!/usr/bin/env bats
# Load: many zcp at once for each method, a thousand short copies in a
# row under a low descriptor limit, and nothing left behind: no
# descriptor a copy does not need, no Linux AIO context.

load helper

# aio_nr_back START: /proc/sys/fs/aio-nr returns to START or below (other
# processes on the machine may hold contexts of their own for a moment).
aio_nr_back() {
	local i
	for i in $(seq 1 50); do
		[ "$(cat /proc/sys/fs/aio-nr)" -le "$1" ] && return 0
		sleep 0.1
	done
	echo "aio-nr is $(cat /proc/sys/fs/aio-nr), was $1" >&2
	return 1
}

@test "8 copies at once with each method: every one byte-exact, no AIO context left" {
	mkdata "$T/src" 2000000
	aio0=$(cat /proc/sys/fs/aio-nr)
	for m in $(methods); do
		pids=()
		for i in 1 2 3 4 5 6 7 8; do
			timeout 60 "$ZCP" -q -m "$m" -b 256K "$T/src" "$T/dst.$i" 3>&- &
			pids+=($!)
		done
		for p in "${pids[@]}"; do
			wait "$p"
		done
		for i in 1 2 3 4 5 6 7 8; do
			cmp "$T/src" "$T/dst.$i"
		done
		rm -f "$T"/dst.*
	done
	aio_nr_back "$aio0"
}

@test "a thousand short copies in a row under ulimit -n 32, the methods in turn" {
	mkdata "$T/src" 3000
	aio0=$(cat /proc/sys/fs/aio-nr)
	# Into one pipe, so that a lost, repeated or failed copy shows.
	# A sanitizer build takes tens of milliseconds to start: a quarter
	# as many there, to stay within the suite's time.
	n=1000
	! grep -qa __asan_init "$ZCP" || n=250
	for i in $(seq 1 "$n"); do cat "$T/src"; done > "$T/want"
	run bash -c 'ulimit -n 32 || exit 99
		# aio and io_uring cost tens of milliseconds to set up and
		# tear down: one copy in fifty each.
		ms=(rw splice sendfile auto)
		for i in $(seq 0 $(($4 - 1))); do
			m=${ms[i % 4]}
			[ $((i % 50)) -ne 1 ] || m=aio
			[ $((i % 50)) -ne 26 ] || m=io_uring
			"$1" -q -m "$m" "$2" - || { echo "copy $i ($m) failed" >&2; exit 1; }
		done | cmp - "$3"' _ "$ZCP" "$T/src" "$T/want" "$n"
	assert_success
	aio_nr_back "$aio0"
}

# census PID: the descriptors PID holds beyond 0-2, one "fd -> target" a
# line.
census() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "${fd##*/}" -gt 2 ] || continue
		echo "${fd##*/} -> $(readlink "$fd")"
	done
}

@test "mid-copy, a zcp holds SRC, DST and its method's own descriptors, nothing else" {
	mkdata "$T/src" 20000000
	for m in rw splice sendfile aio io_uring auto fallback; do
		args=(-m "$m")
		pre=()
		if [ "$m" = fallback ]; then
			# auto passes over splice (refused after its first call)
			# and sendfile, then copies with rw.
			args=()
			pre=(env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null
				-e inject=splice:error=EINVAL -e inject=sendfile:error=ENOSYS)
		fi
		# DST is a FIFO whose reader takes 1 MB and then stops.
		rm -f "$T/fifo" "$T/got"
		mkfifo "$T/fifo"
		( head -c 1000000 > "$T/got"; exec sleep 20 ) < "$T/fifo" 3>&- &
		rpid=$!
		# Only 0, 1 and 2 are handed down.
		bash -c 'for fd in /proc/$$/fd/*; do
				fd=${fd##*/}
				[ "$fd" -gt 2 ] && eval "exec $fd>&-"
			done
			trap "" USR1
			exec "$@"' _ "${pre[@]}" "$ZCP" -q "${args[@]}" "$T/src" "$T/fifo" &
		zpid=$!
		if [ "$m" = fallback ]; then
			# zcp is strace's child.
			spid=$zpid zpid=
			for i in $(seq 1 100); do
				zpid=$(pgrep -P "$spid" | head -1)
				[ -z "$zpid" ] || break
				sleep 0.02
			done
		fi
		for i in $(seq 1 100); do
			[ "$(stat -c %s "$T/got" 2>/dev/null || echo 0)" -ge 1000000 ] && break
			sleep 0.05
		done
		sleep 0.2
		census "$zpid" > "$T/fds"
		echo "$m:"; cat "$T/fds"
		kill "$zpid" "$rpid"
		wait "${spid:-$zpid}" "$rpid" || true
		range "$T/src" 0 1000000 | cmp - "$T/got"
		# SRC (once more, O_DIRECT, for aio and io_uring), DST, and an
		# io_uring ring; no pipe of its own, no socket, nothing else.
		! grep -v -e " -> $T/src\$" -e " -> $T/fifo\$" -e 'anon_inode:\[io_uring\]' "$T/fds" || false
		[ "$(grep -c " -> $T/fifo\$" "$T/fds")" -eq 1 ]
		case $m in
		aio | io_uring) [ "$(grep -c " -> $T/src\$" "$T/fds")" -le 2 ] ;;
		*) [ "$(grep -c " -> $T/src\$" "$T/fds")" -eq 1 ] ;;
		esac
	done
}
