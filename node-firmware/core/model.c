/*
 * model.c: reads and validates a .tflite flatbuffer in place.
 *
 * Divisions: error messages; the bounds-checked flatbuffer reader; tensors
 * and operators; nn_model_open(); the public accessors.
 *
 * Nothing here trusts the bytes: every offset, vtable, vector length and
 * index is checked before it is followed, with 64-bit arithmetic so that no
 * sum can wrap. Only TFLite schema fields the core uses are read; the field
 * ids are those of tensorflow/compiler/mlir/lite/schema/schema.fbs.
 */
#include <string.h>

#include "core/nn_internal.h"

/* ---- error messages ---- */

#ifndef NN_NO_MESSAGES

struct msgb {
	char *p;
	size_t cap;
	size_t len;
};

static void
msg_str(struct msgb *b, const char *s)
{
	while (s && *s && b->len + 1 < b->cap)
		b->p[b->len++] = *s++;
	if (b->cap)
		b->p[b->len] = '\0';
}

static void
msg_int(struct msgb *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp) - 1;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	do
		*--p = (char)('0' + (int)(u % 10));
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	msg_str(b, p);
}

int
nn__err(char *msg, size_t msg_len, int err, const char *a, int64_t v, const char *b)
{
	struct msgb mb = {msg, msg ? msg_len : 0, 0};

	msg_str(&mb, a);
	if (v != NN__NOVAL)
		msg_int(&mb, v);
	msg_str(&mb, b);
	return err;
}

int
nn__op_err(char *msg, size_t msg_len, int op, int32_t code, int err, const char *a, int64_t v,
           const char *b)
{
	struct msgb mb = {msg, msg ? msg_len : 0, 0};

	msg_str(&mb, "op ");
	msg_int(&mb, op);
	msg_str(&mb, " ");
	msg_str(&mb, nn_op_name(code));
	msg_str(&mb, ": ");
	msg_str(&mb, a);
	if (v != NN__NOVAL)
		msg_int(&mb, v);
	msg_str(&mb, b);
	return err;
}
#endif

/* ---- flatbuffer reader ---- */

uint32_t
nn__rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint16_t
nn__rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
in_buf(const struct nn_model *m, uint64_t pos, uint64_t size)
{
	return pos <= m->len && size <= m->len - pos;
}

/* Validates the table at absolute position pos. */
static int
table_open(const struct nn_model *m, uint64_t pos, struct nn__tab *ret)
{
	int64_t vt;
	uint16_t vtlen, tlen;

	if (!in_buf(m, pos, 4) || (pos & 3) != 0)
		return NN_EMODEL;
	vt = (int64_t)pos - (int32_t)nn__rd32(m->buf + pos);
	if (vt < 0 || !in_buf(m, (uint64_t)vt, 4) || (vt & 1) != 0)
		return NN_EMODEL;
	vtlen = nn__rd16(m->buf + vt);
	tlen = nn__rd16(m->buf + vt + 2);
	if (vtlen < 4 || (vtlen & 1) != 0 || !in_buf(m, (uint64_t)vt, vtlen) || tlen < 4 ||
	    !in_buf(m, pos, tlen))
		return NN_EMODEL;
	ret->pos = (uint32_t)pos;
	ret->vt = (uint32_t)vt;
	ret->vtlen = vtlen;
	ret->tlen = tlen;
	return NN_OK;
}

/* Follows the uoffset stored at position at. */
static int
follow(const struct nn_model *m, uint64_t at, uint64_t *ret)
{
	uint32_t off;

	if (!in_buf(m, at, 4))
		return NN_EMODEL;
	off = nn__rd32(m->buf + at);
	if (off == 0 || !in_buf(m, at + off, 4))
		return NN_EMODEL;
	*ret = at + off;
	return NN_OK;
}

int
nn__fb_table_at(const struct nn_model *m, uint32_t at, struct nn__tab *ret)
{
	uint64_t pos;

	if (follow(m, at, &pos) < 0)
		return NN_EMODEL;
	return table_open(m, pos, ret);
}

