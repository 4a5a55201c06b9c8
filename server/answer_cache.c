#include "answer_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

#define NBUCKETS 4096 /* a power of two */

enum state { PENDING, READY, ABANDONED };

/* One key: an answer being computed, kept, or given up on. A ticket is the
 * pending slot itself. */
struct slot {
	char *key;
	size_t key_len;
	uint64_t hash;
	enum state state;
	int waiters;         /* requests waiting for it (PENDING) */
	bool revalidating;   /* READY, and a request computes it again */
	uint64_t generation; /* the cache's generation when its answer's computing began */
	uint64_t computing;  /* the same for the computing under way */
	int64_t made_ms;
	struct answer a;
	size_t bytes;               /* counted against max_bytes while READY */
	struct slot *chain;         /* the next slot of its bucket */
	struct slot *newer, *older; /* the recently-used list (READY slots only) */
};

struct answer_cache {
	int ttl_ms;
	size_t max_bytes;
	pthread_mutex_t mu;  /* guards everything below */
	pthread_cond_t done; /* a slot left PENDING */
	uint64_t generation;
	size_t bytes;
	size_t entries;
	struct slot *newest, *oldest;
	struct slot *buckets[NBUCKETS];
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* FNV-1a: the keys are ours, not an attacker's choice of collisions that
 * matter (a long chain costs a few compares, never a wrong answer). */
static uint64_t hash_of(const char *key, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

sm_err answer_cache_new(int ttl_s, size_t max_bytes, struct answer_cache **out)
{
	struct answer_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return SM_ERR_NOMEM;
	c->ttl_ms = ttl_s * 1000;
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &attr);
	pthread_condattr_destroy(&attr);
	*out = c;
	return SM_OK;
}

void answer_cleanup(struct answer *a)
{
	free(a->body);
	free(a->link);
	a->body = NULL;
	a->link = NULL;
}

static void slot_free(struct slot *s)
{
	answer_cleanup(&s->a);
	free(s->key);
	free(s);
}

void answer_cache_free(struct answer_cache *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct slot *s = c->buckets[b], *next; s; s = next) {
			next = s->chain;
			slot_free(s);
		}
	}
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct slot **bucket_of(struct answer_cache *c, uint64_t hash)
{
	return &c->buckets[hash & (NBUCKETS - 1)];
}

static struct slot *find(struct answer_cache *c, const char *key, size_t len, uint64_t hash)
{
	for (struct slot *s = *bucket_of(c, hash); s; s = s->chain)
		if (s->hash == hash && s->key_len == len && memcmp(s->key, key, len) == 0)
			return s;
	return NULL;
}

