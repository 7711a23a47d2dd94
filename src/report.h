/* report.h: what zcp tells the user on stderr: the dd-style line of
 * bytes, time and rate, and errors naming the side and the operand. */
#ifndef ZCP_REPORT_H
#define ZCP_REPORT_H

#include <stdio.h>
#include <sys/types.h>

/* Prints "zcp: N bytes (.., ..) copied, S s, R/s" and, when not zero,
 * the bytes read but not delivered. */
void report_line(FILE *f, off_t bytes, off_t pending, double secs);

/* Formats "N bytes" with, from 1000 bytes on, the amount in units as
 * "(SI, IEC)": the words the report and the progress line share.
 * Returns what snprintf returns. */
int report_amount(char *buf, size_t len, off_t bytes);

/* Holds what is printed to stdout (up to 64 KiB) until
 * report_close_stdout, so that a write that fails fails there, where its
 * reason is known. Call before anything is printed to stdout. */
void report_hold_stdout(void);

/* Closes stdout, where --help, --version and --explain print; when any
 * write to it failed, says "zcp: write error: REASON" on stderr.
 * Returns 0, or 1 on a write error (the exit status to give). */
int report_close_stdout(void);

/* Notes that stdout was closed when zcp started and that descriptor 1
 * now holds a stand-in (endpoint_guard): report_close_stdout then gives
 * the reason a write to the closed descriptor meets, EBADF, rather than
 * the stand-in's. */
void report_stdout_closed(void);

/* Formats v with three significant digits and a unit: base 1000 gives
 * B, kB, MB..; base 1024 gives B, KiB, MiB.. */
void report_human(char *buf, size_t len, double v, int base);

/* Prints "zcp: VERB OPERAND: MESSAGE", control characters in OPERAND
 * escaped. */
void report_error(const char *verb, const char *operand, const char *msg);

/* Writes text to f with control characters shown as \n, \t, \xHH:
 * C0, DEL and C1 (U+0080 to U+009F, whose CSI a terminal acts on), and
 * bytes that are not UTF-8, so that no operand moves the cursor or
 * clears the screen. */
void report_escaped(FILE *f, const char *text);

/* report_escaped, or with json set the inside of a JSON string: quotes
 * escaped too, and the others as \u00XX (a byte that is not UTF-8 as
 * the code point of that value). */
void report_escape(FILE *f, const char *text, int json);

#endif
