#include "csp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CSP_COMMON                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "            \
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "              \
	"frame-ancestors 'none'"

const char csp_docs[] = CSP_COMMON "; img-src 'self' data:";

bool csp_origin(const char *url, char *out, size_t outlen)
{
	size_t scheme;
	if (strncasecmp(url, "https://", 8) == 0)
		scheme = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		scheme = 7;
	else
		return false;
	const char *host = url + scheme;
	size_t n = 0;
	while (isalnum((unsigned char)host[n]) || host[n] == '-' || host[n] == '.')
		n++;
	if (n == 0 || host[0] == '.' || host[0] == '-')
		return false;
	size_t end = n;
	if (host[end] == ':') {
		size_t digits = 0;
		while (isdigit((unsigned char)host[end + 1 + digits]))
			digits++;
		if (digits == 0 || digits > 5)
			return false;
		end += 1 + digits;
	}
	if (host[end] != '/' && host[end] != '\0')
		return false;
	int w = snprintf(out, outlen, "%.*s%.*s", (int)scheme, url, (int)end, host);
	if (w < 0 || (size_t)w >= outlen)
		return false;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

void csp_dashboard(const char *tile_origin, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s; img-src 'self'%s%s", CSP_COMMON, tile_origin[0] ? " " : "",
	         tile_origin);
}
