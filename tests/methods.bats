#!/usr/bin/env bats
# The kernel paths (splice, sendfile, copy_file_range) and auto: every
# method forced with --method over every pair of endpoints it serves, with
# offsets and counts, against dd; then the cases that trip zero-copy calls
# up (O_APPEND, /dev/full, /proc, growing and slow sources, non-blocking
# descriptors) and explicit methods that cannot serve a pair.

load helper

setup() {
	set -o pipefail
	PIPE_MAX=$(cat /proc/sys/fs/pipe-max-size 2>/dev/null || echo 1048576)
}

# Starts zcp -m rw receiving from $1 (tcp-listen:0 or unix-listen:PATH)
# into $2, bounded by timeout; sets RPID and, for TCP, PORT.
receiver() {
	rm -f "$T/rerr"		# else a stale port may be read before it is truncated
	timeout 30 "$ZCP" -q -m rw "$1" "$2" 2>"$T/rerr" 3>&- &
	RPID=$!
	if [[ $1 == tcp-listen:* ]]; then
		PORT=$(wait_port "$T/rerr")
	else
		wait_path "${1#unix-listen:}"
	fi
}

# Starts zcp -m rw sending $T/src to $1 once it exists (a unix path) or
# once PORT is known from $T/lerr; sets SPID.
sender() {
	if [[ $1 == unix:* ]]; then
		wait_path "${1#unix:}"
		timeout 30 "$ZCP" -q -m rw "$T/src" "$1" 3>&- &
	else
		PORT=$(wait_port "$T/lerr")
		timeout 30 "$ZCP" -q -m rw "$T/src" "tcp:127.0.0.1:$PORT" 3>&- &
	fi
	SPID=$!
}

# xfer PAIR M ARGS...: copies $T/src to $T/out through PAIR with
# zcp -m M ARGS (offset and count options); fails if any part fails.
xfer() {
	local pair=$1 m=$2 rc=0
	shift 2
	rm -f "$T/out" "$T/sock" "$T/lerr"
	case $pair in
	file-file) "$ZCP" -q -m "$m" "$@" "$T/src" "$T/out" ;;
	file-pipe) "$ZCP" -q -m "$m" "$@" "$T/src" - | cat > "$T/out" ;;
	pipe-file) { cat "$T/src" || :; } | "$ZCP" -q -m "$m" "$@" - "$T/out" ;;
	pipe-pipe) { cat "$T/src" || :; } | "$ZCP" -q -m "$m" "$@" - - | cat > "$T/out" ;;
	file-tcp | pipe-tcp | file-unix)
		if [ "$pair" = file-unix ]; then
			receiver "unix-listen:$T/sock" "$T/out"
			set -- "$@" "unix:$T/sock"
		else
			receiver tcp-listen:0 "$T/out"
			set -- "$@" "tcp:127.0.0.1:$PORT"
		fi
		if [ "$pair" = pipe-tcp ]; then
			{ cat "$T/src" || :; } | "$ZCP" -q -m "$m" "${@:1:$#-1}" - "${@: -1}" || rc=1
		else
			"$ZCP" -q -m "$m" "${@:1:$#-1}" "$T/src" "${@: -1}" || rc=1
		fi
		wait "$RPID" || rc=1
		return $rc ;;
	tcp-file | tcp-pipe | unix-file)
		local lpid
		if [ "$pair" = unix-file ]; then
			timeout 30 "$ZCP" -q -m "$m" "$@" "unix-listen:$T/sock" "$T/out" 3>&- &
			lpid=$!
			sender "unix:$T/sock"
		elif [ "$pair" = tcp-file ]; then
			timeout 30 "$ZCP" -m "$m" "$@" tcp-listen:0 "$T/out" 2>"$T/lerr" 3>&- &
			lpid=$!
			sender tcp
		else
			{ timeout 30 "$ZCP" -m "$m" "$@" tcp-listen:0 - 2>"$T/lerr" |
				cat > "$T/out"; } 3>&- &
			lpid=$!
			sender tcp
		fi
		# With a count the listener may close while the sender still
		# writes: only the listener's status and the bytes count.
		wait "$SPID" || :
		wait "$lpid" || rc=1
		return $rc ;;
	file-null)
		local err size want
		err=$("$ZCP" -m "$m" "$@" "$T/src" /dev/null 2>&1) || return 1
		# Nothing to compare at /dev/null: the count must be exact.
		size=$(stat -c %s "$T/src")
		want=$((size > ${OFF:-0} ? size - ${OFF:-0} : 0))
		[ "${CNT:-all}" = all ] || want=$((want < CNT ? want : CNT))
		# Past SRC's end, dd's warning comes first.
		[[ $err == "zcp: $want byte"* ||
			( $OFF -gt $size && $err == "zcp: warning: "*$'\n'"zcp: $want byte"* ) ]] ;;
	esac
}

