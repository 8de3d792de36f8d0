/*
 * add_s8.c: ADD and MUL, int8, inputs with different scales, broadcasting
 * over up to NN_MAX_DIMS dimensions.
 *
 * ADD follows TFLite's reference_integer_ops::Add: both inputs are shifted
 * left by 20, rescaled to twice the larger input scale, summed, then scaled
 * to the output. MUL follows reference_integer_ops::Mul: (a - za) * (b - zb)
 * times in1_scale * in2_scale / out_scale. Multipliers come from the same
 * double-exact integer code as every other op.
 */
#include "core/nn_internal.h"

struct binop {
	const int8_t *a, *b;
	int8_t *out;
	int32_t a_off, b_off, out_zp, act_min, act_max;
	int32_t a_mult, b_mult, out_mult; /* MUL uses out_mult only */
	int8_t a_shift, b_shift, out_shift, left_shift;
	int32_t flat; /* 1: same shapes, elems elements */
	int32_t elems;
	int32_t dims[NN_MAX_DIMS]; /* output shape, padded to NN_MAX_DIMS */
	int32_t astr[NN_MAX_DIMS]; /* element strides of a (0: broadcast) */
	int32_t bstr[NN_MAX_DIMS];
};

static int
strides(const struct nn__tinfo *t, const struct nn__tinfo *out, int32_t *str)
{
	int i, pad = NN_MAX_DIMS - t->ndim, opad = NN_MAX_DIMS - out->ndim;
	int32_t s = 1;

	if (t->ndim > out->ndim)
		return -1;
	for (i = NN_MAX_DIMS - 1; i >= 0; i--) {
		int32_t td = i >= pad ? t->dims[i - pad] : 1;
		int32_t od = i >= opad ? out->dims[i - opad] : 1;

		if (td != od && td != 1)
			return -1;
		str[i] = td == 1 ? 0 : s;
		s *= td;
	}
	return 0;
}

static int
binop_prepare(struct nn__ctx *c, int is_mul)
{
	struct nn__tinfo a, b, out;
	int32_t ai, bi, oi, act = 0, lo, hi, m;
	int err = NN_OK, sh, i;
	struct binop tmp, *d = c->data;

	if (nn__ctx_opts(c, is_mul ? 21 : 11) < 0)
		return NN_EMODEL;
	if (c->oi.in.n != 2 || c->oi.out.n != 1)
		return nn__ctx_fail(c, NN_EMODEL, "expects 2 inputs and 1 output", NN__NOVAL, NULL);
	if (nn__ctx_in(c, 0, &a, &ai) < 0 || nn__ctx_in(c, 1, &b, &bi) < 0 ||
	    nn__ctx_out(c, 0, &out, &oi) < 0)
		return NN_EMODEL;
	if (nn__ctx_q8(c, &a, "input 0") < 0 || nn__ctx_q8(c, &b, "input 1") < 0 ||
	    nn__ctx_q8(c, &out, "output") < 0)
		return NN_ENOTSUP;
	if (c->oi.has_opt)
		act = nn__fb_i8(c->m, &c->oi.opt, 0, 0, &err);
	if (err < 0)
		return nn__ctx_fail(c, NN_EMODEL, "malformed options", NN__NOVAL, NULL);
	if (nn__act_range(act, out.scale, out.zp, &lo, &hi) < 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "fused activation ", act, " unsupported");
	memset(&tmp, 0, sizeof(tmp));
	if (strides(&a, &out, tmp.astr) < 0 || strides(&b, &out, tmp.bstr) < 0)
		return nn__ctx_fail(c, NN_EMODEL, "input shapes do not broadcast to the output",
		                    NN__NOVAL, NULL);
	for (i = 0; i < NN_MAX_DIMS; i++) {
		int opad = NN_MAX_DIMS - out.ndim;

		tmp.dims[i] = i >= opad ? out.dims[i - opad] : 1;
	}
	tmp.elems = (int32_t)out.elems;
	tmp.flat = a.elems == out.elems && b.elems == out.elems;
	tmp.a_off = -a.zp;
	tmp.b_off = -b.zp;
	tmp.out_zp = out.zp;
	tmp.act_min = lo;
	tmp.act_max = hi;
	if (is_mul) {
		if (nn__quant_mult(a.scale, b.scale, out.scale, 0, &m, &sh) < 0 || sh > 30)
			return nn__ctx_fail(c, NN_EQUANT, "scales out of range", NN__NOVAL, NULL);
		tmp.out_mult = m;
		tmp.out_shift = (int8_t)sh;
	} else {
		/* twice_max = 2 * max(sa, sb); in_k = s_k / twice_max;
		 * out = twice_max / (2^20 * s_out). */
		float mx = a.scale > b.scale ? a.scale : b.scale;

		tmp.left_shift = 20;
		if (nn__quant_mult(a.scale, 1.0f, mx, 1, &m, &sh) < 0 || sh > 0)
			return nn__ctx_fail(c, NN_EQUANT, "input 0 scale invalid", NN__NOVAL, NULL);
		tmp.a_mult = m;
		tmp.a_shift = (int8_t)sh;
		if (nn__quant_mult(b.scale, 1.0f, mx, 1, &m, &sh) < 0 || sh > 0)
			return nn__ctx_fail(c, NN_EQUANT, "input 1 scale invalid", NN__NOVAL, NULL);
		tmp.b_mult = m;
		tmp.b_shift = (int8_t)sh;
		if (nn__quant_mult(mx, 1.0f, out.scale, 20 - 1, &m, &sh) < 0 || sh > 0)
			return nn__ctx_fail(c, NN_EQUANT, "output scale out of range", NN__NOVAL,
			                    NULL);
		tmp.out_mult = m;
		tmp.out_shift = (int8_t)sh;
	}
	c->data_size = sizeof(struct binop);
	if (!d)
		return NN_OK;
	tmp.a = nn__ctx_ptr(c, ai);
	tmp.b = nn__ctx_ptr(c, bi);
	tmp.out = nn__ctx_ptr(c, oi);
	*d = tmp;
	return NN_OK;
}

