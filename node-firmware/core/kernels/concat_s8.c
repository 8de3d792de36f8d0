/*
 * concat_s8.c: CONCATENATION, int8, any axis (negative counts from the end).
 * As in TFLM, all inputs and the output must share one quantization and the
 * fused activation must be NONE, so eval is block copies.
 */
#include <string.h>

#include "core/nn_internal.h"

#define CONCAT_MAX_IN 16

struct concat {
	int8_t *out;
	uint32_t outer; /* product of the dims before the axis */
	uint32_t n;     /* inputs */
	struct {
		const int8_t *p;
		uint32_t block; /* bytes per outer index */
	} in[CONCAT_MAX_IN];
};

int
nn_concat_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo t, out;
	int32_t idx, out_idx, axis = 0, act = 0, i, k;
	int err = NN_OK;
	uint32_t n = c->oi.in.n, outer = 1, total = 0;
	struct concat *d = c->data;

	if (nn__ctx_opts(c, 10) < 0)
		return NN_EMODEL;
	if (n < 1 || n > CONCAT_MAX_IN || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_ENOTSUP, "expects 1 to 16 inputs and 1 output", NN__NOVAL,
		                    NULL);
	if (nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (c->oi.has_opt) {
		axis = nn__fb_i32(c->m, &c->oi.opt, 0, 0, &err);
		act = nn__fb_i8(c->m, &c->oi.opt, 1, 0, &err);
	}
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (act != 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "fused activation ", act, " unsupported");
	if (axis < 0)
		axis += out.ndim;
	if (axis < 0 || axis >= out.ndim)
		return nn__ctx_fail(c, NN_EMODEL, "axis ", axis, " out of range");
	for (k = 0; k < axis; k++)
		outer *= (uint32_t)out.dims[k];
	c->data_size = sizeof(struct concat);
	if (d) {
		d->out = nn__ctx_ptr(c, out_idx);
		d->outer = outer;
		d->n = n;
	}
	for (i = 0; i < (int32_t)n; i++) {
		uint32_t block = 1;

		if (nn__ctx_in(c, (uint32_t)i, &t, &idx) < 0)
			return NN_EMODEL;
		if (nn__ctx_q8(c, &t, "input") < 0)
			return NN_ENOTSUP;
		if (t.zp != out.zp || t.scale != out.scale)
			return nn__ctx_fail(c, NN_ENOTSUP, "input ", i,
			                    " quantization differs from the output");
		if (t.ndim != out.ndim)
			return nn__ctx_fail(c, NN_EMODEL, "input ", i, " rank differs");
		for (k = 0; k < out.ndim; k++) {
			if (k != axis && t.dims[k] != out.dims[k])
				return nn__ctx_fail(c, NN_EMODEL, "input ", i, " shape differs");
			if (k >= axis)
				block *= (uint32_t)t.dims[k];
		}
		total += block;
		if (d) {
			d->in[i].p = nn__ctx_ptr(c, idx);
			d->in[i].block = block;
		}
	}
	if ((uint64_t)total * outer != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "output size does not match the inputs",
		                    NN__NOVAL, NULL);
	return NN_OK;
}

void
nn_concat_s8_eval(const void *data, void *scratch)
{
	const struct concat *d = data;
	int8_t *o = d->out;
	uint32_t k, i;

	(void)scratch;
	for (k = 0; k < d->outer; k++)
		for (i = 0; i < d->n; i++) {
			memcpy(o, d->in[i].p + (size_t)k * d->in[i].block, d->in[i].block);
			o += d->in[i].block;
		}
}
