/*
 * check_mqtt: the publisher against a real mosquitto started by the fixture
 * (its own port, max_queued_messages 0), an in-memory fake outbox, and a
 * libmosquitto subscriber in the test, all on one uv loop.
 *
 * Every wait is run_until(): the loop runs until a condition holds or a
 * deadline passes (then the test fails). The only fixed-time windows are the
 * ones that check that something does NOT happen (no done() while the broker
 * is frozen with SIGSTOP).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <uv.h>

#include "mqtt.h"

#define WAIT_MS 20000 /* generous: the machine is shared and may be slow (valgrind) */

/* ---- Broker fixture ------------------------------------------------------ */

struct broker {
	char dir[64];
	char conf[128];
	int port;
	pid_t pid;
};

static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool
port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	close(fd);
	return ok;
}

static void
poll_pause(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

/*
 * (Re)writes the broker config: a private loopback listener, no queue limit
 * (the default 1000 drops QoS 1 messages for a slow subscriber), and extra
 * (default: anonymous, no persistence). As root, mosquitto would switch to
 * user "mosquitto" and could not read our private files: it stays root.
 */
static void
broker_conf(struct broker *b, const char *extra)
{
	FILE *f = fopen(b->conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "listener %d 127.0.0.1\nmax_queued_messages 0\n", b->port);
	if (geteuid() == 0)
		fprintf(f, "user root\n");
	fprintf(f, "%s\n", extra ? extra : "allow_anonymous true\npersistence false");
	fclose(f);
}

static void
broker_init(struct broker *b, const char *extra)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "%s/tf-mqtt-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(b->dir));
	snprintf(b->conf, sizeof(b->conf), "%s/mosquitto.conf", b->dir);
	b->port = free_port();
	broker_conf(b, extra);
}

static void
broker_start(struct broker *b)
{
	char log[160];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* Dies with the test process, however that ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("mosquitto", "mosquitto", "-c", b->conf, (char *)NULL);
		_exit(127);
	}
	b->pid = pid;
	for (int i = 0; i < WAIT_MS / 10 && !port_open(b->port); i++) {
		ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0); /* still running */
		poll_pause();
	}
	ck_assert_msg(port_open(b->port), "mosquitto did not start (see %s)", log);
}

static void
broker_stop(struct broker *b, int sig)
{
	if (b->pid <= 0)
		return;
	kill(b->pid, sig);
	waitpid(b->pid, NULL, 0);
	b->pid = 0;
}

static void
broker_fini(struct broker *b)
{
	char cmd[128];

	broker_stop(b, SIGKILL);
	if (b->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", b->dir);
	}
}

/* ---- Fake outbox --------------------------------------------------------- */

#define ROWS_MAX 4096

struct row {
	int64_t id;
	char topic[96];
	char payload[96];
	int qos, retain;
	bool deleted;
	int published; /* fetch() handed it out this many times */
};

struct outbox {
	struct row rows[ROWS_MAX];
	size_t n;
	int64_t next_id;
	size_t done_calls;
	int64_t done_order[ROWS_MAX];
	bool allow_done;      /* false: done() is a test failure */
	int64_t fail_done_id; /* done() of this id fails once with -EIO */
	size_t fetch_calls;
};

static int
ob_fetch(void *arg, int64_t after_id, struct mqtt_outbox_row *out, size_t max, size_t *ret_n)
{
	struct outbox *ob = arg;
	size_t n = 0;

	ob->fetch_calls++;
	for (size_t i = 0; i < ob->n && n < max; i++) {
		struct row *r = &ob->rows[i];

		if (r->deleted || r->id <= after_id)
			continue;
		r->published++;
		out[n++] = (struct mqtt_outbox_row){
		        .id = r->id,
		        .topic = r->topic,
		        .payload = r->payload,
		        .payload_len = strlen(r->payload),
		        .qos = r->qos,
		        .retain = r->retain,
		};
	}
	*ret_n = n;
	return 0;
}

static int
ob_done(void *arg, int64_t id)
{
	struct outbox *ob = arg;

	ck_assert_msg(ob->allow_done, "done(%lld) while no PUBACK could have arrived",
	              (long long)id);
	if (id == ob->fail_done_id) {
		ob->fail_done_id = 0;
		return -EIO;
	}
	for (size_t i = 0; i < ob->n; i++) {
		if (ob->rows[i].id != id)
			continue;
		ck_assert_msg(!ob->rows[i].deleted, "done(%lld) twice", (long long)id);
		ob->rows[i].deleted = true;
		ob->done_order[ob->done_calls++] = id;
		return 0;
	}
	ck_abort_msg("done(%lld): no such row", (long long)id);
	return -ENOENT;
}

static const struct mqtt_outbox_ops ob_ops = {.fetch = ob_fetch, .done = ob_done};

/* Adds a row for node on nodes/<node>/inference with payload {"id":N,"node":K}. */
static int64_t
ob_add(struct outbox *ob, const struct mqtt_config *cfg, uint32_t node)
{
	struct row *r;

	ck_assert_uint_lt(ob->n, ROWS_MAX);
	r = &ob->rows[ob->n++];
	r->id = ++ob->next_id;
	ck_assert_int_gt(mqtt_topic_node(cfg, node, "inference", r->topic, sizeof(r->topic)), 0);
	snprintf(r->payload, sizeof(r->payload), "{\"id\":%lld,\"node\":%u}", (long long)r->id,
	         node);
	r->qos = -1;
	return r->id;
}

/* ---- Subscriber ---------------------------------------------------------- */

#define MSGS_MAX 8192

struct msg {
	char topic[96];
	char payload[256];
	bool retain;
};

struct sub {
	struct mosquitto *mosq;
	uv_poll_t poll;
	uv_timer_t misc;
	bool subscribed, polling, lost;
	struct msg *msgs;
	size_t n;
	int poll_events;
};

