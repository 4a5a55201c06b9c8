/* Unit tests for server/request.c: quoting untrusted values, content types,
 * query arguments, and building responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"
#include "unit.h"

/* quote_value: at most `max` characters, "..." when cut, '?' for control
 * characters and invalid UTF-8, never a split UTF-8 sequence, never more
 * than outlen bytes, always NUL-terminated. */
static void test_quote_value(void **state)
{
	static const struct {
		const char *name;
		const char *s;
		size_t max;
		size_t outlen;
		const char *want;
	} cases[] = {
	    {"plain", "abc", 10, 64, "abc"},
	    {"empty", "", 10, 64, ""},
	    {"exactly max", "abc", 3, 64, "abc"},
	    {"cut at max", "abcdef", 3, 64, "abc..."},
	    {"max zero", "abc", 0, 64, "..."},
	    {"newline and tab", "a\nb\tc", 10, 64, "a?b?c"},
	    {"DEL", "a\x7f", 10, 64, "a?"},
	    {"C1 NEL",
	     "a\xc2\x85"
	     "b",
	     10, 64, "a?b"},
	    {"C1 CSI",
	     "\xc2\x9b"
	     "31m",
	     10, 64, "?31m"},
	    {"U+00A0 is not a control",
	     "a\xc2\xa0"
	     "b",
	     10, 64,
	     "a\xc2\xa0"
	     "b"},
	    {"escape sequence", "\x1b[31mred", 10, 64, "?[31mred"},
	    {"carriage return", "x\r\ny", 10, 64, "x??y"},
	    {"invalid byte",
	     "a\xff"
	     "b",
	     10, 64, "a?b"},
	    {"lone continuation", "\x80x", 10, 64, "?x"},
	    {"cut sequence at end", "ab\xc3", 10, 64, "ab?"},
	    {"cut sequence mid-text", "\xe2\x82z", 10, 64, "??z"},
	    {"overlong slash", "\xc0\xaf", 10, 64, "??"},
	    {"utf-16 surrogate", "\xed\xa0\x80", 10, 64, "???"},
	    {"above U+10FFFF", "\xf4\x90\x80\x80", 10, 64, "????"},
	    {"two-byte kept", "caf\xc3\xa9", 10, 64, "caf\xc3\xa9"},
	    {"three- and four-byte kept", "\xe2\x82\xac\xf0\x9f\x8c\xb3", 10, 64,
	     "\xe2\x82\xac\xf0\x9f\x8c\xb3"},
	    {"multi-byte counts as one char", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 2, 64,
	     "\xc3\xa9\xc3\xa9..."},
	    {"bad bytes count as chars", "\xff\xff\xff\xff", 2, 64, "??..."},
	    {"outlen 1", "abc", 10, 1, ""},
	    {"outlen 2", "abc", 10, 2, "a"},
	    {"outlen 4", "abcdef", 10, 4, "abc"},
	    {"outlen 4, short text", "ab", 10, 4, "ab"},
	    {"outlen 7 room for dots", "abcdef", 3, 7, "abc..."},
	    {"outlen 6 no room for dots", "abcdef", 3, 6, "abc"},
	    {"outlen 2, two-byte char", "\xc3\xa9", 10, 2, ""},
	    {"outlen 3, two-byte char", "\xc3\xa9", 10, 3, "\xc3\xa9"},
	    {"outlen 4, no split euro", "\xc3\xa9\xe2\x82\xac", 10, 4, "\xc3\xa9"},
	    {"outlen 8, whole chars only", "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 10, 8,
	     "\xe2\x82\xac\xe2\x82\xac"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char out[80];
		memset(out, 'Z', sizeof(out));
		quote_value(out, cases[i].outlen, cases[i].s, cases[i].max);
		bool terminated = memchr(out, '\0', cases[i].outlen) != NULL;
		EXPECT(run, cases[i].name, terminated);
		if (terminated)
			EXPECT_STR(run, cases[i].name, out, cases[i].want);
		/* Nothing is written past outlen. */
		bool untouched = true;
		for (size_t b = cases[i].outlen; b < sizeof(out); b++)
			untouched = untouched && out[b] == 'Z';
		EXPECT(run, cases[i].name, untouched);
	}
	TABLE_DONE(run);
}

/* request_content_type_is: the media type, case-insensitively, with or
 * without parameters; application/<x>+json wherever JSON is read. */
static void test_content_type(void **state)
{
	static const struct {
		const char *name;
		const char *content_type; /* NULL: no Content-Type header */
		const char *mime;
		bool want;
	} cases[] = {
	    {"exact", "application/json", "application/json", true},
	    {"with charset", "application/json; charset=utf-8", "application/json", true},
	    {"parameter without space", "application/json;charset=utf-8", "application/json", true},
	    {"space before parameter", "application/json ; charset=utf-8", "application/json",
	     true},
	    {"upper case", "Application/JSON", "application/json", true},
	    {"longer subtype", "application/jsonx", "application/json", false},
	    {"suffix subtype", "application/json+x", "application/json", false},
	    {"shorter", "application/js", "application/json", false},
	    {"other type", "text/csv", "application/json", false},
	    {"csv with charset", "text/csv; charset=utf-8", "text/csv", true},
	    {"empty header", "", "application/json", false},
	    {"absent", NULL, "application/json", false},
	    {"geojson (RFC 7946)", "application/geo+json", "application/json", true},
	    {"geojson with charset", "application/geo+json; charset=utf-8", "application/json",
	     true},
	    {"other +json", "Application/LD+JSON", "application/json", true},
	    {"+json is not csv", "application/geo+json", "text/csv", false},
	    {"+json outside application", "text/geo+json", "application/json", false},
	    {"bare suffix", "application/+json", "application/json", false},
	    {"slash in subtype", "application/a/b+json", "application/json", false},
	    {"+jsonx", "application/geo+jsonx", "application/json", false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct request r;
		request_init(&r, NULL, 1024);
		if (cases[i].content_type) {
			r.content_type = strdup(cases[i].content_type);
			assert_non_null(r.content_type);
		}
		EXPECT(run, cases[i].name,
		       request_content_type_is(&r, cases[i].mime) == cases[i].want);
		request_cleanup(&r);
	}
	TABLE_DONE(run);
}

static void add_query(struct request *r, const char *key, const char *value)
{
	assert_true(r->nquery < REQUEST_MAX_QUERY);
	r->query[r->nquery].key = strdup(key);
	r->query[r->nquery].value = strdup(value);
	assert_non_null(r->query[r->nquery].key);
	assert_non_null(r->query[r->nquery].value);
	r->nquery++;
}

/* request_query: exact, case-sensitive key lookup. */
static void test_query(void **state)
{
	static const struct {
		const char *key;
		const char *want; /* NULL: absent */
	} cases[] = {
	    {"limit", "10"}, {"flag", ""},  {"after", "2024-01-01T00:00:00Z"},
	    {"LIMIT", NULL}, {"lim", NULL}, {"limits", NULL},
	    {"", NULL},
	};
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	add_query(&r, "limit", "10");
	add_query(&r, "flag", "");
	add_query(&r, "after", "2024-01-01T00:00:00Z");
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *got = request_query(&r, cases[i].key);
		if (cases[i].want)
			EXPECT_STR(run, cases[i].key, got, cases[i].want);
		else
			EXPECT(run, cases[i].key, got == NULL);
	}
	request_cleanup(&r);
	TABLE_DONE(run);
}

/* Parses r's response body as JSON (a new reference). */
static json_t *body_json(const struct request *r)
{
	assert_non_null(r->resp_body);
	assert_int_equal(strlen(r->resp_body), r->resp_len);
	json_error_t jerr;
	json_t *j = json_loadb(r->resp_body, r->resp_len, 0, &jerr);
	if (!j)
		fail_msg("response body is not JSON (%s): %s", jerr.text, r->resp_body);
	return j;
}

static const char *member_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* respond_problem: for every kind, the status, the media type and an RFC
 * 9457 body with the request's path and id. */
static void test_respond_problem(void **state)
{
	static const struct {
		enum problem_kind kind;
		int status;
		const char *type;
	} cases[] = {
	    {PROBLEM_MALFORMED_BODY, 400, "urn:samenmeten:problem:malformed-body"},
	    {PROBLEM_INVALID_FIELD, 422, "urn:samenmeten:problem:invalid-field"},
	    {PROBLEM_INVALID_PARAMETER, 400, "urn:samenmeten:problem:invalid-parameter"},
	    {PROBLEM_UNSUPPORTED_MEDIA_TYPE, 415, "urn:samenmeten:problem:unsupported-media-type"},
	    {PROBLEM_BODY_TOO_LARGE, 413, "urn:samenmeten:problem:body-too-large"},
	    {PROBLEM_TOO_MANY_ROWS, 413, "urn:samenmeten:problem:too-many-rows"},
	    {PROBLEM_REJECTED_ROWS, 422, "urn:samenmeten:problem:rejected-rows"},
	    {PROBLEM_UNAUTHORIZED, 401, "urn:samenmeten:problem:unauthorized"},
	    {PROBLEM_FORBIDDEN, 403, "urn:samenmeten:problem:forbidden"},
	    {PROBLEM_NOT_FOUND, 404, "urn:samenmeten:problem:not-found"},
	    {PROBLEM_METHOD_NOT_ALLOWED, 405, "urn:samenmeten:problem:method-not-allowed"},
	    {PROBLEM_CONFLICT, 409, "urn:samenmeten:problem:conflict"},
	    {PROBLEM_DATABASE_UNAVAILABLE, 503, "urn:samenmeten:problem:database-unavailable"},
	    {PROBLEM_RATE_LIMITED, 429, "urn:samenmeten:problem:rate-limited"},
	    {PROBLEM_QUERY_TIMEOUT, 503, "urn:samenmeten:problem:query-timeout"},
	    {PROBLEM_BUSY, 503, "urn:samenmeten:problem:busy"},
	    {PROBLEM_INTERNAL, 500, "urn:samenmeten:problem:internal"},
	};
	(void)state;
	assert_int_equal(NELEMS(cases), PROBLEM_KIND_COUNT);
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *name = cases[i].type;
		struct request r;
		request_init(&r, NULL, 1024);
		r.path = strdup("/x");
		assert_non_null(r.path);
		snprintf(r.request_id, sizeof(r.request_id), "req-%zu", i);
		respond_problem(&r, cases[i].kind, i % 2 ? "name" : NULL, "detail \"%s\" %d", "q\n",
		                5);

		EXPECT(run, name, r.status == cases[i].status);
		EXPECT_STR(run, name, r.resp_type, "application/problem+json");
		json_t *j = body_json(&r);
		EXPECT_STR(run, name, member_str(j, "type"), cases[i].type);
		EXPECT_STR(run, name, member_str(j, "title"), problem_title(cases[i].kind));
		EXPECT(run, name, strlen(problem_title(cases[i].kind)) > 0);
		EXPECT(run, name,
		       json_integer_value(json_object_get(j, "status")) == cases[i].status);
		EXPECT_STR(run, name, member_str(j, "detail"), "detail \"q\n\" 5");
		EXPECT_STR(run, name, member_str(j, "instance"), "/x");
		EXPECT_STR(run, name, member_str(j, "request_id"), r.request_id);
		if (i % 2)
			EXPECT_STR(run, name, member_str(j, "field"), "name");
		else
			EXPECT(run, name, json_object_get(j, "field") == NULL);
		json_decref(j);
		request_cleanup(&r);
	}
	TABLE_DONE(run);
}

