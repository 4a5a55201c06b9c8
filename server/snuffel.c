#include "snuffel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "geo.h"

#define MAX_COLUMNS 64
#define MAX_FIELD_BYTES 256
#define FUTURE_TOLERANCE (5 * 60 * USEC_PER_SEC)
#define FAR_FUTURE (24 * 3600 * USEC_PER_SEC)
#define EARLIEST INT64_C(946684800000000) /* 2000-01-01T00:00:00Z */

enum layout { LAYOUT_PLATFORM, LAYOUT_DEVICE };

enum column_kind {
	COL_IGNORE,
	COL_DEVICE,
	COL_RECORDED,
	COL_RECEIVED,
	COL_LAT,
	COL_LON,
	COL_ERROR,
	COL_VERSION_MAJOR,
	COL_VERSION_MINOR,
	COL_VALUE,
};

struct column {
	const char *name;
	enum column_kind kind;
	enum air_value value;
};

/* Names of both layouts (and the JSON form, which takes either). */
static const struct column columns[] = {
    {"entity_id", COL_DEVICE, 0},
    {"imei", COL_DEVICE, 0},
    {"recording_timestamp", COL_RECORDED, 0},
    {"created_at", COL_RECORDED, 0},
    {"receive_timestamp", COL_RECEIVED, 0},
    {"latitude", COL_LAT, 0},
    {"lat", COL_LAT, 0},
    {"longitude", COL_LON, 0},
    {"lon", COL_LON, 0},
    {"error_code", COL_ERROR, 0},
    {"version_major", COL_VERSION_MAJOR, 0},
    {"version_minor", COL_VERSION_MINOR, 0},
    {"temperature", COL_VALUE, AIR_TEMPERATURE},
    {"humidity", COL_VALUE, AIR_HUMIDITY},
    {"pressure", COL_VALUE, AIR_PRESSURE},
    {"voltage", COL_VALUE, AIR_VOLTAGE},
    {"battery", COL_VALUE, AIR_BATTERY},
    {"pm1_0", COL_VALUE, AIR_PM1},
    {"pm_1", COL_VALUE, AIR_PM1},
    {"pm2_5", COL_VALUE, AIR_PM25},
    {"pm_2_5", COL_VALUE, AIR_PM25},
    {"pm10", COL_VALUE, AIR_PM10},
    {"pm_10", COL_VALUE, AIR_PM10},
    {"no2", COL_VALUE, AIR_NO2},
    {"voc", COL_VALUE, AIR_VOC},
    {"acc_max", COL_VALUE, AIR_ACC_MAX},
    {"horizontal_accuracy", COL_VALUE, AIR_HACC},
    {"vertical_accuracy", COL_VALUE, AIR_VACC},
    {"sat_no", COL_VALUE, AIR_SATELLITES},
    {"uptime", COL_VALUE, AIR_UPTIME},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static const char *const value_names[AIR_NVALUES] = {
    [AIR_TEMPERATURE] = "temperature_c",
    [AIR_HUMIDITY] = "humidity_pct",
    [AIR_PRESSURE] = "pressure_pa",
    [AIR_VOLTAGE] = "voltage_v",
    [AIR_BATTERY] = "battery",
    [AIR_PM1] = "pm1_ugm3",
    [AIR_PM25] = "pm25_ugm3",
    [AIR_PM10] = "pm10_ugm3",
    [AIR_NO2] = "no2",
    [AIR_VOC] = "voc",
    [AIR_ACC_MAX] = "acc_max",
    [AIR_HACC] = "horizontal_accuracy",
    [AIR_VACC] = "vertical_accuracy",
    [AIR_SATELLITES] = "satellites",
    [AIR_UPTIME] = "uptime_s",
};

/* Physical ranges, in converted units: outside them a value is flagged. */
static const struct {
	double min, max;
} ranges[AIR_NVALUES] = {
    [AIR_TEMPERATURE] = {-40, 70}, [AIR_HUMIDITY] = {0, 100},  [AIR_PRESSURE] = {80000, 110000},
    [AIR_VOLTAGE] = {0, 20},       [AIR_BATTERY] = {0, 1e6},   [AIR_PM1] = {0, 1000},
    [AIR_PM25] = {0, 1000},        [AIR_PM10] = {0, 1000},     [AIR_NO2] = {0, 1e6},
    [AIR_VOC] = {0, 1e6},          [AIR_ACC_MAX] = {0, 1e6},   [AIR_HACC] = {0, 1e9},
    [AIR_VACC] = {0, 1e9},         [AIR_SATELLITES] = {0, 99}, [AIR_UPTIME] = {0, 1e10},
};

/* Quantities that cannot be negative whatever the sensor: a negative value
 * is not a measurement, and the row is refused. */
static bool never_negative(enum air_value v)
{
	return v == AIR_HUMIDITY || v == AIR_PM1 || v == AIR_PM25 || v == AIR_PM10 ||
	       v == AIR_SATELLITES || v == AIR_UPTIME;
}

const char *air_value_name(enum air_value v)
{
	return value_names[v];
}

void air_batch_init(struct air_batch *b)
{
	b->rows = NULL;
	b->n = b->cap = 0;
	rowerr_init(&b->errors);
}

void air_batch_cleanup(struct air_batch *b)
{
	free(b->rows);
	rowerr_cleanup(&b->errors);
	air_batch_init(b);
}

static const struct column *find_column(const char *name, size_t len)
{
	for (size_t i = 0; i < NCOLUMNS; i++)
		if (strlen(columns[i].name) == len && memcmp(columns[i].name, name, len) == 0)
			return &columns[i];
	return NULL;
}

/* A row being read: the cells as parsed, before conversion. */
struct row_build {
	struct air_reading r;
	double in[AIR_NVALUES];
	const char *in_name[AIR_NVALUES]; /* the column each value came from */
	bool has_time, has_lat, has_lon;
	bool failed;
};

static void row_start(struct row_build *rb, size_t index)
{
	memset(rb, 0, sizeof(*rb));
	rb->r.index = index;
	rb->r.error_code = -1;
	rb->r.version_major = rb->r.version_minor = -1;
	for (size_t v = 0; v < AIR_NVALUES; v++)
		rb->in[v] = rb->r.value[v] = rb->r.raw[v] = NAN;
}

static void row_fail(struct row_build *rb, struct row_errors *errs, const char *field,
                     const char *reason)
{
	if (!rb->failed)
		rowerr_add(errs, rb->r.index, field, "%s", reason);
	rb->failed = true;
}

/* Takes one cell. Empty cells are absent values. */
static void row_cell(struct row_build *rb, const struct column *c, const char *s, size_t n,
                     enum layout layout, struct row_errors *errs)
{
	if (n == 0 || rb->failed)
		return;
	char why[96];
	int64_t i;
	double d;
	switch (c->kind) {
	case COL_IGNORE: return;
	case COL_DEVICE:
		if (n > AIR_DEVICE_REF_MAX) {
			row_fail(rb, errs, c->name, "longer than 64 characters");
			return;
		}
		for (size_t k = 0; k < n; k++) {
			if ((unsigned char)s[k] < 0x21 || (unsigned char)s[k] > 0x7e) {
				row_fail(rb, errs, c->name,
				         "must be printable ASCII without spaces");
				return;
			}
		}
		memcpy(rb->r.device_ref, s, n);
		rb->r.device_ref[n] = '\0';
		return;
	case COL_RECORDED:
	case COL_RECEIVED: {
		usec_t t;
		/* The platform export writes UTC without an offset; others must say. */
		if (scalar_time(s, n, layout == LAYOUT_PLATFORM, &t, why, sizeof(why)) != SM_OK) {
			row_fail(rb, errs, c->name, why);
			return;
		}
		if (c->kind == COL_RECORDED) {
			rb->r.recorded_at = t;
			rb->has_time = true;
		} else {
			rb->r.received_at = t;
		}
		return;
	}
	case COL_LAT:
	case COL_LON:
		if (!scalar_double(s, n, &d)) {
			row_fail(rb, errs, c->name, "not a number");
			return;
		}
		if (c->kind == COL_LAT) {
			rb->r.lat = d;
			rb->has_lat = true;
		} else {
			rb->r.lon = d;
			rb->has_lon = true;
		}
		return;
	case COL_ERROR:
	case COL_VERSION_MAJOR:
	case COL_VERSION_MINOR:
		if (!scalar_int(s, n, 0, INT32_MAX, &i)) {
			row_fail(rb, errs, c->name, "not a non-negative integer");
			return;
		}
		if (c->kind == COL_ERROR)
			rb->r.error_code = (int32_t)i;
		else if (c->kind == COL_VERSION_MAJOR)
			rb->r.version_major = (int)i;
		else
			rb->r.version_minor = (int)i;
		return;
	case COL_VALUE:
		if (!scalar_double(s, n, &d) || fabs(d) > 1e10) {
			row_fail(rb, errs, c->name, "not a number, or absurdly large");
			return;
		}
		rb->in[c->value] = d;
		rb->in_name[c->value] = c->name;
		return;
	}
}

/* Converts units, checks what needs the whole row, sets the row's own
 * quality flags. False when the row is refused. */
static bool row_finish(struct row_build *rb, enum layout layout, const struct snuffel_limits *lim,
                       struct row_errors *errs)
{
	struct air_reading *r = &rb->r;
	const char *time_name = layout == LAYOUT_PLATFORM ? "recording_timestamp" : "created_at";
	if (rb->failed)
		return false;
	if (!rb->has_time) {
		row_fail(rb, errs, time_name, "is required");
		return false;
	}
	r->time_field = time_name;
	if (r->recorded_at < EARLIEST) {
		row_fail(rb, errs, time_name, "is before 2000");
		return false;
	}
	if (r->recorded_at > lim->now + FAR_FUTURE) {
		row_fail(rb, errs, time_name, "is more than a day in the future");
		return false;
	}
	usec_t reference = r->received_at ? r->received_at : lim->now;
	if (r->recorded_at > reference + FUTURE_TOLERANCE)
		r->quality |= 1u << 6; /* time_future */

	if (rb->has_lat && rb->has_lon && !(r->lat == 0 && r->lon == 0)) {
		if (!geo_lat_in_netherlands(r->lat)) {
			row_fail(rb, errs, layout == LAYOUT_PLATFORM ? "latitude" : "lat",
			         "is outside the Netherlands");
			return false;
		}
		if (!geo_lon_in_netherlands(r->lon)) {
			row_fail(rb, errs, layout == LAYOUT_PLATFORM ? "longitude" : "lon",
			         "is outside the Netherlands");
			return false;
		}
		r->has_position = true;
	} else {
		r->quality |= 1u << 1; /* gps_missing */
	}

	if (r->error_code >= 0) {
		if (r->error_code & AIR_ERROR_CRITICAL)
			r->quality |= 1u << 3; /* device_error */
		if (r->error_code & AIR_ERROR_NO_FIX)
			r->quality |= 1u << 1;
		if (r->error_code & AIR_ERROR_PM_WARMING)
			r->quality |= 1u << 9; /* pm_warming_up */
	}

	for (size_t v = 0; v < AIR_NVALUES; v++) {
		double x = rb->in[v];
		if (isnan(x))
			continue;
		if (x < 0 && never_negative((enum air_value)v)) {
			row_fail(rb, errs, rb->in_name[v], "cannot be negative");
			return false;
		}
		double y = x;
		if (layout == LAYOUT_PLATFORM) {
			switch (v) {
			case AIR_TEMPERATURE: y = x * 0.1; break;
			case AIR_PRESSURE: y = x * 100; break;
			case AIR_VOLTAGE: y = x * 0.1 + 3; break;
			case AIR_PM1:
			case AIR_PM25:
			case AIR_PM10: y = r->version_major >= 2 ? x * 0.01 : x; break;
			default: break;
			}
			if (v == AIR_TEMPERATURE || v == AIR_PRESSURE || v == AIR_VOLTAGE ||
			    v == AIR_PM1 || v == AIR_PM25 || v == AIR_PM10)
				r->raw[v] =
				    x; /* a value that has a conversion keeps its original */
		}
		r->value[v] = y;
		if (y < ranges[v].min || y > ranges[v].max)
			r->quality |= 1u << 0; /* out_of_range */
	}
	if (r->value[AIR_HUMIDITY] > 85)
		r->quality |= 1u << 4; /* humidity_high */
	return true;
}

static sm_err batch_push(struct air_batch *b, const struct air_reading *r)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct air_reading *p = realloc(b->rows, cap * sizeof(*p));
		if (!p)
			return SM_ERR_NOMEM;
		b->rows = p;
		b->cap = cap;
	}
	b->rows[b->n++] = *r;
	return SM_OK;
}

