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

/* Parses `text`. On success *out is a new reference (owned by the caller).
 * On SM_ERR_INVALID, `why` holds a lower-case reason with the position. */
MUST_CHECK sm_err jsonin_parse(const char *text, size_t len, int max_depth, json_t **out, char *why,
                               size_t whylen);

/* The text of a JSON string, or NULL when v is not a string or holds a
 * NUL (\u0000) that C string functions would stop at. Borrowed from v. */
const char *jsonin_string(json_t *v);

/* Whether an optional member counts as absent: missing, JSON null, or the
 * empty string that forms send for a field left blank. */
bool jsonin_absent(json_t *v);

#endif
