/* GeoJSON geometry helpers shared by the upload codecs (segment_geojson.c,
 * area_geojson.c). Pure: jansson only. */
#ifndef SAMENMETEN_GEOJSON_H
#define SAMENMETEN_GEOJSON_H

#include <jansson.h>

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
