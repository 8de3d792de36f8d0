/*
 * tflite_builder: see tflite_builder.h.
 *
 * Divisions: the byte writer (fbw_*), flatbuffer objects (fb_*: tables,
 * vectors, strings), the model description kept until tb_finish (tb_*
 * adders), serialization of the TFLite schema (tb_finish), the damage kinds
 * (apply_break), and the test PRNG.
 *
 * Field ids used below, from schema.fbs:
 *   Model:          version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
 *   OperatorCode:   deprecated_builtin_code 0 (byte), custom_code 1, version 2, builtin_code 3
 *   SubGraph:       tensors 0, inputs 1, outputs 2, operators 3, name 4
 *   Tensor:         shape 0, type 1 (byte), buffer 2 (uint), name 3, quantization 4
 *   Quantization:   min 0, max 1, scale 2, zero_point 3 ([long]), details 4/5, quantized_dimension 6
 *   Operator:       opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4
 *   Buffer:         data 0 ([ubyte], force_align 16)
 */
#include <stdlib.h>
#include <string.h>

#include "tflite_builder.h"

#define TB_MAX_TENSORS 512
#define TB_MAX_OPS     256
#define TB_MAX_BUFFERS 512
#define TB_MAX_CODES   64
#define TB_MAX_IO      16
#define TB_MAX_RANK    8
#define TB_MAX_OP_IO   16

/* ---- byte writer ---- */

struct fbw {
	uint8_t *p;
	size_t len;
	size_t cap;
	int oom;
};

