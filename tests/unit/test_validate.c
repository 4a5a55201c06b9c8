/* Unit tests for the checks in server/validate.c: slugs, UUIDs, free text
 * and positive-integer path ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>

#include "unit.h"
#include "validate.h"

/* The row's string, or `repeat` copies of 'a' when repeat > 0. */
static const char *row_text(char *buf, size_t buflen, const char *s, size_t repeat)
{
	if (!repeat)
		return s;
	assert_true(repeat < buflen);
	memset(buf, 'a', repeat);
	buf[repeat] = '\0';
	return buf;
}

/* Slugs: ^[a-z0-9][a-z0-9-]{1,62}$ */
static void test_slug(void **state)
{
	static const struct {
		const char *name;
		const char *s;
		size_t repeat;
		bool want;
	} cases[] = {
	    {"two letters", "ab", 0, true},
	    {"with a dash", "snuffel-fiets", 0, true},
	    {"letter and digit", "a1", 0, true},
	    {"starts with a digit", "1a", 0, true},
	    {"digits only", "00", 0, true},
	    {"ends with a dash", "a-", 0, true},
	    {"two dashes", "a--b", 0, true},
	    {"63 characters", NULL, 63, true},
	    {"empty", "", 0, false},
	    {"one character", "a", 0, false},
	    {"64 characters", NULL, 64, false},
	    {"starts with a dash", "-ab", 0, false},
	    {"only dashes", "--", 0, false},
	    {"upper case", "Ab", 0, false},
	    {"upper case later", "aB", 0, false},
	    {"underscore", "a_b", 0, false},
	    {"space", "a b", 0, false},
	    {"semicolon", "x;drop", 0, false},
	    {"dot", "a.b", 0, false},
	    {"slash", "ab/", 0, false},
	    {"percent", "a%20", 0, false},
	    {"newline", "ab\n", 0, false},
	    {"accented letter", "caf\xc3\xa9", 0, false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char buf[80];
		const char *s = row_text(buf, sizeof(buf), cases[i].s, cases[i].repeat);
		EXPECT(run, cases[i].name, slug_valid(s) == cases[i].want);
	}
	TABLE_DONE(run);
}

/* UUIDs: 8-4-4-4-12 lower-case hex digits. */
static void test_uuid(void **state)
{
	static const struct {
		const char *name;
		const char *s;
		bool want;
	} cases[] = {
	    {"lower case", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789ab", true},
	    {"nil uuid", "00000000-0000-0000-0000-000000000000", true},
	    {"all f", "ffffffff-ffff-ffff-ffff-ffffffffffff", true},
	    {"upper case", "3F2B1C9E-0A1B-4C2D-8E3F-0123456789AB", false},
	    {"one upper-case digit", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789aB", false},
	    {"dash one place early", "3f2b1c9-e0a1b-4c2d-8e3f-0123456789ab", false},
	    {"dash one place late", "3f2b1c9e0-a1b-4c2d-8e3f-0123456789ab", false},
	    {"last dash moved", "3f2b1c9e-0a1b-4c2d-8e3f0-123456789ab", false},
	    {"no dashes", "3f2b1c9e0a1b4c2d8e3f0123456789ab", false},
	    {"digit for a dash", "3f2b1c9e-0a1b-4c2d-8e3f00123456789ab", false},
	    {"35 characters", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789a", false},
	    {"37 characters", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789abc", false},
	    {"non-hex letter", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789ag", false},
	    {"non-hex first", "gf2b1c9e-0a1b-4c2d-8e3f-0123456789ab", false},
	    {"braces", "{3f2b1c9e-0a1b-4c2d-8e3f-0123456789a}", false},
	    {"space at end", "3f2b1c9e-0a1b-4c2d-8e3f-0123456789a ", false},
	    {"empty", "", false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++)
		EXPECT(run, cases[i].name, uuid_valid(cases[i].s) == cases[i].want);
	TABLE_DONE(run);
}

/* Free text: 1..maxlen characters (a multi-byte UTF-8 character counts as
 * one), no control characters. */
static void test_text(void **state)
{
	static const struct {
		const char *name;
		const char *s;
		size_t repeat;
		size_t maxlen;
		bool want;
	} cases[] = {
	    {"empty", "", 0, 10, false},
	    {"one character", "a", 0, 1, true},
	    {"over maxlen by one", "ab", 0, 1, false},
	    {"exactly maxlen", "Utrecht", 0, 7, true},
	    {"one over maxlen", "Utrecht", 0, 6, false},
	    {"200 of 200", NULL, 200, 200, true},
	    {"201 of 200", NULL, 201, 200, false},
	    {"spaces are text", "  ", 0, 2, true},
	    {"two-byte char counts once", "\xc3\xa9", 0, 1, true},
	    {"three-byte char counts once", "\xe2\x82\xac", 0, 1, true},
	    {"four-byte char counts once", "\xf0\x9f\x8c\xb3", 0, 1, true},
	    {"mixed counts per char", "caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x8c\xb3", 0, 7, true},
	    {"mixed one over", "caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x8c\xb3", 0, 6, false},
	    {"two two-byte chars of 1", "\xc3\xa9\xc3\xa9", 0, 1, false},
	    {"newline", "a\nb", 0, 10, false},
	    {"carriage return", "a\rb", 0, 10, false},
	    {"tab", "a\tb", 0, 10, false},
	    {"DEL", "a\x7f", 0, 10, false},
	    {"C1 control",
	     "a\xc2\x85"
	     "b",
	     0, 10, false},
	    {"C1 CSI escape",
	     "\xc2\x9b"
	     "31m",
	     0, 10, false},
	    {"no-break space is text",
	     "a\xc2\xa0"
	     "b",
	     0, 10, true},
	    {"escape", "\x1b[31m", 0, 10, false},
	    {"control char first", "\x01z", 0, 10, false},
	    {"control char last", "z\x1f", 0, 10, false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char buf[256];
		const char *s = row_text(buf, sizeof(buf), cases[i].s, cases[i].repeat);
		EXPECT(run, cases[i].name, text_valid(s, cases[i].maxlen) == cases[i].want);
	}
	TABLE_DONE(run);
}

/* Well-formed UTF-8 only: what PostgreSQL takes as text (found by
 * tests/e2e/test_property.py: quantity=%ff%fe answered 500). */
static void test_utf8(void **state)
{
	static const struct {
		const char *name;
		const char *s;
		bool want;
	} cases[] = {
	    {"empty", "", true},
	    {"ascii", "pm25", true},
	    {"two bytes", "caf\xc3\xa9", true},
	    {"three bytes", "\xe2\x82\xac", true},
	    {"four bytes", "\xf0\x9f\x98\x80", true},
	    {"highest code point", "\xf4\x8f\xbf\xbf", true},
	    {"lone continuation", "\x80", false},
	    {"ff fe", "\xff\xfe", false},
	    {"truncated two bytes", "\xc3", false},
	    {"bad continuation", "\xc3\x28", false},
	    {"truncated three bytes", "\xe2\x82", false},
	    {"overlong slash", "\xc0\xaf", false},
	    {"overlong three bytes", "\xe0\x80\xaf", false},
	    {"overlong four bytes", "\xf0\x80\x80\xaf", false},
	    {"surrogate", "\xed\xa0\x80", false},
	    {"past U+10FFFF", "\xf4\x90\x80\x80", false},
	    {"f5 lead byte", "\xf5\x80\x80\x80", false},
	    {"good then bad", "ok\xe2\x82\xac\xff", false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++)
		EXPECT(run, cases[i].name, utf8_valid(cases[i].s) == cases[i].want);
	TABLE_DONE(run);
}

/* param_id: a positive integer path parameter, or a 400 problem naming the
 * parameter and the reason. */
static void test_param_id(void **state)
{
	static const struct {
		const char *name;
		const char *s; /* NULL: no parameter at that index */
		bool want;
		long long id;
	} cases[] = {
	    {"one", "1", true, 1},
	    {"large", "123456789", true, 123456789},
	    {"leading zeros", "007", true, 7},
	    {"int64 max", "9223372036854775807", true, INT64_MAX},
	    {"zero", "0", false, 0},
	    {"zeros", "000", false, 0},
	    {"minus one", "-1", false, 0},
	    {"past int64 max", "9223372036854775808", false, 0},
	    {"plus sign", "+5", false, 0},
	    {"leading space", " 5", false, 0},
	    {"trailing letter", "5a", false, 0},
	    {"decimal", "1.5", false, 0},
	    {"exponent", "1e3", false, 0},
	    {"hex", "0x10", false, 0},
	    {"letters", "abc", false, 0},
	    {"empty", "", false, 0},
	    {"missing", NULL, false, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *name = cases[i].name;
		struct request r;
		request_init(&r, NULL, 1024);
		if (cases[i].s) {
			r.params[0] = strdup(cases[i].s);
			assert_non_null(r.params[0]);
			r.nparams = 1;
		}
		long long id = -42;
		bool ok = param_id(&r, 0, "id", &id);
		EXPECT(run, name, ok == cases[i].want);
		if (cases[i].want) {
			EXPECT(run, name, id == cases[i].id);
			EXPECT(run, name, r.status == 0);
		} else {
			EXPECT(run, name, id == -42);
			EXPECT(run, name, r.status == 400);
			json_t *j = json_loadb(r.resp_body ? r.resp_body : "", r.resp_len, 0, NULL);
			EXPECT(run, name, j != NULL);
			EXPECT_STR(run, name, json_string_value(json_object_get(j, "field")), "id");
			EXPECT_HAS(run, name, json_string_value(json_object_get(j, "detail")),
			           "is not a valid id: expected a positive integer");
			json_decref(j);
		}
		request_cleanup(&r);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slug),     cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_text),     cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_param_id),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
