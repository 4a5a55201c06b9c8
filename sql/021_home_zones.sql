-- Trip ends hidden behind zones that are the same for every trip of a home.
--
-- 006 drew a zone per trip end (another radius, another offset, from an HMAC
-- of the end's time): zones that differ per trip all contain the home, so
-- the more trips, the better their average points at it (measured: 11 of 12
-- synthetic homes within 100 m after 40 trips each). Now each project has a
-- lattice of square cells, zone_cell_m(trim_min_m) metres wide, with a
-- random origin drawn once (not a key: the database holds the raw readings
-- anyway); a trip end hides the cell it lies in, widened by trim_min_m on
-- every side. One lattice per project, not per device: two riders of one
-- household hide the same zone, where two lattices would hide two squares
-- whose overlap narrows the home down.
-- Every trip that starts or ends at a home hides the same zone, so more trips
-- teach an attacker nothing more than the zone itself, and the home lies
-- anywhere in its cell: the attacker's best guess, the cell's centre, is
-- off by 0.38 cell widths at the median (230 m for the default 600 m cells;
-- 1 home in 11 within 100 m). The end point lies at least trim_min_m inside
-- its zone's edge, as before.
--
-- No key reaches the database for zones any more (006 sent the zone subkey
-- as a query parameter, which log_min_duration_statement would have logged).
ALTER TABLE project
    ADD COLUMN zone_ox real NOT NULL
        DEFAULT ((get_byte(gen_random_bytes(2), 0) * 256 + get_byte(gen_random_bytes(2), 1))
                 / 65536.0),
    ADD COLUMN zone_oy real NOT NULL
        DEFAULT ((get_byte(gen_random_bytes(2), 0) * 256 + get_byte(gen_random_bytes(2), 1))
                 / 65536.0);
COMMENT ON COLUMN project.zone_ox IS
    'origin of the project''s zone lattice, as a fraction of a cell (random, drawn once)';

-- The width of a zone's cell for a project's trim_min_m: three times it.
CREATE FUNCTION zone_cell_m(min_m integer) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 3.0 * min_m;

-- The zone that hides trip end p on a lattice that starts at (ox, oy)
-- cells: the RD New square it lies in, widened by min_m.
CREATE FUNCTION trip_home_zone(p geometry, ox real, oy real, min_m integer) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p IS NULL OR min_m <= 0 THEN NULL ELSE
        ST_Transform(ST_Buffer(ST_MakeEnvelope(x0, y0, x0 + s, y0 + s, 28992), min_m, 4), 4326)
        END
    FROM (SELECT s, (floor((ST_X(rd) - ox * s) / s) + ox) * s AS x0,
                 (floor((ST_Y(rd) - oy * s) / s) + oy) * s AS y0
          FROM (SELECT zone_cell_m(min_m) AS s, ST_Transform(p, 28992) AS rd) a) b
$$;

DROP FUNCTION trip_zones_refresh(uuid, timestamptz, timestamptz, bytea);
-- Recomputes the zones of device d's trips that touch [lo, hi].
CREATE FUNCTION trip_zones_refresh(d uuid, lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE sql AS $$
    UPDATE trip t SET
        start_zone = trip_home_zone(e.first_pos, e.ox, e.oy, e.min_m),
        end_zone = trip_home_zone(e.last_pos, e.ox, e.oy, e.min_m)
    FROM (SELECT t2.id, p.trim_min_m AS min_m, p.zone_ox AS ox, p.zone_oy AS oy,
                 f.position AS first_pos, l.position AS last_pos
          FROM trip t2
          JOIN device dv ON dv.id = t2.device_id
          JOIN project p ON p.id = dv.project_id
          LEFT JOIN LATERAL (SELECT position FROM air_reading r
                             WHERE r.device_id = t2.device_id AND r.position IS NOT NULL
                               AND r.recorded_at BETWEEN t2.started_at AND t2.ended_at
                             ORDER BY r.recorded_at LIMIT 1) f ON true
          LEFT JOIN LATERAL (SELECT position FROM air_reading r
                             WHERE r.device_id = t2.device_id AND r.position IS NOT NULL
                               AND r.recorded_at BETWEEN t2.started_at AND t2.ended_at
                             ORDER BY r.recorded_at DESC LIMIT 1) l ON true
          WHERE t2.device_id = d AND t2.ended_at >= lo AND t2.started_at <= hi) e
    WHERE t.id = e.id
$$;

DROP FUNCTION trips_extend(uuid[], timestamptz[], timestamptz[], bytea);
-- Trips, their zones and their rollups: both ingest paths call this.
CREATE FUNCTION trips_extend(devices uuid[], starts timestamptz[], ends timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(d::text, 0))
    FROM (SELECT DISTINCT unnest(devices) AS d ORDER BY 1) x;
    PERFORM trip_merge(d, s, e) FROM unnest(devices, starts, ends) AS t(d, s, e);
    PERFORM trip_zones_refresh(d, min(s), max(e))
    FROM unnest(devices, starts, ends) AS t(d, s, e) GROUP BY d;
    -- Every trip that touches the batch, whole: its end zones may have moved.
    PERFORM air_rollup_refresh(x.d, min(t.started_at), max(t.ended_at))
    FROM (SELECT d, min(s) AS lo, max(e) AS hi
          FROM unnest(devices, starts, ends) AS u(d, s, e) GROUP BY d) x
    JOIN trip t ON t.device_id = x.d AND t.ended_at >= x.lo AND t.started_at <= x.hi
    GROUP BY x.d;
END $$;

DROP FUNCTION ingest_air_apply(bytea);
CREATE FUNCTION ingest_air_apply() RETURNS TABLE (accepted bigint, duplicates bigint)
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    inserted bigint;
    lo timestamptz;
    hi timestamptz;
    segs record;
BEGIN
    SELECT count(*), min(recorded_at), max(recorded_at) INTO total, lo, hi FROM air_staging;
    PERFORM ensure_month_partitions('air_reading', lo, hi);
    INSERT INTO air_reading SELECT * FROM air_staging ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    SELECT array_agg(device_id) AS d, array_agg(s) AS s, array_agg(e) AS e INTO segs
    FROM (SELECT device_id, min(recorded_at) AS s, max(recorded_at) AS e
          FROM (SELECT device_id, recorded_at,
                       sum(gap) OVER (PARTITION BY device_id ORDER BY recorded_at) AS segment
                FROM (SELECT device_id, recorded_at,
                             CASE WHEN recorded_at - lag(recorded_at) OVER (PARTITION BY device_id
                                      ORDER BY recorded_at) >= interval '30 minutes'
                                  THEN 1 ELSE 0 END AS gap
                      FROM air_staging) g) x
          GROUP BY device_id, segment) y;
    IF segs.d IS NOT NULL THEN
        PERFORM trips_extend(segs.d, segs.s, segs.e);
    END IF;
    RETURN QUERY SELECT inserted, total - inserted;
END $$;

DROP FUNCTION trip_zone(geometry, text, bytea, integer);

-- Every stored trip gets its new zones, and its rollups follow them (their
-- triggers queue the changed days for the refresher's cells and datasets).
SELECT trip_zones_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
SELECT air_rollup_refresh(device_id, min(started_at), max(ended_at)) FROM trip GROUP BY device_id;
