/* The Content-Security-Policy of the pages the service serves: scripts,
 * styles, images and API calls from the service's own origin only; a base
 * map's tile origin is allowed for images only when one is configured. */
#ifndef SAMENMETEN_CSP_H
#define SAMENMETEN_CSP_H

#include <stdbool.h>
#include <stddef.h>

/* Longest policy csp_dashboard writes (with a 200-character origin). */
#define CSP_MAX 640

/* Writes the origin ("https://service.pdok.nl", with ":port" when given)
 * of an http or https URL into out; false when url is not one, or its host
 * holds anything but letters, digits, '-' and '.' (nothing that could
 * widen or break the policy). */
bool csp_origin(const char *url, char *out, size_t outlen);

/* The dashboard's policy; tile_origin ("" for none) is added to img-src. */
void csp_dashboard(const char *tile_origin, char *out, size_t outlen);

/* The API docs' policy (Swagger UI): the dashboard's, with data: images
 * (its icons are data: URIs in its stylesheet). */
extern const char csp_docs[];

#endif
