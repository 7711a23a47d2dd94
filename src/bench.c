/* bench.c: --bench. Each copy is zcp itself run again (/proc/self/exe
 * --method=NAME --json), so every run starts from fresh endpoints and
 * fresh counters and is measured exactly as a user's copy would be;
 * this process only reads the children's JSON reports and sorts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "io.h"
#include "stats.h"

#define MAX_RUNS 1000
#define GIB 1073741824.0

struct result {
	const struct method *method;
	int ok;
	char error[256];
	double rate[MAX_RUNS];
	double seconds[MAX_RUNS];
	double cpu;		/* user + system, all runs */
	double bytes;		/* all runs */
	unsigned long calls[MAX_RUNS];
	long long last_bytes;
	double median, min, max;
};

void bench_check(const struct options *o)
{
	struct stat st;

	if (o->src.type != EP_PATH)
		usage_error("--bench needs SRC to be a file or device it can"
			    " read again, not '%s'", o->src.text);
	/* Told before opening it, which would wait for a writer. */
	if (stat(o->src.path, &st) == 0 && S_ISFIFO(st.st_mode))
		usage_error("--bench needs SRC to be a file or device it can"
			    " read again, and '%s' is a pipe", o->src.text);
	if (o->dst.type == EP_TCP_LISTEN || o->dst.type == EP_UNIX_LISTEN)
		usage_error("--bench needs a DST it can open again: use"
			    " tcp:HOST:PORT or unix:PATH with a peer that"
			    " accepts every run, not '%s'", o->dst.text);
}

/* A kind as the object of "is": "a pipe", "a directory". */
static const char *a_kind(enum endpoint_kind k)
{
	static char buf[64];

	switch (k) {
	case KIND_OTHER:
		return "not a file, directory, device, pipe or socket";
	case KIND_UNKNOWN:
		return "of a kind zcp could not learn";
	default:
		break;
	}
	snprintf(buf, sizeof buf, "a %s", endpoint_kind_name(k));
	return buf;
}

static void check_kinds(const struct options *o)
{
	enum endpoint_kind s = o->src.kind, d = o->dst.kind;

	if (s != KIND_FILE && s != KIND_BLK && s != KIND_CHR)
		usage_error("--bench needs SRC to be a file or device it can"
			    " read again, and '%s' is %s", o->src.text,
			    a_kind(s));
	if (s == KIND_CHR && o->count < 0)
		usage_error("--bench needs --count when SRC is a character"
			    " device: '%s' has no size to copy",
			    o->src.text);
	if (d == KIND_DIR)
		usage_error("--bench cannot write to '%s': zcp copies into a"
			    " file, not into a directory", o->dst.text);
	if (d == KIND_TTY || d == KIND_OTHER || d == KIND_UNKNOWN ||
	    (o->dst.type != EP_PATH && d == KIND_FILE))
		usage_error("--bench cannot write every run to '%s': it is %s",
			    o->dst.text, a_kind(d));
}

/* The child's command line: the options that shape one copy, then the
 * operands. Options that only shape reports are left out. */
static void child_args(const struct options *o, const struct method *m,
		       char **argv, char (*buf)[64])
{
	int n = 0, b = 0;

	argv[n++] = "zcp";
	snprintf(buf[b], 64, "--method=%s", m->name);
	argv[n++] = buf[b++];
	argv[n++] = "--json";
	if (o->offset) {
		snprintf(buf[b], 64, "--offset=%lld", (long long)o->offset);
		argv[n++] = buf[b++];
	}
	if (o->count >= 0) {
		snprintf(buf[b], 64, "--count=%lld", (long long)o->count);
		argv[n++] = buf[b++];
	}
	if (o->bsize) {
		snprintf(buf[b], 64, "--block-size=%zu", o->bsize);
		argv[n++] = buf[b++];
	}
	/* Only aio and io_uring take these; the others go through the page
	 * cache, as --no-direct asks. */
	if (o->qdepth && m->queued) {
		snprintf(buf[b], 64, "--queue-depth=%d", o->qdepth);
		argv[n++] = buf[b++];
	}
	if (o->direct >= 0 && m->queued)
		argv[n++] = o->direct ? "--direct" : "--no-direct";
	if (o->fsync)
		argv[n++] = "--fsync";
	if (o->flags_text) {
		snprintf(buf[b], 64, "--flags=%u", o->flags);
		argv[n++] = buf[b++];
	}
	argv[n++] = "--";
	argv[n++] = (char *)o->src.text;
	argv[n++] = (char *)o->dst.text;
	argv[n] = NULL;
}

