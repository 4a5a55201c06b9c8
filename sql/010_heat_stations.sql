-- Heat-stress stations in open data. A station stands at a resident's home:
-- its published position is the centre of its 100 m cell on the RD New grid,
-- unless the participant consented to the exact position. Stations are
-- named by a publication pseudonym (an HMAC under a key the database never
-- holds), never by their device id.

CREATE OR REPLACE FUNCTION device_json(d device) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', d.id,
    'project', (SELECT slug FROM project WHERE id = d.project_id),
    'active', d.active,
    'created_at', rfc3339(d.created_at),
    'token_rotated_at', rfc3339(d.token_rotated_at),
    'deactivated_at', rfc3339(d.deactivated_at),
    'position', CASE WHEN d.position IS NOT NULL THEN
        json_build_object('lat', round(ST_Y(d.position)::numeric, 7),
                          'lon', round(ST_X(d.position)::numeric, 7)) END,
    'exact_position_consent', d.exact_position_consent,
    'in_service_since', rfc3339(d.in_service_since));

-- The position open data may show.
CREATE FUNCTION station_public_position(p geometry, consent boolean) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p IS NULL THEN NULL WHEN consent THEN p ELSE
        ST_Transform(ST_SetSRID(ST_MakePoint(
            floor(ST_X(ST_Transform(p, 28992)) / 100) * 100 + 50,
            floor(ST_Y(ST_Transform(p, 28992)) / 100) * 100 + 50), 28992), 4326) END
$$;

CREATE FUNCTION station_public_id(device uuid, key bytea) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'station-' || left(encode(hmac(convert_to('station|' || device::text, 'UTF8'), key,
                                            'sha256'), 'hex'), 16)
$$;
