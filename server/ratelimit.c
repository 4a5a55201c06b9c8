#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* Slots a key may use: its own and the next few. */
#define PROBES 4

struct bucket {
	uint64_t key; /* 0: free */
	double tokens;
	double at; /* when tokens was last brought up to date */
};

struct ratelimit {
	double rate, burst;
	size_t nslots;
	struct bucket *slots;
	pthread_mutex_t lock;
};

sm_err ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out)
{
	*out = NULL;
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return SM_ERR_NOMEM;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->nslots = slots < PROBES ? PROBES : slots;
	rl->slots = calloc(rl->nslots, sizeof(*rl->slots));
	if (!rl->slots) {
		free(rl);
		return SM_ERR_NOMEM;
	}
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return SM_OK;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

/* Brings b's tokens up to now. */
static void refill(const struct ratelimit *rl, struct bucket *b, double now)
{
	if (now > b->at) {
		b->tokens = fmin(rl->burst, b->tokens + (now - b->at) * rl->rate);
		b->at = now;
	}
}

/* The bucket of key: its own, a free one, one that has filled up again, or
 * (every probed slot busy) the first probed, shared. */
static struct bucket *bucket_of(struct ratelimit *rl, uint64_t key, double now)
{
	struct bucket *reusable = NULL;
	for (size_t i = 0; i < PROBES; i++) {
		struct bucket *b = &rl->slots[(key + i) % rl->nslots];
		if (b->key == key)
			return b;
		if (!reusable) {
			if (b->key != 0)
				refill(rl, b, now);
			if (b->key == 0 || b->tokens >= rl->burst)
				reusable = b;
		}
	}
	if (!reusable)
		return &rl->slots[key % rl->nslots];
	*reusable = (struct bucket){key, rl->burst, now};
	return reusable;
}

bool ratelimit_take(struct ratelimit *rl, uint64_t key, double now, int *retry_after_s)
{
	*retry_after_s = 0;
	if (rl->rate <= 0)
		return true;
	key = key ? key : 1; /* 0 marks a free slot */
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = bucket_of(rl, key, now);
	refill(rl, b, now);
	bool allowed = b->tokens >= 1;
	if (allowed)
		b->tokens -= 1;
	else
		*retry_after_s = (int)ceil((1 - b->tokens) / rl->rate);
	pthread_mutex_unlock(&rl->lock);
	return allowed;
}

uint64_t ratelimit_key(const char *kind, const void *bytes, size_t len)
{
	/* The kind and its NUL, then the bytes: "ab"+"c" and "a"+"bc" differ. */
	return hash_bytes(hash_bytes(HASH_SEED, kind, strlen(kind) + 1), bytes, len);
}
