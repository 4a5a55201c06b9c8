-- The right to erasure: everything of one participant (or of one device) in
-- a project goes, in one transaction. Aggregates and downloads are computed
-- from what remains, so they change at once.
CREATE FUNCTION erase(project bigint, participant bytea, external bytea)
RETURNS TABLE (devices bigint, air bigint, traffic bigint, heat bigint, experience bigint)
LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT coalesce(array_agg(id), '{}') INTO ids FROM device
    WHERE project_id = project
      AND (participant_pseudonym = participant OR external_pseudonym = external);
    -- One eraser per device at a time, as ingest takes the same locks.
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT unnest(ids) AS d ORDER BY 1) x;
    devices := cardinality(ids);
    DELETE FROM air_reading WHERE device_id = ANY (ids);
    GET DIAGNOSTICS air = ROW_COUNT;
    DELETE FROM traffic_report WHERE device_id = ANY (ids);
    GET DIAGNOSTICS traffic = ROW_COUNT;
    DELETE FROM heat_observation WHERE device_id = ANY (ids);
    GET DIAGNOSTICS heat = ROW_COUNT;
    DELETE FROM experience_score WHERE device_id = ANY (ids);
    GET DIAGNOSTICS experience = ROW_COUNT;
    DELETE FROM device WHERE id = ANY (ids); -- and their trips, by cascade
    RETURN NEXT;
END $$;
