/* Rejected rows of an upload: how many, and the first ones with their index,
 * field and reason (the answer lists at most ROWERR_MAX_LISTED). */
#ifndef SAMENMETEN_ROWERR_H
#define SAMENMETEN_ROWERR_H

#include <jansson.h>
#include <stddef.h>

#define ROWERR_MAX_LISTED 1000

struct row_error {
	size_t index;   /* 0-based row of the upload (CSV: the first data row is 0) */
	char field[48]; /* the column or member at fault; "" for the whole row */
	char reason[160];
};

struct row_errors {
	struct row_error *items; /* owned */
	size_t listed;
	size_t rejected; /* all rejected rows, listed or not */
};

void rowerr_init(struct row_errors *e);
void rowerr_cleanup(struct row_errors *e);
/* Counts a rejected row and lists it while there is room. */
void rowerr_add(struct row_errors *e, size_t index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The listed errors as a JSON array of {index, field, reason} (new reference). */
json_t *rowerr_json(const struct row_errors *e);

#endif
