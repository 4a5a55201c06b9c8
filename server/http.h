/* The HTTP server: libmicrohttpd underneath, struct request above. Reads the
 * request, enforces the body cap, routes, checks token and content type
 * before the body is read, runs the handler (on a worker pool of the route's
 * class, the connection suspended meanwhile, unless the route runs on the
 * event thread), writes the response, the access log and the metrics. A
 * watchman closes requests past their deadline and downloads read too
 * slowly. */
#ifndef SAMENMETEN_HTTP_H
#define SAMENMETEN_HTTP_H

#include "app.h"

struct http_server;

/* Starts listening on cfg->listen_address:cfg->port. `app` is borrowed for
 * the life of the server. */
MUST_CHECK sm_err http_start(struct app *app, struct http_server **out, char *errbuf,
                             size_t errlen);

/* Stops accepting connections, lets requests in flight finish (up to
 * timeout_s seconds), then lets every job of the worker pools end (queued
 * ones run), then stops and frees the server. */
void http_stop(struct http_server *srv, int timeout_s);

#endif
