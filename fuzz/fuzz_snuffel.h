/* Checks shared by fuzz_snuffel_csv and fuzz_snuffel_json: what every kept
 * reading must satisfy, and what snuffel_flag_batch must leave. */
#ifndef SAMENMETEN_FUZZ_SNUFFEL_H
#define SAMENMETEN_FUZZ_SNUFFEL_H

#include "fuzz_common.h"
#include "geo.h"
#include "snuffel.h"

/* The quality bits a row sets on its own, and those snuffel_flag_batch adds. */
#define FUZZ_AIR_ROW_BITS ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 9))
#define FUZZ_AIR_BATCH_BITS ((1u << 2) | (1u << 5))

static inline void fuzz_check_reading(const struct air_reading *r, size_t rows_in)
{
	FUZZ_CHECK(r->index < rows_in);
	FUZZ_CHECK(fuzz_terminated(r->device_ref, sizeof(r->device_ref)));
	for (const char *p = r->device_ref; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
	FUZZ_CHECK(r->recorded_at >= FUZZ_EARLIEST && r->recorded_at <= FUZZ_NOW + FUZZ_DAY);
	if (r->has_position) {
		FUZZ_CHECK(geo_lat_in_netherlands(r->lat) && geo_lon_in_netherlands(r->lon));
		FUZZ_CHECK(!(r->quality & (1u << 1)) || r->error_code >= 0);
	} else {
		FUZZ_CHECK(r->quality & (1u << 1)); /* gps_missing */
	}
	for (size_t v = 0; v < AIR_NVALUES; v++) {
		FUZZ_CHECK(isnan(r->value[v]) || isfinite(r->value[v]));
		FUZZ_CHECK(isnan(r->raw[v]) || fabs(r->raw[v]) <= 1e10);
		FUZZ_CHECK(isnan(r->raw[v]) || !isnan(r->value[v]));
		FUZZ_CHECK(air_value_name((enum air_value)v) != NULL);
	}
	static const enum air_value never_negative[] = {AIR_HUMIDITY, AIR_PM1,        AIR_PM25,
	                                                AIR_PM10,     AIR_SATELLITES, AIR_UPTIME};
	for (size_t k = 0; k < sizeof(never_negative) / sizeof(never_negative[0]); k++)
		FUZZ_CHECK(!(r->value[never_negative[k]] < 0));
	FUZZ_CHECK(r->error_code >= -1);
	FUZZ_CHECK(r->version_major >= -1 && r->version_minor >= -1);
	FUZZ_CHECK((r->quality & ~FUZZ_AIR_ROW_BITS) == 0);
	FUZZ_CHECK(!(r->value[AIR_HUMIDITY] > 85) == !(r->quality & (1u << 4)));
}

/* Checks the parsed batch, then flags it with three device slots and checks
 * the order and the flags. */
static inline void fuzz_check_air_batch(struct air_batch *b, size_t rows_in)
{
	FUZZ_CHECK(b->n <= rows_in && b->n <= b->cap);
	FUZZ_CHECK(b->n + b->errors.rejected <= rows_in);
	for (size_t i = 0; i < b->n; i++) {
		fuzz_check_reading(&b->rows[i], rows_in);
		FUZZ_CHECK(i == 0 || b->rows[i].index > b->rows[i - 1].index);
		b->rows[i].device = i % 3;
	}
	fuzz_check_errors(&b->errors, rows_in);

	size_t n = b->n;
	snuffel_flag_batch(b);
	FUZZ_CHECK(b->n == n);
	size_t stuck = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct air_reading *r = &b->rows[i];
		FUZZ_CHECK((r->quality & ~(FUZZ_AIR_ROW_BITS | FUZZ_AIR_BATCH_BITS)) == 0);
		FUZZ_CHECK(r->device < 3);
		if (i > 0) {
			const struct air_reading *q = &b->rows[i - 1];
			FUZZ_CHECK(q->device < r->device ||
			           (q->device == r->device && q->recorded_at <= r->recorded_at));
		}
		FUZZ_CHECK(!(r->quality & (1u << 2)) || r->has_position);
		FUZZ_CHECK(!(r->quality & (1u << 5)) || !isnan(r->value[AIR_PM25]));
		stuck += (r->quality & (1u << 5)) != 0;
	}
	/* A stuck run is at least AIR_STUCK_RUN rows long. */
	FUZZ_CHECK(stuck == 0 || stuck >= AIR_STUCK_RUN);
}

#endif
