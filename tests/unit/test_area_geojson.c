/* Unit tests for server/area_geojson.c: area layers from a GeoJSON
 * FeatureCollection (codes and names under CBS's property names too,
 * Polygons and MultiPolygons in the Netherlands), and the real Utrecht wijken
 * of tests/fixtures/areas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "area_geojson.h"
#include "unit.h"

#define SQUARE                                                                                     \
	"{\"type\": \"Polygon\", \"coordinates\": [[[5.1, 52.1], [5.2, 52.1], [5.2, 52.2],"        \
	" [5.1, 52.2], [5.1, 52.1]]]}"

/* Parses a collection of the one feature `feature`: the row (new reference,
 * or NULL) and the first error's field. */
static sm_err parse_feature(const char *feature, json_t **row, char *field, size_t fieldlen)
{
	char text[8192];
	snprintf(text, sizeof(text), "{\"type\": \"FeatureCollection\", \"features\": [%s]}",
	         feature);
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	if (!root)
		print_error("bad test json %s: %s\n", text, jerr.text);
	assert_non_null(root);
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	sm_err e = area_geojson_parse(root, &rows, &errs);
	*row = NULL;
	field[0] = '\0';
	if (e == SM_OK) {
		assert_int_equal(json_array_size(rows) + errs.rejected, 1);
		if (json_array_size(rows) == 1)
			*row = json_incref(json_array_get(rows, 0));
		else
			snprintf(field, fieldlen, "%s", errs.items[0].field);
	}
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
	return e;
}

/* Every position in the nested arrays `c` is [longitude, latitude]. */
static bool positions_2d(json_t *c)
{
	if (!json_is_array(c) || json_array_size(c) == 0)
		return false;
	if (json_is_number(json_array_get(c, 0)))
		return json_array_size(c) == 2 && json_is_number(json_array_get(c, 1));
	size_t i;
	json_t *item;
	json_array_foreach(c, i, item) {
		if (!positions_2d(item))
			return false;
	}
	return true;
}

