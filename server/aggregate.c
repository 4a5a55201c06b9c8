#include "aggregate.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_space.h"
#include "experience_aggregate.h"
#include "validate.h"

#define DAY (86400 * USEC_PER_SEC)
#define QUARTER_HOUR (15 * 60 * USEC_PER_SEC)

static const struct {
	const char *name;
	const char *trunc; /* date_trunc field; NULL: 15 minutes with date_bin */
	usec_t max_span;   /* longest from..to for this bucket */
} buckets[] = {
    [AGG_15MIN] = {"15min", NULL, 31 * DAY},      [AGG_HOUR] = {"hour", "hour", 366 * DAY},
    [AGG_DAY] = {"day", "day", 3660 * DAY},       [AGG_WEEK] = {"week", "week", 3660 * DAY},
    [AGG_MONTH] = {"month", "month", 3660 * DAY}, [AGG_RANGE] = {"range", NULL, 3660 * DAY},
};

struct stat_sql {
	const char *name;
	unsigned bit;
	/* Over the readings `r` that count (`ok`): vn values of sum vs, least
	 * vlo and greatest vhi per row (one reading, or a rollup row), and the
	 * value `v` itself (readings only). */
	const char *sql;
	/* The same in two steps (see per_participant_first()): a partial per
	 * participant over r, and the statistic over those partials (w, where
	 * n is the participant's count); NULL: it does not add up that way.
	 * `cell_period` is the partial from a row of air_cell_period `t`. */
	const char *partial, *over_partials, *cell_period;
	/* Percentiles: the quantile. They do not add up over rollup rows, but
	 * their histograms do (sql/030_air_histograms.sql): from rollups, they
	 * come from the bins' counts summed per bucket and cell (pc, see
	 * percentile_ctes()), not from `sql`. */
	const char *quantile;
};
static const struct stat_sql stats[] = {
    {"count", AGG_COUNT, NULL, NULL, NULL, NULL, NULL},
    {"mean", AGG_MEAN, "sum(vs) FILTER (WHERE ok) / nullif(sum(vn) FILTER (WHERE ok), 0)",
     "sum(vs) FILTER (WHERE ok) AS s", "sum(s) / nullif(sum(n), 0)", "t.sum AS s", NULL},
    {"min", AGG_MIN, "min(vlo) FILTER (WHERE ok)", "min(vlo) FILTER (WHERE ok) AS lo", "min(lo)",
     "t.min::float8 AS lo", NULL},
    {"max", AGG_MAX, "max(vhi) FILTER (WHERE ok)", "max(vhi) FILTER (WHERE ok) AS hi", "max(hi)",
     "t.max::float8 AS hi", NULL},
    {"p50", AGG_P50, "percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE ok)", NULL, NULL,
     NULL, "0.5"},
    {"p90", AGG_P90, "percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FILTER (WHERE ok)", NULL, NULL,
     NULL, "0.9"},
    {"p98", AGG_P98, "percentile_cont(0.98) WITHIN GROUP (ORDER BY v) FILTER (WHERE ok)", NULL,
     NULL, NULL, "0.98"},
    {"hours", AGG_HOURS, "count(DISTINCT hour) FILTER (WHERE ok)", NULL, NULL, NULL, NULL},
};
#define NSTATS (sizeof(stats) / sizeof(stats[0]))

static sm_err fail(char *param, size_t paramlen, const char *name, char *why, size_t whylen,
                   const char *reason)
{
	snprintf(param, paramlen, "%s", name);
	snprintf(why, whylen, "%s", reason);
	return SM_ERR_INVALID;
}

bool agg_range_fits(const struct agg_query *q, char *why, size_t whylen)
{
	if (q->to - q->from <= buckets[q->bucket].max_span)
		return true;
	snprintf(why, whylen, "the range is longer than %lld days, the most for bucket=%s",
	         (long long)(buckets[q->bucket].max_span / DAY), buckets[q->bucket].name);
	return false;
}

static bool parse_stats(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		bool known = false;
		for (size_t i = 0; i < NSTATS && !known; i++) {
			if (strlen(stats[i].name) == n && strncmp(stats[i].name, s, n) == 0) {
				*out |= stats[i].bit;
				known = true;
			}
		}
		if (!known || n == 0)
			return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return *out != 0;
}

/* The sizes of grid and hexagon cells, in metres. */
static bool cell_size(const char *s, int *metres)
{
	static const char *const sizes[] = {"100", "250", "500", "1000"};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (strcmp(s, sizes[i]) == 0) {
			*metres = (int)strtol(s, NULL, 10);
			return true;
		}
	}
	return false;
}

static bool parse_bbox(const char *s, double b[4])
{
	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(s, ",");
		if (!scalar_double(s, n, &b[i]))
			return false;
		s += n;
		if (i < 3) {
			if (*s != ',')
				return false;
			s++;
		}
	}
	return *s == '\0' && b[0] < b[2] && b[1] < b[3] && b[0] >= -180 && b[2] <= 180 &&
	       b[1] >= -90 && b[3] <= 90;
}

