#include "refresher.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "background.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "retention.h"

struct refresher {
	struct db_pool *pool; /* one connection, reconnected when lost */
	int idle_ms;
	struct retention_policy retention;
	unsigned long leader_session; /* the connection that holds the lock; 0: none */
	/* The thread's own: days refreshed in a row, and when the catalogue
	 * and retention last ran (now_ms; 0: never). */
	size_t days;
	int64_t catalogue_at, retention_at;
	struct background *thread;
};

/* One refresher among all the servers on a database: the one whose
 * connection holds this session-level advisory lock. The others try again
 * every idle_ms; when the leader's connection goes (the process stopped or
 * died, or the database closed it), PostgreSQL releases the lock and the
 * next try of another server takes it. */
static const struct db_stmt lead_try = {
    "refresher_lead",
    "SELECT pg_try_advisory_lock(hashtextextended('samenmeten refresher', 0))",
    0,
};

/* A day is due when left alone for 2 s, or at the latest 15 minutes after
 * its first change (sql/016_air_cell_period.sql, sql/017_dataset_hours.sql).
 * Recounting and rendering a busy day takes about two seconds; a bulk load
 * touches every day for minutes, and a short bound would redo each of them
 * over and over while the load runs. */
static const struct db_stmt refresh_one = {
    "refresh_air_day",
    "SELECT air_day_refresh_one(interval '2 seconds', interval '15 minutes')",
    0,
};

/* The project catalogue's figures (sql/023_catalogue.sql). */
static const struct db_stmt catalogue_one = {
    "refresh_catalogue",
    "SELECT catalogue_refresh()",
    0,
};

/* While days keep coming (a bulk load), the catalogue is still refreshed
 * this often. */
#define CATALOGUE_BUSY_MS 10000

/* Retention looks for months to drop this often, when no day waits (and
 * first when none waits after the start). A month becomes due once a month:
 * an hour is soon enough, and a try that met a lock is repeated then. */
#define RETENTION_EVERY_MS (3600 * 1000)
/* Each step of a drop waits this long for a lock, then gives up until the
 * next try: no upload or download waits behind it for longer. */
#define RETENTION_LOCK_TIMEOUT_MS 500
/* A run that met a lock tries again this soon. */
#define RETENTION_RETRY_MS 5000

/* True when this process is the leader on conn, taking the lock when
 * nobody holds it. A new connection (the old one was lost) must take the
 * lock again. */
