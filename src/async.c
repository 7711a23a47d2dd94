/* async.c: the pipeline behind aio and io_uring. Up to qdepth blocks are
 * in flight between SRC and DST; a regular file or block device side is
 * served by asynchronous requests, with O_DIRECT unless refused, and a
 * pipe, socket or terminal side by ordinary read(2) and write(2). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "io.h"

const struct method_flag async_flags[] = {
	{ "dsync", RWF_DSYNC },
	{ "sync", RWF_SYNC },
	{ "hipri", RWF_HIPRI },
	{ "nowait", RWF_NOWAIT },
	{ NULL, 0 },
};

/* A block goes FREE -> READING -> (FILLED) -> WRITING -> FREE. FILLED:
 * waiting for its turn on a stream DST. TAIL: a block whose end is not
 * aligned (the last one, or one a short write left at an unaligned
 * offset); that end is written through the page cache once nothing else
 * is in flight. */
enum state { S_FREE, S_READING, S_FILLED, S_WRITING, S_TAIL };

struct slot {
	char *buf;
	enum state state;
	off_t at;		/* offset of the block within the copy */
	size_t len;		/* bytes of the copy in the block */
	size_t pad;		/* bytes read before it, to align a direct read */
	size_t span;		/* bytes the read asks for, pad included */
	size_t got;		/* bytes of span read so far */
	size_t wlen;		/* bytes written by requests: len, or len
				 * rounded down to DST's alignment */
	size_t wdone;
	unsigned flags;		/* RWF_* of the next request */
};

struct end {
	int fd;			/* the descriptor main opened */
	int afd;		/* where requests go: a direct reopen, or fd */
	int pos;		/* positional: regular file or block device */
	int direct;
	size_t align;		/* offset alignment of afd, 1 unless direct */
	size_t memalign;
	off_t start;		/* offset at which the copy starts */
	char how[72];		/* for the verbose note */
};

/* Bytes [at, end) of the copy that reached DST. */
struct range {
	off_t at, end;
};

struct run {
	struct copy *c;
	const struct async_ops *ops;
	void *ctx;
	struct end in, out;
	struct slot *slot;
	struct async_event *ev;
	int nslot;
	size_t bsize;
	off_t want;		/* bytes of the copy, -1: to end of file */
	off_t next;		/* offset in the copy of the next block */
	off_t eof;		/* where SRC ended, or a stream SRC stopped;
				 * -1: not yet seen */
	off_t wnext;		/* what a stream DST takes next */
	off_t taken;		/* bytes read from SRC */
	off_t dst_size;		/* a regular file DST's size before the
				 * copy, -1: not one */
	/* Ranges written to a positional DST past c->done, the prefix of
	 * the copy that DST holds entirely; sorted, none touching another.
	 * Each gap before one is the unwritten end of a block that holds a
	 * slot, failed, or ended at SRC's end, and no block starts after an
	 * error or the end: nslot + 1 ranges are room enough. */
	struct range *ahead;
	int nahead;
	int out_limited;	/* want was cut short for DST's offsets */
	int queued, inflight;
	int err;		/* errno of the first failure, 0: none */
	enum side err_side;
	int rerr;		/* a stream SRC's read error, EINTR after a
				 * stop signal: see read_failed */
};

static int positional(enum endpoint_kind k)
{
	return k == KIND_FILE || k == KIND_BLK;
}

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

static void fail_run(struct run *r, enum side side, int err)
{
	if (!r->err) {
		r->err = err;
		r->err_side = side;
	}
}

/* Reading SRC failed with err (EINTR: a stop signal came). A positional
 * SRC fails the run: it goes back to the end of what DST holds, and the
 * blocks read past it are read another time. A stream SRC cannot give
 * its bytes again, so reading ends there as at end of file, the blocks
 * it delivered are still written, and only then is err the run's
 * (unless writing failed meanwhile: that error, which loses bytes, is
 * the one reported). */
static void read_failed(struct run *r, int err)
{
	if (r->in.pos)
		fail_run(r, SIDE_READ, err);
	else if (!r->rerr)
		r->rerr = err;
}

/* Bytes [at, at + n) of the copy reached a positional DST. Requests
 * complete in any order: c->done, which the report, the progress line
 * and DST's final size go by, counts only the prefix written without a
 * gap; what lies beyond a gap waits in r->ahead until the gap fills. */
