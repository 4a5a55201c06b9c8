#include "ingest.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const struct ingest_family ingest_air = {
    "air",
    "CREATE TEMP TABLE IF NOT EXISTS air_staging ("
    " device_id uuid, recorded_at timestamptz, received_at timestamptz,"
    " position geometry(Point, 4326), temperature_c real, humidity_pct real, pressure_pa real,"
    " voltage_v real, battery real, pm1_ugm3 real, pm25_ugm3 real, pm10_ugm3 real, no2 real,"
    " voc real, acc_max real, horizontal_accuracy real, vertical_accuracy real,"
    " satellites smallint, uptime_s bigint, error_code integer, firmware text,"
    " quality integer, raw jsonb) ON COMMIT DELETE ROWS;"
    "COPY air_staging FROM STDIN",
    NULL, /* applied by ingest_air_direct, which passes the trip-zone key */
};

const struct ingest_family ingest_traffic = {
    "traffic",
    "CREATE TEMP TABLE IF NOT EXISTS traffic_staging ("
    " segment_id bigint, interval text, period_start timestamptz, device_id uuid, uptime real,"
    " heavy real, heavy_lft real, heavy_rgt real, car real, car_lft real, car_rgt real,"
    " bike real, bike_lft real, bike_rgt real, pedestrian real, pedestrian_lft real,"
    " pedestrian_rgt real, direction smallint, timezone text, v85 real,"
    " car_speed_hist_0to70plus real[], car_speed_hist_0to120plus real[], quality integer)"
    " ON COMMIT DELETE ROWS;"
    "COPY traffic_staging FROM STDIN",
    "SELECT accepted, duplicates FROM ingest_traffic_apply(); COMMIT",
};

const struct ingest_family ingest_heat = {
    "heat",
    "CREATE TEMP TABLE IF NOT EXISTS heat_staging ("
    " device_id uuid, observed_at timestamptz, temperature_c real, humidity_pct real,"
    " pressure_hpa real, wind_speed_ms real, wind_height_m real, globe_temperature_c real,"
    " globe_diameter_mm real, natural_wet_bulb_c real, solar_radiation_wm2 real, rain_mm real,"
    " wet_bulb_c real, wet_bulb_method text, wbgt_c real, wbgt_method text,"
    " wbgt_approximate boolean, wbgt_category text, heat_index_c real, heat_index_method text,"
    " heat_index_category text, humidex real, humidex_category text, quality integer)"
    " ON COMMIT DELETE ROWS;"
    "COPY heat_staging FROM STDIN",
    "SELECT accepted, duplicates FROM ingest_heat_apply(); COMMIT",
};

const struct ingest_family ingest_experience = {
    "experience",
    "CREATE TEMP TABLE IF NOT EXISTS experience_staging ("
    " device_id uuid, observed_at timestamptz, lat float8, lon float8, scores smallint[],"
    " remark text) ON COMMIT DELETE ROWS;"
    "COPY experience_staging FROM STDIN",
    "SELECT accepted, duplicates FROM ingest_experience_apply(); COMMIT",
};

sm_err device_set_slot(struct device_set *set, const char *hex, size_t *slot)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->slots[i].pseudonym, hex) == 0) {
			*slot = i;
			return SM_OK;
		}
	}
	if (set->n == INGEST_MAX_DEVICES)
		return SM_ERR_TOO_LARGE;
	struct device_slot *s = &set->slots[set->n];
	snprintf(s->pseudonym, sizeof(s->pseudonym), "%s", hex);
	s->id[0] = '\0';
	s->active = false;
	*slot = set->n++;
	return SM_OK;
}

/* Registers what is missing (when allowed) and returns every slot's device.
 * $2..$4 are parallel arrays: external pseudonym, participant pseudonym,
 * token hash. */
