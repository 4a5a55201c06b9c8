-- Grid cells per UTC day, with their participants already counted: what a
-- dashboard's day map asks for, in one row per cell instead of one per bike
-- and cell (a busy day at 100 m: 7,000 rows instead of 71,000).
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
-- air_day_change (air_cell_day_project()); otherwise it reads the rollups,
-- which are always current. Both give the same answer.
CREATE TABLE air_day_change (
    project_id  bigint NOT NULL,
    day         timestamptz NOT NULL  -- a UTC midnight
);
CREATE INDEX air_day_change_day ON air_day_change (project_id, day);

-- One row per day, cell, project and quantity (a rollup column name): over
-- the readings that count under the excluded flags of quality_flag (n, sum,
-- min, max, participants; `flagged` the readings those flags exclude) and
-- over every reading (the *_all columns, for quality=all).
CREATE TABLE air_cell_day (
    quantity          text NOT NULL,
    cell_m            smallint NOT NULL CHECK (cell_m IN (100, 250)),
    day               timestamptz NOT NULL,
    gx                integer NOT NULL,
    gy                integer NOT NULL,
    project_id        bigint NOT NULL,
    n                 bigint NOT NULL,
    flagged           bigint NOT NULL,
    sum               float8,
    min               real,
    max               real,
    participants      integer NOT NULL,
    n_all             bigint NOT NULL,
    sum_all           float8,
    min_all           real,
    max_all           real,
    participants_all  integer NOT NULL
);
CREATE INDEX air_cell_day_read ON air_cell_day (quantity, cell_m, day, gx, gy) INCLUDE (
    project_id, n, flagged, sum, min, max, participants, n_all, sum_all, min_all, max_all,
    participants_all);
CREATE INDEX air_cell_day_project_day ON air_cell_day (project_id, day);

-- The project whose cell days can answer a query over [from_ts, to_ts) of
-- `slug` (NULL: every air project): the project when there is exactly one
-- and none of its days in the range waits for a refresh, else NULL. (Two
-- projects could share participants, which per-project counts cannot tell.)
CREATE FUNCTION air_cell_day_project(from_ts timestamptz, to_ts timestamptz, slug text)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT min(p.id)
    FROM project p
    WHERE p.kind = 'air'
      AND (air_cell_day_project.slug IS NULL OR p.slug = air_cell_day_project.slug)
    HAVING count(*) = 1
       AND NOT EXISTS (SELECT 1 FROM air_day_change c
                       WHERE c.project_id = min(p.id) AND c.day >= date_bin('1 day', from_ts,
                             timestamptz '2000-01-01T00:00:00Z') AND c.day < to_ts);
$$;

-- Recomputes one waiting day (the oldest change first), if another
-- refresher does not hold it; returns false when no day waits. The caller
-- runs it in a REPEATABLE READ transaction: the changes it removes are the
-- ones its snapshot sees, so a change committed meanwhile stays and the day
-- is recomputed again.
CREATE FUNCTION air_cell_day_refresh_one() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ch record;
    mask integer;
BEGIN
    FOR ch IN SELECT DISTINCT project_id, day FROM air_day_change ORDER BY day, project_id LOOP
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(
            hashtextextended(format('air_cell_day %s %s', ch.project_id, ch.day), 0));
        SELECT coalesce(sum(1 << bit), 0)::integer INTO mask FROM quality_flag WHERE excluded;
        DELETE FROM air_day_change WHERE project_id = ch.project_id AND day = ch.day;
        DELETE FROM air_cell_day WHERE project_id = ch.project_id AND day = ch.day;
        INSERT INTO air_cell_day
        SELECT v.quantity, ru.cell_m, ch.day, ru.gx, ru.gy, ch.project_id,
               coalesce(sum(v.n) FILTER (WHERE (ru.quality & mask) = 0), 0),
               coalesce(sum(v.n) FILTER (WHERE (ru.quality & mask) <> 0), 0),
               sum(v.sum) FILTER (WHERE (ru.quality & mask) = 0),
               min(v.min) FILTER (WHERE (ru.quality & mask) = 0),
               max(v.max) FILTER (WHERE (ru.quality & mask) = 0),
               count(DISTINCT ru.who) FILTER (WHERE (ru.quality & mask) = 0),
               sum(v.n), sum(v.sum), min(v.min), max(v.max), count(DISTINCT ru.who)
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
        WHERE ru.cell_m IN (100, 250) AND ru.day = ch.day AND ru.project_id = ch.project_id
          AND v.n > 0
        GROUP BY v.quantity, ru.cell_m, ru.gx, ru.gy;
        RETURN true;
    END LOOP;
    RETURN false;
END $$;

-- Ingest and erasure: the days of the hourly rollups they delete and insert.
CREATE FUNCTION air_rollup_hourly_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO air_day_change (project_id, day)
        SELECT DISTINCT project_id, date_bin('1 day', bucket, timestamptz '2000-01-01T00:00:00Z')
        FROM changed;
    ELSE
        INSERT INTO air_day_change (project_id, day)
        SELECT DISTINCT project_id, date_bin('1 day', bucket, timestamptz '2000-01-01T00:00:00Z')
        FROM gone;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER air_rollup_hourly_inserted AFTER INSERT ON air_rollup_hourly
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION air_rollup_hourly_changed();
CREATE TRIGGER air_rollup_hourly_deleted AFTER DELETE ON air_rollup_hourly
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION air_rollup_hourly_changed();

-- Which flags exclude a reading decides every cell day.
CREATE FUNCTION air_cell_day_flags_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO air_day_change (project_id, day)
    SELECT DISTINCT project_id, day FROM air_cell_day;
    RETURN NULL;
END $$;
CREATE TRIGGER quality_flag_changed AFTER INSERT OR UPDATE OR DELETE ON quality_flag
    FOR EACH STATEMENT EXECUTE FUNCTION air_cell_day_flags_changed();

-- The days stored before this migration.
INSERT INTO air_day_change (project_id, day)
SELECT DISTINCT project_id, day FROM air_rollup_region;
