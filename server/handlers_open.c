/* Open data (no token): catalogues. Answers are cacheable (ETag). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "answer_cache.h"
#include "app.h"
#include "ingest.h"
#include "validate.h"
#include "dbjson.h"
#include "download.h"
#include "handlers.h"
#include "pseudonym.h"
#include "station_name.h"

_Static_assert(ANSWER_ETAG_LEN == ETAG_LEN, "an answer keeps its ETag");

#define CATALOGUE_MAX_AGE_S 300

static const struct db_stmt quantity_list = {
    "open_quantity_list",
    "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
    "  'name', q.name, 'family', q.family, 'unit', q.unit, 'description', q.description,"
    "  'references', coalesce((SELECT json_agg(json_build_object('name', rv.name,"
    "     'averaging', rv.averaging, 'value', rv.value, 'source', rv.source) ORDER BY rv.value)"
    "   FROM reference_value rv WHERE rv.quantity = q.name), '[]'),"
    /* The bins percentiles from rollups come from (sql/030_air_histograms.sql). */
    "  'percentile_bins', (SELECT json_build_object('lower', h.lo, 'upper', h.top,"
    "     'width', h.width, 'relative', h.relative) FROM air_histogram h"
    "   WHERE q.family = 'air' AND h.source_column = q.source_column))"
    "  ORDER BY q.family, q.name), '[]'))"
    " FROM quantity q",
    0,
};

void handle_quantity_list(struct request *r)
{
	char *text = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &quantity_list, NULL, &text, &len);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/json", text, len, CATALOGUE_MAX_AGE_S);
}

static const struct db_stmt quantity_get = {
    "open_quantity_get",
    "SELECT family, source_column, unit FROM quantity WHERE name = $1",
    1,
};

/* The k of the project asked for, or the largest k of every project of the
 * family: a cell that any project would suppress is suppressed. */
static const struct db_stmt family_k = {
    "open_family_k",
    "SELECT coalesce(max(k_anonymity), 3), count(*) FROM project "
    "WHERE kind = $2 AND ($1::text IS NULL OR slug = $1)",
    2,
};

static const struct db_stmt layer_exists = {
    "open_layer_exists",
    "SELECT 1 FROM area_layer WHERE name = $1",
    1,
};

/* The families, and the columns of their readings the catalogue may name
 * (the names go into SQL: only these). */
static const struct {
	const char *name;
	enum agg_family family;
	const char *columns[16];
} families[] = {
    {"air",
     AGG_AIR,
     {"pm1_ugm3", "pm25_ugm3", "pm10_ugm3", "no2", "temperature_c", "humidity_pct", NULL}},
    {"traffic", AGG_TRAFFIC, {"car", "bike", "pedestrian", "heavy", "v85", NULL}},
    {"heat", AGG_HEAT, {"temperature_c", "wbgt_c", "heat_index_c", "humidex", "wet_bulb_c", NULL}},
    /* Leefplekmeter themes (experience.h), each a quantity of its own. */
    {"experience",
     AGG_EXPERIENCE,
     {"moving_around", "public_transport", "traffic_and_parking", "streets_and_spaces",
      "natural_space", "play_and_recreation", "facilities_and_services", "work_and_economy",
      "housing", "social_contact", "identity_and_belonging", "feeling_safe", "care_and_maintenance",
      "influence_and_control", NULL}},
};

/* Finds the family by name and checks the column; false when unknown. */
static bool family_column(const char *family, const char *column, enum agg_family *out)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (strcmp(families[i].name, family) != 0)
			continue;
		for (const char *const *c = families[i].columns; *c; c++) {
			if (strcmp(*c, column) == 0) {
				*out = families[i].family;
				return true;
			}
		}
	}
	return false;
}

static const char *query_get(void *ctx, const char *name)
{
	return request_query(ctx, name);
}

