/* Unit tests for server/snuffel.c: the Snuffelfiets CSV layouts (platform
 * export and device v3), the JSON form, the quality flags a row sets on its
 * own, and the ones that need neighbours (GPS jumps, stuck sensors). Ends
 * with the whole real platform export. CSV input is copied into a buffer of
 * exactly its length, so a read past the end shows under valgrind and ASan. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "snuffel.h"
#include "unit.h"

#define FIXTURE_FILE "snuffelfiets/platform-export-2024-11-11.csv"

/* "Now" for every parse: 2025-06-01T00:00:00Z, after all the test data. */
#define NOW (INT64_C(1748736000) * USEC_PER_SEC)
#define SEC USEC_PER_SEC
#define MAX_ROWS 100

/* Quality bits (sql/002_readings.sql). */
#define Q_OUT_OF_RANGE (1u << 0)
#define Q_GPS_MISSING (1u << 1)
#define Q_GPS_JUMP (1u << 2)
#define Q_DEVICE_ERROR (1u << 3)
#define Q_HUMIDITY_HIGH (1u << 4)
#define Q_STUCK (1u << 5)
#define Q_TIME_FUTURE (1u << 6)
#define Q_PM_WARMING (1u << 9)

static bool close_to(double got, double want)
{
	return fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
}

/* NAN wants NAN. */
static bool same_value(double got, double want)
{
	return isnan(want) ? isnan(got) : close_to(got, want);
}

/* --- Building one-row uploads ------------------------------------------- */

enum layout { PLATFORM, DEVICE };

struct cell {
	const char *name;
	const char *value;
};

/* The first row of the real export, with error code 0 so that it sets no
 * flag; the unnamed first column and _id are the export tool's. */
static const struct cell platform_base[] = {
    {"", "0"},
    {"_id", "41415374"},
    {"entity_id", "352753098853250"},
    {"recording_timestamp", "2024-11-11T08:48:51"},
    {"receive_timestamp", "2024-11-11T08:53:42.931000"},
    {"acc_max", "0"},
    {"error_code", "0"},
    {"horizontal_accuracy", "65031"},
    {"humidity", "70"},
    {"latitude", "52.0981923"},
    {"longitude", "5.1257414"},
    {"no2", "0"},
    {"pm10", "43"},
    {"pm1_0", "12"},
    {"pm2_5", "26"},
    {"pressure", "1011"},
    {"temperature", "185"},
    {"version_major", "2"},
    {"version_minor", "3"},
    {"vertical_accuracy", "71361"},
    {"voc", "4"},
    {"voltage", "113"},
};

/* A device v3 row as tests/e2e/ingest_data.py writes it. */
static const struct cell device_base[] = {
    {"created_at", "2025-03-04T08:00:00Z"},
    {"imei", "861234567890123"},
    {"lat", "52.09"},
    {"lon", "5.12"},
    {"sat_no", "7"},
    {"battery", "3.9"},
    {"uptime", "120"},
    {"temperature", "12.5"},
    {"humidity", "70"},
    {"pm_1", "5"},
    {"pm_2_5", "10"},
    {"pm_10", "15"},
};

#define MAX_CELLS 40

/* Writes a header and one row: the base layout with `changes` applied.
 * `changes` is "name=value;..." (replacing a value, or adding a column at
 * the end) and "-name" (dropping a column). */
static void build_csv(char *out, size_t outlen, enum layout layout, const char *changes)
{
	char names[MAX_CELLS][340], values[MAX_CELLS][340];
	size_t n = 0;
	const struct cell *base = layout == PLATFORM ? platform_base : device_base;
	size_t nbase = layout == PLATFORM ? NELEMS(platform_base) : NELEMS(device_base);
	for (; n < nbase; n++) {
		snprintf(names[n], sizeof(names[n]), "%s", base[n].name);
		snprintf(values[n], sizeof(values[n]), "%s", base[n].value);
	}
	const char *p = changes ? changes : "";
	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[340];
		assert_true(len < sizeof(item));
		memcpy(item, p, len);
		item[len] = '\0';
		p += len + (end ? 1 : 0);
		bool drop = item[0] == '-';
		char *eq = strchr(item, '=');
		const char *name = drop ? item + 1 : item;
		if (eq)
			*eq = '\0';
		size_t k = 0;
		while (k < n && strcmp(names[k], name) != 0)
			k++;
		if (drop) {
			assert_true(k < n);
			memmove(names[k], names[k + 1], (n - k - 1) * sizeof(names[0]));
			memmove(values[k], values[k + 1], (n - k - 1) * sizeof(values[0]));
			n--;
			continue;
		}
		assert_non_null(eq);
		if (k == n) {
			assert_true(n < MAX_CELLS);
			snprintf(names[n++], sizeof(names[0]), "%s", name);
		}
		snprintf(values[k], sizeof(values[k]), "%s", eq + 1);
	}
	size_t used = 0;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < n; k++) {
			int m = snprintf(out + used, outlen - used, "%s%s", k ? "," : "",
			                 pass ? values[k] : names[k]);
			assert_true(m >= 0 && (size_t)m < outlen - used);
			used += (size_t)m;
		}
		int m = snprintf(out + used, outlen - used, "\n");
		assert_true(m == 1);
		used++;
	}
}

/* Parses `len` bytes of text (copied to an exact-size buffer). */
static sm_err parse_csv(const char *text, size_t len, size_t max_rows, struct air_batch *b,
                        char *why, size_t whylen)
{
	const struct snuffel_limits lim = {max_rows, NOW};
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	air_batch_init(b);
	sm_err e = snuffel_parse_csv(copy, len, &lim, b, why, whylen);
	free(copy);
	return e;
}

/* Builds and parses a one-row upload; the single row in *out when it is
 * accepted. Returns the number of rows accepted. */
static size_t parse_one(enum layout layout, const char *changes, struct air_reading *out,
                        struct row_errors *errs_out)
{
	char text[4096], why[256] = "";
	struct air_batch b;
	build_csv(text, sizeof(text), layout, changes);
	sm_err e = parse_csv(text, strlen(text), MAX_ROWS, &b, why, sizeof(why));
	if (e != SM_OK)
		print_error("\"%s\": %s: %s\n", changes, sm_err_str(e), why);
	size_t n = b.n;
	if (n == 1)
		*out = b.rows[0];
	if (errs_out) {
		*errs_out = b.errors;
		rowerr_init(&b.errors); /* moved */
	}
	air_batch_cleanup(&b);
	return e == SM_OK ? n : 0;
}

/* --- Values and units ----------------------------------------------------- */

struct value_case {
	const char *name;
	enum layout layout;
	const char *changes;
	enum air_value v;
	double want, want_raw; /* NAN: absent */
};

static void check_value(struct table_run *run, const struct value_case *c)
{
	struct air_reading r;
	size_t n = parse_one(c->layout, c->changes, &r, NULL);
	EXPECT(*run, c->name, n == 1);
	if (n != 1)
		return;
	if (!same_value(r.value[c->v], c->want) || !same_value(r.raw[c->v], c->want_raw))
		print_error("case \"%s\": value %.17g raw %.17g\n", c->name, r.value[c->v],
		            r.raw[c->v]);
	EXPECT(*run, c->name, same_value(r.value[c->v], c->want));
	EXPECT(*run, c->name, same_value(r.raw[c->v], c->want_raw));
}

