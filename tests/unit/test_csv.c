/* Unit tests for server/csv.c: the CSV reader for uploaded sensor exports.
 * Every input is copied into a buffer of exactly its length, so a read past
 * the end shows under valgrind and ASan. */
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
#include "csv.h"
#include "unit.h"

#define FIXTURE_FILE "snuffelfiets/platform-export-2024-11-11.csv"

/* Limits for rows that do not test limits. */
#define LIM_DEFAULT                                                                                \
	{                                                                                          \
		64, 16, 100                                                                        \
	}

struct read_result {
	sm_err last;     /* the call that ended the reading */
	char why[256];   /* its reason */
	char recs[1024]; /* the records read: "[f1][f2];" each */
	char lines[256]; /* their start lines: "1,2," */
	size_t nrecs;
	bool overflow; /* recs or lines did not fit */
};

static void append(char *dst, size_t dstlen, bool *overflow, const char *p, size_t n)
{
	size_t used = strlen(dst);
	if (n >= dstlen - used) {
		*overflow = true;
		return;
	}
	memcpy(dst + used, p, n);
	dst[used + n] = '\0';
}

/* Reads all of `text` (len bytes, copied into an exact-size buffer) with
 * `lim`, rendering what was read into `res`. */
static void read_all(const char *text, size_t len, const struct csv_limits *lim,
                     struct read_result *res)
{
	memset(res, 0, sizeof(*res));
	char *copy = malloc(len ? len : 1);
	struct csv_field *fields = calloc(lim->max_fields ? lim->max_fields : 1, sizeof(*fields));
	assert_non_null(copy);
	assert_non_null(fields);
	memcpy(copy, text, len);

	struct csv_reader r;
	csv_init(&r, len ? copy : NULL, len, lim);
	for (;;) {
		size_t n = 99;
		res->last = csv_next(&r, fields, &n, res->why, sizeof(res->why));
		if (res->last != SM_OK) {
			if (n != 0)
				res->overflow = true; /* *nfields must be 0 on error */
			break;
		}
		for (size_t k = 0; k < n; k++) {
			append(res->recs, sizeof(res->recs), &res->overflow, "[", 1);
			append(res->recs, sizeof(res->recs), &res->overflow, fields[k].p,
			       fields[k].len);
			append(res->recs, sizeof(res->recs), &res->overflow, "]", 1);
		}
		append(res->recs, sizeof(res->recs), &res->overflow, ";", 1);
		char num[32];
		int m = snprintf(num, sizeof(num), "%zu,", csv_line(&r));
		append(res->lines, sizeof(res->lines), &res->overflow, num, (size_t)m);
		if (csv_record_index(&r) != res->nrecs)
			res->overflow = true;
		res->nrecs++;
	}
	csv_cleanup(&r);
	csv_cleanup(&r);
	free(fields);
	free(copy);
}

