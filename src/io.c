/* io.c: what every method's loop shares: the retry decisions (a
 * descriptor a parent left non-blocking gives EAGAIN, waited out with
 * ppoll, never spun on; EINVAL on a handed O_DIRECT descriptor goes on
 * through the page cache), the byte counter, and the system call count. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

volatile sig_atomic_t io_signal;
const int io_stop_signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
unsigned long io_syscalls;
static const char *message;

/* Descriptors whose O_DIRECT io_undirect cleared: SRC's and DST's. */
static int undirected[2];
static int nundirected;

int io_stopped(void)
{
	if (!io_signal)
		return 0;
	errno = EINTR;
	return 1;
}

int io_wait_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	sigset_t stop, old;
	int rc, saved;

	/* A stop signal handled between the check of io_signal and a plain
	 * poll would leave the wait to run until fd is ready. Blocked from
	 * before the check, it stays pending until ppoll unblocks it, and
	 * then interrupts the wait at once. */
	sigemptyset(&stop);
	for (const int *sig = io_stop_signals; *sig; sig++)
		sigaddset(&stop, *sig);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (;;) {
		if (io_signal) {
			errno = EINTR;
			rc = -1;
			break;
		}
		rc = ppoll(&p, 1, ms < 0 ? NULL : &ts, &old);
		if (rc >= 0)
			break;
		if (errno != EINTR)
			break;
	}
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return rc;
}

int io_wait(int fd, short events)
{
	return io_wait_for(fd, events, -1) < 0 ? -1 : 0;
}

int io_undirect(int fd)
{
	int saved = errno, fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fl < 0 || !(fl & O_DIRECT) || nundirected == 2 ||
	    fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ||
	    fcntl(fd, F_SETFL, fl & ~O_DIRECT) < 0) {
		errno = saved;
		return 0;
	}
	undirected[nundirected++] = fd;
	errno = saved;
	return 1;
}

void io_undirect_restore(void)
{
	int saved = errno;

	while (nundirected > 0) {
		int fd = undirected[--nundirected];
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl | O_DIRECT);
	}
	errno = saved;
}

/* io_retry and io_retry_pair: in or out is -1 where there is none. */
static int retry(int in, int out)
{
	if (io_signal) {
		errno = EINTR;
		return 0;
	}
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return (in < 0 || io_wait(in, POLLIN) == 0) &&
		       (out < 0 || io_wait(out, POLLOUT) == 0);
	if (errno == EINVAL) {	/* both, where both have O_DIRECT */
		int a = in >= 0 && io_undirect(in);
		int b = out >= 0 && io_undirect(out);

		return a || b;
	}
	return 0;
}

int io_retry(int fd, short events)
{
	return events == POLLOUT ? retry(-1, fd) : retry(fd, -1);
}

int io_retry_pair(int in, int out)
{
	return retry(in, out);
}

size_t io_fit(int fd, size_t len)
{
	int saved = errno;
	off_t pos = lseek(fd, 0, SEEK_CUR);

	errno = saved;
	if (pos < 0 || len <= (size_t)(INT64_MAX - pos))
		return len;
	return (size_t)(INT64_MAX - pos);
}

int io_refit(int fd, size_t len, size_t *fit)
{
	size_t f;

	if (errno != EINVAL || (f = io_fit(fd, len)) == len)
		return 0;
	if (f == 0) {
		errno = EFBIG;
		return 0;
	}
	*fit = f;
	return 1;
}

int io_src_ended(int fd, off_t pos)
{
	int saved = errno;
	char b;
	ssize_t n;

	if (pos < 0)
		pos = lseek(fd, 0, SEEK_CUR);
	n = pos < 0 ? -1 : pread(fd, &b, 1, pos);
	errno = saved;
	return n == 0;
}

ssize_t io_read(int fd, void *buf, size_t len)
{
	ssize_t n;
	size_t fit;

	for (;;) {
		if (io_stopped())
			return -1;
		io_syscalls++;
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (io_retry(fd, POLLIN))
			continue;
		if (errno != EINVAL || (fit = io_fit(fd, len)) == len)
			return -1;
		if (fit == 0)
			return 0;	/* nothing lies past the largest off_t */
		len = fit;
	}
}

/* through: go on after a stop signal (io_write_through). */
static int write_all(int fd, const void *buf, size_t len, off_t *done,
		     int through)
{
	const char *p = buf;
	size_t fit = SIZE_MAX;	/* what fits below the largest off_t */
	ssize_t n;

	while (len > 0) {
		if (!through && io_stopped())
			return -1;
		io_syscalls++;
		n = write(fd, p, len < fit ? len : fit);
		if (n < 0) {
			/* poll(2) finds a file always ready: through it, an
			 * EAGAIN is simply tried again, as io_retry would. */
			if (through ? errno == EINTR || errno == EAGAIN ||
					      (errno == EINVAL && io_undirect(fd))
				    : io_retry(fd, POLLOUT))
				continue;
			if (io_refit(fd, len, &fit))
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		io_count_add(done, n);
	}
	return 0;
}

int io_write_all(int fd, const void *buf, size_t len, off_t *done)
{
	return write_all(fd, buf, len, done, 0);
}

int io_write_through(int fd, const void *buf, size_t len, off_t *done)
{
	return write_all(fd, buf, len, done, 1);
}

void io_set_message(const char *msg)
{
	message = msg;
}

const char *io_message(int err)
{
	const char *m = message;

	if (m) {
		message = NULL;
		return m;
	}
	return strerror(err);
}
