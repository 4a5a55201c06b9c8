-- Sustained national load: ingest rewrites only the rollup hours that can
-- have changed, and raw readings may be kept for a limited number of months
-- (rollups forever).
--
-- 1. Rollup hours. trips_extend (021) recomputed every rollup row of every
-- trip a batch touched, over the trip's whole time range: a bike uploading
-- a ride in pieces rewrote the ride so far with every piece (measured with
-- bench/bench_ingest.sh, batches of 30 readings in fleet order: 3.7 GB of
-- WAL per million readings, 12 x COPY's, two thirds of it rollups). A
-- reading's rollup rows change only when the reading is new or when its
-- publication changes (it enters or leaves a hidden zone of its trip); so
-- trips_extend now notes the trips the batch will absorb, with their zones,
-- before merging, and afterwards refreshes only the hours of the batch's
-- readings and those of stored readings whose zones say otherwise than
-- before. Where a
-- trip's zones did not move, no reading is tested against them. The rows it
-- writes are those air_rollup_refresh (012, or whoever redefines it) writes;
-- the hours it leaves alone would be rewritten with the same values.
--
-- 2. Retention. raw_retention holds, per raw table, the first instant still
-- kept: the refresher (server/retention.c) sets it, deletes what depends on
-- the readings before it, then detaches their month partitions concurrently
-- and drops them. Rollups stay: trips_extend recounts only hours that hold
-- readings (so never an hour whose readings are gone), and none before it
-- (a segment older than it, which uploads refuse, would be left out); a
-- trip that began before it keeps its start zone (its first reading is
-- gone). A later migration that recounts rollups from the readings must
-- start at raw_retention.kept_from, or it deletes the rollups of the
-- dropped hours of every trip that crosses it (012's air_rollup_refresh
-- deletes the hours it is given, readings or not).
CREATE TABLE raw_retention (
    parent     text PRIMARY KEY,
    kept_from  timestamptz NOT NULL
);
COMMENT ON TABLE raw_retention IS
    'per raw table, the start of the oldest month whose readings are kept (older months dropped)';

CREATE OR REPLACE FUNCTION trips_extend(devices uuid[], starts timestamptz[], ends timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    kept timestamptz := coalesce((SELECT kept_from FROM raw_retention
                                  WHERE parent = 'air_reading'), '-infinity');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT DISTINCT unnest(devices) AS d ORDER BY 1) x;
    -- The trips trip_merge will absorb (those within 30 minutes of a
    -- segment), as they are: the publication of their readings until now.
    CREATE TEMP TABLE IF NOT EXISTS trips_before (device_id uuid, started_at timestamptz,
        ended_at timestamptz, start_zone geometry, end_zone geometry) ON COMMIT DELETE ROWS;
    DELETE FROM trips_before;
    INSERT INTO trips_before
    SELECT DISTINCT t.device_id, t.started_at, t.ended_at, t.start_zone, t.end_zone
    FROM unnest(devices, starts, ends) AS u(d, s, e)
    JOIN trip t ON t.device_id = u.d AND t.ended_at > u.s - interval '30 minutes'
               AND t.started_at < u.e + interval '30 minutes';
    PERFORM trip_merge(d, s, e) FROM unnest(devices, starts, ends) AS t(d, s, e);
    PERFORM trip_zones_refresh(d, min(s), max(e))
    FROM unnest(devices, starts, ends) AS t(d, s, e) GROUP BY d;
    IF kept > '-infinity' THEN
        -- A trip that began before the kept readings keeps its start zone.
        UPDATE trip t SET start_zone = o.start_zone
        FROM trips_before o
        WHERE t.device_id = o.device_id AND t.started_at = o.started_at AND t.started_at < kept;
    END IF;
    -- The hours to recount, per device, in runs of consecutive hours: those
    -- of the batch's segments (a new reading may also fill a gap inside a
    -- stored trip), and those of stored readings whose publication changed.
    PERFORM air_rollup_refresh(c.device_id, min(c.hour), max(c.hour))
    FROM (SELECT h.device_id, h.hour,
                 h.hour - interval '1 hour' * row_number() OVER (PARTITION BY h.device_id
                                                                 ORDER BY h.hour) AS run
          FROM (SELECT u.d AS device_id, g.hour
                FROM unnest(devices, starts, ends) AS u(d, s, e)
                CROSS JOIN LATERAL generate_series(
                    date_trunc('hour', greatest(u.s, kept), 'UTC'),
                    date_trunc('hour', u.e, 'UTC'), interval '1 hour') AS g(hour)
                UNION
                SELECT r.device_id, date_trunc('hour', r.recorded_at, 'UTC')
                FROM (SELECT d, min(s) AS lo, max(e) AS hi
                      FROM unnest(devices, starts, ends) AS u(d, s, e) GROUP BY d) x
                JOIN trip t ON t.device_id = x.d AND t.ended_at >= x.lo AND t.started_at <= x.hi
                JOIN air_reading r ON r.device_id = t.device_id
                                  AND r.recorded_at >= greatest(t.started_at, kept)
                                  AND r.recorded_at <= t.ended_at
                LEFT JOIN trips_before o ON o.device_id = r.device_id
                                        AND r.recorded_at BETWEEN o.started_at AND o.ended_at
                WHERE CASE
                    WHEN o.device_id IS NULL THEN true -- in no trip before: new
                    WHEN r.position IS NULL THEN false -- published whatever the zones
                    WHEN o.start_zone IS NOT DISTINCT FROM t.start_zone
                         AND o.end_zone IS NOT DISTINCT FROM t.end_zone THEN false
                    ELSE (coalesce(ST_Intersects(r.position, o.start_zone), false)
                          OR coalesce(ST_Intersects(r.position, o.end_zone), false))
                         <> (coalesce(ST_Intersects(r.position, t.start_zone), false)
                             OR coalesce(ST_Intersects(r.position, t.end_zone), false))
                    END) h) c
    GROUP BY c.device_id, c.run;
