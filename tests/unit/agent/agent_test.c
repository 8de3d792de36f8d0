/*
 * agent_test.c: shared helpers for the agent's unit tests (see agent_test.h).
 */
#include <stdlib.h>
#include <string.h>

#include "agent_test.h"
#include "ports/posix/builtin_model.h"
#include "wire/frame.h"

const uint8_t at_key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static uint8_t *model;
static size_t model_len;
static uint8_t arena[8192] __attribute__((aligned(16)));

const uint8_t *
at_model(size_t *ret_len)
{
	if (model == NULL && builtin_model_build(&model, &model_len) < 0)
		abort();
	*ret_len = model_len;
	return model;
}

void
at_params(struct agent_params *p)
{
	memset(p, 0, sizeof(*p));
	p->node_id = AT_NODE_ID;
	memcpy(p->key, at_key, 32);
	p->builtin_model = at_model(&p->builtin_len);
	p->builtin_version = 1;
	p->arena = arena;
	p->arena_len = sizeof(arena);
	p->inference_period_ms = 1000;
	p->health_period_ms = 10000;
}

int
at_boot(struct agent *a, struct mock_port *m)
{
	struct agent_params p;

	at_params(&p);
	return agent_init(a, &mock_port_ops, m, &p);
}

int
at_open(const struct mock_port *m, int i, struct wire_node_msg *ret, uint64_t *ret_counter)
{
	struct wire_frame_hdr h;
	uint8_t pt[WIRE_MAX_FRAME];
	int n;

	if (i < 0 || i >= m->n_frames)
		return -100;
	n = wire_frame_open(at_key, WIRE_DIR_N2G, m->frames[i], m->frame_len[i], &h, pt,
	                    sizeof(pt));
	if (n < 0)
		return n;
	if (ret_counter != NULL)
		*ret_counter = h.counter;
	return wire_msg_node_decode(pt, (size_t)n, ret);
}

int
at_seal_gw(const struct wire_gw_msg *msg, uint64_t ctr, uint8_t *frame)
{
	uint8_t pt[WIRE_MSG_MAX];
	int n = wire_msg_gw_encode(msg, pt, sizeof(pt));

	if (n < 0)
		return n;
	return wire_frame_seal(at_key, WIRE_DIR_G2N, AT_NODE_ID, ctr, pt, (size_t)n, frame,
	                       WIRE_MAX_FRAME);
}

int
at_find(const struct mock_port *m, int from, enum wire_node_msg_type type,
        struct wire_node_msg *ret)
{
	int i;

	for (i = from; i < m->n_frames; i++)
		if (at_open(m, i, ret, NULL) == 0 && ret->type == type)
			return i;
	return -1;
}
