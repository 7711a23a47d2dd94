/* progress.c: a thread that wakes up to 10 times a second to redraw the
 * progress line, and whenever SIGUSR1 arrives to print it once. It never
 * touches the copy: it only loads c->done, so the line stays live while
 * a splice or sendfile blocks on a slow peer, and the copy loops carry
 * no hooks. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "progress.h"
#include "report.h"

#define TICK_NS 100000000L	/* at most 10 redraws a second */

static int live;		/* redraw the line, not only on SIGUSR1 */
static int forced;		/* --progress=always */
static int tty;			/* stderr is a terminal */
static int usr1;		/* SIGUSR1 was not ignored when zcp started */
static int running;
static pthread_t thread;
static int sigfd = -1, stopfd = -1;
static const struct copy *copy;
static off_t total;		/* bytes expected, -1: unknown */
static struct timespec t0;
static size_t drawn;		/* length of the live line on screen */
/* What opening an endpoint waits for. Set before the thread starts, or
 * while it runs with an atomic store of a text already complete. */
static const char *waiting;

void progress_init(int mode)
{
	struct sigaction old;
	sigset_t set;

	tty = isatty(STDERR_FILENO);
	forced = mode == 2;
	live = forced || (mode == 1 && tty);
	sigaction(SIGUSR1, NULL, &old);
	usr1 = old.sa_handler != SIG_IGN;
	if (!usr1)
		return;
	/* Blocked in every thread, SIGUSR1 stays pending until the
	 * progress thread reads it from a signalfd: no copy call ever sees
	 * EINTR from it, and before the copy starts it is not lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static double since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) +
	       (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* "zcp: N bytes (SI, IEC) copied, S s, R/s, P%, ETA H:MM:SS"; the
 * parenthesis from 1000 bytes on, as in the final report. Short, the
 * amount is only "SI": "zcp: 5.37 GB copied, ...". While --offset is
 * read away, before the copy, ", skipped K of M bytes" follows (short:
 * ", skipped 1.05 MB of 4.19 MB"): the time and the rate count that
 * reading, as the report's do, and it moves no byte of the copy. */
static size_t format(char *buf, size_t len, int shrt)
{
	const char *what = __atomic_load_n(&waiting, __ATOMIC_ACQUIRE);

	if (what) {
		int n = snprintf(buf, len, "zcp: 0 bytes copied, %.1f s, %s",
				 since(&t0), what);

		return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
	}
	/* The copying thread, its only writer, stores c->done with relaxed
	 * atomic stores (io_count_add); this relaxed load sees some value
	 * it stored, never a torn one, and a slightly stale byte count is
	 * all a display can need. Making the field _Atomic instead would
	 * change the type every method hands to io_write_all. */
	off_t done = io_count_load(&copy->done);
	off_t skipped = io_count_load(&copy->skipped);
	double secs = since(&t0), rate = secs > 0 ? (double)done / secs : 0;
	char amount[96], r[32], k[32], m[32];
	int n;

	/* In the report's words: "0 bytes", "1 byte", "1000 bytes (1.00 kB)". */
	if (shrt)
		report_human(amount, sizeof amount, (double)done, 1000);
	else
		report_amount(amount, sizeof amount, done);
	report_human(r, sizeof r, rate, 1000);
	n = snprintf(buf, len, "zcp: %s copied, %.1f s, %s/s", amount, secs, r);
	if (total > 0 && n >= 0 && (size_t)n < len) {
		double left = done < total ? (double)(total - done) : 0;
		double secs_left = rate > 0 ? left / rate + 0.5 : -1;
		/* Beyond 100 days the rate says nothing: no ETA. */
		long eta = secs_left < 8640000 ? (long)secs_left : -1;

		n += snprintf(buf + n, len - (size_t)n, ", %d%%",
			      (int)(100.0 * (double)done / (double)total));
		if (eta >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n,
				      ", ETA %ld:%02ld:%02ld", eta / 3600,
				      eta / 60 % 60, eta % 60);
	}
	/* Where SRC ended before --offset, the line goes on saying how
	 * far the reading got (the warning has said so too). */
	if (skipped < copy->skip && n >= 0 && (size_t)n < len) {
		if (shrt) {
			report_human(k, sizeof k, (double)skipped, 1000);
			report_human(m, sizeof m, (double)copy->skip, 1000);
		} else {
			snprintf(k, sizeof k, "%lld", (long long)skipped);
			snprintf(m, sizeof m, "%lld byte%s",
				 (long long)copy->skip,
				 copy->skip == 1 ? "" : "s");
		}
		n += snprintf(buf + n, len - (size_t)n, ", skipped %s of %s",
			      k, m);
	}
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

static void put(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Columns of the terminal on stderr, 0 when it does not say. */
static size_t columns(void)
{
	struct winsize ws;

	if (!tty || ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0)
		return 0;
	return ws.ws_col;
}

/* Whether the live line may be drawn on stderr now. A job in the
 * background that redraws its line would write it over whatever the
 * user is doing at the shell, so on a terminal the line is drawn only
 * while zcp's process group is in the foreground, as pv does; it comes
 * back after fg. --progress=always draws it anyway, and then a terminal
 * set to stop background writes (stty tostop) stops zcp, as it would any
 * other program. A terminal that is not zcp's controlling one has no
 * foreground to ask about (ENOTTY): the line is drawn. */
static int may_draw(void)
{
	pid_t fg;

	if (forced || !tty)
		return 1;
	fg = tcgetpgrp(STDERR_FILENO);
	return fg < 0 || fg == getpgrp();
}

/* Draws the line over the previous one: padded with spaces rather than
 * cleared with an escape, so a forced line in a log stays plain text.
 * end is "\n" for the SIGUSR1 line, "" for the live one. A live line
 * wider than the terminal would wrap, and "\r" would go back only to
 * its last row: every redraw would scroll. So it is made to fit, short
 * first, then cut. */
static void draw(const char *end)
{
	char buf[256], pad[256];
	size_t n = format(buf, sizeof buf, 0);
	size_t cols = *end ? 0 : columns();
	size_t w;

	if (cols > 0 && n >= cols)
		n = format(buf, sizeof buf, 1);
	if (cols > 0 && n >= cols)
		n = cols - 1;
	w = drawn > n ? drawn - n : 0;
	if (cols > 0 && n + w >= cols)	/* the terminal narrowed */
		w = cols - 1 - n;

	memset(pad, ' ', w);
	put("\r", live ? 1 : 0);
	put(buf, n);
	put(pad, w);
	put(end, strlen(end));
	drawn = *end ? 0 : n;
}

static void tick(struct timespec *t)
{
	t->tv_nsec += TICK_NS;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static void *run(void *arg)
{
	struct pollfd p[2] = { { .fd = stopfd, .events = POLLIN },
			       { .fd = sigfd, .events = POLLIN } };
	struct timespec next = t0;
	struct signalfd_siginfo si;

	(void)arg;
	tick(&next);	/* a copy over within a tick draws nothing */
	for (;;) {
		int timeout = -1;

		if (live) {
			double wait = -since(&next);

			timeout = wait > 0 ? (int)(wait * 1000) + 1 : 0;
		}
		if (poll(p, sigfd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (sigfd >= 0 && (p[1].revents & POLLIN) &&
		    read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
			draw("\n");
		if (live && since(&next) >= 0) {
			if (may_draw())
				draw("");
			clock_gettime(CLOCK_MONOTONIC, &next);
			tick(&next);
		}
	}
	return NULL;
}

static void start_thread(void)
{
	sigset_t all, old, usr;

	stopfd = eventfd(0, EFD_CLOEXEC);
	if (stopfd < 0)
		return;
	if (usr1) {
		sigemptyset(&usr);
		sigaddset(&usr, SIGUSR1);
		sigfd = signalfd(-1, &usr, SFD_CLOEXEC);
	}
	/* The thread blocks every signal: SIGINT and SIGTERM must land in
	 * the copying thread and interrupt its blocked call there. All but
	 * SIGTTOU: the kernel lets a thread that blocks it write to the
	 * terminal from the background, stty tostop or not. */
	sigfillset(&all);
	sigdelset(&all, SIGTTOU);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	running = pthread_create(&thread, NULL, run, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!running) {
		close(stopfd);
		if (sigfd >= 0)
			close(sigfd);
		stopfd = sigfd = -1;
	}
}

void progress_wait(const char *what)
{
	if (running) {
		if (waiting)
			__atomic_store_n(&waiting, what, __ATOMIC_RELEASE);
		return;
	}
	if (!live && !usr1)
		return;
	waiting = what;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_thread();
}

void progress_start(const struct copy *c, const struct timespec *start)
{
	if (running || (!live && !usr1))
		return;
	waiting = NULL;
	copy = c;
	total = endpoint_remaining(c->src, 0, c->count);
	t0 = *start;
	start_thread();
}

void progress_stop(void)
{
	uint64_t one = 1;
	char pad[258];

	if (!running)
		return;
	running = 0;
	if (write(stopfd, &one, sizeof one) == (ssize_t)sizeof one)
		pthread_join(thread, NULL);
	close(stopfd);
	if (sigfd >= 0)
		close(sigfd);
	stopfd = sigfd = -1;
	/* A forced line in a file or pipe is ended, not erased: the last
	 * state stays in the log and the report starts a line of its own. */
	if (drawn > 0 && !tty) {
		put("\n", 1);
		drawn = 0;
	}
	/* A line left on the terminal when zcp went to the background is
	 * no longer where the cursor is: erasing would blank the user's
	 * line instead, so it stays. */
	if (drawn > 0 && !may_draw())
		drawn = 0;
	if (drawn > 0 && drawn < sizeof pad - 2) {
		memset(pad, ' ', sizeof pad);
		pad[0] = '\r';
		pad[drawn + 1] = '\r';
		put(pad, drawn + 2);
		drawn = 0;
	}
}
