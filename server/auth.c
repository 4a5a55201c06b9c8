#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "secretfile.h"

/* Expired and revoked tokens are found too, to say why they are refused. */
static const struct db_stmt researcher_by_token = {
    "auth_researcher_by_token",
    "SELECT id, revoked_at IS NOT NULL, expires_at <= now(), rfc3339(expires_at) "
    "FROM researcher WHERE token_hash = decode($1, 'hex')",
    1,
};

static const struct db_stmt device_by_token = {
    "auth_device_by_token",
    "SELECT d.id, d.project_id, d.token_hash, d.active, encode(d.external_pseudonym, 'hex') "
    "FROM device d "
    "WHERE d.token_hash = decode($1, 'hex')",
    1,
};

static sm_err create_token_file(const char *path, char *errbuf, size_t errlen)
{
	char token[TOKEN_STRLEN];
	token_generate("sma_", token);
	sm_err e = secretfile_create(path, token, "admin token file", errbuf, errlen);
	sodium_memzero(token, sizeof(token));
	return e;
}

static sm_err read_token_file(const char *path, char *token, size_t len, char *errbuf,
                              size_t errlen)
{
	sm_err e = secretfile_read(path, token, len, "admin token file", errbuf, errlen);
	if (e == SM_OK && strlen(token) < 16) {
		snprintf(errbuf, errlen,
		         "admin token file \"%s\" must hold a token of 16 or more characters",
		         path);
		e = SM_ERR_INVALID;
	}
	return e;
}

sm_err auth_admin_init(struct app *app, bool *created, char *errbuf, size_t errlen)
{
	*created = false;
	const struct config *cfg = app->cfg;
	if (cfg->admin_token[0]) {
		pseudonym_hash(PSEUDO_TOKEN, cfg->admin_token, strlen(cfg->admin_token),
		               app->admin_token_hash);
		return SM_OK;
	}
	if (access(cfg->admin_token_file, F_OK) != 0) {
		sm_err e = create_token_file(cfg->admin_token_file, errbuf, errlen);
		if (e != SM_OK)
			return e;
		*created = true;
	}
	char token[512];
	sm_err e = read_token_file(cfg->admin_token_file, token, sizeof(token), errbuf, errlen);
	if (e == SM_OK)
		pseudonym_hash(PSEUDO_TOKEN, token, strlen(token), app->admin_token_hash);
	sodium_memzero(token, sizeof(token));
	return e;
}

/* The token of an "Authorization: Bearer <token>" header, or NULL. */
static const char *bearer_token(const char *header)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	return *header ? header : NULL;
}

static bool unauthorized(struct request *r, const char *detail)
{
	respond_header(r, "WWW-Authenticate", "Bearer realm=\"samenmeten\"");
	respond_problem(r, PROBLEM_UNAUTHORIZED, NULL, "%s", detail);
	return false;
}

/* Looks the token up among the devices. */
static bool device_login(struct request *r, const uint8_t hash[PSEUDONYM_BYTES])
{
	char hex[PSEUDONYM_HEX_BYTES];
	sodium_bin2hex(hex, sizeof(hex), hash, PSEUDONYM_BYTES);
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db, &c);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	const char *params[] = {hex};
	PGresult *res;
	e = db_exec(c, &device_by_token, params, &res);
	db_release(r->app->db, c);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	bool ok = false;
	if (PQntuples(res) == 1) {
		uint8_t stored[PSEUDONYM_BYTES];
		size_t n = 0;
		const char *v = PQgetvalue(res, 0, 2);
		/* bytea comes back as "\x<hex>" */
		if (strncmp(v, "\\x", 2) == 0 &&
		    sodium_hex2bin(stored, sizeof(stored), v + 2, strlen(v + 2), NULL, &n, NULL) ==
		        0 &&
		    n == PSEUDONYM_BYTES && pseudonym_equal(stored, hash)) {
			if (strcmp(PQgetvalue(res, 0, 3), "t") != 0) {
				PQclear(res);
				return unauthorized(
				    r, "the device token belongs to a deactivated device");
			}
			r->auth.role = ROLE_DEVICE;
			snprintf(r->auth.device_id, sizeof(r->auth.device_id), "%s",
			         PQgetvalue(res, 0, 0));
			r->auth.project_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			snprintf(r->auth.external, sizeof(r->auth.external), "%s",
			         PQgetvalue(res, 0, 4));
			ok = true;
		}
	}
	PQclear(res);
	return ok ? true : unauthorized(r, "the bearer token is not valid");
}

/* Looks the token up among the researchers: true with r->auth set for a
 * valid one; false with a 401 answer for an expired or revoked one, or with
 * *found false (and no answer) for a token that is not a researcher's. */
static bool researcher_login(struct request *r, const uint8_t hash[PSEUDONYM_BYTES], bool *found)
{
	*found = false;
	char hex[PSEUDONYM_HEX_BYTES];
	sodium_bin2hex(hex, sizeof(hex), hash, PSEUDONYM_BYTES);
	const char *params[] = {hex};
	PGresult *res;
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db, &c);
	if (e == SM_OK) {
		e = db_exec(c, &researcher_by_token, params, &res);
		db_release(r->app->db, c);
	}
	if (e != SM_OK) {
		*found = true; /* answered */
		respond_db_error(r, e);
		return false;
	}
	/* The lookup was by the whole hash; the unique index makes it exact. */
	bool ok = false;
	if (PQntuples(res) == 1) {
		*found = true;
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
			unauthorized(r, "the researcher token was revoked");
		} else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
			unauthorized(r, "the researcher token expired");
		} else {
			r->auth.role = ROLE_RESEARCHER;
			r->auth.researcher_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			ok = true;
		}
	}
	PQclear(res);
	return ok;
}

bool auth_needs_lookup(const struct request *r, enum route_auth need)
{
	if (need == AUTH_PUBLIC)
		return false;
	const char *token = bearer_token(r->authorization);
	if (!token)
		return false;
	uint8_t hash[PSEUDONYM_BYTES];
	pseudonym_hash(PSEUDO_TOKEN, token, strlen(token), hash);
	return !pseudonym_equal(hash, r->app->admin_token_hash);
}

bool auth_check(struct request *r, enum route_auth need)
{
	r->auth.role = ROLE_NONE;
	if (need == AUTH_PUBLIC)
		return true;
	const char *token = bearer_token(r->authorization);
	if (!token && need == AUTH_RESEARCHER)
		return unauthorized(r, "point-level readings need a researcher token in an "
		                       "\"Authorization: Bearer <token>\" header: ask the "
		                       "coordinator for one");
	if (!token)
		return unauthorized(
		    r, "this endpoint needs an \"Authorization: Bearer <token>\" header");
	uint8_t hash[PSEUDONYM_BYTES];
	pseudonym_hash(PSEUDO_TOKEN, token, strlen(token), hash);
	if (pseudonym_equal(hash, r->app->admin_token_hash)) {
		r->auth.role = ROLE_ADMIN;
		return true;
	}
	if (need == AUTH_RESEARCHER) {
		/* Point-level readings: researchers (and the admin) only. */
		bool found;
		if (researcher_login(r, hash, &found))
			return true;
		if (!found)
			unauthorized(r, "point-level readings need a researcher token: ask the "
			                "coordinator for one (the README says what a data-use "
			                "agreement covers)");
		return false;
	}
	if (!device_login(r, hash))
		return false;
	if (need == AUTH_ADMIN) {
		respond_problem(
		    r, PROBLEM_FORBIDDEN, NULL,
		    "a device token cannot be used here: this endpoint needs the admin token");
		return false;
	}
	return true;
}
