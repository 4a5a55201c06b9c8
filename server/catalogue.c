#include "catalogue.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"

/* The catalogue as it was at one version. Immutable once made. */
struct entry {
	char *slug;
	char *text;
	size_t len;
	char etag[CATALOGUE_ETAG_LEN];
};

struct snapshot {
	long long version;
	char *list;
	size_t list_len;
	char list_etag[CATALOGUE_ETAG_LEN];
	struct entry *items;
	size_t nitems;
};

struct catalogue {
	struct db_pool *pool;
	int check_ms;
	pthread_mutex_t mu;     /* guards snap and checked_ms */
	pthread_mutex_t render; /* one reader of the database at a time */
	struct snapshot *snap;
	int64_t checked_ms; /* when the version was last read; 0: read it now */
};

static const struct db_stmt version_stmt = {
    "catalogue_version",
    "SELECT version FROM catalogue_version",
    0,
};

/* Every project in slug order, with the version they belong to (one row
 * with a NULL slug when there is none). */
static const struct db_stmt render_stmt = {
    "catalogue_render",
    "SELECT v.version, p.slug, project_public_json(p) FROM catalogue_version v "
    "LEFT JOIN project p ON true ORDER BY p.slug",
    0,
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void make_etag(const char *body, size_t len, char etag[CATALOGUE_ETAG_LEN])
{
	unsigned char digest[16];
	char hex[33];
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)body, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(etag, CATALOGUE_ETAG_LEN, "\"%s\"", hex);
}

static void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nitems; i++) {
		free(s->items[i].slug);
		free(s->items[i].text);
	}
	free(s->items);
	free(s->list);
	free(s);
}

/* A snapshot of the rows of render_stmt; NULL when out of memory. */
static struct snapshot *snapshot_from(PGresult *res)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	int rows = PQntuples(res);
	struct buf list;
	buf_init(&list, 0);
	if (!s)
		return NULL;
	s->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	s->items = calloc((size_t)rows, sizeof(*s->items));
	if (!s->items)
		goto fail;
	sm_err e = buf_puts(&list, "{\"items\":[");
	for (int i = 0; e == SM_OK && i < rows; i++) {
		if (PQgetisnull(res, i, 1))
			continue; /* no project at all */
		struct entry *it = &s->items[s->nitems];
		it->len = (size_t)PQgetlength(res, i, 2);
		it->slug = strdup(PQgetvalue(res, i, 1));
		it->text = malloc(it->len + 1);
		if (!it->slug || !it->text) {
			free(it->slug);
			free(it->text);
			e = SM_ERR_NOMEM;
			break;
		}
		memcpy(it->text, PQgetvalue(res, i, 2), it->len + 1);
		make_etag(it->text, it->len, it->etag);
		s->nitems++;
		if (s->nitems > 1)
			e = buf_puts(&list, ",");
		if (e == SM_OK)
			e = buf_append(&list, it->text, it->len);
	}
	if (e == SM_OK)
		e = buf_puts(&list, "]}");
	if (e != SM_OK)
		goto fail;
	s->list = buf_steal(&list, &s->list_len);
	if (!s->list)
		goto fail;
	make_etag(s->list, s->list_len, s->list_etag);
	return s;
fail:
	buf_cleanup(&list);
	snapshot_free(s);
	return NULL;
}

/* Runs stmt on a connection of the pool; *res owned by the caller. */
static sm_err run(struct db_pool *pool, const struct db_stmt *stmt, PGresult **res)
{
	struct db_conn *conn;
	sm_err e = db_acquire(pool, &conn);
	if (e != SM_OK)
		return e;
	e = db_exec(conn, stmt, NULL, res);
	db_release(pool, conn);
	if (e == SM_OK && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		e = SM_ERR_INTERNAL; /* catalogue_version always has its row */
	}
	return e;
}

/* Reads the version and, when it moved, renders the catalogue again. Runs
 * under c->render. */
