/* Small files that hold secrets (the pseudonymisation key, the admin token):
 * created once with mode 0600 (their folder 0700 when it is made here),
 * refused when others can read them. */
#ifndef SAMENMETEN_SECRETFILE_H
#define SAMENMETEN_SECRETFILE_H

#include <stddef.h>

#include "err.h"

/* Creates `path` holding `text` and a newline; fails if it exists. Missing
 * parent folders are made (mode 0700). */
MUST_CHECK sm_err secretfile_create(const char *path, const char *text, const char *what,
                                    char *errbuf, size_t errlen);

/* Reads the first line of `path` into out (NUL-terminated, newline
 * removed). Fails when the file is readable by group or others, or when the
 * line does not fit. The caller wipes `out`. */
MUST_CHECK sm_err secretfile_read(const char *path, char *out, size_t outlen, const char *what,
                                  char *errbuf, size_t errlen);

#endif
