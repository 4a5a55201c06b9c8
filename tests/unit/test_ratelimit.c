/* Unit tests for server/ratelimit.c: token buckets per key, on a clock the
 * test drives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"
#include "unit.h"

/* Takes n requests of key at now; how many were allowed. */
static int take(struct ratelimit *rl, uint64_t key, double now, int n, int *retry)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += ratelimit_take(rl, key, now, retry);
	return ok;
}

/* A burst, then the rate; Retry-After says when the next one fits. */
static void test_burst_then_rate(void **state)
{
	(void)state;
	struct ratelimit *rl;
	assert_int_equal(ratelimit_new(2, 10, 64, &rl), SM_OK);
	int retry = -1;
	assert_int_equal(take(rl, 7, 100.0, 15, &retry), 10);
	assert_int_equal(retry, 1); /* 2 a second: the next in 0.5 s, said as 1 */
	assert_int_equal(take(rl, 7, 100.5, 3, &retry), 1);
	assert_int_equal(take(rl, 7, 103.0, 10, &retry), 5);
	/* Quiet long enough: a full burst again, never more. */
	assert_int_equal(take(rl, 7, 1000.0, 20, &retry), 10);
	ratelimit_free(rl);
}

static void test_slow_rate_retry_after(void **state)
{
	(void)state;
	struct ratelimit *rl;
	assert_int_equal(ratelimit_new(0.1, 1, 64, &rl), SM_OK); /* one per 10 s */
	int retry;
	assert_true(ratelimit_take(rl, 1, 0.0, &retry));
	assert_false(ratelimit_take(rl, 1, 1.0, &retry));
	assert_int_equal(retry, 9);
	assert_true(ratelimit_take(rl, 1, 10.0, &retry));
	assert_int_equal(retry, 0);
	ratelimit_free(rl);
}

/* Keys are limited apart, even when they land on the same slot. */
static void test_keys_apart(void **state)
{
	(void)state;
	struct ratelimit *rl;
	assert_int_equal(ratelimit_new(1, 3, 8, &rl), SM_OK);
	int retry;
	assert_int_equal(take(rl, 8, 0.0, 5, &retry), 3);
	assert_int_equal(take(rl, 16, 0.0, 5, &retry), 3); /* 16 % 8 == 8 % 8 */
	assert_int_equal(take(rl, 9, 0.0, 5, &retry), 3);
	ratelimit_free(rl);
}

/* More busy clients than slots: none gets more than its share, and a slot
 * whose client went quiet is taken over. */
static void test_more_clients_than_slots(void **state)
{
	(void)state;
	struct ratelimit *rl;
	assert_int_equal(ratelimit_new(1, 2, 4, &rl), SM_OK);
	int retry, allowed = 0;
	for (uint64_t k = 1; k <= 100; k++)
		allowed += take(rl, k, 0.0, 5, &retry);
	/* Four slots of two: shared slots allow no more than their burst. */
	assert_true(allowed <= 4 * 2 + 4 * 2);
	/* Much later every bucket is full again: a new client gets its burst. */
	assert_int_equal(take(rl, 12345, 500.0, 5, &retry), 2);
	ratelimit_free(rl);
}

static void test_zero_rate_allows_all(void **state)
{
	(void)state;
	struct ratelimit *rl;
	assert_int_equal(ratelimit_new(0, 0, 16, &rl), SM_OK);
	int retry;
	assert_int_equal(take(rl, 3, 0.0, 10000, &retry), 10000);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static void test_keys_by_kind(void **state)
{
	(void)state;
	uint64_t a = ratelimit_key("ipv4", "\x7f\x00\x00\x01", 4);
	assert_true(a != ratelimit_key("token", "\x7f\x00\x00\x01", 4));
	assert_true(a != ratelimit_key("ipv4", "\x7f\x00\x00\x02", 4));
	assert_true(a == ratelimit_key("ipv4", "\x7f\x00\x00\x01", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_rate),
	    cmocka_unit_test(test_slow_rate_retry_after),
	    cmocka_unit_test(test_keys_apart),
	    cmocka_unit_test(test_more_clients_than_slots),
	    cmocka_unit_test(test_zero_rate_allows_all),
	    cmocka_unit_test(test_keys_by_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
