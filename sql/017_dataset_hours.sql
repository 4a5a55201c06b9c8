-- The open air dataset, rendered ahead. 013 streamed it at about 25 MB/s of
-- CSV, and half of that time went into formatting values; even unformatted,
-- finding and ordering the rows of ten million readings costs PostgreSQL
-- more than the 100 MB/s a researcher's download should reach. So each UTC
-- day's published rows are rendered once, hour by hour, into text
-- (air_dataset_hour), by the refresher that already recounts the changed
-- days of 016, in the same transaction; a download streams the stored hours
-- of the days that have not changed since, and renders the others live with
-- the same function. Both give the same bytes; tests compare them.
--
-- A line is one published reading as CSV, in the order of the dataset's
-- columns, except that the first field is the trip's key: its device and
-- start (`<device uuid>|<epoch>`), from which the server computes the trip's
-- publication pseudonym with a key the database never sees
-- (server/dataset.c). So nothing stored here can be joined with the open
-- data on ids, the stored lines hold nothing the trip table does not, and a
-- download no longer sends the publication key to the database at all.
--
-- The rules are 013's, to the letter: a reading is shown iff it has no
-- position or lies in neither hidden zone of its trip; flags are named by
-- quality_flag; coordinates are rounded to 6 decimals (about 0.1 m).
-- 013's dataset_air() is replaced and dropped.

-- Stored hours. Only hours with rows have one; air_dataset_day says which
-- days are complete. lz4: the text compresses about threefold, and a
-- download reads it back at several hundred MB/s (pglz is slower to read).
CREATE TABLE air_dataset_hour (
    project_id  bigint NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    hour        timestamptz NOT NULL,
    readings    integer NOT NULL,
    lines       text COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (project_id, hour)
);
CREATE TABLE air_dataset_day (
    project_id  bigint NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    day         timestamptz NOT NULL,  -- a UTC midnight
    PRIMARY KEY (project_id, day)
);

-- The UTC midnights of the days that [lo, hi] touches, in order; none when
-- lo is NULL (nothing in range). Datasets stream a day at a time.
CREATE FUNCTION utc_days(lo timestamptz, hi timestamptz) RETURNS SETOF timestamptz
LANGUAGE sql STABLE AS $$
    SELECT generate_series(date_bin('1 day', lo, timestamptz '2000-01-01T00:00:00Z'), hi,
                           interval '1 day')
$$;

