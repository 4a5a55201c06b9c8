/* Telraam reports: the report envelope of the Telraam API ({"report":[...]}),
 * hourly or quarter-hourly, every count a float. Pure: no database. */
#ifndef SAMENMETEN_TELRAAM_H
#define SAMENMETEN_TELRAAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rowerr.h"
#include "scalar.h"

enum traffic_count {
	TC_HEAVY,
	TC_HEAVY_LFT,
	TC_HEAVY_RGT,
	TC_CAR,
	TC_CAR_LFT,
	TC_CAR_RGT,
	TC_BIKE,
	TC_BIKE_LFT,
	TC_BIKE_RGT,
	TC_PEDESTRIAN,
	TC_PEDESTRIAN_LFT,
	TC_PEDESTRIAN_RGT,
	TC_NCOUNTS
};

#define TELRAAM_HIST70 8
#define TELRAAM_HIST120 25

struct traffic_report {
	size_t index;
	char instance_ref[24]; /* the camera's instance_id as text; "" when absent or -1 */
	size_t device;         /* set by the caller */
	int64_t segment_id;
	bool quarterly;
	usec_t period_start;
	double uptime;            /* 0..1, NAN when absent */
	double count[TC_NCOUNTS]; /* NAN when absent, and always when uptime is 0 */
	int direction;            /* -1 when absent */
	char timezone[48];
	double v85;               /* NAN when absent */
	size_t nhist70, nhist120; /* 0 or the full bin count */
	double hist70[TELRAAM_HIST70];
	double hist120[TELRAAM_HIST120];
	uint32_t quality;
};

struct traffic_batch {
	struct traffic_report *rows; /* owned */
	size_t n;
	struct row_errors errors;
};

void traffic_batch_init(struct traffic_batch *b);
void traffic_batch_cleanup(struct traffic_batch *b);

/* Parses {"report": [...]}. SM_ERR_INVALID when it is not that envelope,
 * SM_ERR_TOO_LARGE over max_rows; bad reports are listed in b->errors. */
MUST_CHECK sm_err telraam_parse(json_t *root, size_t max_rows, usec_t now, struct traffic_batch *b,
                                char *why, size_t whylen);

/* Column names of the counts, as stored ("heavy_lft", ...). */
const char *traffic_count_name(enum traffic_count c);

#endif
