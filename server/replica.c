#include "replica.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

struct replica {
	struct db_pool *pool;
	int interval_ms;
	int max_lag_s; /* 0: no limit */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

/* Seconds of replay behind: none when everything received is replayed
 * (an idle primary sends nothing, which is no lag), else the age of the
 * last transaction replayed. On a primary (pg_is_in_recovery false): 0. */
static const struct db_stmt lag_stmt = {
    "replica_lag",
    "SELECT CASE WHEN NOT pg_is_in_recovery() "
    "  OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END",
    0,
};

/* One check. A failure to connect marks the pool down (db_acquire_own);
 * so does a connection lost during the check, or a lag beyond the limit;
 * all connections being busy changes nothing. */
static void check(struct replica *r)
{
	struct db_conn *conn;
	sm_err e = db_acquire_own(r->pool, &conn);
	double lag = 0;
	if (e == SM_OK) {
		PGresult *res = NULL;
		e = db_exec(conn, &lag_stmt, NULL, &res);
		if (e == SM_OK)
			lag = strtod(PQgetvalue(res, 0, 0), NULL);
		PQclear(res);
		db_release(r->pool, conn);
		bool behind = e == SM_OK && r->max_lag_s > 0 && lag > r->max_lag_s;
		if (behind && db_pool_up(r->pool))
			log_warn("the read replica is %.1f s behind, more than "
			         "database_read_max_lag_s (%d)",
			         lag, r->max_lag_s);
		db_pool_mark(r->pool, (e == SM_OK && !behind) || e == SM_ERR_TIMEOUT);
	}
	metrics_read_replica(true, db_pool_up(r->pool), lag);
}

/* Waits up to ms, or until asked to stop; true when asked. */
static bool wait_or_stop(struct replica *r, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
	bool stopping = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return stopping;
}

static void *run(void *arg)
{
	struct replica *r = arg;
	do
		check(r);
	while (!wait_or_stop(r, r->interval_ms));
	return NULL;
}

sm_err replica_start(struct db_pool *pool, int interval_ms, int max_lag_s, struct replica **out)
{
	*out = NULL;
	struct replica *r = calloc(1, sizeof(*r));
	if (!r)
		return SM_ERR_NOMEM;
	r->pool = pool;
	r->interval_ms = interval_ms;
	r->max_lag_s = max_lag_s;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return SM_ERR_INTERNAL;
	}
	*out = r;
	return SM_OK;
}

void replica_stop(struct replica *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
