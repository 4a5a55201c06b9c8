#include "geojson.h"

#include <stddef.h>

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
