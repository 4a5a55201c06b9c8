/* Telraam: road segments (POST /v1/segments, admin) and traffic reports
 * (POST /v1/ingest/telraam). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "handlers_ingest.h"
#include "jsonin.h"
#include "segment_geojson.h"
#include "telraam.h"
#include "validate.h"

/* New segments are inserted; known ones of the same project updated in
 * place; a segment another project registered is left alone. $2 is a JSON
 * array of {segment_id, geometry, timezone, last_data_package}. */
static const struct db_stmt segments_upsert = {
    "segments_upsert",
    "INSERT INTO road_segment (segment_id, project_id, geom, timezone, last_data_package)"
    " SELECT (f->>'segment_id')::bigint, $1,"
    "  ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)),"
    "  f->>'timezone', (f->>'last_data_package')::timestamptz"
    " FROM (SELECT DISTINCT ON ((f->>'segment_id')::bigint) f"
    "       FROM json_array_elements($2::json) f) AS one_per_segment"
    " ON CONFLICT (segment_id) DO UPDATE SET geom = EXCLUDED.geom,"
    "  timezone = EXCLUDED.timezone, last_data_package = EXCLUDED.last_data_package"
    "  WHERE road_segment.project_id = EXCLUDED.project_id"
    " RETURNING segment_id, xmax = 0",
    2,
};

static const struct db_stmt segments_known = {
    "segments_known",
    "SELECT segment_id FROM road_segment WHERE project_id = $1 AND segment_id = ANY($2::bigint[])",
    2,
};

void handle_segments_register(struct request *r)
{
	struct ingest_target t;
	struct row_errors errs;
	json_t *root = NULL, *rows = NULL;
	rowerr_init(&errs);
	if (!ingest_target(r, "traffic", &t))
		goto out;
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err pe = segment_geojson_parse(root, (size_t)r->app->cfg->ingest_max_rows, &rows, &errs);
	if (pe != SM_OK) {
		respond_unparsable(r, pe,
		                   pe == SM_ERR_TOO_LARGE ? "too many features"
		                                          : "expected a GeoJSON FeatureCollection");
		goto out;
	}
	long long added = 0, updated = 0;
	if (json_array_size(rows) > 0) {
		char *text = json_dumps(rows, JSON_COMPACT);
		char project[24];
		snprintf(project, sizeof(project), "%lld", t.project_id);
		const char *params[] = {project, text};
		struct db_conn *c;
		PGresult *res = NULL;
		sm_err e = db_acquire(r->app->db, &c);
		if (e == SM_OK) {
			e = db_exec(c, &segments_upsert, params, &res);
			db_release(r->app->db, c);
		}
		free(text);
		if (e != SM_OK) {
			respond_db_error(r, e);
			goto out;
		}
		for (int k = 0; k < PQntuples(res); k++) {
			if (strcmp(PQgetvalue(res, k, 1), "t") == 0)
				added++;
			else
				updated++;
		}
		/* Rows the upsert did not return belong to another project. */
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			json_int_t id = json_integer_value(json_object_get(row, "segment_id"));
			bool stored = false;
			for (int k = 0; k < PQntuples(res) && !stored; k++)
				stored = strtoll(PQgetvalue(res, k, 0), NULL, 10) == id;
			if (!stored)
				rowerr_add(
				    &errs,
				    (size_t)json_integer_value(json_object_get(row, "index")),
				    "segment_id", "segment %lld is registered by another project",
				    (long long)id);
		}
		PQclear(res);
	}
	respond_ingest(r, added, updated, &errs);
out:
	ingest_target_cleanup(&t);
	rowerr_cleanup(&errs);
	json_decref(root);
	json_decref(rows);
}

