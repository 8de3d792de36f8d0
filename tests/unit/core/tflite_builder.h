/*
 * tflite_builder: a minimal flatbuffer writer that builds int8 .tflite models
 * in memory, for the core's tests and the CLI's test tools.
 *
 * It writes the TFLite schema (schema.fbs, version 3) front to back: the root
 * table first, each child after the table that points at it, so every
 * uoffset is positive as the format requires. Scalars are written in host
 * byte order, so it assumes a little-endian host (x86-64, ARM).
 *
 * It does not validate anything on purpose: tests use it to build models the
 * core must reject (bad tensor indices, shape/byte-size mismatch, missing
 * quantization, unknown ops), and tb_break() damages the flatbuffer itself
 * (offsets, vtables, vector lengths) when the bytes are written.
 *
 *	struct tb *b = tb_new();
 *	int in = tb_tensor_q(b, TB_INT8, (int32_t[]){1, 8, 8, 3}, 4, 0.5f, -3);
 *	...
 *	tb_conv2d(b, in, w, bias, out, TB_SAME, 1, 1, 1, 1, TB_ACT_RELU);
 *	tb_io(b, &in, 1, &out, 1);
 *	size_t len;
 *	uint8_t *bytes = tb_finish(b, &len);   // owned by b, 16-byte aligned
 *	...
 *	tb_free(b);
 *
 * Errors: the tb_* adders return the new index (>= 0) or -1 when out of memory
 * or capacity; the error is sticky and tb_finish() then returns NULL.
 */
#ifndef TF_TESTS_TFLITE_BUILDER_H
#define TF_TESTS_TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

/* TensorType (schema.fbs). */
enum tb_type {
	TB_FLOAT32 = 0,
	TB_INT32 = 2,
	TB_UINT8 = 3,
	TB_INT64 = 4,
	TB_INT16 = 7,
	TB_INT8 = 9,
};

/* BuiltinOperator codes used by the tests (schema.fbs numbering). */
enum tb_op_code {
	TB_OP_ADD = 0,
	TB_OP_AVERAGE_POOL_2D = 1,
	TB_OP_CONCATENATION = 2,
	TB_OP_CONV_2D = 3,
	TB_OP_DEPTHWISE_CONV_2D = 4,
	TB_OP_DEQUANTIZE = 6,
	TB_OP_FULLY_CONNECTED = 9,
	TB_OP_LOGISTIC = 14,
	TB_OP_MAX_POOL_2D = 17,
	TB_OP_MUL = 18,
	TB_OP_RELU = 19,
	TB_OP_RELU6 = 21,
	TB_OP_RESHAPE = 22,
	TB_OP_SOFTMAX = 25,
	TB_OP_SVDF = 27,
	TB_OP_TANH = 28,
	TB_OP_CUSTOM = 32,
	TB_OP_PAD = 34,
	TB_OP_MEAN = 40,
	TB_OP_QUANTIZE = 114,
	TB_OP_PLACEHOLDER_FOR_GREATER_OP_CODES = 127,
};

/* BuiltinOptions union member numbers (schema.fbs order, NONE = 0). */
enum tb_options_type {
	TB_OPT_NONE = 0,
	TB_OPT_CONV_2D = 1,
	TB_OPT_DEPTHWISE_CONV_2D = 2,
	TB_OPT_POOL_2D = 5,
	TB_OPT_FULLY_CONNECTED = 8,
	TB_OPT_SOFTMAX = 9,
	TB_OPT_CONCATENATION = 10,
	TB_OPT_ADD = 11,
	TB_OPT_RESHAPE = 17,
	TB_OPT_MUL = 21,
	TB_OPT_PAD = 22,
	TB_OPT_REDUCER = 27,
	TB_OPT_DEQUANTIZE = 38,
	TB_OPT_QUANTIZE = 89,
};

/* Padding and ActivationFunctionType (schema.fbs). */
enum tb_padding { TB_SAME = 0, TB_VALID = 1 };
enum tb_act {
	TB_ACT_NONE = 0,
	TB_ACT_RELU = 1,
	TB_ACT_RELU_N1_TO_1 = 2,
	TB_ACT_RELU6 = 3,
	TB_ACT_TANH = 4,
};

