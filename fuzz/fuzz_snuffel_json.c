/* libFuzzer target for snuffel_parse_json (server/snuffel.c): the body
 * through jsonin_parse (depth 32) as the handler does, then the codec with
 * a limit of 1000 rows and a fixed "now", then snuffel_flag_batch over
 * three device slots. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_snuffel.h"
#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL;
	char why[256] = "";
	if (jsonin_parse((const char *)data, size, FUZZ_JSON_DEPTH, &root, why, sizeof(why)) !=
	    SM_OK)
		return 0;
	const struct snuffel_limits lim = {FUZZ_MAX_ROWS, FUZZ_NOW};
	struct air_batch b;
	air_batch_init(&b);
	sm_err e = snuffel_parse_json(root, &lim, &b, why, sizeof(why));
	if (e == SM_OK) {
		size_t rows_in = json_array_size(root);
		FUZZ_CHECK(b.n + b.errors.rejected == rows_in);
		fuzz_check_air_batch(&b, rows_in);
	} else {
		FUZZ_CHECK(why[0] != '\0' && b.n == 0);
	}
	air_batch_cleanup(&b);
	json_decref(root);
	return 0;
}
