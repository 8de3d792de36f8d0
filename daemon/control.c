/*
 * control: the control socket server (see control.h). Divisions:
 *   1. pure pieces: framing, peer policy, default path
 *   2. clients: send queue, drop, close, receive
 *   3. dispatch table and the one-shot requests (status, node show/changes,
 *      alert ack)
 *   4. streamed answers: pages produced between loop turns, watch
 *   5. the server: bind, accept, tick, new / free
 */
#define _GNU_SOURCE /* memfd_create, struct ucred, SO_PEERGROUPS */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "control.h"
#include "enroll.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "session.h"
#include "store.h"
#include "store_read.h"
#include "tinyfleet/v1/control.pb-c.h"

#ifndef TF_VERSION
#define TF_VERSION "0.1.0"
#endif

#define CTL_SAMPLES     11 /* readings/s over the last 10 s */
#define CTL_WATCH_BATCH 500

typedef Tinyfleet__V1__CtlRequest CtlRequest;
typedef Tinyfleet__V1__CtlResponse CtlResponse;

enum ctl_stream {
	STREAM_NONE = 0,
	STREAM_NODES,
	STREAM_READINGS,
	STREAM_HEALTH,
	STREAM_ALERTS,
	STREAM_WATCH,
};

struct control_client {
	uv_pipe_t pipe; /* pipe.data = this */
	struct control *ctl;
	struct control_client *prev, *next;
	struct control_peer peer;
	enum control_role role;
	uint8_t *rbuf; /* received, not yet handled */
	size_t rlen, rcap;
	size_t queued;        /* bytes handed to uv_write and not completed */
	uint64_t progress_ms; /* when the queue last moved (or started) */
	uint64_t active_ms;   /* when it connected or last sent something */
	bool closing;         /* dropped or closed: send nothing more */
	bool close_after_flush;
	bool reading;
	/* detached clients (tests, fuzzer) */
	void (*sink)(void *arg, const uint8_t *frame, size_t len);
	void *sink_arg;
	/* the streamed answer in progress */
	enum ctl_stream stream;
	uint32_t req_id;
	struct store_read_cursor *cur;
	uint64_t rows, limit; /* limit 0 = none */
	uint32_t page_size;
	int64_t online_since_ms;
	uint32_t watch_node;    /* 0 = all */
	int64_t watch_after[3]; /* readings, health, alerts */
};

struct control {
	uv_loop_t *loop;
	struct store *store;
	struct session *sess;
	struct ingest *ingest;
	struct mqtt *mqtt;
	struct store_read *rd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char gateway_id[CONFIG_STR];
	char enroll_address[CONFIG_STR];
	char admin_group[CONFIG_STR];
	bool mqtt_enabled;
	int64_t offline_after_ms;
	struct control_policy policy;
	bool bound;
	uv_pipe_t server;
	uv_timer_t tick;
	uv_idle_t pump;
	int handles_open; /* handles whose close callback is still due */
	bool freeing;
	struct control_client *clients;
	size_t n_clients;
	uint64_t start_ms;
	struct {
		uint64_t ms, committed;
	} samples[CTL_SAMPLES];
	size_t n_samples, head;
};

/* ---- 1. pure pieces ---- */

int
control_frame_parse(const uint8_t *buf, size_t len, size_t max, size_t *ret_len)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n > max)
		return -EMSGSIZE;
	if (len - 4 < n)
		return 0;
	*ret_len = n;
	return 1;
}

void
control_frame_put_len(uint8_t hdr[4], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

static bool
peer_in_group(const struct control_peer *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (size_t i = 0; i < p->n_groups && i < CONTROL_GROUPS_MAX; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

enum control_role
control_peer_role(const struct control_peer *peer, const struct control_policy *policy)
{
	if (peer->uid == 0 || peer->uid == policy->self_uid)
		return CONTROL_ROLE_ADMIN;
	if (policy->have_admin && peer_in_group(peer, policy->admin_gid))
		return CONTROL_ROLE_ADMIN;
	if (peer_in_group(peer, policy->sock_gid))
		return CONTROL_ROLE_READ;
	return CONTROL_ROLE_NONE;
}

int
control_default_path(const char *runtime_dir, const char *db_path, char *buf, size_t size)
{
	const char *slash;
	int m;

	if (runtime_dir != NULL && runtime_dir[0] != '\0') {
		/* RuntimeDirectory= may list several: ours is the first. */
		size_t n = strcspn(runtime_dir, ":");

		m = snprintf(buf, size, "%.*s/control.sock", (int)n, runtime_dir);
	} else if ((slash = strrchr(db_path, '/')) != NULL) {
		m = snprintf(buf, size, "%.*s/control.sock", (int)(slash - db_path), db_path);
	} else {
		m = snprintf(buf, size, "control.sock");
	}
	return m < 0 || (size_t)m >= size ? -ENAMETOOLONG : 0;
}

/* ---- 2. clients ---- */

struct ctl_wreq {
	uv_write_t req;
	struct control_client *cl;
	size_t len;
	uint8_t data[];
};

static uint64_t
ctl_mono(const struct control *c)
{
	return c->loop != NULL ? uv_now(c->loop) : (uint64_t)ingest_now_ms();
}

static void
ctl_client_closed(uv_handle_t *h)
{
	struct control_client *cl = h->data;
	struct control *c = cl->ctl;

	free(cl->rbuf);
	free(cl);
	if (--c->handles_open == 0 && c->freeing)
		free(c);
}

static void
ctl_stream_stop(struct control_client *cl)
{
	store_read_cursor_free(cl->cur);
	cl->cur = NULL;
	cl->stream = STREAM_NONE;
}

/* Ends the connection. Memory goes in the close callback (detached: at free). */
static void
ctl_client_close(struct control_client *cl)
{
	struct control *c = cl->ctl;

	if (cl->closing)
		return;
	cl->closing = true;
	ctl_stream_stop(cl);
	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	cl->prev = cl->next = NULL;
	c->n_clients--;
	if (cl->sink != NULL)
		return;
	uv_close((uv_handle_t *)&cl->pipe, ctl_client_closed);
}

static void
ctl_drop(struct control_client *cl, const char *why)
{
	if (cl->closing)
		return;
	log_warnx("control: dropping client uid %u pid %d: %s", (unsigned)cl->peer.uid,
	          (int)cl->peer.pid, why);
	ctl_client_close(cl);
}

static void ctl_pump_cb(uv_idle_t *h);

static void
ctl_arm_pump(struct control *c)
{
	if (c->bound && !c->freeing && !uv_is_active((uv_handle_t *)&c->pump))
		uv_idle_start(&c->pump, ctl_pump_cb);
}

static void
ctl_write_cb(uv_write_t *req, int status)
{
	struct ctl_wreq *w = (struct ctl_wreq *)req;
	struct control_client *cl = w->cl;

	cl->queued -= w->len;
	cl->progress_ms = ctl_mono(cl->ctl);
	free(w);
	if (cl->closing)
		return;
	if (status < 0) {
		ctl_drop(cl, uv_strerror(status));
		return;
	}
	if (cl->close_after_flush && cl->queued == 0) {
		ctl_client_close(cl);
		return;
	}
	if (cl->stream != STREAM_NONE && cl->stream != STREAM_WATCH &&
	    cl->queued < CONTROL_QUEUE_HIGH)
		ctl_arm_pump(cl->ctl);
}

/* Packs rsp (version and id are filled in) and queues it. 0, or -EPIPE once dropped. */
static int
ctl_send(struct control_client *cl, uint32_t id, bool more, CtlResponse *rsp)
{
	struct ctl_wreq *w;
	uv_buf_t buf;
	size_t n;
	int r;

	if (cl->closing)
		return -EPIPE;
	rsp->version = CONTROL_PROTOCOL;
	rsp->id = id;
	rsp->more = more;
	n = tinyfleet__v1__ctl_response__get_packed_size(rsp);
	if (cl->queued + n + 4 > CONTROL_QUEUE_MAX) {
		ctl_drop(cl, "it does not read its answers (queue full)");
		return -EPIPE;
	}
	if ((w = malloc(sizeof(*w) + 4 + n)) == NULL) {
		ctl_drop(cl, "out of memory");
		return -EPIPE;
	}
	control_frame_put_len(w->data, (uint32_t)n);
	tinyfleet__v1__ctl_response__pack(rsp, w->data + 4);
	w->cl = cl;
	w->len = n + 4;
	if (cl->sink != NULL) {
		cl->sink(cl->sink_arg, w->data, w->len);
		free(w);
		return 0;
	}
	if (cl->queued == 0)
		cl->progress_ms = ctl_mono(cl->ctl);
	buf = uv_buf_init((char *)w->data, (unsigned)w->len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&cl->pipe, &buf, 1, ctl_write_cb)) < 0) {
		free(w);
		ctl_drop(cl, uv_strerror(r));
		return -EPIPE;
	}
	cl->queued += w->len;
	return 0;
}

static int ctl_error(struct control_client *cl, uint32_t id, Tinyfleet__V1__CtlErrorCode code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
ctl_error(struct control_client *cl, uint32_t id, Tinyfleet__V1__CtlErrorCode code, const char *fmt,
          ...)
{
	Tinyfleet__V1__CtlError e = TINYFLEET__V1__CTL_ERROR__INIT;
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e.code = code;
	e.message = msg;
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_ERROR;
	rsp.error = &e;
	return ctl_send(cl, id, false, &rsp);
}

/* A store error as an answer. */
static int
ctl_store_error(struct control_client *cl, uint32_t id, const char *what, int r)
{
	switch (r) {
	case -ENOENT:
		return ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_NOT_FOUND, "%s",
		                 what);
	case -EEXIST:
		return ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_EXISTS, "%s", what);
	case -EINVAL:
		return ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID, "%s",
		                 what);
	default:
		return ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INTERNAL, "%s: %s",
		                 what, store_strerror(r));
	}
}

