/* Open datasets streamed from PostgreSQL: COPY (query) TO STDOUT feeds the
 * HTTP response chunk by chunk, so memory stays constant whatever the size.
 * A download holds one read connection until it ends. Never sees HTTP. */
#ifndef SAMENMETEN_DOWNLOAD_H
#define SAMENMETEN_DOWNLOAD_H

#include <stddef.h>

#include "db.h"
#include "scalar.h"

enum download_format { DOWNLOAD_CSV, DOWNLOAD_NDJSON, DOWNLOAD_GEOJSON };

struct download;

/* Starts the air dataset of project `slug` for [from, to) in `format`.
 * `licence` goes into a GeoJSON answer. *out is owned by the caller:
 * download_read until it returns 0 or -1, then download_close. */
MUST_CHECK sm_err download_air(struct db_pool *pool, const char *slug, const char *licence,
                               usec_t from, usec_t to, enum download_format format,
                               struct download **out);

/* Fills up to max bytes; the count, 0 at the end, -1 on a failure. */
long download_read(void *download, char *buf, size_t max);

/* Ends the download (rolls back if it did not finish) and frees it. */
void download_close(void *download);

#endif
