/* options.h: the command line, parsed into one struct options.
 * Parsing only: nothing here opens a file. */
#ifndef ZCP_OPTIONS_H
#define ZCP_OPTIONS_H

#include <stddef.h>
#include <sys/types.h>

#include "endpoint.h"

struct method;

struct options {
	struct endpoint src, dst;	/* parsed operands, not yet opened */
	const struct method *method;	/* NULL: auto */
	off_t offset;			/* bytes of SRC to skip */
	off_t count;			/* bytes to copy, -1: until end of file */
	off_t seek;			/* bytes of DST to skip */
	int seek_set;
	int append;
	size_t bsize;			/* 0: the method's default */
	int quiet;
	int verbose;
	const char *flags_text;		/* --flags, resolved against the method */
	unsigned flags;
	int qdepth;			/* 0: the method's default */
	int direct;			/* -1: default, 0: --no-direct, 1: --direct */
	int fsync;
	int progress;			/* 0 off, 1 when stderr is a tty, 2 forced */
	int json;
	int bench;			/* runs per method, 0: no benchmark */
	int explain;
};

/* Fills o from argv. On a usage error prints one line and the hint to
 * stderr and exits 2; --help and --version print and exit 0. */
void options_parse(struct options *o, int argc, char **argv);

/* Parses a byte count: digits with an optional K/M/G/T, KiB.., KB..
 * suffix. Returns 0, -1 when text is not such a number, or -2 when it
 * is one that does not fit in 63 bits. */
int options_parse_size(const char *text, off_t *out);

/* Resolves --flags text against method m's table: names in any case,
 * or a whole number taken as it is. Returns NULL with *out set, or the
 * usage error's message (in a static buffer). Exits on nothing. */
const char *options_resolve_flags(const struct method *m, const char *text,
				  unsigned *out);

/* Prints "zcp: MESSAGE" and the --help hint to stderr, exits 2. */
void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

#endif
