/* Helpers for table-driven cmocka tests. A table test loops over its rows and
 * checks each with EXPECT; a failing row is reported by its name and the test
 * goes on, so one run shows every bad row. TABLE_DONE then fails the test if
 * any row failed. Include after <cmocka.h>. */
#ifndef SAMENMETEN_TEST_UNIT_H
#define SAMENMETEN_TEST_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct table_run {
	int failed;
};

#define EXPECT(run, name, cond)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("case \"%s\": expected %s (%s:%d)\n", (name), #cond, __FILE__, \
			            __LINE__);                                                     \
			(run).failed++;                                                            \
		}                                                                                  \
	} while (0)

/* Like EXPECT for strings, printing both sides. */
#define EXPECT_STR(run, name, got, want)                                                           \
	do {                                                                                       \
		const char *got_ = (got), *want_ = (want);                                         \
		if (!got_ || strcmp(got_, want_) != 0) {                                           \
			print_error("case \"%s\": got \"%s\", want \"%s\" (%s:%d)\n", (name),      \
			            got_ ? got_ : "(null)", want_, __FILE__, __LINE__);            \
			(run).failed++;                                                            \
		}                                                                                  \
	} while (0)

/* The text `hay` contains `needle`. */
#define EXPECT_HAS(run, name, hay, needle)                                                         \
	do {                                                                                       \
		const char *hay_ = (hay), *needle_ = (needle);                                     \
		if (!hay_ || !strstr(hay_, needle_)) {                                             \
			print_error("case \"%s\": \"%s\" does not contain \"%s\" (%s:%d)\n",       \
			            (name), hay_ ? hay_ : "(null)", needle_, __FILE__, __LINE__);  \
			(run).failed++;                                                            \
		}                                                                                  \
	} while (0)

#define TABLE_DONE(run) assert_int_equal((run).failed, 0)

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Reads tests/fixtures/<name> (or $SAMENMETEN_FIXTURES/<name>) whole; the
 * caller frees it. NULL, with a message, when it is missing: tests run from
 * the repository root. Needs <cmocka.h>, <stdio.h>, <stdlib.h> and buf.h. */
static inline char *unit_fixture_read(const char *name, size_t *len)
{
	const char *dir = getenv("SAMENMETEN_FIXTURES");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", name);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		print_error("fixture %s is missing (run from the repository root)\n", path);
		return NULL;
	}
	struct buf b;
	buf_init(&b, 0);
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(buf_append(&b, chunk, got), SM_OK);
	fclose(fp);
	return buf_steal(&b, len);
}

#endif
