/* main.c: the pipeline. Parse options, open SRC, check, open DST, pick a
 * method, copy, finish DST, report. Only this file exits on errors. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "bench.h"
#include "endpoint.h"
#include "explain.h"
#include "io.h"
#include "method.h"
#include "options.h"
#include "plan.h"
#include "progress.h"
#include "report.h"
#include "stats.h"

static struct options opt;
static struct copy cp;
static struct timespec t_start;
static int started;
static int sigpipe_ignored;	/* inherited: then EPIPE is an error */
static const struct method *running;	/* the method copying, for reports */
static off_t prealloc_size = -1;	/* DST's size when prealloc_dst ran */

static double elapsed(void)
{
	struct timespec now;

	if (!started)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t_start.tv_sec) +
	       (double)(now.tv_nsec - t_start.tv_nsec) / 1e9;
}

/* On the way out after an error: the socket files zcp made go, and its
 * descriptors are closed (their errors can add nothing to the one
 * reported). */
static void cleanup(void)
{
	(void)endpoint_close(&opt.src);
	(void)endpoint_close(&opt.dst);
}

/* Whether DST is a file zcp opened to replace, and so cuts to size. */
static int replaces_dst(void)
{
	return opt.dst.type == EP_PATH && opt.dst.kind == KIND_FILE &&
	       !opt.append && !opt.seek_set;
}

/* --append on a descriptor zcp was handed (fd:N, -) sets O_APPEND on an
 * open file description the caller shares. Like dd oflag=append, zcp
 * writes through it, so the caller's offset ends past the appended bytes
 * and its next write follows them; the flag itself is taken off again. */
static int appended = -1;

static void restore_flags(void)
{
	int fl;

	io_undirect_restore();
	if (appended >= 0 && (fl = fcntl(appended, F_GETFL)) >= 0)
		(void)fcntl(appended, F_SETFL, fl & ~O_APPEND);
	appended = -1;
}

/* Once the copy has stopped (see on_signal): no more interrupted calls. */
static volatile sig_atomic_t ticks_off;

static void stop_ticking(void)
{
	static const struct itimerval off;

	ticks_off = 1;
	setitimer(ITIMER_REAL, &off, NULL);
}

/* A runtime error: the report, then what failed (naming the side and
 * its operand, or with SIDE_NONE the method), then exit 1; after SIGINT
 * or SIGTERM, the report and death by that signal. */
static void __attribute__((noreturn)) fail(enum side side)
{
	int err = errno;
	int sig = io_signal;
	const char *msg = io_message(err);
	struct stats_error e = {
		.verb = side == SIDE_NONE ? "method"
			: side == SIDE_WRITE ? "write" : "read",
		.operand = side == SIDE_NONE
			? (opt.method ? opt.method->name : "auto")
			: side == SIDE_WRITE ? opt.dst.text : opt.src.text,
		.message = msg, .err = err, .sig = sig,
	};

	stop_ticking();
	/* A TCP peer is told that the copy broke off (a reset, not an end
	 * of file); what it had not acknowledged was not delivered. The
	 * progress line and SIGUSR1 go on while the peer takes the rest. */
	off_t lost = endpoint_abort(&opt.dst);

	progress_stop();
	if (lost > cp.done)
		lost = cp.done;
	cp.done -= lost;
	cp.pending += lost;
	stats_end(&cp);
	restore_flags();
	/* DST holds exactly the bytes reported, not them and an old tail.
	 * Before the first byte, a DST zcp created is removed again, and an
	 * existing one is left as it was, less the blocks prealloc_dst gave
	 * it past its end, unless bytes landed past the reported ones (then
	 * it too holds exactly those reported). */
	if (cp.done == 0 && opt.dst.created) {
		endpoint_uncreate(&opt.dst);
	} else if ((cp.done > 0 || cp.scattered) && opt.dst.fd >= 0 &&
		   replaces_dst()) {
		if (ftruncate(opt.dst.fd, cp.done) == 0)
			cp.scattered_from = cp.scattered_to = 0;
	} else if (prealloc_size >= 0) {
		(void)!ftruncate(opt.dst.fd, prealloc_size);
	}
	if (side == SIDE_WRITE && !sigpipe_ignored &&
	    ((opt.dst.kind == KIND_PIPE && err == EPIPE) ||
	     (opt.dst.kind == KIND_SOCKET && (opt.dst.type == EP_STDIO ||
					       opt.dst.type == EP_FD) &&
	      (err == EPIPE || err == ECONNRESET)))) {
		/* Like cat: a reader that went away ends us by SIGPIPE,
		 * quietly unless --json asked for a report whatever comes;
		 * through a pipe, or a socket handed over as a pipe would be
		 * (a socketpair for stdout). A reader that closes a socket
		 * with bytes unread gives a write blocked at that moment
		 * ECONNRESET, the next one EPIPE: which one comes is a race
		 * (cat reports ECONNRESET), so here both mean the reader
		 * went away. A peer of tcp: or unix: that zcp reached
		 * itself is a write error. */
		sig = e.sig = SIGPIPE;
		if (!opt.json) {
			cleanup();
			signal(sig, SIG_DFL);
			raise(sig);
		}
	}
	if (opt.explain)
		explain_error(&opt, &e);	/* no copy to report */
	else if (!opt.bench || opt.json)	/* --bench copies in children */
		stats_report(&opt, &cp, running ? running->name : NULL,
			     elapsed(), &e);
	cleanup();
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	if (!opt.json)
		report_error(e.verb, e.operand, msg);
	exit(1);
}

