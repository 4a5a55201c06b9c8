#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

struct db_pool {
	char *url;
	int size;
	int wait_ms;
	int statement_timeout_ms; /* set on each new connection; 0: none */
	struct db_pool *fallback; /* borrowed; NULL: none */
	bool down;                /* under mu; only with a fallback */
	struct db_conn *conns;
	bool *busy;
	pthread_mutex_t mu;
	pthread_cond_t freed;
};

static void notice_to_log(void *arg, const char *message)
{
	(void)arg;
	log_debug("database notice: %.*s", (int)strcspn(message, "\n"), message);
}

sm_err db_connect(const char *url, PGconn **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	PGconn *pg = PQconnectdb(url);
	if (!pg)
		return SM_ERR_NOMEM;
	if (PQstatus(pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(pg);
		snprintf(errbuf, errlen, "could not connect to the database: %.*s",
		         (int)strcspn(msg, "\n"), msg);
		PQfinish(pg);
		return SM_ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(pg, notice_to_log, NULL);
	/* The service's queries are short or streamed: JIT compilation, which
	 * PostgreSQL starts on plans it guesses costly, only adds to them
	 * (100 ms to seconds per aggregate, measured by bench/bench_open.sh).
	 * An aggregate sorts up to some 100,000 rollup rows: in memory, not
	 * on disk as the default 4 MB would have it. The rollups are read in
	 * index order to be grouped without a sort: random_page_cost as for
	 * data in memory or on SSD, or the planner takes a sequential scan
	 * and a hash for it (40 ms against 30 for 30 days of hours). The SQL
	 * adds days to UTC midnights (change log, rendered days, rollups):
	 * exact only in UTC, whatever time zone the server was set up with. */
	PGresult *res = PQexec(pg, "SET jit = off; SET work_mem = '32MB';"
	                           " SET random_page_cost = 1.1; SET TimeZone = 'UTC'");
	PQclear(res);
	*out = pg;
	return SM_OK;
}

/* The pool's limit on every statement of a new connection. */
static sm_err set_statement_timeout(PGconn *pg, int ms, char *why, size_t whylen)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", ms);
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(why, whylen, "could not set the statement timeout: %s",
		         PQerrorMessage(pg));
	PQclear(res);
	return ok ? SM_OK : SM_ERR_UNAVAILABLE;
}

sm_err db_pool_open(struct db_pool **out, const char *url, const struct db_pool_options *opt)
{
	struct db_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return SM_ERR_NOMEM;
	p->url = strdup(url);
	p->conns = calloc((size_t)opt->size, sizeof(*p->conns));
	p->busy = calloc((size_t)opt->size, sizeof(*p->busy));
	if (!p->url || !p->conns || !p->busy) {
		db_pool_close(p);
		return SM_ERR_NOMEM;
	}
	p->size = opt->size;
	p->wait_ms = opt->wait_ms;
	p->statement_timeout_ms = opt->statement_timeout_ms;
	p->fallback = opt->fallback;
	for (int i = 0; i < opt->size; i++) {
		p->conns[i].work = opt->work;
		p->conns[i].owner = p;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &attr);
	pthread_condattr_destroy(&attr);
	*out = p;
	return SM_OK;
}

static void conn_drop(struct db_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	c->nprepared = 0;
}

void db_pool_close(struct db_pool *p)
{
	if (!p)
		return;
	if (p->conns) {
		for (int i = 0; i < p->size; i++)
			conn_drop(&p->conns[i]);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->freed);
	}
	free(p->conns);
	free(p->busy);
	free(p->url);
	free(p);
}

/* A connection is usable when libpq still thinks so after reading whatever
 * the server sent while it sat idle (a restart sends a FATAL and closes).
 * Twice: the first read may take the FATAL message, and only the second
 * sees the end of the stream behind it (a stopped standby). */
static bool conn_alive(struct db_conn *c)
{
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK)
		return false;
	for (int i = 0; i < 2; i++)
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
			return false;
	return true;
}

bool db_pool_up(struct db_pool *p)
{
	pthread_mutex_lock(&p->mu);
	bool up = !p->down;
	pthread_mutex_unlock(&p->mu);
	return up;
}

