/* The dashboard's files: every file of a folder and of its direct
 * subfolders (web/index.html, web/assets/app.js, web/vendor/leaflet-1.9.4.js)
 * read once at start into memory, each with a strong ETag and a gzip copy.
 * Requests are answered from this table, never from the file system, so no
 * request can name a file outside the folder. Pure but for the reading: no
 * libmicrohttpd, no database. */
#ifndef SAMENMETEN_STATIC_H
#define SAMENMETEN_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct static_file {
	char *path;       /* "/index.html", "/assets/app.js"; owned */
	const char *type; /* a static MIME type */
	char *body;       /* owned */
	size_t len;
	char *gz; /* the gzip copy, owned; NULL when it is not smaller */
	size_t gz_len;
	char etag[40];    /* "\"<32 hex digits>\"" of the body */
	char etag_gz[44]; /* "\"<32 hex digits>-gz\"" */
	bool immutable;   /* a versioned name (leaflet-1.9.4.js): cached for a year */
};

struct static_site {
	struct static_file *files; /* owned, sorted by path */
	size_t nfiles;
	size_t bytes; /* bodies and gzip copies together */
};

/* A text put into .html files where "{{name}}" stands, HTML-escaped. */
struct static_var {
	const char *name;
	const char *value;
};

/* Reads the files of `dir` whose extension static_type() knows (names that
 * start with '.', symbolic links, node_modules and anything deeper than one
 * folder are skipped). Fails with SM_ERR_NOT_FOUND when dir does not exist,
 * SM_ERR_TOO_LARGE past max_files or max_bytes, SM_ERR_IO on a read error;
 * err names the file. *out is owned by the caller (static_free). */
MUST_CHECK sm_err static_load(const char *dir, const struct static_var *vars, size_t nvars,
                              size_t max_files, size_t max_bytes, struct static_site **out,
                              char *err, size_t errlen);

/* The file at `path` ("/assets/app.js"), or NULL; borrowed from the site. */
const struct static_file *static_find(const struct static_site *site, const char *path);

/* Frees the site; NULL is fine. */
void static_free(struct static_site *site);

/* The MIME type served for a file name, or NULL when such files are not
 * served (package.json, source maps, anything unknown). */
const char *static_type(const char *name);

/* True when a file name carries a version or a content hash
 * ("leaflet-1.9.4.js", "app.3f2a9c1d.js"), so its content never changes. */
bool static_versioned(const char *name);

/* True when an Accept-Encoding header value accepts gzip (not with q=0). */
bool static_accepts_gzip(const char *accept_encoding);

/* True when an If-None-Match header value lists `etag` (or is "*"); weak
 * forms (W/"...") match too. */
bool static_etag_matches(const char *if_none_match, const char *etag);

/* Replaces every "{{name}}" of vars in `text` with the HTML-escaped value;
 * unknown markers stay. Returns a malloc'ed copy (NULL: out of memory). */
char *static_fill(const char *text, size_t len, const struct static_var *vars, size_t nvars,
                  size_t *outlen);

#endif