int64_t
nn__fb_field(const struct nn_model *m, const struct nn__tab *t, int id, uint32_t size)
{
	uint32_t slot = 4u + 2u * (uint32_t)id;
	uint16_t off;

	if (slot + 2 > t->vtlen)
		return 0;
	off = nn__rd16(m->buf + t->vt + slot);
	if (off == 0)
		return 0;
	if (off < 4 || (uint32_t)off + size > t->tlen)
		return NN_EMODEL;
	return (int64_t)t->pos + off;
}

int32_t
nn__fb_i32(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def, int *err)
{
	int64_t p = nn__fb_field(m, t, id, 4);

	if (p < 0) {
		*err = NN_EMODEL;
		return def;
	}
	return p ? (int32_t)nn__rd32(m->buf + p) : def;
}

int32_t
nn__fb_u8(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def, int *err)
{
	int64_t p = nn__fb_field(m, t, id, 1);

	if (p < 0) {
		*err = NN_EMODEL;
		return def;
	}
	return p ? (int32_t)m->buf[p] : def;
}

int32_t
nn__fb_i8(const struct nn_model *m, const struct nn__tab *t, int id, int32_t def, int *err)
{
	int64_t p = nn__fb_field(m, t, id, 1);

	if (p < 0) {
		*err = NN_EMODEL;
		return def;
	}
	return p ? (int32_t)(int8_t)m->buf[p] : def;
}

float
nn__fb_f32(const struct nn_model *m, const struct nn__tab *t, int id, float def, int *err)
{
	int64_t p = nn__fb_field(m, t, id, 4);
	uint32_t u;
	float f;

	if (p < 0) {
		*err = NN_EMODEL;
		return def;
	}
	if (!p)
		return def;
	u = nn__rd32(m->buf + p);
	memcpy(&f, &u, sizeof(f));
	return f;
}

int
nn__fb_vec(const struct nn_model *m, const struct nn__tab *t, int id, uint32_t esize,
           struct nn__vec *ret, int *present)
{
	int64_t p = nn__fb_field(m, t, id, 4);
	uint64_t v, n;

	ret->pos = 0;
	ret->n = 0;
	*present = 0;
	if (p < 0)
		return NN_EMODEL;
	if (p == 0)
		return NN_OK;
	if (follow(m, (uint64_t)p, &v) < 0)
		return NN_EMODEL;
	n = nn__rd32(m->buf + v);
	if (!in_buf(m, v + 4, n * esize))
		return NN_EMODEL;
	ret->pos = (uint32_t)(v + 4);
	ret->n = (uint32_t)n;
	*present = 1;
	return NN_OK;
}

int
nn__fb_sub(const struct nn_model *m, const struct nn__tab *t, int id, struct nn__tab *ret,
           int *present)
{
	int64_t p = nn__fb_field(m, t, id, 4);

	*present = 0;
	if (p < 0)
		return NN_EMODEL;
	if (p == 0)
		return NN_OK;
	if (nn__fb_table_at(m, (uint32_t)p, ret) < 0)
		return NN_EMODEL;
	*present = 1;
	return NN_OK;
}

int
nn__fb_vec_table(const struct nn_model *m, const struct nn__vec *v, uint32_t i, struct nn__tab *ret)
{
	if (i >= v->n)
		return NN_EMODEL;
	return nn__fb_table_at(m, v->pos + 4 * i, ret);
}

/* ---- tensors and operators ---- */

