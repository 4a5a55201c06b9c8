/* What every ingest fuzz target checks after a codec ran: invariants of the
 * row-error list and of the Snuffelfiets readings. Header-only, included by
 * the fuzz targets; a broken invariant is a __builtin_trap(), which libFuzzer
 * reports as a crash with its input. */
#ifndef SAMENMETEN_FUZZ_COMMON_H
#define SAMENMETEN_FUZZ_COMMON_H

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowerr.h"
#include "scalar.h"

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

/* "Now" for every target: 2025-06-01T00:00:00Z, so runs repeat exactly. */
#define FUZZ_NOW (INT64_C(1748736000) * USEC_PER_SEC)
#define FUZZ_MAX_ROWS 1000
#define FUZZ_JSON_DEPTH 32
#define FUZZ_EARLIEST (INT64_C(946684800) * USEC_PER_SEC)
#define FUZZ_DAY (INT64_C(86400) * USEC_PER_SEC)

/* A NUL-terminated string of fewer than `size` bytes. */
static inline bool fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* The row errors: counted, listed within bounds, every listed one inside the
 * upload, and all of them representable as JSON (field and reason are
 * sanitised UTF-8, else json_pack drops the element). */
static inline void fuzz_check_errors(const struct row_errors *e, size_t rows_in)
{
	FUZZ_CHECK(e->listed <= e->rejected);
	FUZZ_CHECK(e->listed <= ROWERR_MAX_LISTED);
	FUZZ_CHECK(e->rejected <= rows_in);
	FUZZ_CHECK(e->listed == e->rejected || e->listed == ROWERR_MAX_LISTED);
	for (size_t i = 0; i < e->listed; i++) {
		FUZZ_CHECK(e->items[i].index < rows_in);
		FUZZ_CHECK(fuzz_terminated(e->items[i].field, sizeof(e->items[i].field)));
		FUZZ_CHECK(fuzz_terminated(e->items[i].reason, sizeof(e->items[i].reason)));
		FUZZ_CHECK(e->items[i].reason[0] != '\0');
	}
	json_t *list = rowerr_json(e);
	FUZZ_CHECK(list != NULL);
	FUZZ_CHECK(json_array_size(list) == e->listed);
	size_t k;
	json_t *item;
	size_t last = 0;
	json_array_foreach(list, k, item) {
		size_t index = (size_t)json_integer_value(json_object_get(item, "index"));
		FUZZ_CHECK(k == 0 || index >= last); /* sorted */
		last = index;
	}
	char *text = json_dumps(list, JSON_COMPACT);
	FUZZ_CHECK(text != NULL);
	free(text);
	json_decref(list);
}

#endif
