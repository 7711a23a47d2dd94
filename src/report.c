/* report.c: the final report and error lines. Units follow dd: SI first,
 * IEC in the same parentheses, three significant digits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void report_human(char *buf, size_t len, double v, int base)
{
	static const char *const si[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	static const char *const iec[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	char num[32];
	int i = 0;

	while (v >= base && i < 6) {
		v /= base;
		i++;
	}
	/* The digits are chosen by the value as printed: 9.996 prints as
	 * "10.0", 99.96 as "100", and 999.6 kB (1023.6 KiB) as 1.00 of the
	 * next unit, as dd words them. */
	for (;;) {
		int prec = v >= 100 ? 0 : v >= 10 ? 1 : 2;
		double shown;

		snprintf(num, sizeof num, "%.*f", prec, v);
		shown = strtod(num, NULL);
		if (shown >= base && i < 6) {
			v /= base;
			i++;
		} else if ((prec == 2 && shown >= 10) ||
			   (prec == 1 && shown >= 100)) {
			v = shown;
		} else {
			break;
		}
	}
	snprintf(buf, len, "%s %s", num, base == 1000 ? si[i] : iec[i]);
}

int report_amount(char *buf, size_t len, off_t bytes)
{
	char si[32], iec[32];

	report_human(si, sizeof si, (double)bytes, 1000);
	report_human(iec, sizeof iec, (double)bytes, 1024);
	if (bytes >= 1024)
		return snprintf(buf, len, "%lld bytes (%s, %s)",
				(long long)bytes, si, iec);
	if (bytes >= 1000)
		return snprintf(buf, len, "%lld bytes (%s)", (long long)bytes,
				si);
	return snprintf(buf, len, "%lld byte%s", (long long)bytes,
			bytes == 1 ? "" : "s");
}

void report_line(FILE *f, off_t bytes, off_t pending, double secs)
{
	char amount[96], rate[32];

	report_amount(amount, sizeof amount, bytes);
	report_human(rate, sizeof rate, secs > 0 ? (double)bytes / secs : 0, 1000);
	fprintf(f, secs < 1 ? "zcp: %s copied, %.6f s, %s/s"
		: "zcp: %s copied, %.3f s, %s/s", amount, secs, rate);
	if (pending > 0)
		fprintf(f, "; %lld byte%s read but not written", (long long)pending,
			pending == 1 ? "" : "s");
	fputc('\n', f);
	fflush(f);
}

/* Length of the valid UTF-8 sequence at s, 0 if there is none. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void report_escape(FILE *f, const char *text, int json)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		int n = utf8_len(s);
		int c1 = n == 2 && s[0] == 0xc2 && s[1] < 0xa0;

		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\\' || (json && *s == '"'))
			fprintf(f, "\\%c", *s);
		else if (c1 && json)
			fprintf(f, "\\u%04x", s[1]);	/* the code point */
		else if (c1)
			fprintf(f, "\\x%02x\\x%02x", s[0], s[1]);
		else if (*s < 0x20 || *s == 0x7f || n == 0)
			fprintf(f, json ? "\\u%04x" : "\\x%02x", *s);
		else
			fwrite(s, 1, (size_t)n, f);
		s += n > 0 ? n : 1;
	}
}

void report_escaped(FILE *f, const char *text)
{
	report_escape(f, text, 0);
}

void report_error(const char *verb, const char *operand, const char *msg)
{
	fprintf(stderr, "zcp: %s ", verb);
	report_escaped(stderr, operand);
	fprintf(stderr, ": %s\n", msg);
	fflush(stderr);
}

void report_hold_stdout(void)
{
	/* glibc takes a size only with a buffer. */
	static char buf[1 << 16];

	(void)setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

static int stdout_closed;

void report_stdout_closed(void)
{
	stdout_closed = 1;
}

int report_close_stdout(void)
{
	int failed = ferror(stdout), err = 0;

	/* Like coreutils' close_stdout: a reason only when fclose gives
	 * one; a write that failed earlier has left none that is sure. */
	if (fclose(stdout) != 0) {
		failed = 1;
		err = errno;
	}
	if (!failed)
		return 0;
	/* The stand-in is an unconnected socket (ENOTCONN): a reason that
	 * names nothing the caller did. "zcp --help >&-" says EBADF, and
	 * so does every command run with stdout closed. */
	if (stdout_closed)
		err = EBADF;
	if (err)
		fprintf(stderr, "zcp: write error: %s\n", strerror(err));
	else
		fputs("zcp: write error\n", stderr);
	return 1;
}
