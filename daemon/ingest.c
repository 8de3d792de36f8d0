/*
 * ingest: staging, group commit, retry with backoff, and the alert glue.
 * See ingest.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "wire/frame.h"

#define INGEST_JSON_MAX   2048
#define INGEST_TOPIC_MAX  512
#define INGEST_CAP_FACTOR 8 /* batch may grow to batch_size * this while the store fails */
#define NOSTR             SIZE_MAX

/* A staged record; its strings are offsets into the batch arena until commit. */
struct staged {
	struct store_rec rec;
	size_t topic, payload, data, s1, s2; /* arena offsets or NOSTR */
};

struct ingest {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *st;
	struct session *sess;
	struct mqtt *mqtt;
	struct alerts *alerts;
	uv_timer_t commit_timer;
	uv_timer_t retry_timer;
	struct staged *recs;
	size_t n, cap;
	struct store_rec *flat; /* resolved copy handed to the store */
	size_t cap_flat;
	char *arena;
	size_t arena_len, arena_cap;
	int retry_ms;
	int64_t last_tick_ms, last_retention_ms, last_reload_ms;
	int retention_idle; /* 1: the last step found nothing to delete */
	int store_alert_raised;
	int closing; /* timers still to close before free */
	int64_t store_dropped_seen;
	struct ingest_stats stats;
};

int64_t
ingest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the batch arena ---- */

static size_t
arena_put(struct ingest *in, const char *s, size_t len)
{
	size_t off;

	if (in->arena_len + len + 1 > in->arena_cap) {
		size_t cap = in->arena_cap ? in->arena_cap : 1 << 16;
		char *na;

		while (cap < in->arena_len + len + 1)
			cap *= 2;
		if ((na = realloc(in->arena, cap)) == NULL)
			return NOSTR;
		in->arena = na;
		in->arena_cap = cap;
	}
	off = in->arena_len;
	memcpy(in->arena + off, s, len);
	in->arena[off + len] = '\0';
	in->arena_len += len + 1;
	return off;
}

static struct staged *
batch_add(struct ingest *in)
{
	struct staged *s;

	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 1024;
		struct staged *nr = realloc(in->recs, cap * sizeof(*nr));

		if (nr == NULL)
			return NULL;
		in->recs = nr;
		in->cap = cap;
	}
	s = &in->recs[in->n];
	memset(s, 0, sizeof(*s));
	s->topic = s->payload = s->data = s->s1 = s->s2 = NOSTR;
	return s;
}

static int
batch_full(const struct ingest *in)
{
	return in->n >= (size_t)in->cfg->batch_size * INGEST_CAP_FACTOR;
}

/* Stores topic and JSON payload of the record (the payload is also the stored data). */
static int
batch_set_pub(struct ingest *in, struct staged *s, const char *topic, const char *json, int len,
              int qos, int retain)
{
	if (len < 0)
		return -ENOSPC;
	if (topic != NULL && (s->topic = arena_put(in, topic, strlen(topic))) == NOSTR)
		return -ENOMEM;
	if ((s->payload = arena_put(in, json, (size_t)len)) == NOSTR)
		return -ENOMEM;
	s->data = s->payload;
	s->rec.payload_len = (size_t)len;
	s->rec.qos = qos;
	s->rec.retain = retain;
	return 0;
}

static void ingest_schedule(struct ingest *in);

/* Commits the staged record (counts it, arms the timer). */
static void
batch_commit_one(struct ingest *in)
{
	in->n++;
	in->stats.staged++;
	if (in->n == 1)
		log_debug("batch: first record staged; commit within %d ms or at %d records",
		          in->cfg->batch_ms, in->cfg->batch_size);
	ingest_schedule(in);
}

/* ---- alerts -> records ---- */

