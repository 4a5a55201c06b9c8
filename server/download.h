/* Open datasets streamed from PostgreSQL: COPY (query) TO STDOUT hands out
 * the dataset an hour or a day of lines at a time (sql/017, sql/018), and
 * dataset.c writes them in the asked format as the HTTP response takes them,
 * so memory holds one hour of lines and a block of output whatever the
 * dataset's size. A download holds one read connection until it ends.
 * Never sees HTTP. */
#ifndef SAMENMETEN_DOWNLOAD_H
#define SAMENMETEN_DOWNLOAD_H

#include <stddef.h>

#include "dataset.h"
#include "db.h"
#include "scalar.h"

struct download;

/* Starts the dataset of project `project` (its id; a project of `family`)
 * for [from, to) in `format`. `licence` (borrowed) goes into a GeoJSON
 * answer. *out is owned by the caller:
 * download_read until it returns 0 or -1, then download_close. */
MUST_CHECK sm_err download_open(struct db_pool *pool, enum dataset_family family, long long project,
                                const char *licence, usec_t from, usec_t to,
                                enum dataset_format format, struct download **out);

/* Fills up to max bytes; the count, 0 at the end, -1 on a failure. */
long download_read(void *download, char *buf, size_t max);

/* Ends the download (rolls back if it did not finish) and frees it. */
void download_close(void *download);

#endif
