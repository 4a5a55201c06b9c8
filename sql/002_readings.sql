-- Readings of every family, their natural keys, quality flags, trips and
-- road segments. Raw tables are partitioned by month; partitions are made on
-- demand by ensure_month_partitions() when a batch arrives.

-- Devices may carry a fixed position (heat stations), with the participant's
-- consent (or not) to publish it exactly, and the date the device came into
-- service (readings from before it are flagged).
ALTER TABLE device
    ADD COLUMN position geometry(Point, 4326),
    ADD COLUMN exact_position_consent boolean NOT NULL DEFAULT false,
    ADD COLUMN in_service_since timestamptz,
    ADD COLUMN auto_registered boolean NOT NULL DEFAULT false;

-- A per-project secret for LoRaWAN webhooks (The Things Stack), as a keyed hash.
ALTER TABLE project ADD COLUMN webhook_secret_hash bytea
    CHECK (webhook_secret_hash IS NULL OR length(webhook_secret_hash) = 32);

-- Quality flags: a bitmask stored beside the values (never instead of them).
-- The names live here, in data, so that API answers and documentation agree.
CREATE TABLE quality_flag (
    bit          integer PRIMARY KEY CHECK (bit BETWEEN 0 AND 30),
    name         text NOT NULL UNIQUE,
    description  text NOT NULL,
    excluded     boolean NOT NULL  -- left out of aggregates unless quality=all
);
INSERT INTO quality_flag VALUES
 (0, 'out_of_range', 'a value lies outside the physically possible range', true),
 (1, 'gps_missing', 'no position: no GPS fix (lat = lon = 0, or error bit 32)', false),
 (2, 'gps_jump', 'the implied speed from the previous reading is impossible for a bike', true),
 (3, 'device_error', 'the device reported a critical error bit (1, 4, 8, 16, 512, 1024, 4096)', true),
 (4, 'humidity_high', 'relative humidity above 85%: optical PM sensors over-read', true),
 (5, 'stuck_value', 'the same PM2.5 value 30 or more readings in a row', true),
 (6, 'time_future', 'recorded more than 5 minutes after it was received', true),
 (7, 'time_before_service', 'recorded before the device came into service', true),
 (8, 'uptime_low', 'Telraam uptime below 0.5', true),
 (9, 'pm_warming_up', 'particulate sensor not ready yet (error bit 2048)', true);

-- Monthly partitions of `parent` covering [from_ts, to_ts]. Concurrent
-- batches serialise on an advisory lock per partition name.
CREATE FUNCTION ensure_month_partitions(parent text, from_ts timestamptz, to_ts timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m timestamptz := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    part text;
BEGIN
    IF from_ts IS NULL THEN
        RETURN;
    END IF;
    WHILE m <= to_ts LOOP
        part := format('%s_%s', parent, to_char(m AT TIME ZONE 'UTC', 'YYYY_MM'));
        IF to_regclass(part) IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext(part));
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           part, parent, m, m + interval '1 month');
        END IF;
        m := m + interval '1 month';
    END LOOP;
END $$;

