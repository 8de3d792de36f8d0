/*
 * tinyfleetd: the gateway daemon. Owns struct gw, the only place that knows
 * every module. Start-up runs in dependency order (config, store, session,
 * ingest, alerts, mqtt, transports, signals, sd_notify READY) and teardown
 * in reverse; everything in between happens in callbacks on one libuv loop.
 *
 * One-shot modes (no loop): --check-config, --enroll, --enroll-batch,
 * --import.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "alerts.h"
#include "config.h"
#include "control.h"
#include "enroll.h"
#include "ingest.h"
#include "log.h"
#include "mqtt.h"
#include "sdnotify.h"
#include "session.h"
#include "store.h"
#include "transport.h"

#define GW_MAX_TRANSPORTS (CONFIG_MAX_LISTEN + CONFIG_MAX_SERIAL)
#define GW_FETCH_MAX      4096

struct gw {
	uv_loop_t *loop;
	struct config *cfg; /* current; replaced whole on SIGHUP */
	struct store *store;
	struct session *sess;
	struct ingest *ingest;
	struct alerts *alerts;
	struct mqtt *mqtt;
	struct sdnotify *notify;
	struct control *control; /* the control socket (tinyfleetctl) */
	struct transport *transports[GW_MAX_TRANSPORTS];
	size_t n_transports;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t housekeeping;
	uv_timer_t status_timer;
	struct store_outbox_row fetch_rows[GW_FETCH_MAX];
	int stopping;
	char final_status[512];
};

/* Asked-for help goes to stdout and exits 0; a usage error to stderr, exit 2. */
static void
usage_to(FILE *f, int code)
{
	fprintf(f, "usage: tinyfleetd [-c FILE] [-d] [--check-config]\n"
	           "       tinyfleetd --version\n"
	           "       tinyfleetd [-c FILE] --enroll NAME [--tags a,b] [--out FILE]\n"
	           "       tinyfleetd [-c FILE] --enroll-batch N --out FILE [--prefix P] "
	           "[--tags a,b]\n"
	           "       tinyfleetd [-c FILE] --import FILE.csv\n");
	exit(code);
}

static void
usage(void)
{
	usage_to(stderr, 2);
}

/* ---- mqtt <-> store ---- */

