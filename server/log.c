#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_LINE_STACK_BYTES 2048

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};
/* The request this thread is handling, for the lines it logs meanwhile. */
static _Thread_local char thread_request_id[LOG_REQUEST_ID_MAX + 1];

void log_set_request_id(const char *id)
{
	snprintf(thread_request_id, sizeof(thread_request_id), "%s", id ? id : "");
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

bool log_enabled(enum log_level level)
{
	return level >= min_level;
}

bool log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static void now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_fields(enum log_level level, const char *msg, json_t *fields)
{
	if (level < min_level)
		return;
	char ts[40];
	now_rfc3339(ts, sizeof(ts));
	json_t *line = json_object();
	if (!line)
		return;
	json_object_set_new(line, "ts", json_string(ts));
	json_object_set_new(line, "level", json_string(level_names[level]));
	json_object_set_new(line, "msg", json_string(msg));
	if (thread_request_id[0])
		json_object_set_new(line, "request_id", json_string(thread_request_id));
	if (fields)
		json_object_update(line, fields);
	/* The line and its newline in one buffer, written with one call: stderr
	 * is unbuffered, so each fputs or fputc was a write(2) of its own, made
	 * while every other thread that logs waits for the lock. A request line
	 * fits the stack buffer; a longer line is dumped again on the heap. */
	const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6);
	char stack[LOG_LINE_STACK_BYTES];
	char *text = stack;
	size_t n = json_dumpb(line, stack, sizeof(stack) - 1, flags);
	if (n >= sizeof(stack)) {
		text = malloc(n + 1);
		n = text ? json_dumpb(line, text, n, flags) : 0;
	}
	json_decref(line);
	if (n > 0) {
		text[n] = '\n';
		pthread_mutex_lock(&log_lock);
		fwrite(text, 1, n + 1, stderr);
		fflush(stderr);
		pthread_mutex_unlock(&log_lock);
	}
	if (text != stack)
		free(text);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_fields(level, text, NULL);
}
