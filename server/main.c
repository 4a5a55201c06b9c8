/* samenmeten: the Samen Meten Utrecht open-data service.
 *
 *   samenmeten [--config FILE]   serve (configuration: config/samenmeten.conf.example)
 *   samenmeten --migrate-only    apply the migrations in sql/ and exit
 *   samenmeten --list-routes     print "METHOD PATTERN" per route and exit
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer_cache.h"
#include "app.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "jsonin.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "pseudonym.h"
#include "refresher.h"
#include "replica.h"
#include "routes.h"
#include "static.h"

#define START_WAIT_S 30
#define OPENAPI_MAX_BYTES (4u << 20)
/* Rate-limit buckets per limiter: many more than the clients busy at once. */
#define RATE_LIMIT_SLOTS 8192
/* The dashboard's files: at most this many, of this many bytes together
 * (bodies and their gzip copies). */
#define WEB_MAX_FILES 256
#define WEB_MAX_BYTES (64u << 20)
/* How often the refresher looks for changed days when none waited. */
#define REFRESH_IDLE_MS 1000
/* How often the cached project catalogue asks whether it changed. */
#define CATALOGUE_CHECK_MS 1000
/* How often the read replica's health and lag are checked. */
#define REPLICA_CHECK_MS 1000

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static void usage(FILE *f)
{
	fputs("usage: samenmeten [--config FILE] [--migrate-only | --list-routes]\n"
	      "Configuration keys are documented in config/samenmeten.conf.example;\n"
	      "environment variables SAMENMETEN_<KEY> (and PORT) override the file.\n",
	      f);
}

static sm_err load_config(struct config *cfg, const char *path, char *err, size_t errlen)
{
	sm_err e = config_init(cfg);
	if (e != SM_OK)
		return e;
	if (!path)
		path = getenv("SAMENMETEN_CONFIG");
	if (path && *path) {
		e = config_load_file(cfg, path, err, errlen);
		if (e != SM_OK)
			return e;
	}
	e = config_load_env(cfg, env_lookup, err, errlen);
	if (e != SM_OK)
		return e;
	return config_validate(cfg, err, errlen);
}

/* The absolute form of an existing path, for messages; the path itself when
 * that cannot be had. */
static const char *absolute(const char *path, char *out, size_t outlen)
{
	char *real = realpath(path, NULL);
	snprintf(out, outlen, "%s", real ? real : path);
	free(real);
	return out;
}

static sm_err read_whole_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return SM_ERR_IO;
	struct buf b;
	buf_init(&b, OPENAPI_MAX_BYTES);
	char chunk[8192];
	size_t n;
	sm_err e = SM_OK;
	while (e == SM_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		e = buf_append(&b, chunk, n);
	fclose(f);
	if (e != SM_OK) {
		buf_cleanup(&b);
		return e;
	}
	*out = buf_steal(&b, len);
	return *out ? SM_OK : SM_ERR_IO;
}

/* Loads the dashboard's files and makes its Content-Security-Policy. A
 * missing web_dir is no error: the service runs without a dashboard. */
static sm_err load_web(struct app *app, char *err, size_t errlen)
{
	const struct config *cfg = app->cfg;
	char origin[256] = "";
	if (cfg->tile_url[0] && !csp_origin(cfg->tile_url, origin, sizeof(origin))) {
		snprintf(err, errlen,
		         "invalid value \"%s\" for \"tile_url\": expected an http or https URL "
		         "template such as https://host/{z}/{x}/{y}.png",
		         cfg->tile_url);
		return SM_ERR_INVALID;
	}
	csp_dashboard(origin, app->csp_dashboard, sizeof(app->csp_dashboard));
	const struct static_var vars[] = {{"tile_url", cfg->tile_url},
	                                  {"tile_attribution", cfg->tile_attribution}};
	sm_err e = static_load(cfg->web_dir, vars, sizeof(vars) / sizeof(vars[0]), WEB_MAX_FILES,
	                       WEB_MAX_BYTES, &app->web, err, errlen);
	if (e == SM_ERR_NOT_FOUND) {
		log_warn("%s: serving no dashboard (`make web` installs it)", err);
		err[0] = '\0';
		return SM_OK;
	}
	if (e == SM_OK)
		log_info("serving the dashboard from %s (%zu files, %zu bytes with gzip copies)",
		         cfg->web_dir, app->web->nfiles, app->web->bytes);
	return e;
}

/* Applies the migrations, waiting up to START_WAIT_S for the database to
 * accept connections (it may be starting beside us). */
