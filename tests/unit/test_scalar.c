/* Unit tests for server/scalar.c: RFC 3339 times and numbers from text that
 * is not NUL-terminated. Every input is copied into a buffer of exactly its
 * length, so a read past the end shows under valgrind and ASan. */
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

#include "scalar.h"
#include "unit.h"

/* 2024-11-11T08:48:51Z, the first reading of the Snuffelfiets fixture
 * (date -u -d 2024-11-11T08:48:51Z +%s). */
#define T0_S INT64_C(1731314931)
#define T0 (T0_S * USEC_PER_SEC)
#define HOUR (INT64_C(3600) * USEC_PER_SEC)
#define MINUTE (INT64_C(60) * USEC_PER_SEC)

/* A copy of `len` bytes of s with nothing after it. Owned by the caller. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static sm_err parse_time(const char *s, size_t len, bool bare_is_utc, usec_t *out, char *why,
                         size_t whylen)
{
	char *copy = exact_copy(s, len);
	sm_err e = scalar_time(copy, len, bare_is_utc, out, why, whylen);
	free(copy);
	return e;
}

static void test_time_accepts(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text) */
		bool bare_is_utc;
		usec_t want;
	} cases[] = {
	    {"Z", "2024-11-11T08:48:51Z", 0, false, T0},
	    {"lower-case z", "2024-11-11T08:48:51z", 0, false, T0},
	    {"lower-case t", "2024-11-11t08:48:51Z", 0, false, T0},
	    {"space separator", "2024-11-11 08:48:51Z", 0, false, T0},
	    {"+01:00", "2024-11-11T09:48:51+01:00", 0, false, T0},
	    {"+0100", "2024-11-11T09:48:51+0100", 0, false, T0},
	    {"+01", "2024-11-11T09:48:51+01", 0, false, T0},
	    {"+05:30", "2024-11-11T14:18:51+05:30", 0, false, T0},
	    {"+00:00", "2024-11-11T08:48:51+00:00", 0, false, T0},
	    {"+00 as formatted", "2024-11-11 08:48:51.000000+00", 0, false, T0},
	    {"negative offset", "2024-11-11T03:48:51-05:00", 0, false, T0},
	    {"negative offset -0930", "2024-11-10T23:18:51-0930", 0, false, T0},
	    {"negative offset -01", "2024-11-11T07:48:51-01", 0, false, T0},
	    {"offset crosses the day", "2024-11-12T00:48:51+16:00", 0, false, T0},
	    {"offset +23:59", "2024-11-12T08:47:51+23:59", 0, false, T0},
	    {"bare time with bare_is_utc", "2024-11-11T08:48:51", 0, true, T0},
	    {"bare time with fraction", "2024-11-11T08:48:51.931", 0, true, T0 + 931000},
	    {"fraction 1 digit", "2024-11-11T08:48:51.5Z", 0, false, T0 + 500000},
	    {"fraction 2 digits", "2024-11-11T08:48:51.25Z", 0, false, T0 + 250000},
	    {"fraction 3 digits", "2024-11-11T08:48:51.931Z", 0, false, T0 + 931000},
	    {"fraction 6 digits", "2024-11-11T08:48:51.123456Z", 0, false, T0 + 123456},
	    {"fraction 7 digits truncated", "2024-11-11T08:48:51.1234567Z", 0, false, T0 + 123456},
	    {"fraction 9 digits truncated", "2024-11-11T08:48:51.999999999Z", 0, false,
	     T0 + 999999},
	    {"fraction zeros", "2024-11-11T08:48:51.000000000Z", 0, false, T0},
	    {"fraction then offset", "2024-11-11T09:48:51.5+01:00", 0, false, T0 + 500000},
	    {"epoch", "1970-01-01T00:00:00Z", 0, false, 0},
	    {"the last second of 9999", "9999-12-31T23:59:59.999999Z", 0, false,
	     INT64_C(253402300799) * USEC_PER_SEC + 999999},
	    {"the epoch with an offset", "1970-01-01T01:00:00+01:00", 0, false, 0},
	    {"leap day 2024", "2024-02-29T00:00:00Z", 0, false, INT64_C(1709164800) * USEC_PER_SEC},
	    {"leap day 2000", "2000-02-29T00:00:00Z", 0, false,
	     INT64_C(951868800) * USEC_PER_SEC - 86400 * USEC_PER_SEC},
	    {"march after 2100", "2100-03-01T00:00:00Z", 0, false,
	     INT64_C(4107542400) * USEC_PER_SEC},
	    {"end of a year", "2023-12-31T23:59:59Z", 0, false, INT64_C(1704067199) * USEC_PER_SEC},
	    {"end of a 31-day month", "2024-10-31T23:59:59Z", 0, false,
	     INT64_C(1730419199) * USEC_PER_SEC},
	    {"end of a 30-day month", "2024-11-30T00:00:00Z", 0, false,
	     INT64_C(1732924800) * USEC_PER_SEC},
	    /* The text is not NUL-terminated: only len bytes count. */
	    {"len cuts trailing text", "2024-11-11T08:48:51Zgarbage", 20, false, T0},
	    {"len cuts before the offset", "2024-11-11T08:48:51+01:00", 19, true, T0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char why[128] = "";
		usec_t got = -42;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		sm_err e =
		    parse_time(cases[i].text, len, cases[i].bare_is_utc, &got, why, sizeof(why));
		if (e != SM_OK)
			print_error("case \"%s\": %s: %s\n", cases[i].name, sm_err_str(e), why);
		EXPECT(run, cases[i].name, e == SM_OK);
		if (e == SM_OK && got != cases[i].want)
			print_error("case \"%s\": got %lld, want %lld\n", cases[i].name,
			            (long long)got, (long long)cases[i].want);
		EXPECT(run, cases[i].name, got == cases[i].want);
	}
	TABLE_DONE(run);
}