static const struct db_stmt resolve_devices = {
    "ingest_resolve_devices",
    "WITH wanted AS ("
    "  SELECT decode(ext, 'hex') AS ext, decode(part, 'hex') AS part, decode(tok, 'hex') AS tok"
    "  FROM unnest($2::text[], $3::text[], $4::text[]) AS t(ext, part, tok)),"
    " added AS ("
    "  INSERT INTO device (project_id, external_pseudonym, participant_pseudonym, token_hash,"
    "                      auto_registered)"
    "  SELECT $1, ext, part, tok, true FROM wanted WHERE $5::boolean"
    "  ON CONFLICT DO NOTHING RETURNING external_pseudonym, id, active)"
    " SELECT encode(w.ext, 'hex'), coalesce(d.id, a.id), coalesce(d.active, a.active),"
    "  (extract(epoch FROM d.in_service_since) * 1000000)::bigint"
    " FROM wanted w"
    " LEFT JOIN device d ON d.project_id = $1 AND d.external_pseudonym = w.ext"
    " LEFT JOIN added a ON a.external_pseudonym = w.ext",
    5,
};

/* Appends `s` to a PostgreSQL array literal being built in b. */
static sm_err array_add(struct buf *b, const char *s)
{
	return buf_printf(b, "%s\"%s\"", b->len > 1 ? "," : "", s);
}

sm_err ingest_resolve_devices(struct db_pool *pool, long long project_id, struct device_set *set,
                              bool auto_register)
{
	if (set->n == 0)
		return SM_OK;
	struct buf ext, part, tok;
	buf_init(&ext, 0);
	buf_init(&part, 0);
	buf_init(&tok, 0);
	sm_err e = buf_puts(&ext, "{");
	if (e == SM_OK)
		e = buf_puts(&part, "{");
	if (e == SM_OK)
		e = buf_puts(&tok, "{");
	for (size_t i = 0; e == SM_OK && i < set->n; i++) {
		/* An auto-registered device is its own participant, and has a
		 * token nobody knows until an admin rotates it. */
		char part_hex[PSEUDONYM_HEX_BYTES], tok_hex[PSEUDONYM_HEX_BYTES];
		char self[PSEUDONYM_HEX_BYTES + 8];
		uint8_t random[PSEUDONYM_BYTES];
		snprintf(self, sizeof(self), "device:%s", set->slots[i].pseudonym);
		pseudonym_hex(PSEUDO_PARTICIPANT, self, strlen(self), part_hex);
		randombytes_buf(random, sizeof(random));
		sodium_bin2hex(tok_hex, sizeof(tok_hex), random, sizeof(random));
		e = array_add(&ext, set->slots[i].pseudonym);
		if (e == SM_OK)
			e = array_add(&part, part_hex);
		if (e == SM_OK)
			e = array_add(&tok, tok_hex);
	}
	if (e == SM_OK)
		e = buf_puts(&ext, "}");
	if (e == SM_OK)
		e = buf_puts(&part, "}");
	if (e == SM_OK)
		e = buf_puts(&tok, "}");
	if (e != SM_OK)
		goto out;

	char project[24];
	snprintf(project, sizeof(project), "%lld", project_id);
	const char *params[] = {project, ext.data, part.data, tok.data, auto_register ? "t" : "f"};
	/* Two uploads registering the same new device at once: the second one's
	 * insert yields to the first, but its statement cannot see the row the
	 * first committed. A second look, in a new statement, does. */
	for (int attempt = 0; attempt < 2; attempt++) {
		struct db_conn *c;
		e = db_acquire(pool, &c);
		if (e != SM_OK)
			goto out;
		PGresult *res;
		e = db_exec(c, &resolve_devices, params, &res);
		db_release(pool, c);
		if (e != SM_OK)
			goto out;
		for (int row = 0; row < PQntuples(res); row++) {
			const char *hex = PQgetvalue(res, row, 0);
			for (size_t i = 0; i < set->n; i++) {
				if (strcmp(set->slots[i].pseudonym, hex) != 0 ||
				    PQgetisnull(res, row, 1))
					continue;
				snprintf(set->slots[i].id, sizeof(set->slots[i].id), "%s",
				         PQgetvalue(res, row, 1));
				set->slots[i].active = strcmp(PQgetvalue(res, row, 2), "t") == 0;
				set->slots[i].in_service_since =
				    PQgetisnull(res, row, 3)
				        ? 0
				        : strtoll(PQgetvalue(res, row, 3), NULL, 10);
			}
		}
		PQclear(res);
		bool all_known = true;
		for (size_t i = 0; i < set->n; i++)
			all_known &= set->slots[i].id[0] != '\0';
		if (all_known || !auto_register)
			break;
	}
out:
	buf_cleanup(&ext);
	buf_cleanup(&part);
	buf_cleanup(&tok);
	return e;
}

