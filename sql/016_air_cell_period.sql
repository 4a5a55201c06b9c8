-- Cells with their participants already counted, for the two aggregates
-- dashboards ask most: a day map of grid cells (UTC days of 100 and 250 m
-- cells) and a month of hours for the whole region. One row per cell and
-- period instead of one per bike, cell and quarter hour: a busy day at
-- 100 m reads 7,000 rows instead of 71,000, 30 days of hours 720 instead of
-- 43,000.
--
-- Distinct participants do not add up, so these rows cannot be kept current
-- by each ingest on its own: two uploads of different bikes through the same
-- cell would each recount it without the other. Instead every change of a
-- project's published air readings appends the UTC days it touches to
-- air_day_change (appends never wait on each other), and the server's
-- refresher (server/refresher.c) recomputes those days from the rollups, one
-- day per transaction, in the background. The changes are caught where
-- every one of them passes: ingest (air_rollup_refresh) and erasure rewrite
-- or delete a device's hourly rollups, and triggers on air_rollup_hourly
-- note the days of the rows that go and come.
--
-- A query reads these rows only when none of its days is waiting in
-- air_day_change (air_cell_period_project()); otherwise it reads the
-- rollups, which are always current. Both give the same answer.
CREATE TABLE air_day_change (
    project_id  bigint NOT NULL,
    day         timestamptz NOT NULL,  -- a UTC midnight
    noted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX air_day_change_day ON air_day_change (project_id, day);

-- One row per period, cell, project and quantity (a rollup column name):
-- hours of the whole region (cell_m 0) and UTC days of grid cells; over the
-- readings that count under the excluded flags of quality_flag: their
-- number, sum, minimum and maximum, and distinct participants; `flagged`
-- counts the readings those flags exclude. (quality=all is left to the
-- rollups: it is not what maps show, and would double the rows.) A day's rows
-- are written together, so a query reads a few hundred heap pages in a row
-- and the index needs no copy of them.
CREATE TABLE air_cell_period (
    quantity      text NOT NULL,
    cell_m        smallint NOT NULL CHECK (cell_m IN (0, 100, 250)),
    period_start  timestamptz NOT NULL,
    gx            integer NOT NULL,
    gy            integer NOT NULL,
    project_id    bigint NOT NULL,
    n             integer NOT NULL,
    flagged       integer NOT NULL,
    participants  integer NOT NULL,
    sum           float8,
    min           real,
    max           real
);
CREATE INDEX air_cell_period_read ON air_cell_period (quantity, cell_m, period_start, gx, gy);

-- The project whose cell days can answer a query over [from_ts, to_ts) of
-- `slug` (NULL: every air project): the project when there is exactly one
-- and none of its days in the range waits for a refresh, else NULL. (Two
-- projects could share participants, which per-project counts cannot tell.)
CREATE FUNCTION air_cell_period_project(from_ts timestamptz, to_ts timestamptz, slug text)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT min(p.id)
    FROM project p
    WHERE p.kind = 'air'
      AND (air_cell_period_project.slug IS NULL OR p.slug = air_cell_period_project.slug)
    HAVING count(*) = 1
       AND NOT EXISTS (SELECT 1 FROM air_day_change c
                       WHERE c.project_id = min(p.id) AND c.day >= date_bin('1 day', from_ts,
                             timestamptz '2000-01-01T00:00:00Z') AND c.day < to_ts);
$$;

-- Recomputes one waiting day (the oldest first), if another refresher does
-- not hold it; returns false when no day is due. A day is due once it has
-- been left alone for `settle` (a bulk load touches the same days for
-- minutes: recomputing them after every batch would take a core from the
-- load), or when its first change has waited `longest`. The caller runs it
-- in a REPEATABLE READ transaction: the changes it removes are the ones its
-- snapshot sees, so a change committed meanwhile stays and the day is
-- recomputed again.
CREATE FUNCTION air_cell_period_refresh_one(settle interval, longest interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ch record;
    mask integer;
BEGIN
    FOR ch IN SELECT project_id, day FROM air_day_change GROUP BY project_id, day
              HAVING max(noted_at) < now() - settle OR min(noted_at) < now() - longest
              ORDER BY day, project_id LOOP
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(
            hashtextextended(format('air_cell_period %s %s', ch.project_id, ch.day), 0));
        SELECT coalesce(sum(1 << bit), 0)::integer INTO mask FROM quality_flag WHERE excluded;
        DELETE FROM air_day_change WHERE project_id = ch.project_id AND day = ch.day;
        DELETE FROM air_cell_period
        WHERE quantity = ANY (ARRAY['pm1_ugm3', 'pm25_ugm3', 'pm10_ugm3', 'no2', 'temperature_c',
                                    'humidity_pct'])
          AND cell_m IN (0, 100, 250) AND period_start >= ch.day
          AND period_start < ch.day + interval '1 day' AND project_id = ch.project_id;
        INSERT INTO air_cell_period
        SELECT v.quantity, ru.cell_m, p.start, ru.gx, ru.gy, ch.project_id,
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
        WHERE ru.day = ch.day AND ru.project_id = ch.project_id AND v.n > 0
        GROUP BY v.quantity, ru.cell_m, p.start, ru.gx, ru.gy;
        RETURN true;
    END LOOP;
    RETURN false;
END $$;

-- Ingest and erasure: the days of the hourly rollups they delete and insert
-- (`changed`: the rows gone, or the rows come).
CREATE FUNCTION air_rollup_hourly_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO air_day_change (project_id, day)
    SELECT DISTINCT project_id, date_bin('1 day', bucket, timestamptz '2000-01-01T00:00:00Z')
    FROM changed;
    RETURN NULL;
END $$;
CREATE TRIGGER air_rollup_hourly_inserted AFTER INSERT ON air_rollup_hourly
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION air_rollup_hourly_changed();
CREATE TRIGGER air_rollup_hourly_deleted AFTER DELETE ON air_rollup_hourly
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION air_rollup_hourly_changed();

-- Which flags exclude a reading decides every cell day.
CREATE FUNCTION air_cell_period_flags_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO air_day_change (project_id, day)
    SELECT DISTINCT project_id, date_bin('1 day', period_start, timestamptz '2000-01-01T00:00:00Z')
    FROM air_cell_period;
    RETURN NULL;
END $$;
CREATE TRIGGER quality_flag_changed AFTER INSERT OR UPDATE OR DELETE ON quality_flag
    FOR EACH STATEMENT EXECUTE FUNCTION air_cell_period_flags_changed();

-- The days stored before this migration.
INSERT INTO air_day_change (project_id, day)
SELECT DISTINCT project_id, day FROM air_rollup_region;
