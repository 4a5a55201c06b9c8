/* Reading CSV uploads (sensor exports) that are already in memory: RFC 4180
 * quoting, LF or CRLF line ends, an optional UTF-8 BOM, with every size limit
 * set by the caller. A pure module: it links alone into unit tests and
 * fuzzers.
 *
 * What is accepted:
 *   - a UTF-8 BOM as the first three bytes (skipped);
 *   - records ended by LF or CRLF; the last one may have no line end, or a
 *     lone CR as the very last byte;
 *   - fields in double quotes, which may hold commas, CR, LF and doubled
 *     quotes ("" stands for one ");
 *   - empty fields (",,", "a,"), and blank lines (skipped, wherever they are).
 * What is refused (SM_ERR_INVALID): an unterminated quoted field, a quote
 * inside an unquoted field, text after a closing quote, a CR that is not
 * followed by LF (except as the last byte), and any NUL byte, so a field can
 * always be copied into a C string.
 *
 * Unquoted fields and quoted fields without doubled quotes point straight
 * into the input; only fields with doubled quotes are unescaped, into scratch
 * memory owned by the reader. */
#ifndef SAMENMETEN_CSV_H
#define SAMENMETEN_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct csv_limits {
	size_t max_field_bytes; /* longest field, after unquoting */
	size_t max_fields;      /* fields per record; `fields` must have room for this many */
	size_t max_records;     /* records, the header included */
};

/* One field: `len` bytes at `p`, not NUL-terminated, never containing NUL. */
struct csv_field {
	const char *p;
	size_t len;
};

/* Caller-allocated (on the stack is fine); the members are private. */
struct csv_reader {
	const char *data; /* borrowed until csv_cleanup */
	size_t len;
	size_t pos;      /* next byte to read */
	size_t line;     /* 1-based physical line of data[pos] */
	size_t rec_line; /* line where the last record started */
	size_t nrecords; /* records returned so far */
	struct csv_limits lim;
	struct buf scratch; /* owned: unescaped fields of the current record */
	sm_err failed;      /* once not SM_OK, every later csv_next returns it */
};

/* Prepares `r` to read `len` bytes at `data`. `data` is borrowed until
 * csv_cleanup and need not be NUL-terminated; the limits are copied. A BOM at
 * the start is skipped. Cannot fail (nothing is allocated here). */
void csv_init(struct csv_reader *r, const char *data, size_t len, const struct csv_limits *lim);

/* Reads the next record into fields[0..*nfields). `fields` must have room for
 * lim->max_fields entries.
 *   SM_OK: a record was read; *nfields >= 1. The fields point into the input
 *     or into the reader's scratch memory, and stay valid until the next call
 *     of csv_next or csv_cleanup.
 *   SM_ERR_NOT_FOUND: end of input (again on every later call).
 *   SM_ERR_INVALID: malformed input; `why` says what, in lower case, with
 *     the line number.
 *   SM_ERR_TOO_LARGE: a field, the number of fields or the number of records
 *     passed its limit; `why` says which.
 *   SM_ERR_NOMEM: scratch memory could not be allocated.
 * After any error *nfields is 0, and later calls return the same error: a
 * reader does not resynchronise after bad input. `why` (whylen bytes, always
 * NUL-terminated when whylen > 0) is written only on an error other than
 * SM_ERR_NOT_FOUND. */
MUST_CHECK sm_err csv_next(struct csv_reader *r, struct csv_field *fields, size_t *nfields,
                           char *why, size_t whylen);

/* The 1-based physical line where the last record returned (or the record
 * whose reading failed) started; 0 before the first call. */
size_t csv_line(const struct csv_reader *r);

/* The 0-based index of the last record returned (0 = the header). Only
 * meaningful after csv_next returned SM_OK. */
size_t csv_record_index(const struct csv_reader *r);

/* Frees the scratch memory; the input is no longer referenced. Safe to call
 * twice. */
void csv_cleanup(struct csv_reader *r);

/* The field is exactly the C string `s`. */
bool csv_field_is(struct csv_field f, const char *s);

/* Copies the field into `out` (outlen bytes) with a terminating NUL. Returns
 * false if it does not fit, leaving `out` empty (when outlen > 0). */
bool csv_field_copy(struct csv_field f, char *out, size_t outlen);

#endif
