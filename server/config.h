/* Server configuration: built-in defaults, then a key = value file, then
 * environment variables (SAMENMETEN_<KEY>, and PORT). Every key is documented
 * in config/samenmeten.conf.example. An unknown key or a bad value is an
 * error that names it. */
#ifndef SAMENMETEN_CONFIG_H
#define SAMENMETEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct config {
	char *listen_address;
	int port;
	char *database_url;
	char *database_read_url;     /* empty: reads go to the primary */
	int database_read_max_lag_s; /* a replica further behind is not read; 0: no limit */
	int database_pool_size;
	int database_pool_wait_ms;
	int database_retry_after_s;
	int query_timeout_ms; /* an open-data query's limit (not a download's); 0: none */
	int answer_cache_s;   /* how long an open answer is kept; 0: not kept */
	int answer_cache_mb;  /* the memory kept answers may take */
	char *migrations_dir;
	bool migrate_on_start;
	char *openapi_file;
	char *key_file;
	char *admin_token_file;
	char *admin_token; /* empty: read (or create) admin_token_file */
	int http_threads;  /* 0: one thread per connection */
	int http_max_connections;
	int http_timeout_s;
	int http_max_connections_per_address; /* 0: no limit */
	int request_deadline_s;               /* a request's time to arrive whole; 0: none */
	/* Worker threads and waiting places per class of work (server/http.c). */
	int open_workers, open_queue;
	int upload_workers, upload_queue;
	int admin_workers, admin_queue;
	int download_max;          /* downloads at once (threads and connections) */
	size_t download_min_bytes; /* a download must take this much ... */
	int download_min_window_s; /* ... in this many seconds, or be dropped; 0: never */
	size_t max_body_bytes;
	int json_max_depth;
	int ingest_max_rows;
	int ingest_horizon_days;        /* readings older than this many days are refused */
	int ingest_max_months;          /* calendar months one upload may span */
	int raw_retention_months;       /* air readings' months kept; 0: forever */
	int raw_retention_other_months; /* the same for traffic, heat, experience */
	int shutdown_timeout_s;
	char *log_level;
	char *cors_allow_origin;
	int rate_limit_address_per_s; /* requests a second per client address; 0: none */
	int rate_limit_token_per_s;   /* the same per bearer token */
	int rate_limit_burst_s;       /* a burst may take this many seconds' worth at once */
	char *web_dir;                /* the dashboard's files, served at / and /docs */
	char *tile_url;         /* a base map's tile URL template; empty: none (the default) */
	char *tile_attribution; /* its attribution, shown on the map */
};

/* Sets every field to its default. Strings are owned by the config. */
MUST_CHECK sm_err config_init(struct config *c);
void config_cleanup(struct config *c);

/* Reads `path`. On failure writes a message naming the file, line and key
 * into errbuf. */
MUST_CHECK sm_err config_load_file(struct config *c, const char *path, char *errbuf, size_t errlen);

/* Applies one value by key name; `origin` names where it came from for
 * messages ("line 3 of x.conf", "environment variable PORT"). */
MUST_CHECK sm_err config_set(struct config *c, const char *key, const char *value,
                             const char *origin, char *errbuf, size_t errlen);

/* Applies SAMENMETEN_<KEY> environment variables, and PORT. `getenv_fn` is
 * getenv in the server; tests pass their own. */
MUST_CHECK sm_err config_load_env(struct config *c, const char *(*getenv_fn)(const char *name),
                                  char *errbuf, size_t errlen);

/* Checks rules that involve several keys. */
MUST_CHECK sm_err config_validate(const struct config *c, char *errbuf, size_t errlen);

/* Calls fn for every known key, in documentation order. */
void config_each_key(void (*fn)(const char *key, void *arg), void *arg);

#endif