static void test_values(void **state)
{
	static const struct value_case cases[] = {
	    {"temperature x0.1", PLATFORM, NULL, AIR_TEMPERATURE, 18.5, 185},
	    {"negative temperature x0.1", PLATFORM, "temperature=-52", AIR_TEMPERATURE, -5.2, -52},
	    {"pressure x100", PLATFORM, NULL, AIR_PRESSURE, 101100, 1011},
	    {"voltage x0.1 + 3", PLATFORM, NULL, AIR_VOLTAGE, 14.3, 113},
	    {"voltage 0 is 3 V", PLATFORM, "voltage=0", AIR_VOLTAGE, 3.0, 0},
	    {"pm2.5 x0.01 in v2", PLATFORM, NULL, AIR_PM25, 0.26, 26},
	    {"pm1 x0.01 in v2", PLATFORM, NULL, AIR_PM1, 0.12, 12},
	    {"pm10 x0.01 in v2", PLATFORM, NULL, AIR_PM10, 0.43, 43},
	    {"pm2.5 x0.01 in v3", PLATFORM, "version_major=3", AIR_PM25, 0.26, 26},
	    {"pm2.5 as sent in v1", PLATFORM, "version_major=1", AIR_PM25, 26, 26},
	    {"pm10 as sent in v1", PLATFORM, "version_major=1", AIR_PM10, 43, 43},
	    {"pm2.5 as sent in v0", PLATFORM, "version_major=0", AIR_PM25, 26, 26},
	    {"pm2.5 as sent without version", PLATFORM, "version_major=", AIR_PM25, 26, 26},
	    {"pm2.5 as sent without version column", PLATFORM, "-version_major", AIR_PM25, 26, 26},
	    {"pm2.5 0 in v2", PLATFORM, "pm2_5=0", AIR_PM25, 0, 0},
	    {"pm2.5 fraction in v2", PLATFORM, "pm2_5=2.5", AIR_PM25, 0.025, 2.5},
	    {"humidity as sent", PLATFORM, NULL, AIR_HUMIDITY, 70, NAN},
	    {"no2 as sent", PLATFORM, NULL, AIR_NO2, 0, NAN},
	    {"voc as sent", PLATFORM, NULL, AIR_VOC, 4, NAN},
	    {"acc_max as sent", PLATFORM, NULL, AIR_ACC_MAX, 0, NAN},
	    {"horizontal accuracy as sent", PLATFORM, NULL, AIR_HACC, 65031, NAN},
	    {"vertical accuracy as sent", PLATFORM, NULL, AIR_VACC, 71361, NAN},
	    {"empty cell is absent", PLATFORM, "temperature=", AIR_TEMPERATURE, NAN, NAN},
	    {"missing column is absent", PLATFORM, "-pressure", AIR_PRESSURE, NAN, NAN},
	    {"battery absent in platform export", PLATFORM, NULL, AIR_BATTERY, NAN, NAN},
	    {"quoted value", PLATFORM, "temperature=\"185\"", AIR_TEMPERATURE, 18.5, 185},
	    {"exponent", PLATFORM, "pressure=1.011e3", AIR_PRESSURE, 101100, 1011},
	    {"device temperature plain", DEVICE, NULL, AIR_TEMPERATURE, 12.5, NAN},
	    {"device humidity plain", DEVICE, NULL, AIR_HUMIDITY, 70, NAN},
	    {"device pm1 plain", DEVICE, NULL, AIR_PM1, 5, NAN},
	    {"device pm2.5 plain", DEVICE, NULL, AIR_PM25, 10, NAN},
	    {"device pm10 plain", DEVICE, NULL, AIR_PM10, 15, NAN},
	    {"device battery", DEVICE, NULL, AIR_BATTERY, 3.9, NAN},
	    {"device uptime", DEVICE, NULL, AIR_UPTIME, 120, NAN},
	    {"device satellites", DEVICE, NULL, AIR_SATELLITES, 7, NAN},
	    {"device pressure absent", DEVICE, NULL, AIR_PRESSURE, NAN, NAN},
	    {"device takes platform names", DEVICE, "pm2_5=11", AIR_PM25, 11, NAN},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++)
		check_value(&run, &cases[i]);
	static const struct value_case bugs[] = {
	    /* Was a bug: server/snuffel.c row_finish keeps raw[v] only when the
	     * conversion changed the number (y != x), so a platform temperature
	     * or pressure of exactly 0 loses its raw value although x0.1 / x100
	     * applied: temperature "0" gives raw[AIR_TEMPERATURE] NAN, want 0.
	     * The `raw` column then lacks temperature for such rows only. */
	    {"temperature 0 keeps raw", PLATFORM, "temperature=0", AIR_TEMPERATURE, 0, 0},
	    {"pressure 0 keeps raw", PLATFORM, "pressure=0", AIR_PRESSURE, 0, 0},
	};
	for (size_t i = 0; i < NELEMS(bugs); i++)
		check_value(&run, &bugs[i]);
	TABLE_DONE(run);
}

/* Everything else a platform row and a device row carry. */
static void test_row_fields(void **state)
{
	(void)state;
	struct table_run run = {0};
	struct air_reading r;

	EXPECT(run, "platform row", parse_one(PLATFORM, NULL, &r, NULL) == 1);
	EXPECT(run, "platform index", r.index == 0);
	EXPECT_STR(run, "platform device", r.device_ref, "352753098853250");
	EXPECT(run, "platform recorded", r.recorded_at == INT64_C(1731314931) * SEC);
	EXPECT(run, "platform received", r.received_at == INT64_C(1731315222) * SEC + 931000);
	EXPECT(run, "platform position", r.has_position);
	EXPECT(run, "platform lat", close_to(r.lat, 52.0981923));
	EXPECT(run, "platform lon", close_to(r.lon, 5.1257414));
	EXPECT(run, "platform error code", r.error_code == 0);
	EXPECT(run, "platform version", r.version_major == 2 && r.version_minor == 3);
	EXPECT(run, "platform quality", r.quality == 0);

	EXPECT(run, "platform, received with offset",
	       parse_one(PLATFORM, "receive_timestamp=2024-11-11T09:53:42+01:00", &r, NULL) == 1);
	EXPECT(run, "platform, received with offset", r.received_at == INT64_C(1731315222) * SEC);
	EXPECT(run, "platform, no receive time",
	       parse_one(PLATFORM, "receive_timestamp=", &r, NULL) == 1);
	EXPECT(run, "platform, no receive time", r.received_at == 0);
	EXPECT(run, "platform, no error code", parse_one(PLATFORM, "error_code=", &r, NULL) == 1);
	EXPECT(run, "platform, no error code", r.error_code == -1 && r.quality == 0);
	EXPECT(run, "platform, no version",
	       parse_one(PLATFORM, "version_major=;version_minor=", &r, NULL) == 1);
	EXPECT(run, "platform, no version", r.version_major == -1 && r.version_minor == -1);
	EXPECT(run, "platform, no device", parse_one(PLATFORM, "entity_id=", &r, NULL) == 1);
	EXPECT_STR(run, "platform, no device", r.device_ref, "");
	char changes[128];
	snprintf(changes, sizeof(changes), "entity_id=%s",
	         "0123456789012345678901234567890123456789012345678901234567890123");
	EXPECT(run, "device ref of 64 characters", parse_one(PLATFORM, changes, &r, NULL) == 1);
	EXPECT(run, "device ref of 64 characters", strlen(r.device_ref) == 64);

	EXPECT(run, "device row", parse_one(DEVICE, NULL, &r, NULL) == 1);
	EXPECT_STR(run, "device device", r.device_ref, "861234567890123");
	EXPECT(run, "device recorded", r.recorded_at == INT64_C(1741075200) * SEC);
	EXPECT(run, "device received", r.received_at == 0);
	EXPECT(run, "device position", r.has_position && close_to(r.lat, 52.09));
	EXPECT(run, "device error code", r.error_code == -1);
	EXPECT(run, "device version", r.version_major == -1 && r.version_minor == -1);
	EXPECT(run, "device quality", r.quality == 0);
	EXPECT(run, "device time with offset",
	       parse_one(DEVICE, "created_at=2025-03-04T09:00:00+01:00", &r, NULL) == 1);
	EXPECT(run, "device time with offset", r.recorded_at == INT64_C(1741075200) * SEC);
	TABLE_DONE(run);
}

