/*
 * fixedpoint.h: the few gemmlowp fixed-point functions TFLite's int8
 * SOFTMAX, LOGISTIC and TANH use, on raw int32 values. A value with I
 * integer bits has 31 - I fractional bits. Bit-exact ports; private to the
 * kernels that include it.
 */
#ifndef TF_NN_FIXEDPOINT_H
#define TF_NN_FIXEDPOINT_H

#include "core/nn_internal.h"

/* TFLite's general SaturatingRoundingDoublingHighMul (any operands). */
static inline int32_t
fp_srdhm(int32_t a, int32_t b)
{
	int64_t ab;

	if (a == b && a == INT32_MIN)
		return INT32_MAX;
	ab = (int64_t)a * (int64_t)b;
	return (int32_t)((ab + (ab >= 0 ? (1 << 30) : (1 - (1 << 30)))) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT. */
static inline int32_t
fp_rdbpot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
	int32_t remainder = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* SaturatingRoundingMultiplyByPOT for a positive exponent e. */
static inline int32_t
fp_shl_sat(int32_t x, int e)
{
	int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);

	if (x > threshold)
		return INT32_MAX;
	if (x < -threshold)
		return INT32_MIN;
	return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static inline int32_t
fp_exp_quarter(int32_t a)
{
	const int32_t constant_term = 1895147668, one_third = 715827883;
	int32_t x = a + (1 << 28);
	int32_t x2 = fp_srdhm(x, x);
	int32_t x3 = fp_srdhm(x2, x);
	int32_t x4 = fp_srdhm(x2, x2);
	int32_t x4_over_4 = fp_rdbpot(x4, 2);
	int32_t poly = fp_rdbpot(fp_srdhm(x4_over_4 + x3, one_third) + x2, 1);

	return constant_term + fp_srdhm(constant_term, x + poly);
}

/* gemmlowp exp_on_negative_values: a <= 0 with ib (1..5) integer bits; Q0.31 out. */
static inline int32_t
fp_exp_neg(int32_t a, int ib)
{
	static const int32_t mults[7] = {1672461947, 1302514674, 790015084, 290630308,
	                                 39332535,   720401,     242};
	const int frac = 31 - ib;
	const int32_t quarter = (int32_t)1 << (frac - 2);
	int32_t amq = (a & (quarter - 1)) - quarter;
	int32_t result = fp_exp_quarter(fp_shl_sat(amq, ib));
	int32_t remainder = amq - a;
	int e;

	for (e = -2; e <= 4; e++)
		if (ib > e && (remainder & ((int32_t)1 << (frac + e))))
			result = fp_srdhm(result, mults[e + 2]);
	return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson core shared by 1/(1+x) and (1-x)/(1+x), x in [0, 1): Q2.29 result. */
static inline int32_t
fp_nr_reciprocal(int32_t a)
{
	int64_t sum = (int64_t)a + INT32_MAX;
	int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
	int32_t x = 1515870810 + fp_srdhm(half_den, -1010580540);
	int i;

	for (i = 0; i < 3; i++) {
		int32_t one_minus = (1 << 29) - fp_srdhm(half_den, x);

		x = x + fp_shl_sat(fp_srdhm(x, one_minus), 2);
	}
	return x;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in and out. */
static inline int32_t
fp_one_over_one_plus_x(int32_t a)
{
	return fp_shl_sat(fp_nr_reciprocal(a), 1);
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: Q0.31 in and out. */
static inline int32_t
fp_one_minus_x_over_one_plus_x(int32_t a)
{
	return fp_shl_sat(fp_nr_reciprocal(a) - (1 << 29), 2);
}

#endif
