#include "jsonin.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the current thread's parse may still allocate (jsonin_init). */
static _Thread_local struct {
	bool on;
	bool over;
	size_t used, limit;
} budget;

static void *counted_malloc(size_t n)
{
	if (budget.on && (n > budget.limit || budget.used > budget.limit - n)) {
		budget.over = true;
		return NULL;
	}
	void *p = malloc(n);
	if (p && budget.on)
		budget.used += malloc_usable_size(p);
	return p;
}

static void counted_free(void *p)
{
	if (p && budget.on) {
		size_t n = malloc_usable_size(p);
		budget.used = n < budget.used ? budget.used - n : 0;
	}
	free(p);
}

void jsonin_init(void)
{
	json_set_alloc_funcs(counted_malloc, counted_free);
}

size_t jsonin_rows(const char *text, size_t len, size_t stop)
{
	char kind[3] = {0, 0, 0}; /* '[' or '{' at depths 1 and 2 */
	int depth = 0, level = 0; /* level: the depth of the array being counted */
	bool in_string = false, seen = false;
	size_t commas = 0, most = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (level && depth == level && c != ']' && c != ' ' && c != '\n' && c != '\r' &&
		    c != '\t') {
			if (c == ',') {
				if (++commas >= stop)
					return stop + 1;
			} else {
				seen = true;
			}
		}
		switch (c) {
		case '"': in_string = true; break;
		case '[':
		case '{':
			depth++;
			if (depth <= 2)
				kind[depth] = c;
			if (c == '[' && (depth == 1 || (depth == 2 && kind[1] == '{'))) {
				level = depth;
				commas = 0;
				seen = false;
			}
			break;
		case ']':
		case '}':
			if (depth == 0)
				return most; /* closes what never opened: the parser refuses it */
			if (level && depth == level) {
				size_t n = seen ? commas + 1 : 0;
				most = n > most ? n : most;
				level = 0;
			}
			depth--;
			break;
		default: break;
		}
	}
	return most;
}

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
	size_t limit = len < (SIZE_MAX - JSONIN_MEMORY_MIN) / JSONIN_MEMORY_PER_BYTE
	                   ? len * JSONIN_MEMORY_PER_BYTE + JSONIN_MEMORY_MIN
	                   : SIZE_MAX;
	budget.on = true;
	budget.over = false;
	budget.used = 0;
	budget.limit = limit;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	bool over = budget.over;
	budget.on = false;
	if (over) {
		json_decref(root);
		snprintf(why, whylen,
		         "the JSON would need more than %zu MiB of memory; send it in parts",
		         limit >> 20);
		return SM_ERR_TOO_LARGE;
	}
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
