/*
 * mqtt: the MQTT publisher. libmosquitto runs on the daemon's libuv loop (a
 * uv_poll on mosquitto_socket() plus a 1 s mosquitto_loop_misc() timer), never
 * in a thread of its own.
 *
 * It drains the store's outbox: rows are fetched in id order through
 * struct mqtt_outbox_ops, published with their QoS and retain flag, and
 * done(id) is called when the broker acknowledged the row (PUBACK for QoS 1)
 * and only then. At most max_inflight publishes are outstanding. When the
 * connection drops, rows not yet acknowledged are fetched again after the
 * reconnect (from the highest id below which every row was acknowledged and
 * done() succeeded), so nothing is lost; a row the
 * broker received but whose PUBACK was lost is published twice (QoS 1
 * "at least once" semantics, docs/MQTT.md).
 *
 * Gateway status: on every connect it publishes the retained
 * `<prefix>/<gw>/status` {"state":"online",...}; the Last Will (retained) sets
 * it to {"state":"offline","reason":"connection lost"} when the gateway
 * vanishes; mqtt_shutdown() publishes {"state":"offline","reason":"shutdown"}
 * and disconnects cleanly. Retained rows it has delivered (node status,
 * rollout state) are remembered, latest per topic, and published again after
 * every reconnect, so a broker restarted without persistence gets them back.
 *
 * Reconnects use exponential backoff with jitter. The module also offers the
 * topic and JSON payload builders that docs/MQTT.md documents, so that every
 * producer of outbox rows writes the same schema.
 */
#ifndef TF_DAEMON_MQTT_H
#define TF_DAEMON_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define MQTT_HOST_MAX   256
#define MQTT_ID_MAX     128 /* client_id, gateway_id, username */
#define MQTT_PREFIX_MAX 128
#define MQTT_SECRET_MAX 256
#define MQTT_PATH_MAX   512

/* The [mqtt] section. Strings are NUL-terminated in place; "" means unset. */
struct mqtt_config {
	bool enabled;                /* default true; false: no connection, rows stay queued */
	char host[MQTT_HOST_MAX];    /* default "localhost" */
	int port;                    /* default 1883, or 8883 when tls_ca_file/tls_ca_path is set */
	char client_id[MQTT_ID_MAX]; /* default "tinyfleetd-<gateway_id>" */
	char gateway_id[MQTT_ID_MAX];       /* the <gw> topic level; default: the host name */
	char topic_prefix[MQTT_PREFIX_MAX]; /* default "tinyfleet" */
	char username[MQTT_ID_MAX];         /* "" = no username */
	char password[MQTT_SECRET_MAX];     /* needs username */
	char tls_ca_file[MQTT_PATH_MAX];   /* CA bundle; setting this or tls_ca_path turns TLS on */
	char tls_ca_path[MQTT_PATH_MAX];   /* directory of hashed CA certificates */
	char tls_cert_file[MQTT_PATH_MAX]; /* client certificate (PEM), needs tls_key_file */
	char tls_key_file[MQTT_PATH_MAX];  /* its private key (PEM, unencrypted) */
	bool tls_insecure;                 /* skip the host name check; default false; tests only */
	int keepalive_s;                   /* default 30, 5..65535 */
	int qos;                           /* QoS of outbox rows whose own qos is < 0; default 1 */
	uint32_t max_inflight;             /* publishes awaiting PUBACK; default 100, 1..65535 */
	uint32_t reconnect_min_ms;         /* first retry delay; default 500 */
	uint32_t reconnect_max_ms;         /* backoff cap; default 30000 */
	uint32_t connect_timeout_ms;       /* no CONNACK by then: retry; default 10000 */
	uint32_t retained_max;    /* retained topics remembered for republish; default 65536 */
	uint64_t outbox_max_rows; /* outbox bound, enforced by the store; default 1000000 */
};

/* Fills *cfg with the defaults above (gateway_id from gethostname()). */
void mqtt_config_defaults(struct mqtt_config *cfg);

/*
 * The QoS of messages that must never be lost (alerts, the retained node
 * status, retained republishes): the configured qos, but at least 1.
 */
int mqtt_qos_reliable(const struct mqtt_config *cfg);

