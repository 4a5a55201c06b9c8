#include "metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workpool.h"

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                               409, 413, 415, 422, 429, 500, 503, 0 /* other */};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct route_stats {
	uint64_t by_status[NSTATUS];
	uint64_t buckets[NBOUNDS]; /* non-cumulative; summed when rendered */
	uint64_t count;
	uint64_t sum_us;
};

static struct {
	const char *const *methods;
	const char *const *patterns;
	size_t nroutes;
	struct route_stats *routes; /* nroutes + 1 */
	uint64_t db_errors;
	uint64_t db_calls, db_prepares, db_background_calls;
	int64_t in_flight;
	int refresher_leader;
	uint64_t refresher_days;
	int replica_configured, replica_up;
	uint64_t replica_lag_us;
	uint64_t answers[4]; /* by enum metrics_answer */
	uint64_t answer_entries, answer_bytes;
	const char *const *pool_labels;
	struct workpool *const *pools;
	size_t npools;
} m;

sm_err metrics_init(const char *const *methods, const char *const *patterns, size_t nroutes)
{
	metrics_cleanup();
	memset(&m, 0, sizeof(m));
	m.routes = calloc(nroutes + 1, sizeof(*m.routes));
	if (!m.routes)
		return SM_ERR_NOMEM;
	m.methods = methods;
	m.patterns = patterns;
	m.nroutes = nroutes;
	return SM_OK;
}

void metrics_cleanup(void)
{
	free(m.routes);
	m.routes = NULL;
}

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void metrics_observe(size_t route, int status, double seconds)
{
	if (route > m.nroutes)
		route = m.nroutes;
	struct route_stats *rs = &m.routes[route];
	size_t s = 0;
	while (statuses[s] && statuses[s] != status)
		s++;
	add(&rs->by_status[s], 1);
	for (size_t b = 0; b < NBOUNDS; b++) {
		if (seconds <= bounds[b]) {
			add(&rs->buckets[b], 1);
			break;
		}
	}
	add(&rs->count, 1);
	add(&rs->sum_us, (uint64_t)(seconds * 1e6));
}

void metrics_db_error(void)
{
	add(&m.db_errors, 1);
}

void metrics_db_call(bool background, bool prepare)
{
	add(prepare ? &m.db_prepares : background ? &m.db_background_calls : &m.db_calls, 1);
}

void metrics_in_flight(int delta)
{
	__atomic_fetch_add(&m.in_flight, delta, __ATOMIC_RELAXED);
}

void metrics_refresher_leader(bool leader)
{
	__atomic_store_n(&m.refresher_leader, leader ? 1 : 0, __ATOMIC_RELAXED);
}

void metrics_refresher_day(void)
{
	add(&m.refresher_days, 1);
}

void metrics_read_replica(bool configured, bool up, double lag_s)
{
	__atomic_store_n(&m.replica_configured, configured ? 1 : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m.replica_up, up ? 1 : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m.replica_lag_us, (uint64_t)(lag_s > 0 ? lag_s * 1e6 : 0),
	                 __ATOMIC_RELAXED);
}

void metrics_answer_cache(enum metrics_answer what)
{
	add(&m.answers[what], 1);
}