sm_err agg_parse(const char *(*get)(void *ctx, const char *name), void *ctx, const char *accept,
                 usec_t now, struct agg_query *q, char *param, size_t paramlen, char *why,
                 size_t whylen)
{
	memset(q, 0, sizeof(*q));
	const char *v;
	char reason[160];

	v = get(ctx, "quantity");
	if (!v || !v[0] || strlen(v) >= sizeof(q->quantity))
		return fail(param, paramlen, "quantity", why, whylen,
		            "is required: a name from /v1/quantities");
	/* It goes to SQL as text: PostgreSQL refuses malformed UTF-8. */
	if (!utf8_valid(v))
		return fail(param, paramlen, "quantity", why, whylen,
		            "is not valid UTF-8: a name from /v1/quantities");
	snprintf(q->quantity, sizeof(q->quantity), "%s", v);

	q->bucket = AGG_HOUR;
	v = get(ctx, "bucket");
	if (v) {
		size_t i = 0;
		while (i < AGG_RANGE && strcmp(buckets[i].name, v) != 0)
			i++;
		if (i == AGG_RANGE)
			return fail(param, paramlen, "bucket", why, whylen,
			            "must be 15min, hour, day, week or month");
		q->bucket = (enum agg_bucket)i;
	}

	v = get(ctx, "tz");
	if (v && strcmp(v, "Europe/Amsterdam") == 0)
		q->amsterdam = true;
	else if (v && strcmp(v, "UTC") != 0)
		return fail(param, paramlen, "tz", why, whylen, "must be UTC or Europe/Amsterdam");

	/* The range: default the last day up to the end of this quarter hour
	 * (whole quarters: the rollups answer, and caches see one URL's answer
	 * for 15 minutes). */
	q->to = now - now % QUARTER_HOUR + QUARTER_HOUR;
	q->from = q->to - DAY;
	const char *names[2] = {"from", "to"};
	usec_t *slots[2] = {&q->from, &q->to};
	for (int i = 0; i < 2; i++) {
		v = get(ctx, names[i]);
		char tw[96];
		if (v && scalar_time(v, strlen(v), false, slots[i], tw, sizeof(tw)) != SM_OK) {
			snprintf(reason, sizeof(reason), "%s (an RFC 3339 time with offset)", tw);
			return fail(param, paramlen, names[i], why, whylen, reason);
		}
	}
	if (q->from >= q->to)
		return fail(param, paramlen, "from", why, whylen, "must be before \"to\"");
	if (!agg_range_fits(q, reason, sizeof(reason)))
		return fail(param, paramlen, "to", why, whylen, reason);

	q->space = AGG_ALL;
	v = get(ctx, "space");
	if (v && strcmp(v, "all") != 0) {
		if (strncmp(v, "grid:", 5) == 0 && cell_size(v + 5, &q->cell_m)) {
			q->space = AGG_GRID;
		} else if (strncmp(v, "hex:", 4) == 0 && cell_size(v + 4, &q->cell_m)) {
			q->space = AGG_HEX;
		} else if (strncmp(v, "area:", 5) == 0 && layer_valid(v + 5)) {
			q->space = AGG_AREA;
			snprintf(q->layer, sizeof(q->layer), "%s", v + 5);
		} else if (strcmp(v, "segment") == 0) {
			q->space = AGG_SEGMENT;
		} else if (strcmp(v, "station") == 0) {
			q->space = AGG_STATION;
		} else {
			return fail(
			    param, paramlen, "space", why, whylen,
			    "must be all, grid:<m> (square RD New cells) or hex:<m> "
			    "(hexagons with edges of m metres) for m 100, 250, 500 or 1000, "
			    "area:<layer>, segment or station");
		}
	}

	q->stats = AGG_COUNT | AGG_MEAN;
	v = get(ctx, "stat");
	if (v && !parse_stats(v, &q->stats))
		return fail(
		    param, paramlen, "stat", why, whylen,
		    "must be a comma-separated list of count, mean, min, max, p50, p90, p98");
	q->stats |= AGG_COUNT; /* every item carries its count */

	v = get(ctx, "project");
	if (v) {
		if (!slug_valid(v))
			return fail(param, paramlen, "project", why, whylen,
			            "must be a project slug");
		snprintf(q->project, sizeof(q->project), "%s", v);
	}

	v = get(ctx, "bbox");
	if (v) {
		if (!parse_bbox(v, q->bbox))
			return fail(
			    param, paramlen, "bbox", why, whylen,
			    "must be min_lon,min_lat,max_lon,max_lat in WGS84 with min < max");
		q->has_bbox = true;
	}

	v = get(ctx, "quality");
	if (v && strcmp(v, "all") == 0)
		q->all_quality = true;
	else if (v && strcmp(v, "valid") != 0)
		return fail(param, paramlen, "quality", why, whylen, "must be valid or all");

	v = get(ctx, "format");
	if (v) {
		if (strcmp(v, "json") == 0)
			q->format = AGG_JSON;
		else if (strcmp(v, "geojson") == 0)
			q->format = AGG_GEOJSON;
		else if (strcmp(v, "csv") == 0)
			q->format = AGG_CSV;
		else
			return fail(param, paramlen, "format", why, whylen,
			            "must be json, geojson or csv");
	} else if (accept && strstr(accept, "text/csv")) {
		q->format = AGG_CSV;
	} else if (accept && strstr(accept, "application/geo+json")) {
		q->format = AGG_GEOJSON;
	}

	q->limit = AGG_PAGE_DEFAULT;
	v = get(ctx, "limit");
	int64_t n;
	if (v) {
		if (!scalar_int(v, strlen(v), 1, AGG_PAGE_MAX, &n))
			return fail(param, paramlen, "limit", why, whylen,
			            "must be from 1 to 10000");
		q->limit = (int)n;
	}
	v = get(ctx, "offset");
	if (v) {
		if (!scalar_int(v, strlen(v), 0, INT64_C(1) << 40, &n))
			return fail(param, paramlen, "offset", why, whylen,
			            "must be a position from a \"next\" link");
		q->offset = n;
	}
	/* bbox selects whole cells; the region is one cell, which every box of
	 * the data's would select whole. */
	if (q->has_bbox && q->space == AGG_ALL)
		return fail(param, paramlen, "bbox", why, whylen,
		            "selects whole cells: use it with a space of cells (grid, hex, area, "
		            "segment or station), not space=all");
	return SM_OK;
}

