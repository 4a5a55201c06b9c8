/* How fast server/csv.c reads a large sensor export. Builds the input in
 * memory by repeating the data lines of a CSV file (the snuffelfiets fixture
 * by default) to about 100 MB, reads it a few times and prints MB/s. Prints
 * figures only; it passes or fails on nothing but errors.
 *
 * Built by hand, not by make:
 *   cc -std=c17 -O2 -Iserver -o build/csv_speed bench/csv_speed.c server/csv.c server/buf.c
 *   build/csv_speed [file.csv] [megabytes]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "csv.h"

#define DEFAULT_FILE "/work/shared/fixtures/snuffelfiets/platform-export-2024-11-11.csv"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : DEFAULT_FILE;
	size_t want = (size_t)(argc > 2 ? strtoul(argv[2], NULL, 10) : 100) * 1000 * 1000;
	int rc = 1;
	struct buf file, big;
	buf_init(&file, 0);
	buf_init(&big, 0);

	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		goto out;
	}
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_append(&file, chunk, got) != SM_OK) {
			fclose(fp);
			goto out;
		}
	}
	fclose(fp);
	const char *body = memchr(file.data ? file.data : "", '\n', file.len);
	if (!body) {
		fprintf(stderr, "%s has no data lines\n", path);
		goto out;
	}
	body++;
	size_t header_len = (size_t)(body - file.data);
	size_t body_len = file.len - header_len;
	if (buf_append(&big, file.data, header_len) != SM_OK)
		goto out;
	while (big.len < want && body_len > 0)
		if (buf_append(&big, body, body_len) != SM_OK)
			goto out;

	const struct csv_limits lim = {4096, 256, (size_t)-1};
	struct csv_field fields[256];
	char why[256] = "";
	for (int run = 0; run < 5; run++) {
		struct csv_reader r;
		size_t n = 0, records = 0, nfields = 0;
		sm_err e;
		double t0 = now();
		csv_init(&r, big.data, big.len, &lim);
		while ((e = csv_next(&r, fields, &n, why, sizeof(why))) == SM_OK) {
			records++;
			nfields += n;
		}
		double t = now() - t0;
		csv_cleanup(&r);
		if (e != SM_ERR_NOT_FOUND) {
			fprintf(stderr, "%s\n", why);
			goto out;
		}
		printf("run %d: %zu bytes, %zu records, %zu fields in %.3f s: %.0f MB/s, "
		       "%.1f M records/s\n",
		       run, big.len, records, nfields, t, (double)big.len / t / 1e6,
		       (double)records / t / 1e6);
	}
	rc = 0;
out:
	buf_cleanup(&file);
	buf_cleanup(&big);
	return rc;
}
