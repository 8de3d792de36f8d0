/*
 * ref_kernels: see ref_kernels.h.
 *
 * Divisions: TFLite/gemmlowp arithmetic helpers, gemmlowp's fixed-point
 * transcendental functions (exp, 1/(1+x), logistic, tanh), then one function
 * per op in the order of the header. Each op follows the TFLite reference
 * kernel it is named after, including its Prepare-time multiplier math.
 */
#include <math.h>
#include <string.h>

#include "ref_kernels.h"

/* ---- arithmetic helpers ---- */

void
ref_quantize_multiplier(double m, int32_t *ret_mult, int *ret_shift)
{
	int shift;
	double q;
	int64_t q_fixed;

	if (m == 0.0) {
		*ret_mult = 0;
		*ret_shift = 0;
		return;
	}
	q = frexp(m, &shift);
	q_fixed = (int64_t)round(q * (double)(1LL << 31));
	if (q_fixed == (1LL << 31)) {
		q_fixed /= 2;
		shift++;
	}
	if (shift < -31) {
		shift = 0;
		q_fixed = 0;
	}
	*ret_mult = (int32_t)q_fixed;
	*ret_shift = shift;
}

int32_t
ref_srdhm(int32_t a, int32_t b)
{
	int overflow = a == b && a == INT32_MIN;
	int64_t ab = (int64_t)a * (int64_t)b;
	int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
	int32_t r = (int32_t)((ab + nudge) / (1LL << 31));

	return overflow ? INT32_MAX : r;
}

int32_t
ref_rdbypot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)((1LL << exponent) - 1);
	int32_t remainder = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^left as C++ int32 arithmetic does it (wrapping). */
static int32_t
mul_pot(int32_t x, int left)
{
	return (int32_t)(uint32_t)((uint64_t)(int64_t)x * ((uint64_t)1 << left));
}

int32_t
ref_mbqm(int32_t x, int32_t mult, int shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;

	return ref_rdbypot(ref_srdhm(mul_pot(x, left), mult), right);
}

/* TFLite's Quantize() inside CalculateActivationRangeQuantized: float math. */
static int32_t
quantize_float(float scale, int32_t zp, float f)
{
	float tmp = roundf(f / scale);

	return zp + (int32_t)tmp;
}

void
ref_act_range(int act, float scale, int32_t zp, int32_t *ret_min, int32_t *ret_max)
{
	int32_t lo = -128, hi = 127, q;

	if (act == REF_ACT_RELU) {
		q = quantize_float(scale, zp, 0.0f);
		lo = q > lo ? q : lo;
	} else if (act == REF_ACT_RELU6) {
		q = quantize_float(scale, zp, 0.0f);
		lo = q > lo ? q : lo;
		q = quantize_float(scale, zp, 6.0f);
		hi = q < hi ? q : hi;
	} else if (act == REF_ACT_RELU_N1_TO_1) {
		q = quantize_float(scale, zp, -1.0f);
		lo = q > lo ? q : lo;
		q = quantize_float(scale, zp, 1.0f);
		hi = q < hi ? q : hi;
	}
	*ret_min = lo;
	*ret_max = hi;
}

int
ref_out_size(int padding, int in, int filter, int stride, int dilation)
{
	int eff = (filter - 1) * dilation + 1;

	if (padding == REF_SAME)
		return (in + stride - 1) / stride;
	return (in + stride - eff) / stride;
}

int
ref_padding(int stride, int dilation, int in, int filter, int out)
{
	int eff = (filter - 1) * dilation + 1;
	int total = (out - 1) * stride + eff - in;

	return total > 0 ? total / 2 : 0;
}