/* --- Quality flags a row sets on its own ----------------------------------- */

static void test_quality(void **state)
{
	static const struct {
		const char *name;
		enum layout layout;
		const char *changes;
		uint32_t want;
		bool has_position;
	} cases[] = {
	    {"no flags", PLATFORM, NULL, 0, true},
	    {"error 1 critical", PLATFORM, "error_code=1", Q_DEVICE_ERROR, true},
	    {"error 4 critical", PLATFORM, "error_code=4", Q_DEVICE_ERROR, true},
	    {"error 8 critical", PLATFORM, "error_code=8", Q_DEVICE_ERROR, true},
	    {"error 16 critical", PLATFORM, "error_code=16", Q_DEVICE_ERROR, true},
	    {"error 512 critical", PLATFORM, "error_code=512", Q_DEVICE_ERROR, true},
	    {"error 1024 critical", PLATFORM, "error_code=1024", Q_DEVICE_ERROR, true},
	    {"error 4096 critical", PLATFORM, "error_code=4096", Q_DEVICE_ERROR, true},
	    {"all critical bits", PLATFORM, "error_code=5661", Q_DEVICE_ERROR, true},
	    {"error 32 no fix", PLATFORM, "error_code=32", Q_GPS_MISSING, true},
	    {"error 2048 pm warming", PLATFORM, "error_code=2048", Q_PM_WARMING, true},
	    {"error 2080 = 2048 + 32", PLATFORM, "error_code=2080", Q_PM_WARMING | Q_GPS_MISSING,
	     true},
	    {"error 2 not critical", PLATFORM, "error_code=2", 0, true},
	    {"error 64 not critical", PLATFORM, "error_code=64", 0, true},
	    {"error 8192 not critical", PLATFORM, "error_code=8192", 0, true},
	    {"every bit", PLATFORM, "error_code=2147483647",
	     Q_DEVICE_ERROR | Q_GPS_MISSING | Q_PM_WARMING, true},
	    {"lat = lon = 0 is no fix", PLATFORM, "latitude=0;longitude=0", Q_GPS_MISSING, false},
	    {"lat = lon = 0.0 is no fix", PLATFORM, "latitude=0.0;longitude=-0", Q_GPS_MISSING,
	     false},
	    {"no fix with error 32", PLATFORM, "latitude=0;longitude=0;error_code=32",
	     Q_GPS_MISSING, false},
	    {"latitude empty", PLATFORM, "latitude=", Q_GPS_MISSING, false},
	    {"longitude empty", PLATFORM, "longitude=", Q_GPS_MISSING, false},
	    {"no position columns", PLATFORM, "-latitude;-longitude", Q_GPS_MISSING, false},
	    {"device lat = lon = 0", DEVICE, "lat=0;lon=0", Q_GPS_MISSING, false},
	    {"humidity 85", PLATFORM, "humidity=85", 0, true},
	    {"humidity 85.1", PLATFORM, "humidity=85.1", Q_HUMIDITY_HIGH, true},
	    {"humidity 100", PLATFORM, "humidity=100", Q_HUMIDITY_HIGH, true},
	    {"humidity 101 out of range", PLATFORM, "humidity=101",
	     Q_HUMIDITY_HIGH | Q_OUT_OF_RANGE, true},
	    {"device humidity 90", DEVICE, "humidity=90", Q_HUMIDITY_HIGH, true},
	    {"temperature 80 C out of range", PLATFORM, "temperature=800", Q_OUT_OF_RANGE, true},
	    {"temperature -41 C out of range", PLATFORM, "temperature=-410", Q_OUT_OF_RANGE, true},
	    {"pressure 790 hPa out of range", PLATFORM, "pressure=790", Q_OUT_OF_RANGE, true},
	    {"pm2.5 1000 in v1 at the limit", PLATFORM, "version_major=1;pm2_5=1000", 0, true},
	    {"pm2.5 1001 in v1 out of range", PLATFORM, "version_major=1;pm2_5=1001",
	     Q_OUT_OF_RANGE, true},
	    {"pm2.5 1001 in v2 fine", PLATFORM, "pm2_5=1001", 0, true},
	    {"device satellites 100 out of range", DEVICE, "sat_no=100", Q_OUT_OF_RANGE, true},
	    {"recorded 5 min after receive", PLATFORM,
	     "recording_timestamp=2024-11-11T08:58:42.931", 0, true},
	    {"recorded 5 min + 1 us after receive", PLATFORM,
	     "recording_timestamp=2024-11-11T08:58:42.931001", Q_TIME_FUTURE, true},
	    {"recorded an hour after receive", PLATFORM, "recording_timestamp=2024-11-11T09:53:42",
	     Q_TIME_FUTURE, true},
	    {"recorded before receive", PLATFORM, "recording_timestamp=2024-11-11T07:00:00", 0,
	     true},
	    {"no receive time, recorded in the past", PLATFORM, "receive_timestamp=", 0, true},
	    {"no receive time, recorded 10 min after now", DEVICE,
	     "created_at=2025-06-01T00:10:00Z", Q_TIME_FUTURE, true},
	    {"no receive time, recorded 5 min after now", DEVICE, "created_at=2025-06-01T00:05:00Z",
	     0, true},
	    {"recorded 23 h after now", DEVICE, "created_at=2025-06-01T23:00:00Z", Q_TIME_FUTURE,
	     true},
	    {"several at once", PLATFORM,
	     "error_code=2049;latitude=0;longitude=0;humidity=99;temperature=900",
	     Q_DEVICE_ERROR | Q_PM_WARMING | Q_GPS_MISSING | Q_HUMIDITY_HIGH | Q_OUT_OF_RANGE,
	     false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct air_reading r;
		size_t n = parse_one(cases[i].layout, cases[i].changes, &r, NULL);
		EXPECT(run, cases[i].name, n == 1);
		if (n != 1)
			continue;
		if (r.quality != cases[i].want)
			print_error("case \"%s\": quality %u, want %u\n", cases[i].name,
			            (unsigned)r.quality, (unsigned)cases[i].want);
		EXPECT(run, cases[i].name, r.quality == cases[i].want);
		EXPECT(run, cases[i].name, r.has_position == cases[i].has_position);
	}
	TABLE_DONE(run);
}

/* --- Rows refused one by one ------------------------------------------------ */

static void test_row_refused(void **state)
{
	static const struct {
		const char *name;
		enum layout layout;
		const char *changes;
		const char *want_field;
		const char *want_reason;
	} cases[] = {
	    {"negative pm2.5", PLATFORM, "pm2_5=-1", "pm2_5", "cannot be negative"},
	    {"negative pm1", PLATFORM, "pm1_0=-0.5", "pm1_0", "cannot be negative"},
	    {"negative pm10", PLATFORM, "pm10=-3", "pm10", "cannot be negative"},
	    {"device negative pm2.5 named as sent", DEVICE, "pm_2_5=-1", "pm_2_5",
	     "cannot be negative"},
	    {"device negative pm10 named as sent", DEVICE, "pm_10=-1", "pm_10",
	     "cannot be negative"},
	    {"device row with platform pm name", DEVICE, "-pm_2_5;pm2_5=-1", "pm2_5",
	     "cannot be negative"},
	    {"negative humidity", PLATFORM, "humidity=-1", "humidity", "cannot be negative"},
	    {"negative satellites", DEVICE, "sat_no=-1", "sat_no", "cannot be negative"},
	    {"negative uptime", DEVICE, "uptime=-5", "uptime", "cannot be negative"},
	    {"latitude of Paris", PLATFORM, "latitude=48.8566", "latitude",
	     "outside the Netherlands"},
	    {"longitude of Paris", PLATFORM, "longitude=2.3522", "longitude",
	     "outside the Netherlands"},
	    {"latitude 0 alone", PLATFORM, "latitude=0", "latitude", "outside the Netherlands"},
	    {"device lat outside", DEVICE, "lat=54", "lat", "outside the Netherlands"},
	    {"device lon outside", DEVICE, "lon=7.5", "lon", "outside the Netherlands"},
	    {"lat and lon swapped", DEVICE, "lat=5.12;lon=52.09", "lat", "outside the Netherlands"},
	    {"latitude not a number", PLATFORM, "latitude=\"52,1\"", "latitude", "not a number"},
	    {"temperature not a number", PLATFORM, "temperature=warm", "temperature",
	     "not a number"},
	    {"temperature nan", PLATFORM, "temperature=nan", "temperature", "not a number"},
	    {"temperature absurd", PLATFORM, "temperature=1e11", "temperature", "absurdly large"},
	    {"humidity with a space", PLATFORM, "humidity= 70", "humidity", "not a number"},
	    {"negative error code", PLATFORM, "error_code=-1", "error_code",
	     "not a non-negative integer"},
	    {"error code over int32", PLATFORM, "error_code=2147483648", "error_code",
	     "not a non-negative integer"},
	    {"fractional version", PLATFORM, "version_major=2.0", "version_major",
	     "not a non-negative integer"},
	    {"bad minor version", PLATFORM, "version_minor=x", "version_minor",
	     "not a non-negative integer"},
	    {"recording time empty", PLATFORM, "recording_timestamp=", "recording_timestamp",
	     "is required"},
	    {"recording time garbage", PLATFORM, "recording_timestamp=yesterday",
	     "recording_timestamp", "expected a time"},
	    {"february 30", PLATFORM, "recording_timestamp=2024-02-30T08:00:00",
	     "recording_timestamp", "not a calendar date"},
	    {"recording before 2000", PLATFORM, "recording_timestamp=1999-12-31T23:59:59",
	     "recording_timestamp", "before 2000"},
	    {"recording over a day after now", PLATFORM, "recording_timestamp=2025-06-02T00:00:01",
	     "recording_timestamp", "more than a day in the future"},
	    {"receive time garbage", PLATFORM, "receive_timestamp=soon", "receive_timestamp",
	     "expected a time"},
	    {"device bare time", DEVICE, "created_at=2025-03-04T08:00:00", "created_at",
	     "no UTC offset"},
	    {"device bare time with space", DEVICE, "created_at=2025-03-04 08:00:00", "created_at",
	     "no UTC offset"},
	    {"device time empty", DEVICE, "created_at=", "created_at", "is required"},
	    {"device ref over 64 characters", PLATFORM,
	     "entity_id=01234567890123456789012345678901234567890123456789012345678901234",
	     "entity_id", "longer than 64"},
	    {"device ref with a space", PLATFORM, "entity_id=3527 5309", "entity_id",
	     "printable ASCII"},
	    {"device ref with utf-8", DEVICE, "imei=86123\xc3\xa9", "imei", "printable ASCII"},
	    {"device ref with a tab", DEVICE, "imei=861\t23", "imei", "printable ASCII"},
	    {"first failing cell is the one listed", PLATFORM, "temperature=x;humidity=-1",
	     "temperature", "not a number"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct air_reading r;
		struct row_errors errs;
		size_t n = parse_one(cases[i].layout, cases[i].changes, &r, &errs);
		EXPECT(run, cases[i].name, n == 0);
		EXPECT(run, cases[i].name, errs.rejected == 1 && errs.listed == 1);
		if (errs.listed == 1) {
			EXPECT(run, cases[i].name, errs.items[0].index == 0);
			EXPECT_STR(run, cases[i].name, errs.items[0].field, cases[i].want_field);
			EXPECT_HAS(run, cases[i].name, errs.items[0].reason, cases[i].want_reason);
		}
		rowerr_cleanup(&errs);
	}
	TABLE_DONE(run);
}

/* --- Whole uploads ------------------------------------------------------- */

#define PLATFORM_HEADER                                                                            \
	"entity_id,recording_timestamp,receive_timestamp,error_code,humidity,latitude,longitude,"  \
	"pm2_5,version_major\n"
#define PLATFORM_ROW(t) "352753098853250," t ",,0,70,52.09,5.12,26,2\n"

/* Uploads that are read: how many rows are kept, and which are listed. */
static void test_csv_uploads(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t max_rows;
		size_t want_rows;
		const char *want_errors; /* "index:field:reason-prefix;" each */
	} cases[] = {
	    {"header only", PLATFORM_HEADER, MAX_ROWS, 0, ""},
	    {"two rows",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51")
	         PLATFORM_ROW("2024-11-11T08:49:01"),
	     MAX_ROWS, 2, ""},
	    {"crlf and bom",
	     "\xEF\xBB\xBF"
	     "entity_id,recording_timestamp,pm2_5\r\n1,2024-11-11T08:48:51,26\r\n",
	     MAX_ROWS, 1, ""},
	    {"blank lines skipped", PLATFORM_HEADER "\n" PLATFORM_ROW("2024-11-11T08:48:51") "\n\n",
	     MAX_ROWS, 1, ""},
	    {"unknown columns ignored",
	     "foo,entity_id,recording_timestamp,bar,Temperature\n\"a,b\",1,2024-11-11T08:48:51,"
	     "x,y\n",
	     MAX_ROWS, 1, ""},
	    {"too few fields listed",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51") "352753098853250,2024-11-11T08:49:"
	                                                         "01\n" PLATFORM_ROW(
	                                                             "2024-11-11T08:49:11"),
	     MAX_ROWS, 2, "1::has 2 fields where the header has 9 (CSV line 3);"},
	    {"too many fields listed",
	     PLATFORM_HEADER "352753098853250,2024-11-11T08:48:51,,0,70,52.09,5.12,26,2,extra\n",
	     MAX_ROWS, 0, "0::has 10 fields where the header has 9 (CSV line 2);"},
	    {"line numbers after a quoted newline",
	     "entity_id,recording_timestamp,note\n1,2024-11-11T08:48:51,\"a\nb\"\n1,2\n", MAX_ROWS,
	     1, "1::has 2 fields where the header has 3 (CSV line 4);"},
	    {"bad rows listed by index",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51") PLATFORM_ROW("bad")
	         PLATFORM_ROW("2024-11-11T08:49:11") PLATFORM_ROW("1999-01-01T00:00:00"),
	     MAX_ROWS, 2,
	     "1:recording_timestamp:expected a time;3:recording_timestamp:is before 2000;"},
	    {"exactly max_rows",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51")
	         PLATFORM_ROW("2024-11-11T08:49:01"),
	     2, 2, ""},
	    {"device layout", "created_at,imei,pm_2_5\n2025-03-04T08:00:00Z,861234567890123,10\n",
	     MAX_ROWS, 1, ""},
	    {"device layout without device column", "created_at,pm_2_5\n2025-03-04T08:00:00Z,10\n",
	     MAX_ROWS, 1, ""},
	    {"time column only", "recording_timestamp\n2024-11-11T08:48:51\n", MAX_ROWS, 1, ""},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct air_batch b;
		char why[256] = "";
		sm_err e = parse_csv(cases[i].text, strlen(cases[i].text), cases[i].max_rows, &b,
		                     why, sizeof(why));
		if (e != SM_OK)
			print_error("case \"%s\": %s: %s\n", cases[i].name, sm_err_str(e), why);
		EXPECT(run, cases[i].name, e == SM_OK);
		EXPECT(run, cases[i].name, b.n == cases[i].want_rows);
		char got[512] = "";
		json_t *list = rowerr_json(&b.errors);
		size_t k;
		json_t *item;
		json_array_foreach(list, k, item) {
			size_t used = strlen(got);
			snprintf(got + used, sizeof(got) - used, "%lld:%s:%s;",
			         (long long)json_integer_value(json_object_get(item, "index")),
			         json_string_value(json_object_get(item, "field")),
			         json_string_value(json_object_get(item, "reason")));
		}
		json_decref(list);
		/* Each listed reason starts with the wanted text. */
		const char *w = cases[i].want_errors, *g = got;
		bool match = true;
		while (*w && match) {
			const char *wend = strchr(w, ';'), *gend = strchr(g, ';');
			if (!wend || !gend || strncmp(g, w, (size_t)(wend - w)) != 0)
				match = false;
			w = wend ? wend + 1 : w + strlen(w);
			g = gend ? gend + 1 : g + strlen(g);
		}
		if (!match || *g)
			print_error("case \"%s\": errors \"%s\", want \"%s\"\n", cases[i].name, got,
			            cases[i].want_errors);
		EXPECT(run, cases[i].name, match && !*g);
		EXPECT(run, cases[i].name, b.errors.rejected == b.errors.listed);
		air_batch_cleanup(&b);
	}
	TABLE_DONE(run);
}

/* Uploads that cannot be read as a whole. */
static void test_csv_refused(void **state)
{
	static char wide_header[2048], long_field[1024];
	static const struct {
		const char *name;
		const char *text; /* NULL: built below */
		size_t max_rows;
		sm_err want;
		const char *want_why;
	} cases[] = {
	    {"empty body", "", MAX_ROWS, SM_ERR_INVALID, "the body is empty"},
	    {"blank lines only", "\n\r\n", MAX_ROWS, SM_ERR_INVALID, "the body is empty"},
	    {"no time column", "entity_id,pm2_5\n1,26\n", MAX_ROWS, SM_ERR_INVALID,
	     "names no time column"},
	    {"receive time is not a time column", "entity_id,receive_timestamp\n1,x\n", MAX_ROWS,
	     SM_ERR_INVALID, "names no time column"},
	    {"time column in other case", "Recording_Timestamp,pm2_5\n2024-11-11T08:48:51,26\n",
	     MAX_ROWS, SM_ERR_INVALID, "names no time column"},
	    {"json sent as csv", "[{\"created_at\": \"2025-03-04T08:00:00Z\"}]", MAX_ROWS,
	     SM_ERR_INVALID, ""},
	    {"broken quoting in the header", "\"created_at,pm\n", MAX_ROWS, SM_ERR_INVALID,
	     "unterminated"},
	    {"broken quoting in a row",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51") "1,\"2024\n", MAX_ROWS,
	     SM_ERR_INVALID, "unterminated quoted field starting on line 3"},
	    {"nul byte", "recording_timestamp\n2024-11-11T08:48:51\0\n", MAX_ROWS, SM_ERR_INVALID,
	     "nul byte"},
	    {"more than max_rows",
	     PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51") PLATFORM_ROW("2024-11-11T08:49:01")
	         PLATFORM_ROW("2024-11-11T08:49:11"),
	     2, SM_ERR_TOO_LARGE, "more than 2 rows"},
	    {"max_rows 0", PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51"), 0, SM_ERR_TOO_LARGE,
	     "more than 0 rows"},
	    {"more than max_rows, bad rows too", PLATFORM_HEADER "x\ny\nz\n", 2, SM_ERR_TOO_LARGE,
	     "more than 2 rows"},
	    {"a field over 256 bytes", NULL, MAX_ROWS, SM_ERR_INVALID, "longer than 256 bytes"},
	    {"a row over 64 fields", NULL, MAX_ROWS, SM_ERR_INVALID, "more than 64 fields"},
	};
	(void)state;
	struct table_run run = {0};

	/* A valid row with a 300-byte field. */
	snprintf(long_field, sizeof(long_field), "recording_timestamp,note\n2024-11-11T08:48:51,");
	memset(long_field + strlen(long_field), 'x', 300);
	/* A header row, and a data row of 65 fields. */
	int used =
	    snprintf(wide_header, sizeof(wide_header), "recording_timestamp\n2024-11-11T08:48:51");
	for (int k = 0; k < 64; k++)
		used += snprintf(wide_header + used, sizeof(wide_header) - (size_t)used, ",1");

	for (size_t i = 0; i < NELEMS(cases); i++) {
		const char *text = cases[i].text;
		if (!text)
			text = strstr(cases[i].name, "256") ? long_field : wide_header;
		size_t len = strlen(text);
		if (strcmp(cases[i].name, "nul byte") == 0)
			len = 41; /* the NUL and the newline after it */
		struct air_batch b;
		char why[256] = "";
		sm_err e = parse_csv(text, len, cases[i].max_rows, &b, why, sizeof(why));
		if (e != cases[i].want)
			print_error("case \"%s\": got %s (%s), want %s\n", cases[i].name,
			            sm_err_str(e), why, sm_err_str(cases[i].want));
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT_HAS(run, cases[i].name, why, cases[i].want_why);
		EXPECT(run, cases[i].name, why[0] != '\0');
		air_batch_cleanup(&b);
	}
	TABLE_DONE(run);
}

/* Contract edges of snuffel_parse_csv that disagree with its header
 * comment once (regression rows for bugs found by review). */
static void test_csv_contract(void **state)
{
	(void)state;
	struct table_run run = {0};
	/* Was a bug: server/snuffel.c snuffel_parse_csv: the header says the result is
	 * SM_ERR_INVALID when the body cannot be read and SM_ERR_TOO_LARGE only
	 * over max_rows, but a limit passed while reading the header line (more
	 * than 64 columns, or a header field over 256 bytes) comes back as
	 * SM_ERR_TOO_LARGE, while the same limit in a data row is turned into
	 * SM_ERR_INVALID. Input: "recording_timestamp" followed by 64 times ",c"
	 * and a newline. Observed SM_ERR_TOO_LARGE ("more than 64 fields on line
	 * 1"), expected SM_ERR_INVALID. */
	{
		char text[1024] = "recording_timestamp";
		size_t used = strlen(text);
		for (int k = 0; k < 64; k++)
			used += (size_t)snprintf(text + used, sizeof(text) - used, ",c");
		snprintf(text + used, sizeof(text) - used, "\n");
		struct air_batch b;
		char why[256] = "";
		EXPECT(run, "65 header columns",
		       parse_csv(text, strlen(text), MAX_ROWS, &b, why, sizeof(why)) ==
		           SM_ERR_INVALID);
		air_batch_cleanup(&b);
	}
	/* Was a bug: server/snuffel.c snuffel_parse_csv: "SM_ERR_INVALID when the body
	 * cannot be read at all (...): why says why and nothing is kept", but
	 * the rows read before broken quoting stay in b->rows. Input:
	 * PLATFORM_HEADER, one good row, then "1,\"2024\n". Observed b.n == 1,
	 * expected 0. (The handler discards the batch, so nothing is stored.) */
	{
		const char *text = PLATFORM_HEADER PLATFORM_ROW("2024-11-11T08:48:51") "1,\"2024\n";
		struct air_batch b;
		char why[256] = "";
		EXPECT(run, "nothing kept on error",
		       parse_csv(text, strlen(text), MAX_ROWS, &b, why, sizeof(why)) ==
		               SM_ERR_INVALID &&
		           b.n == 0);
		air_batch_cleanup(&b);
	}
	TABLE_DONE(run);
}

/* --- JSON ------------------------------------------------------------------ */

static void test_json(void **state)
{
	static const struct {
		const char *name;
		const char *json;
		size_t want_rows;
		size_t want_rejected;
		const char *want_field; /* of the first listed error; NULL: none */
		const char *want_reason;
		enum air_value v; /* checked on the first row */
		double want_value, want_raw;
	} cases[] = {
	    {"platform names, numbers",
	     "[{\"entity_id\": 352753098853250, \"recording_timestamp\": \"2024-11-11T08:48:51\","
	     " \"temperature\": 185, \"version_major\": 2, \"pm2_5\": 26}]",
	     1, 0, NULL, NULL, AIR_TEMPERATURE, 18.5, 185},
	    {"platform pm converted",
	     "[{\"entity_id\": \"1\", \"recording_timestamp\": \"2024-11-11T08:48:51\","
	     " \"version_major\": 2, \"pm2_5\": 26}]",
	     1, 0, NULL, NULL, AIR_PM25, 0.26, 26},
	    {"version after pm still converts",
	     "[{\"recording_timestamp\": \"2024-11-11T08:48:51\", \"pm2_5\": 26,"
	     " \"version_major\": 2}]",
	     1, 0, NULL, NULL, AIR_PM25, 0.26, 26},
	    {"version 1 pm as sent",
	     "[{\"recording_timestamp\": \"2024-11-11T08:48:51\", \"pm2_5\": 26,"
	     " \"version_major\": 1}]",
	     1, 0, NULL, NULL, AIR_PM25, 26, 26},
	    {"numbers as strings",
	     "[{\"entity_id\": \"352753098853250\", \"recording_timestamp\": "
	     "\"2024-11-11T08:48:51\", \"temperature\": \"185\", \"version_major\": \"2\","
	     " \"pm2_5\": \"26\"}]",
	     1, 0, NULL, NULL, AIR_TEMPERATURE, 18.5, 185},
	    {"real numbers",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"lat\": 52.0981923,"
	     " \"lon\": 5.1257414, \"temperature\": 12.25}]",
	     1, 0, NULL, NULL, AIR_TEMPERATURE, 12.25, NAN},
	    {"device names, plain units",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"imei\": \"861234567890123\","
	     " \"pm_2_5\": 10, \"temperature\": 12.5}]",
	     1, 0, NULL, NULL, AIR_PM25, 10, NAN},
	    {"null members are absent",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": null, \"lat\": null}]", 1, 0,
	     NULL, NULL, AIR_PM25, NAN, NAN},
	    {"unknown members ignored",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": 10, \"colour\": [1, 2],"
	     " \"nested\": {\"a\": true}}]",
	     1, 0, NULL, NULL, AIR_PM25, 10, NAN},
	    {"empty array", "[]", 0, 0, NULL, NULL, AIR_PM25, NAN, NAN},
	    {"non-object elements listed",
	     "[1, \"x\", null, [], {\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": 10}]", 1,
	     4, "", "a reading must be a JSON object", AIR_PM25, 10, NAN},
	    {"boolean value", "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": true}]", 0,
	     1, "pm_2_5", "must be a number or a string", AIR_PM25, NAN, NAN},
	    {"object value", "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"lat\": {}}]", 0, 1,
	     "lat", "must be a number or a string", AIR_PM25, NAN, NAN},
	    {"device bare time refused", "[{\"created_at\": \"2025-03-04T08:00:00\"}]", 0, 1,
	     "created_at", "no UTC offset", AIR_PM25, NAN, NAN},
	    {"platform bare time accepted",
	     "[{\"entity_id\": \"1\", \"recording_timestamp\": \"2024-11-11T08:48:51\"}]", 1, 0,
	     NULL, NULL, AIR_PM25, NAN, NAN},
	    {"time as a number refused", "[{\"created_at\": 1741075200}]", 0, 1, "created_at",
	     "expected a time", AIR_PM25, NAN, NAN},
	    {"no time", "[{\"imei\": \"1\", \"pm_2_5\": 3}]", 0, 1, "created_at", "is required",
	     AIR_PM25, NAN, NAN},
	    {"negative pm named as sent",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": -1}]", 0, 1, "pm_2_5",
	     "cannot be negative", AIR_PM25, NAN, NAN},
	    {"negative pm, platform name",
	     "[{\"recording_timestamp\": \"2024-11-11T08:48:51\", \"pm2_5\": -1}]", 0, 1, "pm2_5",
	     "cannot be negative", AIR_PM25, NAN, NAN},
	    {"outside the Netherlands",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"lat\": 48.85, \"lon\": 2.35}]", 0, 1,
	     "lat", "outside the Netherlands", AIR_PM25, NAN, NAN},
	    {"platform lon outside",
	     "[{\"recording_timestamp\": \"2024-11-11T08:48:51\", \"latitude\": 52.1,"
	     " \"longitude\": 8}]",
	     0, 1, "longitude", "outside the Netherlands", AIR_PM25, NAN, NAN},
	    {"huge number", "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"pm_2_5\": 1e300}]", 0, 1,
	     "pm_2_5", "absurdly large", AIR_PM25, NAN, NAN},
	    {"error code 32.0 read as 32",
	     "[{\"entity_id\": \"1\", \"recording_timestamp\": \"2024-11-11T08:48:51\","
	     " \"error_code\": 32.0}]",
	     1, 0, NULL, NULL, AIR_PM25, NAN, NAN},
	    {"fractional version",
	     "[{\"entity_id\": \"1\", \"recording_timestamp\": \"2024-11-11T08:48:51\","
	     " \"version_major\": 2.5}]",
	     0, 1, "version_major", "not a non-negative integer", AIR_PM25, NAN, NAN},
	    {"device ref with control character",
	     "[{\"created_at\": \"2025-03-04T08:00:00Z\", \"imei\": \"86\\u0000123\"}]", 0, 1,
	     "imei", "printable ASCII", AIR_PM25, NAN, NAN},
	    {"time with nul", "[{\"created_at\": \"2025-03-04T08:00:00Z\\u0000\"}]", 0, 1,
	     "created_at", "unexpected text", AIR_PM25, NAN, NAN},
	};
	(void)state;
	struct table_run run = {0};
	const struct snuffel_limits lim = {MAX_ROWS, NOW};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_error_t jerr;
		json_t *root = json_loads(cases[i].json, JSON_ALLOW_NUL, &jerr);
		if (!root) {
			print_error("case \"%s\": bad test json: %s\n", cases[i].name, jerr.text);
			run.failed++;
			continue;
		}
		struct air_batch b;
		char why[256] = "";
		air_batch_init(&b);
		sm_err e = snuffel_parse_json(root, &lim, &b, why, sizeof(why));
		if (e != SM_OK)
			print_error("case \"%s\": %s: %s\n", cases[i].name, sm_err_str(e), why);
		EXPECT(run, cases[i].name, e == SM_OK);
		EXPECT(run, cases[i].name, b.n == cases[i].want_rows);
		EXPECT(run, cases[i].name, b.errors.rejected == cases[i].want_rejected);
		if (cases[i].want_field && b.errors.listed > 0) {
			EXPECT_STR(run, cases[i].name, b.errors.items[0].field,
			           cases[i].want_field);
			EXPECT_HAS(run, cases[i].name, b.errors.items[0].reason,
			           cases[i].want_reason);
		}
		if (b.n > 0) {
			const struct air_reading *r = &b.rows[0];
			EXPECT(run, cases[i].name,
			       same_value(r->value[cases[i].v], cases[i].want_value));
			EXPECT(run, cases[i].name,
			       same_value(r->raw[cases[i].v], cases[i].want_raw));
		}
		air_batch_cleanup(&b);
		json_decref(root);
	}
	TABLE_DONE(run);
}

