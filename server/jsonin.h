/* Parsing JSON request bodies: a hard cap on nesting depth (checked before
 * jansson sees the text), duplicate keys rejected, invalid UTF-8 rejected.
 * A pure function: it links alone into unit tests and fuzzers. */
#ifndef SAMENMETEN_JSONIN_H
#define SAMENMETEN_JSONIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The deepest nesting of arrays and objects in `text`, ignoring brackets in
 * strings; stops counting (and returns max_depth + 1) once past max_depth. */
int jsonin_depth(const char *text, size_t len, int max_depth);

/* The rows a body holds, counted without parsing it: the elements of the
 * top-level array, or of the largest array directly inside a top-level
 * object ({"report": [...]}, {"features": [...]}); 0 when there is no such
 * array. Stops counting once past `stop` (then returns stop + 1). */
size_t jsonin_rows(const char *text, size_t len, size_t stop);

/* The most memory a parse may take: JSONIN_MEMORY_PER_BYTE times the text's
 * length, and at least JSONIN_MEMORY_MIN. jansson's trees take 7.3 to 8.1
 * times the text of real uploads (Snuffelfiets, Telraam and heat rows,
 * GeoJSON segments), but 16 times for `[1,1,...]`, 41 for `[[],[],...]`
 * and 73 for `[{},{},...]`. */
#define JSONIN_MEMORY_PER_BYTE 12
#define JSONIN_MEMORY_MIN (8u << 20)

/* Makes jansson's allocations countable per thread, for the budget above.
 * Call once before any thread uses jansson; without it parses are not
 * limited (unit tests and fuzzers). */
void jsonin_init(void);

/* Parses `text`. On success *out is a new reference (owned by the caller).
 * On SM_ERR_INVALID, `why` holds a lower-case reason with the position; on
 * SM_ERR_TOO_LARGE the parse needed more memory than its budget (after
 * jsonin_init) and was stopped. */
MUST_CHECK sm_err jsonin_parse(const char *text, size_t len, int max_depth, json_t **out, char *why,
                               size_t whylen);

/* The text of a JSON string, or NULL when v is not a string or holds a
 * NUL (\u0000) that C string functions would stop at. Borrowed from v. */
const char *jsonin_string(json_t *v);

/* Whether an optional member counts as absent: missing, JSON null, or the
 * empty string that forms send for a field left blank. */
bool jsonin_absent(json_t *v);

#endif