/* Inside an open transaction: COPY into the family's staging table, then the
 * apply statements (which commit). *rows gets their counts. */
static sm_err staged_apply(struct db_conn *c, const struct ingest_family *family,
                           const struct buf *copy, PGresult **rows)
{
	sm_err e = db_copy(c, family->prepare, copy->data ? copy->data : "", copy->len);
	if (e == SM_OK)
		e = db_script(c, family->apply, rows);
	return e;
}

static const struct db_stmt ensure_partitions = {
    "ingest_ensure_partitions",
    "SELECT ensure_month_partitions($1, $2::timestamptz, $3::timestamptz)",
    3,
};

static const struct db_stmt trips_extend = {
    "ingest_trips_extend",
    "SELECT trips_extend($1::uuid[], $2::timestamptz[], $3::timestamptz[])",
    3,
};

static const struct db_stmt air_apply = {
    "ingest_air_apply",
    "SELECT accepted, duplicates FROM ingest_air_apply()",
    0,
};

sm_err ingest_air_direct(struct db_pool *pool, const struct air_direct *in, long long *accepted,
                         long long *duplicates)
{
	*accepted = *duplicates = 0;
	char lo[SCALAR_TIME_LEN], hi[SCALAR_TIME_LEN];
	scalar_time_format(in->lo, lo);
	scalar_time_format(in->hi, hi);
	const char *range[] = {"air_reading", lo, hi};
	const char *trips[] = {in->trip_devices->data, in->trip_starts->data, in->trip_ends->data};
	struct db_conn *c;
	PGresult *res = NULL;
	sm_err e = db_acquire(pool, &c);
	if (e != SM_OK)
		return e;
	/* A new month's partition in a transaction of its own: creating it
	 * locks the whole table, and for the whole batch that would keep every
	 * reader (downloads, maps) waiting. */
	e = db_exec(c, &ensure_partitions, range, &res);
	PQclear(res);
	res = NULL;
	if (e == SM_OK)
		e = db_command(c, "BEGIN");
	if (e == SM_OK)
		e = db_copy(c, "SAVEPOINT batch; COPY air_reading FROM STDIN",
		            in->copy->data ? in->copy->data : "", in->copy->len);
	if (e == SM_OK) {
		e = db_exec(c, &trips_extend, trips, &res);
		PQclear(res);
		res = NULL;
		if (e == SM_OK)
			e = db_command(c, "COMMIT");
		if (e == SM_OK)
			*accepted = (long long)in->rows;
	} else if (e == SM_ERR_CONFLICT) {
		/* Some readings are stored already: a retry. Take the careful path. */
		e = db_command(c, "ROLLBACK TO SAVEPOINT batch");
		if (e == SM_OK)
			e = db_copy(c, ingest_air.prepare, in->copy->data ? in->copy->data : "",
			            in->copy->len);
		if (e == SM_OK)
			e = db_exec(c, &air_apply, NULL, &res);
		if (e == SM_OK && PQntuples(res) != 1)
			e = SM_ERR_INTERNAL;
		if (e == SM_OK) {
			*accepted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			*duplicates = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		}
		PQclear(res);
		if (e == SM_OK)
			e = db_command(c, "COMMIT");
		if (e != SM_OK)
			*accepted = *duplicates = 0;
	}
	db_release(pool, c); /* rolls back anything left open by a failure */
	return e;
}

