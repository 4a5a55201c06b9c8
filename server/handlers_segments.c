/* Telraam road segments in open data: every segment with its totals, and one
 * segment's counts over time with modal split, directions and v85. Segments
 * are public road geometries their owners chose to publish: they appear one
 * by one. Reports with uptime below 0.5 are left out unless quality=all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dbjson.h"
#include "handlers.h"
#include "scalar.h"
#include "validate.h"

#define SEGMENTS_MAX_AGE_S 60
#define DAY (86400 * USEC_PER_SEC)

/* Counts, shares and uptime-weighted v85 of the reports `t` (a fragment
 * used in both statements). */
#define TRAFFIC_FIGURES                                                                            \
	"'reports', count(*), 'uptime', round(avg(t.uptime)::numeric, 3),"                         \
	" 'v85', round((sum(t.v85 * t.uptime) / nullif(sum(t.uptime) FILTER (WHERE t.v85 IS NOT"   \
	" NULL), 0))::numeric, 1),"                                                                \
	" 'counts', json_build_object('heavy', round(sum(t.heavy)::numeric, 2),"                   \
	"  'car', round(sum(t.car)::numeric, 2), 'bike', round(sum(t.bike)::numeric, 2),"          \
	"  'pedestrian', round(sum(t.pedestrian)::numeric, 2)),"                                   \
	" 'directions', json_build_object("                                                        \
	"  'lft', json_build_object('heavy', round(sum(t.heavy_lft)::numeric, 2),"                 \
	"   'car', round(sum(t.car_lft)::numeric, 2), 'bike', round(sum(t.bike_lft)::numeric, 2)," \
	"   'pedestrian', round(sum(t.pedestrian_lft)::numeric, 2)),"                              \
	"  'rgt', json_build_object('heavy', round(sum(t.heavy_rgt)::numeric, 2),"                 \
	"   'car', round(sum(t.car_rgt)::numeric, 2), 'bike', round(sum(t.bike_rgt)::numeric, 2)," \
	"   'pedestrian', round(sum(t.pedestrian_rgt)::numeric, 2))),"                             \
	" 'modal_split', CASE WHEN sum(coalesce(t.heavy, 0) + coalesce(t.car, 0) +"                \
	"  coalesce(t.bike, 0) + coalesce(t.pedestrian, 0)) > 0 THEN json_build_object("           \
	"  'heavy', round((sum(t.heavy) / sum(coalesce(t.heavy, 0) + coalesce(t.car, 0) +"         \
	"   coalesce(t.bike, 0) + coalesce(t.pedestrian, 0)))::numeric, 3),"                       \
	"  'car', round((sum(t.car) / sum(coalesce(t.heavy, 0) + coalesce(t.car, 0) +"             \
	"   coalesce(t.bike, 0) + coalesce(t.pedestrian, 0)))::numeric, 3),"                       \
	"  'bike', round((sum(t.bike) / sum(coalesce(t.heavy, 0) + coalesce(t.car, 0) +"           \
	"   coalesce(t.bike, 0) + coalesce(t.pedestrian, 0)))::numeric, 3),"                       \
	"  'pedestrian', round((sum(t.pedestrian) / sum(coalesce(t.heavy, 0) + coalesce(t.car, "   \
	"0) +"                                                                                     \
	"   coalesce(t.bike, 0) + coalesce(t.pedestrian, 0)))::numeric, 3)) END"

/* $1 project or NULL, $2 from, $3 to, $4 all quality. */
static const struct db_stmt segment_list = {
    "segments_list",
    "SELECT json_build_object('type', 'FeatureCollection', 'from', rfc3339($2::timestamptz),"
    " 'to', rfc3339($3::timestamptz), 'features', coalesce(json_agg(json_build_object("
    " 'type', 'Feature', 'geometry', ST_AsGeoJSON(s.geom, 6)::json, 'properties',"
    " json_build_object('segment_id', s.segment_id, 'project', p.slug, 'timezone', s.timezone,"
    " 'totals', (SELECT json_build_object(" TRAFFIC_FIGURES ") FROM traffic_report t"
    "  WHERE t.segment_id = s.segment_id AND t.period_start >= $2::timestamptz"
    "  AND t.period_start < $3::timestamptz AND ((t.quality & 256) = 0 OR $4::boolean))))"
    " ORDER BY s.segment_id), '[]'))"
    " FROM road_segment s JOIN project p ON p.id = s.project_id"
    " WHERE ($1::text IS NULL OR p.slug = $1)",
    4,
};

