/* Prometheus metrics: requests by route, method and status, a latency
 * histogram per route, database errors, the worker pools. Lock-free
 * counters. */
#ifndef SAMENMETEN_METRICS_H
#define SAMENMETEN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* methods[i] and patterns[i] label route i ("GET", "/v1/projects"); both
 * arrays are borrowed for the life of the process. Route index `nroutes`
 * stands for requests that matched none. Counters start at zero. */
MUST_CHECK sm_err metrics_init(const char *const *methods, const char *const *patterns,
                               size_t nroutes);
void metrics_cleanup(void);

void metrics_observe(size_t route, int status, double seconds);
void metrics_db_error(void);
/* A statement sent to the database (prepare: a statement prepared), for a
 * request or by a background task. */
void metrics_db_call(bool background, bool prepare);
void metrics_in_flight(int delta);
/* Whether this process runs the refresher (elected among the servers of a
 * database), and each changed day it brought up to date. */
void metrics_refresher_leader(bool leader);
void metrics_refresher_day(void);
/* The read replica (database_read_url): reachable or not, and how far its
 * replay is behind the primary; `configured` false when there is none. */
void metrics_read_replica(bool configured, bool up, double lag_s);

/* The open answers kept (server/answer_cache.h): what became of a lookup,
 * and how many answers are kept in how many bytes. */
enum metrics_answer {
	METRICS_ANSWER_HIT,
	METRICS_ANSWER_STALE,
	METRICS_ANSWER_WAITED,
	METRICS_ANSWER_MISS
};
void metrics_answer_cache(enum metrics_answer what);
void metrics_answer_cache_size(size_t entries, size_t bytes);
/* The worker pools to report (running, waiting, threads, refused), labelled
 * labels[i] ("open"); both arrays borrowed until the next call. Set before
 * requests are served and cleared (n 0) after they stop. */
struct workpool;
void metrics_workpools(const char *const *labels, struct workpool *const *pools, size_t n);

/* Appends the text exposition format to out. */
MUST_CHECK sm_err metrics_render(struct buf *out);

#endif
