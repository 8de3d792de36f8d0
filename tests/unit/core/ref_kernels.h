/*
 * ref_kernels: slow, obviously correct int8 reference implementations of the
 * ops the core runs, written straight from TensorFlow Lite's reference kernel
 * formulas (tensorflow/lite/kernels/internal/reference/, gemmlowp's
 * fixedpoint.h and the TFLM Prepare code that computes multipliers). They
 * exist to check the core's optimized kernels byte for byte.
 *
 * Everything here favours the literal formula over speed: one output element
 * per loop iteration, multipliers computed from float scales in double the
 * way TFLite's QuantizeMultiplier does, gemmlowp's fixed-point helpers spelled
 * out one by one. Host-only test code (uses <math.h>).
 *
 * Shapes are NHWC; a 4-D shape is given as struct ref_shape. Quantization of
 * an activation is struct ref_q {scale, zero_point}.
 */
#ifndef TF_TESTS_REF_KERNELS_H
#define TF_TESTS_REF_KERNELS_H

#include <stddef.h>
#include <stdint.h>

struct ref_shape {
	int n, h, w, c;
};

struct ref_q {
	float scale;
	int32_t zp;
};

/* Padding and fused activation use the TFLite schema numbering. */
enum { REF_SAME = 0, REF_VALID = 1 };
enum { REF_ACT_NONE = 0, REF_ACT_RELU = 1, REF_ACT_RELU_N1_TO_1 = 2, REF_ACT_RELU6 = 3 };

/* ---- TFLite arithmetic helpers (exported so other tests can reuse them) ---- */

/* QuantizeMultiplier(double): significand in Q31 and a power-of-two shift. */
void ref_quantize_multiplier(double m, int32_t *ret_mult, int *ret_shift);

/* gemmlowp SaturatingRoundingDoublingHighMul. */
int32_t ref_srdhm(int32_t a, int32_t b);

/* gemmlowp RoundingDivideByPOT (exponent 0..31). */
int32_t ref_rdbypot(int32_t x, int exponent);

/* TFLite MultiplyByQuantizedMultiplier (double rounding, the TFLM default). */
int32_t ref_mbqm(int32_t x, int32_t mult, int shift);

/* CalculateActivationRangeQuantized for int8 output (scale, zero point). */
void ref_act_range(int act, float scale, int32_t zp, int32_t *ret_min, int32_t *ret_max);

/* ComputeOutSize and ComputePaddingWithOffset (returns the leading padding). */
int ref_out_size(int padding, int in, int filter, int stride, int dilation);
int ref_padding(int stride, int dilation, int in, int filter, int out);

/* ---- ops ---- */

struct ref_conv_params {
	int padding; /* REF_SAME / REF_VALID */
	int stride_w, stride_h;
	int dil_w, dil_h;     /* 1 = none */
	int depth_multiplier; /* depthwise only */
	int act;              /* REF_ACT_* */
};

/*
 * CONV_2D (reference_integer_ops::ConvPerChannel). filter is [oc, kh, kw, ic]
 * with n_scales == oc (per-channel) or 1 (per-tensor) scales; bias (int32, oc)
 * may be NULL. The output shape must be what ref_out_size gives.
 */
void ref_conv2d(const struct ref_conv_params *p, struct ref_shape is, const int8_t *in,
                struct ref_q iq, struct ref_shape fs, const int8_t *filter, const float *fscales,
                int n_scales, const int32_t *bias, struct ref_shape os, int8_t *out,
                struct ref_q oq);

/* DEPTHWISE_CONV_2D (DepthwiseConvPerChannel). filter is [1, kh, kw, oc],
 * oc = ic * depth_multiplier; fs.c == oc. */
void ref_dwconv2d(const struct ref_conv_params *p, struct ref_shape is, const int8_t *in,
                  struct ref_q iq, struct ref_shape fs, const int8_t *filter, const float *fscales,
                  int n_scales, const int32_t *bias, struct ref_shape os, int8_t *out,
                  struct ref_q oq);