const char *agg_format_type(enum agg_format f)
{
	switch (f) {
	case AGG_GEOJSON: return "application/geo+json";
	case AGG_CSV: return "text/csv; charset=utf-8";
	default: return "application/json";
	}
}

/* Each family's readings as rows of one shape, for `p`: time t, position,
 * value v (the catalogue's column, put between `head` and `tail`), quality,
 * participant who, project slug, and for places published one by one their
 * id and GeoJSON geometry. */
static const struct {
	const char *head, *tail;
} family_readings[] = {
    /* Trip ends hidden (sql/006_publication.sql). */
    [AGG_AIR] = {"SELECT a.recorded_at AS t, a.position, a.",
                 "::float8 AS v, a.quality, d.participant_pseudonym AS who, pr.slug,"
                 " NULL::text AS place, NULL::text AS place_geom"
                 " FROM air_published a JOIN device d ON d.id = a.device_id"
                 " JOIN project pr ON pr.id = d.project_id AND pr.kind = 'air'"},
    /* Hourly reports (a segment may also send quarter hours of the same
     * traffic); the camera's participant, or the segment when the report
     * came from the public Telraam API without a device. */
    [AGG_TRAFFIC] = {"SELECT tr.period_start AS t, ST_PointOnSurface(s.geom) AS position, tr.",
                     "::float8 AS v, tr.quality,"
                     " coalesce(d.participant_pseudonym, int8send(tr.segment_id)) AS who,"
                     " pr.slug, 'segment-' || tr.segment_id AS place,"
                     " ST_AsGeoJSON(s.geom, 6) AS place_geom"
                     " FROM traffic_report tr"
                     " JOIN road_segment s ON s.segment_id = tr.segment_id"
                     " JOIN project pr ON pr.id = s.project_id AND pr.kind = 'traffic'"
                     " LEFT JOIN device d ON d.id = tr.device_id"
                     " WHERE tr.interval = 'hourly'"},
    /* Stations at their public position (sql/010_heat_stations.sql). */
    [AGG_HEAT] = {"SELECT h.observed_at AS t,"
                  " station_public_position(d.position, d.exact_position_consent) AS position,"
                  " h.",
                  "::float8 AS v, h.quality, d.participant_pseudonym AS who, pr.slug,"
                  " 'station:' || d.id AS place,"
                  " ST_AsGeoJSON(station_public_position(d.position,"
                  " d.exact_position_consent), 6) AS place_geom"
                  " FROM heat_observation h JOIN device d ON d.id = h.device_id"
                  " JOIN project pr ON pr.id = d.project_id AND pr.kind = 'heat'"},
};

bool agg_space_fits(const struct agg_query *q, char *why, size_t whylen)
{
	if (q->space == AGG_SEGMENT && q->family != AGG_TRAFFIC) {
		snprintf(why, whylen, "segment is a space of traffic quantities (Telraam)");
		return false;
	}
	if (q->space == AGG_STATION && q->family != AGG_HEAT) {
		snprintf(why, whylen, "station is a space of heat quantities");
		return false;
	}
	return true;
}

bool agg_k_applies(const struct agg_query *q)
{
	return q->space != AGG_SEGMENT && q->space != AGG_STATION;
}

/* Whether q's range is whole UTC days. */
static bool whole_days(const struct agg_query *q)
{
	return q->from % DAY == 0 && q->to % DAY == 0;
}

/* Whether q asks for a percentile. */
static bool wants_percentiles(const struct agg_query *q)
{
	for (size_t i = 0; i < NSTATS; i++)
		if ((q->stats & stats[i].bit) && stats[i].quantile)
			return true;
	return false;
}

/* Whether q's percentiles come from the histograms of the rollups rather
 * than from the readings. */
static bool percentiles_from_histograms(const struct agg_query *q)
{
	return wants_percentiles(q) && agg_uses_rollups(q);
}

/* The SQL of each statistic q asks for (field `sql_of`, an offsetof into
 * struct stat_sql), each after ", ", and named after its statistic when
 * `named`; but percentiles that come from histograms (percentile_ctes()). */
static sm_err put_stats(const struct agg_query *q, size_t sql_of, bool named, struct buf *sql)
{
	bool histograms = percentiles_from_histograms(q);
	sm_err e = SM_OK;
	for (size_t i = 1; e == SM_OK && i < NSTATS; i++) {
		if (!(q->stats & stats[i].bit) || (stats[i].quantile && histograms))
			continue;
		const char *text = *(const char *const *)((const char *)&stats[i] + sql_of);
		e = named ? buf_printf(sql, ", %s AS %s", text, stats[i].name)
		          : buf_printf(sql, ", %s", text);
	}
	return e;
}

/* Whether the rollups hold q's cells: the whole region, and grid cells
 * (unions of theirs, rollups_cte()). */
static bool rollups_hold(const struct agg_query *q)
{
	return q->space == AGG_ALL || q->space == AGG_GRID;
}

bool agg_uses_rollups(const struct agg_query *q)
{
	if (q->family != AGG_AIR || !rollups_hold(q))
		return false;
	/* Rollup rows are whole quarters of an hour. */
	return q->from % QUARTER_HOUR == 0 && q->to % QUARTER_HOUR == 0;
}

/* The rollup level of q's cells: 100 m for 100 m cells, 250 m for 250,
 * 500 and 1000 m ones; 0 for the whole region. */