/* Input the reader must accept: every record, and the line each starts on. */
static void test_accepts(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text) */
		const char *want;
		const char *want_lines;
	} cases[] = {
	    {"simple", "a,b,c\n1,2,3\n", 0, "[a][b][c];[1][2][3];", "1,2,"},
	    {"crlf", "a,b\r\n1,2\r\n", 0, "[a][b];[1][2];", "1,2,"},
	    {"mixed line ends", "a\r\nb\nc\r\n", 0, "[a];[b];[c];", "1,2,3,"},
	    {"bom skipped",
	     "\xEF\xBB\xBF"
	     "a,b\n1,2\n",
	     0, "[a][b];[1][2];", "1,2,"},
	    {"bom later is data", "a\n\xEF\xBB\xBF\n", 0, "[a];[\xEF\xBB\xBF];", "1,2,"},
	    {"partial bom is data", "\xEF\xBB,x", 0, "[\xEF\xBB][x];", "1,"},
	    {"quoted with comma", "\"a,b\",c\n", 0, "[a,b][c];", "1,"},
	    {"quoted with newline", "\"a\nb\",c\n2,3\n", 0, "[a\nb][c];[2][3];", "1,3,"},
	    {"quoted with crlf", "\"a\r\nb\",c\r\nd\r\n", 0, "[a\r\nb][c];[d];", "1,3,"},
	    {"quoted with lone cr", "\"a\rb\"", 0, "[a\rb];", "1,"},
	    {"doubled quotes", "\"say \"\"hi\"\"\",x\n", 0, "[say \"hi\"][x];", "1,"},
	    {"only a doubled quote", "\"\"\"\"", 0, "[\"];", "1,"},
	    {"doubled quote at start and end", "\"\"\"a\"\"\"", 0, "[\"a\"];", "1,"},
	    {"several unescaped fields", "\"a\"\"b\",plain,\"c\"\"d\"\"e\",\"q\"\n", 0,
	     "[a\"b][plain][c\"d\"e][q];", "1,"},
	    {"unescaped fields in two records", "\"1\"\"\",x\n\"2\"\"\"\"\"\n", 0,
	     "[1\"][x];[2\"\"];", "1,2,"},
	    {"empty quoted field", "\"\",a", 0, "[][a];", "1,"},
	    {"quoted field only", "\"\"", 0, "[];", "1,"},
	    {"empty fields", ",,", 0, "[][][];", "1,"},
	    {"trailing empty field", "a,\n", 0, "[a][];", "1,"},
	    {"trailing empty field at end", "a,", 0, "[a][];", "1,"},
	    {"leading empty field", ",a\n", 0, "[][a];", "1,"},
	    {"quoted last field at end", "a,\"b\"", 0, "[a][b];", "1,"},
	    {"quoted field then crlf", "\"a\",\"b\"\r\nc\r\n", 0, "[a][b];[c];", "1,2,"},
	    {"final line without newline", "a,b\n1,2", 0, "[a][b];[1][2];", "1,2,"},
	    {"empty input", "", 0, "", ""},
	    {"only a bom", "\xEF\xBB\xBF", 0, "", ""},
	    {"only blank lines", "\n\r\n\n", 0, "", ""},
	    {"bom then blank line", "\xEF\xBB\xBF\r\n", 0, "", ""},
	    {"blank lines skipped", "a\n\n\nb\n\r\n\nc", 0, "[a];[b];[c];", "1,4,7,"},
	    {"leading blank lines", "\n\na\n", 0, "[a];", "3,"},
	    {"empty final line", "a\n\n", 0, "[a];", "1,"},
	    {"lone cr at end", "a,b\r", 0, "[a][b];", "1,"},
	    {"lone cr at end after lf", "a\n\r", 0, "[a];", "1,"},
	    {"quoted field then lone cr at end", "\"a\"\r", 0, "[a];", "1,"},
	    {"spaces are data", " a , b \n", 0, "[ a ][ b ];", "1,"},
	    {"utf-8 is data", "Utrecht \xc3\xa9,\xe2\x82\xac\n", 0,
	     "[Utrecht \xc3\xa9][\xe2\x82\xac];", "1,"},
	    {"line numbers across quoted newlines", "h\n\"a\nb\nc\",d\ne\n", 0,
	     "[h];[a\nb\nc][d];[e];", "1,2,5,"},
	    {"line numbers across quoted crlf", "\"a\r\n\r\nb\"\r\n\r\nc\r\n", 0,
	     "[a\r\n\r\nb];[c];", "1,5,"},
	    {"len cuts the input", "a,b\nGARBAGE\"", 4, "[a][b];", "1,"},
	};
	(void)state;
	struct table_run run = {0};
	const struct csv_limits lim = LIM_DEFAULT;
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct read_result res;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		read_all(cases[i].text, len, &lim, &res);
		if (res.last != SM_ERR_NOT_FOUND)
			print_error("case \"%s\": %s: %s\n", cases[i].name, sm_err_str(res.last),
			            res.why);
		EXPECT(run, cases[i].name, res.last == SM_ERR_NOT_FOUND);
		EXPECT(run, cases[i].name, !res.overflow);
		EXPECT_STR(run, cases[i].name, res.recs, cases[i].want);
		EXPECT_STR(run, cases[i].name, res.lines, cases[i].want_lines);
	}
	TABLE_DONE(run);
}

