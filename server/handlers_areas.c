/* Area layers (admin): upload a GeoJSON FeatureCollection of polygons with a
 * code and a name, or delete a layer. Aggregates use them at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "area_geojson.h"
#include "dbjson.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "validate.h"

static const struct db_stmt layer_replace = {
    "areas_layer_replace",
    "SELECT area_layer_replace($1, $2::json)",
    2,
};

static const struct db_stmt layer_delete = {
    "areas_layer_delete",
    "DELETE FROM area_layer WHERE name = $1 RETURNING to_json(name)",
    1,
};

void handle_area_upload(struct request *r)
{
	const char *layer = r->nparams ? r->params[0] : "";
	json_t *root = NULL, *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	if (!layer_valid(layer)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "layer",
		                "a layer name is 1 to 63 lower-case letters, digits, '-' and '_'");
		goto out;
	}
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err pe = area_geojson_parse(root, &rows, &errs);
	if (pe != SM_OK) {
		respond_unparsable(r, pe, "expected a GeoJSON FeatureCollection");
		goto out;
	}
	if (json_array_size(rows) == 0) {
		respond_ingest(r, 0, 0, &errs);
		goto out;
	}
	char *text = json_dumps(rows, JSON_COMPACT);
	const char *params[] = {layer, text};
	json_t *stored = NULL;
	sm_err e = text ? dbjson_one(r->app->db, &layer_replace, params, &stored) : SM_ERR_NOMEM;
	free(text);
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	long long n = json_integer_value(stored);
	json_decref(stored);
	/* Features with a code seen before in the upload count as duplicates. */
	respond_ingest(r, n, (long long)json_array_size(rows) - n, &errs);
out:
	rowerr_cleanup(&errs);
	json_decref(root);
	json_decref(rows);
}

void handle_area_delete(struct request *r)
{
	const char *layer = r->nparams ? r->params[0] : "";
	if (!layer_valid(layer)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "layer",
		                "a layer name is 1 to 63 lower-case letters, digits, '-' and '_'");
		return;
	}
	const char *params[] = {layer};
	json_t *gone = NULL;
	sm_err e = dbjson_one(r->app->db, &layer_delete, params, &gone);
	json_decref(gone);
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, "layer", "there is no area layer \"%s\"",
		                layer);
		return;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_bytes(r, 204, NULL, "", 0);
}

/* The layers, for maps that draw one as a backdrop. */
static const struct db_stmt layer_list = {
    "areas_layer_list",
    "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
    " 'layer', l.name, 'areas', (SELECT count(*) FROM area a WHERE a.layer = l.name),"
    " 'uploaded_at', to_char(l.uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
    " ORDER BY l.name), '[]'::json))::text FROM area_layer l",
    0,
};

/* One layer's areas as GeoJSON (6 decimals, about 0.1 m); NULL when the
 * layer does not exist. */
static const struct db_stmt layer_get = {
    "areas_layer_get",
    "SELECT json_build_object('type', 'FeatureCollection', 'layer', l.name, 'features',"
    " coalesce((SELECT json_agg(json_build_object('type', 'Feature', 'id', a.code,"
    " 'properties', json_build_object('code', a.code, 'name', a.name),"
    " 'geometry', ST_AsGeoJSON(a.geom, 6)::json) ORDER BY a.code) FROM area a"
    " WHERE a.layer = l.name), '[]'::json))::text FROM area_layer l WHERE l.name = $1",
    1,
};

/* Area layers change rarely; maps may keep them a while. */
#define AREA_MAX_AGE_S 300

void handle_area_list(struct request *r)
{
	char *text = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &layer_list, NULL, &text, &len);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/json", text, len, AREA_MAX_AGE_S);
}

void handle_area_get(struct request *r)
{
	const char *layer = r->nparams ? r->params[0] : "";
	if (!layer_valid(layer)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "layer",
		                "a layer name is 1 to 63 lower-case letters, digits, '-' and '_'");
		return;
	}
	const char *params[] = {layer};
	char *text = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &layer_get, params, &text, &len);
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, "layer", "there is no area layer \"%s\"",
		                layer);
		return;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/geo+json", text, len, AREA_MAX_AGE_S);
}
