#include "area_geojson.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "geojson.h"
#include "jsonin.h"
#include "validate.h"

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

/* The first of `names` that props has, as text of at most `chars` characters
 * ("" when none). out holds 4 * chars + 1 bytes: any such text, in UTF-8. */
static void property_text(json_t *props, const char *const *names, size_t chars, char *out,
                          size_t outlen)
{
	out[0] = '\0';
	for (const char *const *n = names; *n; n++) {
		json_t *v = json_object_get(props, *n);
		const char *s = jsonin_string(v);
		if (s && text_valid(s, chars) && strlen(s) < outlen) {
			snprintf(out, outlen, "%s", s);
			return;
		}
		if (json_is_integer(v)) {
			snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return;
		}
	}
}

/* One feature as a row: code, name and geometry (geojson_row_fn). */
static sm_err area_row(json_t *f, size_t index, struct row_errors *errs, json_t **row)
{
	*row = NULL;
	json_t *props = json_object_get(f, "properties");
	/* Lengths in characters, as the database counts them. */
	char code[4 * AREA_CODE_MAX + 1], name[4 * AREA_NAME_MAX + 1];
	property_text(props, code_names, AREA_CODE_MAX, code, sizeof(code));
	property_text(props, name_names, AREA_NAME_MAX, name, sizeof(name));
	json_t *geom = json_object_get(f, "geometry");
	const char *problem = geometry_problem(geom);
	if (!code[0]) {
		rowerr_add(errs, index, "code",
		           "an area needs a code (code, statcode, buurtcode, ...)");
		return SM_OK;
	}
	if (problem) {
		rowerr_add(errs, index, "geometry", "%s", problem);
		return SM_OK;
	}
	const char *gtype = jsonin_string(json_object_get(geom, "type"));
	char *geojson = geojson_2d_text(gtype, json_object_get(geom, "coordinates"),
	                                strcmp(gtype, "Polygon") == 0 ? 2 : 3);
	*row = geojson ? json_pack("{s:s, s:s?, s:s}", "code", code, "name", name[0] ? name : NULL,
	                           "geometry", geojson)
	               : NULL;
	free(geojson);
	return *row ? SM_OK : SM_ERR_NOMEM;
}

sm_err area_geojson_parse(json_t *root, json_t **rows, struct row_errors *errs)
{
	return geojson_collection_rows(root, SIZE_MAX, area_row, rows, errs);
}