/* Appends `s` percent-encoded for a query string. */
static sm_err url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	sm_err e = SM_OK;
	for (const unsigned char *p = (const unsigned char *)s; e == SM_OK && *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
		             *p == '~' || *p == ',' || *p == ':';
		if (plain) {
			e = buf_append(b, p, 1);
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			e = buf_append(b, esc, 3);
		}
	}
	return e;
}

/* This request's URL with every parameter but offset, ending in "offset=". */
static sm_err next_link(const struct request *r, struct buf *out)
{
	sm_err e = buf_printf(out, "%s?", r->path);
	for (size_t i = 0; e == SM_OK && i < r->nquery; i++) {
		if (strcmp(r->query[i].key, "offset") == 0)
			continue;
		e = url_encode(out, r->query[i].key);
		if (e == SM_OK)
			e = buf_puts(out, "=");
		if (e == SM_OK)
			e = url_encode(out, r->query[i].value);
		if (e == SM_OK)
			e = buf_puts(out, "&");
	}
	return e == SM_OK ? buf_puts(out, "offset=") : e;
}

/* Runs a one-row lookup on the read pool. */
static sm_err read_row(struct request *r, const struct db_stmt *stmt, const char *const *params,
                       PGresult **res)
{
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db_read, &c);
	if (e != SM_OK)
		return e;
	e = db_exec(c, stmt, params, res);
	db_release(r->app->db_read, c);
	if (e == SM_OK && PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		e = SM_ERR_NOT_FOUND;
	}
	return e;
}

/* The statistics endpoints differ in what they fix of the query. */
enum view { VIEW_AGGREGATES, VIEW_LATEST, VIEW_COVERAGE, VIEW_EXCEEDANCES };

#define HOUR (3600 * USEC_PER_SEC)
#define VIEW_DAY (24 * HOUR)

/* Coverage counts readings of any quantity: its "quantity" is fixed. */
static const char *coverage_get(void *ctx, const char *name)
{
	return strcmp(name, "quantity") == 0 ? "coverage" : request_query(ctx, name);
}

/* Exceedances choose their bucket from the reference (days for a 24 h one,
 * hours otherwise): the range is checked against that bucket once it is
 * known, so here it is read with the longest a reference may give. */
static const char *exceedances_get(void *ctx, const char *name)
{
	return strcmp(name, "bucket") == 0 ? "day" : request_query(ctx, name);
}

/* Sets what `view` fixes of q (after the query was read and checked). */
static void view_adjust(struct request *r, enum view view, struct agg_query *q, usec_t now)
{
	switch (view) {
	case VIEW_LATEST:
		/* The last complete hour: live maps. */
		q->to = now - now % HOUR;
		q->from = q->to - HOUR;
		q->bucket = AGG_HOUR;
		return;
	case VIEW_COVERAGE:
		if (!request_query(r, "from"))
			q->from = q->to - 30 * VIEW_DAY;
		q->bucket = AGG_RANGE;
		q->stats = AGG_COUNT | AGG_HOURS;
		return;
	case VIEW_EXCEEDANCES:
		if (!request_query(r, "from"))
			q->from = q->to - 365 * VIEW_DAY;
		q->stats |= AGG_MEAN;
		q->answer = AGG_EXCEEDANCES;
		return;
	case VIEW_AGGREGATES: return;
	}
}

static const struct db_stmt reference_get = {
    "open_reference_get",
    "SELECT value, averaging FROM reference_value WHERE quantity = $1 AND name = $2",
    2,
};

/* Computes a view's answer into *out (true), or answers the request with a
 * problem (false). */