static int
fbw_reserve(struct fbw *w, size_t n)
{
	size_t cap;
	uint8_t *np;

	if (w->oom)
		return -1;
	if (w->len + n <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 4096;
	while (cap < w->len + n)
		cap *= 2;
	/* 16-byte aligned so that Buffer.data's force_align holds in memory too. */
	np = aligned_alloc(16, (cap + 15) & ~(size_t)15);
	if (np == NULL) {
		w->oom = 1;
		return -1;
	}
	if (w->p != NULL)
		memcpy(np, w->p, w->len);
	free(w->p);
	w->p = np;
	w->cap = cap;
	return 0;
}

static size_t
fbw_put(struct fbw *w, const void *src, size_t n)
{
	size_t at = w->len;

	if (fbw_reserve(w, n) < 0)
		return at;
	if (n > 0) {
		if (src != NULL)
			memcpy(w->p + w->len, src, n);
		else
			memset(w->p + w->len, 0, n);
	}
	w->len += n;
	return at;
}

/* Pads with zeros until (len + extra) is a multiple of align. */
static void
fbw_pad(struct fbw *w, size_t align, size_t extra)
{
	while ((w->len + extra) % align != 0)
		fbw_put(w, NULL, 1);
}

static void
fbw_set32(struct fbw *w, size_t pos, uint32_t v)
{
	if (w->oom || pos + 4 > w->len)
		return;
	memcpy(w->p + pos, &v, 4);
}

static void
fbw_set16(struct fbw *w, size_t pos, uint16_t v)
{
	if (w->oom || pos + 2 > w->len)
		return;
	memcpy(w->p + pos, &v, 2);
}

/* Points the uoffset stored at pos to target (which lies after pos). */
static void
fbw_patch(struct fbw *w, size_t pos, size_t target)
{
	fbw_set32(w, pos, (uint32_t)(target - pos));
}

/* ---- flatbuffer objects ---- */

enum { FB_U8, FB_U32, FB_OFF };

struct fbf {
	int id;
	int kind;
	uint32_t v; /* scalar bits */
};

/*
 * Writes a vtable and, after it, its table holding n fields (ids need not be
 * sorted; a field listed is present). 4-byte fields come first, then bytes.
 * Returns the table's position; off_pos[i] receives the position of the
 * i-th FB_OFF field (in list order) for a later fbw_patch().
 */
static size_t
fb_table(struct fbw *w, const struct fbf *f, int n, size_t *off_pos, size_t *ret_vtable)
{
	uint16_t vt[2 + 32];
	uint16_t field_at[32];
	int nid = 0, i, k;
	size_t size = 4, vpos, tpos;

	memset(field_at, 0, sizeof(field_at));
	for (i = 0; i < n; i++)
		if (f[i].id + 1 > nid)
			nid = f[i].id + 1;
	for (i = 0; i < n; i++)
		if (f[i].kind != FB_U8) {
			field_at[f[i].id] = (uint16_t)size;
			size += 4;
		}
	for (i = 0; i < n; i++)
		if (f[i].kind == FB_U8) {
			field_at[f[i].id] = (uint16_t)size;
			size += 1;
		}
	size = (size + 3) & ~(size_t)3;
	vt[0] = (uint16_t)(4 + 2 * nid);
	vt[1] = (uint16_t)size;
	for (i = 0; i < nid; i++)
		vt[2 + i] = field_at[i];

	fbw_pad(w, 2, 0);
	vpos = fbw_put(w, vt, (size_t)(2 + nid) * 2);
	fbw_pad(w, 4, 0);
	tpos = fbw_put(w, NULL, size);
	fbw_set32(w, tpos, (uint32_t)(int32_t)(tpos - vpos));
	for (i = 0, k = 0; i < n; i++) {
		size_t at = tpos + field_at[f[i].id];

		if (f[i].kind == FB_U8) {
			if (!w->oom)
				w->p[at] = (uint8_t)f[i].v;
		} else if (f[i].kind == FB_U32) {
			fbw_set32(w, at, f[i].v);
		} else {
			off_pos[k++] = at;
		}
	}
	if (ret_vtable != NULL)
		*ret_vtable = vpos;
	return tpos;
}

/* A vector of n elements of esz bytes each, elements aligned to align (>= 4). */
static size_t
fb_vec(struct fbw *w, const void *elems, uint32_t n, size_t esz, size_t align)
{
	size_t pos;

	fbw_pad(w, align, 4);
	pos = fbw_put(w, &n, 4);
	fbw_put(w, elems, (size_t)n * esz);
	return pos;
}

static size_t
fb_string(struct fbw *w, const char *s, size_t n)
{
	size_t pos = fb_vec(w, s, (uint32_t)n, 1, 4);

	fbw_put(w, NULL, 1);
	return pos;
}

/* ---- the model description ---- */

struct tb_tensor_d {
	int32_t type;
	int32_t shape[TB_MAX_RANK];
	int ndim;
	char name[32];
	int buffer;
	int n_q;
	float *scale;
	int64_t *zp;
	int32_t qdim;
};

struct tb_op_d {
	int opcode;
	int32_t inputs[TB_MAX_OP_IO];
	int n_inputs;
	int32_t outputs[TB_MAX_OP_IO];
	int n_outputs;
	uint8_t options_type;
	struct tb_field options[TB_MAX_FIELDS];
	int n_options;
};

struct tb_code_d {
	int32_t code;
	int32_t version;
	char custom[32];
	int has_custom;
};

struct tb {
	struct tb_tensor_d tensors[TB_MAX_TENSORS];
	int n_tensors;
	struct tb_op_d ops[TB_MAX_OPS];
	int n_ops;
	struct {
		uint8_t *data;
		size_t len;
	} buffers[TB_MAX_BUFFERS];
	int n_buffers;
	struct tb_code_d codes[TB_MAX_CODES];
	int n_codes;
	int32_t inputs[TB_MAX_IO];
	int n_inputs;
	int32_t outputs[TB_MAX_IO];
	int n_outputs;
	int style;
	int brk;
	int err;
	struct fbw w;
};

struct tb *
tb_new(void)
{
	struct tb *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->n_buffers = 1; /* buffer 0: the empty sentinel */
	return b;
}

void
tb_free(struct tb *b)
{
	int i, k;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_tensors; i++) {
		free(b->tensors[i].scale);
		free(b->tensors[i].zp);
	}
	for (i = 0; i < b->n_buffers; i++)
		free(b->buffers[i].data);
	for (i = 0; i < b->n_ops; i++)
		for (k = 0; k < b->ops[i].n_options; k++)
			free((void *)b->ops[i].options[k].vec);
	free(b->w.p);
	free(b);
}

void
tb_set_opcode_style(struct tb *b, enum tb_opcode_style style)
{
	b->style = style;
}

void
tb_break(struct tb *b, enum tb_break kind)
{
	b->brk = kind;
}

