/* libFuzzer target for experience_parse (server/experience.c): the body
 * through jsonin_parse (depth 32), then the score sheets with a limit of
 * 1000 and a fixed "now". */
#include <stddef.h>
#include <stdint.h>

#include "experience.h"
#include "fuzz_common.h"
#include "geo.h"
#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sheet(const struct experience *x, size_t rows_in)
{
	FUZZ_CHECK(x->index < rows_in);
	FUZZ_CHECK(fuzz_terminated(x->device_ref, sizeof(x->device_ref)));
	FUZZ_CHECK(x->observed_at >= FUZZ_EARLIEST && x->observed_at <= FUZZ_NOW + FUZZ_DAY);
	FUZZ_CHECK(geo_lat_in_netherlands(x->lat) && geo_lon_in_netherlands(x->lon));
	size_t scored = 0;
	for (size_t t = 0; t < EXPERIENCE_THEMES; t++) {
		FUZZ_CHECK(x->score[t] >= 0 && x->score[t] <= 7);
		scored += x->score[t] != 0;
		FUZZ_CHECK(experience_theme(t) != NULL);
	}
	FUZZ_CHECK(scored >= 1);
	if (x->remark) {
		/* 1..500 characters, so 1..2000 bytes, no C0 control. */
		size_t len = strlen(x->remark), chars = 0;
		FUZZ_CHECK(len >= 1 && len <= 4 * EXPERIENCE_REMARK_MAX);
		for (const unsigned char *p = (const unsigned char *)x->remark; *p; p++) {
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
			chars += (*p & 0xc0) != 0x80;
		}
		FUZZ_CHECK(chars >= 1 && chars <= EXPERIENCE_REMARK_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL;
	char why[256] = "";
	if (jsonin_parse((const char *)data, size, FUZZ_JSON_DEPTH, &root, why, sizeof(why)) !=
	    SM_OK)
		return 0;
	struct experience_batch b;
	experience_batch_init(&b);
	sm_err e = experience_parse(root, FUZZ_MAX_ROWS, FUZZ_NOW, &b, why, sizeof(why));
	if (e == SM_OK) {
		size_t rows_in = json_is_object(root) ? 1 : json_array_size(root);
		FUZZ_CHECK(b.n + b.errors.rejected == rows_in);
		for (size_t i = 0; i < b.n; i++) {
			check_sheet(&b.rows[i], rows_in);
			FUZZ_CHECK(i == 0 || b.rows[i].index > b.rows[i - 1].index);
		}
		fuzz_check_errors(&b.errors, rows_in);
	} else {
		FUZZ_CHECK(why[0] != '\0' && b.n == 0);
	}
	experience_batch_cleanup(&b);
	experience_batch_cleanup(&b);
	json_decref(root);
	return 0;
}
