#include "http.h"

#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "answer_cache.h"
#include "app.h"
#include "auth.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "workpool.h"

/* Retry-After of a 503 busy answer: about the time a queue takes to move. */
#define BUSY_RETRY_AFTER_S 2
/* How often the watchman looks at the connections (deadlines, slow reads). */
#define WATCH_INTERVAL_MS 200
/* After a request whose body was at least this large, free memory goes
 * back to the system (glibc keeps a large request's pages otherwise). */
#define TRIM_AFTER_BYTES (1u << 20)
/* A streamed answer is made this much at a time, on a worker: each block
 * costs a suspend, a hand-over and a resume (at 64 KiB, 10 to 17 % of a
 * download's rate; at 256 KiB, within the noise). libmicrohttpd takes it
 * STREAM_MHD_BLOCK at a time. */
#define STREAM_BLOCK (256 * 1024)
#define STREAM_MHD_BLOCK (64 * 1024)

/* The pools of the classes of work that may block (enum route_work). */
enum work_class { CLASS_OPEN, CLASS_UPLOAD, CLASS_ADMIN, CLASS_DOWNLOAD, NCLASSES };

static const char *const class_names[NCLASSES] = {
    [CLASS_OPEN] = "open-data reads",
    [CLASS_UPLOAD] = "uploads",
    [CLASS_ADMIN] = "administration",
    [CLASS_DOWNLOAD] = "downloads",
};

/* The pools' label in /metrics (pool="open"). */
static const char *const class_labels[NCLASSES] = {
    [CLASS_OPEN] = "open",
    [CLASS_UPLOAD] = "upload",
    [CLASS_ADMIN] = "admin",
    [CLASS_DOWNLOAD] = "download",
};

/* One connection from accept to close, for the watchman: since when it has
 * been waiting for (the rest of) a request, and how its streamed answer
 * moves. Every field under http_server.watch_mu. */
struct watch {
	struct watch *prev, *next;
	int fd;
	int64_t receiving_since_ms; /* 0: not receiving (handling or answering) */
	bool streaming;             /* a streamed answer is being sent */
	bool rendering;             /* its next block is being made (not the client's fault) */
	uint64_t sent;              /* bytes of the streamed answer handed to the socket */
	int64_t window_start_ms;
	uint64_t window_sent;
	bool dropped;
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
	int in_flight;
	bool thread_per_connection; /* jobs are waited for in place, not suspended */
	struct workpool *pools[NCLASSES];
	int downloads; /* admitted downloads in flight (atomic) */

	/* Jobs waited for in place (thread per connection). */
	pthread_mutex_t done_mu;
	pthread_cond_t done;

	/* The watchman and the connections it watches. */
	pthread_mutex_t watch_mu;
	pthread_cond_t watch_wake;
	struct watch *watches;
	bool watch_stop;
	bool watchman_started;
	pthread_t watchman;
};

enum job_kind { JOB_AUTH, JOB_HANDLER };

/* Per-request state, made on the first call of the access handler and freed
 * in the completion callback. */
struct exchange {
	struct request req;
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct watch *watch; /* NULL when the connection is not watched */
	struct timespec started;
	size_t route; /* nroutes when none matched */
	enum route_work work;
	bool body_too_large;
	bool answered;       /* the response is decided (an early error) */
	bool holds_download; /* counted in srv->downloads */
	size_t bytes_out;

	/* Work on a pool: the event thread sets job_out, the worker sets
	 * job_done (atomic) when it is finished and then resumes the
	 * connection; the next access-handler call takes the result. */
	struct workpool_job job;
	enum job_kind kind;
	bool job_out;
	int job_done;
};

static int64_t now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static enum work_class class_of(enum route_work w)
{
	switch (w) {
	case WORK_UPLOAD: return CLASS_UPLOAD;
	case WORK_ADMIN: return CLASS_ADMIN;
	case WORK_DOWNLOAD: return CLASS_DOWNLOAD;
	default: return CLASS_OPEN;
	}
}

/* The watch of a connection (its socket context), or NULL. */
static struct watch *watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

/* Marks the connection as waiting for a request since now (receiving) or as
 * having one whole (not receiving). */
static void watch_receiving(struct http_server *srv, struct watch *w, bool receiving)
{
	if (!w)
		return;
	pthread_mutex_lock(&srv->watch_mu);
	w->receiving_since_ms = receiving ? now_ms() : 0;
	pthread_mutex_unlock(&srv->watch_mu);
}