static void ctl_process(struct control_client *cl);

static void
ctl_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct control_client *cl = h->data;
	size_t cap_max = CONTROL_REQUEST_MAX + 4 + 65536;

	(void)suggested;
	buf->base = NULL;
	buf->len = 0;
	if (cl->rcap - cl->rlen < 65536 && cl->rcap < cap_max) {
		size_t cap = cl->rcap ? cl->rcap * 2 : 65536;
		uint8_t *nb;

		while (cap < cl->rlen + 65536)
			cap *= 2;
		if (cap > cap_max)
			cap = cap_max;
		if ((nb = realloc(cl->rbuf, cap)) == NULL)
			return;
		cl->rbuf = nb;
		cl->rcap = cap;
	}
	if (cl->rcap > cl->rlen) {
		buf->base = (char *)cl->rbuf + cl->rlen;
		buf->len = cl->rcap - cl->rlen;
	}
}

static void
ctl_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct control_client *cl = s->data;

	(void)buf;
	if (nread == UV_EOF) {
		ctl_client_close(cl);
		return;
	}
	if (nread < 0) {
		ctl_drop(cl, nread == UV_ENOBUFS ? "it sends more than the request limit"
		                                 : uv_strerror((int)nread));
		return;
	}
	cl->rlen += (size_t)nread;
	cl->active_ms = ctl_mono(cl->ctl);
	ctl_process(cl);
}

/* ---- 3. dispatch and one-shot requests ---- */

#define CTL_ADMIN 0x1 /* changes something: administrators only */

struct ctl_handler {
	int body; /* Tinyfleet__V1__CtlRequest__BodyCase */
	int flags;
	const char *name; /* the tinyfleetctl command, for messages and logs */
	void (*fn)(struct control_client *cl, const CtlRequest *req);
};

static int64_t
ctl_online_since(const struct control *c)
{
	return ingest_now_ms() - c->offline_after_ms;
}

static void
ctl_node_msg(const struct store_read_node *n, int64_t online_since, Tinyfleet__V1__CtlNode *m)
{
	tinyfleet__v1__ctl_node__init(m);
	m->id = n->id;
	m->name = (char *)n->name;
	m->tags = (char *)n->tags;
	m->created_ms = n->created_ms;
	m->last_seen_ms = n->last_seen_ms;
	m->online = n->last_seen_ms > 0 && n->last_seen_ms >= online_since;
	m->firmware = (char *)n->firmware;
	m->core_version = n->core_version;
	m->hello_ms = n->hello_ms;
	m->seqs_abandoned = n->seqs_abandoned;
}

static void
ctl_health_msg(const struct store_read_health *h, Tinyfleet__V1__CtlHealthRow *m)
{
	tinyfleet__v1__ctl_health_row__init(m);
	m->id = h->id;
	m->node_id = h->node_id;
	m->node = (char *)h->node;
	m->seq = h->seq;
	m->t_ms = h->t_ms;
	m->rx_ms = h->rx_ms;
	m->battery_mv = h->battery_mv;
	m->rssi_dbm = h->rssi_dbm;
	m->uptime_s = h->uptime_s;
	m->reboots = h->reboots;
	m->free_mem_bytes = h->free_mem_bytes;
	m->inferences = h->inferences;
	m->inference_errors = h->inference_errors;
	m->outbox_depth = h->outbox_depth;
}

static void
ctl_reading_msg(const struct store_read_reading *r, Tinyfleet__V1__CtlReading *m)
{
	tinyfleet__v1__ctl_reading__init(m);
	m->id = r->id;
	m->node_id = r->node_id;
	m->node = (char *)r->node;
	m->seq = r->seq;
	m->t_ms = r->t_ms;
	m->rx_ms = r->rx_ms;
	m->model_id = r->model_id;
	m->model_version = r->model_version;
	m->label = r->label;
	m->label_name = (char *)r->label_name;
	m->score = r->score;
	m->latency_us = r->latency_us;
}

static void
ctl_alert_msg(const struct store_read_alert *a, Tinyfleet__V1__CtlAlert *m)
{
	tinyfleet__v1__ctl_alert__init(m);
	m->id = a->id;
	m->node_id = a->node_id;
	m->node = (char *)a->node;
	m->t_ms = a->t_ms;
	m->kind = (char *)a->kind;
	m->rule = (char *)a->rule;
	m->severity = (char *)alert_severity_name((enum alert_severity)a->severity);
	m->message = (char *)a->message;
	m->cleared_ms = a->cleared_ms;
	m->acked_ms = a->acked_ms;
	m->acked_uid = a->acked_uid;
}

static double
ctl_rate(const struct control *c)
{
	size_t oldest, newest;
	uint64_t dt;

	if (c->n_samples < 2)
		return 0;
	newest = (c->head + CTL_SAMPLES - 1) % CTL_SAMPLES;
	oldest = (c->head + CTL_SAMPLES - c->n_samples) % CTL_SAMPLES;
	dt = c->samples[newest].ms - c->samples[oldest].ms;
	if (dt == 0)
		return 0;
	return (double)(c->samples[newest].committed - c->samples[oldest].committed) * 1000.0 /
	       (double)dt;
}

