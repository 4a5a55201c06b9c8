#include "dataset.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "pseudonym.h"

/* How JSON writes a column: a number (null when empty or not a JSON
 * number), a string, true/false, or the pseudonym of the key in the line. */
enum column_kind { NUMBER, TEXT, BOOLEAN, NAME };

struct column {
	const char *json_key; /* "name": as JSON writes it */
	size_t json_key_len;
	enum column_kind kind;
};

/* A family's dataset: its columns in line order, the CSV header naming
 * them, the columns GeoJSON takes as a point's latitude and longitude, and,
 * when the first column is a key (kind NAME), the prefix and the number of
 * hex digits of its publication pseudonym. Readings of one time are then put
 * in pseudonym order; other layouts come in the database's order. A layout
 * of cells (`ring`) has after its columns the cell's four corners as
 * longitude and latitude fields, which only GeoJSON shows, as the feature's
 * polygon; the centre (lat, lon) is then a property like the others. */
struct layout {
	const char *csv_header;
	const struct column *columns;
	int ncolumns;
	int lat, lon;
	const char *name_prefix;
	size_t name_hex;
	const char *provenance; /* for GeoJSON */
	bool ring;
};

/* The fields of a cell's corners after its columns. */
#define RING_FIELDS 8

#define COL(name, kind)                                                                            \
	{                                                                                          \
		"\"" name "\":", sizeof("\"" name "\":") - 1, kind                                 \
	}

static const struct column air_columns[] = {
    COL("trip", NAME),           COL("recorded_at", TEXT),   COL("latitude", NUMBER),
    COL("longitude", NUMBER),    COL("pm1_ugm3", NUMBER),    COL("pm25_ugm3", NUMBER),
    COL("pm10_ugm3", NUMBER),    COL("no2", NUMBER),         COL("temperature_c", NUMBER),
    COL("humidity_pct", NUMBER), COL("pressure_pa", NUMBER), COL("quality", NUMBER),
    COL("flags", TEXT),
};

static const struct column traffic_columns[] = {
    COL("segment_id", NUMBER),     COL("period_start", TEXT),
    COL("interval", TEXT),         COL("latitude", NUMBER),
    COL("longitude", NUMBER),      COL("uptime", NUMBER),
    COL("heavy", NUMBER),          COL("heavy_lft", NUMBER),
    COL("heavy_rgt", NUMBER),      COL("car", NUMBER),
    COL("car_lft", NUMBER),        COL("car_rgt", NUMBER),
    COL("bike", NUMBER),           COL("bike_lft", NUMBER),
    COL("bike_rgt", NUMBER),       COL("pedestrian", NUMBER),
    COL("pedestrian_lft", NUMBER), COL("pedestrian_rgt", NUMBER),
    COL("direction", NUMBER),      COL("v85", NUMBER),
    COL("quality", NUMBER),        COL("flags", TEXT),
};

static const struct column heat_columns[] = {
    COL("station", NAME),
    COL("observed_at", TEXT),
    COL("latitude", NUMBER),
    COL("longitude", NUMBER),
    COL("position_blurred", BOOLEAN),
    COL("temperature_c", NUMBER),
    COL("humidity_pct", NUMBER),
    COL("pressure_hpa", NUMBER),
    COL("wind_speed_ms", NUMBER),
    COL("globe_temperature_c", NUMBER),
    COL("solar_radiation_wm2", NUMBER),
    COL("rain_mm", NUMBER),
    COL("wet_bulb_c", NUMBER),
    COL("wbgt_c", NUMBER),
    COL("wbgt_method", TEXT),
    COL("wbgt_approximate", BOOLEAN),
    COL("wbgt_category", TEXT),
    COL("heat_index_c", NUMBER),
    COL("heat_index_category", TEXT),
    COL("humidex", NUMBER),
    COL("humidex_category", TEXT),
    COL("quality", NUMBER),
    COL("flags", TEXT),
};

/* Cells of an air project (sql/025_air_cell_dataset.sql): per quantity the
 * count, mean, minimum and maximum of the cell's valid readings. Participants
 * are not published; PARTICIPANTS: a coarse lower bound would go after
 * "excluded" (and in the SQL's line). */
#define QUANTITY_COLS(q)                                                                           \
	COL(q "_n", NUMBER), COL(q "_mean", NUMBER), COL(q "_min", NUMBER), COL(q "_max", NUMBER)
