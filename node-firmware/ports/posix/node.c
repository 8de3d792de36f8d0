/*
 * node.c: the HAL (ports/port.h) for one simulated node, its boot and reboot,
 * and the wake-time heap that schedules all nodes on the one loop.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ports/posix/sim.h"

uint64_t
sim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
sim_now_ms(void)
{
	return sim_now_us() / 1000u;
}

/* ---- the wake-time heap ---- */

static int
heap_less(struct sim *s, uint32_t a, uint32_t b)
{
	return s->nodes[s->heap[a]].wake_ms < s->nodes[s->heap[b]].wake_ms;
}

static void
heap_swap(struct sim *s, uint32_t a, uint32_t b)
{
	uint32_t t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->nodes[s->heap[a]].heap_pos = a;
	s->nodes[s->heap[b]].heap_pos = b;
}

static void
heap_fix(struct sim *s, uint32_t i)
{
	while (i > 0 && heap_less(s, i, (i - 1) / 2)) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->heap_n && heap_less(s, l, m))
			m = l;
		if (r < s->heap_n && heap_less(s, r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(s, i, m);
		i = m;
	}
}

void
pnode_schedule(struct sim *s, struct pnode *pn, uint64_t wake_ms)
{
	if (pn->reboot_at_ms != 0 && pn->reboot_at_ms < wake_ms)
		wake_ms = pn->reboot_at_ms;
	pn->wake_ms = wake_ms;
	heap_fix(s, pn->heap_pos);
}

/* ---- the HAL ---- */

static uint64_t
p_now_us(void *ctx)
{
	return sim_now_us();
}

static void
p_random(void *ctx, uint8_t *buf, size_t n)
{
	struct pnode *pn = ctx;
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t v = sensor_mix(&pn->rng);
		size_t k = n - i < 8 ? n - i : 8;
		memcpy(buf + i, &v, k);
	}
}

static int
p_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct pnode *pn = ctx;

	return link_send_frame(pn->sim, pn, frame, len);
}

static void
p_flash_info(void *ctx, struct port_flash_info *ret)
{
	struct pnode *pn = ctx;

	ret->size = pn->flash.size;
	ret->sector_size = pn->flash.sector;
}

static int
p_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	return pflash_read(&((struct pnode *)ctx)->flash, off, buf, len);
}

static int
p_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	return pflash_write(&((struct pnode *)ctx)->flash, off, buf, len);
}

static int
p_erase(void *ctx, uint32_t off, size_t len)
{
	return pflash_erase(&((struct pnode *)ctx)->flash, off, len);
}

/*
 * Slot models are shared by hash: the first node to map a model reads it into
 * a process-wide cache and every later node with the same SHA-256 gets the same
 * bytes. The cache is small (models distinct in one run) and lives until exit.
 */

static const uint8_t *
p_map(void *ctx, uint32_t off, uint32_t len, const uint8_t sha256[32])
{
	struct pnode *pn = ctx;
	struct model_cache *c;

	for (c = pn->sim->model_cache; c != NULL; c = c->next)
		if (c->len == len && memcmp(c->sha, sha256, 32) == 0)
			return c->bytes;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->bytes = aligned_alloc(16, (len + 15) / 16 * 16);
	if (c->bytes == NULL || pflash_read(&pn->flash, off, c->bytes, len) < 0) {
		free(c->bytes);
		free(c);
		return NULL;
	}
	memcpy(c->sha, sha256, 32);
	c->len = len;
	c->next = pn->sim->model_cache;
	pn->sim->model_cache = c;
	return c->bytes;
}

static int
p_sensor(void *ctx, const struct port_sensor_req *req, uint8_t *buf, size_t len)
{
	struct pnode *pn = ctx;

	return sensor_fill(pn->sim->o.seed, pn->a.node_id, req, buf, len, &pn->sim->replay);
}

static int
p_sensors(void *ctx, struct port_sensor_desc *ret, int max)
{
	if (max < 1)
		return 0;
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "sim-input");
	ret->rate_mhz = 1000000;
	ret->channels = 1;
	return 1;
}