static double number(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : 0;
}

/* The string member key of the JSON at p, unescaped enough to print,
 * appended to out (len bytes, n used); returns the new n. */
static size_t member(const char *p, const char *key, char *out, size_t len,
		     size_t n)
{
	char pat[32];

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	if (!(p = strstr(p, pat)))
		return n;
	for (p += strlen(pat); *p && *p != '"' && n + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n;
}

/* Why a child's copy failed, as zcp words an error: "write DST: reason",
 * the side and the operand from its report's error object. */
static void message(const char *json, char *out, size_t len)
{
	const char *p = strstr(json, "\"error\":{");
	size_t n = 0;

	if (!p) {
		snprintf(out, len, "no report");
		return;
	}
	out[0] = '\0';
	n = member(p, "side", out, len, n);
	if (n > 0 && n + 1 < len)
		out[n++] = ' ';
	n = member(p, "operand", out, len, n);
	if (n > 0 && n + 2 < len) {
		out[n++] = ':';
		out[n++] = ' ';
	}
	member(p, "message", out, len, n);
}

/* Runs one copy. Returns 0 with the child's JSON report in out, or -1
 * with a message in out. */
static int run_once(char **argv, char *out, size_t len)
{
	int fd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	sigset_t none;

	if (pipe2(fd, O_CLOEXEC) < 0)
		return snprintf(out, len, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return snprintf(out, len, "fork: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(fd[1], STDERR_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		r = read(fd[0], out + n, len - 1 - n);
		/* A stop signal sent to this zcp alone (kill PID, not a
		 * terminal's ^C to the group) is passed on: the run stops
		 * now, not when its copy ends, which may be never. The
		 * read is interrupted by it, then by on_signal's ticks,
		 * each passing it on again: one that reached the child
		 * before exec was lost. */
		if (r < 0 && errno == EINTR && io_signal)
			(void)kill(pid, io_signal);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == len - 1) {	/* keep the end: the report is last */
			memmove(out, out + len / 2, n - len / 2);
			n -= len / 2;
		}
	}
	out[n] = '\0';
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The report is the last line: drop what came before it. */
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	char *last = memrchr(out, '\n', n);
	if (last)
		memmove(out, last + 1, strlen(last + 1) + 1);
	if (WIFSIGNALED(status) && !strstr(out, "\"ok\":"))
		return snprintf(out, len, "killed by signal %d",
				WTERMSIG(status)), -1;
	if (out[0] != '{' || !strstr(out, "\"ok\":"))
		return snprintf(out, len, "no report (exit status %d)",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1), -1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Fastest first; failed methods last, in table order. */
static int cmp_result(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	if (x->ok != y->ok)
		return y->ok - x->ok;
	if (!x->ok)
		return 0;
	return x->median < y->median ? 1 : x->median > y->median ? -1 : 0;
}

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_method(const struct options *o, struct result *res)
{
	char *argv[24], buf[8][64], out[65536];
	int runs = o->bench;

	child_args(o, res->method, argv, buf);
	res->ok = 1;
	for (int i = 0; i < runs; i++) {
		/* Every run starts from an empty DST, as a new file would:
		 * cut, not removed, so that its permissions and a symbolic
		 * link to it stand. */
		if (o->dst.type == EP_PATH && o->dst.kind == KIND_FILE &&
		    truncate(o->dst.path, 0) < 0 && errno != ENOENT) {
			snprintf(res->error, sizeof res->error, "write %s: %s",
				 o->dst.text, strerror(errno));
			res->ok = 0;
			return;
		}
		if (run_once(argv, out, sizeof out) < 0 ||
		    !strstr(out, "\"ok\":true")) {
			if (strstr(out, "\"ok\":"))
				message(out, res->error, sizeof res->error);
			else
				snprintf(res->error, sizeof res->error, "%.200s", out);
			res->ok = 0;
			return;
		}
		if (io_signal)
			return;
		res->seconds[i] = number(out, "seconds");
		res->last_bytes = (long long)number(out, "bytes");
		res->rate[i] = number(out, "rate");
		res->bytes += number(out, "bytes");
		res->cpu += number(out, "user_cpu") + number(out, "sys_cpu");
		res->calls[i] = (unsigned long)number(out, "syscalls");
	}
	double sorted[MAX_RUNS];

	memcpy(sorted, res->rate, sizeof sorted[0] * (size_t)runs);
	res->median = median_of(sorted, runs);
	res->min = sorted[0];
	res->max = sorted[runs - 1];
	qsort(res->calls, (size_t)runs, sizeof res->calls[0], cmp_ulong);
}

static double cpu_per_gib(const struct result *r)
{
	return r->bytes > 0 ? r->cpu / r->bytes * GIB : 0;
}

static void table(const struct options *o, struct result *r, int n)
{
	long long bytes = -1;
	char size[40] = "no method copied";

	for (int i = 0; i < n; i++)
		if (r[i].ok && r[i].last_bytes > bytes)
			bytes = r[i].last_bytes;
	if (bytes >= 0)
		snprintf(size, sizeof size, "%lld bytes", bytes);
	fprintf(stderr, "zcp: bench %s to %s, %s, %d run%s per method\n",
		endpoint_kind_name(o->src.kind),
		endpoint_kind_name(o->dst.kind), size, o->bench,
		o->bench == 1 ? "" : "s");
	fprintf(stderr, "%-16s %12s %12s %12s %10s %9s\n", "method",
		"median MB/s", "min MB/s", "max MB/s", "cpu s/GiB", "syscalls");
	for (int i = 0; i < n; i++) {
		if (!r[i].ok) {
			fprintf(stderr, "%-16s failed: %s\n", r[i].method->name,
				r[i].error);
			continue;
		}
		fprintf(stderr, "%-16s %12.1f %12.1f %12.1f %10.3f %9lu\n",
			r[i].method->name, r[i].median / 1e6, r[i].min / 1e6,
			r[i].max / 1e6, cpu_per_gib(&r[i]),
			r[i].calls[o->bench / 2]);
	}
}

static void json(const struct options *o, struct result *r, int n)
{
	FILE *f = stderr;

	fprintf(f, "{\"version\":1,\"bench\":{\"src\":");
	stats_json_endpoint(f, &o->src);
	fputs(",\"dst\":", f);
	stats_json_endpoint(f, &o->dst);
	fprintf(f, ",\"runs\":%d,\"methods\":[", o->bench);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s{\"method\":", i ? "," : "");
		stats_json_string(f, r[i].method->name);
		if (!r[i].ok) {
			fputs(",\"ok\":false,\"error\":", f);
			stats_json_string(f, r[i].error);
			fputc('}', f);
			continue;
		}
		fprintf(f, ",\"ok\":true,\"bytes\":%lld,\"median_rate\":%.1f,"
			"\"min_rate\":%.1f,\"max_rate\":%.1f,"
			"\"cpu_per_gib\":%.6f,\"syscalls\":%lu,\"seconds\":[",
			r[i].last_bytes, r[i].median, r[i].min, r[i].max,
			cpu_per_gib(&r[i]), r[i].calls[o->bench / 2]);
		for (int k = 0; k < o->bench; k++)
			fprintf(f, "%s%.6f", k ? "," : "", r[i].seconds[k]);
		fputs("],\"error\":null}", f);
	}
	fputs("]}}\n", f);
	fflush(f);
}

int bench_run(const struct options *o, const struct copy *c)
{
	const struct method *const *m;
	const struct method *one[] = { o->method, NULL };
	struct result *r;
	const char *why;
	int n = 0, failed = 0;

	check_kinds(o);
	for (m = o->method ? one : methods; *m; m++)
		n++;
	r = calloc((size_t)n, sizeof *r);
	if (!r) {
		perror("zcp");
		return 1;
	}
	n = 0;
	for (m = o->method ? one : methods; *m; m++) {
		if ((*m)->supports && !(*m)->supports(c, &why)) {
			if (o->method)
				usage_error("method %s cannot copy from %s to"
					    " %s: %s", (*m)->name,
					    endpoint_kind_name(o->src.kind),
					    endpoint_kind_name(o->dst.kind),
					    why);
			continue;
		}
		r[n].method = *m;
		bench_method(o, &r[n]);
		if (io_signal) {
			free(r);
			signal(io_signal, SIG_DFL);
			raise(io_signal);
			return 1;
		}
		failed |= !r[n].ok;
		n++;
	}
	qsort(r, (size_t)n, sizeof *r, cmp_result);
	if (o->json)
		json(o, r, n);
	else
		table(o, r, n);
	free(r);
	return failed;
}