static void
ctl_status(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	Tinyfleet__V1__CtlStatus s = TINYFLEET__V1__CTL_STATUS__INIT;
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;
	struct store_read_summary sum;
	int r;

	if ((r = store_read_summary(c->rd, ctl_online_since(c), &sum)) < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		return;
	}
	s.gateway_id = c->gateway_id;
	s.version = (char *)TF_VERSION;
	s.uptime_s = (int64_t)((ctl_mono(c) - c->start_ms) / 1000);
	s.nodes_total = (uint32_t)sum.nodes_total;
	s.nodes_online = (uint32_t)sum.nodes_online;
	s.readings_per_s = ctl_rate(c);
	s.db_bytes = sum.db_bytes;
	s.alerts_open = (uint32_t)sum.alerts_open;
	s.seqs_abandoned = (uint64_t)sum.seqs_abandoned;
	s.rollouts_active = 0; /* no rollout module yet */
	s.broker = (char *)"disabled";
	s.now_ms = ingest_now_ms();
	if (c->store != NULL) {
		struct store_stats st;

		store_get_stats(c->store, &st);
		s.outbox_rows = st.outbox_rows;
	}
	if (c->ingest != NULL) {
		struct ingest_stats is;

		ingest_get_stats(c->ingest, &is);
		s.readings_stored = is.committed;
		s.store_failing = is.store_failing != 0;
	}
	if (c->sess != NULL) {
		struct session_stats ss;

		session_get_stats(c->sess, &ss);
		for (int i = 0; i < SESSION_DROP__MAX; i++)
			s.frames_dropped += ss.dropped[i];
	}
	if (c->mqtt != NULL) {
		struct mqtt_stats ms;

		mqtt_get_stats(c->mqtt, &ms);
		s.broker = (char *)(ms.connected ? "connected" : "disconnected");
	} else if (c->mqtt_enabled) {
		s.broker = (char *)"disconnected";
	}
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS;
	rsp.status = &s;
	ctl_send(cl, req->id, false, &rsp);
}

/* Resolves a node reference; answers the error itself and returns < 0 if it fails. */
static int
ctl_find_node(struct control_client *cl, uint32_t id, const char *ref, struct store_read_node *n)
{
	int r;

	if (ref == NULL || ref[0] == '\0') {
		ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID, "no node given");
		return -EINVAL;
	}
	if ((r = store_read_node_find(cl->ctl->rd, ref, n)) == -ENOENT) {
		ctl_error(cl, id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_NOT_FOUND,
		          "no node '%.64s'", ref);
		return r;
	}
	if (r < 0)
		ctl_store_error(cl, id, "reading the database", r);
	return r;
}

static void
ctl_node_show(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	Tinyfleet__V1__CtlNodeDetail d = TINYFLEET__V1__CTL_NODE_DETAIL__INIT;
	Tinyfleet__V1__CtlNode nm;
	Tinyfleet__V1__CtlHealthRow hm;
	Tinyfleet__V1__CtlAlert am[STORE_READ_ALERTS], *ap[STORE_READ_ALERTS];
	Tinyfleet__V1__CtlSlot sm[STORE_READ_SLOTS], *sp[STORE_READ_SLOTS];
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;
	struct store_read_detail *det = NULL;
	struct store_read_node n;
	int r;

	if (ctl_find_node(cl, req->id, req->node_show->node, &n) < 0)
		return;
	if ((det = malloc(sizeof(*det))) == NULL) {
		ctl_store_error(cl, req->id, "node show", -ENOMEM);
		return;
	}
	if ((r = store_read_node_detail(c->rd, n.id, det)) < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		goto out;
	}
	ctl_node_msg(&n, ctl_online_since(c), &nm);
	d.node = &nm;
	d.caps_json = det->caps;
	d.model_status_json = det->model_status;
	d.readings = (uint64_t)det->readings;
	d.board = det->board;
	d.arena_bytes = det->arena_bytes;
	d.slot_size_bytes = det->slot_size_bytes;
	d.slot_count = det->slot_count;
	d.op_count = det->op_count;
	d.sensors = det->sensors;
	d.active_slot = det->active_slot;
	for (size_t i = 0; i < det->n_slots; i++) {
		tinyfleet__v1__ctl_slot__init(&sm[i]);
		sm[i].index = det->slots[i].index;
		sm[i].model_id = det->slots[i].model_id;
		sm[i].model_version = det->slots[i].model_version;
		sm[i].state = det->slots[i].state;
		sm[i].size_bytes = det->slots[i].size_bytes;
		sp[i] = &sm[i];
	}
	d.n_slots = det->n_slots;
	d.slots = sp;
	if (det->have_health) {
		ctl_health_msg(&det->health, &hm);
		d.last_health = &hm;
	}
	for (size_t i = 0; i < det->n_alerts; i++) {
		ctl_alert_msg(&det->alerts[i], &am[i]);
		ap[i] = &am[i];
	}
	d.n_recent_alerts = det->n_alerts;
	d.recent_alerts = ap;
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_NODE;
	rsp.node = &d;
	ctl_send(cl, req->id, false, &rsp);
out:
	free(det);
}

static void
ctl_done(struct control_client *cl, uint32_t id, uint32_t count, const char *fmt, ...)
{
	Tinyfleet__V1__CtlDone d = TINYFLEET__V1__CTL_DONE__INIT;
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d.message = msg;
	d.count = count;
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_DONE;
	rsp.done = &d;
	ctl_send(cl, id, false, &rsp);
}

static void
ctl_provision(struct control_client *cl, uint32_t id, uint32_t node_id, char *record)
{
	Tinyfleet__V1__CtlProvision p = TINYFLEET__V1__CTL_PROVISION__INIT;
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;

	p.node_id = node_id;
	p.record = record;
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_PROVISION;
	rsp.provision = &p;
	ctl_send(cl, id, false, &rsp);
}

/* New nodes become known to the live session at once. */
static void
ctl_session_reload(struct control *c)
{
	int r;

	if (c->sess != NULL && c->store != NULL && (r = session_load(c->sess, c->store)) < 0)
		log_warnx("control: reloading nodes: %s", store_strerror(r));
}

/* One node changed by an operator (new key, removed): the live session re-reads it. */
static void
ctl_session_node(struct control *c, uint32_t node_id)
{
	int r;

	if (c->sess != NULL && c->store != NULL &&
	    (r = session_reload_node(c->sess, c->store, node_id)) < 0)
		log_warnx("control: reloading node %u: %s", node_id, store_strerror(r));
}

static void
ctl_node_add(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	const Tinyfleet__V1__CtlNodeAddReq *a = req->node_add;
	char *buf = NULL, *line;
	size_t len = 0;
	FILE *f;
	int r;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		ctl_store_error(cl, req->id, "nodes add", -ENOMEM);
		return;
	}
	r = enroll_one(c->store, a->name, a->tags, c->enroll_address, f);
	fclose(f);
	if (r == -EEXIST) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_EXISTS,
		          "a node named '%.64s' is enrolled already", a->name);
		goto out;
	}
	if (r == -EINVAL) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
		          "bad name or tags: names are 1..63 of A-Z a-z 0-9 . _ -, tags at most "
		          "%d bytes",
		          STORE_TAGS_MAX - 1);
		goto out;
	}
	if (r < 0) {
		ctl_store_error(cl, req->id, "nodes add", r);
		goto out;
	}
	ctl_session_reload(c);
	log_info("control: uid %u enrolled node '%s'", (unsigned)cl->peer.uid, a->name);
	line = buf;
	while (line != NULL && line[0] == '#')
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	ctl_provision(cl, req->id, line != NULL ? (uint32_t)strtoul(line, NULL, 10) : 0,
	              line != NULL ? line : (char *)"");
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
}

