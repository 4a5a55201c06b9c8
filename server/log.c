#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
	json_decref(line);
	if (!text)
		return;
	pthread_mutex_lock(&log_lock);
	fputs(text, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
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
