/* The routing table: method + path pattern ("/v1/projects/{slug}") to a
 * handler. Matching is a pure function over the table. */
#ifndef SAMENMETEN_ROUTER_H
#define SAMENMETEN_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

typedef void (*handler_fn)(struct request *r);

enum route_auth {
	AUTH_PUBLIC,     /* anyone; CORS allowed */
	AUTH_ADMIN,      /* the admin token */
	AUTH_DEVICE,     /* a device token, or the admin token acting for a device */
	AUTH_RESEARCHER, /* a researcher's token that is neither expired nor revoked */
};

/* Where a route's handler runs (server/http.c). WORK_EVENT: at once on the
 * thread that serves the socket, so it must never block (no database).
 * Every other class runs on a worker pool of its own that bounds how many
 * run at once and how many may wait (503 busy beyond). WORK_AUTO, the
 * default of a table row that names none, picks by the route: the admin
 * token's routes are WORK_ADMIN, device routes and other POSTs WORK_UPLOAD,
 * the rest WORK_OPEN. WORK_DOWNLOAD is for streamed datasets. */
enum route_work { WORK_AUTO, WORK_EVENT, WORK_OPEN, WORK_UPLOAD, WORK_ADMIN, WORK_DOWNLOAD };

struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	enum route_auth auth;
	/* Content types the body may have, NULL-terminated; NULL: no body. */
	const char *const *body_types;
	bool unlimited; /* never rate-limited (health checks, metrics) */
	enum route_work work;
};

/* The class a route's handler runs in: route->work, or what WORK_AUTO
 * stands for (never WORK_AUTO). */
enum route_work route_work_of(const struct route *route);

enum router_result { ROUTER_MATCH, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

struct router_span {
	const char *start; /* borrowed from the path */
	size_t len;
};

/* Finds the route for method and path. HEAD matches GET routes. On
 * ROUTER_MATCH, *index is the route and params[0..*nparams) the path
 * parameters (pointing into `path`). On ROUTER_METHOD_NOT_ALLOWED, `allow`
 * holds the methods the path does take ("GET, HEAD, POST"). */
enum router_result router_match(const struct route *routes, size_t nroutes, const char *method,
                                const char *path, size_t *index,
                                struct router_span params[REQUEST_MAX_PARAMS], size_t *nparams,
                                char *allow, size_t allowlen);

#endif