/* The index of a JSON row is its place in the array, listed or kept. */
static void test_json_indexes(void **state)
{
	(void)state;
	struct table_run run = {0};
	const struct snuffel_limits lim = {MAX_ROWS, NOW};
	json_t *root = json_loads("[{\"created_at\": \"2025-03-04T08:00:00Z\"}, 7,"
	                          " {\"created_at\": \"bad\"}, {\"created_at\":"
	                          " \"2025-03-04T08:00:10Z\", \"imei\": \"a\"}]",
	                          0, NULL);
	assert_non_null(root);
	struct air_batch b;
	char why[256] = "";
	air_batch_init(&b);
	EXPECT(run, "parses", snuffel_parse_json(root, &lim, &b, why, sizeof(why)) == SM_OK);
	EXPECT(run, "two kept", b.n == 2);
	EXPECT(run, "kept indexes", b.n == 2 && b.rows[0].index == 0 && b.rows[1].index == 3);
	EXPECT(run, "two listed", b.errors.listed == 2);
	EXPECT(run, "listed indexes",
	       b.errors.listed == 2 && b.errors.items[0].index == 1 &&
	           b.errors.items[1].index == 2);
	EXPECT_STR(run, "device kept", b.n == 2 ? b.rows[1].device_ref : NULL, "a");
	air_batch_cleanup(&b);
	json_decref(root);
	TABLE_DONE(run);
}

