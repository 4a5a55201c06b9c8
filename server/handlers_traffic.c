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
 * array of {segment_id, geometry, timezone, last_data_package}; $3 the
 * device (camera) that counts them, or NULL to leave their device as it is. */
static const struct db_stmt segments_upsert = {
    "segments_upsert",
    "INSERT INTO road_segment (segment_id, project_id, geom, timezone, last_data_package,"
    " device_id)"
    " SELECT (f->>'segment_id')::bigint, $1,"
    "  ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)),"
    "  f->>'timezone', (f->>'last_data_package')::timestamptz, $3::uuid"
    " FROM (SELECT DISTINCT ON ((f->>'segment_id')::bigint) f"
    "       FROM json_array_elements($2::json) f) AS one_per_segment"
    " ON CONFLICT (segment_id) DO UPDATE SET geom = EXCLUDED.geom,"
    "  timezone = EXCLUDED.timezone, last_data_package = EXCLUDED.last_data_package,"
    "  device_id = coalesce(EXCLUDED.device_id, road_segment.device_id)"
    "  WHERE road_segment.project_id = EXCLUDED.project_id"
    " RETURNING segment_id, xmax = 0",
    3,
};

/* The project's segments among $2, with the device that counts each. */
static const struct db_stmt segments_known = {
    "segments_known",
    "SELECT segment_id, device_id FROM road_segment"
    " WHERE project_id = $1 AND segment_id = ANY($2::bigint[])",
    2,
};

/* The admin step that gives a segment to a device ($2, NULL: to none), one
 * of the segment's project. No row: no such segment; fits false: the device
 * is not one of that project's. */
static const struct db_stmt segment_device_set = {
    "segment_device_set",
    "WITH target AS (SELECT s.segment_id, p.slug, ($2::uuid IS NULL OR d.id IS NOT NULL) AS fits"
    "  FROM road_segment s JOIN project p ON p.id = s.project_id"
    "  LEFT JOIN device d ON d.id = $2::uuid AND d.project_id = s.project_id"
    "  WHERE s.segment_id = $1::bigint),"
    " done AS (UPDATE road_segment s SET device_id = $2::uuid FROM target t"
    "  WHERE s.segment_id = t.segment_id AND t.fits RETURNING s.segment_id)"
    " SELECT t.fits, json_build_object('segment_id', t.segment_id, 'project', t.slug,"
    "  'device', $2::uuid) FROM target t",
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
		/* ?device= names the camera of every segment of the upload;
		 * ingest_target checked that it is one of the project's. */
		const char *params[] = {project, text, request_query(r, "device")};
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

/* Whether the device token's device counts report row's segment (row k of
 * segments_known's result); if not, a 403 naming the segment is the
 * response. Seen: camera A's token wrote B's segment an hour before B did,
 * and B's real report was then dropped as a duplicate. */
static bool segment_is_own(struct request *r, const PGresult *res, int k,
                           const struct traffic_report *row)
{
	long long seg = (long long)row->segment_id;
	if (PQgetisnull(res, k, 1)) {
		respond_problem(
		    r, PROBLEM_FORBIDDEN, "segment_id",
		    "row %zu: segment %lld has no device yet; an admin gives it to its "
		    "camera (POST /v1/segments/%lld/device) before the camera may report",
		    row->index, seg, seg);
		return false;
	}
	if (strcmp(PQgetvalue(res, k, 1), r->auth.device_id) != 0) {
		respond_problem(r, PROBLEM_FORBIDDEN, "segment_id",
		                "row %zu: segment %lld belongs to another device; a device token "
		                "writes only its own segments",
		                row->index, seg);
		return false;
	}
	return true;
}

/* Rejects the reports whose segment the project has not registered. A
 * device token writes only the segments whose device it is: a report for
 * another device's segment, or for one no admin has given a device yet,
 * makes the whole upload a 403 (as a row naming another device does).
 * Admin imports write any segment of the project. On false the response is
 * set. */
static bool check_segments(struct request *r, const struct ingest_target *t,
                           struct traffic_batch *b)
{
	long long project_id = t->project_id;
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
	bool allowed = true;
	for (size_t i = 0; i < b->n && allowed; i++) {
		int known = -1;
		for (int k = 0; k < PQntuples(res) && known < 0; k++)
			if (strtoll(PQgetvalue(res, k, 0), NULL, 10) == b->rows[i].segment_id)
				known = k;
		if (known < 0) {
			rowerr_add(
			    &b->errors, b->rows[i].index, "segment_id",
			    "segment %lld is not registered in this project (POST /v1/segments)",
			    (long long)b->rows[i].segment_id);
			continue;
		}
		allowed = t->admin || segment_is_own(r, res, known, &b->rows[i]);
		b->rows[kept++] = b->rows[i];
	}
	b->n = kept;
	PQclear(res);
	return allowed;
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

static usec_t report_time(const void *batch, size_t i, const char **field)
{
	*field = "date";
	return ((const struct traffic_batch *)batch)->rows[i].period_start;
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
	if (!check_segments(r, &t, &b))
		goto out;
	struct ingest_rows rows = {&b,   b.n,        &b.errors,   "instance_id",
	                           true, report_row, report_copy, report_time};
	ingest_store(r, &t, &rows, &ingest_traffic);
out:
	ingest_target_cleanup(&t);
	traffic_batch_cleanup(&b);
	json_decref(root);
}

void handle_segment_device(struct request *r)
{
	long long n;
	json_t *body = NULL;
	if (!param_id(r, 0, "id", &n))
		return;
	char id[24];
	snprintf(id, sizeof(id), "%lld", n);
	static const char *const allowed[] = {"device", NULL};
	if (!body_object(r, &body) || !fields_known(r, body, allowed))
		goto out;
	json_t *device = json_object_get(body, "device");
	const char *uuid = json_string_value(device);
	if (!device || (!json_is_null(device) && (!uuid || !uuid_valid(uuid)))) {
		respond_problem(r, PROBLEM_INVALID_FIELD, "device",
		                "\"device\" is required: the id of the camera (a device of the "
		                "segment's project) that counts the segment, or null for none");
		goto out;
	}
	const char *params[] = {id, uuid};
	PGresult *res = NULL;
	struct db_conn *c;
	sm_err e = db_acquire(r->app->db, &c);
	if (e == SM_OK) {
		e = db_exec(c, &segment_device_set, params, &res);
		db_release(r->app->db, c);
	}
	if (e != SM_OK)
		respond_db_error(r, e);
	else if (PQntuples(res) == 0)
		respond_problem(r, PROBLEM_NOT_FOUND, "id", "there is no segment %s", id);
	else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		respond_problem(r, PROBLEM_INVALID_FIELD, "device",
		                "device %s is not registered in the project of segment %s", uuid,
		                id);
	else
		respond_json(r, 200, json_loads(PQgetvalue(res, 0, 1), 0, NULL));
	PQclear(res);
out:
	json_decref(body);
}
