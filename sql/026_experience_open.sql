-- Residents' experience (beleving) in open data: the 14 Leefplekmeter themes
-- as quantities of the catalogue (family `experience`), answered by
-- /v1/aggregates per area, grid cell or hexagon with k distinct residents
-- (server/experience_aggregate.c), and the open dataset of an experience
-- project as k-anonymous cells, the mechanism of the air cells
-- (025_air_cell_dataset.sql) at the pace of a survey:
--   1. a UTC month x a 250 m RD New square is published when at least k
--      distinct residents (the project's k_anonymity) handed in a sheet there;
--   2. the sheets of the month cells that are not published are counted again
--      in the month x the 1000 m square that holds them, under the same rule.
-- A sheet is in one published cell or in none. A cell shows a theme only when
-- at least k of its residents scored it: the number of scores, their mean and
-- how many were 1, 2, ... 7 (the scale of the Place Standard: 1 much room for
-- improvement, 7 little). The place a resident scores is often their home
-- street: sheets are never published one by one, and remarks never at all
-- (nothing here reads the remark column).

ALTER TABLE quantity DROP CONSTRAINT quantity_family_check;
ALTER TABLE quantity ADD CONSTRAINT quantity_family_check
    CHECK (family IN ('air', 'traffic', 'heat', 'experience'));

INSERT INTO quantity (name, family, source_column, unit, description)
SELECT t.name, 'experience', t.name, 'score 1..7',
       format('Leefplekmeter theme "%s" (%s): residents'' score from 1 (much room for'
              ' improvement) to 7 (little room for improvement)', replace(t.name, '_', ' '),
              t.name_nl)
FROM experience_theme t;

-- One UTC month of project `project`'s experience cells, k-anonymous under k,
-- in order (period start, cell size, cell, theme): each row a line for
-- server/dataset.c (the corners of the cell last, for GeoJSON only).
CREATE FUNCTION experience_cell_dataset_month(project bigint, month timestamptz, k integer)
RETURNS TABLE (period_start timestamptz, period_end timestamptz, line text)
LANGUAGE sql STABLE AS $$
    WITH sheet AS MATERIALIZED (
        SELECT row_number() OVER () AS id, s.scores, d.participant_pseudonym AS who,
               floor(ST_X(p.rd) / 250)::integer AS gx, floor(ST_Y(p.rd) / 250)::integer AS gy
        FROM experience_score s
        JOIN device d ON d.id = s.device_id
        CROSS JOIN LATERAL (SELECT ST_Transform(s.position, 28992) AS rd) p
        WHERE d.project_id = experience_cell_dataset_month.project
          AND s.observed_at >= month AND s.observed_at < month + interval '1 month'),
    month_cell AS (
        SELECT gx, gy, count(DISTINCT who) >= k AS shown FROM sheet GROUP BY gx, gy),
    -- Each sheet in the cell it is counted in: its month cell, or the
    -- remainder's 1000 m cell.
    placed AS (
        SELECT CASE WHEN m.shown THEN 250 ELSE 1000 END AS cell_m,
               CASE WHEN m.shown THEN s.gx ELSE floor(s.gx / 4.0)::integer END AS cx,
               CASE WHEN m.shown THEN s.gy ELSE floor(s.gy / 4.0)::integer END AS cy, s.*
        FROM sheet s JOIN month_cell m USING (gx, gy)),
    cell AS (
        SELECT cell_m, cx, cy, count(*) AS sheets, count(DISTINCT who) AS residents
        FROM placed GROUP BY cell_m, cx, cy),
    theme AS (
        SELECT p.cell_m, p.cx, p.cy, sc.position, count(DISTINCT p.who) AS residents,
               count(*) AS n, round(avg(sc.v), 3) AS mean,
               count(*) FILTER (WHERE sc.v = 1) AS s1, count(*) FILTER (WHERE sc.v = 2) AS s2,
               count(*) FILTER (WHERE sc.v = 3) AS s3, count(*) FILTER (WHERE sc.v = 4) AS s4,
               count(*) FILTER (WHERE sc.v = 5) AS s5, count(*) FILTER (WHERE sc.v = 6) AS s6,
               count(*) FILTER (WHERE sc.v = 7) AS s7
        FROM placed p
        CROSS JOIN LATERAL unnest(p.scores) WITH ORDINALITY AS sc (v, position)
        WHERE sc.v IS NOT NULL
        GROUP BY p.cell_m, p.cx, p.cy, sc.position)
    SELECT month, month + interval '1 month',
           concat(rfc3339(month), ',', rfc3339(month + interval '1 month'), ',', c.cell_m, ',',
                  format('rd%s-%s-%s', c.cell_m, c.cx * c.cell_m, c.cy * c.cell_m), ',',
                  round(ST_Y(g.centre)::numeric, 6), ',', round(ST_X(g.centre)::numeric, 6), ',',
                  c.sheets, ',', et.name, ',', t.n, ',', t.mean, ',', t.s1, ',', t.s2, ',', t.s3,
                  ',', t.s4, ',', t.s5, ',', t.s6, ',', t.s7, ',', g.corners, E'\n')
    FROM cell c
    JOIN theme t USING (cell_m, cx, cy)
    JOIN experience_theme et ON et.position = t.position
    CROSS JOIN LATERAL rd_cell_wgs84(c.cx, c.cy, c.cell_m) g
    WHERE c.residents >= k AND t.residents >= k
    ORDER BY c.cell_m, c.cx, c.cy, t.position
$$;

-- The cells of project `project` whose month overlaps [from_ts, to_ts), a
-- UTC month of lines per row, in time order; each month computed whole.
CREATE FUNCTION experience_cell_dataset_months(project bigint, from_ts timestamptz,
                                               to_ts timestamptz)
RETURNS TABLE (month timestamptz, lines text)
LANGUAGE sql STABLE AS $$
    WITH k AS MATERIALIZED (
        SELECT p.k_anonymity AS k FROM project p
        WHERE p.id = experience_cell_dataset_months.project),
    months AS MATERIALIZED (
        SELECT generate_series(date_trunc('month', b.lo, 'UTC'), b.hi, interval '1 month')
               AS month
        FROM (SELECT min(s.observed_at) AS lo, max(s.observed_at) AS hi
              FROM experience_score s JOIN device d ON d.id = s.device_id
              WHERE d.project_id = experience_cell_dataset_months.project
                AND s.observed_at >= date_trunc('month', from_ts, 'UTC')
                AND s.observed_at < to_ts) b
        WHERE b.lo IS NOT NULL)
    SELECT months.month, x.lines FROM months CROSS JOIN LATERAL (
        SELECT string_agg(c.line, '' ORDER BY c.ord) AS lines
        FROM experience_cell_dataset_month(experience_cell_dataset_months.project, months.month,
                                           (SELECT k FROM k))
             WITH ORDINALITY AS c (period_start, period_end, line, ord)
        WHERE c.period_end > from_ts AND c.period_start < to_ts) x
    WHERE x.lines IS NOT NULL
$$;