static sm_err check(struct catalogue *c, long long have, bool fresh)
{
	PGresult *res = NULL;
	sm_err e;
	if (fresh) {
		e = run(c->pool, &version_stmt, &res);
		if (e != SM_OK)
			return e;
		bool same = strtoll(PQgetvalue(res, 0, 0), NULL, 10) == have;
		PQclear(res);
		if (same) {
			pthread_mutex_lock(&c->mu);
			c->checked_ms = now_ms();
			pthread_mutex_unlock(&c->mu);
			return SM_OK;
		}
	}
	e = run(c->pool, &render_stmt, &res);
	if (e != SM_OK)
		return e;
	struct snapshot *s = snapshot_from(res);
	PQclear(res);
	if (!s)
		return SM_ERR_NOMEM;
	pthread_mutex_lock(&c->mu);
	struct snapshot *old = c->snap;
	c->snap = s;
	c->checked_ms = now_ms();
	pthread_mutex_unlock(&c->mu);
	snapshot_free(old);
	return SM_OK;
}

/* Makes sure a snapshot exists and its version was read within check_ms.
 * With a snapshot in hand, a request never waits for another's check: it
 * serves what is there. */
static sm_err ensure(struct catalogue *c)
{
	pthread_mutex_lock(&c->mu);
	bool have = c->snap != NULL;
	bool due = !have || now_ms() - c->checked_ms >= c->check_ms;
	pthread_mutex_unlock(&c->mu);
	if (!due)
		return SM_OK;
	if (have) {
		if (pthread_mutex_trylock(&c->render) != 0)
			return SM_OK;
	} else {
		pthread_mutex_lock(&c->render);
	}
	pthread_mutex_lock(&c->mu);
	have = c->snap != NULL;
	due = !have || now_ms() - c->checked_ms >= c->check_ms;
	long long version = have ? c->snap->version : 0;
	pthread_mutex_unlock(&c->mu);
	sm_err e = due ? check(c, version, have) : SM_OK;
	if (e == SM_ERR_UNAVAILABLE) /* once more: a lost replica is left for the primary */
		e = check(c, version, have);
	if (e != SM_OK && have) {
		/* Serve what we have; try again after check_ms. */
		log_warn("could not read the project catalogue's version (%s); serving the last "
		         "one",
		         sm_err_str(e));
		pthread_mutex_lock(&c->mu);
		c->checked_ms = now_ms();
		pthread_mutex_unlock(&c->mu);
		e = SM_OK;
	}
	pthread_mutex_unlock(&c->render);
	return e;
}

sm_err catalogue_new(struct db_pool *pool, int check_ms, struct catalogue **out)
{
	*out = NULL;
	struct catalogue *c = calloc(1, sizeof(*c));
	if (!c)
		return SM_ERR_NOMEM;
	c->pool = pool;
	c->check_ms = check_ms;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->render, NULL);
	*out = c;
	return SM_OK;
}

void catalogue_free(struct catalogue *c)
{
	if (!c)
		return;
	snapshot_free(c->snap);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->render);
	free(c);
}

void catalogue_invalidate(struct catalogue *c)
{
	pthread_mutex_lock(&c->mu);
	c->checked_ms = 0;
	pthread_mutex_unlock(&c->mu);
}

/* Copies text and etag out of the current snapshot: `slug` NULL for the
 * list. */
static sm_err copy_out(struct catalogue *c, const char *slug, char **body, size_t *len,
                       char etag[CATALOGUE_ETAG_LEN])
{
	*body = NULL;
	sm_err e = ensure(c);
	if (e != SM_OK)
		return e;
	pthread_mutex_lock(&c->mu);
	const struct snapshot *s = c->snap;
	const char *text = s->list;
	size_t n = s->list_len;
	const char *tag = s->list_etag;
	if (slug) {
		text = NULL;
		for (size_t i = 0; i < s->nitems && !text; i++) {
			if (strcmp(s->items[i].slug, slug) == 0) {
				text = s->items[i].text;
				n = s->items[i].len;
				tag = s->items[i].etag;
			}
		}
	}
	if (!text) {
		e = SM_ERR_NOT_FOUND;
	} else {
		*body = malloc(n + 1);
		if (*body) {
			memcpy(*body, text, n + 1);
			*len = n;
			memcpy(etag, tag, CATALOGUE_ETAG_LEN);
		} else {
			e = SM_ERR_NOMEM;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return e;
}

sm_err catalogue_list(struct catalogue *c, char **body, size_t *len, char etag[CATALOGUE_ETAG_LEN])
{
	return copy_out(c, NULL, body, len, etag);
}

sm_err catalogue_project(struct catalogue *c, const char *slug, char **body, size_t *len,
                         char etag[CATALOGUE_ETAG_LEN])
{
	return copy_out(c, slug, body, len, etag);
}
