/* Unit tests for server/static.c (the dashboard's files in memory) and
 * server/csp.c (the pages' Content-Security-Policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>
#include <sodium.h>

#include "csp.h"
#include "static.h"
#include "unit.h"

static void test_types(void **state)
{
	(void)state;
	static const struct {
		const char *name, *type;
	} rows[] = {
	    {"index.html", "text/html; charset=utf-8"},
	    {"app.js", "text/javascript; charset=utf-8"},
	    {"style.css", "text/css; charset=utf-8"},
	    {"favicon.svg", "image/svg+xml"},
	    {"layers.png", "image/png"},
	    {"package.json", NULL},
	    {"leaflet.js.map", NULL},
	    {"README.md", NULL},
	    {".js", NULL},
	    {"js", NULL},
	    {"app.JS", NULL},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++) {
		const char *got = static_type(rows[i].name);
		if (rows[i].type)
			EXPECT_STR(run, rows[i].name, got, rows[i].type);
		else
			EXPECT(run, rows[i].name, got == NULL);
	}
	TABLE_DONE(run);
}

static void test_versioned(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool want;
	} rows[] = {
	    {"leaflet-1.9.4.js", true}, {"swagger-ui-5.35.0.css", true}, {"uplot-1.6.32.js", true},
	    {"app.3f2a9c1d.js", true},  {"app-0123abcdef.css", true},    {"app.js", false},
	    {"view-air.js", false},     {"leaflet-1.9.js", false},       {"x-2024.js", false},
	    {"app.3f2a9c1.js", false},  {"deadbeefcafe", false},         {"v-1.2.3", true},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++)
		EXPECT(run, rows[i].name, static_versioned(rows[i].name) == rows[i].want);
	TABLE_DONE(run);
}

static void test_accepts_gzip(void **state)
{
	(void)state;
	static const struct {
		const char *header;
		bool want;
	} rows[] = {
	    {"gzip", true},      {"gzip, deflate, br", true},
	    {"br, gzip", true},  {"deflate, gzip;q=0.5", true},
	    {"GZIP", true},      {"*", true},
	    {"gzip;q=0", false}, {"gzip; q=0.0", false},
	    {"identity", false}, {"x-gzip-not", false},
	    {"", false},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++)
		EXPECT(run, rows[i].header, static_accepts_gzip(rows[i].header) == rows[i].want);
	EXPECT(run, "no header", !static_accepts_gzip(NULL));
	TABLE_DONE(run);
}

static void test_etag_matches(void **state)
{
	(void)state;
	const char *etag = "\"abc\"";
	static const struct {
		const char *header;
		bool want;
	} rows[] = {
	    {"\"abc\"", true},     {"W/\"abc\"", true}, {"\"x\", \"abc\"", true},
	    {"*", true},           {"\"abcd\"", false}, {"\"ab\"", false},
	    {"\"abc-gz\"", false}, {"abc", false},      {"", false},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++)
		EXPECT(run, rows[i].header,
		       static_etag_matches(rows[i].header, etag) == rows[i].want);
	EXPECT(run, "no header", !static_etag_matches(NULL, etag));
	TABLE_DONE(run);
}

static void test_fill(void **state)
{
	(void)state;
	const struct static_var vars[] = {
	    {"tile_url", "https://t.example/{z}/{x}/{y}.png?a=1&b=\"2\""}, {"empty", ""}};
	static const struct {
		const char *in, *want;
	} rows[] = {
	    {"<meta content=\"{{tile_url}}\">",
	     "<meta content=\"https://t.example/{z}/{x}/{y}.png?a=1&amp;b=&quot;2&quot;\">"},
	    {"[{{empty}}]", "[]"},
	    {"{{unknown}} {{tile_url", "{{unknown}} {{tile_url"},
	    {"{{", "{{"},
	    {"", ""},
	    {"<>&'", "<>&'"}, /* only values are escaped */
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++) {
		size_t len = 0;
		char *got = static_fill(rows[i].in, strlen(rows[i].in), vars, NELEMS(vars), &len);
		EXPECT_STR(run, rows[i].in, got, rows[i].want);
		EXPECT(run, rows[i].in, got && len == strlen(rows[i].want));
		free(got);
	}
	TABLE_DONE(run);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char tmp[64];

