/* The open air dataset in the formats researchers download: CSV, NDJSON and
 * GeoJSON, written from the lines the database renders per hour
 * (sql/017_dataset_hours.sql).
 *
 * A line is one published reading as CSV in the dataset's column order
 * (DATASET_COLUMNS below), except that its first field is the trip's key,
 * "<device uuid>|<epoch of its start>". Here the key becomes the trip's
 * publication pseudonym, "trip-" and 20 hex digits of an HMAC under the
 * publication subkey, which the database never holds; readings at the same
 * time are put in pseudonym order, so that rows come in (recorded_at, trip)
 * order as the API promises. Needs the pseudonym keys loaded; no database,
 * no HTTP. */
#ifndef SAMENMETEN_DATASET_H
#define SAMENMETEN_DATASET_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum dataset_format { DATASET_CSV, DATASET_NDJSON, DATASET_GEOJSON };

/* Fields per line, the trip's key first. */
#define DATASET_COLUMNS 13
/* "trip-" + 20 hex digits. */
#define DATASET_TRIP_NAME_LEN 25

struct dataset_writer;

/* A writer for one download; owned by the caller, free with
 * dataset_writer_free. SM_ERR_NOMEM only. */
MUST_CHECK sm_err dataset_writer_new(enum dataset_format format, struct dataset_writer **out);
/* Safe with NULL. */
void dataset_writer_free(struct dataset_writer *w);

/* Appends to `out` what comes before the rows: CSV's header row, or the
 * GeoJSON FeatureCollection's members up to its features, with `licence`
 * (borrowed). NDJSON has none. */
MUST_CHECK sm_err dataset_write_head(struct dataset_writer *w, const char *licence,
                                     struct buf *out);

/* Appends the rows of lines[0, len) (borrowed; each line ends in '\n',
 * lines come in time order, and readings of one time come in one call: the
 * database renders an hour at a time), a time at a time, until `out` holds
 * `enough` bytes or the lines end; *used is how many bytes of lines were
 * written. Call again with the rest. SM_ERR_INVALID when a line does not
 * have the dataset's form; buffer errors as buf_append. */
MUST_CHECK sm_err dataset_write_lines(struct dataset_writer *w, const char *lines, size_t len,
                                      size_t enough, struct buf *out, size_t *used);

/* Appends what comes after the last row (GeoJSON's closing brackets). */
MUST_CHECK sm_err dataset_write_tail(struct dataset_writer *w, struct buf *out);

/* The publication pseudonym of a trip key, NUL-terminated. */
void dataset_trip_name(const char *key, size_t len, char out[DATASET_TRIP_NAME_LEN + 1]);

#endif