static int
ingest_stage_alert(struct ingest *in, const char *kind, const char *sev_name, int severity,
                   bool raised, uint32_t node_id, const char *rule, const char *message,
                   double value, int64_t t_ms)
{
	char topic[INGEST_TOPIC_MAX], json[INGEST_JSON_MAX];
	struct staged *s;
	int len, r;

	if (batch_full(in) || (s = batch_add(in)) == NULL)
		return -EAGAIN; /* alerts.c retries on its next evaluation */
	if (mqtt_topic_alert(&in->cfg->mqtt, sev_name, topic, sizeof(topic)) < 0)
		return -ENOSPC;
	len = mqtt_json_alert(json, sizeof(json), kind, sev_name, raised, node_id, rule, message,
	                      value, t_ms);
	/* Alerts must never be lost: QoS 1 at least, whatever qos says. */
	if ((r = batch_set_pub(in, s, topic, json, len, mqtt_qos_reliable(&in->cfg->mqtt), 0)) < 0)
		return r;
	s->rec.kind = STORE_KIND_ALERT;
	s->rec.node_id = node_id;
	s->rec.t_ms = t_ms;
	s->rec.rx_ms = t_ms;
	if ((s->s1 = arena_put(in, kind, strlen(kind))) == NOSTR)
		return -ENOMEM;
	if (rule != NULL && (s->s2 = arena_put(in, rule, strlen(rule))) == NOSTR)
		return -ENOMEM;
	s->rec.u.alert.severity = severity;
	s->rec.u.alert.raised = raised;
	batch_commit_one(in);
	return 0;
}

static int
ingest_alert_cb(void *arg, const struct alert *a, bool raised)
{
	struct ingest *in = arg;

	if (raised)
		log_info("alert raised: %s (%s)", alert_kind_name(a->kind), a->message);
	else
		log_info("alert cleared: %s (%s)", alert_kind_name(a->kind), a->message);
	return ingest_stage_alert(in, alert_kind_name(a->kind), alert_severity_name(a->severity),
	                          (int)a->severity, raised, a->node_id, a->rule, a->message,
	                          a->value, a->time_ms);
}

static int
ingest_alert_raise(void *arg, const struct alert *a)
{
	return ingest_alert_cb(arg, a, true);
}

static int
ingest_alert_clear(void *arg, const struct alert *a)
{
	return ingest_alert_cb(arg, a, false);
}

/*
 * A retained status change. Failing here (batch at its cap while the store
 * fails, no memory) is safe: alerts.c reports the state again on the node's
 * next frame or the next tick until it is staged.
 */
static int
ingest_node_state(void *arg, uint32_t node_id, bool online, int64_t last_seen_ms, int64_t now_ms)
{
	struct ingest *in = arg;
	char topic[INGEST_TOPIC_MAX], json[512];
	struct staged *s;
	int r;

	if (batch_full(in) || (s = batch_add(in)) == NULL)
		return -EAGAIN;
	if (mqtt_topic_node(&in->cfg->mqtt, node_id, "status", topic, sizeof(topic)) < 0)
		return -ENOSPC;
	if ((r = batch_set_pub(in, s, topic, json,
	                       mqtt_json_node_status(json, sizeof(json), node_id, online,
	                                             last_seen_ms, now_ms),
	                       mqtt_qos_reliable(&in->cfg->mqtt), 1)) < 0)
		return r;
	s->rec.kind = STORE_KIND_NODE_STATUS;
	s->rec.node_id = node_id;
	s->rec.t_ms = s->rec.rx_ms = now_ms;
	batch_commit_one(in);
	return 0;
}

const struct alerts_ops ingest_alerts_ops = {
        .raise = ingest_alert_raise,
        .clear = ingest_alert_clear,
        .node_state = ingest_node_state,
};

/* ---- staging messages ---- */

