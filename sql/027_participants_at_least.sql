-- Exact distinct-participant counts link trips: extend a window until it
-- takes in one more trip; if the count of readings rises and participants
-- does not, that trip's rider was already counted (DESIGN.md section 5).
-- Open outputs now say only that k holds and a coarse size: the largest step
-- of a fixed ladder that the distinct count reaches. The count changes only
-- where it crosses a step, and the steps are far apart, so adding one trip
-- changes what is published only when that trip's rider is new AND the
-- count sits just below a step.
CREATE FUNCTION participants_at_least(n bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT max(step) FROM unnest('{1, 3, 10, 30, 100, 300, 1000, 3000, 10000}'::integer[]) step
    WHERE step <= n
$$;