SKIPPED=

# cells PAIR SRCKIND DSTKIND: the matrix for one pair over every method:
# sizes with no offset, then offsets and counts on a file larger than
# the largest pipe. Cells a method cannot serve are listed as skipped.
cells() {
	local pair=$1 m size oc
	local big=$((PIPE_MAX + 4097))
	local sizes="0 1 65535 65536 65537 $big"
	local ocs="1:all 0:1 1:1 300000:500000 $((big - 1)):all 5:$big $big:all
		$((big + 10)):all $((big + 10)):3"
	# A socket costs a listener per cell: fewer cells, the same edges.
	if [[ $pair == *tcp* || $pair == *unix* ]]; then
		sizes="0 1 65537 $big"
		ocs="1:all 0:1 300000:500000 5:$big $((big + 10)):all"
	fi
	for m in $(methods) auto; do
		if ! serves "$m" "$2" "$3"; then
			echo "# skipped $pair with $m: $m cannot serve $2 to $3" >&3
			continue
		fi
		for size in $sizes; do
			mkdata "$T/src" "$size"
			OFF=0 CNT=all xfer "$pair" "$m" ||
				fail "$pair, $m, size $size: zcp failed"
			[ "$pair" = file-null ] && continue
			cmp "$T/src" "$T/out" ||
				fail "$pair, $m, size $size: bytes differ"
		done
		for oc in $ocs; do
			range_cell "$pair" "$m" "$oc"
		done
	done
}

