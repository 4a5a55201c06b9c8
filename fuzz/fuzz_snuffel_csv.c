/* libFuzzer target for snuffel_parse_csv (server/snuffel.c): both CSV
 * layouts with a limit of 1000 rows and a fixed "now", then
 * snuffel_flag_batch over three device slots (row i in slot i % 3). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_snuffel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct snuffel_limits lim = {FUZZ_MAX_ROWS, FUZZ_NOW};
	struct air_batch b;
	char why[256] = "";
	air_batch_init(&b);
	sm_err e = snuffel_parse_csv((const char *)data, size, &lim, &b, why, sizeof(why));
	FUZZ_CHECK(fuzz_terminated(why, sizeof(why)));
	if (e == SM_OK)
		fuzz_check_air_batch(&b, FUZZ_MAX_ROWS);
	else
		FUZZ_CHECK(why[0] != '\0');
	air_batch_cleanup(&b);
	air_batch_cleanup(&b);
	return 0;
}