static int make_site(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/smu-static-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	char sub[128];
	write_file(tmp, "index.html", "<meta content=\"{{tile_url}}\">");
	write_file(tmp, "package.json", "{}");
	write_file(tmp, ".secret.js", "no");
	snprintf(sub, sizeof(sub), "%s/assets", tmp);
	mkdir(sub, 0755);
	/* Compressible: gzip is kept. */
	char big[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(sub, "app.js", big);
	write_file(sub, "x.png", "p"); /* one byte: gzip is larger, not kept */
	snprintf(sub, sizeof(sub), "%s/assets/deeper", tmp);
	mkdir(sub, 0755);
	write_file(sub, "too-deep.js", "no");
	snprintf(sub, sizeof(sub), "%s/node_modules", tmp);
	mkdir(sub, 0755);
	write_file(sub, "lib.js", "no");
	snprintf(sub, sizeof(sub), "%s/vendor", tmp);
	mkdir(sub, 0755);
	write_file(sub, "leaflet-1.9.4.js", "L");
	char link[160];
	snprintf(link, sizeof(link), "%s/vendor/passwd.js", tmp);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	return 0;
}

static int remove_site(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_load(void **state)
{
	(void)state;
	const struct static_var vars[] = {{"tile_url", "https://t.example/a"}};
	struct static_site *site = NULL;
	char err[256] = "";
	assert_int_equal(static_load(tmp, vars, 1, 16, 1 << 20, &site, err, sizeof(err)), SM_OK);
	/* Sorted by path; only served types, two levels, no symlinks, no dot names. */
	const char *want[] = {"/assets/app.js", "/assets/x.png", "/index.html",
	                      "/vendor/leaflet-1.9.4.js"};
	assert_int_equal(site->nfiles, NELEMS(want));
	for (size_t i = 0; i < NELEMS(want); i++)
		assert_string_equal(site->files[i].path, want[i]);
	assert_null(static_find(site, "/package.json"));
	assert_null(static_find(site, "/assets/deeper/too-deep.js"));
	assert_null(static_find(site, "/vendor/passwd.js"));
	assert_null(static_find(site, "/node_modules/lib.js"));
	assert_null(static_find(site, "/.secret.js"));
	assert_null(static_find(site, "/assets/../index.html"));

	const struct static_file *html = static_find(site, "/index.html");
	assert_non_null(html);
	assert_string_equal(html->body, "<meta content=\"https://t.example/a\">");
	assert_false(html->immutable);

	const struct static_file *app = static_find(site, "/assets/app.js");
	assert_non_null(app);
	assert_int_equal(app->len, 4095);
	assert_non_null(app->gz);
	assert_true(app->gz_len < 100);
	char plain[4096];
	uLongf plain_len = sizeof(plain);
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)app->gz;
	z.avail_in = (uInt)app->gz_len;
	z.next_out = (Bytef *)plain;
	z.avail_out = (uInt)plain_len;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, app->len);
	assert_memory_equal(plain, app->body, app->len);
	inflateEnd(&z);
	/* Strong ETags: quoted hex, the gzip form its own. */
	assert_int_equal(strlen(app->etag), 34);
	assert_int_equal(app->etag[0], '"');
	assert_string_not_equal(app->etag, app->etag_gz);
	assert_non_null(strstr(app->etag_gz, "-gz\""));

	const struct static_file *png = static_find(site, "/assets/x.png");
	assert_null(png->gz);
	assert_true(static_find(site, "/vendor/leaflet-1.9.4.js")->immutable);
	static_free(site);
}

static void test_load_limits(void **state)
{
	(void)state;
	struct static_site *site = NULL;
	char err[256] = "";
	assert_int_equal(static_load(tmp, NULL, 0, 3, 1 << 20, &site, err, sizeof(err)),
	                 SM_ERR_TOO_LARGE);
	assert_null(site);
	assert_non_null(strstr(err, "more than 3 files"));
	assert_int_equal(static_load(tmp, NULL, 0, 16, 1000, &site, err, sizeof(err)),
	                 SM_ERR_TOO_LARGE);
	assert_non_null(strstr(err, "1000 bytes"));
	assert_int_equal(
	    static_load("/nonexistent-smu", NULL, 0, 16, 1000, &site, err, sizeof(err)),
	    SM_ERR_NOT_FOUND);
	assert_non_null(strstr(err, "/nonexistent-smu"));
	static_free(NULL);
}

static void test_csp_origin(void **state)
{
	(void)state;
	static const struct {
		const char *url, *want; /* NULL: refused */
	} rows[] = {
	    {"https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/"
	     "{y}.png",
	     "https://service.pdok.nl"},
	    {"http://tiles.example:8081/{z}/{x}/{y}.png", "http://tiles.example:8081"},
	    {"HTTPS://Tiles.Example/x", "https://tiles.example"},
	    {"https://a.example", "https://a.example"},
	    {"javascript:alert(1)", NULL},
	    {"//tiles.example/{z}", NULL},
	    {"https://", NULL},
	    {"https://evil.example; script-src *", NULL},
	    {"https://a.example:/x", NULL},
	    {"https://a.example:123456/x", NULL},
	    {"https://user@a.example/x", NULL},
	    {"https://-a.example/x", NULL},
	    {"ftp://a.example/x", NULL},
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(rows); i++) {
		char out[256] = "";
		bool ok = csp_origin(rows[i].url, out, sizeof(out));
		if (rows[i].want) {
			EXPECT(run, rows[i].url, ok);
			EXPECT_STR(run, rows[i].url, out, rows[i].want);
		} else {
			EXPECT(run, rows[i].url, !ok);
		}
	}
	TABLE_DONE(run);
}

static void test_csp_policies(void **state)
{
	(void)state;
	char csp[CSP_MAX];
	csp_dashboard("", csp, sizeof(csp));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "script-src 'self';"));
	assert_non_null(strstr(csp, "style-src 'self';"));
	assert_null(strstr(csp, "unsafe"));
	assert_null(strstr(csp, "data:"));
	assert_null(strstr(csp, "http"));
	size_t n = strlen(csp);
	assert_string_equal(csp + n - strlen("img-src 'self'"), "img-src 'self'");
	csp_dashboard("https://service.pdok.nl", csp, sizeof(csp));
	assert_non_null(strstr(csp, "img-src 'self' https://service.pdok.nl"));
	assert_null(strstr(csp_docs, "unsafe"));
	assert_non_null(strstr(csp_docs, "img-src 'self' data:"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_versioned),
	    cmocka_unit_test(test_accepts_gzip),
	    cmocka_unit_test(test_etag_matches),
	    cmocka_unit_test(test_fill),
	    cmocka_unit_test_setup_teardown(test_load, make_site, remove_site),
	    cmocka_unit_test_setup_teardown(test_load_limits, make_site, remove_site),
	    cmocka_unit_test(test_csp_origin),
	    cmocka_unit_test(test_csp_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
