/* A background thread that runs rounds, with a wait after each that a stop
 * cuts short: the database's background work (replica.c's health check,
 * refresher.c's refresher). A round takes its connection from its pool
 * (db_acquire), which reconnects one that was lost; a round that failed
 * for want of the database just asks for the usual wait, and the next
 * round tries again. Never sees HTTP or the database. */
#ifndef SAMENMETEN_BACKGROUND_H
#define SAMENMETEN_BACKGROUND_H

#include "err.h"

struct background;

/* One round, on the background thread, with the ctx given at the start:
 * returns how many ms to wait before the next round (0: at once, unless a
 * stop was asked meanwhile). */
typedef int (*background_round_fn)(void *ctx);

/* Starts a thread (named `name`, at most 15 characters) that runs `round`
 * until background_stop. ctx is borrowed: it must outlive the thread.
 * Owned by the caller; SM_ERR_INTERNAL when no thread could be made. */
MUST_CHECK sm_err background_start(const char *name, background_round_fn round, void *ctx,
                                   struct background **out);

/* Asks the thread to stop, waits for the round in hand (a wait ends at
 * once), and frees it. NULL is allowed. */
void background_stop(struct background *b);

#endif
