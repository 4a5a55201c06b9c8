#include "download.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

/* The download's values travel as transaction-local settings: COPY takes no
 * bind parameters, and nothing the client sent is ever spliced into SQL.
 * The same statement gives the functions room to sort a day that they
 * render live (sql/017_dataset_hours.sql, sql/018_dataset_traffic_heat.sql)
 * and lifts the read pool's statement timeout: a download runs as long as
 * its client reads. JIT is off on every connection (db_connect). */
static const struct db_stmt settings = {
    "download_settings",
    "SELECT set_config('samenmeten.project', $1, true), set_config('samenmeten.from', $2, true),"
    " set_config('samenmeten.to', $3, true), set_config('work_mem', '64MB', true),"
    " set_config('statement_timeout', '0', true)",
    3,
};

/* An hour (air readings), a day (air cells, traffic, heat) or a month
 * (experience cells) of lines per row. Binary, so that the lines come as they are (text COPY would
 * escape their line ends). */
#define COPY_LINES(function)                                                                       \
	"COPY (SELECT lines FROM " function "(current_setting('samenmeten.project')::bigint,"      \
	" current_setting('samenmeten.from')::timestamptz,"                                        \
	" current_setting('samenmeten.to')::timestamptz)) TO STDOUT WITH (FORMAT binary)"
static const char *const copy_lines[] = {
    [DATASET_AIR] = COPY_LINES("air_dataset_hours"),
    [DATASET_TRAFFIC] = COPY_LINES("traffic_dataset_days"),
    [DATASET_HEAT] = COPY_LINES("heat_dataset_days"),
    [DATASET_AIR_CELLS] = COPY_LINES("air_cell_dataset_days"),
    [DATASET_EXPERIENCE_CELLS] = COPY_LINES("experience_cell_dataset_months"),
};
_Static_assert(sizeof(copy_lines) / sizeof(copy_lines[0]) == DATASET_FAMILIES,
               "a dataset family without its lines");

/* The binary COPY signature, then 32-bit flags and header extension length. */
static const char copy_signature[11] = "PGCOPY\n\377\r\n";
#define COPY_HEADER_LEN 19

/* Bytes rendered ahead of the client: libmicrohttpd's block size. */
#define RENDER_AHEAD (64 * 1024)

enum download_state { STREAMING, DONE, FAILED };

struct download {
	struct db_pool *pool;
	struct db_conn *conn;
	struct dataset_writer *writer;
	enum download_state state; /* STREAMING from the start (calloc) */
	bool header_seen;          /* the COPY's file header */
	char *msg;                 /* the current COPY row, from libpq */
	int msg_len;
	const char *lines; /* its lines, not yet written */
	size_t lines_len;
	struct buf out; /* written, not yet sent */
	size_t out_off;
	size_t copy_rows;
};

sm_err download_open(struct db_pool *pool, enum dataset_family family, long long project,
                     const char *licence, usec_t from, usec_t to, enum dataset_format format,
                     struct download **out)
{
	*out = NULL;
	struct download *d = calloc(1, sizeof(*d));
	if (!d)
		return SM_ERR_NOMEM;
	d->pool = pool;
	buf_init(&d->out, 0);
	char project_s[24], from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN];
	snprintf(project_s, sizeof(project_s), "%lld", project);
	scalar_time_format(from, from_s);
	scalar_time_format(to, to_s);
	const char *params[] = {project_s, from_s, to_s};
	PGresult *res = NULL;

	sm_err e = dataset_writer_new(family, format, &d->writer);
	if (e == SM_OK)
		e = dataset_write_head(d->writer, licence, &d->out);
	if (e == SM_OK)
		e = db_acquire(pool, &d->conn);
	if (e == SM_OK)
		e = db_command(d->conn, "BEGIN READ ONLY");
	if (e == SM_OK)
		e = db_exec(d->conn, &settings, params, &res);
	PQclear(res);
	if (e == SM_OK)
		e = db_copy_out_start(d->conn, copy_lines[family]);
	if (e != SM_OK) {
		download_close(d);
		return e;
	}
	*out = d;
	return SM_OK;
}

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Takes the next COPY row: its lines into d->lines, or the end of
 * the copy (SM_ERR_NOT_FOUND). A row is a 16-bit field count (1; -1 ends the
 * copy) and the field as a 32-bit length and its bytes; the first row comes
 * after the file header. */
static sm_err next_lines(struct download *d)
{
	sm_err e = db_copy_out_next(d->conn, &d->msg, &d->msg_len);
	if (e != SM_OK)
		return e;
	const char *p = d->msg;
	size_t n = (size_t)d->msg_len;
	if (!d->header_seen) {
		if (n < COPY_HEADER_LEN || memcmp(p, copy_signature, sizeof(copy_signature)) != 0 ||
		    n - COPY_HEADER_LEN < be32(p + 15))
			return SM_ERR_INTERNAL;
		size_t skip = COPY_HEADER_LEN + be32(p + 15);
		p += skip;
		n -= skip;
		d->header_seen = true;
	}
	if (n == 2 && (unsigned char)p[0] == 0xff && (unsigned char)p[1] == 0xff) {
		d->lines_len = 0; /* the trailer; the end comes with the next call */
		return SM_OK;
	}
	if (n < 6 || p[0] != 0 || p[1] != 1 || be32(p + 2) != n - 6)
		return SM_ERR_INTERNAL;
	d->lines = p + 6;
	d->lines_len = n - 6;
	d->copy_rows++;
	return SM_OK;
}

/* Renders about RENDER_AHEAD bytes into d->out, taking rows as needed. */
static sm_err render(struct download *d)
{
	buf_reset(&d->out);
	d->out_off = 0;
	while (d->out.len < RENDER_AHEAD) {
		if (d->lines_len == 0) {
			sm_err e = next_lines(d);
			if (e == SM_ERR_NOT_FOUND) {
				d->state = DONE;
				e = dataset_write_tail(d->writer, &d->out);
				return e == SM_OK ? db_command(d->conn, "COMMIT") : e;
			}
			if (e != SM_OK)
				return e;
			continue;
		}
		size_t used;
		sm_err e = dataset_write_lines(d->writer, d->lines, d->lines_len, RENDER_AHEAD,
		                               &d->out, &used);
		if (e != SM_OK)
			return e;
		d->lines += used;
		d->lines_len -= used;
	}
	return SM_OK;
}

long download_read(void *download, char *buf, size_t max)
{
	struct download *d = download;
	size_t n = 0;
	while (n < max && d->state != FAILED) {
		if (d->out_off < d->out.len) {
			size_t k =
			    d->out.len - d->out_off < max - n ? d->out.len - d->out_off : max - n;
			memcpy(buf + n, d->out.data + d->out_off, k);
			d->out_off += k;
			n += k;
			continue;
		}
		if (d->state == DONE)
			break;
		sm_err e = render(d);
		if (e != SM_OK) {
			log_warn("a dataset download failed after %zu rows of lines (%s)",
			         d->copy_rows, sm_err_str(e));
			d->state = FAILED;
		}
	}
	if (n == 0 && d->state == FAILED)
		return -1;
	return (long)n;
}

void download_close(void *download)
{
	struct download *d = download;
	if (!d)
		return;
	if (d->msg)
		PQfreemem(d->msg);
	if (d->conn) {
		if (d->state != DONE && d->conn->pg) {
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
	buf_cleanup(&d->out);
	dataset_writer_free(d->writer);
	free(d);
}
