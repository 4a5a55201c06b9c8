/* Unit tests for server/telraam.c: Telraam API reports in their envelope,
 * hourly and quarter-hourly, counts as numbers or numeric strings, speed
 * histograms, and what is refused. Ends with the real road segments of
 * tests/fixtures/telraam wrapped as reports. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "telraam.h"
#include "unit.h"

#define FIXTURE_FILE "telraam/segments-utrecht-2023-12-09.geojson"

/* "Now" for every parse: 2025-06-10T00:00:00Z. */
#define NOW (INT64_C(1749513600) * USEC_PER_SEC)
#define SEC USEC_PER_SEC
/* 2025-06-02T07:00:00Z, the base report's interval. */
#define T7 (INT64_C(1748847600) * SEC)
#define MAX_ROWS 100
#define Q_UPTIME_LOW (1u << 8)

/* A full hourly report as tests/e2e/ingest_data.py sends it. */
static const char base_report[] =
    "{\"instance_id\": -1, \"segment_id\": 9000001228, \"date\": \"2025-06-02T07:00:00.000Z\","
    " \"interval\": \"hourly\", \"uptime\": 0.8, \"heavy\": 1.5, \"car\": 100.25,"
    " \"bike\": 40.5, \"pedestrian\": 10.0, \"heavy_lft\": 0.5, \"heavy_rgt\": 1.0,"
    " \"car_lft\": 50.0, \"car_rgt\": 50.25, \"bike_lft\": 20.0, \"bike_rgt\": 20.5,"
    " \"pedestrian_lft\": 5.0, \"pedestrian_rgt\": 5.0, \"v85\": 38.5, \"direction\": 1,"
    " \"timezone\": \"Europe/Amsterdam\","
    " \"car_speed_hist_0to70plus\": [1.0, 4.0, 10.0, 30.0, 35.0, 15.0, 4.0, 1.0],"
    " \"car_speed_hist_0to120plus\": [0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,"
    " 4, 4, 4, 4, 4, 4, 20]}";

static bool close_to(double got, double want)
{
	return isnan(want) ? isnan(got) : fabs(got - want) <= 1e-9 * (fabs(want) + 1);
}

/* The base report with `changes` (a JSON object, may hold \u0000) merged
 * in and the member `drop` removed. New reference. */
static json_t *make_report(const char *changes, const char *drop)
{
	json_t *o = json_loads(base_report, 0, NULL);
	assert_non_null(o);
	if (changes) {
		json_error_t jerr;
		json_t *c = json_loads(changes, JSON_ALLOW_NUL, &jerr);
		if (!c)
			print_error("bad test json %s: %s\n", changes, jerr.text);
		assert_non_null(c);
		assert_int_equal(json_object_update(o, c), 0);
		json_decref(c);
	}
	if (drop)
		assert_int_equal(json_object_del(o, drop), 0);
	return o;
}

/* Parses {"report": [one]}: 1 and the report in *out when it is kept. The
 * row errors move to *errs when errs is not NULL. */
static size_t parse_one(const char *changes, const char *drop, struct traffic_report *out,
                        struct row_errors *errs)
{
	json_t *root = json_pack("{s:[o]}", "report", make_report(changes, drop));
	assert_non_null(root);
	struct traffic_batch b;
	char why[256] = "";
	traffic_batch_init(&b);
	sm_err e = telraam_parse(root, MAX_ROWS, NOW, &b, why, sizeof(why));
	if (e != SM_OK)
		print_error("\"%s\": %s: %s\n", changes ? changes : "", sm_err_str(e), why);
	size_t n = e == SM_OK ? b.n : 0;
	if (n == 1)
		*out = b.rows[0];
	if (errs) {
		*errs = b.errors;
		rowerr_init(&b.errors); /* moved */
	}
	traffic_batch_cleanup(&b);
	json_decref(root);
	return n;
}

