/* Unit tests for server/segment_geojson.c: Telraam road segments from a
 * GeoJSON FeatureCollection, feature by feature, and the real segments of
 * tests/fixtures/telraam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "segment_geojson.h"
#include "unit.h"

#define LINE "{\"type\": \"LineString\", \"coordinates\": [[5.1, 52.1], [5.11, 52.11]]}"

/* Parses a collection of the one feature `feature`; returns the parse result,
 * the row (new reference, or NULL) and the first error's field. */
static sm_err parse_feature(const char *feature, json_t **row, char *field, size_t fieldlen)
{
	char text[4096];
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
	sm_err e = segment_geojson_parse(root, 10, &rows, &errs);
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
		long long id;
	} cases[] = {
	    {"a line", "{\"properties\": {\"segment_id\": 77}, \"geometry\": " LINE "}", NULL, 77},
	    {"id as text",
	     "{\"properties\": {\"segment_id\": \"9000001228\"}, \"geometry\": " LINE "}", NULL,
	     9000001228LL},
	    {"id as a whole real",
	     "{\"properties\": {\"segment_id\": 12.0}, \"geometry\": " LINE "}", NULL, 12},
	    /* Found by probing the server: an altitude made PostGIS refuse the row (500). */
	    {"a line with altitudes",
	     "{\"properties\": {\"segment_id\": 6}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[5.1, 52.1, 2.5], [5.11, 52.11, 3]]}}",
	     NULL, 6},
	    {"a multiline",
	     "{\"properties\": {\"segment_id\": 5}, \"geometry\": {\"type\": \"MultiLineString\","
	     " \"coordinates\": [[[5.1, 52.1], [5.11, 52.11]], [[5.2, 52.2], [5.21, 52.2, 3]]]}}",
	     NULL, 5},
	    {"id zero", "{\"properties\": {\"segment_id\": 0}, \"geometry\": " LINE "}",
	     "segment_id", 0},
	    {"id negative", "{\"properties\": {\"segment_id\": -4}, \"geometry\": " LINE "}",
	     "segment_id", 0},
	    {"id fraction", "{\"properties\": {\"segment_id\": 1.5}, \"geometry\": " LINE "}",
	     "segment_id", 0},
	    {"id past 64 bits", "{\"properties\": {\"segment_id\": 1e19}, \"geometry\": " LINE "}",
	     "segment_id", 0},
	    {"id words", "{\"properties\": {\"segment_id\": \"x\"}, \"geometry\": " LINE "}",
	     "segment_id", 0},
	    {"id absent", "{\"properties\": {}, \"geometry\": " LINE "}", "segment_id", 0},
	    {"no properties", "{\"geometry\": " LINE "}", "", 0},
	    {"not an object", "[1, 2]", "", 0},
	    {"a point",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"Point\","
	     " \"coordinates\": [5.1, 52.1]}}",
	     "geometry", 0},
	    {"no geometry", "{\"properties\": {\"segment_id\": 1}}", "geometry", 0},
	    {"one position",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[5.1, 52.1]]}}",
	     "geometry", 0},
	    {"a short position",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[5.1], [5.11, 52.11]]}}",
	     "geometry", 0},
	    {"four numbers",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[5.1, 52.1, 1, 2], [5.11, 52.11]]}}",
	     "geometry", 0},
	    {"in paris",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[2.35, 48.85], [2.36, 48.86]]}}",
	     "geometry", 0},
	    {"empty multiline",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"MultiLineString\","
	     " \"coordinates\": []}}",
	     "geometry", 0},
	    {"text positions",
	     "{\"properties\": {\"segment_id\": 1}, \"geometry\": {\"type\": \"LineString\","
	     " \"coordinates\": [[\"5.1\", \"52.1\"], [5.11, 52.11]]}}",
	     "geometry", 0},
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
		} else {
			EXPECT(run, cases[i].name,
			       row && json_integer_value(json_object_get(row, "segment_id")) ==
			                  cases[i].id);
			EXPECT(run, cases[i].name,
			       json_integer_value(json_object_get(row, "index")) == 0);
			const char *g = json_string_value(json_object_get(row, "geometry"));
			json_t *geom = g ? json_loads(g, 0, NULL) : NULL;
			EXPECT(run, cases[i].name, json_is_object(geom));
			EXPECT(run, cases[i].name,
			       positions_2d(json_object_get(geom, "coordinates")));
			json_decref(geom);
		}
		json_decref(row);
	}
	TABLE_DONE(run);
}

