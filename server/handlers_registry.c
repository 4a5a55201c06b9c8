/* The registry: projects and their devices (admin token). Identifiers a
 * coordinator sends are turned into pseudonyms before any SQL sees them; a
 * device token is shown once, in the answer that creates or rotates it. */
#include "handlers.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "catalogue.h"
#include "dbjson.h"
#include "geo.h"
#include "ingest.h"
#include "log.h"
#include "pseudonym.h"
#include "validate.h"

#define NAME_MAX_CHARS 200
#define LICENCE_MAX_CHARS 100
#define IDENTIFIER_MAX_CHARS 128
#define REASON_MAX_CHARS 500

/* The privacy defaults of a project; weaker settings need a stated reason. */
#define PROJECT_K_DEFAULT 3
#define PROJECT_TRIM_DEFAULT_M 200

static const struct db_stmt project_insert = {
    "project_insert",
    "INSERT INTO project (slug, name, kind, licence, k_anonymity, trim_min_m, auto_register,"
    " privacy_weakened) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING project_json(project)",
    8,
};

static const struct db_stmt device_insert = {
    "device_insert",
    "INSERT INTO device (project_id, external_pseudonym, participant_pseudonym, token_hash,"
    " position, exact_position_consent, in_service_since)"
    " SELECT p.id, decode($2, 'hex'), decode($3, 'hex'), decode($4, 'hex'),"
    " CASE WHEN $5::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($6::float8, $5::float8), 4326)"
    " END, $7::boolean, $8::timestamptz FROM project p WHERE p.slug = $1"
    " RETURNING device_json(device)",
    8,
};

/* NULL when the project does not exist; an empty list when it has none.
 * $2 narrows the list to one external id's pseudonym. */
static const struct db_stmt device_list = {
    "device_list",
    "SELECT json_build_object('items', coalesce((SELECT json_agg(device_json(d) ORDER BY "
    "d.created_at, d.id) FROM device d WHERE d.project_id = p.id AND ($2::text IS NULL OR "
    "d.external_pseudonym = decode($2, 'hex'))), '[]')) FROM project p WHERE p.slug = $1",
    2,
};

static const struct db_stmt device_get = {
    "device_get",
    "SELECT device_json(d) FROM device d WHERE d.id = $1::uuid",
    1,
};

static const struct db_stmt device_rotate = {
    "device_rotate",
    "UPDATE device SET token_hash = decode($2, 'hex'), token_rotated_at = now() "
    "WHERE id = $1::uuid AND active RETURNING device_json(device)",
    2,
};

static const struct db_stmt device_deactivate = {
    "device_deactivate",
    "UPDATE device SET active = false, deactivated_at = coalesce(deactivated_at, now()) "
    "WHERE id = $1::uuid RETURNING device_json(device)",
    1,
};

static const char *const project_kinds[] = {"traffic", "air", "heat", "experience", NULL};

/* Answers a lookup or write that produced no row or failed. */
static void respond_failure(struct request *r, sm_err e, const char *what, const char *id)
{
	char q[80];
	quote_value(q, sizeof(q), id, 64);
	if (e == SM_ERR_NOT_FOUND)
		respond_problem(r, PROBLEM_NOT_FOUND, NULL, "%s \"%s\" does not exist", what, q);
	else
		respond_db_error(r, e);
}

/* Settings below the privacy defaults (k_anonymity 1 publishes single
 * participants, trim_min_m 0 shows where trips end) are allowed only with
 * a stated reason, which the catalogue then shows; a reason without such a
 * setting is refused too. On false the 422 is the response. */
static bool privacy_reason_fits(struct request *r, long long k, long long trim,
                                const char *weakened)
{
	char weaker[96] = "";
	size_t n = 0;
	if (k < PROJECT_K_DEFAULT)
		n += (size_t)snprintf(weaker + n, sizeof(weaker) - n, "k_anonymity %lld", k);
	if (trim < PROJECT_TRIM_DEFAULT_M)
		snprintf(weaker + n, sizeof(weaker) - n, "%strim_min_m %lld", n ? " and " : "",
		         trim);
	if (weaker[0] && !weakened) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "privacy_weakened",
		                "%s weaken the privacy defaults (k_anonymity %d, trim_min_m %d): "
		                "state the reason in \"privacy_weakened\"; the catalogue shows it",
		                weaker, PROJECT_K_DEFAULT, PROJECT_TRIM_DEFAULT_M);
		return false;
	}
	if (!weaker[0] && weakened) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "privacy_weakened",
		                "\"privacy_weakened\" is for settings below the privacy defaults "
		                "(k_anonymity %d, trim_min_m %d); these are not",
		                PROJECT_K_DEFAULT, PROJECT_TRIM_DEFAULT_M);
		return false;
	}
	return true;
}