void db_pool_mark(struct db_pool *p, bool up)
{
	if (!p->fallback)
		return;
	pthread_mutex_lock(&p->mu);
	bool was = !p->down;
	p->down = !up;
	pthread_mutex_unlock(&p->mu);
	if (was && !up)
		log_warn("open-data reads go to the primary: the read database cannot be reached "
		         "or is too far behind");
	else if (!was && up)
		log_info("the read database is back: open-data reads go to it again");
}

sm_err db_acquire(struct db_pool *p, struct db_conn **out)
{
	if (p->fallback && !db_pool_up(p))
		return db_acquire(p->fallback, out);
	sm_err e = db_acquire_own(p, out);
	if (e == SM_ERR_UNAVAILABLE && p->fallback && !db_pool_up(p))
		return db_acquire(p->fallback, out);
	return e;
}

sm_err db_acquire_own(struct db_pool *p, struct db_conn **out)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->wait_ms / 1000;
	deadline.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	struct db_conn *c = NULL;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* Prefer a connection that is already open. */
		int pick = -1;
		for (int i = 0; i < p->size; i++) {
			if (p->busy[i])
				continue;
			if (pick < 0 || (p->conns[i].pg && !p->conns[pick].pg))
				pick = i;
		}
		if (pick >= 0) {
			p->busy[pick] = true;
			c = &p->conns[pick];
			break;
		}
		if (pthread_cond_timedwait(&p->freed, &p->mu, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	if (!c) {
		log_warn("no database connection free within %d ms", p->wait_ms);
		return SM_ERR_UNAVAILABLE;
	}

	if (!conn_alive(c)) {
		conn_drop(c);
		char why[256];
		sm_err e = db_connect(p->url, &c->pg, why, sizeof(why));
		if (e == SM_OK && p->statement_timeout_ms > 0)
			e = set_statement_timeout(c->pg, p->statement_timeout_ms, why, sizeof(why));
		if (e != SM_OK) {
			/* A replica known to be down is tried every second: say it once. */
			if (p->fallback && !db_pool_up(p))
				log_debug("%s", why);
			else
				log_warn("%s", why);
			metrics_db_error();
			conn_drop(c); /* never a connection without the pool's settings */
			db_release(p, c);
			if (e == SM_ERR_UNAVAILABLE)
				db_pool_mark(p, false);
			return e;
		}
		c->session++;
	}
	c->sqlstate[0] = '\0';
	*out = c;
	return SM_OK;
}

void db_release(struct db_pool *pool, struct db_conn *c)
{
	(void)pool; /* the connection knows its own */
	struct db_pool *p = c->owner;
	if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->pg, "ROLLBACK");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			conn_drop(c);
		PQclear(r);
	}
	pthread_mutex_lock(&p->mu);
	p->busy[c - p->conns] = false;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->mu);
}

/* Counts a statement sent (or prepared) on c for /metrics. */
static void count_call(const struct db_conn *c, bool prepare)
{
	metrics_db_call(c->work == DB_FOR_BACKGROUND, prepare);
}

static sm_err classify(struct db_conn *c, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
	if (strcmp(c->sqlstate, "23505") == 0)
		return SM_ERR_CONFLICT; /* the caller's answer (409, a retried batch), not a fault
		                         */
	if (strcmp(c->sqlstate, "57014") == 0) {
		/* The pool's statement timeout (or a cancel): the caller's answer. */
		log_warn("%s was cancelled after the statement timeout", what);
		return SM_ERR_TIMEOUT;
	}
	if (strcmp(c->sqlstate, "55P03") == 0) {
		/* lock_timeout: a lock another session holds (retention waits for
		 * no one: server/retention.c tries again later). */
		log_info("%s did not get its lock within the lock timeout", what);
		return SM_ERR_TIMEOUT;
	}
	metrics_db_error();
	/* Connection exceptions (08, but not 08P01, a statement the server
	 * refused) and operator intervention (57P01-03: the server is going). */
	bool lost = PQstatus(c->pg) != CONNECTION_OK ||
	            (strncmp(c->sqlstate, "08", 2) == 0 && strcmp(c->sqlstate, "08P01") != 0) ||
	            strncmp(c->sqlstate, "57P", 3) == 0;
	if (lost) {
		log_warn("database connection lost during %s", what);
		conn_drop(c);
		return SM_ERR_UNAVAILABLE;
	}
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
	log_error("database error in %s: %s %.*s", what, c->sqlstate, (int)strcspn(msg, "\n"), msg);
	if (strncmp(c->sqlstate, "22", 2) == 0 || strncmp(c->sqlstate, "23", 2) == 0)
		return SM_ERR_INVALID;
	return SM_ERR_INTERNAL;
}

