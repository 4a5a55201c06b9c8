#include "geojson.h"

#include <stddef.h>
#include <string.h>

#include "jsonin.h"

/* A new array like `a` with positions `depth` levels down cut to two
 * numbers; NULL when out of memory or when a position is not an array. */
static json_t *cut_2d(json_t *a, int depth)
{
	if (depth == 0)
		return json_pack("[O,O]", json_array_get(a, 0), json_array_get(a, 1));
	json_t *out = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(a, i, item) {
		json_t *sub = out ? cut_2d(item, depth - 1) : NULL;
		if (!sub || json_array_append_new(out, sub) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

char *geojson_2d_text(const char *type, json_t *coords, int depth)
{
	json_t *cut = cut_2d(coords, depth);
	json_t *g = cut ? json_pack("{s:s, s:o}", "type", type, "coordinates", cut) : NULL;
	char *text = g ? json_dumps(g, JSON_COMPACT) : NULL;
	json_decref(g);
	return text;
}

sm_err geojson_collection_rows(json_t *root, size_t max_features, geojson_row_fn row, json_t **rows,
                               struct row_errors *errs)
{
	*rows = NULL;
	json_t *features = json_object_get(root, "features");
	const char *type = jsonin_string(json_object_get(root, "type"));
	if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features))
		return SM_ERR_INVALID;
	if (json_array_size(features) > max_features)
		return SM_ERR_TOO_LARGE;
	json_t *out = json_array();
	if (!out)
		return SM_ERR_NOMEM;
	sm_err e = SM_OK;
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f) {
		json_t *r = NULL;
		e = row(f, i, errs, &r);
		if (e != SM_OK)
			break;
		if (r && json_array_append_new(out, r) != 0) {
			e = SM_ERR_NOMEM;
			break;
		}
	}
	if (e != SM_OK) {
		json_decref(out);
		return e;
	}
	*rows = out;
	return SM_OK;
}
