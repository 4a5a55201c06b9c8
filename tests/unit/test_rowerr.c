/* Unit tests for server/rowerr.c: the list of rejected rows in an ingest
 * answer. What is listed is bounded, sorted by row, and safe to put in JSON
 * whatever bytes the upload held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rowerr.h"
#include "unit.h"

/* True when s is well-formed UTF-8 (no overlongs, no surrogates) without
 * C0 or C1 control characters: what a JSON answer may carry as is. */
static bool clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		size_t n;
		if (p[0] < 0x80) {
			if (p[0] < 0x20 || p[0] == 0x7f)
				return false;
			p++;
			continue;
		}
		if ((p[0] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[0] & 0x1f;
		} else if ((p[0] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[0] & 0x0f;
		} else if ((p[0] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[0] & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		p += n;
	}
	return true;
}

static void test_init_cleanup(void **state)
{
	(void)state;
	struct table_run run = {0};
	struct row_errors e;
	memset(&e, 0x5a, sizeof(e));
	rowerr_init(&e);
	EXPECT(run, "init items", e.items == NULL);
	EXPECT(run, "init listed", e.listed == 0);
	EXPECT(run, "init rejected", e.rejected == 0);

	json_t *list = rowerr_json(&e);
	EXPECT(run, "empty list is an array", json_is_array(list));
	EXPECT(run, "empty list is empty", json_array_size(list) == 0);
	json_decref(list);

	rowerr_add(&e, 3, "pm2_5", "cannot be negative");
	rowerr_cleanup(&e);
	EXPECT(run, "cleanup resets items", e.items == NULL);
	EXPECT(run, "cleanup resets listed", e.listed == 0);
	EXPECT(run, "cleanup resets rejected", e.rejected == 0);
	rowerr_cleanup(&e); /* twice is fine */
	EXPECT(run, "cleanup twice", e.items == NULL && e.rejected == 0);
	TABLE_DONE(run);
}

/* What one row error holds, and how it is sanitised. */
static void test_add(void **state)
{
	static const char long_field[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"; /* 46 */
	static const struct {
		const char *name;
		size_t index;
		const char *field; /* NULL allowed */
		const char *reason;
		const char *want_field;
		const char *want_reason;
	} cases[] = {
	    {"plain", 7, "pm2_5", "cannot be negative", "pm2_5", "cannot be negative"},
	    {"no field", 0, NULL, "has 3 fields", "", "has 3 fields"},
	    {"empty field", 1, "", "a reading must be a JSON object", "",
	     "a reading must be a JSON object"},
	    {"large index", (size_t)1 << 40, "x", "y", "x", "y"},
	    {"utf-8 kept", 2, "temp\xc3\xa9rature", "\xe2\x82\xac 5", "temp\xc3\xa9rature",
	     "\xe2\x82\xac 5"},
	    {"four-byte utf-8 kept", 2, "\xf0\x9f\x9a\xb2", "ok", "\xf0\x9f\x9a\xb2", "ok"},
	    {"newline in field", 2, "a\nb", "r", "a?b", "r"},
	    {"tab in reason", 2, "f", "a\tb", "f", "a?b"},
	    {"escape in field", 2, "\x1b[31mred", "r", "?[31mred", "r"},
	    {"delete in field", 2, "a\x7f", "r", "a?", "r"},
	    {"carriage return in reason", 2, "f", "line\r\nbreak", "f", "line??break"},
	    {"c1 control in field", 2, "a\xc2\x85z", "r", "a?z", "r"},
	    {"c1 control in reason", 2, "f",
	     "\xc2\x9b"
	     "31m",
	     "f", "?31m"},
	    {"no-break space kept", 2, "a\xc2\xa0z", "r", "a\xc2\xa0z", "r"},
	    {"stray continuation byte", 2, "a\x80z", "r", "a?z", "r"},
	    {"invalid lead byte", 2, "\xff\xfe", "r", "??", "r"},
	    {"truncated sequence", 2, "a\xe2\x82", "r", "a??", "r"},
	    {"truncated sequence before text", 2, "\xe2\x82z", "r", "??z", "r"},
	    {"overlong slash", 2, "\xc0\xaf", "r", "??", "r"},
	    {"overlong nul", 2, "\xc0\x80", "r", "??", "r"},
	    {"surrogate", 2, "\xed\xa0\x80", "r", "???", "r"},
	    {"beyond U+10FFFF", 2, "\xf4\x90\x80\x80", "r", "????", "r"},
	    {"invalid utf-8 in reason", 2, "f", "bad \xff value", "f", "bad ? value"},
	    {"long field cut to 40 characters", 2, long_field, "r",
	     "abcdefghijklmnopqrstuvwxyz0123456789ABCD...", "r"},
	    {"field of exactly 40 characters", 2, "abcdefghijklmnopqrstuvwxyz0123456789ABCD", "r",
	     "abcdefghijklmnopqrstuvwxyz0123456789ABCD", "r"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct row_errors e;
		rowerr_init(&e);
		rowerr_add(&e, cases[i].index, cases[i].field, "%s", cases[i].reason);
		EXPECT(run, cases[i].name, e.rejected == 1 && e.listed == 1);
		if (e.listed == 1) {
			EXPECT(run, cases[i].name, e.items[0].index == cases[i].index);
			EXPECT_STR(run, cases[i].name, e.items[0].field, cases[i].want_field);
			EXPECT_STR(run, cases[i].name, e.items[0].reason, cases[i].want_reason);
			EXPECT(run, cases[i].name, clean_utf8(e.items[0].field));
			EXPECT(run, cases[i].name, clean_utf8(e.items[0].reason));
		}
		/* Always one JSON element, whatever the bytes. */
		json_t *list = rowerr_json(&e);
		EXPECT(run, cases[i].name, json_array_size(list) == 1);
		json_t *item = json_array_get(list, 0);
		EXPECT(run, cases[i].name,
		       (size_t)json_integer_value(json_object_get(item, "index")) ==
		           cases[i].index);
		EXPECT_STR(run, cases[i].name, json_string_value(json_object_get(item, "field")),
		           cases[i].want_field);
		EXPECT_STR(run, cases[i].name, json_string_value(json_object_get(item, "reason")),
		           cases[i].want_reason);
		json_decref(list);
		rowerr_cleanup(&e);
	}
	TABLE_DONE(run);
}

/* Long texts are cut to fit, on a character boundary, and stay clean. */
static void test_add_long(void **state)
{
	static const struct {
		const char *name;
		const char *unit; /* repeated */
		size_t repeat;
		bool in_field; /* else in the reason */
	} cases[] = {
	    {"ascii reason", "a", 400, false},
	    {"two-byte reason", "\xc3\xa9", 200, false},
	    {"three-byte reason", "\xe2\x82\xac", 120, false},
	    {"four-byte reason", "\xf0\x9f\x9a\xb2", 100, false},
	    {"controls in reason", "\x01", 300, false},
	    {"invalid bytes in reason", "\xff", 300, false},
	    {"ascii field", "a", 100, true},
	    {"two-byte field", "\xc3\xa9", 40, true},
	    {"three-byte field", "\xe2\x82\xac", 40, true},
	    {"four-byte field", "\xf0\x9f\x9a\xb2", 40, true},
	    {"controls in field", "\n", 100, true},
	    {"invalid bytes in field", "\x80", 100, true},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char text[1024] = "";
		size_t ulen = strlen(cases[i].unit);
		for (size_t k = 0; k < cases[i].repeat && (k + 1) * ulen < sizeof(text); k++)
			memcpy(text + k * ulen, cases[i].unit, ulen + 1);
		struct row_errors e;
		rowerr_init(&e);
		if (cases[i].in_field)
			rowerr_add(&e, 1, text, "r");
		else
			rowerr_add(&e, 1, "f", "%s", text);
		EXPECT(run, cases[i].name, e.listed == 1);
		if (e.listed != 1) {
			rowerr_cleanup(&e);
			continue;
		}
		const char *got = cases[i].in_field ? e.items[0].field : e.items[0].reason;
		size_t room =
		    cases[i].in_field ? sizeof(e.items[0].field) : sizeof(e.items[0].reason);
		EXPECT(run, cases[i].name, strlen(got) < room);
		EXPECT(run, cases[i].name, strlen(got) > room / 3);
		EXPECT(run, cases[i].name, clean_utf8(got));
		json_t *list = rowerr_json(&e);
		EXPECT(run, cases[i].name, json_array_size(list) == 1);
		json_decref(list);
		rowerr_cleanup(&e);
	}
	TABLE_DONE(run);
}

/* Beyond ROWERR_MAX_LISTED rows are counted but not listed. */
static void test_limit(void **state)
{
	static const struct {
		const char *name;
		size_t adds;
		size_t want_listed;
	} cases[] = {
	    {"one", 1, 1},
	    {"one below the limit", ROWERR_MAX_LISTED - 1, ROWERR_MAX_LISTED - 1},
	    {"at the limit", ROWERR_MAX_LISTED, ROWERR_MAX_LISTED},
	    {"one over the limit", ROWERR_MAX_LISTED + 1, ROWERR_MAX_LISTED},
	    {"far over the limit", 5 * ROWERR_MAX_LISTED + 7, ROWERR_MAX_LISTED},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct row_errors e;
		rowerr_init(&e);
		for (size_t k = 0; k < cases[i].adds; k++)
			rowerr_add(&e, k, "field", "row %zu", k);
		EXPECT(run, cases[i].name, e.rejected == cases[i].adds);
		EXPECT(run, cases[i].name, e.listed == cases[i].want_listed);
		json_t *list = rowerr_json(&e);
		EXPECT(run, cases[i].name, json_array_size(list) == cases[i].want_listed);
		/* The first ones are listed, the later ones are not. */
		json_t *last = json_array_get(list, json_array_size(list) - 1);
		EXPECT(run, cases[i].name,
		       (size_t)json_integer_value(json_object_get(last, "index")) ==
		           cases[i].want_listed - 1);
		json_decref(list);
		rowerr_cleanup(&e);
	}
	TABLE_DONE(run);
}

/* rowerr_json lists by row index whatever order the rows were added in. */
static void test_sorted(void **state)
{
	static const struct {
		const char *name;
		size_t indexes[8];
		size_t n;
		const char *want; /* "i:reason," each */
	} cases[] = {
	    {"already sorted", {1, 2, 3}, 3, "1:r1,2:r2,3:r3,"},
	    {"reversed", {9, 5, 0}, 3, "0:r0,5:r5,9:r9,"},
	    {"mixed", {4, 1, 7, 3, 0, 6}, 6, "0:r0,1:r1,3:r3,4:r4,6:r6,7:r7,"},
	    {"large indexes",
	     {(size_t)1 << 40, 0, (size_t)1 << 33},
	     3,
	     "0:r0,8589934592:r8589934592,1099511627776:r1099511627776,"},
	    {"single", {42}, 1, "42:r42,"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct row_errors e;
		rowerr_init(&e);
		for (size_t k = 0; k < cases[i].n; k++)
			rowerr_add(&e, cases[i].indexes[k], "", "r%zu", cases[i].indexes[k]);
		json_t *list = rowerr_json(&e);
		char got[512] = "";
		size_t used = 0;
		size_t k;
		json_t *item;
		json_array_foreach(list, k, item) {
			int m = snprintf(got + used, sizeof(got) - used, "%zu:%s,",
			                 (size_t)json_integer_value(json_object_get(item, "index")),
			                 json_string_value(json_object_get(item, "reason")));
			if (m < 0 || (size_t)m >= sizeof(got) - used)
				break;
			used += (size_t)m;
		}
		EXPECT_STR(run, cases[i].name, got, cases[i].want);
		/* Asking twice gives the same. */
		json_t *again = rowerr_json(&e);
		EXPECT(run, cases[i].name, json_equal(list, again));
		json_decref(again);
		json_decref(list);
		rowerr_cleanup(&e);
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_cleanup), cmocka_unit_test(test_add),
	    cmocka_unit_test(test_add_long),     cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_sorted),
	};
	return cmocka_run_group_tests_name("rowerr", tests, NULL, NULL);
}