static int
stage_inference(struct ingest *in, struct session_node *n, const Tinyfleet__V1__Inference *m,
                int64_t now_ms)
{
	char topic[INGEST_TOPIC_MAX], json[INGEST_JSON_MAX], lbl[16];
	double scores[16];
	struct mqtt_inference mi;
	struct staged *s;
	int r;

	if ((s = batch_add(in)) == NULL)
		return -ENOMEM;
	memset(&mi, 0, sizeof(mi));
	mi.node_id = n->id;
	mi.seq = m->seq;
	mi.time_ms = now_ms;
	mi.node_unix_ms = (int64_t)m->unix_ms;
	mi.mono_ms = m->mono_ms;
	mi.model_id = m->model_id;
	mi.model_version = m->model_version;
	mi.label = m->label;
	mi.top_label = m->top_label;
	mi.score = codec_inference_score(m);
	if (m->n_scores > 0) {
		for (size_t i = 0; i < m->n_scores && i < 16; i++)
			scores[i] = m->scores[i];
		mi.n_scores = m->n_scores;
	} else {
		for (size_t i = 0; i < m->n_scores_raw && i < 16; i++)
			scores[i] = (double)m->score_scale *
			            ((double)m->scores_raw[i] - (double)m->score_zero_point);
		mi.n_scores = m->n_scores_raw;
	}
	mi.scores = scores;
	mi.latency_us = m->latency_us;
	if (mqtt_topic_node(&in->cfg->mqtt, n->id, "inference", topic, sizeof(topic)) < 0)
		return -ENOSPC;
	r = batch_set_pub(in, s, topic, json, mqtt_json_inference(json, sizeof(json), &mi),
	                  in->cfg->mqtt.qos, 0);
	if (r < 0)
		return r;
	s->rec.kind = STORE_KIND_INFERENCE;
	s->rec.node_id = n->id;
	s->rec.seq = m->seq;
	s->rec.rx_ms = now_ms;
	s->rec.t_ms = m->unix_ms ? (int64_t)m->unix_ms : now_ms;
	s->rec.u.inf.model_id = m->model_id;
	s->rec.u.inf.model_version = m->model_version;
	s->rec.u.inf.label = m->label;
	s->rec.u.inf.latency_us = m->latency_us;
	s->rec.u.inf.score = (float)mi.score;
	batch_commit_one(in);
	if (in->alerts != NULL) {
		const char *label = m->top_label;

		if (label == NULL || label[0] == '\0') {
			snprintf(lbl, sizeof(lbl), "%u", m->label);
			label = lbl;
		}
		alerts_on_inference(in->alerts, n->id, label, mi.score, now_ms);
	}
	return 0;
}

static int
stage_health(struct ingest *in, struct session_node *n, const Tinyfleet__V1__Health *m,
             int64_t now_ms)
{
	char topic[INGEST_TOPIC_MAX], json[INGEST_JSON_MAX];
	struct mqtt_health h = {
	        .node_id = n->id,
	        .seq = m->seq,
	        .time_ms = now_ms,
	        .node_unix_ms = (int64_t)m->unix_ms,
	        .mono_ms = m->mono_ms,
	        .battery_mv = m->battery_mv,
	        .rssi_dbm = m->rssi_dbm,
	        .uptime_s = m->uptime_s,
	        .reboots = m->reboots,
	        .reset_reason = m->reset_reason,
	        .free_mem_bytes = m->free_mem_bytes,
	        .inferences = m->inferences,
	        .latency_mean_us = m->latency_mean_us,
	        .latency_max_us = m->latency_max_us,
	        .inference_errors = m->inference_errors,
	        .outbox_depth = m->outbox_depth,
	        .outbox_drops = m->outbox_drops,
	        .retransmits = m->retransmits,
	        .frames_rejected = m->frames_rejected,
	        .temperature_dc = m->temperature_dc,
	};
	struct staged *s;
	int r;

	if ((s = batch_add(in)) == NULL)
		return -ENOMEM;
	if (mqtt_topic_node(&in->cfg->mqtt, n->id, "health", topic, sizeof(topic)) < 0)
		return -ENOSPC;
	r = batch_set_pub(in, s, topic, json, mqtt_json_health(json, sizeof(json), &h),
	                  in->cfg->mqtt.qos, 0);
	if (r < 0)
		return r;
	s->rec.kind = STORE_KIND_HEALTH;
	s->rec.node_id = n->id;
	s->rec.seq = m->seq;
	s->rec.rx_ms = now_ms;
	s->rec.t_ms = m->unix_ms ? (int64_t)m->unix_ms : now_ms;
	s->rec.u.health.battery_mv = m->battery_mv;
	s->rec.u.health.rssi_dbm = m->rssi_dbm;
	s->rec.u.health.uptime_s = m->uptime_s;
	s->rec.u.health.reboots = m->reboots;
	batch_commit_one(in);
	if (in->alerts != NULL) {
		struct alerts_health ah = {
		        .battery_mv = m->battery_mv,
		        .uptime_s = m->uptime_s,
		        .reboots = m->reboots,
		        .inference_errors = m->inference_errors,
		};

		alerts_on_health(in->alerts, n->id, &ah, now_ms);
	}
	return 0;
}

