-- air_published (006) found a reading's trip with
--   t.device_id = r.device_id AND r.recorded_at BETWEEN t.started_at AND t.ended_at,
-- which the index trip (device_id, started_at) answers by reading every trip
-- of the device that started before the reading: about 25 index and heap
-- visits per reading for a bike with 50 trips, and more as its history grows
-- (a 30-day percentile aggregate over 0.8 M readings made 3.8 M buffer visits
-- for it; every ingest batch pays it again when it refreshes the rollups).
-- A device's trips never overlap (trip_merge absorbs any trip less than 30
-- minutes away), so the trip that holds a reading is the last one to start
-- at or before it, if it has not ended: one backward index probe. Same rows,
-- same columns.
CREATE OR REPLACE VIEW air_published AS
SELECT r.*, t.id AS trip_id
FROM air_reading r
JOIN LATERAL (SELECT t.id, t.ended_at, t.start_zone, t.end_zone
              FROM trip t
              WHERE t.device_id = r.device_id AND t.started_at <= r.recorded_at
              ORDER BY t.started_at DESC
              LIMIT 1) t ON r.recorded_at <= t.ended_at
WHERE r.position IS NULL
   OR NOT (coalesce(ST_Intersects(r.position, t.start_zone), false)
           OR coalesce(ST_Intersects(r.position, t.end_zone), false));