sm_err snuffel_parse_csv(const char *data, size_t len, const struct snuffel_limits *lim,
                         struct air_batch *b, char *why, size_t whylen)
{
	struct csv_limits cl = {MAX_FIELD_BYTES, MAX_COLUMNS, lim->max_rows + 1};
	struct csv_reader rd;
	struct csv_field f[MAX_COLUMNS];
	const struct column *map[MAX_COLUMNS];
	size_t ncols = 0, nf = 0;
	bool has_time = false, platform = false;
	sm_err e;

	csv_init(&rd, data, len, &cl);
	e = csv_next(&rd, f, &ncols, why, whylen);
	if (e == SM_ERR_NOT_FOUND) {
		snprintf(why, whylen, "the body is empty: expected a CSV header line");
		e = SM_ERR_INVALID;
	}
	if (e == SM_ERR_TOO_LARGE)
		e = SM_ERR_INVALID; /* a header past the column limits is not a header */
	if (e != SM_OK)
		goto out;
	for (size_t i = 0; i < ncols; i++) {
		map[i] = find_column(f[i].p, f[i].len);
		if (map[i] && map[i]->kind == COL_RECORDED)
			has_time = true;
		if (map[i] &&
		    (csv_field_is(f[i], "entity_id") || csv_field_is(f[i], "recording_timestamp")))
			platform = true;
	}
	if (!has_time) {
		snprintf(why, whylen,
		         "the header names no time column: expected recording_timestamp (platform "
		         "export) or created_at (device CSV)");
		e = SM_ERR_INVALID;
		goto out;
	}
	enum layout layout = platform ? LAYOUT_PLATFORM : LAYOUT_DEVICE;

