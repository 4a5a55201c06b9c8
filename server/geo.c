#include "geo.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

bool geo_lat_in_netherlands(double lat)
{
	return lat >= GEO_NL_LAT_MIN && lat <= GEO_NL_LAT_MAX;
}

bool geo_lon_in_netherlands(double lon)
{
	return lon >= GEO_NL_LON_MIN && lon <= GEO_NL_LON_MAX;
}

double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = M_PI / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double h = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(h));
}

void geo_point_ewkb_hex(double lon, double lat, char out[GEO_EWKB_POINT_HEX])
{
	static const char digits[] = "0123456789ABCDEF";
	const uint32_t type = 0x20000001; /* a point, with an SRID */
	const uint32_t srid = 4326;
	uint8_t b[25];
	/* Native byte order, and the flag that says which it is. */
	b[0] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 1 : 0;
	memcpy(b + 1, &type, 4);
	memcpy(b + 5, &srid, 4);
	memcpy(b + 9, &lon, 8);
	memcpy(b + 17, &lat, 8);
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * sizeof(b)] = '\0';
}
