/* fuzz_size.c: libFuzzer harness for options_parse_size, the strict
 * parser behind every BYTES option. Any input must be accepted as a
 * number in 0..INT64_MAX or refused (as not a number, or as too
 * large); nothing else may happen. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	off_t v = -1, again = -1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int rc = options_parse_size(text, &v);

	/* -2, too large, only for digits with a known suffix. */
	if (rc != 0 && rc != -1 && !(rc == -2 && text[0] >= '0' &&
				     text[0] <= '9'))
		abort();
	if (rc == 0) {
		if (v < 0)
			abort();
		/* Digits first, and the same answer twice. */
		if (text[0] < '0' || text[0] > '9')
			abort();
		if (options_parse_size(text, &again) != 0 || again != v)
			abort();
	}
	free(text);
	return 0;
}
