/* io.h: the system-call loops every method shares: retry on EINTR, wait
 * with poll on EAGAIN, advance on short writes, stop on a signal. */
#ifndef ZCP_IO_H
#define ZCP_IO_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* The terminating signal caught (SIGINT, SIGTERM), 0 if none. Loops stop
 * with -1 and errno EINTR once it is set. */
extern volatile sig_atomic_t io_signal;

/* The signals that stop a copy (SIGINT, SIGTERM, SIGHUP), 0-terminated. */
extern const int io_stop_signals[];

/* System calls made by the copy, for the verbose report. */
extern unsigned long io_syscalls;

/* 1, with errno EINTR, once a terminating signal was caught: a loop
 * checks it before each call, because reading and writing regular files
 * is never interrupted and would otherwise run on to the end. */
int io_stopped(void);

/* Waits until fd is ready for events (POLLIN or POLLOUT), or a stop
 * signal comes, also one that came just before the wait began.
 * Returns 0, or -1 with errno set (EINTR after a signal). */
int io_wait(int fd, short events);

/* As io_wait, for at most ms milliseconds (-1: no limit). A signal that
 * does not stop the copy restarts the whole wait. Returns 1 when fd is
 * ready, 0 when the time ran out, or -1 with errno set. */
int io_wait_for(int fd, short events, int ms);

/* A read that retries EINTR and waits out EAGAIN; at the largest off_t
 * it reads what lies before it, then finds the end of file.
 * Returns bytes read (0 at end of file) or -1 with errno set. */
ssize_t io_read(int fd, void *buf, size_t len);

/* Adds n to a byte count that another thread loads concurrently (the
 * progress line reads struct copy's done with io_count_load). The
 * counting thread is its only writer, so a relaxed atomic store of the
 * sum is enough: a plain move on common hardware, no locked
 * read-modify-write in the copy loops. */
static inline void io_count_add(off_t *count, off_t n)
{
	__atomic_store_n(count, *count + n, __ATOMIC_RELAXED);
}

/* Adds n to a byte count that several threads add to at once (the
 * threads of a splice spread): a locked read-modify-write. */
static inline void io_count_add_shared(off_t *count, off_t n)
{
	__atomic_fetch_add(count, n, __ATOMIC_RELAXED);
}

static inline off_t io_count_load(const off_t *count)
{
	return __atomic_load_n(count, __ATOMIC_RELAXED);
}

/* Writes all of buf, adding each byte that was written to *done
 * (with io_count_add); a file that would grow past the largest off_t
 * takes what fits below it, then fails with EFBIG.
 * Returns 0, or -1 with errno set. */
int io_write_all(int fd, const void *buf, size_t len, off_t *done);

/* As io_write_all, but going on after a stop signal, for a DST whose
 * write does not wait (a regular file or block device): what a stream
 * SRC delivered before the signal still reaches it. */
int io_write_through(int fd, const void *buf, size_t len, off_t *done);

/* Decides after a failed call: returns 1 when it should be retried
 * (EINTR without a signal; EAGAIN once fd is ready; EINVAL on a file fd
 * that had O_DIRECT, now cleared by io_undirect), 0 otherwise. */
int io_retry(int fd, short events);

/* As io_retry, for a call that both reads in and writes out (splice,
 * sendfile, copy_file_range): EAGAIN waits until in is readable and out
 * writable; EINVAL clears O_DIRECT on either. */
int io_retry_pair(int in, int out);

/* After EINVAL from a call that moves len bytes at fd's file position:
 * the kernel refuses a range that passes the largest off_t, though a
 * file (on tmpfs, XFS, Btrfs) may hold bytes up to it. Returns how many
 * of len fit below it (0: none), or len when that was not the reason.
 * errno is kept. */
size_t io_fit(int fd, size_t len);

/* After a failed call that wrote len bytes at fd's file position: 1
 * when the largest off_t was the reason (EINVAL) and some of len fits
 * below it (*fit set: call again with that much); else 0, errno EFBIG
 * when nothing fits, or kept when the limit was not the reason. */
int io_refit(int fd, size_t len, size_t *fit);

/* After a DST that cannot grow (EFBIG) refused the call that would have
 * found SRC's end: 1 when the file or block device fd holds no byte at
 * pos (-1: at its file position), so the copy is complete. errno is
 * kept. */
int io_src_ended(int fd, off_t pos);

/* A descriptor handed to zcp (fd:N, -) may carry O_DIRECT, and a call
 * whose buffer, offset or length is not aligned fails with EINVAL having
 * moved nothing. Like dd, zcp then goes on through the page cache: this
 * clears O_DIRECT on fd, a regular file or block device, and returns 1;
 * 0 if fd had no O_DIRECT. The flag lives in an open file description
 * the caller shares, so io_undirect_restore sets it again at the end. */
int io_undirect(int fd);
void io_undirect_restore(void);

/* A message to use instead of strerror(errno) for the next error, for
 * errors that have no errno (host name look-ups). */
void io_set_message(const char *msg);
const char *io_message(int err);

#endif
