/* options.c: getopt_long over one table, one strict number parser, and
 * the conflicts between options. Every error here is a usage error: one
 * line, the hint, exit 2, before anything is opened. */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "method.h"
#include "options.h"
#include "report.h"

#define ZCP_VERSION "0.1.0"

enum {
	OPT_SEEK = 256,
	OPT_FSYNC,
	OPT_FLAGS,
	OPT_JSON,
	OPT_BENCH,
	OPT_EXPLAIN,
	OPT_DIRECT,
	OPT_NO_DIRECT,
};

static const struct option longopts[] = {
	{ "method",	required_argument, NULL, 'm' },
	{ "offset",	required_argument, NULL, 'o' },
	{ "count",	required_argument, NULL, 'n' },
	{ "seek",	required_argument, NULL, OPT_SEEK },
	{ "append",	no_argument,	   NULL, 'a' },
	{ "block-size",	required_argument, NULL, 'b' },
	{ "flags",	required_argument, NULL, OPT_FLAGS },
	{ "queue-depth", required_argument, NULL, 'd' },
	{ "direct",	no_argument,	   NULL, OPT_DIRECT },
	{ "no-direct",	no_argument,	   NULL, OPT_NO_DIRECT },
	{ "fsync",	no_argument,	   NULL, OPT_FSYNC },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "progress",	optional_argument, NULL, 'p' },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "bench",	optional_argument, NULL, OPT_BENCH },
	{ "explain",	no_argument,	   NULL, OPT_EXPLAIN },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};
static const char shortopts[] = ":m:o:n:ab:d:qvphV";

static void help(void)
{
	report_hold_stdout();
	printf(
"Usage: zcp [OPTION]... SRC DST\n"
"Copy bytes from SRC to DST by the fastest kernel path that can serve\n"
"them: files, pipes, devices and sockets.\n"
"\n"
"SRC and DST are each a path, - (stdin or stdout), fd:N (an open\n"
"descriptor), tcp:HOST:PORT, tcp-listen:[HOST:]PORT, unix:PATH or\n"
"unix-listen:PATH.\n"
"\n"
"Options:\n"
"  -m, --method=NAME      copy with NAME, auto (the default) or a method\n"
"                           listed below; auto picks the fastest method\n"
"                           that serves SRC and DST, a named method is\n"
"                           never replaced by another\n"
"  -o, --offset=BYTES     start reading SRC at BYTES (read and discarded\n"
"                           when SRC cannot seek)\n"
"  -n, --count=BYTES      copy at most BYTES (0 copies nothing)\n"
"      --seek=BYTES       start writing DST at BYTES; DST is not truncated\n"
"  -a, --append           append to DST instead of replacing it\n"
"  -b, --block-size=BYTES\n"
"                           bytes per system call (rw: 256KiB); bytes per\n"
"                           request for aio and io_uring (1MiB), rounded\n"
"                           up to the direct I/O alignment\n"
"      --flags=LIST       the method's own flags, comma-separated names\n"
"                           (any case) or a number; needs --method;\n"
"                           splice takes more, nonblock, move (ignored by\n"
"                           the kernel) and gift (vmsplice only); aio and\n"
"                           io_uring take dsync, sync, hipri and nowait\n"
"                           (RWF_* per request)\n"
"  -d, --queue-depth=N    requests in flight for aio and io_uring, 1 to\n"
"                           1024 (default 16)\n"
"      --direct           aio and io_uring: bypass the page cache with\n"
"                           O_DIRECT on files and block devices, and fail\n"
"                           where the file system refuses it (the default\n"
"                           tries O_DIRECT and falls back to buffered I/O);\n"
"                           auto then tries io_uring and aio only, and\n"
"                           other methods refuse it\n"
"      --no-direct        aio and io_uring: go through the page cache\n"
"      --fsync            flush DST to stable storage before reporting\n"
"  -q, --quiet            print no report (errors are still printed)\n"
"  -v, --verbose          say which method ran, what auto passed over and\n"
"                           why, the endpoint kinds, CPU time, system\n"
"                           calls, block size and pipe size\n"
"      --progress[=WHEN]  show a live progress line on stderr, redrawn up\n"
"                           to 10 times a second; WHEN is auto (the\n"
"                           default: only when stderr is a terminal, and\n"
"                           while zcp runs in the foreground), always or\n"
"                           never\n"
"  -p                     the same as --progress=auto\n"
"      --json             print the final report as one JSON object, the\n"
"                           last line on stderr (with --bench, the table;\n"
"                           with --explain, the plan, on stdout); the\n"
"                           schema is in docs/json.md\n"
"      --bench[=N]        copy with every method that can serve SRC and\n"
"                           DST (only the one --method names, if given),\n"
"                           N times each (default 3), and print a table\n"
"                           sorted by median rate; SRC must be a file or\n"
"                           device, DST a file, a device, a pipe,\n"
"                           tcp:HOST:PORT or unix:PATH\n"
"      --explain          print the plan (endpoint kinds, the methods that\n"
"                           can serve them, auto's choice) and exit\n"
"                           without copying or creating DST\n"
"  -h, --help             display this help and exit\n"
"  -V, --version          output version information and exit\n"
"\n"
"BYTES is a whole number with an optional suffix: K (or k), M, G, T or KiB,\n"
"MiB, GiB, TiB are powers of 1024; KB (or kB), MB, GB, TB are powers of\n"
"1000.\n"
"N (for --queue-depth and --bench) is a plain whole number, without a suffix.\n"
"\n"
"Methods:\n");
	for (const struct method *const *m = methods; *m; m++)
		printf("  %-16s %s\n", (*m)->name, (*m)->summary);
	printf(
"\n"
"aio and io_uring serve a regular file or block device with requests at\n"
"explicit offsets, many in flight, and the other side as it allows:\n"
"  file to file          reads and writes both asynchronous\n"
"  file to pipe, socket, terminal or character device\n"
"                        asynchronous reads, written in order by write(2)\n"
"  pipe, socket, terminal or character device to file\n"
"                        read(2) until a block is full (or the input\n"
"                          ends), asynchronous writes\n"
"  neither side a file   not served: use rw\n"
"With direct I/O, an unaligned start or end (--offset, --seek, --count,\n"
"the size of SRC) is copied through the page cache, so the bytes and the\n"
"size of DST are exact. --append writes DST in order with write(2).\n"
"\n"
"A report of the bytes copied, the time and the rate goes to stderr.\n"
"SIGUSR1 prints the progress line once, as dd does, and the copy goes on;\n"
"while zcp waits for a peer or a FIFO's other end, the line says so.\n"
"A regular file DST is replaced only once SRC is open and the checks\n"
"have passed; zcp never writes to SRC and refuses to copy a file onto\n"
"itself. tcp-listen binds the loopback address unless HOST is given, and\n"
"accepts one connection; port 0 picks a free port and prints it.\n"
"\n"
"Exit status: 0 when every byte was copied, 1 on a runtime error (after\n"
"the report), 2 on a usage error (before anything is opened). SIGINT,\n"
"SIGTERM and SIGHUP end zcp by that signal once the report is printed;\n"
"a reader of a pipe DST (or of a socket handed over as - or fd:N) that\n"
"goes away ends it by SIGPIPE, quietly.\n");
	exit(report_close_stdout());
}