static const struct column air_cell_columns[] = {
    COL("period_start", TEXT),      COL("period_end", TEXT),
    COL("cell_m", NUMBER),          COL("cell", TEXT),
    COL("latitude", NUMBER),        COL("longitude", NUMBER),
    COL("readings", NUMBER),        COL("excluded", NUMBER),
    QUANTITY_COLS("pm1_ugm3"),      QUANTITY_COLS("pm25_ugm3"),
    QUANTITY_COLS("pm10_ugm3"),     QUANTITY_COLS("no2"),
    QUANTITY_COLS("temperature_c"), QUANTITY_COLS("humidity_pct"),
};

/* Cells of an experience project (sql/026_experience_open.sql), a row per
 * cell and theme. Residents are not published (PARTICIPANTS, as above). */
static const struct column experience_cell_columns[] = {
    COL("period_start", TEXT), COL("period_end", TEXT), COL("cell_m", NUMBER),
    COL("cell", TEXT),         COL("latitude", NUMBER), COL("longitude", NUMBER),
    COL("sheets", NUMBER),     COL("theme", TEXT),      COL("n", NUMBER),
    COL("mean", NUMBER),       COL("score_1", NUMBER),  COL("score_2", NUMBER),
    COL("score_3", NUMBER),    COL("score_4", NUMBER),  COL("score_5", NUMBER),
    COL("score_6", NUMBER),    COL("score_7", NUMBER),
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct layout layouts[] = {
    [DATASET_AIR] = {"trip,recorded_at,latitude,longitude,pm1_ugm3,pm25_ugm3,pm10_ugm3,no2,"
                     "temperature_c,humidity_pct,pressure_pa,quality,flags\n",
                     air_columns, NCOLS(air_columns), 2, 3, "trip-", 20,
                     "Samen Meten Utrecht open data; trip ends hidden, trips pseudonymised "
                     "per trip",
                     false},
    [DATASET_TRAFFIC] = {"segment_id,period_start,interval,latitude,longitude,uptime,heavy,"
                         "heavy_lft,heavy_rgt,car,car_lft,car_rgt,bike,bike_lft,bike_rgt,"
                         "pedestrian,pedestrian_lft,pedestrian_rgt,direction,v85,quality,flags\n",
                         traffic_columns, NCOLS(traffic_columns), 3, 4, NULL, 0,
                         "Samen Meten Utrecht open data; Telraam counts per public road "
                         "segment, placed at the segment's middle; no camera named",
                         false},
    [DATASET_HEAT] = {"station,observed_at,latitude,longitude,position_blurred,temperature_c,"
                      "humidity_pct,pressure_hpa,wind_speed_ms,globe_temperature_c,"
                      "solar_radiation_wm2,rain_mm,wet_bulb_c,wbgt_c,wbgt_method,"
                      "wbgt_approximate,wbgt_category,heat_index_c,heat_index_category,"
                      "humidex,humidex_category,quality,flags\n",
                      heat_columns, NCOLS(heat_columns), 2, 3, "station-", 16,
                      "Samen Meten Utrecht open data; stations pseudonymised, placed at the "
                      "centre of their 100 m cell unless their owner consented",
                      false},
    [DATASET_AIR_CELLS] = {"period_start,period_end,cell_m,cell,latitude,longitude,readings,"
                           "excluded,pm1_ugm3_n,pm1_ugm3_mean,pm1_ugm3_min,pm1_ugm3_max,"
                           "pm25_ugm3_n,pm25_ugm3_mean,pm25_ugm3_min,pm25_ugm3_max,pm10_ugm3_n,"
                           "pm10_ugm3_mean,pm10_ugm3_min,pm10_ugm3_max,no2_n,no2_mean,no2_min,"
                           "no2_max,temperature_c_n,temperature_c_mean,temperature_c_min,"
                           "temperature_c_max,humidity_pct_n,humidity_pct_mean,humidity_pct_min,"
                           "humidity_pct_max\n",
                           air_cell_columns, NCOLS(air_cell_columns), 4, 5, NULL, 0,
                           "Samen Meten Utrecht open data; k-anonymous cells: hours of 250 m "
                           "RD New squares with at least k participants, the rest in days of "
                           "1000 m squares with at least k; each reading in at most one cell",
                           true},
    [DATASET_EXPERIENCE_CELLS] = {"period_start,period_end,cell_m,cell,latitude,longitude,sheets,"
                                  "theme,n,mean,score_1,score_2,score_3,score_4,score_5,score_6,"
                                  "score_7\n",
                                  experience_cell_columns, NCOLS(experience_cell_columns), 4, 5,
                                  NULL, 0,
                                  "Samen Meten Utrecht open data; k-anonymous cells: months of "
                                  "250 m RD New squares with at least k residents, the rest in "
                                  "months of 1000 m squares with at least k; a theme where at "
                                  "least k scored it; no sheet, no remark",
                                  true},
};

_Static_assert(NCOLS(air_columns) <= DATASET_MAX_COLUMNS &&
                   NCOLS(traffic_columns) <= DATASET_MAX_COLUMNS &&
                   NCOLS(heat_columns) <= DATASET_MAX_COLUMNS &&
                   NCOLS(air_cell_columns) + RING_FIELDS <= DATASET_MAX_COLUMNS &&
                   NCOLS(experience_cell_columns) + RING_FIELDS <= DATASET_MAX_COLUMNS,
               "a layout has more columns than a row holds");

/* Keys are "<uuid>|<epoch with microseconds>" (trips) or "station|<uuid>":
 * at most 56 bytes. */
#define KEY_MAX 64
/* Keys seen lately: one download meets each trip in every hour it lasts,
 * and the HMAC is the dearest thing per line. Direct-mapped; the slots are
 * many more than the bikes out at one time. */
#define NAME_SLOTS 2048

struct name_slot {
	uint8_t key_len; /* 0: empty */
	char key[KEY_MAX];
	char name[DATASET_NAME_MAX + 1];
};

/* One line, split; the fields point into the caller's lines. */
struct row {
	const char *field[DATASET_MAX_COLUMNS];
	size_t len[DATASET_MAX_COLUMNS];
	const char *rest; /* from the comma after the first field to the last column's end */
	size_t rest_len;
	size_t line_len;                 /* the whole line's */
	char name[DATASET_NAME_MAX + 1]; /* the first field's pseudonym, if named */
	size_t name_len;
};

struct dataset_writer {
	const struct layout *layout;
	enum dataset_format format;
	size_t rows;
	struct name_slot *names; /* NAME_SLOTS, when the layout names its keys */
	struct row *run;         /* the readings of one time */
	size_t run_cap;
};

sm_err dataset_writer_new(enum dataset_family family, enum dataset_format format,
                          struct dataset_writer **out)
{
	*out = NULL;
	struct dataset_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return SM_ERR_NOMEM;
	w->layout = &layouts[family];
	w->format = format;
	if (w->layout->name_prefix) {
		w->names = calloc(NAME_SLOTS, sizeof(*w->names));
		if (!w->names) {
			free(w);
			return SM_ERR_NOMEM;
		}
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

/* The pseudonym of a key in layout l, into out; its length. */
static size_t pseudonym_of(const struct layout *l, const char *key, size_t len,
                           char out[DATASET_NAME_MAX + 1])
{
	if (!l->name_prefix) {
		out[0] = '\0';
		return 0;
	}
	uint8_t mac[PSEUDONYM_BYTES];
	pseudonym_mac(PSEUDO_PUBLICATION, key, len, mac);
	size_t prefix = strlen(l->name_prefix);
	memcpy(out, l->name_prefix, prefix);
	sodium_bin2hex(out + prefix, l->name_hex + 1, mac, l->name_hex / 2);
	return prefix + l->name_hex;
}

size_t dataset_pseudonym(enum dataset_family family, const char *key, size_t len,
                         char out[DATASET_NAME_MAX + 1])
{
	return pseudonym_of(&layouts[family], key, len, out);
}

/* The pseudonym of this key, from the cache or computed into it. */
static const char *cached_name(struct dataset_writer *w, const char *key, size_t len)
{
	struct name_slot *s = &w->names[hash_bytes(HASH_SEED, key, len) % NAME_SLOTS];
	if (s->key_len != len || memcmp(s->key, key, len) != 0) {
		memcpy(s->key, key, len);
		s->key_len = (uint8_t)len;
		pseudonym_of(w->layout, key, len, s->name);
	}
	return s->name;
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

/* True when s can go between JSON quotes as it is: printable ASCII but for
 * the quote and the backslash. The text columns (times, flag names, methods,
 * categories) are ASCII words; anything else would need escaping, or
 * checking as UTF-8 (the fuzzer found that). */
static bool json_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* The fields of a line of layout l: its columns, and a cell's corners. */
static int line_fields(const struct layout *l)
{
	return l->ncolumns + (l->ring ? RING_FIELDS : 0);
}

/* Splits the line at p into r's fields, in one pass up to its '\n' (which
 * comes before end), and sets *eol to it. False when the line does not have
 * the layout's number of fields, lacks its first two (an id or key, and a
 * time), has a key too long, or has a text field that is not plain ASCII. */
static bool parse_line(const struct layout *l, const char *p, const char *end, struct row *r,
                       const char **eol)
{
	int i = 0, nfields = line_fields(l);
	const char *q = p;
	r->field[0] = p;
	for (; q < end && *q != '\n'; q++) {
		if (*q != ',')
			continue;
		if (i + 1 == nfields)
			return false;
		r->len[i] = (size_t)(q - r->field[i]);
		r->field[++i] = q + 1;
	}
	if (q == end || i + 1 != nfields)
		return false;
	r->len[i] = (size_t)(q - r->field[i]);
	*eol = q;
	if (r->len[0] == 0 || r->len[1] == 0 || (l->name_prefix && r->len[0] >= KEY_MAX))
		return false;
	for (int c = 0; c < l->ncolumns; c++)
		if (l->columns[c].kind == TEXT && !json_plain(r->field[c], r->len[c]))
			return false;
	r->rest = r->field[0] + r->len[0];
	int last = l->ncolumns - 1;
	r->rest_len = (size_t)(r->field[last] + r->len[last] - r->rest);
	r->line_len = (size_t)(q + 1 - p);
	r->name_len = 0; /* named by write_run, when the layout names keys */
	r->name[0] = '\0';
	return true;
}

static bool same_time(const struct row *a, const struct row *b)
{
	return a->len[1] == b->len[1] && memcmp(a->field[1], b->field[1], a->len[1]) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

static bool same(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* Writes column i of r as a JSON member value (after its key). Numbers
 * that are not JSON numbers (a NaN that slipped past ingest) and booleans
 * that are neither become null: CSV keeps their text. */
static char *put_json_value(char *p, const struct column *c, const struct row *r, int i)
{
	const char *s = r->field[i];
	size_t n = r->len[i];
	switch (c->kind) {
	case NAME:
		s = r->name;
		n = r->name_len;
		/* fall through */
	case TEXT:
		if (n == 0)
			break;
		*p++ = '"';
		p = put(p, s, n);
		*p++ = '"';
		return p;
	case NUMBER:
		if (!json_number(s, n))
			break;
		return put(p, s, n);
	case BOOLEAN:
		if (!same(s, n, "true") && !same(s, n, "false"))
			break;
		return put(p, s, n);
	}
	return PUT_LIT(p, "null");
}

/* Writes the members of r's columns, but for the position when `geometry`
 * is set and the geometry is that point (GeoJSON has it apart), without
 * braces. */
static char *put_members(const struct layout *l, char *p, const struct row *r, bool geometry)
{
	bool first = true;
	for (int i = 0; i < l->ncolumns; i++) {
		if (geometry && !l->ring && (i == l->lat || i == l->lon))
			continue;
		if (!first)
			*p++ = ',';
		first = false;
		p = put(p, l->columns[i].json_key, l->columns[i].json_key_len);
		p = put_json_value(p, &l->columns[i], r, i);
	}
	return p;
}

/* Room for a row's JSON beyond its fields: each column's key, quotes, a
 * comma and a null at most, and a GeoJSON feature's frame (with a polygon's
 * brackets and its first corner again). */
#define JSON_PER_COLUMN 40
#define JSON_FRAME 320

/* Whether fields [from, from + n) of r are all JSON numbers. */
static bool json_numbers(const struct row *r, int from, int n)
{
	for (int i = from; i < from + n; i++)
		if (!json_number(r->field[i], r->len[i]))
			return false;
	return true;
}

/* Writes the GeoJSON geometry of r: its point, its cell's polygon, or null. */
static char *put_geometry(const struct layout *l, char *p, const struct row *r)
{
	if (l->ring && json_numbers(r, l->ncolumns, RING_FIELDS)) {
		p = PUT_LIT(p, "{\"type\":\"Polygon\",\"coordinates\":[[");
		for (int c = 0; c <= RING_FIELDS / 2; c++) { /* the first corner closes it */
			int i = l->ncolumns + 2 * (c % (RING_FIELDS / 2));
			if (c > 0)
				*p++ = ',';
			*p++ = '[';
			p = put(p, r->field[i], r->len[i]);
			*p++ = ',';
			p = put(p, r->field[i + 1], r->len[i + 1]);
			*p++ = ']';
		}
		return PUT_LIT(p, "]]}");
	}
	if (!l->ring && json_number(r->field[l->lat], r->len[l->lat]) &&
	    json_number(r->field[l->lon], r->len[l->lon])) {
		p = PUT_LIT(p, "{\"type\":\"Point\",\"coordinates\":[");
		p = put(p, r->field[l->lon], r->len[l->lon]);
		*p++ = ',';
		p = put(p, r->field[l->lat], r->len[l->lat]);
		return PUT_LIT(p, "]}");
	}
	return PUT_LIT(p, "null");
}

/* Appends one row in the writer's format. */
static sm_err write_row(struct dataset_writer *w, const struct row *r, struct buf *out)
{
	const struct layout *l = w->layout;
	/* A polygon writes its first corner twice: twice the line is room. */
	sm_err e = buf_reserve(out, r->name_len + 2 * r->line_len +
	                                JSON_PER_COLUMN * (size_t)l->ncolumns + JSON_FRAME);
	if (e != SM_OK)
		return e;
	char *p = out->data + out->len;
	switch (w->format) {
	case DATASET_CSV:
		p = l->name_prefix ? put(p, r->name, r->name_len) : put(p, r->field[0], r->len[0]);
		p = put(p, r->rest, r->rest_len);
		*p++ = '\n';
		break;
	case DATASET_NDJSON:
		*p++ = '{';
		p = put_members(l, p, r, false);
		p = PUT_LIT(p, "}\n");
		break;
	case DATASET_GEOJSON:
		if (w->rows > 0)
			p = PUT_LIT(p, ",\n");
		p = PUT_LIT(p, "{\"type\":\"Feature\",\"geometry\":");
		p = put_geometry(l, p, r);
		p = PUT_LIT(p, ",\"properties\":{");
		p = put_members(l, p, r, true);
		p = PUT_LIT(p, "}}");
		break;
	}
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	w->rows++;
	return SM_OK;
}

/* Names the n parsed rows of one time, sorts them by name when named, and
 * writes them. */
static sm_err write_run(struct dataset_writer *w, size_t n, struct buf *out)
{
	const struct layout *l = w->layout;
	for (size_t i = 0; i < n && l->name_prefix; i++) {
		struct row *r = &w->run[i];
		const char *name = cached_name(w, r->field[0], r->len[0]);
		r->name_len = strlen(name);
		memcpy(r->name, name, r->name_len + 1);
	}
	if (n > 1 && l->name_prefix)
		qsort(w->run, n, sizeof(*w->run), by_name);
	for (size_t i = 0; i < n; i++) {
		sm_err e = write_row(w, &w->run[i], out);
		if (e != SM_OK)
			return e;
	}
	return SM_OK;
}

/* Room for one more parsed row in w->run. */
static sm_err run_room(struct dataset_writer *w, size_t n)
{
	if (n < w->run_cap)
		return SM_OK;
	size_t cap = w->run_cap ? 2 * w->run_cap : 64;
	struct row *run = realloc(w->run, cap * sizeof(*run));
	if (!run)
		return SM_ERR_NOMEM;
	w->run = run;
	w->run_cap = cap;
	return SM_OK;
}

sm_err dataset_write_lines(struct dataset_writer *w, const char *lines, size_t len, size_t enough,
                           struct buf *out, size_t *used)
{
	*used = 0;
	const char *p = lines, *end = lines + len;
	if (len > 0 && end[-1] != '\n')
		return SM_ERR_INVALID;
	/* w->run[0, n) holds the parsed rows of one time; a row of another
	 * time ends the run and becomes the first of the next. */
	size_t n = 0;
	while (p < end) {
		sm_err e = run_room(w, n);
		if (e != SM_OK)
			return e;
		const char *eol;
		struct row *r = &w->run[n];
		if (!parse_line(w->layout, p, end, r, &eol))
			return SM_ERR_INVALID;
		if (n > 0 && !same_time(&w->run[0], r)) {
			e = write_run(w, n, out);
			if (e != SM_OK)
				return e;
			*used = (size_t)(p - lines);
			if (out->len >= enough)
				return SM_OK;
			w->run[0] = *r;
			n = 0;
		}
		n++;
		p = eol + 1;
	}
	if (n > 0) {
		sm_err e = write_run(w, n, out);
		if (e != SM_OK)
			return e;
	}
	*used = len;
	return SM_OK;
}

sm_err dataset_write_head(struct dataset_writer *w, const char *licence, struct buf *out)
{
	if (w->format == DATASET_CSV)
		return buf_puts(out, w->layout->csv_header);
	if (w->format != DATASET_GEOJSON)
		return SM_OK;
	json_t *meta = json_pack("{s:s, s:s, s:s}", "type", "FeatureCollection", "licence", licence,
	                         "provenance", w->layout->provenance);
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
