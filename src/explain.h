/* explain.h: --explain, the plan for SRC and DST without copying. */
#ifndef ZCP_EXPLAIN_H
#define ZCP_EXPLAIN_H

#include "method.h"
#include "options.h"

/* Prints the plan to stdout (text, or JSON with --json) for the probed
 * endpoints in c->src and c->dst. Returns the exit status: 0, or 1
 * when stdout could not be written (said on stderr). */
int explain_run(const struct options *o, const struct copy *c);

#endif
