/*
 * agent.c: boot, the cooperative work loop and gateway messages (see agent.h).
 *
 * Divisions: helpers (time, counters, sealing); model selection and inference;
 * building reportable messages; gateway messages; boot; the step.
 */
#include <string.h>

#include "agent/agent.h"
#include "agent/hash.h"
#include "agent/slots.h"
#include "wire/frame.h"
#include "wire/msg.h"

/* ---- helpers ---- */

const char *
agent_strerror(int err)
{
	switch (err) {
	case AGENT_OK:
		return "success";
	case AGENT_EINVAL:
		return "invalid argument";
	case AGENT_EIO:
		return "flash or link I/O error";
	case AGENT_ENOSPC:
		return "not enough space";
	case AGENT_ECORRUPT:
		return "corrupt flash contents";
	case AGENT_ENOENT:
		return "nothing stored";
	case AGENT_EFULL:
		return "outbox full";
	case AGENT_EMODEL:
		return "model refused by the inference core";
	case AGENT_ENOMEM:
		return "arena too small for the model";
	case AGENT_EWIRE:
		return "frame or message codec error";
	case AGENT_EHALTED:
		return "agent halted for a reset";
	case AGENT_ESENSOR:
		return "sensor gave no sample";
	default:
		return "unknown agent error";
	}
}

size_t
agent_ram_bytes(void)
{
	return sizeof(struct agent);
}

static void
logmsg(struct agent *a, enum port_log_level lvl, const char *msg, int64_t v)
{
	if (a->ops->log != NULL)
		a->ops->log(a->ctx, lvl, msg, v);
}

uint64_t
agent_mono_ms(const struct agent *a, uint64_t now_ms)
{
	return now_ms - a->boot_ms;
}

static uint64_t
unix_ms(const struct agent *a, uint64_t now_ms)
{
	if (!a->synced)
		return 0;
	return (uint64_t)((int64_t)agent_mono_ms(a, now_ms) + a->unix_offset_ms);
}

static int
save_state(struct agent *a)
{
	a->st.gw_counter = a->gw_window.highest;
	if (agent_state_save(a->ops, a->ctx, &a->lay, &a->stlog, &a->st) < 0) {
		a->stats.state_errors++;
		return AGENT_EIO;
	}
	return 0;
}

/*
 * The next frame counter. A new block is reserved in flash BEFORE its first
 * counter is handed out; if that write fails, nothing is sent.
 */
static int
next_counter(struct agent *a, uint64_t *ret)
{
	if (a->counter >= a->counter_limit) {
		a->st.counter_next = a->counter_limit + AGENT_COUNTER_BLOCK;
		if (save_state(a) < 0)
			return AGENT_EIO;
		a->counter_limit += AGENT_COUNTER_BLOCK;
	}
	*ret = a->counter++;
	return 0;
}

/* Seals msg with a fresh counter and hands the frame to the link. */
static int
send_msg(struct agent *a, const uint8_t *msg, size_t len)
{
	uint8_t frame[WIRE_MAX_FRAME];
	uint64_t ctr;
	int n;

	if (next_counter(a, &ctr) < 0) {
		a->stats.send_errors++;
		return AGENT_EIO;
	}
	n = wire_frame_seal(a->key, WIRE_DIR_N2G, a->node_id, ctr, msg, len, frame, sizeof(frame));
	if (n < 0) {
		a->stats.send_errors++;
		return AGENT_EWIRE;
	}
	if (a->ops->link_send(a->ctx, frame, (size_t)n) < 0) {
		a->stats.send_errors++;
		return AGENT_EIO;
	}
	a->stats.frames_sent++;
	return 0;
}

/* A kept message plus its seq floor must fit one frame's plaintext. */
typedef char agent_msg_max_check[AGENT_MSG_MAX + WIRE_MSG_SEQ_FLOOR_MAX <= WIRE_MSG_MAX ? 1 : -1];

/*
 * (Re)transmits an outbox entry: its kept encoding plus the outbox's seq floor
 * as it is now, so every frame, retransmissions included, tells the gateway
 * which seqs the node will never send again.
 */
