/* explain.h: --explain, the plan for SRC and DST without copying. */
#ifndef ZCP_EXPLAIN_H
#define ZCP_EXPLAIN_H

#include "method.h"
#include "options.h"
#include "stats.h"

/* Prints the plan to stdout (text, or JSON with --json) for the probed
 * endpoints in c->src and c->dst. Returns the exit status: 0, or 1
 * when stdout could not be written (said on stderr). */
int explain_run(const struct options *o, const struct copy *c);

/* When the plan cannot be made (SRC cannot be opened, or is DST): with
 * --json, the plan as far as it goes and e, on stdout; without, nothing
 * (the caller prints the error line). No copy report either way. */
void explain_error(const struct options *o, const struct stats_error *e);

#endif
