#include "validate.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "jsonin.h"
#include "scalar.h"

bool slug_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
		if (!ok)
			return false;
	}
	return true;
}

bool layer_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || s[0] == '-' || s[0] == '_')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

bool uuid_valid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool text_valid(const char *s, size_t maxlen)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			return false;
		if ((*p & 0xc0) != 0x80)
			chars++;
	}
	return chars >= 1 && chars <= maxlen;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n;
		unsigned min, cp;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

bool body_object(struct request *r, json_t **out)
{
	char why[256];
	json_t *root = NULL;
	const char *text = r->body.data ? r->body.data : "";
	size_t max_rows = (size_t)r->app->cfg->ingest_max_rows;
	if (jsonin_rows(text, r->body.len, max_rows) > max_rows) {
		char detail[96];
		snprintf(detail, sizeof(detail), "the body holds more than %zu features or rows",
		         max_rows);
		json_t *p = problem_new(PROBLEM_TOO_MANY_ROWS, detail, NULL);
		json_object_set_new(p, "max_rows", json_integer((json_int_t)max_rows));
		respond_problem_json(r, p);
		return false;
	}
	sm_err e =
	    jsonin_parse(text, r->body.len, r->app->cfg->json_max_depth, &root, why, sizeof(why));
	if (e == SM_ERR_TOO_LARGE) {
		respond_problem(r, PROBLEM_BODY_TOO_LARGE, NULL, "%s", why);
		return false;
	}
	if (e != SM_OK) {
		respond_problem(r, PROBLEM_MALFORMED_BODY, NULL, "the body is not valid JSON: %s",
		                why);
		return false;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		respond_problem(r, PROBLEM_MALFORMED_BODY, NULL, "the body must be a JSON object");
		return false;
	}
	*out = root;
	return true;
}

bool fields_known(struct request *r, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			char q[80];
			quote_value(q, sizeof(q), key, 40);
			respond_problem(r, PROBLEM_INVALID_FIELD, q, "unknown field \"%s\"", q);
			return false;
		}
	}
	return true;
}

bool field_text(struct request *r, json_t *obj, const char *name, bool required, size_t maxlen,
                const char **out)
{
	json_t *v = json_object_get(obj, name);
	*out = NULL;
	if (jsonin_absent(v)) {
		if (!required)
			return true;
		respond_problem(r, PROBLEM_INVALID_FIELD, name, "\"%s\" is required", name);
		return false;
	}
	if (!json_is_string(v)) {
		respond_problem(r, PROBLEM_INVALID_FIELD, name, "\"%s\" must be a string", name);
		return false;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || !text_valid(s, maxlen)) {
		respond_problem(r, PROBLEM_INVALID_FIELD, name,
		                "\"%s\" must be 1 to %zu characters without control characters",
		                name, maxlen);
		return false;
	}
	*out = s;
	return true;
}

bool field_int(struct request *r, json_t *obj, const char *name, long long min, long long max,
               long long *out)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		respond_problem(r, PROBLEM_INVALID_FIELD, name,
		                "\"%s\" must be an integer from %lld to %lld", name, min, max);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

bool field_bool(struct request *r, json_t *obj, const char *name, bool *out)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		respond_problem(r, PROBLEM_INVALID_FIELD, name, "\"%s\" must be true or false",
		                name);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

static bool param_checked(struct request *r, size_t i, const char *name, bool (*ok)(const char *),
                          const char *shape, const char **out)
{
	const char *v = i < r->nparams ? r->params[i] : "";
	if (!ok(v)) {
		char q[80];
		quote_value(q, sizeof(q), v, 64);
		respond_problem(r, PROBLEM_INVALID_PARAMETER, name,
		                "\"%s\" is not a valid %s: expected %s", q, name, shape);
		return false;
	}
	*out = v;
	return true;
}

bool param_slug(struct request *r, size_t i, const char *name, const char **out)
{
	return param_checked(
	    r, i, name, slug_valid,
	    "2 to 63 lower-case letters, digits and dashes, not starting with a dash", out);
}

bool param_uuid(struct request *r, size_t i, const char *name, const char **out)
{
	return param_checked(r, i, name, uuid_valid, "a UUID such as 3f2b1c9e-...", out);
}

bool param_id(struct request *r, size_t i, const char *name, long long *out)
{
	const char *v = i < r->nparams ? r->params[i] : "";
	int64_t id;
	if (!scalar_int(v, strlen(v), 1, INT64_MAX, &id)) {
		char q[80];
		quote_value(q, sizeof(q), v, 64);
		respond_problem(r, PROBLEM_INVALID_PARAMETER, name,
		                "\"%s\" is not a valid %s: expected a positive integer", q, name);
		return false;
	}
	*out = (long long)id;
	return true;
}