static int
send_entry(struct agent *a, const struct agent_outbox_entry *e)
{
	uint8_t pt[AGENT_MSG_MAX + WIRE_MSG_SEQ_FLOOR_MAX];
	int n;

	memcpy(pt, e->msg, e->len);
	n = wire_msg_node_append_seq_floor(pt, e->len, sizeof(pt), agent_outbox_floor(&a->ob));
	if (n < 0) {
		a->stats.send_errors++;
		return AGENT_EWIRE;
	}
	return send_msg(a, pt, (size_t)n);
}

/* Copies a NUL-terminated string into dst[cap], truncating; dst always ends in NUL. */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static int32_t
wire_reset_reason(enum port_reset_reason r)
{
	switch (r) {
	case PORT_RESET_POWER_ON:
		return WIRE_RESET_POWER_ON;
	case PORT_RESET_SOFTWARE:
		return WIRE_RESET_SOFTWARE;
	case PORT_RESET_WATCHDOG:
		return WIRE_RESET_WATCHDOG;
	case PORT_RESET_FAULT:
		return WIRE_RESET_FAULT;
	case PORT_RESET_BROWNOUT:
		return WIRE_RESET_BROWNOUT;
	default:
		return WIRE_RESET_UNKNOWN;
	}
}

/* ---- model selection and inference ---- */

/* Binds mp to the arena; 0 or AGENT_ENOMEM / AGENT_EMODEL. */
static int
bind_model(struct agent *a, const struct nn_model *mp)
{
	struct nn_interp *ip = NULL;
	int r;

	if (a->arena == NULL || nn_model_arena_size(mp) > a->arena_len)
		return AGENT_ENOMEM;
	r = nn_interp_bind(mp, a->arena, a->arena_len, &ip, NULL, 0);
	if (r == NN_ENOMEM)
		return AGENT_ENOMEM;
	if (r < 0)
		return AGENT_EMODEL;
	a->mp = mp;
	a->ip = ip;
	return 0;
}

/* Tries to run slot idx; on success the agent runs it. */
static int
try_slot(struct agent *a, unsigned idx)
{
	struct agent_slot_info info;
	const uint8_t *bytes;
	int r;

	r = agent_slot_read(a->ops, a->ctx, &a->lay, idx, &info);
	if (r < 0)
		return r;
	if (info.failed != 0xffffffffu)
		return AGENT_ECORRUPT;
	r = agent_slot_verify(a->ops, a->ctx, &a->lay, idx, &info);
	if (r < 0)
		return r;
	if (a->ops->flash_map == NULL)
		return AGENT_EMODEL;
	bytes = a->ops->flash_map(a->ctx, a->lay.slot_off[idx] + AGENT_SLOT_HDR_BYTES, info.size,
	                          info.sha256);
	if (bytes == NULL)
		return AGENT_EIO;
	if (nn_model_open(&a->model, bytes, info.size, NULL, 0) < 0)
		return AGENT_EMODEL;
	r = bind_model(a, &a->model);
	if (r < 0)
		return r;
	a->model_id = info.model_id;
	a->model_version = info.model_version;
	a->model_slot = idx;
	memcpy(a->model_sha, info.sha256, 32);
	return 0;
}

static int
try_builtin(struct agent *a)
{
	const struct nn_model *mp = a->builtin_nn;
	int r;

	if (mp == NULL) {
		if (a->builtin == NULL)
			return AGENT_ENOENT;
		if (nn_model_open(&a->model, a->builtin, a->builtin_len, NULL, 0) < 0)
			return AGENT_EMODEL;
		mp = &a->model;
	}
	r = bind_model(a, mp);
	if (r < 0)
		return r;
	a->model_id = AGENT_BUILTIN_MODEL_ID;
	a->model_version = a->builtin_version;
	a->model_slot = AGENT_SLOT_BUILTIN;
	memcpy(a->model_sha, a->builtin_sha, 32);
	return 0;
}

/*
 * Boot's model choice: the active slot, else the other slot, else the built-in
 * model. A slot that had a header but could not run is marked failed.
 */