sm_err ingest_run(struct db_pool *pool, const struct ingest_family *family, const struct buf *copy,
                  long long *accepted, long long *duplicates)
{
	*accepted = *duplicates = 0;
	struct db_conn *c;
	sm_err e = db_acquire(pool, &c);
	if (e != SM_OK)
		return e;
	PGresult *rows = NULL;
	e = db_command(c, "BEGIN");
	if (e == SM_OK)
		e = staged_apply(c, family, copy, &rows);
	if (e == SM_OK && (!rows || PQntuples(rows) != 1)) {
		log_error("ingest %s: the apply step returned no counts", family->name);
		e = SM_ERR_INTERNAL;
	}
	if (e == SM_OK) {
		*accepted = strtoll(PQgetvalue(rows, 0, 0), NULL, 10);
		*duplicates = strtoll(PQgetvalue(rows, 0, 1), NULL, 10);
	}
	PQclear(rows);
	db_release(pool, c); /* rolls back anything left open by a failure */
	return e;
}

sm_err copy_text(struct buf *b, const char *s)
{
	sm_err e = SM_OK;
	if (b->len && b->data[b->len - 1] != '\n')
		e = buf_append(b, "\t", 1);
	while (e == SM_OK && *s) {
		size_t plain = strcspn(s, "\\\t\n\r");
		if (plain)
			e = buf_append(b, s, plain);
		s += plain;
		if (e != SM_OK || !*s)
			break;
		static const char escapes[][3] = {
		    ['\\'] = "\\\\", ['\t'] = "\\t", ['\n'] = "\\n", ['\r'] = "\\r"};
		e = buf_append(b, escapes[(unsigned char)*s], 2);
		s++;
	}
	return e;
}

sm_err copy_null(struct buf *b)
{
	return copy_text(b, "") == SM_OK ? buf_append(b, "\\N", 2) : SM_ERR_NOMEM;
}

/* Nine decimals: finer than a float4 holds, and sub-millimetre for
 * coordinates. Far faster than printf("%.9g"), which dominated ingest. */
#define FIXED_DECIMALS 9
#define FIXED_SCALE 1e9
#define FIXED_LIMIT 1e9 /* |v| below this fits an int64 once scaled */

size_t copy_format_double(double v, char out[40])
{
	if (!(fabs(v) < FIXED_LIMIT))
		return (size_t)snprintf(out, 40, "%.9g", v);
	long long scaled = llround(fabs(v) * FIXED_SCALE);
	long long whole = scaled / (long long)FIXED_SCALE;
	long long frac = scaled % (long long)FIXED_SCALE;
	char digits[24];
	size_t n = 0, o = 0;
	if (v < 0 && scaled != 0)
		out[o++] = '-';
	do {
		digits[n++] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (n)
		out[o++] = digits[--n];
	if (frac) {
		out[o++] = '.';
		char f[FIXED_DECIMALS];
		for (int i = FIXED_DECIMALS - 1; i >= 0; i--) {
			f[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		int last = FIXED_DECIMALS - 1;
		while (f[last] == '0')
			last--;
		memcpy(out + o, f, (size_t)last + 1);
		o += (size_t)last + 1;
	}
	out[o] = '\0';
	return o;
}

sm_err copy_double(struct buf *b, double v)
{
	if (isnan(v))
		return copy_null(b);
	char tmp[40];
	copy_format_double(v, tmp);
	return copy_text(b, tmp);
}

sm_err copy_int(struct buf *b, long long v)
{
	char tmp[24];
	snprintf(tmp, sizeof(tmp), "%lld", v);
	return copy_text(b, tmp);
}

sm_err copy_time(struct buf *b, usec_t t)
{
	if (t == 0)
		return copy_null(b);
	char tmp[SCALAR_TIME_LEN];
	scalar_time_format(t, tmp);
	return copy_text(b, tmp);
}

sm_err copy_row_end(struct buf *b)
{
	return buf_append(b, "\n", 1);
}
