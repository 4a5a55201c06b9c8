#include "router.h"

#include <stdbool.h>
#include <string.h>

/* Matches `path` against `pattern` segment by segment; a {name} segment
 * matches one non-empty segment. */
static bool path_matches(const char *pattern, const char *path,
                         struct router_span params[REQUEST_MAX_PARAMS], size_t *nparams)
{
	size_t n = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		const char *pend = strchr(p, '/');
		const char *send = strchr(s, '/');
		size_t plen = pend ? (size_t)(pend - p) : strlen(p);
		size_t slen = send ? (size_t)(send - s) : strlen(s);
		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (slen == 0 || n == REQUEST_MAX_PARAMS)
				return false;
			params[n].start = s;
			params[n].len = slen;
			n++;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	if (*p || *s)
		return false;
	*nparams = n;
	return true;
}

static void allow_add(char *allow, size_t allowlen, const char *method)
{
	if (allowlen == 0)
		return;
	/* Keep the list free of repeats. */
	size_t mlen = strlen(method);
	for (const char *a = allow; (a = strstr(a, method)) != NULL; a += mlen)
		if ((a == allow || a[-1] == ' ') && (a[mlen] == ',' || a[mlen] == '\0'))
			return;
	size_t used = strlen(allow);
	if (used + mlen + 3 > allowlen)
		return;
	if (used) {
		memcpy(allow + used, ", ", 2);
		used += 2;
	}
	memcpy(allow + used, method, mlen + 1);
}

enum router_result router_match(const struct route *routes, size_t nroutes, const char *method,
                                const char *path, size_t *index,
                                struct router_span params[REQUEST_MAX_PARAMS], size_t *nparams,
                                char *allow, size_t allowlen)
{
	bool path_known = false;
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	if (allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		struct router_span spans[REQUEST_MAX_PARAMS];
		size_t n = 0;
		if (!path_matches(routes[i].pattern, path, spans, &n))
			continue;
		if (strcmp(routes[i].method, want) == 0) {
			*index = i;
			memcpy(params, spans, n * sizeof(spans[0]));
			*nparams = n;
			return ROUTER_MATCH;
		}
		path_known = true;
		allow_add(allow, allowlen, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(allow, allowlen, "HEAD");
	}
	return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}

enum route_work route_work_of(const struct route *route)
{
	if (route->work != WORK_AUTO)
		return route->work;
	if (route->auth == AUTH_ADMIN)
		return WORK_ADMIN;
	if (route->auth == AUTH_DEVICE || strcmp(route->method, "GET") != 0)
		return WORK_UPLOAD;
	return WORK_OPEN;
}