static void test_json_refused(void **state)
{
	static const struct {
		const char *name;
		const char *json;
		size_t max_rows;
		sm_err want;
		const char *want_why;
	} cases[] = {
	    {"object", "{\"created_at\": \"2025-03-04T08:00:00Z\"}", MAX_ROWS, SM_ERR_INVALID,
	     "expected a JSON array"},
	    {"string", "\"x\"", MAX_ROWS, SM_ERR_INVALID, "expected a JSON array"},
	    {"null", "null", MAX_ROWS, SM_ERR_INVALID, "expected a JSON array"},
	    {"more than max_rows", "[1, 2, 3]", 2, SM_ERR_TOO_LARGE, "more than 2 rows"},
	    {"max_rows 0", "[{}]", 0, SM_ERR_TOO_LARGE, "more than 0 rows"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		json_t *root = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(root);
		const struct snuffel_limits lim = {cases[i].max_rows, NOW};
		struct air_batch b;
		char why[256] = "";
		air_batch_init(&b);
		sm_err e = snuffel_parse_json(root, &lim, &b, why, sizeof(why));
		EXPECT(run, cases[i].name, e == cases[i].want);
		EXPECT_HAS(run, cases[i].name, why, cases[i].want_why);
		EXPECT(run, cases[i].name, b.n == 0 && b.errors.rejected == 0);
		air_batch_cleanup(&b);
		json_decref(root);
	}
	/* Not even an array value. */
	struct air_batch b;
	char why[256] = "";
	const struct snuffel_limits lim = {MAX_ROWS, NOW};
	air_batch_init(&b);
	EXPECT(run, "NULL root",
	       snuffel_parse_json(NULL, &lim, &b, why, sizeof(why)) == SM_ERR_INVALID);
	air_batch_cleanup(&b);
	TABLE_DONE(run);
}

/* --- Flags that need neighbours -------------------------------------------- */

struct point {
	size_t device;
	int64_t t_s;     /* seconds after 2025-03-04T08:00:00Z */
	double lat, lon; /* 0, 0: no position */
	double pm25;     /* NAN: absent */
};

#define T_BASE (INT64_C(1741075200) * SEC)

/* A batch of rows built directly, as a parse would leave them. */
static void make_batch(struct air_batch *b, const struct point *pts, size_t n)
{
	air_batch_init(b);
	b->rows = calloc(n ? n : 1, sizeof(*b->rows));
	assert_non_null(b->rows);
	b->n = b->cap = n;
	for (size_t i = 0; i < n; i++) {
		struct air_reading *r = &b->rows[i];
		r->index = i;
		r->device = pts[i].device;
		r->recorded_at = T_BASE + pts[i].t_s * SEC;
		r->has_position = !(pts[i].lat == 0 && pts[i].lon == 0);
		r->lat = pts[i].lat;
		r->lon = pts[i].lon;
		for (size_t v = 0; v < AIR_NVALUES; v++)
			r->value[v] = r->raw[v] = NAN;
		r->value[AIR_PM25] = pts[i].pm25;
		r->error_code = -1;
		r->version_major = r->version_minor = -1;
	}
}

/* Which rows (by original index) carry `bit` after flagging: "0,3,". */
static void flagged(const struct air_batch *b, uint32_t bit, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t idx = 0; idx < b->n; idx++)
		for (size_t k = 0; k < b->n; k++)
			if (b->rows[k].index == idx && (b->rows[k].quality & bit)) {
				size_t used = strlen(out);
				snprintf(out + used, outlen - used, "%zu,", idx);
			}
}