static void wrote(struct run *r, off_t at, off_t n)
{
	off_t end = at + n;
	int i;

	if (n <= 0)
		return;
	if (at == r->c->done) {
		if (r->nahead > 0 && r->ahead[0].at == end) {
			end = r->ahead[0].end;
			memmove(r->ahead, r->ahead + 1,
				(size_t)--r->nahead * sizeof *r->ahead);
		}
		io_count_add(&r->c->done, end - at);
		return;
	}
	r->c->scattered = 1;
	for (i = 0; i < r->nahead && r->ahead[i].at < at; i++)
		;
	if (i > 0 && r->ahead[i - 1].end == at) {
		r->ahead[i - 1].end = end;
		if (i < r->nahead && r->ahead[i].at == end) {
			r->ahead[i - 1].end = r->ahead[i].end;
			memmove(r->ahead + i, r->ahead + i + 1,
				(size_t)(--r->nahead - i) * sizeof *r->ahead);
		}
	} else if (i < r->nahead && r->ahead[i].at == end) {
		r->ahead[i].at = at;
	} else if (r->nahead <= r->nslot) {
		memmove(r->ahead + i + 1, r->ahead + i,
			(size_t)(r->nahead++ - i) * sizeof *r->ahead);
		r->ahead[i] = (struct range){ at, end };
	}
	/* else not reached (see struct run); forgetting the range would
	 * only make the prefix end before it. */
}

/* Direct I/O alignment: what statx says, else the device's logical block
 * size, else 4096. Returns 0, or -1 with *why when the file system says
 * it cannot do direct I/O at all. */
static int dio_align(int fd, size_t *align, size_t *memalign, const char **why)
{
	struct statx stx;
	struct stat st;
	int lbs;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN)) {
		if (stx.stx_dio_offset_align == 0) {
			*why = "no direct I/O on this file system";
			return -1;
		}
		*align = stx.stx_dio_offset_align;
		*memalign = stx.stx_dio_mem_align;
		return 0;
	}
	*align = *memalign = 4096;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
	    ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0)
		*align = *memalign = (size_t)lbs;
	return 0;
}

/* A second descriptor for the same file with O_DIRECT: a reopen leaves
 * the descriptor main holds (perhaps shared with other processes)
 * untouched, and keeps it for the unaligned ends. SRC is reopened
 * read-only. Returns the descriptor, or -1 with *why set. */
static int dio_open(int fd, int write, size_t *align, size_t *memalign,
		    const char **why)
{
	static char msg[96];
	char path[40];
	int dfd;

	if (dio_align(fd, align, memalign, why) < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	dfd = fd_high(open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT |
				 O_CLOEXEC | O_NOCTTY));
	if (dfd >= 0)
		return dfd;
	if (errno == EINVAL)
		*why = "the file system refuses O_DIRECT";
	else {
		snprintf(msg, sizeof msg, "cannot reopen with O_DIRECT: %s",
			 strerror(errno));
		*why = msg;
	}
	return -1;
}

/* Whether the file system a new file at path would be on refuses
 * O_DIRECT, asked with an unnamed file in its directory (O_TMPFILE),
 * which leaves nothing behind. 0 when it takes it, or cannot tell. */
static int dio_refused_in_dir(const char *path)
{
	char dir[4096];
	int fd;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return 0;
	fd = open(dirname(dir), O_TMPFILE | O_WRONLY | O_DIRECT | O_CLOEXEC,
		  0600);
	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == EINVAL;
}

int async_supports(const struct copy *c, const char **why)
{
	if (!positional(c->src->kind) && !positional(c->dst->kind)) {
		*why = "needs a regular file or block device on one side";
		return 0;
	}
	return 1;
}

/* Whether fd's file takes O_DIRECT, asked with a reopen. */
static int dio_takes(int fd, int write, const char **why)
{
	size_t a, m;
	int dfd = dio_open(fd, write, &a, &m, why);

	if (dfd < 0)
		return 0;
	close(dfd);
	return 1;
}

/* *why, as side_init would say it. */
static int direct_refused(const char **why)
{
	static char msg[128];

	snprintf(msg, sizeof msg, "%s (--direct)", *why);
	*why = msg;
	return -1;
}

