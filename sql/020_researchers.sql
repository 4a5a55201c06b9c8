-- Researchers: point-level air readings are not open data (a rider's trips,
-- linked, point at home however their ends are hidden; see README, Privacy).
-- A coordinator issues a researcher a token for a named purpose until a date;
-- every point-level download is recorded. Only the token's keyed hash is
-- stored, as for devices.
CREATE TABLE researcher (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    purpose     text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK (expires_at > created_at)
);

-- One row per point-level download, written before the first byte is sent,
-- the admin's own included.
CREATE TABLE download_audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    researcher_id bigint REFERENCES researcher (id), -- NULL: the admin token
    project_id    bigint NOT NULL REFERENCES project (id),
    range_from    timestamptz,
    range_to      timestamptz,
    format        text NOT NULL,
    request_id    text NOT NULL
);
CREATE INDEX download_audit_researcher ON download_audit (researcher_id, at);

CREATE FUNCTION researcher_json(r researcher) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'name', r.name, 'purpose', r.purpose,
        'created_at', rfc3339(r.created_at), 'expires_at', rfc3339(r.expires_at),
        'revoked_at', rfc3339(r.revoked_at),
        'active', r.revoked_at IS NULL AND r.expires_at > now())
$$;

CREATE FUNCTION download_audit_json(a download_audit) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', a.id, 'at', rfc3339(a.at),
        'by', CASE WHEN a.researcher_id IS NULL THEN 'admin' ELSE 'researcher' END,
        'researcher', a.researcher_id,
        'project', (SELECT slug FROM project WHERE id = a.project_id),
        'from', rfc3339(a.range_from), 'to', rfc3339(a.range_to), 'format', a.format,
        'request_id', a.request_id)
$$;