/* A stop signal that lands between a loop's check of io_signal and the
 * blocking call after it is seen only when that call returns: for a
 * silent peer, never. So the first one also starts a SIGALRM every
 * 100 ms, which (no SA_RESTART) interrupts whatever call is blocked by
 * then; the loop sees io_signal on EINTR. io_wait closes the gap with
 * ppoll; this covers read, splice, accept and the rest. */
static void on_signal(int sig)
{
	static const struct itimerval tick = { { 0, 100000 }, { 0, 100000 } };

	if (sig == SIGALRM)
		return;
	io_signal = sig;
	if (!ticks_off)
		setitimer(ITIMER_REAL, &tick, NULL);
}

static void signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction old;

	/* No SA_RESTART: a blocked call returns EINTR and the loop stops. */
	sigemptyset(&sa.sa_mask);
	for (const int *sig = io_stop_signals; *sig; sig++) {
		sigaction(*sig, NULL, &old);
		if (old.sa_handler != SIG_IGN)
			sigaction(*sig, &sa, NULL);
	}
	sigaction(SIGALRM, &sa, NULL);
	/* Past a file size limit, write's EFBIG is reported like any error. */
	signal(SIGXFSZ, SIG_IGN);
	sigaction(SIGPIPE, NULL, &old);
	sigpipe_ignored = old.sa_handler == SIG_IGN;
	/* --explain writes only its plan, to stdout: a reader that goes
	 * away ends it by SIGPIPE, quietly, as it ends --help and a copy
	 * into a pipe; not with "write error: Broken pipe". */
	if (!opt.explain)
		signal(SIGPIPE, SIG_IGN);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       (S_ISREG(a->st_mode) || S_ISBLK(a->st_mode));
}

static void __attribute__((noreturn)) same_file_error(void)
{
	struct stats_error e = { .verb = "write", .operand = opt.dst.text,
				 .message = "SRC and DST are the same file" };

	if (opt.explain)
		explain_error(&opt, &e);
	else
		stats_report(&opt, &cp, NULL, 0, &e);
	if (opt.json) {
		cleanup();
		exit(1);
	}
	fputs("zcp: '", stderr);
	report_escaped(stderr, opt.src.text);
	fputs("' and '", stderr);
	report_escaped(stderr, opt.dst.text);
	fputs("' are the same file\n", stderr);
	cleanup();
	exit(1);
}

/* Like dd, says when SRC ended before --offset: the copy goes on, with
 * nothing to copy. */
