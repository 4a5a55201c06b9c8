#include "experience_aggregate.h"

#include <stdbool.h>
#include <string.h>

#include "agg_space.h"
#include "experience.h"

/* The statistics of a theme's scores `v` (and their times `t`) besides the
 * count, named as agg_parse names them. */
static const struct {
	const char *name;
	unsigned bit;
	const char *sql;
} stats[] = {
    {"mean", AGG_MEAN, "avg(v)"},
    {"min", AGG_MIN, "min(v)"},
    {"max", AGG_MAX, "max(v)"},
    {"p50", AGG_P50, "percentile_cont(0.5) WITHIN GROUP (ORDER BY v)"},
    {"p90", AGG_P90, "percentile_cont(0.9) WITHIN GROUP (ORDER BY v)"},
    {"p98", AGG_P98, "percentile_cont(0.98) WITHIN GROUP (ORDER BY v)"},
    {"hours", AGG_HOURS, "count(DISTINCT date_trunc('hour', t))"},
};
#define NSTATS (sizeof(stats) / sizeof(stats[0]))

static bool is_theme(const char *theme)
{
	for (size_t i = 0; i < EXPERIENCE_THEMES; i++)
		if (strcmp(experience_theme(i), theme) == 0)
			return true;
	return false;
}

/* The start of each sheet's bucket, over its time p.observed_at. */
static sm_err bucket_start(const struct agg_query *q, struct buf *sql)
{
	switch (q->bucket) {
	case AGG_RANGE: return buf_puts(sql, "$1::timestamptz AS start, ");
	case AGG_15MIN:
		return buf_puts(sql, "date_bin('15 minutes', p.observed_at,"
		                     " timestamptz '2000-01-01T00:00:00Z') AS start, ");
	case AGG_HOUR: return buf_puts(sql, "date_trunc('hour', p.observed_at, $12) AS start, ");
	case AGG_DAY: return buf_puts(sql, "date_trunc('day', p.observed_at, $12) AS start, ");
	case AGG_WEEK: return buf_puts(sql, "date_trunc('week', p.observed_at, $12) AS start, ");
	case AGG_MONTH: return buf_puts(sql, "date_trunc('month', p.observed_at, $12) AS start, ");
	}
	return SM_ERR_INVALID;
}

/* A statistic's value for the answer: rounded, but for counts. */
static sm_err stat_value(struct buf *sql, const char *name)
{
	if (strcmp(name, "hours") == 0)
		return buf_puts(sql, name);
	return buf_printf(sql, "round(%s::numeric, 3)", name);
}

/* The answer's statistics of an item as JSON members, each after ", ". */
static sm_err json_members(const struct agg_query *q, struct buf *sql)
{
	sm_err e = SM_OK;
	for (size_t i = 0; e == SM_OK && i < NSTATS; i++) {
		if (!(q->stats & stats[i].bit))
			continue;
		e = buf_printf(sql, ", '%s', ", stats[i].name);
		if (e == SM_OK)
			e = stat_value(sql, stats[i].name);
	}
	return e;
}

#define NEXT_LINK                                                                                  \
	"CASE WHEN $9::bigint + $10::integer < total THEN $15::text || ($9::bigint + "             \
	"$10::integer)"                                                                            \
	" END"
#define DISTRIBUTION "json_build_array(s1, s2, s3, s4, s5, s6, s7)"

/* The answer over items and meta, in q->format. */
static sm_err answer(const struct agg_query *q, struct buf *sql)
{
	sm_err e;
	if (q->format == AGG_CSV) {
		e = buf_puts(sql, "SELECT 'start,cell,count");
		for (size_t i = 0; e == SM_OK && i < NSTATS; i++)
			if (q->stats & stats[i].bit)
				e = buf_printf(sql, ",%s", stats[i].name);
		if (e == SM_OK)
			e = buf_puts(sql,
			             ",score_1,score_2,score_3,score_4,score_5,score_6,score_7'"
			             " || E'\\n' || coalesce((SELECT string_agg(concat_ws(',',"
			             " rfc3339(start), cell, n");
		for (size_t i = 0; e == SM_OK && i < NSTATS; i++) {
			if (!(q->stats & stats[i].bit))
				continue;
			e = buf_puts(sql, ", coalesce(");
			if (e == SM_OK)
				e = stat_value(sql, stats[i].name);
			if (e == SM_OK)
				e = buf_puts(sql, "::text, '')");
		}
		if (e == SM_OK)
			e = buf_puts(sql,
			             ", s1, s2, s3, s4, s5, s6, s7) || E'\\n', '' ORDER BY start,"
			             " cell) FROM items), ''), " NEXT_LINK " FROM meta");
		return e;
	}
	struct buf members;
	buf_init(&members, 0);
	e = buf_puts(&members, "'count', n");
	if (e == SM_OK)
		e = json_members(q, &members);
	if (e == SM_OK)
		e = buf_puts(&members, ", 'distribution', " DISTRIBUTION);
	if (e == SM_OK && q->format == AGG_GEOJSON)
		e = buf_printf(
		    sql,
		    "SELECT json_build_object('type', 'FeatureCollection', 'quantity', $13::text,"
		    " 'unit', $14::text, 'k_anonymity', $8::integer, 'suppressed', suppressed,"
		    " 'excluded', excluded, 'next', " NEXT_LINK ", 'features', coalesce((SELECT"
		    " json_agg(json_build_object('type', 'Feature', 'geometry', geometry,"
		    " 'properties', json_build_object('start', rfc3339(start), 'cell', cell, %s))"
		    " ORDER BY start, cell) FROM items), '[]'))::text, " NEXT_LINK " FROM meta",
		    members.data);
	else if (e == SM_OK)
		e = buf_printf(
		    sql,
		    "SELECT json_build_object('quantity', $13::text, 'unit', $14::text,"
		    " 'from', rfc3339($1::timestamptz), 'to', rfc3339($2::timestamptz),"
		    " 'k_anonymity', $8::integer, 'suppressed', suppressed, 'excluded', excluded,"
		    " 'next', " NEXT_LINK ", 'items', coalesce((SELECT"
		    " json_agg(json_build_object('start', rfc3339(start), 'cell',"
		    " json_build_object('id', cell, 'geometry', geometry), %s)"
		    " ORDER BY start, cell) FROM items), '[]'))::text, " NEXT_LINK " FROM meta",
		    members.data);
	buf_cleanup(&members);
	return e;
}

