#include "dataset.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pseudonym.h"

/* The dataset's columns in line order, and whether JSON writes each as a
 * string (else as a number, or null when empty). */
static const struct column {
	const char *json_key; /* "name": as JSON writes it */
	bool text;
} columns[DATASET_COLUMNS] = {
    {"\"trip\":", true},          {"\"recorded_at\":", true},   {"\"latitude\":", false},
    {"\"longitude\":", false},    {"\"pm1_ugm3\":", false},     {"\"pm25_ugm3\":", false},
    {"\"pm10_ugm3\":", false},    {"\"no2\":", false},          {"\"temperature_c\":", false},
    {"\"humidity_pct\":", false}, {"\"pressure_pa\":", false},  {"\"quality\":", false},
    {"\"flags\":", true},
};
enum { COL_TRIP = 0, COL_TIME = 1, COL_LAT = 2, COL_LON = 3 };

static const char csv_header[] = "trip,recorded_at,latitude,longitude,pm1_ugm3,pm25_ugm3,"
                                 "pm10_ugm3,no2,temperature_c,humidity_pct,pressure_pa,"
                                 "quality,flags\n";

/* Trip keys are "<uuid>|<epoch with microseconds>": 36 + 1 + at most 18. */
#define TRIP_KEY_MAX 64
/* Trips seen lately, by key: one download meets each trip in every hour it
 * lasts, and the HMAC is the dearest thing per line. Direct-mapped; the
 * slots are many more than the bikes out at one time. */
#define NAME_SLOTS 2048

struct name_slot {
	uint8_t key_len; /* 0: empty */
	char key[TRIP_KEY_MAX];
	char name[DATASET_TRIP_NAME_LEN + 1];
};

/* One line, split; the fields point into the caller's lines. */
struct row {
	const char *field[DATASET_COLUMNS];
	size_t len[DATASET_COLUMNS];
	const char *rest; /* from the comma after the key to the line end, inclusive */
	size_t rest_len;
	char name[DATASET_TRIP_NAME_LEN + 1];
};

struct dataset_writer {
	enum dataset_format format;
	size_t rows;
	struct name_slot *names; /* NAME_SLOTS */
	struct row *run;         /* the readings of one time */
	size_t run_cap;
};

sm_err dataset_writer_new(enum dataset_format format, struct dataset_writer **out)
{
	*out = NULL;
	struct dataset_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return SM_ERR_NOMEM;
	w->format = format;
	w->names = calloc(NAME_SLOTS, sizeof(*w->names));
	if (!w->names) {
		free(w);
		return SM_ERR_NOMEM;
	}
	*out = w;
	return SM_OK;
}

void dataset_writer_free(struct dataset_writer *w)
{
	if (!w)
		return;
	free(w->names);
	free(w->run);
	free(w);
}

void dataset_trip_name(const char *key, size_t len, char out[DATASET_TRIP_NAME_LEN + 1])
{
	uint8_t mac[PSEUDONYM_BYTES];
	pseudonym_mac(PSEUDO_PUBLICATION, key, len, mac);
	memcpy(out, "trip-", 5);
	/* 20 hex digits: 10 bytes, and sodium_bin2hex's NUL. */
	sodium_bin2hex(out + 5, DATASET_TRIP_NAME_LEN - 5 + 1, mac, (DATASET_TRIP_NAME_LEN - 5) / 2);
}

/* The name of the trip with this key, from the cache or computed into it. */
static const char *trip_name(struct dataset_writer *w, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	struct name_slot *s = &w->names[h % NAME_SLOTS];
	if (s->key_len != len || memcmp(s->key, key, len) != 0) {
		memcpy(s->key, key, len);
		s->key_len = (uint8_t)len;
		dataset_trip_name(key, len, s->name);
	}
	return s->name;
}

/* Splits the line [p, end) (without its '\n') into r's fields; false when it
 * does not have DATASET_COLUMNS fields or its key is empty or too long. */
