-- Snuffelfiets batches are COPYed straight into air_reading (the fast path);
-- only a batch that holds readings stored before (a retry) goes through
-- air_staging and ON CONFLICT. Both paths build the same rows: the staging
-- table now carries the position as a geometry, like air_reading.

-- Extends trips from (device, start, end) segments the server computed from a
-- batch sorted by device and time. One writer per device at a time.
CREATE FUNCTION trips_extend(devices uuid[], starts timestamptz[], ends timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT DISTINCT unnest(devices) AS d ORDER BY 1) x;
    PERFORM trip_merge(d, s, e) FROM unnest(devices, starts, ends) AS t(d, s, e);
END $$;

CREATE OR REPLACE FUNCTION ingest_air_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    SELECT count(*), min(recorded_at), max(recorded_at) INTO total, lo, hi FROM air_staging;
    PERFORM ensure_month_partitions('air_reading', lo, hi);
    INSERT INTO air_reading SELECT * FROM air_staging ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;

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