static bool compute_view(struct request *r, enum view view, struct answer *out)
{
	bool ok = false;
	struct agg_query q;
	char param[32], why[200];
	PGresult *res = NULL;
	struct buf sql, next;
	buf_init(&sql, 0);
	buf_init(&next, 0);
	usec_t now = scalar_now();
	static const char *const fixed[] = {"from", "to", "bucket", NULL};
	for (const char *const *p = fixed; view == VIEW_LATEST && *p; p++) {
		if (request_query(r, *p)) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, *p,
			                "\"%s\" is fixed here: latest is the last complete hour",
			                *p);
			goto out;
		}
	}
	const char *(*get)(void *, const char *) = query_get;
	if (view == VIEW_COVERAGE)
		get = coverage_get;
	else if (view == VIEW_EXCEEDANCES)
		get = exceedances_get;
	if (agg_parse(get, r, r->accept, now, &q, param, sizeof(param), why, sizeof(why)) !=
	    SM_OK) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, param, "\"%s\" %s", param, why);
		goto out;
	}
	view_adjust(r, view, &q, now);

	char family[16] = "air", column[32] = "quality", unit[64] = "readings";
	sm_err e = SM_OK;
	if (view != VIEW_COVERAGE) {
		const char *qp[] = {q.quantity};
		e = read_row(r, &quantity_get, qp, &res);
	}
	if (e == SM_ERR_NOT_FOUND) {
		char quoted[80];
		quote_value(quoted, sizeof(quoted), q.quantity, 32);
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "quantity",
		                "unknown quantity \"%s\": see /v1/quantities", quoted);
		goto out;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	if (view != VIEW_COVERAGE) {
		snprintf(family, sizeof(family), "%s", PQgetvalue(res, 0, 0));
		snprintf(column, sizeof(column), "%s", PQgetvalue(res, 0, 1));
		snprintf(unit, sizeof(unit), "%s", PQgetvalue(res, 0, 2));
		PQclear(res);
		res = NULL;
	}
	/* Coverage counts the readings of bikes. */
	if (view != VIEW_COVERAGE && !family_column(family, column, &q.family)) {
		respond_problem(
		    r, PROBLEM_INTERNAL, NULL,
		    "the catalogue names \"%s\" of %s readings, which has no aggregates", column,
		    family);
		goto out;
	}
	if (!agg_space_fits(&q, why, sizeof(why))) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "space",
		                "\"%s\" is a %s quantity: %s", q.quantity, family, why);
		goto out;
	}

	const char *kp[] = {q.project[0] ? q.project : NULL, family};
	e = read_row(r, &family_k, kp, &res);
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	/* Segments and stations appear one by one: k does not apply. */
	char k[16];
	snprintf(k, sizeof(k), "%s", agg_k_applies(&q) ? PQgetvalue(res, 0, 0) : "1");
	bool project_found = strcmp(PQgetvalue(res, 0, 1), "0") != 0;
	PQclear(res);
	res = NULL;
	if (q.project[0] && !project_found) {
		respond_problem(r, PROBLEM_NOT_FOUND, "project", "there is no %s project \"%s\"",
		                family, q.project);
		goto out;
	}

	char ref_value[32] = "", ref_name[64] = "";
	if (view == VIEW_EXCEEDANCES) {
		const char *name = request_query(r, "reference");
		if (!name || !name[0] || strlen(name) >= sizeof(ref_name) || !utf8_valid(name)) {
			respond_problem(
			    r, PROBLEM_INVALID_PARAMETER, "reference",
			    "\"reference\" is required: a reference name of the quantity in "
			    "/v1/quantities, such as who2021-24h");
			goto out;
		}
		const char *rp[] = {q.quantity, name};
		e = read_row(r, &reference_get, rp, &res);
		if (e == SM_ERR_NOT_FOUND) {
			char quoted[80];
			quote_value(quoted, sizeof(quoted), name, 60);
			respond_problem(r, PROBLEM_INVALID_PARAMETER, "reference",
			                "\"%s\" has no reference \"%s\" (see /v1/quantities)",
			                q.quantity, quoted);
			goto out;
		}
		if (e != SM_OK) {
			respond_db_error(r, e);
			goto out;
		}
		const char *averaging = PQgetvalue(res, 0, 1);
		if (strcmp(averaging, "24h") == 0) {
			q.bucket = AGG_DAY;
		} else if (strcmp(averaging, "1h") == 0 || strcmp(averaging, "instant") == 0) {
			q.bucket = AGG_HOUR;
		} else {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, "reference",
			                "an annual reference is compared with a year's mean: use "
			                "/v1/aggregates with bucket=month and stat=mean");
			goto out;
		}
		snprintf(ref_value, sizeof(ref_value), "%s", PQgetvalue(res, 0, 0));
		snprintf(ref_name, sizeof(ref_name), "%s", name);
		PQclear(res);
		res = NULL;
	}
	/* The range cap of the bucket actually used (seen: a daily bucket's 3660
	 * days let an hourly exceedance query through). */
	if (!agg_range_fits(&q, why, sizeof(why))) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "to", "\"to\": %s", why);
		goto out;
	}

	if (q.space == AGG_AREA) {
		const char *lp[] = {q.layer};
		e = read_row(r, &layer_exists, lp, &res);
		PQclear(res);
		res = NULL;
		if (e == SM_ERR_NOT_FOUND) {
			respond_problem(
			    r, PROBLEM_INVALID_PARAMETER, "space",
			    "there is no area layer \"%s\" (upload one with POST /v1/areas/%s)",
			    q.layer, q.layer);
			goto out;
		}
		if (e != SM_OK) {
			respond_db_error(r, e);
			goto out;
		}
	}

	char from[SCALAR_TIME_LEN], to[SCALAR_TIME_LEN], b[4][32], offset[24], limit[16], cell[16];
	scalar_time_format(q.from, from);
	scalar_time_format(q.to, to);
	for (int i = 0; i < 4; i++)
		copy_format_double(q.bbox[i], b[i]);
	snprintf(offset, sizeof(offset), "%lld", q.offset);
	snprintf(limit, sizeof(limit), "%d", q.limit);
	snprintf(cell, sizeof(cell), "%d", q.cell_m);
	e = agg_sql(&q, column, &sql);
	if (e == SM_OK)
		e = next_link(r, &next);
	if (e != SM_OK) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		goto out;
	}
	const char *params[] = {
	    from,
	    to,
	    q.project[0] ? q.project : NULL,
	    q.has_bbox ? b[0] : NULL,
	    q.has_bbox ? b[1] : NULL,
	    q.has_bbox ? b[2] : NULL,
	    q.has_bbox ? b[3] : NULL,
	    k,
	    offset,
	    limit,
	    q.all_quality ? "t" : "f",
	    q.amsterdam ? "Europe/Amsterdam" : "UTC",
	    q.quantity,
	    unit,
	    next.data,
	    cell,
	    q.space == AGG_AREA ? q.layer : NULL,
	    ref_value[0] ? ref_value : NULL,
	    ref_name[0] ? ref_name : NULL,
	};
	struct db_conn *c;
	e = db_acquire(r->app->db_read, &c);
	if (e == SM_OK) {
		e = db_exec_sql(c, sql.data, (int)(sizeof(params) / sizeof(params[0])), params,
		                &res);
		db_release(r->app->db_read, c);
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		goto out;
	}
	size_t len = (size_t)PQgetlength(res, 0, 0);
	char *body = malloc(len + 1);
	if (!body) {
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		goto out;
	}
	memcpy(body, PQgetvalue(res, 0, 0), len + 1);
	/* Station ids are publication pseudonyms, named here where the key is. */
	if (q.space == AGG_STATION)
		len = station_name_publish(body, len);
	*out = (struct answer){
	    .body = body,
	    .len = len,
	    .type = agg_format_type(q.answer == AGG_EXCEEDANCES ? AGG_JSON : q.format)};
	if (!PQgetisnull(res, 0, 1) &&
	    asprintf(&out->link, "<%s>; rel=\"next\"", PQgetvalue(res, 0, 1)) < 0) {
		out->link = NULL;
		answer_cleanup(out);
		respond_problem(r, PROBLEM_INTERNAL, NULL, "out of memory");
		goto out;
	}
	etag_of(body, len, out->etag);
	ok = true;