/*
 * Sets one [mqtt] key from its INI text (host, port, client_id, gateway_id,
 * topic_prefix, username, password, tls_ca_file, tls_ca_path, tls_cert_file,
 * tls_key_file, tls_insecure, keepalive_s, qos, max_inflight,
 * reconnect_min_ms, reconnect_max_ms, connect_timeout_ms, retained_max,
 * outbox_max_rows, enabled). Returns 0, -ENOENT for an unknown key,
 * -EINVAL for a bad value, -ENAMETOOLONG for a string too long. The caller
 * names the key in its message.
 */
int mqtt_config_set(struct mqtt_config *cfg, const char *key, const char *value);

/*
 * Checks cross-key rules (password needs username, key needs cert, topic
 * levels without '+', '#', '/', ranges) and fills derived defaults (port,
 * client_id). Returns 0, or -EINVAL with *ret_key naming the offending key.
 */
int mqtt_config_check(struct mqtt_config *cfg, const char **ret_key);

/*
 * One outbox row. The pointers are the store's and stay valid until the next
 * fetch call. qos < 0 means "the configured qos".
 */
struct mqtt_outbox_row {
	int64_t id; /* > 0, increasing in insertion order */
	const char *topic;
	const void *payload;
	size_t payload_len;
	int qos;
	int retain;
};

/*
 * The store's side. fetch() fills up to max rows with id > after_id in id
 * order, sets *ret_n and returns 0 or a negative errno; it must not return
 * rows already passed to done(). done() deletes the row; it returns 0 or a
 * negative errno (the row is then published again after the next reconnect).
 */
struct mqtt_outbox_ops {
	int (*fetch)(void *arg, int64_t after_id, struct mqtt_outbox_row *rows, size_t max,
	             size_t *ret_n);
	int (*done)(void *arg, int64_t id);
};

struct mqtt_stats {
	bool connected;       /* CONNACK received and the connection is up */
	uint64_t published;   /* PUBLISH packets handed to libmosquitto (all kinds) */
	uint64_t acked;       /* outbox rows acknowledged and passed to done() */
	uint64_t republished; /* retained messages republished after a reconnect */
	uint64_t
	        rejected; /* rows libmosquitto refused (bad topic, too big): done() without publish */
	uint64_t connects;         /* successful connections (CONNACK 0) */
	uint64_t reconnects;       /* successful connections after the first */
	uint64_t connect_failures; /* attempts that did not reach CONNACK 0 */
	uint64_t disconnects;      /* established connections lost */
	uint32_t in_flight;        /* publishes awaiting acknowledgement now */
	size_t retained;           /* retained topics remembered */
	int last_error; /* negative errno or libmosquitto code of the last failure; 0 = none */
	/* return code of the last refused CONNACK (4 bad user name or password, 5 not authorized) */
	int last_connack;
};

struct mqtt;

/*
 * Creates the publisher and starts connecting (asynchronously). cfg is copied
 * (call mqtt_config_check() on it first); ops and ops_arg are borrowed and
 * must outlive the object. Returns 0 and *ret, or a negative errno; nothing is
 * left behind on failure.
 */
int mqtt_new(uv_loop_t *loop, const struct mqtt_config *cfg, const struct mqtt_outbox_ops *ops,
             void *ops_arg, struct mqtt **ret);

/* New outbox rows exist: publish them now if connected (bounded by the window). */
void mqtt_kick(struct mqtt *m);

/*
 * Applies a new configuration (SIGHUP). If anything changed, the connection
 * is closed cleanly and re-established with the new settings at once; rows
 * in flight are published again. Returns 0 or -EINVAL (old config stays).
 */
int mqtt_reconfigure(struct mqtt *m, const struct mqtt_config *cfg);

/*
 * Stops publishing outbox rows, publishes the retained offline gateway status,
 * waits (at most 3 s) for its acknowledgement, disconnects cleanly (so the
 * broker does not send the Last Will), closes every handle, then calls
 * done(arg) from the loop (done may be NULL). Call mqtt_free() afterwards,
 * from done or later. A second call is ignored.
 */
void mqtt_shutdown(struct mqtt *m, void (*done)(void *arg), void *arg);

