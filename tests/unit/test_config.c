/* Unit tests for server/config.c: defaults, typed values, the key = value
 * file, environment variables and the cross-key rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "unit.h"

/* A fresh config for every test, cleaned up after it. */
static int setup_config(void **state)
{
	struct config *c = malloc(sizeof(*c));
	if (!c || config_init(c) != SM_OK) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown_config(void **state)
{
	struct config *c = *state;
	config_cleanup(c);
	free(c);
	return 0;
}

static int *int_field(struct config *c, size_t offset)
{
	return (int *)((char *)c + offset);
}

/* Every default, as documented in config/samenmeten.conf.example. */
static void test_defaults(void **state)
{
	struct config *c = *state;
	assert_string_equal(c->listen_address, "127.0.0.1");
	assert_int_equal(c->port, 8080);
	assert_string_equal(c->database_url, "");
	assert_string_equal(c->database_read_url, "");
	assert_int_equal(c->database_read_max_lag_s, 0);
	assert_int_equal(c->database_pool_size, 8);
	assert_int_equal(c->database_pool_wait_ms, 2000);
	assert_int_equal(c->database_retry_after_s, 5);
	assert_string_equal(c->migrations_dir, "sql");
	assert_true(c->migrate_on_start);
	assert_string_equal(c->openapi_file, "api/openapi.yaml");
	assert_string_equal(c->key_file, "var/pseudonym.key");
	assert_string_equal(c->admin_token_file, "var/admin.token");
	assert_string_equal(c->admin_token, "");
	assert_int_equal(c->http_threads, 4);
	assert_int_equal(c->http_max_connections, 1024);
	assert_int_equal(c->http_timeout_s, 30);
	assert_int_equal(c->http_max_connections_per_address, 128);
	assert_int_equal(c->request_deadline_s, 60);
	assert_int_equal(c->open_workers, 4);
	assert_int_equal(c->open_queue, 64);
	assert_int_equal(c->upload_workers, 4);
	assert_int_equal(c->upload_queue, 32);
	assert_int_equal(c->admin_workers, 2);
	assert_int_equal(c->admin_queue, 16);
	assert_int_equal(c->download_max, 4);
	assert_int_equal(c->download_min_bytes, 64u << 10);
	assert_int_equal(c->download_min_window_s, 30);
	assert_int_equal(c->max_body_bytes, 16u << 20);
	assert_int_equal(c->json_max_depth, 32);
	assert_int_equal(c->shutdown_timeout_s, 30);
	assert_string_equal(c->log_level, "info");
	assert_string_equal(c->cors_allow_origin, "*");
	assert_string_equal(c->web_dir, "web");
	assert_string_equal(c->tile_url, "");
	assert_string_equal(c->tile_attribution, "");
}

/* Integer keys: the limits of each range are inclusive; anything outside,
 * or not a whole decimal number, is rejected and leaves the value alone. */
static void test_set_int(void **state)
{
	static const struct {
		const char *name;
		const char *key;
		size_t offset;
		const char *value;
		bool ok;
		int want;
	} cases[] = {
	    {"port lowest", "port", offsetof(struct config, port), "1", true, 1},
	    {"port highest", "port", offsetof(struct config, port), "65535", true, 65535},
	    {"port zero", "port", offsetof(struct config, port), "0", false, 0},
	    {"port above range", "port", offsetof(struct config, port), "65536", false, 0},
	    {"port negative", "port", offsetof(struct config, port), "-1", false, 0},
	    {"port empty", "port", offsetof(struct config, port), "", false, 0},
	    {"port trailing junk", "port", offsetof(struct config, port), "8080x", false, 0},
	    {"port word", "port", offsetof(struct config, port), "http", false, 0},
	    {"port decimal point", "port", offsetof(struct config, port), "80.5", false, 0},
	    {"port overflows long long", "port", offsetof(struct config, port),
	     "99999999999999999999", false, 0},
	    {"port wraps to 80 as int", "port", offsetof(struct config, port), "4294967376", false,
	     0},
	    {"http_threads zero allowed", "http_threads", offsetof(struct config, http_threads),
	     "0", true, 0},
	    {"http_threads above range", "http_threads", offsetof(struct config, http_threads),
	     "257", false, 0},
	    {"pool size highest", "database_pool_size", offsetof(struct config, database_pool_size),
	     "256", true, 256},
	    {"pool size above range", "database_pool_size",
	     offsetof(struct config, database_pool_size), "257", false, 0},
	    {"json depth lowest", "json_max_depth", offsetof(struct config, json_max_depth), "2",
	     true, 2},
	    {"json depth too low", "json_max_depth", offsetof(struct config, json_max_depth), "1",
	     false, 0},
	    {"shutdown timeout zero", "shutdown_timeout_s",
	     offsetof(struct config, shutdown_timeout_s), "0", true, 0},
	    {"pool wait highest", "database_pool_wait_ms",
	     offsetof(struct config, database_pool_wait_ms), "600000", true, 600000},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[256] = "";
		int *field = int_field(c, cases[i].offset);
		int before = 4242; /* in every range above, and no case's result */
		*field = before;
		sm_err e = config_set(c, cases[i].key, cases[i].value, "test", err, sizeof(err));
		EXPECT(run, cases[i].name, (e == SM_OK) == cases[i].ok);
		if (cases[i].ok) {
			EXPECT(run, cases[i].name, *field == cases[i].want);
		} else {
			EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
			EXPECT(run, cases[i].name, *field == before);
			EXPECT_HAS(run, cases[i].name, err, cases[i].key);
		}
	}
	TABLE_DONE(run);
}

/* Byte counts with optional k/M/G (binary) suffixes, from 1024 to 4 GiB. */
static void test_set_size(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		bool ok;
		size_t want;
	} cases[] = {
	    {"plain bytes", "1048576", true, 1048576},
	    {"lowest", "1024", true, 1024},
	    {"below lowest", "1023", false, 0},
	    {"zero", "0", false, 0},
	    {"one k", "1k", true, 1024},
	    {"k suffix", "512k", true, 512 * 1024},
	    {"K suffix", "512K", true, 512 * 1024},
	    {"M suffix", "16M", true, 16u << 20},
	    {"m suffix", "3m", true, 3u << 20},
	    {"G suffix", "1G", true, 1u << 30},
	    {"highest", "4G", true, (size_t)4 << 30},
	    {"above highest", "5G", false, 0},
	    {"above highest in bytes", "4294967297", false, 0},
	    {"unknown suffix", "12X", false, 0},
	    {"two-letter suffix", "16MB", false, 0},
	    {"suffix alone", "M", false, 0},
	    {"negative", "-1", false, 0},
	    {"negative with suffix", "-1M", false, 0},
	    {"empty", "", false, 0},
	    {"space before suffix", "16 M", false, 0},
	    {"huge multiplied", "9223372036854775807G", false, 0},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[256] = "";
		c->max_body_bytes = 77777;
		sm_err e =
		    config_set(c, "max_body_bytes", cases[i].value, "test", err, sizeof(err));
		EXPECT(run, cases[i].name, (e == SM_OK) == cases[i].ok);
		if (cases[i].ok) {
			EXPECT(run, cases[i].name, c->max_body_bytes == cases[i].want);
		} else {
			EXPECT(run, cases[i].name, c->max_body_bytes == 77777);
			EXPECT_HAS(run, cases[i].name, err, "\"max_body_bytes\"");
		}
	}
	TABLE_DONE(run);
}

