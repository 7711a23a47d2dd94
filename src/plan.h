/* plan.h: the order `auto` tries the methods in for a pair of endpoints,
 * from what bench/zerocopy measured (see bench/RESULTS.md). */
#ifndef ZCP_PLAN_H
#define ZCP_PLAN_H

#include "method.h"

/* The methods to try for c->src and c->dst, fastest first,
 * NULL-terminated; every list ends with rw, which serves every pair. */
const struct method *const *plan_order(const struct copy *c);

/* What auto does before the first method runs: enlarges the pipes zcp
 * was handed. */
void plan_prepare(const struct copy *c);

#endif