static void
ctl_node_remove(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	struct store_read_node n;
	int r;

	if (ctl_find_node(cl, req->id, req->node_remove->node, &n) < 0)
		return;
	if ((r = store_node_remove(c->store, n.id)) < 0) {
		ctl_store_error(cl, req->id, "nodes remove", r);
		return;
	}
	/* From now on its frames are dropped as coming from an unknown node. */
	ctl_session_node(c, n.id);
	log_info("control: uid %u removed node '%s' (id %u)", (unsigned)cl->peer.uid, n.name, n.id);
	ctl_done(cl, req->id, 1, "removed node '%s' (id %u); its readings stay", n.name, n.id);
}

static bool
tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 63)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '.' || *t == '_' || *t == '-' || *t == ':'))
			return false;
	return true;
}

/*
 * Applies +add -remove to the comma list tags (in place, size bytes).
 * Returns 0, -EINVAL (a bad tag) or -ENOSPC (too long).
 */
static int
tags_apply(char *tags, size_t size, char *const *add, size_t n_add, char *const *rm, size_t n_rm)
{
	char out[STORE_TAGS_MAX * 2] = "", item[STORE_TAGS_MAX];
	const char *p = tags;
	size_t used = 0;

	for (size_t i = 0; i < n_add; i++)
		if (!tag_valid(add[i]))
			return -EINVAL;
	for (size_t i = 0; i < n_rm; i++)
		if (!tag_valid(rm[i]))
			return -EINVAL;
	/* Keep the existing tags in their order, minus removals and duplicates of adds. */
	for (int pass = 0; pass < 2; pass++) {
		size_t count = pass == 0 ? 1 : n_add;

		for (size_t k = 0; k < count; k++) {
			const char *src = pass == 0 ? p : add[k];

			while (*src != '\0') {
				size_t len = strcspn(src, ",");
				bool drop = false;

				while (len > 0 && *src == ' ') {
					src++;
					len--;
				}
				snprintf(item, sizeof(item), "%.*s", (int)len, src);
				while (item[0] && item[strlen(item) - 1] == ' ')
					item[strlen(item) - 1] = '\0';
				src += len;
				if (*src == ',')
					src++;
				if (item[0] == '\0')
					continue;
				for (size_t i = 0; i < n_rm && !drop; i++)
					drop = strcmp(item, rm[i]) == 0;
				/* Already in out? */
				for (const char *q = out; *q && !drop;) {
					size_t l = strcspn(q, ",");

					drop = l == strlen(item) && strncmp(q, item, l) == 0;
					q += l + (q[l] == ',');
				}
				if (drop)
					continue;
				if (used + strlen(item) + 2 > sizeof(out))
					return -ENOSPC;
				used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
				                         used ? "," : "", item);
			}
		}
	}
	if (used >= size || used >= STORE_TAGS_MAX)
		return -ENOSPC;
	memcpy(tags, out, used + 1);
	return 0;
}

static void
ctl_node_tag(struct control_client *cl, const CtlRequest *req)
{
	const Tinyfleet__V1__CtlNodeTagReq *t = req->node_tag;
	struct store_read_node n;
	int r;

	if (ctl_find_node(cl, req->id, t->node, &n) < 0)
		return;
	r = tags_apply(n.tags, sizeof(n.tags), t->add, t->n_add, t->remove, t->n_remove);
	if (r < 0) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
		          r == -EINVAL ? "bad tag: 1..63 of A-Z a-z 0-9 . _ - :"
		                       : "too many tags (at most %d bytes)",
		          STORE_TAGS_MAX - 1);
		return;
	}
	if ((r = store_node_set_tags(cl->ctl->store, n.id, n.tags)) < 0) {
		ctl_store_error(cl, req->id, "nodes tag", r);
		return;
	}
	log_info("control: uid %u set tags of node '%s' to '%s'", (unsigned)cl->peer.uid, n.name,
	         n.tags);
	ctl_done(cl, req->id, 1, "%s", n.tags);
}

static void
ctl_node_rekey(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	uint8_t key[STORE_KEY_BYTES];
	char hex[2 * STORE_KEY_BYTES + 1], record[512];
	struct store_read_node n;
	int r;

	if (ctl_find_node(cl, req->id, req->node_rekey->node, &n) < 0)
		return;
	randombytes_buf(key, sizeof(key));
	if ((r = store_node_set_key(c->store, n.id, key)) < 0) {
		ctl_store_error(cl, req->id, "nodes rekey", r);
		goto out;
	}
	/*
	 * A new key is a new provisioning: the node starts its counters and
	 * seqs over, and so do the gateway's windows for it (the store reset
	 * them in the same write; the session re-reads them).
	 */
	ctl_session_node(c, n.id);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	snprintf(record, sizeof(record), "%u,%s,%s,%s\n", n.id, hex, c->enroll_address, n.name);
	log_info("control: uid %u gave node '%s' a new key", (unsigned)cl->peer.uid, n.name);
	ctl_provision(cl, req->id, n.id, record);
	sodium_memzero(record, sizeof(record));
	sodium_memzero(hex, sizeof(hex));
out:
	sodium_memzero(key, sizeof(key));
}

static void
ctl_nodes_import(struct control_client *cl, const CtlRequest *req)
{
	struct control *c = cl->ctl;
	const ProtobufCBinaryData *csv = &req->nodes_import->csv;
	char path[64], err[512] = "";
	unsigned n = 0;
	int fd, r;

	/*
	 * enroll_import() reads a file; the daemon may not read the operator's,
	 * so the CLI sends the content and it becomes an anonymous memory file.
	 */
	if ((fd = memfd_create("tinyfleet-import", MFD_CLOEXEC)) < 0) {
		ctl_store_error(cl, req->id, "nodes import", -errno);
		return;
	}
	if (csv->len > 0 && write(fd, csv->data, csv->len) != (ssize_t)csv->len) {
		ctl_store_error(cl, req->id, "nodes import", -EIO);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = enroll_import(c->store, path, &n, err, sizeof(err));
	if (r < 0) {
		char *e = strstr(err, ":");

		/* "path:line: what" names our memfd: say "line N: what" instead. */
		if (err[0] != '\0' && e != NULL)
			ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
			          "line %s; nothing imported", e + 1);
		else
			ctl_store_error(cl, req->id, "nodes import (nothing imported)", r);
		goto out;
	}
	ctl_session_reload(c);
	log_info("control: uid %u imported %u nodes", (unsigned)cl->peer.uid, n);
	ctl_done(cl, req->id, n, "imported %u nodes", n);
out:
	close(fd);
}

static void
ctl_alert_ack(struct control_client *cl, const CtlRequest *req)
{
	int64_t id = req->alert_ack->id;
	int r;

	r = store_alert_ack(cl->ctl->store, id, ingest_now_ms(), (int64_t)cl->peer.uid);
	if (r == -ENOENT) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_NOT_FOUND,
		          "no raised alert with id %lld", (long long)id);
		return;
	}
	if (r < 0) {
		ctl_store_error(cl, req->id, "alerts ack", r);
		return;
	}
	log_info("control: uid %u acknowledged alert %lld", (unsigned)cl->peer.uid, (long long)id);
	ctl_done(cl, req->id, 1, "acknowledged alert %lld", (long long)id);
}

/* ---- 4. streamed answers ---- */

