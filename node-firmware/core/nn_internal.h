/*
 * nn_internal.h: what the core's own files share (model reader, planner,
 * interpreter, op table, kernels). Not part of the public API.
 *
 * Divisions: flatbuffer reader (model.c), quantization arithmetic (quant.c and
 * the inline helpers below), the op table and kernel interface (ops.c,
 * kernels/), the planner (plan.c).
 */
#ifndef TF_NN_INTERNAL_H
#define TF_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/nn.h"

/* ---- flatbuffer reader (model.c): every access is bounds-checked ---- */

/* A table: its position and its vtable, both already validated. */
struct nn__tab {
	uint32_t pos;   /* table start (where the soffset to the vtable lives) */
	uint32_t vt;    /* vtable start */
	uint16_t vtlen; /* vtable length in bytes */
	uint16_t tlen;  /* table length in bytes (inline part) */
};

/* A vector: position of its first element and its length. */
struct nn__vec {
	uint32_t pos; /* first element */
	uint32_t n;   /* element count */
};

uint32_t nn__rd32(const uint8_t *p);
uint16_t nn__rd16(const uint8_t *p);

/* Opens the table that the uoffset at `at` points to. NN_OK or NN_EMODEL. */
int nn__fb_table_at(const struct nn_model *m, uint32_t at, struct nn__tab *ret);

/* Position of field `id` inside table t with `size` bytes, or 0 if absent.
 * Returns NN_EMODEL (negative) if the field runs past the table. */
int64_t nn__fb_field(const struct nn_model *m, const struct nn__tab *t, int id, uint32_t size);

/* Scalar fields with defaults. Out-of-table fields give NN_EMODEL via *err. */
int32_t nn__fb_i32(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def,
                   int *err);
int32_t nn__fb_u8(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def, int *err);
int32_t nn__fb_i8(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def, int *err);
float nn__fb_f32(const struct nn_model *m, const struct nn__tab *t, int id, float def, int *err);

/* Vector field `id` with elements of `esize` bytes; absent gives n = 0 and
 * NN_OK with *present = 0. NN_EMODEL when it does not fit in the buffer. */
int nn__fb_vec(const struct nn_model *m, const struct nn__tab *t, int id, uint32_t esize,
               struct nn__vec *ret, int *present);

/* Sub-table field `id`; absent gives NN_OK with *present = 0. */
int nn__fb_sub(const struct nn_model *m, const struct nn__tab *t, int id, struct nn__tab *ret,
               int *present);

/* Table element i of a vector of tables. */
int nn__fb_vec_table(const struct nn_model *m, const struct nn__vec *v, uint32_t i,
                     struct nn__tab *ret);

/* ---- model accessors (model.c), all on a model that nn_model_open validated ---- */

/* What the core knows of one tensor after validation. */
struct nn__tinfo {
	int32_t type;
	int32_t ndim;
	int32_t dims[NN_MAX_DIMS];
	uint32_t elems;        /* element count */
	uint32_t bytes;        /* elems x element size */
	const uint8_t *cdata;  /* constant data in the model bytes, or NULL */
	struct nn__vec scales; /* float32 scales (n may be 0) */
	struct nn__vec zps;    /* int64 zero points (n may be 0) */
	int32_t qdim;          /* quantized_dimension */
	float scale;           /* scales[0] or 0 */
	int32_t zp;            /* zps[0] or 0 */
};

/* Reads tensor `idx` (validated at open). NN_OK, or NN_EMODEL/NN_ELIMIT at open. */
int nn__tensor(const struct nn_model *m, int idx, struct nn__tinfo *ret, char *msg, size_t msg_len);

float nn__scale_at(const struct nn_model *m, const struct nn__tinfo *t, uint32_t i);
int32_t nn__zp_at(const struct nn_model *m, const struct nn__tinfo *t, uint32_t i);

/* Operator `op`: its table, opcode and io vectors. */
struct nn__opinfo {
	struct nn__tab tab;
	int32_t code;
	int32_t version;
	struct nn__vec in; /* int32 tensor indices */
	struct nn__vec out;
	int32_t opt_type;   /* builtin_options_type, 0 = none */
	struct nn__tab opt; /* builtin_options table, valid if has_opt */
	int has_opt;
};
int nn__op(const struct nn_model *m, int op, struct nn__opinfo *ret);
int32_t nn__op_in(const struct nn_model *m, const struct nn__opinfo *o, uint32_t k);
int32_t nn__op_out(const struct nn_model *m, const struct nn__opinfo *o, uint32_t k);

