-- Hexagons on the Dutch RD New grid (EPSG:28992) for /v1/aggregates
-- space=hex:<m>: flat-topped, edges of `size` metres, laid out from the RD
-- origin as PostGIS's ST_HexagonGrid and ST_Hexagon lay them (column i at
-- x = 1.5 size i; row j at y = sqrt(3) size j, odd columns half a row up),
-- so ST_Hexagon(size, i, j, origin) draws the cell a point falls in.
--
-- A point's hexagon is the one with the nearest centre. That centre lies in
-- one of the two columns around the point (a further column is at least
-- 1.5 size away, and every point is within `size` of its own centre), and
-- in each column the nearest centre is the row the point rounds to.
CREATE FUNCTION rd_hexagon(p geometry, size float8) RETURNS TABLE (i integer, j integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.i, c.j
    FROM (SELECT ST_X(q) AS x, ST_Y(q) AS y FROM ST_Transform(p, 28992) AS q) pt
    CROSS JOIN LATERAL (
        SELECT col AS i, round(pt.y / (sqrt(3) * size) - (col & 1) * 0.5)::integer AS j
        FROM (VALUES (floor(pt.x / (1.5 * size))::integer),
                     (floor(pt.x / (1.5 * size))::integer + 1)) AS cols (col)) c
    ORDER BY (pt.x - 1.5 * size * c.i) ^ 2
           + (pt.y - sqrt(3) * size * (c.j + (c.i & 1) * 0.5)) ^ 2
    LIMIT 1
$$;
