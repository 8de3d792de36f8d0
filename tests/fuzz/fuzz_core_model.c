/*
 * fuzz_core_model: arbitrary bytes through nn_model_open, and for models it
 * accepts, nn_interp_bind (at the reported size and 16 bytes short) and
 * nn_invoke on the fuzzer's bytes as input. Nothing may crash, read out of
 * bounds or hang; a too-small arena must fail with NN_ENOMEM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn.h"

/* Invoke only small models: the parser is the target, not the kernels' speed. */
#define FUZZ_MAX_ARENA (16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor t;
	char why[NN_MSG_MAX];
	uint8_t *copy, *arena;
	size_t need;
	int i, r;

	/* The model bytes in their own allocation, so ASan sees every overread. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = nn_model_open(&m, copy, size, why, sizeof(why));
	if (r != NN_OK || (need = nn_model_arena_size(&m)) > FUZZ_MAX_ARENA) {
		free(copy);
		return 0;
	}
	arena = aligned_alloc(NN_ARENA_ALIGN, need + NN_ARENA_ALIGN);
	if (!arena) {
		free(copy);
		return 0;
	}
	if (need >= 16 && nn_interp_bind(&m, arena, need - 16, &ip, why, sizeof(why)) != NN_ENOMEM)
		abort();
	if (nn_interp_bind(&m, arena, need, &ip, why, sizeof(why)) == NN_OK) {
		for (i = 0; i < nn_model_input_count(&m); i++)
			if (nn_interp_input(ip, i, &t) == NN_OK && t.data)
				memset(t.data, size ? data[size / 2] : 0, t.bytes);
		nn_invoke(ip);
		for (i = 0; i < nn_model_output_count(&m); i++)
			if (nn_interp_output(ip, i, &t) == NN_OK && t.data && t.bytes)
				(void)((volatile uint8_t *)t.data)[t.bytes - 1];
	}
	free(arena);
	free(copy);
	return 0;
}
