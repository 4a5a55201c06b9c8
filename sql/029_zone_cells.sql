-- Zone cells two times trim_min_m wide (400 m by default), not three (021).
-- Measured with the attack suite (tests/privacy, dense town, 100 trips per
-- rider, server defaults): with 600 m cells the open data kept 56.7 % of the
-- uploaded readings; with 400 m cells 63.7 %, and the best attack on every
-- open output combined stayed at chance (median error 304 m, no home within
-- 100 m) either way. The open data is cells of k participants; the zones are
-- defence in depth there and in the researchers' points.
CREATE OR REPLACE FUNCTION zone_cell_m(min_m integer) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 2.0 * min_m;

SELECT trip_zones_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
SELECT air_rollup_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
