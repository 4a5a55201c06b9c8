/* POST /v1/ingest/snuffelfiets: Snuffelfiets readings as CSV (platform
 * export or device v3) or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "geo.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "jsonin.h"
#include "snuffel.h"

/* Parses the body by its content type; false when the answer is given. */
static bool parse_body(struct request *r, const struct snuffel_limits *lim, struct air_batch *b)
{
	char why[256];
	sm_err e;
	if (request_content_type_is(r, "text/csv")) {
		e = snuffel_parse_csv(r->body.data ? r->body.data : "", r->body.len, lim, b, why,
		                      sizeof(why));
	} else {
		json_t *root = NULL;
		if (!ingest_json_body(r, &root))
			return false;
		e = snuffel_parse_json(root, lim, b, why, sizeof(why));
		json_decref(root);
	}
	if (e != SM_OK) {
		respond_unparsable(r, e, why);
		return false;
	}
	return true;
}

/* The values sent in other units, as a JSON object for the `raw` column. */
static sm_err raw_json(struct buf *copy, const struct air_reading *a)
{
	static const char *const names[AIR_NVALUES] = {
	    [AIR_TEMPERATURE] = "temperature",
	    [AIR_PRESSURE] = "pressure",
	    [AIR_VOLTAGE] = "voltage",
	    [AIR_PM1] = "pm1_0",
	    [AIR_PM25] = "pm2_5",
	    [AIR_PM10] = "pm10",
	};
	char text[256];
	size_t n = 0;
	for (size_t v = 0; v < AIR_NVALUES; v++) {
		if (!names[v] || isnan(a->raw[v]))
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"%s\":%.9g", n ? "," : "{",
		                      names[v], a->raw[v]);
	}
	if (n == 0)
		return copy_null(copy);
	snprintf(text + n, sizeof(text) - n, "}");
	return copy_text(copy, text);
}

/* One reading in air_reading's column order. */
static sm_err copy_reading(struct buf *copy, const struct air_reading *a,
                           const struct device_slot *device)
{
	char point[GEO_EWKB_POINT_HEX];
	uint32_t quality = a->quality;
	if (device->in_service_since && a->recorded_at < device->in_service_since)
		quality |= 1u << 7; /* time_before_service */
	sm_err e = copy_text(copy, device->id);
	if (e == SM_OK)
		e = copy_time(copy, a->recorded_at);
	if (e == SM_OK)
		e = copy_time(copy, a->received_at);
	if (e == SM_OK && a->has_position) {
		geo_point_ewkb_hex(a->lon, a->lat, point);
		e = copy_text(copy, point);
	} else if (e == SM_OK) {
		e = copy_null(copy);
	}
	for (size_t v = 0; e == SM_OK && v < AIR_NVALUES; v++) {
		bool integral = v == AIR_SATELLITES || v == AIR_UPTIME;
		if (integral && !isnan(a->value[v]))
			e = copy_int(copy, llround(a->value[v]));
		else
			e = copy_double(copy, a->value[v]);
	}
	if (e == SM_OK)
		e = a->error_code >= 0 ? copy_int(copy, a->error_code) : copy_null(copy);
	if (e == SM_OK) {
		char firmware[32];
		snprintf(firmware, sizeof(firmware), "%d.%d", a->version_major,
		         a->version_minor < 0 ? 0 : a->version_minor);
		e = a->version_major >= 0 ? copy_text(copy, firmware) : copy_null(copy);
	}
	if (e == SM_OK)
		e = copy_int(copy, quality);
	if (e == SM_OK)
		e = raw_json(copy, a);
	if (e == SM_OK)
		e = copy_row_end(copy);
	return e;
}

static void air_row(void *batch, size_t i, size_t *index, char **ref, size_t **slot)
{
	struct air_reading *a = &((struct air_batch *)batch)->rows[i];
	*index = a->index;
	*ref = a->device_ref;
	*slot = &a->device;
}

static usec_t air_time(const void *batch, size_t i, const char **field)
{
	const struct air_reading *a = &((const struct air_batch *)batch)->rows[i];
	*field = a->time_field;
	return a->recorded_at;
}

