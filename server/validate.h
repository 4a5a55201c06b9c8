/* Checking request input: path parameters, and fields of JSON bodies. Each
 * check that fails sets a problem response naming the field and the reason,
 * and returns false. */
#ifndef SAMENMETEN_VALIDATE_H
#define SAMENMETEN_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "request.h"

/* Pure pattern checks. */
bool slug_valid(const char *s);  /* ^[a-z0-9][a-z0-9-]{1,62}$ */
bool uuid_valid(const char *s);  /* 8-4-4-4-12 hex, lower case */
bool layer_valid(const char *s); /* ^[a-z0-9][a-z0-9_-]{0,62}$ */
/* 1..maxlen characters, none of them a C0 or C1 control character. */
bool text_valid(const char *s, size_t maxlen);
/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF), as PostgreSQL requires of text in a UTF-8 database: a query
 * parameter that goes to SQL as text must pass. */
bool utf8_valid(const char *s);

/* Parses the body as a JSON object (owned by the caller on true). */
bool body_object(struct request *r, json_t **out);

/* Rejects any member of obj not named in `allowed` (NULL-terminated). */
bool fields_known(struct request *r, json_t *obj, const char *const *allowed);

/* A string member: required (absent fails) or optional (absent leaves *out
 * NULL). Borrowed from obj. */
bool field_text(struct request *r, json_t *obj, const char *name, bool required, size_t maxlen,
                const char **out);
/* An integer member within [min, max]; absent leaves *out unchanged. */
bool field_int(struct request *r, json_t *obj, const char *name, long long min, long long max,
               long long *out);
/* A boolean member; absent leaves *out unchanged. */
bool field_bool(struct request *r, json_t *obj, const char *name, bool *out);

/* The path parameter at index i, checked to be a slug or uuid. */
bool param_slug(struct request *r, size_t i, const char *name, const char **out);
bool param_uuid(struct request *r, size_t i, const char *name, const char **out);
/* The path parameter at index i as a positive integer (1..INT64_MAX), such
 * as a researcher's or a segment's id. */
bool param_id(struct request *r, size_t i, const char *name, long long *out);

#endif
