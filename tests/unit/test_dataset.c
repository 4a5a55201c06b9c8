/* Unit tests for server/dataset.c: the open dataset's lines written as CSV,
 * NDJSON and GeoJSON, trips named by the publication key, readings of one
 * time in name order, and lines that are not the dataset's refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "pseudonym.h"
#include "unit.h"

/* Two trips of one bike and one of another; their names under the key
 * 000102...1f, computed apart from the server (Python: hashlib.blake2b as
 * crypto_kdf derives subkey 5 with context "smu-pseu", then hmac SHA-256). */
#define KEY_A "0b7e3c5a-1111-4222-8333-944445555666|1731312000.000000"
#define KEY_B "0b7e3c5a-1111-4222-8333-944445555666|1731315600.500000"
#define KEY_C "ffffffff-0000-4000-8000-000000000001|1731312010.000000"
#define NAME_A "trip-6271c102bd586aa9eaf9"
#define NAME_B "trip-df4a982807e446bc7e49"
#define NAME_C "trip-b4ea0f96de2846250d69"

static char key_file[] = "/tmp/samenmeten-dataset-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	int fd = mkstemp(key_file);
	if (fd < 0)
		return -1;
	static const char hex[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	bool ok = fchmod(fd, 0600) == 0 && write(fd, hex, sizeof(hex) - 1) == sizeof(hex) - 1;
	close(fd);
	bool created;
	char err[256];
	return ok && pseudonym_keys_load(key_file, &created, err, sizeof(err)) == SM_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	pseudonym_keys_cleanup();
	return unlink(key_file);
}

/* Writes head, lines and tail in one go; the text (owned) or NULL when any
 * step failed, with that step's error in *e. */
static char *render(enum dataset_family family, enum dataset_format format, const char *lines,
                    sm_err *e)
{
	struct dataset_writer *w;
	struct buf out;
	buf_init(&out, 0);
	size_t used = 0;
	*e = dataset_writer_new(family, format, &w);
	if (*e == SM_OK)
		*e = dataset_write_head(w, "CC-BY-4.0", &out);
	if (*e == SM_OK)
		*e = dataset_write_lines(w, lines, strlen(lines), SIZE_MAX, &out, &used);
	if (*e == SM_OK && used != strlen(lines))
		*e = SM_ERR_INTERNAL;
	if (*e == SM_OK)
		*e = dataset_write_tail(w, &out);
	dataset_writer_free(w);
	if (*e != SM_OK) {
		buf_cleanup(&out);
		return NULL;
	}
	char *text = buf_steal(&out, &used);
	return text ? text : strdup(""); /* nothing written */
}

#define HEADER                                                                                     \
	"trip,recorded_at,latitude,longitude,pm1_ugm3,pm25_ugm3,pm10_ugm3,no2,temperature_c,"      \
	"humidity_pct,pressure_pa,quality,flags\n"

/* B and C at the same second: the database sends them in key order (B's
 * device sorts first), the download in name order (C's name sorts first). */
static const char lines[] = KEY_A
    ",2024-11-11T08:00:00Z,52.090123,5.121000,1.5,2.25,3,,17.6,68,102800,0,\n" KEY_B
    ",2024-11-11T08:00:10Z,,,0.44,0.48,0.53,0,12.34567,64,102600,2,gps_missing\n" KEY_C
    ",2024-11-11T08:00:10Z,52.1,5.2,1e-05,NaN,3,0,19.4,64,102600,6,gps_missing;humidity_high\n";

static void test_names(void **state)
{
	(void)state;
	struct table_run run = {0};
	static const struct {
		const char *key, *name;
	} cases[] = {{KEY_A, NAME_A}, {KEY_B, NAME_B}, {KEY_C, NAME_C}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[DATASET_NAME_MAX + 1];
		dataset_pseudonym(DATASET_AIR, cases[i].key, strlen(cases[i].key), name);
		EXPECT_STR(run, cases[i].key, name, cases[i].name);
	}
	TABLE_DONE(run);
}

