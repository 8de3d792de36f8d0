/*
 * interp.c: binding a model to an arena, and running it.
 *
 * Arena layout (all offsets from the arena start, which must be
 * NN_ARENA_ALIGN-aligned):
 *
 *	struct nn_interp | tensor data pointers | op records | op data ...  (persistent)
 *	activation region: planned tensors and scratch                     (from plan.c)
 *
 * Binding prepares every op in "fill" mode: multipliers, shifts, folded
 * biases and direct data pointers land in the op data, so invoke is a plain
 * loop over eval functions with no lookups and no checks.
 */
#include <string.h>

#include "core/nn_internal.h"

struct nn__oprec {
	nn__eval_fn eval; /* kernel */
	void *data;       /* prepared op data (persistent part) */
	void *scratch;    /* scratch buffer (activation region) or NULL */
	int32_t code;     /* builtin code, for the profiler */
	int32_t out;      /* first output tensor, for the profiler */
};

struct nn_interp {
	const struct nn_model *m; /* borrowed */
	void **tdata;             /* per tensor: data pointer or NULL if unused */
	struct nn__oprec *ops;    /* n_ops records */
	nn_op_cb cb;              /* profiler, or NULL */
	nn_clock_fn clock;        /* profiler clock, or NULL */
	void *cb_arg;             /* profiler context */
};

size_t
nn__interp_fixed_size(const struct nn_model *m)
{
	return NN__ALIGN(sizeof(struct nn_interp), 8) +
	       NN__ALIGN((size_t)m->n_tensors * sizeof(void *), 8) +
	       NN__ALIGN((size_t)m->n_ops * sizeof(struct nn__oprec), 8);
}

int
nn_interp_bind(const struct nn_model *m, void *arena, size_t size, struct nn_interp **ret,
               char *msg, size_t msg_len)
{
	struct nn__plan_ent ents[NN_MAX_ACT_TENSORS];
	struct nn_model tmp;
	struct nn_interp *ip;
	uint8_t *base = arena, *cur, *act, *pend;
	int n, i, op, r;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!m || !m->buf || !ret)
		return nn__err(msg, msg_len, NN_EINVAL, "model not open", NN__NOVAL, NULL);
	if (!arena)
		return nn__err(msg, msg_len, NN_EINVAL, "no arena", NN__NOVAL, NULL);
	if (((uintptr_t)arena & (NN_ARENA_ALIGN - 1)) != 0)
		return nn__err(msg, msg_len, NN_EALIGN, "arena not aligned to ", NN_ARENA_ALIGN,
		               " bytes");
	if (size < m->arena_bytes)
		return nn__err(msg, msg_len, NN_ENOMEM, "arena too small: model needs ",
		               (int64_t)m->arena_bytes, " bytes");

	/* Same walk as at open: gives the same plan. */
	tmp = *m;
	n = nn__analyze(&tmp, ents, NN_MAX_ACT_TENSORS, 1, msg, msg_len);
	if (n < 0)
		return n;
	if (tmp.arena_bytes != m->arena_bytes)
		return nn__err(msg, msg_len, NN_EINVAL, "model changed since open", NN__NOVAL,
		               NULL);

	ip = (struct nn_interp *)(void *)base;
	memset(ip, 0, sizeof(*ip));
	ip->m = m;
	cur = base + NN__ALIGN(sizeof(struct nn_interp), 8);
	ip->tdata = (void **)(void *)cur;
	cur += NN__ALIGN((size_t)m->n_tensors * sizeof(void *), 8);
	ip->ops = (struct nn__oprec *)(void *)cur;
	cur += NN__ALIGN((size_t)m->n_ops * sizeof(struct nn__oprec), 8);
	pend = base + m->persistent_bytes;
	act = pend;

	for (i = 0; i < m->n_tensors; i++) {
		struct nn__tinfo ti;

		ip->tdata[i] = NULL;
		if (nn__tensor(m, i, &ti, NULL, 0) == NN_OK && ti.cdata)
			ip->tdata[i] = (void *)(uintptr_t)ti.cdata;
	}
	for (i = 0; i < n; i++)
		if (ents[i].tensor >= 0)
			ip->tdata[ents[i].tensor] = act + ents[i].off;

	for (op = 0; op < m->n_ops; op++) {
		struct nn__ctx c;
		const struct nn__kernel *kn;
		struct nn__oprec *rec = &ip->ops[op];

		memset(&c, 0, sizeof(c));
		c.m = m;
		c.op = op;
		c.msg = msg;
		c.msg_len = msg_len;
		c.tdata = ip->tdata;
		c.validated = 1;
		if (nn__op(m, op, &c.oi) < 0 || !(kn = nn__kernel_find(c.oi.code)))
			return nn__err(msg, msg_len, NN_EMODEL, "op ", op, ": changed since open");
		r = kn->prepare(&c); /* measure */
		if (r < 0)
			return c.err ? c.err : r;
		if (c.data_size > (size_t)(pend - cur))
			return nn__err(msg, msg_len, NN_EMODEL, "op ", op,
			               ": data outgrew the plan");
		c.data = c.data_size ? cur : NULL;
		if (c.data) {
			r = kn->prepare(&c); /* fill */
			if (r < 0)
				return c.err ? c.err : r;
		}
		rec->eval = kn->eval;
		rec->data = c.data;
		rec->scratch = NULL;
		rec->code = c.oi.code;
		rec->out = nn__op_out(m, &c.oi, 0);
		cur += NN__ALIGN(c.data_size, 8);
	}
	for (i = 0; i < n; i++)
		if (ents[i].tensor < 0)
			ip->ops[ents[i].op].scratch = act + ents[i].off;
	*ret = ip;
	return NN_OK;
}

