#include "dbjson.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

sm_err dbjson_text(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
                   char **out, size_t *len)
{
	*out = NULL;
	struct db_conn *c;
	sm_err e = db_acquire(pool, &c);
	if (e != SM_OK)
		return e;
	PGresult *res = NULL;
	e = db_exec(c, stmt, params, &res);
	db_release(pool, c);
	if (e != SM_OK)
		return e;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return SM_ERR_NOT_FOUND;
	}
	*len = (size_t)PQgetlength(res, 0, 0);
	*out = malloc(*len + 1);
	if (*out) {
		memcpy(*out, PQgetvalue(res, 0, 0), *len + 1);
	}
	PQclear(res);
	return *out ? SM_OK : SM_ERR_NOMEM;
}

sm_err dbjson_one(struct db_pool *pool, const struct db_stmt *stmt, const char *const *params,
                  json_t **out)
{
	*out = NULL;
	struct db_conn *c;
	sm_err e = db_acquire(pool, &c);
	if (e != SM_OK)
		return e;
	PGresult *res = NULL;
	e = db_exec(c, stmt, params, &res);
	db_release(pool, c);
	if (e != SM_OK)
		return e;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		e = SM_ERR_NOT_FOUND;
		goto out;
	}
	json_error_t jerr;
	*out = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &jerr);
	if (!*out) {
		log_error("statement %s returned JSON jansson cannot read: %s", stmt->name,
		          jerr.text);
		e = SM_ERR_INTERNAL;
	}
out:
	PQclear(res);
	return e;
}