/* $1 segment, $2 from, $3 to, $4 all quality, $5 bucket, $6 time zone. */
static const struct db_stmt segment_series = {
    "segments_series",
    "SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(s.geom, 6)::json,"
    " 'properties', json_build_object('segment_id', s.segment_id, 'project', p.slug,"
    " 'bucket', $5::text, 'from', rfc3339($2::timestamptz), 'to', rfc3339($3::timestamptz),"
    " 'items', coalesce((SELECT json_agg(b.item ORDER BY b.start) FROM (SELECT"
    "  date_trunc($5, t.period_start, $6) AS start, json_build_object('start',"
    "  rfc3339(date_trunc($5, t.period_start, $6)), " TRAFFIC_FIGURES ") AS item"
    "  FROM traffic_report t WHERE t.segment_id = s.segment_id"
    "  AND t.period_start >= $2::timestamptz AND t.period_start < $3::timestamptz"
    "  AND ((t.quality & 256) = 0 OR $4::boolean) GROUP BY 1) b), '[]')))"
    " FROM road_segment s JOIN project p ON p.id = s.project_id WHERE s.segment_id = $1::bigint",
    6,
};

/* The time range and quality of a traffic request; on false the response
 * is set. */
static bool traffic_range(struct request *r, usec_t *from, usec_t *to, bool *all)
{
	*to = scalar_now();
	*from = *to - 7 * DAY;
	const char *names[2] = {"from", "to"};
	usec_t *slots[2] = {from, to};
	for (int i = 0; i < 2; i++) {
		const char *v = request_query(r, names[i]);
		char why[96];
		if (v && scalar_time(v, strlen(v), false, slots[i], why, sizeof(why)) != SM_OK) {
			respond_problem(r, PROBLEM_INVALID_PARAMETER, names[i], "\"%s\": %s",
			                names[i], why);
			return false;
		}
	}
	if (*from >= *to) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "from",
		                "\"from\" must be before \"to\"");
		return false;
	}
	if (*to - *from > 3660 * DAY) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "to",
		                "the range is longer than 3660 days");
		return false;
	}
	const char *quality = request_query(r, "quality");
	*all = quality && strcmp(quality, "all") == 0;
	if (quality && !*all && strcmp(quality, "valid") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "quality",
		                "\"quality\" must be valid or all");
		return false;
	}
	return true;
}

void handle_segment_list(struct request *r)
{
	const char *project = request_query(r, "project");
	if (project && !slug_valid(project)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "project",
		                "\"project\" must be a slug");
		return;
	}
	usec_t from, to;
	bool all;
	if (!traffic_range(r, &from, &to, &all))
		return;
	char from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN];
	scalar_time_format(from, from_s);
	scalar_time_format(to, to_s);
	const char *params[] = {project, from_s, to_s, all ? "t" : "f"};
	char *body = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &segment_list, params, &body, &len);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/geo+json", body, len, SEGMENTS_MAX_AGE_S);
}

void handle_segment_series(struct request *r)
{
	long long n;
	if (!param_id(r, 0, "id", &n))
		return;
	char id[24];
	snprintf(id, sizeof(id), "%lld", n);
	const char *bucket = request_query(r, "bucket");
	if (!bucket)
		bucket = "hour";
	if (strcmp(bucket, "hour") != 0 && strcmp(bucket, "day") != 0 &&
	    strcmp(bucket, "week") != 0 && strcmp(bucket, "month") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "bucket",
		                "\"bucket\" must be hour, day, week or month");
		return;
	}
	const char *tz = request_query(r, "tz");
	if (tz && strcmp(tz, "UTC") != 0 && strcmp(tz, "Europe/Amsterdam") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "tz",
		                "\"tz\" must be UTC or Europe/Amsterdam");
		return;
	}
	usec_t from, to;
	bool all;
	if (!traffic_range(r, &from, &to, &all))
		return;
	char from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN];
	scalar_time_format(from, from_s);
	scalar_time_format(to, to_s);
	const char *params[] = {id, from_s, to_s, all ? "t" : "f", bucket, tz ? tz : "UTC"};
	char *body = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &segment_series, params, &body, &len);
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, "id", "there is no segment %s", id);
		return;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/geo+json", body, len, SEGMENTS_MAX_AGE_S);
}
