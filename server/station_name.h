/* Station names in open data: "station-" and 16 hex digits of an HMAC of
 * "station|<device uuid>" under the publication subkey, computed here, where
 * the key lives (the database never sees it, so its statement log cannot
 * hold it). Queries write a marker "station:<device uuid>" where a name
 * goes; station_name_publish() puts the names in. Downloads name stations
 * the same way (dataset.c). */
#ifndef SAMENMETEN_STATION_NAME_H
#define SAMENMETEN_STATION_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define STATION_MARKER "station:"
#define STATION_UUID_LEN 36
#define STATION_NAME_LEN 24

/* The public name of the station of device `uuid` (36 characters), into out.
 * The keys must be loaded. */
void station_name(const char *uuid, char out[STATION_NAME_LEN + 1]);

/* Replaces every marker in the NUL-terminated text[0..len) by its station's
 * name, in place (a name is shorter than its marker); the text's new length
 * (NUL-terminated there). */
size_t station_name_publish(char *text, size_t len);

/* Whether s looks like a station's public name. */
bool station_name_valid(const char *s);

#endif
