/* The project catalogue (GET /v1/projects and /v1/projects/{slug}), rendered
 * by the database (project_public_json, sql/023_catalogue.sql) and kept in
 * memory: requests copy the rendered text, and at most one request a
 * `check_ms` reads the catalogue's version (one row) to learn whether to
 * render it again. While the database cannot be reached, the last rendering
 * is served. Thread-safe. This layer never sees HTTP. */
#ifndef SAMENMETEN_CATALOGUE_H
#define SAMENMETEN_CATALOGUE_H

#include <stddef.h>

#include "db.h"

/* A strong entity tag, quotes included, NUL-terminated. */
#define CATALOGUE_ETAG_LEN 36

struct catalogue;

/* Makes an empty cache that renders from `pool` (borrowed; must outlive it).
 * Owned by the caller; free with catalogue_free. */
MUST_CHECK sm_err catalogue_new(struct db_pool *pool, int check_ms, struct catalogue **out);
/* NULL is allowed. */
void catalogue_free(struct catalogue *c);

/* Makes the next request read the version (a change this process made). */
void catalogue_invalidate(struct catalogue *c);

/* The whole list ({"items": [...]}): *body is owned by the caller (free()),
 * `len` bytes without the NUL that follows them, `etag` its tag. Errors:
 * those of the database when nothing was rendered yet. */
MUST_CHECK sm_err catalogue_list(struct catalogue *c, char **body, size_t *len,
                                 char etag[CATALOGUE_ETAG_LEN]);

/* One project, as catalogue_list; SM_ERR_NOT_FOUND when no project has
 * `slug`. */
MUST_CHECK sm_err catalogue_project(struct catalogue *c, const char *slug, char **body, size_t *len,
                                    char etag[CATALOGUE_ETAG_LEN]);

#endif