static int rollup_level(const struct agg_query *q)
{
	if (q->space != AGG_GRID)
		return 0;
	return q->cell_m % 250 == 0 ? 250 : 100;
}

/* Whether q reads the hourly rollups of the whole region: buckets of an
 * hour and longer over whole hours. */
static bool rollup_hourly(const struct agg_query *q)
{
	bool whole_hours = q->from % (4 * QUARTER_HOUR) == 0 && q->to % (4 * QUARTER_HOUR) == 0;
	return q->space == AGG_ALL && q->bucket != AGG_15MIN && whole_hours;
}

/* The start of each reading's bucket, over its time `t`. */
static sm_err bucket_start(const struct agg_query *q, const char *t, struct buf *sql)
{
	if (q->bucket == AGG_RANGE)
		return buf_puts(sql, "$1::timestamptz AS start, ");
	if (q->bucket == AGG_15MIN)
		return buf_printf(sql,
		                  "date_bin('15 minutes', %s, timestamptz '2000-01-01T00:00:00Z')"
		                  " AS start, ",
		                  t);
	return buf_printf(sql, "date_trunc('%s', %s, $12) AS start, ", buckets[q->bucket].trunc, t);
}

/* r: the readings of q's family that the query counts, one row each with
 * vn = 1. For air, `column` "quality" counts every reading (coverage). */
static sm_err readings_cte(const struct agg_query *q, const char *column, struct buf *sql)
{
	const struct agg_space_sql *sp = agg_space_sql(q->space);
	sm_err e = bucket_start(q, "p.t", sql);
	if (e == SM_OK)
		e = buf_printf(sql,
		               "%sdate_trunc('hour', p.t) AS hour, 1 AS vn, p.v, p.v AS vs,"
		               " p.v AS vlo, p.v AS vhi, p.who, "
		               "((p.quality & (SELECT m FROM mask)) = 0 OR $11::boolean) AS ok\n"
		               " FROM (",
		               sp->columns);
	if (e == SM_OK)
		e = buf_printf(sql, "%s%s%s", family_readings[q->family].head, column,
		               family_readings[q->family].tail);
	if (e == SM_OK)
		e = buf_printf(
		    sql,
		    ") p%s\n"
		    " WHERE p.t >= $1::timestamptz AND p.t < $2::timestamptz AND p.v IS NOT NULL"
		    " AND ($3::text IS NULL OR p.slug = $3)%s",
		    sp->join, q->space == AGG_ALL ? "" : " AND p.position IS NOT NULL");
	return e;
}

/* The start of each rollup row's bucket. Rows are quarter hours; a UTC day
 * is the row's own `day` (sql/015_rollup_order.sql), and an hour is the
 * same in UTC and in Amsterdam (whole-hour offsets): plain columns and
 * arithmetic where they do, which also keeps the rows in index order for
 * the grouping. */
static sm_err rollup_start(const struct agg_query *q, struct buf *sql)
{
	if (q->bucket == AGG_15MIN || (q->bucket == AGG_HOUR && rollup_hourly(q)))
		return buf_puts(sql, "ru.bucket AS start, ");
	if (q->bucket == AGG_HOUR)
		return buf_puts(sql, "date_bin('1 hour', ru.bucket, timestamptz "
		                     "'2000-01-01T00:00:00Z') AS start, ");
	if (q->bucket == AGG_DAY && !q->amsterdam && !rollup_hourly(q))
		return buf_puts(sql, "ru.day AS start, ");
	return bucket_start(q, "ru.bucket", sql);
}

/* The rollup table q reads. air_rollup's partitions are named rather than
 * chosen by cell_m: its index, which leaves the partition key out, then
 * answers the query alone. */
static const char *rollup_table(const struct agg_query *q)
{
	if (rollup_hourly(q))
		return "air_rollup_hourly";
	switch (rollup_level(q)) {
	case 100: return "air_rollup_100";
	case 250: return "air_rollup_250";
	default: return "air_rollup_region";
	}
}

/* r from the rollups (sql/012_air_rollup.sql): one row per quarter hour (or
 * hour), rollup cell, device and quality mask, with vn values. */
static sm_err rollups_cte(const struct agg_query *q, const char *column, struct buf *sql)
{
	bool hourly = rollup_hourly(q);
	sm_err e = rollup_start(q, sql);
	/* Grid cells of the rollup's own size are its columns; larger ones are
	 * unions of them. */
	int level = rollup_level(q);
	if (e == SM_OK && q->space == AGG_GRID && q->cell_m == level)
		e = buf_puts(sql, "ru.gx, ru.gy, ");
	else if (e == SM_OK && q->space == AGG_GRID)
		e = buf_printf(sql,
		               "floor(ru.gx * %d / $16::float8)::integer AS gx,"
		               " floor(ru.gy * %d / $16::float8)::integer AS gy, ",
		               level, level);
	if (e == SM_OK)
		e = buf_puts(sql, "date_trunc('hour', ru.bucket) AS hour, ");
	bool coverage = strcmp(column, "quality") == 0;
	if (e == SM_OK && coverage)
		e = buf_puts(sql, "ru.readings AS vn, NULL::float8 AS vs, NULL::float8 AS vlo,"
		                  " NULL::float8 AS vhi, ");
	else if (e == SM_OK)
		e = buf_printf(sql,
		               "ru.%s_n AS vn, ru.%s_sum AS vs, ru.%s_min::float8 AS vlo,"
		               " ru.%s_max::float8 AS vhi, ",
		               column, column, column, column);
	/* The histogram only when asked: it is not in the covering indexes. */
	if (e == SM_OK && percentiles_from_histograms(q) && coverage)
		e = buf_puts(sql, "NULL::integer[] AS vh, ");
	else if (e == SM_OK && percentiles_from_histograms(q))
		e = buf_printf(sql, "ru.%s_hist AS vh, ", column);
	if (e == SM_OK)
		e = buf_printf(sql,
		               "NULL::float8 AS v, ru.who, "
		               "((ru.quality & (SELECT m FROM mask)) = 0 OR $11::boolean) AS ok\n"
		               " FROM %s ru\n WHERE ($3::text IS NULL OR ru.project_id = (SELECT id"
		               " FROM project WHERE slug = $3 AND kind = 'air'))",
		               rollup_table(q));
	/* air_rollup's index leads with the day. Whole UTC days are bounded by
	 * the day alone: with the quarter hours as well, the planner would take
	 * the two ranges for independent and expect a hundredth of the rows. */
	if (e == SM_OK && !hourly)
		e = buf_puts(sql, " AND ru.day >= date_bin('1 day', $1::timestamptz, timestamptz"
		                  " '2000-01-01T00:00:00Z') AND ru.day < $2::timestamptz");
	if (e == SM_OK && (hourly || !whole_days(q)))
		e = buf_puts(sql,
		             " AND ru.bucket >= $1::timestamptz AND ru.bucket < $2::timestamptz");
	if (e == SM_OK && strcmp(column, "quality") != 0)
		e = buf_printf(sql, " AND ru.%s_n > 0", column);
	return e;
}

