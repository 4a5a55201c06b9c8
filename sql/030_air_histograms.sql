-- Percentiles from the rollups: every rollup row (air_rollup, per quarter
-- hour and cell; air_rollup_hourly) also holds, per air quantity, how many
-- of its values fell in each bin of a fixed histogram. Histograms add up over
-- any union of rows (counts per bin), so p50, p90 and p98 over any range and
-- rollup space come from the rollups, to within a stated error, instead of
-- sorting every reading (30 days of hours with percentiles took 1.9 s at 1 M
-- readings and 5 to 7 s at 10 M).
--
-- The bins of a quantity (air_histogram): one bin below `lo` (down to the
-- values' minimum), bins `width` wide from `lo`, then, when `relative` > 0,
-- from width / relative up, bins each (1 + relative) times the one before
-- (so each is at most `relative` times its values wide), up to `top`; one bin
-- above `top` (up to the values' maximum):
--
--   PM1, PM2.5, PM10 (ug/m3) and NO2 (as sent): 0.1 wide from 0 to 10, then
--     1 % up to 10,000 (797 bins): at the WHO 24 h guidelines, PM2.5 15 and
--     PM10 45 ug/m3, a bin is 0.15 and 0.45 wide.
--   temperature (degC): 0.1 wide from -50 to 70 (1,202 bins).
--   humidity (%): 0.5 wide from 0 to 100 (202 bins; 100 % itself lies in the
--     bin above, which reaches to the maximum: exact).
--
-- A percentile is computed as percentile_cont computes it over the readings
-- (between the order statistics floor and ceil of q (n - 1)), with each of
-- the two order statistics taken from its bin as though the bin's values were
-- spread evenly over it (the j-th of k at (j + 0.5) / k of the way), the bin
-- cut to the least and greatest value of the bucket and cell. Each order
-- statistic is then off by less than its bin's width, so the percentile is
-- off by less than width + relative x its value, when both order statistics
-- lie between lo and top (surely so when every reading does); in the outer
-- bins an order statistic is off by less than the distance from lo to the
-- least reading, or from top to the greatest. /v1/quantities states the bins
-- per quantity, and /v1/aggregates answers from them with width and relative
-- as `percentile_error`. The same rows give the same percentile, whatever
-- the order they are read in.
--
-- The counted cells (air_cell_period, sql/016) hold their merged histogram
-- too, recounted by the refresher with the rest of the cell.
--
-- Storage: a sparse int4[] per quantity and row, elements bin * 2^20 + count
-- (bins below 2,048), in ascending order; elements of the same bin add
-- up. Rows of the whole region hold one element per bin that holds values (a
-- count above 2^20 - 1, which an hour of one bike never reaches, takes more);
-- rows of grid cells, which hold a reading or two of a bike's quarter hour,
-- one element per reading (count 1: cheaper to build). NULL when the row has
-- no value of the quantity. The histogram
-- columns are not in the covering indexes (air_rollup's holds 32 columns,
-- PostgreSQL's most): a query with percentiles reads the heap rows.
CREATE TABLE air_histogram (
    source_column text PRIMARY KEY,
    lo            float8 NOT NULL,
    width         float8 NOT NULL CHECK (width > 0),
    relative      float8 NOT NULL CHECK (relative >= 0 AND relative < 1),
    top           float8 NOT NULL,
    -- Where the relative bins start (top when there are none).
    log_from      float8 NOT NULL GENERATED ALWAYS AS
        (CASE WHEN relative > 0 THEN width / relative ELSE top END) STORED,
    linear_bins   integer NOT NULL GENERATED ALWAYS AS
        (round(((CASE WHEN relative > 0 THEN width / relative ELSE top END) - lo) / width)) STORED,
    log_bins      integer NOT NULL GENERATED ALWAYS AS
        (CASE WHEN relative > 0 THEN ceil(ln(top * relative / width) / ln(1 + relative))::integer
              ELSE 0 END) STORED,
    CHECK (lo < top AND (relative = 0 OR (lo < width / relative AND width / relative < top))),
    -- Linear bins end where the relative ones start.
    CHECK (abs(((CASE WHEN relative > 0 THEN width / relative ELSE top END) - lo) / width
               - round(((CASE WHEN relative > 0 THEN width / relative ELSE top END) - lo)
                       / width)) < 1e-9),
    CHECK (linear_bins + log_bins + 2 <= 2048)
);
COMMENT ON TABLE air_histogram IS
    'bins of the rollups'' histograms per air quantity (sql/030_air_histograms.sql)';
INSERT INTO air_histogram (source_column, lo, width, relative, top) VALUES
    ('pm1_ugm3', 0, 0.1, 0.01, 10000),
    ('pm25_ugm3', 0, 0.1, 0.01, 10000),
    ('pm10_ugm3', 0, 0.1, 0.01, 10000),
    ('no2', 0, 0.1, 0.01, 10000),
    ('temperature_c', -50, 0.1, 0, 70),
    ('humidity_pct', 0, 0.5, 0, 100);

-- The bin of value v (NULL for NULL): 0 below lo, then the linear bins, the
-- relative ones, and the bin above top.
CREATE FUNCTION air_histogram_bin(v float8, h air_histogram) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN v IS NULL THEN NULL
    WHEN v < h.lo THEN 0
    WHEN v < h.log_from THEN
        1 + greatest(0, least(h.linear_bins - 1, floor((v - h.lo) / h.width)::integer))
    WHEN v < h.top THEN
        1 + h.linear_bins + greatest(0, least(h.log_bins - 1,
            floor(ln(v / h.log_from) / ln(1 + h.relative))::integer))
    ELSE 1 + h.linear_bins + h.log_bins END;

-- The lower edge of bin b: -infinity for bin 0, top for the bin above top,
-- infinity past it (the upper edge of bin b is the lower edge of b + 1).
CREATE FUNCTION air_histogram_edge(b integer, h air_histogram) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN b <= 0 THEN float8 '-infinity'
    WHEN b <= h.linear_bins THEN h.lo + (b - 1) * h.width
    WHEN b <= h.linear_bins + h.log_bins THEN
        least(h.top, h.log_from * power(1 + h.relative, b - 1 - h.linear_bins))
    WHEN b = h.linear_bins + h.log_bins + 1 THEN h.top
    ELSE float8 'infinity' END;

-- The i-th smallest value (from 0) of a merged histogram, from bin b, which
-- holds k values, the `below`-th smallest first, between vmin and vmax: the
-- bin cut to [vmin, vmax], its values spread evenly over it.
CREATE FUNCTION air_histogram_value(i float8, below float8, k float8, b integer, vmin float8,
                                    vmax float8, h air_histogram) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN greatest(air_histogram_edge(b, h), vmin)
       + (i - below + 0.5) / k
         * (least(air_histogram_edge(b + 1, h), vmax) - greatest(air_histogram_edge(b, h), vmin));

-- Rollup rows get their histograms; `day` stays air_rollup's last column but
-- these (the refresh below names its columns).
ALTER TABLE air_rollup
    ADD COLUMN pm1_ugm3_hist integer[], ADD COLUMN pm25_ugm3_hist integer[],
    ADD COLUMN pm10_ugm3_hist integer[], ADD COLUMN no2_hist integer[],
    ADD COLUMN temperature_c_hist integer[], ADD COLUMN humidity_pct_hist integer[];
ALTER TABLE air_rollup_hourly
    ADD COLUMN pm1_ugm3_hist integer[], ADD COLUMN pm25_ugm3_hist integer[],
    ADD COLUMN pm10_ugm3_hist integer[], ADD COLUMN no2_hist integer[],
    ADD COLUMN temperature_c_hist integer[], ADD COLUMN humidity_pct_hist integer[];

-- 012's refresh, with the histograms: the published readings once, binned,
-- then every level (hours of the whole region as cell_m -1) in one pass, into
-- both tables. It costs about 1.5 times 012's refresh in CPU (every device of
-- 200,000 synthetic readings: 5.5 s against 3.6 to 4.1 s).
--
-- Without JIT: the server's connections run without (server/db.c), but the
-- migrations' and psql's do not, and the planner's guess of the overflow
-- branch (generate_series, 1,000 rows a call) made PostgreSQL compile every
-- call (0.7 s each).
CREATE OR REPLACE FUNCTION air_rollup_refresh(d uuid, lo timestamptz, hi timestamptz)
RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    b0 timestamptz := date_trunc('hour', lo, 'UTC');
    b1 timestamptz := date_trunc('hour', hi, 'UTC') + interval '1 hour';
    proj bigint;
    participant bigint;
    h1 air_histogram;
    h25 air_histogram;
    h10 air_histogram;
    hno2 air_histogram;
    ht air_histogram;
    hh air_histogram;
BEGIN
    SELECT project_id, ('x' || encode(substring(participant_pseudonym FROM 1 FOR 8), 'hex'))
                       ::bit(64)::bigint
    INTO proj, participant FROM device WHERE id = d;
    SELECT * INTO h1 FROM air_histogram WHERE source_column = 'pm1_ugm3';
    SELECT * INTO h25 FROM air_histogram WHERE source_column = 'pm25_ugm3';
    SELECT * INTO h10 FROM air_histogram WHERE source_column = 'pm10_ugm3';
    SELECT * INTO hno2 FROM air_histogram WHERE source_column = 'no2';
    SELECT * INTO ht FROM air_histogram WHERE source_column = 'temperature_c';
    SELECT * INTO hh FROM air_histogram WHERE source_column = 'humidity_pct';
    DELETE FROM air_rollup WHERE device_id = d AND bucket >= b0 AND bucket < b1;
    DELETE FROM air_rollup_hourly WHERE device_id = d AND bucket >= b0 AND bucket < b1;
    -- (A table of its own: 012's rollup_source may live in this session.)
    CREATE TEMP TABLE IF NOT EXISTS rollup_binned (bucket timestamptz, quality integer,
        rd geometry, pm1_ugm3 float8, pm25_ugm3 float8, pm10_ugm3 float8, no2 float8,
        temperature_c float8, humidity_pct float8, pm1_bin integer, pm25_bin integer,
        pm10_bin integer, no2_bin integer, temperature_bin integer, humidity_bin integer)
        ON COMMIT DELETE ROWS;
    DELETE FROM rollup_binned;
    INSERT INTO rollup_binned
    SELECT date_bin('15 minutes', p.recorded_at, timestamptz '2000-01-01T00:00:00Z'),
           p.quality, ST_Transform(p.position, 28992), p.pm1_ugm3, p.pm25_ugm3, p.pm10_ugm3,
           p.no2, p.temperature_c, p.humidity_pct,
           air_histogram_bin(p.pm1_ugm3, h1), air_histogram_bin(p.pm25_ugm3, h25),
           air_histogram_bin(p.pm10_ugm3, h10), air_histogram_bin(p.no2, hno2),
           air_histogram_bin(p.temperature_c, ht), air_histogram_bin(p.humidity_pct, hh)
    FROM air_published p
    WHERE p.device_id = d AND p.recorded_at >= b0 AND p.recorded_at < b1;
    WITH cells AS MATERIALIZED (
        SELECT r.*, c.cell_m, c.gx, c.gy, c.b
        FROM rollup_binned r
        CROSS JOIN LATERAL (VALUES
            (-1::smallint, 0, 0, date_trunc('hour', r.bucket, 'UTC')),
            (0::smallint, 0, 0, r.bucket),
            (100::smallint, floor(ST_X(r.rd) / 100)::integer, floor(ST_Y(r.rd) / 100)::integer,
             r.bucket),
            (250::smallint, floor(ST_X(r.rd) / 250)::integer, floor(ST_Y(r.rd) / 250)::integer,
             r.bucket)) AS c (cell_m, gx, gy, b)
        WHERE c.cell_m <= 0 OR r.rd IS NOT NULL),
    sums AS (
        SELECT b, cell_m, gx, gy, quality, count(*) AS readings,
               count(pm1_ugm3) AS pm1_n, sum(pm1_ugm3) AS pm1_s, min(pm1_ugm3) AS pm1_lo,
               max(pm1_ugm3) AS pm1_hi,
               count(pm25_ugm3) AS pm25_n, sum(pm25_ugm3) AS pm25_s, min(pm25_ugm3) AS pm25_lo,
               max(pm25_ugm3) AS pm25_hi,
               count(pm10_ugm3) AS pm10_n, sum(pm10_ugm3) AS pm10_s, min(pm10_ugm3) AS pm10_lo,
               max(pm10_ugm3) AS pm10_hi,
               count(no2) AS no2_n, sum(no2) AS no2_s, min(no2) AS no2_lo, max(no2) AS no2_hi,
               count(temperature_c) AS t_n, sum(temperature_c) AS t_s,
               min(temperature_c) AS t_lo, max(temperature_c) AS t_hi,
               count(humidity_pct) AS h_n, sum(humidity_pct) AS h_s, min(humidity_pct) AS h_lo,
               max(humidity_pct) AS h_hi,
               -- Grid cells hold a reading or two of a bike's quarter hour:
               -- one element each, of count 1.
               array_agg(pm1_bin * 1048576 + 1 ORDER BY pm1_bin)
                   FILTER (WHERE cell_m > 0 AND pm1_bin IS NOT NULL) AS pm1_each,
               array_agg(pm25_bin * 1048576 + 1 ORDER BY pm25_bin)
                   FILTER (WHERE cell_m > 0 AND pm25_bin IS NOT NULL) AS pm25_each,
               array_agg(pm10_bin * 1048576 + 1 ORDER BY pm10_bin)
                   FILTER (WHERE cell_m > 0 AND pm10_bin IS NOT NULL) AS pm10_each,
               array_agg(no2_bin * 1048576 + 1 ORDER BY no2_bin)
                   FILTER (WHERE cell_m > 0 AND no2_bin IS NOT NULL) AS no2_each,
               array_agg(temperature_bin * 1048576 + 1 ORDER BY temperature_bin)
                   FILTER (WHERE cell_m > 0 AND temperature_bin IS NOT NULL) AS t_each,
               array_agg(humidity_bin * 1048576 + 1 ORDER BY humidity_bin)
                   FILTER (WHERE cell_m > 0 AND humidity_bin IS NOT NULL) AS h_each
        FROM cells GROUP BY b, cell_m, gx, gy, quality),
    -- The whole region, per quantity, the readings per bin, in one pass over
    -- the cells (a grouping set per quantity; GROUPING() tells which), then
    -- one element per bin, or more for counts of 2^20 and more.
    sets AS (
        SELECT b, cell_m, gx, gy, quality,
               GROUPING(pm1_bin, pm25_bin, pm10_bin, no2_bin, temperature_bin, humidity_bin)
                   AS g,
               coalesce(pm1_bin, pm25_bin, pm10_bin, no2_bin, temperature_bin, humidity_bin)
                   AS bin,
               count(*) AS k
        FROM cells WHERE cell_m <= 0
        GROUP BY b, cell_m, gx, gy, quality, GROUPING SETS ((pm1_bin), (pm25_bin), (pm10_bin),
                 (no2_bin), (temperature_bin), (humidity_bin))),
    bins AS (
        SELECT b, cell_m, gx, gy, quality, bin, k,
               CASE g WHEN 31 THEN 1 WHEN 47 THEN 2 WHEN 55 THEN 3 WHEN 59 THEN 4 WHEN 61 THEN 5
                      ELSE 6 END AS q
        FROM sets WHERE bin IS NOT NULL),
    elements AS (
        SELECT b, cell_m, gx, gy, quality, q, (bin * 1048576 + least(k, 1048575))::integer AS e
        FROM bins
        UNION ALL
        SELECT b, cell_m, gx, gy, quality, q,
               (bin * 1048576 + least(k - part * 1048575, 1048575))::integer
        FROM bins CROSS JOIN LATERAL generate_series(1, (k - 1) / 1048575) AS part
        WHERE k > 1048575),
    hists AS (
        SELECT b, cell_m, gx, gy, quality,
               array_agg(e ORDER BY e) FILTER (WHERE q = 1) AS pm1,
               array_agg(e ORDER BY e) FILTER (WHERE q = 2) AS pm25,
               array_agg(e ORDER BY e) FILTER (WHERE q = 3) AS pm10,
               array_agg(e ORDER BY e) FILTER (WHERE q = 4) AS no2,
               array_agg(e ORDER BY e) FILTER (WHERE q = 5) AS temperature,
               array_agg(e ORDER BY e) FILTER (WHERE q = 6) AS humidity
        FROM elements GROUP BY b, cell_m, gx, gy, quality),
    rows AS MATERIALIZED (
        SELECT s.*,
               CASE WHEN s.cell_m > 0 THEN s.pm1_each ELSE h.pm1 END AS pm1,
               CASE WHEN s.cell_m > 0 THEN s.pm25_each ELSE h.pm25 END AS pm25,
               CASE WHEN s.cell_m > 0 THEN s.pm10_each ELSE h.pm10 END AS pm10,
               CASE WHEN s.cell_m > 0 THEN s.no2_each ELSE h.no2 END AS no2,
               CASE WHEN s.cell_m > 0 THEN s.t_each ELSE h.temperature END AS temperature,
               CASE WHEN s.cell_m > 0 THEN s.h_each ELSE h.humidity END AS humidity
        FROM sums s LEFT JOIN hists h USING (b, cell_m, gx, gy, quality)),
    quarters AS (
        INSERT INTO air_rollup (bucket, cell_m, gx, gy, device_id, project_id, who, quality,
            readings, pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
            pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
            pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
            no2_n, no2_sum, no2_min, no2_max,
            temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
            humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max,
            pm1_ugm3_hist, pm25_ugm3_hist, pm10_ugm3_hist, no2_hist, temperature_c_hist,
            humidity_pct_hist)
        SELECT b, cell_m, gx, gy, d, proj, participant, quality, readings,
               pm1_n, pm1_s, pm1_lo, pm1_hi, pm25_n, pm25_s, pm25_lo, pm25_hi,
               pm10_n, pm10_s, pm10_lo, pm10_hi, no2_n, no2_s, no2_lo, no2_hi,
               t_n, t_s, t_lo, t_hi, h_n, h_s, h_lo, h_hi,
               pm1, pm25, pm10, no2, temperature, humidity
        FROM rows WHERE cell_m >= 0)
    INSERT INTO air_rollup_hourly (bucket, device_id, project_id, who, quality, readings,
        pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
        pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
        pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
        no2_n, no2_sum, no2_min, no2_max,
        temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
        humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max,
        pm1_ugm3_hist, pm25_ugm3_hist, pm10_ugm3_hist, no2_hist, temperature_c_hist,
        humidity_pct_hist)
    SELECT b, d, proj, participant, quality, readings,
           pm1_n, pm1_s, pm1_lo, pm1_hi, pm25_n, pm25_s, pm25_lo, pm25_hi,
           pm10_n, pm10_s, pm10_lo, pm10_hi, no2_n, no2_s, no2_lo, no2_hi,
           t_n, t_s, t_lo, t_hi, h_n, h_s, h_lo, h_hi,
           pm1, pm25, pm10, no2, temperature, humidity
    FROM rows WHERE cell_m = -1;
END $$;

-- The counted cells (sql/016) get the merged histogram of their readings
-- too: a day map or a month of hours with percentiles reads one row per cell
-- and period, as without.
ALTER TABLE air_cell_period ADD COLUMN hist integer[];

-- 017's recount of one day's cell periods, with their histograms: the bins'
-- counts of the valid readings of the rollup rows, summed per cell period.
CREATE OR REPLACE FUNCTION air_cell_period_recount(project bigint, day timestamptz)
RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    mask integer;
BEGIN
    SELECT coalesce(sum(1 << bit), 0)::integer INTO mask FROM quality_flag WHERE excluded;
    DELETE FROM air_cell_period
    WHERE quantity = ANY (ARRAY['pm1_ugm3', 'pm25_ugm3', 'pm10_ugm3', 'no2', 'temperature_c',
                                'humidity_pct'])
      AND cell_m IN (0, 100, 250) AND period_start >= day
      AND period_start < day + interval '1 day' AND project_id = project;
    WITH v AS MATERIALIZED (
        SELECT v.quantity, ru.cell_m, p.start, ru.gx, ru.gy, ru.who,
               (ru.quality & mask) = 0 AS ok, v.n, v.sum, v.min, v.max, v.hist
        FROM air_rollup ru
        CROSS JOIN LATERAL (VALUES
            ('pm1_ugm3', ru.pm1_ugm3_n, ru.pm1_ugm3_sum, ru.pm1_ugm3_min, ru.pm1_ugm3_max,
             ru.pm1_ugm3_hist),
            ('pm25_ugm3', ru.pm25_ugm3_n, ru.pm25_ugm3_sum, ru.pm25_ugm3_min, ru.pm25_ugm3_max,
             ru.pm25_ugm3_hist),
            ('pm10_ugm3', ru.pm10_ugm3_n, ru.pm10_ugm3_sum, ru.pm10_ugm3_min, ru.pm10_ugm3_max,
             ru.pm10_ugm3_hist),
            ('no2', ru.no2_n, ru.no2_sum, ru.no2_min, ru.no2_max, ru.no2_hist),
            ('temperature_c', ru.temperature_c_n, ru.temperature_c_sum, ru.temperature_c_min,
             ru.temperature_c_max, ru.temperature_c_hist),
            ('humidity_pct', ru.humidity_pct_n, ru.humidity_pct_sum, ru.humidity_pct_min,
             ru.humidity_pct_max, ru.humidity_pct_hist)) AS v (quantity, n, sum, min, max, hist)
        CROSS JOIN LATERAL (SELECT CASE WHEN ru.cell_m = 0 THEN date_bin('1 hour', ru.bucket,
                                timestamptz '2000-01-01T00:00:00Z') ELSE ru.day END) AS p (start)
        WHERE ru.day = air_cell_period_recount.day AND ru.project_id = project AND v.n > 0),
    cells AS (
        SELECT quantity, cell_m, start, gx, gy,
               coalesce(sum(n) FILTER (WHERE ok), 0) AS n,
               coalesce(sum(n) FILTER (WHERE NOT ok), 0) AS flagged,
               count(DISTINCT who) FILTER (WHERE ok) AS participants,
               sum(sum) FILTER (WHERE ok) AS sum, min(min) FILTER (WHERE ok) AS min,
               max(max) FILTER (WHERE ok) AS max
        FROM v GROUP BY quantity, cell_m, start, gx, gy),
    bins AS (
        SELECT quantity, cell_m, start, gx, gy, x >> 20 AS bin, sum(x & 1048575) AS k
        FROM v CROSS JOIN LATERAL unnest(v.hist) AS x
        WHERE ok
        GROUP BY quantity, cell_m, start, gx, gy, bin),
    elements AS (
        SELECT quantity, cell_m, start, gx, gy, (bin * 1048576 + least(k, 1048575))::integer AS e
        FROM bins
        UNION ALL
        SELECT quantity, cell_m, start, gx, gy,
               (bin * 1048576 + least(k - part * 1048575, 1048575))::integer
        FROM bins CROSS JOIN LATERAL generate_series(1, (k - 1) / 1048575) AS part
        WHERE k > 1048575),
    hists AS (
        SELECT quantity, cell_m, start, gx, gy, array_agg(e ORDER BY e) AS hist
        FROM elements GROUP BY quantity, cell_m, start, gx, gy)
    INSERT INTO air_cell_period (quantity, cell_m, period_start, gx, gy, project_id, n, flagged,
                                 participants, sum, min, max, hist)
    SELECT c.quantity, c.cell_m, c.start, c.gx, c.gy, project, c.n, c.flagged, c.participants,
           c.sum, c.min, c.max, h.hist
    FROM cells c LEFT JOIN hists h USING (quantity, cell_m, start, gx, gy);
END $$;

-- Every stored rollup row gets its histograms (and every day is noted for
-- the refresher, which recounts its cells with theirs).
SELECT air_rollup_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