static void test_formats(void **state)
{
	(void)state;
	struct table_run run = {0};
	static const struct {
		const char *name;
		enum dataset_format format;
		const char *want;
	} cases[] = {
	    {"csv: the key becomes the name; the rest as it came", DATASET_CSV,
	     HEADER NAME_A
	     ",2024-11-11T08:00:00Z,52.090123,5.121000,1.5,2.25,3,,17.6,68,102800,0,\n" NAME_C
	     ",2024-11-11T08:00:10Z,52.1,5.2,1e-05,NaN,3,0,19.4,64,102600,6,"
	     "gps_missing;humidity_high\n" NAME_B
	     ",2024-11-11T08:00:10Z,,,0.44,0.48,0.53,0,12.34567,64,102600,2,gps_missing\n"},
	    {"ndjson: empty is null, NaN is null, every digit kept", DATASET_NDJSON,
	     "{\"trip\":\"" NAME_A
	     "\",\"recorded_at\":\"2024-11-11T08:00:00Z\",\"latitude\":52.090123,"
	     "\"longitude\":5.121000,\"pm1_ugm3\":1.5,\"pm25_ugm3\":2.25,\"pm10_ugm3\":3,\"no2\":"
	     "null,"
	     "\"temperature_c\":17.6,\"humidity_pct\":68,\"pressure_pa\":102800,\"quality\":0,"
	     "\"flags\":null}\n"
	     "{\"trip\":\"" NAME_C "\",\"recorded_at\":\"2024-11-11T08:00:10Z\",\"latitude\":52.1,"
	     "\"longitude\":5.2,\"pm1_ugm3\":1e-05,\"pm25_ugm3\":null,\"pm10_ugm3\":3,\"no2\":0,"
	     "\"temperature_c\":19.4,\"humidity_pct\":64,\"pressure_pa\":102600,\"quality\":6,"
	     "\"flags\":\"gps_missing;humidity_high\"}\n"
	     "{\"trip\":\"" NAME_B "\",\"recorded_at\":\"2024-11-11T08:00:10Z\",\"latitude\":null,"
	     "\"longitude\":null,\"pm1_ugm3\":0.44,\"pm25_ugm3\":0.48,\"pm10_ugm3\":0.53,\"no2\":0,"
	     "\"temperature_c\":12.34567,\"humidity_pct\":64,\"pressure_pa\":102600,\"quality\":2,"
	     "\"flags\":\"gps_missing\"}\n"},
	    {"geojson: a point, or null geometry; a feature a line", DATASET_GEOJSON,
	     "{\"type\":\"FeatureCollection\",\"licence\":\"CC-BY-4.0\",\"provenance\":\"Samen "
	     "Meten "
	     "Utrecht open data; trip ends hidden, trips pseudonymised per trip\",\"features\":[\n"
	     "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[5.121000,"
	     "52.090123]},\"properties\":{\"trip\":\"" NAME_A
	     "\",\"recorded_at\":\"2024-11-11T08:00:"
	     "00Z\",\"pm1_ugm3\":1.5,\"pm25_ugm3\":2.25,\"pm10_ugm3\":3,\"no2\":null,\"temperature_"
	     "c\":"
	     "17.6,\"humidity_pct\":68,\"pressure_pa\":102800,\"quality\":0,\"flags\":null}},\n"
	     "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[5.2,52.1]},"
	     "\"properties\":{\"trip\":\"" NAME_C "\",\"recorded_at\":\"2024-11-11T08:00:10Z\","
	     "\"pm1_ugm3\":1e-05,\"pm25_ugm3\":null,\"pm10_ugm3\":3,\"no2\":0,\"temperature_c\":19."
	     "4,"
	     "\"humidity_pct\":64,\"pressure_pa\":102600,\"quality\":6,\"flags\":\"gps_missing;"
	     "humidity_high\"}},\n"
	     "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"trip\":\"" NAME_B "\","
	     "\"recorded_at\":\"2024-11-11T08:00:10Z\",\"pm1_ugm3\":0.44,\"pm25_ugm3\":0.48,"
	     "\"pm10_ugm3\":0.53,\"no2\":0,\"temperature_c\":12.34567,\"humidity_pct\":64,"
	     "\"pressure_pa\":102600,\"quality\":2,\"flags\":\"gps_missing\"}}\n]}\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sm_err e;
		char *got = render(DATASET_AIR, cases[i].format, lines, &e);
		EXPECT(run, cases[i].name, e == SM_OK);
		EXPECT_STR(run, cases[i].name, got, cases[i].want);
		free(got);
	}
	TABLE_DONE(run);
}

/* An empty dataset is still a valid document in every format. */
static void test_empty(void **state)
{
	(void)state;
	sm_err e;
	char *csv = render(DATASET_AIR, DATASET_CSV, "", &e);
	assert_string_equal(csv, HEADER);
	char *nd = render(DATASET_AIR, DATASET_NDJSON, "", &e);
	assert_string_equal(nd, "");
	char *geo = render(DATASET_AIR, DATASET_GEOJSON, "", &e);
	json_error_t err;
	json_t *doc = json_loads(geo, 0, &err);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "features")), 0);
	json_decref(doc);
	free(csv);
	free(nd);
	free(geo);
}

