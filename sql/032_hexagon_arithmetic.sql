-- rd_hexagon() (014) in one row of arithmetic. 014 chose between the two
-- candidate centres with a VALUES list, ORDER BY and LIMIT 1: a sort per
-- reading, about 6 us each, which made a week of hex:250 over 825,000
-- readings take 5 s (bench/bench_open.sh, 10 M readings). The same choice as
-- two CASEs: the nearer of the centres of column i0 and i0 + 1, each in the
-- row the point rounds to (014 says why no other centre can be nearer); on an
-- exact tie the left one, as before.
CREATE OR REPLACE FUNCTION rd_hexagon(p geometry, size float8) RETURNS TABLE (i integer, j integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN d0 <= d1 THEN i0 ELSE i0 + 1 END,
           CASE WHEN d0 <= d1 THEN j0 ELSE j1 END
    FROM (SELECT i0, j0, j1,
                 (x - 1.5 * size * i0) ^ 2 + (y - h * (j0 + (i0 & 1) * 0.5)) ^ 2 AS d0,
                 (x - 1.5 * size * (i0 + 1)) ^ 2 + (y - h * (j1 + ((i0 + 1) & 1) * 0.5)) ^ 2
                     AS d1
          FROM (SELECT x, y, h, i0,
                       round(y / h - (i0 & 1) * 0.5)::integer AS j0,
                       round(y / h - ((i0 + 1) & 1) * 0.5)::integer AS j1
                FROM (SELECT ST_X(q) AS x, ST_Y(q) AS y, sqrt(3) * size AS h,
                             floor(ST_X(q) / (1.5 * size))::integer AS i0
                      FROM ST_Transform(p, 28992) AS q) a) b) c
$$;