static bool lead(struct refresher *r, struct db_conn *conn)
{
	if (r->leader_session != 0 && r->leader_session == conn->session)
		return true;
	bool was = r->leader_session != 0;
	r->leader_session = 0;
	PGresult *res = NULL;
	if (db_exec(conn, &lead_try, NULL, &res) == SM_OK &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		r->leader_session = conn->session;
	PQclear(res);
	if (r->leader_session != 0)
		log_info("this server now runs the refresher");
	else if (was)
		log_warn("this server no longer runs the refresher (its connection was lost)");
	metrics_refresher_leader(r->leader_session != 0);
	return r->leader_session != 0;
}

/* Refreshes one waiting day: SM_OK when it did, SM_ERR_NOT_FOUND when no
 * day is due. The transaction is REPEATABLE READ: the function removes the
 * changes its snapshot sees, and reads the rollups as of that snapshot. */
static sm_err refresh_day(struct db_conn *conn)
{
	PGresult *res = NULL;
	sm_err e = db_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (e == SM_OK)
		e = db_exec(conn, &refresh_one, NULL, &res);
	bool refreshed = e == SM_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (e == SM_OK)
		e = db_command(conn, "COMMIT");
	/* A server of an older version (without the election) took the same
	 * day first (40001): it is done, and the next round finds what is
	 * left. */
	if (e != SM_OK && strcmp(conn->sqlstate, "40001") == 0)
		e = SM_OK;
	if (conn->pg && PQtransactionStatus(conn->pg) != PQTRANS_IDLE &&
	    db_command(conn, "ROLLBACK") != SM_OK && e == SM_OK)
		e = SM_ERR_UNAVAILABLE;
	if (e == SM_OK && !refreshed)
		return SM_ERR_NOT_FOUND;
	return e;
}

/* Recounts the catalogue's figures of what changed (one transaction). */
static sm_err refresh_catalogue(struct db_conn *conn)
{
	PGresult *res = NULL;
	sm_err e = db_exec(conn, &catalogue_one, NULL, &res);
	PQclear(res);
	return e;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Drops the raw months retention no longer keeps, at most every
 * RETENTION_EVERY_MS. */
static void retain(struct refresher *r, struct db_conn *conn)
{
	if (!retention_enabled(&r->retention) ||
	    (r->retention_at != 0 && now_ms() - r->retention_at < RETENTION_EVERY_MS))
		return;
	r->retention_at = now_ms();
	int dropped = 0;
	sm_err e = retention_run(conn, &r->retention, &dropped);
	if (e == SM_ERR_TIMEOUT)
		r->retention_at = now_ms() - RETENTION_EVERY_MS + RETENTION_RETRY_MS;
	else if (e != SM_OK)
		log_warn("could not drop the raw months past retention (%s); trying again later",
		         sm_err_str(e));
}

/* One round on a connection: a waiting day (SM_OK), or none due
 * (SM_ERR_NOT_FOUND) and then the catalogue and retention; the catalogue
 * also now and then during a long run of days. */
static sm_err round_on(struct refresher *r, struct db_conn *conn)
{
	sm_err e = refresh_day(conn);
	if (e == SM_OK)
		metrics_refresher_day();
	bool catalogue = e == SM_ERR_NOT_FOUND ||
	                 (e == SM_OK && now_ms() - r->catalogue_at >= CATALOGUE_BUSY_MS);
	if (catalogue && conn->pg) {
		sm_err ce = refresh_catalogue(conn);
		r->catalogue_at = now_ms();
		if (ce != SM_OK)
			log_warn("could not refresh the project catalogue (%s); trying again later",
			         sm_err_str(ce));
	}
	if (e == SM_ERR_NOT_FOUND && conn->pg)
		retain(r, conn);
	return e;
}

/* One round (background_round_fn): a day, then the next round at once;
 * else, after the catalogue and retention, or when another server leads
 * or the database cannot be reached, the next round idle_ms later. */
static int one_round(void *arg)
{
	struct refresher *r = arg;
	struct db_conn *conn;
	sm_err e = db_acquire(r->pool, &conn);
	if (e == SM_OK) {
		if (lead(r, conn))
			e = round_on(r, conn);
		else
			e = SM_ERR_CONFLICT; /* another server refreshes */
		db_release(r->pool, conn);
	} else if (r->leader_session != 0) {
		r->leader_session = 0;
		metrics_refresher_leader(false);
	}
	if (e == SM_OK) {
		r->days++;
		return 0;
	}
	if (r->days > 0)
		log_debug("recounted the cells of %zu changed days", r->days);
	r->days = 0;
	if (e != SM_ERR_NOT_FOUND && e != SM_ERR_CONFLICT)
		log_warn("could not recount the cells (%s); trying again later", sm_err_str(e));
	return r->idle_ms;
}

sm_err refresher_start(const char *url, int idle_ms, const struct retention_policy *retention,
                       struct refresher **out)
{
	*out = NULL;
	struct refresher *r = calloc(1, sizeof(*r));
	if (!r)
		return SM_ERR_NOMEM;
	r->idle_ms = idle_ms;
	r->retention = *retention;
	if (r->retention.lock_timeout_ms <= 0)
		r->retention.lock_timeout_ms = RETENTION_LOCK_TIMEOUT_MS;
	const struct db_pool_options one = {1, idle_ms, DB_FOR_BACKGROUND, 0, NULL};
	sm_err e = db_pool_open(&r->pool, url, &one);
	if (e != SM_OK) {
		free(r);
		return e;
	}
	e = background_start("refresher", one_round, r, &r->thread);
	if (e != SM_OK) {
		db_pool_close(r->pool);
		free(r);
		return e;
	}
	*out = r;
	return SM_OK;
}

void refresher_stop(struct refresher *r)
{
	if (!r)
		return;
	background_stop(r->thread);
	db_pool_close(r->pool);
	free(r);
}
