/* The spaces of /v1/aggregates as SQL: in which cell of a space a reading
 * at a position is counted, what the cell is called and how it is drawn.
 * One description for every family (aggregate.c, experience_aggregate.c):
 * a cell is the same cell, by id and geometry, whatever was measured in it.
 * Pure: fixed fragments over agg_sql's parameters ($4..$7 the bbox, $16 the
 * cell size in metres, $17 the area layer). */
#ifndef SAMENMETEN_AGG_SPACE_H
#define SAMENMETEN_AGG_SPACE_H

#include <stdbool.h>

#include "aggregate.h"
#include "buf.h"
#include "err.h"

/* A space's fragments of the query, over the rows `p` of a family's
 * readings (a WGS84 point p.position; for the places published one by one,
 * segment and station, also the family's p.place id and p.place_geom
 * GeoJSON), the rows r made of them (air's rollup rows hold the grid's gx
 * and gy as well), and the cells `page`. */
struct agg_space_sql {
	const char *columns;  /* extra columns of r over p, each + ", " */
	const char *join;     /* extra joins after p's tables, each from " " */
	const char *cell;     /* the cell id over r's columns */
	const char *group;    /* the extra grouping columns of r, each after ", " */
	const char *geometry; /* the cell as GeoJSON (json) over page's columns */
};

/* The fragments of `space` (static: never freed). */
const struct agg_space_sql *agg_space_sql(enum agg_space space);

/* Appends, for a grouping of r by its start and cell, the cell's id
 * (named cell, collated bytewise: pages are ordered by it) and the extra
 * grouping columns: "<id> COLLATE "C" AS cell, gx, gy". Errors as
 * buf_printf. */
MUST_CHECK sm_err agg_space_cell(enum agg_space space, struct buf *sql);

/* Appends the CTE boxed (with ",\n"): the rows of `from`, one per bucket
 * and cell, whose cell meets the bbox $4..$7 when `has_bbox`, every row
 * otherwise. A bbox takes whole cells, with all their readings, so two
 * boxes agree on every cell they share (cutting cells would publish their
 * differences, regions k never saw). Errors as buf_printf. */
MUST_CHECK sm_err agg_space_boxed(enum agg_space space, const char *from, bool has_bbox,
                                  struct buf *sql);

#endif