static bool split(const char *p, const char *end, struct row *r)
{
	for (int i = 0; i < DATASET_COLUMNS; i++) {
		const char *comma = i + 1 < DATASET_COLUMNS ? memchr(p, ',', (size_t)(end - p)) : NULL;
		if (i + 1 < DATASET_COLUMNS && !comma)
			return false;
		const char *stop = comma ? comma : end;
		r->field[i] = p;
		r->len[i] = (size_t)(stop - p);
		p = stop + 1;
	}
	if (memchr(r->field[DATASET_COLUMNS - 1], ',', r->len[DATASET_COLUMNS - 1]))
		return false;
	return r->len[COL_TRIP] > 0 && r->len[COL_TRIP] < TRIP_KEY_MAX && r->len[COL_TIME] > 0;
}

/* The time field of the line at p (up to end): what follows the first comma,
 * up to the second. */
static bool line_time(const char *p, const char *end, const char **t, size_t *n)
{
	const char *c1 = memchr(p, ',', (size_t)(end - p));
	const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(end - c1 - 1)) : NULL;
	if (!c2)
		return false;
	*t = c1 + 1;
	*n = (size_t)(c2 - c1 - 1);
	return true;
}

static int by_name(const void *a, const void *b)
{
	return memcmp(((const struct row *)a)->name, ((const struct row *)b)->name,
	              DATASET_TRIP_NAME_LEN);
}

/* A JSON number as RFC 8259 has it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/* True when s can go between JSON quotes as it is. */
static bool json_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Writes column i of r as a JSON member value (after its key). Numbers
 * that are not JSON numbers (a NaN that slipped past ingest) become null:
 * CSV keeps their text. */
static char *put_json_value(char *p, const struct row *r, int i)
{
	const char *s = i == COL_TRIP ? r->name : r->field[i];
	size_t n = i == COL_TRIP ? DATASET_TRIP_NAME_LEN : r->len[i];
	if (n == 0 || (!columns[i].text && !json_number(s, n)))
		return PUT_LIT(p, "null");
	if (!columns[i].text)
		return put(p, s, n);
	*p++ = '"';
	p = put(p, s, n);
	*p++ = '"';
	return p;
}

/* Writes the members of r's columns, but for the position when `geometry`
 * is set (GeoJSON has it apart), without braces. */
static char *put_members(char *p, const struct row *r, bool geometry)
{
	bool first = true;
	for (int i = 0; i < DATASET_COLUMNS; i++) {
		if (geometry && (i == COL_LAT || i == COL_LON))
			continue;
		if (!first)
			*p++ = ',';
		first = false;
		const char *k = columns[i].json_key;
		p = put(p, k, strlen(k));
		p = put_json_value(p, r, i);
	}
	return p;
}

/* Appends one row in the writer's format. */
static sm_err write_row(struct dataset_writer *w, const struct row *r, struct buf *out)
{
	/* Keys, brackets and nulls of a GeoJSON feature: under 400 bytes. */
	sm_err e = buf_reserve(out, DATASET_TRIP_NAME_LEN + r->rest_len + 512);
	if (e != SM_OK)
		return e;
	char *p = out->data + out->len;
	switch (w->format) {
	case DATASET_CSV:
		p = put(p, r->name, DATASET_TRIP_NAME_LEN);
		p = put(p, r->rest, r->rest_len);
		break;
	case DATASET_NDJSON:
		*p++ = '{';
		p = put_members(p, r, false);
		p = PUT_LIT(p, "}\n");
		break;
	case DATASET_GEOJSON:
		if (w->rows > 0)
			p = PUT_LIT(p, ",\n");
		p = PUT_LIT(p, "{\"type\":\"Feature\",\"geometry\":");
		if (r->len[COL_LAT] && r->len[COL_LON] && json_number(r->field[COL_LAT], r->len[COL_LAT]) &&
		    json_number(r->field[COL_LON], r->len[COL_LON])) {
			p = PUT_LIT(p, "{\"type\":\"Point\",\"coordinates\":[");
			p = put(p, r->field[COL_LON], r->len[COL_LON]);
			*p++ = ',';
			p = put(p, r->field[COL_LAT], r->len[COL_LAT]);
			p = PUT_LIT(p, "]}");
		} else {
			p = PUT_LIT(p, "null");
		}
		p = PUT_LIT(p, ",\"properties\":{");
		p = put_members(p, r, true);
		p = PUT_LIT(p, "}}");
		break;
	}
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	w->rows++;
	return SM_OK;
}

