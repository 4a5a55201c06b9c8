/* GeoJSON shared by the upload codecs (segment_geojson.c, area_geojson.c):
 * the walk over a FeatureCollection's features, and geometries cut to 2D.
 * Pure: no database; links alone into unit tests and fuzzers. */
#ifndef SAMENMETEN_GEOJSON_H
#define SAMENMETEN_GEOJSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "rowerr.h"

/* What a codec makes of one feature (borrowed), the index-th of the
 * collection: SM_OK with *row a new object (owned by the caller), or SM_OK
 * with *row NULL when the feature is refused (the codec listed it in errs
 * under `index`); SM_ERR_NOMEM. */
typedef sm_err (*geojson_row_fn)(json_t *feature, size_t index, struct row_errors *errs,
                                 json_t **row);

/* Reads `root` (borrowed), a FeatureCollection of at most max_features
 * features, feature by feature through `row`. On SM_OK *rows is a new JSON
 * array (owned by the caller) of the rows made, in the features' order.
 * SM_ERR_INVALID when root is not a FeatureCollection (a "type" of
 * "FeatureCollection" and an array "features"), SM_ERR_TOO_LARGE past
 * max_features, SM_ERR_NOMEM; *rows is NULL on any error. */
MUST_CHECK sm_err geojson_collection_rows(json_t *root, size_t max_features, geojson_row_fn row,
                                          json_t **rows, struct row_errors *errs);

/* The geometry {"type": type, "coordinates": ...} as compact GeoJSON text
 * (owned by the caller; NULL when out of memory), with every position cut
 * to [longitude, latitude]: the tables hold 2D geometries, and PostGIS
 * refuses a geometry with an altitude (GeoJSON's optional third number) in
 * them. `coords` (borrowed) are nested `depth` arrays deep above the
 * positions (1 for a LineString, 2 for a MultiLineString or Polygon, 3 for
 * a MultiPolygon) and already checked: every position an array of at least
 * two numbers. Foreign members of the geometry are left out. */
char *geojson_2d_text(const char *type, json_t *coords, int depth);

#endif
