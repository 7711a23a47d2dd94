/* method.c: the method table, in the order `auto` tries them, and the
 * small accounting helpers every method shares. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "io.h"
#include "method.h"

/* The default order; src/plan.c reorders it per pair of endpoints from
 * what was measured. */
const struct method *const methods[] = {
	&method_copy_file_range,
	&method_sendfile,
	&method_splice,
	&method_io_uring,
	&method_aio,
	&method_rw,
	NULL,
};

const char *const methods_unavailable[] = {
	NULL,
};

const struct method *method_find(const char *name)
{
	for (const struct method *const *m = methods; *m; m++)
		if (strcasecmp((*m)->name, name) == 0)
			return *m;
	return NULL;
}

size_t method_bsize(const struct method *m, const struct copy *c)
{
	if (m->socket_bsize && c->dst->kind == KIND_SOCKET)
		return m->socket_bsize;
	return m->default_bsize;
}

size_t method_chunk(const struct copy *c)
{
	if (c->count >= 0 && (off_t)c->bsize > c->count)
		return (size_t)c->count;
	return c->bsize;
}

void method_advance(struct copy *c, size_t n)
{
	if (c->count >= 0)
		c->count -= (off_t)n;
}

void method_moved(struct copy *c, size_t n)
{
	io_count_add(&c->done, (off_t)n);
	method_advance(c, n);
}

void method_give_back(struct copy *c)
{
	int saved = errno;

	/* Given back, they are not lost: whoever reads SRC next gets them,
	 * so they are not reported as read but not written. */
	if (c->pending > 0 &&
	    (c->src->kind == KIND_FILE || c->src->kind == KIND_BLK) &&
	    lseek(c->in, -c->pending, SEEK_CUR) >= 0)
		c->pending = 0;
	errno = saved;
}

int method_unsupported(int err)
{
	switch (err) {
	case ENOSYS:
	case EINVAL:
	case EXDEV:
	case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
	case ENOTSUP:
#endif
	case EBADF:		/* O_APPEND, or a descriptor the call cannot use */
	case ESPIPE:
		return 1;
	default:
		return 0;
	}
}

int method_failed(struct copy *c, int first, enum side side)
{
	if (first && method_unsupported(errno)) {
		c->fallback_errno = errno;
		return COPY_FALLBACK;
	}
	c->side = side;
	return COPY_ERROR;
}

int method_empty_start(struct copy *c, const char *name)
{
	off_t pos = lseek(c->in, 0, SEEK_CUR);
	char b;

	if (pos < 0 || pread(c->in, &b, 1, pos) <= 0)
		return 0;
	snprintf(c->note, sizeof c->note,
		 "%s found no bytes where read does (a file in /proc?)", name);
	c->fallback_errno = 0;
	return 1;
}

static long pipe_max(void)
{
	static long max;
	FILE *f;

	if (max)
		return max;
	max = 1L << 20;
	f = fopen("/proc/sys/fs/pipe-max-size", "re");
	if (f) {
		if (fscanf(f, "%ld", &max) != 1 || max < 4096)
			max = 1L << 20;
		fclose(f);
	}
	return max;
}

long method_pipe_grow(int fd, size_t want)
{
	long size = fcntl(fd, F_GETPIPE_SZ);
	long try;

	if (size < 0)
		return -1;
	try = want > (size_t)pipe_max() ? pipe_max() : (long)want;
	/* Above the per-user limit an unprivileged F_SETPIPE_SZ fails with
	 * EPERM; a smaller size may still be allowed. */
	for (; try > size; try /= 2) {
		long got = fcntl(fd, F_SETPIPE_SZ, (int)try);

		if (got >= 0)
			return got;
		if (errno != EPERM && errno != EBUSY)
			break;
	}
	return size;
}

void method_pass(struct copy *c, const struct method *m, int err,
		 const char *why)
{
	struct method_passed *p;

	if (c->npassed >= (int)(sizeof c->passed / sizeof c->passed[0]))
		return;
	p = &c->passed[c->npassed++];
	p->name = m->name;
	p->err = err;
	p->why = why;
	if (!err && !why) {
		snprintf(p->note, sizeof p->note, "%s", c->note);
		p->why = p->note;
	}
}
