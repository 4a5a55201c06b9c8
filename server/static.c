#include "static.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
};

const char *static_type(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/* A run of digits, '.', digits, '.', digits after a '-' (a semantic
 * version), or of 8 or more hex digits between '.' or '-' (a hash). */
bool static_versioned(const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p != '-' && *p != '.')
			continue;
		const char *q = p + 1;
		if (*p == '-') {
			int groups = 0;
			while (isdigit((unsigned char)*q)) {
				while (isdigit((unsigned char)*q))
					q++;
				groups++;
				if (*q != '.')
					break;
				q++;
			}
			if (groups >= 3)
				return true;
			q = p + 1;
		}
		size_t hex = 0;
		while (isxdigit((unsigned char)q[hex]))
			hex++;
		if (hex >= 8 && (q[hex] == '.' || q[hex] == '-'))
			return true;
	}
	return false;
}

bool static_accepts_gzip(const char *h)
{
	if (!h)
		return false;
	for (const char *p = h; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = p + strcspn(p, ",");
		size_t tok = strcspn(p, ";, ");
		if ((tok == 4 && strncasecmp(p, "gzip", 4) == 0) || (tok == 1 && p[0] == '*')) {
			const char *q = memchr(p, ';', (size_t)(end - p));
			if (!q)
				return true;
			q++;
			while (*q == ' ')
				q++;
			if (strncasecmp(q, "q=", 2) != 0)
				return true;
			return strtod(q + 2, NULL) > 0.0;
		}
		p = end;
	}
	return false;
}

bool static_etag_matches(const char *header, const char *etag)
{
	if (!header)
		return false;
	size_t n = strlen(etag);
	for (const char *p = header; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		size_t len = strcspn(p, ", ");
		if (len == n && memcmp(p, etag, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static sm_err append_escaped(struct buf *b, const char *s)
{
	sm_err e = SM_OK;
	for (; *s && e == SM_OK; s++) {
		switch (*s) {
		case '&': e = buf_append(b, "&amp;", 5); break;
		case '<': e = buf_append(b, "&lt;", 4); break;
		case '>': e = buf_append(b, "&gt;", 4); break;
		case '"': e = buf_append(b, "&quot;", 6); break;
		case '\'': e = buf_append(b, "&#39;", 5); break;
		default: e = buf_append(b, s, 1); break;
		}
	}
	return e;
}

char *static_fill(const char *text, size_t len, const struct static_var *vars, size_t nvars,
                  size_t *outlen)
{
	struct buf b;
	buf_init(&b, 0);
	sm_err e = SM_OK;
	size_t i = 0;
	while (i < len && e == SM_OK) {
		bool replaced = false;
		if (i + 4 < len && text[i] == '{' && text[i + 1] == '{') {
			for (size_t v = 0; v < nvars; v++) {
				size_t n = strlen(vars[v].name);
				if (i + 4 + n <= len &&
				    memcmp(text + i + 2, vars[v].name, n) == 0 &&
				    text[i + 2 + n] == '}' && text[i + 3 + n] == '}') {
					e = append_escaped(&b, vars[v].value);
					i += n + 4;
					replaced = true;
					break;
				}
			}
		}
		if (!replaced) {
			e = buf_append(&b, text + i, 1);
			i++;
		}
	}
	if (e == SM_OK)
		e = buf_append(&b, "", 0); /* a body even when text is empty */
	if (e != SM_OK) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_steal(&b, outlen);
}

static void etag_of(const char *body, size_t len, const char *suffix, char *out, size_t outlen)
{
	unsigned char digest[16];
	char hex[33];
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)body, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(out, outlen, "\"%s%s\"", hex, suffix);
}

/* The gzip form of body (level 9), or NULL when it is not smaller. */
static char *gzip_of(const char *body, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	uLong cap = deflateBound(&z, (uLong)len);
	char *out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || n >= len) {
		free(out);
		return NULL;
	}
	*outlen = n;
	return out;
}

struct loader {
	struct static_site *site;
	const struct static_var *vars;
	size_t nvars, max_files, max_bytes;
	char *err;
	size_t errlen;
};

static sm_err read_file(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return SM_ERR_IO;
	struct buf b;
	buf_init(&b, max);
	char chunk[65536];
	sm_err e = SM_OK;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = SM_ERR_IO;
		if (n <= 0)
			break;
		e = buf_append(&b, chunk, (size_t)n);
		if (e != SM_OK)
			break;
	}
	close(fd);
	if (e == SM_OK)
		e = buf_append(&b, "", 0);
	if (e != SM_OK) {
		buf_cleanup(&b);
		return e;
	}
	*out = buf_steal(&b, len);
	return *out ? SM_OK : SM_ERR_NOMEM;
}

static sm_err add_file(struct loader *l, int dirfd, const char *name, const char *path,
                       const char *type)
{
	struct static_site *s = l->site;
	if (s->nfiles == l->max_files) {
		snprintf(l->err, l->errlen, "more than %zu files to serve (at \"%s\")",
		         l->max_files, path);
		return SM_ERR_TOO_LARGE;
	}
	char *body = NULL;
	size_t len = 0;
	sm_err e = s->bytes < l->max_bytes
	               ? read_file(dirfd, name, l->max_bytes - s->bytes, &body, &len)
	               : SM_ERR_TOO_LARGE;
	if (e != SM_OK) {
		if (e == SM_ERR_TOO_LARGE)
			snprintf(l->err, l->errlen, "the files to serve pass %zu bytes (at \"%s\")",
			         l->max_bytes, path);
		else
			snprintf(l->err, l->errlen, "could not read \"%s\"", path);
		return e;
	}
	if (strncmp(type, "text/html", 9) == 0 && l->nvars) {
		size_t filled_len = 0;
		char *filled = static_fill(body, len, l->vars, l->nvars, &filled_len);
		free(body);
		if (!filled)
			return SM_ERR_NOMEM;
		body = filled;
		len = filled_len;
	}
	struct static_file *grown = realloc(s->files, (s->nfiles + 1) * sizeof(*grown));
	if (!grown) {
		free(body);
		return SM_ERR_NOMEM;
	}
	s->files = grown;
	struct static_file *f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path) {
		free(body);
		return SM_ERR_NOMEM;
	}
	s->nfiles++;
	f->type = type;
	f->body = body;
	f->len = len;
	f->immutable = static_versioned(name);
	etag_of(body, len, "", f->etag, sizeof(f->etag));
	etag_of(body, len, "-gz", f->etag_gz, sizeof(f->etag_gz));
	f->gz = gzip_of(body, len, &f->gz_len);
	s->bytes += len + (f->gz ? f->gz_len : 0);
	if (s->bytes > l->max_bytes) {
		snprintf(l->err, l->errlen, "the files to serve pass %zu bytes (at \"%s\")",
		         l->max_bytes, path);
		return SM_ERR_TOO_LARGE;
	}
	return SM_OK;
}