static void short_skip(off_t skipped)
{
	if (opt.quiet)
		return;
	fputs("zcp: warning: '", stderr);
	report_escaped(stderr, opt.src.text);
	fprintf(stderr, "' ended %lld bytes into --offset=%lld\n",
		(long long)skipped, (long long)opt.offset);
}

/* Where a file SRC ends, read from start on: its size, unless its file
 * system's sizes say nothing (/proc); then the end is found by reading. */
static off_t src_end(int fd, off_t start, off_t size)
{
	char buf[65536];
	off_t end = start;
	ssize_t n;

	if (endpoint_file_size(fd, size) == size)
		return size;
	while ((n = pread(fd, buf, sizeof buf, end)) > 0)
		end += n;
	return end;
}

/* Skips offset bytes of SRC by seeking, where it can. Returns 0 when
 * that is done, offset when SRC cannot seek (read_away reads them), or
 * -1 with errno set. */
static off_t seek_src(int fd, off_t offset)
{
	char byte;
	off_t pos, start, end;
	struct stat st;

	if (offset == 0)
		return 0;
	pos = lseek(fd, offset, SEEK_CUR);
	if (pos < 0 && errno == ESPIPE)
		return offset;
	/* Past the largest offset its file system allows (16 TiB on ext4),
	 * no file has bytes, nor past its end a device: as dd, zcp warns
	 * and copies nothing. */
	if (pos < 0 && errno == EINVAL &&
	    (opt.src.kind == KIND_FILE || opt.src.kind == KIND_BLK)) {
		start = lseek(fd, 0, SEEK_CUR);
		end = start < 0 || fstat(fd, &st) < 0 ? -1
		    : opt.src.kind == KIND_BLK ? lseek(fd, 0, SEEK_END)
					       : src_end(fd, start, st.st_size);
		if (end >= 0 && lseek(fd, end > start ? end : start,
				      SEEK_SET) >= 0) {
			short_skip(end > start ? end - start : 0);
			return 0;
		}
		errno = EINVAL;	/* what the seek itself said */
	}
	if (pos < 0)
		return -1;
	/* start: where SRC was handed over (fd:N, -). A byte just before
	 * pos, whatever st_size says, means SRC reaches it. */
	start = pos - offset;
	if (opt.src.kind == KIND_FILE && fstat(fd, &st) == 0 &&
	    pos > st.st_size && pread(fd, &byte, 1, pos - 1) != 1) {
		end = src_end(fd, start, st.st_size);
		short_skip(end > start ? end - start : 0);
	}
	return 0;
}

/* Reads exactly c->skip bytes of a SRC that cannot seek and drops them,
 * counting them in c->skipped for the progress line. */
static int read_away(struct copy *c)
{
	char buf[65536];

	while (c->skipped < c->skip) {
		off_t left = c->skip - c->skipped;
		size_t want = left < (off_t)sizeof buf ? (size_t)left
						       : sizeof buf;
		ssize_t n = io_read(c->in, buf, want);

		if (n < 0)
			return -1;
		if (n == 0) {
			/* The warning takes a line of its own, not the
			 * progress line's: that is ended, then drawn on. */
			progress_stop();
			short_skip(c->skipped);
			progress_start(c, &t_start);
			break;
		}
		io_count_add(&c->skipped, n);
	}
	return 0;
}

/* What DST will be, learnt without opening or creating it. */
static void probe_dst(struct endpoint *e)
{
	switch (e->type) {
	case EP_PATH:
		if (stat(e->path, &e->st) < 0) {
			e->kind = KIND_FILE;	/* open will create it */
			return;
		}
		e->kind = endpoint_kind_of(&e->st, -1);
		if (same_file(&opt.src.st, &e->st))
			same_file_error();
		return;
	case EP_STDIO:
	case EP_FD:
		e->fd = e->type == EP_FD ? e->fdnum : STDOUT_FILENO;
		if (e->fd_was_closed || endpoint_classify(e) < 0)
			e->kind = KIND_OTHER;	/* open reports it */
		e->fd = -1;
		return;
	default:
		e->kind = KIND_SOCKET;
		return;
	}
}

