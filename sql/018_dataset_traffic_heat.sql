-- The open datasets of traffic (Telraam) and heat projects, as lines for
-- server/dataset.c (the line format of 017: CSV in the family's column
-- order, an id or key first, the time second), a UTC day per row in time
-- order. Their volumes are small (a report per segment and hour, an
-- observation per station every few minutes), so they are rendered live.
--
-- Traffic: counts per public road segment; the camera (the device) is not
-- named, and the segment is placed at the point of its line nearest its
-- centre, so that a CSV row can go on a map. Heat: each station by the key
-- of its publication pseudonym ("station|<device uuid>", named by the server
-- as /v1/heat/stations names it), at its public position (the centre of its
-- 100 m cell unless its owner consented to the exact one).

-- The names of the quality flags set in q, ';'-separated, or NULL. A call per
-- row is cheap at these volumes; the air dataset (017) names flags with a hash
-- join over every combination instead, because it renders millions of rows.
CREATE FUNCTION quality_flag_names(q integer) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(f.name, ';' ORDER BY f.bit) FROM quality_flag f WHERE q & (1 << f.bit) <> 0
$$;

-- A day's reports are found by time.
CREATE INDEX traffic_report_time ON traffic_report (period_start);

CREATE FUNCTION traffic_dataset_days(project bigint, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (day timestamptz, lines text)
LANGUAGE sql STABLE AS $$
    WITH segments AS MATERIALIZED (
        SELECT s.segment_id, round(ST_Y(p.pt)::numeric, 6) AS lat,
               round(ST_X(p.pt)::numeric, 6) AS lon
        FROM road_segment s
        CROSS JOIN LATERAL (SELECT ST_ClosestPoint(s.geom, ST_Centroid(s.geom)) AS pt) p
        WHERE s.project_id = traffic_dataset_days.project),
    days AS MATERIALIZED (
        SELECT g.day
        FROM (SELECT min(r.period_start) AS lo, max(r.period_start) AS hi
              FROM traffic_report r JOIN segments s USING (segment_id)
              WHERE r.period_start >= from_ts AND r.period_start < to_ts) b,
             utc_days(b.lo, b.hi) g (day))
    SELECT days.day, x.lines FROM days CROSS JOIN LATERAL (
        SELECT string_agg(concat(r.segment_id, ',',
                   to_char(r.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   ',', r.interval, ',', s.lat, ',', s.lon, ',', r.uptime,
                   ',', r.heavy, ',', r.heavy_lft, ',', r.heavy_rgt,
                   ',', r.car, ',', r.car_lft, ',', r.car_rgt,
                   ',', r.bike, ',', r.bike_lft, ',', r.bike_rgt,
                   ',', r.pedestrian, ',', r.pedestrian_lft, ',', r.pedestrian_rgt,
                   ',', r.direction, ',', r.v85, ',', r.quality, ',',
                   quality_flag_names(r.quality), E'\n'),
                   '' ORDER BY r.period_start, r.segment_id, r.interval) AS lines
        FROM traffic_report r JOIN segments s USING (segment_id)
        WHERE r.period_start >= greatest(days.day, from_ts)
          AND r.period_start < least(days.day + interval '1 day', to_ts)) x
    WHERE x.lines IS NOT NULL
$$;

CREATE FUNCTION heat_dataset_days(project bigint, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (day timestamptz, lines text)
LANGUAGE sql STABLE AS $$
    WITH stations AS MATERIALIZED (
        SELECT d.id, 'station|' || d.id::text AS key, NOT d.exact_position_consent AS blurred,
               round(ST_Y(p.pos)::numeric, 6) AS lat, round(ST_X(p.pos)::numeric, 6) AS lon
        FROM device d
        CROSS JOIN LATERAL (SELECT station_public_position(d.position, d.exact_position_consent)
                            AS pos) p
        WHERE d.project_id = heat_dataset_days.project),
    days AS MATERIALIZED (
        SELECT g.day
        FROM (SELECT min(h.observed_at) AS lo, max(h.observed_at) AS hi
              FROM heat_observation h JOIN stations s ON s.id = h.device_id
              WHERE h.observed_at >= from_ts AND h.observed_at < to_ts) b,
             utc_days(b.lo, b.hi) g (day))
    SELECT days.day, x.lines FROM days CROSS JOIN LATERAL (
        SELECT string_agg(concat(s.key, ',',
                   to_char(h.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   ',', s.lat, ',', s.lon, ',', s.blurred::text,
                   ',', h.temperature_c, ',', h.humidity_pct, ',', h.pressure_hpa,
                   ',', h.wind_speed_ms, ',', h.globe_temperature_c, ',', h.solar_radiation_wm2,
                   ',', h.rain_mm, ',', h.wet_bulb_c, ',', h.wbgt_c, ',', h.wbgt_method,
                   ',', h.wbgt_approximate::text, ',', h.wbgt_category, ',', h.heat_index_c,
                   ',', h.heat_index_category, ',', h.humidex, ',', h.humidex_category,
                   ',', h.quality, ',', quality_flag_names(h.quality), E'\n'),
                   '' ORDER BY h.observed_at, s.key) AS lines
        FROM heat_observation h JOIN stations s ON s.id = h.device_id
        WHERE h.observed_at >= greatest(days.day, from_ts)
          AND h.observed_at < least(days.day + interval '1 day', to_ts)) x
    WHERE x.lines IS NOT NULL
$$;