/* Boolean words. The field is first set to the opposite of the expected
 * value, so a case that changes nothing fails. */
static void test_set_bool(void **state)
{
	static const struct {
		const char *value;
		bool ok;
		bool want;
	} cases[] = {
	    {"true", true, true}, {"false", true, false}, {"yes", true, true},
	    {"no", true, false},  {"on", true, true},     {"off", true, false},
	    {"1", true, true},    {"0", true, false},     {"maybe", false, false},
	    {"", false, false},   {"2", false, false},    {"truest", false, false},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[256] = "";
		for (int start = 0; start < 2; start++) {
			if (cases[i].ok && start == cases[i].want)
				continue;
			c->migrate_on_start = start;
			sm_err e = config_set(c, "migrate_on_start", cases[i].value, "test", err,
			                      sizeof(err));
			EXPECT(run, cases[i].value, (e == SM_OK) == cases[i].ok);
			bool want = cases[i].ok ? cases[i].want : start;
			EXPECT(run, cases[i].value, c->migrate_on_start == want);
		}
	}
	TABLE_DONE(run);
}

/* log_level takes exactly the four level names. */
static void test_set_log_level(void **state)
{
	static const struct {
		const char *value;
		bool ok;
	} cases[] = {
	    {"debug", true}, {"info", true},     {"warn", true},     {"error", true},
	    {"", false},     {"verbose", false}, {"warning", false}, {"info ", false},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[256] = "";
		/* Start from a level other than the one the case sets. */
		const char *before = strcmp(cases[i].value, "error") == 0 ? "debug" : "error";
		assert_int_equal(config_set(c, "log_level", before, "test", err, sizeof(err)),
		                 SM_OK);
		sm_err e = config_set(c, "log_level", cases[i].value, "test", err, sizeof(err));
		EXPECT(run, cases[i].value, (e == SM_OK) == cases[i].ok);
		EXPECT_STR(run, cases[i].value, c->log_level,
		           cases[i].ok ? cases[i].value : before);
		if (!cases[i].ok)
			EXPECT_HAS(run, cases[i].value, err, "\"log_level\"");
	}
	TABLE_DONE(run);
}

