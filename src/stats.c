/* stats.c: the numbers behind -v and --json, and both reports. The JSON
 * object's members are documented in docs/json.md; change them only by
 * adding members, and say so there. */
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#include "io.h"
#include "report.h"
#include "stats.h"

static struct rusage ru0;
static unsigned long calls0;
static int ended;
static int pipe_size;		/* of the pipe endpoint, 0 if none */

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

void stats_start(void)
{
	getrusage(RUSAGE_SELF, &ru0);
	calls0 = io_syscalls;
	ended = 0;
	pipe_size = 0;
}

void stats_end(const struct copy *c)
{
	int n = -1;

	if (ended)
		return;
	ended = 1;
	if (c->src && c->src->kind == KIND_PIPE && c->in >= 0)
		n = fcntl(c->in, F_GETPIPE_SZ);
	if (n < 0 && c->dst && c->dst->kind == KIND_PIPE && c->out >= 0)
		n = fcntl(c->out, F_GETPIPE_SZ);
	pipe_size = n > 0 ? n : 0;
}

void stats_json_string(FILE *f, const char *str)
{
	if (!str) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	report_escape(f, str, 1);
	fputc('"', f);
}

void stats_json_endpoint(FILE *f, const struct endpoint *e)
{
	fputs("{\"operand\":", f);
	stats_json_string(f, e->text);
	fputs(",\"kind\":", f);
	stats_json_string(f, e->kind == KIND_UNKNOWN ? NULL
			  : endpoint_kind_name(e->kind));
	fputc('}', f);
}

static void json(const struct options *o, const struct copy *c,
		 const char *method, double secs, double user, double sys,
		 unsigned long calls, const struct stats_error *e)
{
	FILE *f = stderr;

	fprintf(f, "{\"version\":1,\"ok\":%s,\"bytes\":%lld,\"pending\":%lld,",
		e ? "false" : "true", (long long)c->done,
		(long long)c->pending);
	fprintf(f, "\"seconds\":%.6f,\"rate\":%.1f,\"method\":", secs,
		secs > 0 ? (double)c->done / secs : 0.0);
	stats_json_string(f, method);
	fputs(",\"passed_over\":[", f);
	for (int i = 0; i < c->npassed; i++) {
		const struct method_passed *p = &c->passed[i];

		fputs(i ? ",{\"method\":" : "{\"method\":", f);
		stats_json_string(f, p->name);
		if (p->err)
			fprintf(f, ",\"errno\":%d,\"reason\":", p->err);
		else
			fputs(",\"errno\":null,\"reason\":", f);
		stats_json_string(f, p->err ? strerror(p->err) : p->why);
		fputc('}', f);
	}
	fputs("],\"src\":", f);
	stats_json_endpoint(f, &o->src);
	fputs(",\"dst\":", f);
	stats_json_endpoint(f, &o->dst);
	fprintf(f, ",\"user_cpu\":%.6f,\"sys_cpu\":%.6f,\"syscalls\":%lu,"
		"\"bsize\":%zu,", user, sys, calls, c->bsize);
	if (pipe_size)
		fprintf(f, "\"pipe_size\":%d,", pipe_size);
	else
		fputs("\"pipe_size\":null,", f);
	if (c->inflight > 0)
		fprintf(f, "\"queue_depth\":%d,", c->inflight);
	else
		fputs("\"queue_depth\":null,", f);
	if (c->scattered_to > 0)
		fprintf(f, "\"scattered\":{\"from\":%lld,\"to\":%lld},",
			(long long)c->scattered_from,
			(long long)c->scattered_to);
	else
		fputs("\"scattered\":null,", f);
	fputs("\"note\":", f);
	stats_json_string(f, c->note[0] ? c->note : NULL);
	fputs(",\"error\":", f);
	if (e) {
		fputs("{\"side\":", f);
		stats_json_string(f, e->verb);
		fputs(",\"operand\":", f);
		stats_json_string(f, e->operand);
		fputs(",\"message\":", f);
		stats_json_string(f, e->message);
		fprintf(f, ",\"errno\":%d,\"signal\":", e->err);
		if (e->sig)
			fprintf(f, "%d}", e->sig);
		else
			fputs("null}", f);
	} else {
		fputs("null", f);
	}
	fputs("}\n", f);
	fflush(f);
}

static void verbose(const struct options *o, const struct copy *c,
		    const char *method, double secs, double user, double sys,
		    unsigned long calls)
{
	FILE *f = stderr;
	char rate[32];

	/* The first line and the passed-over lines keep the foundation's
	 * wording: scripts may already match them. */
	if (!method && c->npassed == 0) {
		/* An endpoint failed to open: no kinds or sizes to tell. */
		fputs("zcp: no method ran\n", f);
	} else {
		fprintf(f, "zcp: method %s, %s to %s, block size %zu",
			method ? method : "none",
			endpoint_kind_name(o->src.kind),
			endpoint_kind_name(o->dst.kind), c->bsize);
		if (pipe_size)
			fprintf(f, ", pipe size %d", pipe_size);
		if (c->inflight > 0)
			fprintf(f, ", queue depth %d", c->inflight);
		fputc('\n', f);
	}
	for (int i = 0; i < c->npassed; i++)
		fprintf(f, "zcp: %s passed over: %s%s\n", c->passed[i].name,
			c->passed[i].err ? "the kernel refused it: " : "",
			c->passed[i].err ? strerror(c->passed[i].err)
					 : c->passed[i].why);
	report_human(rate, sizeof rate, secs > 0 ? (double)c->done / secs : 0,
		     1000);
	fprintf(f, "zcp: %lld bytes in %.6f s, %s/s; cpu %.3f s user, %.3f s"
		" system; %lu system calls\n", (long long)c->done, secs, rate,
		user, sys, calls);
	if (c->note[0])
		fprintf(f, "zcp: %s: %s\n", method ? method : "method", c->note);
}

void stats_report(const struct options *o, const struct copy *c,
		  const char *method, double secs, const struct stats_error *e)
{
	struct rusage ru;
	double user, sys;
	unsigned long calls = io_syscalls - calls0;

	stats_end(c);
	getrusage(RUSAGE_SELF, &ru);
	user = tv(ru.ru_utime) - tv(ru0.ru_utime);
	sys = tv(ru.ru_stime) - tv(ru0.ru_stime);
	if (o->json) {
		json(o, c, method, secs, user, sys, calls, e);
		return;
	}
	if (o->verbose)
		verbose(o, c, method, secs, user, sys, calls);
	/* Said even with -q, as an error is: DST differs from what the
	 * count tells. */
	if (c->scattered_to > 0)
		fprintf(stderr, "zcp: warning: past the bytes copied, DST's"
			" bytes %lld to %lld (offsets, both included) hold"
			" blocks of the copy in part: requests complete in any"
			" order\n", (long long)c->scattered_from,
			(long long)c->scattered_to - 1);
	if (!o->quiet)
		report_line(stderr, c->done, c->pending, secs);
}
