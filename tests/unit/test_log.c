/* Unit tests for server/log.c: each line, newline included, leaves in one
 * write (stderr is unbuffered: a line in pieces is more system calls under the
 * lock, and can interleave with other writers), and log_enabled follows the
 * level. stderr is pointed at a SOCK_SEQPACKET socket, which keeps the
 * boundary of every write: one recv is one write. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static int saved_stderr = -1;
static int reader = -1;

static int setup(void **state)
{
	(void)state;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	int size = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(sv[1], STDERR_FILENO);
	close(sv[1]);
	reader = sv[0];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(reader);
	log_set_level(LOG_INFO);
	return 0;
}

/* The next write to stderr (NUL-terminated in buf), or -1 when there is none. */
static ssize_t next_write(char *buf, size_t cap)
{
	ssize_t n = recv(reader, buf, cap - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* One write per line, ending in its newline, holding the whole line as JSON. */
static void assert_one_line(const char *msg, size_t want_msg_len)
{
	static char got[1 << 16];
	json_t *fields = json_pack("{s:s, s:i}", "path", "/healthz", "status", 200);
	log_fields(LOG_INFO, msg, fields);
	json_decref(fields);
	ssize_t n = next_write(got, sizeof(got));
	assert_true(n > 0);
	assert_int_equal(got[n - 1], '\n');
	assert_null(memchr(got, '\n', (size_t)n - 1));
	json_error_t err;
	json_t *line = json_loadb(got, (size_t)n, 0, &err);
	assert_non_null(line);
	assert_string_equal(json_string_value(json_object_get(line, "level")), "info");
	assert_int_equal(strlen(json_string_value(json_object_get(line, "msg"))), want_msg_len);
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 200);
	json_decref(line);
	assert_true(next_write(got, sizeof(got)) < 0); /* nothing after it */
}

static void test_short_line_is_one_write(void **state)
{
	(void)state;
	assert_one_line("request", strlen("request"));
}

/* Longer than the stack buffer: dumped on the heap, still one write. */
static void test_long_line_is_one_write(void **state)
{
	(void)state;
	size_t len = 5000;
	char *msg = malloc(len + 1);
	assert_non_null(msg);
	memset(msg, 'x', len);
	msg[len] = '\0';
	assert_one_line(msg, len);
	free(msg);
}

static void test_enabled_follows_the_level(void **state)
{
	(void)state;
	char got[256];
	log_set_level(LOG_WARN);
	assert_false(log_enabled(LOG_DEBUG));
	assert_false(log_enabled(LOG_INFO));
	assert_true(log_enabled(LOG_WARN));
	assert_true(log_enabled(LOG_ERROR));
	log_fields(LOG_INFO, "dropped", NULL);
	assert_true(next_write(got, sizeof(got)) < 0);
	log_msg(LOG_WARN, "kept %d", 1);
	assert_true(next_write(got, sizeof(got)) > 0);
	assert_non_null(strstr(got, "\"kept 1\""));
	log_set_level(LOG_DEBUG);
	assert_true(log_enabled(LOG_DEBUG));
	log_set_level(LOG_INFO);
	assert_false(log_enabled(LOG_DEBUG));
	assert_true(log_enabled(LOG_INFO));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_short_line_is_one_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line_is_one_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enabled_follows_the_level, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
