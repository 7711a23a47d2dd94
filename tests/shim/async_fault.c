/* async_fault.c: an LD_PRELOAD library for tests/async.bats that alters
 * the completions of zcp's aio and io_uring requests, which strace
 * cannot inject into. ZCP_FAULT chooses the fault, once, for the request
 * at file offset ZCP_FAULT_AT (default 0):
 *   read   the read fails with EIO, its completion arriving after the
 *          write of a later block has completed (a bad sector);
 *   write  the write fails with EIO, also after a later block's write,
 *          while the other blocks' writes succeed;
 *   short  the write completes 100 bytes short (the bytes are written;
 *          the count says less, as a partial direct write does).
 * It says on stderr when the fault happened. The test builds it with
 * ${CC:-cc} -shared -fPIC. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libaio.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is(const char *fault)
{
	const char *f = getenv("ZCP_FAULT");

	return f && !strcmp(f, fault);
}

static long long at(void)
{
	const char *a = getenv("ZCP_FAULT_AT");

	return a ? atoll(a) : 0;
}

/* what: "failed" or "completed 100 bytes short"; after: the write of
 * a later block completed before it. */
static void fired(int write, const char *what, int after)
{
	fprintf(stderr, "zcp-fault: the %s at offset %lld %s%s\n",
		write ? "write" : "read", at(), what,
		after ? ", after a later block's write" : "");
}

/* libaio: completions come back through io_getevents, each with its
 * request. */

static struct io_event held;
static int holding, held_write, aio_later, aio_done;

/* Returns 1 if ev is held back. */
static int aio_alter(struct io_event *ev)
{
	struct iocb *cb = ev->obj;
	int rd = cb->aio_lio_opcode == IO_CMD_PREAD;
	int wr = cb->aio_lio_opcode == IO_CMD_PWRITE;

	if (aio_done || cb->u.c.offset != at())
		return 0;
	if ((rd && is("read")) || (wr && is("write"))) {
		held = *ev;
		held.res = (unsigned long)-EIO;
		held_write = wr;
		holding = aio_done = 1;
		return 1;
	}
	if (wr && is("short") && (long)ev->res > 100) {
		ev->res -= 100;
		aio_done = 1;
		fired(1, "completed 100 bytes short", 0);
	}
	return 0;
}

int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *ev,
		 struct timespec *t)
{
	static int (*real)(io_context_t, long, long, struct io_event *,
			   struct timespec *);

	if (!real)
		real = (int (*)(io_context_t, long, long, struct io_event *,
				struct timespec *))dlsym(RTLD_NEXT, "io_getevents");
	for (;;) {
		/* While one is held, wait 2 s at most: if nothing else
		 * comes, the held one is all there is. */
		struct timespec wait = { 2, 0 };
		int n = real(ctx, min_nr, nr, ev, holding ? &wait : t);
		int k = 0;

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			struct iocb *cb = ev[i].obj;

			if (aio_alter(&ev[i]))
				continue;
			if (cb->aio_lio_opcode == IO_CMD_PWRITE &&
			    cb->u.c.offset > at())
				aio_later = 1;
			ev[k++] = ev[i];
		}
		if (holding && (aio_later || n == 0) && k < nr) {
			ev[k++] = held;
			holding = 0;
			fired(held_write, "failed", aio_later);
		}
		if (k > 0 || (!holding && n == 0))
			return k;
	}
}

/* io_uring: requests are seen in io_uring_submit (the ring's new
 * entries), completions in io_uring_peek_batch_cqe; both are functions
 * of liburing, not inline ones. A completion carries only user_data,
 * so the request it ends is remembered by that. */

static __u64 target, writes[64], woff[64];
static int target_write, have_target, uring_wrote, uring_done;
static struct __kernel_timespec delay = { .tv_sec = 1 };

static void look(struct io_uring_sqe *sqe)
{
	int rd = sqe->opcode == IORING_OP_READ ||
		 sqe->opcode == IORING_OP_READ_FIXED;
	int wr = sqe->opcode == IORING_OP_WRITE ||
		 sqe->opcode == IORING_OP_WRITE_FIXED;
	__u64 data = sqe->user_data;

	for (int i = 0; wr && i < 64; i++)
		if (!writes[i]) {
			writes[i] = data;
			woff[i] = sqe->off;
			break;
		}
	if (uring_done || have_target || sqe->off != (__u64)at())
		return;
	if ((rd && is("read")) || (wr && is("write"))) {
		/* The request becomes a timer: it completes (-ETIME, made
		 * -EIO below) a second later, when the other blocks of a
		 * small copy are through. */
		io_uring_prep_timeout(sqe, &delay, 0, 0);
		sqe->user_data = data;
	} else if (!wr || !is("short")) {
		return;
	}
	target = data;
	target_write = wr;
	have_target = 1;
}

int io_uring_submit(struct io_uring *ring)
{
	static int (*real)(struct io_uring *);
	struct io_uring_sq *sq = &ring->sq;

	if (!real)
		real = (int (*)(struct io_uring *))dlsym(RTLD_NEXT,
							 "io_uring_submit");
	for (unsigned i = sq->sqe_head; i != sq->sqe_tail; i++)
		look(&sq->sqes[i & *sq->kring_mask]);
	return real(ring);
}

unsigned io_uring_peek_batch_cqe(struct io_uring *ring,
				 struct io_uring_cqe **cqes, unsigned count)
{
	static unsigned (*real)(struct io_uring *, struct io_uring_cqe **,
				unsigned);
	unsigned n;

	if (!real)
		real = (unsigned (*)(struct io_uring *, struct io_uring_cqe **,
				     unsigned))dlsym(RTLD_NEXT,
						     "io_uring_peek_batch_cqe");
	n = real(ring, cqes, count);
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *c = cqes[i];

		if (have_target && c->user_data == target) {
			have_target = 0;
			uring_done = 1;
			if (is("short") && c->res > 100) {
				c->res -= 100;
				fired(1, "completed 100 bytes short", 0);
			} else if (!is("short")) {
				c->res = -EIO;
				fired(target_write, "failed", uring_wrote);
			}
		}
		for (int j = 0; j < 64; j++)
			if (c->user_data && writes[j] == c->user_data) {
				writes[j] = 0;
				if (woff[j] > (__u64)at())
					uring_wrote = 1;
			}
	}
	return n;
}
