#include "replica.h"

#include <stdbool.h>
#include <stdlib.h>

#include "background.h"
#include "log.h"
#include "metrics.h"

struct replica {
	struct db_pool *pool;
	int interval_ms;
	int max_lag_s; /* 0: no limit */
	struct background *thread;
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

/* One check (a background round: the next one an interval later). A
 * failure to connect marks the pool down (db_acquire_own); so does a
 * connection lost during the check, or a lag beyond the limit; all
 * connections being busy changes nothing. */
static int check(void *arg)
{
	struct replica *r = arg;
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
	return r->interval_ms;
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
	sm_err e = background_start("replica-check", check, r, &r->thread);
	if (e != SM_OK) {
		free(r);
		return e;
	}
	*out = r;
	return SM_OK;
}

void replica_stop(struct replica *r)
{
	if (!r)
		return;
	background_stop(r->thread);
	free(r);
}
