/* What every handler may use, set up once at start and shared read-only by
 * all request threads. */
#ifndef SAMENMETEN_APP_H
#define SAMENMETEN_APP_H

#include <stddef.h>

#include "catalogue.h"
#include "config.h"
#include "csp.h"
#include "db.h"
#include "pseudonym.h"
#include "ratelimit.h"
#include "router.h"

struct app {
	const struct config *cfg;
	struct db_pool *db;          /* the primary: writes and reads */
	struct db_pool *db_read;     /* open-data reads; == db when no read URL is set */
	struct db_pool *db_download; /* dataset downloads, on the read URL: no statement
	                              * timeout, download_max connections */
	uint8_t admin_token_hash[PSEUDONYM_BYTES];
	char *openapi; /* the contract, served as is */
	size_t openapi_len;
	const struct route *routes;
	size_t nroutes;
	struct ratelimit *limit_address; /* per client address */
	struct ratelimit *limit_token;   /* per bearer token */
	struct static_site *web;         /* the dashboard's files; NULL: none installed */
	char csp_dashboard[CSP_MAX];     /* the dashboard's Content-Security-Policy */
	struct catalogue *catalogue;     /* the rendered project catalogue */
	struct answer_cache *answers;    /* open answers kept a few seconds */
};

/* Answers a failed database call: 503 with Retry-After when the database
 * cannot be reached, 500 otherwise. */
void respond_db_error(struct request *r, sm_err e);

#endif
