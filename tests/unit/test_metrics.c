/* Unit tests for server/metrics.c: counters by route, method and status, the
 * latency histogram, and the Prometheus text rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "unit.h"
#include "workpool.h"

static const char *const methods[] = {"GET", "POST"};
static const char *const patterns[] = {"/a", "/b"};

static int setup_metrics(void **state)
{
	(void)state;
	return metrics_init(methods, patterns, 2) == SM_OK ? 0 : -1;
}

static int teardown_metrics(void **state)
{
	(void)state;
	metrics_cleanup();
	return 0;
}

/* The rendered text (owned by the caller). */
static char *render(void)
{
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(metrics_render(&b), SM_OK);
	char *text = buf_steal(&b, NULL);
	assert_non_null(text);
	return text;
}

/* `line` occurs in text as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Nothing observed: the metric families are there, with no request series,
 * and the process-wide counters at zero. (Runs first: those two counters
 * are never reset.) */
static void test_empty(void **state)
{
	(void)state;
	char *text = render();
	assert_true(has_line(text, "# TYPE samenmeten_http_requests_total counter"));
	assert_true(has_line(text, "# TYPE samenmeten_http_request_duration_seconds histogram"));
	assert_true(has_line(text, "# TYPE samenmeten_db_errors_total counter"));
	assert_true(has_line(text, "samenmeten_db_errors_total 0"));
	assert_true(has_line(text, "samenmeten_http_requests_in_flight 0"));
	assert_null(strstr(text, "samenmeten_http_requests_total{"));
	assert_null(strstr(text, "samenmeten_http_request_duration_seconds_bucket{"));
	free(text);
}

/* One set of observations, then every line the exposition must hold. */
static void test_observations(void **state)
{
	/* Route /a: one request per row below. 0.005 and 10 are bucket bounds
	 * themselves, and bounds are inclusive (le). */
	static const struct {
		int status;
		double seconds;
	} a_requests[] = {
	    {200, 0.0001}, {200, 0.005}, {404, 0.02}, {418, 0.75}, {500, 10.0}, {503, 11.0},
	};
	static const char *const want[] = {
	    /* counters; 418 is not a tracked status */
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 2",
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"404\"} 1",
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"500\"} 1",
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"503\"} 1",
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"other\"} 1",
	    "samenmeten_http_requests_total{route=\"/b\",method=\"POST\",status=\"201\"} 2",
	    "samenmeten_http_requests_total{route=\"unmatched\",method=\"\",status=\"404\"} 1",
	    "samenmeten_http_requests_total{route=\"unmatched\",method=\"\",status=\"405\"} 1",
	    /* /a histogram, cumulative */
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.001\"} 1",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.0025\"} 1",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.005\"} 2",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.01\"} 2",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.025\"} 3",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"0.5\"} 3",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",le=\"1\"} "
	    "4",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",le=\"5\"} "
	    "4",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"10\"} 5",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "a\",method=\"GET\",le=\"+Inf\"} 6",
	    "samenmeten_http_request_duration_seconds_count{route=\"/a\",method=\"GET\"} 6",
	    /* /b histogram and an exact sum (0.5 + 0.25) */
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "b\",method=\"POST\",le=\"0.1\"} 0",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "b\",method=\"POST\",le=\"0.25\"} 1",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "b\",method=\"POST\",le=\"0.5\"} 2",
	    "samenmeten_http_request_duration_seconds_bucket{route=\"/"
	    "b\",method=\"POST\",le=\"+Inf\"} 2",
	    "samenmeten_http_request_duration_seconds_sum{route=\"/b\",method=\"POST\"} 0.750000",
	    "samenmeten_http_request_duration_seconds_count{route=\"/b\",method=\"POST\"} 2",
	    /* unmatched requests, from both out-of-range indexes */
	    "samenmeten_http_request_duration_seconds_bucket{route=\"unmatched\",method=\"\",le=\"+"
	    "Inf\"} 2",
	    "samenmeten_http_request_duration_seconds_count{route=\"unmatched\",method=\"\"} 2",
	    "samenmeten_db_errors_total 3",
	    "samenmeten_http_requests_in_flight 1",
	};
	/* Series with no requests are left out. */
	static const char *const absent[] = {
	    "samenmeten_http_requests_total{route=\"/a\",method=\"GET\",status=\"418\"}",
	    "samenmeten_http_requests_total{route=\"/b\",method=\"POST\",status=\"200\"}",
	    "samenmeten_http_requests_total{route=\"/b\",method=\"POST\",status=\"other\"}",
	    "samenmeten_http_requests_total{route=\"unmatched\",method=\"\",status=\"200\"}",
	};
	(void)state;
	for (size_t i = 0; i < NELEMS(a_requests); i++)
		metrics_observe(0, a_requests[i].status, a_requests[i].seconds);
	metrics_observe(1, 201, 0.5);
	metrics_observe(1, 201, 0.25);
	metrics_observe(2, 404, 0.001);  /* index nroutes: unmatched */
	metrics_observe(99, 405, 0.001); /* beyond the table: unmatched too */
	for (int i = 0; i < 3; i++)
		metrics_db_error();
	metrics_in_flight(1);
	metrics_in_flight(1);
	metrics_in_flight(-1);

	char *text = render();
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(want); i++)
		EXPECT(run, want[i], has_line(text, want[i]));
	for (size_t i = 0; i < NELEMS(absent); i++)
		EXPECT(run, absent[i], strstr(text, absent[i]) == NULL);
	if (run.failed)
		print_error("rendered:\n%s", text);
	free(text);
	TABLE_DONE(run);
}

