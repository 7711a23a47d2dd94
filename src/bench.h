/* bench.h: --bench, every method that serves SRC and DST timed N times
 * by running zcp itself once per copy. */
#ifndef ZCP_BENCH_H
#define ZCP_BENCH_H

#include "method.h"
#include "options.h"

/* The checks made before anything is opened: SRC must be a path that
 * can be read again, DST something that can be opened again. Usage
 * error (exit 2) otherwise. */
void bench_check(const struct options *o);

/* Runs the benchmark for SRC (open) and DST (probed) in c and prints the
 * table on stderr. Returns the exit status: 0, or 1 if a run failed. */
int bench_run(const struct options *o, const struct copy *c);

#endif