-- The lines of project `project` in [from_ts, to_ts), unordered, with the
-- hour each belongs to and its time (callers order by it; readings at the
-- same time are put in pseudonym order by the server).
CREATE FUNCTION air_dataset_lines(project bigint, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (hour timestamptz, recorded_at timestamptz, line text)
LANGUAGE sql STABLE AS $$
    WITH trips AS MATERIALIZED (
        SELECT t.id, t.device_id, t.started_at, t.ended_at,
               t.device_id::text || '|' || extract(epoch FROM t.started_at)::text AS key,
               ST_XMin(t.start_zone) AS sx0, ST_XMax(t.start_zone) AS sx1,
               ST_YMin(t.start_zone) AS sy0, ST_YMax(t.start_zone) AS sy1,
               ST_XMin(t.end_zone) AS ex0, ST_XMax(t.end_zone) AS ex1,
               ST_YMin(t.end_zone) AS ey0, ST_YMax(t.end_zone) AS ey1
        FROM trip t
        JOIN device d ON d.id = t.device_id
        WHERE d.project_id = air_dataset_lines.project
          AND t.ended_at >= from_ts AND t.started_at < to_ts),
    named_bits AS MATERIALIZED (
        SELECT (2 << max(bit)) - 1 AS mask FROM quality_flag),
    flag_names AS MATERIALIZED (
        SELECT q, (SELECT string_agg(f.name, ';' ORDER BY f.bit) FROM quality_flag f
                   WHERE q & (1 << f.bit) <> 0) AS names
        FROM named_bits, generate_series(0, named_bits.mask) q)
    SELECT date_bin('1 hour', r.recorded_at, timestamptz '2000-01-01T00:00:00Z'), r.recorded_at,
           concat(r.key, ',', to_char(r.recorded_at AT TIME ZONE 'UTC',
                                      'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  ',', round(r.y::numeric, 6), ',', round(r.x::numeric, 6),
                  ',', r.pm1_ugm3, ',', r.pm25_ugm3, ',', r.pm10_ugm3, ',', r.no2,
                  ',', r.temperature_c, ',', r.humidity_pct, ',', r.pressure_pa,
                  ',', r.quality, ',', fn.names, E'\n')
    FROM (SELECT t.id, t.key, t.sx0, t.sx1, t.sy0, t.sy1, t.ex0, t.ex1, t.ey0, t.ey1,
                 r.recorded_at, r.position, ST_X(r.position) AS x, ST_Y(r.position) AS y,
                 r.pm1_ugm3, r.pm25_ugm3, r.pm10_ugm3, r.no2, r.temperature_c,
                 r.humidity_pct, r.pressure_pa, r.quality
          FROM trips t
          CROSS JOIN LATERAL (
              SELECT * FROM air_reading r
              WHERE r.device_id = t.device_id
                AND r.recorded_at >= greatest(t.started_at, from_ts)
                AND r.recorded_at <= t.ended_at AND r.recorded_at < to_ts
              OFFSET 0) r
          OFFSET 0) r
    JOIN flag_names fn ON fn.q = r.quality & (SELECT mask FROM named_bits)
    WHERE r.position IS NULL
       OR NOT (coalesce(r.x BETWEEN r.sx0 AND r.sx1 AND r.y BETWEEN r.sy0 AND r.sy1
                        AND (SELECT ST_Intersects(r.position, z.start_zone) FROM trip z
                             WHERE z.id = r.id), false)
               OR coalesce(r.x BETWEEN r.ex0 AND r.ex1 AND r.y BETWEEN r.ey0 AND r.ey1
                           AND (SELECT ST_Intersects(r.position, z.end_zone) FROM trip z
                                WHERE z.id = r.id), false))
$$;

-- The dataset of project `project` in [from_ts, to_ts), an hour per row, in
-- time order: a day wholly inside the range, rendered and not changed since,
-- comes from air_dataset_hour; any other day is rendered here, one day at a
-- time (no sort ever holds more than a day). The days are the rows of a
-- materialised CTE scanned in order by the outer side of a nested loop, and
-- `stored` is a one-time filter of each branch, so a day runs one branch.
CREATE FUNCTION air_dataset_hours(project bigint, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (hour timestamptz, lines text)
LANGUAGE sql STABLE AS $$
    WITH days AS MATERIALIZED (
        SELECT g.day, greatest(g.day, from_ts) AS lo,
               least(g.day + interval '1 day', to_ts) AS hi,
               g.day >= from_ts AND g.day + interval '1 day' <= to_ts
               AND EXISTS (SELECT 1 FROM air_dataset_day s
                           WHERE s.project_id = air_dataset_hours.project AND s.day = g.day)
               AND NOT EXISTS (SELECT 1 FROM air_day_change c
                               WHERE c.project_id = air_dataset_hours.project
                                 AND c.day = g.day) AS stored
        FROM (SELECT greatest(min(t.started_at), from_ts) AS lo,
                     least(max(t.ended_at), to_ts) AS hi
              FROM trip t JOIN device d ON d.id = t.device_id
              WHERE d.project_id = air_dataset_hours.project
                AND t.ended_at >= from_ts AND t.started_at < to_ts) b,
             utc_days(b.lo, b.hi) g (day))
    SELECT h.hour, h.lines FROM days CROSS JOIN LATERAL (
        SELECT c.hour, c.lines FROM air_dataset_hour c
        WHERE days.stored AND c.project_id = air_dataset_hours.project
          AND c.hour >= days.day AND c.hour < days.day + interval '1 day'
        UNION ALL
        SELECT l.hour, string_agg(l.line, '' ORDER BY l.recorded_at)
        FROM air_dataset_lines(air_dataset_hours.project, days.lo, days.hi) l
        WHERE NOT days.stored
        GROUP BY l.hour
        ORDER BY 1) h
$$;

-- Renders one UTC day of a project into air_dataset_hour, replacing what was
-- there, and marks the day complete.
CREATE FUNCTION air_dataset_render(project bigint, day timestamptz) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM air_dataset_hour
    WHERE project_id = project AND hour >= day AND hour < day + interval '1 day';
    INSERT INTO air_dataset_hour (project_id, hour, readings, lines)
    SELECT project, l.hour, count(*), string_agg(l.line, '' ORDER BY l.recorded_at)
    FROM air_dataset_lines(project, day, day + interval '1 day') l
    GROUP BY l.hour;
    INSERT INTO air_dataset_day (project_id, day) VALUES (project, day) ON CONFLICT DO NOTHING;
$$;

-- 016's recount of one day's cell periods, on its own, so that the
-- refresher can do both things to a changed day in one transaction.
CREATE FUNCTION air_cell_period_recount(project bigint, day timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    mask integer;
BEGIN
    SELECT coalesce(sum(1 << bit), 0)::integer INTO mask FROM quality_flag WHERE excluded;
    DELETE FROM air_cell_period
    WHERE quantity = ANY (ARRAY['pm1_ugm3', 'pm25_ugm3', 'pm10_ugm3', 'no2', 'temperature_c',
                                'humidity_pct'])
      AND cell_m IN (0, 100, 250) AND period_start >= day
      AND period_start < day + interval '1 day' AND project_id = project;
    INSERT INTO air_cell_period
    SELECT v.quantity, ru.cell_m, p.start, ru.gx, ru.gy, project,
           coalesce(sum(v.n) FILTER (WHERE (ru.quality & mask) = 0), 0),
           coalesce(sum(v.n) FILTER (WHERE (ru.quality & mask) <> 0), 0),
           count(DISTINCT ru.who) FILTER (WHERE (ru.quality & mask) = 0),
           sum(v.sum) FILTER (WHERE (ru.quality & mask) = 0),
           min(v.min) FILTER (WHERE (ru.quality & mask) = 0),
           max(v.max) FILTER (WHERE (ru.quality & mask) = 0)
    FROM air_rollup ru
    CROSS JOIN LATERAL (VALUES
        ('pm1_ugm3', ru.pm1_ugm3_n, ru.pm1_ugm3_sum, ru.pm1_ugm3_min, ru.pm1_ugm3_max),
        ('pm25_ugm3', ru.pm25_ugm3_n, ru.pm25_ugm3_sum, ru.pm25_ugm3_min, ru.pm25_ugm3_max),
        ('pm10_ugm3', ru.pm10_ugm3_n, ru.pm10_ugm3_sum, ru.pm10_ugm3_min, ru.pm10_ugm3_max),
        ('no2', ru.no2_n, ru.no2_sum, ru.no2_min, ru.no2_max),
        ('temperature_c', ru.temperature_c_n, ru.temperature_c_sum, ru.temperature_c_min,
         ru.temperature_c_max),
        ('humidity_pct', ru.humidity_pct_n, ru.humidity_pct_sum, ru.humidity_pct_min,
         ru.humidity_pct_max)) AS v (quantity, n, sum, min, max)
    CROSS JOIN LATERAL (SELECT CASE WHEN ru.cell_m = 0 THEN date_bin('1 hour', ru.bucket,
                            timestamptz '2000-01-01T00:00:00Z') ELSE ru.day END) AS p (start)
    WHERE ru.day = air_cell_period_recount.day AND ru.project_id = project AND v.n > 0
    GROUP BY v.quantity, ru.cell_m, p.start, ru.gx, ru.gy;
END $$;

-- Brings one waiting day (the oldest first) up to date, if another refresher
-- does not hold it: its cell periods and its dataset hours. Returns false
-- when no day is due. When a day is due, and why the caller runs it in a
-- REPEATABLE READ transaction: as 016's air_cell_period_refresh_one, which
-- this replaces.
CREATE FUNCTION air_day_refresh_one(settle interval, longest interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ch record;
BEGIN
    FOR ch IN SELECT project_id, day FROM air_day_change GROUP BY project_id, day
              HAVING max(noted_at) < now() - settle OR min(noted_at) < now() - longest
              ORDER BY day, project_id LOOP
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(
            hashtextextended(format('air_cell_period %s %s', ch.project_id, ch.day), 0));
        DELETE FROM air_day_change WHERE project_id = ch.project_id AND day = ch.day;
        PERFORM air_cell_period_recount(ch.project_id, ch.day);
        PERFORM air_dataset_render(ch.project_id, ch.day);
        RETURN true;
    END LOOP;
    RETURN false;
END $$;

-- Erasure: a rendered hour holds copies of readings, which must go with the
-- participant at once, not when the refresher next renders the day. erase()
-- deletes the participant's rollups before their devices, so by the time the
-- devices go, every day that held one of their published readings waits in
-- air_day_change (the rollup triggers of 016 noted it); the rendered hours of
-- every waiting day of the project go. A waiting day is never served from
-- them anyway: dropping them loses nothing the refresher will not redo.
CREATE FUNCTION air_dataset_forget_waiting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM air_dataset_hour h
    USING (SELECT DISTINCT c.project_id, c.day FROM air_day_change c
           WHERE c.project_id IN (SELECT project_id FROM gone)) w
    WHERE h.project_id = w.project_id AND h.hour >= w.day
      AND h.hour < w.day + interval '1 day';
    DELETE FROM air_dataset_day d
    USING air_day_change c
    WHERE c.project_id IN (SELECT project_id FROM gone)
      AND d.project_id = c.project_id AND d.day = c.day;
    RETURN NULL;
END $$;
CREATE TRIGGER device_erased_from_datasets AFTER DELETE ON device
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION air_dataset_forget_waiting();

DROP FUNCTION air_cell_period_refresh_one(interval, interval);
DROP FUNCTION dataset_air(text, timestamptz, timestamptz, bytea);

-- The days stored before this migration: the refresher renders them.
INSERT INTO air_day_change (project_id, day)
SELECT DISTINCT project_id, day FROM air_rollup_region;