out:
	PQclear(res);
	buf_cleanup(&sql);
	buf_cleanup(&next);
	return ok;
}

/* What a view's answer depends on: the path (the view), every query
 * argument as sent, and Accept (it may choose the format). Each part is
 * length-prefixed, so no two requests share a key. */
static sm_err view_key(const struct request *r, struct buf *key)
{
	sm_err e = buf_printf(key, "%zu:%s", strlen(r->path), r->path);
	for (size_t i = 0; e == SM_OK && i < r->nquery; i++)
		e = buf_printf(key, "%zu:%s%zu:%s", strlen(r->query[i].key), r->query[i].key,
		               strlen(r->query[i].value), r->query[i].value);
	const char *accept = r->accept ? r->accept : "";
	return e == SM_OK ? buf_printf(key, "%zu:%s", strlen(accept), accept) : e;
}

/* Answers from the answer cache (server/answer_cache.h), or computes the
 * answer once for every request that asks for it meanwhile. */
static void run_view(struct request *r, enum view view)
{
	struct buf key;
	buf_init(&key, 0);
	struct answer a = {0};
	struct answer_ticket *ticket = NULL;
	bool hit = false;
	if (view_key(r, &key) == SM_OK)
		hit = answer_cache_get(r->app->answers, key.data, key.len,
		                       r->app->cfg->query_timeout_ms, &a, &ticket) == SM_OK;
	buf_cleanup(&key);
	if (!hit) {
		if (!compute_view(r, view, &a)) {
			answer_cache_abandon(r->app->answers, ticket);
			return;
		}
		answer_cache_put(r->app->answers, ticket, &a);
	}
	if (a.link)
		respond_header(r, "Link", a.link);
	if (hit) {
		char age[16];
		snprintf(age, sizeof(age), "%d", a.age_s);
		respond_header(r, "Age", age);
	}
	respond_cached(r, a.type, a.body, a.len, a.etag, ANSWER_MAX_AGE_S);
	a.body = NULL; /* the response's now */
	answer_cleanup(&a);
}

