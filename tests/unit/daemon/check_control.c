/*
 * check_control: the control socket's framing, peer-credential policy and
 * request handling, through a detached client (no socket, no loop) on a
 * scratch database.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "store.h"
#include "tinyfleet/v1/control.pb-c.h"

typedef Tinyfleet__V1__CtlRequest CtlRequest;
typedef Tinyfleet__V1__CtlResponse CtlResponse;

#define MAX_RSP 4096

/* ---- fixture: a database with nodes, a control server, a sink ---- */

static char dir[64];
static char db_path[128];
static struct store *st;
static struct config cfg;
static struct control *ctl;
static CtlResponse *rsp[MAX_RSP];
static size_t n_rsp;

static void
sink(void *arg, const uint8_t *frame, size_t len)
{
	size_t blen = 0;

	(void)arg;
	ck_assert_int_eq(control_frame_parse(frame, len, CONTROL_QUEUE_MAX, &blen), 1);
	ck_assert_uint_eq(blen + 4, len);
	ck_assert_uint_lt(n_rsp, MAX_RSP);
	rsp[n_rsp] = tinyfleet__v1__ctl_response__unpack(NULL, blen, frame + 4);
	ck_assert_ptr_nonnull(rsp[n_rsp]);
	ck_assert_uint_eq(rsp[n_rsp]->version, CONTROL_PROTOCOL);
	n_rsp++;
}

static void
clear_rsp(void)
{
	for (size_t i = 0; i < n_rsp; i++)
		tinyfleet__v1__ctl_response__free_unpacked(rsp[i], NULL);
	n_rsp = 0;
}

static void
setup(void)
{
	struct store_opts so = {.synchronous = 0};
	struct control_deps deps = {0};
	uint8_t key[STORE_KEY_BYTES] = {1};
	char name[32];

	snprintf(dir, sizeof(dir), "/tmp/check_control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/tf.db", dir);
	so.path = db_path;
	ck_assert_int_eq(store_open(&so, &st), 0);
	for (int i = 1; i <= 30; i++) {
		snprintf(name, sizeof(name), "node-%d", i);
		ck_assert_int_eq(store_node_add(st, 0, name, i % 2 ? "odd" : "even,x", key, NULL),
		                 0);
	}
	config_defaults(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db_path);
	deps.store = st;
	ck_assert_int_eq(control_new_unbound(&deps, &cfg, &ctl), 0);
	n_rsp = 0;
}

static void
teardown(void)
{
	clear_rsp();
	control_free(ctl);
	store_free(st);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct control_client *
client(uid_t uid, gid_t gid)
{
	struct control_peer p = {.pid = 1, .uid = uid, .gid = gid};
	struct control_client *cl = NULL;

	ck_assert_int_eq(control_client_new_detached(ctl, &p, sink, NULL, &cl), 0);
	return cl;
}

/* Frames and feeds one request. */
static int
send_req(struct control_client *cl, CtlRequest *req)
{
	size_t n = tinyfleet__v1__ctl_request__get_packed_size(req);
	uint8_t *buf = malloc(n + 4);
	int r;

	control_frame_put_len(buf, (uint32_t)n);
	tinyfleet__v1__ctl_request__pack(req, buf + 4);
	r = control_client_feed(cl, buf, n + 4);
	free(buf);
	control_client_pump(cl);
	return r;
}

static CtlRequest
req_init(int body, uint32_t id)
{
	CtlRequest r = TINYFLEET__V1__CTL_REQUEST__INIT;

	r.version = CONTROL_PROTOCOL;
	r.id = id;
	r.body_case = (Tinyfleet__V1__CtlRequest__BodyCase)body;
	return r;
}

static Tinyfleet__V1__CtlErrorCode
error_code(const CtlResponse *r)
{
	ck_assert_int_eq(r->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_ERROR);
	return r->error->code;
}

/* ---- core ---- */

START_TEST(test_frame_parse_waits_for_whole_frame)
{
	const uint8_t f[] = {0, 0, 0, 3, 'a', 'b', 'c', 0xff};
	size_t n = 0;

	for (size_t len = 0; len < 7; len++)
		ck_assert_int_eq(control_frame_parse(f, len, 100, &n), 0);
	ck_assert_int_eq(control_frame_parse(f, 7, 100, &n), 1);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(control_frame_parse(f, sizeof(f), 100, &n), 1);
}
END_TEST

START_TEST(test_frame_put_len_is_big_endian)
{
	uint8_t h[4];
	size_t n = 0;

	control_frame_put_len(h, 0x01020304u);
	ck_assert_int_eq(h[0], 1);
	ck_assert_int_eq(h[3], 4);
	control_frame_put_len(h, 0);
	ck_assert_int_eq(control_frame_parse(h, 4, 10, &n), 1);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_peer_role_root_and_self_are_admin)
{
	struct control_policy pol = {.self_uid = 990, .sock_gid = 990};
	struct control_peer p = {.uid = 0, .gid = 5};

	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_ADMIN);
	p.uid = 990;
	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_ADMIN);
}
END_TEST

