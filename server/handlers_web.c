/* The dashboard (GET /), the API docs (GET /docs) and their files, from the
 * table server/static.c loaded at start. HTML answers carry the strict
 * Content-Security-Policy of server/csp.c; every answer an ETag, gzip when
 * the client takes it, and a cache lifetime: a year for versioned names
 * (vendor/leaflet-1.9.4.js), revalidation for the others. */
#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "static.h"

#define IMMUTABLE_CACHE "public, max-age=31536000, immutable"
#define REVALIDATE_CACHE "public, no-cache"

static void serve(struct request *r, const char *path, const char *csp)
{
	const struct static_file *f = static_find(r->app->web, path);
	if (!f) {
		if (!r->app->web)
			respond_problem(r, PROBLEM_NOT_FOUND, NULL,
			                "the dashboard is not installed here (web_dir \"%s\"; "
			                "`make web` installs it)",
			                r->app->cfg->web_dir);
		else
			respond_problem(r, PROBLEM_NOT_FOUND, NULL, "there is no file \"%s\"",
			                path);
		return;
	}
	bool gzip = f->gz && static_accepts_gzip(r->accept_encoding);
	const char *etag = gzip ? f->etag_gz : f->etag;
	respond_header(r, "ETag", etag);
	respond_header(r, "Cache-Control", f->immutable ? IMMUTABLE_CACHE : REVALIDATE_CACHE);
	respond_header(r, "Vary", "Accept-Encoding");
	respond_header(r, "Referrer-Policy", "no-referrer");
	if (csp)
		respond_header(r, "Content-Security-Policy", csp);
	if (static_etag_matches(r->if_none_match, etag)) {
		respond_bytes(r, 304, NULL, "", 0);
		return;
	}
	if (gzip) {
		respond_header(r, "Content-Encoding", "gzip");
		respond_borrowed(r, 200, f->type, f->gz, f->gz_len);
	} else {
		respond_borrowed(r, 200, f->type, f->body, f->len);
	}
}

/* A file name of one of the served folders: letters, digits, '.', '-' and
 * '_', not starting with '.'. Anything else is answered 400 naming `file`. */
static void serve_named(struct request *r, const char *folder)
{
	const char *name = r->nparams ? r->params[0] : "";
	size_t n = strlen(name);
	bool ok = n > 0 && n < 200 && name[0] != '.';
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '-' || c == '_';
	}
	if (!ok) {
		char q[96];
		quote_value(q, sizeof(q), name, 60);
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "file",
		                "\"%s\" is not a file name (letters, digits, '.', '-', '_')", q);
		return;
	}
	char path[256];
	snprintf(path, sizeof(path), "/%s/%s", folder, name);
	serve(r, path, NULL);
}

void handle_dashboard(struct request *r)
{
	serve(r, "/index.html", r->app->csp_dashboard);
}

void handle_docs(struct request *r)
{
	serve(r, "/docs.html", csp_docs);
}

void handle_asset(struct request *r)
{
	serve_named(r, "assets");
}

void handle_vendor(struct request *r)
{
	serve_named(r, "vendor");
}