static uint32_t
ctl_page_size(uint32_t asked)
{
	if (asked == 0)
		return CONTROL_PAGE_DEFAULT;
	return asked > CONTROL_PAGE_MAX ? CONTROL_PAGE_MAX : asked;
}

/* Starts a streamed answer over cursor cur (taken). */
static void
ctl_stream_start(struct control_client *cl, uint32_t id, enum ctl_stream kind,
                 struct store_read_cursor *cur, uint64_t limit, uint32_t page_size)
{
	cl->stream = kind;
	cl->req_id = id;
	cl->cur = cur;
	cl->rows = 0;
	cl->limit = limit;
	cl->page_size = ctl_page_size(page_size);
	ctl_arm_pump(cl->ctl);
}

static void
ctl_nodes_list(struct control_client *cl, const CtlRequest *req)
{
	const Tinyfleet__V1__CtlNodesListReq *q = req->nodes_list;
	struct store_read_node_query nq = {
	        .tag = q->tag,
	        .state = (enum store_read_state)q->state,
	        .online_since_ms = ctl_online_since(cl->ctl),
	        .sort = (enum store_read_sort)q->sort,
	};
	struct store_read_cursor *cur = NULL;
	int r;

	if ((unsigned)q->state > 2 || (unsigned)q->sort > 2) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
		          "unknown state or sort");
		return;
	}
	if ((r = store_read_nodes(cl->ctl->rd, &nq, &cur)) < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		return;
	}
	cl->online_since_ms = nq.online_since_ms;
	ctl_stream_start(cl, req->id, STREAM_NODES, cur, 0, q->page_size);
}

/* Fills a store_read_query from a request; answers the error itself. */
static int
ctl_query(struct control_client *cl, const CtlRequest *req, const Tinyfleet__V1__CtlQueryReq *q,
          struct store_read_query *ret)
{
	struct store_read_node n;

	memset(ret, 0, sizeof(*ret));
	if (q->node != NULL && q->node[0] != '\0') {
		if (ctl_find_node(cl, req->id, q->node, &n) < 0)
			return -ENOENT;
		ret->node_id = n.id;
	}
	if (q->since_ms < 0 || q->until_ms < 0 || q->limit > STORE_READ_LIMIT) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
		          "bad window: times must be >= 0 and limit <= %d", STORE_READ_LIMIT);
		return -EINVAL;
	}
	ret->since_ms = q->since_ms;
	ret->until_ms = q->until_ms;
	ret->label = q->label;
	ret->limit = q->limit ? q->limit : CONTROL_LIMIT_DEFAULT;
	return 0;
}

static void
ctl_window(struct control_client *cl, const CtlRequest *req, bool health)
{
	const Tinyfleet__V1__CtlQueryReq *q = health ? req->health : req->readings;
	struct store_read_cursor *cur = NULL;
	struct store_read_query sq;
	int r;

	if (ctl_query(cl, req, q, &sq) < 0)
		return;
	r = health ? store_read_health(cl->ctl->rd, &sq, &cur)
	           : store_read_readings(cl->ctl->rd, &sq, &cur);
	if (r < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		return;
	}
	ctl_stream_start(cl, req->id, health ? STREAM_HEALTH : STREAM_READINGS, cur, sq.limit,
	                 q->page_size);
}

static void
ctl_readings(struct control_client *cl, const CtlRequest *req)
{
	ctl_window(cl, req, false);
}

static void
ctl_health(struct control_client *cl, const CtlRequest *req)
{
	ctl_window(cl, req, true);
}

static void
ctl_alerts(struct control_client *cl, const CtlRequest *req)
{
	const Tinyfleet__V1__CtlAlertsReq *q = req->alerts;
	struct store_read_alert_query aq = {.open_only = q->open_only};
	struct store_read_cursor *cur = NULL;
	struct store_read_node n;
	int r;

	if (q->node != NULL && q->node[0] != '\0') {
		if (ctl_find_node(cl, req->id, q->node, &n) < 0)
			return;
		aq.node_id = n.id;
	}
	if (q->limit > STORE_READ_LIMIT) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID,
		          "limit <= %d", STORE_READ_LIMIT);
		return;
	}
	aq.limit = q->limit ? q->limit : CONTROL_LIMIT_DEFAULT;
	if ((r = store_read_alerts(cl->ctl->rd, &aq, &cur)) < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		return;
	}
	ctl_stream_start(cl, req->id, STREAM_ALERTS, cur, aq.limit, 0);
}

static void
ctl_watch(struct control_client *cl, const CtlRequest *req)
{
	struct store_read_node n;
	int r;

	cl->watch_node = 0;
	if (req->watch->node != NULL && req->watch->node[0] != '\0') {
		if (ctl_find_node(cl, req->id, req->watch->node, &n) < 0)
			return;
		cl->watch_node = n.id;
	}
	r = store_read_max_ids(cl->ctl->rd, &cl->watch_after[0], &cl->watch_after[1],
	                       &cl->watch_after[2]);
	if (r < 0) {
		ctl_store_error(cl, req->id, "reading the database", r);
		return;
	}
	cl->stream = STREAM_WATCH;
	cl->req_id = req->id;
	cl->rows = 0;
	cl->limit = 0;
	cl->page_size = CTL_WATCH_BATCH;
}

/*
 * One page of the stream from the cursor: up to `want` rows, sent with
 * more = true. *ret_n = rows sent, *ret_end = the cursor is exhausted.
 * Returns 0 or a store error.
 */
#define CTL_PAGE_FN(fname, rowtype, msgtype, nextfn, msgfn, body, field, pagetype, pageinit,       \
                    nfield, arrfield)                                                              \
	static int fname(struct control_client *cl, struct store_read_cursor *cur, size_t want,    \
	                 size_t *ret_n, bool *ret_end, int64_t *ret_last)                          \
	{                                                                                          \
		CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;                               \
		pagetype page = pageinit;                                                          \
		rowtype *rows = NULL, *nr;                                                         \
		msgtype *msgs = NULL;                                                              \
		msgtype **ptrs = NULL;                                                             \
		size_t n = 0, cap = 0;                                                             \
		int r = 0;                                                                         \
                                                                                                   \
		*ret_end = false;                                                                  \
		/* Rows first, in an array that grows: most pages are short. */                    \
		while (n < want) {                                                                 \
			if (n == cap) {                                                            \
				cap = cap ? cap * 2 : 32;                                          \
				if (cap > want)                                                    \
					cap = want;                                                \
				if ((nr = realloc(rows, cap * sizeof(*rows))) == NULL) {           \
					r = -ENOMEM;                                               \
					goto out;                                                  \
				}                                                                  \
				rows = nr;                                                         \
			}                                                                          \
			if ((r = nextfn(cur, &rows[n])) != 1)                                      \
				break;                                                             \
			n++;                                                                       \
		}                                                                                  \
		if (r < 0)                                                                         \
			goto out;                                                                  \
		*ret_end = r == 0;                                                                 \
		r = 0;                                                                             \
		if (n == 0)                                                                        \
			goto out;                                                                  \
		msgs = calloc(n, sizeof(*msgs));                                                   \
		ptrs = calloc(n, sizeof(*ptrs));                                                   \
		if (msgs == NULL || ptrs == NULL) {                                                \
			r = -ENOMEM;                                                               \
			goto out;                                                                  \
		}                                                                                  \
		for (size_t i = 0; i < n; i++) {                                                   \
			msgfn;                                                                     \
			ptrs[i] = &msgs[i];                                                        \
		}                                                                                  \
		*ret_last = rows[n - 1].id;                                                        \
		page.nfield = n;                                                                   \
		page.arrfield = ptrs;                                                              \
		rsp.body_case = body;                                                              \
		rsp.field = &page;                                                                 \
		ctl_send(cl, cl->req_id, true, &rsp);                                              \
	out:                                                                                       \
		*ret_n = n;                                                                        \
		free(rows);                                                                        \
		free(msgs);                                                                        \
		free(ptrs);                                                                        \
		return r;                                                                          \
	}