/* Whether c adds up per participant first (w), then per cell: two plain
 * groupings that stream over rollup rows in index order, where one
 * count(DISTINCT who) would sort them all. Every statistic must add up
 * over the partials. */
static bool per_participant_first(const struct agg_query *q)
{
	if (!agg_uses_rollups(q))
		return false;
	for (size_t i = 1; i < NSTATS; i++)
		if ((q->stats & stats[i].bit) && !stats[i].partial && !stats[i].quantile)
			return false;
	return true;
}

bool agg_uses_cell_periods(const struct agg_query *q, const char *column)
{
	bool day_map = q->space == AGG_GRID && q->cell_m == rollup_level(q) &&
	               q->bucket == AGG_DAY && !q->amsterdam && whole_days(q);
	bool region_hours = q->space == AGG_ALL && q->bucket == AGG_HOUR && rollup_hourly(q);
	return per_participant_first(q) && (day_map || region_hours) && !q->all_quality &&
	       strcmp(column, "quality") != 0;
}

/* The answer of AGG_EXCEEDANCES: per cell, how many buckets (days or hours)
 * had a mean above the reference value. */
#define EXCEEDANCES_ANSWER                                                                         \
	" ex AS (SELECT cell%s, count(*) AS periods, count(*) FILTER (WHERE mean > $18::float8)"   \
	"  AS above, max(mean) AS worst FROM pub GROUP BY cell%s),\n"                              \
	" exi AS (SELECT *, %s AS geometry FROM ex AS page ORDER BY cell OFFSET $9::bigint"        \
	"  LIMIT $10::integer),\n"                                                                 \
	" exm AS (SELECT count(*) AS total FROM ex)\n"                                             \
	"SELECT json_build_object('quantity', $13::text, 'unit', $14::text, 'reference', "         \
	"$19::text,"                                                                               \
	" 'value', $18::float8, 'from', rfc3339($1::timestamptz), 'to', rfc3339($2::timestamptz)," \
	" 'k_anonymity', $8::integer, 'suppressed', meta.suppressed, 'excluded', meta.excluded,"   \
	" 'next', CASE WHEN $9::bigint + $10::integer < exm.total THEN $15::text ||"               \
	" ($9::bigint + $10::integer) END, 'items', coalesce((SELECT json_agg(json_build_object("  \
	" 'cell', json_build_object('id', cell, 'geometry', geometry), 'periods', periods,"        \
	" 'above', above, 'worst_mean', round(worst::numeric, 3)) ORDER BY cell) FROM exi), "      \
	"'[]'))"                                                                                   \
	"::text, CASE WHEN $9::bigint + $10::integer < exm.total THEN $15::text ||"                \
	" ($9::bigint + $10::integer) END FROM meta, exm"

/* The SQL of one statistic's value, rounded for the answer. */
static sm_err stat_value(struct buf *sql, const char *name)
{
	if (strcmp(name, "hours") == 0) /* a count */
		return buf_puts(sql, name);
	return buf_printf(sql, "round(%s::numeric, 3)", name);
}

/* c's columns over per-participant partials `from` (w or cd). */
static sm_err c_over_partials(const struct agg_query *q, const char *from, struct buf *sql)
{
	const struct agg_space_sql *sp = agg_space_sql(q->space);
	sm_err e = buf_puts(sql, "SELECT start, ");
	if (e == SM_OK)
		e = agg_space_cell(q->space, sql);
	if (e == SM_OK)
		e = buf_puts(sql,
		             ", coalesce(sum(n), 0)::bigint AS n, coalesce(sum(flagged), 0)::bigint"
		             " AS flagged, sum(members) AS participants");
	if (e == SM_OK)
		e = put_stats(q, offsetof(struct stat_sql, over_partials), true, sql);
	if (e == SM_OK)
		e = buf_printf(sql, " FROM %s GROUP BY start%s", from, sp->group);
	return e;
}