/*
 * Error messages without stdio: "<a><v><b>", where v is left out when it is
 * NN__NOVAL. nn__op_err prefixes "op <i> <NAME>: ". Both return err.
 */
#define NN__NOVAL INT64_MIN
int nn__op_err(char *msg, size_t msg_len, int op, int32_t code, int err, const char *a, int64_t v,
               const char *b);
int nn__err(char *msg, size_t msg_len, int err, const char *a, int64_t v, const char *b);

/*
 * NN_NO_MESSAGES: a build for the smallest images (like TFLM's
 * TF_LITE_STRIP_ERROR_STRINGS). Every error keeps its NN_E* code but the
 * message buffer stays empty, and the message texts and formatting code drop
 * out of the image.
 */
#ifdef NN_NO_MESSAGES
#define nn__err(msg, msg_len, err, a, v, b)              (err)
#define nn__op_err(msg, msg_len, op, code, err, a, v, b) (err)
#endif

/* ---- quantization arithmetic (quant.c): integer-only, bit-exact with TFLite ---- */

/*
 * TFLite's QuantizeMultiplier((double)num / (double)den) for a ratio of
 * float32 products: num = a * b (b may be 1), den = c * 2^den_pow2. The double
 * division is reproduced exactly (round to nearest even, 53 bits), then the
 * frexp/round-half-away step. Returns NN_OK or NN_EQUANT for non-positive,
 * NaN or infinite scales.
 */
int nn__quant_mult(float a, float b, float c, int den_pow2, int32_t *ret_mult, int *ret_shift);

/* Checks that nn__quant_mult(a, b, c, den_pow2) succeeds with a shift <= 30
 * (used at open, where the multipliers themselves are not kept). */
int nn__quant_check(float a, float b, float c, int den_pow2);

/* Same, for (double)a * (double)b * 2^pow2 (exact product), e.g. softmax beta*scale*2^26,
 * capped at 2^31 - 1 as PreprocessSoftmaxScaling does. */
int nn__quant_mult_prod(float a, float b, int pow2, int cap31, int32_t *ret_mult, int *ret_shift);

/* zero_point + round_half_away(f / scale) in single precision, as TFLite's
 * CalculateActivationRangeQuantized does. */
int32_t nn__quantize_f(float f, float scale, int32_t zp);

/* Clamp range for a fused activation on an int8 output. NN_OK or NN_ENOTSUP. */
int nn__act_range(int32_t act, float scale, int32_t zp, int32_t *ret_min, int32_t *ret_max);

/*
 * TFLite MultiplyByQuantizedMultiplier (double rounding, the reference
 * default): RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << left,
 * mult), right). Rewritten for speed with the same results, given
 * 0 <= mult < 2^31 (always true for multipliers from nn__quant_mult):
 * - SRDHM's nudged truncating division equals (ab + 2^30) >> 31 for either
 *   sign of ab, and cannot saturate because mult != INT32_MIN;
 * - RoundingDivideByPOT is gemmlowp's mask/threshold form, all in 32 bits.
 * Both rely on >> of a negative value being arithmetic, as it is with GCC
 * and Clang on every target we build.
 */
static inline int32_t
nn__mbqm(int32_t x, int32_t mult, int shift)
{
	int32_t y, mask, rem, thr;
	int r;

	if (shift > 0)
		x = (int32_t)((uint32_t)x << shift);
	/* |x * mult| < 2^62, so y always fits in an int32 */
	y = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
	if (shift >= 0)
		return y;
	r = -shift;
	mask = (int32_t)((1u << r) - 1);
	rem = y & mask;
	thr = (mask >> 1) + (y < 0);
	return (y >> r) + (rem > thr);
}

