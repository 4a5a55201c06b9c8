/* JSON-lines logging to stderr: one object per line, safe from many threads.
 * Callers never pass secrets (tokens, keys, identifiers a device sent). */
#ifndef SAMENMETEN_LOG_H
#define SAMENMETEN_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Whether lines of `level` are written: a caller skips building fields that
 * would be dropped (the HTTP layer's line per request, below info). */
bool log_enabled(enum log_level level);
/* Parses "debug", "info", "warn" or "error"; false for anything else. */
bool log_level_parse(const char *s, enum log_level *out);

/* A message with printf-style text. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes `fields` (borrowed) with "ts", "level" and "msg" added. */
void log_fields(enum log_level level, const char *msg, json_t *fields);

/* Every line this thread logs carries `id` as "request_id" until it is set
 * again; NULL or "" for none. The HTTP layer sets it around a handler, so a
 * database error in the log can be found from the 500 that names the id. */
#define LOG_REQUEST_ID_MAX 64 /* REQUEST_ID_MAX: a request id is logged whole */
void log_set_request_id(const char *id);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
