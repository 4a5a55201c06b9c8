/* A fast non-cryptographic hash (64-bit FNV-1a) for in-memory tables: the
 * trip-name cache of dataset.c, the rate-limit buckets. Never for anything a
 * client could aim at a key of ours: keyed hashes live in pseudonym.c. */
#ifndef SAMENMETEN_HASH_H
#define SAMENMETEN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED UINT64_C(14695981039346656037) /* FNV offset basis */

/* Hashes `len` bytes into `h` (HASH_SEED to start; a previous result to
 * continue) and returns it. */
uint64_t hash_bytes(uint64_t h, const void *bytes, size_t len);

#endif
