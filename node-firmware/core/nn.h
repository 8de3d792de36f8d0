/*
 * nn: the int8 inference core (C99, no malloc, no OS, no statics).
 *
 * It runs int8 .tflite models bit for bit as TensorFlow Lite's reference
 * kernels do. The model bytes are read in place (zero copy: weights stay where
 * the bytes are, e.g. in flash); everything that varies per running instance
 * lives in one caller-provided arena.
 *
 * Life cycle:
 *
 *	struct nn_model m;                      // small; shareable by many instances
 *	char why[NN_MSG_MAX];
 *	r = nn_model_open(&m, bytes, len, why, sizeof(why));   // validates everything
 *	need = nn_model_arena_size(&m);                         // exact, always enough
 *	struct nn_interp *ip;
 *	r = nn_interp_bind(&m, arena, need, &ip, why, sizeof(why));
 *	nn_interp_input(ip, 0, &in);  memcpy(in.data, sample, in.bytes);
 *	r = nn_invoke(ip);
 *	nn_interp_output(ip, 0, &out);
 *
 * Ownership: the model bytes and the struct nn_model are borrowed by every
 * interpreter bound to them and must outlive it (and must not change). The
 * arena is borrowed by the interpreter; the interpreter lives inside the arena,
 * so there is nothing to free: drop the arena when done.
 *
 * Input contract: invoke() may overwrite the input tensor (the planner reuses
 * its bytes for later activations, as TFLM does). Write the input before every
 * nn_invoke(). Output tensors stay valid until the next nn_invoke().
 *
 * Errors: every function returning int gives NN_OK (0) or a negative NN_E*
 * code; nn_strerror() names it. Model errors also write a message naming the
 * operator or tensor into the caller's buffer, e.g.
 * "op 7 CONV_2D: dilation 2 unsupported" (msg may be NULL).
 */
#ifndef TF_NN_H
#define TF_NN_H

#include <stddef.h>
#include <stdint.h>

/* Core version reported to the gateway (Hello.core_version). */
#define NN_VERSION 1

enum nn_err {
	NN_OK = 0,
	NN_EINVAL = -1,  /* bad argument from the caller (NULL, index out of range) */
	NN_ENOTSUP = -2, /* valid model the core cannot run (op, type, option) */
	NN_EMODEL = -3,  /* malformed flatbuffer or inconsistent model */
	NN_ENOMEM = -4,  /* arena too small (see nn_model_arena_size) */
	NN_EALIGN = -5,  /* arena not aligned to NN_ARENA_ALIGN */
	NN_ELIMIT = -6,  /* model exceeds a core limit (tensor count, rank, ...) */
	NN_EQUANT = -7,  /* quantization parameters missing or out of range */
	NN__ERR_MIN = -8
};

/* Returns a constant, human-readable description of an NN_E* code. */
const char *nn_strerror(int err);

/* Size that always holds a complete error message. Shorter buffers truncate. */
#define NN_MSG_MAX 128

/* Arena pointers must be aligned to this many bytes. */
#define NN_ARENA_ALIGN 16

/* Largest tensor rank the core handles. */
#define NN_MAX_DIMS 6

/*
 * Limits of one model (NN_ELIMIT beyond them). Planning at open time uses a
 * stack workspace of about 12 bytes per activation tensor.
 */
#define NN_MAX_TENSORS 1024 /* tensors in the subgraph */
#define NN_MAX_OPS     1024 /* operators in the subgraph */
#ifndef NN_MAX_ACT_TENSORS
#define NN_MAX_ACT_TENSORS 160 /* planned buffers: activations + scratch (stack) */
#endif

/* Element types, with the numbering of TFLite's TensorType. */
enum nn_type { NN_FLOAT32 = 0, NN_INT32 = 2, NN_UINT8 = 3, NN_INT16 = 7, NN_INT8 = 9 };

/* Builtin operator codes (TFLite BuiltinOperator numbering) the core knows by name. */
enum nn_opcode {
	NN_OP_ADD = 0,
	NN_OP_AVERAGE_POOL_2D = 1,
	NN_OP_CONCATENATION = 2,
	NN_OP_CONV_2D = 3,
	NN_OP_DEPTHWISE_CONV_2D = 4,
	NN_OP_DEQUANTIZE = 6,
	NN_OP_FULLY_CONNECTED = 9,
	NN_OP_LOGISTIC = 14,
	NN_OP_MAX_POOL_2D = 17,
	NN_OP_MUL = 18,
	NN_OP_RELU = 19,
	NN_OP_RELU6 = 21,
	NN_OP_RESHAPE = 22,
	NN_OP_SOFTMAX = 25,
	NN_OP_TANH = 28,
	NN_OP_PAD = 34,
	NN_OP_MEAN = 40,
	NN_OP_QUANTIZE = 114
};

