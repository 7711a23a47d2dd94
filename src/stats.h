/* stats.h: what a copy cost (CPU time, system calls, pipe sizes) and the
 * final report built from it: the -v lines and the --json object. */
#ifndef ZCP_STATS_H
#define ZCP_STATS_H

#include <stdio.h>

#include "method.h"
#include "options.h"

/* Why a copy failed, for the report. verb is "read", "write" or
 * "method"; operand what that side was given as. */
struct stats_error {
	const char *verb;
	const char *operand;
	const char *message;
	int err;
	int sig;		/* the signal that stopped the copy, or 0 */
};

/* Marks the start of the copy: CPU time and system calls count from
 * here. */
void stats_start(void);

/* Notes what must be asked while the descriptors are open (pipe sizes).
 * Call when the copy ends, before DST is closed; later calls do nothing. */
void stats_end(const struct copy *c);

/* The final report on stderr: the --json object, or the -v lines and
 * the report line (unless -q). method is what ran, NULL if none did;
 * e is NULL on success. Error lines proper are main's. */
void stats_report(const struct options *o, const struct copy *c,
		  const char *method, double secs, const struct stats_error *e);

/* Writes s as a JSON string: quoted, escaped, bytes that are not UTF-8
 * written as the code point of the same value. */
void stats_json_string(FILE *f, const char *s);

/* Writes an endpoint as {"operand", "kind"}; kind is null while it is
 * unknown (an endpoint never opened). */
void stats_json_endpoint(FILE *f, const struct endpoint *e);

#endif
