/* explain.c: --explain. Says what SRC and DST are, which methods can
 * serve them and which auto would take, from the same supports() calls
 * the copy makes, and touches nothing: DST is only looked at. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explain.h"
#include "plan.h"
#include "report.h"
#include "stats.h"

/* -1: DST is not a path; 0: it does not exist (a copy creates it);
 * 1: it exists. */
static int dst_exists(const struct endpoint *d)
{
	struct stat st;

	if (d->type != EP_PATH)
		return -1;
	return stat(d->path, &st) == 0;
}

/* Why no method can copy the pair at all, or NULL. The copy would fail
 * opening it: EISDIR (zcp copies one file's bytes, not a tree), or
 * ENXIO for a path to a socket (/dev/stdout of one too). */
static const char *no_copy(const struct copy *c)
{
	struct stat st;

	if (c->src->kind == KIND_DIR)
		return "zcp copies from a file, not from a directory";
	if (c->dst->kind == KIND_DIR)
		return "zcp copies into a file, not into a directory";
	if (c->dst->type == EP_PATH && c->dst->kind == KIND_SOCKET)
		return lstat(c->dst->path, &st) == 0 && S_ISSOCK(st.st_mode)
		       ? "a Unix socket, which open(2) refuses: unix:PATH"
			 " connects to it"
		       : "a socket, which open(2) refuses";
	return NULL;
}

static int serves(const struct method *m, const struct copy *c,
		  const char **why)
{
	*why = no_copy(c);
	if (*why)
		return 0;
	if (c->direct == 1 && !m->queued) {
		*why = "does not take --direct (a usage error)";
		return 0;
	}
	return !m->supports || m->supports(c, why);
}

/* The method auto would run first: the first in plan_order() that serves
 * the pair. */
static const struct method *auto_first(const struct copy *c)
{
	const char *why;

	if (no_copy(c))
		return NULL;
	for (const struct method *const *m = plan_order(c); *m; m++)
		if (serves(*m, c, &why))
			return *m;
	return NULL;
}

/* Where a copy would fail although a method serves the pair: the check
 * of the method that would run (--direct's O_DIRECT refused). 1 with
 * *side and *why, or 0. */
static int kernel_refuses(const struct options *o, const struct copy *c,
			  enum side *side, const char **why)
{
	const struct method *m = o->method ? o->method : auto_first(c);

	if (!m || !m->check)
		return 0;
	if (o->method && !serves(m, c, why))
		return 0;
	return m->check(c, side, why) < 0;
}

/* Where a copy would fail, for --json: no method can copy the pair, or
 * the one that would run is refused. 1 with *side and *why, or 0. */
static int would_fail(const struct options *o, const struct copy *c,
		      enum side *side, const char **why)
{
	*why = no_copy(c);
	if (*why) {
		*side = c->src->kind == KIND_DIR ? SIDE_READ : SIDE_WRITE;
		return 1;
	}
	return kernel_refuses(o, c, side, why);
}

static int in_plan(const struct copy *c, const struct method *x)
{
	for (const struct method *const *m = plan_order(c); *m; m++)
		if (*m == x)
			return 1;
	return 0;
}

/* What --explain says of a path DST that does not exist: that a copy
 * would create it, or why it could not (no such directory, one zcp may
 * not write in, a read-only file system, say). Permissions are asked of
 * the kernel for zcp's effective IDs, as open(2) would. */
static const char *absent(const struct endpoint *d)
{
	static char why[160];
	char path[4096], *dir;
	struct stat st;
	int err;

	if (snprintf(path, sizeof path, "%s", d->path) >= (int)sizeof path)
		return " (does not exist)";
	dir = dirname(path);
	if (stat(dir, &st) < 0)
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else
		err = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0
			      ? errno : 0;
	if (!err)
		return " (does not exist: a copy would create it)";
	snprintf(why, sizeof why, " (does not exist, and a copy could not"
		 " create it: %s)", strerror(err));
	return why;
}

/* What --explain says of a file DST that exists: what a copy would do
 * to it, or why it could not open it for writing. */
static const char *present(const struct options *o)
{
	static char why[160];

	if (faccessat(AT_FDCWD, o->dst.path, W_OK, AT_EACCESS) < 0) {
		snprintf(why, sizeof why, " (exists, and a copy could not"
			 " write to it: %s)", strerror(errno));
		return why;
	}
	return o->append || o->seek_set ? " (exists: a copy would write into it)"
					: " (exists: a copy would replace it)";
}

