-- Experience projects publish now (sql/026: month cells and aggregates), so
-- the catalogue shows their coverage and counts too: at month resolution,
-- the resolution of their open cells (a day could tell when one resident
-- handed in a sheet), and sheets rounded as every count there.
CREATE OR REPLACE FUNCTION catalogue_day_count(project bigint, kind text, day timestamptz)
RETURNS bigint LANGUAGE sql STABLE AS $$
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
        WHEN 'experience' THEN
            (SELECT count(*) FROM experience_score s
             JOIN device d ON d.id = s.device_id
             WHERE d.project_id = project
               AND s.observed_at >= day AND s.observed_at < day + interval '1 day')
        ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION project_public_json(p project) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT (project_json(p)::jsonb || jsonb_build_object(
        'coverage', CASE WHEN p.kind = 'experience' THEN
            jsonb_build_object('from', date_trunc('month', s.first_day)::date,
                               'to', (date_trunc('month', s.last_day) + interval '1 month'
                                      - interval '1 day')::date)
            ELSE jsonb_build_object('from', s.first_day, 'to', s.last_day) END,
        'readings', catalogue_round(coalesce(s.readings, 0)),
        'participants', coalesce(s.participants, 0)))::json
    FROM (SELECT p.id) x
    LEFT JOIN project_stats s ON s.project_id = x.id
$$;

CREATE FUNCTION catalogue_experience_changed() RETURNS trigger
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
CREATE TRIGGER catalogue_experience_inserted AFTER INSERT ON experience_score
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_experience_changed();
CREATE TRIGGER catalogue_experience_deleted AFTER DELETE ON experience_score
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION catalogue_experience_changed();

INSERT INTO catalogue_change (project_id, day)
SELECT DISTINCT d.project_id, date_bin('1 day', s.observed_at, timestamptz '2000-01-01T00:00:00Z')
FROM experience_score s JOIN device d ON d.id = s.device_id;
SELECT catalogue_refresh();
