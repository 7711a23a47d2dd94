/* method_splice.c: splice(2). Straight across when SRC or DST is a pipe
 * (but from a pipe into a file or block device); otherwise through an
 * internal pipe, enlarged so that each round trip moves as much as the
 * kernel allows. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "io.h"
#include "method.h"

/* The kernel ignores SPLICE_F_MOVE since 2.6.21 and SPLICE_F_GIFT only
 * means something to vmsplice; both are accepted for completeness. */
static const struct method_flag splice_flags[] = {
	{ "move", SPLICE_F_MOVE },
	{ "nonblock", SPLICE_F_NONBLOCK },
	{ "more", SPLICE_F_MORE },
	{ "gift", SPLICE_F_GIFT },
	{ NULL, 0 },
};

static int splice_supports(const struct copy *c, const char **why)
{
	switch (c->src->kind) {
	case KIND_TTY:
		*why = "splice cannot read from a terminal (rw can)";
		return 0;
	case KIND_OTHER:
		*why = "splice needs a file, pipe, socket or device as source";
		return 0;
	default:
		break;
	}
	if (c->dst->kind == KIND_TTY) {
		*why = "splice cannot write to a terminal (rw can)";
		return 0;
	}
	if (c->dst->append && c->dst->kind != KIND_PIPE) {
		*why = "splice cannot write to a file opened for appending"
		       " (rw can)";
		return 0;
	}
	return 1;
}

/* Errors only the writing side gives; the rest are taken as reading. */
static enum side error_side(int err)
{
	switch (err) {
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return SIDE_WRITE;
	default:
		return SIDE_READ;
	}
}

/* SPLICE_F_MORE tells a socket to hold a partial packet for what
 * follows; stale, it delays the end by 200 ms. So it is passed only
 * while the count says more is wanted after this call, and, when zcp
 * sets it on its own, only while a regular SRC still has bytes. */
static unsigned more_flag(const struct copy *c, off_t after, int src_has_more)
{
	if (c->count == 0 || (c->count > 0 && c->count <= after))
		return 0;
	if (c->flags & SPLICE_F_MORE)
		return SPLICE_F_MORE;
	return src_has_more ? SPLICE_F_MORE : 0;
}

/* Which side a failed splice between a pipe and something else failed
 * on: a pipe itself fails only when its reader is gone (EPIPE), so the
 * other end is to blame for the rest. A stop signal (EINTR) is put on
 * the side the call was waiting on, as rw's separate read and write
 * put it: SRC while it had nothing to read, else DST. */
static enum side direct_side(const struct copy *c, int err)
{
	if (err == EINTR) {
		struct pollfd in = { .fd = c->in, .events = POLLIN };
		int ready = poll(&in, 1, 0) > 0;

		errno = err;
		return ready ? SIDE_WRITE : SIDE_READ;
	}
	if (err == EPIPE && c->dst->kind == KIND_PIPE)
		return SIDE_WRITE;
	if (c->src->kind == KIND_PIPE && c->dst->kind != KIND_PIPE)
		return SIDE_WRITE;
	if (c->dst->kind == KIND_PIPE && c->src->kind != KIND_PIPE)
		return SIDE_READ;
	return error_side(err);
}

/* One side is a pipe: no copy of our own in between. */
static int splice_direct(struct copy *c)
{
	unsigned flags = c->flags & ~SPLICE_F_MORE;
	size_t fit = SIZE_MAX;	/* what fits below the largest off_t */
	int first = 1, cut = 0;

	while (c->count != 0) {
		size_t want = method_chunk(c);
		ssize_t n;

		if (want > fit)
			want = fit;
		if (io_stopped()) {
			/* A call the signal cut short was waiting on a side. */
			c->side = cut ? direct_side(c, EINTR) : SIDE_READ;
			return COPY_ERROR;
		}
		io_syscalls++;
		n = splice(c->in, NULL, c->out, NULL, want,
			   flags | more_flag(c, (off_t)want, 0));
		if (n < 0) {
			if (io_retry_pair(c->in, c->out))
				continue;
			/* A range past the largest off_t is refused: nothing
			 * lies there to read, and nothing is written there. */
			if (errno == EINVAL) {
				size_t in = io_fit(c->in, want);
				size_t out = io_fit(c->out, want);

				if (in == 0)
					break;
				if (out == 0) {
					errno = EFBIG;
					c->side = SIDE_WRITE;
					return COPY_ERROR;
				}
				if (in < want || out < want) {
					fit = in < out ? in : out;
					continue;
				}
			}
			return method_failed(c, first, direct_side(c, errno));
		}
		if (n == 0) {
			if (first && c->src->kind == KIND_FILE &&
			    method_empty_start(c, "splice"))
				return COPY_FALLBACK;
			break;
		}
		first = 0;
		cut = (size_t)n < want;
		method_moved(c, (size_t)n);
	}
	return COPY_DONE;
}

