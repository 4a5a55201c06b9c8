/* Unit tests for server/jsonin.c: the nesting-depth pre-scan and the strict
 * parse of request bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonin.h"
#include "unit.h"

/* jsonin_depth: the deepest nesting outside strings, or max + 1 as soon as
 * it passes max. `len` 0 means the whole string. */
static void test_depth(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len;
		int max;
		int want;
	} cases[] = {
	    {"empty", "", 0, 32, 0},
	    {"scalar", "12", 0, 32, 0},
	    {"empty array", "[]", 0, 32, 1},
	    {"empty object", "{}", 0, 32, 1},
	    {"nested arrays", "[[[]]]", 0, 32, 3},
	    {"mixed nesting", "{\"a\":[{\"b\":[1]}]}", 0, 32, 4},
	    {"siblings do not add", "[[],[],[[]],{}]", 0, 32, 3},
	    {"deepest of several", "[[[1]],[2],{\"x\":{\"y\":{\"z\":[]}}}]", 0, 32, 5},
	    {"brackets in a string", "\"[[[[{{{{\"", 0, 32, 0},
	    {"closers in a string", "[\"]]]]}}}}\",[1]]", 0, 32, 2},
	    {"brackets in a key", "{\"k[[[\":{\"v{{\":1}}", 0, 32, 2},
	    {"escaped quote stays in string", "[\"a\\\"[[[\"]", 0, 32, 1},
	    {"escaped backslash ends before quote", "[\"a\\\\\",[[1]]]", 0, 32, 3},
	    {"escaped backslash then escaped quote", "[\"\\\\\\\"[[\"]", 0, 32, 1},
	    {"unicode escape in string", "[\"\\u005b[\"]", 0, 32, 1},
	    {"exactly at max", "[[[1]]]", 0, 3, 3},
	    {"one past max", "[[[[1]]]]", 0, 3, 4},
	    {"far past max stops at max + 1", "[[[[[[[[[[[[[[[[[[[[", 0, 3, 4},
	    {"only len bytes are read", "[[[[]]]]", 2, 32, 2},
	    {"string cut by len", "[\"[[", 3, 32, 1},
	    {"backslash as last byte", "[\"\\", 3, 32, 1},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		/* An exact-size copy, so reading past len shows under valgrind. */
		char *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, cases[i].text, len);
		int got = jsonin_depth(copy, len, cases[i].max);
		free(copy);
		if (got != cases[i].want)
			print_error("case \"%s\": depth %d, want %d\n", cases[i].name, got,
			            cases[i].want);
		EXPECT(run, cases[i].name, got == cases[i].want);
	}
	TABLE_DONE(run);
}

/* jsonin_parse on input it must reject. Each row says what the reason
 * mentions. */
static void test_parse_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		int max;
		const char *want_why;
	} cases[] = {
	    {"duplicate key", "{\"a\":1,\"a\":2}", 32, "duplicate"},
	    {"nested duplicate key", "{\"o\":{\"k\":1,\"k\":1}}", 32, "duplicate"},
	    {"depth over limit", "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", 17, "17"},
	    {"depth over limit in object", "{\"a\":{\"b\":{\"c\":1}}}", 2, "nesting"},
	    {"invalid byte 0xff", "{\"a\":\"\xff\"}", 32, "line"},
	    {"lone continuation byte", "{\"a\":\"\x80\"}", 32, "line"},
	    {"overlong slash", "{\"a\":\"\xc0\xaf\"}", 32, "line"},
	    {"utf-16 surrogate as utf-8", "{\"a\":\"\xed\xa0\x80\"}", 32, "line"},
	    {"cut multi-byte sequence", "{\"a\":\"\xe2\x82\"}", 32, "line"},
	    {"invalid byte in key", "{\"\xfe\":1}", 32, "line"},
	    {"lone surrogate escape", "{\"a\":\"\\ud800\"}", 32, "line"},
	    {"NaN", "{\"a\":NaN}", 32, "line"},
	    {"nan", "[nan]", 32, "line"},
	    {"Infinity", "[Infinity]", 32, "line"},
	    {"-Infinity", "[-Infinity]", 32, "line"},
	    {"empty input", "", 32, "line"},
	    {"only spaces", "   ", 32, "line"},
	    {"truncated after colon", "{\"a\":", 32, "line"},
	    {"truncated array", "[1,2", 32, "line"},
	    {"truncated string", "{\"a\":\"bc", 32, "line"},
	    {"truncated literal", "[tru", 32, "line"},
	    {"trailing comma", "[1,]", 32, "line"},
	    {"trailing garbage", "{} x", 32, "line"},
	    {"two documents", "{}{}", 32, "line"},
	    {"single quotes", "{'a':1}", 32, "line"},
	    {"comment", "{\"a\":1 /* no */}", 32, "line"},
	    {"raw control char in string", "{\"a\":\"x\ny\"}", 32, "line"},
	    {"error position on a later line", "{\n\"a\":1,\n\"b\":}", 32, "line 3"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char why[256] = "";
		json_t *out = (json_t *)&run; /* any non-NULL value; must become NULL */
		sm_err e = jsonin_parse(cases[i].text, strlen(cases[i].text), cases[i].max, &out,
		                        why, sizeof(why));
		EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
		EXPECT(run, cases[i].name, out == NULL);
		EXPECT_HAS(run, cases[i].name, why, cases[i].want_why);
		if (e == SM_OK)
			json_decref(out);
	}
	TABLE_DONE(run);
}