/* Without a path the instance is "/"; a second response replaces the
 * first (valgrind shows a leak if the old body is kept). */
static void test_respond_problem_replaces(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	respond_json(&r, 200, json_pack("{s:i}", "n", 1));
	respond_problem(&r, PROBLEM_NOT_FOUND, NULL, "no project \"%s\"", "abc");
	assert_int_equal(r.status, 404);
	json_t *j = body_json(&r);
	assert_string_equal(member_str(j, "instance"), "/");
	assert_string_equal(member_str(j, "detail"), "no project \"abc\"");
	assert_null(json_object_get(j, "n"));
	json_decref(j);
	request_cleanup(&r);
}

/* respond_json: the status and a compact JSON body, ASCII only. */
static void test_respond_json(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	respond_json(&r, 201, json_pack("{s:s, s:[i,i]}", "naam", "caf\xc3\xa9", "ids", 1, 2));
	assert_int_equal(r.status, 201);
	assert_string_equal(r.resp_type, "application/json");
	for (size_t i = 0; i < r.resp_len; i++)
		if ((unsigned char)r.resp_body[i] >= 0x80)
			fail_msg("non-ASCII byte at %zu of %s", i, r.resp_body);
	json_t *j = body_json(&r);
	assert_string_equal(member_str(j, "naam"), "caf\xc3\xa9");
	assert_int_equal(json_array_size(json_object_get(j, "ids")), 2);
	json_decref(j);
	request_cleanup(&r);
}