/* DST refused the first bytes: give them back to a seekable SRC, or
 * else write them out by hand, so nothing read is lost. Returns
 * COPY_FALLBACK, or COPY_ERROR if the hand-written bytes failed. */
static int undo_first(struct copy *c, int pipe_rd, int err)
{
	char buf[65536];

	c->fallback_errno = err;
	if (lseek(c->in, -c->pending, SEEK_CUR) >= 0) {
		if (c->count >= 0)
			c->count += c->pending;
		c->pending = 0;
		return COPY_FALLBACK;
	}
	while (c->pending > 0) {
		ssize_t n = io_read(pipe_rd, buf, sizeof buf);

		if (n <= 0) {
			c->side = SIDE_READ;
			return COPY_ERROR;
		}
		off_t before = c->done;
		int rc = io_write_all(c->out, buf, (size_t)n, &c->done);
		c->pending -= c->done - before;
		if (rc < 0) {
			c->side = SIDE_WRITE;
			return COPY_ERROR;
		}
	}
	return COPY_FALLBACK;
}

/* Into a device that discards what it is given (/dev/null, /dev/zero)
 * the order of the bytes does not matter, and a copy from the page cache
 * is bound by splice's per-page work (a pipe buffer filled, confirmed
 * and released for every page), not by copying. So the range is spread
 * over one thread per CPU, each through its own pipe, claiming a piece
 * at a time (bench/RESULTS.md). Only when the range is in the page
 * cache, as far as probes tell: a file still on disk is read faster in
 * one stream. */
#define SPREAD_MIN ((off_t)32 << 20)	/* smaller ranges: one thread */
#define SPREAD_PIECE ((off_t)4 << 20)	/* bytes a thread claims at once */
#define SPREAD_THREADS 4

#if !defined(__NR_cachestat) && \
	(defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
#define __NR_cachestat 451
#endif

struct spread {
	struct copy *c;
	unsigned flags;
	off_t next;		/* first offset no thread has claimed */
	off_t end;
	int err;		/* errno of the first failure, 0 while none */
	enum side side;
	off_t lost;		/* bytes in a pipe whose write to DST failed */
	unsigned long calls;
	pthread_t main;		/* the thread that sees stop signals */
};

static int discards(const struct endpoint *e)
{
	return e->kind == KIND_CHR && major(e->st.st_rdev) == 1 &&
	       (minor(e->st.st_rdev) == 3 || minor(e->st.st_rdev) == 5);
}

/* 1 if SRC's [pos, pos + len) is in the page cache, as far as
 * SPREAD_PROBES pages spaced evenly over it tell: cachestat(2) over the
 * whole range walks every page, which cost a third of a spread's time. */
#define SPREAD_PROBES 32

static int cached(int fd, off_t pos, off_t len)
{
#ifdef __NR_cachestat
	int i;

	for (i = 0; i < SPREAD_PROBES; i++) {
		off_t at = pos + len / SPREAD_PROBES * i;
		struct { uint64_t off, len; } range = { (uint64_t)at, 1 };
		struct { uint64_t cache, dirty, writeback, evicted, recent; } st;

		if (i == SPREAD_PROBES - 1)
			range.off = (uint64_t)(pos + len - 1);
		if (syscall(__NR_cachestat, fd, &range, &st, 0) < 0 ||
		    st.cache == 0)
			return 0;
	}
	return 1;
#else
	(void)fd, (void)pos, (void)len;
	return 0;
#endif
}

/* Threads a spread would use: the CPUs zcp may run on, at most
 * SPREAD_THREADS; 1 means no spread. */
static int spread_threads(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	return n < SPREAD_THREADS ? n : SPREAD_THREADS;
}

/* Bytes from pos that a spread should take: 0 unless SRC is a regular
 * file whose range is in the page cache and DST discards. */
static off_t spread_range(const struct copy *c, off_t pos)
{
	struct stat st;
	off_t len;

	if (c->src->kind != KIND_FILE || !discards(c->dst) || pos < 0)
		return 0;
	if (fstat(c->in, &st) < 0 || st.st_size - pos < SPREAD_MIN)
		return 0;
	len = st.st_size - pos;
	if (c->count >= 0 && c->count < len)
		len = c->count;
	if (len < SPREAD_MIN || !cached(c->in, pos, len))
		return 0;
	return len;
}

static void spread_fail(struct spread *s, int err, enum side side)
{
	int none = 0;

	if (__atomic_compare_exchange_n(&s->err, &none, err, 0,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED))
		s->side = side;
}

static int spread_failed(struct spread *s)
{
	return __atomic_load_n(&s->err, __ATOMIC_ACQUIRE) != 0;
}

/* One thread's loop: claims a piece, splices it through its own pipe to
 * DST, until the range is spent or a thread failed. The main thread
 * runs it too, and it alone sees stop signals. */
static void *spread_run(void *arg)
{
	struct spread *s = arg;
	struct copy *c = s->c;
	unsigned long calls = 0;
	int watch = pthread_equal(s->main, pthread_self());
	int p[2];
	long size;

	if (pipe2(p, O_CLOEXEC) < 0) {
		spread_fail(s, errno, SIDE_READ);
		return NULL;
	}
	size = method_pipe_grow(p[1], c->bsize);
	for (;;) {
		off_t end, off = __atomic_load_n(&s->next, __ATOMIC_RELAXED);

		/* Claimed only below s->end: an add past it could wrap
		 * near the largest off_t. */
		do {
			if (off >= s->end)
				goto out;
			end = s->end - off > SPREAD_PIECE ? off + SPREAD_PIECE
							  : s->end;
		} while (!__atomic_compare_exchange_n(&s->next, &off, end, 0,
						      __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED));
		while (off < end) {
			off_t want = end - off < size ? end - off : size;
			ssize_t n;

			if (watch && io_stopped())
				spread_fail(s, EINTR, SIDE_READ);
			if (spread_failed(s))
				goto out;
			calls++;
			n = splice(c->in, &off, p[1], NULL, (size_t)want,
				   s->flags);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				spread_fail(s, errno, SIDE_READ);
				goto out;
			}
			if (n == 0)	/* SRC shrank */
				goto out;
			while (n > 0) {
				ssize_t m;

				calls++;
				m = splice(p[0], NULL, c->out, NULL, (size_t)n,
					   s->flags);
				if (m < 0 && errno == EINTR)
					continue;
				if (m < 0) {
					spread_fail(s, errno, SIDE_WRITE);
					__atomic_fetch_add(&s->lost, n,
							   __ATOMIC_RELAXED);
					goto out;
				}
				io_count_add_shared(&c->done, m);
				n -= m;
			}
		}
	}
out:
	close(p[0]);
	close(p[1]);
	__atomic_fetch_add(&s->calls, calls, __ATOMIC_RELAXED);
	return NULL;
}

