/* Open answers kept for a few seconds. A dashboard is many visitors asking
 * the same questions at once (every visitor's first map is the same map),
 * and an aggregate over ten million readings is worth computing once:
 *
 * - an answer is kept at most ttl_s seconds, which the server keeps below
 *   the max-age the answer itself allows any shared cache, and only until
 *   the caller says that what it was computed from has changed in a way
 *   that must show at once (answer_cache_invalidate);
 * - requests for an answer that is being computed wait for it (up to a
 *   limit) instead of computing it again;
 * - once an answer's ttl_s is up, one request computes it again while the
 *   others are still given the kept one (RFC 5861's stale-while-revalidate),
 *   up to ANSWER_MAX_AGE_S after it was computed, so a slow aggregate makes
 *   no visitor wait but the first; after answer_cache_invalidate no kept
 *   answer is given out;
 * - the answers take at most max_bytes; the least recently used go first.
 *
 * Keys are opaque byte strings the caller makes unambiguous. Thread-safe.
 * Never sees HTTP. */
#ifndef SAMENMETEN_ANSWER_CACHE_H
#define SAMENMETEN_ANSWER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ANSWER_ETAG_LEN 40 /* W/"<32 hex digits>" and its NUL (request.h's ETAG_LEN) */
/* The max-age open answers announce (Cache-Control), and the age beyond
 * which a kept answer is never given out. */
#define ANSWER_MAX_AGE_S 60

/* One answer: a 200 body with what goes with it. */
struct answer {
	char *body; /* owned, NUL-terminated after len bytes */
	size_t len;
	const char *type; /* static */
	char *link;       /* owned; a Link header, or NULL */
	char etag[ANSWER_ETAG_LEN];
	int age_s; /* answer_cache_get: seconds since it was computed */
};

struct answer_cache;
struct answer_ticket; /* a promise to compute one key's answer */

/* ttl_s 0 makes a cache that keeps nothing (every get says compute). */
MUST_CHECK sm_err answer_cache_new(int ttl_s, size_t max_bytes, struct answer_cache **out);
void answer_cache_free(struct answer_cache *c);

/* Looks `key` up. SM_OK: *out holds a copy of the kept answer (free it
 * with answer_cleanup). SM_ERR_NOT_FOUND: the caller computes the answer
 * and then hands *ticket to answer_cache_put or answer_cache_abandon
 * (exactly one of them; *ticket may be NULL, when nothing will be kept, and
 * both take NULL). While another request computes the same key this waits
 * for it, at most wait_ms (0: as long as it takes; the one computing is
 * bound to call put or abandon). */
MUST_CHECK sm_err answer_cache_get(struct answer_cache *c, const char *key, size_t key_len,
                                   int wait_ms, struct answer *out, struct answer_ticket **ticket);
/* Keeps a copy of `a` for the ticket's key, and wakes those waiting for it. */
void answer_cache_put(struct answer_cache *c, struct answer_ticket *ticket, const struct answer *a);
/* The answer could not be computed (an error, not a 200): those waiting
 * compute it themselves. */
void answer_cache_abandon(struct answer_cache *c, struct answer_ticket *ticket);

/* Forgets every answer: something they were computed from has changed. */
void answer_cache_invalidate(struct answer_cache *c);

/* Frees what an answer owns; safe to call twice. */
void answer_cleanup(struct answer *a);

#endif
