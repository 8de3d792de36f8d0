/*
 * probe.c: the smallest program that uses the whole core API a node needs
 * (open, arena size, bind, input/output views, invoke), linked for Cortex-M4
 * with --gc-sections by `make size-core` once per op set, so the .text it
 * keeps from core/ objects is the core's real code size for that set.
 * Never run; not part of libnncore.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/nn.h"

int probe_entry(const void *model, size_t len, void *arena, size_t size);

int
probe_entry(const void *model, size_t len, void *arena, size_t size)
{
	struct nn_model m;
	struct nn_interp *ip;
	struct nn_tensor in, out;
	char why[NN_MSG_MAX];
	int r;

	r = nn_model_open(&m, model, len, why, sizeof(why));
	if (r < 0 || nn_model_arena_size(&m) > size)
		return r;
	r = nn_interp_bind(&m, arena, size, &ip, why, sizeof(why));
	if (r < 0 || nn_interp_input(ip, 0, &in) < 0)
		return r;
	((int8_t *)in.data)[0] = 1;
	r = nn_invoke(ip);
	if (r < 0 || nn_interp_output(ip, 0, &out) < 0)
		return r;
	return ((int8_t *)out.data)[0];
}