int
tb_buffer(struct tb *b, const void *data, size_t len)
{
	int i;

	if (b->err || b->n_buffers >= TB_MAX_BUFFERS)
		goto fail;
	i = b->n_buffers;
	b->buffers[i].data = malloc(len ? len : 1);
	if (b->buffers[i].data == NULL)
		goto fail;
	if (len)
		memcpy(b->buffers[i].data, data, len);
	b->buffers[i].len = len;
	b->n_buffers++;
	return i;
fail:
	b->err = 1;
	return -1;
}

int
tb_tensor(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const char *name,
          int buffer, const struct tb_quant *q)
{
	struct tb_tensor_d *t;
	int i;

	if (b->err || b->n_tensors >= TB_MAX_TENSORS || ndim < 0 || ndim > TB_MAX_RANK)
		goto fail;
	t = &b->tensors[b->n_tensors];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->ndim = ndim;
	for (i = 0; i < ndim; i++)
		t->shape[i] = shape[i];
	if (name != NULL) {
		strncpy(t->name, name, sizeof(t->name) - 1);
	} else {
		/* Short decimal name "tN" without snprintf's truncation warnings. */
		int n = b->n_tensors, k = 0;
		char digits[12];

		do {
			digits[k++] = (char)('0' + n % 10);
			n /= 10;
		} while (n > 0);
		t->name[0] = 't';
		for (i = 0; i < k; i++)
			t->name[1 + i] = digits[k - 1 - i];
	}
	t->buffer = buffer;
	if (q != NULL && q->n > 0) {
		t->n_q = q->n;
		t->scale = malloc(sizeof(float) * (size_t)q->n);
		t->zp = calloc((size_t)q->n, sizeof(int64_t));
		if (t->scale == NULL || t->zp == NULL) {
			free(t->scale);
			free(t->zp);
			goto fail;
		}
		memcpy(t->scale, q->scale, sizeof(float) * (size_t)q->n);
		if (q->zero_point != NULL)
			memcpy(t->zp, q->zero_point, sizeof(int64_t) * (size_t)q->n);
		t->qdim = q->quantized_dimension;
	}
	return b->n_tensors++;
fail:
	b->err = 1;
	return -1;
}

int
tb_tensor_q(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, float scale,
            int64_t zp)
{
	struct tb_quant q = {1, &scale, &zp, 0};

	return tb_tensor(b, type, shape, ndim, NULL, 0, &q);
}

int
tb_const_q(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const void *data,
           size_t len, float scale, int64_t zp)
{
	struct tb_quant q = {1, &scale, &zp, 0};
	int buf = tb_buffer(b, data, len);

	if (buf < 0)
		return -1;
	return tb_tensor(b, type, shape, ndim, NULL, buf, &q);
}

int
tb_const_pc(struct tb *b, enum tb_type type, const int32_t *shape, int ndim, const void *data,
            size_t len, const float *scales, int n_scales, int32_t qdim)
{
	struct tb_quant q = {n_scales, scales, NULL, qdim};
	int buf = tb_buffer(b, data, len);

	if (buf < 0)
		return -1;
	return tb_tensor(b, type, shape, ndim, NULL, buf, &q);
}

int
tb_const_i32(struct tb *b, const int32_t *shape, int ndim, const int32_t *values, int n)
{
	int buf = tb_buffer(b, values, sizeof(int32_t) * (size_t)n);

	if (buf < 0)
		return -1;
	return tb_tensor(b, TB_INT32, shape, ndim, NULL, buf, NULL);
}

static int
find_code(struct tb *b, int32_t code, int32_t version, const char *custom)
{
	struct tb_code_d *c;
	int i;

	for (i = 0; i < b->n_codes; i++) {
		c = &b->codes[i];
		if (c->code == code && c->version == version &&
		    (custom == NULL ? !c->has_custom
		                    : c->has_custom && strcmp(c->custom, custom) == 0))
			return i;
	}
	if (b->n_codes >= TB_MAX_CODES)
		return -1;
	c = &b->codes[b->n_codes];
	memset(c, 0, sizeof(*c));
	c->code = code;
	c->version = version;
	if (custom != NULL) {
		c->has_custom = 1;
		strncpy(c->custom, custom, sizeof(c->custom) - 1);
	}
	return b->n_codes++;
}