static bool is_prepared(const struct db_conn *c, const struct db_stmt *s)
{
	for (size_t i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == s)
			return true;
	return false;
}

sm_err db_exec(struct db_conn *c, const struct db_stmt *s, const char *const *params,
               PGresult **res)
{
	*res = NULL;
	if (!is_prepared(c, s)) {
		count_call(c, true);
		PGresult *r = PQprepare(c->pg, s->name, s->sql, s->nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			sm_err e = classify(c, r, s->name);
			PQclear(r);
			return e;
		}
		PQclear(r);
		if (c->nprepared < DB_MAX_PREPARED)
			c->prepared[c->nprepared++] = s;
	}
	count_call(c, false);
	PGresult *r = PQexecPrepared(c->pg, s->name, s->nparams, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		sm_err e = classify(c, r, s->name);
		PQclear(r);
		return e;
	}
	*res = r;
	return SM_OK;
}

sm_err db_exec_sql(struct db_conn *c, const char *sql, int nparams, const char *const *params,
                   PGresult **res)
{
	*res = NULL;
	count_call(c, false);
	PGresult *r = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		sm_err e = classify(c, r, "dynamic statement");
		PQclear(r);
		return e;
	}
	*res = r;
	return SM_OK;
}

sm_err db_command(struct db_conn *c, const char *sql)
{
	count_call(c, false);
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType st = PQresultStatus(r);
	sm_err e = SM_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		e = classify(c, r, sql);
	PQclear(r);
	return e;
}

/* Reads every pending result; keeps the first with rows in *rows. */
static sm_err drain(struct db_conn *c, const char *what, PGresult **rows)
{
	sm_err e = SM_OK;
	PGresult *r;
	while ((r = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK && rows && !*rows) {
			*rows = r;
			continue;
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && e == SM_OK && c->pg)
			e = classify(c, r, what);
		PQclear(r);
		if (!c->pg)
			break; /* dropped by classify */
	}
	if (e != SM_OK && rows && *rows) {
		PQclear(*rows);
		*rows = NULL;
	}
	return e;
}

#define COPY_CHUNK (1u << 20)

sm_err db_copy(struct db_conn *c, const char *sql, const char *data, size_t len)
{
	count_call(c, false);
	PGresult *r = PQexec(c->pg, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		sm_err e = classify(c, r, "COPY");
		PQclear(r);
		if (c->pg)
			(void)drain(c, "COPY", NULL);
		return e == SM_OK ? SM_ERR_INTERNAL : e;
	}
	PQclear(r);
	for (size_t off = 0; off < len; off += COPY_CHUNK) {
		size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
		if (PQputCopyData(c->pg, data + off, (int)n) != 1)
			break;
	}
	if (PQputCopyEnd(c->pg, NULL) != 1) {
		sm_err e = classify(c, NULL, "COPY");
		return e;
	}
	return drain(c, "COPY", NULL);
}

sm_err db_script(struct db_conn *c, const char *sql, PGresult **rows)
{
	*rows = NULL;
	count_call(c, false);
	if (!PQsendQuery(c->pg, sql))
		return classify(c, NULL, "script");
	return drain(c, "script", rows);
}

sm_err db_copy_out_start(struct db_conn *c, const char *sql)
{
	count_call(c, false);
	PGresult *r = PQexec(c->pg, sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		sm_err e = classify(c, r, "COPY TO");
		PQclear(r);
		return e == SM_OK ? SM_ERR_INTERNAL : e;
	}
	PQclear(r);
	return SM_OK;
}

sm_err db_copy_out_next(struct db_conn *c, char **row, int *len)
{
	if (*row) {
		PQfreemem(*row);
		*row = NULL;
	}
	*len = PQgetCopyData(c->pg, row, 0);
	if (*len > 0)
		return SM_OK;
	if (*len == -1) /* the copy is done: read its result */
		return drain(c, "COPY TO", NULL) == SM_OK ? SM_ERR_NOT_FOUND : SM_ERR_INTERNAL;
	return classify(c, NULL, "COPY TO");
}

bool db_ping(struct db_pool *p)
{
	struct db_conn *c;
	if (db_acquire(p, &c) != SM_OK)
		return false;
	bool ok = db_command(c, "SELECT 1") == SM_OK;
	db_release(p, c);
	return ok;
}
