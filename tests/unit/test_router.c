/* Unit tests for server/router.c: matching method + path against a table of
 * literal and {param} patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"
#include "unit.h"

static void dummy_handler(struct request *r)
{
	(void)r;
}

/* A table shaped like the real one. The literal /v1/projects/export comes
 * before /v1/projects/{slug}, which also matches it. */
enum {
	R_ROOT,
	R_PROJECTS_GET,
	R_PROJECTS_POST,
	R_EXPORT,
	R_PROJECT_GET,
	R_PROJECT_DELETE,
	R_DEVICES_GET,
	R_DEVICE_GET,
	R_DEVICE_PUT,
	R_MEASUREMENTS_POST,
	R_MEASUREMENTS_GET,
	R_INGEST_JSON,
	R_INGEST_CSV,
	R_COUNT
};

static const struct route routes[R_COUNT] = {
    [R_ROOT] = {"GET", "/", dummy_handler, AUTH_PUBLIC, NULL},
    [R_PROJECTS_GET] = {"GET", "/v1/projects", dummy_handler, AUTH_PUBLIC, NULL},
    [R_PROJECTS_POST] = {"POST", "/v1/projects", dummy_handler, AUTH_ADMIN, NULL},
    [R_EXPORT] = {"GET", "/v1/projects/export", dummy_handler, AUTH_PUBLIC, NULL},
    [R_PROJECT_GET] = {"GET", "/v1/projects/{slug}", dummy_handler, AUTH_PUBLIC, NULL},
    [R_PROJECT_DELETE] = {"DELETE", "/v1/projects/{slug}", dummy_handler, AUTH_ADMIN, NULL},
    [R_DEVICES_GET] = {"GET", "/v1/projects/{slug}/devices", dummy_handler, AUTH_PUBLIC, NULL},
    [R_DEVICE_GET] = {"GET", "/v1/projects/{slug}/devices/{id}", dummy_handler, AUTH_PUBLIC, NULL},
    [R_DEVICE_PUT] = {"PUT", "/v1/projects/{slug}/devices/{id}", dummy_handler, AUTH_ADMIN, NULL},
    [R_MEASUREMENTS_POST] = {"POST", "/v1/projects/{slug}/devices/{id}/measurements", dummy_handler,
                             AUTH_DEVICE, NULL},
    [R_MEASUREMENTS_GET] = {"GET", "/v1/projects/{slug}/devices/{id}/measurements", dummy_handler,
                            AUTH_PUBLIC, NULL},
    /* Two routes with one method and path (say, one per body type). */
    [R_INGEST_JSON] = {"POST", "/v1/ingest", dummy_handler, AUTH_DEVICE, NULL},
    [R_INGEST_CSV] = {"POST", "/v1/ingest", dummy_handler, AUTH_DEVICE, NULL},
};

/* One row per request: the expected result, route, path parameters and, for
 * 405, the exact Allow list. */
