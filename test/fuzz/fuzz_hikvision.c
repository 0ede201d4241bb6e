/*
 * fuzz_hikvision.c
 *	  libFuzzer harness of the hikvision event parser (src/ingest).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_ingest_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_parser(INGEST_FORMAT_HIKVISION, data, size);
	return 0;
}
