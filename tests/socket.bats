#!/usr/bin/env bats
# TCP and Unix stream sockets, as SRC and as DST, against zcp itself and
# against socat. Every server is bounded by timeout and waited for.

load helper

setup() {
	mkdata "$T/src" 1500000
}

# listen_to DST [ADDR]: starts "zcp ADDR DST" in the background; prints
# nothing, sets LPID and PORT.
listen_to() {
	rm -f "$T/lerr"	# or wait_port may read an earlier listener's port
	timeout 20 "$ZCP" "${2:-tcp-listen:0}" "$1" 2>"$T/lerr" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
}

@test "tcp: file to a zcp listener on 127.0.0.1, every method" {
	for m in $(methods) auto; do
		serves "$m" file socket || continue
		listen_to "$T/dst" tcp-listen:127.0.0.1:0
		run "$ZCP" -m "$m" "$T/src" "tcp:127.0.0.1:$PORT"
		assert_success
		assert_reported 1500000
		wait "$LPID"
		cmp "$T/src" "$T/dst"
		grep -q 'zcp: 1500000 bytes' "$T/lerr"
	done
}

@test "tcp-listen with no host binds loopback and prints the port" {
	listen_to "$T/dst" tcp-listen:0
	grep -q "listening on 127.0.0.1:$PORT" "$T/lerr"
	ss -ltnH | awk '{ print $4 }' | grep -qx "127.0.0.1:$PORT"
	"$ZCP" -q "$T/src" "tcp:127.0.0.1:$PORT"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "tcp over IPv6 loopback [::1]" {
	[ -e /proc/net/if_inet6 ] || skip "no IPv6 here"
	listen_to "$T/dst" 'tcp-listen:[::1]:0'
	grep -q "listening on \[::1\]:$PORT" "$T/lerr" || skip "no IPv6 loopback"
	run "$ZCP" "$T/src" "tcp:[::1]:$PORT"
	assert_success
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "tcp: zcp connects and reads until the peer closes" {
	timeout 20 socat -u "FILE:$T/src" TCP-LISTEN:0,bind=127.0.0.1,reuseaddr 2>/dev/null 3>&- &
	SPID=$!
	# socat prints no port: find it from the socket table.
	for i in $(seq 50); do
		CPID=$(pgrep -P "$SPID" socat || true)
		PORT=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$CPID," 'index($0,p) { n=split($4,a,":"); print a[n]; exit }')
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ]
	run "$ZCP" "tcp:127.0.0.1:$PORT" "$T/dst"
	assert_success
	wait "$SPID"
	cmp "$T/src" "$T/dst"
}

@test "tcp: zcp sends to socat and the peer sees end of file" {
	timeout 20 "$ZCP" -q "$T/src" tcp-listen:127.0.0.1:0 2>"$T/lerr" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
	timeout 20 socat -u "TCP:127.0.0.1:$PORT" "CREATE:$T/dst"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "tcp-listen as SRC with offset and count" {
	for m in $(methods) auto; do
		serves "$m" socket file || continue
		timeout 20 "$ZCP" -m "$m" -o 1000 -n 70000 tcp-listen:0 "$T/dst" 2>"$T/lerr" 3>&- &
		LPID=$!
		PORT=$(wait_port "$T/lerr")
		"$ZCP" -q "$T/src" "tcp:127.0.0.1:$PORT" || true
		wait "$LPID"
		range "$T/src" 1000 70000 | cmp - "$T/dst"
	done
}

@test "tcp: pipe to socket to pipe" {
	timeout 20 "$ZCP" tcp-listen:0 - 2>"$T/lerr" > "$T/dst" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
	cat "$T/src" | "$ZCP" -q - "tcp:localhost:$PORT"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "tcp: connection refused is a read or write error, exit 1" {
	# Find a free port, then make sure nothing listens on it.
	timeout 5 "$ZCP" tcp-listen:0 /dev/null 2>"$T/lerr" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
	kill "$LPID"; wait "$LPID" || true
	run --separate-stderr "$ZCP" "$T/src" "tcp:127.0.0.1:$PORT"
	assert_failure 1
	[[ "$stderr" == *"zcp: 0 bytes copied"* ]]
	[[ "$stderr" == *"write tcp:127.0.0.1:$PORT: Connection refused"* ]]
	run --separate-stderr "$ZCP" "tcp:127.0.0.1:$PORT" "$T/dst"
	assert_failure 1
	[[ "$stderr" == *"read tcp:127.0.0.1:$PORT: Connection refused"* ]]
	[ ! -e "$T/dst" ]
}

@test "tcp-listen: address in use is an error" {
	timeout 10 "$ZCP" tcp-listen:127.0.0.1:0 /dev/null 2>"$T/lerr" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
	run --separate-stderr "$ZCP" "tcp-listen:127.0.0.1:$PORT" "$T/dst"
	assert_failure 1
	[[ "$stderr" == *"read tcp-listen:127.0.0.1:$PORT: Address already in use"* ]]
	[ ! -e "$T/dst" ]
	kill "$LPID"; wait "$LPID" || true
}

@test "tcp: an unknown host name is an error naming the operand" {
	run --separate-stderr "$ZCP" "$T/src" "tcp:no-such-host.invalid:9"
	assert_failure 1
	[[ "$stderr" == *"write tcp:no-such-host.invalid:9: "* ]]
}

# unix_copy LISTEN CONNECT: SRC into a listener on $T/sock named with
# the prefix LISTEN, through a peer that names it with CONNECT.
unix_copy() {
	rm -f "$T/dst2"
	timeout 20 "$ZCP" -q "$1:$T/sock" "$T/dst2" 3>&- &
	LPID=$!
	wait_path "$T/sock"
	"$ZCP" -q "$T/src" "$2:$T/sock"
	wait "$LPID"
	cmp "$T/src" "$T/dst2"
}

@test "prefixes in any case, as socat takes them; a colon with no known prefix, or after ./, is a path" {
	listen_to "$T/dst" TCP-LISTEN:127.0.0.1:0
	"$ZCP" -q "$T/src" "TCP:127.0.0.1:$PORT"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
	unix_copy Unix-Listen UNIX
	"$ZCP" -q FD:3 "$T/dst3" 3< "$T/src"
	cmp "$T/src" "$T/dst3"
	cd "$T"
	for p in tcpx:1:2 ./tcp:127.0.0.1:1 ./UNIX:sock; do
		"$ZCP" -q src "$p"
		cmp src "$p"
	done
	[ -f tcpx:1:2 ] && [ -f tcp:127.0.0.1:1 ] && [ -f UNIX:sock ]
}

@test "socat's tcp4, tcp6, their -listen and unix-connect work; its other address types are usage errors, not files" {
	# tcp4-listen with no host binds 127.0.0.1; tcp4 keeps to IPv4.
	listen_to "$T/dst" TCP4-LISTEN:0
	grep -q "listening on 127.0.0.1:$PORT" "$T/lerr"
	"$ZCP" -q "$T/src" "tcp4:localhost:$PORT"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
	rm "$T/dst"
	listen_to "$T/dst" tcp-l:0
	"$ZCP" -q "$T/src" "tcp4-connect:127.0.0.1:$PORT"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
	run "$ZCP" "$T/src" "tcp4:[::1]:$PORT"
	assert_failure 1
	assert_line "zcp: write tcp4:[::1]:$PORT: Address family for hostname not supported"
	if [ -e /proc/net/if_inet6 ]; then
		rm -f "$T/dst"
		listen_to "$T/dst" tcp6-listen:0
		if grep -q "listening on \[::1\]:$PORT" "$T/lerr"; then
			"$ZCP" -q "$T/src" "tcp6:[::1]:$PORT"
			wait "$LPID"
			cmp "$T/src" "$T/dst"
		else
			kill "$LPID"; wait "$LPID" || true
			echo "# no IPv6 loopback: tcp6 not tried" >&3
		fi
	fi
	unix_copy unix-l UNIX-CONNECT
	# A socat address zcp does not serve: exit 2, nothing created.
	cd "$T"
	for a in udp:127.0.0.1:9 UDP4-LISTEN:9 exec:cat OPEN:x file:x stdio:; do
		run --separate-stderr "$ZCP" src "$a"
		assert_failure 2
		[[ "$stderr" == "zcp: invalid address '$a': an address type of socat's that zcp does not serve"* ]]
		[ ! -e "$a" ]
		run --separate-stderr "$ZCP" "$a" dst3
		assert_failure 2
	done
	[ ! -e dst3 ]
	# Through ./ it is a file of that name.
	"$ZCP" -q src ./exec:cat
	cmp src exec:cat
}

@test "unix: file to a unix-listen socket and back, every method" {
	for m in $(methods) auto; do
		serves "$m" file socket || continue
		timeout 20 "$ZCP" -q "unix-listen:$T/sock" "$T/dst" 3>&- &
		LPID=$!
		wait_path "$T/sock"
		run "$ZCP" -m "$m" "$T/src" "unix:$T/sock"
		assert_success
		wait "$LPID"
		cmp "$T/src" "$T/dst"
		[ ! -e "$T/sock" ]
		timeout 20 "$ZCP" -q -m "$m" "$T/src" "unix-listen:$T/sock" 3>&- &
		LPID=$!
		wait_path "$T/sock"
		run "$ZCP" "unix:$T/sock" "$T/dst2"
		assert_success
		wait "$LPID"
		cmp "$T/src" "$T/dst2"
	done
}

@test "unix-listen: mode 0600, removed after use" {
	( umask 0; timeout 20 "$ZCP" -q "unix-listen:$T/sock" "$T/dst" ) 3>&- &
	LPID=$!
	wait_path "$T/sock"
	[ "$(stat -c %a "$T/sock")" = 600 ]
	[ -S "$T/sock" ]
	"$ZCP" -q "$T/src" "unix:$T/sock"
	wait "$LPID"
	[ ! -e "$T/sock" ]
	cmp "$T/src" "$T/dst"
}

@test "unix-listen never replaces a file that is not a socket" {
	echo precious > "$T/sock"
	run --separate-stderr "$ZCP" "unix-listen:$T/sock" "$T/dst"
	assert_failure 1
	[[ "$stderr" == *"read unix-listen:$T/sock: File exists, and is not a socket: zcp replaces only a socket no server uses" ]]
	[ "$(cat "$T/sock")" = precious ]
	[ ! -e "$T/dst" ]
}

@test "unix: to a path that is not a socket says so" {
	echo precious > "$T/file"
	mkdir "$T/dir"
	for p in "$T/file" "$T/dir"; do
		run --separate-stderr "$ZCP" "unix:$p" "$T/dst"
		assert_failure 1
		[[ "$stderr" == *"zcp: read unix:$p: Connection refused: not a socket" ]]
		[ ! -e "$T/dst" ]
	done
	[ "$(cat "$T/file")" = precious ]
	# A socket nobody listens on is refused as it is.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
	run --separate-stderr "$ZCP" "$T/file" "unix:$T/sock"
	assert_failure 1
	[[ "$stderr" == *"zcp: write unix:$T/sock: Connection refused" ]]
}

@test "unix-listen leaves a socket in use, and takes nothing from its server" {
	# A zcp server accepts one peer: a check that connected would be it.
	timeout 20 "$ZCP" -q "unix-listen:$T/sock" "$T/got" 3>&- &
	SPID=$!
	wait_path "$T/sock"
	ino=$(stat -c %i "$T/sock")
	run --separate-stderr timeout 5 "$ZCP" "unix-listen:$T/sock" "$T/dst"
	assert_failure 1
	[[ "$stderr" == *"read unix-listen:$T/sock: Address already in use" ]]
	[ ! -e "$T/dst" ]
	run --separate-stderr timeout 5 "$ZCP" "$T/src" "unix-listen:$T/sock"
	assert_failure 1
	[[ "$stderr" == *"write unix-listen:$T/sock: Address already in use" ]]
	[ "$(stat -c %i "$T/sock")" = "$ino" ]
	# The server still has its one peer to come.
	mkdata "$T/src2" 7777
	"$ZCP" -q "$T/src2" "unix:$T/sock"
	wait "$SPID"
	cmp "$T/src2" "$T/got"
	# A datagram socket bound there is in use too.
	timeout 20 python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(20)' "$T/dgram" "$T/ready" 3>&- &
	SPID=$!
	wait_path "$T/ready"
	run --separate-stderr timeout 5 "$ZCP" "$T/src" "unix-listen:$T/dgram"
	kill "$SPID"
	wait "$SPID" || true
	assert_failure 1
	[[ "$stderr" == *"write unix-listen:$T/dgram: Address already in use" ]]
	[ -S "$T/dgram" ]
}

@test "unix-listen refuses a socket whose server is in another network namespace" {
	# The kernel's socket diagnostics see one namespace: zcp then asks by
	# connecting, which costs that server its peer but not its socket.
	unshare -n true 2>/dev/null || skip "cannot make a network namespace here"
	timeout 20 unshare -n "$ZCP" -q "unix-listen:$T/sock" "$T/got" 3>&- &
	SPID=$!
	wait_path "$T/sock"
	run --separate-stderr timeout 5 "$ZCP" "$T/src" "unix-listen:$T/sock"
	wait "$SPID" || true
	assert_failure 1
	[[ "$stderr" == *"write unix-listen:$T/sock: Address already in use" ]]
}

@test "unix-listen replaces a stale socket" {
	"$ZCP" -q "unix-listen:$T/sock" /dev/null 3>&- &
	LPID=$!
	wait_path "$T/sock"
	kill -9 "$LPID"; wait "$LPID" || true
	[ -S "$T/sock" ]
	ino=$(stat -c %i "$T/sock")
	timeout 20 "$ZCP" -q "unix-listen:$T/sock" "$T/dst" 3>&- &
	LPID=$!
	# Connect once the new socket has replaced the stale one.
	for i in $(seq 1 100); do
		[ -S "$T/sock" ] && [ "$(stat -c %i "$T/sock" 2>/dev/null)" != "$ino" ] && break
		sleep 0.05
	done
	"$ZCP" -q "$T/src" "unix:$T/sock"
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "unix-listen removes its socket when interrupted" {
	"$ZCP" -q "unix-listen:$T/sock" "$T/dst" 3>&- &
	LPID=$!
	wait_path "$T/sock"
	kill -TERM "$LPID"
	st=0
	wait "$LPID" || st=$?
	[ "$st" -eq 143 ]
	[ ! -e "$T/sock" ]
	[ ! -e "$T/dst" ]
}

@test "unix: connecting to a missing socket is an error" {
	run --separate-stderr "$ZCP" "$T/src" "unix:$T/nothere"
	assert_failure 1
	[[ "$stderr" == *"write unix:$T/nothere: No such file or directory"* ]]
}

@test "a socket as DST given as fd:N" {
	timeout 20 "$ZCP" -q tcp-listen:0 "$T/dst" 2>"$T/lerr" 3>&- &
	LPID=$!
	PORT=$(wait_port "$T/lerr")
	run bash -c "exec 5<>/dev/tcp/127.0.0.1/$PORT; '$ZCP' -q '$T/src' fd:5; exec 5>&-"
	assert_success
	wait "$LPID"
	cmp "$T/src" "$T/dst"
}

@test "fd:N closed when zcp starts stays closed, though zcp's own socket takes the number" {
	for n in 3 4 5 6 7; do
		timeout 20 "$ZCP" -q "$T/src" tcp-listen:0 2>"$T/lerr" 3>&- &
		LPID=$!
		PORT=$(wait_port "$T/lerr")
		# Descriptors 3 to 7 are closed, so zcp's socket is one of them.
		run --separate-stderr bash -c "exec 3>&- 4>&- 5>&- 6>&- 7>&-; exec '$ZCP' tcp:127.0.0.1:$PORT fd:$n"
		wait "$LPID" || true
		echo "fd:$n: status $status: $stderr"
		assert_failure 1
		[[ "$stderr" == "zcp: 0 bytes copied"*"zcp: write fd:$n: Bad file descriptor" ]]
	done
}

# talker KIND OUT [AGAIN]: a peer listening on TCP (its port in $T/port)
# or a Unix socket ($T/sock) for one connection. It waits $DELAY seconds
# (default 0), says HELLO, waits 0.5 s (says AGAIN and waits 0.2 s more),
# then reads to end of file into OUT, and writes "EOF bytes" or "error
# what bytes" to $T/peer.out; with NOREAD=1 it closes instead, reading
# nothing. Bounded by timeout; run it in the background.
talker() {
	KIND=$1 AGAIN=${3:-} DELAY=${DELAY:-0} NOREAD=${NOREAD:-} \
	SOCK=$T/sock PORTFILE=$T/port timeout 20 python3 -c '
import os, socket, sys, time
if os.environ["KIND"] == "tcp":
    l = socket.socket(); l.bind(("127.0.0.1", 0)); addr = str(l.getsockname()[1])
else:
    l = socket.socket(socket.AF_UNIX); l.bind(os.environ["SOCK"]); addr = os.environ["SOCK"]
l.listen(1)
open(os.environ["PORTFILE"] + ".t", "w").write(addr)
os.rename(os.environ["PORTFILE"] + ".t", os.environ["PORTFILE"])
c, _ = l.accept()
time.sleep(float(os.environ["DELAY"]))
c.sendall(b"HELLO\n")
time.sleep(0.5)
if os.environ["AGAIN"]:
    c.sendall(os.environ["AGAIN"].encode() + b"\n")
    time.sleep(0.2)
if os.environ["NOREAD"]:
    c.close()
    print("closed")
    sys.exit(0)
n = 0
with open(sys.argv[1], "wb") as f:
    try:
        while b := c.recv(65536):
            f.write(b)
            n += len(b)
        print("EOF", n)
    except OSError as e:
        print("error", e, n)
' "$2" > "$T/peer.out" 3>&-
}

# to_talker KIND AGAIN [OPTION...]: zcp OPTION... sends $T/src to a
# talker KIND peer (AGAIN, $DELAY and $NOREAD as talker takes them) that
# reads into $T/got; run's status and stderr are zcp's, the peer has
# ended when it returns.
to_talker() {
	local kind=$1 again=$2 ppid to
	shift 2
	rm -f "$T/port" "$T/sock" "$T/got" "$T/peer.out"
	talker "$kind" "$T/got" "$again" 3>&- &
	ppid=$!
	wait_path "$T/port"
	if [ "$kind" = tcp ]; then to=tcp:127.0.0.1:$(cat "$T/port"); else to=unix:$T/sock; fi
	run --separate-stderr timeout 20 "$ZCP" "$@" "$T/src" "$to"
	wait "$ppid"
	echo "$kind $*: status $status: $stderr; peer: $(cat "$T/peer.out")"
}

# got_all BYTES: zcp succeeded and the peer read all of $T/src to its end.
got_all() {
	assert_success
	[ "$(cat "$T/peer.out")" = "EOF $1" ]
	cmp "$T/src" "$T/got"
}

@test "a peer that greets and then reads: zcp reads the greeting away, so closing does not reset the connection" {
	# More than the socket buffers hold: zcp is still sending when the
	# greeting arrives. The peer then waits until zcp has sent everything
	# it can into the socket buffers, and reads to end of file.
	mkdata "$T/src" 30000000
	for dst in tcp unix; do
		to_talker $dst ""
		got_all 30000000
	done
}

@test "a peer that talks again before it reads: zcp waits until the peer has every byte, so closing resets nothing" {
	# Less than the socket buffers hold: zcp has sent everything, read the
	# first line away and is closing while the peer has read nothing. The
	# second line arrives after the read-away: closing with it unread, or
	# closed, resets the connection, and the kernel drops what the peer
	# had not received yet.
	mkdata "$T/src" 2000000
	for dst in tcp unix; do
		for m in $(methods) auto; do
			serves "$m" file socket || continue
			[ $dst = tcp ] || [ $m = auto ] || continue
			to_talker $dst 'STILL THERE?' -m "$m"
			got_all 2000000
		done
	done
}

@test "a peer that talks only after zcp has sent everything: zcp still waits until the peer has every byte" {
	# Less than the socket buffers hold: zcp has sent it all and found
	# nothing to read away before the greeting comes.
	mkdata "$T/src" 3000000
	for dst in tcp unix; do
		DELAY=0.2 to_talker $dst ""
		got_all 3000000
	done
}

@test "a Unix peer that closes without reading: a write error, not a copy reported whole" {
	mkdata "$T/src" 100000
	NOREAD=1 to_talker unix ""
	[ "$(cat "$T/peer.out")" = closed ]
	assert_failure 1
	[[ "$stderr" == *"zcp: write unix:$T/sock: Connection reset by peer"* ]]
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# talk_then_stall: a TCP listener on 127.0.0.1 ($T/port) that sends a
# line and reads nothing until $T/port.stop appears; then it reads to
# the end and prints "EOF N" or "error ERRNO N", N the bytes it got.
talk_then_stall() {
	PORTFILE=$T/port timeout 20 python3 -c '
import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
open(os.environ["PORTFILE"] + ".t", "w").write(str(l.getsockname()[1]))
os.rename(os.environ["PORTFILE"] + ".t", os.environ["PORTFILE"])
c, _ = l.accept()
c.sendall(b"HELLO\n")
while not os.path.exists(os.environ["PORTFILE"] + ".stop"):
    time.sleep(0.05)
n = 0
try:
    while b := c.recv(65536):
        n += len(b)
    print("EOF", n)
except OSError as e:
    print("error", e.errno, n)
'
}

@test "a peer that talked and does not read: zcp waits for it, and SIGTERM ends the wait with the report" {
	# More than the peer's receive buffer holds, less than it and zcp's
	# send buffer together: zcp has sent it all, the peer not taken it.
	mkdata "$T/src" 2000000
	talk_then_stall > "$T/peer.out" 3>&- &
	ppid=$!
	wait_path "$T/port"
	env --default-signal=TERM timeout 20 "$ZCP" "$T/src" "tcp:127.0.0.1:$(cat "$T/port")" 2>"$T/err" 3>&- &
	tpid=$!
	zpid=$(pid_of_child "$tpid")
	sleep 0.5
	# Everything is in the socket buffers: zcp waits, and spends next to
	# no CPU time on it (user + system, in clock ticks: at most 5% of
	# the second).
	t1=$(cpu_ticks "$zpid")
	sleep 1
	t2=$(cpu_ticks "$zpid")
	echo "ticks $t1 -> $t2 of $(getconf CLK_TCK) a second"
	[ $((t2 - t1)) -le $(($(getconf CLK_TCK) / 20)) ]
	# SIGUSR1 still prints the progress line while zcp waits.
	kill -USR1 "$zpid"
	wait_for grep -q '^zcp: 2000000 bytes .* copied, ' "$T/err"
	kill -TERM "$zpid"
	st=0
	wait "$tpid" || st=$?
	touch "$T/port.stop"
	wait "$ppid"
	echo "status $st: $(cat "$T/err")"
	[ "$st" -eq 143 ]
	grep -q '^zcp: 2000000 bytes (2.00 MB, 1.91 MiB) copied' "$T/err"
	# The peer is reset: what it had not acknowledged is not delivered.
	last=$(tail -n 1 "$T/err")
	[[ "$last" =~ ^zcp:\ ([0-9]+)\ bytes.*\ copied,.*\;\ ([0-9]+)\ bytes.*\ read\ but\ not\ written$ ]]
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq 2000000 ]
	[ "${BASH_REMATCH[2]}" -gt 0 ]
	# The peer can read what was reported, then sees the reset.
	echo "peer: $(cat "$T/peer.out")"
	[ "$(cat "$T/peer.out")" = "error 104 ${BASH_REMATCH[1]}" ]
}

@test "a copy into TCP that fails while the peer takes nothing: zcp gives up waiting for it, resets, and counts what it had not taken" {
	# 2 MB sent, all of it in the two sides' buffers (see above), then
	# a read error (injected) at the third read of SRC.
	mkdata "$T/src" 3000000
	talk_then_stall > "$T/peer.out" 3>&- &
	ppid=$!
	wait_path "$T/port"
	SECONDS=0
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 20 strace -f -qq -o /dev/null -P "$T/src" -e trace=read \
		-e inject=read:error=EIO:when=3 "$ZCP" -m rw -b 1M "$T/src" "tcp:127.0.0.1:$(cat "$T/port")"
	took=$SECONDS
	touch "$T/port.stop"
	wait "$ppid"
	echo "$status after $took s: $stderr; peer: $(cat "$T/peer.out")"
	assert_failure 1
	# It waited about 2 seconds for a peer that took nothing, not until
	# the timeout.
	[ "$took" -ge 1 ] && [ "$took" -le 10 ]
	[ "${stderr_lines[1]}" = "zcp: read $T/src: Input/output error" ]
	[[ "${stderr_lines[0]}" =~ ^zcp:\ ([0-9]+)\ bytes.*\ copied,.*\;\ ([0-9]+)\ bytes.*\ read\ but\ not\ written$ ]]
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq 2097152 ]
	[ "${BASH_REMATCH[2]}" -gt 0 ]
	# The peer gets what was reported as copied, then the reset.
	[ "$(cat "$T/peer.out")" = "error 104 ${BASH_REMATCH[1]}" ]
}

@test "unix-listen: the path appears only once zcp listens on it, so a peer waiting for it is never refused" {
	# listen() held back 300 ms: the socket is bound all that time.
	strace -f -qq -o /dev/null -e inject=listen:delay_enter=300000 \
		timeout 20 "$ZCP" -q "unix-listen:$T/sock" "$T/dst" 2>"$T/lerr" 3>&- &
	lpid=$!
	wait_path "$T/sock"
	run --separate-stderr "$ZCP" -q "$T/src" "unix:$T/sock"
	wait "$lpid"
	echo "$stderr"
	assert_success
	cmp "$T/src" "$T/dst"
	# Nothing left beside it: neither the path nor the name bound first.
	[ -z "$(ls "$T" | grep sock)" ]
}

@test "a copy into TCP that fails or is stopped resets the peer: the receiver fails, not takes a short copy for a whole one" {
	# A read error (injected) at the fourth call on SRC (-P: only those
	# count; not the sanitizer's own reads), every method that can.
	for m in rw splice sendfile; do
		case $m in
		rw) sys=read ;;
		*) sys=$m ;;
		esac
		listen_to "$T/dst" tcp-listen:127.0.0.1:0
		run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -o /dev/null -P "$T/src" -e trace=$sys \
			-e inject=$sys:error=EIO:when=4 "$ZCP" -m "$m" -b 64K "$T/src" "tcp:127.0.0.1:$PORT"
		echo "$m: $status: $stderr"
		assert_failure 1
		[[ "$stderr" == *"zcp: read $T/src: Input/output error" ]]
		n=$(sed -n '1s/^zcp: \([0-9]*\) byte.*/\1/p' <<< "$stderr")
		[ "$n" -gt 0 ]
		st=0
		wait "$LPID" || st=$?
		echo "receiver: $st: $(cat "$T/lerr")"
		[ "$st" -eq 1 ]
		grep -q "zcp: read tcp-listen:127.0.0.1:0: Connection reset by peer" "$T/lerr"
		range "$T/src" 0 "$n" | cmp - "$T/dst"
	done
	# SIGTERM while SRC (a FIFO) has more to come.
	mkfifo "$T/fifo"
	rm "$T/dst"	# written over, not cut, until the copy ends
	listen_to "$T/dst" tcp-listen:127.0.0.1:0
	env --default-signal=TERM timeout 20 "$ZCP" "$T/fifo" "tcp:127.0.0.1:$PORT" 2>"$T/err" 3>&- &
	tpid=$!
	exec 7>"$T/fifo"
	head -c 100000 "$T/src" >&7
	zpid=$(pid_of_child "$tpid")
	wait_for size_is "$T/dst" 100000
	kill -TERM "$zpid"
	st=0
	wait "$tpid" || st=$?
	exec 7>&-
	[ "$st" -eq 143 ]
	grep -q '^zcp: 100000 bytes' "$T/err"
	st=0
	wait "$LPID" || st=$?
	echo "receiver: $st: $(cat "$T/lerr")"
	[ "$st" -eq 1 ]
	grep -q "Connection reset by peer" "$T/lerr"
	head -c 100000 "$T/src" | cmp - "$T/dst"
}
