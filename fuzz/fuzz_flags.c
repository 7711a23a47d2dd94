/* fuzz_flags.c: libFuzzer harness for options_resolve_flags, the --flags
 * resolver, against every method (and none). An accepted list gives only
 * bits the method names; a refusal gives a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "method.h"
#include "options.h"

static void check(const struct method *m, const char *text)
{
	unsigned flags = 0, known = 0;
	const char *err = options_resolve_flags(m, text, &flags);

	if (err) {
		if (!*err)
			abort();
		return;
	}
	if (!m || !m->flags)
		abort();
	for (const struct method_flag *f = m->flags; f->name; f++)
		known |= f->value;
	if (flags & ~known)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check(NULL, text);
	for (const struct method *const *m = methods; *m; m++)
		check(*m, text);
	free(text);
	return 0;
}
