#include "request.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void request_init(struct request *r, struct app *app, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	r->app = app;
	buf_init(&r->body, max_body);
}

void request_set_id(struct request *r, const char *given)
{
	size_t n = given ? strlen(given) : 0;
	bool ok = n >= 1 && n <= REQUEST_ID_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = given[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_' || c == '.';
	}
	if (ok) {
		memcpy(r->request_id, given, n + 1);
		return;
	}
	uint8_t raw[12];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(r->request_id, sizeof(r->request_id), raw, sizeof(raw));
}

static void clear_response(struct request *r)
{
	free(r->resp_body);
	r->resp_body = NULL;
	r->resp_borrowed = NULL;
	r->resp_len = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	r->nheaders = 0;
}

void request_cleanup(struct request *r)
{
	clear_response(r);
	if (r->stream_free && r->stream_ctx) /* never handed to the HTTP layer */
		r->stream_free(r->stream_ctx);
	r->stream_free = NULL;
	r->stream_ctx = NULL;
	free(r->path);
	free(r->content_type);
	free(r->authorization);
	free(r->if_none_match);
	if (r->webhook_secret)
		sodium_memzero(r->webhook_secret, strlen(r->webhook_secret));
	free(r->webhook_secret);
	free(r->accept);
	r->accept = NULL;
	free(r->accept_encoding);
	r->accept_encoding = NULL;
	r->path = r->content_type = r->authorization = r->if_none_match = r->webhook_secret = NULL;
	for (size_t i = 0; i < r->nparams; i++)
		free(r->params[i]);
	r->nparams = 0;
	for (size_t i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].value);
	}
	r->nquery = 0;
	buf_cleanup(&r->body);
}

const char *request_query(const struct request *r, const char *key)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}

/* The length of a content type's media type: up to parameters or blanks. */
static size_t media_type_length(const char *ct)
{
	return strcspn(ct, "; \t");
}

bool request_content_type_is(const struct request *r, const char *mime)
{
	if (!r->content_type)
		return false;
	const char *ct = r->content_type;
	size_t n = media_type_length(ct);
	if (n == strlen(mime) && strncasecmp(ct, mime, n) == 0)
		return true;
	/* JSON under a structured-syntax suffix (RFC 6839): application/geo+json
	 * (RFC 7946), application/ld+json and the like are read as JSON. */
	static const char prefix[] = "application/", suffix[] = "+json";
	size_t np = sizeof(prefix) - 1, ns = sizeof(suffix) - 1;
	return strcmp(mime, "application/json") == 0 && n > np + ns &&
	       strncasecmp(ct, prefix, np) == 0 && strncasecmp(ct + n - ns, suffix, ns) == 0 &&
	       memchr(ct + np, '/', n - np - ns) == NULL;
}

void respond_header(struct request *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0) {
			free(r->headers[i].value);
			r->headers[i].value = strdup(value);
			return;
		}
	}
	if (r->nheaders == REQUEST_MAX_HEADERS)
		return;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = strdup(value);
	r->nheaders++;
}

static void set_body(struct request *r, int status, const char *type, char *body, size_t len)
{
	free(r->resp_body);
	r->resp_borrowed = NULL;
	r->status = status;
	r->resp_type = type;
	r->resp_body = body;
	r->resp_len = len;
}

static void respond_json_typed(struct request *r, int status, const char *type, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(body);
	if (!text) {
		static const char fallback[] = "{\"type\":\"urn:samenmeten:problem:internal\","
		                               "\"title\":\"Internal server error\","
		                               "\"status\":500}";
		set_body(r, 500, "application/problem+json", strdup(fallback),
		         sizeof(fallback) - 1);
		return;
	}
	set_body(r, status, type, text, strlen(text));
}

void respond_json(struct request *r, int status, json_t *body)
{
	respond_json_typed(r, status, "application/json", body);
}

void respond_bytes(struct request *r, int status, const char *type, const char *data, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		return;
	}
	memcpy(copy, data, len);
	copy[len] = '\0';
	set_body(r, status, type, copy, len);
}

void respond_borrowed(struct request *r, int status, const char *type, const char *data, size_t len)
{
	set_body(r, status, type, NULL, len);
	r->resp_borrowed = data;
}

/* True when an If-None-Match header lists `etag` (or is "*"). The
 * comparison is weak (RFC 9110 13.1.2): W/ prefixes do not count. */
static bool etag_listed(const char *header, const char *etag)
{
	if (!header)
		return false;
	if (strcmp(header, "*") == 0)
		return true;
	const char *bare = strchr(etag, '"'); /* the opaque tag, quotes included */
	if (!bare)
		return false;
	size_t n = strlen(bare);
	for (const char *p = header; (p = strstr(p, bare)) != NULL; p += n)
		if (p[n] == '\0' || p[n] == ',' || p[n] == ' ')
			return true;
	return false;
}

void respond_cacheable(struct request *r, const char *type, char *body, size_t len, int max_age_s)
{
	char etag[ETAG_LEN];
	etag_of(body, len, etag);
	respond_cached(r, type, body, len, etag, max_age_s);
}

void etag_of(const char *body, size_t len, char etag[ETAG_LEN])
{
	unsigned char digest[16];
	char hex[33];
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)body, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(etag, ETAG_LEN, "W/\"%s\"", hex);
}

void respond_cached(struct request *r, const char *type, char *body, size_t len, const char *etag,
                    int max_age_s)
{
	char cache[48];
	snprintf(cache, sizeof(cache), "public, max-age=%d", max_age_s);
	respond_header(r, "ETag", etag);
	respond_header(r, "Cache-Control", cache);
	if (etag_listed(r->if_none_match, etag)) {
		free(body);
		set_body(r, 304, NULL, NULL, 0);
		return;
	}
	set_body(r, 200, type, body, len);
}

void respond_stream(struct request *r, const char *type, long (*read)(void *, char *, size_t),
                    void (*free_fn)(void *), void *ctx)
{
	set_body(r, 200, type, NULL, 0);
	r->stream_read = read;
	r->stream_free = free_fn;
	r->stream_ctx = ctx;
}

void respond_problem_json(struct request *r, json_t *problem)
{
	json_t *status = json_object_get(problem, "status");
	int code = status ? (int)json_integer_value(status) : 500;
	json_object_set_new(problem, "instance", json_string(r->path ? r->path : "/"));
	json_object_set_new(problem, "request_id", json_string(r->request_id));
	respond_json_typed(r, code, "application/problem+json", problem);
}

void respond_problem(struct request *r, enum problem_kind kind, const char *field, const char *fmt,
                     ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	respond_problem_json(r, problem_new(kind, detail, field));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* True for U+0080..U+009F, the C1 controls (0xC2 0x80..0x9F in UTF-8). */
static bool is_c1_control(const unsigned char *p, size_t n)
{
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

void quote_value(char *out, size_t outlen, const char *s, size_t max)
{
	if (outlen == 0)
		return;
	size_t o = 0, chars = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && chars < max) {
		size_t n = utf8_len(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f || is_c1_control(p, n)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			p += n ? n : 1; /* a control is one '?'; each stray byte is one */
		} else {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
		chars++;
	}
	if (*p && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}