int
tb_op(struct tb *b, const struct tb_op *op)
{
	struct tb_op_d *d;
	int i;

	if (b->err || b->n_ops >= TB_MAX_OPS || op->n_inputs > TB_MAX_OP_IO ||
	    op->n_outputs > TB_MAX_OP_IO || op->n_options > TB_MAX_FIELDS)
		goto fail;
	d = &b->ops[b->n_ops];
	memset(d, 0, sizeof(*d));
	d->opcode = find_code(b, op->code, op->version ? op->version : 1, op->custom_code);
	if (d->opcode < 0)
		goto fail;
	d->n_inputs = op->n_inputs;
	for (i = 0; i < op->n_inputs; i++)
		d->inputs[i] = op->inputs[i];
	d->n_outputs = op->n_outputs;
	for (i = 0; i < op->n_outputs; i++)
		d->outputs[i] = op->outputs[i];
	d->options_type = op->options_type;
	for (i = 0; i < op->n_options; i++) {
		d->options[i] = op->options[i];
		d->options[i].vec = NULL;
		if (op->options[i].kind == TB_F_INTVEC) {
			int32_t *v = malloc(sizeof(int32_t) * (size_t)(op->options[i].n + 1));

			if (v == NULL)
				goto fail;
			memcpy(v, op->options[i].vec, sizeof(int32_t) * (size_t)op->options[i].n);
			d->options[i].vec = v;
		}
		d->n_options = i + 1;
	}
	return b->n_ops++;
fail:
	b->err = 1;
	return -1;
}

int
tb_io(struct tb *b, const int32_t *inputs, int n_inputs, const int32_t *outputs, int n_outputs)
{
	if (n_inputs > TB_MAX_IO || n_outputs > TB_MAX_IO) {
		b->err = 1;
		return -1;
	}
	memcpy(b->inputs, inputs, sizeof(int32_t) * (size_t)n_inputs);
	b->n_inputs = n_inputs;
	memcpy(b->outputs, outputs, sizeof(int32_t) * (size_t)n_outputs);
	b->n_outputs = n_outputs;
	return 0;
}

/* ---- convenience adders ---- */

static struct tb_field
fi(int id, int kind, int32_t v)
{
	struct tb_field f = {(uint8_t)id, (uint8_t)kind, v, 0.0f, NULL, 0};

	return f;
}

int
tb_conv2d(struct tb *b, int in, int filter, int bias, int out, enum tb_padding padding,
          int stride_w, int stride_h, int dil_w, int dil_h, enum tb_act act)
{
	int32_t ins[3] = {in, filter, bias};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_CONV_2D, 3, NULL, ins, 3, outs, 1, TB_OPT_CONV_2D, {{0}}, 6};

	op.options[0] = fi(0, TB_F_BYTE, padding);
	op.options[1] = fi(1, TB_F_INT, stride_w);
	op.options[2] = fi(2, TB_F_INT, stride_h);
	op.options[3] = fi(3, TB_F_BYTE, act);
	op.options[4] = fi(4, TB_F_INT, dil_w);
	op.options[5] = fi(5, TB_F_INT, dil_h);
	return tb_op(b, &op);
}

int
tb_dwconv2d(struct tb *b, int in, int filter, int bias, int out, enum tb_padding padding,
            int stride_w, int stride_h, int depth_multiplier, int dil_w, int dil_h, enum tb_act act)
{
	int32_t ins[3] = {in, filter, bias};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_DEPTHWISE_CONV_2D,  3,     NULL, ins, 3, outs, 1,
	                   TB_OPT_DEPTHWISE_CONV_2D, {{0}}, 7};

	op.options[0] = fi(0, TB_F_BYTE, padding);
	op.options[1] = fi(1, TB_F_INT, stride_w);
	op.options[2] = fi(2, TB_F_INT, stride_h);
	op.options[3] = fi(3, TB_F_INT, depth_multiplier);
	op.options[4] = fi(4, TB_F_BYTE, act);
	op.options[5] = fi(5, TB_F_INT, dil_w);
	op.options[6] = fi(6, TB_F_INT, dil_h);
	return tb_op(b, &op);
}

