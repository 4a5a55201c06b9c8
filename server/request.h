/* One HTTP request as the handlers see it: what came in, and the response
 * they build. The HTTP layer fills it and turns it into a response; handlers
 * never see libmicrohttpd. */
#ifndef SAMENMETEN_REQUEST_H
#define SAMENMETEN_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "problem.h"

#define REQUEST_MAX_PARAMS 4
#define REQUEST_MAX_QUERY 32
#define REQUEST_MAX_HEADERS 12
#define REQUEST_ID_MAX 64

struct app;
struct route;

enum auth_role { ROLE_NONE, ROLE_DEVICE, ROLE_ADMIN, ROLE_RESEARCHER };

struct auth {
	enum auth_role role;
	char device_id[40];      /* ROLE_DEVICE: the device's uuid */
	long long project_id;    /* ROLE_DEVICE: its project */
	char external[68];       /* ROLE_DEVICE: its external id's pseudonym (hex) */
	long long researcher_id; /* ROLE_RESEARCHER: the researcher */
};

struct query_arg {
	char *key;   /* owned */
	char *value; /* owned; "" for a key without value */
};

struct header {
	const char *name; /* static */
	char *value;      /* owned */
};

struct request {
	struct app *app; /* borrowed: lives as long as the server */
	const struct route *route;
	char method[16];
	char *path;         /* owned, percent-decoded */
	char *content_type; /* owned; NULL when absent */
	char *authorization;
	char *if_none_match;
	char *webhook_secret; /* X-Samenmeten-Secret, for LoRaWAN webhooks */
	char *accept;
	char *accept_encoding;
	char request_id[REQUEST_ID_MAX + 1]; /* a client's X-Request-Id, or 24 random hex digits */
	char *params[REQUEST_MAX_PARAMS];    /* owned; path parameters in pattern order */
	size_t nparams;
	struct query_arg query[REQUEST_MAX_QUERY];
	size_t nquery;
	bool query_overflow;
	struct buf body;
	struct auth auth;

	/* The response. */
	int status;
	const char *resp_type; /* static */
	char *resp_body;       /* owned */
	size_t resp_len;
	const char *resp_borrowed; /* instead of resp_body: a body that outlives the server's
	                              requests (static files), never freed here */
	struct header headers[REQUEST_MAX_HEADERS];
	size_t nheaders;

	/* A streamed response instead of resp_body: stream_read fills up to
	 * `max` bytes and returns how many, 0 at the end, -1 on a failure (the
	 * response is then cut short); stream_free is called once at the end. */
	long (*stream_read)(void *ctx, char *buf, size_t max);
	void (*stream_free)(void *ctx);
	void *stream_ctx;
};

void request_init(struct request *r, struct app *app, size_t max_body);
/* Sets the request's id: `given` (a client's X-Request-Id, may be NULL) when
 * it is 1 to REQUEST_ID_MAX letters, digits, '-', '_' or '.', otherwise 24
 * new random hex digits. */
void request_set_id(struct request *r, const char *given);
/* Frees everything the request owns; safe to call twice. */
void request_cleanup(struct request *r);

/* The value of query argument `key`, or NULL. Borrowed until cleanup. */
const char *request_query(const struct request *r, const char *key);
/* True when the request's content type names `mime` (parameters ignored);
 * for "application/json", also any application/<x>+json (RFC 6839). */
bool request_content_type_is(const struct request *r, const char *mime);

/* Adds a response header; the value is copied. */
void respond_header(struct request *r, const char *name, const char *value);
/* Sets the response to `body` as JSON with `status`; steals `body`. */
void respond_json(struct request *r, int status, json_t *body);
/* Sets the response to a copy of `len` bytes of `data`. */
void respond_bytes(struct request *r, int status, const char *type, const char *data, size_t len);
/* Sets `len` bytes at `data` as the body without copying them: data must
 * stay valid until the server stops (files loaded at start). */
void respond_borrowed(struct request *r, int status, const char *type, const char *data,
                      size_t len);
/* Sets an RFC 9457 problem response. `field` may be NULL. The detail is
 * printf-formatted; user values in it are the caller's to quote. */
void respond_problem(struct request *r, enum problem_kind kind, const char *field, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
#define ETAG_LEN 40 /* W/"<32 hex digits>" and its NUL */
/* The weak ETag of an answer's body, W/"<hash>": the form of every open
 * answer's. */
void etag_of(const char *body, size_t len, char etag[ETAG_LEN]);
/* Sets `len` bytes of `body` (stolen, malloc'ed) as a public, cacheable
 * answer: an ETag from the body's hash, Cache-Control with max_age_s, and
 * 304 without a body when the request's If-None-Match names that ETag. */
void respond_cacheable(struct request *r, const char *type, char *body, size_t len, int max_age_s);
/* As respond_cacheable, with the caller's `etag` (quotes included; a strong
 * tag for an answer the caller keeps rendered). */
void respond_cached(struct request *r, const char *type, char *body, size_t len, const char *etag,
                    int max_age_s);

/* Sets a streamed 200 response of `type`; ctx is owned by the stream from
 * here on (stream_free frees it, also when the client goes away). */
void respond_stream(struct request *r, const char *type, long (*read)(void *, char *, size_t),
                    void (*free_fn)(void *), void *ctx);

/* Sets a prepared problem object (stolen) as the response. */
void respond_problem_json(struct request *r, json_t *problem);

/* Copies at most `max` characters of untrusted `s` into out for quoting in
 * messages, replacing control characters and invalid UTF-8 with '?'. */
void quote_value(char *out, size_t outlen, const char *s, size_t max);

#endif
