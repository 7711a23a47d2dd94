/* method_sendfile.c: sendfile(2) from a regular file or block device to
 * any DST the kernel can write to (socket, pipe, file, /dev/null). SRC is
 * read through an offset, then its position set just past the copied bytes. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "io.h"
#include "method.h"

/* The most one sendfile call moves; larger requests are cut to it. */
#define SENDFILE_MAX ((size_t)0x7ffff000)

static int sf_supports(const struct copy *c, const char **why)
{
	if (c->src->kind != KIND_FILE && c->src->kind != KIND_BLK) {
		*why = "sendfile needs a regular file or block device as"
		       " source (splice or rw can)";
		return 0;
	}
	if (c->dst->append && c->dst->kind != KIND_PIPE) {
		*why = "sendfile cannot write to a file opened for appending"
		       " (rw can)";
		return 0;
	}
	if (c->dst->kind == KIND_TTY) {
		*why = "sendfile cannot write to a terminal (rw can)";
		return 0;
	}
	return 1;
}

static int sf_copy(struct copy *c)
{
	off_t pos = lseek(c->in, 0, SEEK_CUR);
	size_t fit = SIZE_MAX;	/* what DST takes below the largest off_t */
	int first = 1, rc = COPY_DONE, cut = 0;

	if (pos < 0) {
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	if (c->dst->kind == KIND_PIPE)
		method_pipe_grow(c->out, c->bsize);
	while (c->count != 0) {
		size_t want = method_chunk(c);
		ssize_t n;

		if (want > SENDFILE_MAX)
			want = SENDFILE_MAX;
		/* The kernel refuses a range that passes the largest off_t;
		 * nothing lies past it. */
		if (want > (size_t)(INT64_MAX - pos))
			want = (size_t)(INT64_MAX - pos);
		if (want > fit)
			want = fit;
		if (want == 0)
			break;
		if (io_stopped()) {
			/* A call the signal cut short was waiting on DST: a
			 * file SRC keeps no call waiting. */
			c->side = cut ? SIDE_WRITE : SIDE_READ;
			rc = COPY_ERROR;
			break;
		}
		io_syscalls++;
		n = sendfile(c->out, c->in, &pos, want);
		if (n < 0) {
			if (io_retry_pair(c->in, c->out))
				continue;
			/* A DST file takes what fits below the largest off_t,
			 * then is too large, as write(2)'s is. */
			if (io_refit(c->out, want, &fit))
				continue;
			if (errno == EFBIG && io_src_ended(c->in, pos))
				break;
			rc = method_failed(c, first, errno == EIO ? SIDE_READ
								  : SIDE_WRITE);
			if (rc == COPY_FALLBACK)
				return rc;	/* nothing moved: pos is SRC's */
			break;
		}
		if (n == 0) {
			if (first && method_empty_start(c, "sendfile"))
				return COPY_FALLBACK;
			break;
		}
		first = 0;
		cut = (size_t)n < want;
		method_moved(c, (size_t)n);
	}
	int saved = errno;
	if (lseek(c->in, pos, SEEK_SET) < 0 && rc == COPY_DONE) {
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	errno = saved;
	return rc;
}

const struct method method_sendfile = {
	.name = "sendfile",
	.summary = "sendfile(2) from a file or block device to any DST but a tty",
	.default_bsize = 16 << 20,
	/* Into a blocking socket one call returns only once all of it is
	 * sent: the byte count, and so the progress line and SIGUSR1's,
	 * would stand still for 16 MiB of a slow peer. 1 MiB calls measured
	 * as fast on loopback. */
	.socket_bsize = 1 << 20,
	.supports = sf_supports,
	.copy = sf_copy,
};