/* What the user typed is quoted back escaped, as a runtime error shows
 * an operand (report_escaped): a newline or a terminal escape sequence
 * in an operand or an option's argument can neither split the message
 * nor reach the terminal. */
void usage_error(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	fputs("zcp: ", stderr);
	report_escaped(stderr, n < 0 ? "usage error" : msg);
	fputs("\nTry 'zcp --help' for more information.\n", stderr);
	if (n >= 0)
		free(msg);
	exit(2);
}

int options_parse_size(const char *text, off_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		/* dd's k and kB, which habit types for K and KB. */
		{ "K", 1ULL << 10 }, { "k", 1ULL << 10 }, { "kB", 1000ULL },
		{ "M", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "T", 1ULL << 40 },
		{ "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 }, { "TiB", 1ULL << 40 },
		{ "KB", 1000ULL }, { "MB", 1000000ULL },
		{ "GB", 1000000000ULL }, { "TB", 1000000000000ULL },
	};
	const char *p = text;
	uint64_t v = 0;
	int over = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > ((uint64_t)INT64_MAX - d) / 10)
			over = 1;	/* past it stays past it */
		else
			v = v * 10 + d;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (over || v > (uint64_t)INT64_MAX / units[i].mult)
			return -2;
		*out = (off_t)(v * units[i].mult);
		return 0;
	}
	return -1;
}

static off_t size_arg(const char *opt, const char *text, off_t min, off_t max)
{
	off_t v;
	int rc = options_parse_size(text, &v);

	if (rc == -1)
		usage_error("invalid %s '%s': expected a whole number of bytes"
			    " with an optional K, M, G, T, KiB.. or KB.. suffix",
			    opt, text);
	if (rc < 0 || v < min || v > max)
		usage_error("invalid %s '%s': must be from %lld to %lld", opt,
			    text, (long long)min, (long long)max);
	return v;
}

