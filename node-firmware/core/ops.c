/*
 * ops.c: the op table (builtin code -> kernel), operator names, error texts
 * and the helpers every kernel's prepare uses.
 *
 * To add an op: write kernels/<op>_s8.c with nn_<op>_s8_prepare/_eval,
 * declare it in nn_internal.h (NN__KERNEL) and add one line to `kernels`.
 *
 * A firmware that knows its models can keep only their kernels: build this
 * file with -DNN_OPS_SELECTED -DNN_WITH_CONV_2D -DNN_WITH_SOFTMAX ... and
 * link with --gc-sections; the other kernels then drop out of the image
 * (that is how `make size-core` measures per-model op sets).
 */
#include <string.h>

#include "core/nn_internal.h"

static const struct nn__kernel kernels[] = {
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_ADD)
        {NN_OP_ADD, 4, nn_add_s8_prepare, nn_add_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_AVERAGE_POOL_2D)
        {NN_OP_AVERAGE_POOL_2D, 3, nn_avgpool_s8_prepare, nn_avgpool_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_CONCATENATION)
        {NN_OP_CONCATENATION, 4, nn_concat_s8_prepare, nn_concat_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_CONV_2D)
        {NN_OP_CONV_2D, 6, nn_conv_s8_prepare, nn_conv_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_DEPTHWISE_CONV_2D)
        {NN_OP_DEPTHWISE_CONV_2D, 7, nn_dwconv_s8_prepare, nn_dwconv_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_DEQUANTIZE)
        {NN_OP_DEQUANTIZE, 6, nn_dequantize_s8_prepare, nn_dequantize_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_FULLY_CONNECTED)
        {NN_OP_FULLY_CONNECTED, 12, nn_fc_s8_prepare, nn_fc_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_LOGISTIC)
        {NN_OP_LOGISTIC, 3, nn_logistic_s8_prepare, nn_logistic_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_MAX_POOL_2D)
        {NN_OP_MAX_POOL_2D, 3, nn_maxpool_s8_prepare, nn_maxpool_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_MUL)
        {NN_OP_MUL, 7, nn_mul_s8_prepare, nn_mul_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_RELU)
        {NN_OP_RELU, 3, nn_relu_s8_prepare, nn_relu_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_RELU6)
        {NN_OP_RELU6, 3, nn_relu_s8_prepare, nn_relu_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_RESHAPE)
        {NN_OP_RESHAPE, 2, nn_reshape_s8_prepare, nn_reshape_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_SOFTMAX)
        {NN_OP_SOFTMAX, 3, nn_softmax_s8_prepare, nn_softmax_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_TANH)
        {NN_OP_TANH, 3, nn_tanh_s8_prepare, nn_tanh_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_PAD)
        {NN_OP_PAD, 4, nn_pad_s8_prepare, nn_pad_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_MEAN)
        {NN_OP_MEAN, 3, nn_mean_s8_prepare, nn_mean_s8_eval},
#endif
#if !defined(NN_OPS_SELECTED) || defined(NN_WITH_QUANTIZE)
        {NN_OP_QUANTIZE, 3, nn_quantize_s8_prepare, nn_quantize_s8_eval},
#endif
};

#define N_KERNELS ((int)(sizeof(kernels) / sizeof(kernels[0])))

const struct nn__kernel *
nn__kernel_find(int32_t code)
{
	int i;

	for (i = 0; i < N_KERNELS; i++)
		if (kernels[i].code == code)
			return &kernels[i];
	return NULL;
}

int
nn_op_supported(int32_t code)
{
	return nn__kernel_find(code) != NULL;
}

int
nn_supported_ops(int32_t *codes, int max)
{
	int i;

	for (i = 0; codes && i < N_KERNELS && i < max; i++)
		codes[i] = kernels[i].code;
	return N_KERNELS;
}