int
tb_fc(struct tb *b, int in, int filter, int bias, int out, enum tb_act act, int keep_num_dims)
{
	int32_t ins[3] = {in, filter, bias};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_FULLY_CONNECTED,  4,     NULL, ins, 3, outs, 1,
	                   TB_OPT_FULLY_CONNECTED, {{0}}, 3};

	op.options[0] = fi(0, TB_F_BYTE, act);
	op.options[1] = fi(1, TB_F_BYTE, 0); /* weights_format DEFAULT */
	op.options[2] = fi(2, TB_F_BYTE, keep_num_dims);
	return tb_op(b, &op);
}

int
tb_pool(struct tb *b, int code, int in, int out, enum tb_padding padding, int stride_w,
        int stride_h, int filter_w, int filter_h, enum tb_act act)
{
	int32_t ins[1] = {in};
	int32_t outs[1] = {out};
	struct tb_op op = {code, 2, NULL, ins, 1, outs, 1, TB_OPT_POOL_2D, {{0}}, 6};

	op.options[0] = fi(0, TB_F_BYTE, padding);
	op.options[1] = fi(1, TB_F_INT, stride_w);
	op.options[2] = fi(2, TB_F_INT, stride_h);
	op.options[3] = fi(3, TB_F_INT, filter_w);
	op.options[4] = fi(4, TB_F_INT, filter_h);
	op.options[5] = fi(5, TB_F_BYTE, act);
	return tb_op(b, &op);
}

int
tb_reshape(struct tb *b, int in, int shape_tensor, int out, const int32_t *new_shape, int n)
{
	int32_t ins[2] = {in, shape_tensor};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_RESHAPE, 1, NULL,           ins,   shape_tensor >= 0 ? 2 : 1,
	                   outs,          1, TB_OPT_RESHAPE, {{0}}, 0};

	if (new_shape != NULL) {
		op.options[0] = fi(0, TB_F_INTVEC, 0);
		op.options[0].vec = new_shape;
		op.options[0].n = n;
		op.n_options = 1;
	}
	return tb_op(b, &op);
}

int
tb_softmax(struct tb *b, int in, int out, float beta)
{
	int32_t ins[1] = {in};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_SOFTMAX, 2, NULL, ins, 1, outs, 1, TB_OPT_SOFTMAX, {{0}}, 1};

	op.options[0] = fi(0, TB_F_FLOAT, 0);
	op.options[0].f = beta;
	return tb_op(b, &op);
}

int
tb_binary(struct tb *b, int code, int in1, int in2, int out, enum tb_act act)
{
	int32_t ins[2] = {in1, in2};
	int32_t outs[1] = {out};
	struct tb_op op = {code,  2,    NULL, ins,
	                   2,     outs, 1,    code == TB_OP_MUL ? TB_OPT_MUL : TB_OPT_ADD,
	                   {{0}}, 1};

	op.options[0] = fi(0, TB_F_BYTE, act);
	return tb_op(b, &op);
}

int
tb_unary(struct tb *b, int code, int in, int out)
{
	int32_t ins[1] = {in};
	int32_t outs[1] = {out};
	struct tb_op op = {code, 1, NULL, ins, 1, outs, 1, TB_OPT_NONE, {{0}}, 0};

	return tb_op(b, &op);
}

int
tb_mean(struct tb *b, int in, int axis_tensor, int out, int keep_dims)
{
	int32_t ins[2] = {in, axis_tensor};
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_MEAN, 2, NULL, ins, 2, outs, 1, TB_OPT_REDUCER, {{0}}, 1};

	op.options[0] = fi(0, TB_F_BYTE, keep_dims);
	return tb_op(b, &op);
}

int
tb_concat(struct tb *b, const int32_t *ins, int n, int out, int axis, enum tb_act act)
{
	int32_t outs[1] = {out};
	struct tb_op op = {TB_OP_CONCATENATION,  3,     NULL, ins, n, outs, 1,
	                   TB_OPT_CONCATENATION, {{0}}, 2};

	op.options[0] = fi(0, TB_F_INT, axis);
	op.options[1] = fi(1, TB_F_BYTE, act);
	return tb_op(b, &op);
}

int
tb_pad(struct tb *b, int in, int paddings_tensor, int out)
{
	int32_t ins[2] = {in, paddings_tensor};
	int32_t outs[1] = {out};
	/* PadOptions is an empty table. */
	struct tb_op op = {TB_OP_PAD, 2, NULL, ins, 2, outs, 1, TB_OPT_PAD, {{0}}, 0};

	return tb_op(b, &op);
}