static void
sub_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m)
{
	struct sub *s = obj;
	struct msg *d;

	(void)mosq;
	ck_assert_uint_lt(s->n, MSGS_MAX);
	d = &s->msgs[s->n++];
	snprintf(d->topic, sizeof(d->topic), "%s", m->topic);
	snprintf(d->payload, sizeof(d->payload), "%.*s", m->payloadlen, (const char *)m->payload);
	d->retain = m->retain;
}

static void
sub_on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *qos)
{
	(void)mosq;
	(void)mid;
	(void)n;
	(void)qos;
	((struct sub *)obj)->subscribed = true;
}

static void
sub_on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	(void)rc;
	((struct sub *)obj)->lost = true;
}

static void sub_poll_cb(uv_poll_t *p, int status, int events);

static void
sub_update(struct sub *s)
{
	int ev = UV_READABLE | (mosquitto_want_write(s->mosq) ? UV_WRITABLE : 0);

	if (!s->polling || s->lost || ev == s->poll_events)
		return;
	uv_poll_start(&s->poll, ev, sub_poll_cb);
	s->poll_events = ev;
}

static void
sub_poll_cb(uv_poll_t *p, int status, int events)
{
	struct sub *s = p->data;

	if (s->lost)
		return;
	if (status < 0 || (events & UV_READABLE))
		mosquitto_loop_read(s->mosq, 100);
	if (!s->lost && (events & UV_WRITABLE))
		mosquitto_loop_write(s->mosq, 100);
	if (s->lost) {
		uv_poll_stop(&s->poll);
		return;
	}
	sub_update(s);
}

static void
sub_misc_cb(uv_timer_t *t)
{
	struct sub *s = t->data;

	if (!s->lost) {
		mosquitto_loop_misc(s->mosq);
		sub_update(s);
	}
}

/*
 * Connects (blocking: a test), subscribes to filter at QoS 1 and hands the
 * socket to the loop. clean false keeps the session across a broker restart.
 */
static void
sub_start(struct sub *s, uv_loop_t *loop, int port, const char *id, bool clean, const char *filter)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->msgs = calloc(MSGS_MAX, sizeof(*s->msgs));
	ck_assert_ptr_nonnull(s->msgs);
	s->mosq = mosquitto_new(id, clean, s);
	ck_assert_ptr_nonnull(s->mosq);
	mosquitto_message_callback_set(s->mosq, sub_on_message);
	mosquitto_subscribe_callback_set(s->mosq, sub_on_subscribe);
	mosquitto_disconnect_callback_set(s->mosq, sub_on_disconnect);
	rc = mosquitto_connect(s->mosq, "127.0.0.1", port, 30);
	ck_assert_int_eq(rc, MOSQ_ERR_SUCCESS);
	ck_assert_int_eq(mosquitto_subscribe(s->mosq, NULL, filter, 1), MOSQ_ERR_SUCCESS);
	for (int i = 0; i < WAIT_MS / 100 && !s->subscribed; i++)
		mosquitto_loop(s->mosq, 100, 1);
	ck_assert(s->subscribed);
	ck_assert_int_eq(uv_poll_init_socket(loop, &s->poll, mosquitto_socket(s->mosq)), 0);
	s->poll.data = s;
	s->polling = true;
	uv_timer_init(loop, &s->misc);
	s->misc.data = s;
	uv_timer_start(&s->misc, sub_misc_cb, 1000, 1000);
	sub_update(s);
}

static void
sub_stop(struct sub *s)
{
	if (s->mosq == NULL)
		return;
	uv_close((uv_handle_t *)&s->poll, NULL);
	uv_close((uv_handle_t *)&s->misc, NULL);
	if (!s->lost)
		mosquitto_disconnect(s->mosq);
	mosquitto_destroy(s->mosq);
	s->mosq = NULL;
}

/* Frees what sub_stop() left; call after the loop ran the close callbacks. */
static void
sub_free(struct sub *s)
{
	free(s->msgs);
	s->msgs = NULL;
}

/* Message id of an outbox payload {"id":N,...}, or -1. */
static long long
msg_id(const struct msg *m)
{
	long long id;

	if (sscanf(m->payload, "{\"id\":%lld", &id) != 1)
		return -1;
	return id;
}

/* ---- Loop helpers -------------------------------------------------------- */

static uv_loop_t loop;
static struct outbox *ob;
static struct mqtt_config cfg;
static struct broker broker;

typedef bool (*cond_fn)(void *arg);

static void
deadline_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop until cond(arg) or timeout_ms; returns whether cond held. */
static bool
run_until(cond_fn cond, void *arg, uint64_t timeout_ms)
{
	uv_timer_t t;
	bool expired = false, ok;

	uv_timer_init(&loop, &t);
	t.data = &expired;
	uv_timer_start(&t, deadline_cb, timeout_ms, 0);
	while (!(ok = cond(arg)) && !expired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return ok;
}

static bool
never(void *arg)
{
	(void)arg;
	return false;
}

/* Runs the loop for ms milliseconds: only to show that something does NOT happen. */
static void
run_for(uint64_t ms)
{
	run_until(never, NULL, ms);
}

static bool
is_connected(void *arg)
{
	struct mqtt_stats st;

	mqtt_get_stats(arg, &st);
	return st.connected && st.in_flight == 0;
}

static bool
reconnected(void *arg)
{
	struct mqtt_stats st;

	mqtt_get_stats(arg, &st);
	return st.reconnects >= 1 && st.connected && st.in_flight == 0;
}

static size_t want_done;
static bool
all_done(void *arg)
{
	(void)arg;
	return ob->done_calls >= want_done;
}

struct sub_want {
	struct sub *s;
	const char *topic;  /* NULL: any */
	const char *needle; /* substring of the payload; NULL: any */
	size_t count;       /* messages matching */
	int retain;         /* -1 any */
};

static size_t
sub_count(const struct sub_want *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->s->n; i++) {
		const struct msg *m = &w->s->msgs[i];

		if (w->topic != NULL && strcmp(m->topic, w->topic) != 0)
			continue;
		if (w->needle != NULL && strstr(m->payload, w->needle) == NULL)
			continue;
		if (w->retain >= 0 && m->retain != (bool)w->retain)
			continue;
		n++;
	}
	return n;
}