/* c, after r: per bucket and cell, straight from r's rows. */
static sm_err c_over_r(const struct agg_query *q, struct buf *sql)
{
	sm_err e = buf_puts(sql, "),\n c AS (SELECT start, ");
	if (e == SM_OK)
		e = agg_space_cell(q->space, sql);
	if (e == SM_OK)
		e = buf_puts(sql, ", coalesce(sum(vn) FILTER (WHERE ok), 0) AS n,"
		                  " coalesce(sum(vn) FILTER (WHERE NOT ok), 0) AS flagged,"
		                  " count(DISTINCT who) FILTER (WHERE ok) AS participants");
	if (e == SM_OK)
		e = put_stats(q, offsetof(struct stat_sql, sql), true, sql);
	if (e == SM_OK)
		e = buf_printf(sql, " FROM r GROUP BY start%s),\n", agg_space_sql(q->space)->group);
	return e;
}

/* FROM and WHERE of q's rows of air_cell_period `t` (when it is current). */
static sm_err cell_periods_from(const struct agg_query *q, const char *column, struct buf *sql)
{
	return buf_printf(sql,
	                  " FROM air_cell_period t WHERE t.quantity = '%s' AND t.cell_m = %d"
	                  " AND t.period_start >= $1::timestamptz"
	                  " AND t.period_start < $2::timestamptz"
	                  " AND t.project_id = (SELECT project FROM ready)",
	                  column, q->space == AGG_GRID ? q->cell_m : 0);
}

/* w, cd and c, after r: per participant (members is 1 for a participant
 * with a reading that counts; n is NULL without one), then per cell. Counts
 * are float8 here, which adds up faster than numeric (sum of bigint) and
 * holds every count exactly below 2^53. When the counted cells can answer, r is
 * left unread and cd holds their rows as partials of all their
 * participants. */
static sm_err partials_ctes(const struct agg_query *q, const char *column, struct buf *sql)
{
	const struct agg_space_sql *sp = agg_space_sql(q->space);
	bool cell_periods = agg_uses_cell_periods(q, column);
	sm_err e =
	    buf_printf(sql,
	               "),\n w AS (SELECT start%s, who, (sum(vn) FILTER (WHERE ok))::float8 AS n,"
	               " (sum(vn) FILTER (WHERE NOT ok))::float8 AS flagged,"
	               " least(count(*) FILTER (WHERE ok), 1)::integer AS members",
	               sp->group);
	if (e == SM_OK)
		e = put_stats(q, offsetof(struct stat_sql, partial), false, sql);
	if (e == SM_OK)
		e = buf_printf(sql, " FROM r%s GROUP BY start%s, who),\n",
		               cell_periods ? " WHERE (SELECT project FROM ready) IS NULL" : "",
		               sp->group);
	if (e == SM_OK && cell_periods) {
		e = buf_puts(sql,
		             " cd AS (SELECT t.period_start AS start, t.gx, t.gy, t.n::float8 AS n,"
		             " t.flagged::float8 AS flagged, t.participants AS members");
		if (e == SM_OK)
			e = put_stats(q, offsetof(struct stat_sql, cell_period), false, sql);
		if (e == SM_OK)
			e = cell_periods_from(q, column, sql);
		if (e == SM_OK)
			e = buf_puts(sql, "),\n");
	}
	if (e == SM_OK)
		e = buf_puts(sql, " c AS (");
	if (e == SM_OK)
		e = c_over_partials(q, "w", sql);
	if (e == SM_OK && cell_periods)
		e = buf_puts(sql, " UNION ALL ");
	if (e == SM_OK && cell_periods)
		e = c_over_partials(q, "cd", sql);
	if (e == SM_OK)
		e = buf_puts(sql, "),\n");
	return e;
}

/* The percentile at `quantile` of the merged histogram of one bucket and
 * cell (the rows of hc), as percentile_cont takes it from the readings:
 * between the order statistics floor and ceil of quantile (total - 1), each
 * estimated in the bin that holds it (air_histogram_value(), sql/030). */
static sm_err histogram_percentile(const char *quantile, const char *name, struct buf *sql)
{
/* The order statistic f(quantile (total - 1)) for f floor or ceil: its bin's
 * estimate. */
#define ORDER_STAT                                                                                 \
	"min(air_histogram_value(%s(%s * (total - 1)), below, k, bin, cmin, cmax, h))"             \
	" FILTER (WHERE %s(%s * (total - 1)) >= below AND %s(%s * (total - 1)) < below + k)"
	/* floor + (ceil - floor) x the fraction */
	sm_err e = buf_puts(sql, ", ");
	if (e == SM_OK)
		e = buf_printf(sql, ORDER_STAT, "floor", quantile, "floor", quantile, "floor",
		               quantile);
	if (e == SM_OK)
		e = buf_printf(sql, " + max(%s * (total - 1) - floor(%s * (total - 1))) * (",
		               quantile, quantile);
	if (e == SM_OK)
		e = buf_printf(sql, ORDER_STAT, "ceil", quantile, "ceil", quantile, "ceil",
		               quantile);
	if (e == SM_OK)
		e = buf_puts(sql, " - ");
	if (e == SM_OK)
		e = buf_printf(sql, ORDER_STAT, "floor", quantile, "floor", quantile, "floor",
		               quantile);
	if (e == SM_OK)
		e = buf_printf(sql, ") AS %s", name);
	return e;
#undef ORDER_STAT
}

/* hb, hc, pc and cq, after c, when percentiles come from the rollups'
 * histograms (sql/030_air_histograms.sql): the bins' counts summed per
 * bucket and cell, from the rollup rows r, or from the counted cells when
 * they are current (each a bucket and cell, its histogram merged already);
 * the values below each bin, and the least and greatest value of the bucket
 * and cell (the same from either source, so both give the same
 * percentiles); the percentiles (pc); and c with them (cq). */