	for (size_t index = 0;; index++) {
		e = csv_next(&rd, f, &nf, why, whylen);
		if (e == SM_ERR_NOT_FOUND) {
			e = SM_OK;
			break;
		}
		if (e == SM_ERR_TOO_LARGE && index >= lim->max_rows) {
			snprintf(why, whylen, "more than %zu rows", lim->max_rows);
			goto out;
		}
		if (e != SM_OK) {
			if (e == SM_ERR_TOO_LARGE)
				e = SM_ERR_INVALID;
			goto out;
		}
		struct row_build rb;
		row_start(&rb, index);
		if (nf != ncols) {
			rowerr_add(&b->errors, index, "",
			           "has %zu fields where the header has %zu (CSV line %zu)", nf,
			           ncols, csv_line(&rd));
			continue;
		}
		for (size_t i = 0; i < nf; i++)
			if (map[i])
				row_cell(&rb, map[i], f[i].p, f[i].len, layout, &b->errors);
		if (!row_finish(&rb, layout, lim, &b->errors))
			continue;
		e = batch_push(b, &rb.r);
		if (e != SM_OK)
			goto out;
	}
out:
	if (e != SM_OK)
		b->n = 0; /* nothing is kept from a body that cannot be read */
	csv_cleanup(&rd);
	return e;
}