/* Every histogram: buckets never decrease and +Inf equals _count. */
static void test_histogram_shape(void **state)
{
	(void)state;
	for (int i = 0; i < 50; i++)
		metrics_observe((size_t)(i % 3), 200, (double)i * 0.013);
	char *text = render();
	const char *labels[] = {"route=\"/a\",method=\"GET\"", "route=\"/b\",method=\"POST\"",
	                        "route=\"unmatched\",method=\"\""};
	for (size_t l = 0; l < NELEMS(labels); l++) {
		char prefix[160];
		snprintf(prefix, sizeof(prefix),
		         "samenmeten_http_request_duration_seconds_bucket{%s,le=", labels[l]);
		unsigned long long last = 0, value = 0, count = 0;
		int buckets = 0;
		for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++) {
			const char *sp = strchr(p, '}');
			assert_non_null(sp);
			assert_int_equal(sscanf(sp + 1, " %llu", &value), 1);
			if (value < last)
				fail_msg("%s: a bucket falls from %llu to %llu", labels[l], last,
				         value);
			last = value;
			buckets++;
		}
		char count_prefix[160];
		snprintf(count_prefix, sizeof(count_prefix),
		         "samenmeten_http_request_duration_seconds_count{%s} ", labels[l]);
		const char *c = strstr(text, count_prefix);
		assert_non_null(c);
		assert_int_equal(sscanf(c + strlen(count_prefix), "%llu", &count), 1);
		assert_int_equal(buckets, 14); /* 13 bounds and +Inf */
		assert_int_equal(last, count); /* the last bucket is +Inf */
		assert_true(count >= 16);
	}
	free(text);
}

/* Rendering appends to what the buffer holds, and a capped buffer that is
 * too small is refused. */
static void test_render_buffer(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "# before\n"), SM_OK);
	assert_int_equal(metrics_render(&b), SM_OK);
	assert_int_equal(strncmp(b.data, "# before\n# HELP ", 16), 0);
	buf_cleanup(&b);

	buf_init(&b, 64);
	assert_int_equal(metrics_render(&b), SM_ERR_TOO_LARGE);
	buf_cleanup(&b);
}

/* The registered worker pools: four families, a line per pool labelled
 * with its name; none once the pools are taken away. */
static void test_workpools(void **state)
{
	(void)state;
	struct workpool *pools[2];
	assert_int_equal(workpool_new("test-a", 3, 5, &pools[0]), SM_OK);
	assert_int_equal(workpool_new("test-b", 1, 0, &pools[1]), SM_OK);
	static const char *const labels[] = {"a", "b"};
	char *text = render();
	assert_null(strstr(text, "samenmeten_workpool"));
	free(text);

	metrics_workpools(labels, pools, 2);
	text = render();
	static const char *const lines[] = {
	    "# TYPE samenmeten_workpool_running gauge",
	    "# TYPE samenmeten_workpool_waiting gauge",
	    "# TYPE samenmeten_workpool_threads gauge",
	    "# TYPE samenmeten_workpool_refused_total counter",
	    "samenmeten_workpool_running{pool=\"a\"} 0",
	    "samenmeten_workpool_running{pool=\"b\"} 0",
	    "samenmeten_workpool_waiting{pool=\"a\"} 0",
	    "samenmeten_workpool_waiting{pool=\"b\"} 0",
	    "samenmeten_workpool_threads{pool=\"a\"} 3",
	    "samenmeten_workpool_threads{pool=\"b\"} 1",
	    "samenmeten_workpool_refused_total{pool=\"a\"} 0",
	    "samenmeten_workpool_refused_total{pool=\"b\"} 0",
	};
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(lines); i++)
		EXPECT(run, lines[i], has_line(text, lines[i]));
	assert_non_null(strstr(text, "# HELP samenmeten_workpool_refused_total "));
	free(text);
	TABLE_DONE(run);

	metrics_workpools(NULL, NULL, 0);
	text = render();
	assert_null(strstr(text, "samenmeten_workpool"));
	free(text);
	workpool_free(pools[0]);
	workpool_free(pools[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup_metrics, teardown_metrics),
	    cmocka_unit_test_setup_teardown(test_observations, setup_metrics, teardown_metrics),
	    cmocka_unit_test_setup_teardown(test_histogram_shape, setup_metrics, teardown_metrics),
	    cmocka_unit_test_setup_teardown(test_render_buffer, setup_metrics, teardown_metrics),
	    cmocka_unit_test_setup_teardown(test_workpools, setup_metrics, teardown_metrics),
	};
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