/* Whether SRC is a path to a FIFO, whose open waits for a writer. */
static int src_is_fifo(void)
{
	struct stat st;

	return opt.src.type == EP_PATH && stat(opt.src.path, &st) == 0 &&
	       S_ISFIFO(st.st_mode);
}

/* A listener on port 0: the line names the port the kernel chose. */
static void wait_listening(const char *address)
{
	static char text[128];

	snprintf(text, sizeof text, "waiting for a peer on %s", address);
	progress_wait(text);
}

/* While opening E waits on something outside zcp, SIGUSR1 and the
 * live line say so, as dd answers SIGUSR1 while its open of a FIFO
 * waits: a listener waits for its peer, a FIFO for its other end, a
 * connection for the peer's answer. fifo: E is a path to a FIFO. */
static void wait_begin(const struct endpoint *e, int fifo, int write)
{
	static char text[512];
	const char *what = e->type == EP_TCP_LISTEN ||
			   e->type == EP_UNIX_LISTEN ? "waiting for a peer on "
			 : e->type == EP_TCP || e->type == EP_UNIX ? "connecting to "
			 : !fifo ? NULL
			 : write ? "waiting for a reader to open "
				 : "waiting for a writer to open ";
	FILE *f;

	endpoint_listening = e->type == EP_TCP_LISTEN ? wait_listening : NULL;
	/* The last byte stays 0 however long the operand: out of room,
	 * the stream fails to close, and its text is cut, not lost. */
	if (!what || !(f = fmemopen(text, sizeof text - 1, "w")))
		return;
	fputs(what, f);
	report_escaped(f, e->text);
	(void)fclose(f);
	progress_wait(text);
}

static void open_endpoints(void)
{
	/* No connection for a plan, and no wait for a FIFO's writer. */
	if (opt.explain && (opt.src.type >= EP_TCP || src_is_fifo())) {
		opt.src.kind = opt.src.type >= EP_TCP ? KIND_SOCKET : KIND_PIPE;
		probe_dst(&opt.dst);
		return;
	}
	wait_begin(&opt.src, src_is_fifo(), 0);
	if (endpoint_open_src(&opt.src) < 0)
		fail(SIDE_READ);
	progress_stop();
	if (endpoint_classify(&opt.src) < 0)
		fail(SIDE_READ);
	if (S_ISDIR(opt.src.st.st_mode)) {
		errno = EISDIR;
		fail(SIDE_READ);
	}
	probe_dst(&opt.dst);
}

/* The checks that need DST's kind, made before DST is opened. */
static void check_method(void)
{
	const char *why = "";

	/* auto with --direct: direct I/O or none (see plan_order). */
	if (!opt.method && opt.direct == 1 && !async_supports(&cp, &why)) {
		cleanup();
		usage_error("--direct is for aio and io_uring, which cannot"
			    " copy from %s to %s: they need a regular file"
			    " or block device on one side",
			    endpoint_kind_name(opt.src.kind),
			    endpoint_kind_name(opt.dst.kind));
	}
	if (opt.method && opt.method->supports &&
	    !opt.method->supports(&cp, &why)) {
		cleanup();
		usage_error("method %s cannot copy from %s to %s: %s",
			    opt.method->name, endpoint_kind_name(opt.src.kind),
			    endpoint_kind_name(opt.dst.kind), why);
	}
}

/* What the method that would run asks of the kernel before DST is
 * touched (--direct: O_DIRECT on each file side). A refusal is a
 * runtime error of that side: the copy would fail there, and auto does
 * not pass over it, as --direct asks for direct I/O or none. */
static void check_kernel(void)
{
	const struct method *const *m;
	const struct method *one[] = { opt.method, NULL };
	const char *why = "";
	enum side side;

	for (m = opt.method ? one : plan_order(&cp); *m; m++)
		if (!(*m)->supports || (*m)->supports(&cp, &why))
			break;
	if (!*m || !(*m)->check || (*m)->check(&cp, &side, &why) == 0)
		return;
	/* Reported as a refusal met once the method has started is. */
	running = *m;
	cp.bsize = opt.bsize ? opt.bsize : method_bsize(*m, &cp);
	io_set_message(why);
	errno = EINVAL;
	fail(side);
}