-- Snuffelfiets: mobile air quality. Converted values in SI-style units; the
-- values as the device sent them in `raw` (identifiers removed).
CREATE TABLE air_reading (
    device_id            uuid NOT NULL,
    recorded_at          timestamptz NOT NULL,
    received_at          timestamptz,
    position             geometry(Point, 4326),
    temperature_c        real,
    humidity_pct         real,
    pressure_pa          real,
    voltage_v            real,
    battery              real,
    pm1_ugm3             real,
    pm25_ugm3            real,
    pm10_ugm3            real,
    no2                  real,
    voc                  real,
    acc_max              real,
    horizontal_accuracy  real,
    vertical_accuracy    real,
    satellites           smallint,
    uptime_s             bigint,
    error_code           integer,
    firmware             text,
    quality              integer NOT NULL DEFAULT 0,
    raw                  jsonb,
    PRIMARY KEY (device_id, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX air_reading_time ON air_reading (recorded_at);

-- Trips: a device's readings without a gap of 30 minutes or more. Kept as
-- merged time intervals, so uploads may come in any order and size.
CREATE TABLE trip (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   uuid NOT NULL REFERENCES device (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL CHECK (ended_at >= started_at)
);
CREATE INDEX trip_device_time ON trip (device_id, started_at);

-- Merges [s, e] into the device's trips: every trip less than 30 minutes away
-- is absorbed into one.
CREATE FUNCTION trip_merge(d uuid, s timestamptz, e timestamptz) RETURNS void
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM trip
        WHERE device_id = d
          AND ended_at > s - interval '30 minutes'
          AND started_at < e + interval '30 minutes'
        RETURNING started_at, ended_at)
    INSERT INTO trip (device_id, started_at, ended_at)
    SELECT d, least(s, min(started_at)), greatest(e, max(ended_at)) FROM gone;
$$;

-- Public road segments (Telraam), as the Telraam API returns them.
CREATE TABLE road_segment (
    segment_id         bigint PRIMARY KEY,
    project_id         bigint NOT NULL REFERENCES project (id),
    geom               geometry(MultiLineString, 4326) NOT NULL,
    timezone           text,
    last_data_package  timestamptz,
    registered_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX road_segment_geom ON road_segment USING gist (geom);

-- Telraam reports: one per segment, interval kind and interval start.
CREATE TABLE traffic_report (
    segment_id        bigint NOT NULL,
    interval          text NOT NULL CHECK (interval IN ('hourly', 'quarterly')),
    period_start      timestamptz NOT NULL,
    device_id         uuid,
    uptime            real,
    heavy             real, heavy_lft real, heavy_rgt real,
    car               real, car_lft real, car_rgt real,
    bike              real, bike_lft real, bike_rgt real,
    pedestrian        real, pedestrian_lft real, pedestrian_rgt real,
    direction         smallint,
    timezone          text,
    v85               real,
    car_speed_hist_0to70plus   real[] CHECK (cardinality(car_speed_hist_0to70plus) IN (0, 8)),
    car_speed_hist_0to120plus  real[] CHECK (cardinality(car_speed_hist_0to120plus) IN (0, 25)),
    quality           integer NOT NULL DEFAULT 0,
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, interval, period_start)
) PARTITION BY RANGE (period_start);

-- Heat-stress stations, with the indices derived at ingest.
CREATE TABLE heat_observation (
    device_id            uuid NOT NULL,
    observed_at          timestamptz NOT NULL,
    temperature_c        real NOT NULL,
    humidity_pct         real NOT NULL,
    pressure_hpa         real,
    wind_speed_ms        real,
    wind_height_m        real,
    globe_temperature_c  real,
    globe_diameter_mm    real,
    natural_wet_bulb_c   real,
    solar_radiation_wm2  real,
    rain_mm              real,
    wet_bulb_c           real,
    wet_bulb_method      text,
    wbgt_c               real,
    wbgt_method          text,
    wbgt_approximate     boolean,
    wbgt_category        text,
    heat_index_c         real,
    heat_index_method    text,
    heat_index_category  text,
    humidex              real,
    humidex_category     text,
    quality              integer NOT NULL DEFAULT 0,
    received_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, observed_at)
) PARTITION BY RANGE (observed_at);

-- Residents' experience scores on the 14 Leefplekmeter (Place Standard) themes.
CREATE TABLE experience_theme (
    position  smallint PRIMARY KEY,
    name      text NOT NULL UNIQUE,
    name_nl   text NOT NULL
);
INSERT INTO experience_theme VALUES
 (1, 'moving_around', 'bewegen'),
 (2, 'public_transport', 'openbaar vervoer'),
 (3, 'traffic_and_parking', 'verkeer en parkeren'),
 (4, 'streets_and_spaces', 'straten en openbare ruimtes'),
 (5, 'natural_space', 'natuur en groen'),
 (6, 'play_and_recreation', 'spelen en recreatie'),
 (7, 'facilities_and_services', 'voorzieningen'),
 (8, 'work_and_economy', 'werk en werkgelegenheid'),
 (9, 'housing', 'wonen'),
 (10, 'social_contact', 'sociale contacten'),
 (11, 'identity_and_belonging', 'identiteit'),
 (12, 'feeling_safe', 'veiligheid'),
 (13, 'care_and_maintenance', 'schoon en netjes'),
 (14, 'influence_and_control', 'meedoen en meepraten');

CREATE TABLE experience_score (
    device_id    uuid NOT NULL,
    observed_at  timestamptz NOT NULL,
    position     geometry(Point, 4326) NOT NULL,
    scores       smallint[] NOT NULL CHECK (cardinality(scores) = 14),
    remark       text CHECK (length(remark) <= 1000),
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, observed_at)
) PARTITION BY RANGE (observed_at);