static void test_time_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text), and "" is the empty text */
		bool bare_is_utc;
		const char *want_why;
	} cases[] = {
	    {"empty", "", 0, true, "expected a time like"},
	    {"garbage", "yesterday at noon", 0, true, "expected a time like"},
	    {"date only", "2024-11-11", 0, true, "expected a time like"},
	    {"no seconds", "2024-11-11T08:48Z", 0, true, "expected a time like"},
	    {"no seconds with offset", "2024-11-11T08:48+01:00", 0, true, "expected a time like"},
	    {"one-digit month", "2024-1-11T08:48:51Z", 0, true, "expected a time like"},
	    {"slashes", "2024/11/11T08:48:51Z", 0, true, "expected a time like"},
	    {"bad separator", "2024-11-11X08:48:51Z", 0, true, "expected a time like"},
	    {"underscore separator", "2024-11-11_08:48:51Z", 0, true, "expected a time like"},
	    {"dots in the time", "2024-11-11T08.48.51Z", 0, true, "expected a time like"},
	    {"signed year", "+024-11-11T08:48:51Z", 0, true, "expected a time like"},
	    {"letter in the day", "2024-11-1aT08:48:51Z", 0, true, "expected a time like"},
	    {"space in the hour", "2024-11-11T 8:48:51Z", 0, true, "expected a time like"},
	    {"dutch date order", "11-11-2024T08:48:51Z", 0, true, "expected a time like"},
	    {"epoch seconds", "1731314931", 0, true, "expected a time like"},
	    {"len cuts the seconds", "2024-11-11T08:48:51Z", 18, true, "expected a time like"},
	    {"nul in the text", "2024-11-11T08:48:51\0Z", 21, true, "unexpected text"},
	    {"month 0", "2024-00-11T08:48:51Z", 0, true, "not a calendar date"},
	    {"month 13", "2024-13-11T08:48:51Z", 0, true, "not a calendar date"},
	    {"day 0", "2024-11-00T08:48:51Z", 0, true, "not a calendar date"},
	    {"day 32", "2024-01-32T08:48:51Z", 0, true, "not a calendar date"},
	    {"november 31", "2024-11-31T08:48:51Z", 0, true, "not a calendar date"},
	    {"february 30", "2024-02-30T08:48:51Z", 0, true, "not a calendar date"},
	    {"february 29 in 2023", "2023-02-29T08:48:51Z", 0, true, "not a calendar date"},
	    {"february 29 in 1900", "1900-02-29T08:48:51Z", 0, true, "not a calendar date"},
	    /* PostgreSQL has no year 0 (seen: from=0000-01-01T00:00:00Z answered 500). */
	    {"year 0", "0000-01-01T00:00:00Z", 0, true, "years 1970 to 9999"},
	    {"before the epoch", "1969-12-31T23:59:59Z", 0, true, "years 1970 to 9999"},
	    {"before the epoch with fraction", "1969-12-31T23:59:59.5Z", 0, true,
	     "years 1970 to 9999"},
	    {"before the epoch by its offset", "1970-01-01T00:30:00+01:00", 0, true,
	     "years 1970 to 9999"},
	    {"past 9999 by its offset", "9999-12-31T23:00:00-01:00", 0, true, "years 1970 to 9999"},
	    {"february 29 in 2100", "2100-02-29T08:48:51Z", 0, true, "not a calendar date"},
	    {"hour 24", "2024-11-11T24:00:00Z", 0, true, "not a calendar date"},
	    {"minute 60", "2024-11-11T08:60:51Z", 0, true, "not a calendar date"},
	    {"second 60 (leap second)", "2016-12-31T23:59:60Z", 0, true, "not a calendar date"},
	    {"bare time without bare_is_utc", "2024-11-11T08:48:51", 0, false, "no UTC offset"},
	    {"bare fraction without bare_is_utc", "2024-11-11T08:48:51.5", 0, false,
	     "no UTC offset"},
	    {"empty fraction", "2024-11-11T08:48:51.Z", 0, true, "bad fraction"},
	    {"fraction at the end", "2024-11-11T08:48:51.", 0, true, "bad fraction"},
	    {"fraction 10 digits", "2024-11-11T08:48:51.1234567890Z", 0, true, "bad fraction"},
	    {"comma fraction", "2024-11-11T08:48:51,5Z", 0, true, "unexpected text"},
	    {"trailing space", "2024-11-11T08:48:51Z ", 0, true, "unexpected text"},
	    {"trailing text", "2024-11-11T08:48:51Zx", 0, true, "unexpected text"},
	    {"double Z", "2024-11-11T08:48:51ZZ", 0, true, "unexpected text"},
	    {"zone name", "2024-11-11T08:48:51 CET", 0, true, "unexpected text"},
	    {"text after a bare time", "2024-11-11T08:48:51x", 0, true, "unexpected text"},
	    {"UTC spelled out", "2024-11-11T08:48:51UTC", 0, true, "unexpected text"},
	    {"text after the offset", "2024-11-11T08:48:51+01:00x", 0, true, "bad UTC offset"},
	    {"offset with seconds", "2024-11-11T08:48:51+01:00:00", 0, true, "bad UTC offset"},
	    {"offset one digit", "2024-11-11T08:48:51+1", 0, true, "bad UTC offset"},
	    {"offset three digits", "2024-11-11T08:48:51+010", 0, true, "bad UTC offset"},
	    {"offset without digits", "2024-11-11T08:48:51+", 0, true, "bad UTC offset"},
	    {"offset +24:00", "2024-11-11T08:48:51+24:00", 0, true, "bad UTC offset"},
	    {"offset +01:60", "2024-11-11T08:48:51+01:60", 0, true, "bad UTC offset"},
	    {"offset with a dot", "2024-11-11T08:48:51+01.00", 0, true, "bad UTC offset"},
	    {"offset 01:0 and digit", "2024-11-11T08:48:51+01:0", 0, true, "bad UTC offset"},
	    {"offset then Z", "2024-11-11T08:48:51+01:00Z", 0, true, "bad UTC offset"},
	    {"offset with letters", "2024-11-11T08:48:51+ab:cd", 0, true, "bad UTC offset"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char why[128] = "";
		usec_t got = -42;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		sm_err e =
		    parse_time(cases[i].text, len, cases[i].bare_is_utc, &got, why, sizeof(why));
		if (e != SM_ERR_INVALID)
			print_error("case \"%s\": got %s (%lld), want invalid\n", cases[i].name,
			            sm_err_str(e), (long long)got);
		EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
		EXPECT(run, cases[i].name, got == -42); /* *out untouched */
		EXPECT_HAS(run, cases[i].name, why, cases[i].want_why);
	}
	TABLE_DONE(run);
}