static bool skipped(const char *name)
{
	return name[0] == '.' || strcmp(name, "node_modules") == 0;
}

/* Loads the files of the folder open at dirfd, whose URL prefix is
 * `prefix` ("" or "/assets"); descends one level when depth is 0. */
static sm_err load_folder(struct loader *l, int dirfd, const char *prefix, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return SM_ERR_IO;
	}
	sm_err e = SM_OK;
	struct dirent *ent;
	while (e == SM_OK && (ent = readdir(d)) != NULL) {
		const char *name = ent->d_name;
		if (skipped(name))
			continue;
		struct stat st;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		char path[1024];
		int n = snprintf(path, sizeof(path), "%s/%s", prefix, name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		if (S_ISDIR(st.st_mode) && depth == 0) {
			int sub =
			    openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				e = load_folder(l, sub, path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			const char *type = static_type(name);
			if (type)
				e = add_file(l, dirfd, name, path, type);
		}
	}
	closedir(d);
	return e;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

sm_err static_load(const char *dir, const struct static_var *vars, size_t nvars, size_t max_files,
                   size_t max_bytes, struct static_site **out, char *err, size_t errlen)
{
	struct static_site *site = calloc(1, sizeof(*site));
	if (!site)
		return SM_ERR_NOMEM;
	struct loader l = {site, vars, nvars, max_files, max_bytes, err, errlen};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "could not open the folder \"%s\": %s", dir, strerror(errno));
		static_free(site);
		return errno == ENOENT ? SM_ERR_NOT_FOUND : SM_ERR_IO;
	}
	sm_err e = load_folder(&l, fd, "", 0);
	if (e != SM_OK) {
		if (e == SM_ERR_NOMEM)
			snprintf(err, errlen, "out of memory reading \"%s\"", dir);
		static_free(site);
		return e;
	}
	qsort(site->files, site->nfiles, sizeof(site->files[0]), by_path);
	*out = site;
	return SM_OK;
}

const struct static_file *static_find(const struct static_site *site, const char *path)
{
	if (!site)
		return NULL;
	struct static_file key = {.path = (char *)(uintptr_t)path};
	return bsearch(&key, site->files, site->nfiles, sizeof(site->files[0]), by_path);
}

void static_free(struct static_site *site)
{
	if (!site)
		return;
	for (size_t i = 0; i < site->nfiles; i++) {
		free(site->files[i].path);
		free(site->files[i].body);
		free(site->files[i].gz);
	}
	free(site->files);
	free(site);
}