/* String keys take any text, copied. */
static void test_set_string(void **state)
{
	struct config *c = *state;
	char err[256] = "";
	char value[] = "postgresql://u@db.example/samenmeten?sslmode=require";
	assert_int_equal(config_set(c, "database_url", value, "test", err, sizeof(err)), SM_OK);
	value[0] = 'X'; /* the config must hold its own copy */
	assert_string_equal(c->database_url,
	                    "postgresql://u@db.example/samenmeten?sslmode=require");
	assert_int_equal(config_set(c, "database_url", "", "test", err, sizeof(err)), SM_OK);
	assert_string_equal(c->database_url, "");
}

/* Messages: an unknown key is named in quotes; a bad value names the key,
 * the value and where it came from. */
static void test_set_messages(void **state)
{
	struct config *c = *state;
	char err[256] = "";
	assert_int_equal(config_set(c, "prot", "80", "line 7 of x.conf", err, sizeof(err)),
	                 SM_ERR_INVALID);
	assert_non_null(strstr(err, "\"prot\""));
	assert_non_null(strstr(err, "line 7 of x.conf"));

	err[0] = '\0';
	assert_int_equal(config_set(c, "port", "80x", "line 8 of x.conf", err, sizeof(err)),
	                 SM_ERR_INVALID);
	assert_non_null(strstr(err, "\"port\""));
	assert_non_null(strstr(err, "\"80x\""));
	assert_non_null(strstr(err, "line 8 of x.conf"));

	/* A tiny buffer is not overrun and stays a C string. */
	char tiny[8];
	memset(tiny, 'Z', sizeof(tiny));
	assert_int_equal(config_set(c, "port", "80x", "test", tiny, sizeof(tiny)), SM_ERR_INVALID);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* Writes `text` to a new temporary file; its path goes into path. */
static void write_temp(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/samenmeten-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* A file with comments, blank lines, quotes and spaces around '='. */
static void test_load_file_ok(void **state)
{
	struct config *c = *state;
	char path[64], err[512] = "";
	write_temp(path, "# Samen Meten test configuration\n"
	                 "\n"
	                 "   # an indented comment = not a key\n"
	                 "port = 9090\n"
	                 "listen_address=0.0.0.0\n"
	                 "\t log_level \t=\t debug \t\n"
	                 "database_url = \"postgresql://h/db?sslmode=require\"\n"
	                 "cors_allow_origin = \"\"\n"
	                 "   \n"
	                 "migrate_on_start = off\n"
	                 "max_body_bytes = 2M"); /* no newline at the end */
	sm_err e = config_load_file(c, path, err, sizeof(err));
	unlink(path);
	if (e != SM_OK)
		fail_msg("config_load_file: %s", err);
	assert_int_equal(c->port, 9090);
	assert_string_equal(c->listen_address, "0.0.0.0");
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->database_url, "postgresql://h/db?sslmode=require");
	assert_string_equal(c->cors_allow_origin, "");
	assert_false(c->migrate_on_start);
	assert_int_equal(c->max_body_bytes, 2u << 20);
}

/* Files that are rejected; the message names the file and the line. */
static void test_load_file_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want_line; /* "line N" */
		const char *want_also; /* another part of the message */
	} cases[] = {
	    {"line without '='", "port = 1\n# fine\nport 9090\n", "line 3", "key = value"},
	    {"unknown key", "port = 1\nbogus_key = 1\n", "line 2", "\"bogus_key\""},
	    {"bad value", "\n\n\n\nport = 70000\n", "line 5", "\"70000\""},
	    {"empty key", "= 5\n", "line 1", "\"\""},
	    {"key with space", "data base = x\n", "line 1", "\"data base\""},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char path[64], err[512] = "";
		write_temp(path, cases[i].text);
		sm_err e = config_load_file(c, path, err, sizeof(err));
		unlink(path);
		EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
		EXPECT_HAS(run, cases[i].name, err, path);
		EXPECT_HAS(run, cases[i].name, err, cases[i].want_line);
		EXPECT_HAS(run, cases[i].name, err, cases[i].want_also);
	}
	TABLE_DONE(run);
}