void handle_project_create(struct request *r)
{
	static const char *const allowed[] = {
	    "slug",        "name",       "kind",          "licence",
	    "k_anonymity", "trim_min_m", "auto_register", "privacy_weakened",
	    NULL};
	json_t *body = NULL;
	if (!body_object(r, &body))
		return;
	const char *slug, *name, *kind, *licence, *weakened;
	long long k = PROJECT_K_DEFAULT, trim = PROJECT_TRIM_DEFAULT_M;
	bool auto_register = false;
	if (!fields_known(r, body, allowed) || !field_text(r, body, "slug", true, 63, &slug) ||
	    !field_text(r, body, "name", true, NAME_MAX_CHARS, &name) ||
	    !field_text(r, body, "kind", true, 20, &kind) ||
	    !field_text(r, body, "licence", true, LICENCE_MAX_CHARS, &licence) ||
	    !field_int(r, body, "k_anonymity", 1, 100, &k) ||
	    !field_int(r, body, "trim_min_m", 0, 5000, &trim) ||
	    !field_bool(r, body, "auto_register", &auto_register) ||
	    !field_text(r, body, "privacy_weakened", false, REASON_MAX_CHARS, &weakened) ||
	    !privacy_reason_fits(r, k, trim, weakened))
		goto out;
	if (!slug_valid(slug)) {
		respond_problem(
		    r, PROBLEM_INVALID_FIELD, "slug",
		    "\"slug\" must be 2 to 63 lower-case letters, digits and dashes, not "
		    "starting with a dash");
		goto out;
	}
	bool kind_ok = false;
	for (const char *const *p = project_kinds; *p && !kind_ok; p++)
		kind_ok = strcmp(*p, kind) == 0;
	if (!kind_ok) {
		char q[80];
		quote_value(q, sizeof(q), kind, 40);
		respond_problem(
		    r, PROBLEM_INVALID_FIELD, "kind",
		    "\"%s\" is not a project kind: expected traffic, air, heat or experience", q);
		goto out;
	}

	char kbuf[24], tbuf[24];
	snprintf(kbuf, sizeof(kbuf), "%lld", k);
	snprintf(tbuf, sizeof(tbuf), "%lld", trim);
	const char *auto_text = auto_register ? "t" : "f";
	const char *params[] = {slug, name, kind, licence, kbuf, tbuf, auto_text, weakened};
	json_t *project = NULL;
	sm_err e = dbjson_one(r->app->db, &project_insert, params, &project);
	if (e == SM_ERR_CONFLICT) {
		respond_problem(r, PROBLEM_CONFLICT, "slug",
		                "a project with slug \"%s\" exists already", slug);
		goto out;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	catalogue_invalidate(r->app->catalogue);
	char location[96];
	snprintf(location, sizeof(location), "/v1/projects/%s", slug);
	respond_header(r, "Location", location);
	respond_json(r, 201, project);
out:
	json_decref(body);
}

#define PROJECT_MAX_AGE_S 60

/* The catalogue from the server's rendered copy (catalogue.c): a cheap
 * answer whatever the number of readings, with a strong ETag. */
void handle_project_list(struct request *r)
{
	char *text = NULL, etag[CATALOGUE_ETAG_LEN];
	size_t len = 0;
	sm_err e = catalogue_list(r->app->catalogue, &text, &len, etag);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cached(r, "application/json", text, len, etag, PROJECT_MAX_AGE_S);
}

void handle_project_get(struct request *r)
{
	const char *slug;
	if (!param_slug(r, 0, "slug", &slug))
		return;
	char *text = NULL, etag[CATALOGUE_ETAG_LEN];
	size_t len = 0;
	sm_err e = catalogue_project(r->app->catalogue, slug, &text, &len, etag);
	if (e != SM_OK) {
		respond_failure(r, e, "project", slug);
		return;
	}
	respond_cached(r, "application/json", text, len, etag, PROJECT_MAX_AGE_S);
}

/* A fresh device token: the text for the caller, the hash for the table. */
static void new_token(char token[TOKEN_STRLEN], char hash_hex[PSEUDONYM_HEX_BYTES])
{
	token_generate("smd_", token);
	pseudonym_hex(PSEUDO_TOKEN, token, strlen(token), hash_hex);
}

/* Answers `device` (stolen) with its new token added, which is then wiped. */
static void respond_with_token(struct request *r, int status, json_t *device,
                               char token[TOKEN_STRLEN])
{
	json_object_set_new(device, "token", json_string(token));
	sodium_memzero(token, TOKEN_STRLEN);
	respond_header(r, "Cache-Control", "no-store");
	respond_json(r, status, device);
}

/* An optional coordinate member within the Netherlands. */
static bool field_coordinate(struct request *r, json_t *obj, const char *name, bool lat,
                             char out[40], bool *present)
{
	json_t *v = json_object_get(obj, name);
	*present = v && !json_is_null(v);
	if (!*present)
		return true;
	double d = json_number_value(v);
	if (!json_is_number(v) || !(lat ? geo_lat_in_netherlands(d) : geo_lon_in_netherlands(d))) {
		respond_problem(r, PROBLEM_INVALID_FIELD, name,
		                "\"%s\" must be a WGS84 %s in the Netherlands", name,
		                lat ? "latitude" : "longitude");
		return false;
	}
	copy_format_double(d, out);
	return true;
}

void handle_device_create(struct request *r)
{
	static const char *const allowed[] = {
	    "external_id",      "participant", "lat", "lon", "exact_position_consent",
	    "in_service_since", NULL};
	const char *slug, *external_id, *participant, *since_text;
	json_t *body = NULL;
	if (!param_slug(r, 0, "slug", &slug) || !body_object(r, &body))
		return;
	char lat[40] = "", lon[40] = "", since[SCALAR_TIME_LEN] = "";
	bool has_lat, has_lon, consent = false;
	if (!fields_known(r, body, allowed) ||
	    !field_text(r, body, "external_id", true, IDENTIFIER_MAX_CHARS, &external_id) ||
	    !field_text(r, body, "participant", true, IDENTIFIER_MAX_CHARS, &participant) ||
	    !field_coordinate(r, body, "lat", true, lat, &has_lat) ||
	    !field_coordinate(r, body, "lon", false, lon, &has_lon) ||
	    !field_bool(r, body, "exact_position_consent", &consent) ||
	    !field_text(r, body, "in_service_since", false, 40, &since_text))
		goto out;
	if (has_lat != has_lon) {
		respond_problem(r, PROBLEM_INVALID_FIELD, has_lat ? "lon" : "lat",
		                "a position needs both \"lat\" and \"lon\"");
		goto out;
	}
	if (since_text) {
		usec_t t;
		char why[96];
		if (scalar_time(since_text, strlen(since_text), false, &t, why, sizeof(why)) !=
		    SM_OK) {
			respond_problem(r, PROBLEM_INVALID_FIELD, "in_service_since",
			                "\"in_service_since\": %s", why);
			goto out;
		}
		scalar_time_format(t, since);
	}

	char ext_hex[PSEUDONYM_HEX_BYTES], part_hex[PSEUDONYM_HEX_BYTES],
	    tok_hex[PSEUDONYM_HEX_BYTES];
	char token[TOKEN_STRLEN];
	pseudonym_hex(PSEUDO_EXTERNAL_ID, external_id, strlen(external_id), ext_hex);
	pseudonym_hex(PSEUDO_PARTICIPANT, participant, strlen(participant), part_hex);
	new_token(token, tok_hex);
	const char *params[] = {slug,
	                        ext_hex,
	                        part_hex,
	                        tok_hex,
	                        has_lat ? lat : NULL,
	                        has_lon ? lon : NULL,
	                        consent ? "t" : "f",
	                        since[0] ? since : NULL};
	json_t *device = NULL;
	sm_err e = dbjson_one(r->app->db, &device_insert, params, &device);
	if (e == SM_ERR_CONFLICT) {
		respond_problem(
		    r, PROBLEM_CONFLICT, "external_id",
		    "a device with this external id is registered in project \"%s\" already", slug);
	} else if (e != SM_OK) {
		respond_failure(r, e, "project", slug);
	} else {
		char location[96];
		snprintf(location, sizeof(location), "/v1/devices/%s",
		         json_string_value(json_object_get(device, "id")));
		respond_header(r, "Location", location);
		respond_with_token(r, 201, device, token);
	}
	sodium_memzero(token, sizeof(token));
out:
	json_decref(body);
}

void handle_device_list(struct request *r)
{
	const char *slug;
	if (!param_slug(r, 0, "slug", &slug))
		return;
	const char *external_id = request_query(r, "external_id");
	char ext_hex[PSEUDONYM_HEX_BYTES];
	if (external_id) {
		if (!text_valid(external_id, IDENTIFIER_MAX_CHARS)) {
			respond_problem(
			    r, PROBLEM_INVALID_PARAMETER, "external_id",
			    "\"external_id\" must be 1 to %d characters without control characters",
			    IDENTIFIER_MAX_CHARS);
			return;
		}
		pseudonym_hex(PSEUDO_EXTERNAL_ID, external_id, strlen(external_id), ext_hex);
	}
	const char *params[] = {slug, external_id ? ext_hex : NULL};
	json_t *list = NULL;
	sm_err e = dbjson_one(r->app->db, &device_list, params, &list);
	if (e != SM_OK) {
		respond_failure(r, e, "project", slug);
		return;
	}
	respond_json(r, 200, list);
}

void handle_device_get(struct request *r)
{
	const char *id;
	if (!param_uuid(r, 0, "id", &id))
		return;
	const char *params[] = {id};
	json_t *device = NULL;
	sm_err e = dbjson_one(r->app->db, &device_get, params, &device);
	if (e != SM_OK) {
		respond_failure(r, e, "device", id);
		return;
	}
	respond_json(r, 200, device);
}

void handle_device_rotate(struct request *r)
{
	const char *id;
	if (!param_uuid(r, 0, "id", &id))
		return;
	char token[TOKEN_STRLEN], tok_hex[PSEUDONYM_HEX_BYTES];
	new_token(token, tok_hex);
	const char *params[] = {id, tok_hex};
	json_t *device = NULL;
	sm_err e = dbjson_one(r->app->db, &device_rotate, params, &device);
	if (e == SM_OK)
		respond_with_token(r, 200, device, token);
	else
		respond_failure(r, e, "active device", id);
	sodium_memzero(token, sizeof(token));
}

void handle_device_deactivate(struct request *r)
{
	const char *id;
	if (!param_uuid(r, 0, "id", &id))
		return;
	const char *params[] = {id};
	json_t *device = NULL;
	sm_err e = dbjson_one(r->app->db, &device_deactivate, params, &device);
	if (e != SM_OK) {
		respond_failure(r, e, "device", id);
		return;
	}
	respond_json(r, 200, device);
}

static const struct db_stmt erase_stmt = {
    "registry_erase",
    "SELECT json_build_object('devices', e.devices, 'readings', json_build_object('air', e.air,"
    " 'traffic', e.traffic, 'heat', e.heat, 'experience', e.experience))"
    " FROM project p CROSS JOIN LATERAL erase(p.id, decode($2, 'hex'), decode($3, 'hex')) e"
    " WHERE p.slug = $1",
    3,
};

void handle_erasure(struct request *r)
{
	static const char *const allowed[] = {"participant", "external_id", NULL};
	const char *slug, *participant, *external_id;
	json_t *body = NULL;
	if (!param_slug(r, 0, "slug", &slug) || !body_object(r, &body))
		return;
	if (!fields_known(r, body, allowed) ||
	    !field_text(r, body, "participant", false, IDENTIFIER_MAX_CHARS, &participant) ||
	    !field_text(r, body, "external_id", false, IDENTIFIER_MAX_CHARS, &external_id))
		goto out;
	if (!participant == !external_id) {
		respond_problem(r, PROBLEM_INVALID_FIELD,
		                participant ? "external_id" : "participant",
		                "name exactly one of \"participant\" and \"external_id\"");
		goto out;
	}
	/* The pseudonym of the one given; a value no pseudonym equals for the other. */
	char part_hex[PSEUDONYM_HEX_BYTES] = "", ext_hex[PSEUDONYM_HEX_BYTES] = "";
	if (participant)
		pseudonym_hex(PSEUDO_PARTICIPANT, participant, strlen(participant), part_hex);
	else
		pseudonym_hex(PSEUDO_EXTERNAL_ID, external_id, strlen(external_id), ext_hex);
	const char *params[] = {slug, part_hex, ext_hex};
	json_t *result = NULL;
	sm_err e = dbjson_one(r->app->db, &erase_stmt, params, &result);
	if (e != SM_OK) {
		respond_failure(r, e, "project", slug);
		goto out;
	}
	log_info("erasure in project %s: %lld device(s) and their readings deleted", slug,
	         (long long)json_integer_value(json_object_get(result, "devices")));
	respond_json(r, 200, result);
out:
	json_decref(body);
}