/* Schema field ids. */
enum {
	F_MODEL_VERSION = 0,
	F_MODEL_OPCODES = 1,
	F_MODEL_SUBGRAPHS = 2,
	F_MODEL_BUFFERS = 4,
	F_OPC_DEPRECATED = 0,
	F_OPC_CUSTOM = 1,
	F_OPC_VERSION = 2,
	F_OPC_BUILTIN = 3,
	F_SG_TENSORS = 0,
	F_SG_INPUTS = 1,
	F_SG_OUTPUTS = 2,
	F_SG_OPS = 3,
	F_T_SHAPE = 0,
	F_T_TYPE = 1,
	F_T_BUFFER = 2,
	F_T_NAME = 3,
	F_T_QUANT = 4,
	F_T_SPARSITY = 6,
	F_Q_SCALE = 2,
	F_Q_ZP = 3,
	F_Q_DIM = 6,
	F_BUF_DATA = 0,
	F_BUF_OFFSET = 1,
	F_BUF_SIZE = 2,
	F_OP_OPCODE = 0,
	F_OP_INPUTS = 1,
	F_OP_OUTPUTS = 2,
	F_OP_OPT_TYPE = 3,
	F_OP_OPT = 4
};

static int
elem_size(int32_t type)
{
	switch (type) {
	case 0:  /* FLOAT32 */
	case 2:  /* INT32 */
	case 15: /* UINT32 */
		return 4;
	case 1:  /* FLOAT16 */
	case 7:  /* INT16 */
	case 16: /* UINT16 */
		return 2;
	case 3: /* UINT8 */
	case 6: /* BOOL */
	case 9: /* INT8 */
		return 1;
	case 4:  /* INT64 */
	case 10: /* FLOAT64 */
	case 12: /* UINT64 */
		return 8;
	default:
		return 0;
	}
}

static int
terr(char *msg, size_t msg_len, int err, int idx, const char *what)
{
	return nn__err(msg, msg_len, err, "tensor ", idx, what);
}

