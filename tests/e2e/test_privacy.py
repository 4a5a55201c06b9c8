"""No identifier a device or coordinator sent, and no token, is ever in the database."""
import base64
import uuid


def test_pg_dump_holds_no_external_ids_participants_or_tokens(admin, project, cluster, admin_token):
    sent = []
    tokens = []
    for n in range(5):
        ext = f"35275309885{n:04d}"           # IMEI-shaped
        participant = f"deelnemer-{uuid.uuid4().hex[:8]}@example.nl"
        r = admin.post(f"/v1/projects/{project['slug']}/devices",
                       json={"external_id": ext, "participant": participant})
        assert r.status_code == 201
        sent += [ext, participant]
        tokens.append(r.json()["token"])
    mac = "A4:CF:12:9B:00:7E"
    r = admin.post(f"/v1/projects/{project['slug']}/devices",
                   json={"external_id": mac, "participant": "station-owner-7"})
    sent += [mac, "station-owner-7"]
    tokens.append(r.json()["token"])
    # Rotated tokens, old and new.
    r = admin.post(f"/v1/devices/{r.json()['id']}/token")
    tokens.append(r.json()["token"])

    dump = cluster.dump()
    assert b"COPY public.device" in dump  # the dump did include the devices
    for secret in sent + tokens + [admin_token]:
        for form in {secret, secret.lower(), secret.upper(), secret.replace(":", "")}:
            assert form.encode() not in dump, f"{form!r} found in pg_dump"
            assert form.encode().hex().encode() not in dump, f"hex of {form!r} found in pg_dump"
    for token in tokens:
        raw = base64.urlsafe_b64decode(token[4:] + "=")
        assert raw.hex().encode() not in dump


def test_pseudonyms_are_keyed_not_plain_hashes(admin, project, cluster):
    """A stored pseudonym is not the SHA-256 or BLAKE2b of the identifier: without the key
    file, a leaked database cannot be matched against a list of IMEIs."""
    import hashlib
    ext = "352753098853250"
    admin.post(f"/v1/projects/{project['slug']}/devices",
               json={"external_id": ext, "participant": "p"})
    stored = cluster.psql("SELECT encode(external_pseudonym, 'hex') FROM device d JOIN project p "
                          "ON p.id = d.project_id WHERE p.slug = '%s'" % project["slug"])
    for h in (hashlib.sha256, hashlib.blake2b, hashlib.sha3_256):
        digest = h(ext.encode()).hexdigest()
        assert stored not in digest and digest[:64] != stored
