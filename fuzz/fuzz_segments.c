/* libFuzzer target for segment_geojson_parse (server/segment_geojson.c): the
 * body of POST /v1/segments through jsonin_parse (depth 32), then the
 * FeatureCollection with a limit of 1000 features. Checks that every feature
 * is either a row or a listed error, exactly once, and that each row is what
 * the database's upsert takes: a positive segment id, the feature's index
 * (rising), a geometry that is a LineString or MultiLineString in GeoJSON
 * text, and a valid timezone and time where present. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "jsonin.h"
#include "segment_geojson.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every position in the nested arrays `c` is [longitude, latitude]: the
 * tables are 2D. */
static bool positions_2d(json_t *c)
{
	if (!json_is_array(c) || json_array_size(c) == 0)
		return false;
	if (json_is_number(json_array_get(c, 0)))
		return json_array_size(c) == 2 && json_is_number(json_array_get(c, 1));
	size_t i;
	json_t *item;
	json_array_foreach(c, i, item) {
		if (!positions_2d(item))
			return false;
	}
	return true;
}

static void check_row(json_t *row, size_t features)
{
	FUZZ_CHECK(json_is_object(row));
	json_t *id = json_object_get(row, "segment_id");
	FUZZ_CHECK(json_is_integer(id) && json_integer_value(id) > 0);
	json_t *index = json_object_get(row, "index");
	FUZZ_CHECK(json_is_integer(index) && json_integer_value(index) >= 0 &&
	           (size_t)json_integer_value(index) < features);
	const char *g = json_string_value(json_object_get(row, "geometry"));
	FUZZ_CHECK(g != NULL);
	json_t *geom = json_loads(g, JSON_DECODE_ANY, NULL);
	FUZZ_CHECK(json_is_object(geom));
	const char *type = json_string_value(json_object_get(geom, "type"));
	FUZZ_CHECK(type &&
	           (strcmp(type, "LineString") == 0 || strcmp(type, "MultiLineString") == 0));
	FUZZ_CHECK(json_is_array(json_object_get(geom, "coordinates")));
	FUZZ_CHECK(positions_2d(json_object_get(geom, "coordinates")));
	json_decref(geom);
	json_t *tz = json_object_get(row, "timezone");
	FUZZ_CHECK(!tz || (json_is_string(tz) && text_valid(json_string_value(tz), 64)));
	json_t *last = json_object_get(row, "last_data_package");
	if (last) {
		usec_t t;
		char why[96];
		FUZZ_CHECK(json_is_string(last));
		FUZZ_CHECK(scalar_time(json_string_value(last), json_string_length(last), false, &t,
		                       why, sizeof(why)) == SM_OK);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL;
	char why[256] = "";
	if (jsonin_parse((const char *)data, size, FUZZ_JSON_DEPTH, &root, why, sizeof(why)) !=
	    SM_OK)
		return 0;
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	sm_err e = segment_geojson_parse(root, FUZZ_MAX_ROWS, &rows, &errs);
	json_t *features = json_object_get(root, "features");
	if (e == SM_OK) {
		size_t n = json_array_size(features);
		FUZZ_CHECK(json_is_array(rows));
		FUZZ_CHECK(json_array_size(rows) + errs.rejected == n);
		size_t i;
		json_t *row;
		json_int_t last = -1;
		json_array_foreach(rows, i, row) {
			check_row(row, n);
			json_int_t index = json_integer_value(json_object_get(row, "index"));
			FUZZ_CHECK(index > last);
			last = index;
		}
		fuzz_check_errors(&errs, n);
		char *text = json_dumps(rows, JSON_COMPACT);
		FUZZ_CHECK(text != NULL);
		free(text);
	} else {
		FUZZ_CHECK(rows == NULL && errs.rejected == 0);
		FUZZ_CHECK(e == SM_ERR_INVALID ||
		           (e == SM_ERR_TOO_LARGE && json_array_size(features) > FUZZ_MAX_ROWS));
	}
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
	return 0;
}
