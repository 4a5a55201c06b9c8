-- What open data may show. Trip ends are hidden behind zones decided by a
-- keyed function; the catalogue of quantities and their health references
-- lives here, in data.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Each trip hides a zone around its first and its last positioned reading.
-- Against the circle attack (Hassan et al. 2018) the zone's radius varies
-- per trip end (1.5 to 2.5 times the project's trim_min_m) and its centre is
-- offset from the end point (up to 0.5 times trim_min_m, any bearing), both
-- from an HMAC of the trip end under a key the database never stores, so the
-- zone is the same on every request. The end point lies at least trim_min_m
-- inside its zone's edge.
ALTER TABLE trip
    ADD COLUMN start_zone geometry(Polygon, 4326),
    ADD COLUMN end_zone geometry(Polygon, 4326);

CREATE FUNCTION trip_zone(p geometry, seed text, key bytea, min_m integer) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p IS NULL OR min_m <= 0 THEN NULL ELSE
        ST_Transform(ST_Buffer(ST_Translate(ST_Transform(p, 28992),
            v * 0.5 * min_m * sin(2 * pi() * w),
            v * 0.5 * min_m * cos(2 * pi() * w)),
            min_m * (1.5 + u), 16), 4326) END
    FROM (SELECT (get_byte(h, 0) * 256 + get_byte(h, 1)) / 65535.0 AS u,
                 (get_byte(h, 2) * 256 + get_byte(h, 3)) / 65535.0 AS v,
                 (get_byte(h, 4) * 256 + get_byte(h, 5)) / 65536.0 AS w
          FROM (SELECT hmac(convert_to(seed, 'UTF8'), key, 'sha256') AS h) k) x
$$;

-- Recomputes the zones of device d's trips that touch [lo, hi].
CREATE FUNCTION trip_zones_refresh(d uuid, lo timestamptz, hi timestamptz, key bytea)
RETURNS void LANGUAGE sql AS $$
    UPDATE trip t SET
        start_zone = trip_zone(e.first_pos, d::text || '|start|' || extract(epoch FROM e.first_at),
                               key, e.min_m),
        end_zone = trip_zone(e.last_pos, d::text || '|end|' || extract(epoch FROM e.last_at),
                             key, e.min_m)
    FROM (SELECT t2.id, p.trim_min_m AS min_m, f.position AS first_pos, f.recorded_at AS first_at,
                 l.position AS last_pos, l.recorded_at AS last_at
          FROM trip t2
          JOIN device dv ON dv.id = t2.device_id
          JOIN project p ON p.id = dv.project_id
          LEFT JOIN LATERAL (SELECT position, recorded_at FROM air_reading r
                             WHERE r.device_id = t2.device_id AND r.position IS NOT NULL
                               AND r.recorded_at BETWEEN t2.started_at AND t2.ended_at
                             ORDER BY r.recorded_at LIMIT 1) f ON true
          LEFT JOIN LATERAL (SELECT position, recorded_at FROM air_reading r
                             WHERE r.device_id = t2.device_id AND r.position IS NOT NULL
                               AND r.recorded_at BETWEEN t2.started_at AND t2.ended_at
                             ORDER BY r.recorded_at DESC LIMIT 1) l ON true
          WHERE t2.device_id = d AND t2.ended_at >= lo AND t2.started_at <= hi) e
    WHERE t.id = e.id
$$;

-- Trips now come with their zones: both ingest paths pass the key.
DROP FUNCTION trips_extend(uuid[], timestamptz[], timestamptz[]);
CREATE FUNCTION trips_extend(devices uuid[], starts timestamptz[], ends timestamptz[], key bytea)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT DISTINCT unnest(devices) AS d ORDER BY 1) x;
    PERFORM trip_merge(d, s, e) FROM unnest(devices, starts, ends) AS t(d, s, e);
    PERFORM trip_zones_refresh(d, min(s), max(e), key)
    FROM unnest(devices, starts, ends) AS t(d, s, e) GROUP BY d;
END $$;

DROP FUNCTION ingest_air_apply();
CREATE FUNCTION ingest_air_apply(key bytea) RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
    segs record;
BEGIN
    SELECT count(*), min(recorded_at), max(recorded_at) INTO total, lo, hi FROM air_staging;
    PERFORM ensure_month_partitions('air_reading', lo, hi);
    INSERT INTO air_reading SELECT * FROM air_staging ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    SELECT array_agg(device_id) AS d, array_agg(s) AS s, array_agg(e) AS e INTO segs
    FROM (SELECT device_id, min(recorded_at) AS s, max(recorded_at) AS e
          FROM (SELECT device_id, recorded_at,
                       sum(gap) OVER (PARTITION BY device_id ORDER BY recorded_at) AS segment
                FROM (SELECT device_id, recorded_at,
                             CASE WHEN recorded_at - lag(recorded_at) OVER (PARTITION BY device_id
                                      ORDER BY recorded_at) >= interval '30 minutes'
                                  THEN 1 ELSE 0 END AS gap
                      FROM air_staging) g) x
          GROUP BY device_id, segment) y;
    IF segs.d IS NOT NULL THEN
        PERFORM trips_extend(segs.d, segs.s, segs.e, key);
    END IF;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;