static sm_err percentile_ctes(const struct agg_query *q, const char *column, struct buf *sql)
{
	const char *group = agg_space_sql(q->space)->group;
	bool cell_periods = agg_uses_cell_periods(q, column);
	sm_err e = buf_printf(
	    sql,
	    " hb AS (SELECT start%s, x >> 20 AS bin, sum(x & 1048575)::float8 AS k,"
	    " min(vlo) AS vmin, max(vhi) AS vmax FROM (SELECT start%s, vh, vlo,"
	    " vhi FROM r WHERE ok%s",
	    group, group, cell_periods ? " AND (SELECT project FROM ready) IS NULL" : "");
	if (e == SM_OK && cell_periods)
		e = buf_printf(sql,
		               " UNION ALL SELECT t.period_start AS start%s, t.hist, t.min::float8,"
		               " t.max::float8",
		               q->space == AGG_GRID ? ", t.gx, t.gy" : "");
	if (e == SM_OK && cell_periods)
		e = cell_periods_from(q, column, sql);
	if (e == SM_OK)
		e = buf_printf(
		    sql,
		    ") s CROSS JOIN LATERAL unnest(s.vh) AS x GROUP BY start%s, bin),\n"
		    " hc AS (SELECT *, sum(k) OVER (PARTITION BY start%s ORDER BY bin) - k"
		    " AS below, sum(k) OVER w AS total, min(vmin) OVER w AS cmin,"
		    " max(vmax) OVER w AS cmax FROM hb WINDOW w AS (PARTITION BY start%s)),\n"
		    " pc AS (SELECT start%s",
		    group, group, group, group);
	for (size_t i = 1; e == SM_OK && i < NSTATS; i++)
		if ((q->stats & stats[i].bit) && stats[i].quantile)
			e = histogram_percentile(stats[i].quantile, stats[i].name, sql);
	if (e == SM_OK)
		e = buf_printf(sql,
		               " FROM hc CROSS JOIN air_histogram h WHERE h.source_column = '%s'",
		               column);
	/* Only the bins that hold an order statistic some percentile needs. */
	const char * or = " AND (";
	for (size_t i = 1; e == SM_OK && i < NSTATS; i++) {
		if (!(q->stats & stats[i].bit) || !stats[i].quantile)
			continue;
		e = buf_printf(sql,
		               "%s(floor(%s * (total - 1)) < below + k AND ceil(%s * (total - 1))"
		               " >= below)",
		               or, stats[i].quantile, stats[i].quantile);
		or = " OR ";
	}
	if (e == SM_OK)
		e = buf_printf(sql, ") GROUP BY start%s),\n cq AS (SELECT c.*", group);
	for (size_t i = 1; e == SM_OK && i < NSTATS; i++)
		if ((q->stats & stats[i].bit) && stats[i].quantile)
			e = buf_printf(sql, ", pc.%s", stats[i].name);
	if (e == SM_OK)
		e = buf_printf(sql, " FROM c LEFT JOIN pc USING (start%s)),\n", group);
	return e;
}

/* What the answer says of its percentiles' error (absolute + relative x the
 * value; none from the readings): the histogram's bins of `column`. */
static sm_err percentile_error(const struct agg_query *q, const char *column, struct buf *sql)
{
	if (!percentiles_from_histograms(q))
		return buf_puts(sql, ", 'percentile_error', json_build_object('absolute', 0,"
		                     " 'relative', 0)");
	return buf_printf(sql,
	                  ", 'percentile_error', (SELECT json_build_object('absolute', h.width,"
	                  " 'relative', h.relative) FROM air_histogram h"
	                  " WHERE h.source_column = '%s')",
	                  column);
}