/* Finishes x's job, from the worker: the connection's next access-handler
 * call takes the result. x may be gone once this returns. */
static void job_finish(struct http_server *srv, int *done, struct MHD_Connection *conn)
{
	if (srv->thread_per_connection) {
		pthread_mutex_lock(&srv->done_mu);
		__atomic_store_n(done, 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&srv->done);
		pthread_mutex_unlock(&srv->done_mu);
		return;
	}
	__atomic_store_n(done, 1, __ATOMIC_RELEASE);
	MHD_resume_connection(conn);
}

/* Thread per connection: waits on the connection's own thread. */
static void job_wait(struct http_server *srv, const int *done)
{
	pthread_mutex_lock(&srv->done_mu);
	while (!__atomic_load_n(done, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&srv->done, &srv->done_mu);
	pthread_mutex_unlock(&srv->done_mu);
}

/* Hands `job` to `pool`: the connection is suspended until the job
 * finishes (job_finish), or, with a thread per connection, this waits for
 * it. When the pool refuses, `refused` (which must finish the job the same
 * way) runs here instead with the pool's error. Returns true when the job is
 * done on return (thread per connection), false when the connection waits
 * suspended. */
static bool job_start(struct http_server *srv, struct workpool *pool, struct MHD_Connection *conn,
                      struct workpool_job *job, bool bounded, const int *done,
                      void (*refused)(struct workpool_job *job, sm_err e))
{
	if (!srv->thread_per_connection)
		MHD_suspend_connection(conn); /* before the worker can resume it */
	sm_err e = workpool_submit(pool, job, bounded);
	if (e != SM_OK)
		refused(job, e);
	if (!srv->thread_per_connection)
		return false;
	job_wait(srv, done);
	return true;
}

static char *dup_header(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	return v ? strdup(v) : NULL;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	(void)kind;
	struct request *r = cls;
	if (r->nquery == REQUEST_MAX_QUERY) {
		r->query_overflow = true;
		return MHD_NO;
	}
	r->query[r->nquery].key = strdup(key);
	r->query[r->nquery].value = strdup(value ? value : "");
	r->nquery++;
	return MHD_YES;
}

/* A CORS preflight: a browser asks before a cross-origin GET that carries
 * more than the simple headers (If-None-Match from a dashboard's own cache,
 * say). Open data says yes; other routes answer 405 as to any OPTIONS. */
static bool answer_preflight(struct exchange *x)
{
	struct request *r = &x->req;
	const struct app *app = r->app;
	struct router_span spans[REQUEST_MAX_PARAMS];
	size_t nparams = 0, index = 0;
	char allow[128];
	if (router_match(app->routes, app->nroutes, "GET", r->path, &index, spans, &nparams, allow,
	                 sizeof(allow)) != ROUTER_MATCH ||
	    app->routes[index].auth != AUTH_PUBLIC)
		return false;
	r->route = &app->routes[index]; /* for the CORS headers of the answer */
	respond_header(r, "Access-Control-Allow-Methods", "GET, HEAD");
	respond_header(r, "Access-Control-Allow-Headers", "Accept, If-None-Match");
	respond_header(r, "Access-Control-Max-Age", "86400");
	respond_bytes(r, 204, NULL, "", 0);
	return true;
}

/* Routes the request; on a miss the 404 or 405 is the response. */
static void route_request(struct exchange *x)
{
	struct request *r = &x->req;
	const struct app *app = r->app;
	struct router_span spans[REQUEST_MAX_PARAMS];
	size_t nparams = 0, index = 0;
	char allow[128];
	enum router_result res = router_match(app->routes, app->nroutes, r->method, r->path, &index,
	                                      spans, &nparams, allow, sizeof(allow));
	x->route = app->nroutes;
	if (res == ROUTER_NOT_FOUND) {
		char q[160];
		quote_value(q, sizeof(q), r->path, 120);
		respond_problem(r, PROBLEM_NOT_FOUND, NULL, "there is no resource at \"%s\"", q);
		x->answered = true;
		return;
	}
	if (res == ROUTER_METHOD_NOT_ALLOWED && strcmp(r->method, "OPTIONS") == 0 &&
	    answer_preflight(x)) {
		x->answered = true;
		return;
	}
	if (res == ROUTER_METHOD_NOT_ALLOWED) {
		respond_header(r, "Allow", allow);
		respond_problem(r, PROBLEM_METHOD_NOT_ALLOWED, NULL,
		                "%s is not allowed here; use %s", r->method, allow);
		x->answered = true;
		return;
	}
	x->route = index;
	r->route = &app->routes[index];
	for (size_t i = 0; i < nparams; i++)
		r->params[i] = strndup(spans[i].start, spans[i].len);
	r->nparams = nparams;
}

/* The key of the client's address: IPv4 whole, IPv6 by its /64 (one
 * subscriber's network: a client changes addresses inside it at will). */
static uint64_t address_key(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return ratelimit_key("ipv4", &in->sin_addr, sizeof(in->sin_addr));
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return ratelimit_key("ipv6", &in6->sin6_addr, 8);
	}
	return ratelimit_key("unknown", "", 0);
}

