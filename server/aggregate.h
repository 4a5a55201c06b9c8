/* /v1/aggregates: the query (parsed and checked, pure) and the SQL that
 * answers it. User values only ever travel as $n parameters; the SQL text is
 * built from fixed fragments chosen by enums. */
#ifndef SAMENMETEN_AGGREGATE_H
#define SAMENMETEN_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "scalar.h"

/* AGG_RANGE is the whole from..to range as one bucket (not a query value). */
enum agg_bucket { AGG_15MIN, AGG_HOUR, AGG_DAY, AGG_WEEK, AGG_MONTH, AGG_RANGE };
/* How readings become cells of each space, named and drawn: agg_space.h. */
enum agg_space {
	AGG_ALL,
	AGG_GRID,    /* square RD New cells */
	AGG_HEX,     /* hexagons on RD New */
	AGG_AREA,    /* an uploaded area layer */
	AGG_SEGMENT, /* Telraam road segments, one by one (traffic) */
	AGG_STATION, /* heat-stress stations, one by one, at their public position */
};
/* Which readings: the quantity's family, from the catalogue. */
enum agg_family { AGG_AIR, AGG_TRAFFIC, AGG_HEAT, AGG_EXPERIENCE };
enum agg_format { AGG_JSON, AGG_GEOJSON, AGG_CSV };

enum agg_stat {
	AGG_COUNT = 1 << 0,
	AGG_MEAN = 1 << 1,
	AGG_MIN = 1 << 2,
	AGG_MAX = 1 << 3,
	AGG_P50 = 1 << 4,
	AGG_P90 = 1 << 5,
	AGG_P98 = 1 << 6,
	AGG_HOURS = 1 << 7, /* distinct hours with readings */
};

/* What the answer is: statistics per bucket and cell, or per cell the
 * number of buckets whose mean passes a reference value ($18, named $19). */
enum agg_answer { AGG_STATISTICS, AGG_EXCEEDANCES };

#define AGG_PAGE_DEFAULT 1000
#define AGG_PAGE_MAX 10000

struct agg_query {
	char quantity[33];
	usec_t from, to;
	enum agg_bucket bucket;
	bool amsterdam;         /* tz=Europe/Amsterdam: days and longer cut at local midnight */
	enum agg_family family; /* set by the caller from the catalogue */
	enum agg_space space;
	int cell_m;     /* AGG_GRID, AGG_HEX: 100, 250, 500 or 1000 (a hexagon's edge) */
	char layer[64]; /* AGG_AREA: an uploaded area layer */
	unsigned stats;
	char project[64]; /* "" for every project */
	bool has_bbox;
	double bbox[4]; /* min lon, min lat, max lon, max lat */
	bool all_quality;
	enum agg_format format;
	enum agg_answer answer;
	long long offset;
	int limit;
};

/* Reads the query parameters through get(ctx, name) (NULL when absent).
 * `accept` is the Accept header (may be NULL), used when there is no
 * format=. On SM_ERR_INVALID, `param` names the parameter at fault and
 * `why` says what is wrong. */
MUST_CHECK sm_err agg_parse(const char *(*get)(void *ctx, const char *name), void *ctx,
                            const char *accept, usec_t now, struct agg_query *q, char *param,
                            size_t paramlen, char *why, size_t whylen);

/* Whether q's from..to fits the longest range of q's bucket (agg_parse
 * checks it; a caller that changes the bucket checks again); if not, `why`
 * says so (the parameter at fault is "to"). */
bool agg_range_fits(const struct agg_query *q, char *why, size_t whylen);

/* Whether q's space suits its family (segments are traffic's, stations
 * heat's); if not, `why` says so. */
bool agg_space_fits(const struct agg_query *q, char *why, size_t whylen);

/* Whether the k-anonymity rule applies: not to segments and stations,
 * places their owners chose to publish one by one. */
bool agg_k_applies(const struct agg_query *q);

/* Whether q is answered from the rollups (sql/012_air_rollup.sql) rather
 * than from the readings: air, the whole region or grid cells, over whole
 * quarters of an hour. Both give the same answer, but for percentiles, which
 * come from the rollups' histograms (sql/030_air_histograms.sql) within the
 * bound the answer states (`percentile_error`). */
bool agg_uses_rollups(const struct agg_query *q);

/* Whether q may be answered from the cells with participants counted
 * (sql/016_air_cell_period.sql): UTC days of 100 or 250 m cells over whole
 * days, or hours of the whole region over whole hours; valid readings only,
 * statistics that add up (percentiles from the cells' histograms, sql/030),
 * a quantity (`column`) rather than coverage. The
 * query still reads the rollups while a day of its range waits for the
 * refresher. */
bool agg_uses_cell_periods(const struct agg_query *q, const char *column);

/* The SQL for q over the column `column` of its family's readings (which
 * the caller took from the quantity catalogue). Parameters, in order: $1 from, $2 to,
 * $3 project or NULL, $4..$7 bbox or NULL, $8 k, $9 offset, $10 limit,
 * $11 all quality (bool), $12 time zone, $13 quantity, $14 unit, $15 the
 * link of the next page up to "offset=", $16 the cell size in metres, $17
 * the area layer (or NULL), $18 a reference value and $19 its name (or
 * NULL; for AGG_EXCEEDANCES), $20 the publication key in hex (AGG_STATION;
 * else NULL). One
 * row of two text columns: the answer in q->format, and the link of the
 * next page (NULL on the last). Experience quantities are answered by
 * experience_aggregate.c. */
MUST_CHECK sm_err agg_sql(const struct agg_query *q, const char *column, struct buf *sql);

/* Content types of the formats. */
const char *agg_format_type(enum agg_format f);

#endif