static bool
sub_has(void *arg)
{
	const struct sub_want *w = arg;

	return sub_count(w) >= w->count;
}

static void
setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	mosquitto_lib_init();
	ob = calloc(1, sizeof(*ob));
	ck_assert_ptr_nonnull(ob);
	ob->allow_done = true;
	mqtt_config_defaults(&cfg);
	broker_init(&broker, NULL);
	snprintf(cfg.host, sizeof(cfg.host), "127.0.0.1");
	snprintf(cfg.gateway_id, sizeof(cfg.gateway_id), "gw1");
	cfg.port = broker.port;
	cfg.reconnect_min_ms = 20;
	cfg.reconnect_max_ms = 200;
	ck_assert_int_eq(mqtt_config_check(&cfg, NULL), 0);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
teardown(void)
{
	broker_fini(&broker);
	uv_walk(&loop, walk_close, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(ob);
	mosquitto_lib_cleanup();
}

static bool shutdown_called;
static void
on_shutdown(void *arg)
{
	(void)arg;
	shutdown_called = true;
}

static bool
is_shut(void *arg)
{
	(void)arg;
	return shutdown_called;
}

/* Shuts m down cleanly and frees it. */
static void
stop_mqtt(struct mqtt *m)
{
	shutdown_called = false;
	mqtt_shutdown(m, on_shutdown, NULL);
	ck_assert(run_until(is_shut, NULL, WAIT_MS));
	mqtt_free(m);
}

static struct mqtt *
start_mqtt(void)
{
	struct mqtt *m = NULL;

	ck_assert_int_eq(mqtt_new(&loop, &cfg, &ob_ops, ob, &m), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(test_mqtt_publishes_every_row_once_in_order_after_puback)
{
	struct sub s;
	struct mqtt *m;
	struct mqtt_stats st;
	char status_topic[128];
	long long last = 0;
	size_t got = 0;

	broker_start(&broker);
	sub_start(&s, &loop, broker.port, "check-sub", true, "tinyfleet/#");
	for (int i = 0; i < 1000; i++)
		ob_add(ob, &cfg, (uint32_t)(i % 7) + 1);
	m = start_mqtt();
	want_done = 1000;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	/* done() in id order: one connection, PUBACKs in order. */
	for (size_t i = 0; i < ob->done_calls; i++)
		ck_assert_int_eq(ob->done_order[i], (int64_t)i + 1);
	for (size_t i = 0; i < ob->n; i++)
		ck_assert_int_eq(ob->rows[i].published, 1);
	struct sub_want w = {.s = &s, .needle = "\"id\":", .count = 1000, .retain = -1};
	ck_assert(run_until(sub_has, &w, WAIT_MS));
	for (size_t i = 0; i < s.n; i++) {
		long long id = msg_id(&s.msgs[i]);

		if (id < 0)
			continue;
		ck_assert_int_eq(id, last + 1); /* once each, in order */
		last = id;
		got++;
	}
	ck_assert_uint_eq(got, 1000);
	ck_assert_int_gt(mqtt_topic_gateway_status(&cfg, status_topic, sizeof(status_topic)), 0);
	struct sub_want ws = {.s = &s,
	                      .topic = status_topic,
	                      .needle = "\"state\":\"online\"",
	                      .count = 1,
	                      .retain = -1};
	ck_assert(run_until(sub_has, &ws, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_uint_eq(st.acked, 1000);
	ck_assert_uint_eq(st.connects, 1);
	ck_assert_uint_eq(st.reconnects, 0);
	ck_assert_uint_eq(st.in_flight, 0);
	stop_mqtt(m);
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
}
END_TEST

START_TEST(test_mqtt_done_only_after_puback_and_window_bounds_in_flight)
{
	struct mqtt *m;
	struct mqtt_stats st;

	broker_start(&broker);
	cfg.max_inflight = 8;
	cfg.keepalive_s = 60;
	m = start_mqtt();
	ck_assert(run_until(is_connected, m, WAIT_MS));
	/* Freeze the broker: TCP still takes our bytes, but no PUBACK can come. */
	kill(broker.pid, SIGSTOP);
	ob->allow_done = false;
	for (int i = 0; i < 50; i++)
		ob_add(ob, &cfg, 1);
	mqtt_kick(m);
	run_for(400);
	mqtt_get_stats(m, &st);
	ck_assert_uint_eq(ob->done_calls, 0);
	ck_assert_uint_eq(st.in_flight, 8);
	for (size_t i = 0; i < ob->n; i++)
		ck_assert_int_eq(ob->rows[i].published, i < 8 ? 1 : 0);
	ob->allow_done = true;
	kill(broker.pid, SIGCONT);
	want_done = 50;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	for (size_t i = 0; i < ob->done_calls; i++)
		ck_assert_int_eq(ob->done_order[i], (int64_t)i + 1);
	stop_mqtt(m);
}
END_TEST

static bool
sub_lost(void *arg)
{
	return ((struct sub *)arg)->lost;
}

START_TEST(test_mqtt_broker_restart_drains_everything_in_order_nothing_lost)
{
	struct sub s;
	struct mqtt *m;
	struct mqtt_stats st;
	long long last_per_node[8] = {0};
	bool seen[3001] = {false};
	size_t distinct = 0;
	char extra[256];

	/* Persistence and a durable subscriber session: the subscriber's own
	 * queue survives the restart, so it can check that nothing was lost. */
	snprintf(extra, sizeof(extra),
	         "allow_anonymous true\npersistence true\npersistence_location %s/\n"
	         "autosave_interval 1\n",
	         broker.dir);
	broker_conf(&broker, extra);
	broker_start(&broker);
	sub_start(&s, &loop, broker.port, "check-durable", false, "tinyfleet/+/nodes/#");
	for (int i = 0; i < 1500; i++)
		ob_add(ob, &cfg, (uint32_t)(i % 5) + 1);
	m = start_mqtt();
	want_done = 300;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	/* Broker goes away mid-stream. */
	broker_stop(&broker, SIGTERM);
	ck_assert(run_until(sub_lost, &s, WAIT_MS));
	/* While it is down, rows keep arriving and nothing is acked. */
	for (int i = 0; i < 1500; i++)
		ob_add(ob, &cfg, (uint32_t)(i % 5) + 1);
	mqtt_kick(m);
	size_t done_before = ob->done_calls;
	run_for(300);
	ck_assert_uint_eq(ob->done_calls, done_before);
	mqtt_get_stats(m, &st);
	ck_assert(!st.connected);
	/* Back on the same port. */
	broker_start(&broker);
	want_done = 3000;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_uint_ge(st.reconnects, 1);
	ck_assert_uint_eq(st.in_flight, 0);
	for (size_t i = 0; i < ob->n; i++)
		ck_assert(ob->rows[i].deleted);
	/* The durable subscriber gets its session back with everything queued. */
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	struct msg *old = s.msgs;
	size_t old_n = s.n;
	s.msgs = NULL;
	sub_start(&s, &loop, broker.port, "check-durable", false, "tinyfleet/+/nodes/#");
	/* Merge: what came before the restart, then after. */
	struct msg *all = calloc(MSGS_MAX * 2, sizeof(*all));
	size_t n_all = 0;
	struct sub_want w = {.s = &s, .needle = "\"id\":", .count = 1, .retain = -1};
	for (;;) {
		size_t have = 0;

		memset(seen, 0, sizeof(seen));
		for (size_t i = 0; i < old_n; i++)
			if (msg_id(&old[i]) > 0 && !seen[msg_id(&old[i])])
				seen[msg_id(&old[i])] = true, have++;
		for (size_t i = 0; i < s.n; i++)
			if (msg_id(&s.msgs[i]) > 0 && !seen[msg_id(&s.msgs[i])])
				seen[msg_id(&s.msgs[i])] = true, have++;
		if (have >= 3000)
			break;
		w.count = s.n + 1;
		ck_assert_msg(run_until(sub_has, &w, WAIT_MS), "subscriber has %zu of 3000", have);
	}
	memcpy(all, old, old_n * sizeof(*all));
	memcpy(all + old_n, s.msgs, s.n * sizeof(*all));
	n_all = old_n + s.n;
	/* Per node, ids first seen in increasing order (duplicates are QoS 1's right). */
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n_all; i++) {
		long long id = msg_id(&all[i]);
		unsigned node;

		if (id <= 0 || seen[id])
			continue;
		seen[id] = true;
		distinct++;
		ck_assert_int_eq(sscanf(strstr(all[i].payload, "\"node\":"), "\"node\":%u", &node),
		                 1);
		ck_assert_uint_lt(node, 8);
		ck_assert_int_gt(id, last_per_node[node]);
		last_per_node[node] = id;
	}
	ck_assert_uint_eq(distinct, 3000);
	free(all);
	free(old);
	stop_mqtt(m);
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
}
END_TEST

START_TEST(test_mqtt_last_will_marks_gateway_offline_when_client_killed)
{
	struct sub s, s2;
	char status_topic[128];
	int pipefd[2];
	pid_t pid;
	char c = 0;

	broker_start(&broker);
	ck_assert_int_gt(mqtt_topic_gateway_status(&cfg, status_topic, sizeof(status_topic)), 0);
	sub_start(&s, &loop, broker.port, "check-lwt", true, status_topic);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The gateway: connect, say so, then wait to be killed. */
		uv_loop_t cl;
		struct mqtt *m = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		uv_loop_init(&cl);
		if (mqtt_new(&cl, &cfg, &ob_ops, ob, &m) < 0)
			_exit(2);
		for (;;) {
			struct mqtt_stats st;

			uv_run(&cl, UV_RUN_ONCE);
			mqtt_get_stats(m, &st);
			if (st.connected && st.in_flight == 0 && c == 0) {
				c = 1;
				if (write(pipefd[1], &c, 1) != 1)
					_exit(3);
			}
		}
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	struct sub_want on = {
	        .s = &s, .topic = status_topic, .needle = "\"online\"", .count = 1, .retain = -1};
	ck_assert(run_until(sub_has, &on, WAIT_MS));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	struct sub_want off = {.s = &s,
	                       .topic = status_topic,
	                       .needle = "\"connection lost\"",
	                       .count = 1,
	                       .retain = -1};
	ck_assert(run_until(sub_has, &off, WAIT_MS));
	/* A late subscriber gets it as the retained state. */
	sub_start(&s2, &loop, broker.port, "check-lwt-late", true, status_topic);
	struct sub_want late = {.s = &s2,
	                        .topic = status_topic,
	                        .needle = "\"state\":\"offline\"",
	                        .count = 1,
	                        .retain = 1};
	ck_assert(run_until(sub_has, &late, WAIT_MS));
	sub_stop(&s);
	sub_stop(&s2);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
	sub_free(&s2);
}
END_TEST

START_TEST(test_mqtt_shutdown_publishes_offline_without_last_will)
{
	struct sub s;
	struct mqtt *m;
	char status_topic[128];
	char barrier[] = "barrier";

	broker_start(&broker);
	ck_assert_int_gt(mqtt_topic_gateway_status(&cfg, status_topic, sizeof(status_topic)), 0);
	sub_start(&s, &loop, broker.port, "check-shutdown", true, "tinyfleet/#");
	m = start_mqtt();
	ck_assert(run_until(is_connected, m, WAIT_MS));
	stop_mqtt(m);
	struct sub_want off = {.s = &s,
	                       .topic = status_topic,
	                       .needle = "\"reason\":\"shutdown\"",
	                       .count = 1,
	                       .retain = -1};
	ck_assert(run_until(sub_has, &off, WAIT_MS));
	/* Barrier: our own message comes back after anything the broker sent before it. */
	ck_assert_int_eq(mosquitto_publish(s.mosq, NULL, "tinyfleet/barrier", 7, barrier, 1, false),
	                 0);
	sub_update(&s);
	struct sub_want b = {.s = &s, .topic = "tinyfleet/barrier", .count = 1, .retain = -1};
	ck_assert(run_until(sub_has, &b, WAIT_MS));
	struct sub_want lwt = {.s = &s,
	                       .topic = status_topic,
	                       .needle = "connection lost",
	                       .count = 1,
	                       .retain = -1};
	ck_assert_uint_eq(sub_count(&lwt), 0);
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
}
END_TEST

START_TEST(test_mqtt_retained_rows_republished_after_broker_restart_without_persistence)
{
	struct sub s;
	struct mqtt *m;
	struct mqtt_stats st;
	struct row *r;

	broker_start(&broker);
	r = &ob->rows[ob->n++];
	r->id = ++ob->next_id;
	mqtt_topic_node(&cfg, 42, "status", r->topic, sizeof(r->topic));
	mqtt_json_node_status(r->payload, sizeof(r->payload), 42, true, 1000, 2000);
	r->qos = 1;
	r->retain = 1;
	m = start_mqtt();
	want_done = 1;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	broker_stop(&broker, SIGKILL); /* retained state gone with it */
	broker_start(&broker);
	ck_assert(run_until(reconnected, m, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_uint_ge(st.reconnects, 1);
	ck_assert_uint_ge(st.republished, 1);
	ck_assert_uint_eq(st.retained, 1);
	sub_start(&s, &loop, broker.port, "check-retained", true, "tinyfleet/gw1/nodes/42/status");
	struct sub_want w = {.s = &s, .needle = "\"node\":42", .count = 1, .retain = 1};
	ck_assert(run_until(sub_has, &w, WAIT_MS));
	stop_mqtt(m);
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
}
END_TEST

START_TEST(test_mqtt_reconfigure_reconnects_cleanly_without_last_will)
{
	struct sub s;
	struct mqtt *m;
	struct mqtt_stats st;
	char status_topic[128];

	broker_start(&broker);
	ck_assert_int_gt(mqtt_topic_gateway_status(&cfg, status_topic, sizeof(status_topic)), 0);
	sub_start(&s, &loop, broker.port, "check-reconf", true, "tinyfleet/#");
	m = start_mqtt();
	ck_assert(run_until(is_connected, m, WAIT_MS));
	/* Same settings: nothing happens. */
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), 0);
	mqtt_get_stats(m, &st);
	ck_assert_uint_eq(st.disconnects, 0);
	/* A new window and keepalive: clean reconnect, then rows flow again. */
	cfg.max_inflight = 3;
	cfg.keepalive_s = 45;
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), 0);
	ck_assert(run_until(reconnected, m, WAIT_MS));
	for (int i = 0; i < 100; i++)
		ob_add(ob, &cfg, 4);
	mqtt_kick(m);
	want_done = 100;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	for (size_t i = 0; i < ob->done_calls; i++)
		ck_assert_int_eq(ob->done_order[i], (int64_t)i + 1);
	struct sub_want online = {
	        .s = &s, .topic = status_topic, .needle = "\"online\"", .count = 2, .retain = -1};
	ck_assert(run_until(sub_has, &online, WAIT_MS));
	struct sub_want lwt = {.s = &s,
	                       .topic = status_topic,
	                       .needle = "connection lost",
	                       .count = 1,
	                       .retain = -1};
	ck_assert_uint_eq(sub_count(&lwt), 0);
	/* Invalid settings are refused and change nothing. */
	cfg.qos = 9;
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), -EINVAL);
	mqtt_get_stats(m, &st);
	ck_assert(st.connected);
	ck_assert_uint_eq(st.reconnects, 1);
	stop_mqtt(m);
	sub_stop(&s);
	uv_run(&loop, UV_RUN_NOWAIT);
	sub_free(&s);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(test_mqtt_unpublishable_row_is_dropped_and_does_not_block)
{
	struct mqtt *m;
	struct mqtt_stats st;
	struct row *r;

	broker_start(&broker);
	ob_add(ob, &cfg, 1);
	r = &ob->rows[ob->n++];
	r->id = ++ob->next_id;
	snprintf(r->topic, sizeof(r->topic), "tinyfleet/gw1/bad/#");
	snprintf(r->payload, sizeof(r->payload), "x");
	r->qos = 1;
	ob_add(ob, &cfg, 1);
	m = start_mqtt();
	want_done = 3;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_uint_eq(st.rejected, 1);
	ck_assert_uint_eq(st.acked, 2);
	stop_mqtt(m);
}
END_TEST

START_TEST(test_mqtt_qos0_rows_are_done_when_written)
{
	struct mqtt *m;

	broker_start(&broker);
	cfg.qos = 0;
	for (int i = 0; i < 200; i++)
		ob_add(ob, &cfg, 3);
	m = start_mqtt();
	want_done = 200;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	for (size_t i = 0; i < ob->done_calls; i++)
		ck_assert_int_eq(ob->done_order[i], (int64_t)i + 1);
	stop_mqtt(m);
}
END_TEST

START_TEST(test_mqtt_topic_and_json_builders)
{
	char buf[512];
	struct mqtt_inference in = {.node_id = 7,
	                            .seq = 3,
	                            .time_ms = 1700000000000,
	                            .mono_ms = 5,
	                            .model_id = 2,
	                            .model_version = 1,
	                            .label = 1,
	                            .top_label = "a\"b\\c\n",
	                            .score = 0.5,
	                            .scores = (const double[]){0.5, 0.25},
	                            .n_scores = 2,
	                            .latency_us = 99};
	struct mqtt_health h = {
	        .node_id = 7, .battery_mv = 3300, .rssi_dbm = -70, .reset_reason = 3};

	ck_assert_int_eq(mqtt_topic_node(&cfg, 7, "inference", buf, sizeof(buf)),
	                 (int)strlen("tinyfleet/gw1/nodes/7/inference"));
	ck_assert_str_eq(buf, "tinyfleet/gw1/nodes/7/inference");
	ck_assert_int_eq(mqtt_topic_node(&cfg, 7, "a/b", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_gt(mqtt_topic_alert(&cfg, "critical", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "tinyfleet/gw1/alerts/critical");
	ck_assert_int_gt(mqtt_topic_rollout(&cfg, 12, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "tinyfleet/gw1/rollouts/12");
	ck_assert_int_eq(mqtt_topic_gateway_status(&cfg, buf, 5), -ENOSPC);
	ck_assert_int_gt(mqtt_json_inference(buf, sizeof(buf), &in), 0);
	ck_assert_str_eq(buf, "{\"node\":7,\"seq\":3,\"time_ms\":1700000000000,\"mono_ms\":5,"
	                      "\"model_id\":2,\"model_version\":1,\"label\":1,"
	                      "\"top_label\":\"a\\\"b\\\\c\\u000a\",\"score\":0.5,"
	                      "\"scores\":[0.5,0.25],\"latency_us\":99}");
	ck_assert_int_gt(mqtt_json_health(buf, sizeof(buf), &h), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"reset_reason\":\"watchdog\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"rssi_dbm\":-70"));
	ck_assert_int_gt(mqtt_json_alert(buf, sizeof(buf), "node_offline", "warning", true, 0, NULL,
	                                 "m", 1.5, 9),
	                 0);
	ck_assert_str_eq(buf, "{\"kind\":\"node_offline\",\"state\":\"raised\",\"severity\":"
	                      "\"warning\",\"node\":null,\"rule\":null,\"message\":\"m\","
	                      "\"value\":1.5,\"time_ms\":9}");
	for (size_t size = 0; size < 40; size++)
		ck_assert_int_eq(mqtt_json_node_status(buf, size, 1, true, 2, 3), -ENOSPC);
}
END_TEST

/* mqtt__fmt_g(v, prec) against printf's "%.*g"; counts the values it left to printf. */
static void
check_g(double v, int prec, unsigned long *fallbacks)
{
	char got[48], want[48];
	int n = mqtt__fmt_g(got, v, prec);

	if (n < 0) {
		/* Only outside the fast range: tiny or huge values, many digits past the point. */
		ck_assert_msg(!(fabs(v) >= 1e-12 && fabs(v) < 1e15 && prec <= 7),
		              "%.17g at %d left to printf", v, prec);
		(*fallbacks)++;
		return;
	}
	got[n] = '\0';
	snprintf(want, sizeof(want), "%.*g", prec, v);
	ck_assert_msg(strcmp(got, want) == 0, "%.17g at %d: got %s, printf %s", v, prec, got, want);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(test_mqtt_numbers_match_printf_g_byte_for_byte)
{
	static const float scales[] = {1.0f / 256, 1.0f / 255, 1.0f / 128, 0.0123f,
	                               0.1f,       0.5f,       1.7e-3f,    0.0039215689f};
	static const int zps[] = {-128, 0, 5, 127};
	static const double special[] = {0.0,        -0.0,       1.0,        -1.0,    0.5,
	                                 9.9999995,  99999.95,   999999.5,   1e-4,    1e-5,
	                                 0.0001,     0.00009999, 123456789., 1e14,    9.9999999e14,
	                                 1e-15,      0.1,        0.3,        2.0 / 3, 1830,
	                                 -0.0078125, 0.99609375, 0.00390625, 1e7,     1e6};
	unsigned long n = 0, fb = 0;
	uint64_t seed = 88172645463325252ull;

	for (int prec = 1; prec <= 15; prec++)
		for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++, n++)
			check_g(special[i], prec, &fb);
	/* Every int8 score dequantized as ingest.c does. */
	for (size_t si = 0; si < sizeof(scales) / sizeof(scales[0]); si++)
		for (size_t zi = 0; zi < sizeof(zps) / sizeof(zps[0]); zi++)
			for (int raw = -128; raw <= 127; raw++, n += 2) {
				double v = (double)scales[si] * ((double)raw - (double)zps[zi]);

				check_g(v, 6, &fb);
				check_g(v, 7, &fb);
			}
	/* Float scores, random float scales, and doubles of any magnitude in range. */
	for (int i = 0; i < 200000; i++, n += 4) {
		uint64_t r = xorshift(&seed);
		float f = (float)(r >> 40) / (float)(1u << 24);
		float sc = (float)((r >> 8) & 0xffff) / 65536.0f / 64.0f + 1e-6f;
		double d = ldexp((double)(r >> 11) / 9007199254740992.0, (int)(r % 100) - 50);

		check_g(f, 6, &fb);
		check_g((double)sc * (double)((int)(r & 0xff) - 128), 6, &fb);
		check_g(d, 7, &fb);
		check_g(nextafter(pow(10.0, (int)(r % 30) - 15), r & 1 ? 0.0 : 1e300), 6, &fb);
	}
	/* The few left to printf are the values out of range on purpose. */
	ck_assert_msg(fb * 50 < n, "%lu of %lu values left to printf", fb, n);
}
END_TEST

START_TEST(test_mqtt_config_keys_and_checks)
{
	struct mqtt_config c;
	const char *bad = NULL;
	char buf_long[MQTT_ID_MAX + 1] = "";

	mqtt_config_defaults(&c);
	ck_assert_int_eq(mqtt_config_set(&c, "host", "broker.example"), 0);
	ck_assert_str_eq(c.host, "broker.example");
	ck_assert_int_eq(mqtt_config_set(&c, "port", "70000"), -EINVAL);
	ck_assert_int_eq(mqtt_config_set(&c, "qos", "3"), -EINVAL);
	ck_assert_int_eq(mqtt_config_set(&c, "max_inflight", "0"), -EINVAL);
	ck_assert_int_eq(mqtt_config_set(&c, "keepalive_s", "x"), -EINVAL);
	ck_assert_int_eq(mqtt_config_set(&c, "tls_insecure", "maybe"), -EINVAL);
	ck_assert_int_eq(mqtt_config_set(&c, "colour", "red"), -ENOENT);
	ck_assert_int_eq(mqtt_config_set(&c, "max_inflight", "250"), 0);
	ck_assert_uint_eq(c.max_inflight, 250);
	ck_assert_int_eq(mqtt_config_set(&c, "enabled", "no"), 0);
	ck_assert(!c.enabled);
	ck_assert_int_eq(mqtt_config_set(&c, "outbox_max_rows", "5000"), 0);
	ck_assert_uint_eq(c.outbox_max_rows, 5000);
	memset(buf_long, 'a', sizeof(buf_long) - 1);
	ck_assert_int_eq(mqtt_config_set(&c, "gateway_id", buf_long), -ENAMETOOLONG);
	ck_assert_int_eq(mqtt_config_set(&c, "gateway_id", "site-1"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), 0);
	ck_assert_int_eq(c.port, 1883);
	ck_assert_str_eq(c.client_id, "tinyfleetd-site-1");
	ck_assert_int_eq(mqtt_config_set(&c, "tls_ca_file", "/etc/ssl/ca.pem"), 0);
	c.port = 0;
	ck_assert_int_eq(mqtt_config_check(&c, &bad), 0);
	ck_assert_int_eq(c.port, 8883);
	ck_assert_int_eq(mqtt_config_set(&c, "tls_cert_file", "/c.pem"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), -EINVAL);
	ck_assert_str_eq(bad, "tls_key_file");
	ck_assert_int_eq(mqtt_config_set(&c, "tls_key_file", "/k.pem"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), 0);
	ck_assert_int_eq(mqtt_config_set(&c, "password", "pw"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), -EINVAL);
	ck_assert_str_eq(bad, "password");
	ck_assert_int_eq(mqtt_config_set(&c, "username", "u"), 0);
	ck_assert_int_eq(mqtt_config_set(&c, "gateway_id", "a/b"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), -EINVAL);
	ck_assert_str_eq(bad, "gateway_id");
	ck_assert_int_eq(mqtt_config_set(&c, "gateway_id", "gw"), 0);
	ck_assert_int_eq(mqtt_config_set(&c, "topic_prefix", "site/+/x"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), -EINVAL);
	ck_assert_str_eq(bad, "topic_prefix");
	ck_assert_int_eq(mqtt_config_set(&c, "topic_prefix", "site/tinyfleet"), 0);
	ck_assert_int_eq(mqtt_config_check(&c, &bad), 0);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

static bool
refused(void *arg)
{
	struct mqtt_stats st;

	mqtt_get_stats(arg, &st);
	return st.last_connack != 0 && st.connect_failures >= 2;
}

START_TEST(test_mqtt_username_and_password_reach_the_broker)
{
	char extra[512], cmd[512], pwfile[128];
	struct mqtt *m;
	struct mqtt_stats st;

	snprintf(pwfile, sizeof(pwfile), "%s/passwd", broker.dir);
	snprintf(cmd, sizeof(cmd),
	         "mosquitto_passwd -b -c '%s' tfuser 's3cret pass' >/dev/null 2>&1", pwfile);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(extra, sizeof(extra),
	         "allow_anonymous false\npassword_file %s\npersistence false\n", pwfile);
	broker_conf(&broker, extra);
	broker_start(&broker);
	/* Wrong password: refused, retried, never connected, nothing done. */
	snprintf(cfg.username, sizeof(cfg.username), "tfuser");
	snprintf(cfg.password, sizeof(cfg.password), "wrong");
	ob_add(ob, &cfg, 1);
	m = start_mqtt();
	ck_assert(run_until(refused, m, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert(!st.connected);
	ck_assert_uint_eq(st.connects, 0);
	ck_assert(st.last_connack == 4 || st.last_connack == 5);
	ck_assert_uint_eq(ob->done_calls, 0);
	/* SIGHUP with the right one: connects and drains. */
	snprintf(cfg.password, sizeof(cfg.password), "s3cret pass");
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), 0);
	want_done = 1;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert(st.connected);
	stop_mqtt(m);
}
END_TEST

static bool
failures3(void *arg)
{
	struct mqtt_stats st;

	mqtt_get_stats(arg, &st);
	return st.connect_failures >= 3;
}

START_TEST(test_mqtt_unreachable_broker_is_retried_until_it_appears)
{
	struct mqtt *m;
	struct mqtt_stats st;

	for (int i = 0; i < 20; i++)
		ob_add(ob, &cfg, 2);
	/* A name: resolved with uv_getaddrinfo on every attempt. */
	snprintf(cfg.host, sizeof(cfg.host), "localhost");
	m = start_mqtt(); /* nobody listens on the port yet */
	ck_assert(run_until(failures3, m, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert(!st.connected);
	ck_assert_int_ne(st.last_error, 0);
	ck_assert_uint_eq(ob->done_calls, 0);
	broker_start(&broker);
	want_done = 20;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	stop_mqtt(m);
}
END_TEST

/* Certificates for a private CA, a server (IP SAN 127.0.0.1) and a client. */
static bool
make_certs(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	         "(cd '%s' && K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
	         "openssl req -x509 $K -keyout ca.key -out ca.crt -days 2 -subj /CN=tf-test-ca && "
	         "openssl req $K -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
	         "echo subjectAltName=IP:127.0.0.1 >san && "
	         "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	         "-out server.crt -days 2 -extfile san && "
	         "openssl req $K -keyout client.key -out client.csr -subj /CN=tfclient && "
	         "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	         "-out client.crt -days 2) >/dev/null 2>&1",
	         dir);
	return system("command -v openssl >/dev/null") == 0 && system(cmd) == 0;
}

START_TEST(test_mqtt_tls_with_client_certificate_reaches_the_broker)
{
	char extra[1024];
	struct mqtt *m;
	struct mqtt_stats st;

	if (!make_certs(broker.dir)) {
		fprintf(stderr, "SKIP: openssl unavailable\n");
		return;
	}
	snprintf(extra, sizeof(extra),
	         "allow_anonymous true\npersistence false\ncafile %s/ca.crt\n"
	         "certfile %s/server.crt\nkeyfile %s/server.key\nrequire_certificate true\n",
	         broker.dir, broker.dir, broker.dir);
	broker_conf(&broker, extra);
	broker_start(&broker);
	/* Without a client certificate the broker refuses the handshake. */
	snprintf(cfg.tls_ca_file, sizeof(cfg.tls_ca_file), "%s/ca.crt", broker.dir);
	ob_add(ob, &cfg, 1);
	m = start_mqtt();
	ck_assert(run_until(failures3, m, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_uint_eq(st.connects, 0);
	ck_assert_uint_eq(ob->done_calls, 0);
	/* With it: connected, drained. */
	snprintf(cfg.tls_cert_file, sizeof(cfg.tls_cert_file), "%s/client.crt", broker.dir);
	snprintf(cfg.tls_key_file, sizeof(cfg.tls_key_file), "%s/client.key", broker.dir);
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), 0);
	for (int i = 0; i < 300; i++)
		ob_add(ob, &cfg, 1);
	mqtt_kick(m);
	want_done = 301;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert(st.connected);
	ck_assert_uint_eq(st.connects, 1);
	stop_mqtt(m);
}
END_TEST

START_TEST(test_mqtt_row_whose_done_failed_is_published_again_after_reconnect)
{
	struct mqtt *m;
	struct mqtt_stats st;

	broker_start(&broker);
	for (int i = 0; i < 30; i++)
		ob_add(ob, &cfg, 1);
	ob->fail_done_id = 10;
	m = start_mqtt();
	want_done = 29;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	mqtt_get_stats(m, &st);
	ck_assert_int_eq(st.last_error, -EIO);
	ck_assert(!ob->rows[9].deleted);
	/* Rows below it are not sent again; it and the ones after it may be. */
	cfg.keepalive_s = 40;
	ck_assert_int_eq(mqtt_reconfigure(m, &cfg), 0);
	want_done = 30;
	ck_assert(run_until(all_done, NULL, WAIT_MS));
	ck_assert(ob->rows[9].deleted);
	for (size_t i = 0; i < 9; i++)
		ck_assert_int_eq(ob->rows[i].published, 1);
	ck_assert_int_eq(ob->rows[9].published, 2);
	stop_mqtt(m);
}
END_TEST

START_TEST(test_mqtt_shutdown_or_free_before_connecting_releases_everything)
{
	struct mqtt *m;

	/* Shut down while the name is still being resolved. */
	snprintf(cfg.host, sizeof(cfg.host), "localhost");
	m = start_mqtt();
	uv_run(&loop, UV_RUN_NOWAIT);
	stop_mqtt(m);
	/* Shut down while backing off from a refused connection. */
	snprintf(cfg.host, sizeof(cfg.host), "127.0.0.1");
	m = start_mqtt();
	ck_assert(run_until(failures3, m, WAIT_MS));
	stop_mqtt(m);
	/* Freed without a shutdown: the handles go on the next loop turn. */
	m = start_mqtt();
	uv_run(&loop, UV_RUN_NOWAIT);
	mqtt_free(m);
	uv_run(&loop, UV_RUN_DEFAULT); /* returns: nothing of it is left on the loop */
	ck_assert_int_eq(uv_loop_alive(&loop), 0);
}
END_TEST

START_TEST(test_mqtt_new_rejects_bad_arguments)
{
	struct mqtt *m = NULL;
	struct mqtt_outbox_ops no_done = {.fetch = ob_fetch};

	ck_assert_int_eq(mqtt_new(&loop, &cfg, &no_done, ob, &m), -EINVAL);
	cfg.qos = 7;
	ck_assert_int_eq(mqtt_new(&loop, &cfg, &ob_ops, ob, &m), -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_str_ne(mqtt_strerror(-ENOENT), "");
	mqtt_free(NULL);
}
END_TEST

static Suite *
mqtt_suite(void)
{
	Suite *s = suite_create("mqtt");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mqtt_publishes_every_row_once_in_order_after_puback);
	tcase_add_test(tc, test_mqtt_done_only_after_puback_and_window_bounds_in_flight);
	tcase_add_test(tc, test_mqtt_broker_restart_drains_everything_in_order_nothing_lost);
	tcase_add_test(tc, test_mqtt_last_will_marks_gateway_offline_when_client_killed);
	tcase_add_test(tc, test_mqtt_shutdown_publishes_offline_without_last_will);
	tcase_add_test(
	        tc, test_mqtt_retained_rows_republished_after_broker_restart_without_persistence);
	tcase_add_test(tc, test_mqtt_reconfigure_reconnects_cleanly_without_last_will);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mqtt_unpublishable_row_is_dropped_and_does_not_block);
	tcase_add_test(tc, test_mqtt_qos0_rows_are_done_when_written);
	tcase_add_test(tc, test_mqtt_topic_and_json_builders);
	tcase_add_test(tc, test_mqtt_numbers_match_printf_g_byte_for_byte);
	tcase_add_test(tc, test_mqtt_config_keys_and_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mqtt_username_and_password_reach_the_broker);
	tcase_add_test(tc, test_mqtt_unreachable_broker_is_retried_until_it_appears);
	tcase_add_test(tc, test_mqtt_tls_with_client_certificate_reaches_the_broker);
	tcase_add_test(tc, test_mqtt_row_whose_done_failed_is_published_again_after_reconnect);
	tcase_add_test(tc, test_mqtt_shutdown_or_free_before_connecting_releases_everything);
	tcase_add_test(tc, test_mqtt_new_rejects_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mqtt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
