-- Two batches that both found a month's partition missing could deadlock
-- (seen in the open-data benchmark's load): each took an advisory lock per
-- partition, and the one that had already created an earlier month held the
-- parent's ACCESS EXCLUSIVE lock while it waited for the other's advisory
-- lock, which waited for the parent. Now a batch that has partitions to
-- create first takes one advisory lock for the parent table, so creators
-- queue in one order; a batch whose months all exist takes no lock at all.
CREATE OR REPLACE FUNCTION ensure_month_partitions(parent text, from_ts timestamptz,
                                                   to_ts timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m timestamptz := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    part text;
    locked boolean := false;
BEGIN
    IF from_ts IS NULL THEN
        RETURN;
    END IF;
    WHILE m <= to_ts LOOP
        part := format('%s_%s', parent, to_char(m AT TIME ZONE 'UTC', 'YYYY_MM'));
        IF to_regclass(part) IS NULL THEN
            IF NOT locked THEN
                PERFORM pg_advisory_xact_lock(hashtext(parent || ' partitions'));
                locked := true;
            END IF;
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           part, parent, m, m + interval '1 month');
        END IF;
        m := m + interval '1 month';
    END LOOP;
END $$;
