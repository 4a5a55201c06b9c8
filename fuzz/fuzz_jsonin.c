/* libFuzzer target for server/jsonin.c: the strict parse of request bodies
 * with the service's nesting limit. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *out = NULL;
	char why[256];
	sm_err e = jsonin_parse((const char *)data, size, 32, &out, why, sizeof(why));
	if (e == SM_OK && !out)
		__builtin_trap();
	if (e != SM_OK && out)
		__builtin_trap();
	json_decref(out);
	return 0;
}