/* --seek is refused before anything opens where every write would
 * ignore it or the seek itself must fail: a DST handed over with
 * O_APPEND (">>"), as --append --seek is; and a socket, pipe or FIFO,
 * which cannot seek: found out only once open, that would be after a
 * peer was accepted or connected to, or a FIFO's reader waited for. */
static void check_seek(void)
{
	int fd = opt.dst.type == EP_FD ? opt.dst.fdnum : STDOUT_FILENO;
	int handed = opt.dst.type == EP_STDIO || opt.dst.type == EP_FD;
	const char *what = NULL;
	struct stat st;
	int fl;

	if (!opt.seek_set)
		return;
	if (handed && !opt.dst.fd_was_closed) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_APPEND))
			usage_error("--seek cannot be used with a DST opened"
				    " for appending: '%s' has O_APPEND",
				    opt.dst.text);
	}
	if (opt.dst.type >= EP_TCP)
		what = "socket";
	else if ((handed && !opt.dst.fd_was_closed && fstat(fd, &st) == 0) ||
		 (opt.dst.type == EP_PATH && stat(opt.dst.path, &st) == 0))
		what = S_ISSOCK(st.st_mode) ? "socket"
		       : S_ISFIFO(st.st_mode) ? "pipe" : NULL;
	if (what)
		usage_error("--seek needs a DST that can seek: '%s' is a %s",
			    opt.dst.text, what);
}

/* A socket SRC is known to be one before it is opened, and a path by
 * what stat(2) says of it: a named method (or auto with --direct) that
 * cannot serve the pair is a usage error before SRC is opened, a peer
 * accepted or a FIFO's writer waited for. A terminal is told by its
 * device number (endpoint_kind_of); once open, SRC is checked again, as
 * is every handed SRC. A file, device or DST kind learnt here is
 * forgotten again, so that a SRC that cannot be opened is reported as
 * one that was never looked at. */
static void check_early_src(void)
{
	enum endpoint_kind dst_kind = opt.dst.kind;
	struct stat st;

	if ((!opt.method && opt.direct != 1) || opt.explain || opt.bench ||
	    opt.src.type == EP_STDIO || opt.src.type == EP_FD)
		return;
	if (opt.src.type == EP_PATH) {
		if (stat(opt.src.path, &st) < 0)
			return;		/* opening it says why */
		opt.src.kind = endpoint_kind_of(&st, -1);
		/* A directory or socket: opening it says so. */
		if (opt.src.kind == KIND_DIR || opt.src.kind == KIND_SOCKET ||
		    opt.src.kind == KIND_OTHER) {
			opt.src.kind = KIND_UNKNOWN;
			return;
		}
	}
	cp.src = &opt.src;
	cp.dst = &opt.dst;
	probe_dst(&opt.dst);
	cp.direct = opt.direct;
	check_method();
	if (opt.src.kind != KIND_PIPE && opt.src.kind != KIND_SOCKET) {
		opt.src.kind = KIND_UNKNOWN;
		opt.dst.kind = dst_kind;
	}
}

/* A descriptor handed over as DST (-, fd:N) that is closed or not open
 * for writing fails the copy whatever SRC is: said before SRC is
 * opened, so that no peer is accepted or connected to, and no FIFO's
 * writer waited for, only to be dropped. Looking costs nothing: the
 * descriptor is already open. */
static void check_handed_dst(void)
{
	if (opt.explain || opt.bench ||
	    (opt.dst.type != EP_STDIO && opt.dst.type != EP_FD))
		return;
	if (endpoint_open_dst(&opt.dst, 0) < 0)
		fail(SIDE_WRITE);
	opt.dst.fd = -1;	/* open_dst takes it again */
}

/* --append sets O_APPEND on a regular file only, whether DST is a path
 * or a handed descriptor: on /dev/null or a FIFO it means nothing, and
 * it would make sendfile and splice refuse them. */