/*
 * A view of one tensor: shape, type, quantization and (once bound) its bytes.
 * Filled by the nn_model_* and nn_interp_* accessors; it points into the model
 * bytes or the arena and owns nothing.
 */
struct nn_tensor {
	int32_t index;             /* tensor index in the subgraph */
	int32_t type;              /* enum nn_type */
	int32_t ndim;              /* rank, 0..NN_MAX_DIMS */
	int32_t dims[NN_MAX_DIMS]; /* shape, outermost first (NHWC) */
	size_t bytes;              /* element count x element size */
	float scale;               /* first (or only) quantization scale; 0 if none */
	int32_t zero_point;        /* first (or only) zero point */
	int32_t n_scales;          /* number of scales (per-channel: >1); 0 if none */
	int32_t is_const;          /* 1 if the data comes from the model's buffers */
	const char *name;          /* tensor name, NOT NUL-terminated; may be NULL */
	size_t name_len;           /* bytes in name */
	void *data;                /* NULL for views taken from the model alone */
};

/* One operator of the model, for tools (inspect) and the profiling callback. */
struct nn_op_info {
	int32_t code;      /* builtin code: max(builtin_code, deprecated_builtin_code) */
	int32_t version;   /* operator version from the operator_codes table */
	int32_t n_inputs;  /* entries of the operator's inputs vector (-1 = optional absent) */
	int32_t n_outputs; /* entries of the operator's outputs vector */
};

/*
 * An opened, validated model. Fill it with nn_model_open(); the fields are
 * private. It holds offsets into the model bytes plus the planned sizes, so it
 * is small and can be shared read-only by any number of interpreters.
 */
struct nn_model {
	const uint8_t *buf; /* the .tflite bytes (borrowed) */
	uint32_t len;       /* their length */
	uint32_t opcodes;   /* offset of Model.operator_codes vector */
	uint32_t buffers;   /* offset of Model.buffers vector */
	uint32_t tensors;   /* offset of SubGraph.tensors vector */
	uint32_t ops;       /* offset of SubGraph.operators vector */
	uint32_t inputs;    /* offset of SubGraph.inputs vector */
	uint32_t outputs;   /* offset of SubGraph.outputs vector */
	uint32_t n_opcodes; /* counts of the vectors above */
	uint32_t n_buffers;
	uint16_t n_tensors;
	uint16_t n_ops;
	uint16_t n_inputs;
	uint16_t n_outputs;
	uint16_t n_act;            /* activation (arena-planned) tensors */
	uint16_t schema_version;   /* Model.version */
	uint32_t persistent_bytes; /* interpreter, tables and prepared op data */
	uint32_t activation_bytes; /* planned activations and scratch */
	uint32_t arena_bytes;      /* total arena needed (both parts, aligned) */
};

/*
 * Parses and validates a .tflite model in place: every offset and vtable,
 * tensor shapes against byte sizes, buffer and operator indices, types,
 * quantization parameters, op codes, versions and options; then runs every
 * kernel's prepare in "measure" mode and plans the arena.
 *
 * m:      filled on success; untouched fields on failure are undefined.
 * data:   the model bytes, borrowed for the model's lifetime. Any alignment.
 * msg:    optional buffer (msg_len bytes) for a message naming the op or
 *         tensor at fault; always NUL-terminated when msg_len > 0.
 * Returns NN_OK, NN_EMODEL (malformed), NN_ENOTSUP (op/type/option the core
 * does not run), NN_EQUANT, NN_ELIMIT or NN_EINVAL.
 */
int nn_model_open(struct nn_model *m, const void *data, size_t len, char *msg, size_t msg_len);

/*
 * Exact arena size for nn_interp_bind(), known from the model alone. An arena
 * of this many bytes (aligned to NN_ARENA_ALIGN) always works; binding with
 * fewer bytes fails with NN_ENOMEM and never overruns.
 */
size_t nn_model_arena_size(const struct nn_model *m);