/* `why` is bounded by whylen, and may be tiny. */
static void test_time_why_bounded(void **state)
{
	(void)state;
	struct table_run run = {0};
	char why[8];
	usec_t t = 0;
	memset(why, 'x', sizeof(why));
	EXPECT(run, "small why", parse_time("bad", 3, true, &t, why, 5) == SM_ERR_INVALID);
	EXPECT(run, "small why terminated", strlen(why) == 4);
	EXPECT(run, "small why bytes after untouched", why[5] == 'x');
	TABLE_DONE(run);
}

static void test_time_format(void **state)
{
	static const struct {
		const char *name;
		usec_t t;
		const char *want;
	} cases[] = {
	    {"fixture start", T0, "2024-11-11 08:48:51.000000+00"},
	    {"with microseconds", T0 + 931000, "2024-11-11 08:48:51.931000+00"},
	    {"one microsecond", T0 + 1, "2024-11-11 08:48:51.000001+00"},
	    {"epoch", 0, "1970-01-01 00:00:00.000000+00"},
	    {"one microsecond before the epoch", -1, "1969-12-31 23:59:59.999999+00"},
	    {"one second before the epoch", -USEC_PER_SEC, "1969-12-31 23:59:59.000000+00"},
	    {"leap day", INT64_C(1709164800) * USEC_PER_SEC, "2024-02-29 00:00:00.000000+00"},
	    {"2000", INT64_C(946684800) * USEC_PER_SEC, "2000-01-01 00:00:00.000000+00"},
	    {"year 9999", INT64_C(253402300799) * USEC_PER_SEC + 999999,
	     "9999-12-31 23:59:59.999999+00"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char out[SCALAR_TIME_LEN];
		memset(out, 'x', sizeof(out));
		scalar_time_format(cases[i].t, out);
		EXPECT_STR(run, cases[i].name, out, cases[i].want);
		/* What is written reads back as the same instant, when the API
		 * takes it (not before 1970). */
		usec_t back = -42;
		char why[128] = "";
		sm_err e = parse_time(out, strlen(out), false, &back, why, sizeof(why));
		bool taken = cases[i].t >= SCALAR_TIME_MIN;
		EXPECT(run, cases[i].name, (e == SM_OK) == taken);
		EXPECT(run, cases[i].name, !taken || back == cases[i].t);
	}
	TABLE_DONE(run);
}

/* Parsing and formatting agree over many instants, fraction included. */
static void test_time_round_trip(void **state)
{
	(void)state;
	struct table_run run = {0};
	/* From 1970 to 2100 in steps that touch every month, day, and odd
	 * microseconds. */
	for (usec_t t = SCALAR_TIME_MIN; t < INT64_C(4102444800) * USEC_PER_SEC;
	     t += (INT64_C(86400) * 37 + 3600 * 5 + 61) * USEC_PER_SEC + 123457) {
		char out[SCALAR_TIME_LEN];
		scalar_time_format(t, out);
		usec_t back = -42;
		char why[128] = "";
		if (parse_time(out, strlen(out), false, &back, why, sizeof(why)) != SM_OK ||
		    back != t) {
			print_error("round trip of %lld: \"%s\" read as %lld (%s)\n", (long long)t,
			            out, (long long)back, why);
			run.failed++;
			break;
		}
	}
	/* An offset time formats as its UTC instant. */
	usec_t t = 0;
	char why[128] = "";
	char out[SCALAR_TIME_LEN];
	EXPECT(run, "offset parse",
	       parse_time("2024-11-11T09:48:51.5+01:00", 27, false, &t, why, sizeof(why)) == SM_OK);
	scalar_time_format(t, out);
	EXPECT_STR(run, "offset formats as utc", out, "2024-11-11 08:48:51.500000+00");
	TABLE_DONE(run);
}

static void test_now(void **state)
{
	(void)state;
	struct table_run run = {0};
	usec_t a = scalar_now();
	usec_t b = scalar_now();
	EXPECT(run, "after the fixture", a > T0);
	EXPECT(run, "does not go back much", b >= a - USEC_PER_SEC);
	TABLE_DONE(run);
}

static bool parse_double(const char *s, size_t len, double *out)
{
	char *copy = exact_copy(s, len);
	bool ok = scalar_double(copy, len, out);
	free(copy);
	return ok;
}

static void test_double(void **state)
{
	static const char sixty_three[] =
	    "000000000000000000000000000000000000000000000000000000000000001";
	static const char sixty_four[] =
	    "0000000000000000000000000000000000000000000000000000000000000001";
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text) */
		bool ok;
		double want;
	} cases[] = {
	    {"integer", "12", 0, true, 12.0},
	    {"zero", "0", 0, true, 0.0},
	    {"negative fraction", "-3.5", 0, true, -3.5},
	    {"exponent", "1e3", 0, true, 1000.0},
	    {"upper-case exponent", "2.5E-2", 0, true, 0.025},
	    {"signed exponent", "1e+3", 0, true, 1000.0},
	    {"plus sign", "+2", 0, true, 2.0},
	    {"leading dot", ".5", 0, true, 0.5},
	    {"trailing dot", "5.", 0, true, 5.0},
	    {"leading zeros", "007", 0, true, 7.0},
	    {"negative zero", "-0", 0, true, 0.0},
	    {"fixture latitude", "52.0981923", 0, true, 52.0981923},
	    {"large but finite", "1e308", 0, true, 1e308},
	    {"63 characters", sixty_three, 0, true, 1.0},
	    {"len cuts trailing text", "12abc", 2, true, 12.0},
	    {"empty", "", 0, false, 0},
	    {"leading space", " 1", 0, false, 0},
	    {"trailing space", "1 ", 0, false, 0},
	    {"hex", "0x10", 0, false, 0},
	    {"hex float", "0x1p3", 0, false, 0},
	    {"nan", "nan", 0, false, 0},
	    {"NaN", "NaN", 0, false, 0},
	    {"inf", "inf", 0, false, 0},
	    {"Infinity", "Infinity", 0, false, 0},
	    {"negative inf", "-inf", 0, false, 0},
	    {"overflow", "1e400", 0, false, 0},
	    {"negative overflow", "-1e400", 0, false, 0},
	    {"decimal comma", "1,5", 0, false, 0},
	    {"only a sign", "-", 0, false, 0},
	    {"only a dot", ".", 0, false, 0},
	    {"exponent without digits", "1e", 0, false, 0},
	    {"only an exponent", "e5", 0, false, 0},
	    {"two signs", "--1", 0, false, 0},
	    {"two dots", "1.2.3", 0, false, 0},
	    {"sign at the end", "1-", 0, false, 0},
	    {"unit", "12ug", 0, false, 0},
	    {"nul inside", "1\0002", 3, false, 0},
	    {"64 characters", sixty_four, 0, false, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		double got = -42.0;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		bool ok = parse_double(cases[i].text, len, &got);
		EXPECT(run, cases[i].name, ok == cases[i].ok);
		if (cases[i].ok)
			EXPECT(run, cases[i].name, got == cases[i].want);
		else
			EXPECT(run, cases[i].name, got == -42.0); /* *out untouched */
	}
	TABLE_DONE(run);
}

