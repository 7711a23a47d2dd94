/* method_rw.c: read(2) into one buffer, write(2) it out. Serves every
 * pair of endpoints, and is what the others fall back to. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "io.h"
#include "method.h"

static int rw_copy(struct copy *c)
{
	char *buf;
	int rc = COPY_DONE;
	/* A file or block device takes what was read before a stop signal:
	 * its write does not wait, and a pipe or socket SRC cannot give
	 * those bytes again. */
	int through = c->dst->kind == KIND_FILE || c->dst->kind == KIND_BLK;
	/* Page-aligned, so that a descriptor handed over with O_DIRECT
	 * takes whole blocks as they are (io_retry clears it otherwise). */
	int e = posix_memalign((void **)&buf, (size_t)sysconf(_SC_PAGESIZE),
			       c->bsize);

	if (e) {
		errno = e;
		c->side = SIDE_READ;
		return COPY_ERROR;
	}
	while (c->count != 0) {
		ssize_t n = io_read(c->in, buf, method_chunk(c));

		if (n < 0) {
			c->side = SIDE_READ;
			rc = COPY_ERROR;
			break;
		}
		if (n == 0)
			break;
		method_advance(c, (size_t)n);
		c->pending = n;
		off_t before = c->done;
		if ((through ? io_write_through : io_write_all)(c->out, buf,
				(size_t)n, &c->done) < 0) {
			c->pending = n - (c->done - before);
			method_give_back(c);
			c->side = SIDE_WRITE;
			rc = COPY_ERROR;
			break;
		}
		c->pending = 0;
	}
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

const struct method method_rw = {
	.name = "rw",
	.summary = "read(2) and write(2) through a buffer; serves every pair",
	.default_bsize = 256 * 1024,
	.copy = rw_copy,
};