static void
select_model(struct agent *a)
{
	uint32_t want = a->st.active_slot, chosen = AGENT_SLOT_BUILTIN;
	unsigned order[2], n = 0, i;
	int r;

	a->mp = NULL;
	a->ip = NULL;
	a->model_error = 0;
	if (want == 0 || want == 1) {
		order[n++] = want;
		order[n++] = want ^ 1u;
	}
	for (i = 0; i < n; i++) {
		unsigned idx = order[i];
		if (idx == want && !a->st.confirmed && a->st.trial_boots > AGENT_TRIAL_BOOTS_MAX) {
			/* It keeps resetting the node before its first good inference. */
			(void)agent_slot_mark_failed(a->ops, a->ctx, &a->lay, idx);
			a->model_error = AGENT_EMODEL;
			logmsg(a, PORT_LOG_WARN, "slot crash-looped, marked failed", (int64_t)idx);
			continue;
		}
		r = try_slot(a, idx);
		if (r == 0) {
			chosen = idx;
			break;
		}
		if (r != AGENT_ENOENT) {
			if (r != AGENT_EIO)
				(void)agent_slot_mark_failed(a->ops, a->ctx, &a->lay, idx);
			if (idx == want)
				a->model_error = r;
			logmsg(a, PORT_LOG_WARN, "slot unusable, falling back", (int64_t)r);
		}
	}
	if (a->mp == NULL) {
		r = try_builtin(a);
		if (r < 0) {
			if (a->model_error == 0)
				a->model_error = r;
			logmsg(a, PORT_LOG_ERR, "no runnable model", (int64_t)r);
		}
	}
	if (want != AGENT_SLOT_BUILTIN && chosen != want) {
		a->stats.fallbacks++;
		a->st.active_slot = chosen;
		a->st.confirmed = 1;
		a->st.trial_boots = 0;
		(void)save_state(a);
	}
}

/* Reads an element of a quantized output tensor as an int32. */
static int32_t
out_val(const struct nn_tensor *t, size_t i)
{
	const uint8_t *d = t->data;

	switch (t->type) {
	case NN_INT8:
		return (int8_t)d[i];
	case NN_UINT8:
		return d[i];
	case NN_INT16:
		return (int16_t)(uint16_t)(d[2 * i] | d[2 * i + 1] << 8);
	case NN_INT32:
		return (int32_t)((uint32_t)d[4 * i] | (uint32_t)d[4 * i + 1] << 8 |
		                 (uint32_t)d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24);
	default:
		return 0;
	}
}

static size_t
elem_size(int32_t type)
{
	switch (type) {
	case NN_INT16:
		return 2;
	case NN_INT32:
	case NN_FLOAT32:
		return 4;
	default:
		return 1;
	}
}

static int push_msg(struct agent *a, struct wire_node_msg *m, enum agent_msg_kind kind,
                    uint64_t now_ms);

