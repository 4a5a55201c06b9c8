#include "station_name.h"

#include <string.h>

#include "dataset.h"

void station_name(const char *uuid, char out[STATION_NAME_LEN + 1])
{
	char key[8 + STATION_UUID_LEN + 1] = "station|";
	memcpy(key + 8, uuid, STATION_UUID_LEN);
	char name[DATASET_NAME_MAX + 1];
	size_t n = dataset_pseudonym(DATASET_HEAT, key, sizeof(key) - 1, name);
	_Static_assert(DATASET_NAME_MAX >= STATION_NAME_LEN, "a station name fits a dataset name");
	memcpy(out, name, n < STATION_NAME_LEN ? n : STATION_NAME_LEN);
	out[STATION_NAME_LEN] = '\0';
}

static bool uuid_at(const char *s, size_t avail)
{
	if (avail < STATION_UUID_LEN)
		return false;
	for (size_t i = 0; i < STATION_UUID_LEN; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

size_t station_name_publish(char *text, size_t len)
{
	static const size_t m = sizeof(STATION_MARKER) - 1;
	size_t in = 0, out = 0;
	while (in < len) {
		const char *hit = memmem(text + in, len - in, STATION_MARKER, m);
		size_t plain = hit ? (size_t)(hit - (text + in)) : len - in;
		memmove(text + out, text + in, plain);
		in += plain;
		out += plain;
		if (!hit)
			break;
		if (uuid_at(text + in + m, len - in - m)) {
			char name[STATION_NAME_LEN + 1];
			station_name(text + in + m, name);
			memcpy(text + out, name, STATION_NAME_LEN);
			in += m + STATION_UUID_LEN;
			out += STATION_NAME_LEN;
		} else {
			memmove(text + out, text + in, m);
			in += m;
			out += m;
		}
	}
	text[out] = '\0';
	return out;
}

bool station_name_valid(const char *s)
{
	if (strncmp(s, "station-", 8) != 0 || strlen(s) != STATION_NAME_LEN)
		return false;
	for (size_t i = 8; i < STATION_NAME_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
