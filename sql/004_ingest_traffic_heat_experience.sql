-- Apply functions for Telraam reports, heat-stress observations and
-- experience scores (see 003_ingest.sql for how ingest works).

CREATE FUNCTION ingest_traffic_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    SELECT count(*), min(period_start), max(period_start) INTO total, lo, hi FROM traffic_staging;
    PERFORM ensure_month_partitions('traffic_report', lo, hi);
    INSERT INTO traffic_report (segment_id, interval, period_start, device_id, uptime,
        heavy, heavy_lft, heavy_rgt, car, car_lft, car_rgt, bike, bike_lft, bike_rgt,
        pedestrian, pedestrian_lft, pedestrian_rgt, direction, timezone, v85,
        car_speed_hist_0to70plus, car_speed_hist_0to120plus, quality)
    SELECT segment_id, interval, period_start, device_id, uptime,
        heavy, heavy_lft, heavy_rgt, car, car_lft, car_rgt, bike, bike_lft, bike_rgt,
        pedestrian, pedestrian_lft, pedestrian_rgt, direction, timezone, v85,
        car_speed_hist_0to70plus, car_speed_hist_0to120plus, quality
    FROM traffic_staging
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;

CREATE FUNCTION ingest_heat_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    SELECT count(*), min(observed_at), max(observed_at) INTO total, lo, hi FROM heat_staging;
    PERFORM ensure_month_partitions('heat_observation', lo, hi);
    INSERT INTO heat_observation (device_id, observed_at, temperature_c, humidity_pct,
        pressure_hpa, wind_speed_ms, wind_height_m, globe_temperature_c, globe_diameter_mm,
        natural_wet_bulb_c, solar_radiation_wm2, rain_mm, wet_bulb_c, wet_bulb_method, wbgt_c,
        wbgt_method, wbgt_approximate, wbgt_category, heat_index_c, heat_index_method,
        heat_index_category, humidex, humidex_category, quality)
    SELECT s.device_id, s.observed_at, s.temperature_c, s.humidity_pct, s.pressure_hpa,
        s.wind_speed_ms, s.wind_height_m, s.globe_temperature_c, s.globe_diameter_mm,
        s.natural_wet_bulb_c, s.solar_radiation_wm2, s.rain_mm, s.wet_bulb_c, s.wet_bulb_method,
        s.wbgt_c, s.wbgt_method, s.wbgt_approximate, s.wbgt_category, s.heat_index_c,
        s.heat_index_method, s.heat_index_category, s.humidex, s.humidex_category,
        s.quality | CASE WHEN s.observed_at < d.in_service_since THEN 128 ELSE 0 END
    FROM heat_staging s JOIN device d ON d.id = s.device_id
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;

CREATE FUNCTION ingest_experience_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    SELECT count(*), min(observed_at), max(observed_at) INTO total, lo, hi FROM experience_staging;
    PERFORM ensure_month_partitions('experience_score', lo, hi);
    INSERT INTO experience_score (device_id, observed_at, position, scores, remark)
    SELECT device_id, observed_at, ST_SetSRID(ST_MakePoint(lon, lat), 4326), scores, remark
    FROM experience_staging
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;
