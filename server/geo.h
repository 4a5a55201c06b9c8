/* Small geographic helpers in WGS84 (EPSG:4326). */
#ifndef SAMENMETEN_GEO_H
#define SAMENMETEN_GEO_H

#include <stdbool.h>

/* The Netherlands with its coastal waters: positions outside are refused. */
#define GEO_NL_LAT_MIN 50.6
#define GEO_NL_LAT_MAX 53.8
#define GEO_NL_LON_MIN 3.0
#define GEO_NL_LON_MAX 7.3

bool geo_lat_in_netherlands(double lat);
bool geo_lon_in_netherlands(double lon);

/* The point (lon, lat) in SRID 4326 as hex EWKB, PostGIS's own text form
 * (50 hex digits and a NUL). */
#define GEO_EWKB_POINT_HEX 51
void geo_point_ewkb_hex(double lon, double lat, char out[GEO_EWKB_POINT_HEX]);

/* Great-circle distance in metres. */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif
