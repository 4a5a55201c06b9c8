/* libFuzzer target for the query parameters of the open endpoints: the input
 * is an Accept header, a newline, and a query string, split and
 * percent-decoded as libmicrohttpd does and stored as the HTTP layer stores
 * it (struct request, at most REQUEST_MAX_QUERY parameters, the first of a
 * repeated name wins). Then, as the handlers do:
 * - agg_parse (/v1/aggregates, /latest, /coverage with its fixed quantity,
 *   /exceedances), and for a query it took, what each view fixes, whether
 *   the space fits each family, and agg_sql for each family's column;
 * - scalar_time on from and to (/v1/traffic/segments, /v1/heat/stations/{id},
 *   /v1/datasets/{slug}), slug_valid on project, layer_valid, scalar_int on
 *   an id, scalar_double on each number of bbox.
 * Checks what the handlers rely on: a query agg_parse took is within its
 * limits (range, page, cell sizes, bbox, slugs, a quantity in UTF-8), its SQL is built and holds
 * no byte of the request (user values travel as $n parameters only); a
 * refused one names its parameter and a reason; a time scalar_time took
 * formats and parses back to itself. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "fuzz_common.h"
#include "request.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A new NUL-terminated copy of s[0..n) with '+' as a space and %XX decoded
 * (a bad escape stays as it is); stops at a decoded NUL, as C strings do. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	FUZZ_CHECK(out != NULL);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		           hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Fills r's query from the query string as the HTTP layer does. */
static void fill_query(struct request *r, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && s[end] != '&')
			end++;
		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			size_t klen = eq ? (size_t)(eq - (s + i)) : end - i;
			if (r->nquery == REQUEST_MAX_QUERY) {
				r->query_overflow = true;
			} else {
				r->query[r->nquery].key = unescape(s + i, klen);
				r->query[r->nquery].value =
				    eq ? unescape(eq + 1, (size_t)(s + end - eq - 1))
				       : unescape("", 0);
				r->nquery++;
			}
		}
		i = end + 1;
	}
}

static const char *query_get(void *ctx, const char *name)
{
	return request_query(ctx, name);
}

static const char *coverage_get(void *ctx, const char *name)
{
	return strcmp(name, "quantity") == 0 ? "coverage" : request_query(ctx, name);
}

/* What a query agg_parse took promises the handler. */
static void check_query(const struct agg_query *q)
{
	FUZZ_CHECK(fuzz_terminated(q->quantity, sizeof(q->quantity)) && q->quantity[0]);
	FUZZ_CHECK(utf8_valid(q->quantity)); /* it goes to SQL as text */
	FUZZ_CHECK(q->from < q->to);
	FUZZ_CHECK(q->to - q->from <= 3660 * FUZZ_DAY);
	FUZZ_CHECK(q->bucket >= AGG_15MIN && q->bucket < AGG_RANGE);
	FUZZ_CHECK(q->limit >= 1 && q->limit <= AGG_PAGE_MAX);
	FUZZ_CHECK(q->offset >= 0);
	FUZZ_CHECK(q->format == AGG_JSON || q->format == AGG_GEOJSON || q->format == AGG_CSV);
	FUZZ_CHECK(q->answer == AGG_STATISTICS);
	FUZZ_CHECK((q->stats & AGG_COUNT) != 0 && (q->stats & ~0xffu) == 0);
	if (q->space == AGG_GRID || q->space == AGG_HEX)
		FUZZ_CHECK(q->cell_m == 100 || q->cell_m == 250 || q->cell_m == 500 ||
		           q->cell_m == 1000);
	if (q->space == AGG_AREA)
		FUZZ_CHECK(layer_valid(q->layer));
	else
		FUZZ_CHECK(q->layer[0] == '\0');
	FUZZ_CHECK(q->project[0] == '\0' || slug_valid(q->project));
	if (q->has_bbox) {
		FUZZ_CHECK(q->bbox[0] < q->bbox[2] && q->bbox[1] < q->bbox[3]);
		FUZZ_CHECK(q->bbox[0] >= -180 && q->bbox[2] <= 180);
		FUZZ_CHECK(q->bbox[1] >= -90 && q->bbox[3] <= 90);
	}
}

/* The SQL text is made of the module's fixed fragments: printable ASCII and
 * white space only, whatever the request held. */
static void check_sql(const struct buf *sql)
{
	FUZZ_CHECK(sql->len > 0 && sql->data != NULL);
	FUZZ_CHECK(strlen(sql->data) == sql->len);
	for (size_t i = 0; i < sql->len; i++) {
		unsigned char c = (unsigned char)sql->data[i];
		FUZZ_CHECK((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t');
	}
}

/* The handler's views: what each fixes after the parse (handlers_open.c). */
enum view { VIEW_AGGREGATES, VIEW_LATEST, VIEW_COVERAGE, VIEW_EXCEEDANCES };

static void run_view(struct request *r, enum view view, const char *accept)
{
	struct agg_query q;
	char param[32], why[200];
	memset(param, 'x', sizeof(param));
	memset(why, 'x', sizeof(why));
	sm_err e = agg_parse(view == VIEW_COVERAGE ? coverage_get : query_get, r, accept, FUZZ_NOW,
	                     &q, param, sizeof(param), why, sizeof(why));
	if (e != SM_OK) {
		FUZZ_CHECK(e == SM_ERR_INVALID);
		FUZZ_CHECK(fuzz_terminated(param, sizeof(param)) && param[0]);
		FUZZ_CHECK(fuzz_terminated(why, sizeof(why)) && why[0]);
		return;
	}
	check_query(&q);
	const usec_t hour = 3600 * USEC_PER_SEC;
	switch (view) {
	case VIEW_LATEST:
		q.to = FUZZ_NOW - FUZZ_NOW % hour;
		q.from = q.to - hour;
		q.bucket = AGG_HOUR;
		break;
	case VIEW_COVERAGE:
		if (!request_query(r, "from"))
			q.from = q.to - 30 * FUZZ_DAY;
		q.bucket = AGG_RANGE;
		q.stats = AGG_COUNT | AGG_HOURS;
		break;
	case VIEW_EXCEEDANCES:
		if (!request_query(r, "from"))
			q.from = q.to - 365 * FUZZ_DAY;
		q.stats |= AGG_MEAN;
		q.answer = AGG_EXCEEDANCES;
		q.bucket = AGG_DAY;
		break;
	case VIEW_AGGREGATES: break;
	}
	static const struct {
		enum agg_family family;
		const char *column;
	} columns[] = {{AGG_AIR, "pm25_ugm3"},
	               {AGG_AIR, "quality"},
	               {AGG_TRAFFIC, "car"},
	               {AGG_HEAT, "wbgt_c"}};
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		q.family = columns[i].family;
		char fit[200];
		if (!agg_space_fits(&q, fit, sizeof(fit))) {
			FUZZ_CHECK(fuzz_terminated(fit, sizeof(fit)) && fit[0]);
			continue;
		}
		(void)agg_k_applies(&q);
		(void)agg_uses_rollups(&q);
		(void)agg_uses_cell_periods(&q, columns[i].column);
		struct buf sql;
		buf_init(&sql, 0);
		FUZZ_CHECK(agg_sql(&q, columns[i].column, &sql) == SM_OK);
		check_sql(&sql);
		FUZZ_CHECK(agg_format_type(q.format) != NULL);
		buf_cleanup(&sql);
	}
}

/* 0001-01-02 and 9999-12-30 (UTC): times between them format with four-digit
 * years. Outside them the formatted text is not what the parser reads (year
 * 0 and before: the subject of a separate fix to the range checks). */
#define YEAR_1_DAY_2 (INT64_C(-62135510400) * USEC_PER_SEC)
#define YEAR_9999_END (INT64_C(253402041600) * USEC_PER_SEC)

/* from and to of the other open endpoints: a time taken formats and parses
 * back to itself. */
static void check_time(const char *v)
{
	if (!v)
		return;
	for (int bare = 0; bare < 2; bare++) {
		usec_t t = 0, back = 0;
		char why[96] = "", text[SCALAR_TIME_LEN];
		if (scalar_time(v, strlen(v), bare, &t, why, sizeof(why)) != SM_OK) {
			FUZZ_CHECK(why[0] != '\0');
			continue;
		}
		if (t < YEAR_1_DAY_2 || t > YEAR_9999_END)
			continue;
		scalar_time_format(t, text);
		FUZZ_CHECK(scalar_time(text, strlen(text), false, &back, why, sizeof(why)) ==
		           SM_OK);
		FUZZ_CHECK(back == t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	char *accept = nl ? unescape(text, (size_t)(nl - text)) : NULL;
	const char *qs = nl ? nl + 1 : text;
	size_t qlen = nl ? size - (size_t)(nl + 1 - text) : size;

	struct request r;
	request_init(&r, NULL, 0);
	fill_query(&r, qs, qlen);
	FUZZ_CHECK(r.nquery <= REQUEST_MAX_QUERY);

	for (int view = VIEW_AGGREGATES; view <= VIEW_EXCEEDANCES; view++)
		run_view(&r, (enum view)view, accept);

	check_time(request_query(&r, "from"));
	check_time(request_query(&r, "to"));
	const char *v = request_query(&r, "project");
	if (v && slug_valid(v))
		FUZZ_CHECK(strlen(v) >= 2 && strlen(v) <= 63);
	v = request_query(&r, "space");
	if (v && strncmp(v, "area:", 5) == 0 && layer_valid(v + 5))
		FUZZ_CHECK(strlen(v + 5) >= 1 && strlen(v + 5) <= 63);
	v = request_query(&r, "id");
	int64_t id;
	if (v && scalar_int(v, strlen(v), 1, INT64_MAX, &id))
		FUZZ_CHECK(id >= 1);
	v = request_query(&r, "bbox");
	for (const char *p = v; p && *p;) {
		size_t n = strcspn(p, ",");
		double d;
		if (scalar_double(p, n, &d))
			FUZZ_CHECK(d == d && d - d == 0); /* finite */
		p += n + (p[n] == ',');
	}

	request_cleanup(&r);
	free(accept);
	return 0;
}
