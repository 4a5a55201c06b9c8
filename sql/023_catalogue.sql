-- The project catalogue (GET /v1/projects) from maintained figures, not from
-- the readings. 011's project_public_json() counted and scanned every
-- reading of every project on every call (about 1,900 requests a second with
-- one empty project, slower with every reading stored), and published the
-- latest raw recording time, hidden trip ends included: to the second when a
-- lone rider last rode.
--
-- Now the catalogue shows, per project:
--   coverage  the first and last UTC day (dates, no time) with published data:
--             air from the rollups (built from air_published: hidden trip ends
--             never count), traffic and heat from the rows their open datasets
--             show; experience has no open output, so no coverage;
--   readings  the published readings (reports, observations), rounded down to
--             two significant digits and to whole thousands (catalogue_round):
--             a trip of a few hundred readings moves it by one step at most,
--             so the figure does not tell when one rider uploaded one ride;
--   participants  the distinct participants registered in the project.
--
-- How they are kept: writes append what they touched to catalogue_change
-- (appends never wait on each other), and catalogue_refresh(), run by the
-- server's refresher, recounts the touched UTC days into catalogue_day and
-- the touched projects into project_stats, then bumps catalogue_version.
-- Air costs ingest nothing: the refresher already brings every changed day
-- of the rollups up to date (air_day_change, 016/017), and the trigger below
-- notes a day when the refresher takes it off that list. Traffic and heat
-- note the UTC days of each inserted or deleted batch (one statement-level
-- trigger each). Registry changes (devices) note their project; a project's
-- own fields bump the version at once.
--
-- The server caches the rendered catalogue and reads catalogue_version (one
-- row) at most once a second to know when to render it again.

CREATE TABLE catalogue_change (
    project_id  bigint NOT NULL,
    day         timestamptz  -- a UTC midnight; NULL: the registry changed
);

-- Published readings per project and UTC day.
CREATE TABLE catalogue_day (
    project_id  bigint NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    day         date NOT NULL,
    readings    bigint NOT NULL,
    PRIMARY KEY (project_id, day)
);

CREATE TABLE project_stats (
    project_id    bigint PRIMARY KEY REFERENCES project (id) ON DELETE CASCADE,
    first_day     date,
    last_day      date,
    readings      bigint NOT NULL,
    participants  integer NOT NULL
);

-- Changes whenever any project's public view may have changed.
CREATE TABLE catalogue_version (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    version  bigint NOT NULL
);
INSERT INTO catalogue_version VALUES (true, 1);