static double monotonic_seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Applies the rate limits of the client's address and, when the request
 * carries one, of its bearer token; false (and the 429 answered) when
 * either is spent. Every routed request counts, whatever its answer will
 * be (paths that do not exist are answered before, without a database). */
static bool within_rate_limits(struct exchange *x, struct MHD_Connection *conn)
{
	struct request *r = &x->req;
	if (r->route && r->route->unlimited)
		return true;
	const struct app *app = r->app;
	double now = monotonic_seconds();
	int wait_s = 0;
	const char *who = "this address";
	bool ok = ratelimit_take(app->limit_address, address_key(conn), now, &wait_s);
	if (ok && r->authorization) {
		ok = ratelimit_take(
		    app->limit_token,
		    ratelimit_key("token", r->authorization, strlen(r->authorization)), now,
		    &wait_s);
		who = "this token";
	}
	if (ok)
		return true;
	char retry[16];
	snprintf(retry, sizeof(retry), "%d", wait_s);
	respond_header(r, "Retry-After", retry);
	respond_problem(r, PROBLEM_RATE_LIMITED, NULL,
	                "too many requests from %s; try again in %d s", who, wait_s);
	return false;
}

static void respond_busy(struct request *r, enum work_class c, sm_err e)
{
	char retry[16];
	snprintf(retry, sizeof(retry), "%d", BUSY_RETRY_AFTER_S);
	respond_header(r, "Retry-After", retry);
	if (e == SM_ERR_UNAVAILABLE)
		respond_problem(r, PROBLEM_BUSY, NULL, "the server is stopping; try again in %d s",
		                BUSY_RETRY_AFTER_S);
	else
		respond_problem(r, PROBLEM_BUSY, NULL,
		                "the server has as many %s as it takes at once; try again in %d s",
		                class_names[c], BUSY_RETRY_AFTER_S);
}

static struct exchange *exchange_new(struct http_server *srv, struct MHD_Connection *conn,
                                     const char *url, const char *method)
{
	struct exchange *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	x->srv = srv;
	x->conn = conn;
	x->watch = watch_of(conn);
	struct request *r = &x->req;
	request_init(r, srv->app, srv->app->cfg->max_body_bytes);
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->path = strdup(url);
	r->content_type = dup_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	r->authorization = dup_header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	r->if_none_match = dup_header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
	r->webhook_secret = dup_header(conn, WEBHOOK_SECRET_HEADER);
	r->accept = dup_header(conn, MHD_HTTP_HEADER_ACCEPT);
	r->accept_encoding = dup_header(conn, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	request_set_id(r, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"));
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, r);
	__atomic_fetch_add(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
	metrics_in_flight(1);
	if (!r->path) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		x->answered = true;
		return x;
	}

	route_request(x);
	if (x->answered)
		return x;
	x->work = route_work_of(r->route);
	if (!within_rate_limits(x, conn)) {
		x->answered = true;
		return x;
	}
	if (r->query_overflow) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, NULL, "more than %d query parameters",
		                REQUEST_MAX_QUERY);
		x->answered = true;
		return x;
	}
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && strtoull(length, NULL, 10) > srv->app->cfg->max_body_bytes) {
		respond_problem(r, PROBLEM_BODY_TOO_LARGE, NULL,
		                "the body has %s bytes; this server takes at most %zu", length,
		                srv->app->cfg->max_body_bytes);
		x->answered = true;
	}
	return x;
}

static bool body_type_allowed(const struct request *r)
{
	for (const char *const *t = r->route->body_types; *t; t++)
		if (request_content_type_is(r, *t))
			return true;
	return false;
}