/* One inference: sample, invoke, report. */
static void
run_inference(struct agent *a, uint64_t now_ms)
{
	struct wire_node_msg m;
	struct wire_msg_inference *inf = &m.u.inference;
	struct port_sensor_req req;
	struct nn_tensor in, out;
	uint32_t extra = 0, lat;
	uint64_t t0, t1;
	size_t n, i, best = 0;
	int d;

	if (a->ip == NULL)
		return;
	if (a->ops->inference_hook != NULL &&
	    a->ops->inference_hook(a->ctx, a->model_sha, &extra)) {
		a->halted = 1; /* the port simulated a crash and will reboot us */
		return;
	}
	if (nn_interp_input(a->ip, 0, &in) < 0 || in.data == NULL) {
		a->stats.infer_errors++;
		return;
	}
	memset(&req, 0, sizeof(req));
	req.ndims = (uint8_t)(in.ndim < 1 ? 1 : (in.ndim > 4 ? 4 : in.ndim));
	for (d = 0; d < 4; d++)
		req.dims[d] = 1;
	if (in.ndim > 4) {
		/* Fold leading dims into the first one. */
		uint32_t lead = 1;
		for (d = 0; d < in.ndim - 3; d++)
			lead *= (uint32_t)in.dims[d];
		req.dims[0] = lead;
		for (d = 1; d < 4; d++)
			req.dims[d] = (uint32_t)in.dims[in.ndim - 4 + d];
	} else {
		for (d = 0; d < in.ndim; d++)
			req.dims[d] = (uint32_t)in.dims[d];
	}
	req.dtype = in.type == NN_UINT8 ? 1 : (in.type == NN_INT16 ? 2 : 0);
	req.scale = in.scale;
	req.zero_point = in.zero_point;
	req.sample = a->sample++;
	if (a->ops->sensor_read(a->ctx, &req, in.data, in.bytes) < 0) {
		a->stats.infer_errors++;
		return;
	}
	t0 = a->ops->now_us(a->ctx);
	if (nn_invoke(a->ip) < 0) {
		a->stats.infer_errors++;
		return;
	}
	t1 = a->ops->now_us(a->ctx);
	lat = (uint32_t)(t1 - t0) + extra;
	a->stats.inferences++;
	a->stats.lat_sum_us += lat;
	a->stats.lat_n++;
	if (lat > a->stats.lat_max_us)
		a->stats.lat_max_us = lat;
	if (a->model_slot != AGENT_SLOT_BUILTIN && !a->st.confirmed) {
		a->st.confirmed = 1;
		a->st.trial_boots = 0;
		(void)save_state(a);
	}
	if (nn_interp_output(a->ip, 0, &out) < 0 || out.data == NULL) {
		a->stats.infer_errors++;
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	n = out.bytes / elem_size(out.type);
	for (i = 1; i < n; i++)
		if (out_val(&out, i) > out_val(&out, best))
			best = i;
	inf->mono_ms = agent_mono_ms(a, now_ms);
	inf->unix_ms = unix_ms(a, now_ms);
	inf->model_id = a->model_id;
	inf->model_version = a->model_version;
	inf->label = (uint32_t)best;
	inf->n_scores_raw = (uint16_t)(n > WIRE_MSG_SCORES_MAX ? WIRE_MSG_SCORES_MAX : n);
	for (i = 0; i < inf->n_scores_raw; i++)
		inf->scores_raw[i] = out_val(&out, i);
	inf->latency_us = lat;
	inf->score_scale = out.scale;
	inf->score_zero_point = out.zero_point;
	if (a->report_min_permille > 0 && n > 0) {
		float top = out.scale * (float)(out_val(&out, best) - out.zero_point);
		if (top * 1000.0f < (float)a->report_min_permille)
			return; /* below the reporting threshold: counted, not sent */
	}
	if (push_msg(a, &m, AGENT_KIND_INFERENCE, now_ms) == 0)
		a->stats.reported++;
}

/* ---- building reportable messages ---- */

/* Gives m a seq, encodes it and queues it in the outbox. */
static int
push_msg(struct agent *a, struct wire_node_msg *m, enum agent_msg_kind kind, uint64_t now_ms)
{
	uint8_t buf[AGENT_MSG_MAX];
	uint32_t seq = agent_outbox_take_seq(&a->ob);
	int n, r;

	switch (m->type) {
	case WIRE_NODE_HELLO:
		m->u.hello.seq = seq;
		break;
	case WIRE_NODE_INFERENCE:
		m->u.inference.seq = seq;
		break;
	case WIRE_NODE_HEALTH:
		m->u.health.seq = seq;
		break;
	case WIRE_NODE_MODEL_STATUS:
		m->u.model_status.seq = seq;
		break;
	default:
		return AGENT_EINVAL;
	}
	n = wire_msg_node_encode(m, buf, sizeof(buf));
	if (n < 0) {
		logmsg(a, PORT_LOG_ERR, "message encode failed", n);
		/* The seq is burnt; count it as a drop so the gap is explained. */
		a->ob.drops++;
		return AGENT_EWIRE;
	}
	r = agent_outbox_push(&a->ob, seq, kind, buf, (size_t)n, (uint32_t)now_ms);
	if (r == 1 || r == AGENT_EFULL) {
		a->st.drops_total++;
		logmsg(a, PORT_LOG_WARN, "outbox full, dropped oldest inference", a->ob.drops);
	}
	return r < 0 ? r : 0;
}

static void
queue_hello(struct agent *a, uint64_t now_ms)
{
	struct wire_node_msg m;
	struct wire_msg_hello *h = &m.u.hello;
	struct port_sensor_desc sd[WIRE_MSG_SENSORS_MAX];
	int32_t ops[WIRE_MSG_OPS_MAX];
	int n, i;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_HELLO;
	copy_str(h->firmware, sizeof(h->firmware), a->firmware);
	copy_str(h->board, sizeof(h->board), a->board);
	h->core_version = (uint32_t)NN_VERSION << 16;
	n = nn_supported_ops(ops, WIRE_MSG_OPS_MAX);
	if (n > WIRE_MSG_OPS_MAX)
		n = WIRE_MSG_OPS_MAX;
	for (i = 0; i < n; i++)
		h->ops[i] = (uint32_t)ops[i];
	h->n_ops = (uint16_t)(n < 0 ? 0 : n);
	h->arena_bytes = (uint32_t)a->arena_len;
	h->slot_size = agent_slot_capacity(&a->lay);
	h->slots = 2;
	h->mono_ms = agent_mono_ms(a, now_ms);
	h->reset_reason = wire_reset_reason(a->reset_reason);
	n = a->ops->sensors != NULL ? a->ops->sensors(a->ctx, sd, WIRE_MSG_SENSORS_MAX) : 0;
	if (n > WIRE_MSG_SENSORS_MAX)
		n = WIRE_MSG_SENSORS_MAX;
	for (i = 0; i < n; i++) {
		copy_str(h->sensors[i].name, sizeof(h->sensors[i].name), sd[i].name);
		h->sensors[i].rate_mhz = sd[i].rate_mhz;
		h->sensors[i].channels = sd[i].channels;
	}
	h->n_sensors = (uint16_t)(n < 0 ? 0 : n);
	(void)push_msg(a, &m, AGENT_KIND_HELLO, now_ms);
}

static void
queue_status(struct agent *a, uint64_t now_ms)
{
	struct wire_node_msg m;
	struct wire_msg_model_status *s = &m.u.model_status;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_MODEL_STATUS;
	for (i = 0; i < 2; i++) {
		struct agent_slot_info info;
		struct wire_msg_slot *sl = &s->slots[i];
		int r = agent_slot_read(a->ops, a->ctx, &a->lay, i, &info);
		sl->index = i;
		if (r == 0) {
			sl->model_id = info.model_id;
			sl->model_version = info.model_version;
			sl->size_bytes = info.size;
			if (info.failed != 0xffffffffu)
				sl->state = WIRE_SLOT_FAILED;
			else if (a->model_slot == i)
				sl->state = WIRE_SLOT_ACTIVE;
			else
				sl->state = WIRE_SLOT_READY;
		} else {
			sl->state = r == AGENT_ENOENT ? WIRE_SLOT_EMPTY : WIRE_SLOT_FAILED;
		}
	}
	s->n_slots = 2;
	/* active_slot is meaningful only when a slot is ACTIVE; 2 says "built-in". */
	s->active_slot = a->model_slot == AGENT_SLOT_BUILTIN ? 2 : a->model_slot;
	s->last_error = a->model_error;
	s->mono_ms = agent_mono_ms(a, now_ms);
	(void)push_msg(a, &m, AGENT_KIND_STATUS, now_ms);
}

static void
queue_health(struct agent *a, uint64_t now_ms)
{
	struct wire_node_msg m;
	struct wire_msg_health *h = &m.u.health;
	struct port_status ps;
	size_t used = a->mp != NULL ? nn_model_arena_size(a->mp) : 0;

	memset(&ps, 0, sizeof(ps));
	if (a->ops->status != NULL)
		a->ops->status(a->ctx, &ps);
	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_HEALTH;
	h->mono_ms = agent_mono_ms(a, now_ms);
	h->unix_ms = unix_ms(a, now_ms);
	h->battery_mv = ps.battery_mv;
	h->rssi_dbm = ps.rssi_dbm;
	h->uptime_s = (uint32_t)(agent_mono_ms(a, now_ms) / 1000);
	h->reboots = a->st.boots;
	h->reset_reason = wire_reset_reason(a->reset_reason);
	h->free_mem_bytes =
	        ps.free_memory + (uint32_t)(a->arena_len > used ? a->arena_len - used : 0);
	h->inferences = a->stats.inferences;
	h->latency_mean_us = a->stats.lat_n ? (uint32_t)(a->stats.lat_sum_us / a->stats.lat_n) : 0;
	h->latency_max_us = a->stats.lat_max_us;
	h->inference_errors = a->stats.infer_errors;
	h->outbox_depth = a->ob.count;
	h->outbox_drops = a->ob.drops;
	h->retransmits = a->ob.retransmits;
	h->frames_rejected = a->stats.frames_rejected;
	a->stats.lat_sum_us = 0;
	a->stats.lat_n = 0;
	a->stats.lat_max_us = 0;
	(void)push_msg(a, &m, AGENT_KIND_HEALTH, now_ms);
}

/* ---- gateway messages ---- */

/* v, or dflt when v is 0, clamped to [lo, hi]: a gateway cannot make the node spin. */
static uint32_t
setting(uint32_t v, uint32_t dflt, uint32_t lo, uint32_t hi)
{
	if (v == 0)
		v = dflt;
	return v < lo ? lo : (v > hi ? hi : v);
}

static void
apply_config(struct agent *a, uint64_t now_ms)
{
	const struct agent_state *s = &a->st;
	uint32_t rto;

	a->infer_ms = setting(s->inference_period_ms, a->def_infer_ms, AGENT_MIN_INFERENCE_MS,
	                      AGENT_MAX_PERIOD_MS);
	a->health_ms = setting(s->health_period_ms, a->def_health_ms, AGENT_MIN_HEALTH_MS,
	                       AGENT_MAX_PERIOD_MS);
	a->status_ms = setting(s->status_period_ms, AGENT_DEFAULT_STATUS_MS, AGENT_MIN_STATUS_MS,
	                       AGENT_MAX_PERIOD_MS);
	a->report_min_permille = s->report_min_permille > 1000 ? 1000 : s->report_min_permille;
	a->battery_low_mv = s->battery_low_mv;
	rto = setting(s->rto_initial_ms, a->def_rto_initial ? a->def_rto_initial : 1000,
	              AGENT_MIN_RTO_MS, AGENT_MAX_RTO_MS);
	agent_outbox_set_rto(&a->ob, rto,
	                     setting(s->rto_max_ms, a->def_rto_max ? a->def_rto_max : 60000, rto,
	                             AGENT_MAX_RTO_MS));
	if (a->next_infer_ms > now_ms + a->infer_ms)
		a->next_infer_ms = now_ms + a->infer_ms;
	if (a->next_health_ms > now_ms + a->health_ms)
		a->next_health_ms = now_ms + a->health_ms;
	if (a->next_status_ms > now_ms + a->status_ms)
		a->next_status_ms = now_ms + a->status_ms;
}

static void
on_config(struct agent *a, const struct wire_msg_config *c, uint64_t now_ms)
{
	struct agent_state *s = &a->st;

	if (s->inference_period_ms == c->inference_period_ms &&
	    s->health_period_ms == c->health_period_ms &&
	    s->status_period_ms == c->status_period_ms &&
	    s->report_min_permille == c->report_min_score_permille &&
	    s->rto_initial_ms == c->retransmit_initial_ms &&
	    s->rto_max_ms == c->retransmit_max_ms && s->battery_low_mv == c->battery_low_mv &&
	    s->config_version == c->config_version)
		return; /* a duplicate: nothing to write */
	s->inference_period_ms = c->inference_period_ms;
	s->health_period_ms = c->health_period_ms;
	s->status_period_ms = c->status_period_ms;
	s->report_min_permille = c->report_min_score_permille;
	s->rto_initial_ms = c->retransmit_initial_ms;
	s->rto_max_ms = c->retransmit_max_ms;
	s->battery_low_mv = c->battery_low_mv;
	s->config_version = c->config_version;
	(void)save_state(a);
	apply_config(a, now_ms);
	logmsg(a, PORT_LOG_INFO, "config applied, version", c->config_version);
}

int
agent_on_frame(struct agent *a, const uint8_t *frame, size_t len, uint64_t now_ms)
{
	struct wire_frame_hdr hdr;
	struct wire_gw_msg m;
	uint8_t pt[WIRE_MAX_FRAME];
	int n;

	if (a->halted)
		return AGENT_EHALTED;
	if (wire_frame_parse(frame, len, &hdr) < 0) {
		a->stats.frames_rejected++;
		return AGENT_EWIRE;
	}
	if (hdr.node_id != a->node_id) {
		a->stats.frames_rejected++;
		return AGENT_EINVAL;
	}
	n = wire_frame_receive(a->key, WIRE_DIR_G2N, &a->gw_window, frame, len, &hdr, pt,
	                       sizeof(pt));
	if (n < 0) {
		a->stats.frames_rejected++;
		return AGENT_EWIRE;
	}
	a->stats.frames_received++;
	n = wire_msg_gw_decode(pt, (size_t)n, &m);
	if (n < 0) {
		if (n == WIRE_ETYPE)
			a->stats.unknown_msgs++;
		else
			a->stats.frames_rejected++;
		return AGENT_EWIRE;
	}
	switch (m.type) {
	case WIRE_GW_ACK:
		a->stats.acks++;
		(void)agent_outbox_ack(&a->ob, m.u.ack.cumulative, m.u.ack.sack_bitmap);
		break;
	case WIRE_GW_TIME_SYNC: {
		uint64_t mono = agent_mono_ms(a, now_ms);
		int64_t off = (int64_t)m.u.time_sync.unix_ms - (int64_t)mono;
		if (m.u.time_sync.echo_mono_ms != 0 && m.u.time_sync.echo_mono_ms <= mono)
			off += (int64_t)(mono - m.u.time_sync.echo_mono_ms) / 2;
		a->unix_offset_ms = off;
		a->synced = 1;
		break;
	}
	case WIRE_GW_CONFIG:
		on_config(a, &m.u.config, now_ms);
		break;
	default:
		/* ModelOffer, Chunk, Activate, Rollback: the rollout issue. */
		a->stats.unknown_msgs++;
		break;
	}
	return 0;
}

/* ---- boot ---- */

int
agent_init(struct agent *a, const struct port_ops *ops, void *ctx, const struct agent_params *p)
{
	struct port_flash_info fi;
	uint64_t now_ms;
	uintptr_t al;
	int r;

	if (a == NULL || ops == NULL || p == NULL || ops->now_us == NULL ||
	    ops->link_send == NULL || ops->flash_info == NULL || ops->flash_read == NULL ||
	    ops->flash_write == NULL || ops->flash_erase == NULL || ops->sensor_read == NULL ||
	    p->node_id == 0)
		return AGENT_EINVAL;
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->ctx = ctx;
	a->node_id = p->node_id;
	memcpy(a->key, p->key, 32);
	a->builtin = p->builtin_model;
	a->builtin_len = p->builtin_len;
	a->builtin_nn = p->builtin_nn;
	a->builtin_version = p->builtin_version;
	if (p->builtin_sha256 != NULL)
		memcpy(a->builtin_sha, p->builtin_sha256, 32);
	a->firmware = p->firmware ? p->firmware : AGENT_FIRMWARE_VERSION;
	a->board = p->board ? p->board : "unknown";
	a->def_infer_ms =
	        p->inference_period_ms ? p->inference_period_ms : AGENT_DEFAULT_INFERENCE_MS;
	a->def_health_ms = p->health_period_ms ? p->health_period_ms : AGENT_DEFAULT_HEALTH_MS;
	a->def_rto_initial = p->rto_initial_ms;
	a->def_rto_max = p->rto_max_ms;
	if (p->arena != NULL) {
		al = ((uintptr_t)p->arena + NN_ARENA_ALIGN - 1) & ~(uintptr_t)(NN_ARENA_ALIGN - 1);
		if (al - (uintptr_t)p->arena < p->arena_len) {
			a->arena = (uint8_t *)al;
			a->arena_len = p->arena_len - (al - (uintptr_t)p->arena);
		}
	}
	now_ms = ops->now_us(ctx) / 1000;
	a->boot_ms = now_ms;
	a->reset_reason = ops->reset_reason ? ops->reset_reason(ctx) : PORT_RESET_POWER_ON;

	ops->flash_info(ctx, &fi);
	r = agent_layout_compute(&fi, &a->lay);
	if (r < 0)
		return r;

	/* Persistent state and the counter reservation, before anything is sent. */
	r = agent_state_load(ops, ctx, &a->lay, &a->st, &a->stlog);
	if (r < 0 && r != AGENT_ENOENT)
		return r;
	if (r == AGENT_ENOENT)
		a->st.active_slot = AGENT_SLOT_BUILTIN;
	a->counter = a->st.counter_next > 0 ? a->st.counter_next : 1;
	a->counter_limit = a->counter + AGENT_COUNTER_BLOCK;
	a->st.counter_next = a->counter_limit;
	a->st.boots++;
	if (a->st.active_slot != AGENT_SLOT_BUILTIN && !a->st.confirmed)
		a->st.trial_boots++;
	wire_replay_init(&a->gw_window);
	a->gw_window.highest = a->st.gw_counter;
	if (save_state(a) < 0)
		return AGENT_EIO; /* without a reservation the node must not send */

	r = agent_outbox_open(&a->ob, ops, ctx, &a->lay, (uint32_t)now_ms);
	if (r < 0)
		return r;
	a->next_infer_ms = now_ms;
	a->next_health_ms = now_ms + AGENT_DEFAULT_HEALTH_MS; /* clamped by apply_config */
	a->next_status_ms = now_ms + AGENT_DEFAULT_STATUS_MS;
	apply_config(a, now_ms);
	a->next_infer_ms = now_ms + a->infer_ms;
	a->next_health_ms = now_ms + a->health_ms;

	select_model(a);
	queue_hello(a, now_ms);
	queue_status(a, now_ms);
	logmsg(a, PORT_LOG_INFO, "booted, model slot", (int64_t)a->model_slot);
	return 0;
}

/* ---- the step ---- */

uint64_t
agent_step(struct agent *a, uint64_t now_ms)
{
	struct agent_outbox_entry *e;
	uint64_t next;
	uint32_t due;
	int sent = 0;

	if (a->halted)
		return UINT64_MAX;
	if (a->ip != NULL && now_ms >= a->next_infer_ms) {
		a->next_infer_ms += a->infer_ms;
		if (a->next_infer_ms <= now_ms)
			a->next_infer_ms = now_ms + a->infer_ms; /* fell behind: do not burst */
		run_inference(a, now_ms);
		if (a->halted)
			return UINT64_MAX;
	}
	if (a->battery_low_mv != 0 && a->ops->status != NULL) {
		struct port_status ps;
		memset(&ps, 0, sizeof(ps));
		a->ops->status(a->ctx, &ps);
		if (ps.battery_mv != 0 && ps.battery_mv < a->battery_low_mv) {
			if (!a->battery_low) {
				a->battery_low = 1; /* report the crossing at once, once */
				a->next_health_ms = now_ms;
			}
		} else {
			a->battery_low = 0;
		}
	}
	if (now_ms >= a->next_health_ms) {
		a->next_health_ms += a->health_ms;
		if (a->next_health_ms <= now_ms)
			a->next_health_ms = now_ms + a->health_ms;
		queue_health(a, now_ms);
	}
	if (now_ms >= a->next_status_ms || a->status_dirty) {
		a->next_status_ms = now_ms + a->status_ms;
		a->status_dirty = 0;
		queue_status(a, now_ms);
	}
	while (sent < AGENT_SEND_BURST &&
	       (e = agent_outbox_due(&a->ob, (uint32_t)now_ms)) != NULL) {
		(void)send_entry(a, e);
		agent_outbox_sent(&a->ob, e, (uint32_t)now_ms);
		sent++;
	}
	/* Wake again soon if the burst limit left due entries. */
	if (sent == AGENT_SEND_BURST && agent_outbox_due(&a->ob, (uint32_t)now_ms) != NULL)
		return now_ms + 1;
	next = a->next_health_ms;
	if (a->ip != NULL && a->next_infer_ms < next)
		next = a->next_infer_ms;
	if (a->next_status_ms < next)
		next = a->next_status_ms;
	due = agent_outbox_next_due(&a->ob, (uint32_t)now_ms);
	if ((uint64_t)(now_ms + (uint32_t)(due - (uint32_t)now_ms)) < next)
		next = now_ms + (uint32_t)(due - (uint32_t)now_ms);
	return next;
}
