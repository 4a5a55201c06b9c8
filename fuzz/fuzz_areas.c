/* libFuzzer target for area_geojson_parse (server/area_geojson.c): the body
 * of POST /v1/areas/{layer} through jsonin_parse (depth 32), then the
 * FeatureCollection. Checks that every feature is either a row or a listed
 * error, exactly once, and that each row is what area_layer_replace takes: a
 * code of 1 to 64 characters and a name of at most 200 (the table's checks,
 * in characters), both valid UTF-8 without control characters, and a
 * Polygon or MultiPolygon in GeoJSON text. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "area_geojson.h"
#include "fuzz_common.h"
#include "jsonin.h"
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

static void check_row(json_t *row)
{
	FUZZ_CHECK(json_is_object(row));
	const char *code = json_string_value(json_object_get(row, "code"));
	FUZZ_CHECK(code && text_valid(code, AREA_CODE_MAX));
	json_t *name = json_object_get(row, "name");
	FUZZ_CHECK(json_is_null(name) ||
	           (json_is_string(name) && text_valid(json_string_value(name), AREA_NAME_MAX)));
	const char *g = json_string_value(json_object_get(row, "geometry"));
	FUZZ_CHECK(g != NULL);
	json_t *geom = json_loads(g, JSON_DECODE_ANY, NULL);
	FUZZ_CHECK(json_is_object(geom));
	const char *type = json_string_value(json_object_get(geom, "type"));
	FUZZ_CHECK(type && (strcmp(type, "Polygon") == 0 || strcmp(type, "MultiPolygon") == 0));
	FUZZ_CHECK(json_array_size(json_object_get(geom, "coordinates")) > 0);
	FUZZ_CHECK(positions_2d(json_object_get(geom, "coordinates")));
	json_decref(geom);
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
	sm_err e = area_geojson_parse(root, &rows, &errs);
	if (e == SM_OK) {
		size_t n = json_array_size(json_object_get(root, "features"));
		FUZZ_CHECK(json_is_array(rows));
		FUZZ_CHECK(json_array_size(rows) + errs.rejected == n);
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			check_row(row);
		}
		fuzz_check_errors(&errs, n);
		char *text = json_dumps(rows, JSON_COMPACT);
		FUZZ_CHECK(text != NULL);
		free(text);
	} else {
		FUZZ_CHECK(e == SM_ERR_INVALID && rows == NULL && errs.rejected == 0);
	}
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
	return 0;
}
