/* The refresher: a thread that keeps current what ingest leaves to the
 * background: the cells with their participants counted
 * (sql/016_air_cell_period.sql) and the rendered hours of the open air
 * datasets (sql/017_dataset_hours.sql); and it drops the raw months past
 * retention (server/retention.c). It brings one waiting day up to
 * date per transaction, on a connection of its own, and waits a while when
 * none waits; then it recounts the project catalogue's figures
 * (sql/023_catalogue.sql). Queries never depend on it being done: a waiting
 * day is read from the rollups, or rendered live. Several servers on one
 * database elect one refresher: the one whose connection holds an advisory
 * lock; the others try to take it every idle_ms, and one of them does once
 * the leader's connection is gone. */
#ifndef SAMENMETEN_REFRESHER_H
#define SAMENMETEN_REFRESHER_H

#include "err.h"
#include "retention.h"

struct refresher;

/* Starts the thread on the database at `url`; it looks for waiting days
 * every `idle_ms` when there were none, and drops raw months as `retention`
 * (copied; lock_timeout_ms 0: the default) says (server/retention.h). */
MUST_CHECK sm_err refresher_start(const char *url, int idle_ms,
                                  const struct retention_policy *retention, struct refresher **out);

/* Stops the thread (after the day in hand, if any) and frees it. NULL is
 * allowed. */
void refresher_stop(struct refresher *r);

#endif
