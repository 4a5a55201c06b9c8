#include "http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"

struct http_server {
	struct MHD_Daemon *daemon;
	struct app *app;
	int in_flight;
};

/* Per-request state, made on the first call of the access handler and freed
 * in the completion callback. */
struct exchange {
	struct request req;
	struct http_server *srv;
	struct timespec started;
	size_t route; /* nroutes when none matched */
	bool body_too_large;
	bool answered; /* the response is decided (an early error) */
	size_t bytes_out;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
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

static struct exchange *exchange_new(struct http_server *srv, struct MHD_Connection *conn,
                                     const char *url, const char *method)
{
	struct exchange *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	x->srv = srv;
	struct request *r = &x->req;
	request_init(r, srv->app, srv->app->cfg->max_body_bytes);
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->path = strdup(url);
	r->content_type = dup_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	r->authorization = dup_header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	r->if_none_match = dup_header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
	r->webhook_secret = dup_header(conn, WEBHOOK_SECRET_HEADER);
	r->accept = dup_header(conn, MHD_HTTP_HEADER_ACCEPT);
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

/* Checks the token, then the content type, then runs the handler. */
static void dispatch(struct exchange *x)
{
	struct request *r = &x->req;
	const struct route *route = r->route;
	if (x->body_too_large) {
		respond_problem(r, PROBLEM_BODY_TOO_LARGE, NULL,
		                "the body is larger than %zu bytes", r->app->cfg->max_body_bytes);
		return;
	}
	if (!auth_check(r, route->auth))
		return;
	if (route->body_types && !body_type_allowed(r)) {
		char q[96];
		quote_value(q, sizeof(q), r->content_type ? r->content_type : "(none)", 60);
		respond_problem(r, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL,
		                "content type \"%s\" is not accepted here; send %s", q,
		                route->body_types[0]);
		return;
	}
	route->handler(r);
	if (!r->resp_body && r->status == 0)
		respond_problem(r, PROBLEM_INTERNAL, NULL, "the handler gave no answer");
}

/* A streamed body: MHD asks for more until the stream ends. */
struct stream {
	struct exchange *x;
	long (*read)(void *ctx, char *buf, size_t max);
	void (*free_fn)(void *ctx);
	void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	long n = s->read(s->ctx, buf, max);
	if (n > 0) {
		s->x->bytes_out += (size_t)n;
		return n;
	}
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	s->free_fn(s->ctx);
	free(s);
}

#define STREAM_BLOCK (64 * 1024)

static struct MHD_Response *stream_response(struct exchange *x)
{
	struct request *r = &x->req;
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct stream){x, r->stream_read, r->stream_free, r->stream_ctx};
	struct MHD_Response *resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s, stream_free);
	if (!resp) {
		free(s);
		return NULL;
	}
	r->stream_ctx = NULL; /* the response owns it now */
	r->stream_free = NULL;
	return resp;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *x)
{
	struct request *r = &x->req;
	const struct app *app = r->app;
	struct MHD_Response *resp;
	if (r->stream_read && r->stream_ctx) {
		resp = stream_response(x);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct http_server *srv = cls;
	struct exchange *x = *con_cls;
	if (!x) {
		x = exchange_new(srv, conn, url, method);
		if (!x)
			return MHD_NO;
		*con_cls = x;
		/* An early answer goes out before the body is read. */
		return x->answered ? send_response(conn, x) : MHD_YES;
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
	dispatch(x);
	x->answered = true;
	return send_response(conn, x);
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

	json_t *f = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:I, s:f, s:b}", "request_id",
	                      r->request_id, "method", r->method, "path", r->path ? r->path : "",
	                      "route", r->route ? r->route->pattern : NULL, "status", status,
	                      "bytes", (json_int_t)x->bytes_out, "duration_ms", secs * 1000.0,
	                      "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	log_fields(LOG_INFO, "request", f);
	json_decref(f);

	request_cleanup(r);
	free(x);
	metrics_in_flight(-1);
	__atomic_fetch_sub(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char text[512];
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	log_warn("http: %s", text);
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
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		freeaddrinfo(ai);
		return SM_ERR_NOMEM;
	}
	srv->app = app;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (cfg->http_threads == 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	else
		flags |= MHD_USE_EPOLL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_s,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->http_threads > 1 ? cfg->http_threads : 0),
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!srv->daemon) {
		snprintf(errbuf, errlen,
		         "could not listen on %s port %d (in use, or not an address here)",
		         cfg->listen_address, cfg->port);
		free(srv);
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
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