# range_cell PAIR METHOD OFFSET:COUNT: $T/src's range (COUNT "all": to
# the end) through PAIR with METHOD, compared with what dd gives.
range_cell() {
	local pair=$1 m=$2 oc=$3 OFF CNT args
	OFF=${oc%%:*} CNT=${oc#*:}
	args=(--offset="$OFF")
	[ "$CNT" = all ] || args+=(--count="$CNT")
	OFF=$OFF CNT=$CNT xfer "$pair" "$m" "${args[@]}" ||
		fail "$pair, $m, offset:count $oc: zcp failed"
	[ "$pair" = file-null ] && return 0
	range "$T/src" "$OFF" "$CNT" | cmp - "$T/out" ||
		fail "$pair, $m, offset:count $oc: bytes differ"
}

@test "matrix: file to file" { cells file-file file file; }
@test "matrix: file to pipe" { cells file-pipe file pipe; }
@test "matrix: pipe to file" { cells pipe-file pipe file; }
@test "matrix: pipe to pipe" { cells pipe-pipe pipe pipe; }
@test "matrix: file to TCP" { cells file-tcp file socket; }
@test "matrix: pipe to TCP" { cells pipe-tcp pipe socket; }
@test "matrix: TCP to file" { cells tcp-file socket file; }
@test "matrix: TCP to pipe" { cells tcp-pipe socket pipe; }
@test "matrix: file to Unix socket" { cells file-unix file socket; }
@test "matrix: Unix socket to file" { cells unix-file socket file; }
@test "matrix: file to /dev/null (the reported count)" { cells file-null file chr; }

@test "matrix: 100 MiB through each method's own pair" {
	mkdata "$T/src" 100M
	for pm in file-file:copy_file_range file-tcp:sendfile pipe-pipe:splice \
		file-pipe:auto pipe-file:auto; do
		xfer "${pm%%:*}" "${pm#*:}" || fail "$pm: zcp failed"
		cmp "$T/src" "$T/out" || fail "$pm: bytes differ"
	done
}

@test "matrix: crossing 4 GiB in a sparse file, to a pipe, TCP and /dev/null" {
	truncate -s 5G "$T/src" || skip "no sparse files here"
	printf 'MARK-A' | dd of="$T/src" bs=1 seek=$((4294967296 - 3)) conv=notrunc status=none
	printf 'MARK-B' | dd of="$T/src" bs=1 seek=$((5368709120 - 6)) conv=notrunc status=none
	for m in $(methods) auto; do
		for pair in file-pipe file-tcp file-null; do
			serves "$m" file "${pair#file-}" || continue
			for oc in $((4294967296 - 10)):20 $((5368709120 - 100)):all \
				$((5368709120 + 1)):all; do
				range_cell "$pair" "$m" "$oc"
			done
		done
	done
}

@test "SRC's position is left just past the copied bytes" {
	mkdata "$T/src" 300000
	for m in $(methods) auto; do
		{ "$ZCP" -q -m "$m" --offset=10 --count=100000 fd:0 "$T/out"; cat > "$T/rest"; } < "$T/src"
		range "$T/src" 10 100000 | cmp - "$T/out"
		range "$T/src" 100010 all | cmp - "$T/rest"
	done
}

@test "a write that fails gives SRC back what was read and not written: none reported lost, the next reader gets it" {
	mkdata "$T/src" 5000000
	for m in $(methods) auto; do
		serves "$m" file pipe || continue
		# SIGPIPE ignored: the reader going away is a write error.
		bash -c 'trap "" PIPE; { "$1" --json -m "$2" fd:0 - 2>"$3/err" | head -c 10 >/dev/null; cat > "$3/rest"; } < "$3/src"' \
			_ "$ZCP" "$m" "$T"
		echo "$m: $(tail -n 1 "$T/err")"
		n=$(json "$(< "$T/err")" .bytes)
		[ "$(json "$(< "$T/err")" '[.ok, .pending, .error.side]')" = '[false,0,"write"]' ]
		range "$T/src" "$n" all | cmp - "$T/rest"
	done
}

@test "O_APPEND destinations: auto passes over the calls that refuse them" {
	mkdata "$T/src" 200000
	mkdata "$T/out" 1000
	cp "$T/out" "$T/want"
	cat "$T/src" "$T/src" "$T/src" >> "$T/want"
	run "$ZCP" -v -a "$T/src" "$T/out"
	assert_success
	assert_output --partial "copy_file_range passed over: copy_file_range cannot write to a file opened for appending"
	"$ZCP" -q "$T/src" - >> "$T/out"
	cat "$T/src" | "$ZCP" -q - - >> "$T/out"
	cmp "$T/want" "$T/out"
}

@test "/dev/full ends with 'No space left on device'" {
	mkdata "$T/src" 100000
	# splice and sendfile get EINVAL there; zcp asks the device why.
	for m in auto rw splice sendfile; do
		run "$ZCP" -m "$m" "$T/src" /dev/full
		assert_failure 1
		assert_output --partial "zcp: write /dev/full: No space left on device"
		refute_output --partial "refused"
		[ "$m" = sendfile ] && continue	# not from a pipe
		run bash -c "cat '$T/src' | '$ZCP' -m $m - /dev/full"
		assert_failure 1
		assert_output --partial "zcp: write /dev/full: No space left on device"
	done
	m=copy_file_range
	run "$ZCP" -m copy_file_range "$T/src" /dev/full
	assert_refused
}

@test "/proc files, which report size 0, copy in full" {
	for f in /proc/filesystems /proc/version; do
		for m in auto rw splice; do
			rm -f "$T/out"
			run "$ZCP" -m "$m" "$f" "$T/out"
			assert_success
			cat "$f" | cmp - "$T/out"
			"$ZCP" -q -m "$m" "$f" - | cmp - "$f"
		done
		# copy_file_range and sendfile find nothing there: forced, they
		# say so and leave DST empty; auto went past them above.
		run "$ZCP" -m copy_file_range "$f" "$T/none"
		assert_failure 1
		assert_output --partial "zcp: method copy_file_range: the kernel refused it"
		[ ! -s "$T/none" ]
	done
	run "$ZCP" -v /proc/version "$T/out"
	assert_output --partial "copy_file_range passed over: the kernel refused it"
	cmp /proc/version "$T/out"
}

@test "a method auto passes over for finding no bytes where read does says so in -v and --json" {
	# Some kernels give copy_file_range nothing at the start of a /proc
	# file, without an error; the first call returning 0 stands in.
	mkdata "$T/src" 100000
	run --separate-stderr strace -o /dev/null \
		-e inject=copy_file_range:retval=0:when=1 "$ZCP" -v "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	[[ "$stderr" == *"zcp: copy_file_range passed over: copy_file_range found no bytes where read does"* ]]
	[[ "$stderr" != *"(null)"* ]]
	rm "$T/dst"
	run --separate-stderr strace -o /dev/null \
		-e inject=copy_file_range:retval=0:when=1 "$ZCP" --json "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	run jq -ce '.passed_over[0] | select(.method == "copy_file_range" and .errno == null and (.reason | type) == "string") | .reason' <<< "$stderr"
	assert_success
	assert_output --partial 'found no bytes where read does'
}

@test "a source that grows during the copy: DST is a prefix, the count exact" {
	mkdata "$T/src" 3M
	mkdata "$T/more" 64K
	for m in $(methods) auto; do
		cp "$T/src" "$T/grow"
		( for i in $(seq 40); do cat "$T/more" >> "$T/grow"; done ) 3>&- &
		run "$ZCP" -m "$m" "$T/grow" "$T/out"
		wait
		assert_success
		size=$(stat -c %s "$T/out")
		assert_reported "$size"
		[ "$size" -ge 3145728 ]
		cmp -n "$size" "$T/grow" "$T/out"
	done
}

slow() {
	range "$T/src" 0 100000
	sleep 0.2
	range "$T/src" 100000 1
	sleep 0.2
	range "$T/src" 100001 all
}

@test "a slow producer with pauses, to a file, a pipe and TCP" {
	mkdata "$T/src" 300000
	for m in splice rw auto; do
		slow | "$ZCP" -q -m "$m" - "$T/out"
		cmp "$T/src" "$T/out"
		{ slow || :; } | "$ZCP" -q -m "$m" --count=200000 - - | cat > "$T/out"
		range "$T/src" 0 200000 | cmp - "$T/out"
		receiver tcp-listen:0 "$T/out"
		slow | "$ZCP" -q -m "$m" - "tcp:127.0.0.1:$PORT"
		wait "$RPID"
		cmp "$T/src" "$T/out"
	done
}

# nonblock FD CMD...: runs CMD with O_NONBLOCK set on descriptor FD.
nonblock() {
	local fd=$1
	shift
	python3 -c 'import fcntl, os, sys
fd = int(sys.argv[1])
fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execvp(sys.argv[2], sys.argv[2:])' "$fd" "$@"
}

@test "a non-blocking stdin and stdout are waited on, not spun on or failed" {
	command -v python3 >/dev/null || skip "python3 is needed to set O_NONBLOCK"
	mkdata "$T/src" 2M
	for m in splice rw auto; do
		{ head -c 1000 "$T/src"; sleep 0.2; tail -c +1001 "$T/src"; } |
			nonblock 0 "$ZCP" -q -m "$m" - "$T/out"
		cmp "$T/src" "$T/out"
		{ head -c 1000 "$T/src"; sleep 0.2; tail -c +1001 "$T/src"; } |
			nonblock 0 "$ZCP" -q -m "$m" - - | { sleep 0.2; cat > "$T/out"; }
		cmp "$T/src" "$T/out"
		nonblock 1 "$ZCP" -q -m "$m" "$T/src" - | { sleep 0.2; cat > "$T/out"; }
		cmp "$T/src" "$T/out"
	done
}

@test "an explicit method that cannot serve the pair exits 2, DST untouched" {
	mkdata "$T/src" 1000
	mkdata "$T/out" 500
	cp "$T/out" "$T/orig"
	m=sendfile
	run bash -c "cat '$T/src' | '$ZCP' -m sendfile - '$T/out'"
	assert_refused
	assert_output --partial "sendfile needs a regular file or block device as source"
	m=copy_file_range
	run bash -c "set -o pipefail; '$ZCP' -m copy_file_range '$T/src' - | cat"
	assert_refused
	assert_output --partial "copy_file_range needs a regular file as destination"
	for m in splice sendfile copy_file_range; do
		run "$ZCP" -m "$m" -a "$T/src" "$T/out"
		assert_refused
		assert_output --partial "$m cannot write to a file opened for appending"
	done
	cmp "$T/orig" "$T/out"
	run "$ZCP" -m copy_file_range "$T/src" "$T/new"
	assert_success
	m=sendfile
	run "$ZCP" -m sendfile /dev/zero "$T/never"
	assert_refused
	[ ! -e "$T/never" ]
}

@test "a FIFO SRC a named method cannot serve is refused before waiting for a writer" {
	mkfifo "$T/fifo"
	for m in sendfile copy_file_range; do
		# No writer ever comes: waiting for one would time out.
		run timeout 5 "$ZCP" -m "$m" "$T/fifo" "$T/out"
		assert_refused
		assert_output --partial "cannot copy from pipe to file"
		[ ! -e "$T/out" ]
	done
	for m in aio io_uring; do
		run timeout 5 "$ZCP" -m "$m" "$T/fifo" /dev/null
		assert_refused
		assert_output --partial "cannot copy from pipe to character device"
	done
	# One that serves it still copies what a writer sends.
	mkdata "$T/src" 100000
	timeout 10 cp "$T/src" "$T/fifo" 3>&- &
	run timeout 10 "$ZCP" -m splice "$T/fifo" "$T/out"
	wait $!
	assert_success
	cmp "$T/src" "$T/out"
}

@test "--flags for splice: names in any case, numbers, and bad names" {
	mkdata "$T/src" 300000
	for f in more MORE,nonblock move,gift 4 more,nonblock,move,gift; do
		cat "$T/src" | "$ZCP" -q -m splice --flags="$f" - - | cat > "$T/out"
		cmp "$T/src" "$T/out"
		"$ZCP" -q -m splice --flags="$f" --count=123456 "$T/src" "$T/out"
		range "$T/src" 0 123456 | cmp - "$T/out"
	done
	receiver tcp-listen:0 "$T/out"
	"$ZCP" -q -m splice --flags=more "$T/src" "tcp:127.0.0.1:$PORT"
	wait "$RPID"
	cmp "$T/src" "$T/out"
	run "$ZCP" -m splice --flags=more,bogus "$T/src" "$T/out2"
	assert_failure 2
	assert_output --partial "method splice does not take flag 'bogus'; it takes move, nonblock, more, gift"
	[ ! -e "$T/out2" ]
	# A number past the flags' bits, also past 32 or 64 bits.
	for v in 16 4294967296 99999999999999999999999; do
		run "$ZCP" -m splice --flags="more,$v" "$T/src" "$T/out2"
		assert_failure 2
		assert_output --partial "method splice does not take flag value $v: it has bits no flag names"
		[ ! -e "$T/out2" ]
	done
	run "$ZCP" -m sendfile --flags=more "$T/src" "$T/out2"
	assert_failure 2
	assert_output --partial "method sendfile takes no --flags"
}

@test "-v says which method ran for auto, per pair" {
	mkdata "$T/src" 100000
	run "$ZCP" -v "$T/src" "$T/out"
	assert_output --partial "method copy_file_range, file to file"
	run bash -c "'$ZCP' -v '$T/src' - 2>&1 >/dev/null | cat"
	assert_output --regexp "method (splice|sendfile), file to "
	run bash -c "cat '$T/src' | '$ZCP' -v - /dev/null"
	assert_output --partial "method splice, pipe to character device"
}