static void test_gps_jump(void **state)
{
	/* 0.198 degrees of latitude is 22 km. */
	static const struct {
		const char *name;
		struct point pts[6];
		size_t n;
		const char *want; /* rows flagged gps_jump */
	} cases[] = {
	    {"22 km in 10 s", {{0, 0, 52.09, 5.12, NAN}, {0, 10, 52.288, 5.12, NAN}}, 2, "1,"},
	    {"normal riding, 5.6 m/s",
	     {{0, 0, 52.09, 5.12, NAN},
	      {0, 10, 52.0905, 5.12, NAN},
	      {0, 20, 52.091, 5.12, NAN},
	      {0, 30, 52.0915, 5.12, NAN}},
	     4,
	     ""},
	    {"89 m in 1 s is under the minimum",
	     {{0, 0, 52.09, 5.12, NAN}, {0, 1, 52.0908, 5.12, NAN}},
	     2,
	     ""},
	    {"22 km in an hour", {{0, 0, 52.09, 5.12, NAN}, {0, 3600, 52.288, 5.12, NAN}}, 2, ""},
	    {"jump and back: only the jump",
	     {{0, 0, 52.09, 5.12, NAN},
	      {0, 10, 52.288, 5.12, NAN},
	      {0, 20, 52.0905, 5.12, NAN},
	      {0, 30, 52.091, 5.12, NAN}},
	     4,
	     "1,"},
	    {"jump at the same time", {{0, 0, 52.09, 5.12, NAN}, {0, 0, 52.1, 5.12, NAN}}, 2, "1,"},
	    {"rows without position skipped",
	     {{0, 0, 52.09, 5.12, NAN}, {0, 10, 0, 0, NAN}, {0, 20, 52.0910, 5.12, NAN}},
	     3,
	     ""},
	    {"no jump across devices",
	     {{0, 0, 52.09, 5.12, NAN}, {1, 10, 52.288, 5.12, NAN}},
	     2,
	     ""},
	    {"out of time order, sorted first",
	     {{0, 20, 52.091, 5.12, NAN}, {0, 0, 52.09, 5.12, NAN}, {0, 10, 52.0905, 5.12, NAN}},
	     3,
	     ""},
	    {"out of time order with a jump",
	     {{0, 10, 52.288, 5.12, NAN}, {0, 0, 52.09, 5.12, NAN}, {0, 20, 52.0905, 5.12, NAN}},
	     3,
	     "0,"},
	    {"two devices interleaved",
	     {{0, 0, 52.09, 5.12, NAN},
	      {1, 0, 52.288, 5.12, NAN},
	      {0, 10, 52.0905, 5.12, NAN},
	      {1, 10, 52.2885, 5.12, NAN},
	      {1, 20, 52.09, 5.12, NAN}},
	     5,
	     "4,"},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct air_batch b;
		char got[128];
		make_batch(&b, cases[i].pts, cases[i].n);
		snuffel_flag_batch(&b);
		flagged(&b, Q_GPS_JUMP, got, sizeof(got));
		EXPECT_STR(run, cases[i].name, got, cases[i].want);
		air_batch_cleanup(&b);
	}
	TABLE_DONE(run);
}

