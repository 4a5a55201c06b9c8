/* Bearer tokens. The admin token comes from the configuration or a file that
 * is created on first start; only its keyed hash is kept in memory. Device
 * tokens are stored as keyed hashes; a request's token is hashed and looked
 * up, and the hashes are compared in constant time. */
#ifndef SAMENMETEN_AUTH_H
#define SAMENMETEN_AUTH_H

#include <stdbool.h>

#include "app.h"
#include "request.h"

/* Sets app->admin_token_hash from cfg->admin_token, or from the admin token
 * file (created with a new random token, mode 0600, when missing: *created
 * set). The pseudonym keys must be loaded. */
MUST_CHECK sm_err auth_admin_init(struct app *app, bool *created, char *errbuf, size_t errlen);

/* True when auth_check for `need` would look the request's token up in the
 * database (a bearer token that is not the admin token, on a route that
 * needs one); false when it decides from memory alone. */
bool auth_needs_lookup(const struct request *r, enum route_auth need);

/* Decides who is calling for a route that needs `need`; sets r->auth. On
 * false a 401 or 403 problem is already the response. */
MUST_CHECK bool auth_check(struct request *r, enum route_auth need);

#endif
