-- The public view of a project: its registry fields plus time coverage,
-- readings and participants over every family.
CREATE FUNCTION project_public_json(p project) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT id, participant_pseudonym FROM device WHERE project_id = p.id),
    r AS (
        SELECT min(recorded_at) AS lo, max(recorded_at) AS hi, count(*) AS n
        FROM air_reading WHERE device_id IN (SELECT id FROM d)
        UNION ALL
        SELECT min(period_start), max(period_start), count(*) FROM traffic_report
        WHERE segment_id IN (SELECT segment_id FROM road_segment WHERE project_id = p.id)
        UNION ALL
        SELECT min(observed_at), max(observed_at), count(*) FROM heat_observation
        WHERE device_id IN (SELECT id FROM d)
        UNION ALL
        SELECT min(observed_at), max(observed_at), count(*) FROM experience_score
        WHERE device_id IN (SELECT id FROM d))
    SELECT (project_json(p)::jsonb || jsonb_build_object(
        'coverage', jsonb_build_object('from', rfc3339(min(lo)), 'to', rfc3339(max(hi))),
        'readings', sum(n),
        'participants', (SELECT count(DISTINCT participant_pseudonym) FROM d)))::json
    FROM r
$$;