-- Readings open data may show: not inside a zone of their trip.
CREATE VIEW air_published AS
SELECT r.*, t.id AS trip_id
FROM air_reading r
JOIN trip t ON t.device_id = r.device_id AND r.recorded_at BETWEEN t.started_at AND t.ended_at
WHERE r.position IS NULL
   OR NOT (coalesce(ST_Intersects(r.position, t.start_zone), false)
           OR coalesce(ST_Intersects(r.position, t.end_zone), false));

-- The quantity catalogue.
CREATE TABLE quantity (
    name         text PRIMARY KEY,
    family       text NOT NULL CHECK (family IN ('air', 'traffic', 'heat')),
    source_column text NOT NULL,
    unit         text NOT NULL,
    description  text NOT NULL
);
INSERT INTO quantity VALUES
 ('pm1', 'air', 'pm1_ugm3', 'ug/m3', 'Particulate matter up to 1 um (optical sensor)'),
 ('pm25', 'air', 'pm25_ugm3', 'ug/m3', 'Particulate matter up to 2.5 um (optical sensor)'),
 ('pm10', 'air', 'pm10_ugm3', 'ug/m3', 'Particulate matter up to 10 um (optical sensor)'),
 ('no2', 'air', 'no2', 'as sent', 'Nitrogen dioxide, as the sensor reports it'),
 ('temperature', 'air', 'temperature_c', 'degC', 'Air temperature at the bike'),
 ('humidity', 'air', 'humidity_pct', '%', 'Relative humidity at the bike'),
 ('car', 'traffic', 'car', 'vehicles per interval', 'Cars (Telraam), both directions'),
 ('bike', 'traffic', 'bike', 'bikes per interval', 'Cyclists (Telraam), both directions'),
 ('pedestrian', 'traffic', 'pedestrian', 'people per interval', 'Pedestrians (Telraam)'),
 ('heavy', 'traffic', 'heavy', 'vehicles per interval', 'Heavy vehicles (Telraam)'),
 ('v85', 'traffic', 'v85', 'km/h', 'Speed 85 % of cars stay under (Telraam)'),
 ('air_temperature', 'heat', 'temperature_c', 'degC', 'Air temperature at a heat-stress station'),
 ('wbgt', 'heat', 'wbgt_c', 'degC', 'Wet-bulb globe temperature (ISO 7243, or the BoM approximation)'),
 ('heat_index', 'heat', 'heat_index_c', 'degC', 'Heat index (NWS Rothfusz)'),
 ('humidex', 'heat', 'humidex', '', 'Humidex (Environment Canada)'),
 ('wet_bulb', 'heat', 'wet_bulb_c', 'degC', 'Wet-bulb temperature (Stull 2011)');

-- Health references: WHO 2021 air-quality guidelines, and the heat-stress
-- category bounds the server uses (server/heat.h).
CREATE TABLE reference_value (
    quantity    text NOT NULL REFERENCES quantity (name),
    name        text NOT NULL,
    averaging   text NOT NULL CHECK (averaging IN ('1h', '24h', 'annual', 'instant')),
    value       real NOT NULL,
    source      text NOT NULL,
    PRIMARY KEY (quantity, name)
);
INSERT INTO reference_value VALUES
 ('pm25', 'who2021-24h', '24h', 15, 'WHO global air quality guidelines 2021'),
 ('pm25', 'who2021-annual', 'annual', 5, 'WHO global air quality guidelines 2021'),
 ('pm10', 'who2021-24h', '24h', 45, 'WHO global air quality guidelines 2021'),
 ('pm10', 'who2021-annual', 'annual', 15, 'WHO global air quality guidelines 2021'),
 ('no2', 'who2021-24h', '24h', 25, 'WHO global air quality guidelines 2021'),
 ('no2', 'who2021-annual', 'annual', 10, 'WHO global air quality guidelines 2021'),
 ('heat_index', 'nws-caution', 'instant', 26.7, 'NWS heat index chart (80 degF)'),
 ('heat_index', 'nws-extreme-caution', 'instant', 32.2, 'NWS heat index chart (90 degF)'),
 ('heat_index', 'nws-danger', 'instant', 39.4, 'NWS heat index chart (103 degF)'),
 ('heat_index', 'nws-extreme-danger', 'instant', 51.7, 'NWS heat index chart (125 degF)'),
 ('humidex', 'eccc-some-discomfort', 'instant', 30, 'Environment Canada humidex bands'),
 ('humidex', 'eccc-great-discomfort', 'instant', 40, 'Environment Canada humidex bands'),
 ('humidex', 'eccc-dangerous', 'instant', 46, 'Environment Canada humidex bands'),
 ('wbgt', 'acsm-moderate', 'instant', 18, 'ACSM flag scale (Armstrong et al. 1996)'),
 ('wbgt', 'acsm-high', 'instant', 23, 'ACSM flag scale (Armstrong et al. 1996)'),
 ('wbgt', 'acsm-very-high', 'instant', 28, 'ACSM flag scale (Armstrong et al. 1996)'),
 ('wbgt', 'extreme', 'instant', 32, 'Project choice, near ACSM 2007 cancel level 32.3');
