#include "csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* What a byte means outside quotes; 0 is an ordinary field byte. The hot
 * loop for unquoted fields only asks "is this byte 0 here". */
enum {
	CSV_PLAIN = 0,
	CSV_COMMA,
	CSV_LF,
	CSV_CR,
	CSV_QUOTE,
	CSV_NUL,
};

static const unsigned char csv_class[256] = {
    ['\0'] = CSV_NUL, ['\n'] = CSV_LF, ['\r'] = CSV_CR, ['"'] = CSV_QUOTE, [','] = CSV_COMMA,
};

/* Inside quotes only these bytes stop the scan. */
static const unsigned char csv_qclass[256] = {
    ['\0'] = CSV_NUL,
    ['\n'] = CSV_LF,
    ['"'] = CSV_QUOTE,
};

static const char csv_bom[3] = {'\xEF', '\xBB', '\xBF'};

void csv_init(struct csv_reader *r, const char *data, size_t len, const struct csv_limits *lim)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	if (len >= sizeof(csv_bom) && memcmp(data, csv_bom, sizeof(csv_bom)) == 0)
		r->pos = sizeof(csv_bom);
	r->line = 1;
	r->rec_line = 0;
	r->nrecords = 0;
	r->lim = *lim;
	/* Unescaped text is never longer than the input, so the input length
	 * bounds the scratch buffer (the per-field limit is checked first). */
	buf_init(&r->scratch, len ? len : 1);
	r->failed = SM_OK;
}

void csv_cleanup(struct csv_reader *r)
{
	buf_cleanup(&r->scratch);
	r->data = NULL;
	r->len = 0;
	r->pos = 0;
}

size_t csv_line(const struct csv_reader *r)
{
	return r->rec_line;
}

size_t csv_record_index(const struct csv_reader *r)
{
	return r->nrecords ? r->nrecords - 1 : 0;
}

bool csv_field_is(struct csv_field f, const char *s)
{
	size_t n = strlen(s);
	return n == f.len && (n == 0 || memcmp(f.p, s, n) == 0);
}

bool csv_field_copy(struct csv_field f, char *out, size_t outlen)
{
	if (outlen == 0)
		return false;
	if (f.len >= outlen) {
		out[0] = '\0';
		return false;
	}
	if (f.len)
		memcpy(out, f.p, f.len);
	out[f.len] = '\0';
	return true;
}

