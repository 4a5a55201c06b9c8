#include "refresher.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

struct refresher {
	struct db_pool *pool; /* one connection, reconnected when lost */
	int idle_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
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

/* Refreshes one waiting day: SM_OK when it did, SM_ERR_NOT_FOUND when no
 * day is due. The transaction is REPEATABLE READ: the function removes the
 * changes its snapshot sees, and reads the rollups as of that snapshot. */
static sm_err refresh_day(struct db_pool *pool)
{
	struct db_conn *conn;
	sm_err e = db_acquire(pool, &conn);
	if (e != SM_OK)
		return e;
	PGresult *res = NULL;
	e = db_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (e == SM_OK)
		e = db_exec(conn, &refresh_one, NULL, &res);
	bool refreshed = e == SM_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (e == SM_OK)
		e = db_command(conn, "COMMIT");
	/* Another server's refresher took the same day first (40001): it is
	 * done, and the next round finds what is left. */
	if (e != SM_OK && strcmp(conn->sqlstate, "40001") == 0)
		e = SM_OK;
	db_release(pool, conn); /* rolls back what failed */
	if (e == SM_OK && !refreshed)
		return SM_ERR_NOT_FOUND;
	return e;
}

/* Waits up to ms, or until asked to stop; true when asked. */
static bool wait_or_stop(struct refresher *r, int ms)
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
	struct refresher *r = arg;
	size_t days = 0;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		bool stopping = r->stopping;
		pthread_mutex_unlock(&r->lock);
		if (stopping)
			break;
		sm_err e = refresh_day(r->pool);
		if (e == SM_OK) {
			days++;
			continue;
		}
		if (days > 0)
			log_debug("recounted the cells of %zu changed days", days);
		days = 0;
		if (e != SM_ERR_NOT_FOUND)
			log_warn("could not recount the cells (%s); trying again later",
			         sm_err_str(e));
		if (wait_or_stop(r, r->idle_ms))
			break;
	}
	return NULL;
}

sm_err refresher_start(const char *url, int idle_ms, struct refresher **out)
{
	*out = NULL;
	struct refresher *r = calloc(1, sizeof(*r));
	if (!r)
		return SM_ERR_NOMEM;
	r->idle_ms = idle_ms;
	const struct db_pool_options one = {1, idle_ms, DB_FOR_BACKGROUND, 0};
	sm_err e = db_pool_open(&r->pool, url, &one);
	if (e != SM_OK) {
		free(r);
		return e;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		db_pool_close(r->pool);
		free(r);
		return SM_ERR_INTERNAL;
	}
	*out = r;
	return SM_OK;
}

void refresher_stop(struct refresher *r)
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
	db_pool_close(r->pool);
	free(r);
}