/* Loads an int32 from model bytes of any alignment (little-endian hosts). */
static inline int32_t
nn__ld32(const void *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Cortex-M DSP extension (SXTB16, SXTAB16, SMLAD): two 16-bit MACs per
 * instruction. NN__DSP selects the kernels' packed paths; on a target with
 * __ARM_FEATURE_DSP they use the instructions, and -DNN_DSP_EMULATE builds the
 * same paths on any host with exact C equivalents, so the DSP code is tested
 * bit for bit by the ordinary unit and oracle tests.
 */
#if defined(__ARM_FEATURE_DSP) || defined(NN_DSP_EMULATE)
#define NN__DSP 1

/* Unaligned little-endian 32-bit load of four int8 values. */
static inline uint32_t
nn__ld4(const int8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#if defined(__ARM_FEATURE_DSP) && !defined(NN_DSP_EMULATE)
/* bytes 0 and 2 of x, sign-extended to halfwords */
static inline uint32_t
nn__sxtb16(uint32_t x)
{
	uint32_t r;

	__asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
	return r;
}

/* bytes 1 and 3 of x, sign-extended to halfwords */
static inline uint32_t
nn__sxtb16_hi(uint32_t x)
{
	uint32_t r;

	__asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
	return r;
}

/* halfwords of a plus bytes 0 and 2 of x */
static inline uint32_t
nn__sxtab16(uint32_t a, uint32_t x)
{
	uint32_t r;

	__asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(x));
	return r;
}

/* halfwords of a plus bytes 1 and 3 of x */
static inline uint32_t
nn__sxtab16_hi(uint32_t a, uint32_t x)
{
	uint32_t r;

	__asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
	return r;
}

/* acc + a.lo * b.lo + a.hi * b.hi (signed halfwords) */
static inline int32_t
nn__smlad(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}

/* a + b, saturated to int32 */
static inline int32_t
nn__qadd(int32_t a, int32_t b)
{
	int32_t r;

	__asm__("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* acc + a.lo * b.hi */
static inline int32_t
nn__smlabt(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}

/* acc + a.hi * b.lo */
static inline int32_t
nn__smlatb(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}

/* x saturated to int16 */
static inline int32_t
nn__ssat16(int32_t x)
{
	int32_t r;

	__asm__("ssat %0, #16, %1" : "=r"(r) : "r"(x));
	return r;
}

/* halfwords (lo.lo, hi.lo) */
static inline uint32_t
nn__pkhbt(int32_t lo, int32_t hi)
{
	uint32_t r;

	__asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
	return r;
}

/* halfword-wise a + b, saturated to int16 */
static inline uint32_t
nn__qadd16(uint32_t a, uint32_t b)
{
	uint32_t r;

	__asm__("qadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* halfword-wise max (SSUB16 sets GE where a >= b, SEL picks) */
static inline uint32_t
nn__max16(uint32_t a, uint32_t b)
{
	uint32_t r, t;

	__asm__("ssub16 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
	return r;
}

/* halfword-wise min */
static inline uint32_t
nn__min16(uint32_t a, uint32_t b)
{
	uint32_t r, t;

	__asm__("ssub16 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
	return r;
}

/* halfword-wise saturation to int8 */
static inline uint32_t
nn__ssat16_8(uint32_t a)
{
	uint32_t r;

	__asm__("ssat16 %0, #8, %1" : "=r"(r) : "r"(a));
	return r;
}

/* x saturated to [-128, 127] */
static inline int32_t
nn__ssat8(int32_t x)
{
	int32_t r;

	__asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
	return r;
}

/* (a * b + 2^31) >> 32: the rounded high word of the 64-bit product */
static inline int32_t
nn__smmulr(int32_t a, int32_t b)
{
	int32_t r;

	__asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* acc + a.lo * b.lo */
static inline int32_t
nn__smlabb(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}

/* acc + a.hi * b.hi */
static inline int32_t
nn__smlatt(uint32_t a, uint32_t b, int32_t acc)
{
	int32_t r;

	__asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
	return r;
}
#else
static inline uint32_t
nn__pack16(int32_t lo, int32_t hi)
{
	return (uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16;
}

static inline uint32_t
nn__sxtb16(uint32_t x)
{
	return nn__pack16((int8_t)(x & 0xff), (int8_t)((x >> 16) & 0xff));
}

static inline uint32_t
nn__sxtb16_hi(uint32_t x)
{
	return nn__pack16((int8_t)((x >> 8) & 0xff), (int8_t)(x >> 24));
}

static inline uint32_t
nn__sxtab16(uint32_t a, uint32_t x)
{
	return nn__pack16((int16_t)(a & 0xffff) + (int8_t)(x & 0xff),
	                  (int16_t)(a >> 16) + (int8_t)((x >> 16) & 0xff));
}

static inline uint32_t
nn__sxtab16_hi(uint32_t a, uint32_t x)
{
	return nn__pack16((int16_t)(a & 0xffff) + (int8_t)((x >> 8) & 0xff),
	                  (int16_t)(a >> 16) + (int8_t)(x >> 24));
}

static inline int32_t
nn__smlad(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a & 0xffff) * (int16_t)(b & 0xffff)) +
	                 (uint32_t)((int16_t)(a >> 16) * (int16_t)(b >> 16)));
}

static inline int32_t
nn__qadd(int32_t a, int32_t b)
{
	int64_t r = (int64_t)a + b;

	return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

static inline int32_t
nn__smlabt(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a & 0xffff) * (int16_t)(b >> 16)));
}

static inline int32_t
nn__smlatb(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a >> 16) * (int16_t)(b & 0xffff)));
}

static inline int32_t
nn__sat(int32_t x, int32_t lo, int32_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static inline int32_t
nn__ssat16(int32_t x)
{
	return nn__sat(x, -32768, 32767);
}

static inline uint32_t
nn__pkhbt(int32_t lo, int32_t hi)
{
	return ((uint32_t)lo & 0xffff) | (uint32_t)hi << 16;
}

static inline uint32_t
nn__qadd16(uint32_t a, uint32_t b)
{
	return nn__pack16(nn__sat((int16_t)(a & 0xffff) + (int16_t)(b & 0xffff), -32768, 32767),
	                  nn__sat((int16_t)(a >> 16) + (int16_t)(b >> 16), -32768, 32767));
}

static inline uint32_t
nn__max16(uint32_t a, uint32_t b)
{
	int32_t al = (int16_t)(a & 0xffff), ah = (int16_t)(a >> 16);
	int32_t bl = (int16_t)(b & 0xffff), bh = (int16_t)(b >> 16);

	return nn__pack16(al >= bl ? al : bl, ah >= bh ? ah : bh);
}

static inline uint32_t
nn__min16(uint32_t a, uint32_t b)
{
	int32_t al = (int16_t)(a & 0xffff), ah = (int16_t)(a >> 16);
	int32_t bl = (int16_t)(b & 0xffff), bh = (int16_t)(b >> 16);

	return nn__pack16(al >= bl ? bl : al, ah >= bh ? bh : ah);
}

static inline uint32_t
nn__ssat16_8(uint32_t a)
{
	return nn__pack16(nn__sat((int16_t)(a & 0xffff), -128, 127),
	                  nn__sat((int16_t)(a >> 16), -128, 127));
}

static inline int32_t
nn__ssat8(int32_t x)
{
	return x < -128 ? -128 : x > 127 ? 127 : x;
}

static inline int32_t
nn__smmulr(int32_t a, int32_t b)
{
	/* arithmetic >> of a negative value, as everywhere in the core */
	return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
}

static inline int32_t
nn__smlabb(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a & 0xffff) * (int16_t)(b & 0xffff)));
}