void handle_aggregates(struct request *r)
{
	run_view(r, VIEW_AGGREGATES);
}

void handle_latest(struct request *r)
{
	run_view(r, VIEW_LATEST);
}

void handle_coverage(struct request *r)
{
	run_view(r, VIEW_COVERAGE);
}

void handle_exceedances(struct request *r)
{
	run_view(r, VIEW_EXCEEDANCES);
}

static const struct db_stmt dataset_project = {
    "open_dataset_project",
    "SELECT id, kind, licence FROM project WHERE slug = $1",
    1,
};

#define DATASET_EARLIEST INT64_C(946684800000000) /* 2000-01-01T00:00:00Z */

/* The family of a project's dataset: an air or experience project's open
 * dataset is k-anonymous cells, an air project's published readings
 * (`readings`) are points; false when the project's kind has no such
 * dataset. */
static bool dataset_family_of(const char *kind, bool readings, enum dataset_family *out)
{
	if (strcmp(kind, "air") == 0) {
		*out = readings ? DATASET_AIR : DATASET_AIR_CELLS;
		return true;
	}
	if (readings)
		return false;
	if (strcmp(kind, "traffic") == 0) {
		*out = DATASET_TRAFFIC;
		return true;
	}
	if (strcmp(kind, "heat") == 0) {
		*out = DATASET_HEAT;
		return true;
	}
	if (strcmp(kind, "experience") == 0) {
		*out = DATASET_EXPERIENCE_CELLS;
		return true;
	}
	return false;
}

