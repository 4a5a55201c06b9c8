#include "download.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "pseudonym.h"

/* The dataset's values travel as transaction-local settings: COPY takes no
 * bind parameters, and nothing the client sent is ever spliced into SQL.
 * The same statement gives dataset_air() room to sort one day's rows in
 * memory (sql/013_dataset_stream.sql); JIT is off on every connection
 * (db_connect). */
static const struct db_stmt settings = {
    "download_settings",
    "SELECT set_config('samenmeten.slug', $1, true), set_config('samenmeten.from', $2, true),"
    " set_config('samenmeten.to', $3, true), set_config('samenmeten.key', $4, true),"
    " set_config('work_mem', '64MB', true)",
    4,
};

#define DATASET_CALL                                                                               \
	"dataset_air(current_setting('samenmeten.slug'),"                                          \
	" current_setting('samenmeten.from')::timestamptz,"                                        \
	" current_setting('samenmeten.to')::timestamptz,"                                          \
	" decode(current_setting('samenmeten.key'), 'hex'))"

/* CSV with a header row, as PostgreSQL writes it. */
static const char copy_csv[] = "COPY (SELECT * FROM " DATASET_CALL ") TO STDOUT WITH (FORMAT csv, "
                               "HEADER)";
/* One JSON value per line. CSV format with a quote and delimiter that JSON
 * text never holds (it escapes control characters), so lines pass as is. */
#define COPY_JSON_LINES(expr)                                                                      \
	"COPY (SELECT " expr " FROM " DATASET_CALL " d) TO STDOUT WITH (FORMAT csv, "              \
	"QUOTE E'\\x01', DELIMITER E'\\x02')"
static const char copy_ndjson[] = COPY_JSON_LINES("row_to_json(d)");
static const char copy_features[] = COPY_JSON_LINES(
    "json_build_object('type', 'Feature', 'geometry', CASE WHEN d.latitude IS NOT NULL THEN "
    "json_build_object('type', 'Point', 'coordinates', json_build_array(d.longitude, "
    "d.latitude)) END, 'properties', to_jsonb(d) - 'latitude' - 'longitude')");

struct download {
	struct db_pool *pool;
	struct db_conn *conn;
	enum download_format format;
	char *row; /* the current row from libpq */
	int row_len, row_off;
	size_t rows;
	struct buf head; /* GeoJSON: what comes before the features */
	size_t head_off;
	int state; /* 0 head, 1 rows, 2 tail, 3 done, -1 failed */
};

sm_err download_air(struct db_pool *pool, const char *slug, const char *licence, usec_t from,
                    usec_t to, enum download_format format, struct download **out)
{
	*out = NULL;
	struct download *d = calloc(1, sizeof(*d));
	if (!d)
		return SM_ERR_NOMEM;
	d->pool = pool;
	d->format = format;
	buf_init(&d->head, 0);
	char from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN], key[PSEUDONYM_HEX_BYTES];
	scalar_time_format(from, from_s);
	scalar_time_format(to, to_s);
	pseudonym_subkey_hex(PSEUDO_PUBLICATION, key);
	const char *params[] = {slug, from_s, to_s, key};
	PGresult *res = NULL;

	sm_err e = db_acquire(pool, &d->conn);
	if (e == SM_OK)
		e = db_command(d->conn, "BEGIN READ ONLY");
	if (e == SM_OK)
		e = db_exec(d->conn, &settings, params, &res);
	PQclear(res);
	sodium_memzero(key, sizeof(key));
	if (e == SM_OK && format == DOWNLOAD_GEOJSON) {
		json_t *meta = json_pack("{s:s, s:s, s:s}", "type", "FeatureCollection", "licence",
		                         licence, "provenance",
		                         "Samen Meten Utrecht open data; trip ends hidden, trips "
		                         "pseudonymised per trip");
		char *text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
		json_decref(meta);
		/* {"type":...,"provenance":"..."} becomes {...,"features":[ */
		e = text ? buf_append(&d->head, text, strlen(text) - 1) : SM_ERR_NOMEM;
		if (e == SM_OK)
			e = buf_puts(&d->head, ",\"features\":[\n");
		free(text);
	}
	if (e == SM_OK)
		e = db_copy_out_start(d->conn, format == DOWNLOAD_CSV      ? copy_csv
		                               : format == DOWNLOAD_NDJSON ? copy_ndjson
		                                                           : copy_features);
	if (e != SM_OK) {
		download_close(d);
		return e;
	}
	d->state = format == DOWNLOAD_GEOJSON ? 0 : 1;
	*out = d;
	return SM_OK;
}

/* Copies what fits of src[*off..len) into buf at *n. */
static void take(const char *src, size_t len, size_t *off, char *buf, size_t max, size_t *n)
{
	size_t k = len - *off < max - *n ? len - *off : max - *n;
	memcpy(buf + *n, src + *off, k);
	*off += k;
	*n += k;
}

long download_read(void *download, char *buf, size_t max)
{
	struct download *d = download;
	size_t n = 0;
	while (n < max && d->state >= 0 && d->state < 3) {
		if (d->state == 0) {
			take(d->head.data, d->head.len, &d->head_off, buf, max, &n);
			if (d->head_off == d->head.len)
				d->state = 1;
			continue;
		}
		if (d->state == 2) {
			static const char tail[] = "\n]}\n";
			take(tail, sizeof(tail) - 1, &d->head_off, buf, max, &n);
			if (d->head_off == sizeof(tail) - 1)
				d->state = 3;
			continue;
		}
		if (d->row && d->row_off < d->row_len) {
			size_t off = (size_t)d->row_off;
			take(d->row, (size_t)d->row_len, &off, buf, max, &n);
			d->row_off = (int)off;
			continue;
		}
		sm_err e = db_copy_out_next(d->conn, &d->row, &d->row_len);
		if (e == SM_ERR_NOT_FOUND) {
			d->state = d->format == DOWNLOAD_GEOJSON ? 2 : 3;
			d->head_off = 0;
			if (db_command(d->conn, "COMMIT") != SM_OK)
				d->state = -1;
			continue;
		}
		if (e != SM_OK) {
			log_warn("a dataset download failed after %zu rows", d->rows);
			d->state = -1;
			break;
		}
		d->row_off = 0;
		/* GeoJSON: features are separated by commas, not line ends. */
		if (d->format == DOWNLOAD_GEOJSON) {
			d->row_len--; /* the line end */
			if (d->rows > 0)
				buf[n++] = ','; /* n < max: the loop checked it */
		}
		d->rows++;
	}
	if (n == 0 && d->state < 0)
		return -1;
	return (long)n;
}

void download_close(void *download)
{
	struct download *d = download;
	if (!d)
		return;
	if (d->row)
		PQfreemem(d->row);
	if (d->conn) {
		if (d->state != 3 && d->conn->pg) {
			/* A download cut short: its COPY may still be running. Cancel
			 * it, read what is left, and roll back. */
			PGcancel *cancel = PQgetCancel(d->conn->pg);
			char errbuf[256];
			if (cancel) {
				PQcancel(cancel, errbuf, sizeof(errbuf));
				PQfreeCancel(cancel);
			}
			char *rest = NULL;
			while (PQgetCopyData(d->conn->pg, &rest, 0) > 0)
				PQfreemem(rest);
			PGresult *r;
			while ((r = PQgetResult(d->conn->pg)) != NULL)
				PQclear(r);
		}
		db_release(d->pool, d->conn);
	}
	buf_cleanup(&d->head);
	free(d);
}
