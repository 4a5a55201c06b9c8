-- The open air dataset as k-anonymous cells (issue #11). Point-level
-- readings reveal homes however their trip ends are hidden (clustering and
-- line attacks on trip ends found 12 of 12 homes within 100 m), so the open
-- dataset of an air project (GET /v1/datasets/{slug}) holds statistics of
-- cells of space and time instead; the points (017's air_dataset_hours) go
-- to GET /v1/datasets/{slug}/readings, for researchers.
--
-- The cells, per UTC day of a project's published readings (air_published,
-- through the rollups of 012/015, so trip-end zones stay out):
--   1. an hour x a 250 m RD New square (EPSG:28992) is published when at
--      least k distinct participants (the project's k_anonymity) have a valid
--      reading in it (one that no excluded quality flag marks);
--   2. the readings of the hour cells that are not published (the remainder)
--      are counted again in the day x the 1000 m square that holds them (four
--      by four 250 m squares), published under the same rule.
-- Every positioned published reading is in exactly one published row or in
-- none: a day cell holds only the remainder, never the readings of its
-- published hour cells, so no row can be subtracted from another to give a
-- suppressed cell. On the real fixture (10 bikes, 11-12 Nov 2024, k = 3) the
-- hour cells hold 90.6 % of the published readings, the day cells none more
-- (tests/e2e/test_datasets.py prints the share). Readings without a position
-- are in no cell.
--
-- A cell is always computed over its whole UTC day, whatever range a
-- download asks for: `from` and `to` choose the rows whose period overlaps
-- the range, so two downloads of different ranges never hold two versions of
-- one cell to subtract.
--
-- Per cell: its period, size and id (rd<size>-<x>-<y>, the lower-left corner
-- in RD metres, as /v1/aggregates names grid cells), its centre in WGS84, the
-- readings it holds (`readings`, of which `excluded` carry an excluded
-- flag), and per quantity the count, mean, minimum and maximum of the valid
-- readings, rounded as /v1/aggregates rounds them; a quantity's four are
-- empty when fewer than k participants measured it there. After the shown
-- columns, each line carries the cell's four corners in WGS84 (longitude,
-- latitude; counter-clockwise from the lower left), which only GeoJSON shows,
-- as the feature's polygon (server/dataset.c).
--
-- Participants are not published: an exact count is a channel that links
-- trips (DESIGN.md section 5). The place for a coarse lower bound, when
-- open_participants(n, k) exists, is marked PARTICIPANTS below and in
-- server/dataset.c's air cell layout.

-- A quantity's count, mean, minimum and maximum as four CSV fields, or four
-- empty ones when not `shown`; rounded as /v1/aggregates rounds them.
CREATE FUNCTION air_cell_stats(shown boolean, n numeric, s float8, lo real, hi real) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN shown AND n > 0 THEN concat(n, ',', round((s / n)::numeric, 3), ',',
                                             round(lo::numeric, 3), ',', round(hi::numeric, 3))
            ELSE ',,,' END;

-- The RD New square (cx, cy) of m metres in WGS84: its centre, and its four
-- corners as CSV fields (longitude, latitude; counter-clockwise from the
-- lower left), rounded to 6 decimals as /v1/aggregates' geometries.
CREATE FUNCTION rd_cell_wgs84(cx integer, cy integer, m integer)
RETURNS TABLE (centre geometry, corners text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint((cx + 0.5) * m, (cy + 0.5) * m), 28992), 4326),
           (SELECT string_agg(round(ST_X(q)::numeric, 6) || ',' || round(ST_Y(q)::numeric, 6),
                              ',' ORDER BY v.i)
            FROM (VALUES (1, cx, cy), (2, cx + 1, cy), (3, cx + 1, cy + 1), (4, cx, cy + 1))
                 AS v (i, x, y)
            CROSS JOIN LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(v.x * m, v.y * m), 28992),
                                            4326) AS q)
$$;