sm_err agg_sql(const struct agg_query *q, const char *column, struct buf *sql)
{
	if (q->family == AGG_EXPERIENCE)
		return experience_aggregate_sql(q, column, sql);
	sm_err e;
	/* Every parameter's type, declared once: some formats leave some unused. */
	e = buf_puts(sql,
	             "WITH args AS (SELECT $1::timestamptz, $2::timestamptz, $3::text, $4::float8,"
	             " $5::float8, $6::float8, $7::float8, $8::integer, $9::bigint, $10::integer,"
	             " $11::boolean, $12::text, $13::text, $14::text, $15::text, $16::integer,"
	             " $17::text, $18::float8, $19::text),\n"
	             " mask AS (SELECT coalesce(sum(1 << bit), 0)::integer AS m "
	             "FROM quality_flag WHERE excluded),\n");
	/* The project whose counted cells are current over the range, or NULL. */
	if (e == SM_OK && agg_uses_cell_periods(q, column))
		e = buf_puts(
		    sql, " ready AS MATERIALIZED (SELECT air_cell_period_project($1::timestamptz,"
		         " $2::timestamptz, $3::text) AS project),\n");
	/* r is read twice with histograms: scanned twice rather than stored. */
	bool histograms = percentiles_from_histograms(q);
	if (e == SM_OK)
		e = buf_puts(sql,
		             histograms ? " r AS NOT MATERIALIZED (SELECT " : " r AS (SELECT ");
	if (e == SM_OK)
		e = agg_uses_rollups(q) ? rollups_cte(q, column, sql)
		                        : readings_cte(q, column, sql);
	const struct agg_space_sql *sp = agg_space_sql(q->space);

	/* Per bucket and cell: directly, or per participant first (w), and
	 * from the counted cells when they are current (cd). */
	bool partials = per_participant_first(q);
	if (e == SM_OK && partials)
		e = partials_ctes(q, column, sql);
	else if (e == SM_OK)
		e = c_over_r(q, sql);
	if (e == SM_OK && histograms)
		e = percentile_ctes(q, column, sql);
	/* bbox takes whole cells. */
	if (e == SM_OK)
		e = agg_space_boxed(q->space, histograms ? "cq" : "c", q->has_bbox, sql);
	/* Cells of fewer than k participants are left out, and counted. */
	if (e == SM_OK)
		e = buf_puts(
		    sql,
		    " pub AS (SELECT * FROM boxed WHERE n > 0 AND participants >= $8::integer),\n"
		    " page AS (SELECT * FROM pub ORDER BY start, cell OFFSET $9::bigint "
		    "LIMIT $10::integer),\n");
	/* The cell's geometry. */
	if (e == SM_OK)
		e = buf_printf(sql, " items AS (SELECT *, %s AS geometry", sp->geometry);
	if (e == SM_OK)
		e = buf_puts(
		    sql,
		    " FROM page),\n"
		    " meta AS (SELECT (SELECT count(*) FROM pub) AS total,"
		    " (SELECT count(*) FROM boxed WHERE n > 0 AND participants < $8::integer)"
		    " AS suppressed, (SELECT coalesce(sum(flagged), 0) FROM boxed) AS excluded)\n");

	/* The answer. */
	if (e != SM_OK)
		return e;
	if (q->answer == AGG_EXCEEDANCES) {
		/* meta's line ended the WITH list: continue it. */
		sql->data[--sql->len] = '\0'; /* the newline */
		return buf_printf(sql, ",\n" EXCEEDANCES_ANSWER, sp->group, sp->group,
		                  sp->geometry);
	}
	if (q->format == AGG_CSV) {
		e = buf_puts(sql, "SELECT 'start,cell,count,participants_at_least");
		for (size_t i = 1; e == SM_OK && i < NSTATS; i++)
			if (q->stats & stats[i].bit)
				e = buf_printf(sql, ",%s", stats[i].name);
		if (e == SM_OK)
			e = buf_puts(
			    sql, "' || E'\\n' || coalesce((SELECT string_agg(concat_ws(',', "
			         "rfc3339(start), cell, n, participants_at_least(participants)");
		for (size_t i = 1; e == SM_OK && i < NSTATS; i++) {
			if (!(q->stats & stats[i].bit))
				continue;
			e = buf_puts(sql, ", coalesce(");
			if (e == SM_OK)
				e = stat_value(sql, stats[i].name);
			if (e == SM_OK)
				e = buf_puts(sql, "::text, '')");
		}
		if (e == SM_OK)
			e = buf_puts(sql, ") || E'\\n', '' ORDER BY start, cell) FROM items), '')"
			                  ", CASE WHEN $9::bigint + $10::integer < total THEN "
			                  "$15::text || ($9::bigint + $10::integer) END FROM meta");
		return e;
	}

	/* The statistics of one item, as JSON members. */
	struct buf members;
	buf_init(&members, 0);
	/* Participants as a coarse lower bound (sql/027): exact counts link trips. */
	e = buf_puts(&members,
	             "'count', n, 'participants_at_least', participants_at_least(participants)");
	for (size_t i = 1; e == SM_OK && i < NSTATS; i++) {
		if (!(q->stats & stats[i].bit))
			continue;
		e = buf_printf(&members, ", '%s', ", stats[i].name);
		if (e == SM_OK)
			e = stat_value(&members, stats[i].name);
	}
	/* Members of the answer itself: how far percentiles may be off. */
	struct buf head;
	buf_init(&head, 0);
	if (e == SM_OK)
		e = buf_puts(&head, "");
	if (e == SM_OK && wants_percentiles(q))
		e = percentile_error(q, column, &head);
	if (e == SM_OK && q->format == AGG_GEOJSON) {
		e = buf_printf(
		    sql,
		    "SELECT json_build_object('type', 'FeatureCollection', 'quantity', $13::text,"
		    " 'unit', $14::text, 'suppressed', suppressed, 'excluded', excluded%s,"
		    " 'next', CASE WHEN $9::bigint + $10::integer < total THEN $15::text ||"
		    " ($9::bigint + $10::integer) END, 'features', coalesce((SELECT"
		    " json_agg(json_build_object('type', 'Feature', 'geometry', geometry,"
		    " 'properties', json_build_object('start', rfc3339(start), 'cell', cell, %s))"
		    " ORDER BY start, cell) FROM items), '[]'))::text"
		    ", CASE WHEN $9::bigint + $10::integer < total THEN $15::text || ($9::bigint + "
		    "$10::integer) END FROM meta",
		    head.data, members.data);
	} else if (e == SM_OK) {
		e = buf_printf(
		    sql,
		    "SELECT json_build_object('quantity', $13::text, 'unit', $14::text,"
		    " 'from', rfc3339($1::timestamptz), 'to', rfc3339($2::timestamptz),"
		    " 'k_anonymity', $8::integer, 'suppressed', suppressed, 'excluded', excluded%s,"
		    " 'next', CASE WHEN $9::bigint + $10::integer < total THEN $15::text ||"
		    " ($9::bigint + $10::integer) END, 'items', coalesce((SELECT"
		    " json_agg(json_build_object('start', rfc3339(start), 'cell',"
		    " json_build_object('id', cell, 'geometry', geometry), %s)"
		    " ORDER BY start, cell) FROM items), '[]'))::text"
		    ", CASE WHEN $9::bigint + $10::integer < total THEN $15::text || ($9::bigint + "
		    "$10::integer) END FROM meta",
		    head.data, members.data);
	}
	buf_cleanup(&head);
	buf_cleanup(&members);
	return e;
}