static inline int32_t
nn__smlatt(uint32_t a, uint32_t b, int32_t acc)
{
	return (int32_t)((uint32_t)acc + (uint32_t)((int16_t)(a >> 16) * (int16_t)(b >> 16)));
}
#endif
#endif

/* a + b with two's complement wrap-around instead of undefined overflow (the
 * reference's int32 sums overflow only for absurd models; we must not crash). */
static inline int32_t
nn__addw(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Requantizes an int32 accumulator to int8: multiplier, zero point, clamp. */
static inline int8_t
nn__requant(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo, int32_t hi)
{
	/* clamp before adding the zero point: no int32 overflow at any input */
	int32_t v = nn__mbqm(acc, mult, shift), l = lo - zp, h = hi - zp;

	v = v < l ? l : v;
	v = v > h ? h : v;
	return (int8_t)(v + zp);
}

#ifdef NN__DSP
/*
 * nn__mbqm() in five DSP instructions, for a multiplier of 0 or in
 * [2^30, 2^31) and a right shift r in [1, 21] (nn__requant_short_ok()):
 * SRDHM is SMMULR of the doubled accumulator, and the rounding right shift
 * adds half (less one when negative) before shifting. Both doubling and the
 * add saturate instead of wrapping; they saturate only when the exact result
 * is at least 2^8 in magnitude, which any int8 clamp maps to the same bound.
 * half = 1 << (r - 1).
 */
static inline int32_t
nn__requant_short(int32_t acc, int32_t mult, int32_t r, int32_t half)
{
	int32_t y = nn__smmulr(nn__qadd(acc, acc), mult);

	return nn__qadd(y, half + (y >> 31)) >> r;
}
#endif

/* Whether nn__requant_short() is exact for this multiplier and shift. */
static inline int
nn__requant_short_ok(int32_t mult, int shift)
{
	return (mult == 0 || mult >= 0x40000000) && shift <= -1 && shift >= -21;
}

/* ---- kernels and the op table (ops.c, kernels/) ---- */

/*
 * Prepare context. Prepare runs twice with the same inputs: at open with
 * data == NULL ("measure": validate everything, report data_size and
 * scratch_size), and at bind with data pointing at data_size bytes of the
 * arena's persistent part and tdata holding every tensor's data pointer
 * ("fill": precompute multipliers, shifts, folded biases, pointers).
 */
struct nn__ctx {
	const struct nn_model *m;
	int op;               /* operator index */
	struct nn__opinfo oi; /* operator */
	void *data;           /* fill mode: op data; NULL in measure mode */
	size_t data_size;     /* out: bytes of op data */
	size_t scratch_size;  /* out: scratch bytes eval needs */
	void *const *tdata;   /* fill mode: tensor data pointers */
	char *msg;
	size_t msg_len;
	int err;       /* first error reported through nn__ctx_fail */
	int validated; /* 1 at bind: the model passed open, skip costly re-checks */
};

typedef int (*nn__prepare_fn)(struct nn__ctx *c);
typedef void (*nn__eval_fn)(const void *data, void *scratch);

struct nn__kernel {
	int32_t code;
	int32_t max_version;
	nn__prepare_fn prepare;
	nn__eval_fn eval;
};

/* The kernel for a builtin code, or NULL. */
const struct nn__kernel *nn__kernel_find(int32_t code);

/* Helpers for prepare functions (ops.c). */
int nn__ctx_fail(struct nn__ctx *c, int err, const char *a, int64_t v, const char *b);
#ifdef NN_NO_MESSAGES
int nn__ctx_fail0(struct nn__ctx *c, int err);
#define nn__ctx_fail(c, err, a, v, b) nn__ctx_fail0(c, err)
#endif
/* Reads input/output k as a tensor; fails naming the op if absent. */
int nn__ctx_in(struct nn__ctx *c, uint32_t k, struct nn__tinfo *ret, int32_t *ret_idx);
int nn__ctx_out(struct nn__ctx *c, uint32_t k, struct nn__tinfo *ret, int32_t *ret_idx);
/* Requires builtin options of `type` (absent options are allowed: defaults). */
int nn__ctx_opts(struct nn__ctx *c, int32_t type);
/* Data pointer of tensor idx in fill mode. */
void *nn__ctx_ptr(struct nn__ctx *c, int32_t idx);
/* Checks int8 per-tensor activation quantization (scale > 0, zp in range). */
int nn__ctx_q8(struct nn__ctx *c, const struct nn__tinfo *t, const char *what);

/*
 * Weight quantization for conv/depthwise/FC: checks the filter is int8 with
 * zero points 0 and per-tensor or per-channel (axis `axis`, nch channels)
 * scales, and the bias (tensor index bias_idx, -1 = none) is a constant int32
 * vector of nch. Returns the number of multipliers (1 or nch) or an error; in
 * fill mode also writes mult/shift (TFLite: in_scale * w_scale / out_scale).
 */
int nn__ctx_wquant(struct nn__ctx *c, const struct nn__tinfo *w, int axis, int32_t nch,
                   int32_t bias_idx, float in_scale, float out_scale, int32_t *mult, int8_t *shift);

/*
 * A sliding window over an NHWC input (CONV_2D, DEPTHWISE_CONV_2D, pools):
 * checks strides and dilations, computes TFLite's output size and padding,
 * checks them against the output tensor, and the fused activation's clamp.
 */
struct nn__window {
	int32_t padding;        /* in: 0 SAME, 1 VALID */
	int32_t sw, sh, dw, dh; /* in: strides and dilations */
	int32_t kw, kh;         /* in: window size */
	int32_t act;            /* in: fused activation */
	int32_t ow, oh, pw, ph; /* out: output size and padding */
	int32_t act_min, act_max;
};
int nn__ctx_window(struct nn__ctx *c, const struct nn__tinfo *in, const struct nn__tinfo *out,
                   struct nn__window *w);

/* CONV_2D and DEPTHWISE_CONV_2D share their op data and prepare
 * (kernels/conv_common.c); dm is the depth multiplier (0 for CONV_2D). */
struct nn__conv {
	const int8_t *in;    /* [n, ih, iw, ic] */
	const int8_t *w;     /* conv [oc, kh, kw, ic]; depthwise [1, kh, kw, oc] */
	const uint8_t *bias; /* int32 [oc] in model bytes, or NULL */
	int8_t *out;         /* [n, oh, ow, oc] */
	int32_t in_off;      /* -input zero point */
	int32_t out_zp;      /* output zero point */
	int32_t act_min;     /* clamp */
	int32_t act_max;
	int32_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, dm;
	int32_t per_channel; /* 1: mult/shift per output channel; 0: one pair */
	int32_t rq_short;    /* 1: every pair allows nn__requant_short() */
	                     /* followed by int32 mult[n_mult], int8 shift[n_mult] */
};
int nn__conv_prepare(struct nn__ctx *c, int depthwise);

/* Computes NHWC output size and padding as TFLite's ComputePaddingHeightWidth. */
void nn__padding(int padding_same, int32_t stride, int32_t dilation, int32_t in, int32_t filter,
                 int32_t *ret_out, int32_t *ret_pad);

#define NN__ALIGN(x, a) (((x) + ((a)-1)) & ~((size_t)(a)-1))

/* Kernel prepare/eval pairs (kernels/<op>_s8.c). */
#define NN__KERNEL(name)                                                                           \
	int nn_##name##_s8_prepare(struct nn__ctx *c);                                             \
	void nn_##name##_s8_eval(const void *data, void *scratch)
NN__KERNEL(conv);
NN__KERNEL(dwconv);
NN__KERNEL(fc);
NN__KERNEL(avgpool);
NN__KERNEL(maxpool);
NN__KERNEL(reshape);
NN__KERNEL(softmax);
NN__KERNEL(add);
NN__KERNEL(mul);
NN__KERNEL(quantize);
NN__KERNEL(dequantize);
NN__KERNEL(logistic);
NN__KERNEL(tanh);
NN__KERNEL(relu);
NN__KERNEL(mean);
NN__KERNEL(concat);
NN__KERNEL(pad);

/* ---- planner (plan.c) ---- */

struct nn__plan_ent {
	uint32_t size;  /* bytes (aligned) */
	uint32_t off;   /* out: offset in the activation region */
	uint16_t first; /* first op that uses it */
	uint16_t last;  /* last op that uses it */
	int16_t tensor; /* tensor index, or -1 for op scratch */
	uint16_t op;    /* op for scratch entries */
};

/*
 * Walks the model: prepares every op in measure mode, collects activation
 * tensors and scratch buffers with their lifetimes into ents (cap entries),
 * plans their offsets and computes the arena sizes into m (persistent_bytes,
 * activation_bytes, arena_bytes, n_act). Returns the entry count or an error.
 */
int nn__analyze(struct nn_model *m, struct nn__plan_ent *ents, int cap, int validated, char *msg,
                size_t msg_len);

/* Places ents greedily (largest first, lowest free offset); returns the
 * activation region size. */
uint32_t nn__plan(struct nn__plan_ent *ents, int n);

/* Bytes of struct nn_interp, the tensor pointer table and the op records. */
size_t nn__interp_fixed_size(const struct nn_model *m);

#endif