/* The content type, once the caller is known; false when it is refused. */
static bool content_type_ok(struct exchange *x)
{
	struct request *r = &x->req;
	const struct route *route = r->route;
	if (!route->body_types || body_type_allowed(r))
		return true;
	char q[96];
	quote_value(q, sizeof(q), r->content_type ? r->content_type : "(none)", 60);
	respond_problem(r, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL,
	                "content type \"%s\" is not accepted here; send %s", q,
	                route->body_types[0]);
	return false;
}

/* Runs the handler (the request is whole, its caller and type checked). */
static void dispatch(struct exchange *x)
{
	struct request *r = &x->req;
	log_set_request_id(r->request_id); /* the handler's log lines name the request */
	r->route->handler(r);
	log_set_request_id(NULL);
	if (!r->resp_body && r->status == 0 && !r->stream_read)
		respond_problem(r, PROBLEM_INTERNAL, NULL, "the handler gave no answer");
	/* A change an administrator made (a project's k, an erasure, an area
	 * layer, a device): what the kept open answers may show has changed,
	 * so they go at once. Uploads' readings show within answer_cache_s,
	 * as other servers' writes do: dashboards keep their answers under a
	 * steady stream of uploads. */
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 && r->status >= 200 &&
	    r->status < 300 && route_work_of(r->route) != WORK_UPLOAD)
		answer_cache_invalidate(r->app->answers);
}

/* A job of an exchange, on a worker: the token lookup, or the handler. */
static void exchange_run(struct workpool_job *job)
{
	struct exchange *x = (struct exchange *)((char *)job - offsetof(struct exchange, job));
	if (x->kind == JOB_AUTH) {
		if (!auth_check(&x->req, x->req.route->auth))
			x->answered = true;
	} else {
		dispatch(x);
	}
	job_finish(x->srv, &x->job_done, x->conn);
}

static void exchange_refused(struct workpool_job *job, sm_err e)
{
	struct exchange *x = (struct exchange *)((char *)job - offsetof(struct exchange, job));
	respond_busy(&x->req, class_of(x->work), e);
	x->answered = true;
	job_finish(x->srv, &x->job_done, x->conn);
}

/* Starts x's job of `kind` on its class's pool; true when it is done on
 * return, false when the connection waits suspended for it. */
static bool exchange_job(struct exchange *x, enum job_kind kind)
{
	struct http_server *srv = x->srv;
	x->kind = kind;
	x->job_done = 0;
	x->job_out = true;
	x->job = (struct workpool_job){exchange_run, NULL};
	/* Downloads are admitted by count (admit_download), not by queue. */
	bool bounded = x->work != WORK_DOWNLOAD;
	if (!job_start(srv, srv->pools[class_of(x->work)], x->conn, &x->job, bounded, &x->job_done,
	               exchange_refused))
		return false;
	x->job_out = false;
	return true;
}

/* A download counts against download_max from here until it completes:
 * false (and 503 answered) when that many are running. A download lasts as
 * long as its client reads, so one is refused rather than queued. */
static bool admit_download(struct exchange *x)
{
	struct http_server *srv = x->srv;
	int running = __atomic_add_fetch(&srv->downloads, 1, __ATOMIC_SEQ_CST);
	if (running > srv->app->cfg->download_max) {
		__atomic_sub_fetch(&srv->downloads, 1, __ATOMIC_SEQ_CST);
		respond_busy(&x->req, CLASS_DOWNLOAD, SM_ERR_TOO_LARGE);
		return false;
	}
	x->holds_download = true;
	return true;
}

/* A streamed body: each block is made on a worker of the route's class
 * while the connection waits suspended, so that the database never blocks
 * the thread that serves sockets; the event thread only copies blocks out. */
enum stream_state { STREAM_MORE, STREAM_END, STREAM_FAILED };

struct stream {
	struct workpool_job job;
	struct http_server *srv;
	struct workpool *pool;
	struct MHD_Connection *conn;
	struct exchange *x; /* valid while MHD calls stream_read */
	long (*read)(void *ctx, char *buf, size_t max);
	void (*free_fn)(void *ctx);
	void *ctx;
	enum stream_state state;
	size_t len, off;
	bool job_out;
	int job_done;
	char block[STREAM_BLOCK];
};

