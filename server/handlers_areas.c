/* Area layers (admin): upload a GeoJSON FeatureCollection of polygons with a
 * code and a name, or delete a layer. Aggregates use them at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dbjson.h"
#include "geo.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "jsonin.h"
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

/* Property names that carry an area's code and name, CBS's own included. */
static const char *const code_names[] = {"code",     "statcode",     "buurtcode",
                                         "wijkcode", "gemeentecode", NULL};
static const char *const name_names[] = {"name",         "statnaam", "buurtnaam", "wijknaam",
                                         "gemeentenaam", "naam",     NULL};

/* A ring: four or more [lon, lat] positions in the Netherlands. */
static const char *ring_problem(json_t *ring)
{
	if (!json_is_array(ring) || json_array_size(ring) < 4)
		return "a ring needs at least four positions";
	size_t i;
	json_t *pos;
	json_array_foreach(ring, i, pos) {
		json_t *lon = json_array_get(pos, 0), *lat = json_array_get(pos, 1);
		if (!json_is_number(lon) || !json_is_number(lat))
			return "positions must be [longitude, latitude]";
		if (!geo_lon_in_netherlands(json_number_value(lon)) ||
		    !geo_lat_in_netherlands(json_number_value(lat)))
			return "a position lies outside the Netherlands";
	}
	return NULL;
}

static const char *polygon_problem(json_t *rings)
{
	if (!json_is_array(rings) || json_array_size(rings) == 0)
		return "a polygon needs an outer ring";
	size_t i;
	json_t *ring;
	json_array_foreach(rings, i, ring) {
		const char *p = ring_problem(ring);
		if (p)
			return p;
	}
	return NULL;
}

static const char *geometry_problem(json_t *g)
{
	const char *type = jsonin_string(json_object_get(g, "type"));
	json_t *coords = json_object_get(g, "coordinates");
	if (type && strcmp(type, "Polygon") == 0)
		return polygon_problem(coords);
	if (!type || strcmp(type, "MultiPolygon") != 0)
		return "must be a Polygon or MultiPolygon";
	if (!json_is_array(coords) || json_array_size(coords) == 0)
		return "a MultiPolygon needs a polygon";
	size_t i;
	json_t *poly;
	json_array_foreach(coords, i, poly) {
		const char *p = polygon_problem(poly);
		if (p)
			return p;
	}
	return NULL;
}

/* The first of `names` that props has, as text ("" when none). */
static void property_text(json_t *props, const char *const *names, char *out, size_t outlen)
{
	out[0] = '\0';
	for (const char *const *n = names; *n; n++) {
		json_t *v = json_object_get(props, *n);
		const char *s = jsonin_string(v);
		if (s && text_valid(s, outlen - 1)) {
			snprintf(out, outlen, "%s", s);
			return;
		}
		if (json_is_integer(v)) {
			snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return;
		}
	}
}

void handle_area_upload(struct request *r)
{
	const char *layer = r->nparams ? r->params[0] : "";
	json_t *root = NULL, *rows = json_array();
	struct row_errors errs;
	rowerr_init(&errs);
	if (!layer_valid(layer)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "layer",
		                "a layer name is 1 to 63 lower-case letters, digits, '-' and '_'");
		goto out;
	}
	if (!ingest_json_body(r, &root))
		goto out;
	json_t *features = json_object_get(root, "features");
	const char *type = jsonin_string(json_object_get(root, "type"));
	if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
		respond_unparsable(r, SM_ERR_INVALID, "expected a GeoJSON FeatureCollection");
		goto out;
	}
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f) {
		json_t *props = json_object_get(f, "properties");
		char code[65], name[201];
		property_text(props, code_names, code, sizeof(code));
		property_text(props, name_names, name, sizeof(name));
		const char *problem = geometry_problem(json_object_get(f, "geometry"));
		if (!code[0]) {
			rowerr_add(&errs, i, "code",
			           "an area needs a code (code, statcode, buurtcode, ...)");
			continue;
		}
		if (problem) {
			rowerr_add(&errs, i, "geometry", "%s", problem);
			continue;
		}
		char *geojson = json_dumps(json_object_get(f, "geometry"), JSON_COMPACT);
		json_array_append_new(rows, json_pack("{s:s, s:s?, s:s?}", "code", code, "name",
		                                      name[0] ? name : NULL, "geometry", geojson));
		free(geojson);
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