static inline int8_t
add1(const struct binop *d, int32_t x, int32_t y)
{
	int32_t sa = nn__mbqm((x + d->a_off) * (1 << 20), d->a_mult, d->a_shift);
	int32_t sb = nn__mbqm((y + d->b_off) * (1 << 20), d->b_mult, d->b_shift);

	return nn__requant(sa + sb, d->out_mult, d->out_shift, d->out_zp, d->act_min, d->act_max);
}

static inline int8_t
mul1(const struct binop *d, int32_t x, int32_t y)
{
	return nn__requant((x + d->a_off) * (y + d->b_off), d->out_mult, d->out_shift, d->out_zp,
	                   d->act_min, d->act_max);
}

static void
binop_eval(const struct binop *d, int is_mul)
{
	int32_t i[NN_MAX_DIMS], k, n = 0;

	if (d->flat) {
		for (k = 0; k < d->elems; k++)
			d->out[k] = is_mul ? mul1(d, d->a[k], d->b[k]) : add1(d, d->a[k], d->b[k]);
		return;
	}
	for (k = 0; k < NN_MAX_DIMS; k++)
		i[k] = 0;
	for (n = 0; n < d->elems; n++) {
		int32_t ao = 0, bo = 0;

		for (k = 0; k < NN_MAX_DIMS; k++) {
			ao += i[k] * d->astr[k];
			bo += i[k] * d->bstr[k];
		}
		d->out[n] = is_mul ? mul1(d, d->a[ao], d->b[bo]) : add1(d, d->a[ao], d->b[bo]);
		for (k = NN_MAX_DIMS - 1; k >= 0; k--) {
			if (++i[k] < d->dims[k])
				break;
			i[k] = 0;
		}
	}
}

int
nn_add_s8_prepare(struct nn__ctx *c)
{
	return binop_prepare(c, 0);
}

void
nn_add_s8_eval(const void *data, void *scratch)
{
	(void)scratch;
	binop_eval(data, 0);
}

int
nn_mul_s8_prepare(struct nn__ctx *c)
{
	return binop_prepare(c, 1);
}

void
nn_mul_s8_eval(const void *data, void *scratch)
{
	(void)scratch;
	binop_eval(data, 1);
}
