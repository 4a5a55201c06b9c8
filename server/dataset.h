/* Open datasets in the formats researchers download: CSV, NDJSON and
 * GeoJSON, written from lines the database renders (sql/017_dataset_hours.sql
 * for air, sql/018_dataset_traffic_heat.sql for traffic and heat).
 *
 * A line is one published row as CSV in its family's column order, the
 * first field an id or key and the second a time; values never need CSV
 * quoting. In the air and heat layouts the first field is a key (a trip's
 * "<device uuid>|<epoch of its start>", a station's "station|<device uuid>")
 * that becomes a publication pseudonym here, "trip-" and 20 or "station-"
 * and 16 hex digits of an HMAC under the publication subkey, which the
 * database never holds; rows of one time are then put in pseudonym order,
 * so that they come in (time, pseudonym) order as the API promises. Traffic
 * lines carry the public segment id and come in the database's order.
 * Cell layouts (sql/025_air_cell_dataset.sql, 026_experience_open.sql) start with the cell's
 * period, come in the database's order, and end each line with the cell's four corners, which
 * become the GeoJSON feature's polygon and nothing else. Needs the pseudonym keys loaded; no
 * database, no HTTP. */
#ifndef SAMENMETEN_DATASET_H
#define SAMENMETEN_DATASET_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* DATASET_AIR: an air project's published readings, points (for
 * researchers); DATASET_AIR_CELLS: its open dataset, k-anonymous cells;
 * DATASET_EXPERIENCE_CELLS: an experience project's, the same way. */
enum dataset_family {
	DATASET_AIR,
	DATASET_TRAFFIC,
	DATASET_HEAT,
	DATASET_AIR_CELLS,
	DATASET_EXPERIENCE_CELLS,
};
#define DATASET_FAMILIES 5
enum dataset_format { DATASET_CSV, DATASET_NDJSON, DATASET_GEOJSON };

/* Fields a line may have; the widest layout (air cells) has 32 and its
 * cell's 8 corner fields. */
#define DATASET_MAX_COLUMNS 48
/* The longest pseudonym: "station-" + 16 or "trip-" + 20 hex digits. */
#define DATASET_NAME_MAX 25

struct dataset_writer;

/* A writer for one download; owned by the caller, free with
 * dataset_writer_free. SM_ERR_NOMEM only. */
MUST_CHECK sm_err dataset_writer_new(enum dataset_family family, enum dataset_format format,
                                     struct dataset_writer **out);
/* Safe with NULL. */
void dataset_writer_free(struct dataset_writer *w);

/* Appends to `out` what comes before the rows: CSV's header row, or the
 * GeoJSON FeatureCollection's members up to its features, with `licence`
 * (borrowed). NDJSON has none. */
MUST_CHECK sm_err dataset_write_head(struct dataset_writer *w, const char *licence,
                                     struct buf *out);

/* Appends the rows of lines[0, len) (borrowed; each line ends in '\n',
 * lines come in time order, and rows of one time come in one call: the
 * database renders an hour or a day at a time), a time at a time, until
 * `out` holds `enough` bytes or the lines end; *used is how many bytes of
 * lines were written. Call again with the rest. SM_ERR_INVALID when a line
 * does not have the layout's form; buffer errors as buf_append. */
MUST_CHECK sm_err dataset_write_lines(struct dataset_writer *w, const char *lines, size_t len,
                                      size_t enough, struct buf *out, size_t *used);

/* Appends what comes after the last row (GeoJSON's closing brackets). */
MUST_CHECK sm_err dataset_write_tail(struct dataset_writer *w, struct buf *out);

/* The publication pseudonym of a key in `family`'s layout into out
 * (NUL-terminated); its length, 0 for a family without keys. */
size_t dataset_pseudonym(enum dataset_family family, const char *key, size_t len,
                         char out[DATASET_NAME_MAX + 1]);

#endif
