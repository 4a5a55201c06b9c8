/* Telraam road segments from a GeoJSON FeatureCollection (POST /v1/segments):
 * each feature checked (a positive segment_id, a LineString or
 * MultiLineString inside the Netherlands) and turned into a row for the
 * database's upsert. Pure: no database; links alone into unit tests and
 * fuzzers. */
#ifndef SAMENMETEN_SEGMENT_GEOJSON_H
#define SAMENMETEN_SEGMENT_GEOJSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "rowerr.h"

/* Reads `root` (borrowed), a FeatureCollection of at most max_features
 * features. On SM_OK *rows is a new JSON array (owned by the caller) with one
 * object per good feature, in order: segment_id (integer), geometry (GeoJSON
 * text, positions cut to [longitude, latitude]), index (the feature's), and
 * timezone and last_data_package (a time in UTC as PostgreSQL reads it)
 * where the feature has valid ones; each bad feature is listed in errs.
 * SM_ERR_INVALID when root is not a FeatureCollection, SM_ERR_TOO_LARGE past
 * max_features, SM_ERR_NOMEM; *rows is NULL on any error. */
MUST_CHECK sm_err segment_geojson_parse(json_t *root, size_t max_features, json_t **rows,
                                        struct row_errors *errs);

#endif
