/* endpoint.c: parsing operands (path, -, fd:N, tcp:, tcp-listen:, unix:,
 * unix-listen:) and opening them. SRC is only ever opened read-only; DST
 * is opened without O_TRUNC so that main decides when it may shrink. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "io.h"

/* Prefixes match in any case, as socat's do (TCP:host:port). */
static int has_prefix(const char *s, const char *p, const char **rest)
{
	size_t n = strlen(p);

	if (strncasecmp(s, p, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

/* Digits only, at most max. */
static int parse_uint(const char *s, long max, long *out)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* "HOST:PORT", "[V6]:PORT", or with need_host == 0 also "PORT". */
static int parse_hostport(struct endpoint *e, const char *s, int need_host,
			  long minport, const char **why)
{
	const char *colon, *host = s;
	size_t hlen;
	long port;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			*why = "expected [ADDRESS]:PORT";
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			if (need_host) {
				*why = "expected HOST:PORT";
				return -1;
			}
			colon = s - 1;	/* port only */
			hlen = 0;
		} else {
			hlen = (size_t)(colon - s);
			if (memchr(s, ':', hlen)) {
				*why = "an IPv6 address goes in brackets, as [::1]:PORT";
				return -1;
			}
		}
	}
	if (hlen >= sizeof e->host) {
		*why = "host name too long";
		return -1;
	}
	if (hlen == 0 && (need_host || colon >= s)) {
		*why = "empty host";
		return -1;
	}
	if (parse_uint(colon + 1, 65535, &port) < 0 || port < minport) {
		*why = minport ? "port must be a number from 1 to 65535"
			       : "port must be a number from 0 to 65535";
		return -1;
	}
	memcpy(e->host, host, hlen);
	e->host[hlen] = '\0';
	if (hlen == 0)
		strcpy(e->host, e->family == AF_INET6 ? "::1" : "127.0.0.1");
	snprintf(e->port, sizeof e->port, "%u", (unsigned)port & 0xffffu);
	return 0;
}

static int parse_unix(struct endpoint *e, const char *s, const char **why)
{
	struct sockaddr_un sun;

	if (!*s) {
		*why = "empty socket path";
		return -1;
	}
	if (strlen(s) >= sizeof sun.sun_path) {
		*why = "socket path too long (the limit is 107 bytes)";
		return -1;
	}
	e->path = s;
	return 0;
}

/* socat's names for what zcp serves, as socat takes them: tcp4 and
 * tcp6 (and their -connect, -listen and -l) keep to one address family. */
static const struct {
	const char *prefix;
	enum endpoint_type type;
	int family;
} aliases[] = {
	{ "tcp:", EP_TCP, AF_UNSPEC },
	{ "tcp4:", EP_TCP, AF_INET },
	{ "tcp6:", EP_TCP, AF_INET6 },
	{ "tcp-connect:", EP_TCP, AF_UNSPEC },
	{ "tcp4-connect:", EP_TCP, AF_INET },
	{ "tcp6-connect:", EP_TCP, AF_INET6 },
	{ "tcp-listen:", EP_TCP_LISTEN, AF_UNSPEC },
	{ "tcp-l:", EP_TCP_LISTEN, AF_UNSPEC },
	{ "tcp4-listen:", EP_TCP_LISTEN, AF_INET },
	{ "tcp4-l:", EP_TCP_LISTEN, AF_INET },
	{ "tcp6-listen:", EP_TCP_LISTEN, AF_INET6 },
	{ "tcp6-l:", EP_TCP_LISTEN, AF_INET6 },
	{ "unix:", EP_UNIX, AF_UNSPEC },
	{ "unix-connect:", EP_UNIX, AF_UNSPEC },
	{ "unix-listen:", EP_UNIX_LISTEN, AF_UNSPEC },
	{ "unix-l:", EP_UNIX_LISTEN, AF_UNSPEC },
};

/* socat's address types that zcp does not serve: an operand that starts
 * with one is refused, not taken for a file of that name in the current
 * directory, which would leave the bytes meant for a peer on disk. */
static const char *const foreign[] = {
	"udp", "udp4", "udp6", "udp-connect", "udp-listen", "udp4-listen",
	"udp6-listen", "udp-sendto", "udp-recv", "udp-recvfrom", "udp-datagram",
	"sctp", "sctp-connect", "sctp-listen", "dccp-connect", "dccp-listen",
	"exec", "system", "shell", "open", "create", "gopen", "pipe", "pty",
	"openssl", "openssl-connect", "openssl-listen", "socks4", "socks4a",
	"socks5", "proxy", "proxy-connect", "tun", "ip", "ip4", "ip6",
	"ip-sendto", "ip-recv", "ip-datagram", "unix-client", "unix-sendto",
	"unix-recv", "unix-recvfrom", "abstract-connect", "abstract-listen",
	"abstract-client", "vsock-connect", "vsock-listen", "stdio", "stdin",
	"stdout", "stderr", "readline", "file", "fifo", "echo", "ssl", "ssl-l",
	"udp-l", "udp4-l", "udp6-l", "udp-send", "udp-dgram", "udp4-connect",
	"udp6-connect", "sctp-l", "dccp", "dccp-l", "socket-connect",
	"socket-listen", "socket-sendto", "socket-recv", "socket-recvfrom",
	"socket-datagram", "socketpair", "unix-send", "vsock", "vsock-l",
	"dtls", "inet", "inet-l", "local", "socks5-connect", "socks5-listen",
};

int endpoint_parse(struct endpoint *e, const char *text, const char **why)
{
	const char *colon = strchr(text, ':');
	const char *rest;
	long n;

	memset(e, 0, sizeof *e);
	e->text = text;
	e->fd = -1;
	e->type = EP_PATH;
	e->path = text;

	if (strcmp(text, "-") == 0) {
		e->type = EP_STDIO;
		return 0;
	}
	if (has_prefix(text, "fd:", &rest)) {
		e->type = EP_FD;
		if (parse_uint(rest, INT_MAX, &n) < 0) {
			*why = "expected fd:N with N a descriptor number";
			return -1;
		}
		e->fdnum = (int)n;
		return 0;
	}
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (!has_prefix(text, aliases[i].prefix, &rest))
			continue;
		e->type = aliases[i].type;
		e->family = aliases[i].family;
		return e->type == EP_TCP || e->type == EP_TCP_LISTEN
		       ? parse_hostport(e, rest, e->type == EP_TCP,
					e->type == EP_TCP, why)
		       : parse_unix(e, rest, why);
	}
	for (size_t i = 0; colon && i < sizeof foreign / sizeof foreign[0];
	     i++) {
		if (strlen(foreign[i]) == (size_t)(colon - text) &&
		    strncasecmp(text, foreign[i], (size_t)(colon - text)) == 0) {
			*why = "an address type of socat's that zcp does not"
			       " serve (it takes fd:N, tcp:, tcp-listen:,"
			       " unix: and unix-listen:); ./NAME is a file";
			return -1;
		}
	}
	return 0;
}

