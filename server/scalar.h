/* Scalars in sensor uploads: timestamps and numbers, from text that is not
 * NUL-terminated (CSV fields, JSON strings). Pure functions. */
#ifndef SAMENMETEN_SCALAR_H
#define SAMENMETEN_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Microseconds since 1970-01-01T00:00:00Z. */
typedef int64_t usec_t;

#define USEC_PER_SEC INT64_C(1000000)

/* The times the API takes: from 1970-01-01T00:00:00Z up to the end of 9999
 * (UTC). PostgreSQL has no year 0, and every time the API writes has four
 * digits of year. */
#define SCALAR_TIME_MIN INT64_C(0)
#define SCALAR_TIME_END (INT64_C(253402300800) * USEC_PER_SEC) /* 10000-01-01T00:00:00Z */

/* Parses "YYYY-MM-DD[T or space]HH:MM:SS[.fraction][Z | +HH:MM | +HHMM | +HH]".
 * A time without an offset is UTC when bare_is_utc, and SM_ERR_INVALID
 * otherwise; so is a time outside SCALAR_TIME_MIN..SCALAR_TIME_END. `why`
 * says what is wrong. */
MUST_CHECK sm_err scalar_time(const char *s, size_t len, bool bare_is_utc, usec_t *out, char *why,
                              size_t whylen);

/* Formats as "YYYY-MM-DD HH:MM:SS.ffffff+00" (PostgreSQL input, UTC). */
#define SCALAR_TIME_LEN 64
void scalar_time_format(usec_t t, char out[SCALAR_TIME_LEN]);

/* The current time. */
usec_t scalar_now(void);

/* A finite decimal number ("12", "-3.5", "1e3"); no spaces, no hex, no
 * NaN or Infinity. */
MUST_CHECK bool scalar_double(const char *s, size_t len, double *out);

/* A decimal integer within [min, max]. */
MUST_CHECK bool scalar_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

#endif