/* Lines up to 4000 characters are read whole; a longer line than the
 * reader's 4 KiB buffer is an error, not silently split into two lines. */
static void test_load_file_long_lines(void **state)
{
	struct config *c = *state;
	static char text[6000];
	char path[64], err[512] = "";
	char want[4001];

	/* "database_url = postgresql:///aaaa...a", 4000 characters. */
	int n = snprintf(text, sizeof(text), "database_url = postgresql:///");
	memset(text + n, 'a', 4000 - (size_t)n);
	text[4000] = '\n';
	text[4001] = '\0';
	memcpy(want, text + 15, 4000 - 15);
	want[4000 - 15] = '\0';
	write_temp(path, text);
	sm_err e = config_load_file(c, path, err, sizeof(err));
	unlink(path);
	if (e != SM_OK)
		fail_msg("4000-character line: %s", err);
	assert_string_equal(c->database_url, want);

	/* 4103 characters whose tail would otherwise parse as "port = 1". */
	n = snprintf(text, sizeof(text), "cors_allow_origin = ");
	memset(text + n, 'b', 4095 - (size_t)n);
	snprintf(text + 4095, sizeof(text) - 4095, "port = 1\n");
	write_temp(path, text);
	e = config_load_file(c, path, err, sizeof(err));
	unlink(path);
	assert_int_equal(e, SM_ERR_INVALID);
	assert_non_null(strstr(err, "line 1"));
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(c->port, 8080);
}

/* A missing file is an I/O error that names the file. */
static void test_load_file_missing(void **state)
{
	struct config *c = *state;
	char path[64], err[512] = "";
	write_temp(path, "");
	unlink(path);
	assert_int_equal(config_load_file(c, path, err, sizeof(err)), SM_ERR_IO);
	assert_non_null(strstr(err, path));
	assert_int_equal(c->port, 8080);
}

