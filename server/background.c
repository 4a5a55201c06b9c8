#include "background.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct background {
	background_round_fn round;
	void *ctx;
	char name[16];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC: a change of the date does not move a wait */
	bool stopping;
};

/* Waits up to ms, or until asked to stop; true when asked. */
static bool wait_or_stop(struct background *b, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->stopping && pthread_cond_timedwait(&b->wake, &b->lock, &until) == 0)
		;
	bool stopping = b->stopping;
	pthread_mutex_unlock(&b->lock);
	return stopping;
}

static void *run(void *arg)
{
	struct background *b = arg;
	pthread_setname_np(pthread_self(), b->name);
	int ms = 0;
	while (!wait_or_stop(b, ms))
		ms = b->round(b->ctx);
	return NULL;
}

sm_err background_start(const char *name, background_round_fn round, void *ctx,
                        struct background **out)
{
	*out = NULL;
	struct background *b = calloc(1, sizeof(*b));
	if (!b)
		return SM_ERR_NOMEM;
	b->round = round;
	b->ctx = ctx;
	snprintf(b->name, sizeof(b->name), "%s", name);
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&b->thread, NULL, run, b) != 0) {
		pthread_cond_destroy(&b->wake);
		pthread_mutex_destroy(&b->lock);
		free(b);
		return SM_ERR_INTERNAL;
	}
	*out = b;
	return SM_OK;
}

void background_stop(struct background *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
