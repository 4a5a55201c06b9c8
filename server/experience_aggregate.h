/* /v1/aggregates of experience quantities: residents' Leefplekmeter scores
 * (1..7) on one theme per bucket and cell (all, grid, hexagon or area), with
 * at least k distinct residents: count, mean (and the other statistics
 * asked for) and how many scores were 1 to 7. Sheets are read as they are
 * (no rollups: a project holds thousands of sheets, not millions); remarks
 * are never read. Participants are not counted in the answer. Pure: SQL
 * text from fixed fragments, user values as $n parameters. */
#ifndef SAMENMETEN_EXPERIENCE_AGGREGATE_H
#define SAMENMETEN_EXPERIENCE_AGGREGATE_H

#include "aggregate.h"
#include "buf.h"
#include "err.h"

/* The SQL for q (family AGG_EXPERIENCE; space all, grid, hex or area) over
 * the theme `theme` (the quantity's source column, one of the themes of
 * experience.h: the caller checked it), with agg_sql's parameters and
 * answer: one row of the answer in q->format and the next page's link. */
MUST_CHECK sm_err experience_aggregate_sql(const struct agg_query *q, const char *theme,
                                           struct buf *sql);

#endif
