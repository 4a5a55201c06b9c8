/* Unit tests for server/workpool.c: jobs run on the pool's threads, never
 * more at once than it has threads, a bounded submission is refused (and
 * counted) once max_waiting jobs wait, and stopping runs what was queued. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "workpool.h"

/* A job that waits at a gate until the test opens it. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool open;
	int inside, most_inside, done;
};

struct gated_job {
	struct workpool_job job;
	struct gate *gate;
};

static void gated_run(struct workpool_job *job)
{
	struct gate *g = ((struct gated_job *)(void *)job)->gate;
	pthread_mutex_lock(&g->mu);
	g->inside++;
	if (g->inside > g->most_inside)
		g->most_inside = g->inside;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->mu);
	g->inside--;
	g->done++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mu);
}

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->open = false;
	g->inside = g->most_inside = g->done = 0;
}

static void gate_wait_inside(struct gate *g, int n)
{
	pthread_mutex_lock(&g->mu);
	while (g->inside < n)
		pthread_cond_wait(&g->cond, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mu);
}

static void gate_destroy(struct gate *g)
{
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cond);
}

static void test_runs_every_job_within_its_threads(void **state)
{
	(void)state;
	struct gate g;
	gate_init(&g);
	struct workpool *p;
	assert_int_equal(workpool_new("test", 3, 100, &p), SM_OK);
	struct gated_job jobs[40];
	for (size_t i = 0; i < 40; i++) {
		jobs[i] = (struct gated_job){{gated_run, NULL}, &g};
		assert_int_equal(workpool_submit(p, &jobs[i].job, true), SM_OK);
	}
	gate_wait_inside(&g, 3);
	int running, waiting;
	workpool_counts(p, &running, &waiting);
	assert_int_equal(running, 3);
	assert_int_equal(waiting, 37);
	gate_open(&g);
	workpool_stop(p);
	assert_int_equal(g.done, 40);
	assert_int_equal(g.most_inside, 3);
	workpool_free(p);
	gate_destroy(&g);
}

static void test_bounded_queue(void **state)
{
	(void)state;
	struct gate g;
	gate_init(&g);
	struct workpool *p;
	assert_int_equal(workpool_new("test", 1, 2, &p), SM_OK);
	struct gated_job jobs[5];
	for (size_t i = 0; i < 5; i++)
		jobs[i] = (struct gated_job){{gated_run, NULL}, &g};
	assert_int_equal(workpool_submit(p, &jobs[0].job, true), SM_OK);
	gate_wait_inside(&g, 1); /* running: the queue is empty again */
	assert_int_equal(workpool_submit(p, &jobs[1].job, true), SM_OK);
	assert_int_equal(workpool_submit(p, &jobs[2].job, true), SM_OK);
	assert_int_equal(workpool_submit(p, &jobs[3].job, true), SM_ERR_TOO_LARGE);
	assert_int_equal(workpool_submit(p, &jobs[3].job, false), SM_OK); /* must not be refused */
	struct workpool_stats st;
	workpool_stats(p, &st);
	assert_int_equal(st.threads, 1);
	assert_int_equal(st.running, 1);
	assert_int_equal(st.waiting, 3);
	assert_int_equal(st.refused, 1);
	gate_open(&g);
	workpool_stop(p);
	assert_int_equal(g.done, 4);
	assert_int_equal(workpool_submit(p, &jobs[4].job, false), SM_ERR_UNAVAILABLE);
	workpool_stop(p); /* twice is fine */
	workpool_free(p);
	gate_destroy(&g);
}

/* With max_waiting 0 a job is taken while a thread is free, and refused
 * (and counted) once every thread is busy; unbounded submissions and those
 * after stopping are not counted. */
static void test_no_queue_refusals_counted(void **state)
{
	(void)state;
	struct gate g;
	gate_init(&g);
	struct workpool *p;
	assert_int_equal(workpool_new("test", 2, 0, &p), SM_OK);
	struct gated_job jobs[6];
	for (size_t i = 0; i < 6; i++)
		jobs[i] = (struct gated_job){{gated_run, NULL}, &g};
	/* Both at once, before either thread has taken one. */
	assert_int_equal(workpool_submit(p, &jobs[0].job, true), SM_OK);
	assert_int_equal(workpool_submit(p, &jobs[1].job, true), SM_OK);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(workpool_submit(p, &jobs[2].job, true), SM_ERR_TOO_LARGE);
		struct workpool_stats st;
		workpool_stats(p, &st);
		assert_int_equal(st.refused, (unsigned long long)i);
	}
	gate_wait_inside(&g, 2);
	assert_int_equal(workpool_submit(p, &jobs[2].job, true), SM_ERR_TOO_LARGE);
	assert_int_equal(workpool_submit(p, &jobs[2].job, false), SM_OK);
	struct workpool_stats st;
	workpool_stats(p, &st);
	assert_int_equal(st.threads, 2);
	assert_int_equal(st.running, 2);
	assert_int_equal(st.waiting, 1);
	assert_int_equal(st.refused, 4);
	gate_open(&g);
	workpool_stop(p);
	assert_int_equal(g.done, 3);
	assert_int_equal(workpool_submit(p, &jobs[3].job, true), SM_ERR_UNAVAILABLE);
	workpool_stats(p, &st);
	assert_int_equal(st.running + st.waiting, 0);
	assert_int_equal(st.refused, 4);
	workpool_free(p);
	gate_destroy(&g);
}

static void test_invalid(void **state)
{
	(void)state;
	struct workpool *p = (struct workpool *)1;
	assert_int_equal(workpool_new("test", 0, 1, &p), SM_ERR_INVALID);
	assert_null(p);
	workpool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runs_every_job_within_its_threads),
	    cmocka_unit_test(test_bounded_queue),
	    cmocka_unit_test(test_no_queue_refusals_counted),
	    cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests_name("workpool", tests, NULL, NULL);
}