START_TEST(test_peer_role_socket_group_reads_admin_group_changes)
{
	struct control_policy pol = {
	        .self_uid = 990, .sock_gid = 990, .admin_gid = 27, .have_admin = true};
	struct control_peer p = {.uid = 1000, .gid = 1000};

	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_NONE);
	p.groups[p.n_groups++] = 990;
	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_READ);
	p.groups[p.n_groups++] = 27;
	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_ADMIN);
	p.n_groups = 0;
	p.gid = 27; /* primary group counts too */
	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_ADMIN);
	pol.have_admin = false; /* no admin_group configured: gid 27 means nothing */
	ck_assert_int_eq(control_peer_role(&p, &pol), CONTROL_ROLE_NONE);
}
END_TEST

START_TEST(test_default_path_prefers_runtime_directory)
{
	char buf[108];

	ck_assert_int_eq(control_default_path("/run/tinyfleet", "/var/lib/tinyfleet/tf.db", buf,
	                                      sizeof(buf)),
	                 0);
	ck_assert_str_eq(buf, "/run/tinyfleet/control.sock");
	ck_assert_int_eq(control_default_path("/run/a:/run/b", "x.db", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/a/control.sock");
	ck_assert_int_eq(control_default_path(NULL, "/var/lib/tinyfleet/tf.db", buf, sizeof(buf)),
	                 0);
	ck_assert_str_eq(buf, "/var/lib/tinyfleet/control.sock");
	ck_assert_int_eq(control_default_path("", "tf.db", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "control.sock");
}
END_TEST

START_TEST(test_status_is_answered_once_with_the_request_id)
{
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 42);
	struct control_client *cl = client(1000, 1000);

	req.status = &s;
	(void)cl;
	ck_assert_int_eq(send_req(cl, &req), 0);
	ck_assert_uint_eq(n_rsp, 1);
	ck_assert_int_eq(rsp[0]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS);
	ck_assert_uint_eq(rsp[0]->id, 42);
	ck_assert(!rsp[0]->more);
	ck_assert_uint_eq(rsp[0]->status->nodes_total, 30);
	ck_assert_uint_eq(rsp[0]->status->nodes_online, 0);
}
END_TEST

START_TEST(test_seqs_abandoned_committed_are_in_status_node_show_and_list)
{
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	Tinyfleet__V1__CtlNodesListReq q = TINYFLEET__V1__CTL_NODES_LIST_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 1);
	struct control_client *cl = client(1000, 1000);
	struct store_node_state ns[2] = {{.id = 3, .seqs_abandoned = 70},
	                                 {.id = 8, .seqs_abandoned = 5}};

	/* As the data path commits them, with the nodes' windows. */
	ck_assert_int_eq(store_commit(st, NULL, 0, ns, 2), 0);
	req.status = &s;
	send_req(cl, &req);
	ck_assert_int_eq(rsp[0]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS);
	ck_assert_uint_eq(rsp[0]->status->seqs_abandoned, 75);
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_SHOW, 2);
	ref.node = (char *)"node-3";
	req.node_show = &ref;
	send_req(cl, &req);
	ck_assert_int_eq(rsp[1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_NODE);
	ck_assert_uint_eq(rsp[1]->node->node->seqs_abandoned, 70);
	ref.node = (char *)"node-4";
	send_req(cl, &req);
	ck_assert_uint_eq(rsp[2]->node->node->seqs_abandoned, 0);
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST, 3);
	req.nodes_list = &q;
	send_req(cl, &req);
	ck_assert_int_eq(rsp[3]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_NODES);
	ck_assert_uint_eq(rsp[3]->nodes->n_nodes, 30);
	for (size_t i = 0; i < 30; i++) {
		const Tinyfleet__V1__CtlNode *n = rsp[3]->nodes->nodes[i];

		ck_assert_uint_eq(n->seqs_abandoned, n->id == 3 ? 70 : n->id == 8 ? 5 : 0);
	}
}
END_TEST