/* Records error `e` with its reason; the reader stays failed. Returns e. */
__attribute__((format(printf, 5, 6))) static sm_err
csv_fail(struct csv_reader *r, sm_err e, char *why, size_t whylen, const char *fmt, ...)
{
	r->failed = e;
	if (why && whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* Appends the quoted text data[start..end) to the scratch buffer with each
 * doubled quote made single. Every quote in that range is the first of a
 * pair: the scan that found the closing quote made sure of it. */
static sm_err csv_unescape(struct buf *scratch, const char *data, size_t start, size_t end)
{
	sm_err e = SM_OK;
	const char *s = data + start;
	const char *stop = data + end;
	while (s < stop) {
		const char *q = memchr(s, '"', (size_t)(stop - s));
		if (!q) {
			e = buf_append(scratch, s, (size_t)(stop - s));
			goto out;
		}
		e = buf_append(scratch, s, (size_t)(q - s) + 1);
		if (e != SM_OK)
			goto out;
		s = q + 2;
	}
out:
	return e;
}

sm_err csv_next(struct csv_reader *r, struct csv_field *fields, size_t *nfields, char *why,
                size_t whylen)
{
	sm_err e = SM_OK;
	const char *d = r->data;
	const size_t len = r->len;
	const size_t max_bytes = r->lim.max_field_bytes;
	size_t i = r->pos;
	size_t n = 0;
	bool scratch_used = false;

	*nfields = 0;
	if (r->failed != SM_OK) {
		e = csv_fail(r, r->failed, why, whylen, "csv reading stopped at line %zu", r->line);
		goto out;
	}

	/* Blank lines: LF, CRLF, or a lone CR as the last byte. */
	while (i < len) {
		if (d[i] == '\n') {
			i++;
			r->line++;
		} else if (d[i] == '\r' && (i + 1 == len || d[i + 1] == '\n')) {
			i++;
		} else {
			break;
		}
	}
	r->pos = i;
	if (i >= len) {
		e = SM_ERR_NOT_FOUND;
		goto out;
	}
	r->rec_line = r->line;
	if (r->nrecords >= r->lim.max_records) {
		e = csv_fail(r, SM_ERR_TOO_LARGE, why, whylen, "more than %zu records (line %zu)",
		             r->lim.max_records, r->line);
		goto out;
	}
	buf_reset(&r->scratch);

	/* One field per pass; i is at the field's first byte (or at len). */
	for (;;) {
		if (n == r->lim.max_fields) {
			e = csv_fail(r, SM_ERR_TOO_LARGE, why, whylen,
			             "more than %zu fields on line %zu", r->lim.max_fields,
			             r->line);
			goto out;
		}
		if (i < len && d[i] == '"') {
			size_t qline = r->line;
			size_t start = ++i;
			size_t doubled = 0;
			for (;;) {
				while (i < len && !csv_qclass[(unsigned char)d[i]])
					i++;
				if (i == len) {
					e = csv_fail(
					    r, SM_ERR_INVALID, why, whylen,
					    "unterminated quoted field starting on line %zu",
					    qline);
					goto out;
				}
				if (d[i] == '"') {
					if (i + 1 < len && d[i + 1] == '"') {
						doubled++;
						i += 2;
						continue;
					}
					break;
				}
				if (d[i] == '\n') {
					r->line++;
					i++;
					continue;
				}
				e = csv_fail(r, SM_ERR_INVALID, why, whylen, "nul byte on line %zu",
				             r->line);
				goto out;
			}
			/* d[i] is the closing quote. */
			size_t flen = i - start - doubled;
			if (flen > max_bytes) {
				e = csv_fail(r, SM_ERR_TOO_LARGE, why, whylen,
				             "field %zu on line %zu is longer than %zu bytes",
				             n + 1, r->line, max_bytes);
				goto out;
			}
			if (doubled == 0) {
				fields[n].p = d + start;
			} else {
				/* Its place in scratch is set once the record is
				 * complete: the buffer may still move. */
				e = csv_unescape(&r->scratch, d, start, i);
				if (e != SM_OK) {
					e = csv_fail(r, e, why, whylen,
					             "could not unescape field %zu on line %zu",
					             n + 1, r->line);
					goto out;
				}
				fields[n].p = NULL;
				scratch_used = true;
			}
			fields[n].len = flen;
			n++;
			i++;
			if (i < len && d[i] != ',' && d[i] != '\n' && d[i] != '\r') {
				e = csv_fail(r, SM_ERR_INVALID, why, whylen,
				             "text after closing quote on line %zu", r->line);
				goto out;
			}
		} else {
			size_t start = i;
			/* Scan no further than one byte past the limit. */
			size_t end = len - start > max_bytes ? start + max_bytes + 1 : len;
			while (i < end && !csv_class[(unsigned char)d[i]])
				i++;
			if (i - start > max_bytes) {
				e = csv_fail(r, SM_ERR_TOO_LARGE, why, whylen,
				             "field %zu on line %zu is longer than %zu bytes",
				             n + 1, r->line, max_bytes);
				goto out;
			}
			fields[n].p = d + start;
			fields[n].len = i - start;
			n++;
		}

		/* i is at the byte after the field: a separator, or the end. */
		if (i == len)
			break;
		if (d[i] == ',') {
			i++;
			continue;
		}
		if (d[i] == '\n') {
			i++;
			r->line++;
			break;
		}
		if (d[i] == '\r' && i + 1 == len) {
			i++;
			break;
		}
		if (d[i] == '\r' && d[i + 1] == '\n') {
			i += 2;
			r->line++;
			break;
		}
		if (d[i] == '\r')
			e = csv_fail(r, SM_ERR_INVALID, why, whylen,
			             "carriage return without line feed on line %zu", r->line);
		else if (d[i] == '"')
			e = csv_fail(r, SM_ERR_INVALID, why, whylen,
			             "quote inside an unquoted field on line %zu", r->line);
		else
			e = csv_fail(r, SM_ERR_INVALID, why, whylen, "nul byte on line %zu",
			             r->line);
		goto out;
	}

	if (scratch_used) {
		size_t off = 0;
		for (size_t k = 0; k < n; k++) {
			if (fields[k].p)
				continue;
			fields[k].p = r->scratch.data + off;
			off += fields[k].len;
		}
	}
	r->pos = i;
	r->nrecords++;
	*nfields = n;
out:
	return e;
}
