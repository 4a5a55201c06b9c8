/* A growable byte buffer with a hard cap set by its owner. The contents are
 * always NUL-terminated, so text can be read as a C string. */
#ifndef SAMENMETEN_BUF_H
#define SAMENMETEN_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len; /* bytes used, not counting the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* appends that would pass this many bytes fail; 0 = no cap */
};

void buf_init(struct buf *b, size_t max);
/* Frees the contents; safe to call twice. */
void buf_cleanup(struct buf *b);
void buf_reset(struct buf *b);

/* SM_ERR_TOO_LARGE when the cap would be passed (the buffer is unchanged),
 * SM_ERR_NOMEM when allocation fails. */
/* Makes room for `extra` more bytes (and the NUL) without changing the
 * contents, for callers that write at data + len themselves. Errors as
 * buf_append. */
MUST_CHECK sm_err buf_reserve(struct buf *b, size_t extra);
MUST_CHECK sm_err buf_append(struct buf *b, const void *p, size_t n);
MUST_CHECK sm_err buf_puts(struct buf *b, const char *s);
MUST_CHECK sm_err buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
MUST_CHECK sm_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Hands the contents to the caller (owned, free()) and empties the buffer. */
char *buf_steal(struct buf *b, size_t *len);

#endif