static int32_t
clamp(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* ---- gemmlowp fixed point (int32 raw values) ---- */

/* SaturatingRoundingMultiplyByPOT<exponent>. */
static int32_t
sr_mul_pot(int32_t x, int exponent)
{
	int32_t threshold;

	if (exponent == 0)
		return x;
	if (exponent < 0)
		return ref_rdbypot(x, -exponent);
	threshold = (int32_t)((1LL << (31 - exponent)) - 1);
	if (x > threshold)
		return INT32_MAX;
	if (x < -threshold)
		return INT32_MIN;
	return mul_pot(x, exponent);
}

/* Rescale<dst>(FixedPoint<src>). */
static int32_t
rescale(int32_t x, int src_bits, int dst_bits)
{
	return sr_mul_pot(x, src_bits - dst_bits);
}

static int32_t
rounding_half_sum(int32_t a, int32_t b)
{
	int64_t sum = (int64_t)a + (int64_t)b;
	int64_t sign = sum >= 0 ? 1 : -1;

	return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t
exp_quarter(int32_t a)
{
	const int32_t constant_term = 1895147668; /* exp(-1/8) */
	const int32_t one_third = 715827883;
	int32_t x = a + (1 << 28); /* a + 1/8 */
	int32_t x2 = ref_srdhm(x, x);
	int32_t x3 = ref_srdhm(x2, x);
	int32_t x4 = ref_srdhm(x2, x2);
	int32_t x4_over_4 = sr_mul_pot(x4, -2);
	int32_t poly = sr_mul_pot(ref_srdhm(x4_over_4 + x3, one_third) + x2, -1);

	return constant_term + ref_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 with `bits` integer bits; result Q0.31. */
static int32_t
exp_neg(int32_t a, int bits)
{
	static const struct {
		int exponent;
		int32_t mult;
	} barrel[] = {
	        {-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
	        {2, 39332535},    {3, 720401},      {4, 242},
	};
	int frac = 31 - bits;
	int32_t quarter = (int32_t)1 << (frac - 2);
	int32_t mask = quarter - 1;
	int32_t a_mod = (a & mask) - quarter;
	int32_t result = exp_quarter(rescale(a_mod, bits, 0));
	int32_t remainder = a_mod - a;
	size_t i;

	for (i = 0; i < sizeof(barrel) / sizeof(barrel[0]); i++) {
		if (bits > barrel[i].exponent) {
			int shift = frac + barrel[i].exponent;

			if (remainder & (int32_t)((uint32_t)1 << shift))
				result = ref_srdhm(result, barrel[i].mult);
		}
	}
	if (bits > 5) {
		int32_t lim = -(int32_t)((uint32_t)1 << (36 - bits)); /* -32.0 */

		if (a < lim)
			result = 0;
	}
	if (a == 0)
		result = INT32_MAX;
	return result;
}

/* Newton-Raphson for 1 / (1 + a), a in [0, 1); returns the Q2.29 estimate. */
static int32_t
nr_reciprocal_half(int32_t half_denominator)
{
	int32_t x = 1515870810 + ref_srdhm(half_denominator, -1010580540); /* 48/17 - 32/17 d */
	int i;

	for (i = 0; i < 3; i++) {
		int32_t hdx = ref_srdhm(half_denominator, x);
		int32_t one_minus = (1 << 29) - hdx;

		x = x + rescale(ref_srdhm(x, one_minus), 4, 2);
	}
	return x;
}

static int32_t
one_over_one_plus_x(int32_t a)
{
	int32_t x = nr_reciprocal_half(rounding_half_sum(a, INT32_MAX));

	/* ExactMulByPot<-1> keeps the raw value (Q1.30), then Rescale<0>. */
	return rescale(x, 1, 0);
}

static int32_t
one_minus_x_over_one_plus_x(int32_t a)
{
	int32_t x = nr_reciprocal_half(rounding_half_sum(a, INT32_MAX));

	return rescale(x - (1 << 29), 2, 0);
}

static int32_t
fp_logistic(int32_t a, int bits)
{
	int32_t abs_a = a > 0 ? a : -a;
	int32_t pos = one_over_one_plus_x(exp_neg(-abs_a, bits));
	int32_t neg = INT32_MAX - pos;

	if (a == 0)
		return 1 << 30;
	return a > 0 ? pos : neg;
}

static int32_t
fp_tanh(int32_t a, int bits)
{
	int32_t n = a < 0 ? a : -a;
	/* ExactMulByPot<1>: same raw value, one more integer bit. */
	int32_t t = one_minus_x_over_one_plus_x(exp_neg(n, bits + 1));

	if (a == 0)
		return 0;
	return a < 0 ? -t : t;
}

/* CalculateInputRadius. */
static int32_t
input_radius(int int_bits, int left_shift)
{
	double max_rescaled = 1.0 * (double)((1 << int_bits) - 1) *
	                      (double)(1LL << (31 - int_bits)) / (double)(1LL << left_shift);

	return (int32_t)floor(max_rescaled);
}

/* ---- convolutions ---- */

void
ref_conv2d(const struct ref_conv_params *p, struct ref_shape is, const int8_t *in, struct ref_q iq,
           struct ref_shape fs, const int8_t *filter, const float *fscales, int n_scales,
           const int32_t *bias, struct ref_shape os, int8_t *out, struct ref_q oq)
{
	int pad_h = ref_padding(p->stride_h, p->dil_h, is.h, fs.h, os.h);
	int pad_w = ref_padding(p->stride_w, p->dil_w, is.w, fs.w, os.w);
	int32_t act_min, act_max;
	int b, oy, ox, oc, ky, kx, ic;

	ref_act_range(p->act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < os.n; b++)
		for (oy = 0; oy < os.h; oy++)
			for (ox = 0; ox < os.w; ox++)
				for (oc = 0; oc < os.c; oc++) {
					int y0 = oy * p->stride_h - pad_h;
					int x0 = ox * p->stride_w - pad_w;
					int32_t acc = 0, mult;
					int shift;
					float fscale = n_scales > 1 ? fscales[oc] : fscales[0];

					for (ky = 0; ky < fs.h; ky++)
						for (kx = 0; kx < fs.w; kx++)
							for (ic = 0; ic < fs.c; ic++) {
								int iy = y0 + p->dil_h * ky;
								int ix = x0 + p->dil_w * kx;
								int32_t iv, fv;

								if (iy < 0 || iy >= is.h ||
								    ix < 0 || ix >= is.w)
									continue;
								iv = in[((b * is.h + iy) * is.w +
								         ix) * is.c +
								        ic];
								fv = filter[((oc * fs.h + ky) *
								                     fs.w +
								             kx) * fs.c +
								            ic];
								acc += fv * (iv - iq.zp);
							}
					if (bias != NULL)
						acc += bias[oc];
					ref_quantize_multiplier((double)iq.scale * (double)fscale /
					                                (double)oq.scale,
					                        &mult, &shift);
					acc = ref_mbqm(acc, mult, shift) + oq.zp;
					out[((b * os.h + oy) * os.w + ox) * os.c + oc] =
					        (int8_t)clamp(acc, act_min, act_max);
				}
}

void
ref_dwconv2d(const struct ref_conv_params *p, struct ref_shape is, const int8_t *in,
             struct ref_q iq, struct ref_shape fs, const int8_t *filter, const float *fscales,
             int n_scales, const int32_t *bias, struct ref_shape os, int8_t *out, struct ref_q oq)
{
	int pad_h = ref_padding(p->stride_h, p->dil_h, is.h, fs.h, os.h);
	int pad_w = ref_padding(p->stride_w, p->dil_w, is.w, fs.w, os.w);
	int dm = p->depth_multiplier;
	int32_t act_min, act_max;
	int b, oy, ox, ic, m, ky, kx;

	ref_act_range(p->act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < os.n; b++)
		for (oy = 0; oy < os.h; oy++)
			for (ox = 0; ox < os.w; ox++)
				for (ic = 0; ic < is.c; ic++)
					for (m = 0; m < dm; m++) {
						int oc = m + ic * dm;
						int y0 = oy * p->stride_h - pad_h;
						int x0 = ox * p->stride_w - pad_w;
						int32_t acc = 0, mult;
						int shift;
						float fscale =
						        n_scales > 1 ? fscales[oc] : fscales[0];

						for (ky = 0; ky < fs.h; ky++)
							for (kx = 0; kx < fs.w; kx++) {
								int iy = y0 + p->dil_h * ky;
								int ix = x0 + p->dil_w * kx;
								int32_t iv, fv;

								if (iy < 0 || iy >= is.h ||
								    ix < 0 || ix >= is.w)
									continue;
								iv = in[((b * is.h + iy) * is.w +
								         ix) * is.c +
								        ic];
								fv = filter[(ky * fs.w + kx) *
								                    fs.c +
								            oc];
								acc += fv * (iv - iq.zp);
							}
						if (bias != NULL)
							acc += bias[oc];
						ref_quantize_multiplier((double)iq.scale *
						                                (double)fscale /
						                                (double)oq.scale,
						                        &mult, &shift);
						acc = ref_mbqm(acc, mult, shift) + oq.zp;
						out[((b * os.h + oy) * os.w + ox) * os.c + oc] =
						        (int8_t)clamp(acc, act_min, act_max);
					}
}

void
ref_fc(int batches, int depth, int units, const int8_t *in, struct ref_q iq, const int8_t *filter,
       const float *fscales, int n_scales, int32_t fzp, const int32_t *bias, int8_t *out,
       struct ref_q oq, int act)
{
	int32_t act_min, act_max;
	int b, u, d;

	ref_act_range(act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < batches; b++)
		for (u = 0; u < units; u++) {
			int32_t acc = 0, mult;
			int shift;
			float fscale = n_scales > 1 ? fscales[u] : fscales[0];

			for (d = 0; d < depth; d++)
				acc += ((int32_t)filter[u * depth + d] - fzp) *
				       ((int32_t)in[b * depth + d] - iq.zp);
			if (bias != NULL)
				acc += bias[u];
			ref_quantize_multiplier((double)iq.scale * (double)fscale /
			                                (double)oq.scale,
			                        &mult, &shift);
			acc = ref_mbqm(acc, mult, shift) + oq.zp;
			out[b * units + u] = (int8_t)clamp(acc, act_min, act_max);
		}
}

/* ---- pooling ---- */

static void
pool(int is_max, int padding, int sw, int sh, int fw, int fh, int act, struct ref_shape is,
     const int8_t *in, struct ref_shape os, int8_t *out, struct ref_q oq)
{
	int pad_h = ref_padding(sh, 1, is.h, fh, os.h);
	int pad_w = ref_padding(sw, 1, is.w, fw, os.w);
	int32_t act_min, act_max;
	int b, oy, ox, c, fy, fx;

	(void)padding;
	ref_act_range(act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < os.n; b++)
		for (oy = 0; oy < os.h; oy++)
			for (ox = 0; ox < os.w; ox++)
				for (c = 0; c < os.c; c++) {
					int y0 = oy * sh - pad_h, x0 = ox * sw - pad_w;
					int fx0 = x0 < 0 ? -x0 : 0, fy0 = y0 < 0 ? -y0 : 0;
					int fx1 = fw < is.w - x0 ? fw : is.w - x0;
					int fy1 = fh < is.h - y0 ? fh : is.h - y0;
					int32_t acc = 0, count = 0, mx = -128;

					for (fy = fy0; fy < fy1; fy++)
						for (fx = fx0; fx < fx1; fx++) {
							int32_t v =
							        in[((b * is.h + y0 + fy) * is.w +
							            x0 + fx) *
							                   is.c +
							           c];

							acc += v;
							mx = v > mx ? v : mx;
							count++;
						}
					if (is_max) {
						acc = mx;
					} else if (count > 0) {
						acc = acc > 0 ? (acc + count / 2) / count
						              : (acc - count / 2) / count;
					}
					out[((b * os.h + oy) * os.w + ox) * os.c + c] =
					        (int8_t)clamp(acc, act_min, act_max);
				}
}

void
ref_avgpool(int padding, int stride_w, int stride_h, int fw, int fh, int act, struct ref_shape is,
            const int8_t *in, struct ref_shape os, int8_t *out, struct ref_q oq)
{
	pool(0, padding, stride_w, stride_h, fw, fh, act, is, in, os, out, oq);
}

void
ref_maxpool(int padding, int stride_w, int stride_h, int fw, int fh, int act, struct ref_shape is,
            const int8_t *in, struct ref_shape os, int8_t *out, struct ref_q oq)
{
	pool(1, padding, stride_w, stride_h, fw, fh, act, is, in, os, out, oq);
}

/* ---- softmax ---- */

static int
clz32(uint32_t x)
{
	int n = 0;

	if (x == 0)
		return 32;
	while (!(x & 0x80000000u)) {
		x <<= 1;
		n++;
	}
	return n;
}

void
ref_softmax(int rows, int depth, const int8_t *in, struct ref_q iq, float beta, int8_t *out)
{
	const int scaled_diff_bits = 5, accum_bits = 12;
	double real = (double)beta * (double)iq.scale * (double)(1 << (31 - scaled_diff_bits));
	int32_t mult, diff_min;
	int left_shift, r, c;

	if (real > (double)((1LL << 31) - 1))
		real = (double)((1LL << 31) - 1);
	ref_quantize_multiplier(real, &mult, &left_shift);
	diff_min = (int32_t)(-1.0 * input_radius(scaled_diff_bits, left_shift));

	for (r = 0; r < rows; r++) {
		const int8_t *row = in + (size_t)r * (size_t)depth;
		int8_t *orow = out + (size_t)r * (size_t)depth;
		int32_t max = -128, sum = 0, shifted_scale;
		int headroom, bits_over_unit;

		for (c = 0; c < depth; c++)
			max = row[c] > max ? row[c] : max;
		for (c = 0; c < depth; c++) {
			int32_t diff = row[c] - max;

			if (diff >= diff_min) {
				int32_t scaled = ref_srdhm(mul_pot(diff, left_shift), mult);

				sum += rescale(exp_neg(scaled, scaled_diff_bits), 0, accum_bits);
			}
		}
		/* GetReciprocal(sum, 12, &bits_over_unit). */
		headroom = clz32((uint32_t)sum);
		bits_over_unit = accum_bits - headroom;
		shifted_scale = one_over_one_plus_x(
		        (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
		for (c = 0; c < depth; c++) {
			int32_t diff = row[c] - max;

			if (diff >= diff_min) {
				int32_t scaled = ref_srdhm(mul_pot(diff, left_shift), mult);
				int32_t e = exp_neg(scaled, scaled_diff_bits);
				int32_t unsat = ref_rdbypot(ref_srdhm(shifted_scale, e),
				                            bits_over_unit + 31 - 8);

				orow[c] = (int8_t)clamp(unsat - 128, -128, 127);
			} else {
				orow[c] = -128;
			}
		}
	}
}

/* ---- elementwise ---- */

static size_t
bcast_index(struct ref_shape s, int b, int y, int x, int c)
{
	return (size_t)((((s.n == 1 ? 0 : b) * s.h + (s.h == 1 ? 0 : y)) * s.w +
	                 (s.w == 1 ? 0 : x)) *
	                        s.c +
	                (s.c == 1 ? 0 : c));
}

void
ref_add(struct ref_shape s1, const int8_t *in1, struct ref_q q1, struct ref_shape s2,
        const int8_t *in2, struct ref_q q2, struct ref_shape os, int8_t *out, struct ref_q oq,
        int act)
{
	const int left_shift = 20;
	double twice_max = 2.0 * (double)(q1.scale > q2.scale ? q1.scale : q2.scale);
	int32_t m1, m2, mo, act_min, act_max;
	int sh1, sh2, sho, b, y, x, c;

	ref_quantize_multiplier((double)q1.scale / twice_max, &m1, &sh1);
	ref_quantize_multiplier((double)q2.scale / twice_max, &m2, &sh2);
	ref_quantize_multiplier(twice_max / ((double)(1 << left_shift) * (double)oq.scale), &mo,
	                        &sho);
	ref_act_range(act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < os.n; b++)
		for (y = 0; y < os.h; y++)
			for (x = 0; x < os.w; x++)
				for (c = 0; c < os.c; c++) {
					int32_t v1 = in1[bcast_index(s1, b, y, x, c)] - q1.zp;
					int32_t v2 = in2[bcast_index(s2, b, y, x, c)] - q2.zp;
					int32_t a1 = ref_mbqm(v1 * (1 << left_shift), m1, sh1);
					int32_t a2 = ref_mbqm(v2 * (1 << left_shift), m2, sh2);
					int32_t r = ref_mbqm(a1 + a2, mo, sho) + oq.zp;

					out[((b * os.h + y) * os.w + x) * os.c + c] =
					        (int8_t)clamp(r, act_min, act_max);
				}
}

void
ref_mul(struct ref_shape s1, const int8_t *in1, struct ref_q q1, struct ref_shape s2,
        const int8_t *in2, struct ref_q q2, struct ref_shape os, int8_t *out, struct ref_q oq,
        int act)
{
	int32_t m, act_min, act_max;
	int sh, b, y, x, c;

	ref_quantize_multiplier((double)q1.scale * (double)q2.scale / (double)oq.scale, &m, &sh);
	ref_act_range(act, oq.scale, oq.zp, &act_min, &act_max);
	for (b = 0; b < os.n; b++)
		for (y = 0; y < os.h; y++)
			for (x = 0; x < os.w; x++)
				for (c = 0; c < os.c; c++) {
					int32_t v1 = in1[bcast_index(s1, b, y, x, c)] - q1.zp;
					int32_t v2 = in2[bcast_index(s2, b, y, x, c)] - q2.zp;
					int32_t r = oq.zp + ref_mbqm(v1 * v2, m, sh);

					out[((b * os.h + y) * os.w + x) * os.c + c] =
					        (int8_t)clamp(r, act_min, act_max);
				}
}

/* ---- quantization and activations ---- */

void
ref_requantize(size_t n, const int8_t *in, struct ref_q iq, int8_t *out, struct ref_q oq)
{
	int32_t m;
	int sh;
	size_t i;

	ref_quantize_multiplier((double)iq.scale / (double)oq.scale, &m, &sh);
	for (i = 0; i < n; i++)
		out[i] = (int8_t)clamp(ref_mbqm(in[i] - iq.zp, m, sh) + oq.zp, -128, 127);
}

void
ref_quantize_f32(size_t n, const float *in, int8_t *out, struct ref_q oq)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int32_t v = (int32_t)roundf(in[i] / oq.scale) + oq.zp;

		out[i] = (int8_t)clamp(v, -128, 127);
	}
}

void
ref_dequantize(size_t n, const int8_t *in, struct ref_q iq, float *out)
{
	double scale = (double)iq.scale;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (float)(scale * (double)(in[i] - iq.zp));
}

void
ref_logistic(size_t n, const int8_t *in, struct ref_q iq, int8_t *out)
{
	const int int_bits = 4;
	double real = (double)iq.scale * (double)(1 << (31 - int_bits));
	int left_shift;
	double q = frexp(real, &left_shift);
	int32_t mult = (int32_t)round(q * (double)(1LL << 31));
	int32_t radius = input_radius(int_bits, left_shift);
	size_t i;

	for (i = 0; i < n; i++) {
		int32_t v = in[i] - iq.zp;

		if (v <= -radius) {
			out[i] = -128;
		} else if (v >= radius) {
			out[i] = 127;
		} else {
			int32_t q4 = ref_mbqm(v, mult, left_shift);
			int32_t q0 = fp_logistic(q4, int_bits);
			int32_t o = ref_rdbypot(q0, 31 - 8);

			out[i] = (int8_t)clamp(o - 128, -128, 127);
		}
	}
}

void
ref_tanh(size_t n, const int8_t *in, struct ref_q iq, int8_t *out)
{
	const int int_bits = 4;
	double real = (double)iq.scale * (double)(1 << (31 - int_bits));
	int left_shift;
	double q = frexp(real, &left_shift);
	int32_t mult = (int32_t)round(q * (double)(1LL << 31));
	int32_t radius = input_radius(int_bits, left_shift);
	size_t i;

	for (i = 0; i < n; i++) {
		int32_t v = in[i] - iq.zp;

		if (v <= -radius) {
			out[i] = -128;
		} else if (v >= radius) {
			out[i] = 127;
		} else {
			int32_t q4 = ref_mbqm(v, mult, left_shift);
			int32_t q0 = fp_tanh(q4, int_bits);
			int32_t o = ref_rdbypot(q0, 31 - 7);

			out[i] = (int8_t)clamp(o, -128, 127);
		}
	}
}

void
ref_relu(size_t n, const int8_t *in, struct ref_q iq, int8_t *out, struct ref_q oq)
{
	int32_t m, lo, hi;
	int sh;
	size_t i;

	ref_quantize_multiplier((double)iq.scale / (double)oq.scale, &m, &sh);
	lo = oq.zp + (int32_t)roundf(0.0f / oq.scale);
	lo = lo > -128 ? lo : -128;
	hi = 127;
	for (i = 0; i < n; i++) {
		int32_t v = oq.zp + ref_mbqm(in[i] - iq.zp, m, sh);

		out[i] = (int8_t)clamp(v, lo, hi);
	}
}

void
ref_relu6(size_t n, const int8_t *in, struct ref_q iq, int8_t *out)
{
	int32_t lo = iq.zp;
	int32_t hi = clamp((int32_t)(roundf(6.0f / iq.scale) + (float)iq.zp), -128, 127);
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (int8_t)clamp(in[i], lo, hi);
}

/* ---- shape ops ---- */

void
ref_mean(struct ref_shape is, const int8_t *in, struct ref_q iq, const int reduce[4], int8_t *out,
         struct ref_q oq)
{
	int dims[4] = {is.n, is.h, is.w, is.c};
	int odims[4], idx[4];
	int64_t count = 1;
	int k, o;
	size_t n_out = 1, i;
	float scale = iq.scale / oq.scale;
	float bias = (float)-iq.zp * scale;

	for (k = 0; k < 4; k++) {
		odims[k] = reduce[k] ? 1 : dims[k];
		if (reduce[k])
			count *= dims[k];
		n_out *= (size_t)odims[k];
	}
	for (i = 0; i < n_out; i++) {
		int32_t sum = 0;
		size_t rem = i;
		float mean, result;

		/* Output coordinates, then sum over the reduced axes. */
		for (k = 3; k >= 0; k--) {
			idx[k] = (int)(rem % (size_t)odims[k]);
			rem /= (size_t)odims[k];
		}
		for (o = 0; o < (int)count; o++) {
			int c[4], r = o;

			for (k = 3; k >= 0; k--) {
				if (reduce[k]) {
					c[k] = r % dims[k];
					r /= dims[k];
				} else {
					c[k] = idx[k];
				}
			}
			sum += in[((c[0] * dims[1] + c[1]) * dims[2] + c[2]) * dims[3] + c[3]];
		}
		mean = (float)sum / (float)count;
		result = roundf(mean * scale + bias) + (float)oq.zp;
		result = result < 127.0f ? result : 127.0f;
		result = result > -128.0f ? result : -128.0f;
		out[i] = (int8_t)result;
	}
}

void
ref_concat(int n, const struct ref_shape *shapes, const int8_t *const *ins, int axis, int8_t *out)
{
	/* outer = product of dims before axis; each input contributes a block of
	 * (its dims from axis on) per outer index. */
	int outer = 1, k, i;
	size_t o = 0;

	for (k = 0; k < axis; k++) {
		int d[4] = {shapes[0].n, shapes[0].h, shapes[0].w, shapes[0].c};

		outer *= d[k];
	}
	for (k = 0; k < outer; k++)
		for (i = 0; i < n; i++) {
			int d[4] = {shapes[i].n, shapes[i].h, shapes[i].w, shapes[i].c};
			size_t block = 1;
			int j;

			for (j = axis; j < 4; j++)
				block *= (size_t)d[j];
			memcpy(out + o, ins[i] + (size_t)k * block, block);
			o += block;
		}
}

void
ref_pad(struct ref_shape is, const int8_t *in, const int32_t pads[4][2], int8_t *out,
        int32_t pad_value)
{
	int on = is.n + pads[0][0] + pads[0][1], oh = is.h + pads[1][0] + pads[1][1];
	int ow = is.w + pads[2][0] + pads[2][1], oc = is.c + pads[3][0] + pads[3][1];
	int b, y, x, c;

	for (b = 0; b < on; b++)
		for (y = 0; y < oh; y++)
			for (x = 0; x < ow; x++)
				for (c = 0; c < oc; c++) {
					int ib = b - pads[0][0], iy = y - pads[1][0];
					int ix = x - pads[2][0], ic = c - pads[3][0];
					int8_t v = (int8_t)pad_value;

					if (ib >= 0 && ib < is.n && iy >= 0 && iy < is.h &&
					    ix >= 0 && ix < is.w && ic >= 0 && ic < is.c)
						v = in[((ib * is.h + iy) * is.w + ix) * is.c + ic];
					out[((b * oh + y) * ow + x) * oc + c] = v;
				}
}