/* jsonin_parse on input it must accept; the row's check looks at the
 * result. */
static void test_parse_accepts(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		int max;
		const char *key;    /* a member of the top object, or NULL */
		const char *want_s; /* its string value, or NULL */
		long long want_i;   /* its integer value when want_s is NULL */
	} cases[] = {
	    {"flat object", "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null}", 32, "a", NULL, 1},
	    {"nested at exactly max", "{\"a\":{\"b\":[7]}}", 3, NULL, NULL, 0},
	    {"same key in different objects", "{\"a\":{\"k\":1},\"b\":{\"k\":2}}", 32, NULL, NULL,
	     0},
	    {"multi-byte utf-8", "{\"naam\":\"Utrecht \xc3\xa9\xe2\x82\xac\xf0\x9f\x8c\xb3\"}", 32,
	     "naam", "Utrecht \xc3\xa9\xe2\x82\xac\xf0\x9f\x8c\xb3", 0},
	    {"escaped brackets and quotes", "{\"s\":\"a\\\"[[[\"}", 2, "s", "a\"[[[", 0},
	    {"surrogate pair escape", "{\"s\":\"\\ud83c\\udf33\"}", 32, "s", "\xf0\x9f\x8c\xb3", 0},
	    {"whitespace around", " \n\t{ \"n\" : -12 }\r\n", 32, "n", NULL, -12},
	    {"top-level array", "[1,2,3]", 32, NULL, NULL, 0},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char why[256] = "";
		json_t *out = NULL;
		sm_err e = jsonin_parse(cases[i].text, strlen(cases[i].text), cases[i].max, &out,
		                        why, sizeof(why));
		if (e != SM_OK)
			print_error("case \"%s\": rejected: %s\n", cases[i].name, why);
		EXPECT(run, cases[i].name, e == SM_OK);
		EXPECT(run, cases[i].name, out != NULL);
		if (out && cases[i].key) {
			json_t *v = json_object_get(out, cases[i].key);
			if (cases[i].want_s)
				EXPECT_STR(run, cases[i].name, json_string_value(v),
				           cases[i].want_s);
			else
				EXPECT(run, cases[i].name,
				       json_is_integer(v) &&
				           json_integer_value(v) == cases[i].want_i);
		}
		json_decref(out);
	}
	TABLE_DONE(run);
}

/* Only `len` bytes are parsed: a body is not NUL-terminated. */
static void test_parse_uses_len(void **state)
{
	(void)state;
	const char text[] = "{\"a\":1}GARBAGE";
	char why[256] = "";
	json_t *out = NULL;
	assert_int_equal(jsonin_parse(text, 7, 32, &out, why, sizeof(why)), SM_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "a")), 1);
	json_decref(out);
}

/* Nesting far deeper than any parser should recurse into is refused by the
 * pre-scan, naming the limit. */
static void test_parse_very_deep(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(2 * n);
	assert_non_null(text);
	memset(text, '[', n);
	memset(text + n, ']', n);
	char why[256] = "";
	json_t *out = NULL;
	sm_err e = jsonin_parse(text, 2 * n, 32, &out, why, sizeof(why));
	free(text);
	assert_int_equal(e, SM_ERR_INVALID);
	assert_null(out);
	assert_non_null(strstr(why, "32"));
}

/* A reason never overruns a small buffer. */
static void test_parse_small_why(void **state)
{
	(void)state;
	char why[6];
	memset(why, 'Z', sizeof(why));
	json_t *out = NULL;
	assert_int_equal(jsonin_parse("[1,", 3, 32, &out, why, sizeof(why)), SM_ERR_INVALID);
	assert_int_equal(strlen(why), sizeof(why) - 1);
}

