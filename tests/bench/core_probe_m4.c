/*
 * core_probe_m4: the smallest Cortex-M4 program that uses the core the way a
 * node does (open a model, bind an arena, write the input, invoke, read the
 * output). tests/bench/core-bench links it with --gc-sections and sums the
 * .text input sections the linker kept from libnncore.a: the core's code size
 * measured as shared/oracle section 2.2 measures TFLM's.
 *
 * The model bytes come from a volatile pointer so that nothing is folded away.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/nn.h"

static uint8_t model_bytes[16];
static uint8_t arena[1024] __attribute__((aligned(16)));
const uint8_t *volatile probe_model = model_bytes;
volatile size_t probe_len = sizeof(model_bytes);
volatile int probe_sink;

int
main(void)
{
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in, out;
	char why[NN_MSG_MAX];
	int r;

	r = nn_model_open(&m, probe_model, probe_len, why, sizeof(why));
	if (r != NN_OK)
		goto out;
	r = nn_interp_bind(&m, arena, nn_model_arena_size(&m), &ip, why, sizeof(why));
	if (r != NN_OK)
		goto out;
	if (nn_interp_input(ip, 0, &in) == NN_OK)
		memset(in.data, 0, in.bytes);
	r = nn_invoke(ip);
	if (r == NN_OK && nn_interp_output(ip, 0, &out) == NN_OK)
		probe_sink = ((const int8_t *)out.data)[0];
out:
	probe_sink = (int)nn_strerror(r)[0];
	return 0;
}