void metrics_answer_cache_size(size_t entries, size_t bytes)
{
	__atomic_store_n(&m.answer_entries, (uint64_t)entries, __ATOMIC_RELAXED);
	__atomic_store_n(&m.answer_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

void metrics_workpools(const char *const *labels, struct workpool *const *pools, size_t n)
{
	m.pool_labels = labels;
	m.pools = pools;
	m.npools = n;
}

/* The worker pools' families, in the order of pool_figures' values. */
static const struct {
	const char *name, *type, *help;
} pool_families[] = {
    {"samenmeten_workpool_running", "gauge", "Jobs a worker pool runs now, by pool."},
    {"samenmeten_workpool_waiting", "gauge",
     "Jobs queued for a worker pool's threads now, by pool."},
    {"samenmeten_workpool_threads", "gauge", "Threads of a worker pool, as configured."},
    {"samenmeten_workpool_refused_total", "counter",
     "Requests a worker pool refused (503 busy) because its threads were busy and its queue "
     "full, by pool."},
};
#define NPOOL_FAMILIES (sizeof(pool_families) / sizeof(pool_families[0]))

struct pool_figures {
	unsigned long long v[NPOOL_FAMILIES];
};

static sm_err render_pools(struct buf *out)
{
	if (!m.npools)
		return SM_OK;
	struct pool_figures *fig = calloc(m.npools, sizeof(*fig));
	if (!fig)
		return SM_ERR_NOMEM;
	for (size_t i = 0; i < m.npools; i++) {
		struct workpool_stats st;
		workpool_stats(m.pools[i], &st);
		fig[i] = (struct pool_figures){{(unsigned long long)st.running,
		                                (unsigned long long)st.waiting,
		                                (unsigned long long)st.threads, st.refused}};
	}
	sm_err e = SM_OK;
	for (size_t f = 0; e == SM_OK && f < NPOOL_FAMILIES; f++) {
		e = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", pool_families[f].name,
		               pool_families[f].help, pool_families[f].name, pool_families[f].type);
		for (size_t i = 0; e == SM_OK && i < m.npools; i++)
			e = buf_printf(out, "%s{pool=\"%s\"} %llu\n", pool_families[f].name,
			               m.pool_labels[i], fig[i].v[f]);
	}
	free(fig);
	return e;
}

static void route_labels(size_t i, const char **method, const char **route)
{
	*method = i < m.nroutes ? m.methods[i] : "";
	*route = i < m.nroutes ? m.patterns[i] : "unmatched";
}

sm_err metrics_render(struct buf *out)
{
	sm_err e = buf_puts(out, "# HELP samenmeten_http_requests_total HTTP requests answered, by "
	                         "route, method and status.\n"
	                         "# TYPE samenmeten_http_requests_total counter\n");
	for (size_t i = 0; e == SM_OK && i <= m.nroutes; i++) {
		const char *method, *route;
		route_labels(i, &method, &route);
		for (size_t s = 0; e == SM_OK && s < NSTATUS; s++) {
			uint64_t n = get(&m.routes[i].by_status[s]);
			if (!n)
				continue;
			char status[8] = "other";
			if (statuses[s])
				snprintf(status, sizeof(status), "%d", statuses[s]);
			e = buf_printf(out,
			               "samenmeten_http_requests_total{route=\"%s\",method=\"%s\","
			               "status=\"%s\"} %llu\n",
			               route, method, status, (unsigned long long)n);
		}
	}
	if (e == SM_OK)
		e = buf_puts(out, "# HELP samenmeten_http_request_duration_seconds Time from the "
		                  "first byte of a request to its response, by route.\n"
		                  "# TYPE samenmeten_http_request_duration_seconds histogram\n");
	for (size_t i = 0; e == SM_OK && i <= m.nroutes; i++) {
		const char *method, *route;
		route_labels(i, &method, &route);
		uint64_t count = get(&m.routes[i].count);
		if (!count)
			continue;
		uint64_t cum = 0;
		for (size_t b = 0; e == SM_OK && b < NBOUNDS; b++) {
			cum += get(&m.routes[i].buckets[b]);
			e = buf_printf(
			    out,
			    "samenmeten_http_request_duration_seconds_bucket{route=\"%s\","
			    "method=\"%s\",le=\"%g\"} %llu\n",
			    route, method, bounds[b], (unsigned long long)cum);
		}
		if (e == SM_OK)
			e = buf_printf(
			    out,
			    "samenmeten_http_request_duration_seconds_bucket{route=\"%s\","
			    "method=\"%s\",le=\"+Inf\"} %llu\n"
			    "samenmeten_http_request_duration_seconds_sum{route=\"%s\","
			    "method=\"%s\"} %.6f\n"
			    "samenmeten_http_request_duration_seconds_count{route=\"%s\","
			    "method=\"%s\"} %llu\n",
			    route, method, (unsigned long long)count, route, method,
			    (double)get(&m.routes[i].sum_us) / 1e6, route, method,
			    (unsigned long long)count);
	}
	if (e == SM_OK)
		e = buf_printf(
		    out,
		    "# HELP samenmeten_db_errors_total Database calls that failed.\n"
		    "# TYPE samenmeten_db_errors_total counter\n"
		    "samenmeten_db_errors_total %llu\n"
		    "# HELP samenmeten_db_calls_total Statements sent to the database for requests "
		    "(each a round trip; a COPY with its data is one).\n"
		    "# TYPE samenmeten_db_calls_total counter\n"
		    "samenmeten_db_calls_total %llu\n"
		    "# HELP samenmeten_db_background_calls_total Statements sent by the "
		    "refresher.\n"
		    "# TYPE samenmeten_db_background_calls_total counter\n"
		    "samenmeten_db_background_calls_total %llu\n"
		    "# HELP samenmeten_db_prepares_total Statements prepared on a connection.\n"
		    "# TYPE samenmeten_db_prepares_total counter\n"
		    "samenmeten_db_prepares_total %llu\n"
		    "# HELP samenmeten_http_requests_in_flight Requests being handled now.\n"
		    "# TYPE samenmeten_http_requests_in_flight gauge\n"
		    "samenmeten_http_requests_in_flight %lld\n",
		    (unsigned long long)get(&m.db_errors), (unsigned long long)get(&m.db_calls),
		    (unsigned long long)get(&m.db_background_calls),
		    (unsigned long long)get(&m.db_prepares),
		    (long long)__atomic_load_n(&m.in_flight, __ATOMIC_RELAXED));
	if (e == SM_OK)
		e = buf_printf(
		    out,
		    "# HELP samenmeten_refresher_leader 1 when this process is the elected "
		    "refresher of its database.\n"
		    "# TYPE samenmeten_refresher_leader gauge\n"
		    "samenmeten_refresher_leader %d\n"
		    "# HELP samenmeten_refresher_days_total Changed days this process brought up "
		    "to date.\n"
		    "# TYPE samenmeten_refresher_days_total counter\n"
		    "samenmeten_refresher_days_total %llu\n",
		    __atomic_load_n(&m.refresher_leader, __ATOMIC_RELAXED),
		    (unsigned long long)get(&m.refresher_days));
	if (e == SM_OK && __atomic_load_n(&m.replica_configured, __ATOMIC_RELAXED))
		e = buf_printf(
		    out,
		    "# HELP samenmeten_read_replica_up 1 when open-data reads go to the read "
		    "replica, 0 while they fall back to the primary.\n"
		    "# TYPE samenmeten_read_replica_up gauge\n"
		    "samenmeten_read_replica_up %d\n"
		    "# HELP samenmeten_read_replica_lag_seconds How far the replica's replay is "
		    "behind (0 when it has replayed all it received).\n"
		    "# TYPE samenmeten_read_replica_lag_seconds gauge\n"
		    "samenmeten_read_replica_lag_seconds %.3f\n",
		    __atomic_load_n(&m.replica_up, __ATOMIC_RELAXED),
		    (double)__atomic_load_n(&m.replica_lag_us, __ATOMIC_RELAXED) / 1e6);
	if (e == SM_OK)
		e = buf_printf(
		    out,
		    "# HELP samenmeten_answer_cache_lookups_total Open answers asked of the "
		    "answer cache, by result: hit (kept), stale (kept, its time up, while "
		    "another request computes it again), waited (computed meanwhile for "
		    "another request), miss (computed).\n"
		    "# TYPE samenmeten_answer_cache_lookups_total counter\n"
		    "samenmeten_answer_cache_lookups_total{result=\"hit\"} %llu\n"
		    "samenmeten_answer_cache_lookups_total{result=\"stale\"} %llu\n"
		    "samenmeten_answer_cache_lookups_total{result=\"waited\"} %llu\n"
		    "samenmeten_answer_cache_lookups_total{result=\"miss\"} %llu\n"
		    "# HELP samenmeten_answer_cache_entries Open answers kept.\n"
		    "# TYPE samenmeten_answer_cache_entries gauge\n"
		    "samenmeten_answer_cache_entries %llu\n"
		    "# HELP samenmeten_answer_cache_bytes Memory the kept answers take.\n"
		    "# TYPE samenmeten_answer_cache_bytes gauge\n"
		    "samenmeten_answer_cache_bytes %llu\n",
		    (unsigned long long)get(&m.answers[METRICS_ANSWER_HIT]),
		    (unsigned long long)get(&m.answers[METRICS_ANSWER_STALE]),
		    (unsigned long long)get(&m.answers[METRICS_ANSWER_WAITED]),
		    (unsigned long long)get(&m.answers[METRICS_ANSWER_MISS]),
		    (unsigned long long)get(&m.answer_entries),
		    (unsigned long long)get(&m.answer_bytes));
	if (e == SM_OK)
		e = render_pools(out);
	return e;
}