static void stream_render(struct workpool_job *job)
{
	struct stream *s = (struct stream *)(void *)job;
	long n = s->read(s->ctx, s->block, sizeof(s->block));
	if (n > 0)
		s->len = (size_t)n;
	else
		s->state = n == 0 ? STREAM_END : STREAM_FAILED;
	job_finish(s->srv, &s->job_done, s->conn);
}

static void stream_refused(struct workpool_job *job, sm_err e)
{
	(void)e;
	struct stream *s = (struct stream *)(void *)job;
	s->state = STREAM_FAILED;
	job_finish(s->srv, &s->job_done, s->conn);
}

static void watch_rendering(struct stream *s, bool rendering)
{
	struct watch *w = s->x->watch;
	if (!w)
		return;
	pthread_mutex_lock(&s->srv->watch_mu);
	w->rendering = rendering;
	pthread_mutex_unlock(&s->srv->watch_mu);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	if (s->job_out) { /* resumed: the block is made */
		s->job_out = false;
		watch_rendering(s, false);
	}
	if (s->off == s->len && s->state == STREAM_MORE) {
		s->off = s->len = 0;
		s->job_done = 0;
		s->job_out = true;
		watch_rendering(s, true);
		s->job = (struct workpool_job){stream_render, NULL};
		if (!job_start(s->srv, s->pool, s->conn, &s->job, false, &s->job_done,
		               stream_refused))
			return 0; /* suspended until the block is made */
		s->job_out = false;
		watch_rendering(s, false);
	}
	if (s->off < s->len) {
		size_t n = s->len - s->off < max ? s->len - s->off : max;
		memcpy(buf, s->block + s->off, n);
		s->off += n;
		s->x->bytes_out += n;
		struct watch *w = s->x->watch;
		if (w) {
			pthread_mutex_lock(&s->srv->watch_mu);
			w->sent += n;
			pthread_mutex_unlock(&s->srv->watch_mu);
		}
		return (ssize_t)n;
	}
	return s->state == STREAM_END ? MHD_CONTENT_READER_END_OF_STREAM
	                              : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_close(struct workpool_job *job)
{
	struct stream *s = (struct stream *)(void *)job;
	s->free_fn(s->ctx);
	free(s);
}

/* The response is done with the stream: closing it (a download rolls back
 * and gives its connection back) may wait for the database, so it runs on a
 * worker; inline only when the pool is stopping. */
static void stream_free(void *cls)
{
	struct stream *s = cls;
	s->job = (struct workpool_job){stream_close, NULL};
	if (workpool_submit(s->pool, &s->job, false) != SM_OK)
		stream_close(&s->job);
}

static struct MHD_Response *stream_response(struct exchange *x)
{
	struct request *r = &x->req;
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->srv = x->srv;
	s->pool = x->srv->pools[class_of(x->work)];
	s->conn = x->conn;
	s->x = x;
	s->read = r->stream_read;
	s->free_fn = r->stream_free;
	s->ctx = r->stream_ctx;
	struct MHD_Response *resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, STREAM_MHD_BLOCK, stream_read, s, stream_free);
	if (!resp) {
		free(s);
		return NULL;
	}
	r->stream_ctx = NULL; /* the response owns it now */
	r->stream_free = NULL;
	struct watch *w = x->watch;
	if (w) {
		pthread_mutex_lock(&x->srv->watch_mu);
		w->streaming = true;
		w->sent = w->window_sent = 0;
		w->window_start_ms = now_ms();
		pthread_mutex_unlock(&x->srv->watch_mu);
	}
	return resp;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *x)
{
	struct request *r = &x->req;
	const struct app *app = r->app;
	struct MHD_Response *resp;
	if (r->stream_read && r->stream_ctx) {
		resp = stream_response(x);
	} else if (r->resp_borrowed) {
		resp = MHD_create_response_from_buffer(
		    r->resp_len, (void *)(uintptr_t)r->resp_borrowed, MHD_RESPMEM_PERSISTENT);
		x->bytes_out = r->resp_len;
	} else {
		size_t len = r->resp_len;
		char *body = r->resp_body;
		r->resp_body = NULL;
		resp = MHD_create_response_from_buffer_with_free_callback(
		    len, body ? body : strdup(""), free);
		x->bytes_out = len;
	}
	if (!resp)
		return MHD_NO;
	if (r->resp_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	/* Browsers take every answer as the type it names, never sniffed:
	 * a CSV download or an echoed value cannot become a script. */
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	bool has_cache_control = false;
	for (size_t i = 0; i < r->nheaders; i++) {
		if (!r->headers[i].value)
			continue;
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
		has_cache_control |= strcasecmp(r->headers[i].name, "Cache-Control") == 0;
	}
	if (!has_cache_control)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	bool cors = r->route && r->route->auth == AUTH_PUBLIC;
	if (cors) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
		                        app->cfg->cors_allow_origin);
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
		                        "ETag, Link, X-Request-Id, Retry-After");
	}
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Once the caller is known (or refused): the answer before the body when
 * there is one, else go on reading the body. */
