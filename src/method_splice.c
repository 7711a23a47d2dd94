/* method_splice.c: splice(2). Straight across when SRC or DST is a pipe;
 * otherwise through an internal pipe, enlarged so that each round trip
 * moves as much as the kernel allows. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
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
 * other end is to blame for the rest. */
static enum side direct_side(const struct copy *c, int err)
{
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
	int first = 1;

	while (c->count != 0) {
		size_t want = method_chunk(c);
		ssize_t n;

		if (io_stopped()) {
			c->side = SIDE_READ;
			return COPY_ERROR;
		}
		io_syscalls++;
		n = splice(c->in, NULL, c->out, NULL, want,
			   flags | more_flag(c, (off_t)want, 0));
		if (n < 0) {
			if (io_retry_pair(c->in, c->out))
				continue;
			return method_failed(c, first, direct_side(c, errno));
		}
		if (n == 0) {
			if (first && c->src->kind == KIND_FILE &&
			    method_empty_start(c, "splice"))
				return COPY_FALLBACK;
			break;
		}
		first = 0;
		io_count_add(&c->done, n);
		method_advance(c, (size_t)n);
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

/* Neither side is a pipe: SRC to our pipe, our pipe to DST. c->pending
 * counts what sits in the pipe, so a failure reports it. */
static int splice_via_pipe(struct copy *c)
{
	unsigned flags = c->flags & ~SPLICE_F_MORE;
	int src_file = c->src->kind == KIND_FILE;
	off_t pos = src_file ? lseek(c->in, 0, SEEK_CUR) : -1;
	off_t end = c->src->st.st_size;
	int p[2], first = 1, rc = COPY_DONE;
	long size;

	if (pipe2(p, O_CLOEXEC) < 0) {
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	/* zcp's own descriptors stay clear of 0, 1 and 2. */
	p[0] = fd_high(p[0]);
	p[1] = p[0] < 0 ? -1 : fd_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		int saved = errno;
		if (p[0] >= 0)
			close(p[0]);
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
			ssize_t m;

			io_syscalls++;
			m = splice(p[0], NULL, c->out, NULL, (size_t)c->pending,
				   flags | more);
			if (m < 0) {
				if (io_retry(c->out, POLLOUT))
					continue;
				if (first && method_unsupported(errno)) {
					rc = undo_first(c, p[0], errno);
				} else {
					c->side = SIDE_WRITE;
					rc = COPY_ERROR;
				}
				goto out;
			}
			io_count_add(&c->done, m);
			c->pending -= m;
			first = 0;
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
	if (in_pipe || out_pipe)
		return splice_direct(c);
	return splice_via_pipe(c);
}

const struct method method_splice = {
	.name = "splice",
	.summary = "splice(2), through a pipe when neither side is one",
	.default_bsize = 1 << 20,
	.supports = splice_supports,
	.copy = splice_copy,
	.flags = splice_flags,
};