/* Copies SRC's [pos, pos + len) to DST in threads (spread_run): the
 * main thread and up to threads - 1 more, which block every signal so
 * that stop signals reach the main one. Returns COPY_DONE, or COPY_ERROR
 * with errno, c->side and c->pending set. */
static int splice_spread(struct copy *c, off_t pos, off_t len, int threads)
{
	/* The pipes are zcp's own and DST never blocks: nonblock could
	 * only turn a page not yet in the cache into EAGAIN. */
	struct spread s = {
		.c = c,
		.flags = c->flags & ~(SPLICE_F_MORE | SPLICE_F_NONBLOCK),
		.next = pos, .end = pos + len, .main = pthread_self(),
	};
	pthread_t tid[SPREAD_THREADS];
	off_t before = io_count_load(&c->done);
	sigset_t all, old;
	int n = 0;

	/* The threads cannot clear a handed SRC's O_DIRECT when an
	 * unaligned end fails (io_retry is the main thread's): the range
	 * is in the page cache, so it is read from there from the start. */
	(void)io_undirect(c->in);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (n < threads - 1 &&
	       pthread_create(&tid[n], NULL, spread_run, &s) == 0)
		n++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	spread_run(&s);
	threads = n + 1;	/* those that ran */
	while (n > 0)
		pthread_join(tid[--n], NULL);

	io_syscalls += s.calls;
	method_advance(c, (size_t)(io_count_load(&c->done) - before + s.lost));
	snprintf(c->note, sizeof c->note,
		 "%lld bytes from the page cache spread over %d threads",
		 (long long)(io_count_load(&c->done) - before + s.lost),
		 threads);
	if (s.err) {
		/* SRC is left just past the bytes reported, as after any
		 * error, and what the threads held goes back with it. Into
		 * /dev/null, which bytes of the range those were is moot. */
		c->side = s.side;
		c->pending = s.lost;
		if (lseek(c->in, pos + (io_count_load(&c->done) - before),
			  SEEK_SET) >= 0)
			c->pending = 0;
		errno = s.err;
		return COPY_ERROR;
	}
	return COPY_DONE;
}

/* SRC to our pipe, our pipe to DST: neither side is a pipe, or SRC is one
 * and DST a file or block device. c->pending counts what sits in our pipe, so a failure
 * reports it. */
