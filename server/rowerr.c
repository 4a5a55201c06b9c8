#include "rowerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "request.h"

void rowerr_init(struct row_errors *e)
{
	e->items = NULL;
	e->listed = 0;
	e->rejected = 0;
}

void rowerr_cleanup(struct row_errors *e)
{
	free(e->items);
	rowerr_init(e);
}

void rowerr_add(struct row_errors *e, size_t index, const char *field, const char *fmt, ...)
{
	e->rejected++;
	if (e->listed == ROWERR_MAX_LISTED)
		return;
	if (!e->items) {
		e->items = calloc(ROWERR_MAX_LISTED, sizeof(*e->items));
		if (!e->items)
			return;
	}
	struct row_error *r = &e->items[e->listed++];
	r->index = index;
	quote_value(r->field, sizeof(r->field), field ? field : "", 40);
	char reason[sizeof(r->reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	quote_value(r->reason, sizeof(r->reason), reason, sizeof(r->reason) - 4);
}

static int by_index(const void *a, const void *b)
{
	const struct row_error *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

json_t *rowerr_json(const struct row_errors *e)
{
	if (e->listed > 1)
		qsort(e->items, e->listed, sizeof(e->items[0]), by_index);
	json_t *list = json_array();
	for (size_t i = 0; list && i < e->listed; i++)
		json_array_append_new(
		    list, json_pack("{s:I, s:s, s:s}", "index", (json_int_t)e->items[i].index,
		                    "field", e->items[i].field, "reason", e->items[i].reason));
	return list;
}