END $$;

-- A batch with readings stored before (a retry) takes this path: its trips
-- now come from the readings it inserted only. Those sent again are in
-- their trips already, so a batch sent twice recounts nothing the second
-- time (021 recounted every hour it spanned); trips come out the same, as
-- a trip is the readings' merged intervals, whichever batch brought them.
CREATE OR REPLACE FUNCTION ingest_air_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
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
    CREATE TEMP TABLE IF NOT EXISTS air_inserted (device_id uuid, recorded_at timestamptz)
        ON COMMIT DELETE ROWS;
    DELETE FROM air_inserted;
    WITH ins AS (INSERT INTO air_reading SELECT * FROM air_staging ON CONFLICT DO NOTHING
                 RETURNING device_id, recorded_at)
    INSERT INTO air_inserted SELECT device_id, recorded_at FROM ins;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    SELECT array_agg(device_id) AS d, array_agg(s) AS s, array_agg(e) AS e INTO segs
    FROM (SELECT device_id, min(recorded_at) AS s, max(recorded_at) AS e
          FROM (SELECT device_id, recorded_at,
                       sum(gap) OVER (PARTITION BY device_id ORDER BY recorded_at) AS segment
                FROM (SELECT device_id, recorded_at,
                             CASE WHEN recorded_at - lag(recorded_at) OVER (PARTITION BY device_id
                                      ORDER BY recorded_at) >= interval '30 minutes'
                                  THEN 1 ELSE 0 END AS gap
                      FROM air_inserted) g) x
          GROUP BY device_id, segment) y;
    IF segs.d IS NOT NULL THEN
        PERFORM trips_extend(segs.d, segs.s, segs.e);
    END IF;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;

-- The month partitions of `parent` that lie wholly before `kept_from`, and
-- those of an earlier detach that did not finish (to be finalized), oldest
-- first.
CREATE FUNCTION raw_retention_partitions(parent text, kept_from timestamptz)
RETURNS TABLE (part text, pending boolean) LANGUAGE sql STABLE AS $$
    SELECT c.relname::text, i.inhdetachpending
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(parent)
      AND (i.inhdetachpending
           OR (pg_get_expr(c.relpartbound, c.oid) ~ '^FOR VALUES FROM'
               AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')
                   ::timestamptz <= kept_from))
    ORDER BY c.relname
$$;

-- Before the partitions go: notes the first instant kept (ingest refreshes
-- no rollup hour before it from then on), and deletes what holds copies of
-- the readings before it or points at them: the rendered dataset hours and
-- days of air readings (point-level lines) and the trips that ended before
-- it. Rollups, counted cells and catalogue figures stay.
CREATE FUNCTION raw_retention_begin(tbl text, kept timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO raw_retention (parent, kept_from) VALUES (tbl, kept)
    ON CONFLICT (parent) DO UPDATE SET kept_from = greatest(raw_retention.kept_from, kept);
    IF tbl = 'air_reading' THEN
        DELETE FROM air_dataset_hour WHERE hour < kept;
        DELETE FROM air_dataset_day WHERE day < kept;
        DELETE FROM trip WHERE ended_at < kept;
    END IF;
END $$;