/* The fake environment for config_load_env: NULL-terminated name/value
 * pairs. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (const char *const *p = fake_env; p && p[0]; p += 2)
		if (strcmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

/* Environment variables, one fake environment per case. */
static void test_load_env(void **state)
{
	static const char *const none[] = {NULL};
	static const char *const own[] = {"SAMENMETEN_PORT", "9000", NULL};
	static const char *const paas[] = {"PORT", "7000", NULL};
	static const char *const both[] = {"PORT", "7000", "SAMENMETEN_PORT", "9000", NULL};
	static const char *const others[] = {"SAMENMETEN_DATABASE_URL",
	                                     "postgresql:///x",
	                                     "SAMENMETEN_MAX_BODY_BYTES",
	                                     "1M",
	                                     "SAMENMETEN_MIGRATE_ON_START",
	                                     "no",
	                                     "samenmeten_port",
	                                     "1",
	                                     NULL};
	static const char *const bad_own[] = {"SAMENMETEN_PORT", "abc", NULL};
	static const char *const bad_paas[] = {"PORT", "0", NULL};
	static const char *const bad_size[] = {"SAMENMETEN_MAX_BODY_BYTES", "12X", NULL};
	static const struct {
		const char *name;
		const char *const *env;
		sm_err want;
		int want_port;
		const char *want_msg; /* on error: the variable named */
	} cases[] = {
	    {"no variables", none, SM_OK, 8080, NULL},
	    {"SAMENMETEN_PORT", own, SM_OK, 9000, NULL},
	    {"PORT fallback", paas, SM_OK, 7000, NULL},
	    {"SAMENMETEN_PORT wins over PORT", both, SM_OK, 9000, NULL},
	    {"other keys", others, SM_OK, 8080, NULL},
	    {"bad SAMENMETEN_PORT", bad_own, SM_ERR_INVALID, 8080,
	     "environment variable SAMENMETEN_PORT"},
	    {"bad PORT", bad_paas, SM_ERR_INVALID, 8080, "environment variable PORT"},
	    {"bad size", bad_size, SM_ERR_INVALID, 8080, "SAMENMETEN_MAX_BODY_BYTES"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct config c;
		char err[512] = "";
		assert_int_equal(config_init(&c), SM_OK);
		fake_env = cases[i].env;
		sm_err e = config_load_env(&c, fake_getenv, err, sizeof(err));
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT(run, cases[i].name, c.port == cases[i].want_port);
		if (cases[i].want_msg)
			EXPECT_HAS(run, cases[i].name, err, cases[i].want_msg);
		if (cases[i].env == others) {
			EXPECT_STR(run, cases[i].name, c.database_url, "postgresql:///x");
			EXPECT(run, cases[i].name, c.max_body_bytes == 1u << 20);
			EXPECT(run, cases[i].name, !c.migrate_on_start);
		}
		config_cleanup(&c);
	}
	fake_env = NULL;
	TABLE_DONE(run);
}

/* Rules across keys: a database is required; an admin token, when given,
 * has at least 16 characters. */
static void test_validate(void **state)
{
	static const struct {
		const char *name;
		const char *database_url;
		const char *admin_token;
		bool ok;
		const char *want_msg;
	} cases[] = {
	    {"defaults lack a database", "", "", false, "\"database_url\""},
	    {"database set", "postgresql:///x", "", true, NULL},
	    {"admin token of 15", "postgresql:///x", "123456789012345", false, "16"},
	    {"admin token of 16", "postgresql:///x", "1234567890123456", true, NULL},
	    {"admin token of 1", "postgresql:///x", "x", false, "admin token"},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[512] = "";
		assert_int_equal(
		    config_set(c, "database_url", cases[i].database_url, "test", err, sizeof(err)),
		    SM_OK);
		assert_int_equal(
		    config_set(c, "admin_token", cases[i].admin_token, "test", err, sizeof(err)),
		    SM_OK);
		sm_err e = config_validate(c, err, sizeof(err));
		EXPECT(run, cases[i].name, (e == SM_OK) == cases[i].ok);
		if (!cases[i].ok) {
			EXPECT(run, cases[i].name, e == SM_ERR_INVALID);
			EXPECT_HAS(run, cases[i].name, err, cases[i].want_msg);
		}
	}
	TABLE_DONE(run);
}

/* Workers need database connections: open_workers, and upload_workers +
 * admin_workers, each at most database_pool_size. */
static void test_validate_workers(void **state)
{
	static const struct {
		const char *name;
		const char *pool, *open, *upload, *admin;
		bool ok;
	} cases[] = {
	    {"defaults", "8", "4", "4", "2", true},
	    {"open at the pool size", "8", "8", "4", "2", true},
	    {"open past the pool", "8", "9", "4", "2", false},
	    {"uploads and admin at the pool size", "8", "4", "6", "2", true},
	    {"uploads and admin past the pool", "8", "4", "7", "2", false},
	    {"a small pool", "2", "2", "1", "1", true},
	};
	struct config *c = *state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		char err[512] = "";
		assert_int_equal(
		    config_set(c, "database_url", "postgresql:///x", "t", err, sizeof(err)), SM_OK);
		assert_int_equal(
		    config_set(c, "database_pool_size", cases[i].pool, "t", err, sizeof(err)),
		    SM_OK);
		assert_int_equal(
		    config_set(c, "open_workers", cases[i].open, "t", err, sizeof(err)), SM_OK);
		assert_int_equal(
		    config_set(c, "upload_workers", cases[i].upload, "t", err, sizeof(err)), SM_OK);
		assert_int_equal(
		    config_set(c, "admin_workers", cases[i].admin, "t", err, sizeof(err)), SM_OK);
		sm_err e = config_validate(c, err, sizeof(err));
		EXPECT(run, cases[i].name, (e == SM_OK) == cases[i].ok);
		if (!cases[i].ok)
			EXPECT_HAS(run, cases[i].name, err, "database_pool_size");
	}
	TABLE_DONE(run);
}

