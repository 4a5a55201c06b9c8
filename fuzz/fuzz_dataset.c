/* libFuzzer target for server/dataset.c: the input after its first byte is
 * taken as the lines a row of a dataset holds, in the layout the first byte
 * picks, and written in every format, a block at a time.
 * Whatever the input, a writer that says SM_OK has written a document its
 * format's readers take: every NDJSON line and the whole GeoJSON parse as
 * JSON, and CSV has a row per line; what it took is a whole number of lines. */
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "pseudonym.h"

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The publication key: a fixed key file, loaded once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char path[] = "/tmp/samenmeten-fuzz-key-XXXXXX";
	int fd = mkstemp(path);
	static const char hex[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	bool created;
	char err[256];
	if (sodium_init() < 0 || fd < 0 || fchmod(fd, 0600) != 0 ||
	    write(fd, hex, sizeof(hex) - 1) != (ssize_t)(sizeof(hex) - 1) ||
	    pseudonym_keys_load(path, &created, err, sizeof(err)) != SM_OK)
		abort();
	close(fd);
	unlink(path);
	return 0;
}

/* True when text is one JSON object (a GeoJSON FeatureCollection when
 * `collection`). Numbers that jansson cannot hold (an integer past 64 bits, a
 * real past a double) are valid JSON: such a document is taken as good. */
static bool json_ok(const char *text, size_t len, bool collection)
{
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &err);
	if (!v)
		return strstr(err.text, "overflow") != NULL || strstr(err.text, "too big") != NULL;
	bool ok =
	    json_is_object(v) && (!collection || json_is_array(json_object_get(v, "features")));
	json_decref(v);
	return ok;
}

/* The features of a GeoJSON document the writer made: one per line. */
static size_t features(const char *text, size_t len)
{
	static const char feature[] = "{\"type\":\"Feature\",";
	size_t n = 0;
	for (const char *p = text;
	     (p = memmem(p, len - (size_t)(p - text), feature, sizeof(feature) - 1)) != NULL; p++)
		n++;
	return n;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the layout (air, traffic, heat, air cells,
	 * experience cells) and the block
	 * size, 1 to 86 bytes; the lines follow. */
	if (size == 0)
		return 0;
	enum dataset_family family = (enum dataset_family)(data[0] % DATASET_FAMILIES);
	size_t enough = (size_t)data[0] / 3 + 1;
	const char *lines = (const char *)data + 1;
	size--;
	for (int f = DATASET_CSV; f <= DATASET_GEOJSON; f++) {
		struct dataset_writer *w;
		if (dataset_writer_new(family, (enum dataset_format)f, &w) != SM_OK)
			return 0;
		struct buf out, block;
		buf_init(&out, 0);
		buf_init(&block, 0);
		sm_err e = dataset_write_head(w, "CC-BY-4.0", &out);
		size_t left = size, taken = 0;
		while (e == SM_OK && left > 0) {
			size_t used = 0;
			buf_reset(&block);
			e = dataset_write_lines(w, lines + taken, left, enough, &block, &used);
			FUZZ_CHECK(used <= left);
			FUZZ_CHECK(used == 0 || lines[taken + used - 1] == '\n');
			if (e == SM_OK) {
				FUZZ_CHECK(used > 0);
				e = buf_append(&out, block.data, block.len);
			}
			taken += used;
			left -= used;
		}
		if (e == SM_OK)
			e = dataset_write_tail(w, &out);
		if (e == SM_OK) {
			size_t rows = count_lines(lines, size);
			if (f == DATASET_CSV)
				FUZZ_CHECK(count_lines(out.data, out.len) == rows + 1);
			if (f == DATASET_NDJSON) {
				FUZZ_CHECK(count_lines(out.data, out.len) == rows);
				for (char *p = out.data; p && *p;) {
					char *eol = strchr(p, '\n');
					FUZZ_CHECK(json_ok(p, (size_t)(eol - p), false));
					p = eol + 1;
				}
			}
			if (f == DATASET_GEOJSON) {
				FUZZ_CHECK(json_ok(out.data, out.len, true) &&
				           features(out.data, out.len) == rows);
			}
		}
		buf_cleanup(&block);
		buf_cleanup(&out);
		dataset_writer_free(w);
	}
	return 0;
}
