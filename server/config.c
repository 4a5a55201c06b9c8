#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum key_type { KEY_STRING, KEY_INT, KEY_BOOL, KEY_SIZE, KEY_LOG_LEVEL };

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def;
	long long min, max; /* for KEY_INT and KEY_SIZE */
};

#define F(field) offsetof(struct config, field)

static const struct key_def keys[] = {
    {"listen_address", KEY_STRING, F(listen_address), "127.0.0.1", 0, 0},
    {"port", KEY_INT, F(port), "8080", 1, 65535},
    {"database_url", KEY_STRING, F(database_url), "", 0, 0},
    {"database_read_url", KEY_STRING, F(database_read_url), "", 0, 0},
    {"database_read_max_lag_s", KEY_INT, F(database_read_max_lag_s), "0", 0, 86400},
    {"database_pool_size", KEY_INT, F(database_pool_size), "8", 1, 256},
    {"database_pool_wait_ms", KEY_INT, F(database_pool_wait_ms), "2000", 1, 600000},
    {"database_retry_after_s", KEY_INT, F(database_retry_after_s), "5", 1, 3600},
    {"query_timeout_ms", KEY_INT, F(query_timeout_ms), "30000", 0, 86400000},
    /* At most the max-age open answers announce (60 s). */
    {"answer_cache_s", KEY_INT, F(answer_cache_s), "10", 0, 60},
    {"answer_cache_mb", KEY_INT, F(answer_cache_mb), "64", 1, 65536},
    {"migrations_dir", KEY_STRING, F(migrations_dir), "sql", 0, 0},
    {"migrate_on_start", KEY_BOOL, F(migrate_on_start), "true", 0, 0},
    {"openapi_file", KEY_STRING, F(openapi_file), "api/openapi.yaml", 0, 0},
    {"key_file", KEY_STRING, F(key_file), "var/pseudonym.key", 0, 0},
    {"admin_token_file", KEY_STRING, F(admin_token_file), "var/admin.token", 0, 0},
    {"admin_token", KEY_STRING, F(admin_token), "", 0, 0},
    {"http_threads", KEY_INT, F(http_threads), "4", 0, 256},
    {"http_max_connections", KEY_INT, F(http_max_connections), "1024", 1, 65536},
    {"http_timeout_s", KEY_INT, F(http_timeout_s), "30", 1, 3600},
    {"http_max_connections_per_address", KEY_INT, F(http_max_connections_per_address), "128", 0,
     65536},
    {"request_deadline_s", KEY_INT, F(request_deadline_s), "60", 0, 86400},
    {"open_workers", KEY_INT, F(open_workers), "4", 1, 256},
    {"open_queue", KEY_INT, F(open_queue), "64", 0, 100000},
    {"upload_workers", KEY_INT, F(upload_workers), "4", 1, 256},
    {"upload_queue", KEY_INT, F(upload_queue), "32", 0, 100000},
    {"admin_workers", KEY_INT, F(admin_workers), "2", 1, 256},
    {"admin_queue", KEY_INT, F(admin_queue), "16", 0, 100000},
    {"download_max", KEY_INT, F(download_max), "4", 1, 256},
    {"download_min_bytes", KEY_SIZE, F(download_min_bytes), "64k", 0, 1LL << 30},
    {"download_min_window_s", KEY_INT, F(download_min_window_s), "30", 0, 3600},
    {"max_body_bytes", KEY_SIZE, F(max_body_bytes), "16M", 1024, 1LL << 32},
    {"json_max_depth", KEY_INT, F(json_max_depth), "32", 2, 1000},
    {"ingest_max_rows", KEY_INT, F(ingest_max_rows), "100000", 1, 10000000},
    {"ingest_horizon_days", KEY_INT, F(ingest_horizon_days), "3660", 1, 20000},
    {"ingest_max_months", KEY_INT, F(ingest_max_months), "12", 1, 120},
    {"raw_retention_months", KEY_INT, F(raw_retention_months), "0", 0, 1200},
    {"raw_retention_other_months", KEY_INT, F(raw_retention_other_months), "0", 0, 1200},
    {"shutdown_timeout_s", KEY_INT, F(shutdown_timeout_s), "30", 0, 3600},
    {"log_level", KEY_LOG_LEVEL, F(log_level), "info", 0, 0},
    {"cors_allow_origin", KEY_STRING, F(cors_allow_origin), "*", 0, 0},
    {"rate_limit_address_per_s", KEY_INT, F(rate_limit_address_per_s), "50", 0, 1000000},
    {"rate_limit_token_per_s", KEY_INT, F(rate_limit_token_per_s), "20", 0, 1000000},
    {"rate_limit_burst_s", KEY_INT, F(rate_limit_burst_s), "5", 1, 3600},
    {"web_dir", KEY_STRING, F(web_dir), "web", 0, 0},
    {"tile_url", KEY_STRING, F(tile_url), "", 0, 0},
    {"tile_attribution", KEY_STRING, F(tile_attribution), "", 0, 0},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void fail_msg(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_msg(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "16M", "512k", "1048576": bytes, with an optional binary suffix. */
static bool parse_size(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return false;
	long long mult = 1;
	if (*end) {
		switch (*end) {
		case 'k':
		case 'K': mult = 1LL << 10; break;
		case 'm':
		case 'M': mult = 1LL << 20; break;
		case 'g':
		case 'G': mult = 1LL << 30; break;
		default: return false;
		}
		if (end[1])
			return false;
	}
	if (v > max / mult)
		return false;
	v *= mult;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static sm_err apply(struct config *c, const struct key_def *k, const char *value,
                    const char *origin, char *errbuf, size_t errlen)
{
	char *base = (char *)c;
	long long n;
	switch (k->type) {
	case KEY_STRING:
	case KEY_LOG_LEVEL: {
		if (k->type == KEY_LOG_LEVEL) {
			enum log_level lv;
			if (!log_level_parse(value, &lv)) {
				fail_msg(errbuf, errlen,
				         "invalid value \"%s\" for \"%s\" (%s): expected debug, "
				         "info, warn or error",
				         value, k->name, origin);
				return SM_ERR_INVALID;
			}
		}
		char *copy = strdup(value);
		if (!copy)
			return SM_ERR_NOMEM;
		char **slot = (char **)(base + k->offset);
		free(*slot);
		*slot = copy;
		return SM_OK;
	}
	case KEY_INT:
		if (!parse_int(value, k->min, k->max, &n)) {
			fail_msg(errbuf, errlen,
			         "invalid value \"%s\" for \"%s\" (%s): expected an integer from "
			         "%lld to %lld",
			         value, k->name, origin, k->min, k->max);
			return SM_ERR_INVALID;
		}
		*(int *)(base + k->offset) = (int)n;
		return SM_OK;
	case KEY_SIZE:
		if (!parse_size(value, k->min, k->max, &n)) {
			fail_msg(errbuf, errlen,
			         "invalid value \"%s\" for \"%s\" (%s): expected a byte count from "
			         "%lld to %lld, "
			         "optionally with a k, M or G suffix",
			         value, k->name, origin, k->min, k->max);
			return SM_ERR_INVALID;
		}
		*(size_t *)(base + k->offset) = (size_t)n;
		return SM_OK;
	case KEY_BOOL:
		if (!parse_bool(value, (bool *)(base + k->offset))) {
			fail_msg(errbuf, errlen,
			         "invalid value \"%s\" for \"%s\" (%s): expected true or false",
			         value, k->name, origin);
			return SM_ERR_INVALID;
		}
		return SM_OK;
	}
	return SM_ERR_INTERNAL;
}

sm_err config_set(struct config *c, const char *key, const char *value, const char *origin,
                  char *errbuf, size_t errlen)
{
	const struct key_def *k = find_key(key);
	if (!k) {
		fail_msg(errbuf, errlen, "unknown configuration key \"%s\" (%s)", key, origin);
		return SM_ERR_INVALID;
	}
	return apply(c, k, value, origin, errbuf, errlen);
}

sm_err config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	char ignored[256];
	for (size_t i = 0; i < NKEYS; i++) {
		sm_err e = apply(c, &keys[i], keys[i].def, "default", ignored, sizeof(ignored));
		if (e != SM_OK) {
			config_cleanup(c);
			return e;
		}
	}
	return SM_OK;
}

void config_cleanup(struct config *c)
{
	char *base = (char *)c;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type != KEY_STRING && keys[i].type != KEY_LOG_LEVEL)
			continue;
		char **slot = (char **)(base + keys[i].offset);
		free(*slot);
		*slot = NULL;
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

sm_err config_load_file(struct config *c, const char *path, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fail_msg(errbuf, errlen, "could not open configuration file \"%s\": %s", path,
		         strerror(errno));
		return SM_ERR_IO;
	}
	sm_err e = SM_OK;
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char origin[512];
		snprintf(origin, sizeof(origin), "%s line %d", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			fail_msg(errbuf, errlen, "line too long (%s)", origin);
			e = SM_ERR_INVALID;
			goto out;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fail_msg(errbuf, errlen, "expected \"key = value\" (%s)", origin);
			e = SM_ERR_INVALID;
			goto out;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		size_t vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		e = config_set(c, key, value, origin, errbuf, errlen);
		if (e != SM_OK)
			goto out;
	}
	if (ferror(f)) {
		fail_msg(errbuf, errlen, "could not read configuration file \"%s\"", path);
		e = SM_ERR_IO;
	}
out:
	fclose(f);
	return e;
}

sm_err config_load_env(struct config *c, const char *(*getenv_fn)(const char *name), char *errbuf,
                       size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char var[128] = "SAMENMETEN_";
		size_t n = strlen(var);
		for (const char *p = keys[i].name; *p && n + 1 < sizeof(var); p++)
			var[n++] = (char)toupper((unsigned char)*p);
		var[n] = '\0';
		const char *v = getenv_fn(var);
		if (!v && strcmp(keys[i].name, "port") == 0) {
			v = getenv_fn("PORT");
			if (v)
				snprintf(var, sizeof(var), "PORT");
		}
		if (!v)
			continue;
		char origin[160];
		snprintf(origin, sizeof(origin), "environment variable %s", var);
		sm_err e = apply(c, &keys[i], v, origin, errbuf, errlen);
		if (e != SM_OK)
			return e;
	}
	return SM_OK;
}

sm_err config_validate(const struct config *c, char *errbuf, size_t errlen)
{
	if (c->database_url[0] == '\0') {
		fail_msg(
		    errbuf, errlen,
		    "no database configured: set \"database_url\" in the configuration file or "
		    "SAMENMETEN_DATABASE_URL (make run starts a local database for you)");
		return SM_ERR_INVALID;
	}
	if (c->open_workers > c->database_pool_size ||
	    c->upload_workers + c->admin_workers > c->database_pool_size) {
		fail_msg(errbuf, errlen,
		         "more workers than database connections: \"open_workers\" (%d) and "
		         "\"upload_workers\" + \"admin_workers\" (%d) must each be at most "
		         "\"database_pool_size\" (%d)",
		         c->open_workers, c->upload_workers + c->admin_workers,
		         c->database_pool_size);
		return SM_ERR_INVALID;
	}
	if (c->admin_token[0] && strlen(c->admin_token) < 16) {
		fail_msg(errbuf, errlen, "the admin token must be at least 16 characters long");
		return SM_ERR_INVALID;
	}
	return SM_OK;
}

void config_each_key(void (*fn)(const char *key, void *arg), void *arg)
{
	for (size_t i = 0; i < NKEYS; i++)
		fn(keys[i].name, arg);
}
