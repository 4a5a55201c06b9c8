/* The HTTP server: libmicrohttpd underneath, struct request above. Reads the
 * request, enforces the body cap, routes, checks content type and token,
 * calls the handler, writes the response, the access log and the metrics. */
#ifndef SAMENMETEN_HTTP_H
#define SAMENMETEN_HTTP_H

#include "app.h"

struct http_server;

/* Starts listening on cfg->listen_address:cfg->port. `app` is borrowed for
 * the life of the server. */
MUST_CHECK sm_err http_start(struct app *app, struct http_server **out, char *errbuf,
                             size_t errlen);

/* Stops accepting connections, lets requests in flight finish (up to
 * timeout_s seconds), then stops and frees the server. */
void http_stop(struct http_server *srv, int timeout_s);

#endif