CTL_PAGE_FN(ctl_page_nodes, struct store_read_node, Tinyfleet__V1__CtlNode, store_read_next_node,
            ctl_node_msg(&rows[i], cl->online_since_ms, &msgs[i]),
            TINYFLEET__V1__CTL_RESPONSE__BODY_NODES, nodes, Tinyfleet__V1__CtlNodePage,
            TINYFLEET__V1__CTL_NODE_PAGE__INIT, n_nodes, nodes)
CTL_PAGE_FN(ctl_page_readings, struct store_read_reading, Tinyfleet__V1__CtlReading,
            store_read_next_reading, ctl_reading_msg(&rows[i], &msgs[i]),
            TINYFLEET__V1__CTL_RESPONSE__BODY_READINGS, readings, Tinyfleet__V1__CtlReadingPage,
            TINYFLEET__V1__CTL_READING_PAGE__INIT, n_readings, readings)
CTL_PAGE_FN(ctl_page_health, struct store_read_health, Tinyfleet__V1__CtlHealthRow,
            store_read_next_health, ctl_health_msg(&rows[i], &msgs[i]),
            TINYFLEET__V1__CTL_RESPONSE__BODY_HEALTH, health, Tinyfleet__V1__CtlHealthPage,
            TINYFLEET__V1__CTL_HEALTH_PAGE__INIT, n_rows, rows)
CTL_PAGE_FN(ctl_page_alerts, struct store_read_alert, Tinyfleet__V1__CtlAlert,
            store_read_next_alert, ctl_alert_msg(&rows[i], &msgs[i]),
            TINYFLEET__V1__CTL_RESPONSE__BODY_ALERTS, alerts, Tinyfleet__V1__CtlAlertPage,
            TINYFLEET__V1__CTL_ALERT_PAGE__INIT, n_alerts, alerts)

static void
ctl_send_end(struct control_client *cl, bool truncated)
{
	Tinyfleet__V1__CtlEnd e = TINYFLEET__V1__CTL_END__INIT;
	CtlResponse rsp = TINYFLEET__V1__CTL_RESPONSE__INIT;

	e.rows = cl->rows;
	e.truncated = truncated;
	rsp.body_case = TINYFLEET__V1__CTL_RESPONSE__BODY_END;
	rsp.end = &e;
	ctl_send(cl, cl->req_id, false, &rsp);
}

/* Produces one page of cl's stream; returns true when it did anything. */
static bool
ctl_pump_client(struct control_client *cl)
{
	size_t want = cl->page_size, n = 0;
	int64_t last = 0;
	bool end = false;
	int r;

	if (cl->closing || cl->stream == STREAM_NONE || cl->stream == STREAM_WATCH ||
	    cl->queued >= CONTROL_QUEUE_HIGH)
		return false;
	if (cl->limit > 0 && cl->limit - cl->rows < want)
		want = (size_t)(cl->limit - cl->rows);
	switch (cl->stream) {
	case STREAM_NODES:
		r = ctl_page_nodes(cl, cl->cur, want, &n, &end, &last);
		break;
	case STREAM_READINGS:
		r = ctl_page_readings(cl, cl->cur, want, &n, &end, &last);
		break;
	case STREAM_HEALTH:
		r = ctl_page_health(cl, cl->cur, want, &n, &end, &last);
		break;
	case STREAM_ALERTS:
		r = ctl_page_alerts(cl, cl->cur, want, &n, &end, &last);
		break;
	default:
		r = -EINVAL;
		break;
	}
	cl->rows += n;
	if (r < 0) {
		ctl_store_error(cl, cl->req_id, "reading the database", r);
		ctl_stream_stop(cl);
	} else if (end || (cl->limit > 0 && cl->rows >= cl->limit)) {
		ctl_send_end(cl, !end);
		ctl_stream_stop(cl);
	}
	if (cl->stream == STREAM_NONE && !cl->closing)
		ctl_process(cl); /* requests that waited for this answer */
	return true;
}

static void
ctl_pump_cb(uv_idle_t *h)
{
	struct control *c = h->data;
	struct control_client *cl, *next;
	bool busy = false;

	for (cl = c->clients; cl != NULL; cl = next) {
		next = cl->next;
		if (cl->sink == NULL && ctl_pump_client(cl))
			busy = true;
	}
	if (!busy)
		uv_idle_stop(h);
}

/* Sends what is new since the last look to a watching client. */
static void
ctl_watch_client(struct control_client *cl)
{
	struct store_read_query q = {
	        .node_id = cl->watch_node, .limit = CTL_WATCH_BATCH, .follow = true};
	struct store_read_alert_query aq = {
	        .node_id = cl->watch_node, .limit = CTL_WATCH_BATCH, .follow = true};
	struct store_read *rd = cl->ctl->rd;
	struct store_read_cursor *cur = NULL;
	int64_t last;
	size_t n;
	bool end;
	int r;

	for (int k = 0; k < 3 && !cl->closing && cl->queued < CONTROL_QUEUE_HIGH; k++) {
		q.after_id = aq.after_id = cl->watch_after[k];
		r = k == 0   ? store_read_readings(rd, &q, &cur)
		    : k == 1 ? store_read_health(rd, &q, &cur)
		             : store_read_alerts(rd, &aq, &cur);
		if (r < 0)
			continue; /* the next tick tries again */
		n = 0;
		last = cl->watch_after[k];
		if (k == 0)
			r = ctl_page_readings(cl, cur, CTL_WATCH_BATCH, &n, &end, &last);
		else if (k == 1)
			r = ctl_page_health(cl, cur, CTL_WATCH_BATCH, &n, &end, &last);
		else
			r = ctl_page_alerts(cl, cur, CTL_WATCH_BATCH, &n, &end, &last);
		store_read_cursor_free(cur);
		cur = NULL;
		if (r == 0 && n > 0) {
			cl->watch_after[k] = last;
			cl->rows += n;
		}
	}
}

/* ---- 2b. receive: framing and dispatch ---- */

static const struct ctl_handler ctl_table[] = {
        {TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 0, "status", ctl_status},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST, 0, "nodes list", ctl_nodes_list},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODE_SHOW, 0, "nodes show", ctl_node_show},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODE_ADD, CTL_ADMIN, "nodes add", ctl_node_add},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE, CTL_ADMIN, "nodes remove", ctl_node_remove},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG, CTL_ADMIN, "nodes tag", ctl_node_tag},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REKEY, CTL_ADMIN, "nodes rekey", ctl_node_rekey},
        {TINYFLEET__V1__CTL_REQUEST__BODY_NODES_IMPORT, CTL_ADMIN, "nodes import",
         ctl_nodes_import},
        {TINYFLEET__V1__CTL_REQUEST__BODY_READINGS, 0, "readings", ctl_readings},
        {TINYFLEET__V1__CTL_REQUEST__BODY_HEALTH, 0, "health", ctl_health},
        {TINYFLEET__V1__CTL_REQUEST__BODY_ALERTS, 0, "alerts", ctl_alerts},
        {TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK, CTL_ADMIN, "alerts ack", ctl_alert_ack},
        {TINYFLEET__V1__CTL_REQUEST__BODY_WATCH, 0, "watch", ctl_watch},
};

