-- Area layers: polygons with a code and a name (CBS wijken and buurten, or any
-- other division), uploaded by a coordinator; aggregates use them at once.
CREATE TABLE area_layer (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE area (
    layer  text NOT NULL REFERENCES area_layer (name) ON DELETE CASCADE,
    code   text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    name   text CHECK (length(name) <= 200),
    geom   geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (layer, code)
);
CREATE INDEX area_geom ON area USING gist (geom);

-- Replaces a layer's areas with `features` ([{code, name, geometry}]); one
-- area per code (the first wins). Returns how many areas the layer now has.
CREATE FUNCTION area_layer_replace(layer_name text, features json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    stored bigint;
BEGIN
    INSERT INTO area_layer (name) VALUES (layer_name)
    ON CONFLICT (name) DO UPDATE SET uploaded_at = now();
    DELETE FROM area WHERE layer = layer_name;
    INSERT INTO area (layer, code, name, geom)
    SELECT DISTINCT ON (f->>'code') layer_name, f->>'code', f->>'name',
           ST_Multi(ST_CollectionExtract(ST_MakeValid(
               ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)), 3))
    FROM json_array_elements(features) WITH ORDINALITY AS x(f, n)
    ORDER BY f->>'code', n;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END $$;
