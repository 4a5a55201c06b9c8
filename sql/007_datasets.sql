-- The open dataset of an air project: published readings only (trip ends
-- hidden), with a publication pseudonym per trip instead of any device id, so
-- that one participant's trips cannot be linked to each other. The
-- pseudonym is an HMAC under the server's publication key, never stored.
CREATE FUNCTION dataset_air(slug text, from_ts timestamptz, to_ts timestamptz, key bytea)
RETURNS TABLE (trip text, recorded_at text, latitude numeric, longitude numeric,
               pm1_ugm3 real, pm25_ugm3 real, pm10_ugm3 real, no2 real, temperature_c real,
               humidity_pct real, pressure_pa real, quality integer, flags text)
LANGUAGE sql STABLE AS $$
    SELECT 'trip-' || left(encode(hmac(convert_to(t.device_id::text || '|' ||
                extract(epoch FROM t.started_at)::text, 'UTF8'), key, 'sha256'), 'hex'), 20),
           to_char(p.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           round(ST_Y(p.position)::numeric, 6), round(ST_X(p.position)::numeric, 6),
           p.pm1_ugm3, p.pm25_ugm3, p.pm10_ugm3, p.no2, p.temperature_c, p.humidity_pct,
           p.pressure_pa, p.quality,
           (SELECT string_agg(f.name, ';' ORDER BY f.bit) FROM quality_flag f
            WHERE p.quality & (1 << f.bit) <> 0)
    FROM air_published p
    JOIN trip t ON t.id = p.trip_id
    JOIN device d ON d.id = p.device_id
    JOIN project pr ON pr.id = d.project_id
    WHERE pr.slug = dataset_air.slug AND p.recorded_at >= from_ts AND p.recorded_at < to_ts
    ORDER BY p.recorded_at, 1
$$;
