/* Unit tests for server/background.c: the thread under the replica check
 * and the refresher runs its rounds one after another, waits as long as
 * each round asks (not at all for 0), stops promptly from the longest wait,
 * and lets the round in hand finish before it stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "background.h"

/* A round that counts itself and asks for wait_ms once `quick` rounds ran
 * (0 before); it takes round_ms. */
struct counter {
	atomic_int rounds, finished, inside, most_inside;
	int quick, wait_ms, round_ms;
};

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int count_round(void *arg)
{
	struct counter *c = arg;
	int inside = atomic_fetch_add(&c->inside, 1) + 1;
	if (inside > atomic_load(&c->most_inside))
		atomic_store(&c->most_inside, inside);
	int n = atomic_fetch_add(&c->rounds, 1) + 1;
	if (c->round_ms > 0)
		sleep_ms(c->round_ms);
	atomic_fetch_sub(&c->inside, 1);
	atomic_fetch_add(&c->finished, 1);
	return n < c->quick ? 0 : c->wait_ms;
}

/* Waits (up to 10 s: the machine may be busy) until `rounds` rounds ran. */
static void wait_rounds(struct counter *c, int rounds)
{
	int64_t until = now_ms() + 10000;
	while (atomic_load(&c->rounds) < rounds && now_ms() < until)
		sleep_ms(1);
	assert_true(atomic_load(&c->rounds) >= rounds);
}

/* Rounds that ask for no wait follow at once; then a long wait holds the
 * next round back, and a stop ends that wait at once. */
static void test_rounds_then_prompt_stop(void **state)
{
	(void)state;
	struct counter c = {.quick = 50, .wait_ms = 60000};
	struct background *b;
	assert_int_equal(background_start("test-bg", count_round, &c, &b), SM_OK);
	wait_rounds(&c, 50);
	sleep_ms(100);
	assert_int_equal(atomic_load(&c.rounds), 50);
	int64_t t0 = now_ms();
	background_stop(b);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(atomic_load(&c.rounds), 50);
	assert_int_equal(atomic_load(&c.most_inside), 1);
}

/* A short wait ends by itself: the next round comes. */
static void test_rounds_after_a_wait(void **state)
{
	(void)state;
	struct counter c = {.quick = 0, .wait_ms = 20};
	struct background *b;
	assert_int_equal(background_start("test-bg", count_round, &c, &b), SM_OK);
	wait_rounds(&c, 4);
	background_stop(b);
	int after = atomic_load(&c.rounds);
	sleep_ms(60);
	assert_int_equal(atomic_load(&c.rounds), after);
}

/* A stop asked during a round waits for it, and no round follows, even
 * one that would come at once. */
static void test_stop_lets_the_round_finish(void **state)
{
	(void)state;
	struct counter c = {.quick = 1000, .wait_ms = 0, .round_ms = 200};
	struct background *b;
	assert_int_equal(background_start("test-bg", count_round, &c, &b), SM_OK);
	wait_rounds(&c, 1);
	background_stop(b);
	assert_int_equal(atomic_load(&c.inside), 0);
	assert_int_equal(atomic_load(&c.finished), atomic_load(&c.rounds));
	int after = atomic_load(&c.rounds);
	assert_true(after <= 2);
	sleep_ms(250);
	assert_int_equal(atomic_load(&c.rounds), after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rounds_then_prompt_stop),
	    cmocka_unit_test(test_rounds_after_a_wait),
	    cmocka_unit_test(test_stop_lets_the_round_finish),
	};
	return cmocka_run_group_tests_name("background", tests, NULL, NULL);
}