/* Splits and names the n lines of one time in [p, end), sorts them by name
 * and writes them. */
static sm_err write_run(struct dataset_writer *w, const char *p, const char *end, size_t n,
                        struct buf *out)
{
	if (n > w->run_cap) {
		size_t cap = w->run_cap ? w->run_cap : 64;
		while (cap < n)
			cap *= 2;
		struct row *run = realloc(w->run, cap * sizeof(*run));
		if (!run)
			return SM_ERR_NOMEM;
		w->run = run;
		w->run_cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct row *r = &w->run[i];
		if (!split(p, eol, r))
			return SM_ERR_INVALID;
		for (int c = 1; c < DATASET_COLUMNS; c++)
			if (columns[c].text && !json_plain(r->field[c], r->len[c]))
				return SM_ERR_INVALID;
		r->rest = r->field[COL_TIME] - 1;
		r->rest_len = (size_t)(eol + 1 - r->rest);
		memcpy(r->name, trip_name(w, r->field[COL_TRIP], r->len[COL_TRIP]),
		       sizeof(r->name));
		p = eol + 1;
	}
	if (n > 1)
		qsort(w->run, n, sizeof(*w->run), by_name);
	for (size_t i = 0; i < n; i++) {
		sm_err e = write_row(w, &w->run[i], out);
		if (e != SM_OK)
			return e;
	}
	return SM_OK;
}

sm_err dataset_write_lines(struct dataset_writer *w, const char *lines, size_t len,
                           size_t enough, struct buf *out, size_t *used)
{
	*used = 0;
	const char *p = lines, *end = lines + len;
	if (len > 0 && end[-1] != '\n')
		return SM_ERR_INVALID;
	while (p < end && out->len < enough) {
		/* The run of lines with the time of the first. */
		const char *t0, *q = p;
		size_t t0_len, n = 0;
		if (!line_time(p, memchr(p, '\n', (size_t)(end - p)), &t0, &t0_len))
			return SM_ERR_INVALID;
		while (q < end) {
			const char *t, *eol = memchr(q, '\n', (size_t)(end - q));
			size_t t_len;
			if (!line_time(q, eol, &t, &t_len))
				return SM_ERR_INVALID;
			if (t_len != t0_len || memcmp(t, t0, t_len) != 0)
				break;
			n++;
			q = eol + 1;
		}
		sm_err e = write_run(w, p, q, n, out);
		if (e != SM_OK)
			return e;
		p = q;
		*used = (size_t)(p - lines);
	}
	return SM_OK;
}

sm_err dataset_write_head(struct dataset_writer *w, const char *licence, struct buf *out)
{
	if (w->format == DATASET_CSV)
		return buf_append(out, csv_header, sizeof(csv_header) - 1);
	if (w->format != DATASET_GEOJSON)
		return SM_OK;
	json_t *meta = json_pack("{s:s, s:s, s:s}", "type", "FeatureCollection", "licence", licence,
	                         "provenance",
	                         "Samen Meten Utrecht open data; trip ends hidden, trips "
	                         "pseudonymised per trip");
	char *text = meta ? json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(meta);
	if (!text)
		return SM_ERR_NOMEM;
	/* {"type":...,"provenance":"..."} becomes {...,"features":[ */
	sm_err e = buf_append(out, text, strlen(text) - 1);
	free(text);
	if (e == SM_OK)
		e = buf_puts(out, ",\"features\":[\n");
	return e;
}

sm_err dataset_write_tail(struct dataset_writer *w, struct buf *out)
{
	return w->format == DATASET_GEOJSON ? buf_puts(out, "\n]}\n") : SM_OK;
}