int
nn__tensor(const struct nn_model *m, int idx, struct nn__tinfo *ret, char *msg, size_t msg_len)
{
	struct nn__tab t, q, b;
	struct nn__vec shape, data;
	int err = NN_OK, present, i, es;
	uint64_t elems = 1;
	uint32_t bufi;

	memset(ret, 0, sizeof(*ret));
	if (idx < 0 || idx >= m->n_tensors)
		return nn__err(msg, msg_len, NN_EMODEL, "tensor index ", idx, " out of range");
	if (nn__fb_table_at(m, m->tensors + 4u * (uint32_t)idx, &t) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed table");
	if (nn__fb_vec(m, &t, F_T_SHAPE, 4, &shape, &present) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed shape");
	if (shape.n > NN_MAX_DIMS)
		return terr(msg, msg_len, NN_ELIMIT, idx, ": rank above 6");
	ret->ndim = (int32_t)shape.n;
	for (i = 0; i < ret->ndim; i++) {
		int32_t d = (int32_t)nn__rd32(m->buf + shape.pos + 4u * (uint32_t)i);

		if (d < 0)
			return terr(msg, msg_len, NN_ENOTSUP, idx, ": dynamic shape unsupported");
		ret->dims[i] = d;
		elems *= (uint64_t)d;
		if (elems > 0x7fffffffu)
			return terr(msg, msg_len, NN_ELIMIT, idx, ": too many elements");
	}
	if (nn__fb_vec(m, &t, F_T_NAME, 1, &data, &present) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed name");
	ret->type = nn__fb_i8(m, &t, F_T_TYPE, 0, &err);
	bufi = (uint32_t)nn__fb_i32(m, &t, F_T_BUFFER, 0, &err);
	ret->qdim = 0;
	if (err < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed field");
	es = elem_size(ret->type);
	if (es == 0)
		return nn__err(msg, msg_len, NN_ENOTSUP, "tensor ", idx,
		               ": element type unsupported");
	if (nn__fb_field(m, &t, F_T_SPARSITY, 4) != 0)
		return terr(msg, msg_len, NN_ENOTSUP, idx, ": sparse tensors unsupported");
	ret->elems = (uint32_t)elems;
	if (elems * (uint64_t)es > 0x7fffffffu)
		return terr(msg, msg_len, NN_ELIMIT, idx, ": too large");
	ret->bytes = (uint32_t)(elems * (uint64_t)es);

	/* Buffer: data inline in the flatbuffer, or (large models) at offset/size. */
	if (bufi >= m->n_buffers)
		return nn__err(msg, msg_len, NN_EMODEL, "tensor ", idx,
		               ": buffer index out of range");
	if (nn__fb_table_at(m, m->buffers + 4u * bufi, &b) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed buffer");
	if (nn__fb_vec(m, &b, F_BUF_DATA, 1, &data, &present) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed buffer data");
	/* Buffers stored outside the flatbuffer (Buffer.offset/size, for models
	 * above 2 GiB) are not supported: a constant then has no data and its
	 * kernel's prepare refuses it. */
	if (data.n > 0) {
		if (data.n != ret->bytes)
			return nn__err(msg, msg_len, NN_EMODEL, "tensor ", idx,
			               ": buffer size does not match its shape");
		ret->cdata = m->buf + data.pos;
	}

	/* Quantization: scales (float) and zero points (int64), per tensor or per axis. */
	if (nn__fb_sub(m, &t, F_T_QUANT, &q, &present) < 0)
		return terr(msg, msg_len, NN_EMODEL, idx, ": malformed quantization");
	if (present) {
		int p2;

		if (nn__fb_vec(m, &q, F_Q_SCALE, 4, &ret->scales, &p2) < 0 ||
		    nn__fb_vec(m, &q, F_Q_ZP, 8, &ret->zps, &p2) < 0)
			return terr(msg, msg_len, NN_EMODEL, idx, ": malformed quantization");
		ret->qdim = nn__fb_i32(m, &q, F_Q_DIM, 0, &err);
		if (err < 0)
			return terr(msg, msg_len, NN_EMODEL, idx, ": malformed quantization");
		if (ret->scales.n > 0) {
			if (ret->zps.n != ret->scales.n)
				return terr(msg, msg_len, NN_EQUANT, idx,
				            ": zero point count differs from scale count");
			/* Per-axis layouts are checked where they matter (weights, in
			 * nn__ctx_wquant): converters leave odd quantized_dimension
			 * values on tensors whose scales no kernel reads (int32 biases). */
			ret->scale = nn__scale_at(m, ret, 0);
			ret->zp = nn__zp_at(m, ret, 0);
		} else {
			ret->zps.n = 0;
		}
	}
	return NN_OK;
}

float
nn__scale_at(const struct nn_model *m, const struct nn__tinfo *t, uint32_t i)
{
	uint32_t u;
	float f;

	if (i >= t->scales.n)
		return 0.0f;
	u = nn__rd32(m->buf + t->scales.pos + 4 * i);
	memcpy(&f, &u, sizeof(f));
	return f;
}

int32_t
nn__zp_at(const struct nn_model *m, const struct nn__tinfo *t, uint32_t i)
{
	uint32_t lo, hi;
	int64_t v;

	if (i >= t->zps.n)
		return 0;
	lo = nn__rd32(m->buf + t->zps.pos + 8 * i);
	hi = nn__rd32(m->buf + t->zps.pos + 8 * i + 4);
	v = (int64_t)((uint64_t)hi << 32 | lo);
	if (v < INT32_MIN || v > INT32_MAX)
		return INT32_MIN; /* out of any type's range: prepare rejects it */
	return (int32_t)v;
}

int
nn__op(const struct nn_model *m, int op, struct nn__opinfo *ret)
{
	struct nn__tab oc;
	int err = NN_OK, present;
	uint32_t opc;
	int32_t dep, bi;

	memset(ret, 0, sizeof(*ret));
	if (op < 0 || op >= m->n_ops)
		return NN_EINVAL;
	if (nn__fb_table_at(m, m->ops + 4u * (uint32_t)op, &ret->tab) < 0)
		return NN_EMODEL;
	opc = (uint32_t)nn__fb_i32(m, &ret->tab, F_OP_OPCODE, 0, &err);
	if (err < 0 || opc >= m->n_opcodes)
		return NN_EMODEL;
	if (nn__fb_table_at(m, m->opcodes + 4u * opc, &oc) < 0)
		return NN_EMODEL;
	dep = nn__fb_i8(m, &oc, F_OPC_DEPRECATED, 0, &err);
	bi = nn__fb_i32(m, &oc, F_OPC_BUILTIN, 0, &err);
	ret->version = nn__fb_i32(m, &oc, F_OPC_VERSION, 1, &err);
	if (err < 0)
		return NN_EMODEL;
	ret->code = dep > bi ? dep : bi;
	if (nn__fb_vec(m, &ret->tab, F_OP_INPUTS, 4, &ret->in, &present) < 0 ||
	    nn__fb_vec(m, &ret->tab, F_OP_OUTPUTS, 4, &ret->out, &present) < 0)
		return NN_EMODEL;
	ret->opt_type = nn__fb_u8(m, &ret->tab, F_OP_OPT_TYPE, 0, &err);
	if (err < 0 || nn__fb_sub(m, &ret->tab, F_OP_OPT, &ret->opt, &ret->has_opt) < 0)
		return NN_EMODEL;
	return NN_OK;
}

int32_t
nn__op_in(const struct nn_model *m, const struct nn__opinfo *o, uint32_t k)
{
	return k < o->in.n ? (int32_t)nn__rd32(m->buf + o->in.pos + 4 * k) : -1;
}

int32_t
nn__op_out(const struct nn_model *m, const struct nn__opinfo *o, uint32_t k)
{
	return k < o->out.n ? (int32_t)nn__rd32(m->buf + o->out.pos + 4 * k) : -1;
}

/* ---- nn_model_open ---- */

static int
open_tables(struct nn_model *m, char *msg, size_t msg_len)
{
	struct nn__tab root, sg;
	struct nn__vec v;
	int err = NN_OK, present;
	const char *what = "root table";

	if (nn__fb_table_at(m, 0, &root) < 0)
		goto bad;
	m->schema_version = (uint16_t)nn__fb_i32(m, &root, F_MODEL_VERSION, 0, &err);
	what = "operator_codes";
	if (err < 0 || nn__fb_vec(m, &root, F_MODEL_OPCODES, 4, &v, &present) < 0)
		goto bad;
	m->opcodes = v.pos;
	m->n_opcodes = v.n;
	what = "buffers";
	if (nn__fb_vec(m, &root, F_MODEL_BUFFERS, 4, &v, &present) < 0)
		goto bad;
	m->buffers = v.pos;
	m->n_buffers = v.n;
	what = "subgraphs";
	if (nn__fb_vec(m, &root, F_MODEL_SUBGRAPHS, 4, &v, &present) < 0 || v.n < 1 ||
	    nn__fb_vec_table(m, &v, 0, &sg) < 0)
		goto bad;
	what = "tensors";
	if (nn__fb_vec(m, &sg, F_SG_TENSORS, 4, &v, &present) < 0)
		goto bad;
	m->tensors = v.pos;
	m->n_tensors = (uint16_t)v.n;
	if (v.n > NN_MAX_TENSORS)
		goto limit;
	what = "operators";
	if (nn__fb_vec(m, &sg, F_SG_OPS, 4, &v, &present) < 0)
		goto bad;
	m->ops = v.pos;
	m->n_ops = (uint16_t)v.n;
	if (v.n > NN_MAX_OPS)
		goto limit;
	what = "subgraph inputs";
	if (nn__fb_vec(m, &sg, F_SG_INPUTS, 4, &v, &present) < 0 || v.n > NN_MAX_TENSORS)
		goto bad;
	m->inputs = v.pos;
	m->n_inputs = (uint16_t)v.n;
	what = "subgraph outputs";
	if (nn__fb_vec(m, &sg, F_SG_OUTPUTS, 4, &v, &present) < 0 || v.n > NN_MAX_TENSORS)
		goto bad;
	m->outputs = v.pos;
	m->n_outputs = (uint16_t)v.n;
	return NN_OK;
bad:
	(void)what;
	return nn__err(msg, msg_len, NN_EMODEL, "malformed or missing ", NN__NOVAL, what);
limit:
	return nn__err(msg, msg_len, NN_ELIMIT, "more than 1024 ", NN__NOVAL, what);
}

static int
check_io_list(const struct nn_model *m, uint32_t pos, uint32_t n, const char *what, char *msg,
              size_t msg_len)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int32_t t = (int32_t)nn__rd32(m->buf + pos + 4 * i);

		if (t < 0 || t >= m->n_tensors)
			return nn__err(msg, msg_len, NN_EMODEL, what, t, " out of range");
	}
	return NN_OK;
}

/* Every operator: opcode index, io indices, known kernel, version, options table. */
static int
check_ops(const struct nn_model *m, char *msg, size_t msg_len)
{
	int op, r;
	uint32_t k;

	for (op = 0; op < m->n_ops; op++) {
		struct nn__opinfo oi;
		const struct nn__kernel *kn;

		r = nn__op(m, op, &oi);
		if (r < 0)
			return nn__err(msg, msg_len, NN_EMODEL, "op ", op, ": malformed operator");
		for (k = 0; k < oi.in.n; k++) {
			int32_t t = nn__op_in(m, &oi, k);

			if (t < -1 || t >= m->n_tensors)
				return nn__op_err(msg, msg_len, op, oi.code, NN_EMODEL,
				                  "input tensor index ", t, " out of range");
		}
		for (k = 0; k < oi.out.n; k++) {
			int32_t t = nn__op_out(m, &oi, k);

			if (t < 0 || t >= m->n_tensors)
				return nn__op_err(msg, msg_len, op, oi.code, NN_EMODEL,
				                  "output tensor index ", t, " out of range");
		}
		if (oi.out.n == 0)
			return nn__op_err(msg, msg_len, op, oi.code, NN_EMODEL, "no outputs",
			                  NN__NOVAL, NULL);
		kn = nn__kernel_find(oi.code);
		if (!kn)
			return nn__op_err(msg, msg_len, op, oi.code, NN_ENOTSUP,
			                  oi.code == 32 ? "custom operators unsupported"
			                                : "unsupported operator",
			                  NN__NOVAL, NULL);
		if (oi.version < 1 || oi.version > kn->max_version)
			return nn__op_err(msg, msg_len, op, oi.code, NN_ENOTSUP, "version ",
			                  oi.version, " unsupported");
	}
	return NN_OK;
}

int
nn_model_open(struct nn_model *m, const void *data, size_t len, char *msg, size_t msg_len)
{
	struct nn__plan_ent ents[NN_MAX_ACT_TENSORS];
	int r, i;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!m || !data)
		return nn__err(msg, msg_len, NN_EINVAL, "no model", NN__NOVAL, NULL);
	memset(m, 0, sizeof(*m));
	if (len < 16 || len > 0x7fffffffu)
		return nn__err(msg, msg_len, NN_EMODEL, "model size ", (int64_t)len,
		               " bytes out of range");
	m->buf = data;
	m->len = (uint32_t)len;
	if (memcmp(m->buf + 4, "TFL3", 4) != 0) {
		r = nn__err(msg, msg_len, NN_EMODEL, "not a TFLite model (file identifier)",
		            NN__NOVAL, NULL);
		goto out;
	}
	r = open_tables(m, msg, msg_len);
	if (r < 0)
		goto out;
	r = check_io_list(m, m->inputs, m->n_inputs, "model input tensor ", msg, msg_len);
	if (r < 0)
		goto out;
	r = check_io_list(m, m->outputs, m->n_outputs, "model output tensor ", msg, msg_len);
	if (r < 0)
		goto out;
	r = check_ops(m, msg, msg_len);
	if (r < 0)
		goto out;
	for (i = 0; i < m->n_tensors; i++) {
		struct nn__tinfo ti;

		r = nn__tensor(m, i, &ti, msg, msg_len);
		if (r < 0)
			goto out;
	}
	r = nn__analyze(m, ents, NN_MAX_ACT_TENSORS, 0, msg, msg_len);
	if (r < 0)
		goto out;
	r = NN_OK;
out:
	if (r < 0)
		m->buf = NULL; /* an unopened model is refused by every other call */
	return r;
}

/* ---- public accessors ---- */

size_t
nn_model_arena_size(const struct nn_model *m)
{
	return m && m->buf ? m->arena_bytes : 0;
}

void
nn_model_arena_parts(const struct nn_model *m, size_t *ret_persistent, size_t *ret_activations)
{
	if (ret_persistent)
		*ret_persistent = m && m->buf ? m->persistent_bytes : 0;
	if (ret_activations)
		*ret_activations = m && m->buf ? m->activation_bytes : 0;
}

int
nn_model_tensor_count(const struct nn_model *m)
{
	return m && m->buf ? m->n_tensors : 0;
}

int
nn_model_op_count(const struct nn_model *m)
{
	return m && m->buf ? m->n_ops : 0;
}

int
nn_model_input_count(const struct nn_model *m)
{
	return m && m->buf ? m->n_inputs : 0;
}

int
nn_model_output_count(const struct nn_model *m)
{
	return m && m->buf ? m->n_outputs : 0;
}

int
nn_model_tensor(const struct nn_model *m, int index, struct nn_tensor *ret)
{
	struct nn__tinfo ti;
	struct nn__tab t;
	struct nn__vec name;
	int present, i;

	if (!m || !m->buf || !ret || index < 0 || index >= m->n_tensors)
		return NN_EINVAL;
	if (nn__tensor(m, index, &ti, NULL, 0) < 0)
		return NN_EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->index = index;
	ret->type = ti.type;
	ret->ndim = ti.ndim;
	for (i = 0; i < ti.ndim; i++)
		ret->dims[i] = ti.dims[i];
	ret->bytes = ti.bytes;
	ret->scale = ti.scale;
	ret->zero_point = ti.zp;
	ret->n_scales = (int32_t)ti.scales.n;
	ret->is_const = ti.cdata != NULL;
	ret->data = (void *)(uintptr_t)ti.cdata;
	if (nn__fb_table_at(m, m->tensors + 4u * (uint32_t)index, &t) == NN_OK &&
	    nn__fb_vec(m, &t, F_T_NAME, 1, &name, &present) == NN_OK && present) {
		ret->name = (const char *)m->buf + name.pos;
		ret->name_len = name.n;
	}
	return NN_OK;
}

int
nn_model_input(const struct nn_model *m, int i, struct nn_tensor *ret)
{
	if (!m || !m->buf || i < 0 || i >= m->n_inputs)
		return NN_EINVAL;
	return nn_model_tensor(m, (int)nn__rd32(m->buf + m->inputs + 4u * (uint32_t)i), ret);
}

int
nn_model_output(const struct nn_model *m, int i, struct nn_tensor *ret)
{
	if (!m || !m->buf || i < 0 || i >= m->n_outputs)
		return NN_EINVAL;
	return nn_model_tensor(m, (int)nn__rd32(m->buf + m->outputs + 4u * (uint32_t)i), ret);
}

int
nn_model_op(const struct nn_model *m, int op, struct nn_op_info *ret)
{
	struct nn__opinfo oi;

	if (!m || !m->buf || !ret || nn__op(m, op, &oi) < 0)
		return NN_EINVAL;
	ret->code = oi.code;
	ret->version = oi.version;
	ret->n_inputs = (int32_t)oi.in.n;
	ret->n_outputs = (int32_t)oi.out.n;
	return NN_OK;
}

int
nn_model_op_input(const struct nn_model *m, int op, int k)
{
	struct nn__opinfo oi;

	if (!m || !m->buf || k < 0 || nn__op(m, op, &oi) < 0 || (uint32_t)k >= oi.in.n)
		return NN_EINVAL;
	return nn__op_in(m, &oi, (uint32_t)k);
}

int
nn_model_op_output(const struct nn_model *m, int op, int k)
{
	struct nn__opinfo oi;

	if (!m || !m->buf || k < 0 || nn__op(m, op, &oi) < 0 || (uint32_t)k >= oi.out.n)
		return NN_EINVAL;
	return nn__op_out(m, &oi, (uint32_t)k);
}
