#include "segment_geojson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "geojson.h"
#include "jsonin.h"
#include "scalar.h"
#include "validate.h"

/* A line's positions: at least two [lon, lat] pairs in the Netherlands. */
static const char *line_problem(json_t *line)
{
	if (!json_is_array(line) || json_array_size(line) < 2)
		return "a line needs at least two positions";
	size_t i;
	json_t *pos;
	json_array_foreach(line, i, pos) {
		json_t *lon = json_array_get(pos, 0), *lat = json_array_get(pos, 1);
		if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3 ||
		    !json_is_number(lon) || !json_is_number(lat))
			return "positions must be [longitude, latitude]";
		if (!geo_lon_in_netherlands(json_number_value(lon)) ||
		    !geo_lat_in_netherlands(json_number_value(lat)))
			return "a position lies outside the Netherlands";
	}
	return NULL;
}

static const char *geometry_problem(json_t *g)
{
	const char *type = json_string_value(json_object_get(g, "type"));
	json_t *coords = json_object_get(g, "coordinates");
	if (!type)
		return "needs a LineString or MultiLineString geometry";
	if (strcmp(type, "LineString") == 0)
		return line_problem(coords);
	if (strcmp(type, "MultiLineString") != 0)
		return "must be a LineString or MultiLineString";
	if (!json_is_array(coords) || json_array_size(coords) == 0)
		return "a MultiLineString needs at least one line";
	size_t i;
	json_t *line;
	json_array_foreach(coords, i, line) {
		const char *p = line_problem(line);
		if (p)
			return p;
	}
	return NULL;
}

/* One feature as a row: segment_id, geometry, index and the optional
 * properties (geojson_row_fn). */
static sm_err segment_row(json_t *f, size_t index, struct row_errors *errs, json_t **out)
{
	*out = NULL;
	json_t *props = json_object_get(f, "properties");
	json_t *id = json_object_get(props, "segment_id");
	json_t *geom = json_object_get(f, "geometry");
	double d = 0;
	if (!json_is_object(f) || !json_is_object(props)) {
		rowerr_add(errs, index, "", "a feature needs properties");
		return SM_OK;
	}
	if (json_is_string(id)) {
		if (!scalar_double(json_string_value(id), json_string_length(id), &d))
			d = 0;
	} else if (json_is_number(id))
		d = json_number_value(id);
	if (d <= 0 || d != floor(d) || d > 9.2e18) {
		rowerr_add(errs, index, "segment_id", "must be a positive integer");
		return SM_OK;
	}
	const char *problem = geometry_problem(geom);
	if (problem) {
		rowerr_add(errs, index, "geometry", "%s", problem);
		return SM_OK;
	}
	const char *type = json_string_value(json_object_get(geom, "type"));
	char *geojson = geojson_2d_text(type, json_object_get(geom, "coordinates"),
	                                strcmp(type, "LineString") == 0 ? 1 : 2);
	json_t *row = geojson ? json_pack("{s:I, s:s, s:I}", "segment_id", (json_int_t)d,
	                                  "geometry", geojson, "index", (json_int_t)index)
	                      : NULL;
	free(geojson);
	if (!row)
		return SM_ERR_NOMEM;
	const char *tz = jsonin_string(json_object_get(props, "timezone"));
	if (tz && text_valid(tz, 64))
		json_object_set_new(row, "timezone", json_string(tz));
	json_t *last = json_object_get(props, "last_data_package");
	usec_t t;
	char why[96], iso[SCALAR_TIME_LEN];
	if (json_is_string(last) && scalar_time(json_string_value(last), json_string_length(last),
	                                        true, &t, why, sizeof(why)) == SM_OK) {
		scalar_time_format(t, iso);
		json_object_set_new(row, "last_data_package", json_string(iso));
	}
	*out = row;
	return SM_OK;
}

sm_err segment_geojson_parse(json_t *root, size_t max_features, json_t **rows,
                             struct row_errors *errs)
{
	return geojson_collection_rows(root, max_features, segment_row, rows, errs);
}
