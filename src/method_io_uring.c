/* method_io_uring.c: io_uring through liburing as the request interface
 * of the async pipeline. The buffers are registered with the ring when
 * the kernel allows, so pages are not pinned per request; hipri makes a
 * polled ring (IORING_SETUP_IOPOLL), which needs direct I/O. */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "async.h"
#include "io.h"

struct uring {
	struct io_uring ring;
	int fixed;		/* buffers registered */
	struct io_uring_cqe **cqe;
	unsigned depth;
};

static void uring_close(void *ctx)
{
	struct uring *u = ctx;

	io_uring_queue_exit(&u->ring);
	free(u->cqe);
	free(u);
}

static void *uring_open(unsigned depth, unsigned flags, char *const *bufs,
			size_t size)
{
	struct uring *u = calloc(1, sizeof *u);
	struct iovec *iov;
	unsigned setup = flags & RWF_HIPRI ? IORING_SETUP_IOPOLL : 0;
	int rc;

	if (!u || !(u->cqe = calloc(depth, sizeof *u->cqe))) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	u->depth = depth;
	rc = io_uring_queue_init(depth, &u->ring, setup);
	if (rc < 0) {
		free(u->cqe);
		free(u);
		errno = -rc;
		return NULL;
	}
	/* Registration counts against RLIMIT_MEMLOCK: without it, plain
	 * requests work the same, a little slower. */
	iov = calloc(depth, sizeof *iov);
	if (iov) {
		for (unsigned i = 0; i < depth; i++)
			iov[i] = (struct iovec){ bufs[i], size };
		u->fixed = io_uring_register_buffers(&u->ring, iov, depth) == 0;
		free(iov);
	}
	return u;
}

static int uring_queue(void *ctx, const struct async_req *r)
{
	struct uring *u = ctx;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		errno = EBUSY;	/* not reached: one request per buffer */
		return -1;
	}
	if (u->fixed && r->write)
		io_uring_prep_write_fixed(sqe, r->fd, r->buf, (unsigned)r->len,
					  (__u64)r->off, r->index);
	else if (u->fixed)
		io_uring_prep_read_fixed(sqe, r->fd, r->buf, (unsigned)r->len,
					 (__u64)r->off, r->index);
	else if (r->write)
		io_uring_prep_write(sqe, r->fd, r->buf, (unsigned)r->len,
				    (__u64)r->off);
	else
		io_uring_prep_read(sqe, r->fd, r->buf, (unsigned)r->len,
				   (__u64)r->off);
	/* On a polled ring every request is polled; the flag is refused. */
	sqe->rw_flags = (int)(r->flags & ~(unsigned)RWF_HIPRI);
	io_uring_sqe_set_data(sqe, r->data);
	return 0;
}

static int uring_submit(void *ctx)
{
	struct uring *u = ctx;
	unsigned ready = io_uring_sq_ready(&u->ring);
	int n = io_uring_submit(&u->ring);

	if (ready > 0)
		io_syscalls++;	/* nothing queued: liburing makes no call */
	if (n < 0) {
		errno = n == -EBUSY ? EAGAIN : -n;
		return -1;
	}
	return n;
}

static int uring_reap(void *ctx, struct async_event *ev, int max)
{
	struct uring *u = ctx;
	struct io_uring_cqe *cqe;
	unsigned n;
	int rc = io_uring_peek_cqe(&u->ring, &cqe);

	/* Only an empty completion queue costs a system call. */
	if (rc == -EAGAIN) {
		rc = io_uring_wait_cqe(&u->ring, &cqe);
		io_syscalls++;
	}
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	if ((unsigned)max > u->depth)
		max = (int)u->depth;
	n = io_uring_peek_batch_cqe(&u->ring, u->cqe, (unsigned)max);
	for (unsigned i = 0; i < n; i++) {
		ev[i].data = io_uring_cqe_get_data(u->cqe[i]);
		ev[i].res = u->cqe[i]->res;
	}
	io_uring_cq_advance(&u->ring, n);
	return (int)n;
}

static const struct async_ops uring_ops = {
	.open = uring_open,
	.queue = uring_queue,
	.submit = uring_submit,
	.reap = uring_reap,
	.close = uring_close,
};

static int uring_copy(struct copy *c)
{
	return async_copy(c, &uring_ops);
}

const struct method method_io_uring = {
	.name = "io_uring",
	.summary = "io_uring (liburing), direct I/O, requests in flight",
	.default_bsize = ASYNC_BSIZE,
	.supports = async_supports,
	.check = async_check,
	.queued = 1,
	.copy = uring_copy,
	.flags = async_flags,
};