/* Written a block at a time, the output is the same, and every call ends
 * after a whole time (never between readings of one second). */
static void test_blocks(void **state)
{
	(void)state;
	for (int f = DATASET_CSV; f <= DATASET_GEOJSON; f++) {
		sm_err e;
		char *whole = render(DATASET_AIR, (enum dataset_format)f, lines, &e);
		assert_non_null(whole);
		struct dataset_writer *w;
		struct buf out, all;
		buf_init(&out, 0);
		buf_init(&all, 0);
		assert_int_equal(dataset_writer_new(DATASET_AIR, (enum dataset_format)f, &w),
		                 SM_OK);
		assert_int_equal(dataset_write_head(w, "CC-BY-4.0", &all), SM_OK);
		const char *p = lines;
		size_t left = strlen(lines), calls = 0;
		while (left > 0) {
			size_t used;
			buf_reset(&out);
			assert_int_equal(dataset_write_lines(w, p, left, 1, &out, &used), SM_OK);
			assert_true(used > 0);
			assert_int_equal(buf_append(&all, out.data, out.len), SM_OK);
			p += used;
			left -= used;
			calls++;
		}
		assert_int_equal(calls, 2); /* 08:00:00, then both readings of 08:00:10 */
		assert_int_equal(dataset_write_tail(w, &all), SM_OK);
		assert_string_equal(all.data, whole);
		dataset_writer_free(w);
		buf_cleanup(&out);
		buf_cleanup(&all);
		free(whole);
	}
}

/* Many trips at one time: the cache of names holds fewer slots than some
 * runs have readings, and the order is still by name. */
static void test_many_trips_at_one_time(void **state)
{
	(void)state;
	struct buf in;
	buf_init(&in, 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_printf(&in,
		                            "00000000-0000-4000-8000-%012d|1731312000.000000,"
		                            "2024-11-11T08:00:00Z,52.1,5.1,1,2,3,4,5,6,7,0,\n",
		                            i),
		                 SM_OK);
	sm_err e;
	char *csv = render(DATASET_AIR, DATASET_CSV, in.data, &e);
	assert_non_null(csv);
	const char *line = strchr(csv, '\n') + 1, *prev = NULL;
	int n = 0;
	for (; *line; line = strchr(line, '\n') + 1, n++) {
		if (prev)
			assert_true(memcmp(prev, line, 25) < 0);
		prev = line;
	}
	assert_int_equal(n, 5000);
	free(csv);
	buf_cleanup(&in);
}

