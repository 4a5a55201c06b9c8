#include "agg_space.h"

/* Square cells of the Dutch RD New grid (EPSG:28992), named by their
 * lower-left corner, from a reading's position. */
#define GRID_FROM_READINGS                                                                         \
	"floor(ST_X(ST_Transform(p.position, 28992)) / $16::integer)::integer AS gx, "             \
	"floor(ST_Y(ST_Transform(p.position, 28992)) / $16::integer)::integer AS gy, "
/* The RD New origin, where hexagons are laid from. */
#define RD_ORIGIN "ST_SetSRID(ST_MakePoint(0, 0), 28992)"

static const struct agg_space_sql spaces[] = {
    [AGG_ALL] = {"", "", "'all'::text", "", "NULL::json"},
    /* The rollups (sql/012_air_rollup.sql) hold the same gx and gy. */
    [AGG_GRID] = {GRID_FROM_READINGS, "",
                  "format('rd%s-%s-%s', $16::integer, gx * $16::integer, gy * $16::integer)",
                  ", gx, gy",
                  "ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(gx * $16::integer, gy * $16::integer,"
                  " (gx + 1) * $16::integer, (gy + 1) * $16::integer, 28992), 4326), 6)::json"},
    /* Flat-topped hexagons with edges of $16 m, in PostGIS's ST_HexagonGrid
     * layout, named by their column and row (sql/014_hexagons.sql). */
    [AGG_HEX] = {"hx.i AS gx, hx.j AS gy, ",
                 " CROSS JOIN LATERAL rd_hexagon(p.position, $16::integer) hx",
                 "format('hex%s-%s-%s', $16::integer, gx, gy)", ", gx, gy",
                 "ST_AsGeoJSON(ST_Transform(ST_Hexagon($16::integer, gx, gy, " RD_ORIGIN
                 "), 4326), 6)::json"},
    /* The areas of an uploaded layer, named by their code. */
    [AGG_AREA] = {"a.code AS acode, ",
                  " JOIN area a ON a.layer = $17::text AND ST_Intersects(a.geom, p.position)",
                  "acode", ", acode",
                  "(SELECT ST_AsGeoJSON(a.geom, 6)::json FROM area a WHERE a.layer = $17::text"
                  " AND a.code = page.cell)"},
    /* Places published one by one, as the family names them. */
    [AGG_SEGMENT] = {"p.place, p.place_geom, ", "", "place", ", place, place_geom",
                     "place_geom::json"},
    [AGG_STATION] = {"p.place, p.place_geom, ", "", "place", ", place, place_geom",
                     "place_geom::json"},
};

const struct agg_space_sql *agg_space_sql(enum agg_space space)
{
	return &spaces[space];
}

sm_err agg_space_cell(enum agg_space space, struct buf *sql)
{
	return buf_printf(sql, "%s COLLATE \"C\" AS cell%s", spaces[space].cell,
	                  spaces[space].group);
}

sm_err agg_space_boxed(enum agg_space space, const char *from, bool has_bbox, struct buf *sql)
{
	sm_err e = buf_printf(sql, " boxed AS (SELECT * FROM %s AS page", from);
	if (e == SM_OK && has_bbox)
		e = buf_printf(
		    sql,
		    " WHERE ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON((%s)::text), 4326),"
		    " ST_MakeEnvelope($4::float8, $5::float8, $6::float8, $7::float8,"
		    " 4326))",
		    spaces[space].geometry);
	if (e == SM_OK)
		e = buf_puts(sql, "),\n");
	return e;
}