/* BuiltinOperator names 0..126 (schema.fbs order). */
static const char *const op_names[] = {"ADD",
                                       "AVERAGE_POOL_2D",
                                       "CONCATENATION",
                                       "CONV_2D",
                                       "DEPTHWISE_CONV_2D",
                                       "DEPTH_TO_SPACE",
                                       "DEQUANTIZE",
                                       "EMBEDDING_LOOKUP",
                                       "FLOOR",
                                       "FULLY_CONNECTED",
                                       "HASHTABLE_LOOKUP",
                                       "L2_NORMALIZATION",
                                       "L2_POOL_2D",
                                       "LOCAL_RESPONSE_NORMALIZATION",
                                       "LOGISTIC",
                                       "LSH_PROJECTION",
                                       "LSTM",
                                       "MAX_POOL_2D",
                                       "MUL",
                                       "RELU",
                                       "RELU_N1_TO_1",
                                       "RELU6",
                                       "RESHAPE",
                                       "RESIZE_BILINEAR",
                                       "RNN",
                                       "SOFTMAX",
                                       "SPACE_TO_DEPTH",
                                       "SVDF",
                                       "TANH",
                                       "CONCAT_EMBEDDINGS",
                                       "SKIP_GRAM",
                                       "CALL",
                                       "CUSTOM",
                                       "EMBEDDING_LOOKUP_SPARSE",
                                       "PAD",
                                       "UNIDIRECTIONAL_SEQUENCE_RNN",
                                       "GATHER",
                                       "BATCH_TO_SPACE_ND",
                                       "SPACE_TO_BATCH_ND",
                                       "TRANSPOSE",
                                       "MEAN",
                                       "SUB",
                                       "DIV",
                                       "SQUEEZE",
                                       "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                       "STRIDED_SLICE",
                                       "BIDIRECTIONAL_SEQUENCE_RNN",
                                       "EXP",
                                       "TOPK_V2",
                                       "SPLIT",
                                       "LOG_SOFTMAX",
                                       "DELEGATE",
                                       "BIDIRECTIONAL_SEQUENCE_LSTM",
                                       "CAST",
                                       "PRELU",
                                       "MAXIMUM",
                                       "ARG_MAX",
                                       "MINIMUM",
                                       "LESS",
                                       "NEG",
                                       "PADV2",
                                       "GREATER",
                                       "GREATER_EQUAL",
                                       "LESS_EQUAL",
                                       "SELECT",
                                       "SLICE",
                                       "SIN",
                                       "TRANSPOSE_CONV",
                                       "SPARSE_TO_DENSE",
                                       "TILE",
                                       "EXPAND_DIMS",
                                       "EQUAL",
                                       "NOT_EQUAL",
                                       "LOG",
                                       "SUM",
                                       "SQRT",
                                       "RSQRT",
                                       "SHAPE",
                                       "POW",
                                       "ARG_MIN",
                                       "FAKE_QUANT",
                                       "REDUCE_PROD",
                                       "REDUCE_MAX",
                                       "PACK",
                                       "LOGICAL_OR",
                                       "ONE_HOT",
                                       "LOGICAL_AND",
                                       "LOGICAL_NOT",
                                       "UNPACK",
                                       "REDUCE_MIN",
                                       "FLOOR_DIV",
                                       "REDUCE_ANY",
                                       "SQUARE",
                                       "ZEROS_LIKE",
                                       "FILL",
                                       "FLOOR_MOD",
                                       "RANGE",
                                       "RESIZE_NEAREST_NEIGHBOR",
                                       "LEAKY_RELU",
                                       "SQUARED_DIFFERENCE",
                                       "MIRROR_PAD",
                                       "ABS",
                                       "SPLIT_V",
                                       "UNIQUE",
                                       "CEIL",
                                       "REVERSE_V2",
                                       "ADD_N",
                                       "GATHER_ND",
                                       "COS",
                                       "WHERE",
                                       "RANK",
                                       "ELU",
                                       "REVERSE_SEQUENCE",
                                       "MATRIX_DIAG",
                                       "QUANTIZE",
                                       "MATRIX_SET_DIAG",
                                       "ROUND",
                                       "HARD_SWISH",
                                       "IF",
                                       "WHILE",
                                       "NON_MAX_SUPPRESSION_V4",
                                       "NON_MAX_SUPPRESSION_V5",
                                       "SCATTER_ND",
                                       "SELECT_V2",
                                       "DENSIFY",
                                       "SEGMENT_SUM",
                                       "BATCH_MATMUL"};

const char *
nn_op_name(int32_t code)
{
	if (code >= 0 && code < (int32_t)(sizeof(op_names) / sizeof(op_names[0])))
		return op_names[code];
	return "UNKNOWN";
}

