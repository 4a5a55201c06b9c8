-- Ingest: each upload is COPYed into a session-local staging table, then one
-- apply function moves it into the partitioned table in the same
-- transaction. Rows already stored (same natural key) are skipped and
-- counted as duplicates, so re-sending a batch, or part of it, stores
-- nothing twice.

-- Snuffelfiets readings; also extends the devices' trips.
CREATE FUNCTION ingest_air_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    SELECT count(*), min(recorded_at), max(recorded_at) INTO total, lo, hi FROM air_staging;
    PERFORM ensure_month_partitions('air_reading', lo, hi);
    INSERT INTO air_reading (device_id, recorded_at, received_at, position, temperature_c,
        humidity_pct, pressure_pa, voltage_v, battery, pm1_ugm3, pm25_ugm3, pm10_ugm3, no2, voc,
        acc_max, horizontal_accuracy, vertical_accuracy, satellites, uptime_s, error_code,
        firmware, quality, raw)
    SELECT s.device_id, s.recorded_at, s.received_at,
           CASE WHEN s.lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
           s.temperature_c, s.humidity_pct, s.pressure_pa, s.voltage_v, s.battery, s.pm1_ugm3,
           s.pm25_ugm3, s.pm10_ugm3, s.no2, s.voc, s.acc_max, s.horizontal_accuracy,
           s.vertical_accuracy, s.satellites, s.uptime_s, s.error_code, s.firmware,
           s.quality | CASE WHEN s.recorded_at < d.in_service_since THEN 128 ELSE 0 END,
           s.raw
    FROM air_staging s JOIN device d ON d.id = s.device_id
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;

    -- One writer per device extends its trips at a time (locks taken in order).
    PERFORM pg_advisory_xact_lock(hashtextextended(x.device_id::text, 0))
    FROM (SELECT DISTINCT device_id FROM air_staging ORDER BY 1) x;
    PERFORM trip_merge(device_id, min(recorded_at), max(recorded_at))
    FROM (SELECT device_id, recorded_at,
                 sum(gap) OVER (PARTITION BY device_id ORDER BY recorded_at) AS segment
          FROM (SELECT device_id, recorded_at,
                       CASE WHEN recorded_at - lag(recorded_at) OVER (PARTITION BY device_id
                                ORDER BY recorded_at) >= interval '30 minutes'
                            THEN 1 ELSE 0 END AS gap
                FROM air_staging) g) s
    GROUP BY device_id, segment;

    RETURN QUERY SELECT inserted, total - inserted;
END $$;
