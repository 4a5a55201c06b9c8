#include "jsonin.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int jsonin_depth(const char *text, size_t len, int max_depth)
{
	int depth = 0, deepest = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"': in_string = true; break;
		case '[':
		case '{':
			if (++depth > deepest) {
				deepest = depth;
				if (deepest > max_depth)
					return max_depth + 1;
			}
			break;
		case ']':
		case '}': depth--; break;
		default: break;
		}
	}
	return deepest;
}

sm_err jsonin_parse(const char *text, size_t len, int max_depth, json_t **out, char *why,
                    size_t whylen)
{
	*out = NULL;
	if (jsonin_depth(text, len, max_depth) > max_depth) {
		snprintf(why, whylen, "JSON nesting deeper than %d levels", max_depth);
		return SM_ERR_INVALID;
	}
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		snprintf(why, whylen, "%s at line %d, column %d", jerr.text, jerr.line,
		         jerr.column);
		return SM_ERR_INVALID;
	}
	*out = root;
	return SM_OK;
}

bool jsonin_absent(json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

const char *jsonin_string(json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}