const char *
nn_strerror(int err)
{
	switch (err) {
	case NN_OK:
		return "success";
	case NN_EINVAL:
		return "invalid argument";
	case NN_ENOTSUP:
		return "unsupported by the core";
	case NN_EMODEL:
		return "malformed model";
	case NN_ENOMEM:
		return "arena too small";
	case NN_EALIGN:
		return "arena misaligned";
	case NN_ELIMIT:
		return "model exceeds a core limit";
	case NN_EQUANT:
		return "bad or missing quantization parameters";
	default:
		return "unknown core error";
	}
}

/* ---- prepare helpers ---- */

#ifdef NN_NO_MESSAGES
int
nn__ctx_fail0(struct nn__ctx *c, int err)
{
	if (!c->err)
		c->err = err;
	return err;
}
#else
int
nn__ctx_fail(struct nn__ctx *c, int err, const char *a, int64_t v, const char *b)
{
	if (!c->err)
		c->err = err;
	return nn__op_err(c->msg, c->msg_len, c->op, c->oi.code, err, a, v, b);
}
#endif

int
nn__ctx_in(struct nn__ctx *c, uint32_t k, struct nn__tinfo *ret, int32_t *ret_idx)
{
	int32_t idx = nn__op_in(c->m, &c->oi, k);

	if (idx < 0)
		return nn__ctx_fail(c, NN_EMODEL, "input ", k, " missing");
	if (ret_idx)
		*ret_idx = idx;
	if (nn__tensor(c->m, idx, ret, NULL, 0) < 0)
		return nn__ctx_fail(c, NN_EMODEL, "input tensor ", idx, " malformed");
	return NN_OK;
}

int
nn__ctx_out(struct nn__ctx *c, uint32_t k, struct nn__tinfo *ret, int32_t *ret_idx)
{
	int32_t idx = nn__op_out(c->m, &c->oi, k);

	if (idx < 0)
		return nn__ctx_fail(c, NN_EMODEL, "output ", k, " missing");
	if (ret_idx)
		*ret_idx = idx;
	if (nn__tensor(c->m, idx, ret, NULL, 0) < 0)
		return nn__ctx_fail(c, NN_EMODEL, "output tensor ", idx, " malformed");
	if (ret->cdata)
		return nn__ctx_fail(c, NN_EMODEL, "output tensor ", idx, " is a constant");
	return NN_OK;
}

int
nn__ctx_opts(struct nn__ctx *c, int32_t type)
{
	if (c->oi.opt_type != 0 && c->oi.opt_type != type)
		return nn__ctx_fail(c, NN_EMODEL, "builtin options of type ", c->oi.opt_type,
		                    " do not belong to this op");
	if (c->oi.opt_type == 0)
		c->oi.has_opt = 0;
	return NN_OK;
}

void *
nn__ctx_ptr(struct nn__ctx *c, int32_t idx)
{
	return idx >= 0 ? c->tdata[idx] : NULL;
}

int
nn__ctx_q8(struct nn__ctx *c, const struct nn__tinfo *t, const char *what)
{
	if (t->type != NN_INT8)
		return nn__ctx_fail(c, NN_ENOTSUP, what, NN__NOVAL, ": only int8 is supported");
	if (t->scales.n < 1 || !(t->scale > 0.0f) || t->scale > 3.0e38f)
		return nn__ctx_fail(c, NN_EQUANT, what, NN__NOVAL,
		                    ": int8 scale missing or invalid");
	if (t->zp < -128 || t->zp > 127)
		return nn__ctx_fail(c, NN_EQUANT, what, NN__NOVAL,
		                    ": zero point out of int8 range");
	return NN_OK;
}

void
nn__padding(int padding_same, int32_t stride, int32_t dilation, int32_t in, int32_t filter,
            int32_t *ret_out, int32_t *ret_pad)
{
	int32_t eff = (filter - 1) * dilation + 1;
	int32_t out, total;

	out = padding_same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
	total = (out - 1) * stride + eff - in;
	if (total < 0)
		total = 0;
	*ret_out = out;
	*ret_pad = total / 2;
}