static void test_stuck(void **state)
{
	static const struct {
		const char *name;
		size_t run_len; /* identical values on device 0 */
		size_t tail;    /* then this many changing values */
		bool split;     /* the second half of the run on device 1 */
		double value;
		bool want;
	} cases[] = {
	    {"AIR_STUCK_RUN identical", AIR_STUCK_RUN, 0, false, 12.0, true},
	    {"one fewer", AIR_STUCK_RUN - 1, 0, false, 12.0, false},
	    {"one fewer, then changing", AIR_STUCK_RUN - 1, 5, false, 12.0, false},
	    {"twice AIR_STUCK_RUN", 2 * AIR_STUCK_RUN, 3, false, 0.0, true},
	    {"split over two devices", AIR_STUCK_RUN, 0, true, 12.0, false},
	    {"absent values are not stuck", AIR_STUCK_RUN + 5, 0, false, NAN, false},
	};
	(void)state;
	struct table_run run = {0};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		struct point pts[3 * AIR_STUCK_RUN];
		size_t n = 0;
		/* A value that differs from its neighbours first, so runs do not
		 * start at the first row only. */
		pts[n++] = (struct point){0, 0, 52.09, 5.12, 99.0};
		for (size_t k = 0; k < cases[i].run_len; k++, n++) {
			bool second = cases[i].split && k >= cases[i].run_len / 2;
			pts[n] = (struct point){second ? 1 : 0, (int64_t)(10 * n), 52.09, 5.12,
			                        cases[i].value};
		}
		for (size_t k = 0; k < cases[i].tail; k++, n++)
			pts[n] =
			    (struct point){0, (int64_t)(10 * n), 52.09, 5.12, 50.0 + (double)k};
		struct air_batch b;
		make_batch(&b, pts, n);
		snuffel_flag_batch(&b);
		size_t stuck = 0;
		for (size_t k = 0; k < b.n; k++) {
			bool in_run = b.rows[k].index >= 1 && b.rows[k].index <= cases[i].run_len;
			bool is = (b.rows[k].quality & Q_STUCK) != 0;
			stuck += is;
			/* Exactly the run is flagged, or nothing. */
			EXPECT(run, cases[i].name, is == (cases[i].want && in_run));
		}
		if (cases[i].want)
			EXPECT(run, cases[i].name, stuck == cases[i].run_len);
		else
			EXPECT(run, cases[i].name, stuck == 0);
		air_batch_cleanup(&b);
	}
	TABLE_DONE(run);
}