/* Timezone and last data package: kept when valid, left out otherwise. */
static void test_optional_properties(void **state)
{
	(void)state;
	struct table_run run = {0};
	json_t *row;
	char field[48];
	assert_int_equal(parse_feature("{\"properties\": {\"segment_id\": 3, \"timezone\": "
	                               "\"Europe/Amsterdam\", \"last_data_package\": "
	                               "\"2023-12-09T01:02:03+01:00\"}, \"geometry\": " LINE "}",
	                               &row, field, sizeof(field)),
	                 SM_OK);
	EXPECT_STR(run, "timezone", json_string_value(json_object_get(row, "timezone")),
	           "Europe/Amsterdam");
	EXPECT_STR(run, "last data package in utc",
	           json_string_value(json_object_get(row, "last_data_package")),
	           "2023-12-09 00:02:03.000000+00");
	json_decref(row);
	assert_int_equal(parse_feature("{\"properties\": {\"segment_id\": 3, \"timezone\": 5, "
	                               "\"last_data_package\": \"yesterday\"}, \"geometry\": " LINE
	                               "}",
	                               &row, field, sizeof(field)),
	                 SM_OK);
	EXPECT(run, "bad timezone left out", json_object_get(row, "timezone") == NULL);
	EXPECT(run, "bad time left out", json_object_get(row, "last_data_package") == NULL);
	json_decref(row);
	TABLE_DONE(run);
}

static void test_collection(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *text;
		size_t max;
		sm_err want;
	} cases[] = {
	    {"a feature", "{\"type\": \"Feature\"}", 10, SM_ERR_INVALID},
	    {"no features", "{\"type\": \"FeatureCollection\"}", 10, SM_ERR_INVALID},
	    {"features not a list", "{\"type\": \"FeatureCollection\", \"features\": {}}", 10,
	     SM_ERR_INVALID},
	    {"an array", "[]", 10, SM_ERR_INVALID},
	    {"empty", "{\"type\": \"FeatureCollection\", \"features\": []}", 10, SM_OK},
	    {"too many", "{\"type\": \"FeatureCollection\", \"features\": [1, 2, 3]}", 2,
	     SM_ERR_TOO_LARGE},
	    {"as many as allowed", "{\"type\": \"FeatureCollection\", \"features\": [1, 2]}", 2,
	     SM_OK},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *root = json_loads(cases[i].text, 0, NULL);
		assert_non_null(root);
		json_t *rows = NULL;
		struct row_errors errs;
		rowerr_init(&errs);
		sm_err e = segment_geojson_parse(root, cases[i].max, &rows, &errs);
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT(run, cases[i].name, (e == SM_OK) == (rows != NULL));
		json_decref(rows);
		rowerr_cleanup(&errs);
		json_decref(root);
	}
	TABLE_DONE(run);
}

/* Rows and refused features keep their place in the upload: each row
 * carries its feature's index, and the answer names each refused one by
 * its index. */
static void test_indexes(void **state)
{
	(void)state;
	json_t *root = json_loads("{\"type\": \"FeatureCollection\", \"features\": ["
	                          "{\"properties\": {}, \"geometry\": " LINE "},"
	                          "{\"properties\": {\"segment_id\": 2}, \"geometry\": " LINE "},"
	                          "{\"properties\": {\"segment_id\": 3}},"
	                          "{\"properties\": {\"segment_id\": 4}, \"geometry\": " LINE "}]}",
	                          0, NULL);
	assert_non_null(root);
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	assert_int_equal(segment_geojson_parse(root, 10, &rows, &errs), SM_OK);
	assert_int_equal(json_array_size(rows), 2);
	json_t *b = json_array_get(rows, 0), *d = json_array_get(rows, 1);
	assert_int_equal(json_integer_value(json_object_get(b, "segment_id")), 2);
	assert_int_equal(json_integer_value(json_object_get(b, "index")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "segment_id")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "index")), 3);
	assert_int_equal(errs.rejected, 2);
	assert_int_equal(errs.items[0].index, 0);
	assert_string_equal(errs.items[0].field, "segment_id");
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
	char *text = unit_fixture_read("telraam/segments-utrecht-2023-12-09.geojson", &len);
	assert_non_null(text);
	json_t *root = json_loadb(text, len, 0, NULL);
	free(text);
	assert_non_null(root);
	json_t *rows = NULL;
	struct row_errors errs;
	rowerr_init(&errs);
	assert_int_equal(segment_geojson_parse(root, 1000, &rows, &errs), SM_OK);
	assert_int_equal(json_array_size(rows), 114);
	assert_int_equal(errs.rejected, 0);
	json_t *first = json_array_get(rows, 0);
	assert_int_equal(json_integer_value(json_object_get(first, "segment_id")), 9000000706LL);
	assert_non_null(
	    strstr(json_string_value(json_object_get(first, "geometry")), "\"MultiLineString\""));
	json_decref(rows);
	rowerr_cleanup(&errs);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_features),   cmocka_unit_test(test_optional_properties),
	    cmocka_unit_test(test_collection), cmocka_unit_test(test_indexes),
	    cmocka_unit_test(test_fixture),
	};
	return cmocka_run_group_tests_name("segment_geojson", tests, NULL, NULL);
}