/* A count of things (requests, runs): digits only, no suffix. */
static int number_arg(const char *opt, const char *text, int min, int max)
{
	long long v = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		usage_error("invalid %s '%s': expected a whole number from %d"
			    " to %d", opt, text, min, max);
	for (; *p >= '0' && *p <= '9'; p++)
		if (v <= max)	/* past max stays past it, never overflows */
			v = v * 10 + (*p - '0');
	if (*p)
		usage_error("invalid %s '%s': expected a whole number from %d"
			    " to %d", opt, text, min, max);
	if (v < min || v > max)
		usage_error("invalid %s '%s': must be from %d to %d", opt, text,
			    min, max);
	return (int)v;
}

static const struct method *method_arg(const char *name)
{
	const struct method *m;

	/* In any case, as --flags names and endpoint prefixes. */
	if (strcasecmp(name, "auto") == 0)
		return NULL;
	m = method_find(name);
	if (m)
		return m;
	for (const char *const *u = methods_unavailable; *u; u++)
		if (strcasecmp(*u, name) == 0)
			usage_error("method '%s' is not available in this zcp"
				    " yet; use --method=auto or --method=rw",
				    name);
	usage_error("unknown method '%s'; choose auto or one of the methods"
		    " --help lists", name);
}

const char *options_resolve_flags(const struct method *m, const char *text,
				  unsigned *out)
{
	static char msg[640];
	char buf[256], *tok, *save = NULL;
	unsigned flags = 0, known = 0;
	off_t num;

	if (!m)
		return "--flags needs --method: flags belong to a method";
	if (!m->flags || !m->flags[0].name) {
		snprintf(msg, sizeof msg, "method %s takes no --flags", m->name);
		return msg;
	}
	if (strlen(text) >= sizeof buf) {
		snprintf(msg, sizeof msg, "invalid --flags '%.300s...': too long",
			 text);
		return msg;
	}
	strcpy(buf, text);
	for (const struct method_flag *f = m->flags; f->name; f++)
		known |= f->value;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct method_flag *f = m->flags;

		if (strspn(tok, "0123456789") == strlen(tok)) {
			/* Past 32 bits is bits no flag names, too. */
			if (options_parse_size(tok, &num) < 0 ||
			    num > UINT_MAX || (unsigned)num & ~known) {
				snprintf(msg, sizeof msg, "method %s does not"
					 " take flag value %s: it has bits no"
					 " flag names", m->name, tok);
				return msg;
			}
			flags |= (unsigned)num;
			continue;
		}
		for (; f && f->name; f++)
			if (strcasecmp(f->name, tok) == 0)
				break;
		if (f && f->name) {
			flags |= f->value;
			continue;
		}
		char names[256] = "";
		for (f = m->flags; f->name; f++) {
			if (names[0])
				strncat(names, ", ", sizeof names - strlen(names) - 1);
			strncat(names, f->name, sizeof names - strlen(names) - 1);
		}
		snprintf(msg, sizeof msg, "method %s does not take flag '%s';"
			 " it takes %s", m->name, tok, names);
		return msg;
	}
	*out = flags;
	return NULL;
}

/* Resolves --flags, or exits with the usage error. named_auto: the
 * method is auto because --method=auto said so. */
static unsigned flags_arg(const struct method *m, int named_auto,
			  const char *text)
{
	unsigned flags = 0;
	const char *err;

	if (!m && named_auto)
		usage_error("--flags needs a named method, not auto: flags"
			    " belong to one method");
	err = options_resolve_flags(m, text, &flags);

	if (err)
		usage_error("%s", err);
	return flags;
}

/* -p and --progress[=auto|always|never]. */
static int progress_arg(const char *text)
{
	if (!text || strcmp(text, "auto") == 0)
		return 1;
	if (strcmp(text, "always") == 0)
		return 2;
	if (strcmp(text, "never") == 0)
		return 0;
	usage_error("invalid --progress '%s': expected auto, always or never",
		    text);
}

static void operand(struct endpoint *e, const char *text)
{
	const char *why = NULL;
	struct stat st;

	if (endpoint_parse(e, text, &why) < 0) {
		/* A file named like an address is reached as ./NAME; said
		 * when there is one (looked at, not opened). */
		if (lstat(text, &st) == 0)
			usage_error("invalid address '%s': %s (for the file of"
				    " that name, write './%s')", text, why, text);
		usage_error("invalid address '%s': %s", text, why);
	}
	/* What it is shows once it is open; a socket address says so now. */
	e->kind = e->type == EP_TCP || e->type == EP_TCP_LISTEN ||
		  e->type == EP_UNIX || e->type == EP_UNIX_LISTEN
		  ? KIND_SOCKET : KIND_UNKNOWN;
}

