/* Residents' experience scores: 1..7 on the 14 Leefplekmeter (Place
 * Standard) themes for a place and a time, with an optional remark. Pure. */
#ifndef SAMENMETEN_EXPERIENCE_H
#define SAMENMETEN_EXPERIENCE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "rowerr.h"
#include "scalar.h"

#define EXPERIENCE_THEMES 14
#define EXPERIENCE_REMARK_MAX 500 /* characters */

struct experience {
	size_t index;
	char device_ref[65]; /* "device" as sent (admin imports); "" when absent */
	size_t device;
	usec_t observed_at;
	double lat, lon;
	int score[EXPERIENCE_THEMES]; /* 1..7, 0 when not scored */
	char *remark;                 /* owned (freed with the batch); NULL when absent */
};

struct experience_batch {
	struct experience *rows; /* owned */
	size_t n;
	struct row_errors errors;
};

void experience_batch_init(struct experience_batch *b);
void experience_batch_cleanup(struct experience_batch *b);

/* One object or an array: {"time", "lat", "lon", "scores": {theme: 1..7},
 * "remark"?, "device"?}. At least one theme must be scored. */
MUST_CHECK sm_err experience_parse(json_t *root, size_t max_rows, usec_t now,
                                   struct experience_batch *b, char *why, size_t whylen);

/* Theme names in the order of the stored scores array. */
const char *experience_theme(size_t i);

#endif
