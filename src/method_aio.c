/* method_aio.c: Linux native AIO through libaio (io_submit and
 * io_getevents) as the request interface of the async pipeline. libaio
 * reports errors as -errno return values; they become errno here. */
#include <errno.h>
#include <libaio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "io.h"

struct aio {
	io_context_t io;
	struct iocb *cb;	/* one per buffer: a buffer has one request */
	struct iocb **queued;
	int nqueued;
	struct io_event *ev;
	int depth;
};

static void aio_close(void *ctx)
{
	struct aio *a = ctx;

	if (a->io)
		io_destroy(a->io);
	free(a->cb);
	free(a->queued);
	free(a->ev);
	free(a);
}

static void *aio_open(unsigned depth, unsigned flags, char *const *bufs,
		      size_t size)
{
	struct aio *a = calloc(1, sizeof *a);
	int rc;

	(void)flags;	/* aio has no polled completions: hipri is a hint */
	(void)bufs;
	(void)size;
	if (!a)
		return NULL;
	a->depth = (int)depth;
	a->cb = calloc(depth, sizeof *a->cb);
	a->queued = calloc(depth, sizeof *a->queued);
	a->ev = calloc(depth, sizeof *a->ev);
	if (!a->cb || !a->queued || !a->ev) {
		aio_close(a);
		errno = ENOMEM;
		return NULL;
	}
	rc = io_setup((int)depth, &a->io);
	if (rc < 0) {
		a->io = 0;
		aio_close(a);
		errno = -rc;
		return NULL;
	}
	return a;
}

static int aio_queue(void *ctx, const struct async_req *r)
{
	struct aio *a = ctx;
	struct iocb *cb = &a->cb[r->index];

	if (r->write)
		io_prep_pwrite(cb, r->fd, r->buf, r->len, r->off);
	else
		io_prep_pread(cb, r->fd, r->buf, r->len, r->off);
	cb->aio_rw_flags = (int)r->flags;
	cb->data = r->data;
	a->queued[a->nqueued++] = cb;
	return 0;
}

static int aio_submit(void *ctx)
{
	struct aio *a = ctx;
	int n = io_submit(a->io, a->nqueued, a->queued);

	io_syscalls++;
	if (n < 0) {
		/* EAGAIN and EINTR took nothing: the caller submits again. */
		if (n != -EAGAIN && n != -EINTR)
			a->nqueued = 0;
		errno = -n;
		return -1;
	}
	a->nqueued -= n;
	memmove(a->queued, a->queued + n, (size_t)a->nqueued * sizeof *a->queued);
	return n;
}

static int aio_reap(void *ctx, struct async_event *ev, int max)
{
	struct aio *a = ctx;
	int n;

	if (max > a->depth)
		max = a->depth;
	n = io_getevents(a->io, 1, max, a->ev, NULL);
	io_syscalls++;
	if (n < 0) {
		errno = -n;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		ev[i].data = a->ev[i].data;
		ev[i].res = (long)a->ev[i].res;
	}
	return n;
}

static const struct async_ops aio_ops = {
	.open = aio_open,
	.queue = aio_queue,
	.submit = aio_submit,
	.reap = aio_reap,
	.close = aio_close,
};

static int aio_copy(struct copy *c)
{
	return async_copy(c, &aio_ops);
}

const struct method method_aio = {
	.name = "aio",
	.summary = "Linux AIO (libaio), direct I/O, requests in flight",
	.default_bsize = ASYNC_BSIZE,
	.supports = async_supports,
	.check = async_check,
	.queued = 1,
	.copy = aio_copy,
	.flags = async_flags,
};
