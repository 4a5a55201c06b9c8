/* The database side of ingest, shared by every family: who the uploading
 * devices are (pseudonymised, registered on the fly where allowed), and the
 * batch itself, COPYed into a staging table and applied in one transaction
 * (a few round trips per batch, whatever its size). Never sees HTTP. */
#ifndef SAMENMETEN_INGEST_H
#define SAMENMETEN_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "db.h"
#include "pseudonym.h"
#include "scalar.h"

#define INGEST_MAX_DEVICES 1000

/* A device named in an upload. */
struct device_slot {
	char pseudonym[PSEUDONYM_HEX_BYTES]; /* of its external id */
	char id[40];                         /* its uuid, once resolved; "" if unknown */
	bool active;
	usec_t in_service_since; /* 0 when not set */
};

/* The devices of an upload, by pseudonym. */
struct device_set {
	struct device_slot slots[INGEST_MAX_DEVICES];
	size_t n;
};

/* The slot for the device whose external pseudonym is `hex`, added when
 * new. SM_ERR_TOO_LARGE past INGEST_MAX_DEVICES. */
MUST_CHECK sm_err device_set_slot(struct device_set *set, const char *hex, size_t *slot);

/* Looks every slot up in project_id; with auto_register, registers the
 * unknown ones (their participant is the device itself, their token random
 * and unknown to anyone until rotated). Unknown slots keep id "". */
MUST_CHECK sm_err ingest_resolve_devices(struct db_pool *pool, long long project_id,
                                         struct device_set *set, bool auto_register);

/* The SQL of one family. */
struct ingest_family {
	const char *name; /* for logs */
	const char
	    *prepare; /* run in a transaction: statements ending in COPY <staging> FROM STDIN */
	const char *apply; /* statements whose first row is (accepted, duplicates); commits */
};

extern const struct ingest_family ingest_air;
extern const struct ingest_family ingest_traffic;
extern const struct ingest_family ingest_heat;
extern const struct ingest_family ingest_experience;

/* Copies `copy` (COPY text) into the family's staging table and applies it,
 * committed before this returns SM_OK. */
MUST_CHECK sm_err ingest_run(struct db_pool *pool, const struct ingest_family *family,
                             const struct buf *copy, long long *accepted, long long *duplicates);

/* A Snuffelfiets batch for the fast path. */
struct air_direct {
	const struct buf *copy; /* rows in air_reading's column order */
	size_t rows;
	usec_t lo, hi; /* the batch's first and last recorded_at */
	/* Trip segments the batch makes, as PostgreSQL array literals of equal
	 * length: devices (uuid), starts and ends (timestamptz). */
	const struct buf *trip_devices, *trip_starts, *trip_ends;
};

/* COPYs the batch straight into air_reading and extends the trips, in one
 * transaction. When a reading of the batch is stored already (a retry), it
 * rolls back to a savepoint and takes the staging path instead, which skips
 * what is stored. Committed before SM_OK. */
MUST_CHECK sm_err ingest_air_direct(struct db_pool *pool, const struct air_direct *in,
                                    long long *accepted, long long *duplicates);

/* COPY text format writers: values in a row, then copy_row_end. */
MUST_CHECK sm_err copy_text(struct buf *b, const char *s);
MUST_CHECK sm_err copy_double(struct buf *b, double v); /* NAN: NULL */
/* v as decimal text with at most nine decimals (finite v); returns the length. */
size_t copy_format_double(double v, char out[40]);
MUST_CHECK sm_err copy_int(struct buf *b, long long v);
MUST_CHECK sm_err copy_time(struct buf *b, usec_t t); /* 0: NULL */
MUST_CHECK sm_err copy_null(struct buf *b);
MUST_CHECK sm_err copy_row_end(struct buf *b);

#endif
