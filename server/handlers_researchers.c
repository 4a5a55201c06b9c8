/* Researchers (admin token): point-level air readings are not open data, so
 * a coordinator issues a researcher a token for a named purpose until a
 * date, can revoke it, and reads the audit log of every point-level
 * download. The token is shown once, in the answer that creates it; only its
 * keyed hash is stored. */
#include "handlers.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "dbjson.h"
#include "pseudonym.h"
#include "scalar.h"
#include "validate.h"

#define NAME_MAX_CHARS 200
#define PURPOSE_MAX_CHARS 2000
/* The longest a token may be valid: a data-use agreement is renewed yearly. */
#define VALIDITY_MAX_DAYS 366

static const struct db_stmt researcher_insert = {
    "researcher_insert",
    "INSERT INTO researcher (name, purpose, token_hash, expires_at)"
    " VALUES ($1, $2, decode($3, 'hex'), $4::timestamptz) RETURNING researcher_json(researcher)",
    4,
};

static const struct db_stmt researcher_list = {
    "researcher_list",
    "SELECT json_build_object('items', coalesce(json_agg(researcher_json(r) ORDER BY r.id),"
    " '[]')) FROM researcher r",
    0,
};

static const struct db_stmt researcher_revoke = {
    "researcher_revoke",
    "UPDATE researcher SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::bigint"
    " RETURNING researcher_json(researcher)",
    1,
};

/* Newest first; $1 narrows to one researcher, $2 to one project. */
static const struct db_stmt audit_list = {
    "download_audit_list",
    "SELECT json_build_object('items', coalesce(json_agg(download_audit_json(a)"
    " ORDER BY a.id DESC), '[]')) FROM (SELECT a.* FROM download_audit a"
    " WHERE ($1::bigint IS NULL OR a.researcher_id = $1::bigint)"
    " AND ($2::text IS NULL OR a.project_id = (SELECT id FROM project WHERE slug = $2))"
    " ORDER BY a.id DESC LIMIT 10000) a",
    2,
};

static const struct db_stmt audit_insert = {
    "download_audit_insert",
    "INSERT INTO download_audit (researcher_id, project_id, range_from, range_to, format,"
    " request_id) SELECT $1::bigint, p.id, $3::timestamptz, $4::timestamptz, $5, $6"
    " FROM project p WHERE p.slug = $2",
    6,
};

void handle_researcher_create(struct request *r)
{
	static const char *const allowed[] = {"name", "purpose", "expires_at", NULL};
	json_t *body = NULL;
	if (!body_object(r, &body))
		return;
	const char *name, *purpose, *expires_text;
	if (!fields_known(r, body, allowed) ||
	    !field_text(r, body, "name", true, NAME_MAX_CHARS, &name) ||
	    !field_text(r, body, "purpose", true, PURPOSE_MAX_CHARS, &purpose) ||
	    !field_text(r, body, "expires_at", true, 40, &expires_text))
		goto out;
	usec_t expires;
	char why[96];
	if (scalar_time(expires_text, strlen(expires_text), false, &expires, why, sizeof(why)) !=
	    SM_OK) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "expires_at", "\"expires_at\": %s", why);
		goto out;
	}
	usec_t now = scalar_now();
	if (expires <= now || expires > now + (usec_t)VALIDITY_MAX_DAYS * 86400 * USEC_PER_SEC) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "expires_at",
		                "\"expires_at\" must lie in the future, at most %d days ahead",
		                VALIDITY_MAX_DAYS);
		goto out;
	}
	char expires_at[SCALAR_TIME_LEN], token[TOKEN_STRLEN], hash[PSEUDONYM_HEX_BYTES];
	scalar_time_format(expires, expires_at);
	token_generate("smr_", token);
	pseudonym_hex(PSEUDO_TOKEN, token, strlen(token), hash);
	const char *params[] = {name, purpose, hash, expires_at};
	json_t *researcher = NULL;
	sm_err e = dbjson_one(r->app->db, &researcher_insert, params, &researcher);
	if (e != SM_OK) {
		respond_db_error(r, e);
	} else {
		char location[64];
		snprintf(location, sizeof(location), "/v1/researchers/%lld",
		         (long long)json_integer_value(json_object_get(researcher, "id")));
		respond_header(r, "Location", location);
		json_object_set_new(researcher, "token", json_string(token));
		respond_header(r, "Cache-Control", "no-store");
		respond_json(r, 201, researcher);
	}
	sodium_memzero(token, sizeof(token));
out:
	json_decref(body);
}

void handle_researcher_list(struct request *r)
{
	json_t *list = NULL;
	sm_err e = dbjson_one(r->app->db, &researcher_list, NULL, &list);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_header(r, "Cache-Control", "no-store");
	respond_json(r, 200, list);
}

void handle_researcher_revoke(struct request *r)
{
	long long n;
	if (!param_id(r, 0, "id", &n))
		return;
	char id[24];
	snprintf(id, sizeof(id), "%lld", n);
	const char *params[] = {id};
	json_t *researcher = NULL;
	sm_err e = dbjson_one(r->app->db, &researcher_revoke, params, &researcher);
	if (e == SM_ERR_NOT_FOUND)
		respond_problem(r, PROBLEM_NOT_FOUND, NULL, "researcher %s does not exist", id);
	else if (e != SM_OK)
		respond_db_error(r, e);
	else
		respond_json(r, 200, researcher);
}

void handle_download_audit(struct request *r)
{
	const char *researcher = request_query(r, "researcher");
	const char *project = request_query(r, "project");
	char id[24];
	if (researcher) {
		int64_t v;
		if (!scalar_int(researcher, strlen(researcher), 1, INT64_MAX, &v)) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, "researcher",
			                "\"researcher\" must be a researcher's id");
			return;
		}
		snprintf(id, sizeof(id), "%lld", (long long)v);
	}
	if (project && !slug_valid(project)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "project",
		                "\"project\" must be a project's slug");
		return;
	}
	const char *params[] = {researcher ? id : NULL, project};
	json_t *list = NULL;
	sm_err e = dbjson_one(r->app->db, &audit_list, params, &list);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_header(r, "Cache-Control", "no-store");
	respond_json(r, 200, list);
}

sm_err researcher_audit_download(struct request *r, const char *slug, const char *from,
                                 const char *to, const char *format)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", r->auth.researcher_id);
	/* NULL: the admin token's download, recorded all the same. */
	const char *params[] = {
	    r->auth.role == ROLE_RESEARCHER ? id : NULL, slug, from, to, format, r->request_id};
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db, &c);
	if (e != SM_OK)
		return e;
	PGresult *res = NULL;
	e = db_exec(c, &audit_insert, params, &res);
	db_release(r->app->db, c);
	if (e == SM_OK && strcmp(PQcmdTuples(res), "1") != 0)
		e = SM_ERR_NOT_FOUND;
	PQclear(res);
	return e;
}
