/* What every ingest endpoint does the same way: decide the project and the
 * uploading device from the token, tie rows to devices, answer with counts
 * and rejected rows. */
#ifndef SAMENMETEN_HANDLERS_INGEST_H
#define SAMENMETEN_HANDLERS_INGEST_H

#include <stdbool.h>

#include "ingest.h"
#include "request.h"
#include "rowerr.h"
#include "timewindow.h"

struct ingest_target {
	long long project_id;
	bool admin;         /* the admin token, importing for a project */
	bool auto_register; /* unknown devices named by rows may be registered */
	bool has_default;   /* rows that name no device belong to slot `fallback` */
	size_t fallback;
	struct device_set *devices; /* owned; ingest_target_cleanup frees it */
	char last_ref[72];          /* the last reference hashed, and its slot: rows */
	size_t last_slot;           /* of one device come together, hash it once */
	struct time_window window;  /* set by ingest_tie_devices */
	bool air;                   /* an air project: raw_retention_months applies */
};

/* Decides the project and device for an upload of `kind` ("air", ...):
 * a device token writes to its own project and device; the admin token
 * names the project with ?project=slug and may name a device with
 * ?device=uuid. On false the response is set. */
bool ingest_target(struct request *r, const char *kind, struct ingest_target *t);
void ingest_target_cleanup(struct ingest_target *t);

/* Parses the body as JSON (any value; *root owned by the caller). On false
 * a 400 naming the syntax error is the response. */
bool ingest_json_body(struct request *r, json_t **root);

/* The rows of one upload as the shared steps see them; each family gives
 * its own accessors. */
struct ingest_rows {
	void *batch;
	size_t n;
	struct row_errors *errors;
	const char *device_field; /* the column or member that names the device */
	bool device_optional;     /* rows may belong to no device (segment-level reports) */
	/* Row i: its index in the upload, its device reference (wiped once
	 * pseudonymised) and where its device slot goes. */
	void (*row)(void *batch, size_t i, size_t *index, char **ref, size_t **slot);
	/* Writes row i as COPY text; device is NULL for a row without one. */
	sm_err (*copy)(struct buf *copy, const void *batch, size_t i,
	               const struct device_slot *device);
	/* Row i's time, and the column or member that holds it. */
	usec_t (*time)(const void *batch, size_t i, const char **field);
};

/* Ties every row to its device slot and resolves the slots (registering new
 * devices where allowed), and sets the upload's time window (timewindow.h)
 * from its rows. On false the response is set. */
bool ingest_tie_devices(struct request *r, struct ingest_target *t, const struct ingest_rows *rows);

/* True when row i cannot be stored (its device is unknown or deactivated,
 * or its time lies before the upload's window); the reason is then listed
 * in rows->errors. */
bool ingest_row_refused(const struct ingest_target *t, const struct ingest_rows *rows, size_t i);

/* Ties the rows to devices, stores the rest through `family`'s staging
 * table, and answers. */
void ingest_store(struct request *r, struct ingest_target *t, const struct ingest_rows *rows,
                  const struct ingest_family *family);

/* Answers a parse failure of the whole body: 400, or 413 over the row cap. */
void respond_unparsable(struct request *r, sm_err e, const char *why);

/* The answer to a committed upload: 200 with {accepted, duplicates,
 * rejected, errors}; 422 problem with the same members when every row was
 * rejected. */
void respond_ingest(struct request *r, long long accepted, long long duplicates,
                    const struct row_errors *errs);

#endif
