/*
 * fuzz_zkteco.c
 *	  libFuzzer harness of the zkteco event parser (src/ingest).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_ingest_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_parser(INGEST_FORMAT_ZKTECO, data, size);
	return 0;
}
