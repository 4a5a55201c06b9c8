#include "hash.h"

uint64_t hash_bytes(uint64_t h, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211); /* FNV prime */
	return h;
}
