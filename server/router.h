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

struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	enum route_auth auth;
	/* Content types the body may have, NULL-terminated; NULL: no body. */
	const char *const *body_types;
	bool unlimited; /* never rate-limited (health checks, metrics) */
};

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