static int splice_via_pipe(struct copy *c)
{
	unsigned flags = c->flags & ~SPLICE_F_MORE;
	int src_file = c->src->kind == KIND_FILE;
	off_t pos = src_file ? lseek(c->in, 0, SEEK_CUR) : -1;
	off_t end = c->src->st.st_size;
	int p[2], first = 1, rc = COPY_DONE, spread_checked = 0;
	size_t wfit = SIZE_MAX;	/* what DST takes below the largest off_t */
	long size;

	if (pipe2(p, O_CLOEXEC) < 0) {
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	/* zcp's own descriptors stay clear of 0, 1 and 2; fd_high closes
	 * what it cannot move. */
	p[0] = fd_high(p[0]);
	p[1] = fd_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		int saved = errno;
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		errno = saved;
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	size = method_pipe_grow(p[1], c->bsize);
	while (c->count != 0) {
		size_t want = method_chunk(c);
		ssize_t n;

		if (want > (size_t)size)
			want = (size_t)size;
		/* The kernel refuses a range that passes the largest off_t;
		 * nothing lies past it. */
		if (pos >= 0 && want > (size_t)(INT64_MAX - pos))
			want = (size_t)(INT64_MAX - pos);
		if (want == 0)
			break;
		if (io_stopped()) {
			c->side = SIDE_READ;
			rc = COPY_ERROR;
			break;
		}
		io_syscalls++;
		n = splice(c->in, NULL, p[1], NULL, want, flags);
		if (n < 0) {
			if (io_retry(c->in, POLLIN))
				continue;
			if (first && method_unsupported(errno)) {
				c->fallback_errno = errno;
				rc = COPY_FALLBACK;
			} else {
				c->side = SIDE_READ;
				rc = COPY_ERROR;
			}
			break;
		}
		if (n == 0) {
			if (first && src_file && method_empty_start(c, "splice"))
				rc = COPY_FALLBACK;
			break;
		}
		method_advance(c, (size_t)n);
		c->pending = n;
		if (pos >= 0)
			pos += n;
		while (c->pending > 0) {
			unsigned more = more_flag(c, 0, pos >= 0 && pos < end);
			size_t len = (size_t)c->pending;
			ssize_t m;

			if (len > wfit)
				len = wfit;
			io_syscalls++;
			m = splice(p[0], NULL, c->out, NULL, len, flags | more);
			if (m < 0) {
				if (io_retry(c->out, POLLOUT))
					continue;
				/* A DST file takes what fits below the largest
				 * off_t, then is too large, as write(2)'s is. */
				if (io_refit(c->out, len, &wfit))
					continue;
				if (first && method_unsupported(errno)) {
					rc = undo_first(c, p[0], errno);
				} else {
					method_give_back(c);
					c->side = SIDE_WRITE;
					rc = COPY_ERROR;
				}
				goto out;
			}
			io_count_add(&c->done, m);
			c->pending -= m;
			first = 0;
		}
		/* The first piece showed that splice serves the pair; what
		 * follows may be spread. */
		if (!spread_checked) {
			off_t len = spread_range(c, pos);
			int threads = len > 0 ? spread_threads() : 1;

			spread_checked = 1;
			if (threads > 1) {
				off_t before = io_count_load(&c->done);

				rc = splice_spread(c, pos, len, threads);
				if (rc != COPY_DONE)
					break;
				/* Less than len if SRC shrank meanwhile. */
				pos += io_count_load(&c->done) - before;
				if (lseek(c->in, pos, SEEK_SET) < 0) {
					c->side = SIDE_READ;
					rc = COPY_ERROR;
					break;
				}
			}
		}
	}
out:;
	int saved = errno;
	close(p[0]);
	close(p[1]);
	errno = saved;
	return rc;
}

static int splice_copy(struct copy *c)
{
	int in_pipe = c->src->kind == KIND_PIPE;
	int out_pipe = c->dst->kind == KIND_PIPE;

	/* Pipes we were handed are enlarged too: a 64 KiB pipe costs a
	 * wake-up every 16 pages on both of its ends. */
	if (in_pipe)
		method_pipe_grow(c->in, c->bsize);
	if (out_pipe)
		method_pipe_grow(c->out, c->bsize);
	/* A splice from a pipe into a file holds the pipe's lock while it
	 * writes, page allocation and all, and the producer spins on that
	 * lock instead of filling the pipe. Moving the buffers into our
	 * own pipe first (no copy) frees the handed pipe at once: into a
	 * new file, 0.72 s for 1 GiB instead of 0.98 s, and a third less
	 * CPU (bench/RESULTS.md). */
	if (in_pipe && !out_pipe &&
	    (c->dst->kind == KIND_FILE || c->dst->kind == KIND_BLK))
		return splice_via_pipe(c);
	if (in_pipe || out_pipe)
		return splice_direct(c);
	return splice_via_pipe(c);
}

const struct method method_splice = {
	.name = "splice",
	.summary = "splice(2), through a pipe of its own where one helps",
	.default_bsize = 1 << 20,
	.supports = splice_supports,
	.copy = splice_copy,
	.flags = splice_flags,
};