static enum MHD_Result after_auth(struct MHD_Connection *conn, struct exchange *x)
{
	if (!x->answered && !content_type_ok(x))
		x->answered = true;
	return x->answered ? send_response(conn, x) : MHD_YES;
}

/* The first call, when the head of the request is complete: everything that
 * can refuse it is decided here, before its body is read. */
static enum MHD_Result on_head(struct http_server *srv, struct MHD_Connection *conn,
                               const char *url, const char *method, void **con_cls)
{
	struct exchange *x = exchange_new(srv, conn, url, method);
	if (!x)
		return MHD_NO;
	*con_cls = x;
	if (x->answered)
		return send_response(conn, x);
	struct request *r = &x->req;
	if (auth_needs_lookup(r, r->route->auth)) {
		/* A device token: looked up on a worker, the body still unread. */
		if (!exchange_job(x, JOB_AUTH))
			return MHD_YES;
		return after_auth(conn, x);
	}
	if (!auth_check(r, r->route->auth))
		x->answered = true;
	return after_auth(conn, x);
}

/* The last call: the request is whole. */
static enum MHD_Result on_whole(struct MHD_Connection *conn, struct exchange *x)
{
	struct request *r = &x->req;
	watch_receiving(x->srv, x->watch, false);
	if (x->body_too_large) {
		respond_problem(r, PROBLEM_BODY_TOO_LARGE, NULL,
		                "the body is larger than %zu bytes", r->app->cfg->max_body_bytes);
	} else if (x->work == WORK_EVENT) {
		dispatch(x);
	} else if (x->work != WORK_DOWNLOAD || admit_download(x)) {
		if (!exchange_job(x, JOB_HANDLER))
			return MHD_YES; /* answered when the worker resumes us */
	}
	x->answered = true;
	return send_response(conn, x);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct http_server *srv = cls;
	struct exchange *x = *con_cls;
	if (!x)
		return on_head(srv, conn, url, method, con_cls);
	if (x->job_out) { /* resumed: the worker is done */
		x->job_out = false;
		if (x->kind == JOB_AUTH)
			return after_auth(conn, x);
		x->answered = true;
		return send_response(conn, x);
	}
	if (*upload_data_size) {
		if (!x->answered && !x->body_too_large &&
		    buf_append(&x->req.body, upload_data, *upload_data_size) != SM_OK) {
			x->body_too_large = true;
			buf_cleanup(&x->req.body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (x->answered)
		return MHD_YES;
	return on_whole(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct http_server *srv = cls;
	struct exchange *x = *con_cls;
	if (!x)
		return;
	*con_cls = NULL;
	struct request *r = &x->req;
	double secs = seconds_since(&x->started);
	int status = r->status ? r->status : 500;
	metrics_observe(x->route, status, secs);

	if (log_enabled(LOG_INFO)) {
		json_t *f =
		    json_pack("{s:s, s:s, s:s, s:s?, s:i, s:I, s:f, s:b}", "request_id",
		              r->request_id, "method", r->method, "path", r->path ? r->path : "",
		              "route", r->route ? r->route->pattern : NULL, "status", status,
		              "bytes", (json_int_t)x->bytes_out, "duration_ms", secs * 1000.0,
		              "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
		log_fields(LOG_INFO, "request", f);
		json_decref(f);
	}

	struct watch *w = x->watch;
	if (w) {
		pthread_mutex_lock(&srv->watch_mu);
		w->streaming = w->rendering = false;
		w->receiving_since_ms = now_ms(); /* waiting for the next request */
		pthread_mutex_unlock(&srv->watch_mu);
	}
	if (x->holds_download)
		__atomic_sub_fetch(&srv->downloads, 1, __ATOMIC_SEQ_CST);
	bool large = x->req.body.cap >= TRIM_AFTER_BYTES;
	request_cleanup(r);
	free(x);
	if (large)
		malloc_trim(0);
	metrics_in_flight(-1);
	__atomic_fetch_sub(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
}

/* A connection opens or closes: it is watched from accept to close. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct watch *w = calloc(1, sizeof(*w));
		if (!w)
			return; /* not watched */
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w->fd = info ? info->connect_fd : -1;
		w->receiving_since_ms = now_ms();
		pthread_mutex_lock(&srv->watch_mu);
		w->next = srv->watches;
		if (w->next)
			w->next->prev = w;
		srv->watches = w;
		pthread_mutex_unlock(&srv->watch_mu);
		*socket_context = w;
		return;
	}
	struct watch *w = *socket_context;
	if (!w)
		return;
	/* Before MHD closes the socket: the watchman never sees a reused fd. */
	pthread_mutex_lock(&srv->watch_mu);
	if (w->prev)
		w->prev->next = w->next;
	else
		srv->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&srv->watch_mu);
	free(w);
	*socket_context = NULL;
}

/* A request's first line has come: its deadline counts from now. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)uri;
	watch_receiving(cls, watch_of(conn), true);
	return NULL; /* the access handler makes the exchange */
}

/* Closes connections that break the rules: a request that has not arrived
 * whole request_deadline_s after its first line (or after the connection
 * opened or its last answer ended, for the first line itself), and a
 * streamed answer that its client takes slower than download_min_bytes per
 * download_min_window_s. Shutting the socket down wakes the thread that
 * serves it, which then closes the connection as for a client gone (the fd
 * stays valid until then: on_connection unlinks the watch first). */
static void watch_round(struct http_server *srv)
{
	const struct config *cfg = srv->app->cfg;
	int64_t now = now_ms();
	int64_t deadline_ms = (int64_t)cfg->request_deadline_s * 1000;
	int64_t window_ms = (int64_t)cfg->download_min_window_s * 1000;
	int late = 0, slow = 0;
	pthread_mutex_lock(&srv->watch_mu);
	for (struct watch *w = srv->watches; w; w = w->next) {
		if (w->dropped || w->fd < 0)
			continue;
		bool drop = false;
		if (deadline_ms && w->receiving_since_ms &&
		    now - w->receiving_since_ms > deadline_ms) {
			drop = true;
			late++;
		} else if (w->streaming && window_ms) {
			if (w->rendering) {
				w->window_start_ms = now;
				w->window_sent = w->sent;
			} else if (now - w->window_start_ms >= window_ms) {
				if (w->sent - w->window_sent < cfg->download_min_bytes) {
					drop = true;
					slow++;
				}
				w->window_start_ms = now;
				w->window_sent = w->sent;
			}
		}
		if (drop) {
			/* An abortive close: what the socket still holds for the
			 * client is thrown away, not trickled out after a FIN. */
			struct linger now_please = {1, 0};
			setsockopt(w->fd, SOL_SOCKET, SO_LINGER, &now_please, sizeof(now_please));
			shutdown(w->fd, SHUT_RDWR);
			w->dropped = true;
		}
	}
	pthread_mutex_unlock(&srv->watch_mu);
	if (late)
		log_warn("closed %d connection%s whose request had not arrived within %d s", late,
		         late == 1 ? "" : "s", cfg->request_deadline_s);
	if (slow)
		log_warn("closed %d streamed answer%s read slower than %zu bytes in %d s", slow,
		         slow == 1 ? "" : "s", cfg->download_min_bytes, cfg->download_min_window_s);
}

static void *watchman(void *arg)
{
	struct http_server *srv = arg;
	pthread_setname_np(pthread_self(), "http-watch");
	pthread_mutex_lock(&srv->watch_mu);
	while (!srv->watch_stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->watch_wake, &srv->watch_mu, &until);
		if (srv->watch_stop)
			break;
		pthread_mutex_unlock(&srv->watch_mu);
		watch_round(srv);
		pthread_mutex_lock(&srv->watch_mu);
	}
	pthread_mutex_unlock(&srv->watch_mu);
	return NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char text[512];
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_warn("http: %s", text);
}

/* The worker pools and the watchman; freed by server_free. */
static sm_err server_new(struct app *app, struct http_server **out)
{
	const struct config *cfg = app->cfg;
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return SM_ERR_NOMEM;
	srv->app = app;
	srv->thread_per_connection = cfg->http_threads == 0;
	pthread_mutex_init(&srv->done_mu, NULL);
	pthread_cond_init(&srv->done, NULL);
	pthread_mutex_init(&srv->watch_mu, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->watch_wake, &attr);
	pthread_condattr_destroy(&attr);
	*out = srv;
	const struct {
		const char *name;
		int threads, queue;
	} pools[NCLASSES] = {
	    [CLASS_OPEN] = {"http-open", cfg->open_workers, cfg->open_queue},
	    [CLASS_UPLOAD] = {"http-upload", cfg->upload_workers, cfg->upload_queue},
	    [CLASS_ADMIN] = {"http-admin", cfg->admin_workers, cfg->admin_queue},
	    /* A thread per download: one job each at a time (a block, or
	     * its close), and admit_download bounds them. */
	    [CLASS_DOWNLOAD] = {"http-download", cfg->download_max, cfg->download_max},
	};
	for (int c = 0; c < NCLASSES; c++) {
		sm_err e =
		    workpool_new(pools[c].name, pools[c].threads, pools[c].queue, &srv->pools[c]);
		if (e != SM_OK)
			return e;
	}
	metrics_workpools(class_labels, srv->pools, NCLASSES);
	if (pthread_create(&srv->watchman, NULL, watchman, srv) != 0)
		return SM_ERR_NOMEM;
	srv->watchman_started = true;
	return SM_OK;
}

static void watchman_stop(struct http_server *srv)
{
	if (!srv->watchman_started)
		return;
	pthread_mutex_lock(&srv->watch_mu);
	srv->watch_stop = true;
	pthread_cond_signal(&srv->watch_wake);
	pthread_mutex_unlock(&srv->watch_mu);
	pthread_join(srv->watchman, NULL);
	srv->watchman_started = false;
}

static void server_free(struct http_server *srv)
{
	watchman_stop(srv);
	metrics_workpools(NULL, NULL, 0);
	for (int c = 0; c < NCLASSES; c++)
		workpool_free(srv->pools[c]);
	pthread_mutex_destroy(&srv->done_mu);
	pthread_cond_destroy(&srv->done);
	pthread_mutex_destroy(&srv->watch_mu);
	pthread_cond_destroy(&srv->watch_wake);
	free(srv);
}

sm_err http_start(struct app *app, struct http_server **out, char *errbuf, size_t errlen)
{
	const struct config *cfg = app->cfg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%d", cfg->port);
	int gai = getaddrinfo(cfg->listen_address, port, &hints, &ai);
	if (gai != 0) {
		snprintf(errbuf, errlen, "cannot listen on \"%s\": %s", cfg->listen_address,
		         gai_strerror(gai));
		return SM_ERR_INVALID;
	}
	struct http_server *srv = NULL;
	sm_err e = server_new(app, &srv);
	if (e != SM_OK) {
		freeaddrinfo(ai);
		if (srv)
			server_free(srv);
		snprintf(errbuf, errlen, "could not start the worker threads");
		return e;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (cfg->http_threads == 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	else
		flags |= MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK,
	    on_request_line, srv, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->http_max_connections_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_s,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->http_threads > 1 ? cfg->http_threads : 0),
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!srv->daemon) {
		snprintf(errbuf, errlen,
		         "could not listen on %s port %d (in use, or not an address here)",
		         cfg->listen_address, cfg->port);
		server_free(srv);
		return SM_ERR_IO;
	}
	*out = srv;
	return SM_OK;
}

void http_stop(struct http_server *srv, int timeout_s)
{
	if (!srv)
		return;
	MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int waiting;
	while ((waiting = __atomic_load_n(&srv->in_flight, __ATOMIC_SEQ_CST)) > 0 &&
	       seconds_since(&t0) < timeout_s) {
		struct timespec pause = {0, 20 * 1000000L};
		nanosleep(&pause, NULL);
	}
	if (waiting > 0)
		log_warn("stopping with %d requests still in flight after %d s", waiting,
		         timeout_s);
	/* Every job ends (queued ones run) and resumes its connection before
	 * libmicrohttpd stops: it must not stop with a suspended one. Work
	 * offered after this is refused (503, or a stream cut short). */
	watchman_stop(srv);
	for (int c = 0; c < NCLASSES; c++)
		workpool_stop(srv->pools[c]);
	MHD_stop_daemon(srv->daemon);
	server_free(srv);
}