static bool parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	char *copy = exact_copy(s, len);
	bool ok = scalar_int(copy, len, min, max, out);
	free(copy);
	return ok;
}

static void test_int(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text) */
		int64_t min, max;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"zero", "0", 0, 0, 10, true, 0},
	    {"at the minimum", "-5", 0, -5, 5, true, -5},
	    {"at the maximum", "5", 0, -5, 5, true, 5},
	    {"leading zeros", "007", 0, 0, 10, true, 7},
	    {"negative zero", "-0", 0, 0, 10, true, 0},
	    {"error code", "2080", 0, 0, INT32_MAX, true, 2080},
	    {"int32 max", "2147483647", 0, 0, INT32_MAX, true, INT32_MAX},
	    {"int64 max", "9223372036854775807", 0, INT64_MIN, INT64_MAX, true, INT64_MAX},
	    {"int64 min", "-9223372036854775808", 0, INT64_MIN, INT64_MAX, true, INT64_MIN},
	    {"len cuts trailing text", "12abc", 2, 0, 100, true, 12},
	    {"below the minimum", "-6", 0, -5, 5, false, 0},
	    {"above the maximum", "6", 0, -5, 5, false, 0},
	    {"negative where 0 is the minimum", "-1", 0, 0, INT32_MAX, false, 0},
	    {"int32 max + 1", "2147483648", 0, 0, INT32_MAX, false, 0},
	    {"int64 overflow", "9223372036854775808", 0, INT64_MIN, INT64_MAX, false, 0},
	    {"int64 underflow", "-9223372036854775809", 0, INT64_MIN, INT64_MAX, false, 0},
	    {"empty", "", 0, 0, 10, false, 0},
	    {"plus sign", "+5", 0, 0, 10, false, 0},
	    {"leading space", " 5", 0, 0, 10, false, 0},
	    {"trailing space", "5 ", 0, 0, 10, false, 0},
	    {"fraction", "1.0", 0, 0, 10, false, 0},
	    {"exponent", "1e3", 0, 0, 10000, false, 0},
	    {"hex", "0x10", 0, 0, 100, false, 0},
	    {"only a sign", "-", 0, -10, 10, false, 0},
	    {"letters", "abc", 0, 0, 10, false, 0},
	    {"nul inside", "1\0002", 3, 0, 100, false, 0},
	    {"32 characters", "00000000000000000000000000000001", 0, 0, 10, false, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		int64_t got = -42;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		bool ok = parse_int(cases[i].text, len, cases[i].min, cases[i].max, &got);
		EXPECT(run, cases[i].name, ok == cases[i].ok);
		EXPECT(run, cases[i].name, got == (cases[i].ok ? cases[i].want : -42));
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_accepts),     cmocka_unit_test(test_time_rejects),
	    cmocka_unit_test(test_time_why_bounded), cmocka_unit_test(test_time_format),
	    cmocka_unit_test(test_time_round_trip),  cmocka_unit_test(test_now),
	    cmocka_unit_test(test_double),           cmocka_unit_test(test_int),
	};
	return cmocka_run_group_tests_name("scalar", tests, NULL, NULL);
}
