/*
 * quant.c: quantization setup in integer arithmetic, bit-exact with TFLite.
 *
 * TFLite computes multipliers as QuantizeMultiplier(double) of ratios of
 * float32 scales, e.g. (double)in_scale * (double)filter_scale /
 * (double)out_scale. Every float32 is m * 2^e with a 24-bit m, so the product
 * is exact in a double (48 bits) and only the division rounds (to nearest
 * even, 53 bits). We reproduce that rounding with a 64-bit long division and
 * then frexp + round-half-away to 31 bits, so a node without an FPU pulls in
 * no soft-double code. The activation clamp uses single precision, as TFLite's
 * CalculateActivationRangeQuantized does.
 */
#include <string.h>

#include "core/nn_internal.h"

/* Decodes a positive finite float32 into mant * 2^exp. NN_EQUANT otherwise. */
static int
decode(float f, uint64_t *mant, int *exp)
{
	uint32_t u;
	uint32_t e, frac;

	memcpy(&u, &f, sizeof(u));
	if (u >> 31)
		return NN_EQUANT;
	e = (u >> 23) & 0xff;
	frac = u & 0x7fffff;
	if (e == 0xff)
		return NN_EQUANT;
	if (e == 0) {
		if (frac == 0)
			return NN_EQUANT;
		*mant = frac;
		*exp = -149;
	} else {
		*mant = frac | 0x800000u;
		*exp = (int)e - 150;
	}
	return NN_OK;
}

static int
bitlen(uint64_t x)
{
	int n = 0;

	if (x >> 32) {
		n = 32;
		x >>= 32;
	}
	if (x >> 16) {
		n += 16;
		x >>= 16;
	}
	for (; x; x >>= 1)
		n++;
	return n;
}

/*
 * num * 2^e / den rounded to a 53-bit double (nearest even), then TFLite's
 * frexp/round/normalise steps. num < 2^63, den < 2^25, both > 0.
 */
static void
ratio_to_mult(uint64_t num, uint64_t den, int e, int cap31, int32_t *ret_mult, int *ret_shift)
{
	uint64_t q = num / den, r = num % den;
	int k = 0, sticky, guard, shift, need = 54 - bitlen(q);
	uint64_t q31;

	/* Long division in chunks of up to 32 bits (r < den < 2^25, so r << 32
	 * fits) until the quotient has 54 bits: 53 + a guard bit. */
	while (need > 0) {
		int c = need > 32 ? 32 : need;

		q = (q << c) | ((r << c) / den);
		r = (r << c) % den;
		k += c;
		need -= c;
	}
	/* Reduce to exactly 54 bits if the integer part was wider (need < 0). */
	sticky = r != 0;
	if (need < 0) {
		sticky |= (q & (((uint64_t)1 << -need) - 1)) != 0;
		q >>= -need;
		k += need;
	}
	guard = (int)(q & 1);
	q >>= 1;
	k--;
	if (guard && (sticky || (q & 1)))
		q++;
	if (q >> 53) {
		q >>= 1;
		k--;
	}
	/* value = q * 2^(e - k), q in [2^52, 2^53). */
	if (cap31) {
		/* min(value, 2^31 - 1): 2^31 - 1 is exact in a double. */
		int vexp = e - k + 52; /* value in [2^vexp, 2^(vexp+1)) */

		uint64_t cap = (((uint64_t)1 << 31) - 1) << 22; /* (2^31 - 1) * 2^-22 */

		if (vexp >= 31 || (vexp == 30 && q > cap)) {
			q = cap;
			k = 22;
			e = 0;
		}
	}
	/* frexp: fraction q / 2^53 in [0.5, 1), exponent e - k + 53. */
	shift = e - k + 53;
	q31 = (q + ((uint64_t)1 << 21)) >> 22; /* round(fraction * 2^31), half away */
	if (q31 == ((uint64_t)1 << 31)) {
		q31 >>= 1;
		shift++;
	}
	if (shift < -31) {
		shift = 0;
		q31 = 0;
	}
	*ret_mult = (int32_t)q31;
	*ret_shift = shift;
}

int
nn__quant_mult(float a, float b, float c, int den_pow2, int32_t *ret_mult, int *ret_shift)
{
	uint64_t ma, mb, mc;
	int ea, eb, ec;

	if (decode(a, &ma, &ea) < 0 || decode(b, &mb, &eb) < 0 || decode(c, &mc, &ec) < 0)
		return NN_EQUANT;
	ratio_to_mult(ma * mb, mc, ea + eb - ec - den_pow2, 0, ret_mult, ret_shift);
	return NN_OK;
}

int
nn__quant_check(float a, float b, float c, int den_pow2)
{
	int32_t m;
	int sh;

	if (nn__quant_mult(a, b, c, den_pow2, &m, &sh) < 0 || sh > 30)
		return NN_EQUANT;
	return NN_OK;
}

int
nn__quant_mult_prod(float a, float b, int pow2, int cap31, int32_t *ret_mult, int *ret_shift)
{
	uint64_t ma, mb;
	int ea, eb;

	if (decode(a, &ma, &ea) < 0 || decode(b, &mb, &eb) < 0)
		return NN_EQUANT;
	ratio_to_mult(ma * mb, 1, ea + eb + pow2, cap31, ret_mult, ret_shift);
	return NN_OK;
}

int32_t
nn__quantize_f(float f, float scale, int32_t zp)
{
	float q = f / scale;
	float a = q < 0 ? -q : q;
	int32_t t;

	if (q != q)
		return zp; /* NaN */
	if (a > 2147483520.0f)
		return q < 0 ? INT32_MIN : INT32_MAX;
	t = (int32_t)a;
	if (a - (float)t >= 0.5f)
		t++;
	return zp + (q < 0 ? -t : t);
}

int
nn__act_range(int32_t act, float scale, int32_t zp, int32_t *ret_min, int32_t *ret_max)
{
	int32_t lo = -128, hi = 127, v;

	switch (act) {
	case 0: /* NONE */
		break;
	case 1: /* RELU */
		v = nn__quantize_f(0.0f, scale, zp);
		lo = v > lo ? v : lo;
		break;
	case 2: /* RELU_N1_TO_1 */
		v = nn__quantize_f(-1.0f, scale, zp);
		lo = v > lo ? v : lo;
		v = nn__quantize_f(1.0f, scale, zp);
		hi = v < hi ? v : hi;
		break;
	case 3: /* RELU6 */
		v = nn__quantize_f(0.0f, scale, zp);
		lo = v > lo ? v : lo;
		v = nn__quantize_f(6.0f, scale, zp);
		hi = v < hi ? v : hi;
		break;
	default:
		return NN_ENOTSUP;
	}
	*ret_min = lo;
	*ret_max = hi;
	return NN_OK;
}
