/* async.h: the request pipeline shared by the asynchronous methods (aio,
 * io_uring). A method supplies how requests are queued, started and
 * reaped; the pipeline decides what is read and written, and when. */
#ifndef ZCP_ASYNC_H
#define ZCP_ASYNC_H

#include <stddef.h>
#include <sys/types.h>

#include "method.h"

/* Defaults chosen from bench/async on a virtio disk: see
 * bench/RESULTS-async.md. */
#define ASYNC_BSIZE	(1024 * 1024)
#define ASYNC_QDEPTH	16
#define ASYNC_QDEPTH_MAX 1024

/* One read or write at an explicit offset. */
struct async_req {
	int fd;
	int write;
	void *buf;		/* inside buffer number index */
	size_t len;
	off_t off;
	unsigned flags;		/* RWF_* */
	int index;
	void *data;		/* handed back with the completion */
};

struct async_event {
	void *data;
	long res;		/* bytes moved, or -errno */
};

struct async_ops {
	/* Prepares for depth requests in flight over the depth buffers of
	 * size bytes each. Returns a context, or NULL with errno set (then
	 * the method is not usable here: nothing has moved). */
	void *(*open)(unsigned depth, unsigned flags, char *const *bufs,
		      size_t size);
	/* Queues r; nothing starts before submit. Returns 0 or -1. */
	int (*queue)(void *ctx, const struct async_req *r);
	/* Starts queued requests. Returns how many started, or -1 with
	 * errno set: EAGAIN means reap, then submit the rest again; any
	 * other error drops what was queued. */
	int (*submit)(void *ctx);
	/* Collects up to max completions, waiting for at least one.
	 * Returns how many, or -1 with errno set (EINTR on a signal). */
	int (*reap)(void *ctx, struct async_event *ev, int max);
	/* Frees the context; nothing may be in flight. */
	void (*close)(void *ctx);
};

/* The --flags both methods take: dsync, sync, hipri, nowait (RWF_*). */
extern const struct method_flag async_flags[];

/* Serves a pair with a regular file or block device on one side. */
int async_supports(const struct copy *c, const char **why);

/* With --direct, whether each file side takes O_DIRECT (see struct
 * method's check). */
int async_check(const struct copy *c, enum side *side, const char **why);

/* The copy() of a method built on ops. */
int async_copy(struct copy *c, const struct async_ops *ops);

#endif
