/* Unit tests for server/aggregate.c: reading /v1/aggregates parameters, and
 * which source (rollups or readings) answers a query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"
#include "unit.h"

/* A query string "a=1&b=2" (no escapes), looked up by name. */
static const char *query_get(void *ctx, const char *name)
{
	static char value[256];
	const char *s = ctx;
	size_t n = strlen(name);
	while (*s) {
		size_t len = strcspn(s, "&");
		if (len > n && strncmp(s, name, n) == 0 && s[n] == '=') {
			snprintf(value, sizeof(value), "%.*s", (int)(len - n - 1), s + n + 1);
			return value;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return NULL;
}

/* 2024-11-12T10:07:30Z: not on a quarter hour. */
#define NOW (INT64_C(1731406050) * USEC_PER_SEC)

static void test_parse(void **state)
{
	static const struct {
		const char *name;
		const char *query;
		const char *bad; /* the parameter at fault, or NULL */
	} cases[] = {
	    {"quantity alone", "quantity=pm25", NULL},
	    {"every parameter",
	     "quantity=pm25&from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:00Z&bucket=15min"
	     "&space=grid:250&stat=min,max,p98&project=snuffel&bbox=5.0,52.0,5.2,52.2"
	     "&quality=all&format=csv&limit=10&offset=20&tz=Europe/Amsterdam",
	     NULL},
	    {"area layer", "quantity=pm25&space=area:wijken", NULL},
	    {"hexagons", "quantity=pm25&space=hex:250", NULL},
	    {"segments", "quantity=car&space=segment", NULL},
	    {"stations", "quantity=wbgt&space=station", NULL},
	    {"hexagons of 300 m", "quantity=pm25&space=hex:300", "space"},
	    {"segment with a size", "quantity=car&space=segment:1", "space"},
	    {"no quantity", "bucket=day", "quantity"},
	    {"empty quantity", "quantity=", "quantity"},
	    {"unknown bucket", "quantity=pm25&bucket=year", "bucket"},
	    {"unknown time zone", "quantity=pm25&tz=CET", "tz"},
	    {"bad from", "quantity=pm25&from=yesterday", "from"},
	    {"bare time", "quantity=pm25&from=2024-11-01T00:00:00", "from"},
	    {"inverted range", "quantity=pm25&from=2024-11-02T00:00:00Z&to=2024-11-01T00:00:00Z",
	     "from"},
	    {"empty range", "quantity=pm25&from=2024-11-02T00:00:00Z&to=2024-11-02T00:00:00Z",
	     "from"},
	    {"range over the 15min cap",
	     "quantity=pm25&bucket=15min&from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z", "to"},
	    {"hour range within a year",
	     "quantity=pm25&bucket=hour&from=2024-01-01T00:00:00Z&to=2024-12-31T00:00:00Z", NULL},
	    {"grid of 300 m", "quantity=pm25&space=grid:300", "space"},
	    {"hexagons of no size", "quantity=pm25&space=hex:", "space"},
	    {"layer with a quote", "quantity=pm25&space=area:a'b", "space"},
	    {"unknown space", "quantity=pm25&space=planet", "space"},
	    {"unknown stat", "quantity=pm25&stat=mean,p99", "stat"},
	    {"empty stat in list", "quantity=pm25&stat=mean,,max", "stat"},
	    {"project with capitals", "quantity=pm25&project=Snuffel", "project"},
	    /* Found by fuzz_query: a slug starts with a letter or digit. */
	    {"project starting with a dash", "quantity=pm25&project=--snuffel", "project"},
	    {"project of one letter", "quantity=pm25&project=s", "project"},
	    /* Found by test_property.py: malformed UTF-8 reached SQL (500). */
	    {"quantity not utf-8", "quantity=\xff\xfe", "quantity"},
	    {"quantity cut utf-8", "quantity=pm\xe2\x82", "quantity"},
	    {"bbox of three numbers", "quantity=pm25&bbox=5,52,6", "bbox"},
	    {"bbox inverted", "quantity=pm25&bbox=6,52,5,53", "bbox"},
	    {"bbox outside the earth", "quantity=pm25&bbox=5,52,190,53", "bbox"},
	    {"bbox with a word", "quantity=pm25&bbox=5,52,6,north", "bbox"},
	    {"unknown quality", "quantity=pm25&quality=good", "quality"},
	    {"unknown format", "quantity=pm25&format=xml", "format"},
	    {"limit zero", "quantity=pm25&limit=0", "limit"},
	    {"limit too large", "quantity=pm25&limit=10001", "limit"},
	    {"negative offset", "quantity=pm25&offset=-1", "offset"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct agg_query q;
		char param[32] = "", why[200] = "";
		sm_err e = agg_parse(query_get, (void *)cases[i].query, NULL, NOW, &q, param,
		                     sizeof(param), why, sizeof(why));
		if (cases[i].bad) {
			EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
			EXPECT_STR(run, cases[i].name, param, cases[i].bad);
			EXPECT(run, cases[i].name, why[0] != '\0');
		} else {
			EXPECT(run, cases[i].name, e == SM_OK);
		}
	}
	TABLE_DONE(run);
}

static void test_defaults(void **state)
{
	(void)state;
	struct agg_query q;
	char param[32], why[200];
	assert_int_equal(agg_parse(query_get, "quantity=pm25", NULL, NOW, &q, param, sizeof(param),
	                           why, sizeof(why)),
	                 SM_OK);
	/* The last day, up to the end of the current quarter hour. */
	usec_t quarter = 15 * 60 * USEC_PER_SEC;
	assert_true(q.to == INT64_C(1731406500) * USEC_PER_SEC);
	assert_true(q.to - q.from == 24 * 3600 * USEC_PER_SEC);
	assert_true(q.to % quarter == 0 && q.to > NOW);
	assert_int_equal(q.bucket, AGG_HOUR);
	assert_int_equal(q.space, AGG_ALL);
	assert_int_equal(q.stats, AGG_COUNT | AGG_MEAN);
	assert_int_equal(q.format, AGG_JSON);
	assert_int_equal(q.limit, AGG_PAGE_DEFAULT);
	/* The Accept header picks the format when format= is absent. */
	assert_int_equal(agg_parse(query_get, "quantity=pm25", "text/csv", NOW, &q, param,
	                           sizeof(param), why, sizeof(why)),
	                 SM_OK);
	assert_int_equal(q.format, AGG_CSV);
}

/* Which queries the rollups answer (and rows of which span), and that the
 * SQL reads what was chosen. */
static void test_source(void **state)
{
	static const struct {
		const char *name;
		const char *query;
		int span; /* minutes of the rollup rows read; 0: the readings */
	} cases[] = {
	    {"whole region, hourly", "from=2024-11-01T00:00:00Z&to=2024-12-01T00:00:00Z", 60},
	    {"default range", "", 15}, /* whole quarters, not whole hours */
	    {"quarter hours", "from=2024-11-01T00:15:00Z&to=2024-11-01T10:45:00Z&bucket=15min", 15},
	    {"whole region, 15min",
	     "from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:00Z&bucket=15min", 15},
	    {"hourly from a quarter", "from=2024-11-01T00:15:00Z&to=2024-11-02T00:00:00Z", 15},
	    {"offset times on quarters", "from=2024-11-01T01:15:00%2B01:00&to=2024-11-02T00:00:00Z",
	     15}, /* 00:15Z */
	    {"offset times on hours", "from=2024-11-01T01:00:00%2B01:00&to=2024-11-02T00:00:00Z",
	     60},
	    {"grid 100", "space=grid:100&from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:00Z", 15},
	    {"grid 250", "space=grid:250", 15},
	    {"grid 500", "space=grid:500", 15},
	    {"grid 1000", "space=grid:1000", 15},
	    {"extremes and hours", "stat=count,mean,min,max,hours", 15},
	    {"every quality",
	     "quality=all&bucket=month&tz=Europe/Amsterdam&from=2024-10-01T00:00:00Z"
	     "&to=2024-12-01T00:00:00Z",
	     60},
	    /* Percentiles from the histograms of the rollup rows (sql/030). */
	    {"a percentile", "stat=mean,p50", 15},
	    {"p98", "stat=p98", 15},
	    {"30 days hourly with percentiles",
	     "from=2024-11-01T00:00:00Z&to=2024-12-01T00:00:00Z&stat=count,mean,min,max,p50,p90,"
	     "p98",
	     60},
	    {"a day map with percentiles",
	     "space=grid:100&bucket=day&from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:00Z&stat=p90",
	     15},
	    {"percentiles of 500 m cells", "space=grid:500&stat=p50,max", 15},
	    {"percentiles of hexagons", "space=hex:250&stat=p50", 0},
	    {"percentiles of areas", "space=area:wijken&stat=p98", 0},
	    {"percentiles inside a quarter",
	     "from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:01Z&stat=p50", 0},
	    /* bbox takes whole cells, filtered after counting: rollups answer it. */
	    {"a bbox", "space=grid:100&bbox=5.0,52.0,5.2,52.2", 15},
	    {"an area layer", "space=area:wijken", 0},
	    {"hexagons", "space=hex:500", 0},
	    {"from inside a quarter", "from=2024-11-01T00:10:00Z&to=2024-11-02T00:00:00Z", 0},
	    {"to inside a quarter", "from=2024-11-01T00:00:00Z&to=2024-11-02T00:00:01Z", 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char query[512], param[32], why[200];
		snprintf(query, sizeof(query), "quantity=pm25&%s", cases[i].query);
		/* "%2B" stands for the '+' a client would escape. */
		char *plus = strstr(query, "%2B");
		if (plus) {
			*plus = '+';
			memmove(plus + 1, plus + 3, strlen(plus + 3) + 1);
		}
		struct agg_query q;
		sm_err e = agg_parse(query_get, query, NULL, NOW, &q, param, sizeof(param), why,
		                     sizeof(why));
		EXPECT(run, cases[i].name, e == SM_OK);
		if (e != SM_OK)
			continue;
		EXPECT(run, cases[i].name, agg_uses_rollups(&q) == (cases[i].span > 0));
		struct buf sql;
		buf_init(&sql, 0);
		EXPECT(run, cases[i].name, agg_sql(&q, "pm25_ugm3", &sql) == SM_OK);
		/* Quarter hours come from air_rollup's partitions, by name. */
		EXPECT_HAS(run, cases[i].name, sql.data,
		           cases[i].span == 60   ? "FROM air_rollup_hourly ru"
		           : cases[i].span == 15 ? "FROM air_rollup_"
		                                 : "FROM air_published");
		if (cases[i].span == 15)
			EXPECT(run, cases[i].name, strstr(sql.data, "air_rollup_hourly") == NULL);
		/* Percentiles: from the rollups' histograms, merged per bucket and
		 * cell, or percentile_cont over the readings; histograms are read
		 * only when asked (they are not in the covering indexes). */
		bool percentiles = strstr(cases[i].query, "p50") || strstr(cases[i].query, "p90") ||
		                   strstr(cases[i].query, "p98");
		bool histograms = strstr(sql.data, "ru.pm25_ugm3_hist AS vh") != NULL;
		EXPECT(run, cases[i].name, histograms == (percentiles && cases[i].span > 0));
		EXPECT(run, cases[i].name,
		       (strstr(sql.data, "percentile_cont") != NULL) ==
		           (percentiles && cases[i].span == 0));
		if (histograms) {
			EXPECT_HAS(run, cases[i].name, sql.data, "unnest(s.vh)");
			EXPECT_HAS(run, cases[i].name, sql.data,
			           "WHERE h.source_column = 'pm25_ugm3'");
			EXPECT_HAS(run, cases[i].name, sql.data, "'percentile_error', (SELECT");
		}
		if (percentiles && !histograms)
			EXPECT_HAS(run, cases[i].name, sql.data,
			           "'percentile_error', json_build_object('absolute', 0");
		if (!percentiles)
			EXPECT(run, cases[i].name, strstr(sql.data, "percentile_error") == NULL);
		buf_cleanup(&sql);
	}
	TABLE_DONE(run);
}

/* Which queries may read the counted cells: UTC days of 100 or 250 m cells
 * over whole days, hours of the whole region; valid readings, statistics
 * that add up; and that their SQL reads the cells only behind the
 * refresher's check. */
static void test_cell_periods(void **state)
{
	static const struct {
		const char *name;
		const char *query;
		const char *column;
		bool cell_periods;
	} cases[] = {
	    {"a day map", "bucket=day&space=grid:100", "pm25_ugm3", true},
	    {"250 m, extremes", "bucket=day&space=grid:250&stat=min,max", "no2", true},
	    {"every quality", "bucket=day&space=grid:100&quality=all", "pm25_ugm3", false},
	    {"500 m", "bucket=day&space=grid:500", "pm25_ugm3", false},
	    {"hexagons", "bucket=day&space=hex:250", "pm25_ugm3", false},
	    {"the whole region by hour", "bucket=hour", "pm25_ugm3", true},
	    {"the whole region by day", "bucket=day", "pm25_ugm3", false},
	    {"the whole region by quarter", "bucket=15min", "pm25_ugm3", false},
	    {"hours of cells", "bucket=hour&space=grid:100", "pm25_ugm3", false},
	    {"Amsterdam days", "bucket=day&space=grid:100&tz=Europe/Amsterdam", "pm25_ugm3", false},
	    /* Percentiles from the cells' histograms (sql/030). */
	    {"a percentile", "bucket=day&space=grid:100&stat=p90", "pm25_ugm3", true},
	    {"every statistic of hours", "bucket=hour&stat=count,mean,min,max,p50,p90,p98",
	     "temperature_c", true},
	    {"a percentile of every quality", "bucket=day&space=grid:100&stat=p50&quality=all",
	     "pm25_ugm3", false},
	    {"hours covered", "bucket=day&space=grid:100&stat=hours", "pm25_ugm3", false},
	    {"coverage", "bucket=day&space=grid:100", "quality", false},
	    {"a bbox", "bucket=day&space=grid:100&bbox=5.0,52.0,5.2,52.2", "pm25_ugm3", true},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char query[512], param[32], why[200];
		snprintf(query, sizeof(query),
		         "quantity=pm25&from=2024-11-01T00:00:00Z&to=2024-11-03T00:00:00Z&%s",
		         cases[i].query);
		struct agg_query q;
		EXPECT(run, cases[i].name,
		       agg_parse(query_get, query, NULL, NOW, &q, param, sizeof(param), why,
		                 sizeof(why)) == SM_OK);
		EXPECT(run, cases[i].name,
		       agg_uses_cell_periods(&q, cases[i].column) == cases[i].cell_periods);
		struct buf sql;
		buf_init(&sql, 0);
		EXPECT(run, cases[i].name, agg_sql(&q, cases[i].column, &sql) == SM_OK);
		EXPECT(run, cases[i].name,
		       (strstr(sql.data, "FROM air_cell_period") != NULL) == cases[i].cell_periods);
		if (cases[i].cell_periods)
			EXPECT_HAS(run, cases[i].name, sql.data,
			           "WHERE (SELECT project FROM ready) IS NULL");
		/* The histograms of the rollups only while the cells are not current. */
		if (cases[i].cell_periods && strstr(cases[i].query, "stat=p")) {
			EXPECT_HAS(run, cases[i].name, sql.data,
			           "FROM r WHERE ok AND (SELECT project FROM ready) IS NULL");
			EXPECT_HAS(run, cases[i].name, sql.data, "t.hist");
		}
		buf_cleanup(&sql);
	}
	/* A range that is not whole days. */
	char param[32], why[200];
	struct agg_query q;
	assert_int_equal(agg_parse(query_get,
	                           "quantity=pm25&bucket=day&space=grid:100"
	                           "&from=2024-11-01T00:00:00Z&to=2024-11-02T12:00:00Z",
	                           NULL, NOW, &q, param, sizeof(param), why, sizeof(why)),
	                 SM_OK);
	assert_false(agg_uses_cell_periods(&q, "pm25_ugm3"));
	TABLE_DONE(run);
}

/* Segments are traffic's, stations heat's; k applies elsewhere. */
static void test_spaces_and_families(void **state)
{
	static const struct {
		const char *space;
		enum agg_family family;
		bool fits, k;
	} cases[] = {
	    {"all", AGG_AIR, true, true},          {"all", AGG_TRAFFIC, true, true},
	    {"grid:100", AGG_HEAT, true, true},    {"hex:100", AGG_TRAFFIC, true, true},
	    {"segment", AGG_TRAFFIC, true, false}, {"segment", AGG_AIR, false, false},
	    {"segment", AGG_HEAT, false, false},   {"station", AGG_HEAT, true, false},
	    {"station", AGG_AIR, false, false},    {"station", AGG_TRAFFIC, false, false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char query[64], param[32], why[200] = "";
		snprintf(query, sizeof(query), "quantity=x&space=%s", cases[i].space);
		struct agg_query q;
		EXPECT(run, cases[i].space,
		       agg_parse(query_get, query, NULL, NOW, &q, param, sizeof(param), why,
		                 sizeof(why)) == SM_OK);
		q.family = cases[i].family;
		EXPECT(run, cases[i].space, agg_space_fits(&q, why, sizeof(why)) == cases[i].fits);
		EXPECT(run, cases[i].space, cases[i].fits || why[0] != '\0');
		EXPECT(run, cases[i].space, agg_k_applies(&q) == cases[i].k);
		/* Rollups are of air readings only. */
		EXPECT(run, cases[i].space, !agg_uses_rollups(&q) || q.family == AGG_AIR);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_source),
	    cmocka_unit_test(test_cell_periods),
	    cmocka_unit_test(test_spaces_and_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