static void test_features(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *feature;
		const char *field; /* NULL: kept */
		const char *code;
		const char *area_name; /* NULL: none */
	} cases[] = {
	    {"code and name",
	     "{\"properties\": {\"code\": \"A1\", \"name\": \"Noord\"}, \"geometry\": " SQUARE "}",
	     NULL, "A1", "Noord"},
	    {"cbs names",
	     "{\"properties\": {\"statcode\": \"WK034401\", \"statnaam\": \"West\"},"
	     " \"geometry\": " SQUARE "}",
	     NULL, "WK034401", "West"},
	    {"buurtcode and naam",
	     "{\"properties\": {\"buurtcode\": \"BU1\", \"naam\": \"Buurt\"},"
	     " \"geometry\": " SQUARE "}",
	     NULL, "BU1", "Buurt"},
	    {"integer code", "{\"properties\": {\"gemeentecode\": 344}, \"geometry\": " SQUARE "}",
	     NULL, "344", NULL},
	    {"code before statcode",
	     "{\"properties\": {\"statcode\": \"S\", \"code\": \"C\"},"
	     " \"geometry\": " SQUARE "}",
	     NULL, "C", NULL},
	    {"multipolygon",
	     "{\"properties\": {\"code\": \"M\"}, \"geometry\": {\"type\": "
	     "\"MultiPolygon\", \"coordinates\": [[[[5.1, 52.1], [5.2, 52.1], [5.2, 52.2], [5.1, "
	     "52.1]]]]}}",
	     NULL, "M", NULL},
	    /* Found by probing the server: an altitude made PostGIS refuse the row (500). */
	    {"3d positions",
	     "{\"properties\": {\"code\": \"Z\"}, \"geometry\": {\"type\": \"Polygon\", "
	     "\"coordinates\": [[[5.1, 52.1, 3], [5.2, 52.1, 3], [5.2, 52.2], [5.1, 52.1, 3]]]}}",
	     NULL, "Z", NULL},
	    {"4d positions",
	     "{\"properties\": {\"code\": \"F\"}, \"geometry\": {\"type\": \"MultiPolygon\", "
	     "\"coordinates\": [[[[5.1, 52.1, 1, 2], [5.2, 52.1, 1, 2], [5.2, 52.2, 1, 2], [5.1, "
	     "52.1, "
	     "1, 2]]]]}}",
	     NULL, "F", NULL},
	    {"no code", "{\"properties\": {\"name\": \"x\"}, \"geometry\": " SQUARE "}", "code",
	     NULL, NULL},
	    {"empty code", "{\"properties\": {\"code\": \"\"}, \"geometry\": " SQUARE "}", "code",
	     NULL, NULL},
	    {"real code", "{\"properties\": {\"code\": 1.5}, \"geometry\": " SQUARE "}", "code",
	     NULL, NULL},
	    {"code with a newline",
	     "{\"properties\": {\"code\": \"a\\nb\"}, \"geometry\": " SQUARE "}", "code", NULL,
	     NULL},
	    {"no properties", "{\"geometry\": " SQUARE "}", "code", NULL, NULL},
	    {"a line",
	     "{\"properties\": {\"code\": \"L\"}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[5.1, 52.1], [5.2, 52.2]]}}",
	     "geometry", NULL, NULL},
	    {"three positions",
	     "{\"properties\": {\"code\": \"T\"}, \"geometry\": {\"type\": "
	     "\"Polygon\", \"coordinates\": [[[5.1, 52.1], [5.2, 52.1], [5.1, 52.1]]]}}",
	     "geometry", NULL, NULL},
	    {"no ring",
	     "{\"properties\": {\"code\": \"T\"}, \"geometry\": {\"type\": \"Polygon\","
	     " \"coordinates\": []}}",
	     "geometry", NULL, NULL},
	    {"in paris",
	     "{\"properties\": {\"code\": \"P\"}, \"geometry\": {\"type\": \"Polygon\","
	     " \"coordinates\": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}}",
	     "geometry", NULL, NULL},
	    {"empty multipolygon",
	     "{\"properties\": {\"code\": \"E\"}, \"geometry\": {\"type\": "
	     "\"MultiPolygon\", \"coordinates\": []}}",
	     "geometry", NULL, NULL},
	    {"text positions",
	     "{\"properties\": {\"code\": \"X\"}, \"geometry\": {\"type\": "
	     "\"Polygon\", \"coordinates\": [[[\"5.1\", 52.1], [5.2, 52.1], [5.2, 52.2], [5.1, "
	     "52.1]]]}}",
	     "geometry", NULL, NULL},
	    {"no geometry", "{\"properties\": {\"code\": \"G\"}}", "geometry", NULL, NULL},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *row;
		char field[48];
		sm_err e = parse_feature(cases[i].feature, &row, field, sizeof(field));
		EXPECT(run, cases[i].name, e == SM_OK);
		if (cases[i].field) {
			EXPECT(run, cases[i].name, row == NULL);
			EXPECT_STR(run, cases[i].name, field, cases[i].field);
			json_decref(row);
			continue;
		}
		EXPECT_STR(run, cases[i].name, json_string_value(json_object_get(row, "code")),
		           cases[i].code);
		const char *name = json_string_value(json_object_get(row, "name"));
		if (cases[i].area_name)
			EXPECT_STR(run, cases[i].name, name, cases[i].area_name);
		else
			EXPECT(run, cases[i].name, name == NULL);
		const char *g = json_string_value(json_object_get(row, "geometry"));
		json_t *geom = g ? json_loads(g, 0, NULL) : NULL;
		EXPECT(run, cases[i].name, json_is_object(geom));
		EXPECT(run, cases[i].name, positions_2d(json_object_get(geom, "coordinates")));
		json_decref(geom);
		json_decref(row);
	}
	TABLE_DONE(run);
}