const struct nn_model *
nn_interp_model(const struct nn_interp *ip)
{
	return ip ? ip->m : NULL;
}

int
nn_interp_tensor(const struct nn_interp *ip, int index, struct nn_tensor *ret)
{
	int r;

	if (!ip)
		return NN_EINVAL;
	r = nn_model_tensor(ip->m, index, ret);
	if (r < 0)
		return r;
	ret->data = ip->tdata[index];
	return NN_OK;
}

int
nn_interp_input(const struct nn_interp *ip, int i, struct nn_tensor *ret)
{
	if (!ip || i < 0 || i >= ip->m->n_inputs)
		return NN_EINVAL;
	return nn_interp_tensor(ip, (int)nn__rd32(ip->m->buf + ip->m->inputs + 4u * (uint32_t)i),
	                        ret);
}

int
nn_interp_output(const struct nn_interp *ip, int i, struct nn_tensor *ret)
{
	if (!ip || i < 0 || i >= ip->m->n_outputs)
		return NN_EINVAL;
	return nn_interp_tensor(ip, (int)nn__rd32(ip->m->buf + ip->m->outputs + 4u * (uint32_t)i),
	                        ret);
}

void
nn_interp_set_profiler(struct nn_interp *ip, nn_op_cb cb, nn_clock_fn clock, void *arg)
{
	if (!ip)
		return;
	ip->cb = cb;
	ip->clock = cb ? clock : NULL;
	ip->cb_arg = arg;
}

int
nn_invoke(struct nn_interp *ip)
{
	int op, n;

	if (!ip)
		return NN_EINVAL;
	n = ip->m->n_ops;
	if (!ip->cb) {
		for (op = 0; op < n; op++)
			ip->ops[op].eval(ip->ops[op].data, ip->ops[op].scratch);
		return NN_OK;
	}
	for (op = 0; op < n; op++) {
		const struct nn__oprec *rec = &ip->ops[op];
		uint32_t t0 = ip->clock ? ip->clock(ip->cb_arg) : 0, ticks = 0;
		struct nn_tensor view;

		rec->eval(rec->data, rec->scratch);
		if (ip->clock)
			ticks = ip->clock(ip->cb_arg) - t0;
		if (nn_interp_tensor(ip, rec->out, &view) < 0)
			memset(&view, 0, sizeof(view));
		ip->cb(ip->cb_arg, op, rec->code, &view, ticks);
	}
	return NN_OK;
}