/* Streams a project's open dataset, or (`readings`) an air project's
 * published readings as points. */
static void serve_dataset(struct request *r, bool readings)
{
	const char *slug;
	if (!param_slug(r, 0, "slug", &slug))
		return;
	enum dataset_format format = DATASET_CSV;
	const char *f = request_query(r, "format");
	const char *accept = r->accept ? r->accept : "";
	if ((f && strcmp(f, "geojson") == 0) || (!f && strstr(accept, "application/geo+json")))
		format = DATASET_GEOJSON;
	else if ((f && strcmp(f, "ndjson") == 0) || (!f && strstr(accept, "application/x-ndjson")))
		format = DATASET_NDJSON;
	else if (f && strcmp(f, "csv") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "format",
		                "\"format\" must be csv, geojson or ndjson");
		return;
	}
	usec_t from = DATASET_EARLIEST, to = scalar_now() + 86400 * USEC_PER_SEC;
	const char *names[2] = {"from", "to"};
	usec_t *slots[2] = {&from, &to};
	for (int i = 0; i < 2; i++) {
		const char *v = request_query(r, names[i]);
		char why[96];
		if (v && scalar_time(v, strlen(v), false, slots[i], why, sizeof(why)) != SM_OK) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, names[i], "\"%s\": %s",
			                names[i], why);
			return;
		}
	}
	if (from >= to) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "from",
		                "\"from\" must be before \"to\"");
		return;
	}
	const char *params[] = {slug};
	PGresult *res = NULL;
	sm_err e = read_row(r, &dataset_project, params, &res);
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, NULL, "project \"%s\" does not exist", slug);
		return;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	long long project = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	char kind[16], licence[128];
	snprintf(kind, sizeof(kind), "%s", PQgetvalue(res, 0, 1));
	snprintf(licence, sizeof(licence), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	enum dataset_family family;
	if (!dataset_family_of(kind, readings, &family)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "slug",
		                readings ? "project \"%s\" is a %s project; point-level readings "
		                           "are an air project's"
		                         : "project \"%s\" is a %s project, which has no dataset",
		                slug, kind);
		return;
	}
	static const char *const extensions[] = {
	    [DATASET_CSV] = "csv", [DATASET_NDJSON] = "ndjson", [DATASET_GEOJSON] = "geojson"};
	if (readings) {
		/* Point-level readings: recorded before the first byte, or not sent. */
		char from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN];
		scalar_time_format(from, from_s);
		scalar_time_format(to, to_s);
		e = researcher_audit_download(r, slug, from_s, to_s, extensions[format]);
		if (e != SM_OK) {
			respond_db_error(r, e);
			return;
		}
	}
	struct download *d = NULL;
	e = download_open(r->app->db_download, family, project, licence, from, to, format, &d);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	static const char *const types[] = {[DATASET_CSV] = "text/csv; charset=utf-8",
	                                    [DATASET_NDJSON] = "application/x-ndjson",
	                                    [DATASET_GEOJSON] = "application/geo+json"};
	char disposition[128], link[160];
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s%s.%s\"", slug,
	         readings ? "-readings" : "", extensions[format]);
	snprintf(link, sizeof(link), "</v1/projects/%s>; rel=\"describedby\"", slug);
	respond_header(r, "Content-Disposition", disposition);
	respond_header(r, "Link", link);
	respond_header(r, "X-Licence", licence);
	/* A researcher's readings never sit in a shared cache. */
	respond_header(r, "Cache-Control", readings ? "private, no-store" : "public, max-age=300");
	respond_stream(r, types[format], download_read, download_close, d);
}

void handle_dataset(struct request *r)
{
	serve_dataset(r, false);
}

/* Point-level readings: researchers only (the route's AUTH_RESEARCHER), each
 * download recorded in the audit log before anything is read. */
void handle_dataset_readings(struct request *r)
{
	serve_dataset(r, true);
}