static const struct {
	const char *name;
	const char *method;
	const char *path;
	enum router_result want;
	size_t want_index;
	size_t want_nparams;
	const char *want_params[REQUEST_MAX_PARAMS];
	const char *want_allow; /* ROUTER_METHOD_NOT_ALLOWED only */
} cases[] = {
    {"root", "GET", "/", ROUTER_MATCH, R_ROOT, 0, {NULL}, NULL},
    {"exact literal GET", "GET", "/v1/projects", ROUTER_MATCH, R_PROJECTS_GET, 0, {NULL}, NULL},
    {"exact literal POST", "POST", "/v1/projects", ROUTER_MATCH, R_PROJECTS_POST, 0, {NULL}, NULL},
    {"HEAD matches GET", "HEAD", "/v1/projects", ROUTER_MATCH, R_PROJECTS_GET, 0, {NULL}, NULL},
    {"HEAD matches GET with a param",
     "HEAD",
     "/v1/projects/fiets",
     ROUTER_MATCH,
     R_PROJECT_GET,
     1,
     {"fiets"},
     NULL},
    {"one param",
     "GET",
     "/v1/projects/snuffel-fiets",
     ROUTER_MATCH,
     R_PROJECT_GET,
     1,
     {"snuffel-fiets"},
     NULL},
    {"one param, second method",
     "DELETE",
     "/v1/projects/snuffel-fiets",
     ROUTER_MATCH,
     R_PROJECT_DELETE,
     1,
     {"snuffel-fiets"},
     NULL},
    {"param then literal",
     "GET",
     "/v1/projects/p1/devices",
     ROUTER_MATCH,
     R_DEVICES_GET,
     1,
     {"p1"},
     NULL},
    {"two params",
     "PUT",
     "/v1/projects/p1/devices/3f2b1c9e-0000-4000-8000-000000000001",
     ROUTER_MATCH,
     R_DEVICE_PUT,
     2,
     {"p1", "3f2b1c9e-0000-4000-8000-000000000001"},
     NULL},
    {"two params and a literal tail",
     "POST",
     "/v1/projects/abc/devices/d-9/measurements",
     ROUTER_MATCH,
     R_MEASUREMENTS_POST,
     2,
     {"abc", "d-9"},
     NULL},
    {"a one-character param",
     "GET",
     "/v1/projects/x/devices/y",
     ROUTER_MATCH,
     R_DEVICE_GET,
     2,
     {"x", "y"},
     NULL},
    {"literal listed before a param route wins",
     "GET",
     "/v1/projects/export",
     ROUTER_MATCH,
     R_EXPORT,
     0,
     {NULL},
     NULL},
    {"param holds odd characters",
     "GET",
     "/v1/projects/a{b}c",
     ROUTER_MATCH,
     R_PROJECT_GET,
     1,
     {"a{b}c"},
     NULL},

    {"unknown path", "GET", "/v2/projects", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"empty path", "GET", "", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"double slash root", "GET", "//", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"no leading slash", "GET", "v1/projects", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"trailing slash on literal", "GET", "/v1/projects/", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"trailing slash on param", "GET", "/v1/projects/abc/", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"empty param segment", "GET", "/v1/projects//devices", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"empty last param", "GET", "/v1/projects/abc/devices/", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"extra segment",
     "GET",
     "/v1/projects/abc/devices/d/measurements/x",
     ROUTER_NOT_FOUND,
     0,
     0,
     {NULL},
     NULL},
    {"longer literal", "GET", "/v1/projectsx", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"shorter literal", "GET", "/v1/project", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"case differs", "GET", "/V1/projects", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},
    {"prefix of a route", "GET", "/v1", ROUTER_NOT_FOUND, 0, 0, {NULL}, NULL},

    {"wrong method on literal",
     "PUT",
     "/v1/projects",
     ROUTER_METHOD_NOT_ALLOWED,
     0,
     0,
     {NULL},
     "GET, HEAD, POST"},
    {"wrong method on root", "POST", "/", ROUTER_METHOD_NOT_ALLOWED, 0, 0, {NULL}, "GET, HEAD"},
    {"wrong method on param",
     "POST",
     "/v1/projects/abc",
     ROUTER_METHOD_NOT_ALLOWED,
     0,
     0,
     {NULL},
     "GET, HEAD, DELETE"},
    {"DELETE passes the literal, matches the param",
     "DELETE",
     "/v1/projects/export",
     ROUTER_MATCH,
     R_PROJECT_DELETE,
     1,
     {"export"},
     NULL},
    {"literal and param, no repeats",
     "PUT",
     "/v1/projects/export",
     ROUTER_METHOD_NOT_ALLOWED,
     0,
     0,
     {NULL},
     "GET, HEAD, DELETE"},
    {"two routes share POST", "GET", "/v1/ingest", ROUTER_METHOD_NOT_ALLOWED, 0, 0, {NULL}, "POST"},
    {"HEAD where only POST", "HEAD", "/v1/ingest", ROUTER_METHOD_NOT_ALLOWED, 0, 0, {NULL}, "POST"},
    {"methods are case-sensitive",
     "get",
     "/v1/projects",
     ROUTER_METHOD_NOT_ALLOWED,
     0,
     0,
     {NULL},
     "GET, HEAD, POST"},
    {"GET and POST on a deep path",
     "DELETE",
     "/v1/projects/a/devices/b/measurements",
     ROUTER_METHOD_NOT_ALLOWED,
     0,
     0,
     {NULL},
     "POST, GET, HEAD"},
};

static const char *result_name(enum router_result r)
{
	switch (r) {
	case ROUTER_MATCH: return "match";
	case ROUTER_NOT_FOUND: return "not found";
	case ROUTER_METHOD_NOT_ALLOWED: return "method not allowed";
	}
	return "?";
}