START_TEST(test_nodes_list_streams_pages_and_ends)
{
	Tinyfleet__V1__CtlNodesListReq q = TINYFLEET__V1__CTL_NODES_LIST_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST, 7);
	struct control_client *cl = client(0, 0);
	size_t rows = 0;

	q.page_size = 4;
	req.nodes_list = &q;
	ck_assert_int_eq(send_req(cl, &req), 0);
	ck_assert_uint_eq(n_rsp, 8 + 1); /* 30 rows in pages of 4, then the end */
	for (size_t i = 0; i + 1 < n_rsp; i++) {
		ck_assert_int_eq(rsp[i]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_NODES);
		ck_assert(rsp[i]->more);
		ck_assert_uint_eq(rsp[i]->id, 7);
		rows += rsp[i]->nodes->n_nodes;
	}
	ck_assert_uint_eq(rows, 30);
	ck_assert_int_eq(rsp[n_rsp - 1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_END);
	ck_assert(!rsp[n_rsp - 1]->more);
	ck_assert_uint_eq(rsp[n_rsp - 1]->end->rows, 30);
}
END_TEST

START_TEST(test_nodes_list_filters_by_tag_and_sorts_by_name)
{
	Tinyfleet__V1__CtlNodesListReq q = TINYFLEET__V1__CTL_NODES_LIST_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST, 1);
	struct control_client *cl = client(0, 0);

	q.tag = (char *)"x";
	q.sort = TINYFLEET__V1__CTL_NODE_SORT__CTL_NODE_SORT_NAME;
	req.nodes_list = &q;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 2);
	ck_assert_uint_eq(rsp[0]->nodes->n_nodes, 15);
	ck_assert_str_eq(rsp[0]->nodes->nodes[0]->name, "node-10");
	ck_assert_str_eq(rsp[0]->nodes->nodes[0]->tags, "even,x");
}
END_TEST

START_TEST(test_admin_changes_go_through_and_are_seen)
{
	Tinyfleet__V1__CtlNodeTagReq t = TINYFLEET__V1__CTL_NODE_TAG_REQ__INIT;
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG, 3);
	struct control_client *cl = client(0, 0);
	char *add[] = {(char *)"roof", (char *)"odd"}, *rm[] = {(char *)"odd"};
	struct store_node n;

	t.node = (char *)"node-3";
	t.n_add = 2;
	t.add = add;
	t.n_remove = 1;
	t.remove = rm;
	req.node_tag = &t;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 1);
	ck_assert_int_eq(rsp[0]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_DONE);
	ck_assert_int_eq(store_node_get_by_name(st, "node-3", &n), 0);
	ck_assert_str_eq(n.tags, "roof");

	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE, 4);
	ref.node = (char *)"3"; /* by id */
	req.node_remove = &ref;
	send_req(cl, &req);
	ck_assert_int_eq(rsp[1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_DONE);
	ck_assert_int_eq(store_node_get_by_name(st, "node-3", &n), -ENOENT);
}
END_TEST

