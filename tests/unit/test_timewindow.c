/* Unit tests for server/timewindow.c: which times an upload may write. The
 * horizon refuses readings older than ingest_horizon_days; the month span
 * refuses readings outside the ingest_max_months calendar months that end
 * with the upload's latest reading, so one upload makes few partitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timewindow.h"
#include "unit.h"

static usec_t at(const char *text)
{
	usec_t t = 0;
	char why[96];
	if (scalar_time(text, strlen(text), false, &t, why, sizeof(why)) != SM_OK)
		fail_msg("bad test time %s: %s", text, why);
	return t;
}

static void test_window(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *now;
		int horizon_days, max_months;
		const char *latest; /* of the upload */
		const char *t;
		const char *refused; /* NULL: allowed; else a text of the reason */
	} cases[] = {
	    /* Seen: one reading of 2000-01-01 beside one of today. */
	    {"2000 beside today", "2026-12-02T03:00:00Z", 3660, 12, "2026-12-02T01:00:00Z",
	     "2000-01-01T00:00:00Z", "ingest horizon of 3660 days (ingest_horizon_days)"},
	    {"the horizon's date", "2026-12-02T03:00:00Z", 3660, 12, "2026-12-02T01:00:00Z",
	     "2000-01-01T00:00:00Z", "before 2016-11-24,"},
	    {"just after the horizon, alone", "2026-12-02T03:00:00Z", 30, 12,
	     "2026-11-02T03:00:01Z", "2026-11-02T03:00:01Z", NULL},
	    {"just before the horizon", "2026-12-02T03:00:00Z", 30, 12, "2026-12-01T00:00:00Z",
	     "2026-11-02T02:59:59Z", "horizon of 30 days"},
	    {"the latest itself", "2026-12-02T03:00:00Z", 3660, 12, "2026-12-02T01:00:00Z",
	     "2026-12-02T01:00:00Z", NULL},
	    {"the first month of twelve", "2026-12-02T03:00:00Z", 3660, 12, "2026-12-02T01:00:00Z",
	     "2026-01-01T00:00:00Z", NULL},
	    {"the thirteenth month", "2026-12-02T03:00:00Z", 3660, 12, "2026-12-02T01:00:00Z",
	     "2025-12-31T23:59:59Z", "outside the 12 calendar months"},
	    {"the span names the latest month", "2026-12-02T03:00:00Z", 3660, 12,
	     "2026-12-02T01:00:00Z", "2019-06-01T00:00:00Z", "latest reading (2026-12)"},
	    {"one month: the latest's", "2026-12-02T03:00:00Z", 3660, 1, "2026-03-15T00:00:00Z",
	     "2026-03-01T00:00:00Z", NULL},
	    {"one month: the month before", "2026-12-02T03:00:00Z", 3660, 1, "2026-03-15T00:00:00Z",
	     "2026-02-28T23:59:59Z", "outside the 1 calendar months"},
	    {"a span across a new year", "2026-12-02T03:00:00Z", 3660, 3, "2026-02-10T00:00:00Z",
	     "2025-12-01T00:00:00Z", NULL},
	    {"a span across a new year, too old", "2026-12-02T03:00:00Z", 3660, 3,
	     "2026-02-10T00:00:00Z", "2025-11-30T23:59:59Z", "ingest_max_months"},
	    {"an old upload within its months", "2026-12-02T03:00:00Z", 3660, 12,
	     "2018-05-01T00:00:00Z", "2017-06-01T00:00:00Z", NULL},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct time_window w;
		timewindow_init(&w, at(cases[i].now), cases[i].horizon_days, cases[i].max_months);
		timewindow_note(&w, at(cases[i].t));
		timewindow_note(&w, at(cases[i].latest));
		timewindow_close(&w);
		char why[160] = "";
		bool refused = timewindow_refuses(&w, at(cases[i].t), why, sizeof(why));
		EXPECT(run, cases[i].name, refused == (cases[i].refused != NULL));
		if (cases[i].refused && refused)
			EXPECT_HAS(run, cases[i].name, why, cases[i].refused);
		EXPECT(run, cases[i].name, strlen(why) < sizeof(why) - 1);
	}
	TABLE_DONE(run);
}

/* An upload with no times: nothing to span, only the horizon applies. */
static void test_empty_upload(void **state)
{
	(void)state;
	struct time_window w;
	char why[160];
	timewindow_init(&w, at("2026-12-02T03:00:00Z"), 10, 12);
	timewindow_close(&w);
	assert_false(timewindow_refuses(&w, at("2026-11-30T00:00:00Z"), why, sizeof(why)));
	assert_true(timewindow_refuses(&w, at("2026-11-20T00:00:00Z"), why, sizeof(why)));
}

/* Retention (raw_retention_months): times before the start of the UTC month
 * `months` months before now's are refused, as the refresher drops them. */
static void test_retention(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *now;
		int months;
		const char *t;
		const char *refused;
	} cases[] = {
	    {"off", "2026-12-02T03:00:00Z", 0, "2024-01-01T00:00:00Z", NULL},
	    {"1: last month kept", "2026-12-02T03:00:00Z", 1, "2026-11-01T00:00:00Z", NULL},
	    {"1: the month before that goes", "2026-12-02T03:00:00Z", 1, "2026-10-31T23:59:59Z",
	     "before 2026-11-01: raw readings are kept 1 months (raw_retention_months)"},
	    {"3 months across a new year", "2027-02-28T23:00:00Z", 3, "2026-11-01T00:00:00Z", NULL},
	    {"3 months across a new year, gone", "2027-02-28T23:00:00Z", 3, "2026-10-31T00:00:00Z",
	     "before 2026-11-01"},
	    {"12 months", "2026-01-15T00:00:00Z", 12, "2024-12-31T00:00:00Z", "kept 12 months"},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct time_window w;
		usec_t now = at(cases[i].now);
		timewindow_init(&w, now, 3660, 120);
		timewindow_retain(&w, now, cases[i].months, "raw_retention_months");
		timewindow_note(&w, at(cases[i].t));
		timewindow_close(&w);
		char why[160] = "";
		bool refused = timewindow_refuses(&w, at(cases[i].t), why, sizeof(why));
		EXPECT(run, cases[i].name, refused == (cases[i].refused != NULL));
		if (cases[i].refused && refused)
			EXPECT_HAS(run, cases[i].name, why, cases[i].refused);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_retention),
	    cmocka_unit_test(test_empty_upload),
	};
	return cmocka_run_group_tests_name("timewindow", tests, NULL, NULL);
}
