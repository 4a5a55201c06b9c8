-- Hardening (issue findings 2 and 10).
--
-- A Telraam segment belongs to the camera that counts it. A device token
-- writes reports only for the segments whose device it is; a segment
-- without one waits until an admin assigns it (POST /v1/segments?device=
-- or POST /v1/segments/{id}/device). Admin imports of the project write any
-- of its segments. Erasing the device frees the segment.
ALTER TABLE road_segment ADD COLUMN device_id uuid REFERENCES device (id) ON DELETE SET NULL;
CREATE INDEX road_segment_device ON road_segment (device_id);

-- Settings below the privacy defaults (k_anonymity 3, trim_min_m 200) need a
-- stated reason, which the catalogue shows; NULL when nothing is weaker.
ALTER TABLE project ADD COLUMN privacy_weakened text
    CHECK (length(privacy_weakened) BETWEEN 1 AND 2000);

CREATE OR REPLACE FUNCTION project_json(p project) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'slug', p.slug,
    'name', p.name,
    'kind', p.kind,
    'licence', p.licence,
    'k_anonymity', p.k_anonymity,
    'trim_min_m', p.trim_min_m,
    'privacy_weakened', p.privacy_weakened,
    'auto_register', p.auto_register,
    'created_at', rfc3339(p.created_at));