sm_err experience_aggregate_sql(const struct agg_query *q, const char *theme, struct buf *sql)
{
	if (q->family != AGG_EXPERIENCE || q->space > AGG_AREA || q->answer != AGG_STATISTICS ||
	    !is_theme(theme))
		return SM_ERR_INVALID;
	/* Every parameter's type, declared once: agg_sql's, some unused here. */
	sm_err e = buf_puts(
	    sql, "WITH args AS (SELECT $1::timestamptz, $2::timestamptz, $3::text,"
	         " $4::float8, $5::float8, $6::float8, $7::float8, $8::integer, $9::bigint,"
	         " $10::integer, $11::boolean, $12::text, $13::text, $14::text, $15::text,"
	         " $16::integer, $17::text, $18::float8, $19::text),\n"
	         " r AS (SELECT ");
	if (e == SM_OK)
		e = bucket_start(q, sql);
	/* The sheets are the readings p of agg_space.c's fragments. The theme
	 * is a name from the fixed list (checked above). */
	const struct agg_space_sql *sp = agg_space_sql(q->space);
	if (e == SM_OK)
		e = buf_printf(
		    sql,
		    "%sp.observed_at AS t, p.scores[th.position]::integer AS v,"
		    " d.participant_pseudonym AS who\n"
		    " FROM experience_score p JOIN device d ON d.id = p.device_id"
		    " JOIN project pr ON pr.id = d.project_id AND pr.kind = 'experience'"
		    " JOIN experience_theme th ON th.name = '%s'%s\n"
		    " WHERE p.observed_at >= $1::timestamptz AND p.observed_at < $2::timestamptz"
		    " AND p.scores[th.position] IS NOT NULL AND ($3::text IS NULL OR pr.slug = "
		    "$3)),\n",
		    sp->columns, theme, sp->join);
	/* Per bucket and cell; residents are counted for k, not published.
	 * PARTICIPANTS: open_participants(participants, $8) would go into the
	 * answer's members. */
	if (e == SM_OK)
		e = buf_puts(sql, " c AS (SELECT start, ");
	if (e == SM_OK)
		e = agg_space_cell(q->space, sql);
	if (e == SM_OK)
		e = buf_puts(sql, ", count(*) AS n, count(DISTINCT who) AS participants");
	for (size_t i = 0; e == SM_OK && i < NSTATS; i++)
		if (q->stats & stats[i].bit)
			e = buf_printf(sql, ", %s AS %s", stats[i].sql, stats[i].name);
	for (int score = 1; e == SM_OK && score <= 7; score++)
		e = buf_printf(sql, ", count(*) FILTER (WHERE v = %d) AS s%d", score, score);
	if (e == SM_OK)
		e = buf_printf(sql, " FROM r GROUP BY start%s),\n", sp->group);
	/* bbox takes whole cells, as for every family. */
	if (e == SM_OK)
		e = agg_space_boxed(q->space, "c", q->has_bbox, sql);
	if (e == SM_OK)
		e = buf_printf(
		    sql,
		    " pub AS (SELECT * FROM boxed WHERE participants >= $8::integer),\n"
		    " page AS (SELECT * FROM pub ORDER BY start, cell OFFSET $9::bigint"
		    " LIMIT $10::integer),\n"
		    " items AS (SELECT *, %s AS geometry FROM page),\n"
		    " meta AS (SELECT (SELECT count(*) FROM pub) AS total,"
		    " (SELECT count(*) FROM boxed WHERE participants < $8::integer) AS suppressed,"
		    " 0 AS excluded)\n",
		    sp->geometry);
	if (e == SM_OK)
		e = answer(q, sql);
	return e;
}
