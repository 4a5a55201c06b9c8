/* Unit tests for server/experience_aggregate.c: the SQL of experience
 * aggregates is built for the spaces that suit sheets, only for the
 * Leefplekmeter themes, never reads remarks, counts residents for k
 * without answering with them, and puts sheets in the cells air readings
 * are put in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agg_space.h"
#include "experience_aggregate.h"
#include "unit.h"

static void test_sql(void **state)
{
	static const struct {
		const char *name;
		enum agg_space space;
		enum agg_format format;
		unsigned stats;
		const char *theme;
		bool ok;
		const char *has; /* a fragment the SQL holds */
	} cases[] = {
	    {"all, json", AGG_ALL, AGG_JSON, AGG_COUNT | AGG_MEAN, "feeling_safe", true,
	     "'distribution', json_build_array(s1, s2, s3, s4, s5, s6, s7)"},
	    {"grid, csv", AGG_GRID, AGG_CSV, AGG_COUNT | AGG_MEAN, "housing", true,
	     ",score_1,score_2,score_3,score_4,score_5,score_6,score_7"},
	    {"hex, geojson", AGG_HEX, AGG_GEOJSON, AGG_COUNT | AGG_P50, "natural_space", true,
	     "rd_hexagon(p.position, $16::integer)"},
	    {"area", AGG_AREA, AGG_JSON, AGG_COUNT | AGG_MAX, "moving_around", true,
	     "JOIN area a ON a.layer = $17::text"},
	    {"k", AGG_GRID, AGG_JSON, AGG_COUNT, "feeling_safe", true,
	     "WHERE participants >= $8::integer"},
	    {"segment", AGG_SEGMENT, AGG_JSON, AGG_COUNT, "feeling_safe", false, NULL},
	    {"station", AGG_STATION, AGG_JSON, AGG_COUNT, "feeling_safe", false, NULL},
	    {"not a theme", AGG_ALL, AGG_JSON, AGG_COUNT, "feeling_safe'; --", false, NULL},
	    {"an air column", AGG_ALL, AGG_JSON, AGG_COUNT, "pm25_ugm3", false, NULL},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct agg_query q;
		memset(&q, 0, sizeof(q));
		q.family = AGG_EXPERIENCE;
		q.space = cases[i].space;
		q.format = cases[i].format;
		q.stats = cases[i].stats;
		q.bucket = AGG_MONTH;
		struct buf sql;
		buf_init(&sql, 0);
		sm_err e = experience_aggregate_sql(&q, cases[i].theme, &sql);
		EXPECT(run, cases[i].name, (e == SM_OK) == cases[i].ok);
		if (e == SM_OK) {
			EXPECT_HAS(run, cases[i].name, sql.data, cases[i].has);
			EXPECT(run, cases[i].name, strstr(sql.data, "remark") == NULL);
			/* Residents are counted for k, never answered. */
			EXPECT(run, cases[i].name, strstr(sql.data, "'participants'") == NULL);
		}
		buf_cleanup(&sql);
	}
	TABLE_DONE(run);
}

/* aggregate.c hands experience quantities over. */
static void test_dispatch(void **state)
{
	(void)state;
	struct agg_query q;
	memset(&q, 0, sizeof(q));
	q.family = AGG_EXPERIENCE;
	q.stats = AGG_COUNT;
	struct buf a, b;
	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(agg_sql(&q, "feeling_safe", &a), SM_OK);
	assert_int_equal(experience_aggregate_sql(&q, "feeling_safe", &b), SM_OK);
	assert_string_equal(a.data, b.data);
	buf_cleanup(&a);
	buf_cleanup(&b);
}

/* Whether `sql` puts readings in the cells of `space`, named and drawn by
 * agg_space.c's fragments, and takes whole cells in a bbox when `box`. */
static bool same_cells(const char *sql, enum agg_space space, bool box)
{
	const struct agg_space_sql *sp = agg_space_sql(space);
	struct buf cell, boxed, items;
	buf_init(&cell, 0);
	buf_init(&boxed, 0);
	buf_init(&items, 0);
	bool ok = sql && agg_space_cell(space, &cell) == SM_OK &&
	          agg_space_boxed(space, "c", box, &boxed) == SM_OK &&
	          buf_printf(&items, " items AS (SELECT *, %s AS geometry", sp->geometry) == SM_OK;
	ok = ok && strstr(sql, sp->columns) && strstr(sql, sp->join) && strstr(sql, cell.data) &&
	     strstr(sql, boxed.data) && strstr(sql, items.data) &&
	     (strstr(sql, "ST_MakeEnvelope($4") != NULL) == box;
	buf_cleanup(&cell);
	buf_cleanup(&boxed);
	buf_cleanup(&items);
	return ok;
}

/* A cell is the same cell in every family: sheets and air readings are put
 * in cells, which are named and drawn, by agg_space.c's fragments, and a
 * bbox takes whole cells of both alike (tests/e2e/test_aggregate_spaces.py
 * compares the answers). */
static void test_cells_as_air(void **state)
{
	static const struct {
		const char *name;
		enum agg_space space;
		bool box;
	} cases[] = {
	    {"all", AGG_ALL, false},        {"grid", AGG_GRID, false},
	    {"grid, bbox", AGG_GRID, true}, {"hex", AGG_HEX, false},
	    {"hex, bbox", AGG_HEX, true},   {"area", AGG_AREA, false},
	    {"area, bbox", AGG_AREA, true},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct agg_query q;
		memset(&q, 0, sizeof(q));
		q.space = cases[i].space;
		q.stats = AGG_COUNT;
		q.bucket = AGG_DAY;
		q.has_bbox = cases[i].box;
		/* Not whole quarter hours: air from its readings. */
		q.from = 1;
		q.to = 86400 * USEC_PER_SEC;
		struct buf air, sheets;
		buf_init(&air, 0);
		buf_init(&sheets, 0);
		q.family = AGG_AIR;
		EXPECT(run, cases[i].name, agg_sql(&q, "pm25_ugm3", &air) == SM_OK);
		q.family = AGG_EXPERIENCE;
		EXPECT(run, cases[i].name,
		       experience_aggregate_sql(&q, "housing", &sheets) == SM_OK);
		EXPECT(run, cases[i].name, same_cells(air.data, cases[i].space, cases[i].box));
		EXPECT(run, cases[i].name, same_cells(sheets.data, cases[i].space, cases[i].box));
		buf_cleanup(&air);
		buf_cleanup(&sheets);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sql),
	    cmocka_unit_test(test_dispatch),
	    cmocka_unit_test(test_cells_as_air),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