/* The long option whose value is val (each has its own), or NULL. */
static const struct option *long_by_val(int val)
{
	for (const struct option *l = longopts; l->name; l++)
		if (l->val == val)
			return l;
	return NULL;
}

/* What getopt_long refused, in GNU getopt's words (opterr is off: the
 * messages are zcp's, the hint and exit status too). arg is the element
 * getopt_long last stepped past, the failing one for a long option. */
static void __attribute__((noreturn)) bad_option(int c, const char *arg)
{
	const struct option *l = long_by_val(optopt);
	char list[512] = "";
	size_t len;
	int n = 0;

	if (c == ':' && strncmp(arg, "--", 2) == 0 && l)
		usage_error("option '--%s' needs an argument", l->name);
	if (c == ':')
		usage_error("option '-%c' needs an argument", optopt);
	if (optopt && l && l->has_arg == no_argument)
		usage_error("option '--%s' doesn't allow an argument", l->name);
	/* A character in a cluster of short options. */
	if (optopt)
		usage_error("invalid option -- '%c'", optopt);
	/* An unknown long option, or an ambiguous abbreviation of one. */
	if (strncmp(arg, "--", 2) != 0)
		usage_error("unknown option '%s'", arg);
	len = strcspn(arg + 2, "=");
	for (l = longopts; len && l->name; l++) {
		if (strncmp(l->name, arg + 2, len) != 0)
			continue;
		n++;
		snprintf(list + strlen(list), sizeof list - strlen(list),
			 " '--%s'", l->name);
	}
	if (n > 1)
		usage_error("option '%.*s' is ambiguous; possibilities:%s",
			    (int)len + 2, arg, list);
	usage_error("unknown option '%s'", arg);
}

void options_parse(struct options *o, int argc, char **argv)
{
	int c, named_auto = 0;

	memset(o, 0, sizeof *o);
	o->count = -1;
	o->direct = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->method = method_arg(optarg);
			named_auto = !o->method;
			break;
		case 'o':
			o->offset = size_arg("--offset", optarg, 0, INT64_MAX);
			break;
		case 'n':
			o->count = size_arg("--count", optarg, 0, INT64_MAX);
			break;
		case OPT_SEEK:
			o->seek = size_arg("--seek", optarg, 0, INT64_MAX);
			o->seek_set = 1;
			break;
		case 'a':
			o->append = 1;
			break;
		case 'b':
			o->bsize = (size_t)size_arg("--block-size", optarg, 1,
						    1 << 30);
			break;
		case OPT_FLAGS:
			o->flags_text = optarg;
			break;
		case OPT_FSYNC:
			o->fsync = 1;
			break;
		case 'd':
			o->qdepth = number_arg("--queue-depth", optarg, 1, 1024);
			break;
		case OPT_DIRECT:
			o->direct = 1;
			break;
		case OPT_NO_DIRECT:
			o->direct = 0;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'p':
			o->progress = progress_arg(optarg);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_BENCH:
			o->bench = 3;
			if (optarg)
				o->bench = number_arg("--bench", optarg, 1,
						      1000);
			break;
		case OPT_EXPLAIN:
			o->explain = 1;
			break;
		case 'h':
			help();
			break;
		case 'V':
			report_hold_stdout();
			printf("zcp " ZCP_VERSION "\n");
			exit(report_close_stdout());
		default:
			bad_option(c, argv[optind - 1]);
		}
	}
	if (argc == optind)
		usage_error("missing operands SRC and DST");
	if (argc - optind < 2)
		usage_error("missing operand DST after '%s'", argv[optind]);
	if (argc - optind > 2)
		usage_error("extra operand '%s'", argv[optind + 2]);
	if (o->append && o->seek_set)
		usage_error("--append and --seek cannot be used together");
	if (o->bench && o->explain)
		usage_error("--bench and --explain cannot be used together");
	if (o->bench && (o->append || o->seek_set))
		usage_error("--bench cannot be used with --append or --seek");
	/* Direct I/O asked for and not had would pass unseen. -d and
	 * --no-direct ask for nothing such a method would not give:
	 * taken, and changing nothing. */
	if (o->method && !o->method->queued && o->direct == 1)
		usage_error("--direct is for aio and io_uring: method %s does"
			    " not take it", o->method->name);
	if (o->flags_text)
		o->flags = flags_arg(o->method, named_auto, o->flags_text);
	operand(&o->src, argv[optind]);
	operand(&o->dst, argv[optind + 1]);
}
