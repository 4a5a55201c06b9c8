/* Unit tests for server/buf.c: the growable, capped, NUL-terminated byte
 * buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "unit.h"

/* The buffer holds exactly `want` (len bytes) followed by a NUL. */
static void assert_contents(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_non_null(b->data);
	assert_true(b->cap >= len + 1);
	assert_memory_equal(b->data, want, len);
	assert_int_equal(b->data[len], '\0');
}

static void test_init_empty(void **state)
{
	(void)state;
	struct buf b;
	memset(&b, 0xAA, sizeof(b));
	buf_init(&b, 123);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 123);
	buf_cleanup(&b);
}

/* append, puts and printf add to the end; an empty append still leaves a
 * readable empty string. */
static void test_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), SM_OK);
	assert_contents(&b, "", 0);
	assert_int_equal(buf_append(&b, "abcXYZ", 3), SM_OK);
	assert_int_equal(buf_puts(&b, "def"), SM_OK);
	assert_int_equal(buf_printf(&b, "-%d-%s-%c", 42, "x", 'y'), SM_OK);
	assert_int_equal(buf_printf(&b, "%s", ""), SM_OK);
	assert_contents(&b, "abcdef-42-x-y", 13);
	buf_cleanup(&b);
}

/* Bytes, not strings: an embedded NUL is kept and counted. */
static void test_binary(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "a\0b", 3), SM_OK);
	assert_int_equal(buf_append(&b, "\0", 1), SM_OK);
	assert_contents(&b, "a\0b\0", 4);
	buf_cleanup(&b);
}

/* Thousands of small printfs, and single appends far beyond the first
 * allocation, all land intact. */
static void test_growth(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	static char want[5 * 3000 + 1];
	size_t n = 0;
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(buf_printf(&b, "%04d,", i), SM_OK);
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%04d,", i);
	}
	assert_contents(&b, want, n);

	static char big[100000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), SM_OK);
	assert_int_equal(b.len, n + 2 + sizeof(big) - 1);
	assert_int_equal(b.data[n], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_memory_equal(b.data + n + 1, big, sizeof(big) - 1);
	assert_int_equal(b.data[b.len], '\0');
	buf_cleanup(&b);
}

enum op { OP_APPEND, OP_PRINTF };

/* The cap: an append that would pass `max` bytes fails with
 * SM_ERR_TOO_LARGE and leaves the buffer as it was. Each row fills the
 * buffer with `first`, then tries `second`. */
static void test_cap(void **state)
{
	static const struct {
		const char *name;
		size_t max;
		const char *first;
		enum op op;
		const char *second;
		size_t second_len; /* OP_APPEND; 0: strlen */
		sm_err want;
		const char *want_contents;
	} cases[] = {
	    {"fill to the cap exactly", 8, "abcd", OP_APPEND, "efgh", 0, SM_OK, "abcdefgh"},
	    {"one byte past the cap", 8, "abcd", OP_APPEND, "efghi", 0, SM_ERR_TOO_LARGE, "abcd"},
	    {"printf to the cap", 8, "abcd", OP_PRINTF, "1234", 0, SM_OK, "abcd1234"},
	    {"printf past the cap", 8, "abcd", OP_PRINTF, "12345", 0, SM_ERR_TOO_LARGE, "abcd"},
	    {"first append past the cap", 3, "", OP_APPEND, "abcd", 0, SM_ERR_TOO_LARGE, ""},
	    {"empty append on a full buffer", 4, "abcd", OP_APPEND, "", 0, SM_OK, "abcd"},
	    {"huge length does not wrap", 8, "abcd", OP_APPEND, "x", SIZE_MAX, SM_ERR_TOO_LARGE,
	     "abcd"},
	    {"huge length minus len does not wrap", 8, "abcd", OP_APPEND, "x", SIZE_MAX - 3,
	     SM_ERR_TOO_LARGE, "abcd"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *name = cases[i].name;
		struct buf b;
		buf_init(&b, cases[i].max);
		if (buf_puts(&b, cases[i].first) != SM_OK)
			fail_msg("case \"%s\": first append failed", name);
		char *data_before = b.data;
		size_t cap_before = b.cap;
		sm_err e;
		if (cases[i].op == OP_APPEND) {
			size_t n =
			    cases[i].second_len ? cases[i].second_len : strlen(cases[i].second);
			e = buf_append(&b, cases[i].second, n);
		} else {
			e = buf_printf(&b, "%s", cases[i].second);
		}
		EXPECT(run, name, e == cases[i].want);
		EXPECT(run, name, b.len == strlen(cases[i].want_contents));
		if (b.data)
			EXPECT_STR(run, name, b.data, cases[i].want_contents);
		else
			EXPECT(run, name, cases[i].want_contents[0] == '\0');
		if (e != SM_OK) {
			EXPECT(run, name, b.data == data_before);
			EXPECT(run, name, b.cap == cap_before);
		}
		buf_cleanup(&b);
	}
	TABLE_DONE(run);
}

/* A failed append leaves room for a later one that fits. */
static void test_cap_then_fits(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 6);
	assert_int_equal(buf_puts(&b, "abc"), SM_OK);
	assert_int_equal(buf_puts(&b, "defg"), SM_ERR_TOO_LARGE);
	assert_int_equal(buf_puts(&b, "def"), SM_OK);
	assert_contents(&b, "abcdef", 6);
	buf_cleanup(&b);
}

/* reset empties the buffer and keeps its memory. */
static void test_reset(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 16);
	buf_reset(&b); /* on a buffer with no data yet */
	assert_null(b.data);
	assert_int_equal(buf_puts(&b, "0123456789"), SM_OK);
	char *data = b.data;
	buf_reset(&b);
	assert_contents(&b, "", 0);
	assert_ptr_equal(b.data, data);
	/* The cap counts from empty again. */
	assert_int_equal(buf_puts(&b, "0123456789abcdef"), SM_OK);
	assert_contents(&b, "0123456789abcdef", 16);
	buf_cleanup(&b);
}

/* steal hands over the bytes and leaves an empty, reusable buffer. */
static void test_steal(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 64);
	size_t len = 99;
	char *p = buf_steal(&b, &len);
	assert_null(p);
	assert_int_equal(len, 0);

	assert_int_equal(buf_puts(&b, "hello"), SM_OK);
	p = buf_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_string_equal(p, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 64);

	assert_int_equal(buf_puts(&b, "again"), SM_OK);
	assert_string_equal(p, "hello"); /* the stolen copy is not shared */
	char *q = buf_steal(&b, NULL);
	assert_string_equal(q, "again");
	free(p);
	free(q);
	buf_cleanup(&b);
}

/* cleanup frees and may run twice; the buffer is usable after it. */
static void test_cleanup_twice(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "x"), SM_OK);
	buf_cleanup(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_cleanup(&b);
	assert_int_equal(buf_puts(&b, "y"), SM_OK);
	assert_contents(&b, "y", 1);
	buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_empty),    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_binary),        cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_cap),           cmocka_unit_test(test_cap_then_fits),
	    cmocka_unit_test(test_reset),         cmocka_unit_test(test_steal),
	    cmocka_unit_test(test_cleanup_twice),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
