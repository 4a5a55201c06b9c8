/* libFuzzer target for telraam_parse (server/telraam.c): the body through
 * jsonin_parse (depth 32), then the report envelope with a limit of 1000
 * reports and a fixed "now". Checks every kept report against the rules
 * the codec promises. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "jsonin.h"
#include "telraam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const struct traffic_report *r, size_t rows_in)
{
	FUZZ_CHECK(r->index < rows_in);
	FUZZ_CHECK(r->segment_id > 0);
	FUZZ_CHECK(fuzz_terminated(r->instance_ref, sizeof(r->instance_ref)));
	for (const char *p = r->instance_ref; *p; p++)
		FUZZ_CHECK(*p >= '0' && *p <= '9');
	FUZZ_CHECK(r->period_start >= FUZZ_EARLIEST && r->period_start <= FUZZ_NOW + FUZZ_DAY);
	FUZZ_CHECK(r->period_start % ((r->quarterly ? 900 : 3600) * USEC_PER_SEC) == 0);
	FUZZ_CHECK(isnan(r->uptime) || (r->uptime >= 0 && r->uptime <= 1));
	FUZZ_CHECK(((r->quality & (1u << 8)) != 0) == (r->uptime < 0.5));
	FUZZ_CHECK((r->quality & ~(1u << 8)) == 0);
	for (size_t c = 0; c < TC_NCOUNTS; c++) {
		FUZZ_CHECK(isnan(r->count[c]) || (r->count[c] >= 0 && r->count[c] <= 1e6));
		FUZZ_CHECK(!(r->uptime == 0) || isnan(r->count[c]));
		FUZZ_CHECK(traffic_count_name((enum traffic_count)c) != NULL);
	}
	FUZZ_CHECK(isnan(r->v85) || (r->v85 >= 0 && r->v85 <= 300));
	FUZZ_CHECK(r->direction >= -1 && r->direction <= 32767);
	FUZZ_CHECK(fuzz_terminated(r->timezone, sizeof(r->timezone)));
	FUZZ_CHECK(r->nhist70 == 0 || r->nhist70 == TELRAAM_HIST70);
	FUZZ_CHECK(r->nhist120 == 0 || r->nhist120 == TELRAAM_HIST120);
	for (size_t k = 0; k < r->nhist70; k++)
		FUZZ_CHECK(r->hist70[k] >= 0 && r->hist70[k] <= 100.0001);
	for (size_t k = 0; k < r->nhist120; k++)
		FUZZ_CHECK(r->hist120[k] >= 0 && r->hist120[k] <= 100.0001);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL;
	char why[256] = "";
	if (jsonin_parse((const char *)data, size, FUZZ_JSON_DEPTH, &root, why, sizeof(why)) !=
	    SM_OK)
		return 0;
	struct traffic_batch b;
	traffic_batch_init(&b);
	sm_err e = telraam_parse(root, FUZZ_MAX_ROWS, FUZZ_NOW, &b, why, sizeof(why));
	if (e == SM_OK) {
		size_t rows_in = json_array_size(json_object_get(root, "report"));
		FUZZ_CHECK(b.n + b.errors.rejected == rows_in);
		for (size_t i = 0; i < b.n; i++) {
			check_report(&b.rows[i], rows_in);
			FUZZ_CHECK(i == 0 || b.rows[i].index > b.rows[i - 1].index);
		}
		fuzz_check_errors(&b.errors, rows_in);
	} else {
		FUZZ_CHECK(why[0] != '\0' && b.n == 0);
	}
	traffic_batch_cleanup(&b);
	traffic_batch_cleanup(&b);
	json_decref(root);
	return 0;
}