/* Input the reader must refuse, or that passes a limit: the records read
 * before the error, the error, and what its reason says. */
static void test_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen(text) */
		struct csv_limits lim;
		const char *want; /* records read before the error */
		sm_err want_err;
		const char *want_why;
	} cases[] = {
	    {"unterminated quote", "a,\"bc\n", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "unterminated quoted field starting on line 1"},
	    {"unterminated quote names its start line", "a\nb,\"c\n\nd", 0, LIM_DEFAULT, "[a];",
	     SM_ERR_INVALID, "unterminated quoted field starting on line 2"},
	    {"only a quote", "\"", 0, LIM_DEFAULT, "", SM_ERR_INVALID, "unterminated"},
	    {"doubled quote then end", "\"a\"\"", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "unterminated"},
	    {"quote in unquoted field", "ab\"c", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "quote inside an unquoted field on line 1"},
	    {"quote at end of unquoted field", "x\nab\"", 0, LIM_DEFAULT, "[x];", SM_ERR_INVALID,
	     "quote inside an unquoted field on line 2"},
	    {"quote after space", "a, \"b\"", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "quote inside an unquoted field"},
	    {"text after closing quote", "\"ab\"c", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "text after closing quote on line 1"},
	    {"space after closing quote", "\"ab\" ,c", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "text after closing quote"},
	    {"text after quote on a later line", "\"a\nb\"x", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "text after closing quote on line 2"},
	    {"nul in unquoted field", "a\0b", 3, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "nul byte on line 1"},
	    {"nul as a field", "h\na,\0", 5, LIM_DEFAULT, "[h];", SM_ERR_INVALID,
	     "nul byte on line 2"},
	    {"nul in quoted field", "\"a\0\"", 4, LIM_DEFAULT, "", SM_ERR_INVALID, "nul byte"},
	    {"nul only", "\0", 1, LIM_DEFAULT, "", SM_ERR_INVALID, "nul byte on line 1"},
	    {"nul after bom", "\xEF\xBB\xBF\0", 4, LIM_DEFAULT, "", SM_ERR_INVALID, "nul byte"},
	    {"lone cr inside a line", "a\rb", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "carriage return without line feed on line 1"},
	    {"lone cr as line end", "a\rb\r", 0, LIM_DEFAULT, "", SM_ERR_INVALID,
	     "carriage return"},
	    {"cr cr lf", "a\r\r\n", 0, LIM_DEFAULT, "", SM_ERR_INVALID, "carriage return"},
	    {"field over max_field_bytes",
	     "abcd",
	     0,
	     {3, 16, 100},
	     "",
	     SM_ERR_TOO_LARGE,
	     "field 1 on line 1 is longer than 3 bytes"},
	    {"later field over max_field_bytes",
	     "a,b\nx,abcd\n",
	     0,
	     {3, 16, 100},
	     "[a][b];",
	     SM_ERR_TOO_LARGE,
	     "field 2 on line 2 is longer than 3 bytes"},
	    {"quoted field over max_field_bytes",
	     "\"abcd\"",
	     0,
	     {3, 16, 100},
	     "",
	     SM_ERR_TOO_LARGE,
	     "longer than 3 bytes"},
	    {"unescaped field over max_field_bytes",
	     "\"a\"\"bc\"",
	     0,
	     {3, 16, 100},
	     "",
	     SM_ERR_TOO_LARGE,
	     "longer than 3 bytes"},
	    {"max_field_bytes 0", "a", 0, {0, 16, 100}, "", SM_ERR_TOO_LARGE, "field 1"},
	    {"too many fields",
	     "a,b,c,d",
	     0,
	     {64, 3, 100},
	     "",
	     SM_ERR_TOO_LARGE,
	     "more than 3 fields on line 1"},
	    {"trailing comma is one field too many",
	     "a,b,c,",
	     0,
	     {64, 3, 100},
	     "",
	     SM_ERR_TOO_LARGE,
	     "more than 3 fields"},
	    {"too many records",
	     "h\n1\n2\n",
	     0,
	     {64, 16, 2},
	     "[h];[1];",
	     SM_ERR_TOO_LARGE,
	     "more than 2 records (line 3)"},
	    {"too many records after blank lines",
	     "h\n\n1\n",
	     0,
	     {64, 16, 1},
	     "[h];",
	     SM_ERR_TOO_LARGE,
	     "more than 1 records (line 3)"},
	    {"max_records 0", "h", 0, {64, 16, 0}, "", SM_ERR_TOO_LARGE, "more than 0 records"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct read_result res;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		read_all(cases[i].text, len, &cases[i].lim, &res);
		if (res.last != cases[i].want_err)
			print_error("case \"%s\": got %s, want %s\n", cases[i].name,
			            sm_err_str(res.last), sm_err_str(cases[i].want_err));
		EXPECT(run, cases[i].name, res.last == cases[i].want_err);
		EXPECT(run, cases[i].name, !res.overflow);
		EXPECT_STR(run, cases[i].name, res.recs, cases[i].want);
		EXPECT_HAS(run, cases[i].name, res.why, cases[i].want_why);
	}
	TABLE_DONE(run);
}