-- One UTC day of project `project`'s cells, k-anonymous under k, in order
-- (period start, cell size, cell): each row a line for server/dataset.c.
CREATE FUNCTION air_cell_dataset_day(project bigint, day timestamptz, k integer)
RETURNS TABLE (period_start timestamptz, period_end timestamptz, line text)
LANGUAGE sql STABLE AS $$
    WITH mask AS MATERIALIZED (
        SELECT coalesce(sum(1 << bit), 0)::integer AS m FROM quality_flag WHERE excluded),
    -- Per hour, 250 m cell and participant.
    w AS MATERIALIZED (
        SELECT date_bin('1 hour', ru.bucket, timestamptz '2000-01-01T00:00:00Z') AS hour,
               ru.gx, ru.gy, ru.who, sum(ru.readings) AS readings,
               coalesce(sum(ru.readings) FILTER (WHERE NOT v.ok), 0) AS flagged,
               bool_or(v.ok) AS valid,
               sum(ru.pm1_ugm3_n) FILTER (WHERE v.ok) AS pm1_n,
               sum(ru.pm1_ugm3_sum) FILTER (WHERE v.ok) AS pm1_s,
               min(ru.pm1_ugm3_min) FILTER (WHERE v.ok) AS pm1_lo,
               max(ru.pm1_ugm3_max) FILTER (WHERE v.ok) AS pm1_hi,
               sum(ru.pm25_ugm3_n) FILTER (WHERE v.ok) AS pm25_n,
               sum(ru.pm25_ugm3_sum) FILTER (WHERE v.ok) AS pm25_s,
               min(ru.pm25_ugm3_min) FILTER (WHERE v.ok) AS pm25_lo,
               max(ru.pm25_ugm3_max) FILTER (WHERE v.ok) AS pm25_hi,
               sum(ru.pm10_ugm3_n) FILTER (WHERE v.ok) AS pm10_n,
               sum(ru.pm10_ugm3_sum) FILTER (WHERE v.ok) AS pm10_s,
               min(ru.pm10_ugm3_min) FILTER (WHERE v.ok) AS pm10_lo,
               max(ru.pm10_ugm3_max) FILTER (WHERE v.ok) AS pm10_hi,
               sum(ru.no2_n) FILTER (WHERE v.ok) AS no2_n,
               sum(ru.no2_sum) FILTER (WHERE v.ok) AS no2_s,
               min(ru.no2_min) FILTER (WHERE v.ok) AS no2_lo,
               max(ru.no2_max) FILTER (WHERE v.ok) AS no2_hi,
               sum(ru.temperature_c_n) FILTER (WHERE v.ok) AS temp_n,
               sum(ru.temperature_c_sum) FILTER (WHERE v.ok) AS temp_s,
               min(ru.temperature_c_min) FILTER (WHERE v.ok) AS temp_lo,
               max(ru.temperature_c_max) FILTER (WHERE v.ok) AS temp_hi,
               sum(ru.humidity_pct_n) FILTER (WHERE v.ok) AS hum_n,
               sum(ru.humidity_pct_sum) FILTER (WHERE v.ok) AS hum_s,
               min(ru.humidity_pct_min) FILTER (WHERE v.ok) AS hum_lo,
               max(ru.humidity_pct_max) FILTER (WHERE v.ok) AS hum_hi
        FROM air_rollup_250 ru
        CROSS JOIN LATERAL (SELECT (ru.quality & (SELECT m FROM mask)) = 0 AS ok) v
        WHERE ru.day = air_cell_dataset_day.day AND ru.project_id = project
        GROUP BY 1, 2, 3, 4),
    -- Each participant's part in the cell it is counted in: its hour cell, if
    -- that is published, or else the remainder's day cell. (A window, not a
    -- join with the hour cells: w's row estimate is poor, and a join planned
    -- for one row was a nested loop over tens of thousands.)
    part AS (
        SELECT CASE WHEN x.shown THEN x.hour ELSE air_cell_dataset_day.day END AS start,
               CASE WHEN x.shown THEN 250 ELSE 1000 END AS cell_m,
               CASE WHEN x.shown THEN x.gx ELSE floor(x.gx / 4.0)::integer END AS cx,
               CASE WHEN x.shown THEN x.gy ELSE floor(x.gy / 4.0)::integer END AS cy,
               x.*
        FROM (SELECT w.*, count(*) FILTER (WHERE w.valid)
                              OVER (PARTITION BY w.hour, w.gx, w.gy) >= k AS shown
              FROM w) x),
    cell AS (
        SELECT start, cell_m, cx, cy, sum(readings) AS readings, sum(flagged) AS flagged,
               count(DISTINCT who) FILTER (WHERE valid) AS participants,
               count(DISTINCT who) FILTER (WHERE pm1_n > 0) AS pm1_p, sum(pm1_n) AS pm1_n,
               sum(pm1_s) AS pm1_s, min(pm1_lo) AS pm1_lo, max(pm1_hi) AS pm1_hi,
               count(DISTINCT who) FILTER (WHERE pm25_n > 0) AS pm25_p, sum(pm25_n) AS pm25_n,
               sum(pm25_s) AS pm25_s, min(pm25_lo) AS pm25_lo, max(pm25_hi) AS pm25_hi,
               count(DISTINCT who) FILTER (WHERE pm10_n > 0) AS pm10_p, sum(pm10_n) AS pm10_n,
               sum(pm10_s) AS pm10_s, min(pm10_lo) AS pm10_lo, max(pm10_hi) AS pm10_hi,
               count(DISTINCT who) FILTER (WHERE no2_n > 0) AS no2_p, sum(no2_n) AS no2_n,
               sum(no2_s) AS no2_s, min(no2_lo) AS no2_lo, max(no2_hi) AS no2_hi,
               count(DISTINCT who) FILTER (WHERE temp_n > 0) AS temp_p, sum(temp_n) AS temp_n,
               sum(temp_s) AS temp_s, min(temp_lo) AS temp_lo, max(temp_hi) AS temp_hi,
               count(DISTINCT who) FILTER (WHERE hum_n > 0) AS hum_p, sum(hum_n) AS hum_n,
               sum(hum_s) AS hum_s, min(hum_lo) AS hum_lo, max(hum_hi) AS hum_hi
        FROM part GROUP BY start, cell_m, cx, cy)
    SELECT c.start, c.start + CASE WHEN c.cell_m = 250 THEN interval '1 hour'
                                   ELSE interval '1 day' END,
           concat(rfc3339(c.start), ',',
                  rfc3339(c.start + CASE WHEN c.cell_m = 250 THEN interval '1 hour'
                                         ELSE interval '1 day' END),
                  ',', c.cell_m, ',', format('rd%s-%s-%s', c.cell_m, c.cx * c.cell_m,
                                             c.cy * c.cell_m),
                  ',', round(ST_Y(g.centre)::numeric, 6), ',', round(ST_X(g.centre)::numeric, 6),
                  ',', c.readings, ',', c.flagged,
                  -- PARTICIPANTS: open_participants(c.participants, k) goes here.
                  ',', air_cell_stats(c.pm1_p >= k, c.pm1_n, c.pm1_s, c.pm1_lo, c.pm1_hi),
                  ',', air_cell_stats(c.pm25_p >= k, c.pm25_n, c.pm25_s, c.pm25_lo, c.pm25_hi),
                  ',', air_cell_stats(c.pm10_p >= k, c.pm10_n, c.pm10_s, c.pm10_lo, c.pm10_hi),
                  ',', air_cell_stats(c.no2_p >= k, c.no2_n, c.no2_s, c.no2_lo, c.no2_hi),
                  ',', air_cell_stats(c.temp_p >= k, c.temp_n, c.temp_s, c.temp_lo, c.temp_hi),
                  ',', air_cell_stats(c.hum_p >= k, c.hum_n, c.hum_s, c.hum_lo, c.hum_hi),
                  ',', g.corners, E'\n')
    FROM cell c
    CROSS JOIN LATERAL rd_cell_wgs84(c.cx, c.cy, c.cell_m) g
    WHERE c.participants >= k
    ORDER BY c.start, c.cell_m, c.cx, c.cy
