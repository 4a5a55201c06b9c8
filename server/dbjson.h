/* Statements whose answer is one JSON value, built by PostgreSQL
 * (json_build_object, json_agg): the handlers pass it on without copying
 * rows field by field. */
#ifndef SAMENMETEN_DBJSON_H
#define SAMENMETEN_DBJSON_H

#include <jansson.h>

#include "db.h"

/* Runs stmt on a connection from pool and parses column 0 of row 0.
 * SM_ERR_NOT_FOUND when there is no row or the value is NULL; other errors
 * as db_exec. *out is owned by the caller on SM_OK. */
MUST_CHECK sm_err dbjson_one(struct db_pool *pool, const struct db_stmt *stmt,
                             const char *const *params, json_t **out);

/* The same statement's column 0 of row 0 as text (owned; free()), for
 * answers passed on as they are. */
MUST_CHECK sm_err dbjson_text(struct db_pool *pool, const struct db_stmt *stmt,
                              const char *const *params, char **out, size_t *len);

#endif