static void count_key(const char *key, void *arg)
{
	char err[256];
	size_t *n = arg;
	/* A key config_each_key lists is one config_set knows: the only
	 * failure allowed is a bad value, never an unknown key. */
	struct config c;
	assert_int_equal(config_init(&c), SM_OK);
	sm_err e = config_set(&c, key, "\x01", "test", err, sizeof(err));
	if (e != SM_OK && strstr(err, "unknown"))
		fail_msg("config_each_key lists \"%s\", which config_set does not know", key);
	config_cleanup(&c);
	(*n)++;
}

/* config_each_key lists every key of struct config once. */
static void test_each_key(void **state)
{
	(void)state;
	size_t n = 0;
	config_each_key(count_key, &n);
	assert_int_equal(n, 47); /* the fields of struct config */
}

/* config_cleanup frees every string, leaves NULLs, and may run twice. */
static void test_cleanup_twice(void **state)
{
	(void)state;
	struct config c;
	char err[256];
	assert_int_equal(config_init(&c), SM_OK);
	assert_int_equal(
	    config_set(&c, "database_url", "postgresql:///x", "test", err, sizeof(err)), SM_OK);
	config_cleanup(&c);
	assert_null(c.database_url);
	assert_null(c.log_level);
	assert_null(c.listen_address);
	config_cleanup(&c);
	assert_null(c.database_url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_int, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_size, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_bool, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_log_level, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_string, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_set_messages, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_load_file_ok, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_load_file_errors, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_load_file_long_lines, setup_config,
	                                    teardown_config),
	    cmocka_unit_test_setup_teardown(test_load_file_missing, setup_config, teardown_config),
	    cmocka_unit_test(test_load_env),
	    cmocka_unit_test_setup_teardown(test_validate_workers, setup_config, teardown_config),
	    cmocka_unit_test_setup_teardown(test_validate, setup_config, teardown_config),
	    cmocka_unit_test(test_each_key),
	    cmocka_unit_test(test_cleanup_twice),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
