#include "problem.h"

static const struct {
	const char *type;
	const char *title;
	int status;
} kinds[PROBLEM_KIND_COUNT] = {
    [PROBLEM_MALFORMED_BODY] = {"urn:samenmeten:problem:malformed-body",
                                "The request body could not be parsed", 400},
    [PROBLEM_INVALID_FIELD] = {"urn:samenmeten:problem:invalid-field",
                               "A field of the request body is not valid", 422},
    [PROBLEM_INVALID_PARAMETER] = {"urn:samenmeten:problem:invalid-parameter",
                                   "A path or query parameter is not valid", 400},
    [PROBLEM_UNSUPPORTED_MEDIA_TYPE] =
        {"urn:samenmeten:problem:unsupported-media-type",
         "The request body has a content type this endpoint does not take", 415},
    [PROBLEM_BODY_TOO_LARGE] = {"urn:samenmeten:problem:body-too-large",
                                "The request body is larger than the server accepts", 413},
    [PROBLEM_TOO_MANY_ROWS] = {"urn:samenmeten:problem:too-many-rows",
                               "The upload has more rows than the server takes at once", 413},
    [PROBLEM_REJECTED_ROWS] = {"urn:samenmeten:problem:rejected-rows",
                               "No row of the upload could be stored", 422},
    [PROBLEM_UNAUTHORIZED] = {"urn:samenmeten:problem:unauthorized",
                              "A valid bearer token is required", 401},
    [PROBLEM_FORBIDDEN] = {"urn:samenmeten:problem:forbidden",
                           "The token does not allow this request", 403},
    [PROBLEM_NOT_FOUND] = {"urn:samenmeten:problem:not-found", "Not found", 404},
    [PROBLEM_METHOD_NOT_ALLOWED] = {"urn:samenmeten:problem:method-not-allowed",
                                    "The method is not allowed on this resource", 405},
    [PROBLEM_CONFLICT] = {"urn:samenmeten:problem:conflict", "The resource exists already", 409},
    [PROBLEM_DATABASE_UNAVAILABLE] = {"urn:samenmeten:problem:database-unavailable",
                                      "The database cannot be reached; retry later", 503},
    [PROBLEM_RATE_LIMITED] = {"urn:samenmeten:problem:rate-limited", "Too many requests", 429},
    [PROBLEM_QUERY_TIMEOUT] = {"urn:samenmeten:problem:query-timeout", "The query took too long",
                               503},
    [PROBLEM_BUSY] = {"urn:samenmeten:problem:busy",
                      "The server has more of this kind of request than it can take now", 503},
    [PROBLEM_INTERNAL] = {"urn:samenmeten:problem:internal", "Internal server error", 500},
};

int problem_status(enum problem_kind kind)
{
	return kinds[kind].status;
}

const char *problem_type(enum problem_kind kind)
{
	return kinds[kind].type;
}

const char *problem_title(enum problem_kind kind)
{
	return kinds[kind].title;
}

json_t *problem_new(enum problem_kind kind, const char *detail, const char *field)
{
	json_t *p = json_pack("{s:s, s:s, s:i}", "type", kinds[kind].type, "title",
	                      kinds[kind].title, "status", kinds[kind].status);
	if (!p)
		return NULL;
	if (detail)
		json_object_set_new(p, "detail", json_string(detail));
	if (field)
		json_object_set_new(p, "field", json_string(field));
	return p;
}
