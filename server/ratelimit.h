/* Rate limits: a token bucket per client key (an address, a token). Each key
 * may make `rate` requests a second on average and `burst` at once; the
 * caller answers the rest with 429 and Retry-After. Buckets live in a fixed
 * table, so memory stays the same whatever the number of clients: a key
 * takes a free slot, or one whose bucket has filled up again (its client has
 * been quiet for burst/rate seconds); when every slot it may use is busy it
 * shares one, and is limited together with that slot's key. Thread-safe;
 * time comes from the caller. No HTTP, no database. */
#ifndef SAMENMETEN_RATELIMIT_H
#define SAMENMETEN_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ratelimit;

/* A limiter of `rate` requests a second and bursts of `burst` (>= 1) over
 * `slots` buckets; rate 0 allows everything. Owned by the caller: free with
 * ratelimit_free. SM_ERR_NOMEM only. */
MUST_CHECK sm_err ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out);
/* Safe with NULL. */
void ratelimit_free(struct ratelimit *rl);

/* Takes a request of `key` (any 64-bit hash of the client) at `now`
 * (seconds on a monotonic clock). True when allowed; else false, and
 * *retry_after_s is the whole seconds until one more would be. */
bool ratelimit_take(struct ratelimit *rl, uint64_t key, double now, int *retry_after_s);

/* A key for `len` bytes, hashed after `kind` so that an address and a
 * token never share a key. */
uint64_t ratelimit_key(const char *kind, const void *bytes, size_t len);

#endif