int fd_high(int fd)
{
	int nfd, saved;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return nfd;
}

static int tcp_connect(struct endpoint *e)
{
	struct addrinfo hints = { .ai_family = e->family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int fd = -1, rc, saved = ECONNREFUSED;

	rc = getaddrinfo(e->host, e->port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		if (rc != EAI_SYSTEM)
			io_set_message(gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		fd = fd_high(fd);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		do
			rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		while (rc < 0 && errno == EINTR && !io_signal);
		if (rc == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
		if (io_signal)
			break;
	}
	freeaddrinfo(res);
	errno = saved;
	return fd;
}

void (*endpoint_listening)(const char *address);

/* Prints the bound address when the kernel chose the port. */
static void say_listening(int fd, const char *wanted_port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN + 2], port[8], address[sizeof host + 10];

	if (strcmp(wanted_port, "0") != 0)
		return;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port,
			sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	snprintf(address, sizeof address,
		 ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
	fprintf(stderr, "zcp: listening on %s\n", address);
	fflush(stderr);
	if (endpoint_listening)
		endpoint_listening(address);
}

static int accept_one(int lfd)
{
	int fd;

	do {
		if (io_signal) {
			errno = EINTR;
			return -1;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	return fd_high(fd);
}

static int tcp_listen(struct endpoint *e)
{
	struct addrinfo hints = { .ai_family = e->family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *res;
	int lfd, fd, one = 1, rc, saved;

	rc = getaddrinfo(e->host, e->port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		if (rc != EAI_SYSTEM)
			io_set_message(gai_strerror(rc));
		return -1;
	}
	lfd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		     res->ai_protocol);
	lfd = fd_high(lfd);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(lfd, 1) < 0) {
		saved = errno;
		if (lfd >= 0)
			close(lfd);
		freeaddrinfo(res);
		errno = saved;
		return -1;
	}
	freeaddrinfo(res);
	say_listening(lfd, e->port);
	fd = accept_one(lfd);
	saved = errno;
	close(lfd);
	errno = saved;
	return fd;
}

static int unix_socket(struct endpoint *e, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, e->path, strlen(e->path) + 1);
	return fd_high(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static int unix_connect(struct endpoint *e)
{
	struct sockaddr_un sun;
	int fd = unix_socket(e, &sun), rc, saved;

	if (fd < 0)
		return -1;
	do
		rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	while (rc < 0 && errno == EINTR && !io_signal);
	if (rc < 0) {
		struct stat st;

		saved = errno;
		/* What the kernel says of a path that is no socket at all. */
		if (saved == ECONNREFUSED && stat(e->path, &st) == 0 &&
		    !S_ISSOCK(st.st_mode))
			io_set_message("Connection refused: not a socket");
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* NLMSG_OK, with the length compared as unsigned only once it is known
 * not to be negative (the macro mixes signs, which clang warns of). */
static int nl_ok(const struct nlmsghdr *h, int left)
{
	return left >= (int)sizeof *h && h->nlmsg_len >= sizeof *h &&
	       h->nlmsg_len <= (unsigned)left;
}

/* Whether a socket in zcp's network namespace is bound to the file with
 * this inode, asked of the kernel's socket diagnostics (what `ss -x`
 * reads): 1 yes, 0 no, -1 cannot tell (errno). Asking, unlike trying to
 * connect, takes nothing from a server that accepts one peer. */
static int unix_bound(ino_t ino)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q = {
		.nh = { .nlmsg_len = sizeof q, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u,
			 .udiag_show = UDIAG_SHOW_VFS },
	};
	long buf[8192 / sizeof(long)];
	int fd, found = 0, saved;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (send(fd, &q, sizeof q, 0) < 0)
		goto fail;
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int left;

		n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR && !io_signal)
			continue;
		if (n < 0)
			goto fail;
		for (left = (int)n; nl_ok(h, left); h = NLMSG_NEXT(h, left)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a = (struct rtattr *)(m + 1);
			int alen = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *m);

			if (h->nlmsg_type == NLMSG_DONE) {
				int err = *(int *)NLMSG_DATA(h);

				if (err < 0) {
					errno = -err;
					goto fail;
				}
				close(fd);
				return found;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto fail;
			}
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				struct unix_diag_vfs *v = RTA_DATA(a);

				/* The inode number alone, in the 32 bits the
				 * kernel gives: stat's device number is not
				 * always the super block's (btrfs subvolumes,
				 * overlayfs), and a socket of another file
				 * with the same low bits only makes zcp
				 * refuse, the safe side. */
				if (a->rta_type == UNIX_DIAG_VFS &&
				    RTA_PAYLOAD(a) >= sizeof *v &&
				    v->udiag_vfs_ino == (uint32_t)ino)
					found = 1;
			}
		}
		if (n == 0)
			break;
	}
	errno = EPROTO;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Whether a server answers on the socket at sun: the check for one the
 * kernel's diagnostics cannot see (another network namespace). It
 * takes one connection from such a server: better than deleting its
 * socket. 1 yes, 0 refused (stale), -1 error. */
static int unix_answers(const struct sockaddr_un *sun)
{
	int fd, rc, saved;

	/* Non-blocking: a live server with a full backlog gives EAGAIN
	 * instead of holding us up. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	do
		rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	while (rc < 0 && errno == EINTR && !io_signal);
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS ||
	    saved == EPROTOTYPE)
		return 1;
	if (saved == ECONNREFUSED || saved == ENOENT)
		return 0;
	errno = saved;
	return -1;
}

/* Removes what is at the path if it is a socket nobody has bound.
 * Returns 0 when the path is free, or -1 with errno set: EEXIST for a
 * file that is not a socket, EADDRINUSE for a socket in use or one that
 * cannot be told apart from it. */
static int unix_clear(const char *path, const struct sockaddr_un *sun)
{
	static char why[160];
	struct stat st;
	int rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		io_set_message("File exists, and is not a socket: zcp replaces"
			       " only a socket no server uses");
		errno = EEXIST;
		return -1;
	}
	rc = unix_bound(st.st_ino);
	if (rc < 0) {
		snprintf(why, sizeof why, "a socket file is there, and whether "
			 "a server uses it cannot be told (socket diagnostics: "
			 "%s)", strerror(errno));
		io_set_message(why);
	}
	if (rc == 0)
		rc = unix_answers(sun);
	if (rc != 0) {
		errno = EADDRINUSE;
		return -1;
	}
	/* Left behind by a server that died: nobody will answer it. */
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* The socket file is created 0600 and replaces only a stale socket: a
 * file that is not a socket, or a socket a server answers on, is left
 * as it is. */
static int unix_listen(struct endpoint *e)
{
	struct sockaddr_un sun;
	char tmp[sizeof sun.sun_path];
	int lfd, fd, rc, saved, n, staged;
	mode_t old;

	lfd = unix_socket(e, &sun);
	if (lfd < 0)
		return -1;
	if (unix_clear(e->path, &sun) < 0) {
		saved = errno;
		close(lfd);
		errno = saved;
		return -1;
	}
	/* The path appears only once zcp listens: the socket is bound under
	 * a name of its own beside it, then linked into place, so that a
	 * peer waiting for the path never finds it refusing connections.
	 * (A path too long for that is bound directly.) */
	n = snprintf(tmp, sizeof tmp, "%s.%ld.zcp", e->path, (long)getpid());
	staged = n > 0 && (size_t)n < sizeof tmp;
	if (staged) {
		memcpy(sun.sun_path, tmp, (size_t)n + 1);
		unlink(tmp);	/* left by a zcp killed with this pid */
	}
	old = umask(0177);
	rc = bind(lfd, (struct sockaddr *)&sun, sizeof sun);
	saved = errno;
	umask(old);
	if (rc < 0) {
		close(lfd);
		errno = saved;
		return -1;
	}
	if (listen(lfd, 1) < 0 || (staged && link(tmp, e->path) < 0)) {
		saved = errno == EEXIST ? EADDRINUSE : errno;
		close(lfd);
		unlink(staged ? tmp : e->path);
		errno = saved;
		return -1;
	}
	if (staged)
		unlink(tmp);
	e->unlink_on_exit = 1;
	fd = accept_one(lfd);
	saved = errno;
	close(lfd);
	/* One peer only: nobody else may find the path. */
	endpoint_cleanup(e);
	errno = saved;
	return fd;
}

/* 0, 1 and 2 as they were when zcp started: 1 where closed. */
static int stdio_closed[3];

static int is_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

int endpoint_guard(struct endpoint *src, struct endpoint *dst)
{
	if (src->type == EP_FD)
		src->fd_was_closed = is_closed(src->fdnum);
	if (dst->type == EP_FD)
		dst->fd_was_closed = is_closed(dst->fdnum);
	for (int fd = 0; fd < 3; fd++) {
		if (!is_closed(fd))
			continue;
		/* Lower descriptors are open, so this takes fd itself. A
		 * socket, not /dev/null: opening /dev/stdout, /dev/stdin or
		 * /proc/self/fd/N of it fails (ENXIO), where /dev/null
		 * would take the bytes, or give none, and report success. */
		int n = socket(AF_UNIX, SOCK_DGRAM, 0);

		if (n < 0)
			n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);

		if (n == fd)
			stdio_closed[fd] = 1;
		else if (n >= 0)
			close(n);
	}
	return stdio_closed[STDOUT_FILENO];
}

static int check_access(int fd, int want_write)
{
	struct stat st;
	int fl;

	if (fd >= 0 && fd < 3 && stdio_closed[fd]) {
		errno = EBADF;
		return -1;
	}
	fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	/* A directory is never open for writing: said as what it is. */
	if (want_write && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if ((fl & O_ACCMODE) == (want_write ? O_RDONLY : O_WRONLY)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

static int open_common(struct endpoint *e, int write)
{
	switch (e->type) {
	case EP_STDIO:
		e->fd = write ? STDOUT_FILENO : STDIN_FILENO;
		return check_access(e->fd, write);
	case EP_FD:
		e->fd = e->fdnum;
		if (e->fd_was_closed) {
			errno = EBADF;
			return -1;
		}
		return check_access(e->fd, write);
	case EP_TCP:
		e->fd = tcp_connect(e);
		break;
	case EP_TCP_LISTEN:
		e->fd = tcp_listen(e);
		break;
	case EP_UNIX:
		e->fd = unix_connect(e);
		break;
	case EP_UNIX_LISTEN:
		e->fd = unix_listen(e);
		break;
	case EP_PATH:
		return -1;	/* not reached */
	}
	e->owned = e->fd >= 0;
	return e->fd < 0 ? -1 : 0;
}

/* open(2) of a socket file fails with ENXIO, "No such device or
 * address", which does not say what to do: the path names a socket that
 * unix:PATH connects to. */
static void say_if_socket(const char *path)
{
	int saved = errno;
	struct stat st;

	if (saved == ENXIO && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		io_set_message("a Unix socket, which open(2) refuses: "
			       "unix:PATH connects to it");
	errno = saved;
}

int endpoint_open_src(struct endpoint *e)
{
	if (e->type != EP_PATH)
		return open_common(e, 0);
	e->fd = fd_high(open(e->path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
	e->owned = e->fd >= 0;
	if (e->fd < 0)
		say_if_socket(e->path);
	return e->fd < 0 ? -1 : 0;
}

int endpoint_open_dst(struct endpoint *e, int append)
{
	struct stat st;
	int fl;

	if (e->type != EP_PATH)
		return open_common(e, 1);
	fl = O_WRONLY | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : 0);
	/* Whether zcp creates DST, told apart without a race: a copy that
	 * fails before its first byte removes what it created. */
	for (int tries = 0; tries < 8; tries++) {
		e->fd = open(e->path, fl);
		if (e->fd >= 0 || errno != ENOENT)
			break;
		e->fd = open(e->path, fl | O_CREAT | O_EXCL, 0666);
		if (e->fd >= 0) {
			e->created = 1;
			break;
		}
		if (errno != EEXIST)
			break;
		/* A dangling symbolic link: its target is created, as dd
		 * and a shell's > do, but not taken back on failure. */
		if (lstat(e->path, &st) == 0 && S_ISLNK(st.st_mode)) {
			e->fd = open(e->path, fl | O_CREAT, 0666);
			break;
		}
	}
	e->fd = fd_high(e->fd);
	e->owned = e->fd >= 0;
	if (e->fd < 0)
		say_if_socket(e->path);
	return e->fd < 0 ? -1 : 0;
}

off_t endpoint_file_size(int fd, off_t st_size)
{
	struct statfs fs;

	/* Asked of the file system, not of the bytes: a read of /proc/kmsg
	 * or a trace_pipe takes what it reads from whoever reads next, one
	 * of a descriptor handed with O_DIRECT fails, and any costs the
	 * copy a call. */
	if (fstatfs(fd, &fs) == 0)
		switch (fs.f_type) {
		case PROC_SUPER_MAGIC:
		case SYSFS_MAGIC:
		case DEBUGFS_MAGIC:
		case TRACEFS_MAGIC:
		case SECURITYFS_MAGIC:
		case CGROUP_SUPER_MAGIC:
		case CGROUP2_SUPER_MAGIC:
			return -1;
		}
	return st_size;
}

off_t endpoint_remaining(const struct endpoint *e, off_t skip, off_t count)
{
	off_t size = -1, pos;
	uint64_t blk;

	if (e->fd >= 0 && e->kind == KIND_FILE)
		size = endpoint_file_size(e->fd, e->st.st_size);
	else if (e->fd >= 0 && e->kind == KIND_BLK &&
		 ioctl(e->fd, BLKGETSIZE64, &blk) == 0)
		size = (off_t)blk;
	if (size >= 0) {
		pos = lseek(e->fd, 0, SEEK_CUR);
		/* Past the largest offset there is: nothing remains. */
		if (pos >= 0 && __builtin_add_overflow(pos, skip, &pos))
			pos = size;
		size = pos < 0 ? -1 : pos >= size ? 0 : size - pos;
	}
	if (count >= 0 && (size < 0 || count < size))
		size = count;
	return size;
}

static int tty_dev(dev_t rdev)
{
	char path[64], link[256];
	ssize_t n;

	/* Consoles and serial lines (4), /dev/tty and /dev/console (5),
	 * and Unix98 pseudo-terminals (/dev/pts/N, not in sysfs). */
	if (major(rdev) == 4 || major(rdev) == 5 ||
	    (major(rdev) >= 136 && major(rdev) <= 143))
		return 1;
	snprintf(path, sizeof path, "/sys/dev/char/%u:%u/subsystem",
		 major(rdev), minor(rdev));
	n = readlink(path, link, sizeof link - 1);
	if (n < 4)
		return 0;
	link[n] = '\0';
	return strcmp(link + n - 4, "/tty") == 0;
}

enum endpoint_kind endpoint_kind_of(const struct stat *st, int fd)
{
	mode_t m = st->st_mode;

	if (S_ISCHR(m))
		return (fd >= 0 ? isatty(fd) : tty_dev(st->st_rdev))
			       ? KIND_TTY : KIND_CHR;
	return S_ISREG(m)  ? KIND_FILE
	     : S_ISFIFO(m) ? KIND_PIPE
	     : S_ISSOCK(m) ? KIND_SOCKET
	     : S_ISBLK(m)  ? KIND_BLK
	     : S_ISDIR(m)  ? KIND_DIR
			   : KIND_OTHER;
}

int endpoint_classify(struct endpoint *e)
{
	int fl;

	if (fstat(e->fd, &e->st) < 0)
		return -1;
	e->kind = endpoint_kind_of(&e->st, e->fd);
	fl = fcntl(e->fd, F_GETFL);
	if (fl < 0)
		return -1;
	e->append = !!(fl & O_APPEND);
	e->nonblock = !!(fl & O_NONBLOCK);
	return 0;
}

void endpoint_cleanup(struct endpoint *e)
{
	if (e->unlink_on_exit) {
		e->unlink_on_exit = 0;
		unlink(e->path);
	}
}

void endpoint_uncreate(struct endpoint *e)
{
	struct stat now;

	if (e->created && e->fd >= 0 && stat(e->path, &now) == 0 &&
	    now.st_dev == e->st.st_dev && now.st_ino == e->st.st_ino)
		unlink(e->path);
	e->created = 0;
}

/* Bytes sent on fd that the peer has not taken yet: for TCP, not yet
 * acknowledged (the end of file counts one); for a Unix socket, not yet
 * read. -1 when the kernel does not tell. */
static int unsent(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) < 0 ? -1 : n;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads away what the peer of fd sends until the peer has taken every
 * byte sent (0), closes (0), resets the connection or a stop signal
 * comes (-1, errno set). With idle_ms >= 0, also gives up (-1,
 * ETIMEDOUT) once the peer has taken nothing for that long. */
static int wait_taken(int fd, int idle_ms)
{
	char buf[65536];
	int ms = 1, left, last = -1;
	long long since = now_ms();
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;	/* the peer closed: nothing more comes */
		if (errno == EINTR && !io_signal)
			continue;
		/* EINTR: a stop signal. A reset: the peer closed with bytes
		 * of the copy it had not read, or went away. */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		left = unsent(fd);
		if (left <= 0)
			return 0;
		if (last < 0 || left < last) {
			last = left;
			since = now_ms();
			ms = 1;
		} else if (idle_ms >= 0 && now_ms() - since >= idle_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Nothing tells when the peer takes the last bytes. */
		if (io_wait_for(fd, POLLIN, ms) < 0)
			return -1;
		if (ms < 128)
			ms *= 2;
	}
}

int endpoint_shutdown(struct endpoint *e)
{
	if (shutdown(e->fd, SHUT_WR) < 0)
		return -1;
	e->shut = 1;
	/* Closed, zcp's socket would answer whatever the peer sends next
	 * with a reset, and a reset drops what the peer's kernel had not
	 * taken yet; a peer may talk at any time. So zcp reads away what
	 * the peer sends until the peer has taken every byte, or ends the
	 * connection. A peer that takes nothing keeps zcp waiting, as it
	 * would have during the copy. */
	return wait_taken(e->fd, -1);
}

off_t endpoint_abort(struct endpoint *e)
{
	static const struct linger now = { .l_onoff = 1, .l_linger = 0 };
	int saved = errno, n;

	if (!e->owned || e->fd < 0 ||
	    (e->type != EP_TCP && e->type != EP_TCP_LISTEN))
		return 0;
	/* The copy has failed: no reason to wait for a peer that takes
	 * nothing more, only for one that is still taking bytes. */
	if (!io_signal)
		(void)wait_taken(e->fd, 2000);
	n = unsent(e->fd);
	if (n > 0 && e->shut)
		n--;		/* the end of file counts one, and is no byte */
	if (setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &now, sizeof now) == 0) {
		close(e->fd);
		e->fd = -1;
		e->owned = 0;
	}
	errno = saved;
	return n > 0 ? n : 0;
}

int endpoint_close(struct endpoint *e)
{
	int rc = 0;

	endpoint_cleanup(e);
	if (e->owned && e->fd >= 0)
		rc = close(e->fd);
	e->fd = -1;
	e->owned = 0;
	return rc;
}

const char *endpoint_kind_name(enum endpoint_kind k)
{
	static const char *const names[] = {
		[KIND_FILE] = "file", [KIND_PIPE] = "pipe",
		[KIND_SOCKET] = "socket", [KIND_CHR] = "character device",
		[KIND_TTY] = "terminal", [KIND_BLK] = "block device",
		[KIND_OTHER] = "other", [KIND_DIR] = "directory",
		[KIND_UNKNOWN] = "unknown",
	};

	return names[k];
}
