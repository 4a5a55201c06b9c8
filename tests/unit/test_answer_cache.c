/* Unit tests for server/answer_cache.c: an answer is kept until its time
 * is up or a write invalidates it, then given out while one request
 * computes it again (never after a write); requests for an answer being
 * computed wait for it instead of computing it again; the least recently
 * used go when the budget is full; nothing is kept with a time of 0. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "answer_cache.h"
#include "request.h"

static sm_err get(struct answer_cache *c, const char *key, int wait_ms, struct answer *a,
                  struct answer_ticket **t)
{
	memset(a, 0, sizeof(*a));
	return answer_cache_get(c, key, strlen(key), wait_ms, a, t);
}

/* Puts body (and link) as key's answer through the ticket. */
static void put(struct answer_cache *c, struct answer_ticket *t, const char *body, const char *link)
{
	struct answer a = {.body = (char *)body, .len = strlen(body), .type = "application/json"};
	a.link = (char *)link;
	etag_of(body, a.len, a.etag);
	answer_cache_put(c, t, &a);
}

static void test_kept_until_invalidated(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(60, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t;
	assert_int_equal(get(c, "q1", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	put(c, t, "{\"items\": [1]}", "</v1/aggregates?offset=1>; rel=\"next\"");

	assert_int_equal(get(c, "q1", 1000, &a, &t), SM_OK);
	assert_null(t);
	assert_string_equal(a.body, "{\"items\": [1]}");
	assert_int_equal(a.len, 14);
	assert_string_equal(a.link, "</v1/aggregates?offset=1>; rel=\"next\"");
	assert_string_equal(a.type, "application/json");
	char etag[ETAG_LEN];
	etag_of(a.body, a.len, etag);
	assert_string_equal(a.etag, etag);
	assert_int_equal(a.age_s, 0);
	answer_cleanup(&a);
	answer_cleanup(&a); /* twice is fine */

	/* Another key is another answer, also one that starts the same. */
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_abandon(c, t);
	assert_int_equal(get(c, "q1x", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_abandon(c, t);

	answer_cache_invalidate(c);
	assert_int_equal(get(c, "q1", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	put(c, t, "{\"items\": [2]}", NULL);
	assert_int_equal(get(c, "q1", 1000, &a, &t), SM_OK);
	assert_string_equal(a.body, "{\"items\": [2]}");
	assert_null(a.link);
	answer_cleanup(&a);
	answer_cache_free(c);
}

static void test_invalidated_while_computed(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(60, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t;
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_invalidate(c); /* a write lands while the answer is computed */
	put(c, t, "old", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	put(c, t, "new", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_OK);
	assert_string_equal(a.body, "new");
	answer_cleanup(&a);
	answer_cache_free(c);
}

static void test_time_is_up(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(1, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t;
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	put(c, t, "a", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_OK);
	answer_cleanup(&a);
	usleep(1100 * 1000);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	answer_cache_abandon(c, t);
	answer_cache_free(c);
}

static void test_stale_while_computed_again(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(1, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t, *t2;
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	put(c, t, "old", NULL);
	usleep(1100 * 1000);
	/* Its time is up: one request computes it again ... */
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	/* ... the others meanwhile get the kept one, with its age. */
	assert_int_equal(get(c, "q", 1000, &a, &t2), SM_OK);
	assert_null(t2);
	assert_string_equal(a.body, "old");
	assert_int_equal(a.age_s, 1);
	answer_cleanup(&a);
	put(c, t, "new", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t2), SM_OK);
	assert_string_equal(a.body, "new");
	assert_int_equal(a.age_s, 0);
	answer_cleanup(&a);

	/* Computing it again fails: the kept one stays, the next request tries. */
	usleep(1100 * 1000);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_abandon(c, t);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);

	/* A write while it is computed again: nothing kept is given out. */
	answer_cache_invalidate(c);
	assert_int_equal(get(c, "q", 1000, &a, &t2), SM_ERR_NOT_FOUND);
	assert_null(t2);
	put(c, t, "computed before the write", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t2), SM_ERR_NOT_FOUND);
	assert_non_null(t2);
	put(c, t2, "after", NULL);
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_OK);
	assert_string_equal(a.body, "after");
	answer_cleanup(&a);
	answer_cache_free(c);
}

static void test_nothing_kept_at_zero(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(0, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t = (struct answer_ticket *)1;
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_null(t);
	put(c, t, "a", NULL); /* a NULL ticket keeps nothing */
	assert_int_equal(get(c, "q", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_null(t);
	answer_cache_invalidate(c);
	answer_cache_free(c);
}

struct asker {
	struct answer_cache *c;
	sm_err e;
	bool ticket;
	char body[32];
};

static void *ask(void *arg)
{
	struct asker *k = arg;
	struct answer a;
	struct answer_ticket *t;
	k->e = get(k->c, "shared", 5000, &a, &t);
	k->ticket = t != NULL;
	if (k->e == SM_OK)
		strncpy(k->body, a.body, sizeof(k->body) - 1);
	answer_cleanup(&a);
	answer_cache_abandon(k->c, t);
	return NULL;
}

static void test_waits_for_the_answer_being_computed(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(60, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t;
	assert_int_equal(get(c, "shared", 1000, &a, &t), SM_ERR_NOT_FOUND);
	struct asker askers[4];
	for (int i = 0; i < 4; i++)
		askers[i] = (struct asker){.c = c};
	pthread_t threads[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, ask, &askers[i]);
	usleep(100 * 1000); /* they wait */
	put(c, t, "computed once", NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(askers[i].e, SM_OK);
		assert_false(askers[i].ticket);
		assert_string_equal(askers[i].body, "computed once");
	}
	answer_cache_free(c);
}

static void test_abandoned_and_timed_out(void **state)
{
	(void)state;
	struct answer_cache *c;
	assert_int_equal(answer_cache_new(60, 1 << 20, &c), SM_OK);
	struct answer a;
	struct answer_ticket *t, *t2;
	assert_int_equal(get(c, "shared", 1000, &a, &t), SM_ERR_NOT_FOUND);
	/* Waiting has a limit: then the request computes without keeping. */
	assert_int_equal(get(c, "shared", 50, &a, &t2), SM_ERR_NOT_FOUND);
	assert_null(t2);

	struct asker k = {.c = c};
	pthread_t thread;
	pthread_create(&thread, NULL, ask, &k);
	usleep(100 * 1000);
	answer_cache_abandon(c, t); /* an error: the waiter computes it */
	pthread_join(thread, NULL);
	assert_int_equal(k.e, SM_ERR_NOT_FOUND);
	/* The key is free again: the next request computes and keeps. */
	assert_int_equal(get(c, "shared", 1000, &a, &t), SM_ERR_NOT_FOUND);
	assert_non_null(t);
	put(c, t, "x", NULL);
	assert_int_equal(get(c, "shared", 1000, &a, &t), SM_OK);
	answer_cleanup(&a);
	answer_cache_free(c);
}

static void test_least_recently_used_go_first(void **state)
{
	(void)state;
	struct answer_cache *c;
	/* Four answers of 1,000 bytes and their bookkeeping (40 to 300 bytes
	 * each) fit, five do not. */
	assert_int_equal(answer_cache_new(60, 5200, &c), SM_OK);
	char body[1001];
	memset(body, 'x', 1000);
	body[1000] = '\0';
	struct answer a;
	struct answer_ticket *t;
	const char *keys[] = {"k0", "k1", "k2", "k3", "k4"};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(get(c, keys[i], 1000, &a, &t), SM_ERR_NOT_FOUND);
		put(c, t, body, NULL);
	}
	assert_int_equal(get(c, "k0", 1000, &a, &t), SM_OK); /* k0 used: k1 is the oldest */
	answer_cleanup(&a);
	assert_int_equal(get(c, keys[4], 1000, &a, &t), SM_ERR_NOT_FOUND);
	put(c, t, body, NULL);
	assert_int_equal(get(c, "k1", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_abandon(c, t);
	for (int i = 0; i < 5; i++) {
		if (i == 1)
			continue;
		assert_int_equal(get(c, keys[i], 1000, &a, &t), SM_OK);
		answer_cleanup(&a);
	}
	/* An answer over a quarter of the budget is not kept at all. */
	char big[1401];
	memset(big, 'y', 1400);
	big[1400] = '\0';
	assert_int_equal(get(c, "big", 1000, &a, &t), SM_ERR_NOT_FOUND);
	put(c, t, big, NULL);
	assert_int_equal(get(c, "big", 1000, &a, &t), SM_ERR_NOT_FOUND);
	answer_cache_abandon(c, t);
	assert_int_equal(get(c, "k0", 1000, &a, &t), SM_OK);
	answer_cleanup(&a);
	answer_cache_free(c);
	answer_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kept_until_invalidated),
	    cmocka_unit_test(test_invalidated_while_computed),
	    cmocka_unit_test(test_time_is_up),
	    cmocka_unit_test(test_stale_while_computed_again),
	    cmocka_unit_test(test_nothing_kept_at_zero),
	    cmocka_unit_test(test_waits_for_the_answer_being_computed),
	    cmocka_unit_test(test_abandoned_and_timed_out),
	    cmocka_unit_test(test_least_recently_used_go_first),
	};
	return cmocka_run_group_tests_name("answer_cache", tests, NULL, NULL);
}
