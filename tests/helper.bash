# tests/helper.bash: loaded by every .bats file. Finds the binary under
# test ($ZCP), loads bats-support and bats-assert, and makes fixtures.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${ZCP:=$BATS_TEST_DIRNAME/../zcp}"
export ZCP

T=$BATS_TEST_TMPDIR

# mkdata FILE BYTES: a file of random bytes.
mkdata() {
	head -c "$2" /dev/urandom > "$1"
}

# range FILE OFFSET COUNT: the bytes zcp --offset --count should produce.
range() {
	if [ "$3" = all ]; then
		dd if="$1" iflag=skip_bytes bs=64K skip="$2" status=none
	else
		dd if="$1" iflag=skip_bytes,count_bytes bs=64K skip="$2" count="$3" status=none
	fi
}

# wait_port ERRFILE: waits for "listening on ADDR:PORT" in a zcp's
# stderr and prints PORT.
wait_port() {
	local i line
	for i in $(seq 1 100); do
		line=$(grep -o 'listening on .*' "$1" 2>/dev/null || true)
		if [ -n "$line" ]; then
			echo "${line##*:}"
			return 0
		fi
		sleep 0.05
	done
	echo "no listening line in $1" >&2
	return 1
}

# signal_in PID FIELD SIG: SIG is in the mask FIELD (SigCgt, SigBlk) of
# process PID's /proc status.
signal_in() {
	local mask
	mask=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$mask" ] && (( (16#$mask >> ($(kill -l "$3") - 1)) & 1 ))
}

# catches PID SIG: process PID has a handler for SIG: a zcp still
# starting does not, and dies by the signal without a report.
catches() { signal_in "$1" SigCgt "$2"; }

# watchdog SECS PID: kills PID after SECS unless unwatch comes first. A
# watchdog left running would kill whatever process is given PID's
# number next: with pid_max at 32768, a suite spawns that many soon.
watchdog() {
	( sleep "$1"; kill -9 "$2" ) 2>/dev/null 3>&- &
	WATCHDOG=$!
}
unwatch() { kill "$WATCHDOG" 2>/dev/null || true; }

# wait_for CMD...: polls CMD until it succeeds (bounded: 10 s).
wait_for() {
	local i
	for i in $(seq 1 200); do
		"$@" && return 0
		sleep 0.05
	done
	echo "never true: $*" >&2
	return 1
}

# shm_dir: $shm, a new directory on /dev/shm (tmpfs holds files up to
# the largest off_t), or the test is skipped. The teardown below removes
# it, also when the test fails; a file with a teardown of its own must
# do the same if it calls shm_dir.
shm_dir() {
	[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm"
	shm=$(mktemp -d /dev/shm/zcp-test.XXXXXX)
}

teardown() {
	if [ -n "${shm:-}" ]; then
		rm -rf "$shm"
	fi
	# A file system a test mounted, left mounted by a failed assertion.
	if [ -n "${T:-}" ] && mountpoint -q "$T/mnt" 2>/dev/null; then
		umount "$T/mnt"
	fi
}

OFF_MAX=9223372036854775807

# max_file PATH: a sparse file of the largest size there is, its last
# 5000 bytes those of $T/tail (made here).
max_file() {
	truncate -s "$OFF_MAX" "$1"
	mkdata "$T/tail" 5000
	dd if="$T/tail" of="$1" bs=5000 seek=$((OFF_MAX - 5000)) oflag=seek_bytes conv=notrunc status=none
}

# size_is FILE N: FILE holds N bytes.
size_is() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]; }

# wait_path PATH: waits until PATH exists.
wait_path() {
	local i
	for i in $(seq 1 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Methods that --help lists; tests run over each of them.
methods() {
	"$ZCP" --help | sed -n '/^Methods:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# The report line says exactly N bytes.
assert_reported() {
	assert_output --partial "zcp: $1 byte"
}

# strace ARGS...: LeakSanitizer cannot run under ptrace, so a traced
# sanitizer build checks everything but leaks.
strace() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" command strace "$@"
}

# serves METHOD SRC DST: whether METHOD can copy from SRC to DST, each a
# kind of endpoint: file, pipe, socket, chr, or (DST) append for a file
# opened O_APPEND. A pair it cannot serve must be refused with exit 2.
serves() {
	case $1:$2:$3 in
	splice:*:append | sendfile:*:append | copy_file_range:*:append) return 1 ;;
	sendfile:file:*) return 0 ;;
	sendfile:*) return 1 ;;
	copy_file_range:file:file) return 0 ;;
	copy_file_range:*) return 1 ;;
	aio:file:* | io_uring:file:* | aio:*:file | io_uring:*:file | aio:*:append | io_uring:*:append) return 0 ;;
	aio:* | io_uring:*) return 1 ;;
	*) return 0 ;;
	esac
}

