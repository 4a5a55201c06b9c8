-- The registry: projects and the devices registered under them.
-- No direct identifier is stored: external ids (IMEI, MAC, station serial),
-- participant references and tokens arrive here only as keyed hashes
-- (32 bytes, computed by the server with a key that never enters the
-- database).

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE project (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN ('traffic', 'air', 'heat', 'experience')),
    licence        text NOT NULL CHECK (length(licence) BETWEEN 1 AND 100),
    k_anonymity    integer NOT NULL DEFAULT 3 CHECK (k_anonymity BETWEEN 1 AND 100),
    trim_min_m     integer NOT NULL DEFAULT 200 CHECK (trim_min_m BETWEEN 0 AND 5000),
    auto_register  boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE device (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id             bigint NOT NULL REFERENCES project (id),
    external_pseudonym     bytea NOT NULL CHECK (length(external_pseudonym) = 32),
    participant_pseudonym  bytea NOT NULL CHECK (length(participant_pseudonym) = 32),
    token_hash             bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    active                 boolean NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL DEFAULT now(),
    token_rotated_at       timestamptz,
    deactivated_at         timestamptz,
    UNIQUE (project_id, external_pseudonym)
);

CREATE INDEX device_participant ON device (project_id, participant_pseudonym);

-- Times leave the database as RFC 3339 in UTC.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- The API's view of a project.
CREATE FUNCTION project_json(p project) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'slug', p.slug,
    'name', p.name,
    'kind', p.kind,
    'licence', p.licence,
    'k_anonymity', p.k_anonymity,
    'trim_min_m', p.trim_min_m,
    'auto_register', p.auto_register,
    'created_at', rfc3339(p.created_at));

-- The API's view of a device: never its pseudonyms.
CREATE FUNCTION device_json(d device) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', d.id,
    'project', (SELECT slug FROM project WHERE id = d.project_id),
    'active', d.active,
    'created_at', rfc3339(d.created_at),
    'token_rotated_at', rfc3339(d.token_rotated_at),
    'deactivated_at', rfc3339(d.deactivated_at));
