#include "workpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job was queued, or the pool is stopping */
	struct workpool_job *head, *tail;
	int waiting, running;
	int max_waiting;
	unsigned long long refused;
	bool stopping;
	bool stopped; /* the threads have been joined */
	int nthreads;
	pthread_t *threads;
	char name[16];
};

static void *worker(void *arg)
{
	struct workpool *p = arg;
	pthread_setname_np(pthread_self(), p->name);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->work, &p->mu);
		struct workpool_job *job = p->head;
		if (!job)
			break; /* stopping, and nothing left to run */
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		job->run(job); /* the job may be gone after this */
		pthread_mutex_lock(&p->mu);
		p->running--;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

sm_err workpool_new(const char *name, int threads, int max_waiting, struct workpool **out)
{
	*out = NULL;
	if (threads < 1 || max_waiting < 0)
		return SM_ERR_INVALID;
	struct workpool *p = calloc(1, sizeof(*p));
	if (!p)
		return SM_ERR_NOMEM;
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return SM_ERR_NOMEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->max_waiting = max_waiting;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			workpool_free(p);
			return SM_ERR_NOMEM;
		}
		p->nthreads++;
	}
	*out = p;
	return SM_OK;
}

sm_err workpool_submit(struct workpool *p, struct workpool_job *job, bool bounded)
{
	sm_err e = SM_OK;
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		e = SM_ERR_UNAVAILABLE;
	} else if (bounded && p->running + p->waiting >= p->nthreads + p->max_waiting) {
		/* Every thread busy or spoken for, and max_waiting jobs behind
		 * them. (A job queued to an idle thread does not wait.) */
		p->refused++;
		e = SM_ERR_TOO_LARGE;
	} else {
		job->next = NULL;
		if (p->tail)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->waiting++;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	return e;
}

void workpool_counts(struct workpool *p, int *running, int *waiting)
{
	pthread_mutex_lock(&p->mu);
	*running = p->running;
	*waiting = p->waiting;
	pthread_mutex_unlock(&p->mu);
}

void workpool_stats(struct workpool *p, struct workpool_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = (struct workpool_stats){p->nthreads, p->running, p->waiting, p->refused};
	pthread_mutex_unlock(&p->mu);
}

void workpool_stop(struct workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	bool join = !p->stopped;
	p->stopping = true;
	p->stopped = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	if (join)
		for (int i = 0; i < p->nthreads; i++)
			pthread_join(p->threads[i], NULL);
}

void workpool_free(struct workpool *p)
{
	if (!p)
		return;
	workpool_stop(p);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	free(p->threads);
	free(p);
}
