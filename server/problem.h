/* RFC 9457 problem details. Each kind of failure has a stable `type` URI
 * (urn:samenmeten:problem:<name>), a title and an HTTP status. */
#ifndef SAMENMETEN_PROBLEM_H
#define SAMENMETEN_PROBLEM_H

#include <jansson.h>

enum problem_kind {
	PROBLEM_MALFORMED_BODY,
	PROBLEM_INVALID_FIELD,
	PROBLEM_INVALID_PARAMETER,
	PROBLEM_UNSUPPORTED_MEDIA_TYPE,
	PROBLEM_BODY_TOO_LARGE,
	PROBLEM_TOO_MANY_ROWS,
	PROBLEM_REJECTED_ROWS,
	PROBLEM_UNAUTHORIZED,
	PROBLEM_FORBIDDEN,
	PROBLEM_NOT_FOUND,
	PROBLEM_METHOD_NOT_ALLOWED,
	PROBLEM_CONFLICT,
	PROBLEM_DATABASE_UNAVAILABLE,
	PROBLEM_RATE_LIMITED,
	PROBLEM_QUERY_TIMEOUT,
	PROBLEM_BUSY,
	PROBLEM_INTERNAL,
	PROBLEM_KIND_COUNT
};

int problem_status(enum problem_kind kind);
const char *problem_type(enum problem_kind kind);
const char *problem_title(enum problem_kind kind);

/* A new problem object (owned by the caller): type, title, status, detail,
 * and `field` when not NULL. */
json_t *problem_new(enum problem_kind kind, const char *detail, const char *field);

#endif