/* respond_json(NULL), as after a failed json_pack, is a 500 problem. */
static void test_respond_json_null(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	respond_json(&r, 200, NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.resp_type, "application/problem+json");
	json_t *j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 500);
	json_decref(j);
	request_cleanup(&r);
}

/* respond_bytes copies exactly len bytes, NUL-terminated for text. */
static void test_respond_bytes(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	char data[] = "a,b\n1,2\nEXTRA";
	respond_bytes(&r, 200, "text/csv", data, 8);
	data[0] = 'X';
	assert_int_equal(r.status, 200);
	assert_string_equal(r.resp_type, "text/csv");
	assert_int_equal(r.resp_len, 8);
	assert_string_equal(r.resp_body, "a,b\n1,2\n");
	request_cleanup(&r);
}

/* respond_header: values are copied; a name already present, in any case,
 * is replaced rather than repeated. */
static void test_respond_header(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 1024);
	char value[] = "\"v1\"";
	respond_header(&r, "ETag", value);
	value[1] = 'X';
	respond_header(&r, "Cache-Control", "no-store");
	assert_int_equal(r.nheaders, 2);
	assert_string_equal(r.headers[0].value, "\"v1\"");

	respond_header(&r, "etag", "\"v2\"");
	respond_header(&r, "CACHE-CONTROL", "max-age=60");
	assert_int_equal(r.nheaders, 2);
	assert_string_equal(r.headers[0].name, "ETag");
	assert_string_equal(r.headers[0].value, "\"v2\"");
	assert_string_equal(r.headers[1].name, "Cache-Control");
	assert_string_equal(r.headers[1].value, "max-age=60");

	respond_header(&r, "Location", "/v1/projects/ab");
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(r.headers[2].value, "/v1/projects/ab");
	request_cleanup(&r);
}

