/* Heat-stress stations: observations in our JSON form (POST /v1/ingest/heat,
 * device or admin token) and The Things Stack v3 uplink webhooks
 * (POST /v1/ingest/ttn, a per-project secret), plus issuing that secret. */
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "heatobs.h"
#include "jsonin.h"
#include "validate.h"

static const struct db_stmt webhook_secret_set = {
    "webhook_secret_set",
    "UPDATE project SET webhook_secret_hash = decode($2, 'hex') WHERE slug = $1 RETURNING slug",
    2,
};

static const struct db_stmt webhook_project = {
    "webhook_project",
    "SELECT id, kind, auto_register, encode(webhook_secret_hash, 'hex') FROM project "
    "WHERE slug = $1",
    1,
};

static sm_err copy_observation(struct buf *copy, const struct heat_obs *o, const char *device)
{
	const struct heat_result *d = &o->derived;
	sm_err e = copy_text(copy, device);
	if (e == SM_OK)
		e = copy_time(copy, o->observed_at);
	for (int f = 0; e == SM_OK && f < HF_NFIELDS; f++)
		e = copy_double(copy, o->v[f]);
	if (e == SM_OK)
		e = copy_double(copy, d->wet_bulb_c);
	if (e == SM_OK)
		e = copy_text(copy, d->wet_bulb_in_range ? "stull2011" : "stull2011-out-of-range");
	if (e == SM_OK)
		e = copy_double(copy, d->wbgt_c);
	if (e == SM_OK)
		e = copy_text(copy, d->wbgt_method);
	if (e == SM_OK)
		e = copy_text(copy, d->wbgt_approximate ? "t" : "f");
	if (e == SM_OK)
		e = copy_text(copy, d->wbgt_category);
	if (e == SM_OK)
		e = copy_double(copy, d->heat_index_c);
	if (e == SM_OK)
		e = copy_text(copy, d->heat_index_method);
	if (e == SM_OK)
		e = copy_text(copy, d->heat_index_category);
	if (e == SM_OK)
		e = copy_double(copy, d->humidex);
	if (e == SM_OK)
		e = copy_text(copy, d->humidex_category);
	if (e == SM_OK)
		e = copy_int(copy, o->quality);
	if (e == SM_OK)
		e = copy_row_end(copy);
	return e;
}

static void heat_row(void *batch, size_t i, size_t *index, char **ref, size_t **slot)
{
	struct heat_obs *o = &((struct heat_batch *)batch)->rows[i];
	*index = o->index;
	*ref = o->station_ref;
	*slot = &o->device;
}

static sm_err heat_copy(struct buf *copy, const void *batch, size_t i,
                        const struct device_slot *device)
{
	return copy_observation(copy, &((const struct heat_batch *)batch)->rows[i], device->id);
}

static usec_t heat_time(const void *batch, size_t i, const char **field)
{
	*field = "time";
	return ((const struct heat_batch *)batch)->rows[i].observed_at;
}

/* Ties observations to devices, stores them and answers. */
static void store_observations(struct request *r, struct ingest_target *t, struct heat_batch *b,
                               const char *device_field)
{
	struct ingest_rows rows = {b,     b->n,     &b->errors, device_field,
	                           false, heat_row, heat_copy,  heat_time};
	ingest_store(r, t, &rows, &ingest_heat);
}

void handle_ingest_heat(struct request *r)
{
	struct ingest_target t;
	struct heat_batch b;
	json_t *root = NULL;
	char why[256];
	heat_batch_init(&b);
	if (!ingest_target(r, "heat", &t))
		goto out;
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err e = heatobs_parse(root, (size_t)r->app->cfg->ingest_max_rows, scalar_now(), &b, why,
	                         sizeof(why));
	if (e != SM_OK) {
		respond_unparsable(r, e, why);
		goto out;
	}
	store_observations(r, &t, &b, "station");
out:
	ingest_target_cleanup(&t);
	heat_batch_cleanup(&b);
	json_decref(root);
}