-- A count as the catalogue shows it: rounded down to two significant digits
-- and to whole thousands (5,704 -> 5,000; 123,456 -> 120,000; 999 -> 0).
CREATE FUNCTION catalogue_round(n bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN n < 1000 THEN 0
            ELSE n - n % greatest(1000, (10::numeric ^ (length(n::text) - 2))::bigint) END;

-- The published rows of one project on one UTC day, per its family.
CREATE FUNCTION catalogue_day_count(project bigint, kind text, day timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'air' THEN
            (SELECT coalesce(sum(h.readings), 0) FROM air_rollup_hourly h
             WHERE h.bucket >= day AND h.bucket < day + interval '1 day'
               AND h.project_id = project)
        WHEN 'traffic' THEN
            (SELECT count(*) FROM traffic_report r
             JOIN road_segment s ON s.segment_id = r.segment_id
             WHERE r.period_start >= day AND r.period_start < day + interval '1 day'
               AND s.project_id = project)
        WHEN 'heat' THEN
            (SELECT count(*) FROM heat_observation h
             JOIN device d ON d.id = h.device_id
             WHERE d.project_id = project
               AND h.observed_at >= day AND h.observed_at < day + interval '1 day')
        ELSE 0 END
$$;

-- Recounts what catalogue_change lists; false when it listed nothing. The
-- changes it removes are the ones its first statement sees: one committed
-- meanwhile stays for the next call, which counts again (counting is
-- idempotent). The server runs it on the elected refresher only.
CREATE FUNCTION catalogue_refresh() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    projects bigint[];
    days timestamptz[];
    changed bigint;
BEGIN
    WITH gone AS (DELETE FROM catalogue_change RETURNING project_id, day),
    pairs AS (SELECT DISTINCT project_id, day FROM gone)
    SELECT array_agg(project_id), array_agg(day) INTO projects, days FROM pairs;
    IF projects IS NULL THEN
        RETURN false;
    END IF;
    DELETE FROM catalogue_day c
    USING unnest(projects, days) AS u (project_id, day)
    WHERE c.project_id = u.project_id AND c.day = (u.day AT TIME ZONE 'UTC')::date;
    INSERT INTO catalogue_day (project_id, day, readings)
    SELECT x.project_id, x.day, x.n
    FROM (SELECT DISTINCT p.id AS project_id, (u.day AT TIME ZONE 'UTC')::date AS day,
                 catalogue_day_count(p.id, p.kind, u.day) AS n
          FROM unnest(projects, days) AS u (project_id, day)
          JOIN project p ON p.id = u.project_id
          WHERE u.day IS NOT NULL) x
    WHERE x.n > 0;
    INSERT INTO project_stats AS s (project_id, first_day, last_day, readings, participants)
    SELECT p.id, c.first_day, c.last_day, coalesce(c.readings, 0),
           (SELECT count(DISTINCT d.participant_pseudonym) FROM device d
            WHERE d.project_id = p.id)
    FROM project p
    LEFT JOIN LATERAL (SELECT min(day) AS first_day, max(day) AS last_day,
                              sum(readings) AS readings
                       FROM catalogue_day WHERE project_id = p.id) c ON true
    WHERE p.id IN (SELECT DISTINCT unnest(projects))
    ON CONFLICT (project_id) DO UPDATE
        SET first_day = excluded.first_day, last_day = excluded.last_day,
            readings = excluded.readings, participants = excluded.participants
        WHERE (s.first_day, s.last_day, s.readings, s.participants)
              IS DISTINCT FROM (excluded.first_day, excluded.last_day, excluded.readings,
                                excluded.participants);
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed > 0 THEN
        UPDATE catalogue_version SET version = version + 1;
    END IF;
    RETURN true;
END $$;

-- The public view of a project: its registry fields (project_json) and the
-- maintained figures. The one place the catalogue's JSON is built; the
-- server caches what it returns.
CREATE OR REPLACE FUNCTION project_public_json(p project) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT (project_json(p)::jsonb || jsonb_build_object(
        'coverage', jsonb_build_object('from', s.first_day, 'to', s.last_day),
        'readings', catalogue_round(coalesce(s.readings, 0)),
        'participants', coalesce(s.participants, 0)))::json
    FROM (SELECT p.id) x
    LEFT JOIN project_stats s ON s.project_id = x.id
$$;

-- Air: a day the refresher has brought up to date (016/017 delete it from
-- air_day_change in the refresher's transaction; ingest only appends).
CREATE FUNCTION catalogue_air_day_done() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogue_change (project_id, day)
    SELECT DISTINCT project_id, day FROM done;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_air_day_done AFTER DELETE ON air_day_change
    REFERENCING OLD TABLE AS done FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_air_day_done();

-- Traffic and heat: the UTC days of the rows a statement inserts or deletes.
CREATE FUNCTION catalogue_traffic_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogue_change (project_id, day)
    SELECT s.project_id, c.day
    FROM (SELECT DISTINCT segment_id,
                 date_bin('1 day', period_start, timestamptz '2000-01-01T00:00:00Z') AS day
          FROM changed) c
    JOIN road_segment s ON s.segment_id = c.segment_id;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_traffic_inserted AFTER INSERT ON traffic_report
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_traffic_changed();
CREATE TRIGGER catalogue_traffic_deleted AFTER DELETE ON traffic_report
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_traffic_changed();

CREATE FUNCTION catalogue_heat_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogue_change (project_id, day)
    SELECT d.project_id, c.day
    FROM (SELECT DISTINCT device_id,
                 date_bin('1 day', observed_at, timestamptz '2000-01-01T00:00:00Z') AS day
          FROM changed) c
    JOIN device d ON d.id = c.device_id;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_heat_inserted AFTER INSERT ON heat_observation
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_heat_changed();
CREATE TRIGGER catalogue_heat_deleted AFTER DELETE ON heat_observation
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_heat_changed();

-- Devices: a project's participants.
CREATE FUNCTION catalogue_devices_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogue_change (project_id, day)
    SELECT DISTINCT project_id, NULL::timestamptz FROM changed;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_devices_inserted AFTER INSERT ON device
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_devices_changed();
CREATE TRIGGER catalogue_devices_deleted AFTER DELETE ON device
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_devices_changed();

-- A project's own fields: rare (admin), so the version moves at once.
CREATE FUNCTION catalogue_projects_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_projects_changed AFTER INSERT OR UPDATE OR DELETE ON project
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_projects_changed();

-- What was stored before this migration.
INSERT INTO catalogue_change (project_id, day)
SELECT id, NULL FROM project
UNION ALL
SELECT DISTINCT project_id, date_bin('1 day', bucket, timestamptz '2000-01-01T00:00:00Z')
FROM air_rollup_hourly
UNION ALL
SELECT DISTINCT s.project_id, date_bin('1 day', r.period_start, timestamptz '2000-01-01T00:00:00Z')
FROM traffic_report r JOIN road_segment s ON s.segment_id = r.segment_id
UNION ALL
SELECT DISTINCT d.project_id, date_bin('1 day', h.observed_at, timestamptz '2000-01-01T00:00:00Z')
FROM heat_observation h JOIN device d ON d.id = h.device_id;
SELECT catalogue_refresh();