/* Rejects the reports whose segment the project has not registered. */
static bool check_segments(struct request *r, long long project_id, struct traffic_batch *b)
{
	struct buf ids;
	buf_init(&ids, 0);
	sm_err e = buf_puts(&ids, "{");
	for (size_t i = 0; e == SM_OK && i < b->n; i++)
		e = buf_printf(&ids, "%s%lld", i ? "," : "", (long long)b->rows[i].segment_id);
	if (e == SM_OK)
		e = buf_puts(&ids, "}");
	char project[24];
	snprintf(project, sizeof(project), "%lld", project_id);
	const char *params[] = {project, ids.data};
	PGresult *res = NULL;
	struct db_conn *c;
	if (e == SM_OK)
		e = db_acquire(r->app->db, &c);
	if (e == SM_OK) {
		e = db_exec(c, &segments_known, params, &res);
		db_release(r->app->db, c);
	}
	buf_cleanup(&ids);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return false;
	}
	size_t kept = 0;
	for (size_t i = 0; i < b->n; i++) {
		bool known = false;
		for (int k = 0; k < PQntuples(res) && !known; k++)
			known = strtoll(PQgetvalue(res, k, 0), NULL, 10) == b->rows[i].segment_id;
		if (known)
			b->rows[kept++] = b->rows[i];
		else
			rowerr_add(
			    &b->errors, b->rows[i].index, "segment_id",
			    "segment %lld is not registered in this project (POST /v1/segments)",
			    (long long)b->rows[i].segment_id);
	}
	b->n = kept;
	PQclear(res);
	return true;
}

static sm_err copy_array(struct buf *copy, const double *v, size_t n)
{
	if (n == 0)
		return copy_null(copy);
	char text[25 * 24 + 4];
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "%s%.9g", i ? "," : "{", v[i]);
	snprintf(text + len, sizeof(text) - len, "}");
	return copy_text(copy, text);
}

static sm_err copy_report(struct buf *copy, const struct traffic_report *t, const char *device)
{
	sm_err e = copy_int(copy, t->segment_id);
	if (e == SM_OK)
		e = copy_text(copy, t->quarterly ? "quarterly" : "hourly");
	if (e == SM_OK)
		e = copy_time(copy, t->period_start);
	if (e == SM_OK)
		e = device ? copy_text(copy, device) : copy_null(copy);
	if (e == SM_OK)
		e = copy_double(copy, t->uptime);
	for (size_t c = 0; e == SM_OK && c < TC_NCOUNTS; c++)
		e = copy_double(copy, t->count[c]);
	if (e == SM_OK)
		e = t->direction >= 0 ? copy_int(copy, t->direction) : copy_null(copy);
	if (e == SM_OK)
		e = t->timezone[0] ? copy_text(copy, t->timezone) : copy_null(copy);
	if (e == SM_OK)
		e = copy_double(copy, t->v85);
	if (e == SM_OK)
		e = copy_array(copy, t->hist70, t->nhist70);
	if (e == SM_OK)
		e = copy_array(copy, t->hist120, t->nhist120);
	if (e == SM_OK)
		e = copy_int(copy, t->quality);
	if (e == SM_OK)
		e = copy_row_end(copy);
	return e;
}

static void report_row(void *batch, size_t i, size_t *index, char **ref, size_t **slot)
{
	struct traffic_report *tr = &((struct traffic_batch *)batch)->rows[i];
	*index = tr->index;
	*ref = tr->instance_ref;
	*slot = &tr->device;
}

static sm_err report_copy(struct buf *copy, const void *batch, size_t i,
                          const struct device_slot *device)
{
	return copy_report(copy, &((const struct traffic_batch *)batch)->rows[i],
	                   device ? device->id : NULL);
}

void handle_ingest_telraam(struct request *r)
{
	struct ingest_target t;
	struct traffic_batch b;
	json_t *root = NULL;
	char why[256];
	traffic_batch_init(&b);
	if (!ingest_target(r, "traffic", &t))
		goto out;
	if (!ingest_json_body(r, &root))
		goto out;
	sm_err e = telraam_parse(root, (size_t)r->app->cfg->ingest_max_rows, scalar_now(), &b, why,
	                         sizeof(why));
	if (e != SM_OK) {
		respond_unparsable(r, e, why);
		goto out;
	}
	/* The camera (instance) is the device: a token's own, or for imports
	 * the one the report names, when it names one; segment-level reports
	 * have none. */
	if (!check_segments(r, t.project_id, &b))
		goto out;
	struct ingest_rows rows = {&b,   b.n,        &b.errors,  "instance_id",
	                           true, report_row, report_copy};
	ingest_store(r, &t, &rows, &ingest_traffic);
out:
	ingest_target_cleanup(&t);
	traffic_batch_cleanup(&b);
	json_decref(root);
}
