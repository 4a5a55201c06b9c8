/* libFuzzer target for server/csv.c: reads every record of the input with
 * small limits, touching every byte of every field so ASan sees any field
 * that points outside the input or the scratch memory. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX_FIELDS = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct csv_limits lim = {
	    .max_field_bytes = 256,
	    .max_fields = FUZZ_MAX_FIELDS,
	    .max_records = 64,
	};
	struct csv_field fields[FUZZ_MAX_FIELDS];
	char why[128] = "";
	char copy[257];
	struct csv_reader r;
	size_t n = 0;
	size_t last_line = 0;
	size_t records = 0;
	sm_err e;

	csv_init(&r, (const char *)data, size, &lim);
	while ((e = csv_next(&r, fields, &n, why, sizeof(why))) == SM_OK) {
		if (n == 0 || n > FUZZ_MAX_FIELDS)
			__builtin_trap();
		/* Lines only go forward. */
		if (csv_line(&r) <= last_line)
			__builtin_trap();
		last_line = csv_line(&r);
		if (csv_record_index(&r) != records++)
			__builtin_trap();
		for (size_t k = 0; k < n; k++) {
			if (fields[k].len > lim.max_field_bytes)
				__builtin_trap();
			if (!csv_field_copy(fields[k], copy, sizeof(copy)))
				__builtin_trap();
			/* No NUL byte ever reaches a field. */
			if (strlen(copy) != fields[k].len || !csv_field_is(fields[k], copy))
				__builtin_trap();
		}
	}
	if (n != 0)
		__builtin_trap();
	if (e != SM_ERR_NOT_FOUND && why[0] == '\0')
		__builtin_trap();
	/* Failed and finished readers stay so. */
	if (csv_next(&r, fields, &n, why, sizeof(why)) != e)
		__builtin_trap();
	csv_cleanup(&r);
	csv_cleanup(&r);
	return 0;
}