/* A JSON member as text for row_cell: strings as they are, numbers printed. */
static bool member_text(json_t *v, char *tmp, size_t tmplen, const char **s, size_t *n)
{
	if (json_is_string(v)) {
		*s = json_string_value(v);
		*n = json_string_length(v);
		return true;
	}
	if (json_is_integer(v)) {
		snprintf(tmp, tmplen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(tmp, tmplen, "%.17g", json_real_value(v));
	} else {
		return false;
	}
	*s = tmp;
	*n = strlen(tmp);
	return true;
}

sm_err snuffel_parse_json(json_t *root, const struct snuffel_limits *lim, struct air_batch *b,
                          char *why, size_t whylen)
{
	if (!json_is_array(root)) {
		snprintf(why, whylen, "expected a JSON array of readings");
		return SM_ERR_INVALID;
	}
	if (json_array_size(root) > lim->max_rows) {
		snprintf(why, whylen, "more than %zu rows", lim->max_rows);
		return SM_ERR_TOO_LARGE;
	}
	size_t index;
	json_t *obj;
	json_array_foreach(root, index, obj) {
		struct row_build rb;
		row_start(&rb, index);
		if (!json_is_object(obj)) {
			rowerr_add(&b->errors, index, "", "a reading must be a JSON object");
			continue;
		}
		enum layout layout = json_object_get(obj, "entity_id") ||
		                             json_object_get(obj, "recording_timestamp") ||
		                             json_object_get(obj, "version_major")
		                         ? LAYOUT_PLATFORM
		                         : LAYOUT_DEVICE;
		/* The version decides conversions, whatever the member order. */
		const char *key;
		json_t *v;
		char tmp[64];
		json_object_foreach(obj, key, v) {
			const struct column *c = find_column(key, strlen(key));
			const char *s;
			size_t n;
			if (!c || json_is_null(v))
				continue;
			if (!member_text(v, tmp, sizeof(tmp), &s, &n)) {
				row_fail(&rb, &b->errors, c->name, "must be a number or a string");
				break;
			}
			row_cell(&rb, c, s, n, layout, &b->errors);
		}
		if (!row_finish(&rb, layout, lim, &b->errors))
			continue;
		sm_err e = batch_push(b, &rb.r);
		if (e != SM_OK)
			return e;
	}
	return SM_OK;
}

static int by_device_time(const void *a, const void *b)
{
	const struct air_reading *x = a, *y = b;
	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	if (x->recorded_at != y->recorded_at)
		return x->recorded_at < y->recorded_at ? -1 : 1;
	return 0;
}

void snuffel_flag_batch(struct air_batch *b)
{
	if (b->n == 0)
		return; /* rows may be NULL: qsort must not see it */
	qsort(b->rows, b->n, sizeof(b->rows[0]), by_device_time);
	size_t run_start = 0;
	const struct air_reading *last_good = NULL;
	for (size_t i = 0; i < b->n; i++) {
		struct air_reading *r = &b->rows[i];
		bool new_device = i == 0 || r->device != b->rows[i - 1].device;
		if (new_device) {
			last_good = NULL;
			run_start = i;
		}
		if (r->has_position) {
			if (last_good) {
				double d =
				    geo_distance_m(last_good->lat, last_good->lon, r->lat, r->lon);
				double dt = (double)(r->recorded_at - last_good->recorded_at) /
				            USEC_PER_SEC;
				if (d > AIR_JUMP_MIN_M && (dt <= 0 || d / dt > AIR_JUMP_SPEED_MS))
					r->quality |= 1u << 2; /* gps_jump */
			}
			if (!(r->quality & (1u << 2)))
				last_good = r;
		}
		/* A particulate value repeated AIR_STUCK_RUN times or more. */
		if (!new_device && r->value[AIR_PM25] != b->rows[i - 1].value[AIR_PM25])
			run_start = i;
		if (!isnan(r->value[AIR_PM25]) && i + 1 - run_start >= AIR_STUCK_RUN) {
			for (size_t k = run_start; k <= i; k++)
				b->rows[k].quality |= 1u << 5; /* stuck_value */
		}
	}
}
