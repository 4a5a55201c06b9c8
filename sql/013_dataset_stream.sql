-- The open air dataset, streamed: the same rows as 007's dataset_air(), in
-- the same order, but the first row comes out at once and each row costs
-- less. 007 sorted every row of the range before sending the first (minutes
-- at ten million readings), computed the trip pseudonym (an HMAC) and the flag
-- names (a subquery) per reading, and tested every positioned reading against
-- both zone polygons of its trip.
--
-- Here:
-- * Rows come day by day (UTC): each day's readings are sorted by (time,
--   trip) on their own, and days follow each other in time, so the whole
--   stream is in (time, trip) order as before while no sort holds more than
--   one day. The days are the rows of a materialised CTE, scanned in order by
--   the outer side of a nested loop: that loop is what keeps them in order.
-- * The trips of the project in the range are materialised once, with their
--   pseudonym (one HMAC per trip) and the bounding boxes of their zones.
-- * Within a day, each trip's readings come from the primary key
--   (device_id, recorded_at); OFFSET 0 keeps the planner from flattening that
--   lateral scan into a join over all readings of the day.
-- * The hiding rule is air_published's, to the letter: a reading is shown iff
--   it has no position or lies in neither zone of its trip. A point outside a
--   zone's bounding box cannot lie in the zone, so the exact ST_Intersects
--   runs only for points inside a box (near trip ends), on the zone read by
--   primary key; a trip without zones hides nothing, as before.
-- * Flag names come from a hash join with every combination of the flags
--   (quality_flag bits are numbered from 0 without gaps: 2^10 rows today),
--   keyed by the quality bits that have names.
-- The download transaction runs with jit off (compiling this plan costs
-- seconds and gains nothing) and a work_mem that holds one day's sort.
CREATE OR REPLACE FUNCTION dataset_air(slug text, from_ts timestamptz, to_ts timestamptz, key bytea)
RETURNS TABLE (trip text, recorded_at text, latitude numeric, longitude numeric,
               pm1_ugm3 real, pm25_ugm3 real, pm10_ugm3 real, no2 real, temperature_c real,
               humidity_pct real, pressure_pa real, quality integer, flags text)
LANGUAGE sql STABLE AS $$
    WITH trips AS MATERIALIZED (
        SELECT t.id, t.device_id, t.started_at, t.ended_at,
               'trip-' || left(encode(hmac(convert_to(t.device_id::text || '|' ||
                   extract(epoch FROM t.started_at)::text, 'UTF8'), key, 'sha256'), 'hex'), 20)
                   AS name,
               ST_XMin(t.start_zone) AS sx0, ST_XMax(t.start_zone) AS sx1,
               ST_YMin(t.start_zone) AS sy0, ST_YMax(t.start_zone) AS sy1,
               ST_XMin(t.end_zone) AS ex0, ST_XMax(t.end_zone) AS ex1,
               ST_YMin(t.end_zone) AS ey0, ST_YMax(t.end_zone) AS ey1
        FROM trip t
        JOIN device d ON d.id = t.device_id
        JOIN project pr ON pr.id = d.project_id
        WHERE pr.slug = dataset_air.slug AND t.ended_at >= from_ts AND t.started_at < to_ts),
    named_bits AS MATERIALIZED (
        SELECT (2 << max(bit)) - 1 AS mask FROM quality_flag),
    flag_names AS MATERIALIZED (
        SELECT q, (SELECT string_agg(f.name, ';' ORDER BY f.bit) FROM quality_flag f
                   WHERE q & (1 << f.bit) <> 0) AS names
        FROM named_bits, generate_series(0, named_bits.mask) q),
    days AS MATERIALIZED (
        SELECT day
        FROM (SELECT greatest(min(started_at), from_ts) AS lo, least(max(ended_at), to_ts) AS hi
              FROM trips) b,
             generate_series(date_trunc('day', b.lo, 'UTC'), b.hi, interval '1 day') day)
    SELECT x.* FROM days CROSS JOIN LATERAL (
        SELECT r.name,
               to_char(r.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               round(r.y::numeric, 6), round(r.x::numeric, 6),
               r.pm1_ugm3, r.pm25_ugm3, r.pm10_ugm3, r.no2, r.temperature_c, r.humidity_pct,
               r.pressure_pa, r.quality, fn.names
        FROM (SELECT t.id, t.name, t.sx0, t.sx1, t.sy0, t.sy1, t.ex0, t.ex1, t.ey0, t.ey1,
                     r.recorded_at, r.position, ST_X(r.position) AS x, ST_Y(r.position) AS y,
                     r.pm1_ugm3, r.pm25_ugm3, r.pm10_ugm3, r.no2, r.temperature_c,
                     r.humidity_pct, r.pressure_pa, r.quality
              FROM trips t
              CROSS JOIN LATERAL (
                  SELECT * FROM air_reading r
                  WHERE r.device_id = t.device_id
                    AND r.recorded_at >= greatest(t.started_at, days.day, from_ts)
                    AND r.recorded_at <= t.ended_at
                    AND r.recorded_at < least(days.day + interval '1 day', to_ts)
                  OFFSET 0) r
              WHERE t.ended_at >= days.day AND t.started_at < days.day + interval '1 day'
              OFFSET 0) r
        JOIN flag_names fn ON fn.q = r.quality & (SELECT mask FROM named_bits)
        WHERE r.position IS NULL
           OR NOT (coalesce(r.x BETWEEN r.sx0 AND r.sx1 AND r.y BETWEEN r.sy0 AND r.sy1
                            AND (SELECT ST_Intersects(r.position, z.start_zone) FROM trip z
                                 WHERE z.id = r.id), false)
                   OR coalesce(r.x BETWEEN r.ex0 AND r.ex1 AND r.y BETWEEN r.ey0 AND r.ey1
                               AND (SELECT ST_Intersects(r.position, z.end_zone) FROM trip z
                                    WHERE z.id = r.id), false))
        ORDER BY r.recorded_at, r.name) x
$$;