/* Checks that span i of a match is `want` and lies inside `path`. */
static void check_param(struct table_run *run, const char *name, const char *path,
                        const struct router_span *span, const char *want)
{
	size_t plen = strlen(path);
	bool inside = span->start >= path && span->start + span->len <= path + plen;
	EXPECT(*run, name, inside);
	if (!inside)
		return;
	EXPECT(*run, name, span->len == strlen(want));
	EXPECT(*run, name, memcmp(span->start, want, span->len) == 0);
}

static void test_match_table(void **state)
{
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *name = cases[i].name;
		size_t index = SIZE_MAX, nparams = SIZE_MAX;
		struct router_span params[REQUEST_MAX_PARAMS];
		char allow[64];
		memset(allow, 'Z', sizeof(allow));
		memset(params, 0, sizeof(params));
		enum router_result got =
		    router_match(routes, R_COUNT, cases[i].method, cases[i].path, &index, params,
		                 &nparams, allow, sizeof(allow));
		EXPECT_STR(run, name, result_name(got), result_name(cases[i].want));
		if (got != cases[i].want)
			continue;
		switch (got) {
		case ROUTER_MATCH:
			EXPECT(run, name, index == cases[i].want_index);
			EXPECT(run, name, nparams == cases[i].want_nparams);
			for (size_t p = 0; p < cases[i].want_nparams && p < nparams; p++)
				check_param(&run, name, cases[i].path, &params[p],
				            cases[i].want_params[p]);
			break;
		case ROUTER_METHOD_NOT_ALLOWED:
			EXPECT_STR(run, name, allow, cases[i].want_allow);
			break;
		case ROUTER_NOT_FOUND: EXPECT_STR(run, name, allow, ""); break;
		}
	}
	TABLE_DONE(run);
}

/* An Allow buffer too small for every method holds whole names only, and
 * stays a C string. */
static void test_allow_small_buffer(void **state)
{
	(void)state;
	size_t index, nparams;
	struct router_span params[REQUEST_MAX_PARAMS];
	char allow[12]; /* "GET, HEAD" fits; ", POST" does not */
	memset(allow, 'Z', sizeof(allow));
	assert_int_equal(router_match(routes, R_COUNT, "PUT", "/v1/projects", &index, params,
	                              &nparams, allow, sizeof(allow)),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(allow, "GET, HEAD");
}

/* An empty table knows no path. */
static void test_empty_table(void **state)
{
	(void)state;
	size_t index, nparams;
	struct router_span params[REQUEST_MAX_PARAMS];
	char allow[32];
	memset(allow, 'Z', sizeof(allow));
	assert_int_equal(
	    router_match(routes, 0, "GET", "/", &index, params, &nparams, allow, sizeof(allow)),
	    ROUTER_NOT_FOUND);
	assert_string_equal(allow, "");
}

/* route_work_of: a route's own class, or the one WORK_AUTO stands for. */
static void test_work_of(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		struct route route;
		enum route_work want;
	} work_cases[] = {
	    {"public GET",
	     {"GET", "/a", dummy_handler, AUTH_PUBLIC, NULL, false, WORK_AUTO},
	     WORK_OPEN},
	    {"admin GET",
	     {"GET", "/a", dummy_handler, AUTH_ADMIN, NULL, false, WORK_AUTO},
	     WORK_ADMIN},
	    {"admin POST",
	     {"POST", "/a", dummy_handler, AUTH_ADMIN, NULL, false, WORK_AUTO},
	     WORK_ADMIN},
	    {"device POST",
	     {"POST", "/a", dummy_handler, AUTH_DEVICE, NULL, false, WORK_AUTO},
	     WORK_UPLOAD},
	    {"public POST",
	     {"POST", "/a", dummy_handler, AUTH_PUBLIC, NULL, false, WORK_AUTO},
	     WORK_UPLOAD},
	    {"named",
	     {"GET", "/a", dummy_handler, AUTH_PUBLIC, NULL, false, WORK_EVENT},
	     WORK_EVENT},
	    {"download",
	     {"GET", "/a", dummy_handler, AUTH_PUBLIC, NULL, false, WORK_DOWNLOAD},
	     WORK_DOWNLOAD},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < sizeof(work_cases) / sizeof(work_cases[0]); i++)
		EXPECT(run, work_cases[i].name,
		       route_work_of(&work_cases[i].route) == work_cases[i].want);
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_work_of),
	    cmocka_unit_test(test_match_table),
	    cmocka_unit_test(test_allow_small_buffer),
	    cmocka_unit_test(test_empty_table),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