static void test_flag_sorts(void **state)
{
	static const struct point pts[] = {
	    {2, 5, 52.09, 5.12, 1}, {0, 9, 52.09, 5.12, 2}, {1, 1, 52.09, 5.12, 3},
	    {0, 3, 52.09, 5.12, 4}, {2, 0, 52.09, 5.12, 5}, {1, 7, 52.09, 5.12, 6},
	};
	(void)state;
	struct table_run run = {0};
	struct air_batch b;
	make_batch(&b, pts, NELEMS(pts));
	snuffel_flag_batch(&b);
	char got[128] = "";
	for (size_t k = 0; k < b.n; k++) {
		size_t used = strlen(got);
		snprintf(got + used, sizeof(got) - used, "%zu@%lld,", b.rows[k].device,
		         (long long)((b.rows[k].recorded_at - T_BASE) / SEC));
	}
	EXPECT_STR(run, "by device then time", got, "0@3,0@9,1@1,1@7,2@0,2@5,");
	EXPECT(run, "no flags", b.rows[0].quality == 0 && b.rows[5].quality == 0);
	air_batch_cleanup(&b);

	/* An empty batch (every row refused) has no rows array: qsort must not
	 * see it (UBSan in the asan build; fixed in a36b5ec). */
	air_batch_init(&b);
	snuffel_flag_batch(&b);
	EXPECT(run, "empty batch", b.n == 0 && b.rows == NULL);
	air_batch_cleanup(&b);
	TABLE_DONE(run);
}

/* --- The real platform export ---------------------------------------------- */

/* Expected figures counted from the file with Python's csv module and the
 * rules of tests/fixtures/README.md, not with this code. */
static void test_fixture(void **state)
{
	(void)state;
	struct table_run run = {0};
	size_t len = 0;
	char *all = unit_fixture_read(FIXTURE_FILE, &len);
	if (!all)
		fail();
	struct air_batch b;
	char why[256] = "";
	sm_err e = parse_csv(all, len, 100000, &b, why, sizeof(why));
	free(all);
	if (e != SM_OK)
		print_error("fixture: %s: %s\n", sm_err_str(e), why);
	EXPECT(run, "parses", e == SM_OK);
	EXPECT(run, "5,704 rows", b.n == 5704);
	EXPECT(run, "no errors", b.errors.rejected == 0);

	size_t no_position = 0, v1 = 0, v2 = 0;
	size_t by_quality[4] = {0}; /* 0, gps_missing, pm_warming, both */
	size_t other_quality = 0, devices = 0;
	char seen[16][AIR_DEVICE_REF_MAX + 1];
	for (size_t i = 0; i < b.n; i++) {
		struct air_reading *r = &b.rows[i];
		no_position += !r->has_position;
		v1 += r->version_major == 1;
		v2 += r->version_major == 2;
		if (r->quality == 0)
			by_quality[0]++;
		else if (r->quality == Q_GPS_MISSING)
			by_quality[1]++;
		else if (r->quality == Q_PM_WARMING)
			by_quality[2]++;
		else if (r->quality == (Q_GPS_MISSING | Q_PM_WARMING))
			by_quality[3]++;
		else
			other_quality++;
		size_t d = 0;
		while (d < devices && strcmp(seen[d], r->device_ref) != 0)
			d++;
		if (d == devices && devices < 16)
			snprintf(seen[devices++], sizeof(seen[0]), "%s", r->device_ref);
		r->device = d;
	}
	EXPECT(run, "218 rows without position", no_position == 218);
	EXPECT(run, "10 devices", devices == 10);
	EXPECT(run, "2,155 rows of firmware 1", v1 == 2155);
	EXPECT(run, "3,549 rows of firmware 2", v2 == 3549);
	EXPECT(run, "4,994 rows without flags", by_quality[0] == 4994);
	EXPECT(run, "479 rows without gps", by_quality[1] == 479);
	EXPECT(run, "198 rows with pm warming up", by_quality[2] == 198);
	EXPECT(run, "33 rows with both", by_quality[3] == 33);
	EXPECT(run, "no other flags", other_quality == 0);
	EXPECT(run, "first row", b.n > 0 && b.rows[0].recorded_at == INT64_C(1731314931) * SEC);

	snuffel_flag_batch(&b);
	size_t jumps = 0, stuck = 0;
	bool sorted = true;
	for (size_t i = 0; i < b.n; i++) {
		jumps += (b.rows[i].quality & Q_GPS_JUMP) != 0;
		stuck += (b.rows[i].quality & Q_STUCK) != 0;
		if (i > 0 && (b.rows[i].device < b.rows[i - 1].device ||
		              (b.rows[i].device == b.rows[i - 1].device &&
		               b.rows[i].recorded_at < b.rows[i - 1].recorded_at)))
			sorted = false;
	}
	EXPECT(run, "sorted by device and time", sorted);
	/* Two positions jump; five runs of 47 to 100 readings of PM2.5 0 are
	 * stuck (321 rows). */
	EXPECT(run, "2 gps jumps", jumps == 2);
	EXPECT(run, "321 stuck rows", stuck == 321);
	if (jumps != 2 || stuck != 321)
		print_error("fixture: %zu jumps, %zu stuck\n", jumps, stuck);
	air_batch_cleanup(&b);
	TABLE_DONE(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),       cmocka_unit_test(test_row_fields),
	    cmocka_unit_test(test_quality),      cmocka_unit_test(test_row_refused),
	    cmocka_unit_test(test_csv_uploads),  cmocka_unit_test(test_csv_refused),
	    cmocka_unit_test(test_csv_contract), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_indexes), cmocka_unit_test(test_json_refused),
	    cmocka_unit_test(test_gps_jump),     cmocka_unit_test(test_stuck),
	    cmocka_unit_test(test_flag_sorts),   cmocka_unit_test(test_fixture),
	};
	return cmocka_run_group_tests_name("snuffel", tests, NULL, NULL);
}
