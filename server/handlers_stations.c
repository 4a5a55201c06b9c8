/* Heat-stress stations in open data: where they are (blurred to their 100 m
 * cell unless the participant consented to the exact place), their latest
 * observation, and a station's heat indices over time with the hours spent
 * in each heat-stress category. Stations are named by publication
 * pseudonyms, never by their device ids. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dbjson.h"
#include "handlers.h"
#include "pseudonym.h"
#include "scalar.h"
#include "station_name.h"
#include "validate.h"

#define STATIONS_MAX_AGE_S 60
#define DAY (86400 * USEC_PER_SEC)

/* Readings that count: not out of range, not from the future, not from
 * before the station came into service. */
#define HEAT_VALID "(h.quality & (1 | 64 | 128)) = 0"

static const struct db_stmt station_list = {
    "stations_list",
    "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg("
    " json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(station_public_position("
    "  d.position, d.exact_position_consent), 6)::json, 'properties', json_build_object("
    "  'id', 'station:' || d.id, 'project', p.slug,"
    "  'position_blurred', NOT d.exact_position_consent,"
    "  'observations', (SELECT count(*) FROM heat_observation h WHERE h.device_id = d.id),"
    "  'latest', (SELECT json_build_object('observed_at', rfc3339(h.observed_at),"
    "   'temperature_c', round(h.temperature_c::numeric, 2),"
    "   'humidity_pct', round(h.humidity_pct::numeric, 1),"
    "   'wbgt_c', round(h.wbgt_c::numeric, 2), 'wbgt_category', h.wbgt_category,"
    "   'wbgt_approximate', h.wbgt_approximate,"
    "   'heat_index_c', round(h.heat_index_c::numeric, 2),"
    "   'heat_index_category', h.heat_index_category,"
    "   'humidex', round(h.humidex::numeric, 2), 'humidex_category', h.humidex_category)"
    "   FROM heat_observation h WHERE h.device_id = d.id AND " HEAT_VALID
    "   ORDER BY h.observed_at DESC LIMIT 1)))"
    " ORDER BY d.id), '[]'))"
    " FROM device d JOIN project p ON p.id = d.project_id"
    " WHERE p.kind = 'heat' AND d.active AND d.position IS NOT NULL"
    " AND ($1::text IS NULL OR p.slug = $1)",
    1,
};

/* Every station that has a public name; the server names them. */
static const struct db_stmt station_devices = {
    "stations_devices",
    "SELECT d.id FROM device d JOIN project p ON p.id = d.project_id"
    " WHERE p.kind = 'heat' AND d.active",
    0,
};

/* One station's series. $1 its device, $3 from, $4 to, $5 the bucket
 * ('hour' or 'day'), $6 the time zone; $2 its public name. */
static const struct db_stmt station_series = {
    "stations_series",
    "WITH s AS (SELECT d.id, d.position, d.exact_position_consent, p.slug FROM device d"
    "  JOIN project p ON p.id = d.project_id WHERE p.kind = 'heat' AND d.active"
    "  AND d.id = $1::uuid),"
    " obs AS (SELECT h.* FROM heat_observation h JOIN s ON s.id = h.device_id"
    "  WHERE h.observed_at >= $3::timestamptz AND h.observed_at < $4::timestamptz AND " HEAT_VALID
    "),"
    " buckets AS (SELECT date_trunc($5, observed_at, $6) AS start, count(*) AS n,"
    "  round(avg(temperature_c)::numeric, 2) AS t_mean, round(max(temperature_c)::numeric, 2) AS "
    "t_max,"
    "  round(avg(wbgt_c)::numeric, 2) AS w_mean, round(max(wbgt_c)::numeric, 2) AS w_max,"
    "  (array_agg(wbgt_category ORDER BY wbgt_c DESC))[1] AS w_cat,"
    "  round(avg(heat_index_c)::numeric, 2) AS h_mean, round(max(heat_index_c)::numeric, 2) AS "
    "h_max,"
    "  (array_agg(heat_index_category ORDER BY heat_index_c DESC))[1] AS h_cat,"
    "  round(avg(humidex)::numeric, 2) AS x_mean, round(max(humidex)::numeric, 2) AS x_max,"
    "  (array_agg(humidex_category ORDER BY humidex DESC))[1] AS x_cat"
    "  FROM obs GROUP BY 1),"
    " hours AS (SELECT (array_agg(wbgt_category ORDER BY wbgt_c DESC))[1] AS w,"
    "  (array_agg(heat_index_category ORDER BY heat_index_c DESC))[1] AS h,"
    "  (array_agg(humidex_category ORDER BY humidex DESC))[1] AS x"
    "  FROM obs GROUP BY date_trunc('hour', observed_at))"
    " SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON("
    "  station_public_position(s.position, s.exact_position_consent), 6)::json,"
    "  'properties', json_build_object('id', $2::text, 'project', s.slug,"
    "  'position_blurred', NOT s.exact_position_consent, 'bucket', $5::text,"
    "  'from', rfc3339($3::timestamptz), 'to', rfc3339($4::timestamptz),"
    "  'hours_per_category', json_build_object("
    "   'wbgt', coalesce((SELECT json_object_agg(w, n) FROM (SELECT w, count(*) AS n FROM hours"
    "    GROUP BY w) c), '{}'),"
    "   'heat_index', coalesce((SELECT json_object_agg(h, n) FROM (SELECT h, count(*) AS n FROM"
    "    hours GROUP BY h) c), '{}'),"
    "   'humidex', coalesce((SELECT json_object_agg(x, n) FROM (SELECT x, count(*) AS n FROM"
    "    hours GROUP BY x) c), '{}')),"
    "  'items', coalesce((SELECT json_agg(json_build_object('start', rfc3339(start), 'count', n,"
    "   'temperature_c', json_build_object('mean', t_mean, 'max', t_max),"
    "   'wbgt_c', json_build_object('mean', w_mean, 'max', w_max, 'category', w_cat),"
    "   'heat_index_c', json_build_object('mean', h_mean, 'max', h_max, 'category', h_cat),"
    "   'humidex', json_build_object('mean', x_mean, 'max', x_max, 'category', x_cat))"
    "   ORDER BY start) FROM buckets), '[]')))"
    " FROM s",
    6,
};