static sm_err run_migrations(const struct config *cfg, char *err, size_t errlen)
{
	PGconn *pg = NULL;
	sm_err e = SM_OK;
	for (int waited = 0;; waited++) {
		e = db_connect(cfg->database_url, &pg, err, errlen);
		if (e != SM_ERR_UNAVAILABLE || waited >= START_WAIT_S)
			break;
		if (waited == 0)
			log_warn("%s; waiting up to %d s", err, START_WAIT_S);
		struct timespec second = {1, 0};
		nanosleep(&second, NULL);
	}
	if (e != SM_OK)
		return e;
	int applied = 0;
	e = migrate_run(pg, cfg->migrations_dir, &applied, err, errlen);
	PQfinish(pg);
	if (e == SM_OK)
		log_info("database schema is current (%d migration%s applied now)", applied,
		         applied == 1 ? "" : "s");
	return e;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	bool migrate_only = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "--migrate-only") == 0) {
			migrate_only = true;
		} else if (strcmp(argv[i], "--list-routes") == 0) {
			for (size_t r = 0; r < nroutes; r++)
				printf("%s %s\n", routes[r].method, routes[r].pattern);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	if (sodium_init() < 0) {
		fputs("samenmeten: cannot initialise libsodium\n", stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	jsonin_init(); /* before any thread uses jansson */
	/* Memory of a large request goes back to the system (seen: 183 MiB
	 * kept after a 16 MiB GeoJSON object was parsed and freed on a worker).
	 * glibc raises its thresholds by itself once a large block is freed (up
	 * to 32 MiB for mmap, 64 MiB for trimming): fixed ones instead. Small
	 * blocks freed to fastbins are merged into a worker arena's top only by
	 * malloc_trim, which trims the top of the main arena alone: no
	 * fastbins (tcache still serves small blocks). http.c trims after
	 * large requests. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MXFAST, 0);

	int status = 1;
	char err[1024] = "";
	struct config cfg;
	struct app app = {.cfg = &cfg, .routes = routes, .nroutes = nroutes};
	struct http_server *srv = NULL;
	struct refresher *refresher = NULL;
	struct db_pool *primary_reads = NULL;     /* open-data reads on the primary */
	struct db_pool *primary_downloads = NULL; /* downloads on the primary */
	struct replica *replica = NULL;
	bool metrics_ready = false;
	const char **methods = NULL, **patterns = NULL; /* route labels for the metrics */

	sm_err e = load_config(&cfg, config_path, err, sizeof(err));
	if (e != SM_OK) {
		fprintf(stderr, "samenmeten: %s\n", err[0] ? err : sm_err_str(e));
		config_cleanup(&cfg);
		return 2;
	}
	enum log_level level = LOG_INFO;
	if (log_level_parse(cfg.log_level, &level))
		log_set_level(level);

	if (cfg.migrate_on_start || migrate_only) {
		e = run_migrations(&cfg, err, sizeof(err));
		if (e != SM_OK) {
			log_error("%s", err);
			goto out;
		}
		if (migrate_only) {
			status = 0;
			goto out;
		}
	}

	bool created = false;
	char where[PATH_MAX];
	e = pseudonym_keys_load(cfg.key_file, &created, err, sizeof(err));
	if (e != SM_OK) {
		log_error("%s", err);
		goto out;
	}
	if (created)
		log_info(
		    "created a new pseudonymisation key in %s (mode 0600): back it up; without it "
		    "stored pseudonyms cannot be matched again",
		    absolute(cfg.key_file, where, sizeof(where)));
	e = auth_admin_init(&app, &created, err, sizeof(err));
	if (e != SM_OK) {
		log_error("%s", err);
		goto out;
	}
	if (created)
		log_info("created an admin token in %s (mode 0600)",
		         absolute(cfg.admin_token_file, where, sizeof(where)));

	if (read_whole_file(cfg.openapi_file, &app.openapi, &app.openapi_len) != SM_OK) {
		log_error("could not read the API description \"%s\"", cfg.openapi_file);
		goto out;
	}
	e = load_web(&app, err, sizeof(err));
	if (e != SM_OK) {
		log_error("%s", err);
		goto out;
	}
	double burst_s = cfg.rate_limit_burst_s;
	if (ratelimit_new(cfg.rate_limit_address_per_s, burst_s * cfg.rate_limit_address_per_s,
	                  RATE_LIMIT_SLOTS, &app.limit_address) != SM_OK ||
	    ratelimit_new(cfg.rate_limit_token_per_s, burst_s * cfg.rate_limit_token_per_s,
	                  RATE_LIMIT_SLOTS, &app.limit_token) != SM_OK) {
		log_error("out of memory");
		goto out;
	}
	/* Writes and open-data reads have pools of their own, even on one
	 * server: a crowd of maps cannot take the connections that uploads
	 * need, and a read that runs away is stopped at query_timeout_ms
	 * (downloads lift it for their own transaction). */
	/* With a read replica, open-data reads go to it while it answers, and
	 * to a pool of reads on the primary while it does not (server/replica.c
	 * checks it every second). */
	const struct db_pool_options writes = {cfg.database_pool_size, cfg.database_pool_wait_ms,
	                                       DB_FOR_REQUESTS, 0, NULL};
	const struct db_pool_options reads = {cfg.database_pool_size, cfg.database_pool_wait_ms,
	                                      DB_FOR_REQUESTS, cfg.query_timeout_ms, NULL};
	/* Downloads hold a connection as long as their client reads: a pool
	 * of their own, so that slow readers cannot take the connections
	 * aggregates need. */
	const struct db_pool_options downloads = {cfg.download_max, cfg.database_pool_wait_ms,
	                                          DB_FOR_REQUESTS, 0, NULL};
	if (db_pool_open(&app.db, cfg.database_url, &writes) != SM_OK ||
	    db_pool_open(&primary_reads, cfg.database_url, &reads) != SM_OK ||
	    db_pool_open(&primary_downloads, cfg.database_url, &downloads) != SM_OK)
		goto out;
	if (cfg.database_read_url[0]) {
		/* Reads and downloads on the standby, each falling back to the
		 * primary while it cannot be reached. */
		struct db_pool_options replica_reads = reads, replica_downloads = downloads;
		replica_reads.fallback = primary_reads;
		replica_downloads.fallback = primary_downloads;
		if (db_pool_open(&app.db_read, cfg.database_read_url, &replica_reads) != SM_OK ||
		    db_pool_open(&app.db_download, cfg.database_read_url, &replica_downloads) !=
		        SM_OK)
			goto out;
	} else {
		app.db_read = primary_reads;
		app.db_download = primary_downloads;
	}
	if (catalogue_new(app.db_read, CATALOGUE_CHECK_MS, &app.catalogue) != SM_OK ||
	    answer_cache_new(cfg.answer_cache_s, (size_t)cfg.answer_cache_mb << 20, &app.answers) !=
	        SM_OK)
		goto out;

	methods = calloc(nroutes, sizeof(*methods));
	patterns = calloc(nroutes, sizeof(*patterns));
	if (!methods || !patterns)
		goto out;
	for (size_t i = 0; i < nroutes; i++) {
		methods[i] = routes[i].method;
		patterns[i] = routes[i].pattern;
	}
	if (metrics_init(methods, patterns, nroutes) != SM_OK)
		goto out;
	metrics_ready = true;

	/* Signals are taken by this thread with sigwait; the server's threads,
	 * started after this, inherit the blocked mask. */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (cfg.database_read_url[0] &&
	    replica_start(app.db_read, REPLICA_CHECK_MS, cfg.database_read_max_lag_s, &replica) !=
	        SM_OK) {
		log_error("could not start the read replica's health check");
		goto out;
	}
	const struct retention_policy retention = {cfg.raw_retention_months,
	                                           cfg.raw_retention_other_months, 0};
	if (refresher_start(cfg.database_url, REFRESH_IDLE_MS, &retention, &refresher) != SM_OK) {
		log_error("could not start the refresher");
		goto out;
	}

	e = http_start(&app, &srv, err, sizeof(err));
	if (e != SM_OK) {
		log_error("%s", err);
		goto out;
	}
	log_info("listening on http://%s:%d (%s)", cfg.listen_address, cfg.port,
	         cfg.http_threads ? "thread pool" : "thread per connection");

	int sig = 0;
	while (sigwait(&stop_signals, &sig) != 0)
		;
	log_info("received %s: finishing requests in flight, then stopping",
	         sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(srv, cfg.shutdown_timeout_s);
	srv = NULL;
	log_info("stopped");
	status = 0;
out:
	http_stop(srv, 0);
	refresher_stop(refresher);
	replica_stop(replica);
	catalogue_free(app.catalogue);
	answer_cache_free(app.answers);
	if (app.db_download != primary_downloads)
		db_pool_close(app.db_download);
	db_pool_close(primary_downloads);
	if (app.db_read != primary_reads)
		db_pool_close(app.db_read);
	db_pool_close(primary_reads);
	db_pool_close(app.db);
	if (metrics_ready)
		metrics_cleanup();
	free(methods);
	free(patterns);
	free(app.openapi);
	ratelimit_free(app.limit_address);
	ratelimit_free(app.limit_token);
	static_free(app.web);
	pseudonym_keys_cleanup();
	config_cleanup(&cfg);
	return status;
}