static int
stage_hello(struct ingest *in, struct session_node *n, const Tinyfleet__V1__Hello *m,
            int64_t now_ms)
{
	char caps[INGEST_JSON_MAX];
	struct staged *s;
	int len;

	if ((s = batch_add(in)) == NULL)
		return -ENOMEM;
	if ((len = codec_json_hello_caps(m, caps, sizeof(caps))) < 0)
		return len;
	if ((s->s1 = arena_put(in, m->firmware, strlen(m->firmware))) == NOSTR ||
	    (s->s2 = arena_put(in, caps, (size_t)len)) == NOSTR)
		return -ENOMEM;
	s->rec.kind = STORE_KIND_HELLO;
	s->rec.node_id = n->id;
	s->rec.seq = m->seq;
	s->rec.rx_ms = s->rec.t_ms = now_ms;
	s->rec.u.hello.core_version = m->core_version;
	batch_commit_one(in);
	/* TimeSync answers the Hello, after the commit like every gateway frame. */
	n->time_sync_due = true;
	n->echo_mono_ms = m->mono_ms;
	log_debug("node %u hello: firmware '%s' core %u.%u.%u", n->id, m->firmware,
	          m->core_version >> 16, (m->core_version >> 8) & 0xff, m->core_version & 0xff);
	return 0;
}

static int
stage_model_status(struct ingest *in, struct session_node *n, const Tinyfleet__V1__ModelStatus *m,
                   int64_t now_ms)
{
	char json[INGEST_JSON_MAX];
	struct staged *s;
	int len;

	if ((s = batch_add(in)) == NULL)
		return -ENOMEM;
	if ((len = codec_json_model_status(n->id, m, now_ms, json, sizeof(json))) < 0)
		return len;
	if ((s->data = arena_put(in, json, (size_t)len)) == NOSTR)
		return -ENOMEM;
	s->rec.kind = STORE_KIND_MODEL_STATUS;
	s->rec.node_id = n->id;
	s->rec.seq = m->seq;
	s->rec.rx_ms = s->rec.t_ms = now_ms;
	batch_commit_one(in);
	return 0;
}

void
ingest_rx(void *arg, uint8_t *frame, size_t len, const struct transport_peer *from)
{
	struct ingest *in = arg;
	struct session_rx rx;
	int64_t now = ingest_now_ms();
	size_t n0, a0;
	int r;

	if (batch_full(in)) {
		/* Not acked: the node keeps the message and sends it again later. */
		in->stats.backpressure++;
		return;
	}
	if (len >= WIRE_FRAME_HDR_BYTES && now - in->last_reload_ms > 5000) {
		uint32_t id = (uint32_t)frame[2] | (uint32_t)frame[3] << 8 |
		              (uint32_t)frame[4] << 16 | (uint32_t)frame[5] << 24;

		/* Enrolled while we run (tinyfleetd --enroll on the same database)? */
		if (session_find(in->sess, id) == NULL) {
			in->last_reload_ms = now;
			(void)session_load(in->sess, in->st);
		}
	}
	r = session_receive(in->sess, frame, len, from, now, &rx);
	if (r < 0) {
		if (log_get_level() >= LOG_LEVEL_DEBUG && len >= 6)
			log_debug("frame from node %u dropped: %s",
			          (uint32_t)frame[2] | (uint32_t)frame[3] << 8 |
			                  (uint32_t)frame[4] << 16 | (uint32_t)frame[5] << 24,
			          session_drop_name((enum session_drop)(-r - 1)));
		return;
	}
	if (in->alerts != NULL)
		alerts_on_seen(in->alerts, rx.node->id, now);
	if (rx.duplicate) {
		ingest_schedule(in); /* re-acked after the next commit */
		return;
	}
	if (rx.msg->body_case != TINYFLEET__V1__NODE_MESSAGE__BODY_CHUNK_REQUEST &&
	    session_touch(in->sess, rx.node) < 0)
		return; /* out of memory: not staged, not acked; the node sends it again */
	/* After alerts_on_seen(): what it staged (status, offline clear) is not undone below. */
	n0 = in->n;
	a0 = in->arena_len;
	switch (rx.msg->body_case) {
	case TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE:
		r = stage_inference(in, rx.node, rx.msg->inference, now);
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HEALTH:
		r = stage_health(in, rx.node, rx.msg->health, now);
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO:
		r = stage_hello(in, rx.node, rx.msg->hello, now);
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_MODEL_STATUS:
		r = stage_model_status(in, rx.node, rx.msg->model_status, now);
		break;
	default:
		return; /* ChunkRequest: the rollout issue serves chunks */
	}
	if (r < 0) {
		/* Nothing half-staged stays behind; the node retransmits. */
		in->n = n0;
		in->arena_len = a0;
		return;
	}
	session_stage_seq(in->sess, rx.node, rx.seq);
	if (in->n >= (size_t)in->cfg->batch_size && !uv_is_active((uv_handle_t *)&in->retry_timer))
		(void)ingest_flush(in);
}