static void
ctl_dispatch(struct control_client *cl, const uint8_t *body, size_t len)
{
	const struct ctl_handler *h = NULL;
	CtlRequest *req;

	req = tinyfleet__v1__ctl_request__unpack(NULL, len, body);
	if (req == NULL) {
		ctl_error(cl, 0, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_BAD_REQUEST,
		          "undecodable request (%zu bytes)", len);
		return;
	}
	if (req->version != CONTROL_PROTOCOL) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_VERSION,
		          "protocol version %u; this daemon speaks %d", req->version,
		          CONTROL_PROTOCOL);
		goto out;
	}
	for (size_t i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++)
		if ((int)req->body_case == ctl_table[i].body)
			h = &ctl_table[i];
	if (h == NULL) {
		ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_BAD_REQUEST,
		          "unknown request (body %d)", (int)req->body_case);
		goto out;
	}
	if ((h->flags & CTL_ADMIN) && cl->role != CONTROL_ROLE_ADMIN) {
		log_warnx("control: refused '%s' to uid %u (pid %d): not an administrator", h->name,
		          (unsigned)cl->peer.uid, (int)cl->peer.pid);
		if (cl->ctl->admin_group[0] != '\0')
			ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_PERMISSION,
			          "permission denied: '%s' changes the fleet; it needs root, the "
			          "daemon's user or group '%s' (you are uid %u)",
			          h->name, cl->ctl->admin_group, (unsigned)cl->peer.uid);
		else
			ctl_error(cl, req->id, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_PERMISSION,
			          "permission denied: '%s' changes the fleet; it needs root or the "
			          "daemon's user (you are uid %u; no admin_group is configured)",
			          h->name, (unsigned)cl->peer.uid);
		goto out;
	}
	h->fn(cl, req);
out:
	tinyfleet__v1__ctl_request__free_unpacked(req, NULL);
}

/* Handles every whole request in the receive buffer that may be handled now. */
static void
ctl_process(struct control_client *cl)
{
	size_t off = 0, blen = 0;
	int r;

	while (!cl->closing && !cl->close_after_flush) {
		r = control_frame_parse(cl->rbuf + off, cl->rlen - off, CONTROL_REQUEST_MAX, &blen);
		if (r < 0) {
			ctl_error(cl, 0, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_TOO_LARGE,
			          "request exceeds the %u-byte limit", CONTROL_REQUEST_MAX);
			log_warnx(
			        "control: client uid %u pid %d sent an oversized request, closing",
			        (unsigned)cl->peer.uid, (int)cl->peer.pid);
			cl->close_after_flush = true;
			if (cl->queued == 0)
				ctl_client_close(cl);
			break;
		}
		if (r == 0)
			break;
		if (cl->stream == STREAM_WATCH) {
			/* Any request ends a watch: answer its end first. */
			ctl_send_end(cl, false);
			ctl_stream_stop(cl);
		} else if (cl->stream != STREAM_NONE) {
			break; /* answered after the current stream ends */
		}
		ctl_dispatch(cl, cl->rbuf + off + 4, blen);
		off += 4 + blen;
	}
	if (cl->closing || off == 0)
		return;
	memmove(cl->rbuf, cl->rbuf + off, cl->rlen - off);
	cl->rlen -= off;
}

/* ---- detached clients (tests, fuzzer) ---- */

static struct control_client *
ctl_client_alloc(struct control *c, const struct control_peer *peer)
{
	struct control_client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return NULL;
	cl->ctl = c;
	cl->peer = *peer;
	cl->role = control_peer_role(peer, &c->policy);
	cl->pipe.data = cl;
	cl->next = c->clients;
	if (c->clients != NULL)
		c->clients->prev = cl;
	c->clients = cl;
	c->n_clients++;
	return cl;
}

int
control_client_new_detached(struct control *c, const struct control_peer *peer,
                            void (*sink)(void *arg, const uint8_t *frame, size_t len), void *arg,
                            struct control_client **ret)
{
	struct control_client *cl;

	if (c == NULL || peer == NULL || sink == NULL || ret == NULL)
		return -EINVAL;
	if ((cl = ctl_client_alloc(c, peer)) == NULL)
		return -ENOMEM;
	cl->sink = sink;
	cl->sink_arg = arg;
	*ret = cl;
	return 0;
}

int
control_client_feed(struct control_client *cl, const uint8_t *data, size_t len)
{
	if (cl->closing)
		return -EPIPE;
	if (len > CONTROL_REQUEST_MAX + 4 + 65536 - cl->rlen) {
		ctl_drop(cl, "it sends more than the request limit");
		return -EPIPE;
	}
	if (cl->rcap < cl->rlen + len) {
		size_t cap = cl->rlen + len;
		uint8_t *nb = realloc(cl->rbuf, cap ? cap : 1);

		if (nb == NULL)
			return -ENOMEM;
		cl->rbuf = nb;
		cl->rcap = cap;
	}
	if (len > 0)
		memcpy(cl->rbuf + cl->rlen, data, len);
	cl->rlen += len;
	ctl_process(cl);
	return cl->closing ? -EPIPE : 0;
}

size_t
control_client_pump(struct control_client *cl)
{
	size_t pages = 0;

	if (cl->stream == STREAM_WATCH && !cl->closing) {
		ctl_watch_client(cl);
		return 1;
	}
	while (!cl->closing && cl->stream != STREAM_NONE && cl->stream != STREAM_WATCH &&
	       ctl_pump_client(cl))
		pages++;
	return pages;
}

void
control_client_free_detached(struct control_client *cl)
{
	if (cl == NULL)
		return;
	ctl_client_close(cl);
	free(cl->rbuf);
	free(cl);
}

/* ---- 5. the server ---- */

static void
ctl_handle_closed(uv_handle_t *h)
{
	struct control *c = h->data;

	if (--c->handles_open == 0 && c->freeing)
		free(c);
}

