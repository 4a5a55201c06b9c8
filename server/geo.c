#include "geo.h"

#include <math.h>

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