/* Parts of the arena: persistent (interpreter, tables, prepared op data:
 * multipliers, shifts, folded biases) and activations (planned tensors and
 * per-op scratch). persistent + activations == nn_model_arena_size(). */
void nn_model_arena_parts(const struct nn_model *m, size_t *ret_persistent,
                          size_t *ret_activations);

/* Counts of the model's subgraph 0. */
int nn_model_tensor_count(const struct nn_model *m);
int nn_model_op_count(const struct nn_model *m);
int nn_model_input_count(const struct nn_model *m);
int nn_model_output_count(const struct nn_model *m);

/* View of tensor `index` (data is NULL unless the tensor is a constant, in
 * which case it points into the model bytes). Returns NN_OK or NN_EINVAL. */
int nn_model_tensor(const struct nn_model *m, int index, struct nn_tensor *ret);

/* View of the i-th model input / output (data NULL). NN_OK or NN_EINVAL. */
int nn_model_input(const struct nn_model *m, int i, struct nn_tensor *ret);
int nn_model_output(const struct nn_model *m, int i, struct nn_tensor *ret);

/* Operator `op` (execution order). NN_OK or NN_EINVAL. */
int nn_model_op(const struct nn_model *m, int op, struct nn_op_info *ret);

/* Tensor index (>= 0) of the k-th input / output of operator `op`, or -1 when
 * that input is an absent optional one or op/k are out of range. */
int nn_model_op_input(const struct nn_model *m, int op, int k);
int nn_model_op_output(const struct nn_model *m, int op, int k);

/* Name of a builtin operator code ("CONV_2D"), "UNKNOWN" if the core has no name for it. */
const char *nn_op_name(int32_t code);

/* 1 if the core has an int8 kernel for this builtin code, else 0. */
int nn_op_supported(int32_t code);

/* Writes up to max supported builtin codes into codes (may be NULL) and
 * returns how many the core supports in total. */
int nn_supported_ops(int32_t *codes, int max);

/* A running instance. It lives at the start of its arena; fields are private. */
struct nn_interp;

/*
 * Binds a model to an arena: lays out the persistent part (op data), runs
 * every kernel's prepare (multipliers, shifts, folded biases) and points every
 * tensor at its planned place. The arena must stay untouched by the caller
 * except through tensor data pointers.
 *
 * arena:  NN_ARENA_ALIGN-aligned, `size` bytes, borrowed for the interpreter's life.
 * ret:    set to the interpreter (inside the arena) on success only.
 * Returns NN_OK, NN_ENOMEM (size < nn_model_arena_size()), NN_EALIGN, NN_EINVAL.
 */
int nn_interp_bind(const struct nn_model *m, void *arena, size_t size, struct nn_interp **ret,
                   char *msg, size_t msg_len);

/* The model an interpreter runs. */
const struct nn_model *nn_interp_model(const struct nn_interp *ip);

/* Views of inputs / outputs with data pointing into the arena. NN_OK or NN_EINVAL. */
int nn_interp_input(const struct nn_interp *ip, int i, struct nn_tensor *ret);
int nn_interp_output(const struct nn_interp *ip, int i, struct nn_tensor *ret);

/* View of any tensor with its current data pointer. Activation tensors share
 * arena bytes with others, so their contents are only meaningful right after
 * the op that wrote them (e.g. from the profiling callback). */
int nn_interp_tensor(const struct nn_interp *ip, int index, struct nn_tensor *ret);

/*
 * Port-supplied clock for profiling: returns a free-running tick count
 * (cycles, microseconds, ...); differences are taken modulo 2^32.
 */
typedef uint32_t (*nn_clock_fn)(void *arg);

/*
 * Per-operator callback, called after each operator with its index, builtin
 * code, a view of its (first) output tensor and the ticks it took (0 when no
 * clock is set). The view and its data are valid only during the call.
 */
typedef void (*nn_op_cb)(void *arg, int op_index, int32_t op_code, const struct nn_tensor *output,
                         uint32_t ticks);

/* Installs (or with cb == NULL removes) the profiling callback. clock may be NULL. */
void nn_interp_set_profiler(struct nn_interp *ip, nn_op_cb cb, nn_clock_fn clock, void *arg);

/* Runs the model once. Returns NN_OK or NN_EINVAL (ip NULL). The input tensor's
 * contents are undefined afterwards (see the input contract above). */
int nn_invoke(struct nn_interp *ip);

#endif