static int
ctl_peer_creds(int fd, struct control_peer *p)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[CONTROL_GROUPS_MAX];

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	len = sizeof(groups);
	/* Supplementary groups; a peer in more than CONTROL_GROUPS_MAX is judged by those. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		p->n_groups = len / sizeof(gid_t);
		memcpy(p->groups, groups, p->n_groups * sizeof(gid_t));
	}
	return 0;
}

static void
ctl_connection_cb(uv_stream_t *server, int status)
{
	struct control *c = server->data;
	struct control_client *cl;
	struct control_peer peer = {0};
	uv_os_fd_t fd;
	int r;

	if (status < 0) {
		log_warnx("control: accept: %s, ignoring", uv_strerror(status));
		return;
	}
	if ((cl = ctl_client_alloc(c, &peer)) == NULL)
		return;
	uv_pipe_init(c->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	c->handles_open++;
	if ((r = uv_accept(server, (uv_stream_t *)&cl->pipe)) < 0 ||
	    (r = uv_fileno((uv_handle_t *)&cl->pipe, &fd)) < 0 ||
	    (r = ctl_peer_creds(fd, &cl->peer)) < 0) {
		log_warnx("control: accepting a client: %s, ignoring", uv_strerror(r));
		ctl_client_close(cl);
		return;
	}
	cl->role = control_peer_role(&cl->peer, &c->policy);
	cl->active_ms = ctl_mono(c);
	if (c->n_clients > CONTROL_CLIENTS_MAX) {
		log_warnx("control: %d clients connected, refusing uid %u pid %d",
		          CONTROL_CLIENTS_MAX, (unsigned)cl->peer.uid, (int)cl->peer.pid);
		ctl_error(cl, 0, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_TOO_MANY,
		          "too many clients (%d); try again later", CONTROL_CLIENTS_MAX);
		cl->close_after_flush = true;
		return;
	}
	if (cl->role == CONTROL_ROLE_NONE) {
		log_warnx("control: refused uid %u pid %d: not in the socket's group",
		          (unsigned)cl->peer.uid, (int)cl->peer.pid);
		ctl_error(cl, 0, TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_PERMISSION,
		          "permission denied: uid %u is not in the control socket's group",
		          (unsigned)cl->peer.uid);
		cl->close_after_flush = true;
		return;
	}
	if ((r = uv_read_start((uv_stream_t *)&cl->pipe, ctl_alloc_cb, ctl_read_cb)) < 0) {
		ctl_drop(cl, uv_strerror(r));
		return;
	}
	log_debug("control: client uid %u pid %d (%s)", (unsigned)cl->peer.uid, (int)cl->peer.pid,
	          cl->role == CONTROL_ROLE_ADMIN ? "admin" : "read");
}

static void
ctl_tick_cb(uv_timer_t *t)
{
	struct control *c = t->data;
	struct control_client *cl, *next;
	uint64_t now = ctl_mono(c);

	if (c->ingest != NULL) {
		struct ingest_stats is;

		ingest_get_stats(c->ingest, &is);
		if (c->n_samples == 0 ||
		    now - c->samples[(c->head + CTL_SAMPLES - 1) % CTL_SAMPLES].ms >= 1000) {
			c->samples[c->head].ms = now;
			c->samples[c->head].committed = is.committed;
			c->head = (c->head + 1) % CTL_SAMPLES;
			if (c->n_samples < CTL_SAMPLES)
				c->n_samples++;
		}
	}
	for (cl = c->clients; cl != NULL; cl = next) {
		next = cl->next;
		if (cl->queued > 0 && now - cl->progress_ms > CONTROL_STALL_MS) {
			ctl_drop(cl, "it stopped reading its answers");
			continue;
		}
		/* A connection that only sits there holds one of the few slots. */
		if (cl->stream == STREAM_NONE && cl->queued == 0 &&
		    now - cl->active_ms > CONTROL_IDLE_MS) {
			ctl_drop(cl, "idle");
			continue;
		}
		if (cl->stream == STREAM_WATCH)
			ctl_watch_client(cl);
	}
}

/* Binds the socket: refuses to replace one a live daemon answers on. */
static int
ctl_bind(struct control *c)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, r;

	if (lstat(c->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, c->path, strlen(c->path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return -EADDRINUSE;
		}
		if (fd >= 0)
			close(fd);
		(void)unlink(c->path); /* stale: its daemon is gone */
	}
	/* 0660 from the first moment: the umask covers the window before chmod. */
	old = umask(0117);
	r = uv_pipe_bind(&c->server, c->path);
	umask(old);
	if (r < 0)
		return r;
	if (chmod(c->path, 0660) < 0 || stat(c->path, &st) < 0)
		return -errno;
	c->policy.sock_gid = st.st_gid;
	return 0;
}

static int
ctl_init(const struct control_deps *deps, const struct config *cfg, struct control **ret)
{
	struct control *c;
	int r;

	if (deps == NULL || cfg == NULL || ret == NULL || deps->store == NULL)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->loop = deps->loop;
	c->store = deps->store;
	c->sess = deps->sess;
	c->ingest = deps->ingest;
	c->mqtt = deps->mqtt;
	c->mqtt_enabled = cfg->mqtt.enabled;
	snprintf(c->gateway_id, sizeof(c->gateway_id), "%s", cfg->mqtt.gateway_id);
	snprintf(c->enroll_address, sizeof(c->enroll_address), "%s", cfg->enroll_address);
	snprintf(c->admin_group, sizeof(c->admin_group), "%s", cfg->admin_group);
	c->offline_after_ms =
	        cfg->alerts.offline_after_ms > 0 ? cfg->alerts.offline_after_ms : 300000;
	c->policy.self_uid = geteuid();
	c->policy.sock_gid = getegid();
	if (c->admin_group[0] != '\0') {
		struct group *g = getgrnam(c->admin_group);

		if (g != NULL) {
			c->policy.admin_gid = g->gr_gid;
			c->policy.have_admin = true;
		} else {
			log_warnx("control: admin_group '%s' does not exist: only root and the "
			          "daemon's user may change things",
			          c->admin_group);
		}
	}
	if ((r = sodium_init()) < 0) {
		free(c);
		return -EIO;
	}
	if ((r = store_read_open(cfg->db_path, &c->rd)) < 0) {
		free(c);
		return r;
	}
	c->start_ms = ctl_mono(c);
	*ret = c;
	return 0;
}

int
control_new_unbound(const struct control_deps *deps, const struct config *cfg, struct control **ret)
{
	struct control_deps d = *deps;

	d.loop = NULL;
	return ctl_init(&d, cfg, ret);
}

int
control_new(const struct control_deps *deps, const struct config *cfg, struct control **ret)
{
	struct control *c = NULL;
	const char *rt = getenv("RUNTIME_DIRECTORY");
	int r;

	if (deps == NULL || deps->loop == NULL)
		return -EINVAL;
	if ((r = ctl_init(deps, cfg, &c)) < 0)
		return r;
	if (cfg->control_socket[0] != '\0')
		r = snprintf(c->path, sizeof(c->path), "%s", cfg->control_socket) >=
		                    (int)sizeof(c->path)
		            ? -ENAMETOOLONG
		            : 0;
	else
		r = control_default_path(rt, cfg->db_path, c->path, sizeof(c->path));
	if (r < 0)
		goto fail;
	uv_pipe_init(c->loop, &c->server, 0);
	uv_timer_init(c->loop, &c->tick);
	uv_idle_init(c->loop, &c->pump);
	c->server.data = c->tick.data = c->pump.data = c;
	c->handles_open = 3;
	c->bound = true;
	if ((r = ctl_bind(c)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&c->server, 2 * CONTROL_CLIENTS_MAX, ctl_connection_cb)) <
	            0) {
		c->bound = false;
		c->freeing = true;
		store_read_free(c->rd);
		c->rd = NULL;
		uv_close((uv_handle_t *)&c->server, ctl_handle_closed);
		uv_close((uv_handle_t *)&c->tick, ctl_handle_closed);
		uv_close((uv_handle_t *)&c->pump, ctl_handle_closed);
		return r;
	}
	uv_timer_start(&c->tick, ctl_tick_cb, CONTROL_TICK_MS, CONTROL_TICK_MS);
	*ret = c;
	return 0;
fail:
	store_read_free(c->rd);
	free(c);
	return r;
}

const char *
control_path(const struct control *c)
{
	return c->path;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	c->freeing = true;
	/* Clients first: their cursors hold read snapshots on c->rd. */
	while (c->clients != NULL) {
		struct control_client *cl = c->clients;

		if (cl->sink != NULL) {
			control_client_free_detached(cl);
			continue;
		}
		ctl_client_close(cl);
	}
	store_read_free(c->rd);
	c->rd = NULL;
	if (!c->bound) {
		/* Unbound (tests): no handles, unless clients are still closing. */
		if (c->handles_open == 0)
			free(c);
		return;
	}
	(void)unlink(c->path);
	uv_close((uv_handle_t *)&c->server, ctl_handle_closed);
	uv_close((uv_handle_t *)&c->tick, ctl_handle_closed);
	uv_close((uv_handle_t *)&c->pump, ctl_handle_closed);
	c->bound = false;
}