/* ---- commit ---- */

static void
commit_timer_cb(uv_timer_t *t)
{
	(void)ingest_flush(t->data);
}

static void
ingest_schedule(struct ingest *in)
{
	if (uv_is_active((uv_handle_t *)&in->commit_timer) ||
	    uv_is_active((uv_handle_t *)&in->retry_timer))
		return;
	/* The loop's clock is cached per iteration; batch_ms counts from the first record. */
	uv_update_time(in->loop);
	uv_timer_start(&in->commit_timer, commit_timer_cb, (uint64_t)in->cfg->batch_ms, 0);
}

static void
retry_timer_cb(uv_timer_t *t)
{
	(void)ingest_flush(t->data);
}

static const char *
resolve(const struct ingest *in, size_t off)
{
	return off == NOSTR ? NULL : in->arena + off;
}

static int
ingest_resolve(struct ingest *in)
{
	if (in->n > in->cap_flat) {
		struct store_rec *f = realloc(in->flat, in->n * sizeof(*f));

		if (f == NULL)
			return -ENOMEM;
		in->flat = f;
		in->cap_flat = in->n;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct staged *s = &in->recs[i];
		struct store_rec *r = &in->flat[i];

		*r = s->rec;
		r->topic = resolve(in, s->topic);
		r->payload = resolve(in, s->payload);
		r->data = resolve(in, s->data);
		if (r->kind == STORE_KIND_HELLO) {
			r->u.hello.firmware = resolve(in, s->s1);
			r->u.hello.caps = resolve(in, s->s2);
		} else if (r->kind == STORE_KIND_ALERT) {
			r->u.alert.kind = resolve(in, s->s1);
			r->u.alert.rule = resolve(in, s->s2);
		}
	}
	return 0;
}

static void
ingest_failed(struct ingest *in, int r)
{
	in->stats.commit_failures++;
	in->stats.last_error = r;
	if (!in->stats.store_failing) {
		in->stats.store_failing = 1;
		in->retry_ms = in->cfg->retry_min_ms;
		log_warnx("store: commit failed: %s; not acking, retrying with backoff",
		          store_strerror(r));
		if (!in->store_alert_raised &&
		    ingest_stage_alert(in, "store_error", "critical", ALERT_SEV_CRITICAL, true, 0,
		                       NULL, store_strerror(r), (double)-r, ingest_now_ms()) == 0)
			in->store_alert_raised = 1;
	} else {
		in->retry_ms = in->retry_ms * 2 > in->cfg->retry_max_ms ? in->cfg->retry_max_ms
		                                                        : in->retry_ms * 2;
	}
	uv_timer_stop(&in->commit_timer);
	uv_timer_start(&in->retry_timer, retry_timer_cb, (uint64_t)in->retry_ms, 0);
}

int
ingest_flush(struct ingest *in)
{
	struct store_node_state *nodes;
	struct store_stats ss;
	size_t n_nodes;
	bool need;
	int r;

	uv_timer_stop(&in->commit_timer);
	uv_timer_stop(&in->retry_timer);
	if (in->stats.store_failing && in->store_alert_raised) {
		/* Recovering: the clear rides in the same commit as the raise. */
	}
	if ((r = session_prepare_commit(in->sess, &nodes, &n_nodes, &need)) < 0)
		return r;
	if (in->n == 0 && !need && store_outbox_done_pending(in->st) == 0) {
		session_commit_done(in->sess, ingest_now_ms()); /* re-acks only */
		return 0;
	}
	if ((r = ingest_resolve(in)) < 0)
		return r;
	r = store_commit(in->st, in->flat, in->n, nodes, n_nodes);
	if (r < 0) {
		ingest_failed(in, r);
		return r;
	}
	in->stats.commits++;
	in->stats.committed += in->n;
	in->n = 0;
	in->arena_len = 0;
	session_commit_done(in->sess, ingest_now_ms());
	if (in->stats.store_failing) {
		in->stats.store_failing = 0;
		log_info("store: commits succeed again");
		if (in->store_alert_raised &&
		    ingest_stage_alert(in, "store_error", "critical", ALERT_SEV_CRITICAL, false, 0,
		                       NULL, "store recovered", 0, ingest_now_ms()) == 0)
			in->store_alert_raised = 0;
	}
	store_get_stats(in->st, &ss);
	if (ss.outbox_dropped > in->store_dropped_seen) {
		uint64_t d = (uint64_t)(ss.outbox_dropped - in->store_dropped_seen);

		in->store_dropped_seen = ss.outbox_dropped;
		in->stats.outbox_dropped += d;
		log_warnx("outbox full: dropped %llu oldest rows", (unsigned long long)d);
		if (in->alerts != NULL)
			alerts_on_outbox_drop(in->alerts, d, ingest_now_ms());
	}
	/* The depth keeps outbox_drops raised while the outbox stays full (broker away). */
	if (in->alerts != NULL)
		alerts_on_outbox_depth(in->alerts, (uint64_t)ss.outbox_rows,
		                       in->cfg->mqtt.outbox_max_rows, ingest_now_ms());
	if (in->mqtt != NULL)
		mqtt_kick(in->mqtt);
	return 0;
}

