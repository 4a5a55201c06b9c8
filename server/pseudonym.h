/* Pseudonymisation and tokens. A 256-bit secret key lives in a file (mode
 * 0600) outside the database and, in memory, in sodium_malloc'ed pages that
 * are read-only while the server runs and wiped at exit. Every kind of
 * identifier gets its own subkey (crypto_kdf), so the same text hashed as an
 * IMEI and as a participant reference gives unrelated pseudonyms; the
 * publication subkey is separate from all stored ones. Call sodium_init()
 * before anything here. */
#ifndef SAMENMETEN_PSEUDONYM_H
#define SAMENMETEN_PSEUDONYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PSEUDONYM_BYTES 32
#define PSEUDONYM_HEX_BYTES (2 * PSEUDONYM_BYTES + 1)
/* "smd_" or "sma_" + 43 base64url characters of 32 random bytes + NUL. */
#define TOKEN_STRLEN 48

enum pseudonym_kind {
	PSEUDO_EXTERNAL_ID = 1, /* IMEI, MAC, station serial, Telraam instance */
	PSEUDO_PARTICIPANT = 2, /* a coordinator's participant reference */
	PSEUDO_TOKEN = 3,       /* device and admin tokens, hashed at rest */
	PSEUDO_TTN_DEVICE = 4,  /* The Things Stack end-device id */
	PSEUDO_PUBLICATION = 5, /* ids shown in open data: never stored */
	PSEUDO_TRIP_ZONE =
	    6, /* unused since sql/021 (zones are lattice cells); kept: ids are fixed */
	PSEUDO_KIND_MAX
};

/* Reads the key file, or, when it does not exist, creates it with a fresh
 * random key (mode 0600; *created set). Fails on a file with the wrong size,
 * content or permissions; `errbuf` says why. */
MUST_CHECK sm_err pseudonym_keys_load(const char *path, bool *created, char *errbuf, size_t errlen);

/* Wipes and frees the keys; safe to call twice. */
void pseudonym_keys_cleanup(void);

/* The keyed hash of `id` for `kind`, into out. The keys must be loaded. */
void pseudonym_hash(enum pseudonym_kind kind, const void *id, size_t len,
                    uint8_t out[PSEUDONYM_BYTES]);

/* HMAC-SHA-256 of `msg` under the subkey of `kind`: what PostgreSQL's
 * hmac(msg, subkey, 'sha256') gives, computed where the key lives (trip
 * pseudonyms in open data). The keys must be loaded. */
void pseudonym_mac(enum pseudonym_kind kind, const void *msg, size_t len,
                   uint8_t out[PSEUDONYM_BYTES]);

/* The same, as lower-case hex (NUL-terminated). */
void pseudonym_hex(enum pseudonym_kind kind, const void *id, size_t len,
                   char out[PSEUDONYM_HEX_BYTES]);

/* A new random token, `prefix` (3 characters and '_') + base64url. */
void token_generate(const char prefix[4], char out[TOKEN_STRLEN]);

/* True when a and b hold the same bytes, in time independent of where they
 * differ. */
bool pseudonym_equal(const uint8_t a[PSEUDONYM_BYTES], const uint8_t b[PSEUDONYM_BYTES]);

#endif