int async_check(const struct copy *c, enum side *side, const char **why)
{
	const struct endpoint *d = c->dst;
	int fd, ok = 1;

	if (c->direct != 1)
		return 0;
	*side = SIDE_READ;
	if (positional(c->src->kind) && c->src->fd >= 0 &&
	    !dio_takes(c->src->fd, 0, why))
		return direct_refused(why);
	*side = SIDE_WRITE;
	/* Appending, DST is written buffered (see side_init): not asked. */
	if (!positional(d->kind) || d->append)
		return 0;
	if (d->type == EP_FD || d->type == EP_STDIO)
		/* Handed over and open: asked before --seek moves it. */
		ok = dio_takes(d->type == EP_FD ? d->fdnum : STDOUT_FILENO,
			       1, why);
	else if (d->type == EP_PATH && d->st.st_mode == 0) {
		ok = !dio_refused_in_dir(d->path);
		*why = "the file system refuses O_DIRECT";
	} else if (d->type == EP_PATH &&
		   (fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0) {
		/* Asked of a reopen read-only: nothing is written. */
		ok = dio_takes(fd, 0, why);
		close(fd);
	}
	return ok ? 0 : direct_refused(why);
}

/* Sets up one side: positional or not, and direct or buffered. Returns 0,
 * or -1 when --direct was asked for and cannot be had. */
static int side_init(struct run *r, struct end *sd, const struct endpoint *ep,
		     int fd, int write)
{
	const char *why = NULL;
	int fl = fcntl(fd, F_GETFL);

	memset(sd, 0, sizeof *sd);
	sd->fd = sd->afd = fd;
	sd->align = sd->memalign = 1;
	sd->pos = positional(ep->kind);
	if (write && fl >= 0 && (fl & O_APPEND)) {
		/* Each write lands at the end, in the order issued. */
		sd->pos = 0;
		why = "appending";
	}
	if (sd->pos && (sd->start = lseek(fd, 0, SEEK_CUR)) < 0)
		sd->pos = 0;
	/* Requests go to a reopen of their own; fd, inherited with
	 * O_DIRECT, serves the unaligned ends through the page cache. */
	if (sd->pos && fl >= 0 && (fl & O_DIRECT))
		io_undirect(fd);
	if (!sd->pos) {
		snprintf(sd->how, sizeof sd->how, "%s", why ? why : "ordinary I/O");
		return 0;
	}
	if (r->c->direct == 0) {
		snprintf(sd->how, sizeof sd->how, "buffered (--no-direct)");
		return 0;
	}
	sd->afd = dio_open(fd, write, &sd->align, &sd->memalign, &why);
	if (sd->afd >= 0) {
		sd->direct = 1;
		snprintf(sd->how, sizeof sd->how, "direct, %zu-byte aligned",
			 sd->align);
		return 0;
	}
	sd->afd = fd;
	sd->align = sd->memalign = 1;
	snprintf(sd->how, sizeof sd->how, "buffered: %s", why);
	if (r->c->direct == 1) {
		direct_refused(&why);
		io_set_message(why);
		fail_run(r, write ? SIDE_WRITE : SIDE_READ, EINVAL);
		return -1;
	}
	return 0;
}

/* Bytes of the block at offset at: blocks start aligned on the direct
 * side that sets the pace (DST if direct, else SRC). */
static size_t block_len(const struct run *r, off_t at)
{
	const struct end *sd = r->out.direct ? &r->out : &r->in;
	size_t len = r->bsize - (size_t)((sd->start + at) % (off_t)sd->align);

	if (r->want >= 0 && (off_t)len > r->want - at)
		len = (size_t)(r->want - at);
	return len;
}

static int more_to_read(const struct run *r)
{
	return !r->err && !r->rerr && r->eof < 0 &&
	       (r->want < 0 || r->next < r->want);
}

static void queue(struct run *r, struct slot *s, int write)
{
	struct async_req q = {
		.write = write,
		.flags = s->flags,
		.index = (int)(s - r->slot),
		.data = s,
	};

	if (write) {
		q.fd = r->out.afd;
		q.buf = s->buf + s->pad + s->wdone;
		q.len = s->wlen - s->wdone;
		q.off = r->out.start + s->at + (off_t)s->wdone;
		s->state = S_WRITING;
	} else {
		q.fd = r->in.afd;
		q.buf = s->buf + s->got;
		q.len = s->span - s->got;
		q.off = r->in.start + s->at - (off_t)s->pad + (off_t)s->got;
		s->state = S_READING;
	}
	if (r->ops->queue(r->ctx, &q) < 0) {
		fail_run(r, SIDE_NONE, errno);
		s->state = S_FREE;
		return;
	}
	r->queued++;
}

/* Writes a stream DST's blocks in order, as they become ready: c->done
 * is then always the prefix of the copy that DST holds. A file opened
 * for appending is such a DST too. */
static void flush_stream(struct run *r)
{
	int file = positional(r->c->dst->kind);

	for (int i = 0; i < r->nslot; i++) {
		struct slot *s = &r->slot[i];

		if (s->state != S_FILLED || s->at != r->wnext)
			continue;
		if (r->err)
			return;
		/* A file (opened for appending) goes on after a stop
		 * signal, so that what a stream SRC delivered before it
		 * is written (see read_failed). */
		if ((file ? io_write_through
			  : io_write_all)(r->out.fd, s->buf + s->pad, s->len,
					  &r->c->done) < 0) {
			fail_run(r, SIDE_WRITE, errno);
			return;
		}
		s->state = S_FREE;
		r->wnext += (off_t)s->len;
		i = -1;		/* the next one may be anywhere */
	}
}

/* A block's read is complete: hand it to DST. */
static void filled(struct run *r, struct slot *s)
{
	size_t n = s->got > s->pad ? s->got - s->pad : 0;

	if (n > s->len)
		n = s->len;
	if (r->eof >= 0 && s->at >= r->eof)
		n = 0;
	if (n < s->len && !r->err && (r->eof < 0 || s->at + (off_t)n < r->eof))
		r->eof = s->at + (off_t)n;
	s->len = n;
	r->taken += (off_t)n;
	s->state = S_FREE;
	if (n == 0 || r->err)
		return;
	if (!r->out.pos) {
		s->state = S_FILLED;
		flush_stream(r);
		return;
	}
	if (r->out.direct && s->pad) {
		/* SRC and DST are aligned differently: shift the block. */
		memmove(s->buf, s->buf + s->pad, n);
		s->pad = 0;
	}
	s->wlen = r->out.direct ? n / r->out.align * r->out.align : n;
	s->wdone = 0;
	if (s->wlen == 0)
		s->state = S_TAIL;
	else
		queue(r, s, 1);
}

/* The rest of a direct read that stopped inside a block: only end of
 * file does that, and the page cache confirms it. */
static void read_rest(struct run *r, struct slot *s)
{
	while (s->got < s->pad + s->len) {
		ssize_t n = pread(r->in.fd, s->buf + s->got,
				  s->pad + s->len - s->got,
				  r->in.start + s->at - (off_t)s->pad +
					  (off_t)s->got);

		io_syscalls++;
		if (n < 0 && errno == EINTR && !io_signal)
			continue;
		if (n < 0)
			fail_run(r, SIDE_READ, errno);
		if (n <= 0)
			return;
		s->got += (size_t)n;
	}
}

static void read_done(struct run *r, struct slot *s, long res)
{
	if (res < 0) {
		if (res == -EAGAIN && (s->flags & RWF_NOWAIT) && !r->err) {
			/* nowait: the request would have blocked; ask again,
			 * this time willing to wait. */
			s->flags &= ~(unsigned)RWF_NOWAIT;
			queue(r, s, 0);
			return;
		}
		fail_run(r, SIDE_READ, (int)-res);
	} else {
		s->got += (size_t)res;
	}
	if (res > 0 && !r->err && s->got < s->pad + s->len) {
		off_t off = r->in.start + s->at - (off_t)s->pad + (off_t)s->got;

		if (off % (off_t)r->in.align == 0) {
			queue(r, s, 0);		/* short: ask for the rest */
			return;
		}
		read_rest(r, s);
	}
	filled(r, s);
}

static void write_done(struct run *r, struct slot *s, long res)
{
	if (res == -EAGAIN && (s->flags & RWF_NOWAIT) && !r->err) {
		s->flags &= ~(unsigned)RWF_NOWAIT;
		queue(r, s, 1);
		return;
	}
	if (res <= 0) {
		fail_run(r, SIDE_WRITE, res < 0 ? (int)-res : EIO);
		s->state = S_FREE;
		return;
	}
	wrote(r, s->at + (off_t)s->wdone, res);
	s->wdone += (size_t)res;
	if (s->wdone < s->wlen) {
		off_t off = r->out.start + s->at + (off_t)s->wdone;

		if (r->err) {
			s->state = S_FREE;
			return;
		}
		if (off % (off_t)r->out.align == 0) {
			queue(r, s, 1);		/* short: write the rest */
			return;
		}
		s->wlen = s->wdone;	/* the rest goes with the tail */
	}
	s->state = s->wdone < s->len ? S_TAIL : S_FREE;
}

/* Waits for at least one completion and handles what came. */
static void reap(struct run *r)
{
	int n = r->ops->reap(r->ctx, r->ev, r->nslot);

	if (n < 0) {
		/* Interrupted, or short of kernel resources: what is in
		 * flight is still coming, so wait again. */
		if (errno == EINTR || errno == EAGAIN) {
			if (io_signal)
				read_failed(r, EINTR);
			return;
		}
		/* The completion queue itself failed: nothing more will
		 * come back from it. */
		fail_run(r, SIDE_NONE, errno);
		r->inflight = 0;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct slot *s = r->ev[i].data;

		r->inflight--;
		if (s->state == S_READING)
			read_done(r, s, r->ev[i].res);
		else
			write_done(r, s, r->ev[i].res);
	}
}

static void submit(struct run *r)
{
	int idle = 0;

	while (r->queued > 0) {
		int n = r->ops->submit(r->ctx);

		if (n > 0) {
			r->queued -= n;
			r->inflight += n;
			continue;
		}
		/* io_uring_enter may wait (for a polled ring) and be
		 * interrupted; nothing was taken, so ask again. */
		if (n < 0 && errno == EINTR && !io_signal)
			continue;
		if ((n == 0 || errno == EAGAIN) && r->inflight > 0) {
			reap(r);	/* the kernel is full: make room */
			continue;
		}
		/* Short of resources with none of ours in flight: others
		 * hold them; try again shortly, for up to a second. */
		if (n < 0 && errno == EAGAIN && !io_signal && idle++ < 1000) {
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			continue;
		}
		fail_run(r, SIDE_NONE, n == 0 ? EAGAIN : errno);
		r->queued = 0;
		return;
	}
}

/* Reads a block from a stream SRC, filling it unless the stream ends or
 * fails. */
static void fill_block(struct run *r, struct slot *s)
{
	while (s->got < s->len) {
		ssize_t n = io_read(r->in.fd, s->buf + s->got, s->len - s->got);

		if (n < 0)
			read_failed(r, errno);
		if (n <= 0)
			break;
		s->got += (size_t)n;
	}
	filled(r, s);
}

static struct slot *free_slot(struct run *r)
{
	for (int i = 0; i < r->nslot; i++)
		if (r->slot[i].state == S_FREE)
			return &r->slot[i];
	return NULL;
}

static void start_block(struct run *r, struct slot *s)
{
	s->at = r->next;
	s->len = block_len(r, s->at);
	s->got = s->wdone = 0;
	s->pad = r->in.direct ? (size_t)((r->in.start + s->at) %
					  (off_t)r->in.align) : 0;
	s->span = round_up(s->pad + s->len, r->in.align);
	s->flags = r->c->flags;
	r->next += (off_t)s->len;
	if (r->in.pos && (off_t)s->span > INT64_MAX - (r->in.start + s->at -
						      (off_t)s->pad)) {
		/* Its aligned end would pass the largest off_t, which the
		 * kernel refuses: the bytes up to it are read buffered. */
		read_rest(r, s);
		filled(r, s);
	} else if (r->in.pos) {
		queue(r, s, 0);
	} else {
		fill_block(r, s);
		submit(r);	/* start its write before blocking again */
	}
}

/* pread or pwrite through the page cache until len bytes have moved or
 * SRC ends; used for the unaligned ends of a direct copy. Returns bytes
 * moved, or -1 with errno set. */
static ssize_t sync_io(int fd, int write, char *buf, size_t len, off_t off,
		       unsigned flags)
{
	size_t moved = 0;

	while (moved < len) {
		struct iovec iov = { buf + moved, len - moved };
		ssize_t n = write ? pwritev2(fd, &iov, 1, off + (off_t)moved,
					     (int)flags)
				  : pread(fd, iov.iov_base, iov.iov_len,
					  off + (off_t)moved);

		io_syscalls++;
		if (n < 0 && errno == EINTR && !io_signal)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		moved += (size_t)n;
	}
	return (ssize_t)moved;
}

/* The unaligned ends of blocks, through the page cache, once every
 * request has completed. Returns how many blocks it took. */
static int tails(struct run *r)
{
	int flushed = 0;

	for (int i = 0; i < r->nslot && !r->err; i++) {
		struct slot *s = &r->slot[i];
		size_t left = s->len - s->wdone;
		ssize_t n;

		if (s->state != S_TAIL)
			continue;
		n = sync_io(r->out.fd, 1, s->buf + s->pad + s->wdone, left,
			    r->out.start + s->at + (off_t)s->wdone,
			    r->c->flags & (RWF_DSYNC | RWF_SYNC));
		if (n > 0)
			wrote(r, s->at + (off_t)s->wdone, n);
		if (n != (ssize_t)left)
			fail_run(r, SIDE_WRITE, n < 0 ? errno : EIO);
		s->state = S_FREE;
		flushed++;
	}
	return flushed;
}

static void pump(struct run *r)
{
	struct slot *s;

	for (;;) {
		if (io_signal)
			read_failed(r, EINTR);
		while (more_to_read(r) && (s = free_slot(r)))
			start_block(r, s);
		submit(r);
		if (r->inflight > 0) {
			reap(r);
			continue;
		}
		/* Nothing in flight yet more to read: every slot holds a
		 * tail that a short write left. Writing them frees them. */
		if (!more_to_read(r) || tails(r) == 0)
			break;
	}
}

/* A direct DST that starts inside a block: the bytes up to the first
 * aligned offset are copied through the page cache before any request
 * is in flight. */
static void head(struct run *r)
{
	struct slot *s = &r->slot[0];
	size_t h = (size_t)(r->out.start % (off_t)r->out.align);
	ssize_t n;

	if (h == 0)
		return;
	h = r->out.align - h;
	if (r->want >= 0 && (off_t)h > r->want)
		h = (size_t)r->want;
	if (r->in.pos)
		n = sync_io(r->in.fd, 0, s->buf, h, r->in.start, 0);
	else
		for (n = 0; (size_t)n < h;) {
			ssize_t m = io_read(r->in.fd, s->buf + n, h - (size_t)n);

			if (m < 0)
				read_failed(r, errno);
			if (m <= 0)
				break;
			n += m;
		}
	if (n < 0) {
		fail_run(r, SIDE_READ, errno);
		return;
	}
	r->taken += n;
	r->next = r->wnext = n;
	if ((size_t)n < h)
		r->eof = n;
	if (sync_io(r->out.fd, 1, s->buf, (size_t)n, r->out.start,
		    r->c->flags & (RWF_DSYNC | RWF_SYNC)) != n) {
		fail_run(r, SIDE_WRITE, errno);
		return;
	}
	wrote(r, 0, n);
}

/* Notes a regular file DST's size, and gives it its final size before
 * the copy when SRC's size says what that is. Direct writes past the
 * end of a file are serialised by file systems like ext4 (io_submit then
 * blocks until the write is done); inside the file they run in
 * parallel. The blocks the copy will fill are allocated in one piece
 * where fallocate works; a --seek past the end leaves the gap before
 * them a hole, as the other methods do. */
static void presize(struct run *r)
{
	struct stat in, out;
	off_t len, end, from;

	r->dst_size = -1;
	if (!r->out.pos || fstat(r->out.fd, &out) < 0 || !S_ISREG(out.st_mode))
		return;
	r->dst_size = out.st_size;
	if (!r->in.pos || fstat(r->in.fd, &in) < 0 || !S_ISREG(in.st_mode) ||
	    in.st_size <= r->in.start)
		return;
	len = in.st_size - r->in.start;
	if (r->want >= 0 && r->want < len)
		len = r->want;
	end = r->out.start + len;
	if (len <= 0 || end <= out.st_size)
		return;
	from = r->out.start > out.st_size ? r->out.start : out.st_size;
	if (fallocate(r->out.fd, 0, from, end - from) < 0)
		(void)!ftruncate(r->out.fd, end);
}

/* DST ends where the prefix the copy wrote does, or where it ended
 * before: not at a presize, nor past blocks written beyond a gap that
 * an error left, nor at a --seek past its end when nothing was written
 * there. */
static void trim_dst(struct run *r)
{
	off_t end = r->c->done > 0 ? r->out.start + r->c->done : 0;
	struct stat st;

	if (r->dst_size < 0)
		return;
	if (end < r->dst_size)
		end = r->dst_size;
	if (fstat(r->out.fd, &st) == 0 && st.st_size > end &&
	    ftruncate(r->out.fd, end) < 0)
		fail_run(r, SIDE_WRITE, errno);
}

static int setup(struct run *r)
{
	struct copy *c = r->c;
	size_t align, memalign, size;
	char **bufs;

	if (side_init(r, &r->in, c->src, c->in, 0) < 0 ||
	    side_init(r, &r->out, c->dst, c->out, 1) < 0)
		return -1;
	r->nslot = c->qdepth > 0 ? c->qdepth : ASYNC_QDEPTH;
	c->inflight = r->nslot;
	align = r->in.align > r->out.align ? r->in.align : r->out.align;
	memalign = r->in.memalign > r->out.memalign ? r->in.memalign
						    : r->out.memalign;
	if (memalign < 4096)
		memalign = 4096;
	r->bsize = round_up(c->bsize ? c->bsize : ASYNC_BSIZE, align);
	c->bsize = r->bsize;
	size = r->bsize + r->in.align;
	r->slot = calloc((size_t)r->nslot, sizeof *r->slot);
	r->ev = calloc((size_t)r->nslot, sizeof *r->ev);
	r->ahead = calloc((size_t)r->nslot + 1, sizeof *r->ahead);
	bufs = calloc((size_t)r->nslot, sizeof *bufs);
	if (!r->slot || !r->ev || !r->ahead || !bufs) {
		free(bufs);
		fail_run(r, SIDE_NONE, ENOMEM);
		return -1;
	}
	for (int i = 0; i < r->nslot; i++) {
		int e = posix_memalign((void **)&r->slot[i].buf, memalign, size);

		if (e) {
			r->slot[i].buf = NULL;
			free(bufs);
			fail_run(r, SIDE_NONE, e);
			return -1;
		}
		bufs[i] = r->slot[i].buf;
	}
	r->ctx = r->ops->open((unsigned)r->nslot, c->flags, bufs, size);
	free(bufs);
	if (!r->ctx)
		return -1;
	snprintf(c->note, sizeof c->note, "queue depth %d; SRC %.56s; DST %.56s",
		 r->nslot, r->in.how, r->out.how);
	return 0;
}

static void teardown(struct run *r)
{
	int saved = errno;

	if (r->ctx)
		r->ops->close(r->ctx);
	for (int i = 0; r->slot && i < r->nslot; i++)
		free(r->slot[i].buf);
	free(r->slot);
	free(r->ev);
	free(r->ahead);
	if (r->in.afd != r->in.fd)
		close(r->in.afd);
	if (r->out.afd != r->out.fd)
		close(r->out.afd);
	errno = saved;
}

/* Keeps every offset a write or a tail computes (start + at + a block
 * and its alignment) below the largest off_t, where no file grows, by
 * cutting r->want short there. SRC is cut only at the largest off_t
 * itself: a file (on tmpfs, XFS, Btrfs) can hold bytes up to it, and a
 * block whose direct read would pass it is read through the page cache
 * (start_block). */
static void limit(struct run *r)
{
	off_t margin = (off_t)(r->bsize + 2 * (r->in.align > r->out.align
					       ? r->in.align : r->out.align));
	const struct end *e[2] = { &r->in, &r->out };

	for (int i = 0; i < 2; i++) {
		off_t room, m = i == 0 ? 0 : margin;

		if (!e[i]->pos)
			continue;
		room = e[i]->start < INT64_MAX - m
			       ? INT64_MAX - m - e[i]->start : 0;
		if (r->want < 0 || r->want > room) {
			r->want = room;
			r->out_limited = i == 1;
		}
	}
}

/* What --flags asked that the file system refused (EOPNOTSUPP), said
 * in place of "Operation not supported"; NULL for another error. */
static const char *flag_refused(const struct copy *c, int err)
{
	if (err != EOPNOTSUPP)
		return NULL;
	if (c->flags & RWF_HIPRI)
		return "polled I/O (hipri) is not supported here";
	if (c->flags & RWF_NOWAIT)
		return "non-blocking I/O (nowait) is not supported here";
	return NULL;
}

int async_copy(struct copy *c, const struct async_ops *ops)
{
	struct run r = {
		.c = c,
		.ops = ops,
		.want = c->count,
		.eof = -1,
		.dst_size = -1,
		.in.afd = -1,
		.out.afd = -1,
	};
	const char *why;
	int rest;

	r.in.fd = r.out.fd = -1;
	if (setup(&r) < 0) {
		int err = r.err ? r.err : errno;

		teardown(&r);
		if (!r.err) {
			/* The kernel interface is missing or refused. */
			c->fallback_errno = err;
			return COPY_FALLBACK;
		}
		errno = err;
		c->side = r.err_side;
		return COPY_ERROR;
	}
	limit(&r);
	presize(&r);
	if (r.out.direct)
		head(&r);
	pump(&r);
	/* Stopped by limit with SRC not at its end: the last bytes below
	 * the largest offset go through read and write, as a tail does,
	 * which take what fits there and then fail as write(2) does. */
	rest = !r.err && !r.rerr && r.out_limited && r.eof < 0 &&
	       r.next == r.want;
	/* Nothing is in flight now, also after an error or a signal. */
	tails(&r);
	/* What a failing stream SRC delivered is written: now it fails. */
	if (r.rerr)
		fail_run(&r, SIDE_READ, r.rerr);
	trim_dst(&r);
	/* Blocks past a gap that DST keeps: those below the size trim_dst
	 * left it (it cut the rest). main.c reports them, or cuts a DST it
	 * replaces. */
	if (r.out.pos) {
		off_t from = r.out.start + c->done, to = from;
		off_t cut = r.dst_size < 0 ? INT64_MAX
			  : r.dst_size > from ? r.dst_size : from;

		for (int i = 0; i < r.nahead; i++) {
			off_t end = r.out.start + r.ahead[i].end;

			if (r.out.start + r.ahead[i].at < cut)
				to = end < cut ? end : cut;
		}
		if (to > from) {
			c->scattered_from = from;
			c->scattered_to = to;
		}
	}
	/* After an error a positional SRC goes back to the end of the
	 * prefix DST holds: the blocks read past it count as not read. */
	if (r.err && r.in.pos)
		r.taken = c->done;
	/* Requests name their offsets: the file positions are set here,
	 * and a failure to is an error of that side, as for sendfile. */
	if (r.in.pos && lseek(r.in.fd, r.in.start + r.taken, SEEK_SET) < 0)
		fail_run(&r, SIDE_READ, errno);
	if (r.out.pos && lseek(r.out.fd, r.out.start + c->done, SEEK_SET) < 0)
		fail_run(&r, SIDE_WRITE, errno);
	if (c->count >= 0)
		c->count -= r.taken;
	teardown(&r);
	why = flag_refused(c, r.err);
	/* The kernel refused the first requests themselves (io_submit on a
	 * /proc file, say): with nothing moved, a refusal like the other
	 * methods' first call, which auto passes over. */
	if (r.err && r.err_side == SIDE_NONE && r.taken == 0 &&
	    c->done == 0 && method_unsupported(r.err)) {
		c->fallback_errno = r.err;
		c->pending = 0;
		/* The note described a run that did not happen. */
		snprintf(c->note, sizeof c->note, "%s", why ? why : "");
		return COPY_FALLBACK;
	}
	if (r.err) {
		if (why)
			io_set_message(why);
		c->pending = r.taken > c->done ? r.taken - c->done : 0;
		c->side = r.err_side;
		errno = r.err;
		return COPY_ERROR;
	}
	c->pending = 0;
	if (!rest)
		return COPY_DONE;
	/* Said in -v and --json, where the method is named as async. */
	size_t used = strlen(c->note);

	snprintf(c->note + used, sizeof c->note - used,
		 "; the last bytes below the largest offset by read/write");
	return method_rw.copy(c);
}
