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
	COPY_FALLBACK = 1,	/* not possible here: try the next. Nothing reached
				 * DST, or (splice) bytes taken from SRC were
				 * written out by hand first and counted */
};

struct copy {
	int in, out;
	const struct endpoint *src, *dst;
	off_t count;		/* bytes still wanted, -1: until end of file */
	size_t bsize;		/* bytes per call */
	unsigned flags;		/* the method's own, from --flags */
	int qdepth;		/* requests in flight, for asynchronous methods */
	int inflight;		/* the queue depth an asynchronous method ran
				 * with, for the reports; 0 for the others */
	int direct;		/* -1 default, 0 off, 1 on */
	int verbose;

	/* Bytes that reached DST. The copying thread writes it with
	 * io_count_add (the threads of a splice spread, while it lasts, with
	 * io_count_add_shared); the progress thread reads it concurrently
	 * with io_count_load. */
	off_t done;
	/* Bytes of --offset to read away from a SRC that cannot seek, set
	 * before the progress thread starts, and those read away so far
	 * (written with io_count_add, loaded by the progress thread). */
	off_t skip, skipped;
	off_t pending;		/* bytes read from SRC but not delivered */
	int scattered;		/* bytes reached DST past c->done (async
				 * requests completing out of order) */
	/* After an error, DST's bytes [scattered_from, scattered_to) (its
	 * offsets) where such blocks were left, in part: 0, 0 if none. */
	off_t scattered_from, scattered_to;
	enum side side;		/* which side failed */
	int fallback_errno;	/* why COPY_FALLBACK was returned */
	char note[160];		/* what the method wants said in -v */

	/* Methods auto passed over, in order, filled by the selection loop
	 * (method_pass): for the -v and --json reports. */
	struct method_passed {
		const char *name;
		int err;		/* errno of a fallback, 0 if none */
		const char *why;	/* supports()'s reason, or note */
		char note[160];		/* a fallback without errno: the
					 * method's note, kept past the next
					 * method's run */
	} passed[8];
	int npassed;
};

struct method_flag {
	const char *name;
	unsigned value;
};

struct method {
	const char *name;
	const char *summary;
	size_t default_bsize;
	/* The default when DST is a socket, where it differs (0: as above). */
	size_t socket_bsize;
	/* 1 if the method can serve this pair of endpoints; otherwise 0 and
	 * *why says what it needs. NULL: serves every pair. */
	int (*supports)(const struct copy *c, const char **why);
	/* With SRC open and DST not yet touched: whether the kernel will
	 * take what was asked for the pair (--direct's O_DIRECT). 0, or -1
	 * with *side and *why: the copy would fail there, and no other
	 * method is tried instead. NULL: nothing to ask. */
	int (*check)(const struct copy *c, enum side *side, const char **why);
	int (*copy)(struct copy *c);
	int queued;	/* requests in flight: takes --direct, --queue-depth */
	const struct method_flag *flags;	/* NULL-terminated, or NULL */
};

/* Methods in the order auto tries them, NULL-terminated. */
extern const struct method *const methods[];

/* Names that are known but not built into this zcp. */
extern const char *const methods_unavailable[];

const struct method *method_find(const char *name);

/* Bytes per call when --block-size is not given: m's default for the
 * pair c (a socket DST may have its own). */
size_t method_bsize(const struct method *m, const struct copy *c);

/* Bytes the next call may move: bsize, or less near the count. */
size_t method_chunk(const struct copy *c);

/* Records that auto passed over method m: err is the errno it fell
 * back with, or 0 with why when supports() refused the pair, or 0 with
 * why NULL when it fell back without an errno (c->note says why). */
void method_pass(struct copy *c, const struct method *m, int err,
		 const char *why);

/* Takes n bytes read off the count left to copy. */
void method_advance(struct copy *c, size_t n);

/* n bytes reached DST in one call: counted as done, and advanced. */
void method_moved(struct copy *c, size_t n);

/* After a write error, a seekable SRC goes back to just past the bytes
 * DST holds, as aio's and io_uring's do: the bytes read but not written
 * are there to read again, by whoever reads SRC next, and so no longer
 * pending (lost), as they are not with aio and io_uring either. */
void method_give_back(struct copy *c);

/* 1 if err from a first call means "this call cannot serve the pair"
 * (ENOSYS, EINVAL, EXDEV, EOPNOTSUPP, EBADF as for O_APPEND...), so that
 * the next method may try; 0 for a real error. */
int method_unsupported(int err);

/* A zero-copy call failed with errno, one the retry helpers do not wait
 * out: before the first byte (first) a not-supported error falls back
 * (COPY_FALLBACK); otherwise it is an error of side (COPY_ERROR). */
int method_failed(struct copy *c, int first, enum side side);

/* After a zero-copy call gave 0 at the very start: 1 if read(2) would
 * still find bytes at SRC's position (files in /proc report size 0 and
 * give splice, sendfile or copy_file_range nothing), with c->note saying
 * so and c->fallback_errno 0, ready for COPY_FALLBACK; 0 at a true end
 * of file. SRC's position does not move. */
int method_empty_start(struct copy *c, const char *name);

/* Enlarges the pipe fd towards want bytes, as far as
 * /proc/sys/fs/pipe-max-size and the per-user limit allow (EPERM is
 * tolerated by trying smaller). Returns the pipe's size, or -1 if fd is
 * not a pipe. */
long method_pipe_grow(int fd, size_t want);

extern const struct method method_io_uring;
extern const struct method method_aio;
extern const struct method method_rw;
extern const struct method method_splice;
extern const struct method method_sendfile;
extern const struct method method_copy_file_range;

#endif