/* Every field of the base report. */
static void test_report_fields(void **state)
{
	static const double h70[TELRAAM_HIST70] = {1, 4, 10, 30, 35, 15, 4, 1};
	static const double counts[TC_NCOUNTS] = {1.5,  0.5,  1.0,  100.25, 50.0, 50.25,
	                                          40.5, 20.0, 20.5, 10.0,   5.0,  5.0};
	(void)state;
	struct table_run run = {0};
	struct traffic_report r;
	struct row_errors errs;
	EXPECT(run, "kept", parse_one(NULL, NULL, &r, &errs) == 1);
	EXPECT(run, "no errors", errs.rejected == 0);
	rowerr_cleanup(&errs);
	EXPECT(run, "index", r.index == 0);
	EXPECT_STR(run, "no instance", r.instance_ref, "");
	EXPECT(run, "segment", r.segment_id == INT64_C(9000001228));
	EXPECT(run, "hourly", !r.quarterly);
	EXPECT(run, "start", r.period_start == T7);
	EXPECT(run, "uptime", close_to(r.uptime, 0.8));
	for (size_t c = 0; c < TC_NCOUNTS; c++)
		EXPECT(run, traffic_count_name((enum traffic_count)c),
		       close_to(r.count[c], counts[c]));
	EXPECT(run, "v85", close_to(r.v85, 38.5));
	EXPECT(run, "direction", r.direction == 1);
	EXPECT_STR(run, "timezone", r.timezone, "Europe/Amsterdam");
	EXPECT(run, "hist70 bins", r.nhist70 == TELRAAM_HIST70);
	for (size_t k = 0; k < TELRAAM_HIST70; k++)
		EXPECT(run, "hist70", close_to(r.hist70[k], h70[k]));
	EXPECT(run, "hist120 bins", r.nhist120 == TELRAAM_HIST120);
	EXPECT(run, "hist120 first", close_to(r.hist120[0], 0));
	EXPECT(run, "hist120 last", close_to(r.hist120[24], 20));
	EXPECT(run, "quality", r.quality == 0);

	EXPECT_STR(run, "count names", traffic_count_name(TC_PEDESTRIAN_RGT), "pedestrian_rgt");
	EXPECT_STR(run, "count names", traffic_count_name(TC_HEAVY), "heavy");
	TABLE_DONE(run);
}

