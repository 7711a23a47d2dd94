/* progress.h: the live progress line (-p) and the one-shot line SIGUSR1
 * asks for, both drawn by a thread that only reads the byte counter. */
#ifndef ZCP_PROGRESS_H
#define ZCP_PROGRESS_H

#include "method.h"

/* Takes SIGUSR1 away from the default action: blocks it, so that it
 * waits until the progress thread takes it and never interrupts a copy.
 * mode is options.progress. Call first in main, before any thread. */
void progress_init(int mode);

/* Starts the thread drawing c->done (and c->skipped while it is below
 * c->skip): the live line when mode and stderr allow it, the SIGUSR1
 * line always; its time counts from start, as the report's does. Call
 * once c->in, c->src, c->count and c->skip are set and a SRC that can
 * seek is positioned; one that cannot may then be read up to --offset. */
void progress_start(const struct copy *c, const struct timespec *start);

/* Starts the thread while opening an endpoint waits for something
 * outside zcp (a peer, a FIFO's other end): the lines say "0 bytes
 * copied", the seconds waited so far, and what, as the text given
 * (kept, not copied, until progress_stop). Called again during the
 * same wait, it changes the text (a listener's port, once the kernel
 * has chosen it). */
void progress_wait(const char *what);

/* Stops the thread and erases the live line on a terminal (ends it with
 * a newline elsewhere), so that the final report starts a clean line;
 * a line left behind when zcp went to the background stays. Does
 * nothing when no thread runs. */
void progress_stop(void);

#endif