/* A code or name too long to store is as good as none. */
static void test_lengths(void **state)
{
	(void)state;
	char feature[2048], code[AREA_CODE_MAX + 2], name[AREA_NAME_MAX + 2];
	memset(code, 'c', sizeof(code) - 1);
	code[sizeof(code) - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	json_t *row;
	char field[48];
	snprintf(feature, sizeof(feature),
	         "{\"properties\": {\"code\": \"%s\"}, \"geometry\": " SQUARE "}", code);
	assert_int_equal(parse_feature(feature, &row, field, sizeof(field)), SM_OK);
	assert_null(row);
	assert_string_equal(field, "code");
	code[AREA_CODE_MAX] = '\0';
	snprintf(feature, sizeof(feature),
	         "{\"properties\": {\"code\": \"%s\", \"name\": \"%s\"}, \"geometry\": " SQUARE "}",
	         code, name);
	assert_int_equal(parse_feature(feature, &row, field, sizeof(field)), SM_OK);
	assert_non_null(row);
	assert_int_equal(strlen(json_string_value(json_object_get(row, "code"))), AREA_CODE_MAX);
	assert_null(json_string_value(json_object_get(row, "name")));
	json_decref(row);
}

/* The longest code and name in three-byte characters are kept whole (cut at
 * a byte limit they were invalid UTF-8, and the feature vanished from the
 * upload without an error). */
static void test_multibyte_lengths(void **state)
{
	(void)state;
	static const char euro[] = "\xe2\x82\xac";
	struct buf code, name, feature;
	buf_init(&code, 0);
	buf_init(&name, 0);
	buf_init(&feature, 0);
	for (int i = 0; i < AREA_CODE_MAX; i++)
		assert_int_equal(buf_puts(&code, euro), SM_OK);
	for (int i = 0; i < AREA_NAME_MAX; i++)
		assert_int_equal(buf_puts(&name, euro), SM_OK);
	assert_int_equal(buf_printf(&feature,
	                            "{\"properties\": {\"code\": \"%s\", \"name\": \"%s\"},"
	                            " \"geometry\": " SQUARE "}",
	                            code.data, name.data),
	                 SM_OK);
	json_t *row;
	char field[48];
	assert_int_equal(parse_feature(feature.data, &row, field, sizeof(field)), SM_OK);
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "code")), code.data);
	assert_string_equal(json_string_value(json_object_get(row, "name")), name.data);
	json_decref(row);
	buf_cleanup(&code);
	buf_cleanup(&name);
	buf_cleanup(&feature);
}

static void test_collection(void **state)
{
	(void)state;
	static const char *const refused[] = {
	    "{\"type\": \"Feature\"}",
	    "{\"type\": \"FeatureCollection\"}",
	    "{\"type\": \"FeatureCollection\", \"features\": {}}",
	    "[]",
	    "{\"type\": 1, \"features\": []}",
	};
	for (size_t i = 0; i < NELEMS(refused); i++) {
		json_t *root = json_loads(refused[i], 0, NULL);
		assert_non_null(root);
		json_t *rows = NULL;
		struct row_errors errs;
		rowerr_init(&errs);
		assert_int_equal(area_geojson_parse(root, &rows, &errs), SM_ERR_INVALID);
		assert_null(rows);
		rowerr_cleanup(&errs);
		json_decref(root);
	}
}

/* Rows and refused features keep their place in the upload: the answer
 * names each refused one by its index. */
static void test_indexes(void **state)
{
	(void)state;
	json_t *root = json_loads("{\"type\": \"FeatureCollection\", \"features\": ["
	                          "{\"properties\": {}, \"geometry\": " SQUARE "},"
	                          "{\"properties\": {\"code\": \"B\"}, \"geometry\": " SQUARE "},"
	                          "{\"properties\": {\"code\": \"C\"}},"
	                          "{\"properties\": {\"code\": \"D\"}, \"geometry\": " SQUARE "}]}",
	                          0, NULL);
	assert_non_null(root);
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	assert_int_equal(area_geojson_parse(root, &rows, &errs), SM_OK);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "code")),
	                    "B");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "code")),
	                    "D");
	assert_int_equal(errs.rejected, 2);
	assert_int_equal(errs.items[0].index, 0);
	assert_string_equal(errs.items[0].field, "code");
	assert_int_equal(errs.items[1].index, 2);
	assert_string_equal(errs.items[1].field, "geometry");
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
}

static void test_fixture(void **state)
{
	(void)state;
	size_t len;
	char *text = unit_fixture_read("areas/utrecht-wijken-2014.geojson", &len);
	assert_non_null(text);
	json_t *root = json_loadb(text, len, 0, NULL);
	free(text);
	assert_non_null(root);
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	assert_int_equal(area_geojson_parse(root, &rows, &errs), SM_OK);
	assert_int_equal(json_array_size(rows), 10);
	assert_int_equal(errs.rejected, 0);
	json_t *first = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(first, "code")), "WK034410");
	assert_string_equal(json_string_value(json_object_get(first, "name")),
	                    "Wijk 10 Vleuten-De Meern");
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_features),          cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_multibyte_lengths), cmocka_unit_test(test_collection),
	    cmocka_unit_test(test_indexes),           cmocka_unit_test(test_fixture),
	};
	return cmocka_run_group_tests_name("area_geojson", tests, NULL, NULL);
}
