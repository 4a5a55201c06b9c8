-- Keys stay in the server. The statement log (log_statement,
-- log_min_duration_statement, auto_explain) writes every parameter a query
-- is sent, so no secret subkey may be one: station names are made in the
-- server (server/station_name.c), trip zones need no key (sql/021), dataset
-- pseudonyms were moved to the server by sql/017. No function that took a
-- key is left.
DROP FUNCTION IF EXISTS station_public_id(uuid, bytea);
DROP FUNCTION IF EXISTS dataset_air(text, timestamptz, timestamptz, bytea);