/* Stores readings of node 1 at t = 1000..1000+n-1 s with labels i % 3, and alerts. */
static void
fill_data(int n)
{
	struct store_rec *recs = calloc((size_t)n + 4, sizeof(*recs));
	char *data = malloc(64 * ((size_t)n + 1));

	for (int i = 0; i < n; i++) {
		struct store_rec *r = &recs[i];

		snprintf(data + 64 * i, 64, "{\"top_label\":\"c%d\"}", i % 3);
		r->kind = STORE_KIND_INFERENCE;
		r->node_id = 1 + (i % 2) * 4; /* nodes 1 and 5 */
		r->seq = (uint32_t)i + 1;
		r->t_ms = r->rx_ms = 1000000 + (int64_t)i * 1000;
		r->u.inf.label = (uint32_t)(i % 3);
		r->data = data + 64 * i;
	}
	/* node 2: battery_low raised then cleared; node 3: raised (open). */
	for (int k = 0; k < 3; k++) {
		struct store_rec *r = &recs[n + k];

		r->kind = STORE_KIND_ALERT;
		r->node_id = k < 2 ? 2 : 3;
		r->t_ms = 2000000 + k;
		r->u.alert.kind = "battery_low";
		r->u.alert.rule = "";
		r->u.alert.severity = 1;
		r->u.alert.raised = k != 1;
	}
	ck_assert_int_eq(store_commit(st, recs, (size_t)n + 3, NULL, 0), 0);
	free(recs);
	free(data);
}

/* Collects the readings of a streamed answer. */
static size_t
collect_readings(int64_t *t, uint32_t *node, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n_rsp; i++) {
		if (rsp[i]->body_case != TINYFLEET__V1__CTL_RESPONSE__BODY_READINGS)
			continue;
		for (size_t j = 0; j < rsp[i]->readings->n_readings && k < max; j++, k++) {
			t[k] = rsp[i]->readings->readings[j]->t_ms;
			node[k] = rsp[i]->readings->readings[j]->node_id;
		}
	}
	ck_assert_int_eq(rsp[n_rsp - 1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_END);
	return k;
}

START_TEST(test_readings_latest_window_comes_in_time_order)
{
	Tinyfleet__V1__CtlQueryReq q = TINYFLEET__V1__CTL_QUERY_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_READINGS, 1);
	struct control_client *cl = client(0, 0);
	int64_t t[64];
	uint32_t node[64];
	size_t n;

	fill_data(40);
	q.limit = 5;
	q.node = (char *)"node-1";
	req.readings = &q;
	send_req(cl, &req);
	n = collect_readings(t, node, 64);
	ck_assert_uint_eq(n, 5);
	/* The latest 5 of node 1 (even i, 0..38), oldest first. */
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(node[i], 1);
		ck_assert_int_eq(t[i], 1000000 + (30 + 2 * (int64_t)i) * 1000);
	}
	ck_assert(rsp[n_rsp - 1]->end->truncated);
}
END_TEST

START_TEST(test_readings_since_until_and_label_filter)
{
	Tinyfleet__V1__CtlQueryReq q = TINYFLEET__V1__CTL_QUERY_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_READINGS, 1);
	struct control_client *cl = client(0, 0);
	int64_t t[64];
	uint32_t node[64];
	size_t n;

	fill_data(40);
	q.since_ms = 1000000 + 10 * 1000;
	q.until_ms = 1000000 + 20 * 1000;
	q.limit = 100;
	req.readings = &q;
	send_req(cl, &req);
	n = collect_readings(t, node, 64);
	ck_assert_uint_eq(n, 10); /* i = 10..19, both nodes */
	ck_assert_int_eq(t[0], 1010000);
	ck_assert_int_eq(t[9], 1019000);
	clear_rsp();
	q.label = (char *)"c1"; /* i % 3 == 1: 10, 13, 16, 19 */
	send_req(cl, &req);
	ck_assert_uint_eq(collect_readings(t, node, 64), 4);
	clear_rsp();
	q.label = (char *)"1"; /* the index matches too */
	send_req(cl, &req);
	ck_assert_uint_eq(collect_readings(t, node, 64), 4);
}
END_TEST

