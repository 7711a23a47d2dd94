/* fuzz_endpoint.c: libFuzzer harness for endpoint_parse, the operand
 * parser (path, -, fd:N, tcp:, tcp-listen:, unix:, unix-listen:). A
 * refusal must say why; an accepted address must be well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct endpoint e;
	const char *why = NULL;
	char *text = malloc(size + 1);
	long port;
	char *end;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (endpoint_parse(&e, text, &why) < 0) {
		if (!why || !*why)
			abort();
	} else {
		if (e.text != text || e.fd != -1)
			abort();
		switch (e.type) {
		case EP_TCP:
		case EP_TCP_LISTEN:
			if (memchr(e.host, '\0', sizeof e.host) == NULL ||
			    !e.host[0])
				abort();
			port = strtol(e.port, &end, 10);
			if (*end || port < 0 || port > 65535 ||
			    (e.type == EP_TCP && port == 0))
				abort();
			break;
		case EP_UNIX:
		case EP_UNIX_LISTEN:
			if (!e.path || !*e.path ||
			    strlen(e.path) >= sizeof ((struct sockaddr_un *)0)->sun_path)
				abort();
			break;
		case EP_FD:
			if (e.fdnum < 0)
				abort();
			break;
		default:
			break;
		}
	}
	free(text);
	return 0;
}
