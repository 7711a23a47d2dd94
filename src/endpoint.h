/* endpoint.h: what SRC and DST name (a path, -, fd:N, a socket address),
 * opening them in the right order, and what kind of file each turned out
 * to be. */
#ifndef ZCP_ENDPOINT_H
#define ZCP_ENDPOINT_H

#include <sys/stat.h>
#include <sys/types.h>

enum endpoint_type {
	EP_PATH,
	EP_STDIO,		/* "-": stdin as SRC, stdout as DST */
	EP_FD,			/* "fd:N" */
	EP_TCP,			/* "tcp:HOST:PORT" */
	EP_TCP_LISTEN,		/* "tcp-listen:[HOST:]PORT" */
	EP_UNIX,		/* "unix:PATH" */
	EP_UNIX_LISTEN,		/* "unix-listen:PATH" */
};

/* What the opened descriptor is, as the methods care. */
enum endpoint_kind {
	KIND_FILE,		/* regular file */
	KIND_PIPE,		/* pipe or FIFO */
	KIND_SOCKET,
	KIND_CHR,		/* character device other than a tty */
	KIND_TTY,
	KIND_BLK,
	KIND_OTHER,
	KIND_DIR,		/* a directory: never copied from or into */
	KIND_UNKNOWN,		/* not opened or probed (yet) */
};

struct endpoint {
	enum endpoint_type type;
	const char *text;	/* the operand as given, for messages */
	const char *path;	/* EP_PATH, EP_UNIX, EP_UNIX_LISTEN */
	char host[256];		/* EP_TCP, EP_TCP_LISTEN; brackets removed */
	char port[8];
	int family;		/* EP_TCP*: AF_INET, AF_INET6 or AF_UNSPEC */
	int fdnum;		/* EP_FD */
	int fd_was_closed;	/* EP_FD: N was not open when zcp started */

	int fd;			/* -1 until opened */
	int owned;		/* zcp opened fd and closes it */
	struct stat st;
	enum endpoint_kind kind;
	int append;		/* fd has O_APPEND */
	int nonblock;		/* fd has O_NONBLOCK */
	int shut;		/* endpoint_shutdown sent end of file */
	int unlink_on_exit;	/* unix-listen socket path zcp created */
	int created;		/* EP_PATH DST: zcp created the file */
};

/* Parses operand text into e. Returns 0, or -1 with a reason in *why
 * when text starts with a known prefix but is malformed. */
int endpoint_parse(struct endpoint *e, const char *text, const char **why);

/* Called with "HOST:PORT" ("[HOST]:PORT" for IPv6) when a listener whose port the kernel chose
 * has been given one, before it waits for its peer; NULL: not called. */
extern void (*endpoint_listening)(const char *address);

/* Opens SRC read-only (accepting a connection for a listener).
 * Returns 0, or -1 with errno set. */
int endpoint_open_src(struct endpoint *e);

/* Opens DST for writing without truncating it: append selects O_APPEND.
 * Returns 0, or -1 with errno set. */
int endpoint_open_dst(struct endpoint *e, int append);

/* Fills st and kind from the open descriptor. Returns 0 or -1. */
int endpoint_classify(struct endpoint *e);

/* The kind of what st describes. A character device is a terminal if
 * isatty says so of fd, or with fd -1 (not opened yet) if its device
 * number is a terminal's: a pseudo-terminal, or the kernel's tty class. */
enum endpoint_kind endpoint_kind_of(const struct stat *st, int fd);

/* A regular file's size from fstat (st_size), or -1 on a file system
 * whose sizes say nothing of the bytes (/proc says 0 whatever a file
 * holds, sysfs 4096). Nothing of the file is read. */
off_t endpoint_file_size(int fd, off_t st_size);

/* The bytes a copy from e would move: what the file or block device
 * holds past its current position and then SKIP more bytes, bounded by
 * COUNT (-1: no bound); -1 when neither tells. */
off_t endpoint_remaining(const struct endpoint *e, off_t skip, off_t count);

/* Closes e if zcp opened it and removes a listening socket's path.
 * Returns what close returned. */
int endpoint_close(struct endpoint *e);

/* Removes a unix-listen path; async-signal-safe. */
void endpoint_cleanup(struct endpoint *e);

const char *endpoint_kind_name(enum endpoint_kind k);

/* Fills any of 0, 1, 2 that is closed with a socket that no open(2)
 * reaches, so that no descriptor zcp or a library opens takes its
 * place and /dev/stdout names nothing, and notes an fd:N
 * operand whose N is closed: "-" and fd:N still see such a descriptor as
 * closed, whatever zcp opens there later. Call before opening
 * anything. Returns 1 when stdout was closed, else 0. */
int endpoint_guard(struct endpoint *src, struct endpoint *dst);

/* Removes a DST file that zcp created, if the path still names it. */
void endpoint_uncreate(struct endpoint *e);

/* Ends a socket DST that zcp opened: shuts down its sending side, so the
 * peer sees end of file, then reads away what the peer sends until the
 * peer has taken every byte (SIOCOUTQ: acknowledged for TCP, read for a
 * Unix socket) or closes. Closed with unread bytes, or sent more once
 * closed, a socket resets the connection, and the peer loses what it had
 * not taken. A stop signal ends the wait (EINTR); a reset is an error.
 * Returns 0, or -1 with errno set. */
int endpoint_shutdown(struct endpoint *e);

/* Ends a TCP DST that zcp opened when the copy failed or was stopped:
 * once the peer has acknowledged every byte sent, resets the connection,
 * so that the peer sees an error, not an end of file that would pass for
 * a whole copy. No wait after a stop signal, nor once the peer has taken
 * nothing for 2 seconds. Returns the bytes sent that the peer had not
 * acknowledged, which the reset drops; 0 for any other DST, which is
 * left as it is. */
off_t endpoint_abort(struct endpoint *e);

/* Moves fd to a number above 2 (zcp's descriptors never take 0, 1, 2).
 * Returns the new descriptor, or -1 with errno set and fd closed. */
int fd_high(int fd);

#endif