/* ---- serialization ---- */

static void
write_opcode(struct tb *b, const struct tb_code_d *c, size_t slot)
{
	struct fbw *w = &b->w;
	struct fbf f[4];
	size_t off[1], t;
	int n = 0;
	int32_t dep = c->code < TB_OP_PLACEHOLDER_FOR_GREATER_OP_CODES
	                      ? c->code
	                      : TB_OP_PLACEHOLDER_FOR_GREATER_OP_CODES;

	if (b->style != TB_CODES_BUILTIN)
		f[n++] = (struct fbf){0, FB_U8, (uint32_t)dep};
	if (c->has_custom)
		f[n++] = (struct fbf){1, FB_OFF, 0};
	f[n++] = (struct fbf){2, FB_U32, (uint32_t)c->version};
	if (b->style != TB_CODES_DEPRECATED)
		f[n++] = (struct fbf){3, FB_U32, (uint32_t)c->code};
	t = fb_table(w, f, n, off, NULL);
	fbw_patch(w, slot, t);
	if (c->has_custom)
		fbw_patch(w, off[0], fb_string(w, c->custom, strlen(c->custom)));
}

static void
write_tensor(struct tb *b, const struct tb_tensor_d *t, size_t slot, struct tb_layout *lay,
             int first)
{
	struct fbw *w = &b->w;
	struct fbf f[5] = {
	        {0, FB_OFF, 0},
	        {1, FB_U8, (uint32_t)t->type},
	        {2, FB_U32, (uint32_t)t->buffer},
	        {3, FB_OFF, 0},
	        {4, FB_OFF, 0},
	};
	size_t off[3], tpos, pos;

	tpos = fb_table(w, f, t->n_q > 0 ? 5 : 4, off, NULL);
	fbw_patch(w, slot, tpos);
	pos = fb_vec(w, t->shape, (uint32_t)t->ndim, 4, 4);
	fbw_patch(w, off[0], pos);
	if (first)
		lay->tensor0_shape = pos;
	pos = fb_string(w, t->name, strlen(t->name));
	fbw_patch(w, off[1], pos);
	if (first) {
		lay->tensor0 = tpos;
		lay->tensor0_name = pos;
	}
	if (t->n_q > 0) {
		struct fbf q[3] = {
		        {2, FB_OFF, 0},
		        {3, FB_OFF, 0},
		        {6, FB_U32, (uint32_t)t->qdim},
		};
		size_t qoff[2];

		fbw_patch(w, off[2], fb_table(w, q, 3, qoff, NULL));
		fbw_patch(w, qoff[0], fb_vec(w, t->scale, (uint32_t)t->n_q, 4, 4));
		fbw_patch(w, qoff[1], fb_vec(w, t->zp, (uint32_t)t->n_q, 8, 8));
	}
}

static void
write_op(struct tb *b, const struct tb_op_d *o, size_t slot, struct tb_layout *lay, int first)
{
	struct fbw *w = &b->w;
	struct fbf f[5] = {
	        {0, FB_U32, (uint32_t)o->opcode}, {1, FB_OFF, 0}, {2, FB_OFF, 0},
	        {3, FB_U8, o->options_type},      {4, FB_OFF, 0},
	};
	size_t off[3], tpos;
	int i;

	tpos = fb_table(w, f, o->options_type ? 5 : 3, off, NULL);
	fbw_patch(w, slot, tpos);
	if (first)
		lay->op0 = tpos;
	fbw_patch(w, off[0], fb_vec(w, o->inputs, (uint32_t)o->n_inputs, 4, 4));
	fbw_patch(w, off[1], fb_vec(w, o->outputs, (uint32_t)o->n_outputs, 4, 4));
	if (o->options_type) {
		struct fbf of[TB_MAX_FIELDS];
		size_t ooff[TB_MAX_FIELDS];
		int k = 0;

		for (i = 0; i < o->n_options; i++) {
			const struct tb_field *x = &o->options[i];
			uint32_t bits;

			of[i].id = x->id;
			switch (x->kind) {
			case TB_F_BYTE:
				of[i].kind = FB_U8;
				of[i].v = (uint32_t)x->i;
				break;
			case TB_F_FLOAT:
				of[i].kind = FB_U32;
				memcpy(&bits, &x->f, 4);
				of[i].v = bits;
				break;
			case TB_F_INTVEC:
				of[i].kind = FB_OFF;
				of[i].v = 0;
				break;
			default:
				of[i].kind = FB_U32;
				of[i].v = (uint32_t)x->i;
				break;
			}
		}
		fbw_patch(w, off[2], fb_table(w, of, o->n_options, ooff, NULL));
		for (i = 0; i < o->n_options; i++)
			if (o->options[i].kind == TB_F_INTVEC)
				fbw_patch(w, ooff[k++],
				          fb_vec(w, o->options[i].vec, (uint32_t)o->options[i].n, 4,
				                 4));
	}
}