/* How operator codes are written (OperatorCode fields). */
enum tb_opcode_style {
	TB_CODES_BOTH = 0,       /* deprecated_builtin_code = min(code, 127) and builtin_code */
	TB_CODES_DEPRECATED = 1, /* only the int8 deprecated_builtin_code (older converters) */
	TB_CODES_BUILTIN = 2,    /* only builtin_code; deprecated field absent (reads as 0 = ADD) */
};

/* Damage applied to the bytes by tb_finish() (see tb_break()). */
enum tb_break {
	TB_BREAK_NONE = 0,
	TB_BREAK_ROOT_OFFSET,   /* root uoffset points past the end */
	TB_BREAK_VTABLE_OFFSET, /* Model's soffset puts its vtable past the end */
	TB_BREAK_VTABLE_SIZE,   /* Model's vtable claims 0xfffe bytes */
	TB_BREAK_VTABLE_ODD,    /* Model's vtable size is odd and smaller than 4 */
	TB_BREAK_FIELD_OFFSET,  /* Model's vtable entry for subgraphs points far past the table */
	TB_BREAK_SUBGRAPHS_ABSENT, /* Model has no subgraphs field */
	TB_BREAK_SUBGRAPHS_EMPTY,  /* subgraphs vector of length 0 */
	TB_BREAK_SELF_OFFSET,      /* subgraphs uoffset is 0 (points at itself) */
	TB_BREAK_VECTOR_LENGTH,    /* tensors vector length 0x7fffffff */
	TB_BREAK_ELEMENT_OFFSET,   /* tensors[0] uoffset points past the end */
	TB_BREAK_STRING_LENGTH,    /* tensors[0].name length runs past the end */
	TB_BREAK_BUFFER_LENGTH,    /* first non-empty buffer's data runs past the end */
	TB_BREAK_SHAPE_LENGTH,     /* tensors[0].shape vector length runs past the end */
	TB_BREAK_OPCODE_INDEX,     /* operators[0].opcode_index = 0xffff */
	TB_BREAK_IDENTIFIER,       /* file identifier "TFL3" replaced by "XXXX" */
	TB_BREAK_TRUNCATE,         /* bytes cut to half their length */
	TB_BREAK__COUNT
};

/* Positions (byte offsets) of a few objects in the finished bytes, for tests
 * that want to damage something tb_break() does not cover. 0 = not written. */
struct tb_layout {
	size_t model_table;   /* Model table (its soffset) */
	size_t model_vtable;  /* Model vtable */
	size_t subgraphs;     /* Model.subgraphs field (the uoffset) */
	size_t subgraph;      /* SubGraph table */
	size_t tensors_vec;   /* SubGraph.tensors vector (its length) */
	size_t tensor0;       /* tensors[0] table */
	size_t tensor0_name;  /* tensors[0].name string (its length) */
	size_t tensor0_shape; /* tensors[0].shape vector (its length) */
	size_t ops_vec;       /* SubGraph.operators vector (its length) */
	size_t op0;           /* operators[0] table */
	size_t buffers_vec;   /* Model.buffers vector (its length) */
	size_t first_data;    /* first non-empty Buffer.data vector (its length) */
};

/* Quantization parameters of one tensor. n == 0 writes no quantization table. */
struct tb_quant {
	int n;                       /* number of scales (1: per-tensor, >1: per-channel) */
	const float *scale;          /* n scales */
	const int64_t *zero_point;   /* n zero points, or NULL for all 0 */
	int32_t quantized_dimension; /* axis of the per-channel scales */
};

/* One option field of an operator's builtin options table. */
enum tb_field_kind { TB_F_BYTE = 1, TB_F_INT = 2, TB_F_FLOAT = 3, TB_F_INTVEC = 4 };
struct tb_field {
	uint8_t id;         /* field id in the options table (schema order) */
	uint8_t kind;       /* enum tb_field_kind */
	int32_t i;          /* BYTE / INT value */
	float f;            /* FLOAT value */
	const int32_t *vec; /* INTVEC values (copied) */
	int n;              /* INTVEC length */
};

#define TB_MAX_FIELDS 8

/* A generic operator. */
struct tb_op {
	int32_t code;            /* builtin operator code */
	int32_t version;         /* operator version; 0 means 1 */
	const char *custom_code; /* for TB_OP_CUSTOM, else NULL */
	const int32_t *inputs;   /* tensor indices (-1 = optional absent) */
	int n_inputs;
	const int32_t *outputs;
	int n_outputs;
	uint8_t options_type; /* enum tb_options_type; 0 = no options table */
	struct tb_field options[TB_MAX_FIELDS];
	int n_options;
};