/*
 * Frees the object. After mqtt_shutdown()'s done ran this frees at once;
 * otherwise it closes the handles and the memory goes when the loop runs
 * their close callbacks. Accepts NULL.
 */
void mqtt_free(struct mqtt *m);

void mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *ret);

/* A libmosquitto error code (MOSQ_ERR_*) or negative errno as text. */
const char *mqtt_strerror(int err);

/* ---- Topics and payloads (docs/MQTT.md is the schema) ----------------------
 * Every builder writes a NUL-terminated string into buf and returns its
 * length, or -ENOSPC when size is too small (buf then holds a truncated,
 * unusable string).
 */

/* <prefix>/<gw>/status */
int mqtt_topic_gateway_status(const struct mqtt_config *cfg, char *buf, size_t size);
/* <prefix>/<gw>/nodes/<node>/<leaf>, leaf "status", "inference" or "health"; node in decimal */
int mqtt_topic_node(const struct mqtt_config *cfg, uint32_t node_id, const char *leaf, char *buf,
                    size_t size);
/* <prefix>/<gw>/alerts/<severity> */
int mqtt_topic_alert(const struct mqtt_config *cfg, const char *severity, char *buf, size_t size);
/* <prefix>/<gw>/rollouts/<id> */
int mqtt_topic_rollout(const struct mqtt_config *cfg, uint32_t rollout_id, char *buf, size_t size);

/* Retained node status: {"node":..,"state":"online"|"offline","last_seen_ms":..,"time_ms":..} */
int mqtt_json_node_status(char *buf, size_t size, uint32_t node_id, bool online,
                          int64_t last_seen_ms, int64_t time_ms);

/* The fields of nodes/<node>/inference (see docs/MQTT.md for each). */
struct mqtt_inference {
	uint32_t node_id;
	uint32_t seq;
	int64_t time_ms;      /* gateway unix time the row was stored, ms */
	int64_t node_unix_ms; /* the node's own estimate; 0 = not synced (omitted) */
	uint64_t mono_ms;
	uint32_t model_id;
	uint32_t model_version;
	uint32_t label;
	const char *top_label; /* may be NULL or "" */
	double score;          /* dequantized top score */
	const double *scores;  /* dequantized scores, n_scores of them (may be 0) */
	size_t n_scores;
	uint32_t latency_us;
};
int mqtt_json_inference(char *buf, size_t size, const struct mqtt_inference *in);

/*
 * Internal, exported for check_mqtt: writes finite v into out (at least 32
 * bytes, not NUL-terminated) exactly as printf's "%.<prec>g" does, prec 1..15,
 * and returns the length; -1 where it leaves the value to printf (|v| outside
 * 1e-15..1e15, or prec + digits below the point past 1e22).
 */
int mqtt__fmt_g(char *out, double v, int prec);

/* The fields of nodes/<node>/health (proto Health names and units). */
struct mqtt_health {
	uint32_t node_id;
	uint32_t seq;
	int64_t time_ms;
	int64_t node_unix_ms;
	uint64_t mono_ms;
	uint32_t battery_mv;
	int32_t rssi_dbm;
	uint32_t uptime_s;
	uint32_t reboots;
	int reset_reason; /* proto ResetReason value; written as its name */
	uint32_t free_mem_bytes;
	uint32_t inferences;
	uint32_t latency_mean_us;
	uint32_t latency_max_us;
	uint32_t inference_errors;
	uint32_t outbox_depth;
	uint32_t outbox_drops;
	uint32_t retransmits;
	uint32_t frames_rejected;
	int32_t temperature_dc;
};
int mqtt_json_health(char *buf, size_t size, const struct mqtt_health *h);

/*
 * alerts/<severity>: {"kind":..,"state":"raised"|"cleared","severity":..,
 * "node":..,"rule":..,"message":..,"value":..,"time_ms":..}. kind and
 * severity are alert_kind_name()/alert_severity_name(); node 0 and rule NULL
 * are written as null.
 */
int mqtt_json_alert(char *buf, size_t size, const char *kind, const char *severity, bool raised,
                    uint32_t node_id, const char *rule, const char *message, double value,
                    int64_t time_ms);

#endif