/* Limits are inclusive: exactly at each limit is fine. */
static void test_limits_exact(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		struct csv_limits lim;
		const char *want;
	} cases[] = {
	    {"field of exactly max bytes", "abc,de\n", {3, 16, 100}, "[abc][de];"},
	    {"quoted field of exactly max bytes", "\"a,c\"", {3, 16, 100}, "[a,c];"},
	    {"unescaped field of exactly max bytes", "\"a\"\"b\"", {3, 16, 100}, "[a\"b];"},
	    {"max_field_bytes 0 and empty fields", ",\"\",", {0, 16, 100}, "[][][];"},
	    {"exactly max fields", "a,b,c\n1,2,3", {64, 3, 100}, "[a][b][c];[1][2][3];"},
	    {"exactly max records", "h\n1\n\n\n", {64, 16, 2}, "[h];[1];"},
	    {"one field per record", "a\nb\n", {64, 1, 100}, "[a];[b];"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct read_result res;
		read_all(cases[i].text, strlen(cases[i].text), &cases[i].lim, &res);
		if (res.last != SM_ERR_NOT_FOUND)
			print_error("case \"%s\": %s: %s\n", cases[i].name, sm_err_str(res.last),
			            res.why);
		EXPECT(run, cases[i].name, res.last == SM_ERR_NOT_FOUND);
		EXPECT(run, cases[i].name, !res.overflow);
		EXPECT_STR(run, cases[i].name, res.recs, cases[i].want);
	}
	TABLE_DONE(run);
}

/* After an error the reader stays failed; after the end it stays at the
 * end. */
static void test_sticky(void **state)
{
	(void)state;
	const struct csv_limits lim = LIM_DEFAULT;
	struct csv_field f[16];
	size_t n = 0;
	char why[128] = "";
	struct csv_reader r;

	const char bad[] = "a\n\"b\"x\nc\n";
	csv_init(&r, bad, sizeof(bad) - 1, &lim);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_OK);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_INVALID);
	assert_int_equal(csv_line(&r), 2);
	assert_int_equal(n, 0);
	why[0] = '\0';
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_INVALID);
	assert_int_equal(n, 0);
	assert_true(why[0] != '\0');
	csv_cleanup(&r);

	const char good[] = "a\n";
	csv_init(&r, good, sizeof(good) - 1, &lim);
	assert_int_equal(csv_line(&r), 0);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_OK);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_NOT_FOUND);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_NOT_FOUND);
	assert_int_equal(csv_record_index(&r), 0);
	csv_cleanup(&r);
	csv_cleanup(&r);
}

/* A reason never overruns a small buffer, and a zero-length one is never
 * written. */
static void test_small_why(void **state)
{
	(void)state;
	const struct csv_limits lim = LIM_DEFAULT;
	struct csv_field f[16];
	size_t n;
	struct csv_reader r;
	char why[6];
	memset(why, 'Z', sizeof(why));
	csv_init(&r, "\"ab", 3, &lim);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_INVALID);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(csv_next(&r, f, &n, NULL, 0), SM_ERR_INVALID);
	csv_cleanup(&r);
}

