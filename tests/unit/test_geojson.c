/* Unit tests for server/geojson.c: the walk over a FeatureCollection that
 * the area and segment uploads share (what counts as a collection, the
 * feature limit, each feature's index, rows kept in order, refused features
 * and a failure part-way), and geometries cut to 2D. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geojson.h"
#include "unit.h"

/* A codec for the tests: {"keep": true} is a row {"index": i}, {"fail":
 * true} runs out of memory, anything else is refused under its index. */
static sm_err test_row(json_t *feature, size_t index, struct row_errors *errs, json_t **row)
{
	*row = NULL;
	if (json_is_true(json_object_get(feature, "fail")))
		return SM_ERR_NOMEM;
	if (!json_is_true(json_object_get(feature, "keep"))) {
		rowerr_add(errs, index, "keep", "refused");
		return SM_OK;
	}
	*row = json_pack("{s:I}", "index", (json_int_t)index);
	return *row ? SM_OK : SM_ERR_NOMEM;
}

/* The rows' indexes, or the listed errors' indexes, as "0,2". */
static void indexes(json_t *rows, const struct row_errors *errs, char *out, size_t len)
{
	struct buf b;
	buf_init(&b, 0);
	size_t n = rows ? json_array_size(rows) : errs->listed;
	for (size_t i = 0; i < n; i++) {
		long long index =
		    rows ? json_integer_value(json_object_get(json_array_get(rows, i), "index"))
		         : (long long)errs->items[i].index;
		assert_int_equal(buf_printf(&b, "%s%lld", i ? "," : "", index), SM_OK);
	}
	snprintf(out, len, "%s", b.data ? b.data : "");
	buf_cleanup(&b);
}

static void test_collection_rows(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *text;
		size_t max;
		sm_err want;
		const char *rows;   /* the kept features' indexes, in order */
		const char *errors; /* the refused ones' */
	} cases[] = {
	    {"a feature", "{\"type\": \"Feature\"}", 10, SM_ERR_INVALID, "", ""},
	    {"no features", "{\"type\": \"FeatureCollection\"}", 10, SM_ERR_INVALID, "", ""},
	    {"features not a list", "{\"type\": \"FeatureCollection\", \"features\": {}}", 10,
	     SM_ERR_INVALID, "", ""},
	    {"an array", "[]", 10, SM_ERR_INVALID, "", ""},
	    {"type a number", "{\"type\": 1, \"features\": []}", 10, SM_ERR_INVALID, "", ""},
	    {"type in lower case", "{\"type\": \"featurecollection\", \"features\": []}", 10,
	     SM_ERR_INVALID, "", ""},
	    /* C string functions stop at the NUL: it read as "FeatureCollection". */
	    {"type with a nul", "{\"type\": \"FeatureCollection\\u0000x\", \"features\": []}", 10,
	     SM_ERR_INVALID, "", ""},
	    {"empty", "{\"type\": \"FeatureCollection\", \"features\": []}", 10, SM_OK, "", ""},
	    {"too many", "{\"type\": \"FeatureCollection\", \"features\": [1, 2, 3]}", 2,
	     SM_ERR_TOO_LARGE, "", ""},
	    {"as many as allowed", "{\"type\": \"FeatureCollection\", \"features\": [1, 2]}", 2,
	     SM_OK, "", "0,1"},
	    {"kept and refused in order",
	     "{\"type\": \"FeatureCollection\", \"features\": [{\"keep\": true}, 1,"
	     " {\"keep\": true}, {}, null, {\"keep\": true}]}",
	     10, SM_OK, "0,2,5", "1,3,4"},
	    {"foreign members",
	     "{\"features\": [{\"keep\": true}], \"type\": \"FeatureCollection\","
	     " \"bbox\": [5, 52, 6, 53]}",
	     10, SM_OK, "0", ""},
	    {"out of memory part-way",
	     "{\"type\": \"FeatureCollection\", \"features\": [{\"keep\": true}, {\"fail\": true},"
	     " {\"keep\": true}]}",
	     10, SM_ERR_NOMEM, "", ""},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *root = json_loads(cases[i].text, JSON_ALLOW_NUL, NULL);
		assert_non_null(root);
		json_t *rows = NULL;
		struct row_errors errs;
		rowerr_init(&errs);
		sm_err e = geojson_collection_rows(root, cases[i].max, test_row, &rows, &errs);
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT(run, cases[i].name, (e == SM_OK) == json_is_array(rows));
		if (e == SM_OK) {
			char got[64];
			indexes(rows, NULL, got, sizeof(got));
			EXPECT_STR(run, cases[i].name, got, cases[i].rows);
			indexes(NULL, &errs, got, sizeof(got));
			EXPECT_STR(run, cases[i].name, got, cases[i].errors);
			EXPECT(run, cases[i].name, errs.rejected == errs.listed);
		} else if (e != SM_ERR_NOMEM) {
			EXPECT(run, cases[i].name, errs.rejected == 0);
		}
		json_decref(rows);
		rowerr_cleanup(&errs);
		json_decref(root);
	}
	TABLE_DONE(run);
}

static void test_2d_text(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *type;
		const char *coords;
		int depth;
		const char *want;
	} cases[] = {
	    {"a line", "LineString", "[[5.5, 52.25], [5.75, 52.5]]", 1,
	     "{\"type\":\"LineString\",\"coordinates\":[[5.5,52.25],[5.75,52.5]]}"},
	    {"altitudes cut", "LineString", "[[5.5, 52.25, 3], [5.75, 52.5, 1, 2]]", 1,
	     "{\"type\":\"LineString\",\"coordinates\":[[5.5,52.25],[5.75,52.5]]}"},
	    {"a multipolygon", "MultiPolygon", "[[[[5, 52, 1], [6, 52], [6, 53], [5, 52]]]]", 3,
	     "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[5,52],[6,52],[6,53],[5,52]]]]}"},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *coords = json_loads(cases[i].coords, 0, NULL);
		assert_non_null(coords);
		char *text = geojson_2d_text(cases[i].type, coords, cases[i].depth);
		EXPECT_STR(run, cases[i].name, text, cases[i].want);
		free(text);
		json_decref(coords);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_collection_rows),
	    cmocka_unit_test(test_2d_text),
	};
	return cmocka_run_group_tests_name("geojson", tests, NULL, NULL);
}
