/* Snuffelfiets readings: the two real CSV layouts and the same fields as a
 * JSON array, into one reading struct in SI-style units with the values as
 * sent kept beside them. Pure: no database, no HTTP.
 *
 * Platform export (firmware v1/v2): entity_id (the IMEI), recording_timestamp
 * and receive_timestamp (UTC, written without offset), temperature x0.1 degC,
 * pressure x100 Pa, voltage x0.1 + 3 V, pm1_0/pm2_5/pm10 x0.01 ug/m3 when
 * version_major >= 2, error_code (bitmask), accuracies, no2, voc.
 * Device CSV (v3): created_at, imei, lat, lon, sat_no, battery, uptime,
 * temperature, humidity, pm_1, pm_2_5, pm_10 in plain units; times need an
 * offset. Unknown columns are ignored; lat = lon = 0 means no GPS fix. */
#ifndef SAMENMETEN_SNUFFEL_H
#define SAMENMETEN_SNUFFEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rowerr.h"
#include "scalar.h"

#define AIR_DEVICE_REF_MAX 64

enum air_value {
	AIR_TEMPERATURE, /* degC */
	AIR_HUMIDITY,    /* % */
	AIR_PRESSURE,    /* Pa */
	AIR_VOLTAGE,     /* V */
	AIR_BATTERY,     /* as sent */
	AIR_PM1,         /* ug/m3 */
	AIR_PM25,
	AIR_PM10,
	AIR_NO2, /* as sent */
	AIR_VOC, /* as sent */
	AIR_ACC_MAX,
	AIR_HACC,
	AIR_VACC,
	AIR_SATELLITES,
	AIR_UPTIME, /* s */
	AIR_NVALUES
};

/* Device error-code bits (platform export). */
#define AIR_ERROR_CRITICAL (1 | 4 | 8 | 16 | 512 | 1024 | 4096)
#define AIR_ERROR_NO_FIX 32
#define AIR_ERROR_PM_WARMING 2048

struct air_reading {
	size_t index;                            /* row of the upload */
	char device_ref[AIR_DEVICE_REF_MAX + 1]; /* as sent; "" when not named */
	size_t device;                           /* set by the caller: its device slot */
	usec_t recorded_at;
	const char *time_field; /* the column that held recorded_at (static text) */
	usec_t received_at;     /* 0 when not sent */
	bool has_position;
	double lat, lon;
	double value[AIR_NVALUES];        /* converted; NAN when absent */
	double raw[AIR_NVALUES];          /* as sent, where a conversion applied; NAN otherwise */
	int32_t error_code;               /* -1 when absent */
	int version_major, version_minor; /* -1 when absent */
	uint32_t quality;                 /* quality_flag bits, see sql/002_readings.sql */
};

struct air_batch {
	struct air_reading *rows; /* owned */
	size_t n, cap;
	struct row_errors errors;
};

struct snuffel_limits {
	size_t max_rows;
	usec_t now; /* for "far in the future" */
};

void air_batch_init(struct air_batch *b);
void air_batch_cleanup(struct air_batch *b);

/* Parses a CSV upload of either layout. SM_ERR_INVALID when the body cannot
 * be read at all (no header, no time column, broken quoting): `why` says
 * why and nothing is kept. SM_ERR_TOO_LARGE when it has more than
 * max_rows rows. Rows with bad values are listed in b->errors. */
MUST_CHECK sm_err snuffel_parse_csv(const char *data, size_t len, const struct snuffel_limits *lim,
                                    struct air_batch *b, char *why, size_t whylen);

/* The same from a JSON array of objects using either layout's names. */
MUST_CHECK sm_err snuffel_parse_json(json_t *root, const struct snuffel_limits *lim,
                                     struct air_batch *b, char *why, size_t whylen);

/* GPS jumps: a move of more than AIR_JUMP_MIN_M metres at more than
 * AIR_JUMP_SPEED_MS (60 km/h) since the device's last good position. */
#define AIR_JUMP_MIN_M 100.0
#define AIR_JUMP_SPEED_MS (60.0 / 3.6)
/* Stuck sensors: the same PM2.5 value this many readings in a row (five
 * minutes at the usual 10 s cadence; shorter runs are common in clean air
 * with whole-number sensors: see the fixture). */
#define AIR_STUCK_RUN 30

/* Sets the flags that need neighbours (gps_jump, stuck_value), per device
 * in time order; rows must have their `device` slot. Sorts the rows by
 * device and time. */
void snuffel_flag_batch(struct air_batch *b);

/* Value names as stored and shown ("temperature_c", ...). */
const char *air_value_name(enum air_value v);

#endif
