/* POST /v1/ingest/snuffelfiets: Snuffelfiets readings as CSV (platform
 * export or device v3) or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "jsonin.h"
#include "snuffel.h"

/* Parses the body by its content type. */
static sm_err parse_body(struct request *r, const struct snuffel_limits *lim, struct air_batch *b,
                         char *why, size_t whylen)
{
	if (request_content_type_is(r, "text/csv"))
		return snuffel_parse_csv(r->body.data ? r->body.data : "", r->body.len, lim, b, why,
		                         whylen);
	json_t *root = NULL;
	char syntax[200];
	sm_err e = jsonin_parse(r->body.data ? r->body.data : "", r->body.len,
	                        r->app->cfg->json_max_depth, &root, syntax, sizeof(syntax));
	if (e != SM_OK) {
		snprintf(why, whylen, "the body is not valid JSON: %s", syntax);
		return e;
	}
	e = snuffel_parse_json(root, lim, b, why, whylen);
	json_decref(root);
	return e;
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

static sm_err copy_reading(struct buf *copy, const struct air_reading *a, const char *device_id)
{
	sm_err e = copy_text(copy, device_id);
	if (e == SM_OK)
		e = copy_time(copy, a->recorded_at);
	if (e == SM_OK)
		e = copy_time(copy, a->received_at);
	if (e == SM_OK)
		e = a->has_position ? copy_double(copy, a->lat) : copy_null(copy);
	if (e == SM_OK)
		e = a->has_position ? copy_double(copy, a->lon) : copy_null(copy);
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
		e = copy_int(copy, a->quality);
	if (e == SM_OK)
		e = raw_json(copy, a);
	if (e == SM_OK)
		e = copy_row_end(copy);
	return e;
}

void handle_ingest_snuffelfiets(struct request *r)
{
	struct ingest_target t;
	struct air_batch b;
	struct buf copy;
	air_batch_init(&b);
	buf_init(&copy, 0);
	if (!ingest_target(r, "air", &t))
		goto out;

	char why[256];
	struct snuffel_limits lim = {(size_t)r->app->cfg->ingest_max_rows, scalar_now()};
	sm_err e = parse_body(r, &lim, &b, why, sizeof(why));
	if (e != SM_OK) {
		respond_unparsable(r, e, why);
		goto out;
	}

	/* Tie rows to devices; the identifiers are wiped once pseudonymised. */
	for (size_t i = 0; i < b.n; i++) {
		struct air_reading *a = &b.rows[i];
		if (!ingest_row_device(r, &t, a->device_ref, "entity_id", a->index, &b.errors,
		                       &a->device))
			goto out;
		memset(a->device_ref, 0, sizeof(a->device_ref));
	}
	if (!ingest_resolve(r, &t))
		goto out;
	size_t kept = 0;
	for (size_t i = 0; i < b.n; i++) {
		const char *refusal = ingest_slot_refusal(&t, b.rows[i].device);
		if (refusal) {
			if (b.rows[i].device != SIZE_MAX) /* already listed */
				rowerr_add(&b.errors, b.rows[i].index, "entity_id", "%s", refusal);
			continue;
		}
		b.rows[kept++] = b.rows[i];
	}
	b.n = kept;
	snuffel_flag_batch(&b);

	for (size_t i = 0; e == SM_OK && i < b.n; i++)
		e = copy_reading(&copy, &b.rows[i], t.devices->slots[b.rows[i].device].id);
	long long accepted = 0, duplicates = 0;
	if (e == SM_OK && b.n > 0)
		e = ingest_run(r->app->db, &ingest_air, &copy, &accepted, &duplicates);
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	respond_ingest(r, accepted, duplicates, &b.errors);
out:
	ingest_target_cleanup(&t);
	air_batch_cleanup(&b);
	buf_cleanup(&copy);
}
