/* Heat-stress station observations: our JSON form (one object or an array),
 * and the decoded payload of a LoRaWAN uplink. Values are checked, flagged
 * and the heat indices derived (heat.h). Pure: no database. */
#ifndef SAMENMETEN_HEATOBS_H
#define SAMENMETEN_HEATOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "heat.h"
#include "rowerr.h"
#include "scalar.h"

enum heat_field {
	HF_TEMPERATURE,      /* degC, required */
	HF_HUMIDITY,         /* %, required */
	HF_PRESSURE,         /* hPa */
	HF_WIND_SPEED,       /* m/s */
	HF_WIND_HEIGHT,      /* m above ground */
	HF_GLOBE,            /* degC */
	HF_GLOBE_DIAMETER,   /* mm */
	HF_NATURAL_WET_BULB, /* degC, measured */
	HF_SOLAR,            /* W/m2 */
	HF_RAIN,             /* mm */
	HF_NFIELDS
};

struct heat_obs {
	size_t index;
	char station_ref[65]; /* "station" as sent; "" when absent */
	size_t device;        /* set by the caller */
	usec_t observed_at;
	double v[HF_NFIELDS]; /* NAN when absent */
	struct heat_result derived;
	uint32_t quality;
};

struct heat_batch {
	struct heat_obs *rows; /* owned */
	size_t n;
	struct row_errors errors;
};

void heat_batch_init(struct heat_batch *b);
void heat_batch_cleanup(struct heat_batch *b);

/* Parses one observation object or an array of them. Unknown members are
 * refused (it is our own format). SM_ERR_INVALID when the body is neither,
 * SM_ERR_TOO_LARGE over max_rows. */
MUST_CHECK sm_err heatobs_parse(json_t *root, size_t max_rows, usec_t now, struct heat_batch *b,
                                char *why, size_t whylen);

/* Parses a LoRaWAN decoded payload into one observation at `time` (the
 * uplink's receive time, unless the payload carries "time"). Unknown members
 * are ignored: payload decoders add their own. */
MUST_CHECK sm_err heatobs_parse_payload(json_t *payload, usec_t time, usec_t now,
                                        struct heat_batch *b, char *why, size_t whylen);

/* Stored column names ("temperature_c", ...). */
const char *heat_field_column(enum heat_field f);

#endif