/* The device of the station publicly named `name`, into device ("" when
 * none): the names are made here, so the stations are named one by one. */
static sm_err station_device(struct request *r, const char *name, char device[STATION_UUID_LEN + 1])
{
	device[0] = '\0';
	struct db_conn *c;
	PGresult *res = NULL;
	sm_err e = db_acquire(r->app->db_read, &c);
	if (e != SM_OK)
		return e;
	e = db_exec(c, &station_devices, NULL, &res);
	db_release(r->app->db_read, c);
	for (int i = 0; e == SM_OK && i < PQntuples(res) && !device[0]; i++) {
		const char *id = PQgetvalue(res, i, 0);
		char mine[STATION_NAME_LEN + 1];
		if (strlen(id) != STATION_UUID_LEN)
			continue;
		station_name(id, mine);
		if (strcmp(mine, name) == 0)
			memcpy(device, id, STATION_UUID_LEN + 1);
	}
	PQclear(res);
	return e;
}

void handle_station_list(struct request *r)
{
	const char *project = request_query(r, "project");
	if (project && !slug_valid(project)) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "project",
		                "\"project\" must be a slug");
		return;
	}
	const char *params[] = {project};
	char *body = NULL;
	size_t len = 0;
	sm_err e = dbjson_text(r->app->db_read, &station_list, params, &body, &len);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	len = station_name_publish(body, len);
	respond_cacheable(r, "application/geo+json", body, len, STATIONS_MAX_AGE_S);
}

void handle_station_series(struct request *r)
{
	const char *id = r->nparams ? r->params[0] : "";
	if (!station_name_valid(id)) {
		respond_problem(
		    r, PROBLEM_INVALID_PARAMETER, "id",
		    "a station id looks like station-<16 hex digits>, as /v1/heat/stations "
		    "lists them");
		return;
	}
	const char *bucket = request_query(r, "bucket");
	if (!bucket)
		bucket = "hour";
	if (strcmp(bucket, "hour") != 0 && strcmp(bucket, "day") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "bucket",
		                "\"bucket\" must be hour or day");
		return;
	}
	const char *tz = request_query(r, "tz");
	if (tz && strcmp(tz, "UTC") != 0 && strcmp(tz, "Europe/Amsterdam") != 0) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "tz",
		                "\"tz\" must be UTC or Europe/Amsterdam");
		return;
	}
	usec_t to = scalar_now(), from = to - 7 * DAY;
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
	if (to - from > 366 * DAY) {
		respond_problem(r, PROBLEM_INVALID_PARAMETER, "to",
		                "the range is longer than 366 days");
		return;
	}
	char device[STATION_UUID_LEN + 1] = "", from_s[SCALAR_TIME_LEN], to_s[SCALAR_TIME_LEN];
	sm_err e = station_device(r, id, device);
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	scalar_time_format(from, from_s);
	scalar_time_format(to, to_s);
	const char *params[] = {
	    device[0] ? device : NULL, id, from_s, to_s, bucket, tz ? tz : "UTC"};
	char *body = NULL;
	size_t len = 0;
	e = device[0] ? dbjson_text(r->app->db_read, &station_series, params, &body, &len)
	              : SM_ERR_NOT_FOUND;
	if (e == SM_ERR_NOT_FOUND) {
		respond_problem(r, PROBLEM_NOT_FOUND, "id", "there is no station \"%s\"", id);
		return;
	}
	if (e != SM_OK) {
		respond_db_error(r, e);
		return;
	}
	respond_cacheable(r, "application/geo+json", body, len, STATIONS_MAX_AGE_S);
}