/* Fields unescaped into scratch memory stay right when the scratch buffer
 * grows (and moves) later in the same record. */
static void test_scratch_moves(void **state)
{
	(void)state;
	enum { NF = 40, FLEN = 300 };
	/* NF quoted fields; in each, every 50th byte and the last are doubled
	 * quotes. A plain field after every 7th. */
	struct buf in;
	buf_init(&in, 0);
	for (int k = 0; k < NF; k++) {
		assert_int_equal(buf_puts(&in, k ? ",\"" : "\""), SM_OK);
		for (int j = 0; j < FLEN; j++) {
			if (j % 50 == 0)
				assert_int_equal(buf_puts(&in, "\"\""), SM_OK);
			else
				assert_int_equal(buf_printf(&in, "%c", 'a' + k % 26), SM_OK);
		}
		assert_int_equal(buf_puts(&in, "\"\"\""), SM_OK);
		if (k % 7 == 0)
			assert_int_equal(buf_puts(&in, ",plain"), SM_OK);
	}
	assert_int_equal(buf_puts(&in, "\n"), SM_OK);

	const struct csv_limits lim = {4096, 2 * NF, 10};
	struct csv_field *f = calloc(2 * NF, sizeof(*f));
	assert_non_null(f);
	size_t n = 0;
	char why[128] = "";
	struct csv_reader r;
	csv_init(&r, in.data, in.len, &lim);
	sm_err e = csv_next(&r, f, &n, why, sizeof(why));
	if (e != SM_OK)
		print_error("%s\n", why);
	assert_int_equal(e, SM_OK);
	size_t k = 0;
	for (int field = 0; field < NF; field++) {
		assert_true(k < n);
		assert_int_equal(f[k].len, FLEN + 1);
		for (int j = 0; j < FLEN; j++)
			assert_int_equal(f[k].p[j], j % 50 == 0 ? '"' : 'a' + field % 26);
		assert_int_equal(f[k].p[FLEN], '"');
		k++;
		if (field % 7 == 0) {
			assert_true(csv_field_is(f[k], "plain"));
			k++;
		}
	}
	assert_int_equal(k, n);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_NOT_FOUND);
	csv_cleanup(&r);
	free(f);
	buf_cleanup(&in);
}

static void test_field_helpers(void **state)
{
	(void)state;
	struct table_run run = {0};
	struct csv_field abc = {"abcdef", 3};
	struct csv_field empty = {"x", 0};
	EXPECT(run, "is exact", csv_field_is(abc, "abc"));
	EXPECT(run, "is shorter", !csv_field_is(abc, "ab"));
	EXPECT(run, "is longer", !csv_field_is(abc, "abcd"));
	EXPECT(run, "is case", !csv_field_is(abc, "ABC"));
	EXPECT(run, "is empty", csv_field_is(empty, ""));
	EXPECT(run, "is empty vs text", !csv_field_is(empty, "x"));

	char out[4];
	memset(out, 'Z', sizeof(out));
	EXPECT(run, "copy fits", csv_field_copy(abc, out, sizeof(out)));
	EXPECT_STR(run, "copy fits", out, "abc");
	EXPECT(run, "copy too small", !csv_field_copy(abc, out, 3));
	EXPECT_STR(run, "copy too small", out, "");
	EXPECT(run, "copy empty", csv_field_copy(empty, out, 1));
	EXPECT_STR(run, "copy empty", out, "");
	EXPECT(run, "copy into nothing", !csv_field_copy(empty, out, 0));
	TABLE_DONE(run);
}

static const char *const fixture_header[] = {
    "",
    "_id",
    "entity_id",
    "recording_timestamp",
    "receive_timestamp",
    "acc_max",
    "error_code",
    "horizontal_accuracy",
    "humidity",
    "latitude",
    "longitude",
    "no2",
    "pm10",
    "pm1_0",
    "pm2_5",
    "pressure",
    "temperature",
    "version_major",
    "version_minor",
    "vertical_accuracy",
    "voc",
    "voltage",
};