static void open_dst(void)
{
	wait_begin(&opt.dst, opt.dst.type == EP_PATH &&
			     opt.dst.kind == KIND_PIPE, 1);
	if (endpoint_open_dst(&opt.dst, opt.append &&
			      opt.dst.kind == KIND_FILE) < 0)
		fail(SIDE_WRITE);
	progress_stop();
	if (endpoint_classify(&opt.dst) < 0)
		fail(SIDE_WRITE);
	if (S_ISDIR(opt.dst.st.st_mode)) {
		errno = EISDIR;
		fail(SIDE_WRITE);
	}
	if (same_file(&opt.src.st, &opt.dst.st))
		same_file_error();
	if (opt.append && !opt.dst.append && opt.dst.kind == KIND_FILE) {
		int fl = fcntl(opt.dst.fd, F_GETFL);

		if (fl < 0 || fcntl(opt.dst.fd, F_SETFL, fl | O_APPEND) < 0)
			fail(SIDE_WRITE);
		opt.dst.append = 1;
		appended = opt.dst.fd;
	}
	if (opt.seek_set && lseek(opt.dst.fd, opt.seek, SEEK_CUR) < 0) {
		/* Past the largest offset its file system allows. */
		if (errno == EINVAL && opt.dst.kind == KIND_FILE)
			errno = EFBIG;
		fail(SIDE_WRITE);
	}
}

/* A file zcp replaces on ext4 gets the blocks of the copy allocated in
 * one piece before it starts (bench/RESULTS.md: 1.1x to 1.6x faster for
 * 1 GiB than allocating as the pages are written). The size is left as
 * it is (KEEP_SIZE); finish_dst's ftruncate to the bytes copied, or
 * fail's, frees what the copy did not fill. Elsewhere it is
 * not done: copy_file_range shares blocks on btrfs and XFS, and tmpfs
 * measured no gain. A refusal costs nothing: the copy allocates as it
 * goes. */
static void prealloc_dst(void)
{
	struct statfs fs;
	struct stat st;
	off_t len;

	if (!replaces_dst() || fstatfs(cp.out, &fs) < 0 ||
	    fs.f_type != EXT4_SUPER_MAGIC || fstat(cp.out, &st) < 0)
		return;
	len = endpoint_remaining(cp.src, 0, cp.count);
	/* More than fits would fill the file system before the first byte. */
	if (len <= 0 || (unsigned long long)len / fs.f_bsize >= fs.f_bavail)
		return;
	/* Set first: a call that fails part way may still leave blocks. */
	prealloc_size = st.st_size;
	(void)fallocate(cp.out, FALLOC_FL_KEEP_SIZE, 0, len);
}

/* splice and sendfile answer EINVAL for /dev/full, whose writes fail
 * with ENOSPC by design. A write of no bytes moves nothing there and
 * gets that error, the one to report. Not asked of other devices: to
 * some (/dev/kmsg) an empty write is a record. */
static void dst_says_why(int err)
{
	const struct stat *st = &opt.dst.st;

	if (err == EINVAL && opt.dst.kind == KIND_CHR &&
	    major(st->st_rdev) == 1 && minor(st->st_rdev) == 7 &&
	    write(cp.out, "", 0) < 0)
		fail(SIDE_WRITE);
}

/* What the methods are given, once both endpoints are open. */
static void prepare_copy(void)
{
	cp.in = opt.src.fd;
	cp.out = opt.dst.fd;
	cp.count = opt.count;
	cp.flags = opt.flags;
	cp.qdepth = opt.qdepth;
	cp.direct = opt.direct;
	cp.verbose = opt.verbose;
}

/* Runs the named method, or for auto each that serves the pair until
 * one does not ask to fall back. */
