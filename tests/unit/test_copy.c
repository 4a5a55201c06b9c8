/* COPY text writers (server/ingest.h): number formatting and escaping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest.h"
#include "unit.h"

/* Each row: a double, and its text. Nine decimals at most, no trailing zeros. */
static void test_format_double(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		double v;
		const char *want;
	} rows[] = {
	    {"integer", 101100, "101100"},
	    {"one decimal", 18.5, "18.5"},
	    {"binary fraction noise", 26 * 0.01, "0.26"},
	    {"negative", -3.25, "-3.25"},
	    {"coordinate", 52.0981923, "52.0981923"},
	    {"zero", 0, "0"},
	    {"negative zero", -0.0, "0"},
	    {"tiny rounds to nine decimals", 5e-10, "0.000000001"},
	    {"smaller rounds to zero", 4e-10, "0"},
	    {"tiny negative rounds to zero", -4e-10, "0"},
	    {"just below the fast path", 999999999.5, "999999999.5"},
	    {"large falls back to %g", 1e12, "1e+12"},
	    {"large negative", -2.5e15, "-2.5e+15"},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[40];
		size_t n = copy_format_double(rows[i].v, out);
		EXPECT_STR(run, rows[i].name, out, rows[i].want);
		EXPECT(run, rows[i].name, n == strlen(out));
	}
	TABLE_DONE(run);
}

/* Each row: values written in one COPY row, and the line they make. */
static void test_copy_row(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(copy_text(&b, "plain"), SM_OK);
	assert_int_equal(copy_text(&b, "tab\there, new\nline, back\\slash, cr\r"), SM_OK);
	assert_int_equal(copy_null(&b), SM_OK);
	assert_int_equal(copy_double(&b, NAN), SM_OK);
	assert_int_equal(copy_double(&b, 12.5), SM_OK);
	assert_int_equal(copy_int(&b, -42), SM_OK);
	assert_int_equal(copy_time(&b, 0), SM_OK);
	assert_int_equal(copy_time(&b, INT64_C(1731314931) * USEC_PER_SEC + 5), SM_OK);
	assert_int_equal(copy_row_end(&b), SM_OK);
	assert_int_equal(copy_text(&b, ""), SM_OK);
	assert_int_equal(copy_row_end(&b), SM_OK);
	assert_string_equal(b.data,
	                    "plain\ttab\\there, new\\nline, back\\\\slash, cr\\r\t\\N\t\\N\t"
	                    "12.5\t-42\t\\N\t2024-11-11 08:48:51.000005+00\n\n");
	buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_double),
	    cmocka_unit_test(test_copy_row),
	};
	return cmocka_run_group_tests_name("copy", tests, NULL, NULL);
}