static void
apply_break(struct tb *b, const struct tb_layout *lay)
{
	struct fbw *w = &b->w;
	size_t len = w->len;
	uint32_t v;

	switch (b->brk) {
	case TB_BREAK_ROOT_OFFSET:
		fbw_set32(w, 0, (uint32_t)(len + 64));
		break;
	case TB_BREAK_VTABLE_OFFSET:
		/* vtable = table - soffset: make it land 100 bytes past the end. */
		fbw_set32(w, lay->model_table,
		          (uint32_t)(int32_t)((int64_t)lay->model_table - (int64_t)(len + 100)));
		break;
	case TB_BREAK_VTABLE_SIZE:
		fbw_set16(w, lay->model_vtable, 0xfffe);
		break;
	case TB_BREAK_VTABLE_ODD:
		fbw_set16(w, lay->model_vtable, 3);
		break;
	case TB_BREAK_FIELD_OFFSET:
		/* Entry 2 (subgraphs) of the Model vtable. */
		fbw_set16(w, lay->model_vtable + 4 + 2 * 2, 0xfff0);
		break;
	case TB_BREAK_SUBGRAPHS_ABSENT:
		fbw_set16(w, lay->model_vtable + 4 + 2 * 2, 0);
		break;
	case TB_BREAK_SUBGRAPHS_EMPTY:
		memcpy(&v, w->p + lay->subgraphs, 4);
		fbw_set32(w, lay->subgraphs + v, 0);
		break;
	case TB_BREAK_SELF_OFFSET:
		fbw_set32(w, lay->subgraphs, 0);
		break;
	case TB_BREAK_VECTOR_LENGTH:
		fbw_set32(w, lay->tensors_vec, 0x7fffffff);
		break;
	case TB_BREAK_ELEMENT_OFFSET:
		fbw_set32(w, lay->tensors_vec + 4, (uint32_t)(len - lay->tensors_vec - 4 + 8));
		break;
	case TB_BREAK_STRING_LENGTH:
		fbw_set32(w, lay->tensor0_name, (uint32_t)(len - lay->tensor0_name));
		break;
	case TB_BREAK_BUFFER_LENGTH:
		if (lay->first_data != 0)
			fbw_set32(w, lay->first_data, (uint32_t)(len - lay->first_data));
		break;
	case TB_BREAK_SHAPE_LENGTH:
		fbw_set32(w, lay->tensor0_shape, 0x10000000);
		break;
	case TB_BREAK_OPCODE_INDEX:
		/* opcode_index is the table's first 4-byte field. */
		if (lay->op0 != 0)
			fbw_set32(w, lay->op0 + 4, 0xffff);
		break;
	case TB_BREAK_IDENTIFIER:
		memcpy(w->p + 4, "XXXX", 4);
		break;
	case TB_BREAK_TRUNCATE:
		w->len = len / 2;
		break;
	default:
		break;
	}
}

