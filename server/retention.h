/* Retention of raw readings: month partitions older than the configured
 * number of months are dropped, without blocking uploads or downloads.
 * Run by the elected refresher (server/refresher.c) when no changed day
 * waits. Per raw table: notes the first instant kept and deletes what
 * copies or points at the older readings (sql/031_sustained_load.sql:
 * raw_retention_begin), then for each due partition DETACH PARTITION
 * CONCURRENTLY (or FINALIZE, for one an earlier try left pending) and DROP
 * TABLE, each with a short lock_timeout: when a download still reads the
 * month, or an upload holds the table, the step gives up and the next run
 * tries again. Rollups and counted cells are never dropped. */
#ifndef SAMENMETEN_RETENTION_H
#define SAMENMETEN_RETENTION_H

#include "db.h"
#include "err.h"

struct retention_policy {
	int air_months;   /* raw_retention_months; 0: keep forever */
	int other_months; /* raw_retention_other_months: traffic, heat, experience */
	int lock_timeout_ms;
};

/* Whether the policy drops anything at all. */
bool retention_enabled(const struct retention_policy *p);

/* One run on conn (borrowed, outside a transaction): drops every due
 * partition it can. *dropped counts the partitions dropped. SM_OK when
 * nothing due is left; SM_ERR_TIMEOUT when a lock was not had (some are
 * left for the next run); other errors as db_exec. */
MUST_CHECK sm_err retention_run(struct db_conn *conn, const struct retention_policy *p,
                                int *dropped);

#endif