/* Array literals of the trip segments in the batch, which is sorted by
 * device and time: a gap of 30 minutes or more starts a new segment. */
#define TRIP_GAP (30 * 60 * USEC_PER_SEC)

static sm_err trip_segments(const struct air_batch *b, const struct device_set *devices,
                            struct buf *ids, struct buf *starts, struct buf *ends)
{
	sm_err e = SM_OK;
	const char *sep = "{";
	for (size_t i = 0; e == SM_OK && i < b->n; i++) {
		const struct air_reading *a = &b->rows[i];
		size_t j = i;
		while (j + 1 < b->n && b->rows[j + 1].device == a->device &&
		       b->rows[j + 1].recorded_at - b->rows[j].recorded_at < TRIP_GAP)
			j++;
		char s[SCALAR_TIME_LEN], t[SCALAR_TIME_LEN];
		scalar_time_format(a->recorded_at, s);
		scalar_time_format(b->rows[j].recorded_at, t);
		e = buf_printf(ids, "%s%s", sep, devices->slots[a->device].id);
		if (e == SM_OK)
			e = buf_printf(starts, "%s\"%s\"", sep, s);
		if (e == SM_OK)
			e = buf_printf(ends, "%s\"%s\"", sep, t);
		sep = ",";
		i = j;
	}
	if (e == SM_OK)
		e = buf_puts(ids, b->n ? "}" : "{}");
	if (e == SM_OK)
		e = buf_puts(starts, b->n ? "}" : "{}");
	if (e == SM_OK)
		e = buf_puts(ends, b->n ? "}" : "{}");
	return e;
}

void handle_ingest_snuffelfiets(struct request *r)
{
	struct ingest_target t;
	struct air_batch b;
	struct buf copy, trip_ids, trip_starts, trip_ends;
	air_batch_init(&b);
	buf_init(&copy, 0);
	buf_init(&trip_ids, 0);
	buf_init(&trip_starts, 0);
	buf_init(&trip_ends, 0);
	if (!ingest_target(r, "air", &t))
		goto out;

	struct snuffel_limits lim = {(size_t)r->app->cfg->ingest_max_rows, scalar_now()};
	if (!parse_body(r, &lim, &b))
		goto out;
	sm_err e = SM_OK;

	/* Tie rows to devices (the identifiers are wiped once pseudonymised),
	 * and keep those that may be stored, for the flags and trips. */
	struct ingest_rows rows = {&b, b.n, &b.errors, "entity_id", false, air_row, NULL, air_time};
	if (!ingest_tie_devices(r, &t, &rows))
		goto out;
	size_t kept = 0;
	for (size_t i = 0; i < b.n; i++)
		if (!ingest_row_refused(&t, &rows, i))
			b.rows[kept++] = b.rows[i];
	b.n = kept;
	snuffel_flag_batch(&b);

	usec_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; e == SM_OK && i < b.n; i++) {
		e = copy_reading(&copy, &b.rows[i], &t.devices->slots[b.rows[i].device]);
		lo = b.rows[i].recorded_at < lo ? b.rows[i].recorded_at : lo;
		hi = b.rows[i].recorded_at > hi ? b.rows[i].recorded_at : hi;
	}
	if (e == SM_OK)
		e = trip_segments(&b, t.devices, &trip_ids, &trip_starts, &trip_ends);
	long long accepted = 0, duplicates = 0;
	if (e == SM_OK && b.n > 0) {
		struct air_direct batch = {&copy, b.n, lo, hi, &trip_ids, &trip_starts, &trip_ends};
		e = ingest_air_direct(r->app->db, &batch, &accepted, &duplicates);
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	respond_ingest(r, accepted, duplicates, &b.errors);
out:
	ingest_target_cleanup(&t);
	air_batch_cleanup(&b);
	buf_cleanup(&copy);
	buf_cleanup(&trip_ids);
	buf_cleanup(&trip_starts);
	buf_cleanup(&trip_ends);
}
