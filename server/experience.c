#include "experience.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "jsonin.h"
#include "validate.h"

#define FAR_FUTURE (24 * 3600 * USEC_PER_SEC)
#define EARLIEST INT64_C(946684800000000) /* 2000-01-01T00:00:00Z */

/* The order of sql/002_readings.sql's experience_theme table. */
static const char *const themes[EXPERIENCE_THEMES] = {
    "moving_around",           "public_transport",       "traffic_and_parking",
    "streets_and_spaces",      "natural_space",          "play_and_recreation",
    "facilities_and_services", "work_and_economy",       "housing",
    "social_contact",          "identity_and_belonging", "feeling_safe",
    "care_and_maintenance",    "influence_and_control",
};

const char *experience_theme(size_t i)
{
	return themes[i];
}

void experience_batch_init(struct experience_batch *b)
{
	b->rows = NULL;
	b->n = 0;
	rowerr_init(&b->errors);
}

void experience_batch_cleanup(struct experience_batch *b)
{
	for (size_t i = 0; b->rows && i < b->n; i++)
		free(b->rows[i].remark);
	free(b->rows);
	rowerr_cleanup(&b->errors);
	experience_batch_init(b);
}

static bool parse_scores(json_t *scores, struct experience *x, struct row_errors *errs)
{
	const char *key;
	json_t *v;
	size_t scored = 0;
	if (!json_is_object(scores)) {
		rowerr_add(errs, x->index, "scores", "must be an object of theme: score");
		return false;
	}
	json_object_foreach(scores, key, v) {
		size_t t = 0;
		while (t < EXPERIENCE_THEMES && strcmp(themes[t], key) != 0)
			t++;
		if (t == EXPERIENCE_THEMES) {
			rowerr_add(errs, x->index, key, "is not a Leefplekmeter theme");
			return false;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 7) {
			rowerr_add(errs, x->index, key, "must be a whole score from 1 to 7");
			return false;
		}
		x->score[t] = (int)json_integer_value(v);
		scored++;
	}
	if (scored == 0) {
		rowerr_add(errs, x->index, "scores", "must score at least one theme");
		return false;
	}
	return true;
}

static bool coordinate(json_t *o, const char *name, double *out, struct experience *x,
                       struct row_errors *errs)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		rowerr_add(errs, x->index, name, "is required: a WGS84 coordinate");
		return false;
	}
	*out = json_number_value(v);
	return true;
}

static bool parse_one(json_t *o, usec_t now, struct experience *x, struct row_errors *errs)
{
	static const char *const allowed[] = {"time", "lat", "lon", "scores", "remark", "device"};
	char why[96];
	const char *key;
	json_t *v;
	if (!json_is_object(o)) {
		rowerr_add(errs, x->index, "", "a score sheet must be a JSON object");
		return false;
	}
	json_object_foreach(o, key, v) {
		size_t a = 0;
		while (a < sizeof(allowed) / sizeof(allowed[0]) && strcmp(allowed[a], key) != 0)
			a++;
		if (a == sizeof(allowed) / sizeof(allowed[0])) {
			rowerr_add(errs, x->index, key, "is not a field of a score sheet");
			return false;
		}
	}
	json_t *time = json_object_get(o, "time");
	if (!json_is_string(time) ||
	    scalar_time(json_string_value(time), json_string_length(time), false, &x->observed_at,
	                why, sizeof(why)) != SM_OK) {
		rowerr_add(errs, x->index, "time", "%s",
		           json_is_string(time) ? why : "is required: an RFC 3339 time");
		return false;
	}
	if (x->observed_at < EARLIEST || x->observed_at > now + FAR_FUTURE) {
		rowerr_add(errs, x->index, "time",
		           "is before 2000 or more than a day in the future");
		return false;
	}
	if (!coordinate(o, "lat", &x->lat, x, errs) || !coordinate(o, "lon", &x->lon, x, errs))
		return false;
	if (!geo_lat_in_netherlands(x->lat) || !geo_lon_in_netherlands(x->lon)) {
		rowerr_add(errs, x->index, geo_lat_in_netherlands(x->lat) ? "lon" : "lat",
		           "is outside the Netherlands");
		return false;
	}
	if (!parse_scores(json_object_get(o, "scores"), x, errs))
		return false;
	json_t *remark = json_object_get(o, "remark");
	if (!jsonin_absent(remark)) {
		const char *s = json_string_value(remark);
		if (!s || strlen(s) != json_string_length(remark) ||
		    !text_valid(s, EXPERIENCE_REMARK_MAX)) {
			rowerr_add(errs, x->index, "remark",
			           "must be text of 1 to %d characters without control characters",
			           EXPERIENCE_REMARK_MAX);
			return false;
		}
		x->remark = strdup(s);
		if (!x->remark) {
			rowerr_add(errs, x->index, "remark", "could not be kept (out of memory)");
			return false;
		}
	}
	json_t *device = json_object_get(o, "device");
	if (!jsonin_absent(device)) {
		const char *s = jsonin_string(device);
		if (!s || !s[0] || strlen(s) >= sizeof(x->device_ref)) {
			rowerr_add(errs, x->index, "device",
			           "must be a device id of 1 to 64 characters");
			return false;
		}
		snprintf(x->device_ref, sizeof(x->device_ref), "%s", s);
	}
	return true;
}

sm_err experience_parse(json_t *root, size_t max_rows, usec_t now, struct experience_batch *b,
                        char *why, size_t whylen)
{
	bool one = json_is_object(root);
	if (!one && !json_is_array(root)) {
		snprintf(why, whylen, "expected a score sheet object or an array of them");
		return SM_ERR_INVALID;
	}
	size_t n = one ? 1 : json_array_size(root);
	if (n > max_rows) {
		snprintf(why, whylen, "more than %zu score sheets", max_rows);
		return SM_ERR_TOO_LARGE;
	}
	b->rows = calloc(n ? n : 1, sizeof(*b->rows));
	if (!b->rows)
		return SM_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct experience *x = &b->rows[b->n];
		memset(x, 0, sizeof(*x));
		x->index = i;
		if (parse_one(one ? root : json_array_get(root, i), now, x, &b->errors)) {
			b->n++;
		} else {
			free(x->remark); /* a refused sheet keeps nothing */
			x->remark = NULL;
		}
	}
	return SM_OK;
}
