/* Unit tests for server/experience_aggregate.c: the SQL of experience
 * aggregates is built for the spaces that suit sheets, only for the
 * Leefplekmeter themes, never reads remarks, and counts residents for k
 * without answering with them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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
	     "rd_hexagon(s.position, $16::integer)"},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sql),
	    cmocka_unit_test(test_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