$$;

-- The cells of project `project` whose period overlaps [from_ts, to_ts), a
-- UTC day of lines per row, in time order. Each day is computed whole, from
-- the rollups, one day at a time (nothing holds more than a day).
CREATE FUNCTION air_cell_dataset_days(project bigint, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (day timestamptz, lines text)
LANGUAGE sql STABLE AS $$
    WITH k AS MATERIALIZED (
        SELECT p.k_anonymity AS k FROM project p WHERE p.id = air_cell_dataset_days.project),
    days AS MATERIALIZED (
        SELECT g.day
        FROM (SELECT greatest(min(t.started_at),
                              date_bin('1 day', from_ts, timestamptz '2000-01-01T00:00:00Z'))
                     AS lo,
                     least(max(t.ended_at), to_ts) AS hi
              FROM trip t JOIN device d ON d.id = t.device_id
              WHERE d.project_id = air_cell_dataset_days.project
                AND t.ended_at >= date_bin('1 day', from_ts, timestamptz '2000-01-01T00:00:00Z')
                AND t.started_at < to_ts) b,
             utc_days(b.lo, b.hi) g (day))
    SELECT days.day, x.lines FROM days CROSS JOIN LATERAL (
        SELECT string_agg(c.line, '' ORDER BY c.ord) AS lines
        FROM air_cell_dataset_day(air_cell_dataset_days.project, days.day, (SELECT k FROM k))
             WITH ORDINALITY AS c (period_start, period_end, line, ord)
        WHERE c.period_end > from_ts AND c.period_start < to_ts) x
    WHERE x.lines IS NOT NULL
$$;