void handle_webhook_secret(struct request *r)
{
	const char *slug;
	if (!param_slug(r, 0, "slug", &slug))
		return;
	char secret[TOKEN_STRLEN], hash[PSEUDONYM_HEX_BYTES];
	token_generate("smw_", secret);
	pseudonym_hex(PSEUDO_TOKEN, secret, strlen(secret), hash);
	const char *params[] = {slug, hash};
	struct db_conn *c;
	PGresult *res = NULL;
	sm_err e = db_acquire(r->app->db, &c);
	if (e == SM_OK) {
		e = db_exec(c, &webhook_secret_set, params, &res);
		db_release(r->app->db, c);
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
	} else if (PQntuples(res) == 0) {
		respond_problem(r, PROBLEM_NOT_FOUND, NULL, "project \"%s\" does not exist", slug);
	} else {
		respond_header(r, "Cache-Control", "no-store");
		respond_json(r, 200,
		             json_pack("{s:s, s:s, s:s}", "project", slug, "header",
		                       WEBHOOK_SECRET_HEADER, "secret", secret));
	}
	PQclear(res);
	sodium_memzero(secret, sizeof(secret));
}

/* Checks the webhook's project and secret; fills t as for an admin import
 * of that project. On false the response is set. */
static bool webhook_target(struct request *r, struct ingest_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *slug = request_query(r, "project");
	if (!slug || !slug_valid(slug)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "project",
		                "the webhook URL names its project: add ?project=<slug>");
		return false;
	}
	const char *params[] = {slug};
	struct db_conn *c;
	PGresult *res = NULL;
	sm_err e = db_acquire(r->app->db, &c);
	if (e == SM_OK) {
		e = db_exec(c, &webhook_project, params, &res);
		db_release(r->app->db, c);
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	uint8_t want[PSEUDONYM_BYTES], got[PSEUDONYM_BYTES];
	size_t n = 0;
	bool ok =
	    PQntuples(res) == 1 && !PQgetisnull(res, 0, 3) && r->webhook_secret &&
	    sodium_hex2bin(want, sizeof(want), PQgetvalue(res, 0, 3), 64, NULL, &n, NULL) == 0 &&
	    n == PSEUDONYM_BYTES;
	if (ok) {
		pseudonym_hash(PSEUDO_TOKEN, r->webhook_secret, strlen(r->webhook_secret), got);
		ok = pseudonym_equal(want, got);
	}
	if (!ok) {
		PQclear(res);
		respond_header(r, "WWW-Authenticate", "Bearer realm=\"samenmeten\"");
		respond_problem(r, PROBLEM_UNAUTHORIZED, NULL,
		                "the webhook needs the project's secret in the %s header",
		                WEBHOOK_SECRET_HEADER);
		return false;
	}
	bool heat = strcmp(PQgetvalue(res, 0, 1), "heat") == 0;
	t->project_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	t->auto_register = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	t->admin = true; /* rows name their device; none is implied */
	PQclear(res);
	if (!heat) {
		respond_problem(
		    r, PROBLEM_INVALID_PARAMETER, "project",
		    "LoRaWAN uplinks are heat-station observations: use a heat project");
		return false;
	}
	t->devices = calloc(1, sizeof(*t->devices));
	if (!t->devices) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		return false;
	}
	return true;
}

void handle_ingest_ttn(struct request *r)
{
	struct ingest_target t;
	struct heat_batch b;
	json_t *root = NULL;
	char why[256];
	heat_batch_init(&b);
	if (!webhook_target(r, &t))
		goto out;
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err e;
	/* The Things Stack v3: end_device_ids.device_id, received_at, and
	 * uplink_message.decoded_payload. Gateway metadata is not kept. */
	const char *device =
	    jsonin_string(json_object_get(json_object_get(root, "end_device_ids"), "device_id"));
	json_t *received = json_object_get(root, "received_at");
	json_t *payload =
	    json_object_get(json_object_get(root, "uplink_message"), "decoded_payload");
	usec_t at;
	if (!device || !device[0] || strlen(device) > 64) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "end_device_ids.device_id",
		                "the uplink names no end device");
		goto out;
	}
	if (!json_is_string(received) ||
	    scalar_time(json_string_value(received), json_string_length(received), false, &at, why,
	                sizeof(why)) != SM_OK) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "received_at",
		                "the uplink has no valid received_at time");
		goto out;
	}
	e = heatobs_parse_payload(payload, at, scalar_now(), &b, why, sizeof(why));
	if (e != SM_OK) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "uplink_message.decoded_payload", "%s",
		                why);
		goto out;
	}
	if (b.n == 1)
		snprintf(b.rows[0].station_ref, sizeof(b.rows[0].station_ref), "%s", device);
	store_observations(r, &t, &b, "end_device_ids.device_id");
out:
	ingest_target_cleanup(&t);
	heat_batch_cleanup(&b);
	json_decref(root);
}
