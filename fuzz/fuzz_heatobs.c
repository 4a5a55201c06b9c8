/* libFuzzer target for server/heatobs.c: the body through jsonin_parse
 * (depth 32), then heatobs_parse (our strict form, 1000 rows, fixed "now")
 * and heatobs_parse_payload (a LoRaWAN decoded payload received an hour
 * before "now") on the same value. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "heatobs.h"
#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RECEIVED (FUZZ_NOW - INT64_C(3600) * USEC_PER_SEC)

static void check_obs(const struct heat_obs *o, size_t rows_in)
{
	FUZZ_CHECK(o->index < rows_in);
	FUZZ_CHECK(fuzz_terminated(o->station_ref, sizeof(o->station_ref)));
	FUZZ_CHECK(o->observed_at >= FUZZ_EARLIEST && o->observed_at <= FUZZ_NOW + FUZZ_DAY);
	FUZZ_CHECK(o->v[HF_TEMPERATURE] >= -100 && o->v[HF_TEMPERATURE] <= 100);
	FUZZ_CHECK(o->v[HF_HUMIDITY] >= 0 && o->v[HF_HUMIDITY] <= 100);
	for (int f = 0; f < HF_NFIELDS; f++) {
		FUZZ_CHECK(isnan(o->v[f]) || isfinite(o->v[f]));
		FUZZ_CHECK(heat_field_column((enum heat_field)f) != NULL);
	}
	const struct heat_result *d = &o->derived;
	FUZZ_CHECK(isfinite(d->wet_bulb_c) && isfinite(d->wbgt_c));
	FUZZ_CHECK(isfinite(d->heat_index_c) && isfinite(d->humidex));
	FUZZ_CHECK(d->wbgt_method && d->wbgt_category);
	FUZZ_CHECK(d->heat_index_method && d->heat_index_category && d->humidex_category);
	bool globe = !isnan(o->v[HF_GLOBE]);
	bool nwb = !isnan(o->v[HF_NATURAL_WET_BULB]);
	const char *want = !globe ? "bom" : nwb ? "iso7243" : "iso7243-stull";
	FUZZ_CHECK(strcmp(d->wbgt_method, want) == 0);
	/* Only out_of_range and time_future: humid air is not suspect at a heat
	 * station (humidity_high is for optical PM sensors). */
	FUZZ_CHECK((o->quality & ~((1u << 0) | (1u << 6))) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL;
	char why[256] = "";
	if (jsonin_parse((const char *)data, size, FUZZ_JSON_DEPTH, &root, why, sizeof(why)) !=
	    SM_OK)
		return 0;

	struct heat_batch b;
	heat_batch_init(&b);
	sm_err e = heatobs_parse(root, FUZZ_MAX_ROWS, FUZZ_NOW, &b, why, sizeof(why));
	if (e == SM_OK) {
		size_t rows_in = json_is_object(root) ? 1 : json_array_size(root);
		FUZZ_CHECK(b.n + b.errors.rejected == rows_in);
		for (size_t i = 0; i < b.n; i++) {
			check_obs(&b.rows[i], rows_in);
			FUZZ_CHECK(i == 0 || b.rows[i].index > b.rows[i - 1].index);
		}
		fuzz_check_errors(&b.errors, rows_in);
	} else {
		FUZZ_CHECK(why[0] != '\0' && b.n == 0);
	}
	heat_batch_cleanup(&b);

	heat_batch_init(&b);
	e = heatobs_parse_payload(root, FUZZ_RECEIVED, FUZZ_NOW, &b, why, sizeof(why));
	if (e == SM_OK) {
		FUZZ_CHECK(b.n + b.errors.rejected == 1);
		if (b.n == 1) {
			check_obs(&b.rows[0], 1);
			/* The uplink's time unless the payload says otherwise. */
			FUZZ_CHECK(json_object_get(root, "time") ||
			           b.rows[0].observed_at == FUZZ_RECEIVED);
		}
		fuzz_check_errors(&b.errors, 1);
	} else {
		FUZZ_CHECK(why[0] != '\0' && b.n == 0 && !json_is_object(root));
	}
	heat_batch_cleanup(&b);
	heat_batch_cleanup(&b);
	json_decref(root);
	return 0;
}
