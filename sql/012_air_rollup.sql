-- Rollups of published air readings, kept current at ingest, so that long
-- ranges and the common spaces of /v1/aggregates read thousands of rows
-- instead of millions of readings.
--
-- One row per 15 minutes, place, device and quality mask. The place is the
-- whole region (cell_m 0, every published reading, positioned or not) or a
-- square RD New cell (EPSG:28992) of 100 or 250 m: 500 and 1000 m cells are
-- unions of 250 m ones. Per quantity, the count, sum, minimum and maximum of
-- its values, so means, extremes and counts add up over any union of rows;
-- `who` names the participant (64 bits of its pseudonym) so that distinct
-- participants can be counted over any union too. Percentiles cannot be
-- added up: they come from the readings.
--
-- The whole region is also kept per hour (air_rollup_hourly): hours and
-- longer buckets over whole hours read a quarter of the rows.
--
-- A device's rows over a time range are recomputed from air_published
-- whenever its trips there change (a trip's hidden end zones move as it
-- grows), and go with it on erasure: every row of the device in the hours
-- the trip touches is recomputed, whichever trip its readings belong to.
CREATE TABLE air_rollup (
    bucket        timestamptz NOT NULL,
    cell_m        smallint NOT NULL CHECK (cell_m IN (0, 100, 250)),
    gx            integer NOT NULL,  -- floor(x / cell_m); 0 for the whole region
    gy            integer NOT NULL,
    device_id     uuid NOT NULL,
    project_id    bigint NOT NULL,
    who           bigint NOT NULL,
    quality       integer NOT NULL,
    readings      integer NOT NULL,
    pm1_ugm3_n integer NOT NULL, pm1_ugm3_sum float8, pm1_ugm3_min real, pm1_ugm3_max real,
    pm25_ugm3_n integer NOT NULL, pm25_ugm3_sum float8, pm25_ugm3_min real, pm25_ugm3_max real,
    pm10_ugm3_n integer NOT NULL, pm10_ugm3_sum float8, pm10_ugm3_min real, pm10_ugm3_max real,
    no2_n integer NOT NULL, no2_sum float8, no2_min real, no2_max real,
    temperature_c_n integer NOT NULL, temperature_c_sum float8, temperature_c_min real,
        temperature_c_max real,
    humidity_pct_n integer NOT NULL, humidity_pct_sum float8, humidity_pct_min real,
        humidity_pct_max real
);
-- Queries read a level over a time range: this index holds every column
-- they read, so they scan its leaves in order (index-only) wherever the rows
-- lie in the heap. A device's refresh rewrites its rows, in ingest order,
-- which need not be time order (an upload of last month's rides).
CREATE INDEX air_rollup_place_time ON air_rollup (cell_m, bucket) INCLUDE (
    gx, gy, project_id, who, quality, readings,
    pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
    pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
    pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
    no2_n, no2_sum, no2_min, no2_max,
    temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
    humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max);
CREATE INDEX air_rollup_device_time ON air_rollup (device_id, bucket);

CREATE TABLE air_rollup_hourly (LIKE air_rollup);
ALTER TABLE air_rollup_hourly DROP COLUMN cell_m, DROP COLUMN gx, DROP COLUMN gy;
CREATE INDEX air_rollup_hourly_time ON air_rollup_hourly (bucket) INCLUDE (
    project_id, who, quality, readings,
    pm1_ugm3_n, pm1_ugm3_sum, pm1_ugm3_min, pm1_ugm3_max,
    pm25_ugm3_n, pm25_ugm3_sum, pm25_ugm3_min, pm25_ugm3_max,
    pm10_ugm3_n, pm10_ugm3_sum, pm10_ugm3_min, pm10_ugm3_max,
    no2_n, no2_sum, no2_min, no2_max,
    temperature_c_n, temperature_c_sum, temperature_c_min, temperature_c_max,
    humidity_pct_n, humidity_pct_sum, humidity_pct_min, humidity_pct_max);
CREATE INDEX air_rollup_hourly_device_time ON air_rollup_hourly (device_id, bucket);

-- Recomputes device d's rollup rows over the hours that hold [lo, hi].
CREATE FUNCTION air_rollup_refresh(d uuid, lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    b0 timestamptz := date_trunc('hour', lo, 'UTC');
    b1 timestamptz := date_trunc('hour', hi, 'UTC') + interval '1 hour';
    proj bigint;
    participant bigint;
BEGIN
    SELECT project_id, ('x' || encode(substring(participant_pseudonym FROM 1 FOR 8), 'hex'))
                       ::bit(64)::bigint
    INTO proj, participant FROM device WHERE id = d;
    DELETE FROM air_rollup WHERE device_id = d AND bucket >= b0 AND bucket < b1;
    DELETE FROM air_rollup_hourly WHERE device_id = d AND bucket >= b0 AND bucket < b1;
    -- The published readings once, for both tables.
    CREATE TEMP TABLE IF NOT EXISTS rollup_source (bucket timestamptz, quality integer,
        rd geometry, pm1_ugm3 float8, pm25_ugm3 float8, pm10_ugm3 float8, no2 float8,
        temperature_c float8, humidity_pct float8) ON COMMIT DELETE ROWS;
    DELETE FROM rollup_source;
    INSERT INTO rollup_source
    SELECT date_bin('15 minutes', p.recorded_at, timestamptz '2000-01-01T00:00:00Z'),
           p.quality, ST_Transform(p.position, 28992), p.pm1_ugm3, p.pm25_ugm3, p.pm10_ugm3,
           p.no2, p.temperature_c, p.humidity_pct
    FROM air_published p
    WHERE p.device_id = d AND p.recorded_at >= b0 AND p.recorded_at < b1;
    INSERT INTO air_rollup
    SELECT r.bucket, c.cell_m, c.gx, c.gy, d, proj, participant, r.quality, count(*),
           count(pm1_ugm3), sum(pm1_ugm3), min(pm1_ugm3), max(pm1_ugm3),
           count(pm25_ugm3), sum(pm25_ugm3), min(pm25_ugm3), max(pm25_ugm3),
           count(pm10_ugm3), sum(pm10_ugm3), min(pm10_ugm3), max(pm10_ugm3),
           count(no2), sum(no2), min(no2), max(no2),
           count(temperature_c), sum(temperature_c), min(temperature_c), max(temperature_c),
           count(humidity_pct), sum(humidity_pct), min(humidity_pct), max(humidity_pct)
    FROM rollup_source r
    CROSS JOIN LATERAL (VALUES (0::smallint, 0, 0),
        (100::smallint, floor(ST_X(r.rd) / 100)::integer, floor(ST_Y(r.rd) / 100)::integer),
        (250::smallint, floor(ST_X(r.rd) / 250)::integer, floor(ST_Y(r.rd) / 250)::integer))
        AS c (cell_m, gx, gy)
    WHERE c.cell_m = 0 OR r.rd IS NOT NULL
    GROUP BY r.bucket, c.cell_m, c.gx, c.gy, r.quality;
    INSERT INTO air_rollup_hourly
    SELECT date_trunc('hour', r.bucket, 'UTC'), d, proj, participant, r.quality, count(*),
           count(pm1_ugm3), sum(pm1_ugm3), min(pm1_ugm3), max(pm1_ugm3),
           count(pm25_ugm3), sum(pm25_ugm3), min(pm25_ugm3), max(pm25_ugm3),
           count(pm10_ugm3), sum(pm10_ugm3), min(pm10_ugm3), max(pm10_ugm3),
           count(no2), sum(no2), min(no2), max(no2),
           count(temperature_c), sum(temperature_c), min(temperature_c), max(temperature_c),
           count(humidity_pct), sum(humidity_pct), min(humidity_pct), max(humidity_pct)
    FROM rollup_source r
    GROUP BY 1, r.quality;
END $$;

-- Trips, their zones, and now their rollups: both ingest paths call this.
CREATE OR REPLACE FUNCTION trips_extend(devices uuid[], starts timestamptz[], ends timestamptz[],
                                        key bytea)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT DISTINCT unnest(devices) AS d ORDER BY 1) x;
    PERFORM trip_merge(d, s, e) FROM unnest(devices, starts, ends) AS t(d, s, e);
    PERFORM trip_zones_refresh(d, min(s), max(e), key)
    FROM unnest(devices, starts, ends) AS t(d, s, e) GROUP BY d;
    -- Every trip that touches the batch, whole: its zones may have moved.
    PERFORM air_rollup_refresh(x.d, min(t.started_at), max(t.ended_at))
    FROM (SELECT d, min(s) AS lo, max(e) AS hi
          FROM unnest(devices, starts, ends) AS u(d, s, e) GROUP BY d) x
    JOIN trip t ON t.device_id = x.d AND t.ended_at >= x.lo AND t.started_at <= x.hi
    GROUP BY x.d;
END $$;

-- Erasure takes the rollups with the readings.
CREATE OR REPLACE FUNCTION erase(project bigint, participant bytea, external bytea)
RETURNS TABLE (devices bigint, air bigint, traffic bigint, heat bigint, experience bigint)
LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT coalesce(array_agg(id), '{}') INTO ids FROM device
    WHERE project_id = project
      AND (participant_pseudonym = participant OR external_pseudonym = external);
    -- One eraser per device at a time, as ingest takes the same locks.
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT unnest(ids) AS d ORDER BY 1) x;
    devices := cardinality(ids);
    DELETE FROM air_reading WHERE device_id = ANY (ids);
    GET DIAGNOSTICS air = ROW_COUNT;
    DELETE FROM air_rollup WHERE device_id = ANY (ids);
    DELETE FROM air_rollup_hourly WHERE device_id = ANY (ids);
    DELETE FROM traffic_report WHERE device_id = ANY (ids);
    GET DIAGNOSTICS traffic = ROW_COUNT;
    DELETE FROM heat_observation WHERE device_id = ANY (ids);
    GET DIAGNOSTICS heat = ROW_COUNT;
    DELETE FROM experience_score WHERE device_id = ANY (ids);
    GET DIAGNOSTICS experience = ROW_COUNT;
    DELETE FROM device WHERE id = ANY (ids); -- and their trips, by cascade
    RETURN NEXT;
END $$;

-- Readings stored before this migration.
SELECT air_rollup_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