static void text(const struct options *o, const struct copy *c)
{
	const struct method *const *m;
	const struct method *first = NULL;
	const char *why;
	enum side side;
	off_t bytes = endpoint_remaining(&o->src, o->offset, o->count);
	int exists = dst_exists(&o->dst), n = 0;

	/* Operands with control characters escaped, as in every message. */
	fputs("SRC ", stdout);
	report_escaped(stdout, o->src.text);
	printf(": %s", endpoint_kind_name(o->src.kind));
	if (bytes >= 0)
		printf(", %lld bytes to copy", (long long)bytes);
	fputs("\nDST ", stdout);
	report_escaped(stdout, o->dst.text);
	printf(": %s%s\n", endpoint_kind_name(o->dst.kind),
	       exists == 0 ? absent(&o->dst)
	       : exists == 1 && o->dst.kind == KIND_FILE ? present(o) : "");
	if (no_copy(c)) {
		printf("A copy would fail: %s.\n", no_copy(c));
		return;
	}
	printf("Methods auto tries for %s to %s, in order:\n",
	       endpoint_kind_name(o->src.kind), endpoint_kind_name(o->dst.kind));
	first = auto_first(c);
	for (m = plan_order(c); *m; m++)
		if (serves(*m, c, &why))
			printf("  %-16s %s\n", (*m)->name, (*m)->summary);
	if (!first)
		printf("  none: a copy would stop with a usage error\n");
	for (m = methods; *m; m++)
		if (!in_plan(c, *m) && serves(*m, c, &why)) {
			if (n++ == 0)
				printf("Methods that serve it only when named with"
				       " --method:\n");
			printf("  %-16s %s\n", (*m)->name, (*m)->summary);
		}
	n = 0;
	for (m = methods; *m; m++)
		if (!serves(*m, c, &why)) {
			if (n++ == 0)
				printf("Methods that cannot:\n");
			printf("  %-16s %s\n", (*m)->name, why ? why : "");
		}
	if (o->method) {
		if (serves(o->method, c, &why)) {
			printf("--method=%s serves this pair and would be used;"
			       " a named method is never replaced.\n",
			       o->method->name);
			/* Devices take splice or not driver by driver (from
			 * /dev/null the kernel refuses it): only a call
			 * tells. */
			if (o->method != &method_rw &&
			    (o->src.kind == KIND_CHR || o->dst.kind == KIND_CHR))
				printf("Whether the %s driver takes %s is known"
				       " only at the first call; a refusal"
				       " would stop the copy there, with DST"
				       " untouched.\n",
				       o->src.kind == KIND_CHR ? "SRC" : "DST",
				       o->method->name);
		} else
			printf("--method=%s cannot serve this pair (%s): a copy"
			       " would stop with a usage error.\n",
			       o->method->name, why ? why : "");
	}
	if (kernel_refuses(o, c, &side, &why)) {
		printf("A copy would fail: %s ",
		       side == SIDE_READ ? "read" : "write");
		report_escaped(stdout,
			       side == SIDE_READ ? o->src.text : o->dst.text);
		printf(": %s.\n", why);
	}
	if (!first)
		return;
	printf("auto would use %s, the first method in zcp's order that serves"
	       " %s to %s", first->name, endpoint_kind_name(o->src.kind),
	       endpoint_kind_name(o->dst.kind));
	n = 0;
	for (m = plan_order(c); *m; m++)
		if (*m != first && serves(*m, c, &why))
			printf("%s%s", n++ ? ", then " : "; if the kernel refuses"
			       " it before any byte moves (ENOSYS, EINVAL, EXDEV,"
			       " EOPNOTSUPP...), it falls back to ", (*m)->name);
	printf(".\n");
}

/* The plan as one JSON object; with e, the plan stops at the error
 * (SRC could not be opened, or is DST): no methods, no auto. */
static void json(const struct options *o, const struct copy *c,
		 const struct stats_error *e)
{
	const struct method *const *m;
	const struct method *first = NULL;
	const char *why;
	enum side side;
	off_t bytes = endpoint_remaining(&o->src, o->offset, o->count);
	int exists = dst_exists(&o->dst), n = 0;

	printf("{\"version\":1,\"src\":");
	stats_json_endpoint(stdout, &o->src);
	printf(",\"dst\":");
	stats_json_endpoint(stdout, &o->dst);
	printf(",\"dst_exists\":%s,", exists < 0 ? "null"
	       : exists ? "true" : "false");
	if (bytes >= 0)
		printf("\"bytes\":%lld,", (long long)bytes);
	else
		printf("\"bytes\":null,");
	printf("\"method\":");
	stats_json_string(stdout, o->method ? o->method->name : "auto");
	printf(",\"methods\":[");
	for (m = methods; !e && *m; m++) {
		int ok = serves(*m, c, &why);

		printf("%s{\"method\":", n++ ? "," : "");
		stats_json_string(stdout, (*m)->name);
		printf(",\"serves\":%s,\"reason\":", ok ? "true" : "false");
		stats_json_string(stdout, ok ? NULL : why ? why : "");
		printf("}");
	}
	if (!e)
		first = auto_first(c);
	printf("],\"auto\":");
	stats_json_string(stdout, first ? first->name : NULL);
	printf(",\"would_fail\":");
	if (!e && would_fail(o, c, &side, &why)) {
		printf("{\"side\":");
		stats_json_string(stdout, side == SIDE_READ ? "read" : "write");
		printf(",\"operand\":");
		stats_json_string(stdout, side == SIDE_READ ? o->src.text
							    : o->dst.text);
		printf(",\"message\":");
		stats_json_string(stdout, why);
		printf("}");
	} else {
		printf("null");
	}
	printf(",\"error\":");
	if (e) {
		printf("{\"side\":");
		stats_json_string(stdout, e->verb);
		printf(",\"operand\":");
		stats_json_string(stdout, e->operand);
		printf(",\"message\":");
		stats_json_string(stdout, e->message);
		printf(",\"errno\":%d,\"signal\":", e->err);
		if (e->sig)
			printf("%d}", e->sig);
		else
			printf("null}");
	} else {
		printf("null");
	}
	printf("}\n");
}

int explain_run(const struct options *o, const struct copy *c)
{
	report_hold_stdout();
	if (o->json)
		json(o, c, NULL);
	else
		text(o, c);
	return report_close_stdout();
}

void explain_error(const struct options *o, const struct stats_error *e)
{
	if (!o->json)
		return;
	report_hold_stdout();
	json(o, NULL, e);
	(void)report_close_stdout();
}
