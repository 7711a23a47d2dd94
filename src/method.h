/* method.h: the contract between main and the copy methods, and the one
 * table that lists them in the order `auto` tries them. */
#ifndef ZCP_METHOD_H
#define ZCP_METHOD_H

#include <stddef.h>
#include <sys/types.h>

#include "endpoint.h"

enum side { SIDE_NONE, SIDE_READ, SIDE_WRITE };

/* What a method returns from copy(). */
enum {
	COPY_ERROR = -1,	/* errno and side set; bytes may have moved */
	COPY_DONE = 0,		/* end of file or count reached */
	COPY_FALLBACK = 1,	/* not possible here, nothing moved: try the next */
};

struct copy {
	int in, out;
	const struct endpoint *src, *dst;
	off_t count;		/* bytes still wanted, -1: until end of file */
	size_t bsize;		/* bytes per call */
	unsigned flags;		/* the method's own, from --flags */
	int qdepth;		/* requests in flight, for asynchronous methods */
	int direct;		/* -1 default, 0 off, 1 on */
	int verbose;

	off_t done;		/* bytes that reached DST */
	off_t pending;		/* bytes read from SRC but not delivered */
	enum side side;		/* which side failed */
	int fallback_errno;	/* why COPY_FALLBACK was returned */
	char note[160];		/* what the method wants said in -v */
};

struct method_flag {
	const char *name;
	unsigned value;
};

struct method {
	const char *name;
	const char *summary;
	size_t default_bsize;
	/* 1 if the method can serve this pair of endpoints; otherwise 0 and
	 * *why says what it needs. NULL: serves every pair. */
	int (*supports)(const struct copy *c, const char **why);
	int (*copy)(struct copy *c);
	const struct method_flag *flags;	/* NULL-terminated, or NULL */
};

/* Methods in the order auto tries them, NULL-terminated. */
extern const struct method *const methods[];

/* Names that are known but not built into this zcp. */
extern const char *const methods_unavailable[];

const struct method *method_find(const char *name);

/* Bytes the next call may move: bsize, or less near the count. */
size_t method_chunk(const struct copy *c);

/* Accounts n bytes moved. */
void method_advance(struct copy *c, size_t n);

extern const struct method method_io_uring;
extern const struct method method_aio;
extern const struct method method_rw;

#endif