static const struct method *run_copy(void)
{
	const struct method *const *m;
	const struct method *one[] = { opt.method, NULL };
	static char refusal[200];
	const char *why;
	int rc;

	stats_start();
	prealloc_dst();
	if (!opt.method)
		plan_prepare(&cp);
	for (m = opt.method ? one : plan_order(&cp); *m; m++) {
		if ((*m)->supports && !(*m)->supports(&cp, &why)) {
			if (opt.method) {
				io_set_message(why);
				errno = EINVAL;
				fail(SIDE_NONE);
			}
			method_pass(&cp, *m, 0, why);
			continue;
		}
		running = *m;
		cp.bsize = opt.bsize ? opt.bsize : method_bsize(*m, &cp);
		cp.fallback_errno = 0;
		cp.note[0] = '\0';
		cp.inflight = 0;
		rc = (*m)->copy(&cp);
		if (rc == COPY_DONE)
			return *m;
		if (rc == COPY_ERROR)
			fail(cp.side);
		snprintf(refusal, sizeof refusal, "the kernel refused it: %s",
			 cp.note[0] ? cp.note : strerror(cp.fallback_errno));
		if (opt.method) {
			dst_says_why(cp.fallback_errno);
			io_set_message(refusal);
			errno = cp.fallback_errno;
			fail(SIDE_NONE);
		}
		method_pass(&cp, *m, cp.fallback_errno, NULL);
	}
	/* Reached with --direct only: rw serves every other pair. */
	running = NULL;
	cp.inflight = 0;
	io_set_message("the kernel refused io_uring and aio, and --direct"
		       " asks for one of them");
	errno = cp.fallback_errno ? cp.fallback_errno : ENOSYS;
	fail(SIDE_NONE);
}

/* Makes DST exactly what was copied, and tells a socket peer that
 * nothing more follows. */
static void finish_dst(void)
{
	struct endpoint *d = &opt.dst;

	if (replaces_dst() && ftruncate(d->fd, cp.done) < 0)
		fail(SIDE_WRITE);
	if (d->owned && d->kind == KIND_SOCKET && endpoint_shutdown(d) < 0)
		fail(SIDE_WRITE);
	if (opt.fsync && (d->kind == KIND_FILE || d->kind == KIND_BLK) &&
	    fsync(d->fd) < 0)
		fail(SIDE_WRITE);
	if (endpoint_close(d) < 0)
		fail(SIDE_WRITE);
}

int main(int argc, char **argv)
{
	const struct method *m;
	double secs;

	options_parse(&opt, argc, argv);
	/* --explain prints to stdout, closed or not: through the stand-in,
	 * whose write error is told as the closed descriptor's. */
	if (endpoint_guard(&opt.src, &opt.dst))
		report_stdout_closed();
	progress_init(opt.progress);
	signals_init();
	if (opt.bench)
		bench_check(&opt);
	stats_start();
	check_seek();
	check_early_src();
	check_handed_dst();
	open_endpoints();
	cp.src = &opt.src;
	cp.dst = &opt.dst;
	cp.direct = opt.direct;
	if (opt.append && opt.dst.kind == KIND_FILE)
		opt.dst.append = 1;	/* open_dst makes it so */
	if (opt.explain)
		return explain_run(&opt, &cp);
	if (opt.bench)
		return bench_run(&opt, &cp);
	check_method();
	check_kernel();
	open_dst();
	prepare_copy();
	/* The time reported counts reading away --offset, as dd's does,
	 * and the progress line and SIGUSR1 show that reading. */
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	started = 1;
	if ((cp.skip = seek_src(cp.in, opt.offset)) < 0)
		fail(SIDE_READ);
	progress_start(&cp, &t_start);
	if (read_away(&cp) < 0)
		fail(SIDE_READ);
	m = run_copy();
	if (io_signal)
		fail(SIDE_READ);	/* reports, then dies by the signal */
	stop_ticking();		/* no call of the copy is left to interrupt */
	stats_end(&cp);
	/* Before finish_dst closes a descriptor they may have been set on. */
	restore_flags();
	/* The progress line and SIGUSR1 go on while a socket peer takes
	 * the last bytes, or --fsync waits for the disk. */
	finish_dst();
	progress_stop();
	if (io_signal)
		fail(SIDE_WRITE);
	secs = elapsed();
	endpoint_close(&opt.src);
	stats_report(&opt, &cp, m->name, secs, NULL);
	return 0;
}