static void lru_unlink(struct answer_cache *c, struct slot *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else
		c->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else
		c->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void lru_push(struct answer_cache *c, struct slot *s)
{
	s->older = c->newest;
	s->newer = NULL;
	if (c->newest)
		c->newest->newer = s;
	else
		c->oldest = s;
	c->newest = s;
}

/* Takes a READY slot's answer out of the count (the slot stays). */
static void uncount(struct answer_cache *c, struct slot *s)
{
	lru_unlink(c, s);
	c->bytes -= s->bytes;
	c->entries--;
	s->bytes = 0;
	answer_cleanup(&s->a);
}

/* Removes s from its bucket and frees it. */
static void drop(struct answer_cache *c, struct slot *s)
{
	if (s->state == READY)
		uncount(c, s);
	for (struct slot **p = bucket_of(c, s->hash); *p; p = &(*p)->chain) {
		if (*p == s) {
			*p = s->chain;
			break;
		}
	}
	slot_free(s);
}

static void publish_size(const struct answer_cache *c)
{
	metrics_answer_cache_size(c->entries, c->bytes);
}

/* A copy of s's answer in out; false when memory ran out. */
static bool copy_out(const struct slot *s, int64_t now, struct answer *out)
{
	*out = s->a;
	out->body = malloc(s->a.len + 1);
	out->link = s->a.link ? strdup(s->a.link) : NULL;
	if (!out->body || (s->a.link && !out->link)) {
		answer_cleanup(out);
		return false;
	}
	memcpy(out->body, s->a.body, s->a.len + 1);
	out->age_s = (int)((now - s->made_ms) / 1000);
	return true;
}

static bool fresh(const struct answer_cache *c, const struct slot *s, int64_t now)
{
	return s->state == READY && s->generation == c->generation && now - s->made_ms < c->ttl_ms;
}

/* Whether a READY answer whose time is up may still be given out while it
 * is computed again: no write since, and younger than its max-age. */
static bool stale_usable(const struct answer_cache *c, const struct slot *s, int64_t now)
{
	return s->state == READY && s->generation == c->generation &&
	       now - s->made_ms < ANSWER_MAX_AGE_S * 1000;
}

/* Makes s (new, or READY and out of date with nobody copying it) the
 * caller's to compute. */
static struct answer_ticket *claim(struct answer_cache *c, struct slot *s)
{
	if (s->state == READY)
		uncount(c, s);
	s->state = PENDING;
	s->computing = c->generation;
	return (struct answer_ticket *)s;
}

/* Waits until s leaves PENDING, or wait_ms (0: no limit); the caller holds a
 * waiter's place on s. */
static void wait_for(struct answer_cache *c, struct slot *s, int wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (s->state == PENDING) {
		if (wait_ms <= 0)
			pthread_cond_wait(&c->done, &c->mu);
		else if (pthread_cond_timedwait(&c->done, &c->mu, &until) == ETIMEDOUT)
			break;
	}
}

sm_err answer_cache_get(struct answer_cache *c, const char *key, size_t key_len, int wait_ms,
                        struct answer *out, struct answer_ticket **ticket)
{
	*ticket = NULL;
	if (c->ttl_ms <= 0)
		return SM_ERR_NOT_FOUND;
	uint64_t hash = hash_of(key, key_len);
	sm_err e = SM_ERR_NOT_FOUND;
	pthread_mutex_lock(&c->mu);
	int64_t now = now_ms();
	struct slot *s = find(c, key, key_len, hash);
	if (!s) {
		s = calloc(1, sizeof(*s));
		char *k = s ? malloc(key_len) : NULL;
		if (k) {
			memcpy(k, key, key_len);
			s->key = k;
			s->key_len = key_len;
			s->hash = hash;
			s->chain = *bucket_of(c, hash);
			*bucket_of(c, hash) = s;
			*ticket = claim(c, s);
		} else {
			free(s);
		}
		metrics_answer_cache(METRICS_ANSWER_MISS);
	} else if (fresh(c, s, now)) {
		if (copy_out(s, now, out))
			e = SM_OK;
		lru_unlink(c, s);
		lru_push(c, s);
		metrics_answer_cache(e == SM_OK ? METRICS_ANSWER_HIT : METRICS_ANSWER_MISS);
	} else if (s->state == PENDING) {
		/* Someone computes it: its answer, computed after this request
		 * came, is as current as one of our own. */
		s->waiters++;
		wait_for(c, s, wait_ms);
		s->waiters--;
		if (s->state == READY && copy_out(s, now_ms(), out)) {
			e = SM_OK;
			metrics_answer_cache(METRICS_ANSWER_WAITED);
		} else {
			metrics_answer_cache(METRICS_ANSWER_MISS);
		}
		if (s->state == ABANDONED && s->waiters == 0)
			drop(c, s);
	} else if (stale_usable(c, s, now) && !s->revalidating) {
		/* Its time is up: this request computes it again, the others
		 * meanwhile get the kept one. */
		s->revalidating = true;
		s->computing = c->generation;
		*ticket = (struct answer_ticket *)s;
		metrics_answer_cache(METRICS_ANSWER_MISS);
	} else if (stale_usable(c, s, now)) {
		if (copy_out(s, now, out))
			e = SM_OK;
		metrics_answer_cache(e == SM_OK ? METRICS_ANSWER_STALE : METRICS_ANSWER_MISS);
	} else if (s->state == READY && !s->revalidating) {
		*ticket = claim(c, s); /* out of date */
		metrics_answer_cache(METRICS_ANSWER_MISS);
	} else {
		/* Out of date while another request computes it again, or
		 * abandoned with waiters leaving: compute without keeping. */
		metrics_answer_cache(METRICS_ANSWER_MISS);
	}
	publish_size(c);
	pthread_mutex_unlock(&c->mu);
	return e;
}

void answer_cache_put(struct answer_cache *c, struct answer_ticket *ticket, const struct answer *a)
{
	if (!ticket)
		return;
	struct slot *s = (struct slot *)ticket;
	struct answer copy = *a;
	copy.body = malloc(a->len + 1);
	copy.link = a->link ? strdup(a->link) : NULL;
	size_t bytes = sizeof(*s) + s->key_len + a->len + (a->link ? strlen(a->link) : 0);
	/* An answer of more than a quarter of the budget would push out the
	 * rest: it is not kept. */
	if (!copy.body || (a->link && !copy.link) || bytes > c->max_bytes / 4) {
		answer_cleanup(&copy);
		answer_cache_abandon(c, ticket);
		return;
	}
	memcpy(copy.body, a->body, a->len);
	copy.body[a->len] = '\0';
	pthread_mutex_lock(&c->mu);
	if (s->state == READY) { /* computed again: the new answer replaces the kept one */
		uncount(c, s);
		s->revalidating = false;
	}
	s->a = copy;
	s->generation = s->computing;
	s->state = READY;
	s->made_ms = now_ms();
	s->bytes = bytes;
	c->bytes += bytes;
	c->entries++;
	lru_push(c, s);
	/* The least recently used go while the answers are over budget; those
	 * being copied out wait for the next time. */
	for (struct slot *o = c->oldest, *newer; o && c->bytes > c->max_bytes; o = newer) {
		newer = o->newer;
		if (o != s && o->waiters == 0 && !o->revalidating)
			drop(c, o);
	}
	publish_size(c);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
}

void answer_cache_abandon(struct answer_cache *c, struct answer_ticket *ticket)
{
	if (!ticket)
		return;
	struct slot *s = (struct slot *)ticket;
	pthread_mutex_lock(&c->mu);
	if (s->state == READY) { /* computing it again failed: the kept one stays */
		s->revalidating = false;
		pthread_mutex_unlock(&c->mu);
		return;
	}
	s->state = ABANDONED;
	if (s->waiters == 0)
		drop(c, s);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
}

void answer_cache_invalidate(struct answer_cache *c)
{
	if (!c || c->ttl_ms <= 0)
		return;
	pthread_mutex_lock(&c->mu);
	c->generation++;
	/* Kept answers go now (their memory with them); those being computed
	 * (again) are out of date by their generation. */
	for (struct slot *o = c->oldest, *newer; o; o = newer) {
		newer = o->newer;
		if (o->waiters == 0 && !o->revalidating)
			drop(c, o);
	}
	publish_size(c);
	pthread_mutex_unlock(&c->mu);
}