struct tb;

/* A new, empty model (buffer 0, the empty sentinel, already exists). NULL on OOM. */
struct tb *tb_new(void);

/* Frees the builder and the bytes tb_finish() returned. Accepts NULL. */
void tb_free(struct tb *b);

/* How operator codes are written; default TB_CODES_BOTH. */
void tb_set_opcode_style(struct tb *b, enum tb_opcode_style style);

/* Damage to apply when the bytes are written (one kind per model). */
void tb_break(struct tb *b, enum tb_break kind);

/* Adds a buffer holding a copy of len bytes; returns its index (>= 1). */
int tb_buffer(struct tb *b, const void *data, size_t len);

/*
 * Adds a tensor; returns its index. buffer 0 means "no data" (an activation).
 * q may be NULL (no quantization table). name may be NULL (a default is made).
 */
int tb_tensor(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const char *name,
              int buffer, const struct tb_quant *q);

/* Activation tensor with per-tensor quantization (scale, zero point). */
int tb_tensor_q(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, float scale,
                int64_t zp);

/* Constant tensor with per-tensor quantization: data holds len bytes. */
int tb_const_q(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const void *data,
               size_t len, float scale, int64_t zp);

/* Constant tensor with per-channel scales along axis qdim (zero points 0). */
int tb_const_pc(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const void *data,
                size_t len, const float *scales, int n_scales, int32_t qdim);

/* Constant int32 tensor without quantization (shapes, axes, paddings). */
int tb_const_i32(struct tb *b, const int32_t *shape, int ndim, const int32_t *values, int n);

/* Adds an operator (operator codes are shared by code and version). Returns its index. */
int tb_op(struct tb *b, const struct tb_op *op);

/* Sets the subgraph's inputs and outputs (copied). */
int tb_io(struct tb *b, const int32_t *inputs, int n_inputs, const int32_t *outputs, int n_outputs);

/* Convenience adders for the ops the core runs (bias may be -1: absent). */
int tb_conv2d(struct tb *b, int in, int filter, int bias, int out, enum tb_padding padding,
              int stride_w, int stride_h, int dil_w, int dil_h, enum tb_act act);
int tb_dwconv2d(struct tb *b, int in, int filter, int bias, int out, enum tb_padding padding,
                int stride_w, int stride_h, int depth_multiplier, int dil_w, int dil_h,
                enum tb_act act);
int tb_fc(struct tb *b, int in, int filter, int bias, int out, enum tb_act act, int keep_num_dims);
int tb_pool(struct tb *b, int code, int in, int out, enum tb_padding padding, int stride_w,
            int stride_h, int filter_w, int filter_h, enum tb_act act);
/* shape_tensor may be -1 (then only the options carry new_shape). */
int tb_reshape(struct tb *b, int in, int shape_tensor, int out, const int32_t *new_shape, int n);
int tb_softmax(struct tb *b, int in, int out, float beta);
/* ADD or MUL. */
int tb_binary(struct tb *b, int code, int in1, int in2, int out, enum tb_act act);
/* QUANTIZE, DEQUANTIZE, LOGISTIC, TANH, RELU, RELU6: one input, one output, no options. */
int tb_unary(struct tb *b, int code, int in, int out);
int tb_mean(struct tb *b, int in, int axis_tensor, int out, int keep_dims);
int tb_concat(struct tb *b, const int32_t *ins, int n, int out, int axis, enum tb_act act);
int tb_pad(struct tb *b, int in, int paddings_tensor, int out);

/*
 * Writes the model. Returns the bytes (16-byte aligned, owned by b, valid
 * until tb_free or the next tb_finish) and their length, or NULL after an
 * earlier error or on OOM. layout (may be NULL) receives object positions.
 */
uint8_t *tb_finish(struct tb *b, size_t *ret_len, struct tb_layout *layout);

/* A small deterministic PRNG (xorshift32) for test data. seed 0 is mapped to 1. */
struct tb_rng {
	uint32_t s;
};
void tb_rng_seed(struct tb_rng *r, uint32_t seed);
uint32_t tb_rng_next(struct tb_rng *r);
/* Uniform integer in [lo, hi]. */
int32_t tb_rng_range(struct tb_rng *r, int32_t lo, int32_t hi);
/* Fills n int8 values uniformly in [lo, hi]. */
void tb_rng_fill_i8(struct tb_rng *r, int8_t *p, size_t n, int lo, int hi);

#endif