# assert_refused: the last run was a method refusing the pair: exit 2
# before anything was written, naming the method and what it needs.
assert_refused() {
	assert_failure 2
	assert_output --regexp "zcp: method $m cannot copy from [a-z ]+ to [a-z ]+: .*(needs|cannot)"
}

# tsan_build: builds zcp with ThreadSanitizer into $T/zcp-tsan, or skips.
tsan_build() {
	# Once per suite run: the sanitizer build gives the same answer.
	if grep -qa __asan_init "$ZCP"; then
		skip "ThreadSanitizer runs with the plain build only"
	fi
	${CC:-cc} -O1 -g -std=c11 -D_GNU_SOURCE -pthread -fsanitize=thread \
		-o "$T/zcp-tsan" "$BATS_TEST_DIRNAME"/../src/*.c -laio -luring \
		2>"$T/cc.err" || skip "no ThreadSanitizer: $(head -n 1 "$T/cc.err")"
	"$T/zcp-tsan" --version >/dev/null 2>&1 || skip "ThreadSanitizer cannot run here"
}

# pid_of_child PID: the zcp that PID started (timeout's or strace's
# child). By name: a shell on the way to exec can have short-lived
# children of its own (command substitutions in bats' traps).
pid_of_child() {
	local i c
	for i in $(seq 1 100); do
		c=$(pgrep -P "$1" -x zcp | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.02
	done
	return 1
}

# peer MODE ARG...: a TCP peer on 127.0.0.1 for zcp, bounded by timeout;
# one that listens writes its port (chosen by the kernel) to $PORTFILE.
#   send PORT FILE N PIECE: connects, sends N bytes of FILE in pieces of
#     1 to PIECE bytes (flushed one by one), then resets the connection
#     if RESET=1, else closes it.
#   stall: listens, accepts one connection, reads nothing until
#     $PORTFILE.stop exists.
#   reset-after N: listens, reads N bytes, then resets the connection.
#   serve FILE N: listens, sends N bytes of FILE to the one connection
#     it accepts, and resets it once they were all acknowledged (bytes
#     still unsent would be lost with the reset).
peer() {
	timeout 20 python3 - "$@" <<'PY'
import array, fcntl, os, random, socket, struct, sys, termios, time
mode = sys.argv[1]
def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
if mode == "send":
    port, path, n, piece = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = open(path, "rb").read(n)
    i = 0
    while i < len(data):
        k = random.randint(1, piece)
        s.sendall(data[i:i + k])
        i += k
        if piece < 100 and random.randint(0, 3) == 0:
            time.sleep(0.0005)
    if os.environ.get("RESET") == "1":
        time.sleep(0.3)
        reset(s)
    else:
        s.close()
else:
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(1)
    open(os.environ["PORTFILE"] + ".t", "w").write(str(l.getsockname()[1]))
    os.rename(os.environ["PORTFILE"] + ".t", os.environ["PORTFILE"])
    c, _ = l.accept()
    if mode == "serve":
        c.sendall(open(sys.argv[2], "rb").read(int(sys.argv[3])))
        q = array.array("i", [0])
        while fcntl.ioctl(c, termios.TIOCOUTQ, q) == 0 and q[0] > 0:
            time.sleep(0.01)
        reset(c)
    elif mode == "stall":
        # Reading nothing, until told to stop ($PORTFILE.stop).
        while not os.path.exists(os.environ["PORTFILE"] + ".stop"):
            time.sleep(0.05)
    else:
        got, want = 0, int(sys.argv[2])
        with open(sys.argv[3], "wb") as f:
            while got < want:
                b = c.recv(min(65536, want - got))
                if not b:
                    break
                f.write(b)
                got += len(b)
        reset(c)
PY
}

# json TEXT FILTER: applies the jq FILTER to the JSON object on the last
# line of TEXT (which must parse) and prints the result, compact.
json() {
	local text=$1
	shift
	tail -n 1 <<< "$text" | jq -ce "$@"
}

# direct_here: skips unless O_DIRECT works where the fixtures live.
direct_here() {
	mkdata "$T/probe" 4096
	if ! dd if="$T/probe" of=/dev/null iflag=direct bs=4096 status=none 2>/dev/null; then
		skip "no O_DIRECT in $T"
	fi
}

# odirect MODE FILE ZCP ARGS...: runs zcp with FILE opened O_DIRECT (MODE
# r or w) as the operand FD, stdin passed on; fails if zcp fails, or if
# the descriptor no longer has O_DIRECT afterwards.
odirect() {
	python3 -c '
import fcntl, os, subprocess, sys
mode, path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
fl = os.O_RDONLY if mode == "r" else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
fd = os.open(path, fl | os.O_DIRECT, 0o644)
args = [a.replace("FD", "fd:%d" % fd) for a in args]
rc = subprocess.run(args, pass_fds=[fd]).returncode
if not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
    sys.exit("O_DIRECT was left cleared")
sys.exit(rc)' "$@"
}
