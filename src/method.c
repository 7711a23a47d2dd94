/* method.c: the method table, in the order `auto` tries them, and the
 * small accounting helpers every method shares. */
#include <string.h>

#include "method.h"

const struct method *const methods[] = {
	&method_io_uring,
	&method_aio,
	&method_rw,
	NULL,
};

const char *const methods_unavailable[] = {
	"splice", "sendfile", "copy_file_range", NULL,
};

const struct method *method_find(const char *name)
{
	for (const struct method *const *m = methods; *m; m++)
		if (strcmp((*m)->name, name) == 0)
			return *m;
	return NULL;
}

size_t method_chunk(const struct copy *c)
{
	if (c->count >= 0 && (off_t)c->bsize > c->count)
		return (size_t)c->count;
	return c->bsize;
}

void method_advance(struct copy *c, size_t n)
{
	if (c->count >= 0)
		c->count -= (off_t)n;
}