/*
 * FULLY_CONNECTED (reference_integer_ops::FullyConnected). filter is
 * [units, depth] with zero point fzp and scale(s) (n_scales 1 or units);
 * input is batches x depth. bias may be NULL.
 */
void ref_fc(int batches, int depth, int units, const int8_t *in, struct ref_q iq,
            const int8_t *filter, const float *fscales, int n_scales, int32_t fzp,
            const int32_t *bias, int8_t *out, struct ref_q oq, int act);

/* AVERAGE_POOL_2D / MAX_POOL_2D (reference_integer_ops::AveragePool/MaxPool);
 * output quantization is used only for the activation clamp. */
void ref_avgpool(int padding, int stride_w, int stride_h, int fw, int fh, int act,
                 struct ref_shape is, const int8_t *in, struct ref_shape os, int8_t *out,
                 struct ref_q oq);
void ref_maxpool(int padding, int stride_w, int stride_h, int fw, int fh, int act,
                 struct ref_shape is, const int8_t *in, struct ref_shape os, int8_t *out,
                 struct ref_q oq);

/* SOFTMAX int8 -> int8 (reference_ops::Softmax, gemmlowp fixed point); rows
 * of `depth` elements; output must be scale 1/256, zero point -128. */
void ref_softmax(int rows, int depth, const int8_t *in, struct ref_q iq, float beta, int8_t *out);

/*
 * ADD / MUL int8 with broadcasting over 4-D shapes (a dimension of 1 in
 * either input broadcasts, as BroadcastAdd4DSlow does). os is the output shape.
 */
void ref_add(struct ref_shape s1, const int8_t *in1, struct ref_q q1, struct ref_shape s2,
             const int8_t *in2, struct ref_q q2, struct ref_shape os, int8_t *out, struct ref_q oq,
             int act);
void ref_mul(struct ref_shape s1, const int8_t *in1, struct ref_q q1, struct ref_shape s2,
             const int8_t *in2, struct ref_q q2, struct ref_shape os, int8_t *out, struct ref_q oq,
             int act);

/* QUANTIZE int8 -> int8 (Requantize) and float32 -> int8 (AffineQuantize). */
void ref_requantize(size_t n, const int8_t *in, struct ref_q iq, int8_t *out, struct ref_q oq);
void ref_quantize_f32(size_t n, const float *in, int8_t *out, struct ref_q oq);

/* DEQUANTIZE int8 -> float32. */
void ref_dequantize(size_t n, const int8_t *in, struct ref_q iq, float *out);

/* LOGISTIC (output 1/256, -128) and TANH (output 1/128, 0), int8. */
void ref_logistic(size_t n, const int8_t *in, struct ref_q iq, int8_t *out);
void ref_tanh(size_t n, const int8_t *in, struct ref_q iq, int8_t *out);

/* RELU (rescales input to output quantization) and RELU6 (TFLM: clamps to
 * [zp, quantize(6)] of the input quantization, no rescale). */
void ref_relu(size_t n, const int8_t *in, struct ref_q iq, int8_t *out, struct ref_q oq);
void ref_relu6(size_t n, const int8_t *in, struct ref_q iq, int8_t *out);

/*
 * MEAN int8 over the axes marked in reduce[0..3] of a 4-D input
 * (reference_ops::QuantizedMeanOrSum, float rescale). The output holds the
 * remaining dimensions in order.
 */
void ref_mean(struct ref_shape is, const int8_t *in, struct ref_q iq, const int reduce[4],
              int8_t *out, struct ref_q oq);

/* CONCATENATION of n 4-D int8 inputs along axis (0..3); same quantization. */
void ref_concat(int n, const struct ref_shape *shapes, const int8_t *const *ins, int axis,
                int8_t *out);

/* PAD 4-D int8: pads[d][0] before, pads[d][1] after, filled with the zero point. */
void ref_pad(struct ref_shape is, const int8_t *in, const int32_t pads[4][2], int8_t *out,
             int32_t pad_value);

#endif
