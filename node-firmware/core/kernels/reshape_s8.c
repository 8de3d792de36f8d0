/*
 * reshape_s8.c: RESHAPE. The output tensor's shape is authoritative (the
 * optional shape input and ReshapeOptions are not needed at run time); the
 * element count and type must match. Eval copies the bytes.
 */
#include <string.h>

#include "core/nn_internal.h"

struct reshape {
	const void *in;
	void *out;
	uint32_t bytes;
};

int
nn_reshape_s8_prepare(struct nn__ctx *c)
{
	struct nn__tinfo in, out;
	int32_t in_idx, out_idx;
	struct reshape *d = c->data;

	if (c->oi.in.n < 1 || c->oi.in.n > 2 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 1-2 inputs and 1 output", NN__NOVAL,
		                    NULL);
	if (nn__ctx_in(c, 0, &in, &in_idx) < 0 || nn__ctx_out(c, 0, &out, &out_idx) < 0)
		return NN_EMODEL;
	if (in.type != out.type)
		return nn__ctx_fail(c, NN_EMODEL, "input and output types differ", NN__NOVAL, NULL);
	if (in.elems != out.elems)
		return nn__ctx_fail(c, NN_EMODEL, "output has ", out.elems,
		                    " elements, input a different count");
	c->data_size = sizeof(struct reshape);
	if (!d)
		return NN_OK;
	d->in = nn__ctx_ptr(c, in_idx);
	d->out = nn__ctx_ptr(c, out_idx);
	d->bytes = in.bytes;
	return NN_OK;
}

void
nn_reshape_s8_eval(const void *data, void *scratch)
{
	const struct reshape *d = data;

	(void)scratch;
	if (d->in != d->out)
		memmove(d->out, d->in, d->bytes);
}
