/* The read replica's health check: a thread that asks the database behind
 * database_read_url every interval whether it answers and how far its
 * replay is behind, marks its pool up or down accordingly (while down,
 * open-data reads go to the primary: db.c's fallback; also while it is
 * further behind than allowed), and reports both in
 * /metrics (samenmeten_read_replica_up, samenmeten_read_replica_lag_seconds).
 * A replica that is up again is used again from the next check on. */
#ifndef SAMENMETEN_REPLICA_H
#define SAMENMETEN_REPLICA_H

#include "db.h"

struct replica;

/* Starts the checks of `pool` (borrowed; must outlive the thread). A
 * replica more than max_lag_s behind counts as down (0: no limit). */
MUST_CHECK sm_err replica_start(struct db_pool *pool, int interval_ms, int max_lag_s,
                                struct replica **out);

/* Stops the thread and frees it. NULL is allowed. */
void replica_stop(struct replica *r);

#endif