void
ingest_housekeeping(struct ingest *in)
{
	int64_t now = ingest_now_ms();
	const struct config *c = in->cfg;

	if (in->alerts != NULL && now - in->last_tick_ms >= 1000) {
		in->last_tick_ms = now;
		alerts_tick(in->alerts, now);
	}
	if (in->stats.store_failing)
		return; /* the retry timer owns the store until it recovers */
	/* Outbox rows the broker has: delete them when no batch will carry them soon. */
	if (in->n == 0 && store_outbox_done_pending(in->st) > 0 &&
	    !uv_is_active((uv_handle_t *)&in->commit_timer))
		(void)ingest_flush(in);
	/*
	 * While there is work, one step per retention_interval_ms; once a step
	 * finds nothing, look again after a tenth of the retention age (at most
	 * a minute): rows cannot become old faster than that matters.
	 */
	int64_t idle_ms = c->retention_age_s > 0 ? c->retention_age_s * 100 : 60000;

	if (idle_ms > 60000)
		idle_ms = 60000;
	if (idle_ms < c->retention_interval_ms)
		idle_ms = c->retention_interval_ms;
	if ((c->retention_age_s > 0 || c->retention_max_bytes > 0) &&
	    now - in->last_retention_ms >=
	            (in->retention_idle ? idle_ms : (int64_t)c->retention_interval_ms)) {
		int64_t deleted = 0;
		int r;

		in->last_retention_ms = now;
		r = store_retention_step(in->st, now, c->retention_age_s, c->retention_max_bytes,
		                         c->retention_batch, &deleted);
		if (r < 0)
			log_warnx("retention: %s, ignoring", store_strerror(r));
		in->retention_idle = r == 0 && deleted == 0;
	}
	if (in->n > 0)
		ingest_schedule(in);
}

/* ---- life cycle ---- */

int
ingest_new(uv_loop_t *loop, const struct config *cfg, struct store *st, struct session *sess,
           struct ingest **ret)
{
	struct ingest *in;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return -ENOMEM;
	in->loop = loop;
	in->cfg = cfg;
	in->st = st;
	in->sess = sess;
	uv_timer_init(loop, &in->commit_timer);
	uv_timer_init(loop, &in->retry_timer);
	in->commit_timer.data = in;
	in->retry_timer.data = in;
	*ret = in;
	return 0;
}

static void
ingest_timer_closed(uv_handle_t *h)
{
	struct ingest *in = h->data;

	/* Both timers must be closed before the memory goes (libuv's close order is not ours). */
	if (--in->closing > 0)
		return;
	free(in->recs);
	free(in->flat);
	free(in->arena);
	free(in);
}

void
ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	in->closing = 2;
	uv_close((uv_handle_t *)&in->commit_timer, ingest_timer_closed);
	uv_close((uv_handle_t *)&in->retry_timer, ingest_timer_closed);
}

void
ingest_set_mqtt(struct ingest *in, struct mqtt *m)
{
	in->mqtt = m;
}

void
ingest_set_alerts(struct ingest *in, struct alerts *al)
{
	in->alerts = al;
}

void
ingest_set_config(struct ingest *in, const struct config *cfg)
{
	in->cfg = cfg;
	store_set_outbox_max(in->st, (int64_t)cfg->mqtt.outbox_max_rows);
}

void
ingest_get_stats(const struct ingest *in, struct ingest_stats *ret)
{
	*ret = in->stats;
	ret->pending = in->n;
}
