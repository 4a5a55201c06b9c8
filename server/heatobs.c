#include "heatobs.h"

#include "jsonin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAR_FUTURE (24 * 3600 * USEC_PER_SEC)
#define FUTURE_TOLERANCE (5 * 60 * USEC_PER_SEC)
#define EARLIEST INT64_C(946684800000000) /* 2000-01-01T00:00:00Z */

/* Per field: its JSON name, its column, what is refused (not a measurement)
 * and what is flagged out of range. */
static const struct {
	const char *name;
	const char *column;
	double refuse_min, refuse_max;
	double flag_min, flag_max;
} fields[HF_NFIELDS] = {
    [HF_TEMPERATURE] = {"temperature", "temperature_c", -100, 100, -40, 60},
    [HF_HUMIDITY] = {"humidity", "humidity_pct", 0, 100, 0, 100},
    [HF_PRESSURE] = {"pressure", "pressure_hpa", 1, 2000, 870, 1085},
    [HF_WIND_SPEED] = {"wind_speed", "wind_speed_ms", 0, 200, 0, 75},
    [HF_WIND_HEIGHT] = {"wind_height", "wind_height_m", 0, 500, 0, 100},
    [HF_GLOBE] = {"globe_temperature", "globe_temperature_c", -100, 150, -40, 90},
    [HF_GLOBE_DIAMETER] = {"globe_diameter", "globe_diameter_mm", 1, 1000, 20, 300},
    [HF_NATURAL_WET_BULB] = {"natural_wet_bulb", "natural_wet_bulb_c", -100, 100, -40, 45},
    [HF_SOLAR] = {"solar_radiation", "solar_radiation_wm2", 0, 5000, 0, 1500},
    [HF_RAIN] = {"rain", "rain_mm", 0, 1000, 0, 300},
};

const char *heat_field_column(enum heat_field f)
{
	return fields[f].column;
}

void heat_batch_init(struct heat_batch *b)
{
	b->rows = NULL;
	b->n = 0;
	rowerr_init(&b->errors);
}

void heat_batch_cleanup(struct heat_batch *b)
{
	free(b->rows);
	rowerr_cleanup(&b->errors);
	heat_batch_init(b);
}

static int field_by_name(const char *name)
{
	for (int f = 0; f < HF_NFIELDS; f++)
		if (strcmp(fields[f].name, name) == 0)
			return f;
	return -1;
}

/* A JSON number, or a numeric string. */
static bool json_number_text(json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out);
	}
	return json_is_string(v) && scalar_double(json_string_value(v), json_string_length(v), out);
}

/* Fills o from obj; `strict` refuses unknown members. `time` is used when
 * the object has no "time". False with the error listed when refused. */
