#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_cleanup(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

sm_err buf_reserve(struct buf *b, size_t extra)
{
	if (b->max && (extra > b->max || b->len > b->max - extra))
		return SM_ERR_TOO_LARGE;
	if (extra > SIZE_MAX / 2 - b->len)
		return SM_ERR_NOMEM;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return SM_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return SM_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return SM_OK;
}

sm_err buf_append(struct buf *b, const void *p, size_t n)
{
	sm_err e = buf_reserve(b, n);
	if (e != SM_OK)
		return e;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SM_OK;
}

sm_err buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

sm_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	sm_err e = SM_ERR_INTERNAL;
	if (n < 0)
		goto out;
	e = buf_reserve(b, (size_t)n);
	if (e != SM_OK)
		goto out;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	b->len += (size_t)n;
out:
	va_end(again);
	return e;
}

sm_err buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sm_err e = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return e;
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
