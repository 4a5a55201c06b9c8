-- Rollups in the order the common aggregates group them, so that
-- /v1/aggregates streams them through two GroupAggregates (per participant,
-- then per cell) without sorting or hashing tens of thousands of rows.
--
-- A one-day grid:100 query reads one row per bike per cell it passed (about
-- 70,000 on a busy day of the benchmark): sorting them by cell and
-- participant, as count(DISTINCT who) needs, took most of its time.
--
-- * air_rollup gets `day` (the UTC day of its quarter hour) and is split per
--   cell size (LIST partitions), so that its covering index can lead with
--   (day, gx, gy, who) and still hold every column the queries read within
--   PostgreSQL's 32 columns per index: the partition stands for cell_m.
--   Day buckets (UTC) of a grid read it in group order; other buckets sort.
-- * air_rollup_hourly's index leads with (bucket, who): hourly buckets of
--   the whole region read it in group order.
-- The refresh (012) inserts by position: `day` is last and generated.

DROP INDEX air_rollup_place_time, air_rollup_device_time;
ALTER TABLE air_rollup RENAME TO air_rollup_012;

CREATE TABLE air_rollup (LIKE air_rollup_012 INCLUDING CONSTRAINTS) PARTITION BY LIST (cell_m);
ALTER TABLE air_rollup ADD COLUMN day timestamptz NOT NULL
    GENERATED ALWAYS AS (date_bin('1 day', bucket, timestamptz '2000-01-01T00:00:00Z')) STORED;
CREATE TABLE air_rollup_region PARTITION OF air_rollup FOR VALUES IN (0);
CREATE TABLE air_rollup_100 PARTITION OF air_rollup FOR VALUES IN (100);
CREATE TABLE air_rollup_250 PARTITION OF air_rollup FOR VALUES IN (250);

CREATE INDEX air_rollup_day_cell ON air_rollup (day, gx, gy, who) INCLUDE (
    bucket, project_id, quality, readings,
    pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
    pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
    pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
    no2_n, no2_sum, no2_min, no2_max,
    temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
    humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max);
CREATE INDEX air_rollup_device_time ON air_rollup (device_id, bucket);

INSERT INTO air_rollup SELECT * FROM air_rollup_012;
DROP TABLE air_rollup_012;

DROP INDEX air_rollup_hourly_time;
CREATE INDEX air_rollup_hourly_time ON air_rollup_hourly (bucket, who) INCLUDE (
    project_id, quality, readings,
    pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
    pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
    pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
    no2_n, no2_sum, no2_min, no2_max,
    temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
    humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max);
