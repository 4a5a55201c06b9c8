/* Area layers from a GeoJSON FeatureCollection (POST /v1/areas/{layer}):
 * each feature checked (a code, a Polygon or MultiPolygon inside the
 * Netherlands) and turned into a row for the database. CBS's own property
 * names are read too (statcode, buurtcode, ..., statnaam, ...). Pure: no
 * database; links alone into unit tests and fuzzers. */
#ifndef SAMENMETEN_AREA_GEOJSON_H
#define SAMENMETEN_AREA_GEOJSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "rowerr.h"

#define AREA_CODE_MAX 64  /* characters (not bytes) of a code */
#define AREA_NAME_MAX 200 /* characters (not bytes) of a name */

/* Reads `root` (borrowed), a FeatureCollection. On SM_OK *rows is a new JSON
 * array (owned by the caller) with one object per good feature, in order:
 * code (text), name (text, null when the feature has none) and geometry
 * (GeoJSON text, positions cut to [longitude, latitude]); each bad feature
 * is listed in errs. SM_ERR_INVALID when root is not a FeatureCollection,
 * SM_ERR_NOMEM; *rows is NULL on any error. */
MUST_CHECK sm_err area_geojson_parse(json_t *root, json_t **rows, struct row_errors *errs);

#endif
