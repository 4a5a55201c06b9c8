/* A fixed set of threads that run queued jobs, with a bound on how many may
 * wait: the HTTP layer keeps blocking work (the database) off the threads
 * that serve sockets with it, one pool per class of work, and refuses work
 * that could not start soon. Jobs live in the caller's memory (intrusive),
 * so queueing never allocates and cannot fail for want of memory.
 * Never sees HTTP. */
#ifndef SAMENMETEN_WORKPOOL_H
#define SAMENMETEN_WORKPOOL_H

#include <stdbool.h>

#include "err.h"

struct workpool_job {
	/* Runs on a pool thread. The pool never touches the job after run
	 * starts, so run may free it or hand it to another thread. */
	void (*run)(struct workpool_job *job);
	struct workpool_job *next; /* the pool's */
};

struct workpool;

/* Starts `threads` threads (named `name`, at most 15 characters) that take
 * jobs in the order they came; at most `max_waiting` jobs wait for one
 * (with 0, a job is taken only when a thread is free for it).
 * Owned by the caller: workpool_stop, then workpool_free. */
MUST_CHECK sm_err workpool_new(const char *name, int threads, int max_waiting,
                               struct workpool **out);

/* Queues `job` (borrowed until its run starts). SM_ERR_TOO_LARGE when
 * `bounded` and max_waiting jobs wait already; SM_ERR_UNAVAILABLE once the
 * pool is stopping. Unbounded submissions are for work that must not be
 * refused (the next block of a response already started). */
MUST_CHECK sm_err workpool_submit(struct workpool *p, struct workpool_job *job, bool bounded);

/* Jobs running and waiting now (for metrics and tests). */
void workpool_counts(struct workpool *p, int *running, int *waiting);

struct workpool_stats {
	int threads;                /* as started */
	int running, waiting;       /* now */
	unsigned long long refused; /* bounded submissions refused for a full queue */
};

/* The pool's figures, read at one moment (for /metrics). */
void workpool_stats(struct workpool *p, struct workpool_stats *out);

/* Refuses new jobs, runs every queued one, and waits for the threads to end.
 * Safe to call twice. */
void workpool_stop(struct workpool *p);

/* Stops the pool if needed and frees it; NULL is fine. */
void workpool_free(struct workpool *p);

#endif