int
nn__ctx_wquant(struct nn__ctx *c, const struct nn__tinfo *w, int axis, int32_t nch,
               int32_t bias_idx, float in_scale, float out_scale, int32_t *mult, int8_t *shift)
{
	uint32_t i, n;

	if (w->type != NN_INT8)
		return nn__ctx_fail(c, NN_ENOTSUP, "filter: only int8 is supported", NN__NOVAL,
		                    NULL);
	if (!w->cdata)
		return nn__ctx_fail(c, NN_ENOTSUP, "filter: non-constant weights unsupported",
		                    NN__NOVAL, NULL);
	n = w->scales.n;
	if (n != 1 && !(n == (uint32_t)nch && w->qdim == axis && w->dims[axis] == nch))
		return nn__ctx_fail(c, NN_EQUANT, "filter: ", (int64_t)n,
		                    " scales, expected 1 or one per output channel");
	/* At bind the scales were checked at open: only the fill pass reads them. */
	for (i = 0; i < n && (mult || !c->validated); i++) {
		float s = nn__scale_at(c->m, w, i);
		int32_t m32;
		int sh;

		if (nn__zp_at(c->m, w, i) != 0)
			return nn__ctx_fail(c, NN_EQUANT, "filter: zero point ",
			                    nn__zp_at(c->m, w, i), " not 0");
		if (!mult && nn__quant_check(in_scale, s, out_scale, 0) < 0)
			return nn__ctx_fail(c, NN_EQUANT, "filter: scale ", (int64_t)i,
			                    " invalid or out of range");
		if (mult) {
			nn__quant_mult(in_scale, s, out_scale, 0, &m32, &sh);
			mult[i] = m32;
			shift[i] = (int8_t)sh;
		}
	}
	if (bias_idx >= 0) {
		struct nn__tinfo b;

		if (nn__tensor(c->m, bias_idx, &b, NULL, 0) < 0)
			return nn__ctx_fail(c, NN_EMODEL, "bias malformed", NN__NOVAL, NULL);
		if (b.type != NN_INT32)
			return nn__ctx_fail(c, NN_ENOTSUP, "bias: only int32 is supported",
			                    NN__NOVAL, NULL);
		if (!b.cdata)
			return nn__ctx_fail(c, NN_ENOTSUP, "bias: non-constant bias unsupported",
			                    NN__NOVAL, NULL);
		if (b.elems != (uint32_t)nch)
			return nn__ctx_fail(c, NN_EMODEL, "bias has ", b.elems,
			                    " elements, expected one per output channel");
	}
	return (int)n;
}

int
nn__ctx_window(struct nn__ctx *c, const struct nn__tinfo *in, const struct nn__tinfo *out,
               struct nn__window *w)
{
	if (w->padding != 0 && w->padding != 1)
		return nn__ctx_fail(c, NN_ENOTSUP, "padding ", w->padding, " unsupported");
	if (w->sw < 1 || w->sh < 1 || w->sw > 4096 || w->sh > 4096)
		return nn__ctx_fail(c, NN_ENOTSUP, "stride ",
		                    w->sw < 1 || w->sw > 4096 ? w->sw : w->sh, " unsupported");
	if (w->dw < 1 || w->dh < 1 || w->dw > 4096 || w->dh > 4096)
		return nn__ctx_fail(c, NN_ENOTSUP, "dilation ",
		                    w->dw < 1 || w->dw > 4096 ? w->dw : w->dh, " unsupported");
	if (w->kw < 1 || w->kh < 1 || w->kw > 4096 || w->kh > 4096 || in->dims[1] < 1 ||
	    in->dims[2] < 1)
		return nn__ctx_fail(c, NN_EMODEL, "empty window or input", NN__NOVAL, NULL);
	nn__padding(w->padding == 0, w->sh, w->dh, in->dims[1], w->kh, &w->oh, &w->ph);
	nn__padding(w->padding == 0, w->sw, w->dw, in->dims[2], w->kw, &w->ow, &w->pw);
	if (w->oh != out->dims[1] || w->ow != out->dims[2] || w->oh < 1 || w->ow < 1)
		return nn__ctx_fail(c, NN_EMODEL, "output size ", out->dims[1],
		                    " does not match padding and stride");
	if (nn__act_range(w->act, out->scale, out->zp, &w->act_min, &w->act_max) < 0)
		return nn__ctx_fail(c, NN_ENOTSUP, "fused activation ", w->act, " unsupported");
	return NN_OK;
}