/* jsonin_rows: elements of the top-level array, or of the largest array
 * directly inside a top-level object; brackets and commas in strings and
 * in nested values do not count; counting stops past `stop`. */
static void test_rows(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *text;
		size_t stop;
		size_t want;
	} cases[] = {
	    {"empty array", "[]", 10, 0},
	    {"empty with spaces", " [ \n ] ", 10, 0},
	    {"one", "[{}]", 10, 1},
	    {"three objects", "[{},{},{}]", 10, 3},
	    {"spaces", "[ {} , {} ]", 10, 2},
	    {"numbers", "[1,2,3,4]", 10, 4},
	    {"nested commas", "[{\"a\":[1,2,3],\"b\":{\"c\":1,\"d\":2}}]", 10, 1},
	    {"commas in strings", "[\"a,b,c\",\"]\",\"\\\",\"]", 10, 3},
	    {"envelope", "{\"report\":[{},{},{}],\"status\":\"ok\"}", 10, 3},
	    {"largest of two", "{\"a\":[1],\"b\":[1,2,3,4,5]}", 10, 5},
	    {"deeper arrays do not count", "{\"a\":{\"b\":[1,2,3]}}", 10, 0},
	    {"array in array element", "[[1,2,3]]", 10, 1},
	    {"one object", "{\"a\":1,\"b\":2}", 10, 0},
	    {"scalar", "42", 10, 0},
	    {"at the stop", "[1,2,3]", 3, 3},
	    {"past the stop", "[1,2,3,4]", 3, 4},
	    {"far past the stop", "[1,2,3,4,5,6,7,8,9]", 3, 4},
	    {"unterminated", "[1,2,3", 10, 0},
	    /* Was a bug (the property test under UBSan): closing brackets before
	     * any opened took the depth below zero, and the next '[' wrote
	     * before the start of the kinds array. */
	    {"closes first", "]][[1,2]", 10, 0},
	    {"closes past the top", "[1]]][[1,2,3]", 10, 1},
	    {"only closing", "}}}}", 10, 0},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = jsonin_rows(cases[i].text, strlen(cases[i].text), cases[i].stop);
		if (got != cases[i].want)
			print_error("case \"%s\": got %zu, want %zu\n", cases[i].name, got,
			            cases[i].want);
		EXPECT(run, cases[i].name, got == cases[i].want);
	}
	TABLE_DONE(run);
}

/* With jsonin_init, a parse that needs more than its budget (16 times the
 * text, at least 8 MiB) stops with SM_ERR_TOO_LARGE; real rows fit. */
static void test_parse_budget(void **state)
{
	(void)state;
	jsonin_init();
	/* `[[],[],...]`: about 40 times its text in jansson's trees. */
	size_t n = 1u << 20;
	char *text = malloc(3 * n + 2);
	assert_non_null(text);
	size_t len = 0;
	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		memcpy(text + len, i ? ",[]" : "[]", i ? 3 : 2);
		len += i ? 3 : 2;
	}
	text[len++] = ']';
	json_t *root = NULL;
	char why[200];
	assert_int_equal(jsonin_parse(text, len, 32, &root, why, sizeof(why)), SM_ERR_TOO_LARGE);
	assert_null(root);
	assert_non_null(strstr(why, "MiB of memory"));

	/* Rows as devices send them: 7 to 8 times their text. */
	len = 0;
	text[len++] = '[';
	const char *row = "{\"created_at\":\"2024-11-11T08:00:00Z\",\"imei\":\"861234567890999\","
	                  "\"lat\":52.0907,\"lon\":5.1214,\"pm_2_5\":12.3,\"pm10\":20.1}";
	size_t rowlen = strlen(row);
	while (len + rowlen + 2 < 3 * n) {
		if (len > 1)
			text[len++] = ',';
		memcpy(text + len, row, rowlen);
		len += rowlen;
	}
	text[len++] = ']';
	/* Duplicate rows are fine for the parser. */
	assert_int_equal(jsonin_parse(text, len, 32, &root, why, sizeof(why)), SM_OK);
	assert_true(json_array_size(root) > 10000);
	json_decref(root);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_parse_budget),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_parse_accepts),
	    cmocka_unit_test(test_parse_uses_len),
	    cmocka_unit_test(test_parse_very_deep),
	    cmocka_unit_test(test_parse_small_why),
	};
	return cmocka_run_group_tests_name("jsonin", tests, NULL, NULL);
}