START_TEST(test_alerts_open_cleared_and_acknowledged)
{
	Tinyfleet__V1__CtlAlertsReq q = TINYFLEET__V1__CTL_ALERTS_REQ__INIT;
	Tinyfleet__V1__CtlAlertAckReq ack = TINYFLEET__V1__CTL_ALERT_ACK_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_ALERTS, 1);
	struct control_client *cl = client(0, 0);
	const Tinyfleet__V1__CtlAlertPage *p;

	fill_data(2);
	req.alerts = &q;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 2);
	p = rsp[0]->alerts;
	ck_assert_uint_eq(p->n_alerts, 2); /* the two raised rows, newest first */
	ck_assert_str_eq(p->alerts[0]->node, "node-3");
	ck_assert_int_eq(p->alerts[0]->cleared_ms, 0);
	ck_assert_str_eq(p->alerts[1]->node, "node-2");
	ck_assert_int_eq(p->alerts[1]->cleared_ms, 2000001);
	ck_assert_str_eq(p->alerts[1]->severity, "warning");
	ack.id = p->alerts[0]->id;
	clear_rsp();

	q.open_only = true;
	send_req(cl, &req);
	ck_assert_uint_eq(rsp[0]->alerts->n_alerts, 1);
	clear_rsp();

	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK, 2);
	req.alert_ack = &ack;
	send_req(cl, &req);
	ck_assert_int_eq(rsp[0]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_DONE);
	clear_rsp();
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_ALERTS, 3);
	req.alerts = &q;
	send_req(cl, &req);
	ck_assert_int_gt(rsp[0]->alerts->alerts[0]->acked_ms, 0);
	ck_assert_int_eq(rsp[0]->alerts->alerts[0]->acked_uid, 0);
	clear_rsp();
	/* A cleared row is not an alert one can acknowledge. */
	ack.id = ack.id - 1;
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK, 4);
	req.alert_ack = &ack;
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_watch_sends_only_new_rows_and_ends_on_a_new_request)
{
	Tinyfleet__V1__CtlWatchReq w = TINYFLEET__V1__CTL_WATCH_REQ__INIT;
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_WATCH, 1);
	struct control_client *cl = client(0, 0);
	size_t rows = 0;

	fill_data(4); /* before the watch: not sent */
	req.watch = &w;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 0);
	fill_data(6);
	control_client_pump(cl);
	for (size_t i = 0; i < n_rsp; i++) {
		ck_assert(rsp[i]->more);
		if (rsp[i]->body_case == TINYFLEET__V1__CTL_RESPONSE__BODY_READINGS)
			rows += rsp[i]->readings->n_readings;
	}
	ck_assert_uint_eq(rows, 6);
	ck_assert_uint_eq(n_rsp, 2); /* a page of readings, a page of alert rows */
	clear_rsp();
	control_client_pump(cl);
	ck_assert_uint_eq(n_rsp, 0); /* nothing new */
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 2);
	req.status = &s;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 2);
	ck_assert_int_eq(rsp[0]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_END);
	ck_assert_uint_eq(rsp[0]->id, 1);
	ck_assert_int_eq(rsp[1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_read_only_peer_is_refused_every_change)
{
	static const int bodies[] = {
	        TINYFLEET__V1__CTL_REQUEST__BODY_NODE_ADD,
	        TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE,
	        TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG,
	        TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REKEY,
	        TINYFLEET__V1__CTL_REQUEST__BODY_NODES_IMPORT,
	        TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK,
	};
	Tinyfleet__V1__CtlNodeAddReq add = TINYFLEET__V1__CTL_NODE_ADD_REQ__INIT;
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	Tinyfleet__V1__CtlNodeTagReq tag = TINYFLEET__V1__CTL_NODE_TAG_REQ__INIT;
	Tinyfleet__V1__CtlNodesImportReq im = TINYFLEET__V1__CTL_NODES_IMPORT_REQ__INIT;
	Tinyfleet__V1__CtlAlertAckReq ack = TINYFLEET__V1__CTL_ALERT_ACK_REQ__INIT;
	struct control_client *cl = client(65534, 65534); /* neither root nor the daemon */
	int64_t count = 0;

	add.name = (char *)"intruder";
	ref.node = (char *)"node-1";
	tag.node = (char *)"node-1";
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CtlRequest req = req_init(bodies[i], (uint32_t)i + 1);

		req.node_add = &add; /* the union: each case has its own message pointer */
		switch (bodies[i]) {
		case TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REMOVE:
		case TINYFLEET__V1__CTL_REQUEST__BODY_NODE_REKEY:
			req.node_remove = &ref;
			break;
		case TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG:
			req.node_tag = &tag;
			break;
		case TINYFLEET__V1__CTL_REQUEST__BODY_NODES_IMPORT:
			req.nodes_import = &im;
			break;
		case TINYFLEET__V1__CTL_REQUEST__BODY_ALERT_ACK:
			req.alert_ack = &ack;
			break;
		}
		send_req(cl, &req);
		ck_assert_uint_eq(n_rsp, i + 1);
		ck_assert_int_eq(error_code(rsp[i]),
		                 TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_PERMISSION);
	}
	ck_assert_int_eq(store_node_count(st, &count), 0);
	ck_assert_int_eq(count, 30);
}
END_TEST