uint8_t *
tb_finish(struct tb *b, size_t *ret_len, struct tb_layout *ret_layout)
{
	struct fbw *w = &b->w;
	struct tb_layout lay;
	size_t off[5], sg_off[5], sg, vec, pos;
	int i;
	static const char desc[] = "tinyfleet test model";

	if (b->err)
		return NULL;
	memset(&lay, 0, sizeof(lay));
	w->len = 0;
	w->oom = 0;

	/* Root uoffset and file identifier. */
	fbw_put(w, NULL, 4);
	fbw_put(w, "TFL3", 4);
	{
		struct fbf f[5] = {
		        {0, FB_U32, 3}, {1, FB_OFF, 0}, {2, FB_OFF, 0},
		        {3, FB_OFF, 0}, {4, FB_OFF, 0},
		};

		lay.model_table = fb_table(w, f, 5, off, &lay.model_vtable);
		fbw_patch(w, 0, lay.model_table);
		lay.subgraphs = off[1];
	}

	/* operator_codes */
	vec = fb_vec(w, NULL, (uint32_t)b->n_codes, 4, 4);
	fbw_patch(w, off[0], vec);
	for (i = 0; i < b->n_codes; i++)
		write_opcode(b, &b->codes[i], vec + 4 + 4 * (size_t)i);

	/* subgraphs: exactly one */
	vec = fb_vec(w, NULL, 1, 4, 4);
	fbw_patch(w, off[1], vec);
	{
		struct fbf f[5] = {
		        {0, FB_OFF, 0}, {1, FB_OFF, 0}, {2, FB_OFF, 0},
		        {3, FB_OFF, 0}, {4, FB_OFF, 0},
		};

		sg = fb_table(w, f, 5, sg_off, NULL);
		fbw_patch(w, vec + 4, sg);
		lay.subgraph = sg;
	}
	lay.tensors_vec = fb_vec(w, NULL, (uint32_t)b->n_tensors, 4, 4);
	fbw_patch(w, sg_off[0], lay.tensors_vec);
	for (i = 0; i < b->n_tensors; i++)
		write_tensor(b, &b->tensors[i], lay.tensors_vec + 4 + 4 * (size_t)i, &lay, i == 0);
	fbw_patch(w, sg_off[1], fb_vec(w, b->inputs, (uint32_t)b->n_inputs, 4, 4));
	fbw_patch(w, sg_off[2], fb_vec(w, b->outputs, (uint32_t)b->n_outputs, 4, 4));
	lay.ops_vec = fb_vec(w, NULL, (uint32_t)b->n_ops, 4, 4);
	fbw_patch(w, sg_off[3], lay.ops_vec);
	for (i = 0; i < b->n_ops; i++)
		write_op(b, &b->ops[i], lay.ops_vec + 4 + 4 * (size_t)i, &lay, i == 0);
	fbw_patch(w, sg_off[4], fb_string(w, "main", 4));

	/* description */
	fbw_patch(w, off[2], fb_string(w, desc, sizeof(desc) - 1));

	/* buffers: buffer 0 is an empty table (no data field). */
	lay.buffers_vec = fb_vec(w, NULL, (uint32_t)b->n_buffers, 4, 4);
	fbw_patch(w, off[3], lay.buffers_vec);
	for (i = 0; i < b->n_buffers; i++) {
		struct fbf f[1] = {{0, FB_OFF, 0}};
		size_t doff[1];
		int has = i > 0;

		pos = fb_table(w, f, has, doff, NULL);
		fbw_patch(w, lay.buffers_vec + 4 + 4 * (size_t)i, pos);
		if (has) {
			pos = fb_vec(w, b->buffers[i].data, (uint32_t)b->buffers[i].len, 1, 16);
			fbw_patch(w, doff[0], pos);
			if (lay.first_data == 0 && b->buffers[i].len > 0)
				lay.first_data = pos;
		}
	}
	fbw_pad(w, 16, 0);
	if (w->oom)
		return NULL;

	apply_break(b, &lay);
	*ret_len = w->len;
	if (ret_layout != NULL)
		*ret_layout = lay;
	return w->p;
}

/* ---- test PRNG ---- */

void
tb_rng_seed(struct tb_rng *r, uint32_t seed)
{
	r->s = seed ? seed : 1;
}

uint32_t
tb_rng_next(struct tb_rng *r)
{
	uint32_t x = r->s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	r->s = x;
	return x;
}

int32_t
tb_rng_range(struct tb_rng *r, int32_t lo, int32_t hi)
{
	uint32_t span = (uint32_t)(hi - lo) + 1;

	return span == 0 ? (int32_t)tb_rng_next(r) : lo + (int32_t)(tb_rng_next(r) % span);
}

void
tb_rng_fill_i8(struct tb_rng *r, int8_t *p, size_t n, int lo, int hi)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (int8_t)tb_rng_range(r, lo, hi);
}