static void
p_status(void *ctx, struct port_status *ret)
{
	struct pnode *pn = ctx;
	uint64_t up = (sim_now_ms() - pn->sim->start_ms) / 1000;

	ret->battery_mv = 3300 - (uint32_t)(up / 60 < 600 ? up / 60 : 600) - pn->a.node_id % 100;
	ret->rssi_dbm = -55 - (int32_t)(pn->a.node_id % 40);
	ret->free_memory = 0;
}

static enum port_reset_reason
p_reset_reason(void *ctx)
{
	return (enum port_reset_reason)((struct pnode *)ctx)->boot_reason;
}

static void
p_reset(void *ctx, enum port_reset_reason why)
{
	struct pnode *pn = ctx;

	pn->reset_pending = 1;
	pn->reset_why = (uint8_t)why;
}

static void
p_log(void *ctx, enum port_log_level level, const char *msg, int64_t value)
{
	struct pnode *pn = ctx;

	if ((int)level <= pn->sim->o.log_level)
		fprintf(stderr, "<%d>node %u: %s %lld\n", (int)level, pn->a.node_id, msg,
		        (long long)value);
}

static int
p_hook(void *ctx, const uint8_t sha256[32], uint32_t *ret_extra_us)
{
	struct pnode *pn = ctx;
	const struct sim_opts *o = &pn->sim->o;
	char hex[65];
	int i;

	if (!pn->faulty)
		return 0;
	*ret_extra_us = o->slow_ms * 1000u;
	if (o->crash_prefix[0] != '\0') {
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
		if (strncmp(hex, o->crash_prefix, strlen(o->crash_prefix)) == 0) {
			p_reset(ctx, PORT_RESET_FAULT);
			return 1;
		}
	}
	return 0;
}

const struct port_ops pnode_ops = {
        .now_us = p_now_us,
        .random = p_random,
        .link_send = p_send,
        .flash_info = p_flash_info,
        .flash_read = p_read,
        .flash_write = p_write,
        .flash_erase = p_erase,
        .flash_map = p_map,
        .sensor_read = p_sensor,
        .sensors = p_sensors,
        .status = p_status,
        .reset_reason = p_reset_reason,
        .reset = p_reset,
        .log = p_log,
        .inference_hook = p_hook,
};

/* ---- boot ---- */

struct pnode *
sim_find_node(struct sim *s, uint32_t node_id)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t id = s->nodes[s->by_id[mid]].a.node_id;
		if (id == node_id)
			return &s->nodes[s->by_id[mid]];
		if (id < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * (Re)boots a node: the agent starts over from its flash, as after a real reset.
 * The agent's RAM is wiped by agent_init(); the node id and key come from the
 * provisioning kept in the agent struct across the reboot.
 */
int
pnode_boot(struct sim *s, struct pnode *pn, enum port_reset_reason why)
{
	struct agent_params p;
	uint32_t id = pn->a.node_id;
	uint8_t key[32];
	int r;

	memcpy(key, pn->a.key, 32);
	memset(&p, 0, sizeof(p));
	p.node_id = id;
	memcpy(p.key, key, 32);
	if (s->model_ok) {
		p.builtin_model = s->model_bytes;
		p.builtin_len = s->model_len;
		p.builtin_nn = &s->model;
		p.builtin_sha256 = s->model_sha;
	}
	p.builtin_version = 1;
	p.arena = s->arenas + (size_t)pn->idx * s->arena_need;
	p.arena_len = s->arena_need;
	p.board = "posix-sim";
	p.inference_period_ms = s->o.period_ms;
	p.health_period_ms = s->o.health_ms;
	p.rto_initial_ms = s->o.rto_ms;
	p.rto_max_ms = s->o.rto_max_ms;
	pn->boot_reason = (uint8_t)why;
	pn->reset_pending = 0;
	pn->boots++;
	if (pn->boots > 1)
		s->reboots++;
	r = agent_init(&pn->a, &pnode_ops, pn, &p);
	pn->a.node_id = id; /* kept even when init fails early */
	memcpy(pn->a.key, key, 32);
	pn->booted = r == 0;
	pn->reboot_at_ms =
	        (pn->faulty && s->o.reboot_loop_ms) ? sim_now_ms() + s->o.reboot_loop_ms : 0;
	if (r < 0)
		fprintf(stderr, "<3>node %u: boot failed: %s\n", id, agent_strerror(r));
	return r;
}
