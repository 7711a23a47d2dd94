/* method_copy_file_range.c: copy_file_range(2) from a regular file to a
 * regular file, inside the kernel (a reflink where the file system can).
 * Both file positions advance, so SRC is left just past the copied bytes. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "io.h"
#include "method.h"

/* Larger requests fail with EOVERFLOW on some kernels and file systems. */
#define CFR_MAX ((size_t)1 << 30)

static int cfr_supports(const struct copy *c, const char **why)
{
	if (c->src->kind != KIND_FILE) {
		*why = "copy_file_range needs a regular file as source";
		return 0;
	}
	if (c->dst->kind != KIND_FILE) {
		*why = "copy_file_range needs a regular file as destination";
		return 0;
	}
	if (c->dst->append) {
		*why = "copy_file_range cannot write to a file opened for"
		       " appending (rw can)";
		return 0;
	}
	return 1;
}

static int cfr_copy(struct copy *c)
{
	int first = 1;

	while (c->count != 0) {
		size_t want = method_chunk(c);
		ssize_t n;

		if (want > CFR_MAX)
			want = CFR_MAX;
		if (io_stopped()) {
			c->side = SIDE_READ;
			return COPY_ERROR;
		}
		io_syscalls++;
		n = copy_file_range(c->in, NULL, c->out, NULL, want, 0);
		if (n < 0) {
			if (io_retry_pair(c->in, c->out))
				continue;
			/* At the largest offset the call fails before it
			 * looks at SRC's end. */
			if (errno == EFBIG && io_src_ended(c->in, -1))
				break;
			/* copy_file_range does not say which side failed;
			 * these are the ones only writing gives. */
			return method_failed(c, first,
					     errno == ENOSPC || errno == EDQUOT ||
					     errno == EFBIG ? SIDE_WRITE : SIDE_READ);
		}
		if (n == 0) {
			if (first && method_empty_start(c, "copy_file_range"))
				return COPY_FALLBACK;
			break;
		}
		first = 0;
		method_moved(c, (size_t)n);
	}
	return COPY_DONE;
}

const struct method method_copy_file_range = {
	.name = "copy_file_range",
	.summary = "copy_file_range(2) in the kernel; file to file",
	.default_bsize = CFR_MAX,
	.supports = cfr_supports,
	.copy = cfr_copy,
};
