/* plan.c: per pair of endpoint classes, the order `auto` tries the
 * methods in. The orders come from bench/zerocopy on Linux 6.x; where a
 * zero-copy call measured slower than read/write, read/write comes first. */
#include <stddef.h>

#include "plan.h"

enum class { C_FILE, C_PIPE, C_SOCKET, C_DEVICE, C_BLOCK, C_OTHER, C_N };

#define CFR &method_copy_file_range
#define SENDFILE &method_sendfile
#define SPLICE &method_splice
#define RW &method_rw

static const struct method *const order[C_N][C_N][5] = {
	[C_FILE] = {
		[C_FILE]   = { CFR, SENDFILE, SPLICE, RW },
		[C_PIPE]   = { SPLICE, SENDFILE, RW },
		[C_SOCKET] = { SENDFILE, SPLICE, RW },
		/* To /dev/null splice through zcp's 1 MiB pipe measured 1.15x
		 * to 1.3x faster than sendfile, whose internal pipe holds 16
		 * pages (bench/RESULTS.md). */
		[C_DEVICE] = { SPLICE, SENDFILE, RW },
		/* Into a block device splice's gain was not measured. */
		[C_BLOCK]  = { SENDFILE, SPLICE, RW },
		[C_OTHER]  = { RW },
	},
	/* Into a file's page cache splice copies once where read/write
	 * copies twice: it measured 1.2x to 2.3x faster in medians of
	 * alternating rounds, though both were erratic (bench/RESULTS.md). */
	[C_PIPE] = {
		[C_FILE]   = { SPLICE, RW },
		[C_PIPE]   = { SPLICE, RW },
		[C_SOCKET] = { SPLICE, RW },
		[C_DEVICE] = { SPLICE, RW },
		[C_BLOCK]  = { SPLICE, RW },
		[C_OTHER]  = { RW },
	},
	[C_SOCKET] = {
		[C_FILE]   = { RW, SPLICE },
		[C_PIPE]   = { SPLICE, RW },
		[C_SOCKET] = { SPLICE, RW },
		[C_DEVICE] = { SPLICE, RW },
		[C_BLOCK]  = { SPLICE, RW },
		[C_OTHER]  = { RW },
	},
	/* Character devices such as /dev/zero: splice works on some only,
	 * and read/write is as fast on those measured. */
	[C_DEVICE] = {
		[C_FILE]   = { RW },
		[C_PIPE]   = { RW },
		[C_SOCKET] = { RW },
		[C_DEVICE] = { RW },
		[C_BLOCK]  = { RW },
		[C_OTHER]  = { RW },
	},
	[C_OTHER] = {
		[C_FILE]   = { RW },
		[C_PIPE]   = { RW },
		[C_SOCKET] = { RW },
		[C_DEVICE] = { RW },
		[C_BLOCK]  = { RW },
		[C_OTHER]  = { RW },
	},
};

static enum class classify(enum endpoint_kind k, int src)
{
	switch (k) {
	case KIND_FILE:
		return C_FILE;
	case KIND_BLK:
		/* A block device reads like a file, and is written like one
		 * too, but copy_file_range refuses it. */
		return src ? C_FILE : C_BLOCK;
	case KIND_PIPE:
		return C_PIPE;
	case KIND_SOCKET:
		return C_SOCKET;
	case KIND_CHR:
		return C_DEVICE;
	default:
		return C_OTHER;
	}
}

/* Asked for direct I/O, auto goes asynchronous, which needs a file on
 * either side: direct I/O or none, as a named method (in the page cache
 * copy_file_range and splice are faster). */
static const struct method *const direct_order[] = {
	&method_io_uring, &method_aio, NULL,
};

const struct method *const *plan_order(const struct copy *c)
{
	if (c->direct == 1)
		return direct_order;
	return order[classify(c->src->kind, 1)][classify(c->dst->kind, 0)];
}

void plan_prepare(const struct copy *c)
{
	/* A 64 KiB pipe wakes its writer every 16 pages; every method,
	 * read/write too, moves more per wake-up through a larger one. */
	if (c->src->kind == KIND_PIPE)
		method_pipe_grow(c->in, (size_t)1 << 20);
	if (c->dst->kind == KIND_PIPE)
		method_pipe_grow(c->out, (size_t)1 << 20);
}
