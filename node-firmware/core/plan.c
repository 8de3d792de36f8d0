/*
 * plan.c: ahead-of-time memory plan.
 *
 * Every non-constant tensor an operator touches (and every graph input and
 * output) gets a lifetime [first op, last op]; every op that asks for scratch
 * gets a buffer alive during that op only. Buffers are placed largest first at
 * the lowest offset that overlaps no buffer alive at the same time (TFLM's
 * greedy planner does the same), and the highest end is the activation
 * region. Graph outputs live to the end of invoke; graph inputs from the
 * start, so their bytes are reused once their last reader has run.
 *
 * The same walk runs at open (to size the arena) and at bind (to place the
 * buffers), so the size reported is exactly the size used.
 */
#include <string.h>

#include "core/nn_internal.h"

#define ACT_ALIGN 8

static int
find_or_add(struct nn__plan_ent *ents, int *n, int cap, int32_t t, uint32_t bytes)
{
	int i;

	for (i = 0; i < *n; i++)
		if (ents[i].tensor == t)
			return i;
	if (*n >= cap)
		return NN_ELIMIT;
	ents[*n].tensor = (int16_t)t;
	ents[*n].size = (uint32_t)NN__ALIGN((size_t)bytes, ACT_ALIGN);
	ents[*n].off = 0;
	ents[*n].first = 0xffff;
	ents[*n].last = 0;
	ents[*n].op = 0;
	return (*n)++;
}

static int
use(const struct nn_model *m, struct nn__plan_ent *ents, int *n, int cap, int32_t t, int op,
    char *msg, size_t msg_len)
{
	struct nn__tinfo ti;
	int i;

	if (t < 0)
		return NN_OK;
	if (nn__tensor(m, t, &ti, msg, msg_len) < 0)
		return NN_EMODEL;
	if (ti.cdata)
		return NN_OK;
	i = find_or_add(ents, n, cap, t, ti.bytes);
	if (i < 0)
		return nn__err(msg, msg_len, NN_ELIMIT, "more than ", cap,
		               " activation tensors and scratch buffers");
	if ((uint16_t)op < ents[i].first)
		ents[i].first = (uint16_t)op;
	if ((uint16_t)op > ents[i].last)
		ents[i].last = (uint16_t)op;
	return NN_OK;
}

int
nn__analyze(struct nn_model *m, struct nn__plan_ent *ents, int cap, int validated, char *msg,
            size_t msg_len)
{
	size_t persistent = nn__interp_fixed_size(m);
	int n = 0, op, r;
	uint32_t k;

	for (k = 0; k < m->n_inputs; k++) {
		r = use(m, ents, &n, cap, (int32_t)nn__rd32(m->buf + m->inputs + 4 * k), 0, msg,
		        msg_len);
		if (r < 0)
			return r;
	}
	for (k = 0; k < m->n_outputs; k++) {
		r = use(m, ents, &n, cap, (int32_t)nn__rd32(m->buf + m->outputs + 4 * k), m->n_ops,
		        msg, msg_len);
		if (r < 0)
			return r;
	}
	for (op = 0; op < m->n_ops; op++) {
		struct nn__ctx c;
		const struct nn__kernel *kn;

		memset(&c, 0, sizeof(c));
		c.m = m;
		c.op = op;
		c.msg = msg;
		c.msg_len = msg_len;
		c.validated = validated;
		if (nn__op(m, op, &c.oi) < 0)
			return nn__err(msg, msg_len, NN_EMODEL, "op ", op, ": malformed operator");
		for (k = 0; k < c.oi.in.n; k++) {
			r = use(m, ents, &n, cap, nn__op_in(m, &c.oi, k), op, msg, msg_len);
			if (r < 0)
				return r;
		}
		for (k = 0; k < c.oi.out.n; k++) {
			r = use(m, ents, &n, cap, nn__op_out(m, &c.oi, k), op, msg, msg_len);
			if (r < 0)
				return r;
		}
		kn = nn__kernel_find(c.oi.code);
		if (!kn)
			return nn__op_err(msg, msg_len, op, c.oi.code, NN_ENOTSUP,
			                  "unsupported operator", NN__NOVAL, NULL);
		r = kn->prepare(&c);
		if (r < 0)
			return c.err ? c.err : r;
		if (c.data_size > 0x1000000 || c.scratch_size > 0x7fffffff)
			return nn__op_err(msg, msg_len, op, c.oi.code, NN_ELIMIT,
			                  "op data too large", NN__NOVAL, NULL);
		persistent += NN__ALIGN(c.data_size, 8);
		if (c.scratch_size > 0) {
			if (n >= cap)
				return nn__err(msg, msg_len, NN_ELIMIT, "more than ", cap,
				               " activation tensors and scratch buffers");
			ents[n].tensor = -1;
			ents[n].op = (uint16_t)op;
			ents[n].first = ents[n].last = (uint16_t)op;
			ents[n].size = (uint32_t)NN__ALIGN(c.scratch_size, ACT_ALIGN);
			ents[n].off = 0;
			n++;
		}
	}
	m->n_act = (uint16_t)n;
	m->persistent_bytes = (uint32_t)NN__ALIGN(persistent, NN_ARENA_ALIGN);
	m->activation_bytes = nn__plan(ents, n);
	if ((uint64_t)m->persistent_bytes + m->activation_bytes > 0x7fffffffu)
		return nn__err(msg, msg_len, NN_ELIMIT, "arena above 2 GiB", NN__NOVAL, NULL);
	m->arena_bytes = m->persistent_bytes + m->activation_bytes;
	return n;
}

uint32_t
nn__plan(struct nn__plan_ent *ents, int n)
{
	uint16_t order[NN_MAX_ACT_TENSORS];
	uint32_t top = 0;
	int i, j;

	/* Largest first; ties keep model order (insertion sort is stable). */
	for (i = 0; i < n; i++) {
		uint16_t v = (uint16_t)i;

		for (j = i; j > 0 && ents[order[j - 1]].size < ents[v].size; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	for (i = 0; i < n; i++) {
		struct nn__plan_ent *x = &ents[order[i]];
		uint32_t off = 0;
		int moved;

		/* Bump past every placed, time-overlapping buffer we collide with;
		 * every skipped offset collides, so the result is the lowest fit. */
		do {
			moved = 0;
			for (j = 0; j < i; j++) {
				const struct nn__plan_ent *y = &ents[order[j]];

				if (y->last < x->first || x->last < y->first)
					continue;
				if (off < y->off + y->size && y->off < off + x->size) {
					off = y->off + y->size;
					moved = 1;
				}
			}
		} while (moved);
		x->off = off;
		if (off + x->size > top)
			top = off + x->size;
	}
	return (uint32_t)NN__ALIGN((size_t)top, NN_ARENA_ALIGN);
}