/* request_init stores the body limit; request_cleanup frees everything and
 * may run twice. */
static void test_init_cleanup(void **state)
{
	(void)state;
	struct request r;
	request_init(&r, NULL, 100);
	assert_null(r.app);
	assert_int_equal(r.body.max, 100);
	assert_int_equal(buf_append(&r.body, "x", 101), SM_ERR_TOO_LARGE);
	assert_int_equal(buf_puts(&r.body, "{}"), SM_OK);
	r.path = strdup("/v1/projects");
	r.content_type = strdup("application/json");
	r.authorization = strdup("Bearer x");
	r.if_none_match = strdup("\"e\"");
	r.params[0] = strdup("ab");
	r.nparams = 1;
	add_query(&r, "limit", "5");
	respond_header(&r, "ETag", "\"e\"");
	respond_json(&r, 200, json_pack("{}"));

	request_cleanup(&r);
	assert_null(r.path);
	assert_null(r.content_type);
	assert_null(r.resp_body);
	assert_null(r.body.data);
	assert_int_equal(r.nparams, 0);
	assert_int_equal(r.nquery, 0);
	assert_int_equal(r.nheaders, 0);
	request_cleanup(&r);
	assert_null(r.path);
}

/* request_set_id: a client's id is kept when it is 1 to REQUEST_ID_MAX safe
 * characters, and never writes past request_id (issue #12: a 64-character id
 * overwrote the params that follow it); anything else gets 24 random hex
 * digits. */
static void test_set_id(void **state)
{
	(void)state;
	char longest[REQUEST_ID_MAX + 1], too_long[REQUEST_ID_MAX + 2];
	memset(longest, 'A', REQUEST_ID_MAX);
	longest[REQUEST_ID_MAX] = '\0';
	memset(too_long, 'B', REQUEST_ID_MAX + 1);
	too_long[REQUEST_ID_MAX + 1] = '\0';
	static const struct {
		const char *name;
		int which; /* 0: given, 1: longest, 2: too long */
		const char *given;
		bool kept;
	} cases[] = {
	    {"short", 0, "abc-1_2.3", true}, {"one character", 0, "x", true},
	    {"the longest", 1, NULL, true},  {"one too long", 2, NULL, false},
	    {"empty", 0, "", false},         {"absent", 0, NULL, false},
	    {"space", 0, "a b", false},      {"quote", 0, "a\"b", false},
	    {"newline", 0, "a\nb", false},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *given = cases[i].which == 1   ? longest
		                    : cases[i].which == 2 ? too_long
		                                          : cases[i].given;
		struct request r;
		request_init(&r, NULL, 100);
		char *sentinel = strdup("param");
		r.params[0] = sentinel;
		r.nparams = 1;
		request_set_id(&r, given);
		EXPECT(run, cases[i].name, r.params[0] == sentinel);
		EXPECT(run, cases[i].name, r.nparams == 1);
		if (cases[i].kept) {
			EXPECT_STR(run, cases[i].name, r.request_id, given);
		} else {
			EXPECT(run, cases[i].name, strlen(r.request_id) == 24);
			EXPECT(run, cases[i].name, strspn(r.request_id, "0123456789abcdef") == 24);
		}
		if (r.params[0] == sentinel)
			request_cleanup(&r);
		else
			free(sentinel); /* the overwritten pointer is not ours to free */
	}
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote_value),
	    cmocka_unit_test(test_content_type),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_respond_problem),
	    cmocka_unit_test(test_respond_problem_replaces),
	    cmocka_unit_test(test_respond_json),
	    cmocka_unit_test(test_respond_json_null),
	    cmocka_unit_test(test_respond_bytes),
	    cmocka_unit_test(test_respond_header),
	    cmocka_unit_test(test_init_cleanup),
	    cmocka_unit_test(test_set_id),
	};
	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