START_TEST(test_oversized_request_is_refused_and_the_client_dropped)
{
	struct control_client *cl = client(0, 0);
	uint8_t hdr[4];

	control_frame_put_len(hdr, CONTROL_REQUEST_MAX + 1);
	ck_assert_int_eq(control_client_feed(cl, hdr, 4), -EPIPE);
	ck_assert_uint_eq(n_rsp, 1);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_TOO_LARGE);
	/* Nothing more is answered on a dropped connection. */
	ck_assert_int_eq(control_client_feed(cl, hdr, 4), -EPIPE);
	ck_assert_uint_eq(n_rsp, 1);
	/* A dropped client is no longer the server's: its owner frees it. */
	control_client_free_detached(cl);
}
END_TEST

START_TEST(test_page_size_is_capped)
{
	Tinyfleet__V1__CtlNodesListReq q = TINYFLEET__V1__CTL_NODES_LIST_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODES_LIST, 1);
	struct control_client *cl = client(0, 0);

	q.page_size = 1u << 30;
	req.nodes_list = &q;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 2);
	ck_assert_uint_le(rsp[0]->nodes->n_nodes, CONTROL_PAGE_MAX);
}
END_TEST

START_TEST(test_query_limit_above_maximum_is_invalid)
{
	Tinyfleet__V1__CtlQueryReq q = TINYFLEET__V1__CTL_QUERY_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_READINGS, 1);
	struct control_client *cl = client(0, 0);

	q.limit = 2000000;
	req.readings = &q;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 1);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID);
}
END_TEST

START_TEST(test_requests_split_at_every_byte_are_answered)
{
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 9);
	struct control_client *cl = client(0, 0);
	uint8_t buf[64];
	size_t n;

	req.status = &s;
	n = tinyfleet__v1__ctl_request__get_packed_size(&req);
	control_frame_put_len(buf, (uint32_t)n);
	tinyfleet__v1__ctl_request__pack(&req, buf + 4);
	memcpy(buf + 4 + n, buf, 4 + n); /* two requests back to back */
	for (size_t i = 0; i < 2 * (4 + n); i++)
		ck_assert_int_eq(control_client_feed(cl, buf + i, 1), 0);
	ck_assert_uint_eq(n_rsp, 2);
	ck_assert_uint_eq(rsp[1]->id, 9);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_garbage_gets_an_error_and_the_connection_stays_usable)
{
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 5);
	struct control_client *cl = client(0, 0);
	const uint8_t garbage[] = {0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff};

	ck_assert_int_eq(control_client_feed(cl, garbage, sizeof(garbage)), 0);
	ck_assert_uint_eq(n_rsp, 1);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_BAD_REQUEST);
	req.status = &s;
	send_req(cl, &req);
	ck_assert_uint_eq(n_rsp, 2);
	ck_assert_int_eq(rsp[1]->body_case, TINYFLEET__V1__CTL_RESPONSE__BODY_STATUS);
}
END_TEST