static bool parse_object(json_t *obj, bool strict, usec_t time, usec_t now, struct heat_obs *o,
                         struct row_errors *errs)
{
	char why[96];
	const char *key;
	json_t *v;
	bool has_time = time != 0;
	for (int f = 0; f < HF_NFIELDS; f++)
		o->v[f] = NAN;
	o->observed_at = time;
	if (!json_is_object(obj)) {
		rowerr_add(errs, o->index, "", "an observation must be a JSON object");
		return false;
	}
	json_object_foreach(obj, key, v) {
		if (jsonin_absent(v)) /* null or a blank form field: not given */
			continue;
		int f = field_by_name(key);
		if (f >= 0) {
			double d;
			if (!json_number_text(v, &d)) {
				rowerr_add(errs, o->index, key, "must be a number");
				return false;
			}
			if (d < fields[f].refuse_min || d > fields[f].refuse_max) {
				rowerr_add(errs, o->index, key, "must be from %g to %g",
				           fields[f].refuse_min, fields[f].refuse_max);
				return false;
			}
			o->v[f] = d;
		} else if (strcmp(key, "time") == 0) {
			if (!json_is_string(v) ||
			    scalar_time(json_string_value(v), json_string_length(v), false,
			                &o->observed_at, why, sizeof(why)) != SM_OK) {
				rowerr_add(errs, o->index, "time", "%s",
				           json_is_string(v) ? why : "must be an RFC 3339 time");
				return false;
			}
			has_time = true;
		} else if (strcmp(key, "station") == 0) {
			const char *s = jsonin_string(v);
			if (!s || strlen(s) >= sizeof(o->station_ref) || !s[0]) {
				rowerr_add(errs, o->index, "station",
				           "must be a station id of 1 to 64 characters");
				return false;
			}
			snprintf(o->station_ref, sizeof(o->station_ref), "%s", s);
		} else if (strict) {
			rowerr_add(errs, o->index, key, "is not a field of a heat observation");
			return false;
		}
	}
	if (!has_time) {
		rowerr_add(errs, o->index, "time", "is required");
		return false;
	}
	if (o->observed_at < EARLIEST || o->observed_at > now + FAR_FUTURE) {
		rowerr_add(errs, o->index, "time",
		           "is before 2000 or more than a day in the future");
		return false;
	}
	if (o->observed_at > now + FUTURE_TOLERANCE)
		o->quality |= 1u << 6; /* time_future */
	for (int f = 0; f < 2; f++) {
		if (isnan(o->v[f])) {
			rowerr_add(errs, o->index, fields[f].name, "is required");
			return false;
		}
	}
	for (int f = 0; f < HF_NFIELDS; f++)
		if (!isnan(o->v[f]) &&
		    (o->v[f] < fields[f].flag_min || o->v[f] > fields[f].flag_max))
			o->quality |= 1u << 0; /* out_of_range */
	/* No humidity_high here: that flag is about optical PM sensors; for a
	 * heat station, humid air is the measurement that matters most. */

	struct heat_input in = {
	    .air_c = o->v[HF_TEMPERATURE],
	    .rh_pct = o->v[HF_HUMIDITY],
	    .has_globe = !isnan(o->v[HF_GLOBE]),
	    .globe_c = o->v[HF_GLOBE],
	    .globe_diameter_mm = isnan(o->v[HF_GLOBE_DIAMETER]) ? 150 : o->v[HF_GLOBE_DIAMETER],
	    .has_natural_wet_bulb = !isnan(o->v[HF_NATURAL_WET_BULB]),
	    .natural_wet_bulb_c = o->v[HF_NATURAL_WET_BULB],
	};
	if (!heat_derive(&in, &o->derived)) {
		rowerr_add(errs, o->index, "",
		           "the heat indices cannot be derived from these values");
		return false;
	}
	return true;
}

static sm_err alloc_rows(struct heat_batch *b, size_t n)
{
	b->rows = calloc(n ? n : 1, sizeof(*b->rows));
	return b->rows ? SM_OK : SM_ERR_NOMEM;
}

sm_err heatobs_parse(json_t *root, size_t max_rows, usec_t now, struct heat_batch *b, char *why,
                     size_t whylen)
{
	bool one = json_is_object(root);
	if (!one && !json_is_array(root)) {
		snprintf(why, whylen, "expected an observation object or an array of them");
		return SM_ERR_INVALID;
	}
	size_t n = one ? 1 : json_array_size(root);
	if (n > max_rows) {
		snprintf(why, whylen, "more than %zu observations", max_rows);
		return SM_ERR_TOO_LARGE;
	}
	if (alloc_rows(b, n) != SM_OK)
		return SM_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct heat_obs *o = &b->rows[b->n];
		memset(o, 0, sizeof(*o));
		o->index = i;
		if (parse_object(one ? root : json_array_get(root, i), true, 0, now, o, &b->errors))
			b->n++;
	}
	return SM_OK;
}

sm_err heatobs_parse_payload(json_t *payload, usec_t time, usec_t now, struct heat_batch *b,
                             char *why, size_t whylen)
{
	if (!json_is_object(payload)) {
		snprintf(why, whylen, "uplink_message.decoded_payload must be an object");
		return SM_ERR_INVALID;
	}
	if (alloc_rows(b, 1) != SM_OK)
		return SM_ERR_NOMEM;
	memset(&b->rows[0], 0, sizeof(b->rows[0]));
	if (parse_object(payload, false, time, now, &b->rows[0], &b->errors))
		b->n = 1;
	return SM_OK;
}