/* The first three lines of a real export: a header starting with an unnamed
 * column, and two records. */
static void test_fixture_head(void **state)
{
	(void)state;
	size_t len = 0;
	char *all = unit_fixture_read(FIXTURE_FILE, &len);
	if (!all)
		fail();
	size_t cut = 0;
	for (int nl = 0; cut < len && nl < 3; cut++)
		if (all[cut] == '\n')
			nl++;
	char *head = malloc(cut);
	assert_non_null(head);
	memcpy(head, all, cut);
	free(all);

	const struct csv_limits lim = {256, 32, 3};
	struct csv_field f[32];
	size_t n = 0;
	char why[128] = "";
	struct csv_reader r;
	csv_init(&r, head, cut, &lim);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_OK);
	assert_int_equal(n, NELEMS(fixture_header));
	for (size_t k = 0; k < n; k++)
		assert_true(csv_field_is(f[k], fixture_header[k]));
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_OK);
	assert_int_equal(n, 22);
	assert_true(csv_field_is(f[0], "0"));
	assert_true(csv_field_is(f[1], "41415374"));
	assert_true(csv_field_is(f[2], "352753098853250"));
	assert_true(csv_field_is(f[3], "2024-11-11T08:48:51"));
	assert_true(csv_field_is(f[4], "2024-11-11T08:53:42.931000"));
	assert_true(csv_field_is(f[9], "52.0981923"));
	assert_true(csv_field_is(f[10], "5.1257414"));
	assert_true(csv_field_is(f[21], "113"));
	assert_int_equal(csv_line(&r), 2);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_OK);
	assert_true(csv_field_is(f[0], "1"));
	assert_true(csv_field_is(f[3], "2024-11-11T08:50:08"));
	assert_true(csv_field_is(f[21], "112"));
	assert_int_equal(csv_record_index(&r), 2);
	assert_int_equal(csv_line(&r), 3);
	assert_int_equal(csv_next(&r, f, &n, why, sizeof(why)), SM_ERR_NOT_FOUND);
	csv_cleanup(&r);
	free(head);
}

/* The whole export: 5,705 records (header included) of 22 fields, each
 * record's first field counting from 0 after the header. */
static void test_fixture_whole(void **state)
{
	(void)state;
	size_t len = 0;
	char *all = unit_fixture_read(FIXTURE_FILE, &len);
	if (!all)
		fail();
	const struct csv_limits lim = {256, 32, 1000000};
	struct csv_field f[32];
	size_t n = 0, records = 0;
	char why[128] = "";
	struct csv_reader r;
	csv_init(&r, all, len, &lim);
	sm_err e;
	while ((e = csv_next(&r, f, &n, why, sizeof(why))) == SM_OK) {
		assert_int_equal(n, 22);
		assert_int_equal(csv_record_index(&r), records);
		assert_int_equal(csv_line(&r), records + 1);
		if (records > 0) {
			char want[32];
			snprintf(want, sizeof(want), "%zu", records - 1);
			assert_true(csv_field_is(f[0], want));
		}
		records++;
	}
	if (e != SM_ERR_NOT_FOUND)
		print_error("%s\n", why);
	assert_int_equal(e, SM_ERR_NOT_FOUND);
	assert_int_equal(records, 5705);
	csv_cleanup(&r);

	/* One record fewer allowed: the limit is hit on the last line. */
	const struct csv_limits tight = {256, 32, 5704};
	csv_init(&r, all, len, &tight);
	records = 0;
	while ((e = csv_next(&r, f, &n, why, sizeof(why))) == SM_OK)
		records++;
	assert_int_equal(e, SM_ERR_TOO_LARGE);
	assert_int_equal(records, 5704);
	assert_non_null(strstr(why, "line 5705"));
	csv_cleanup(&r);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),       cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_limits_exact),  cmocka_unit_test(test_sticky),
	    cmocka_unit_test(test_small_why),     cmocka_unit_test(test_scratch_moves),
	    cmocka_unit_test(test_field_helpers), cmocka_unit_test(test_fixture_head),
	    cmocka_unit_test(test_fixture_whole),
	};
	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