static int
gw_outbox_fetch(void *arg, int64_t after_id, struct mqtt_outbox_row *rows, size_t max,
                size_t *ret_n)
{
	struct gw *gw = arg;
	size_t n = 0;
	int r;

	if (max > GW_FETCH_MAX)
		max = GW_FETCH_MAX;
	if ((r = store_outbox_fetch(gw->store, after_id, gw->fetch_rows, max, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		rows[i].id = gw->fetch_rows[i].id;
		rows[i].topic = gw->fetch_rows[i].topic;
		rows[i].payload = gw->fetch_rows[i].payload;
		rows[i].payload_len = gw->fetch_rows[i].payload_len;
		rows[i].qos = gw->fetch_rows[i].qos;
		rows[i].retain = gw->fetch_rows[i].retain;
	}
	*ret_n = n;
	return 0;
}

static int
gw_outbox_done(void *arg, int64_t id)
{
	struct gw *gw = arg;

	return store_outbox_done(gw->store, id);
}

static const struct mqtt_outbox_ops gw_outbox_ops = {
        .fetch = gw_outbox_fetch,
        .done = gw_outbox_done,
};

/* ---- status ---- */

static void
gw_status(struct gw *gw, char *buf, size_t len)
{
	struct session_stats ss;
	struct ingest_stats is;
	struct store_stats st;
	uint64_t dropped = 0;

	session_get_stats(gw->sess, &ss);
	ingest_get_stats(gw->ingest, &is);
	store_get_stats(gw->store, &st);
	for (int i = 0; i < SESSION_DROP__MAX; i++)
		dropped += ss.dropped[i];
	snprintf(buf, len,
	         "%zu nodes; %llu stored, %llu dup, %llu dropped (unknown %llu, forged %llu, "
	         "replay %llu); outbox %lld%s",
	         session_count(gw->sess), (unsigned long long)is.committed,
	         (unsigned long long)ss.duplicates, (unsigned long long)dropped,
	         (unsigned long long)ss.dropped[SESSION_DROP_UNKNOWN_NODE],
	         (unsigned long long)ss.dropped[SESSION_DROP_FORGED],
	         (unsigned long long)ss.dropped[SESSION_DROP_REPLAY], (long long)st.outbox_rows,
	         is.store_failing ? "; STORE FAILING" : "");
	/* Data the nodes lost (dropped from a full outbox, never stored here), since start. */
	if (ss.abandoned > 0 && strlen(buf) < len)
		snprintf(buf + strlen(buf), len - strlen(buf), "; %llu seqs abandoned by nodes",
		         (unsigned long long)ss.abandoned);
	/* Links that are down (a serial device that went away and is being retried). */
	for (size_t i = 0; i < gw->n_transports; i++) {
		struct transport_stats ts;
		size_t used = strlen(buf);

		gw->transports[i]->ops->stats(gw->transports[i], &ts);
		if (!ts.up && used < len)
			snprintf(buf + used, len - used, "; %s down", gw->transports[i]->spec);
	}
}

static void
gw_status_cb(uv_timer_t *t)
{
	struct gw *gw = t->data;
	char buf[512];

	gw_status(gw, buf, sizeof(buf));
	sdnotify_status(gw->notify, buf);
	log_debug("status: %s", buf);
}

static void
gw_housekeeping_cb(uv_timer_t *t)
{
	struct gw *gw = t->data;

	ingest_housekeeping(gw->ingest);
}

/* ---- transports ---- */

static int
gw_open_transports(struct gw *gw)
{
	const struct config *c = gw->cfg;
	size_t i;
	int r;

	for (i = 0; i < c->n_udp_listen; i++) {
		r = transport_udp_ops.open(gw->loop, c->udp_listen[i], c, ingest_rx, gw->ingest,
		                           &gw->transports[gw->n_transports]);
		if (r < 0) {
			/* An IPv6 wildcard on a host without IPv6 is not fatal. */
			if (r == UV_EAFNOSUPPORT || r == UV_EADDRNOTAVAIL) {
				log_warnx("udp '%s': %s, ignoring", c->udp_listen[i],
				          uv_strerror(r));
				continue;
			}
			log_err("udp '%s': %s", c->udp_listen[i], uv_strerror(r));
			return r;
		}
		log_info("listening on udp %s", c->udp_listen[i]);
		gw->n_transports++;
	}
	for (i = 0; i < c->n_serial_device; i++) {
		r = transport_serial_ops.open(gw->loop, c->serial_device[i], c, ingest_rx,
		                              gw->ingest, &gw->transports[gw->n_transports]);
		if (r < 0) {
			log_err("serial '%s': %s", c->serial_device[i], strerror(-r));
			return r;
		}
		if (strncmp(c->serial_device[i], "unix:", 5) == 0 ||
		    strncmp(c->serial_device[i], "tcp:", 4) == 0)
			log_info("serial link %s (socket)", c->serial_device[i]);
		else
			log_info("serial link %s at %d baud", c->serial_device[i], c->serial_baud);
		gw->n_transports++;
	}
	return 0;
}

static void
gw_close_transports(struct gw *gw)
{
	for (size_t i = 0; i < gw->n_transports; i++)
		gw->transports[i]->ops->close(gw->transports[i]);
	gw->n_transports = 0;
}

/* ---- signals ---- */

static void
gw_reload(struct gw *gw)
{
	struct config *nc = NULL;
	char err[1024];
	int r;

	sdnotify_reloading(gw->notify);
	if (gw->cfg->path[0] == '\0') {
		log_info("SIGHUP: no config file, reloading nodes only");
	} else if ((r = config_load(gw->cfg->path, &nc, err, sizeof(err))) < 0) {
		log_warnx("SIGHUP: %s; keeping the running config", err);
		nc = NULL;
	}
	if (nc != NULL) {
		if (gw->alerts != NULL &&
		    (r = alerts_reconfigure(gw->alerts, &nc->alerts, ingest_now_ms())) < 0)
			log_warnx("SIGHUP: alerts: %s, keeping the old rules", strerror(-r));
		if (gw->mqtt != NULL && (r = mqtt_reconfigure(gw->mqtt, &nc->mqtt)) < 0)
			log_warnx("SIGHUP: mqtt: %s, keeping the old settings", mqtt_strerror(r));
		if (memcmp(nc->udp_listen, gw->cfg->udp_listen, sizeof(nc->udp_listen)) != 0 ||
		    strcmp(nc->db_path, gw->cfg->db_path) != 0)
			log_warnx("SIGHUP: listen addresses and database path change on restart "
			          "only");
		log_set_level((enum log_level)nc->log_level);
		/* The batch in flight keeps its rows: only limits and topics change. */
		ingest_set_config(gw->ingest, nc);
		free(gw->cfg);
		gw->cfg = nc;
		log_info("SIGHUP: configuration reloaded from '%s'", gw->cfg->path);
	}
	if ((r = session_load(gw->sess, gw->store)) < 0)
		log_warnx("SIGHUP: reloading nodes: %s", store_strerror(r));
	sdnotify_ready(gw->notify, "reloaded");
}

static void
gw_closed(uv_handle_t *h)
{
	(void)h;
}

static void
gw_mqtt_down(void *arg)
{
	struct gw *gw = arg;

	gw_status(gw, gw->final_status, sizeof(gw->final_status));
	/* Everything else closes now; uv_run returns when the last handle is gone. */
	uv_close((uv_handle_t *)&gw->sig_hup, gw_closed);
	uv_close((uv_handle_t *)&gw->sig_term, gw_closed);
	uv_close((uv_handle_t *)&gw->sig_int, gw_closed);
	uv_close((uv_handle_t *)&gw->housekeeping, gw_closed);
	uv_close((uv_handle_t *)&gw->status_timer, gw_closed);
	control_free(gw->control); /* before ingest: it reads ingest's stats */
	gw->control = NULL;
	ingest_free(gw->ingest);
	gw->ingest = NULL;
	sdnotify_free(gw->notify);
	gw->notify = NULL;
}

static void
gw_stop(struct gw *gw)
{
	int r;

	if (gw->stopping)
		return;
	gw->stopping = 1;
	log_info("stopping: flushing the batch");
	sdnotify_stopping(gw->notify);
	/*
	 * Commit what is staged while the links are still open, so its acks go
	 * out; a failing store keeps it unacked. Then close the links.
	 */
	if ((r = ingest_flush(gw->ingest)) < 0)
		log_warnx("final commit failed (%s): those readings were not acked and nodes "
		          "will send them again",
		          store_strerror(r));
	gw_close_transports(gw);
	uv_timer_stop(&gw->housekeeping);
	if (gw->mqtt != NULL)
		mqtt_shutdown(gw->mqtt, gw_mqtt_down, gw);
	else
		gw_mqtt_down(gw);
}

static void
gw_signal_cb(uv_signal_t *s, int signum)
{
	struct gw *gw = s->data;

	if (signum == SIGHUP)
		gw_reload(gw);
	else
		gw_stop(gw);
}

/* ---- start-up ---- */

static int
gw_restore_alert(void *arg, const char *kind, uint32_t node_id, const char *rule)
{
	struct gw *gw = arg;

	for (int k = 0; k < ALERT_KIND_MAX; k++)
		if (strcmp(alert_kind_name((enum alert_kind)k), kind) == 0)
			(void)alerts_restore(gw->alerts, (enum alert_kind)k, node_id,
			                     rule && rule[0] ? rule : NULL, ingest_now_ms());
	return 0;
}

static int
gw_seed_node(void *arg, const struct store_node *n)
{
	struct gw *gw = arg;

	if (n->last_seen_ms > 0)
		(void)alerts_seed_node(gw->alerts, n->id, n->last_seen_ms);
	return 0;
}

static int
gw_open_store(const struct config *c, struct store **ret)
{
	struct store_opts so = {
	        .path = c->db_path,
	        .synchronous = c->synchronous,
	        .busy_timeout_ms = c->busy_timeout_ms,
	        .outbox_max_rows = (int64_t)c->mqtt.outbox_max_rows,
	};
	int r = store_open(&so, ret);

	if (r < 0)
		log_err("store '%s': %s", c->db_path, store_strerror(r));
	return r;
}

static int
gw_run(struct gw *gw)
{
	char status[512];
	int r;

	if ((r = gw_open_store(gw->cfg, &gw->store)) < 0)
		return r;
	if ((r = session_new(&gw->sess)) < 0 || (r = session_load(gw->sess, gw->store)) < 0) {
		log_err("loading nodes: %s", store_strerror(r));
		return r;
	}
	log_info("%zu nodes enrolled", session_count(gw->sess));
	if ((r = ingest_new(gw->loop, gw->cfg, gw->store, gw->sess, &gw->ingest)) < 0)
		return r;
	if ((r = alerts_new(&gw->cfg->alerts, &ingest_alerts_ops, gw->ingest, &gw->alerts)) < 0) {
		log_err("alerts: %s", strerror(-r));
		return r;
	}
	ingest_set_alerts(gw->ingest, gw->alerts);
	(void)store_alerts_active(gw->store, gw_restore_alert, gw);
	(void)store_node_foreach(gw->store, gw_seed_node, gw);
	if (gw->cfg->mqtt.enabled) {
		if ((r = mqtt_new(gw->loop, &gw->cfg->mqtt, &gw_outbox_ops, gw, &gw->mqtt)) < 0) {
			log_err("mqtt: %s", mqtt_strerror(r));
			return r;
		}
		ingest_set_mqtt(gw->ingest, gw->mqtt);
		log_info("mqtt: publishing to %s:%d as '%s/%s'", gw->cfg->mqtt.host,
		         gw->cfg->mqtt.port, gw->cfg->mqtt.topic_prefix, gw->cfg->mqtt.gateway_id);
	}
	if ((r = gw_open_transports(gw)) < 0)
		return r;
	/* The control socket (control.h): after the store, ingest and mqtt it reports on. */
	{
		struct control_deps cd = {.loop = gw->loop,
		                          .store = gw->store,
		                          .sess = gw->sess,
		                          .ingest = gw->ingest,
		                          .mqtt = gw->mqtt};

		if ((r = control_new(&cd, gw->cfg, &gw->control)) < 0) {
			log_err("control socket: %s", strerror(-r));
			return r;
		}
		log_info("control socket %s", control_path(gw->control));
	}
	uv_signal_init(gw->loop, &gw->sig_hup);
	uv_signal_init(gw->loop, &gw->sig_term);
	uv_signal_init(gw->loop, &gw->sig_int);
	gw->sig_hup.data = gw->sig_term.data = gw->sig_int.data = gw;
	uv_signal_start(&gw->sig_hup, gw_signal_cb, SIGHUP);
	uv_signal_start(&gw->sig_term, gw_signal_cb, SIGTERM);
	uv_signal_start(&gw->sig_int, gw_signal_cb, SIGINT);
	uv_timer_init(gw->loop, &gw->housekeeping);
	gw->housekeeping.data = gw;
	uv_timer_start(&gw->housekeeping, gw_housekeeping_cb, (uint64_t)gw->cfg->housekeeping_ms,
	               (uint64_t)gw->cfg->housekeeping_ms);
	uv_timer_init(gw->loop, &gw->status_timer);
	gw->status_timer.data = gw;
	uv_timer_start(&gw->status_timer, gw_status_cb, 10000, 10000);
	if ((r = sdnotify_new(gw->loop, &gw->notify)) < 0)
		return r;
	gw_status(gw, status, sizeof(status));
	sdnotify_ready(gw->notify, status);
	log_info("ready: %s", status);
	/* Anything left in the outbox from the last run goes out first. */
	if (gw->mqtt != NULL)
		mqtt_kick(gw->mqtt);
	uv_run(gw->loop, UV_RUN_DEFAULT);
	log_info("stopped: %s", gw->final_status);
	return 0;
}

static void
gw_teardown(struct gw *gw)
{
	control_free(gw->control); /* start-up failed after it was created */
	gw->control = NULL;
	mqtt_free(gw->mqtt);
	gw->mqtt = NULL;
	/* Let close callbacks of anything still closing run before freeing memory. */
	uv_run(gw->loop, UV_RUN_NOWAIT);
	alerts_free(gw->alerts);
	session_free(gw->sess);
	store_free(gw->store);
	free(gw->cfg);
}

/* ---- main ---- */

enum {
	OPT_CHECK = 256,
	OPT_ENROLL,
	OPT_ENROLL_BATCH,
	OPT_IMPORT,
	OPT_TAGS,
	OPT_OUT,
	OPT_PREFIX,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"debug", no_argument, NULL, 'd'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"check-config", no_argument, NULL, OPT_CHECK},
	        {"enroll", required_argument, NULL, OPT_ENROLL},
	        {"enroll-batch", required_argument, NULL, OPT_ENROLL_BATCH},
	        {"import", required_argument, NULL, OPT_IMPORT},
	        {"tags", required_argument, NULL, OPT_TAGS},
	        {"out", required_argument, NULL, OPT_OUT},
	        {"prefix", required_argument, NULL, OPT_PREFIX},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *enroll = NULL, *import = NULL, *tags = "", *out = NULL;
	const char *prefix = "node-";
	long batch = 0;
	int check = 0, debug = 0, ch, r;
	struct gw gw;
	char err[1024];

	memset(&gw, 0, sizeof(gw));
	while ((ch = getopt_long(argc, argv, "c:dfthV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tinyfleetd %s\n", TF_VERSION);
			return 0;
		case 'h':
			usage_to(stdout, 0);
			break;
		case 'c':
			conf = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			break; /* always in the foreground: systemd supervises */
		case 't':
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_ENROLL:
			enroll = optarg;
			break;
		case OPT_ENROLL_BATCH:
			batch = strtol(optarg, NULL, 10);
			if (batch <= 0 || batch > 1000000)
				fatalx("--enroll-batch wants 1..1000000");
			break;
		case OPT_IMPORT:
			import = optarg;
			break;
		case OPT_TAGS:
			tags = optarg;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_PREFIX:
			prefix = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (conf != NULL) {
		if (config_load(conf, &gw.cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	} else {
		if (config_load_string("(defaults)", "", &gw.cfg, err, sizeof(err)) < 0)
			fatalx("%s", err);
	}
	if (check) {
		fprintf(stderr, "configuration OK\n");
		free(gw.cfg);
		return 0;
	}
	log_set_level(debug ? LOG_LEVEL_DEBUG : (enum log_level)gw.cfg->log_level);

	if (enroll != NULL || batch > 0 || import != NULL) {
		FILE *f = stdout;

		if ((r = gw_open_store(gw.cfg, &gw.store)) < 0)
			return 1;
		if (out != NULL && (f = enroll_open_secret(out)) == NULL)
			fatal("'%s'", out);
		if (batch > 0 && out == NULL)
			fatalx("--enroll-batch needs --out FILE");
		if (enroll != NULL)
			r = enroll_one(gw.store, enroll, tags, gw.cfg->enroll_address, f);
		else if (batch > 0)
			r = enroll_batch(gw.store, (unsigned)batch, prefix, tags,
			                 gw.cfg->enroll_address, f);
		else {
			unsigned n = 0;

			err[0] = '\0';
			r = enroll_import(gw.store, import, &n, err, sizeof(err));
			if (r == 0)
				log_info("imported %u nodes from '%s'", n, import);
			else if (err[0])
				log_err("%s", err);
		}
		if (f != stdout)
			fclose(f);
		if (r < 0 && import == NULL)
			log_err("enroll: %s", r == -EEXIST ? "name already enrolled"
			                      : r == -EINVAL
			                              ? "bad name (1..63 of A-Z a-z 0-9 . _ -)"
			                              : store_strerror(r));
		store_free(gw.store);
		free(gw.cfg);
		return r < 0 ? 1 : 0;
	}

	signal(SIGPIPE, SIG_IGN);
	gw.loop = uv_default_loop();
	log_info("tinyfleetd %s starting", TF_VERSION);
	r = gw_run(&gw);
	if (r < 0 && !gw.stopping) {
		/* Start-up failed half way: close what is open and leave. */
		gw_close_transports(&gw);
		if (gw.ingest != NULL)
			ingest_free(gw.ingest);
		if (gw.notify != NULL)
			sdnotify_free(gw.notify);
	}
	gw_teardown(&gw);
	uv_loop_close(gw.loop);
	return r < 0 ? 1 : 0;
}