/* The interval: which starts are whole intervals. */
static void test_intervals(void **state)
{
	static const struct {
		const char *name;
		const char *changes;
		const char *drop;
		bool ok;
		bool quarterly;
		usec_t start;
	} cases[] = {
	    {"hourly on the hour", NULL, NULL, true, false, T7},
	    {"hourly without fraction", "{\"date\": \"2025-06-02T07:00:00Z\"}", NULL, true, false,
	     T7},
	    {"hourly bare time is utc", "{\"date\": \"2025-06-02 07:00:00\"}", NULL, true, false,
	     T7},
	    {"hourly with +02:00", "{\"date\": \"2025-06-02T09:00:00+02:00\"}", NULL, true, false,
	     T7},
	    {"hourly with +05:30 is whole in utc", "{\"date\": \"2025-06-02T12:30:00+05:30\"}",
	     NULL, true, false, T7},
	    {"interval absent is hourly", NULL, "interval", true, false, T7},
	    {"quarterly at :15",
	     "{\"interval\": \"quarterly\", \"date\": \"2025-06-02T07:15:00.000Z\"}", NULL, true,
	     true, T7 + 900 * SEC},
	    {"quarterly at :45",
	     "{\"interval\": \"quarterly\", \"date\": \"2025-06-02T07:45:00Z\"}", NULL, true, true,
	     T7 + 2700 * SEC},
	    {"quarterly on the hour", "{\"interval\": \"quarterly\"}", NULL, true, true, T7},
	    {"hourly at :15", "{\"date\": \"2025-06-02T07:15:00Z\"}", NULL, false, false, 0},
	    {"hourly at :00:01", "{\"date\": \"2025-06-02T07:00:01Z\"}", NULL, false, false, 0},
	    {"hourly at :00:00.5", "{\"date\": \"2025-06-02T07:00:00.5Z\"}", NULL, false, false, 0},
	    {"hourly with +05:30 not whole in utc", "{\"date\": \"2025-06-02T12:00:00+05:30\"}",
	     NULL, false, false, 0},
	    {"quarterly at :10",
	     "{\"interval\": \"quarterly\", \"date\": \"2025-06-02T07:10:00Z\"}", NULL, false,
	     false, 0},
	    {"quarterly at :15:00.001",
	     "{\"interval\": \"quarterly\", \"date\": \"2025-06-02T07:15:00.001Z\"}", NULL, false,
	     false, 0},
	    {"interval daily", "{\"interval\": \"daily\"}", NULL, false, false, 0},
	    {"interval Hourly", "{\"interval\": \"Hourly\"}", NULL, false, false, 0},
	    /* A blank optional field counts as absent: hourly. */
	    {"interval empty", "{\"interval\": \"\"}", NULL, true, false, T7},
	    {"interval a number", "{\"interval\": 3600}", NULL, false, false, 0},
	    {"interval an array", "{\"interval\": [\"hourly\"]}", NULL, false, false, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct traffic_report r;
		struct row_errors errs;
		size_t n = parse_one(cases[i].changes, cases[i].drop, &r, &errs);
		EXPECT(run, cases[i].name, n == (cases[i].ok ? 1u : 0u));
		if (n == 1 && cases[i].ok) {
			EXPECT(run, cases[i].name, r.quarterly == cases[i].quarterly);
			EXPECT(run, cases[i].name, r.period_start == cases[i].start);
		}
		if (!cases[i].ok && errs.listed == 1) {
			const char *f = errs.items[0].field;
			EXPECT(run, cases[i].name,
			       strcmp(f, "date") == 0 || strcmp(f, "interval") == 0);
		}
		rowerr_cleanup(&errs);
	}
	TABLE_DONE(run);
}

/* Uptime, counts and their absence. */
static void test_counts(void **state)
{
	static const struct {
		const char *name;
		const char *changes;
		const char *drop;
		enum traffic_count c;
		double want, want_uptime;
		uint32_t quality;
	} cases[] = {
	    {"count as a number", NULL, NULL, TC_CAR, 100.25, 0.8, 0},
	    {"count as a numeric string", "{\"bike\": \"7.5\"}", NULL, TC_BIKE, 7.5, 0.8, 0},
	    {"count as an integer string", "{\"bike\": \"7\"}", NULL, TC_BIKE, 7, 0.8, 0},
	    {"count \"\" is absent", "{\"car\": \"\"}", NULL, TC_CAR, NAN, 0.8, 0},
	    {"count null is absent", "{\"car\": null}", NULL, TC_CAR, NAN, 0.8, 0},
	    {"count missing is absent", NULL, "car", TC_CAR, NAN, 0.8, 0},
	    {"count 0", "{\"car\": 0}", NULL, TC_CAR, 0, 0.8, 0},
	    {"count at the maximum", "{\"car\": 1000000}", NULL, TC_CAR, 1e6, 0.8, 0},
	    {"uptime 0: counts absent", "{\"uptime\": 0, \"car\": 12.0}", NULL, TC_CAR, NAN, 0,
	     Q_UPTIME_LOW},
	    {"uptime 0: other counts absent", "{\"uptime\": 0}", NULL, TC_PEDESTRIAN_RGT, NAN, 0,
	     Q_UPTIME_LOW},
	    {"uptime \"0\": counts absent", "{\"uptime\": \"0\"}", NULL, TC_BIKE, NAN, 0,
	     Q_UPTIME_LOW},
	    {"uptime 0.3 is low", "{\"uptime\": 0.3}", NULL, TC_CAR, 100.25, 0.3, Q_UPTIME_LOW},
	    {"uptime \"0.3\" is low", "{\"uptime\": \"0.3\"}", NULL, TC_CAR, 100.25, 0.3,
	     Q_UPTIME_LOW},
	    {"uptime 0.4999 is low", "{\"uptime\": 0.4999}", NULL, TC_CAR, 100.25, 0.4999,
	     Q_UPTIME_LOW},
	    {"uptime 0.5 is not low", "{\"uptime\": 0.5}", NULL, TC_CAR, 100.25, 0.5, 0},
	    {"uptime 1", "{\"uptime\": 1}", NULL, TC_CAR, 100.25, 1, 0},
	    {"uptime \"\" is absent: counts kept", "{\"uptime\": \"\"}", NULL, TC_CAR, 100.25, NAN,
	     0},
	    {"uptime missing: counts kept", NULL, "uptime", TC_CAR, 100.25, NAN, 0},
	    {"uptime null: counts kept", "{\"uptime\": null}", NULL, TC_CAR, 100.25, NAN, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct traffic_report r;
		size_t n = parse_one(cases[i].changes, cases[i].drop, &r, NULL);
		EXPECT(run, cases[i].name, n == 1);
		if (n != 1)
			continue;
		if (!close_to(r.count[cases[i].c], cases[i].want))
			print_error("case \"%s\": count %.17g\n", cases[i].name,
			            r.count[cases[i].c]);
		EXPECT(run, cases[i].name, close_to(r.count[cases[i].c], cases[i].want));
		EXPECT(run, cases[i].name, close_to(r.uptime, cases[i].want_uptime));
		EXPECT(run, cases[i].name, r.quality == cases[i].quality);
	}
	TABLE_DONE(run);
}

/* The camera's instance id as text, the other optional members. */
static void test_optional_members(void **state)
{
	static const struct {
		const char *name;
		const char *changes;
		const char *drop;
		const char *want_instance;
		int want_direction;
		double want_v85;
		const char *want_timezone;
	} cases[] = {
	    {"instance -1", NULL, NULL, "", 1, 38.5, "Europe/Amsterdam"},
	    {"instance 9000123", "{\"instance_id\": 9000123}", NULL, "9000123", 1, 38.5,
	     "Europe/Amsterdam"},
	    {"instance as a string", "{\"instance_id\": \"9000123\"}", NULL, "9000123", 1, 38.5,
	     "Europe/Amsterdam"},
	    {"instance as a real", "{\"instance_id\": 9000123.0}", NULL, "9000123", 1, 38.5,
	     "Europe/Amsterdam"},
	    {"instance 1", "{\"instance_id\": 1}", NULL, "1", 1, 38.5, "Europe/Amsterdam"},
	    {"instance 2^53", "{\"instance_id\": 9007199254740992}", NULL, "9007199254740992", 1,
	     38.5, "Europe/Amsterdam"},
	    {"instance 0", "{\"instance_id\": 0}", NULL, "", 1, 38.5, "Europe/Amsterdam"},
	    {"instance missing", NULL, "instance_id", "", 1, 38.5, "Europe/Amsterdam"},
	    {"instance null", "{\"instance_id\": null}", NULL, "", 1, 38.5, "Europe/Amsterdam"},
	    {"instance \"\"", "{\"instance_id\": \"\"}", NULL, "", 1, 38.5, "Europe/Amsterdam"},
	    {"direction 2", "{\"direction\": 2}", NULL, "", 2, 38.5, "Europe/Amsterdam"},
	    {"direction as a string", "{\"direction\": \"0\"}", NULL, "", 0, 38.5,
	     "Europe/Amsterdam"},
	    {"direction missing", NULL, "direction", "", -1, 38.5, "Europe/Amsterdam"},
	    {"v85 as a string", "{\"v85\": \"41.25\"}", NULL, "", 1, 41.25, "Europe/Amsterdam"},
	    {"v85 \"\"", "{\"v85\": \"\"}", NULL, "", 1, NAN, "Europe/Amsterdam"},
	    {"v85 300", "{\"v85\": 300}", NULL, "", 1, 300, "Europe/Amsterdam"},
	    {"timezone Europe/Brussels", "{\"timezone\": \"Europe/Brussels\"}", NULL, "", 1, 38.5,
	     "Europe/Brussels"},
	    {"timezone Etc/GMT+1", "{\"timezone\": \"Etc/GMT+1\"}", NULL, "", 1, 38.5, "Etc/GMT+1"},
	    {"timezone America/Port-au-Prince", "{\"timezone\": \"America/Port-au-Prince\"}", NULL,
	     "", 1, 38.5, "America/Port-au-Prince"},
	    {"timezone of 47 characters",
	     "{\"timezone\": \"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", NULL, "", 1,
	     38.5, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	    {"timezone null", "{\"timezone\": null}", NULL, "", 1, 38.5, ""},
	    {"timezone missing", NULL, "timezone", "", 1, 38.5, ""},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct traffic_report r;
		size_t n = parse_one(cases[i].changes, cases[i].drop, &r, NULL);
		EXPECT(run, cases[i].name, n == 1);
		if (n != 1)
			continue;
		EXPECT_STR(run, cases[i].name, r.instance_ref, cases[i].want_instance);
		EXPECT(run, cases[i].name, r.direction == cases[i].want_direction);
		EXPECT(run, cases[i].name, close_to(r.v85, cases[i].want_v85));
		EXPECT_STR(run, cases[i].name, r.timezone, cases[i].want_timezone);
	}
	TABLE_DONE(run);
}

static void test_histograms(void **state)
{
	static const struct {
		const char *name;
		const char *changes;
		const char *drop;
		size_t want70, want120;
	} cases[] = {
	    {"both", NULL, NULL, 8, 25},
	    {"hist70 \"\"", "{\"car_speed_hist_0to70plus\": \"\"}", NULL, 0, 25},
	    {"hist70 null", "{\"car_speed_hist_0to70plus\": null}", NULL, 0, 25},
	    {"hist70 missing", NULL, "car_speed_hist_0to70plus", 0, 25},
	    {"hist120 missing", NULL, "car_speed_hist_0to120plus", 8, 0},
	    {"bins of 0 and 100", "{\"car_speed_hist_0to70plus\": [0, 100, 0, 0, 0, 0, 0, 0.0001]}",
	     NULL, 8, 25},
	    {"bin of 100.0001", "{\"car_speed_hist_0to70plus\": [100.0001, 0, 0, 0, 0, 0, 0, 0]}",
	     NULL, 8, 25},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct traffic_report r;
		size_t n = parse_one(cases[i].changes, cases[i].drop, &r, NULL);
		EXPECT(run, cases[i].name, n == 1);
		if (n != 1)
			continue;
		EXPECT(run, cases[i].name, r.nhist70 == cases[i].want70);
		EXPECT(run, cases[i].name, r.nhist120 == cases[i].want120);
	}
	TABLE_DONE(run);
}

/* Reports refused one by one: the member named, and why. */
struct refused_case {
	const char *name;
	const char *changes;
	const char *drop;
	const char *want_field;
	const char *want_reason;
};

static void check_refused(struct table_run *run, const struct refused_case *c)
{
	struct traffic_report r;
	struct row_errors errs;
	size_t n = parse_one(c->changes, c->drop, &r, &errs);
	EXPECT(*run, c->name, n == 0);
	if (n != 0)
		print_error("case \"%s\": kept (instance \"%s\", timezone \"%s\")\n", c->name,
		            r.instance_ref, r.timezone);
	EXPECT(*run, c->name, errs.rejected == 1 && errs.listed == 1);
	if (errs.listed == 1) {
		EXPECT(*run, c->name, errs.items[0].index == 0);
		EXPECT_STR(*run, c->name, errs.items[0].field, c->want_field);
		EXPECT_HAS(*run, c->name, errs.items[0].reason, c->want_reason);
	}
	rowerr_cleanup(&errs);
}

static void test_refused(void **state)
{
	static const struct refused_case cases[] = {
	    {"segment missing", NULL, "segment_id", "segment_id", "positive integer"},
	    {"segment null", "{\"segment_id\": null}", NULL, "segment_id", "positive integer"},
	    {"segment \"\"", "{\"segment_id\": \"\"}", NULL, "segment_id", "positive integer"},
	    {"segment 0", "{\"segment_id\": 0}", NULL, "segment_id", "positive integer"},
	    {"segment -1", "{\"segment_id\": -1}", NULL, "segment_id", "positive integer"},
	    {"segment 1.5", "{\"segment_id\": 1.5}", NULL, "segment_id", "positive integer"},
	    {"segment text", "{\"segment_id\": \"abc\"}", NULL, "segment_id", "positive integer"},
	    {"segment too large", "{\"segment_id\": 9.3e18}", NULL, "segment_id",
	     "positive integer"},
	    {"segment true", "{\"segment_id\": true}", NULL, "segment_id", "positive integer"},
	    {"instance 1.5", "{\"instance_id\": 1.5}", NULL, "instance_id", "must be an integer"},
	    {"instance text", "{\"instance_id\": \"cam\"}", NULL, "instance_id",
	     "must be an integer"},
	    {"instance object", "{\"instance_id\": {}}", NULL, "instance_id", "must be an integer"},
	    {"date missing", NULL, "date", "date", "is required"},
	    {"date a number", "{\"date\": 1748847600}", NULL, "date", "is required"},
	    {"date \"\"", "{\"date\": \"\"}", NULL, "date", "expected a time"},
	    {"date garbage", "{\"date\": \"today\"}", NULL, "date", "expected a time"},
	    {"date february 30", "{\"date\": \"2025-02-30T07:00:00Z\"}", NULL, "date",
	     "not a calendar date"},
	    {"date before 2000", "{\"date\": \"1999-12-31T23:00:00Z\"}", NULL, "date",
	     "before 2000"},
	    {"date more than a day ahead", "{\"date\": \"2025-06-11T01:00:00Z\"}", NULL, "date",
	     "more than a day in the future"},
	    {"date not on the hour", "{\"date\": \"2025-06-02T07:30:00Z\"}", NULL, "date",
	     "whole hour interval"},
	    {"date not on a quarter",
	     "{\"interval\": \"quarterly\", \"date\": \"2025-06-02T07:20:00Z\"}", NULL, "date",
	     "whole quarter-hour interval"},
	    {"interval unknown", "{\"interval\": \"weekly\"}", NULL, "interval",
	     "\"hourly\" or \"quarterly\""},
	    {"interval not a string", "{\"interval\": true}", NULL, "interval",
	     "\"hourly\" or \"quarterly\""},
	    {"uptime 1.5", "{\"uptime\": 1.5}", NULL, "uptime", "from 0 to 1"},
	    {"uptime -0.1", "{\"uptime\": -0.1}", NULL, "uptime", "from 0 to 1"},
	    {"uptime text", "{\"uptime\": \"most\"}", NULL, "uptime", "from 0 to 1"},
	    {"uptime \"nan\"", "{\"uptime\": \"nan\"}", NULL, "uptime", "from 0 to 1"},
	    {"negative count", "{\"car\": -1}", NULL, "car", "from 0 to 1000000"},
	    {"negative count as a string", "{\"bike_lft\": \"-0.5\"}", NULL, "bike_lft",
	     "from 0 to 1000000"},
	    {"count over the maximum", "{\"heavy\": 1000001}", NULL, "heavy", "from 0 to 1000000"},
	    {"count text", "{\"pedestrian\": \"many\"}", NULL, "pedestrian", "must be a number"},
	    {"count with a space", "{\"car\": \" 5\"}", NULL, "car", "must be a number"},
	    {"count true", "{\"car_rgt\": true}", NULL, "car_rgt", "must be a number"},
	    {"count an array", "{\"car\": [5]}", NULL, "car", "must be a number"},
	    {"count \"inf\"", "{\"car\": \"inf\"}", NULL, "car", "must be a number"},
	    {"v85 negative", "{\"v85\": -1}", NULL, "v85", "from 0 to 300"},
	    {"v85 301", "{\"v85\": 301}", NULL, "v85", "from 0 to 300"},
	    {"direction 1.5", "{\"direction\": 1.5}", NULL, "direction", "small integer"},
	    {"direction -1", "{\"direction\": -1}", NULL, "direction", "small integer"},
	    {"direction 32768", "{\"direction\": 32768}", NULL, "direction", "small integer"},
	    {"timezone with a space", "{\"timezone\": \"Europe/ Amsterdam\"}", NULL, "timezone",
	     "time zone name"},
	    {"timezone with a quote", "{\"timezone\": \"Europe/\\\"x\"}", NULL, "timezone",
	     "time zone name"},
	    {"timezone of 48 characters",
	     "{\"timezone\": \"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", NULL,
	     "timezone", "time zone name"},
	    {"timezone a number", "{\"timezone\": 1}", NULL, "timezone", "time zone name"},
	    {"timezone with utf-8", "{\"timezone\": \"Europe/M\\u00fcnchen\"}", NULL, "timezone",
	     "time zone name"},
	    {"hist70 of 7 bins", "{\"car_speed_hist_0to70plus\": [1, 2, 3, 4, 5, 6, 7]}", NULL,
	     "car_speed_hist_0to70plus", "array of 8 numbers"},
	    {"hist70 of 9 bins", "{\"car_speed_hist_0to70plus\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}",
	     NULL, "car_speed_hist_0to70plus", "array of 8 numbers"},
	    {"hist70 of 25 bins",
	     "{\"car_speed_hist_0to70plus\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,"
	     " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}",
	     NULL, "car_speed_hist_0to70plus", "array of 8 numbers"},
	    {"hist70 empty", "{\"car_speed_hist_0to70plus\": []}", NULL, "car_speed_hist_0to70plus",
	     "array of 8 numbers"},
	    {"hist70 an object", "{\"car_speed_hist_0to70plus\": {}}", NULL,
	     "car_speed_hist_0to70plus", "array of 8 numbers"},
	    {"hist70 a string", "{\"car_speed_hist_0to70plus\": \"1,2\"}", NULL,
	     "car_speed_hist_0to70plus", "array of 8 numbers"},
	    {"hist120 of 24 bins",
	     "{\"car_speed_hist_0to120plus\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0,"
	     " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}",
	     NULL, "car_speed_hist_0to120plus", "array of 25 numbers"},
	    {"hist120 of 26 bins",
	     "{\"car_speed_hist_0to120plus\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0,"
	     " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}",
	     NULL, "car_speed_hist_0to120plus", "array of 25 numbers"},
	    {"hist120 of 8 bins", "{\"car_speed_hist_0to120plus\": [0, 0, 0, 0, 0, 0, 0, 0]}", NULL,
	     "car_speed_hist_0to120plus", "array of 25 numbers"},
	    {"negative bin", "{\"car_speed_hist_0to70plus\": [-1, 0, 0, 0, 0, 0, 0, 0]}", NULL,
	     "car_speed_hist_0to70plus", "percentages from 0 to 100"},
	    {"bin over 100", "{\"car_speed_hist_0to70plus\": [0, 0, 0, 0, 0, 0, 0, 101]}", NULL,
	     "car_speed_hist_0to70plus", "percentages from 0 to 100"},
	    {"bin as a string", "{\"car_speed_hist_0to70plus\": [\"5\", 0, 0, 0, 0, 0, 0, 0]}",
	     NULL, "car_speed_hist_0to70plus", "percentages from 0 to 100"},
	    {"bin null",
	     "{\"car_speed_hist_0to120plus\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,"
	     " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null]}",
	     NULL, "car_speed_hist_0to120plus", "percentages from 0 to 100"},
	    {"the first bad member is listed", "{\"car\": -1, \"v85\": -1}", NULL, "car",
	     "from 0 to"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++)
		check_refused(&run, &cases[i]);
	static const struct refused_case bugs[] = {
	    /* Was a bug: server/telraam.c parse_report prints any positive instance_id
	     * with "%.0f" into instance_ref[24], so an id of 24 digits or more
	     * is cut silently: instance_id 1e30 gives instance_ref
	     * "10000000000000000198846" (a different camera). Expected: refused,
	     * like segment_id above 9.2e18. */
	    {"instance too large", "{\"instance_id\": 1e30}", NULL, "instance_id",
	     "must be an integer"},
	    /* Was a bug: server/telraam.c parse_report reads "timezone" and "interval"
	     * as C strings, but jsonin_parse allows \u0000 inside strings: a
	     * timezone "Europe/Amsterdam\u0000 <anything>" is kept as
	     * "Europe/Amsterdam", and interval "hourly\u0000x" is taken as
	     * "hourly". Expected: refused as not a time zone name / not
	     * "hourly" or "quarterly" (the Snuffelfiets codec uses the JSON
	     * length and refuses such values). */
	    {"timezone with nul", "{\"timezone\": \"Europe/Amsterdam\\u0000 x\"}", NULL, "timezone",
	     "time zone name"},
	    {"interval with nul", "{\"interval\": \"hourly\\u0000x\"}", NULL, "interval",
	     "\"hourly\" or \"quarterly\""},
	};
	for (size_t i = 0; i < NELEMS(bugs); i++)
		check_refused(&run, &bugs[i]);
	TABLE_DONE(run);
}

/* The envelope, and the limit on reports. */
static void test_envelope(void **state)
{
	static const struct {
		const char *name;
		const char *json;
		size_t max_rows;
		sm_err want;
		const char *want_why;
		size_t want_rows, want_rejected;
	} cases[] = {
	    {"empty report", "{\"report\": []}", MAX_ROWS, SM_OK, "", 0, 0},
	    {"other members ignored", "{\"status_code\": 200, \"message\": \"ok\", \"report\": []}",
	     MAX_ROWS, SM_OK, "", 0, 0},
	    {"non-object reports listed", "{\"report\": [1, null, \"x\", []]}", MAX_ROWS, SM_OK, "",
	     0, 4},
	    {"exactly max_rows", "{\"report\": [1, 2]}", 2, SM_OK, "", 0, 2},
	    {"bare array", "[{\"segment_id\": 1}]", MAX_ROWS, SM_ERR_INVALID, "{\"report\": [...]}",
	     0, 0},
	    {"no report member", "{\"features\": []}", MAX_ROWS, SM_ERR_INVALID, "envelope", 0, 0},
	    {"report an object", "{\"report\": {}}", MAX_ROWS, SM_ERR_INVALID, "envelope", 0, 0},
	    {"report null", "{\"report\": null}", MAX_ROWS, SM_ERR_INVALID, "envelope", 0, 0},
	    {"Report in capitals", "{\"Report\": []}", MAX_ROWS, SM_ERR_INVALID, "envelope", 0, 0},
	    {"a string", "\"report\"", MAX_ROWS, SM_ERR_INVALID, "envelope", 0, 0},
	    {"more than max_rows", "{\"report\": [1, 2, 3]}", 2, SM_ERR_TOO_LARGE,
	     "more than 2 reports", 0, 0},
	    {"max_rows 0", "{\"report\": [{}]}", 0, SM_ERR_TOO_LARGE, "more than 0 reports", 0, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *root = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(root);
		struct traffic_batch b;
		char why[256] = "";
		traffic_batch_init(&b);
		sm_err e = telraam_parse(root, cases[i].max_rows, NOW, &b, why, sizeof(why));
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT_HAS(run, cases[i].name, why, cases[i].want_why);
		EXPECT(run, cases[i].name, b.n == cases[i].want_rows);
		EXPECT(run, cases[i].name, b.errors.rejected == cases[i].want_rejected);
		traffic_batch_cleanup(&b);
		json_decref(root);
	}
	struct traffic_batch b;
	char why[256] = "";
	traffic_batch_init(&b);
	EXPECT(run, "NULL root",
	       telraam_parse(NULL, MAX_ROWS, NOW, &b, why, sizeof(why)) == SM_ERR_INVALID);
	traffic_batch_cleanup(&b);
	TABLE_DONE(run);
}

/* Kept and refused reports keep their place in the array. */
static void test_indexes(void **state)
{
	(void)state;
	struct table_run run = {0};
	json_t *root = json_pack("{s:[o,o,o,o]}", "report", make_report(NULL, NULL),
	                         make_report("{\"car\": -1}", NULL),
	                         make_report("{\"date\": \"2025-06-02T08:00:00Z\"}", NULL),
	                         make_report(NULL, "segment_id"));
	assert_non_null(root);
	struct traffic_batch b;
	char why[256] = "";
	traffic_batch_init(&b);
	EXPECT(run, "parses", telraam_parse(root, MAX_ROWS, NOW, &b, why, sizeof(why)) == SM_OK);
	EXPECT(run, "two kept", b.n == 2);
	EXPECT(run, "kept indexes", b.n == 2 && b.rows[0].index == 0 && b.rows[1].index == 2);
	EXPECT(run, "second start", b.n == 2 && b.rows[1].period_start == T7 + 3600 * SEC);
	EXPECT(run, "two listed", b.errors.listed == 2);
	EXPECT(run, "listed indexes",
	       b.errors.listed == 2 && b.errors.items[0].index == 1 &&
	           b.errors.items[1].index == 3);
	traffic_batch_cleanup(&b);
	traffic_batch_cleanup(&b); /* twice is fine */
	json_decref(root);
	TABLE_DONE(run);
}

/* The 114 real segments of the live snapshot, their properties sent as
 * reports. As they are: 69 have "date": "" and are refused for it; 45 carry
 * the hour 2023-12-10 04:00 UTC ("2023-12-10 04:00:00+00:00") and are kept,
 * 44 of them with uptime 0 (so no counts, uptime_low) and one camera that
 * saw 4 cars. With the empty dates filled in, all 114 are kept. Figures
 * counted from the file with Python's json module. */
static void test_fixture_segments(void **state)
{
	(void)state;
	struct table_run run = {0};
	size_t len = 0;
	char *text = unit_fixture_read(FIXTURE_FILE, &len);
	if (!text)
		fail();
	json_error_t jerr;
	json_t *geo = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!geo) {
		print_error("fixture %s: %s\n", FIXTURE_FILE, jerr.text);
		fail();
	}
	json_t *features = json_object_get(geo, "features");
	EXPECT(run, "114 segments", json_array_size(features) == 114);
	const usec_t hour = INT64_C(1702180800) * SEC;

	for (int pass = 0; pass < 2; pass++) {
		json_t *list = json_array();
		size_t k;
		json_t *f;
		json_array_foreach(features, k, f) {
			json_t *props = json_deep_copy(json_object_get(f, "properties"));
			const char *date = json_string_value(json_object_get(props, "date"));
			if (pass == 1 && date && !date[0])
				json_object_set_new(props, "date",
				                    json_string("2023-12-09T00:00:00Z"));
			json_array_append_new(list, props);
		}
		json_t *root = json_pack("{s:o}", "report", list);
		struct traffic_batch b;
		char why[256] = "";
		traffic_batch_init(&b);
		sm_err e = telraam_parse(root, 1000, NOW, &b, why, sizeof(why));
		EXPECT(run, "fixture parses", e == SM_OK);
		size_t amsterdam = 0, brussels = 0, idle = 0, counting = 0, bad = 0;
		for (size_t i = 0; i < b.n; i++) {
			const struct traffic_report *r = &b.rows[i];
			amsterdam += strcmp(r->timezone, "Europe/Amsterdam") == 0;
			brussels += strcmp(r->timezone, "Europe/Brussels") == 0;
			bad += r->segment_id <= 0 || r->quarterly || r->instance_ref[0] != '\0';
			if (r->period_start != hour)
				continue;
			size_t counts = 0;
			for (size_t c = 0; c < TC_NCOUNTS; c++)
				counts += !isnan(r->count[c]);
			if (r->uptime == 0 && counts == 0 && r->quality == Q_UPTIME_LOW &&
			    isnan(r->v85))
				idle++;
			if (r->segment_id == INT64_C(9000005596) &&
			    close_to(r->uptime, 0.999166666666667) && r->quality == 0 &&
			    close_to(r->count[TC_CAR], 4) && close_to(r->count[TC_HEAVY], 0) &&
			    isnan(r->count[TC_CAR_LFT]) && close_to(r->v85, 54.5))
				counting++;
		}
		EXPECT(run, "fields", bad == 0);
		if (pass == 0) {
			EXPECT(run, "as sent: 45 kept", b.n == 45);
			EXPECT(run, "as sent: 69 refused", b.errors.rejected == 69);
			bool all_date = b.errors.listed == 69;
			for (size_t i = 0; i < b.errors.listed; i++)
				all_date = all_date && strcmp(b.errors.items[i].field, "date") == 0;
			EXPECT(run, "as sent: refused for the date", all_date);
			EXPECT(run, "as sent: 44 idle cameras", idle == 44);
			EXPECT(run, "as sent: one camera counting", counting == 1);
		} else {
			EXPECT(run, "dated: all kept", b.n == 114);
			EXPECT(run, "dated: none refused", b.errors.rejected == 0);
			EXPECT(run, "dated: 91 in Amsterdam", amsterdam == 91);
			EXPECT(run, "dated: 23 in Brussels", brussels == 23);
			EXPECT(run, "dated: first segment",
			       b.n > 0 && b.rows[0].segment_id == INT64_C(9000000706) &&
			           b.rows[0].period_start == INT64_C(1702080000) * SEC &&
			           isnan(b.rows[0].uptime) && isnan(b.rows[0].count[TC_CAR]));
		}
		traffic_batch_cleanup(&b);
		json_decref(root);
	}
	json_decref(geo);
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_fields),    cmocka_unit_test(test_intervals),
	    cmocka_unit_test(test_counts),           cmocka_unit_test(test_optional_members),
	    cmocka_unit_test(test_histograms),       cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_envelope),         cmocka_unit_test(test_indexes),
	    cmocka_unit_test(test_fixture_segments),
	};
	return cmocka_run_group_tests_name("telraam", tests, NULL, NULL);
}