START_TEST(test_other_version_and_missing_body_are_refused)
{
	Tinyfleet__V1__CtlStatusReq s = TINYFLEET__V1__CTL_STATUS_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_STATUS, 1);
	struct control_client *cl = client(0, 0);

	req.status = &s;
	req.version = 2;
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_VERSION);
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY__NOT_SET, 2);
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[1]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_BAD_REQUEST);
}
END_TEST

START_TEST(test_unknown_node_is_not_found)
{
	Tinyfleet__V1__CtlNodeRef ref = TINYFLEET__V1__CTL_NODE_REF__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_SHOW, 1);
	struct control_client *cl = client(0, 0);

	ref.node = (char *)"no-such-node";
	req.node_show = &ref;
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_NOT_FOUND);
	ref.node = (char *)"";
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[1]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID);
}
END_TEST

START_TEST(test_bad_tag_and_duplicate_name_are_refused)
{
	Tinyfleet__V1__CtlNodeTagReq t = TINYFLEET__V1__CTL_NODE_TAG_REQ__INIT;
	Tinyfleet__V1__CtlNodeAddReq a = TINYFLEET__V1__CTL_NODE_ADD_REQ__INIT;
	CtlRequest req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_TAG, 1);
	struct control_client *cl = client(0, 0);
	char *add[] = {(char *)"has space"};

	t.node = (char *)"node-1";
	t.n_add = 1;
	t.add = add;
	req.node_tag = &t;
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[0]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_INVALID);
	req = req_init(TINYFLEET__V1__CTL_REQUEST__BODY_NODE_ADD, 2);
	a.name = (char *)"node-1";
	req.node_add = &a;
	send_req(cl, &req);
	ck_assert_int_eq(error_code(rsp[1]), TINYFLEET__V1__CTL_ERROR_CODE__CTL_ERR_EXISTS);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_frame_parse_waits_for_whole_frame);
	tcase_add_test(tc, test_frame_put_len_is_big_endian);
	tcase_add_test(tc, test_peer_role_root_and_self_are_admin);
	tcase_add_test(tc, test_peer_role_socket_group_reads_admin_group_changes);
	tcase_add_test(tc, test_default_path_prefers_runtime_directory);
	tcase_add_test(tc, test_status_is_answered_once_with_the_request_id);
	tcase_add_test(tc, test_seqs_abandoned_committed_are_in_status_node_show_and_list);
	tcase_add_test(tc, test_nodes_list_streams_pages_and_ends);
	tcase_add_test(tc, test_nodes_list_filters_by_tag_and_sorts_by_name);
	tcase_add_test(tc, test_admin_changes_go_through_and_are_seen);
	tcase_add_test(tc, test_readings_latest_window_comes_in_time_order);
	tcase_add_test(tc, test_readings_since_until_and_label_filter);
	tcase_add_test(tc, test_alerts_open_cleared_and_acknowledged);
	tcase_add_test(tc, test_watch_sends_only_new_rows_and_ends_on_a_new_request);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_only_peer_is_refused_every_change);
	tcase_add_test(tc, test_oversized_request_is_refused_and_the_client_dropped);
	tcase_add_test(tc, test_page_size_is_capped);
	tcase_add_test(tc, test_query_limit_above_maximum_is_invalid);
	tcase_add_test(tc, test_requests_split_at_every_byte_are_answered);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_garbage_gets_an_error_and_the_connection_stays_usable);
	tcase_add_test(tc, test_other_version_and_missing_body_are_refused);
	tcase_add_test(tc, test_unknown_node_is_not_found);
	tcase_add_test(tc, test_bad_tag_and_duplicate_name_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
