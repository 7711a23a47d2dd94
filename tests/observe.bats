#!/usr/bin/env bats
# Watching a copy: --json, -v, --explain, --bench, SIGUSR1 and --progress.
# Slow copies are driven through a FIFO the test holds open, so a stall
# lasts exactly until the test ends it.

load helper

listening() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }

# Whether method $1 can copy $2 to $3: a usage error says it cannot.
can_serve() {
	local rc=0
	"$ZCP" -q -m "$1" "$2" "$3" 2>/dev/null || rc=$?
	[ "$rc" -ne 2 ]
}

@test "--json: one object with the documented fields, bytes = file size" {
	mkdata "$T/src" 300001
	for m in $(methods) auto; do
		rm -f "$T/dst"
		run --separate-stderr "$ZCP" --json -m "$m" "$T/src" "$T/dst"
		assert_success
		cmp "$T/src" "$T/dst"
		[ -z "$output" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[ "$(json "$stderr" '[.version, .ok, .bytes, .pending, .error]')" = '[1,true,300001,0,null]' ]
		[ "$(json "$stderr" '[.src, .dst]')" = "[{\"operand\":\"$T/src\",\"kind\":\"file\"},{\"operand\":\"$T/dst\",\"kind\":\"file\"}]" ]
		method=$(json "$stderr" -r .method)
		methods | grep -qx "$method"
		[ "$m" = auto ] || [ "$method" = "$m" ]
		json "$stderr" '.syscalls > 0 and .bsize > 0 and .seconds >= 0 and .user_cpu >= 0 and .sys_cpu >= 0'
		json "$stderr" '.seconds == 0 or ((.rate * .seconds - .bytes) | fabs) <= 0.01 * .bytes'
		[ "$(json "$stderr" 'keys')" = '["bsize","bytes","dst","error","method","note","ok","passed_over","pending","pipe_size","queue_depth","rate","scattered","seconds","src","sys_cpu","syscalls","user_cpu","version"]' ]
	done
}

@test "--json through pipes reports the pipe size and kinds" {
	mkdata "$T/src" 100000
	cat "$T/src" | "$ZCP" --json - - 2>"$T/j" | cat > "$T/dst"
	cmp "$T/src" "$T/dst"
	[ "$(json "$(< "$T/j")" '[.src.kind, .dst.kind, .bytes]')" = '["pipe","pipe",100000]' ]
	json "$(< "$T/j")" '.pipe_size >= 4096'
	"$ZCP" --json "$T/src" "$T/dst" 2>"$T/j"
	[ "$(json "$(< "$T/j")" .pipe_size)" = null ]
}

@test "--json and -v give the queue depth an asynchronous method ran with, and none for the others" {
	mkdata "$T/src" 100000
	for m in aio io_uring; do
		for d in "" 4; do
			run --separate-stderr "$ZCP" --json -m "$m" ${d:+-d "$d"} "$T/src" "$T/dst"
			[ "$status" -eq 0 ] || [[ "$stderr" == *'"method","operand":"io_uring"'* ]] ||
				fail "$m: $stderr"
			[ "$status" -eq 0 ] || continue	# io_uring disabled here
			cmp "$T/src" "$T/dst"
			[ "$(json "$stderr" .queue_depth)" = "${d:-16}" ]
			run --separate-stderr "$ZCP" -v -m "$m" ${d:+-d "$d"} "$T/src" "$T/dst"
			assert_success
			[[ "${stderr_lines[0]}" == "zcp: method $m, file to file, block size "*", queue depth ${d:-16}" ]]
		done
	done
	for m in rw auto; do
		run --separate-stderr "$ZCP" --json -m "$m" -d 4 "$T/src" "$T/dst"
		assert_success
		[ "$(json "$stderr" .queue_depth)" = null ]
		run --separate-stderr "$ZCP" -v -m "$m" -d 4 "$T/src" "$T/dst"
		assert_success
		[[ "$stderr" != *"queue depth"* ]]
	done
}

@test "--json on failure: ok false, the side, the operand, exit 1" {
	mkdata "$T/src" 1000
	run --separate-stderr "$ZCP" --json "$T/src" "$T/no/such/dir"
	assert_failure 1
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[ "$(json "$stderr" '[.ok, .bytes, .error.side, .error.operand, .error.message, .error.errno, .error.signal]')" = \
		"[false,0,\"write\",\"$T/no/such/dir\",\"No such file or directory\",2,null]" ]
	run --separate-stderr "$ZCP" --json "$T/missing" "$T/dst"
	assert_failure 1
	[ "$(json "$stderr" '[.error.side, .error.operand]')" = "[\"read\",\"$T/missing\"]" ]
	[ ! -e "$T/dst" ]
}

# moved_from PID FD: true once the descriptor FD of PID has moved past 0.
moved_from() {
	awk '$1 == "pos:" { exit !($2 > 0) }' "/proc/$1/fdinfo/$2"
}

@test "--json: a stop signal is put on the side the copy was waiting on" {
	mkdata "$T/src" 8000000
	mkfifo "$T/in" "$T/out"
	for m in rw splice; do
		# SRC a pipe with nothing in it: waiting to read.
		timeout 20 "$ZCP" --json -m "$m" - "$T/dst" <"$T/in" 2>"$T/err" 3>&- &
		pid=$!
		exec 5>"$T/in"
		wait_for pgrep -P "$pid" >/dev/null
		wait_for catches "$(pgrep -P "$pid")" TERM
		sleep 0.3
		kill -TERM "$(pgrep -P "$pid")"
		wait "$pid" || true
		exec 5>&-
		echo "$m read: $(< "$T/err")"
		[ "$(json "$(< "$T/err")" '[.error.side, .error.operand, .error.signal]')" = '["read","-",15]' ]
		# DST a pipe that nobody reads: waiting to write.
		timeout 20 "$ZCP" --json -m "$m" fd:4 - 4<"$T/src" >"$T/out" 2>"$T/err" 3>&- &
		pid=$!
		exec 5<"$T/out"
		wait_for pgrep -P "$pid" >/dev/null
		zpid=$(pgrep -P "$pid")
		wait_for moved_from "$zpid" 4
		sleep 0.3
		kill -TERM "$zpid"
		wait "$pid" || true
		exec 5<&-
		echo "$m write: $(< "$T/err")"
		[ "$(json "$(< "$T/err")" '[.error.side, .error.operand, .error.signal]')" = '["write","-",15]' ]
	done
	# DST a TCP peer that takes nothing: a call the signal cuts short
	# after some bytes moved was waiting to write too.
	mkdata "$T/big" 30000000
	for m in rw splice sendfile; do
		rm -f "$T/port"
		PORTFILE=$T/port timeout 20 python3 -c '
import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
open(os.environ["PORTFILE"] + ".t", "w").write(str(l.getsockname()[1]))
os.rename(os.environ["PORTFILE"] + ".t", os.environ["PORTFILE"])
c, _ = l.accept()
time.sleep(15)' 3>&- &
		ppid=$!
		wait_for test -s "$T/port"
		# splice from a pipe (the FIFO), so that one side is a pipe;
		# sendfile and rw from the file.
		src=$T/big
		if [ "$m" = splice ]; then
			src=-
			cat "$T/big" > "$T/in" 2>/dev/null 3>&- &
		fi
		timeout 20 "$ZCP" --json -m "$m" "$src" "tcp:127.0.0.1:$(< "$T/port")" <"$T/in" 2>"$T/err" 3>&- &
		pid=$!
		[ "$m" = splice ] || exec 5>"$T/in"	# lets zcp's stdin open
		wait_for pgrep -P "$pid" >/dev/null
		zpid=$(pgrep -P "$pid")
		wait_for catches "$zpid" TERM
		sleep 0.5
		kill -TERM "$zpid"
		wait "$pid" || true
		exec 5>&-
		kill "$ppid"; wait "$ppid" || true
		echo "$m tcp: $(< "$T/err")"
		[ "$(json "$(< "$T/err")" '[.error.side, .error.signal]')" = '["write",15]' ]
	done
}

@test "--json: an endpoint never opened has kind null, or socket by its address" {
	run --separate-stderr "$ZCP" --json "$T/missing" /dev/null
	assert_failure 1
	[ "$(json "$stderr" '[.src.kind, .dst.kind, .error.side]')" = '[null,null,"read"]' ]
	run --separate-stderr "$ZCP" --json "$T/missing" "unix:$T/sock"
	assert_failure 1
	[ "$(json "$stderr" '[.src.kind, .dst.kind]')" = '[null,"socket"]' ]
	# A listener stopped before any peer came: a socket all the same.
	timeout 20 "$ZCP" --json tcp-listen:0 "$T/dst" 2>"$T/err" 3>&- &
	pid=$!
	wait_port "$T/err" >/dev/null
	kill -TERM "$(pgrep -P "$pid")"
	wait "$pid" || true
	[ "$(json "$(< "$T/err")" '[.src.kind, .dst.kind, .error.signal]')" = '["socket",null,15]' ]
	[ ! -e "$T/dst" ]
}

@test "--json escapes quotes, backslashes, control bytes (C1 too) and non-UTF-8" {
	name=$(printf '%s/a"b\\c\td\001e\377f\302\233g\303\251' "$T")
	mkdata "$name" 10
	run --separate-stderr "$ZCP" --json "$name" "$T/dst"
	assert_success
	# The byte 0xff is written as \u00ff, which jq reads as U+00FF; the
	# C1 control U+009B (CSI) as \u009b; é as it is.
	grep -qF $'a\\"b\\\\c\\td\\u0001e\\u00fff\\u009bg\303\251"' <<< "$stderr"
	[ "$(json "$stderr" -j .src.operand)" = "$(printf '%s/a"b\\c\td\001e\303\277f\302\233g\303\251' "$T")" ]
}

@test "-v names the method, the kinds, CPU time, system calls and sizes" {
	mkdata "$T/src" 100000
	run "$ZCP" -v "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	assert_line --regexp '^zcp: method [a-z_]+, file to file, block size [1-9][0-9]*$'
	assert_line --regexp '^zcp: 100000 bytes in [0-9.]+ s, .*/s; cpu [0-9.]+ s user, [0-9.]+ s system; [1-9][0-9]* system calls$'
	assert_reported 100000
	cat "$T/src" | "$ZCP" -v -m rw - "$T/dst" 2>"$T/err"
	cmp "$T/src" "$T/dst"
	grep -Eq '^zcp: method rw, pipe to file, block size 262144, pipe size [1-9][0-9]*$' "$T/err"
	grep -q '^zcp: 100000 bytes in ' "$T/err"
}

@test "--explain copies nothing, creates no DST, and lists the methods" {
	mkdata "$T/src" 4096
	run --separate-stderr "$ZCP" --explain "$T/src" "$T/dst"
	assert_success
	[ ! -e "$T/dst" ]
	[ -z "$stderr" ]
	assert_line "SRC $T/src: file, 4096 bytes to copy"
	assert_line "DST $T/dst: file (does not exist: a copy would create it)"
	assert_line --regexp '^auto would use [a-z_]+'
	# A DST in a directory that is not there: said so, nothing made.
	run "$ZCP" --explain "$T/src" "$T/nodir/dst"
	assert_success
	assert_line "DST $T/nodir/dst: file (does not exist, and a copy could not create it: No such file or directory)"
	[ ! -e "$T/nodir" ]
	# An existing DST is left byte-identical, a socket peer never hears.
	mkdata "$T/dst" 100
	cp "$T/dst" "$T/orig"
	run "$ZCP" --explain --offset=96 -n 1000 "$T/src" "$T/dst"
	assert_success
	assert_line "SRC $T/src: file, 1000 bytes to copy"
	cmp "$T/orig" "$T/dst"
	run "$ZCP" --explain "$T/src" tcp-listen:0
	assert_success
	assert_line "DST tcp-listen:0: socket"
	refute_output --partial listening
}

@test "--explain with a named method and a character device: only the first call tells whether the driver takes it" {
	mkdata "$T/src" 4096
	# The kernel refuses splice from /dev/null at the first call (errors.bats).
	run --separate-stderr "$ZCP" --explain -m splice /dev/null "$T/dst"
	assert_success
	assert_line "--method=splice serves this pair and would be used; a named method is never replaced."
	assert_line "Whether the SRC driver takes splice is known only at the first call; a refusal would stop the copy there, with DST untouched."
	run --separate-stderr "$ZCP" --explain -m sendfile "$T/src" /dev/null
	assert_success
	assert_line "Whether the DST driver takes sendfile is known only at the first call; a refusal would stop the copy there, with DST untouched."
	# read and write: every driver; two files: nothing to tell.
	for args in "-m rw /dev/null $T/dst" "-m splice $T/src $T/dst"; do
		run --separate-stderr "$ZCP" --explain $args
		assert_success
		refute_output --partial "known only at the first call"
	done
	[ ! -e "$T/dst" ]
}

@test "--explain shows control characters in the operands escaped, as messages do" {
	mkdata "$T/a"$'\e[31mb' 100
	run --separate-stderr "$ZCP" --explain "$T/a"$'\e[31mb' "$T/d"$'\nst'
	assert_success
	assert_line --index 0 "SRC $T/a\\x1b[31mb: file, 100 bytes to copy"
	assert_line --index 1 "DST $T/d\\nst: file (does not exist: a copy would create it)"
}

@test "--explain: a /proc file, whose size says 0, has no byte count but --count's" {
	run --separate-stderr "$ZCP" --explain /proc/version "$T/dst"
	assert_success
	assert_line "SRC /proc/version: file"
	run --separate-stderr "$ZCP" --explain -n 10 /proc/version "$T/dst"
	assert_success
	assert_line "SRC /proc/version: file, 10 bytes to copy"
	run --separate-stderr "$ZCP" --explain --json /proc/version "$T/dst"
	assert_success
	[ "$(jq -c .bytes <<< "$output")" = null ]
	# An empty file's size is what it holds.
	: > "$T/empty"
	run --separate-stderr "$ZCP" --explain "$T/empty" "$T/dst"
	assert_line "SRC $T/empty: file, 0 bytes to copy"
}

@test "--explain: a DST on a read-only file system is one a copy could not write" {
	mkdata "$T/src" 100
	mkdir "$T/mnt"
	mount -t tmpfs -o size=1M zcp-test "$T/mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
	echo old > "$T/mnt/f"
	mount -o remount,ro "$T/mnt" || { umount "$T/mnt"; skip "cannot remount read-only"; }
	# The mount goes before any check can fail: plans and copy first.
	"$ZCP" --explain "$T/src" "$T/mnt/f" > "$T/plan_f" 2>&1 && ok_f=1
	"$ZCP" --explain "$T/src" "$T/mnt/new" > "$T/plan_new" 2>&1 && ok_new=1
	run --separate-stderr "$ZCP" "$T/src" "$T/mnt/f"
	umount "$T/mnt"
	# What the copy meets, the plan says.
	assert_failure 1
	[[ "$stderr" == *"zcp: write $T/mnt/f: Read-only file system" ]]
	[ "$ok_f" = 1 ] && [ "$ok_new" = 1 ]
	grep -Fx "DST $T/mnt/f: file (exists, and a copy could not write to it: Read-only file system)" "$T/plan_f"
	grep -Fx "DST $T/mnt/new: file (does not exist, and a copy could not create it: Read-only file system)" "$T/plan_new"
}

@test "--explain and --bench with a FIFO SRC answer without opening it" {
	mkfifo "$T/fifo"
	# Opening it would wait for a writer: the timeout would end that.
	run --separate-stderr timeout 5 "$ZCP" --explain "$T/fifo" "$T/dst"
	assert_success
	assert_line "SRC $T/fifo: pipe"
	assert_line --regexp '^auto would use splice'
	[ ! -e "$T/dst" ]
	run --separate-stderr timeout 5 "$ZCP" --explain -m sendfile "$T/fifo" "$T/dst"
	assert_success
	assert_line --partial "--method=sendfile cannot serve this pair"
	run --separate-stderr timeout 5 "$ZCP" --bench "$T/fifo" "$T/dst"
	assert_failure 2
	[[ "$stderr" == "zcp: --bench needs SRC to be a file or device it can read again, and '$T/fifo' is a pipe"* ]]
	[ ! -e "$T/dst" ]
}

@test "--explain --json agrees with what each method accepts" {
	mkdata "$T/src" 4096
	for dst in "$T/dst" /dev/null; do
		run "$ZCP" --explain --json "$T/src" "$dst"
		assert_success
		[ ! -e "$T/dst" ]
		want=
		for m in $(methods); do
			if can_serve "$m" "$T/src" "$dst"; then want="$want $m"; fi
			rm -f "$T/dst"
		done
		got=$(json "$output" -r '.methods[] | select(.serves) | " " + .method' | tr -d '\n')
		[ "$got" = "$want" ]
		# auto's choice is the method a real run of auto uses.
		ran=$("$ZCP" -v "$T/src" "$dst" 2>&1 | sed -n 's/^zcp: method \([a-z_]*\),.*/\1/p')
		[ -n "$ran" ]
		[ "$(json "$output" -r .auto)" = "$ran" ]
		rm -f "$T/dst"
	done
}

@test "--explain: a SRC it cannot open is an error line or the plan's error, no copy report" {
	mkdata "$T/src" 100
	mkdir "$T/d"
	run --separate-stderr "$ZCP" --explain "$T/missing" "$T/dst"
	assert_failure 1
	[ -z "$output" ]
	assert_equal "$stderr" "zcp: read $T/missing: No such file or directory"
	run --separate-stderr "$ZCP" --explain --json "$T/missing" "$T/dst"
	assert_failure 1
	[ -z "$stderr" ]
	[ "$(json "$output" '[.src.kind, .dst_exists, .bytes, .methods, .auto, .error.side, .error.operand, .error.message, .error.errno]')" = \
		"[null,false,null,[],null,\"read\",\"$T/missing\",\"No such file or directory\",2]" ]
	run --separate-stderr "$ZCP" --explain "$T/d" "$T/dst"
	assert_failure 1
	[ -z "$output" ]
	assert_equal "$stderr" "zcp: read $T/d: Is a directory"
	run --separate-stderr "$ZCP" --explain --json "$T/d" "$T/dst"
	assert_failure 1
	[ "$(json "$output" '[.src.kind, .error.errno]')" = '["directory",21]' ]
	run --separate-stderr "$ZCP" --explain "$T/src" "$T/src"
	assert_failure 1
	[ -z "$output" ]
	assert_equal "$stderr" "zcp: '$T/src' and '$T/src' are the same file"
	run --separate-stderr "$ZCP" --explain --json "$T/src" "$T/src"
	assert_failure 1
	[ -z "$stderr" ]
	[ "$(json "$output" '[.error.side, .error.message]')" = '["write","SRC and DST are the same file"]' ]
	[ ! -e "$T/dst" ]
	# A plan that could be made has no error.
	run --separate-stderr "$ZCP" --explain --json "$T/src" "$T/dst"
	assert_success
	[ "$(json "$output" '.error')" = null ]
}

@test "--explain reports a failed write to stdout: full, or closed (Bad file descriptor, as --help gives)" {
	mkdata "$T/src" 100
	for to in "> /dev/full:No space left on device" ">&-:Bad file descriptor"; do
		for json in "" --json; do
			run --separate-stderr sh -c '"$ZCP" --explain $1 "$2" "$3" '"${to%%:*}" \
				sh "$json" "$T/src" "$T/dst"
			assert_failure 1
			assert_equal "$stderr" "zcp: write error: ${to#*:}"
			[ ! -e "$T/dst" ]
		done
	done
	# The plan of a SRC that cannot be opened, in JSON, goes to stdout too.
	run --separate-stderr sh -c '"$ZCP" --explain --json "$1" "$2" >&-' \
		sh "$T/missing" "$T/dst"
	assert_failure 1
	assert_equal "$stderr" "zcp: write error: Bad file descriptor"
	[ ! -e "$T/dst" ]
}

# dead_reader [ign] CMD...: runs CMD with stdout a pipe whose reader is
# already closed (SIGPIPE ignored with ign) and prints its exit status,
# -N for death by signal N; CMD's stderr is passed through.
dead_reader() {
	python3 -c '
import os, signal, subprocess, sys
ign = sys.argv[1] == "ign"
r, w = os.pipe()
os.close(r)
pre = (lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ign else None
print(subprocess.run(sys.argv[2:], stdout=w, preexec_fn=pre).returncode)' "$@"
}

@test "--explain into a pipe whose reader has gone dies by SIGPIPE, quietly, as --help does; with SIGPIPE ignored, a write error" {
	mkdata "$T/src" 100
	for json in "" --json; do
		run --separate-stderr dead_reader - "$ZCP" --explain $json "$T/src" "$T/dst"
		assert_output -13
		[ -z "$stderr" ]
		run --separate-stderr dead_reader ign "$ZCP" --explain $json "$T/src" "$T/dst"
		assert_output 1
		assert_equal "$stderr" "zcp: write error: Broken pipe"
	done
	run --separate-stderr dead_reader - "$ZCP" --help
	assert_output -13
	[ ! -e "$T/dst" ]
}

# explain_fails DST KIND MSG: --explain of $T/src to DST, in text and in
# JSON, says DST is KIND and a copy would fail writing it, with MSG, and
# no method serves the pair.
explain_fails() {
	run --separate-stderr "$ZCP" --explain "$T/src" "$1"
	assert_success
	assert_line "DST $1: $2"
	assert_line "A copy would fail: $3."
	refute_output --partial "auto would use"
	run --separate-stderr "$ZCP" --explain --json "$T/src" "$1"
	assert_success
	[ "$(json "$output" '[.dst.kind, .auto, ([.methods[] | select(.serves)] | length), .methods[0].reason, .would_fail.side, .would_fail.operand, .would_fail.message]')" = \
		"[\"$2\",null,0,\"$3\",\"write\",\"$1\",\"$3\"]" ]
}

@test "--explain: a Unix socket's path as DST is one a copy could not open" {
	mkdata "$T/src" 100
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
	msg="a Unix socket, which open(2) refuses: unix:PATH connects to it"
	explain_fails "$T/sock" socket "$msg"
	# And the copy fails as the plan says.
	run --separate-stderr "$ZCP" "$T/src" "$T/sock"
	assert_failure 1
	[[ "$stderr" == *"zcp: write $T/sock: $msg" ]]
}

@test "a directory DST is a directory: zcp copies into a file" {
	mkdata "$T/src" 100
	mkdir "$T/d"
	explain_fails "$T/d" directory "zcp copies into a file, not into a directory"
	# And the copy fails as the plan says.
	run --separate-stderr "$ZCP" --json "$T/src" "$T/d"
	assert_failure 1
	[ "$(json "$stderr" '[.dst.kind, .error.side, .error.message]')" = '["directory","write","Is a directory"]' ]
	[ -z "$(ls "$T/d")" ]
	run --separate-stderr "$ZCP" --bench=1 "$T/src" "$T/d"
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "zcp: --bench cannot write to '$T/d': zcp copies into a file, not into a directory"
	# A kind named after "is" takes its article.
	run --separate-stderr "$ZCP" --bench=1 "$T/src" fd:5 5>"$T/out"
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "zcp: --bench cannot write every run to 'fd:5': it is a file"
}

# bench_methods FILE: the method column of a --bench table.
bench_methods() {
	sed -n '/^method /,$p' "$1" | awk 'NR > 1 { print $1 }' | sort
}

@test "--bench lists each method that serves the pair, and no other" {
	mkdata "$T/src" 200000
	for dst in "$T/dst" /dev/null; do
		want=
		for m in $(methods); do
			if can_serve "$m" "$T/src" "$dst"; then want="$want$m"$'\n'; fi
		done
		# --direct and -d go to aio and io_uring only, which take them.
		for opts in "" "--direct -d 8"; do
			rm -f "$T/dst"
			run --separate-stderr "$ZCP" --bench=2 $opts "$T/src" "$dst"
			assert_success
			printf '%s\n' "$stderr" > "$T/table"
			refute [ -n "$(grep failed "$T/table")" ]
			[ "$(bench_methods "$T/table")" = "$(printf '%s' "$want" | sort)" ]
			grep -q "^zcp: bench file to .*, 200000 bytes, 2 runs per method$" "$T/table"
			[ "$dst" = /dev/null ] || cmp "$T/src" "$T/dst"
		done
	done
}

@test "--bench --json: one row per method, fastest first" {
	mkdata "$T/src" 100000
	run --separate-stderr "$ZCP" --bench=3 --json "$T/src" /dev/null
	assert_success
	json "$stderr" '.bench.methods | all(.ok and .bytes == 100000 and (.seconds | length) == 3 and .min_rate <= .median_rate and .median_rate <= .max_rate)'
	json "$stderr" '[.bench.methods[].median_rate] | . == (sort | reverse)'
	json "$stderr" '(.bench.methods | length) > 0 and .bench.runs == 3'
}

@test "--bench to a TCP peer reconnects for every run" {
	mkdata "$T/src" 100000
	port=$((20000 + RANDOM % 20000))
	! listening "$port" || skip "port $port is taken"
	timeout 20 socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" OPEN:/dev/null &
	peer=$!
	wait_for listening "$port"
	run --separate-stderr "$ZCP" --bench=2 "$T/src" "tcp:127.0.0.1:$port"
	kill "$peer" 2>/dev/null || true
	assert_success
	printf '%s\n' "$stderr" > "$T/table"
	grep -q '^zcp: bench file to socket, 100000 bytes' "$T/table"
	[ -n "$(bench_methods "$T/table")" ]
}

@test "--bench writes DST as a copy would: through a symbolic link, never past its permissions" {
	mkdata "$T/src" 100000
	echo old > "$T/target"
	ln -s target "$T/link"
	run --separate-stderr "$ZCP" --bench=1 -m rw "$T/src" "$T/link"
	assert_success
	[ -L "$T/link" ]
	cmp "$T/src" "$T/target"
	# A DST the user may not write stays as it was, and each method says why.
	id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] || skip "needs root and a user nobody"
	as_nobody "$ZCP" --version >/dev/null 2>&1 || skip "user nobody cannot run $ZCP"
	d=$(mktemp -d /tmp/zcp-bench.XXXXXX)
	chmod 777 "$d"
	cp "$T/src" "$d/src"
	echo precious > "$d/ro"
	chmod 444 "$d/ro"
	run --separate-stderr as_nobody "$ZCP" --bench=1 -m rw "$d/src" "$d/ro"
	echo "$stderr"
	[ "$(cat "$d/ro")" = precious ] && [ "$(stat -c %U "$d/ro")" = root ] || { rm -rf "$d"; false; }
	rm -rf "$d"
	assert_failure 1
	[[ "$stderr" == *"rw "*"failed: write $d/ro: Permission denied"* ]]
}

# as_nobody CMD...: CMD as the user nobody.
as_nobody() {
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"
}

@test "--bench with a SRC it cannot open: the error alone, no copy report" {
	run --separate-stderr "$ZCP" --bench "$T/nosuch" "$T/dst"
	assert_failure 1
	assert_equal "$stderr" "zcp: read $T/nosuch: No such file or directory"
	[ ! -e "$T/dst" ]
}

@test "--bench with a DST it cannot open: each method's failure names the side and the operand" {
	mkdata "$T/src" 1000
	run --separate-stderr "$ZCP" --bench=1 "$T/src" "$T/nodir/dst"
	assert_failure 1
	[[ "$stderr" == "zcp: bench file to file, no method copied, 1 run per method"$'\n'* ]]
	n=0
	for m in $(methods); do
		can_serve "$m" "$T/src" "$T/dst" || continue
		grep -qx "$m *failed: write $T/nodir/dst: No such file or directory" <<<"$stderr"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
	run --separate-stderr "$ZCP" --bench=1 --json -m rw "$T/src" "$T/nodir/dst"
	assert_failure 1
	[ "$(json "$stderr" -r '.bench.methods[0].error')" = "write $T/nodir/dst: No such file or directory" ]
	[ ! -e "$T/nodir" ]
}

@test "--bench from a character device needs --count" {
	run --separate-stderr "$ZCP" --bench=1 -m rw /dev/zero "$T/dst"
	assert_failure 2
	[[ "$stderr" == "zcp: --bench needs --count when SRC is a character device: '/dev/zero' has no size to copy"* ]]
	[ ! -e "$T/dst" ]
	run --separate-stderr "$ZCP" --bench=2 -m rw -n 1M /dev/zero "$T/dst"
	assert_success
	[[ "$stderr" == "zcp: bench character device to file, 1048576 bytes, 2 runs per method"* ]]
	[ "$(stat -c %s "$T/dst")" -eq 1048576 ]
}

@test "--bench refuses endpoints it cannot open again" {
	mkdata "$T/src" 100
	run --separate-stderr "$ZCP" --bench - "$T/dst"
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "zcp: --bench needs SRC to be a file or device it can read again, not '-'"
	run --separate-stderr "$ZCP" --bench "$T/src" tcp-listen:0
	assert_failure 2
	[[ "$stderr" == "zcp: --bench needs a DST it can open again"* ]]
	run --separate-stderr "$ZCP" --bench=0 "$T/src" "$T/dst"
	assert_failure 2
	[[ "$stderr" == "zcp: invalid --bench '0': must be from 1 to 1000"* ]]
	run --separate-stderr "$ZCP" --bench --explain "$T/src" "$T/dst"
	assert_failure 2
	[ ! -e "$T/dst" ]
}

@test "--bench stopped by SIGTERM or SIGINT stops the run in progress and dies by the signal" {
	mkdata "$T/src" 4000000
	mkfifo "$T/fifo"
	for sig in TERM INT; do
		# Held open for reading and never read: every run's copy
		# stalls once the pipe is full.
		exec 4<>"$T/fifo"
		timeout 20 "$ZCP" --bench=3 -m rw "$T/src" "$T/fifo" 2>"$T/err" 3>&- 4>&- &
		pid=$!
		wait_for pgrep -P "$pid" >/dev/null
		zpid=$(pgrep -P "$pid")
		wait_for pgrep -P "$zpid" >/dev/null
		cpid=$(pgrep -P "$zpid")
		sleep 0.2
		kill -"$sig" "$zpid"
		rc=0
		wait "$pid" || rc=$?
		exec 4>&-
		[ "$rc" -eq $((128 + $(kill -l "$sig"))) ]
		# The run zcp started is gone too, not left copying.
		wait_for eval '! kill -0 "$cpid" 2>/dev/null'
		run cat "$T/err"
		refute_output --partial 'median'
	done
}

# start_slow ARGS...: zcp ARGS... reading stdin from a FIFO that fd 7
# of the test holds; $pid is zcp's, stderr goes to $T/err.
start_slow() {
	mkfifo "$T/fifo"
	"$@" < "$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	exec 7>"$T/fifo"
	wait_for pgrep -P "$pid" >/dev/null
	zpid=$(pgrep -P "$pid")
}

@test "SIGUSR1 prints the progress line once and the copy goes on" {
	mkdata "$T/src" 300000
	start_slow timeout 20 "$ZCP" - "$T/dst"
	head -c 100000 "$T/src" >&7
	wait_for size_is "$T/dst" 100000
	kill -USR1 "$zpid"
	wait_for grep -q 'copied' "$T/err"
	head -c 200000 "$T/src" | tail -c 100000 >&7
	wait_for size_is "$T/dst" 200000
	kill -USR1 "$zpid"
	wait_for grep -q '^zcp: 200000 bytes' "$T/err"
	tail -c 100000 "$T/src" >&7
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	run cat "$T/err"
	assert_line --index 0 --regexp '^zcp: 100000 bytes \(100 kB, 97.7 KiB\) copied, [0-9.]+ s, .*/s$'
	assert_line --index 1 --regexp '^zcp: 200000 bytes \(200 kB, 195 KiB\) copied, [0-9.]+ s, .*/s$'
	assert_line --index 2 --regexp '^zcp: 300000 bytes \(300 kB, 293 KiB\) copied'
	[ "${#lines[@]}" -eq 3 ]
	refute_output --partial $'\r'
}

@test "the SIGUSR1 line words small counts as the report does" {
	mkdata "$T/src" 1000
	start_slow timeout 20 "$ZCP" - "$T/dst"
	# DST exists once SRC is open: the copy is waiting for bytes.
	wait_for test -e "$T/dst"
	kill -USR1 "$zpid"
	wait_for grep -q 'copied' "$T/err"
	head -c 1 "$T/src" >&7
	wait_for size_is "$T/dst" 1
	kill -USR1 "$zpid"
	wait_for grep -q '^zcp: 1 byte copied' "$T/err"
	tail -c 999 "$T/src" >&7
	wait_for size_is "$T/dst" 1000
	kill -USR1 "$zpid"
	wait_for grep -q '^zcp: 1000 bytes' "$T/err"
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	run cat "$T/err"
	assert_line --index 0 --regexp '^zcp: 0 bytes copied, [0-9.]+ s, .*/s$'
	assert_line --index 1 --regexp '^zcp: 1 byte copied, [0-9.]+ s, .*/s$'
	assert_line --index 2 --regexp '^zcp: 1000 bytes \(1.00 kB\) copied, [0-9.]+ s, .*/s$'
	assert_line --index 3 --regexp '^zcp: 1000 bytes \(1.00 kB\) copied, [0-9.]+ s, .*/s$'
	[ "${#lines[@]}" -eq 4 ]
}

@test "SIGUSR1 while zcp waits for a peer or a FIFO's other end: the line says what it waits for" {
	mkdata "$T/src" 100000
	mkfifo "$T/fifo"
	# A listener waiting for its peer, on the port the kernel chose.
	timeout 20 "$ZCP" tcp-listen:127.0.0.1:0 "$T/dst" 2>"$T/err" 3>&- &
	pid=$!
	port=$(wait_port "$T/err")
	kill -USR1 "$(pgrep -P "$pid")"
	wait_for grep -q "^zcp: 0 bytes copied, [0-9.]* s, waiting for a peer on 127.0.0.1:$port\$" "$T/err"
	timeout 10 "$ZCP" -q "$T/src" "tcp:127.0.0.1:$port"
	wait "$pid"
	cmp "$T/src" "$T/dst"
	# A FIFO as SRC waiting for its writer, and as DST for its reader.
	for dir in src dst; do
		rm -f "$T/dst"
		if [ "$dir" = src ]; then
			timeout 20 "$ZCP" "$T/fifo" "$T/dst" 2>"$T/err" 3>&- &
			want="waiting for a writer to open $T/fifo"
		else
			timeout 20 "$ZCP" "$T/src" "$T/fifo" 2>"$T/err" 3>&- &
			want="waiting for a reader to open $T/fifo"
		fi
		pid=$!
		wait_for pgrep -P "$pid" >/dev/null
		zpid=$(pgrep -P "$pid")
		# Once SIGUSR1 is blocked, it waits for the progress thread
		# instead of killing zcp.
		wait_for signal_in "$zpid" SigBlk USR1
		kill -USR1 "$zpid"
		wait_for grep -q "^zcp: 0 bytes copied, [0-9.]* s, $want\$" "$T/err"
		if [ "$dir" = src ]; then
			cat "$T/src" > "$T/fifo"
		else
			cat "$T/fifo" > "$T/dst"
		fi
		wait "$pid"
		cmp "$T/src" "$T/dst"
		# The line, then the report: the copy's own time, not the wait's.
		[ "$(wc -l < "$T/err")" -eq 2 ]
		tail -n 1 "$T/err" | grep -q '^zcp: 100000 bytes (100 kB, 97.7 KiB) copied'
	done
}

# usr1_says TEXT: sends zcp SIGUSR1, waits for the line it prints and
# says whether that line has TEXT.
usr1_says() {
	local n
	n=$(wc -l < "$T/err")
	kill -USR1 "$zpid"
	wait_for eval '[ "$(wc -l < "$T/err")" -gt '"$n"' ]'
	tail -n 1 "$T/err" | grep -q -- "$1"
}

@test "SIGUSR1 while --offset is read away from a pipe: the line says how much was skipped" {
	mkdata "$T/src" 3000000
	start_slow timeout 20 "$ZCP" --offset=2000000 - "$T/dst"
	# DST exists once SRC is open: the skip is waiting for bytes.
	wait_for test -e "$T/dst"
	kill -USR1 "$zpid"
	wait_for grep -q 'copied' "$T/err"
	head -c 1000000 "$T/src" >&7
	wait_for usr1_says ' skipped 1000000 of 2000000 bytes$'
	# The skip is over: the line counts the copy alone.
	head -c 2500000 "$T/src" | tail -c 1500000 >&7
	wait_for size_is "$T/dst" 500000
	kill -USR1 "$zpid"
	wait_for grep -q '^zcp: 500000 bytes' "$T/err"
	tail -c 500000 "$T/src" >&7
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	range "$T/src" 2000000 all | cmp - "$T/dst"
	run cat "$T/err"
	n=${#lines[@]}
	assert_line --index 0 --regexp '^zcp: 0 bytes copied, [0-9.]+ s, 0\.00 B/s, skipped 0 of 2000000 bytes$'
	assert_line --index $((n - 3)) --regexp '^zcp: 0 bytes copied, [0-9.]+ s, 0\.00 B/s, skipped 1000000 of 2000000 bytes$'
	assert_line --index $((n - 2)) --regexp '^zcp: 500000 bytes \(500 kB, 488 KiB\) copied, [0-9.]+ s, [0-9.]+ [kM]?B/s$'
	assert_line --index $((n - 1)) --regexp '^zcp: 1000000 bytes \(1\.00 MB, 977 KiB\) copied, [0-9.]+ s, .*/s$'
	# Every line before holds the skip, counted in bytes read away.
	[ "$(grep -cE '^zcp: 0 bytes copied, [0-9.]+ s, 0\.00 B/s, skipped [0-9]+ of 2000000 bytes$' "$T/err")" -eq $((n - 2)) ]
}

@test "--progress draws while --offset is read away, then the copy's line alone" {
	mkdata "$T/src" 2600000
	start_slow timeout 20 "$ZCP" --progress=always --offset=2000000 -n 600000 - "$T/dst"
	head -c 1000000 "$T/src" >&7
	wait_for grep -q $'\rzcp: 0 bytes copied, [0-9.]* s, 0\\.00 B/s, 0%, skipped 1000000 of 2000000 bytes' "$T/err"
	head -c 2300000 "$T/src" | tail -c 1300000 >&7
	wait_for size_is "$T/dst" 300000
	wait_for grep -q $'\rzcp: 300000 bytes (300 kB, 293 KiB) copied, [0-9.]* s, [^,]*/s, 50%' "$T/err"
	tail -c 300000 "$T/src" >&7
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	range "$T/src" 2000000 600000 | cmp - "$T/dst"
	# Once a byte is copied, the skip is no longer mentioned.
	! tr '\r' '\n' < "$T/err" | grep -E '^zcp: [1-9][0-9]* bytes.*skipped' || false
	tail -n 1 "$T/err" | grep -qE '^zcp: 600000 bytes \(600 kB, 586 KiB\) copied, [0-9.]+ s, .*/s$'
}

@test "--progress and a pipe that ends inside --offset: the warning has a line of its own" {
	mkdata "$T/src" 1000
	start_slow timeout 20 "$ZCP" --progress=always --offset=2000 - "$T/dst"
	cat "$T/src" >&7
	wait_for grep -q $'\rzcp: 0 bytes copied, [0-9.]* s, 0\\.00 B/s, skipped 1000 of 2000 bytes' "$T/err"
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	size_is "$T/dst" 0
	grep -qx "zcp: warning: '-' ended 1000 bytes into --offset=2000" "$T/err"
	tail -n 1 "$T/err" | grep -qE '^zcp: 0 bytes copied, [0-9.]+ s, 0\.00 B/s$'
}

@test "SIGUSR1 while a file goes to a slow TCP peer: the line counts what the peer has, every method" {
	# Far more than the socket buffers hold, however large a host makes
	# them: zcp is still sending when the signal comes.
	mkdata "$T/src" 64000000
	for m in $(methods) auto; do
		serves "$m" file socket || continue
		rm -f "$T/port" "$T/got" "$T/peer.n" "$T/err"
		touch "$T/slow"
		# Reads 64 KiB at a time, about 3 MB/s while $T/slow is there
		# (then at full speed), and says how far it got.
		PORTFILE=$T/port timeout 20 python3 -c '
import os, socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
open(os.environ["PORTFILE"] + ".t", "w").write(str(l.getsockname()[1]))
os.rename(os.environ["PORTFILE"] + ".t", os.environ["PORTFILE"])
c, _ = l.accept()
n = 0
with open(sys.argv[1], "wb") as f:
    while b := c.recv(65536):
        f.write(b)
        n += len(b)
        open(sys.argv[2] + ".t", "w").write(str(n))
        os.rename(sys.argv[2] + ".t", sys.argv[2])
        if os.path.exists(sys.argv[3]):
            time.sleep(0.02)
' "$T/got" "$T/peer.n" "$T/slow" 3>&- &
		ppid=$!
		wait_path "$T/port"
		timeout 20 "$ZCP" -m "$m" "$T/src" "tcp:127.0.0.1:$(cat "$T/port")" 2>"$T/err" 3>&- &
		tpid=$!
		zpid=$(pid_of_child "$tpid")
		# Once the peer has 2 MiB, at most what the socket buffers hold
		# and one call's worth are not counted yet.
		wait_for peer_has 2097152
		kill -USR1 "$zpid"
		wait_for grep -q 'copied' "$T/err"
		rm "$T/slow"
		wait "$tpid"
		wait "$ppid"
		cmp "$T/src" "$T/got"
		line=$(head -n 1 "$T/err")
		echo "$m: $line"
		[[ "$line" =~ ^zcp:\ ([0-9]+)\ bytes ]]
		[ "${BASH_REMATCH[1]}" -ge 1048576 ]
		[ "${BASH_REMATCH[1]}" -lt 64000000 ]
	done
}

peer_has() { [ "$(cat "$T/peer.n" 2>/dev/null || echo 0)" -ge "$1" ]; }

# redraws FILE: how many times the live line was drawn.
redraws() { tr -cd '\r' < "$1" | wc -c; }
at_least() { [ "$("$1" "$2")" -ge "$3" ]; }

@test "--progress on a terminal redraws while the pipe peer is stalled" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	mkdata "$T/src" 200000
	mkfifo "$T/fifo"
	timeout 20 script -qfec "'$ZCP' -p - '$T/dst' < '$T/fifo'" /dev/null \
		< /dev/null > "$T/tty" &
	pid=$!
	exec 7>"$T/fifo"
	head -c 100000 "$T/src" >&7
	wait_for size_is "$T/dst" 100000
	# Stalled at 100000 bytes: the line keeps being redrawn.
	wait_for grep -q 'zcp: 100000 bytes' "$T/tty"
	n=$(redraws "$T/tty")
	wait_for at_least redraws "$T/tty" $((n + 3))
	size_is "$T/dst" 100000
	tail -c 100000 "$T/src" >&7
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	grep -q 'zcp: 200000 bytes (200 kB, 195 KiB) copied' "$T/tty"
	# Live lines carry the elapsed time and no percentage (a pipe has
	# no size); the final report ends the output on a line of its own.
	grep -aq $'\rzcp: 100000 bytes (100 kB, 97.7 KiB) copied, [0-9.]* s, ' "$T/tty"
	# The live line was erased with spaces before the final report.
	last=$(tail -n 1 "$T/tty" | tr -d '\n' | tr '\r' '\n' | grep -v '^$' | tail -n 2)
	[[ "$(sed -n 1p <<<"$last")" =~ ^\ +$ ]]
	[[ "$(sed -n 2p <<<"$last")" =~ ^zcp:\ 200000\ bytes.*copied,\ [0-9]+\.[0-9]{6}\ s,\ .*/s$ ]]
}

# lines FILE TEXT: how many times TEXT was written to FILE.
lines() { grep -ao -- "$2" "$1" | wc -l; }

@test "--progress in a background job draws no live line on the terminal; after fg it does, and after bg again it stops" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	mkdata "$T/src" 200000
	mkfifo "$T/fifo"
	# set -m: the job gets a process group of its own, and the terminal
	# stays with the shell until fg hands it over; fg returns when the
	# job is stopped (SIGTSTP, as Ctrl-Z sends), and bg continues it.
	timeout 20 script -qfec "bash -c 'set -m; \"$ZCP\" -p - \"$T/dst\" < \"$T/fifo\" &
		echo \$! > \"$T/pid\"
		while [ ! -e \"$T/fg\" ]; do sleep 0.05; done
		fg %1; bg %1; wait'" /dev/null < /dev/null > "$T/tty" 3>&- &
	pid=$!
	exec 7>"$T/fifo"
	head -c 100000 "$T/src" >&7
	wait_for size_is "$T/dst" 100000
	wait_for test -s "$T/pid"
	zpid=$(cat "$T/pid")
	# Stalled in the background for a while: five redraws' worth.
	sleep 0.5
	kill -USR1 "$zpid"
	# The line asked for by SIGUSR1 is printed; it is the only one.
	wait_for grep -q 'zcp: 100000 bytes' "$T/tty"
	[ "$(lines "$T/tty" 'zcp: 100000 bytes')" -eq 1 ]
	# In the foreground the live line is redrawn again.
	touch "$T/fg"
	wait_for at_least_lines "$T/tty" 'zcp: 100000 bytes' 3
	# Stopped and sent to the background again: no more redraws.
	kill -TSTP "$zpid"
	wait_for grep -q 'Stopped' "$T/tty"
	wait_for grep -q 'fifo" &' "$T/tty"
	n=$(lines "$T/tty" 'zcp: 100000 bytes')
	sleep 0.5
	[ "$(lines "$T/tty" 'zcp: 100000 bytes')" -eq "$n" ]
	tail -c 100000 "$T/src" >&7
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	grep -q 'zcp: 200000 bytes (200 kB, 195 KiB) copied' "$T/tty"
	# The line left on the terminal is no longer where the cursor is:
	# it is not erased, which would blank the shell's line instead.
	run -1 grep -aq $'\r   *\rzcp: 200000 bytes' "$T/tty"
}

at_least_lines() { [ "$(lines "$1" "$2")" -ge "$3" ]; }

@test "--progress=always in a background job on a terminal set to tostop stops the job, as any write there would" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	mkdata "$T/src" 100000
	mkfifo "$T/fifo"
	timeout 20 script -qfec "bash -c 'stty tostop; set -m
		\"$ZCP\" --progress=always - \"$T/dst\" < \"$T/fifo\" &
		echo \$! > \"$T/pid\"
		while [ ! -e \"$T/end\" ]; do sleep 0.05; done'" /dev/null \
		< /dev/null > "$T/tty" 3>&- &
	pid=$!
	exec 7>"$T/fifo"
	head -c 100000 "$T/src" >&7
	wait_for size_is "$T/dst" 100000
	wait_for test -s "$T/pid"
	zpid=$(cat "$T/pid")
	# Stopped by SIGTTOU at its first line, which was not written.
	wait_for stopped "$zpid"
	sleep 0.3
	stopped "$zpid"
	[ "$(lines "$T/tty" 'zcp: ')" -eq 0 ]
	kill -KILL "$zpid"
	touch "$T/end"
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
}

stopped() { [ "$(cut -d ' ' -f 3 "/proc/$1/stat")" = T ]; }

@test "--progress on a narrow terminal: the live line fits, so a redraw never wraps and scrolls" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	mkdata "$T/src" 300000
	for cols in 60 40; do
		rm -f "$T/fifo" "$T/dst"
		mkfifo "$T/fifo"
		timeout 20 script -qfec "stty cols $cols; '$ZCP' -p -n 300000 - '$T/dst' < '$T/fifo'" /dev/null \
			< /dev/null > "$T/tty" &
		pid=$!
		exec 7>"$T/fifo"
		head -c 100000 "$T/src" >&7
		wait_for size_is "$T/dst" 100000
		wait_for grep -q $'\rzcp: 100 kB' "$T/tty"
		n=$(redraws "$T/tty")
		wait_for at_least redraws "$T/tty" $((n + 2))
		tail -c 200000 "$T/src" >&7
		exec 7>&-
		wait "$pid"
		cmp "$T/src" "$T/dst"
		# Every piece between carriage returns but the final report
		# (printed once, on a line of its own) is narrower than the
		# terminal.
		tr '\r' '\n' < "$T/tty" | grep -v 'copied, [0-9]*\.[0-9]\{6\} s' > "$T/live"
		[ "$(awk -v c="$cols" 'length($0) >= c' "$T/live" | wc -l)" -eq 0 ]
		grep -q 'zcp: 300000 bytes (300 kB, 293 KiB) copied, [0-9]*\.[0-9]\{6\} s' "$T/tty"
		# 60 columns hold the short form whole: amount, time, rate,
		# percent, ETA.
		[ "$cols" -lt 60 ] ||
			grep -aq $'\rzcp: 100 kB copied, [0-9.]* s, [0-9.]* [kMG]\\?B/s, 33%, ETA [0-9:]*\r' "$T/tty"
	done
}

@test "--progress knows the size of a file SRC: percent and ETA" {
	mkdata "$T/src" 100000
	run "$ZCP" --progress=always "$T/src" "$T/dst"
	assert_success
	cmp "$T/src" "$T/dst"
	# A copy over within a tick draws nothing; a stalled one must.
	start_slow timeout 20 "$ZCP" --progress=always -n 300000 - "$T/dst"
	head -c 100000 "$T/src" >&7
	wait_for grep -q $'\rzcp: 100000 bytes .*, 33%' "$T/err"
	exec 7>&-
	wait "$pid"
	grep -q 'zcp: 100000 bytes (100 kB, 97.7 KiB) copied' "$T/err"
}

@test "--progress with a count far beyond the rate: no ETA rather than a wrapped one" {
	mkdata "$T/src" 100000
	start_slow timeout 20 "$ZCP" --progress=always -n 9223372036854775807 - "$T/dst"
	head -c 100000 "$T/src" >&7
	wait_for grep -q $'\rzcp: 100000 bytes .*, 0%' "$T/err"
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	! grep -q 'ETA' "$T/err" || false
}

@test "--progress is off when stderr is not a terminal, unless forced" {
	mkdata "$T/src" 200000
	start_slow timeout 20 "$ZCP" -p - "$T/dst"
	head -c 100000 "$T/src" >&7
	wait_for size_is "$T/dst" 100000
	# Proof that time passed with the thread running: its SIGUSR1 line.
	kill -USR1 "$zpid"
	wait_for grep -q 'copied' "$T/err"
	sleep 0.3
	tail -c 100000 "$T/src" >&7
	exec 7>&-
	wait "$pid"
	cmp "$T/src" "$T/dst"
	run cat "$T/err"
	refute_output --partial $'\r'
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr "$ZCP" --progress=never "$T/src" "$T/dst"
	assert_success
	run --separate-stderr "$ZCP" --progress=sometimes "$T/src" "$T/dst"
	assert_failure 2
	[[ "$stderr" == "zcp: invalid --progress 'sometimes': expected auto, always or never"* ]]
}

@test "ThreadSanitizer: the progress line reads the byte count without a data race" {
	tsan_build
	mkdata "$T/src" 16777216
	mkdata "$T/small" 4194304
	export TSAN_OPTIONS=halt_on_error=1:exitcode=66
	for m in $(methods); do
		# Into a pipe read slowly, so that the progress thread draws
		# while the copy stores; and file to file.
		if serves "$m" file pipe; then
			run --separate-stderr bash -c '"$1" -q -m "$2" -b 64K \
				--progress=always "$3" - | python3 -c "import os, sys, time
with open(sys.argv[1], \"wb\") as f:
    while b := os.read(0, 65536):
        f.write(b)
        time.sleep(0.002)" "$4"; exit ${PIPESTATUS[0]}' _ \
				"$T/zcp-tsan" "$m" "$T/src" "$T/dst"
			echo "$m to a pipe: status $status; $stderr"
			assert_success
			cmp "$T/src" "$T/dst"
		fi
		# File to file, in 16-byte calls where the method takes them,
		# so that a progress line is drawn before the end.
		rm -f "$T/dst"
		case $m in
		aio | io_uring) bs= ;;
		*) bs=-b16 ;;
		esac
		run --separate-stderr "$T/zcp-tsan" -q -m "$m" $bs --progress=always \
			"$T/small" "$T/dst"
		echo "$m to a file: status $status; $stderr"
		assert_success
		cmp "$T/small" "$T/dst"
		if [ -n "$bs" ]; then
			tr '\r' '\n' <<< "$stderr" | grep -E '^zcp: [0-9]+ bytes .*, [0-9]{1,2}%, ETA' || false
		fi
	done
}

@test "-v when an endpoint cannot be opened: no method ran, no kinds made up" {
	run --separate-stderr "$ZCP" -v "$T/nosuch" "$T/dst"
	assert_failure 1
	[[ "${stderr%%$'\n'*}" == "zcp: no method ran" ]]
	[[ "$stderr" != *"unknown to"* ]]
	[ ! -e "$T/dst" ]
}