static void test_bad_lines(void **state)
{
	(void)state;
	struct table_run run = {0};
	static const struct {
		const char *name, *lines;
	} cases[] = {
	    {"no line end", KEY_A ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,"},
	    {"a field short", KEY_A ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0\n"},
	    {"a field over", KEY_A ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,,\n"},
	    {"no key", ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,\n"},
	    {"no time", KEY_A ",,1,2,3,4,5,6,7,8,9,0,\n"},
	    {"a key too long",
	     "0123456789012345678901234567890123456789012345678901234567890123456789"
	     ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,\n"},
	    {"a quote in a flag", KEY_A ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,a\"b\n"},
	    {"a backslash in the time", KEY_A ",2024\\11,1,2,3,4,5,6,7,8,9,0,\n"},
	    /* Found by fuzz_dataset: JSON readers refuse bytes that are not UTF-8. */
	    {"a byte past ASCII in the time", KEY_A ",2024-\x9b"
	                                            "7-01,1,2,3,4,5,6,7,8,9,0,\n"},
	    {"a good line, then a bad one",
	     KEY_A ",2024-11-11T08:00:00Z,1,2,3,4,5,6,7,8,9,0,\n" KEY_B ",x\n"},
	    {"an empty line", "\n"},
	};
	for (int f = DATASET_CSV; f <= DATASET_GEOJSON; f++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			sm_err e;
			char *got = render(DATASET_AIR, (enum dataset_format)f, cases[i].lines, &e);
			EXPECT(run, cases[i].name, got == NULL && e == SM_ERR_INVALID);
			free(got);
		}
	TABLE_DONE(run);
}

/* Heat: stations named and put in name order, booleans as JSON booleans. */
static void test_heat_layout(void **state)
{
	(void)state;
	static const char heat[] =
	    "station|ffffffff-0000-4000-8000-000000000001,2024-07-01T12:00:00Z,52.0904,5.1214,true,"
	    "31.5,40,1013.2,,,,,20.9,27.1,bom,true,caution,32.4,caution,36.8,some-discomfort,0,\n"
	    "station|0b7e3c5a-1111-4222-8333-944445555666,2024-07-01T12:00:00Z,52.1,5.1,false,"
	    "30,45,,2.5,35.5,800,0,21,26,iso7243,false,none,31,caution,35,some-discomfort,0,\n";
	sm_err e;
	char *csv = render(DATASET_HEAT, DATASET_CSV, heat, &e);
	assert_non_null(csv);
	assert_non_null(strstr(csv,
	                       "\nstation-053728f773b59a71,2024-07-01T12:00:00Z,52.1,5.1,false,"
	                       "30,45,,2.5,35.5,800,0,21,26,iso7243,false,none,31,caution,35,"
	                       "some-discomfort,0,\nstation-a939af004052d5ba,"));
	assert_true(strncmp(csv, "station,observed_at,latitude,longitude,position_blurred,", 56) ==
	            0);
	char *nd = render(DATASET_HEAT, DATASET_NDJSON, heat, &e);
	assert_non_null(nd);
	json_t *first = json_loadb(nd, (size_t)(strchr(nd, '\n') - nd), 0, NULL);
	assert_non_null(first);
	assert_string_equal(json_string_value(json_object_get(first, "station")),
	                    "station-053728f773b59a71");
	assert_true(json_is_false(json_object_get(first, "position_blurred")));
	assert_true(json_is_null(json_object_get(first, "pressure_hpa")));
	assert_string_equal(json_string_value(json_object_get(first, "wbgt_method")), "iso7243");
	assert_int_equal(json_object_size(first), 23);
	json_decref(first);
	free(csv);
	free(nd);
}

/* Traffic: no key to name, lines kept in the database's order, and the
 * segment's middle as the GeoJSON point. */
static void test_traffic_layout(void **state)
{
	(void)state;
	static const char traffic[] =
	    "9000001234,2024-07-01T12:00:00Z,hourly,52.09,5.12,0.8,1,0.5,0.5,120.5,60,60.5,30,15,"
	    "15,"
	    "10,5,5,1,42.5,0,\n"
	    "900000999,2024-07-01T12:00:00Z,hourly,52.1,5.13,0.3,,,,,,,,,,,,,1,,256,uptime_low\n";
	sm_err e;
	char *csv = render(DATASET_TRAFFIC, DATASET_CSV, traffic, &e);
	assert_non_null(csv);
	assert_string_equal(strchr(csv, '\n') + 1, traffic);
	char *geo = render(DATASET_TRAFFIC, DATASET_GEOJSON, traffic, &e);
	json_t *doc = json_loads(geo, 0, NULL);
	assert_non_null(doc);
	json_t *features = json_object_get(doc, "features");
	assert_int_equal(json_array_size(features), 2);
	json_t *f0 = json_array_get(features, 0), *f1 = json_array_get(features, 1);
	json_t *xy = json_object_get(json_object_get(f0, "geometry"), "coordinates");
	assert_true(json_real_value(json_array_get(xy, 0)) == 5.12);
	json_t *p0 = json_object_get(f0, "properties"), *p1 = json_object_get(f1, "properties");
	assert_int_equal(json_integer_value(json_object_get(p0, "segment_id")), 9000001234LL);
	assert_true(json_real_value(json_object_get(p0, "car")) == 120.5);
	assert_true(json_is_null(json_object_get(p1, "car")));
	assert_string_equal(json_string_value(json_object_get(p1, "flags")), "uptime_low");
	assert_int_equal(json_object_size(p0), 20);
	json_decref(doc);
	free(csv);
	free(geo);
}

/* Cells: the corners after the columns are GeoJSON's polygon only; the
 * centre is a property like the others; a corner that is not a number
 * leaves no geometry; a line without its corners is refused. */
#define CORNERS "5.109957,52.091931,5.113605,52.091939,5.113591,52.094186,5.109943,52.094178"
static void test_cell_layouts(void **state)
{
	(void)state;
	static const char air[] =
	    "2024-11-11T08:00:00Z,2024-11-11T09:00:00Z,250,rd250-136000-456000,52.093058,5.111774,"
	    "8,"
	    "1,8,2.764,2.000,3.090,8,3.675,3.000,4.000,8,4.565,4.000,5.000,,,,,8,19.762,18.600,"
	    "20.500,8,57.625,56.000,61.000," CORNERS "\n";
	static const char shown[] =
	    "2024-11-11T08:00:00Z,2024-11-11T09:00:00Z,250,rd250-136000-456000,52.093058,5.111774,"
	    "8,"
	    "1,8,2.764,2.000,3.090,8,3.675,3.000,4.000,8,4.565,4.000,5.000,,,,,8,19.762,18.600,"
	    "20.500,8,57.625,56.000,61.000\n";
	sm_err e;
	char *csv = render(DATASET_AIR_CELLS, DATASET_CSV, air, &e);
	assert_non_null(csv);
	static const char head[] = "period_start,period_end,cell_m,cell,latitude,longitude,";
	assert_true(strncmp(csv, head, sizeof(head) - 1) == 0);
	assert_string_equal(strchr(csv, '\n') + 1, shown);
	char *nd = render(DATASET_AIR_CELLS, DATASET_NDJSON, air, &e);
	json_t *row = json_loads(nd, 0, NULL);
	assert_non_null(row);
	assert_int_equal(json_object_size(row), 32);
	assert_true(json_real_value(json_object_get(row, "latitude")) == 52.093058);
	assert_true(json_is_null(json_object_get(row, "no2_mean")));
	assert_int_equal(json_integer_value(json_object_get(row, "readings")), 8);
	json_decref(row);
	char *geo = render(DATASET_AIR_CELLS, DATASET_GEOJSON, air, &e);
	json_t *doc = json_loads(geo, 0, NULL);
	assert_non_null(doc);
	json_t *f = json_array_get(json_object_get(doc, "features"), 0);
	json_t *g = json_object_get(f, "geometry");
	assert_string_equal(json_string_value(json_object_get(g, "type")), "Polygon");
	json_t *ring = json_array_get(json_object_get(g, "coordinates"), 0);
	assert_int_equal(json_array_size(ring), 5);
	assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, 4)));
	assert_true(json_real_value(json_array_get(json_array_get(ring, 2), 1)) == 52.094186);
	assert_int_equal(json_object_size(json_object_get(f, "properties")), 32);
	json_decref(doc);
	free(csv);
	free(nd);
	free(geo);

	/* Experience: a row per cell and theme. */
	static const char experience[] =
	    "2025-07-01T00:00:00Z,2025-08-01T00:00:00Z,1000,rd1000-138000-457000,52.1,5.1,3,"
	    "feeling_safe,3,1.667,1,2,0,0,0,0,0," CORNERS "\n";
	csv = render(DATASET_EXPERIENCE_CELLS, DATASET_CSV, experience, &e);
	assert_non_null(csv);
	assert_non_null(strstr(csv, "sheets,theme,n,mean,score_1,"));
	assert_non_null(strstr(csv, ",feeling_safe,3,1.667,1,2,0,0,0,0,0\n"));
	assert_null(strstr(csv, "5.109957"));
	free(csv);
	static const char bad_corner[] =
	    "2025-07-01T00:00:00Z,2025-08-01T00:00:00Z,1000,rd1000-138000-457000,52.1,5.1,3,"
	    "feeling_safe,3,1.667,1,2,0,0,0,0,0,5.1,x,5.2,52.1,5.2,52.2,5.1,52.2\n";
	geo = render(DATASET_EXPERIENCE_CELLS, DATASET_GEOJSON, bad_corner, &e);
	doc = json_loads(geo, 0, NULL);
	assert_non_null(doc);
	f = json_array_get(json_object_get(doc, "features"), 0);
	assert_true(json_is_null(json_object_get(f, "geometry")));
	json_decref(doc);
	free(geo);
	/* Without its corners a cell line is not the layout's. */
	assert_null(render(DATASET_AIR_CELLS, DATASET_CSV, shown, &e));
	assert_int_equal(e, SM_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_blocks),
	    cmocka_unit_test(test_many_trips_at_one_time),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_heat_layout),
	    cmocka_unit_test(test_traffic_layout),
	    cmocka_unit_test(test_cell_layouts),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
