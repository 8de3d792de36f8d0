/*
 * mqtt: libmosquitto on the daemon's libuv loop; drains the outbox. See mqtt.h.
 *
 * Divisions:
 *   1. configuration: defaults, INI keys, checks
 *   2. topics and JSON payloads
 *   3. the in-flight window (a ring of {mid, outbox id}) and the retained cache
 *   4. the connection: resolve (uv_getaddrinfo) -> mosquitto_connect_async ->
 *      uv_poll on mosquitto_socket() -> CONNACK -> publish -> lost -> backoff
 *   5. the public object: new, kick, reconfigure, shutdown, free
 *
 * Re-entrancy: libmosquitto calls our callbacks from inside loop_read,
 * loop_write, loop_misc, publish and disconnect. The callbacks only record
 * what happened (flags, acks); service() acts on it once the library call has
 * returned, so the library never sees its object destroyed under its feet
 * and never re-enters itself. A fresh struct mosquitto is made for every
 * connection attempt: what the old one still held is dropped, and the
 * outbox, not libmosquitto's queue, decides what is sent again.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <uv.h>

#include "log.h"
#include "mqtt.h"

#ifndef TF_VERSION
#define TF_VERSION "unknown"
#endif

#define SHUTDOWN_TIMEOUT_MS 3000
#define MISC_PERIOD_MS      1000
#define FETCH_BATCH         64 /* rows asked for per fetch() call */
#define BACKOFF_SHIFT_MAX   16
#define ADDRS_MAX           4 /* addresses of one name tried before backing off */

/* ---- 1. Configuration ---------------------------------------------------- */

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* A topic level must not hold '/', '+', '#' or be empty. */
static bool
topic_level_ok(const char *s)
{
	return s[0] != '\0' && strpbrk(s, "/+#") == NULL;
}

void
mqtt_config_defaults(struct mqtt_config *cfg)
{
	char host[MQTT_ID_MAX] = "";

	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = true;
	copy_str(cfg->host, sizeof(cfg->host), "localhost");
	cfg->port = 0; /* 1883 or 8883, decided by mqtt_config_check() */
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		copy_str(host, sizeof(host), "gateway");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if (*p == '/' || *p == '+' || *p == '#' || *p == '.')
			*p = '_';
	copy_str(cfg->gateway_id, sizeof(cfg->gateway_id), host);
	copy_str(cfg->topic_prefix, sizeof(cfg->topic_prefix), "tinyfleet");
	cfg->keepalive_s = 30;
	cfg->qos = 1;
	cfg->max_inflight = 100;
	cfg->reconnect_min_ms = 500;
	cfg->reconnect_max_ms = 30000;
	cfg->connect_timeout_ms = 10000;
	cfg->retained_max = 65536;
	cfg->outbox_max_rows = 1000000;
}

int
mqtt_qos_reliable(const struct mqtt_config *cfg)
{
	return cfg->qos < 1 ? 1 : cfg->qos;
}

static int
parse_ull(const char *s, unsigned long long min, unsigned long long max, unsigned long long *ret)
{
	char *end = NULL;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_bool(const char *s, bool *ret)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0 ||
	    strcasecmp(s, "on") == 0)
		*ret = true;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0 ||
	         strcasecmp(s, "off") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

enum key_type { K_STR, K_INT, K_U32, K_U64, K_BOOL };

struct key_desc {
	const char *name;
	enum key_type type;
	size_t off;
	size_t size; /* K_STR: buffer size */
	unsigned long long min, max;
};

/* A table row's fields: the key is the struct member's name. */
#define KS(f)            #f, K_STR, offsetof(struct mqtt_config, f), sizeof(((struct mqtt_config *)0)->f), 0, 0
#define KN(f, t, lo, hi) #f, t, offsetof(struct mqtt_config, f), 0, lo, hi

static const struct key_desc keys[] = {
        {KS(host)},
        {KS(client_id)},
        {KS(gateway_id)},
        {KS(topic_prefix)},
        {KS(username)},
        {KS(password)},
        {KS(tls_ca_file)},
        {KS(tls_ca_path)},
        {KS(tls_cert_file)},
        {KS(tls_key_file)},
        {KN(enabled, K_BOOL, 0, 1)},
        {KN(tls_insecure, K_BOOL, 0, 1)},
        {KN(port, K_INT, 1, 65535)},
        {KN(keepalive_s, K_INT, 5, 65535)},
        {KN(qos, K_INT, 0, 2)},
        {KN(max_inflight, K_U32, 1, 65535)},
        {KN(reconnect_min_ms, K_U32, 10, 3600000)},
        {KN(reconnect_max_ms, K_U32, 10, 3600000)},
        {KN(connect_timeout_ms, K_U32, 100, 3600000)},
        {KN(retained_max, K_U32, 0, 10000000)},
        {KN(outbox_max_rows, K_U64, 1000, 1000000000000ULL)},
};

int
mqtt_config_set(struct mqtt_config *cfg, const char *key, const char *value)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key_desc *k = &keys[i];
		char *field = (char *)cfg + k->off;
		unsigned long long v = 0;
		bool b;
		int r;

		if (strcmp(key, k->name) != 0)
			continue;
		switch (k->type) {
		case K_STR:
			if (strlen(value) >= k->size)
				return -ENAMETOOLONG;
			memcpy(field, value, strlen(value) + 1);
			return 0;
		case K_BOOL:
			r = parse_bool(value, &b);
			if (r < 0)
				return r;
			memcpy(field, &b, sizeof(b));
			return 0;
		default:
			r = parse_ull(value, k->min, k->max, &v);
			if (r < 0)
				return r;
			if (k->type == K_INT) {
				int iv = (int)v;
				memcpy(field, &iv, sizeof(iv));
			} else if (k->type == K_U32) {
				uint32_t uv = (uint32_t)v;
				memcpy(field, &uv, sizeof(uv));
			} else {
				uint64_t uv = v;
				memcpy(field, &uv, sizeof(uv));
			}
			return 0;
		}
	}
	return -ENOENT;
}

/* Field by field (strings up to their NUL), so padding and stale bytes never count. */
static bool
config_equal(const struct mqtt_config *a, const struct mqtt_config *b)
{
	static const size_t width[] = {[K_INT] = sizeof(int),
	                               [K_U32] = sizeof(uint32_t),
	                               [K_U64] = sizeof(uint64_t),
	                               [K_BOOL] = sizeof(bool)};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *fa = (const char *)a + keys[i].off;
		const char *fb = (const char *)b + keys[i].off;

		if (keys[i].type == K_STR ? strcmp(fa, fb) != 0
		                          : memcmp(fa, fb, width[keys[i].type]) != 0)
			return false;
	}
	return true;
}

static bool
tls_on(const struct mqtt_config *cfg)
{
	return cfg->tls_ca_file[0] != '\0' || cfg->tls_ca_path[0] != '\0';
}

int
mqtt_config_check(struct mqtt_config *cfg, const char **ret_key)
{
	const char *bad = NULL;

	if (cfg->host[0] == '\0')
		bad = "host";
	else if (!topic_level_ok(cfg->gateway_id))
		bad = "gateway_id";
	else if (cfg->topic_prefix[0] == '\0' || strpbrk(cfg->topic_prefix, "+#") != NULL ||
	         cfg->topic_prefix[0] == '/' ||
	         cfg->topic_prefix[strlen(cfg->topic_prefix) - 1] == '/' ||
	         strstr(cfg->topic_prefix, "//") != NULL)
		bad = "topic_prefix";
	else if (cfg->password[0] != '\0' && cfg->username[0] == '\0')
		bad = "password";
	else if ((cfg->tls_cert_file[0] != '\0') != (cfg->tls_key_file[0] != '\0'))
		bad = cfg->tls_cert_file[0] ? "tls_key_file" : "tls_cert_file";
	else if (cfg->tls_cert_file[0] != '\0' && !tls_on(cfg))
		bad = "tls_ca_file";
	else if (cfg->port < 0 || cfg->port > 65535)
		bad = "port";
	else if (cfg->keepalive_s < 5 || cfg->keepalive_s > 65535)
		bad = "keepalive_s";
	else if (cfg->qos < 0 || cfg->qos > 2)
		bad = "qos";
	else if (cfg->max_inflight < 1 || cfg->max_inflight > 65535)
		bad = "max_inflight";
	else if (cfg->reconnect_min_ms < 10 || cfg->reconnect_max_ms < cfg->reconnect_min_ms)
		bad = "reconnect_max_ms";
	else if (cfg->connect_timeout_ms < 100)
		bad = "connect_timeout_ms";
	if (bad != NULL) {
		if (ret_key != NULL)
			*ret_key = bad;
		return -EINVAL;
	}
	if (cfg->port == 0)
		cfg->port = tls_on(cfg) ? 8883 : 1883;
	if (cfg->client_id[0] == '\0')
		snprintf(cfg->client_id, sizeof(cfg->client_id), "tinyfleetd-%.100s",
		         cfg->gateway_id);
	return 0;
}

/* ---- 2. Topics and JSON payloads ----------------------------------------- */

static int fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

static int
fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int
mqtt_topic_gateway_status(const struct mqtt_config *cfg, char *buf, size_t size)
{
	return fmt(buf, size, "%s/%s/status", cfg->topic_prefix, cfg->gateway_id);
}

int
mqtt_topic_node(const struct mqtt_config *cfg, uint32_t node_id, const char *leaf, char *buf,
                size_t size)
{
	if (!topic_level_ok(leaf))
		return -EINVAL;
	return fmt(buf, size, "%s/%s/nodes/%" PRIu32 "/%s", cfg->topic_prefix, cfg->gateway_id,
	           node_id, leaf);
}

int
mqtt_topic_alert(const struct mqtt_config *cfg, const char *severity, char *buf, size_t size)
{
	if (!topic_level_ok(severity))
		return -EINVAL;
	return fmt(buf, size, "%s/%s/alerts/%s", cfg->topic_prefix, cfg->gateway_id, severity);
}

int
mqtt_topic_rollout(const struct mqtt_config *cfg, uint32_t rollout_id, char *buf, size_t size)
{
	return fmt(buf, size, "%s/%s/rollouts/%" PRIu32, cfg->topic_prefix, cfg->gateway_id,
	           rollout_id);
}

/* A bounded JSON object writer: every call appends, overflow is sticky. */
struct jb {
	char *buf;
	size_t size, len;
	bool overflow, first;
};

static void
jb_put(struct jb *j, const char *s, size_t n)
{
	if (j->overflow || j->len + n >= j->size) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void jb_printf(struct jb *j, const char *f, ...) __attribute__((format(printf, 2, 3)));

static void
jb_printf(struct jb *j, const char *f, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(tmp, sizeof(tmp), f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->overflow = true;
		return;
	}
	jb_put(j, tmp, (size_t)n);
}

static void
jb_begin(struct jb *j, char *buf, size_t size)
{
	j->buf = buf;
	j->size = size;
	j->len = 0;
	j->overflow = size == 0;
	j->first = true;
	if (size > 0)
		buf[0] = '\0';
	jb_put(j, "{", 1);
}

static int
jb_end(struct jb *j)
{
	jb_put(j, "}", 1);
	return j->overflow ? -ENOSPC : (int)j->len;
}

static void
jb_key(struct jb *j, const char *key)
{
	if (!j->first)
		jb_put(j, ",", 1);
	j->first = false;
	jb_put(j, "\"", 1);
	jb_put(j, key, strlen(key));
	jb_put(j, "\":", 2);
}

/* A JSON string: quotes, backslashes and control bytes escaped; NULL is null. */
static void
jb_str(struct jb *j, const char *key, const char *s)
{
	jb_key(j, key);
	if (s == NULL) {
		jb_put(j, "null", 4);
		return;
	}
	jb_put(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			jb_put(j, esc, 2);
		} else if (c < 0x20) {
			jb_printf(j, "\\u%04x", c);
		} else {
			jb_put(j, s, 1);
		}
	}
	jb_put(j, "\"", 1);
}

/*
 * Numbers without printf: vsnprintf cost about 2,000 instructions per number
 * (most of the JSON of a reading). Integers are plain; doubles come out byte
 * for byte as "%.<prec>g" would write them (mqtt__fmt_g), printf being the
 * fallback only where that cannot be decided cheaply.
 */

/* Decimal digits of v, written backwards ending at end; returns the first. */
static char *
fmt_u64(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

static void
jb_put_u64(struct jb *j, uint64_t v)
{
	char t[24], *p = fmt_u64(t + sizeof(t), v);

	jb_put(j, p, (size_t)(t + sizeof(t) - p));
}

static void
jb_i64(struct jb *j, const char *key, int64_t v)
{
	jb_key(j, key);
	if (v < 0) {
		jb_put(j, "-", 1);
		jb_put_u64(j, (uint64_t)0 - (uint64_t)v);
	} else {
		jb_put_u64(j, (uint64_t)v);
	}
}

static void
jb_u64(struct jb *j, const char *key, uint64_t v)
{
	jb_key(j, key);
	jb_put_u64(j, v);
}

/* Exact powers of ten (every one up to 1e22 is a double). */
static const double pow10_pos[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
/* The doubles nearest to 10^-k, to find the exponent of a value below 1. */
static const double pow10_neg[] = {1e0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7, 1e-8,
                                   1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16};

int
mqtt__fmt_g(char *out, double v, int prec)
{
	char dig[16];
	double a = fabs(v), scaled, fl, frac, p10;
	uint64_t r, lim;
	int x = 0, k, nd, len = 0;

	if (!isfinite(v) || prec < 1 || prec > 15)
		return -1;
	if (signbit(v))
		out[len++] = '-';
	if (a == 0.0) {
		out[len++] = '0';
		return len;
	}
	if (!(a >= 1e-15 && a < 1e15))
		return -1;
	/* x: 10^x <= a < 10^(x+1); an off-by-one at an inexact 10^-k is fixed by the rounding. */
	if (a >= 1.0) {
		while (a >= pow10_pos[x + 1])
			x++;
	} else {
		x = -1;
		while (a < pow10_neg[-x])
			x--;
	}
	/*
	 * prec significant digits as an integer, rounded as printf rounds the
	 * exact binary value (to nearest, ties to even). One multiplication or
	 * division by an exact power of ten is correctly rounded, and scaled
	 * (< 10^prec, below 2^53) has an exact floor and fraction; the fraction
	 * is a multiple of scaled's ulp, the rounding error at most half an ulp,
	 * so only a fraction of exactly one half needs the sign of that error,
	 * which fma() gives exactly (the residual of a product or quotient is a
	 * double).
	 */
	k = prec - 1 - x;
	if (k > 22)
		return -1;
	p10 = pow10_pos[k >= 0 ? k : -k];
	scaled = k >= 0 ? a * p10 : a / p10;
	fl = floor(scaled);
	frac = scaled - fl;
	r = (uint64_t)fl;
	if (frac > 0.5) {
		r++;
	} else if (frac == 0.5) {
		double err = k >= 0 ? fma(a, p10, -scaled) : fma(-scaled, p10, a);

		if (err > 0 || (err == 0 && (r & 1)))
			r++;
	}
	lim = (uint64_t)pow10_pos[prec];
	if (r >= lim) { /* 9.9999995 -> 10.00000 */
		r /= 10;
		x++;
	}
	if (r < lim / 10)
		return -1;
	for (int i = prec - 1; i >= 0; i--) {
		dig[i] = (char)('0' + r % 10);
		r /= 10;
	}
	/* %g drops trailing zeros of the fraction, and the point with them. */
	nd = prec;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (x < -4 || x >= prec) {
		int e = x < 0 ? -x : x;

		out[len++] = dig[0];
		if (nd > 1) {
			out[len++] = '.';
			memcpy(out + len, dig + 1, (size_t)nd - 1);
			len += nd - 1;
		}
		out[len++] = 'e';
		out[len++] = x < 0 ? '-' : '+';
		if (e >= 100)
			out[len++] = (char)('0' + e / 100);
		out[len++] = (char)('0' + e / 10 % 10);
		out[len++] = (char)('0' + e % 10);
		return len;
	}
	if (x >= 0) {
		memcpy(out + len, dig, (size_t)x + 1);
		len += x + 1;
		if (nd > x + 1) {
			out[len++] = '.';
			memcpy(out + len, dig + x + 1, (size_t)(nd - x - 1));
			len += nd - x - 1;
		}
		return len;
	}
	out[len++] = '0';
	out[len++] = '.';
	for (int i = 0; i < -x - 1; i++)
		out[len++] = '0';
	memcpy(out + len, dig, (size_t)nd);
	return len + nd;
}

/* A finite number as "%.<prec>g" writes it; null otherwise (JSON has no NaN). */
static void
jb_put_g(struct jb *j, double v, int prec)
{
	char t[40];
	int n;

	if (!isfinite(v)) {
		jb_put(j, "null", 4);
		return;
	}
	if ((n = mqtt__fmt_g(t, v, prec)) < 0) {
		jb_printf(j, "%.*g", prec, v);
		return;
	}
	jb_put(j, t, (size_t)n);
}

static void
jb_num(struct jb *j, double v)
{
	jb_put_g(j, v, 6);
}

/* 7 significant digits: counts up to 9,999,999 exact, float scores without noise. */
static void
jb_double(struct jb *j, const char *key, double v)
{
	jb_key(j, key);
	jb_put_g(j, v, 7);
}

int
mqtt_json_node_status(char *buf, size_t size, uint32_t node_id, bool online, int64_t last_seen_ms,
                      int64_t time_ms)
{
	struct jb j;

	jb_begin(&j, buf, size);
	jb_u64(&j, "node", node_id);
	jb_str(&j, "state", online ? "online" : "offline");
	jb_i64(&j, "last_seen_ms", last_seen_ms);
	jb_i64(&j, "time_ms", time_ms);
	return jb_end(&j);
}

int
mqtt_json_inference(char *buf, size_t size, const struct mqtt_inference *in)
{
	struct jb j;

	jb_begin(&j, buf, size);
	jb_u64(&j, "node", in->node_id);
	jb_u64(&j, "seq", in->seq);
	jb_i64(&j, "time_ms", in->time_ms);
	if (in->node_unix_ms != 0)
		jb_i64(&j, "node_unix_ms", in->node_unix_ms);
	jb_u64(&j, "mono_ms", in->mono_ms);
	jb_u64(&j, "model_id", in->model_id);
	jb_u64(&j, "model_version", in->model_version);
	jb_u64(&j, "label", in->label);
	jb_str(&j, "top_label", in->top_label != NULL ? in->top_label : "");
	jb_double(&j, "score", in->score);
	jb_key(&j, "scores");
	jb_put(&j, "[", 1);
	for (size_t i = 0; i < in->n_scores; i++) {
		if (i > 0)
			jb_put(&j, ",", 1);
		jb_num(&j, in->scores[i]);
	}
	jb_put(&j, "]", 1);
	jb_u64(&j, "latency_us", in->latency_us);
	return jb_end(&j);
}

static const char *
reset_reason_name(int r)
{
	static const char *const names[] = {"unknown",  "power_on", "brownout", "watchdog",
	                                    "software", "pin",      "fault",    "update"};

	if (r < 0 || (size_t)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}

int
mqtt_json_health(char *buf, size_t size, const struct mqtt_health *h)
{
	struct jb j;

	jb_begin(&j, buf, size);
	jb_u64(&j, "node", h->node_id);
	jb_u64(&j, "seq", h->seq);
	jb_i64(&j, "time_ms", h->time_ms);
	if (h->node_unix_ms != 0)
		jb_i64(&j, "node_unix_ms", h->node_unix_ms);
	jb_u64(&j, "mono_ms", h->mono_ms);
	jb_u64(&j, "battery_mv", h->battery_mv);
	jb_i64(&j, "rssi_dbm", h->rssi_dbm);
	jb_u64(&j, "uptime_s", h->uptime_s);
	jb_u64(&j, "reboots", h->reboots);
	jb_str(&j, "reset_reason", reset_reason_name(h->reset_reason));
	jb_u64(&j, "free_mem_bytes", h->free_mem_bytes);
	jb_u64(&j, "inferences", h->inferences);
	jb_u64(&j, "latency_mean_us", h->latency_mean_us);
	jb_u64(&j, "latency_max_us", h->latency_max_us);
	jb_u64(&j, "inference_errors", h->inference_errors);
	jb_u64(&j, "outbox_depth", h->outbox_depth);
	jb_u64(&j, "outbox_drops", h->outbox_drops);
	jb_u64(&j, "retransmits", h->retransmits);
	jb_u64(&j, "frames_rejected", h->frames_rejected);
	jb_i64(&j, "temperature_dc", h->temperature_dc);
	return jb_end(&j);
}

int
mqtt_json_alert(char *buf, size_t size, const char *kind, const char *severity, bool raised,
                uint32_t node_id, const char *rule, const char *message, double value,
                int64_t time_ms)
{
	struct jb j;

	jb_begin(&j, buf, size);
	jb_str(&j, "kind", kind);
	jb_str(&j, "state", raised ? "raised" : "cleared");
	jb_str(&j, "severity", severity);
	jb_key(&j, "node");
	if (node_id == 0)
		jb_put(&j, "null", 4);
	else
		jb_printf(&j, "%" PRIu32, node_id);
	jb_str(&j, "rule", rule);
	jb_str(&j, "message", message != NULL ? message : "");
	jb_double(&j, "value", value);
	jb_i64(&j, "time_ms", time_ms);
	return jb_end(&j);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- 3. The in-flight window and the retained cache ---------------------- */

/*
 * One publish awaiting its acknowledgement. row_id > 0 is an outbox row;
 * 0 is our own message (gateway status, a retained republish). Retained
 * outbox rows carry a copy of topic and payload so that, once acknowledged,
 * they can enter the retained cache (the store's pointers are gone by then).
 */
struct flight {
	int mid;
	int64_t row_id;
	bool acked;
	bool done_failed; /* done() refused it: it must be fetched again */
	char *topic;
	void *payload;
	size_t len;
};

struct retained {
	char *topic; /* NULL: free slot */
	void *payload;
	size_t len;
	int64_t row_id;
};

enum state {
	ST_IDLE,          /* no connection; the retry timer may be running */
	ST_RESOLVING,     /* uv_getaddrinfo in progress */
	ST_CONNECTING,    /* socket up, waiting for CONNACK */
	ST_CONNECTED,     /* publishing */
	ST_DISCONNECTING, /* shutdown: offline status sent, then DISCONNECT */
	ST_CLOSED,        /* shut down */
};

struct mqtt {
	uv_loop_t *loop;
	struct mqtt_config cfg;
	const struct mqtt_outbox_ops *ops;
	void *ops_arg;
	enum state state;

	struct mosquitto *mosq; /* this connection attempt's client; NULL in IDLE */
	uv_poll_t *poll;        /* watches mosquitto_socket(); freed in its close_cb */
	int poll_events;
	uv_timer_t misc_timer;     /* 1 s: loop_misc, keepalive, retries of fetch */
	uv_timer_t retry_timer;    /* reconnect backoff; connect timeout */
	uv_timer_t stop_timer;     /* bounds mqtt_shutdown() */
	uv_getaddrinfo_t *resolve; /* in flight, or NULL */
	unsigned attempt;          /* failed attempts in a row, for the backoff */
	bool logged_down;          /* the outage was logged once */
	bool reconnect_now;        /* reconfigured: no backoff for the next attempt */

	/* Set by libmosquitto callbacks, acted upon by service(). */
	bool ev_connack;
	int ev_connack_rc;
	bool ev_lost;
	int ev_lost_rc;
	bool ev_stop_acked;
	bool publishing; /* inside mosquitto_publish(): an ack may precede the mid */
	bool early_ack;
	int stop_mid;

	/* Window: ring[(head + i) % cap], i < len; `unacked` of them not acked yet. */
	struct flight *ring;
	uint32_t ring_cap, ring_head, ring_len, unacked;
	int64_t cursor; /* last outbox id published on this connection */
	/*
	 * Every outbox row up to floor was acknowledged and passed to done()
	 * successfully: a reconnect fetches from there instead of from the
	 * start, so rows whose deletion the store has only queued are not sent
	 * twice. A failed done() freezes it for the rest of the connection.
	 */
	int64_t floor;
	bool floor_frozen;
	bool outbox_idle; /* fetch() found nothing: wait for a kick or the tick */
	bool need_status;
	bool republishing;
	size_t republish_pos;

	struct retained *ret_tab;
	size_t ret_cap, ret_n;

	struct mqtt_stats stats;
	bool ever_connected;
	char status_topic[MQTT_PREFIX_MAX + MQTT_ID_MAX + 16];
	/* Addresses of the broker's name, tried in turn (plain TCP only). */
	char addrs[ADDRS_MAX][INET6_ADDRSTRLEN];
	int n_addrs, next_addr;

	void (*stop_cb)(void *arg);
	void *stop_arg;
	int handles_open; /* uv handles and requests not yet through their callbacks */
	bool free_pending;
	bool in_stop_cb;
	bool in_lib; /* inside a libmosquitto call that may run our callbacks */
	int refused; /* CONNACK code of the refusal being handled; 0 = none */
	bool lib_inited;
};

static void
flight_release(struct flight *f)
{
	free(f->topic);
	free(f->payload);
	memset(f, 0, sizeof(*f));
}

static void
ring_reset(struct mqtt *m)
{
	for (uint32_t i = 0; i < m->ring_len; i++)
		flight_release(&m->ring[(m->ring_head + i) % m->ring_cap]);
	m->ring_head = 0;
	m->ring_len = 0;
	m->unacked = 0;
	m->stats.in_flight = 0;
}

static uint32_t
ring_room(const struct mqtt *m)
{
	return m->ring_cap - m->ring_len;
}

static struct flight *
ring_push(struct mqtt *m)
{
	struct flight *f = &m->ring[(m->ring_head + m->ring_len) % m->ring_cap];

	memset(f, 0, sizeof(*f));
	m->ring_len++;
	m->unacked++;
	m->stats.in_flight = m->unacked;
	return f;
}

static int
ring_alloc(struct mqtt *m)
{
	struct flight *ring = calloc(m->cfg.max_inflight, sizeof(*ring));

	if (ring == NULL)
		return -ENOMEM;
	free(m->ring);
	m->ring = ring;
	m->ring_cap = m->cfg.max_inflight;
	m->ring_head = m->ring_len = m->unacked = 0;
	return 0;
}

/* FNV-1a: cheap and good enough for topic strings we generate ourselves. */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct retained *
retained_slot(struct mqtt *m, const char *topic)
{
	size_t mask = m->ret_cap - 1;

	for (size_t i = hash_str(topic) & mask;; i = (i + 1) & mask) {
		struct retained *r = &m->ret_tab[i];

		if (r->topic == NULL || strcmp(r->topic, topic) == 0)
			return r;
	}
}

/* Remembers the latest acknowledged retained payload per topic. Takes f's copies. */
static void
retained_put(struct mqtt *m, struct flight *f)
{
	struct retained *r;

	if (m->ret_tab == NULL)
		return;
	r = retained_slot(m, f->topic);
	if (r->topic == NULL) {
		if (m->ret_n >= m->cfg.retained_max)
			return; /* full: the broker still has it, only a restart without persistence loses it */
		r->topic = f->topic;
		f->topic = NULL;
		m->ret_n++;
		m->stats.retained = m->ret_n;
	} else if (r->row_id > f->row_id) {
		return; /* acknowledged out of order: keep the newer one */
	}
	free(r->payload);
	r->payload = f->payload;
	r->len = f->len;
	r->row_id = f->row_id;
	f->payload = NULL;
}

static void
retained_free(struct mqtt *m)
{
	for (size_t i = 0; i < m->ret_cap && m->ret_tab != NULL; i++) {
		free(m->ret_tab[i].topic);
		free(m->ret_tab[i].payload);
	}
	free(m->ret_tab);
	m->ret_tab = NULL;
	m->ret_cap = 0;
	m->ret_n = 0;
}

static int
retained_alloc(struct mqtt *m)
{
	size_t cap = 16;

	if (m->cfg.retained_max == 0)
		return 0;
	while (cap < (size_t)m->cfg.retained_max * 2)
		cap *= 2;
	m->ret_tab = calloc(cap, sizeof(*m->ret_tab));
	if (m->ret_tab == NULL)
		return -ENOMEM;
	m->ret_cap = cap;
	return 0;
}

/* ---- 4. The connection --------------------------------------------------- */

static void service(struct mqtt *m);
static void conn_start(struct mqtt *m);
static void conn_open(struct mqtt *m, const char *addr);
static void stop_finish(struct mqtt *m);

const char *
mqtt_strerror(int err)
{
	if (err < 0)
		return strerror(-err);
	return mosquitto_strerror(err);
}

/*
 * One handle or request fewer. The last one calls the shutdown callback, which
 * may call mqtt_free(): in_stop_cb turns that into free_pending, done here.
 */
static void
release(struct mqtt *m)
{
	if (--m->handles_open > 0)
		return;
	if (m->stop_cb != NULL) {
		void (*cb)(void *) = m->stop_cb;

		m->in_stop_cb = true;
		cb(m->stop_arg);
		m->in_stop_cb = false;
		m->stop_cb = NULL;
	}
	if (m->free_pending)
		mqtt_free(m);
}

static void
handle_closed(uv_handle_t *h)
{
	struct mqtt *m = h->data;

	if (h->type == UV_POLL)
		free(h);
	release(m);
}

static void on_poll(uv_poll_t *p, int status, int events);

static int
poll_open(struct mqtt *m)
{
	int fd = mosquitto_socket(m->mosq);
	uv_poll_t *p;
	int r;

	if (fd < 0)
		return -EBADF;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	r = uv_poll_init_socket(m->loop, p, fd);
	if (r < 0) {
		free(p);
		return r;
	}
	p->data = m;
	m->handles_open++;
	m->poll = p;
	m->poll_events = 0;
	return 0;
}

static void
poll_close(struct mqtt *m)
{
	if (m->poll == NULL)
		return;
	uv_close((uv_handle_t *)m->poll, handle_closed);
	m->poll = NULL;
}

static void
poll_update(struct mqtt *m)
{
	int events;

	if (m->poll == NULL || m->mosq == NULL)
		return;
	events = UV_READABLE | (mosquitto_want_write(m->mosq) ? UV_WRITABLE : 0);
	if (events == m->poll_events)
		return;
	if (uv_poll_start(m->poll, events, on_poll) == 0)
		m->poll_events = events;
}

static void
on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqtt *m = obj;

	(void)mosq;
	m->ev_connack = true;
	m->ev_connack_rc = rc;
}

static void
on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct mqtt *m = obj;

	(void)mosq;
	m->ev_lost = true;
	m->ev_lost_rc = rc;
}

static struct flight *
ring_find(struct mqtt *m, int mid)
{
	for (uint32_t i = 0; i < m->ring_len; i++) {
		struct flight *f = &m->ring[(m->ring_head + i) % m->ring_cap];

		if (!f->acked && f->mid == mid)
			return f;
	}
	return NULL;
}

/* The broker has the message (PUBACK for QoS 1): only now may the row go. */
static void
ack(struct mqtt *m, struct flight *f)
{
	f->acked = true;
	m->unacked--;
	m->stats.in_flight = m->unacked;
	if (f->row_id > 0) {
		int r = m->ops->done(m->ops_arg, f->row_id);

		if (r < 0) {
			m->stats.last_error =
			        r; /* stays in the store: sent again after a reconnect */
			f->done_failed = true;
		}
		m->stats.acked++;
		if (f->topic != NULL)
			retained_put(m, f);
	}
	while (m->ring_len > 0 && m->ring[m->ring_head].acked) {
		struct flight *h = &m->ring[m->ring_head];

		/* The ring pops in publish order, which is id order: the floor only rises. */
		if (h->done_failed)
			m->floor_frozen = true;
		else if (h->row_id > m->floor && !m->floor_frozen)
			m->floor = h->row_id;
		flight_release(h);
		m->ring_head = (m->ring_head + 1) % m->ring_cap;
		m->ring_len--;
	}
}

static void
on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct mqtt *m = obj;
	struct flight *f;

	(void)mosq;
	if (m->stop_mid != 0 && mid == m->stop_mid) {
		m->ev_stop_acked = true;
		return;
	}
	f = ring_find(m, mid);
	if (f != NULL)
		ack(m, f);
	else if (m->publishing)
		m->early_ack = true; /* QoS 0 is "acked" inside mosquitto_publish() */
}

static void
on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
	(void)mosq;
	(void)obj;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		log_debug("mqtt: libmosquitto: %s", str);
}

/*
 * Publishes through libmosquitto. Returns the MOSQ_ERR_* code; *ret_mid gets
 * the message id. early_ack tells whether a QoS 0 publish completed inside.
 */
static int
publish(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos, bool retain,
        int *ret_mid)
{
	int rc;

	if (len > INT_MAX)
		return MOSQ_ERR_PAYLOAD_SIZE;
	m->publishing = true;
	m->in_lib = true;
	m->early_ack = false;
	rc = mosquitto_publish(m->mosq, ret_mid, topic, (int)len, payload, qos, retain);
	m->in_lib = false;
	m->publishing = false;
	if (rc == MOSQ_ERR_SUCCESS)
		m->stats.published++;
	return rc;
}

/* Errors that mean "this message can never be published", not "the connection is bad". */
static bool
rc_is_rejection(int rc)
{
	return rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_PAYLOAD_SIZE ||
	       rc == MOSQ_ERR_MALFORMED_UTF8 || rc == MOSQ_ERR_QOS_NOT_SUPPORTED ||
	       rc == MOSQ_ERR_OVERSIZE_PACKET;
}

static int
status_payload(struct mqtt *m, bool online, const char *reason, char *buf, size_t size)
{
	struct jb j;

	jb_begin(&j, buf, size);
	jb_str(&j, "state", online ? "online" : "offline");
	jb_str(&j, "gateway", m->cfg.gateway_id);
	if (online) {
		jb_str(&j, "version", TF_VERSION);
		jb_i64(&j, "since_ms", wall_ms());
	} else {
		jb_str(&j, "reason", reason);
		if (strcmp(reason, "shutdown") == 0)
			jb_i64(&j, "time_ms", wall_ms());
	}
	return jb_end(&j);
}

/* Records a publish of ours (row_id 0) or of a row in the window. */
static bool
track(struct mqtt *m, int rc, int mid, int64_t row_id, const struct mqtt_outbox_row *row)
{
	struct flight *f;

	if (rc != MOSQ_ERR_SUCCESS) {
		if (rc_is_rejection(rc))
			return true;
		if (rc != MOSQ_ERR_NOMEM) {
			m->ev_lost = true;
			m->ev_lost_rc = rc;
		}
		m->stats.last_error = rc;
		return false;
	}
	f = ring_push(m);
	f->mid = mid;
	f->row_id = row_id;
	if (row != NULL && row->retain && m->ret_tab != NULL) {
		/* Best effort: without the copy the row is simply not republished later. */
		f->topic = strdup(row->topic);
		f->payload = malloc(row->payload_len ? row->payload_len : 1);
		if (f->topic == NULL || f->payload == NULL) {
			free(f->topic);
			free(f->payload);
			f->topic = NULL;
			f->payload = NULL;
		} else {
			memcpy(f->payload, row->payload, row->payload_len);
			f->len = row->payload_len;
		}
	}
	if (m->early_ack)
		ack(m, f);
	return true;
}

static bool
pump_status(struct mqtt *m)
{
	char payload[256];
	int n, mid = 0, rc;

	n = status_payload(m, true, NULL, payload, sizeof(payload));
	if (n < 0)
		return false;
	rc = publish(m, m->status_topic, payload, (size_t)n, 1, true, &mid);
	if (!track(m, rc, mid, 0, NULL))
		return false;
	m->need_status = false;
	return true;
}

static bool
pump_retained(struct mqtt *m)
{
	while (m->republish_pos < m->ret_cap && ring_room(m) > 0) {
		struct retained *r = &m->ret_tab[m->republish_pos];
		int mid = 0, rc;

		if (r->topic == NULL) {
			m->republish_pos++;
			continue;
		}
		rc = publish(m, r->topic, r->payload, r->len, mqtt_qos_reliable(&m->cfg), true,
		             &mid);
		if (!track(m, rc, mid, 0, NULL))
			return false;
		m->republish_pos++;
		if (rc == MOSQ_ERR_SUCCESS)
			m->stats.republished++;
	}
	if (m->republish_pos >= m->ret_cap)
		m->republishing = false;
	return true;
}

static bool
pump_outbox(struct mqtt *m)
{
	struct mqtt_outbox_row rows[FETCH_BATCH];

	while (!m->outbox_idle && ring_room(m) > 0) {
		size_t want = ring_room(m) < FETCH_BATCH ? ring_room(m) : FETCH_BATCH;
		size_t n = 0;
		int r = m->ops->fetch(m->ops_arg, m->cursor, rows, want, &n);

		if (r < 0) {
			m->stats.last_error = r;
			return false; /* the tick tries again */
		}
		if (n == 0) {
			m->outbox_idle = true;
			break;
		}
		int64_t before = m->cursor;
		for (size_t i = 0; i < n && i < want; i++) {
			const struct mqtt_outbox_row *row = &rows[i];
			int qos = row->qos < 0 ? m->cfg.qos : row->qos;
			int mid = 0, rc;

			if (row->id <= m->cursor)
				continue; /* a store that ignores after_id: never resend in-connection */
			rc = publish(m, row->topic, row->payload, row->payload_len,
			             qos > 2 ? 2 : qos, row->retain != 0, &mid);
			if (!track(m, rc, mid, row->id, row))
				return false;
			m->cursor = row->id;
			if (rc != MOSQ_ERR_SUCCESS) {
				/* Unpublishable (bad topic, too big): drop it, or it blocks the outbox. */
				log_warnx("mqtt: outbox row %" PRId64 " topic '%s': %s, dropped",
				          row->id, row->topic, mosquitto_strerror(rc));
				m->stats.rejected++;
				m->ops->done(m->ops_arg, row->id);
			}
		}
		if (m->cursor == before) {
			m->outbox_idle = true; /* only rows we already sent: wait for new ones */
			break;
		}
	}
	return true;
}

/* Publishes what is due, as far as the window allows. */
static void
pump(struct mqtt *m)
{
	if (m->state != ST_CONNECTED || m->mosq == NULL || m->ev_lost)
		return;
	if (m->need_status && ring_room(m) > 0 && !pump_status(m))
		return;
	if (m->republishing && !pump_retained(m))
		return;
	if (m->republishing)
		return; /* retained state first, then the outbox in id order */
	pump_outbox(m);
}

static void
on_retry(uv_timer_t *t)
{
	conn_start(t->data);
}

static void
retry_schedule(struct mqtt *m)
{
	uint64_t base = m->cfg.reconnect_min_ms, delay;
	unsigned shift = m->attempt < BACKOFF_SHIFT_MAX ? m->attempt : BACKOFF_SHIFT_MAX;

	m->state = ST_IDLE;
	if (!m->cfg.enabled || m->stop_cb != NULL || m->free_pending)
		return;
	if (m->reconnect_now) {
		m->reconnect_now = false;
		delay = 0;
	} else {
		delay = base << shift;
		if (delay > m->cfg.reconnect_max_ms)
			delay = m->cfg.reconnect_max_ms;
		/* "Equal jitter": half fixed, half random, so a fleet of gateways spreads out. */
		delay = delay / 2 + arc4random_uniform((uint32_t)(delay / 2 + 1));
		m->attempt++;
	}
	uv_timer_start(&m->retry_timer, on_retry, delay, 0);
}

/*
 * The connection is gone (or never came up): drop the client and every
 * unacknowledged publish. The rows stay in the outbox and are fetched again
 * from its start after the next CONNACK.
 */
static void
conn_down(struct mqtt *m, int rc)
{
	bool was_up = m->state == ST_CONNECTED || m->state == ST_DISCONNECTING;
	bool quiet = m->stop_cb != NULL || m->reconnect_now;
	const char *why = m->refused ? mosquitto_connack_string(m->refused) : mqtt_strerror(rc);

	uv_timer_stop(&m->retry_timer);
	if (m->resolve != NULL) {
		uv_cancel((uv_req_t *)m->resolve); /* on_resolved() still runs, and ignores it */
		m->resolve = NULL;
	}
	poll_close(m);
	if (m->mosq != NULL) {
		mosquitto_destroy(m->mosq);
		m->mosq = NULL;
	}
	ring_reset(m);
	if (m->ring_cap != m->cfg.max_inflight)
		ring_alloc(m); /* reconfigured window; on failure the old one stays */
	m->ev_connack = false;
	m->ev_lost = false;
	m->ev_stop_acked = false;
	m->stop_mid = 0;
	m->stats.connected = false;
	if (!was_up && m->stop_cb == NULL && !m->reconnect_now && m->state == ST_CONNECTING &&
	    m->next_addr < m->n_addrs) {
		/* The name has another address (localhost: ::1, then 127.0.0.1): try it now. */
		m->stats.connect_failures++;
		log_debug("mqtt: connect to %s:%d failed (%s), trying %s", m->cfg.host, m->cfg.port,
		          why, m->addrs[m->next_addr]);
		m->refused = 0;
		conn_open(m, m->addrs[m->next_addr++]);
		return;
	}
	if (was_up) {
		m->stats.disconnects++;
		if (rc != 0)
			m->stats.last_error = rc;
		if (!quiet)
			log_warnx("mqtt: connection to %s:%d lost (%s), reconnecting", m->cfg.host,
			          m->cfg.port, why);
		m->logged_down = true;
	} else if (m->state != ST_IDLE && !(m->stop_cb != NULL && rc == 0)) {
		m->stats.connect_failures++;
		if (rc != 0)
			m->stats.last_error = rc;
		if (!m->logged_down && !quiet)
			log_warnx("mqtt: cannot connect to %s:%d (%s), retrying with backoff",
			          m->cfg.host, m->cfg.port, why);
		else
			log_debug("mqtt: connect to %s:%d failed (%s)", m->cfg.host, m->cfg.port,
			          why);
		m->logged_down = true;
	}
	m->refused = 0;
	if (m->stop_cb != NULL) {
		stop_finish(m);
		return;
	}
	retry_schedule(m);
}

static void
on_connected(struct mqtt *m)
{
	m->state = ST_CONNECTED;
	uv_timer_stop(&m->retry_timer);
	m->stats.connected = true;
	m->stats.connects++;
	if (m->ever_connected)
		m->stats.reconnects++;
	m->ever_connected = true;
	m->attempt = 0;
	if (m->logged_down || m->stats.connects == 1)
		log_info("mqtt: connected to %s:%d as '%s'", m->cfg.host, m->cfg.port,
		         m->cfg.client_id);
	m->logged_down = false;
	m->need_status = true;
	m->republishing = m->ret_n > 0;
	m->republish_pos = 0;
	m->cursor = m->floor; /* what is above it was not (surely) deleted: send it again */
	m->floor_frozen = false;
	m->outbox_idle = false;
}

/*
 * Acts on what the library reported during the last call into it, then
 * publishes what is due and updates the poll events. Every entry point
 * (poll, timers, kick, shutdown) ends here.
 */
static void
service(struct mqtt *m)
{
	if (m->mosq == NULL)
		return;
	/*
	 * libmosquitto may close the socket without an error code (a failed TLS
	 * handshake): the poll must go before that descriptor number is reused.
	 */
	if (m->poll != NULL && mosquitto_socket(m->mosq) < 0 && !m->ev_lost) {
		m->ev_lost = true;
		m->ev_lost_rc = MOSQ_ERR_CONN_LOST;
	}
	if (m->ev_connack) {
		m->ev_connack = false;
		if (m->ev_connack_rc == 0 && m->state == ST_CONNECTING)
			on_connected(m);
		else if (m->ev_connack_rc != 0) {
			m->stats.last_connack = m->ev_connack_rc;
			m->refused = m->ev_connack_rc;
			if (!m->ev_lost) {
				m->ev_lost = true;
				m->ev_lost_rc = MOSQ_ERR_CONN_REFUSED;
			}
		}
	}
	if (m->ev_stop_acked && m->state == ST_DISCONNECTING) {
		m->ev_stop_acked = false;
		m->stop_mid = 0;
		/* Written at once; the library then closes the socket and reports it. */
		m->in_lib = true;
		if (mosquitto_disconnect(m->mosq) != MOSQ_ERR_SUCCESS)
			m->ev_lost = true;
		m->in_lib = false;
	}
	pump(m);
	if (m->ev_lost) {
		int rc = m->ev_lost_rc;

		if (rc == 0 && m->stats.last_error == 0 && m->state == ST_CONNECTING)
			rc = MOSQ_ERR_CONN_LOST;
		conn_down(m, rc);
		return;
	}
	poll_update(m);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct mqtt *m = p->data;
	int rc;

	if (p != m->poll || m->mosq == NULL)
		return;
	if (status < 0) {
		/*
		 * libuv reports a socket error (POLLERR) as UV_EBADF and stops the
		 * handle: the socket knows the real reason (refused, reset).
		 */
		int err = 0, fd = mosquitto_socket(m->mosq);
		socklen_t len = sizeof(err);

		if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
			status = -err;
		m->ev_lost = true;
		m->ev_lost_rc = status; /* libuv errors are negative errno values */
		service(m);
		return;
	}
	if (events & UV_READABLE) {
		m->in_lib = true;
		rc = mosquitto_loop_read(m->mosq, 64);
		m->in_lib = false;
		if (rc != MOSQ_ERR_SUCCESS && !m->ev_lost) {
			m->ev_lost = true;
			m->ev_lost_rc = rc;
		}
	}
	if ((events & UV_WRITABLE) && !m->ev_lost) {
		m->in_lib = true;
		rc = mosquitto_loop_write(m->mosq, 64);
		m->in_lib = false;
		if (rc != MOSQ_ERR_SUCCESS && !m->ev_lost) {
			m->ev_lost = true;
			m->ev_lost_rc = rc;
		}
	}
	service(m);
}

static void
on_misc(uv_timer_t *t)
{
	struct mqtt *m = t->data;
	int rc;

	if (m->mosq == NULL || m->poll == NULL)
		return;
	/* Keepalive (PINGREQ, and giving up on a silent broker). */
	m->in_lib = true;
	rc = mosquitto_loop_misc(m->mosq);
	m->in_lib = false;
	if (rc != MOSQ_ERR_SUCCESS && !m->ev_lost) {
		m->ev_lost = true;
		m->ev_lost_rc = rc;
	}
	/*
	 * TLS may hold decrypted bytes the socket no longer signals: read them.
	 * The socket is non-blocking, so with nothing there this returns at once.
	 */
	if (tls_on(&m->cfg) && !m->ev_lost && m->state >= ST_CONNECTING) {
		m->in_lib = true;
		rc = mosquitto_loop_read(m->mosq, 64);
		m->in_lib = false;
		if (rc != MOSQ_ERR_SUCCESS && !m->ev_lost) {
			m->ev_lost = true;
			m->ev_lost_rc = rc;
		}
	}
	/* A kick may have been missed, or fetch() failed: look at the outbox again. */
	m->outbox_idle = false;
	service(m);
}

static void
on_connect_timeout(uv_timer_t *t)
{
	struct mqtt *m = t->data;

	if (m->state == ST_CONNECTING || m->state == ST_RESOLVING)
		conn_down(m, -ETIMEDOUT);
}

static int
client_configure(struct mqtt *m, struct mosquitto *mosq)
{
	char will[256];
	int n, rc;

	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_publish_callback_set(mosq, on_publish);
	/* libmosquitto formats a line per packet when a log callback is set: only for debug. */
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		mosquitto_log_callback_set(mosq, on_log);
	/* Our window is the limit; libmosquitto must not queue behind its own. */
	rc = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, 0);
	if (rc != MOSQ_ERR_SUCCESS)
		return rc;
	mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
	n = status_payload(m, false, "connection lost", will, sizeof(will));
	if (n < 0)
		return MOSQ_ERR_INVAL;
	rc = mosquitto_will_set(mosq, m->status_topic, n, will, 1, true);
	if (rc != MOSQ_ERR_SUCCESS)
		return rc;
	if (m->cfg.username[0] != '\0') {
		rc = mosquitto_username_pw_set(mosq, m->cfg.username,
		                               m->cfg.password[0] ? m->cfg.password : NULL);
		if (rc != MOSQ_ERR_SUCCESS)
			return rc;
	}
	if (tls_on(&m->cfg)) {
		rc = mosquitto_tls_set(mosq, m->cfg.tls_ca_file[0] ? m->cfg.tls_ca_file : NULL,
		                       m->cfg.tls_ca_path[0] ? m->cfg.tls_ca_path : NULL,
		                       m->cfg.tls_cert_file[0] ? m->cfg.tls_cert_file : NULL,
		                       m->cfg.tls_key_file[0] ? m->cfg.tls_key_file : NULL, NULL);
		if (rc != MOSQ_ERR_SUCCESS)
			return rc;
		rc = mosquitto_tls_insecure_set(mosq, m->cfg.tls_insecure);
		if (rc != MOSQ_ERR_SUCCESS)
			return rc;
	}
	return MOSQ_ERR_SUCCESS;
}

/* Connects to addr (numeric, or the host name for TLS); never blocks on DNS for plain TCP. */
static void
conn_open(struct mqtt *m, const char *addr)
{
	int rc;

	m->state = ST_CONNECTING;
	m->mosq = mosquitto_new(m->cfg.client_id, true, m);
	if (m->mosq == NULL) {
		conn_down(m, -errno);
		return;
	}
	rc = client_configure(m, m->mosq);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_connect_async(m->mosq, addr, m->cfg.port, m->cfg.keepalive_s);
	if (rc != MOSQ_ERR_SUCCESS) {
		conn_down(m, rc == MOSQ_ERR_ERRNO ? -errno : rc);
		return;
	}
	rc = poll_open(m);
	if (rc < 0) {
		conn_down(m, rc);
		return;
	}
	uv_timer_start(&m->retry_timer, on_connect_timeout, m->cfg.connect_timeout_ms, 0);
	service(m);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct mqtt *m = req->data;
	bool current = m->resolve == req && m->state == ST_RESOLVING;

	if (m->resolve == req)
		m->resolve = NULL;
	free(req);
	if (current && status < 0) {
		conn_down(m, status);
	} else if (current) {
		m->n_addrs = 0;
		m->next_addr = 0;
		for (struct addrinfo *ai = res; ai != NULL && m->n_addrs < ADDRS_MAX;
		     ai = ai->ai_next) {
			char *a = m->addrs[m->n_addrs];
			bool dup = false;

			if (ai->ai_family == AF_INET)
				uv_ip4_name((struct sockaddr_in *)ai->ai_addr, a, INET6_ADDRSTRLEN);
			else if (ai->ai_family == AF_INET6)
				uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr, a,
				            INET6_ADDRSTRLEN);
			else
				continue;
			for (int i = 0; i < m->n_addrs; i++)
				dup = dup || strcmp(m->addrs[i], a) == 0;
			if (!dup)
				m->n_addrs++;
		}
		/*
		 * Plain TCP connects to the addresses themselves. TLS must pass the
		 * name, for SNI and the certificate check: libmosquitto resolves it
		 * again (answered from the resolver's cache) and tries each address.
		 */
		if (tls_on(&m->cfg) || m->n_addrs == 0) {
			m->n_addrs = 0;
			conn_open(m, m->cfg.host);
		} else {
			conn_open(m, m->addrs[m->next_addr++]);
		}
	}
	if (res != NULL)
		uv_freeaddrinfo(res);
	release(m); /* last: may free m */
}

static bool
host_is_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void
conn_start(struct mqtt *m)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
	uv_getaddrinfo_t *req;
	int r;

	if (!m->cfg.enabled || m->stop_cb != NULL || m->free_pending || m->state != ST_IDLE)
		return;
	m->n_addrs = 0;
	m->next_addr = 0;
	if (host_is_numeric(m->cfg.host)) {
		conn_open(m, m->cfg.host);
		return;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL) {
		conn_down(m, -ENOMEM);
		return;
	}
	req->data = m;
	m->state = ST_RESOLVING;
	r = uv_getaddrinfo(m->loop, req, on_resolved, m->cfg.host, NULL, &hints);
	if (r < 0) {
		free(req);
		conn_down(m, r);
		return;
	}
	m->resolve = req;
	m->handles_open++;
	uv_timer_start(&m->retry_timer, on_connect_timeout, m->cfg.connect_timeout_ms, 0);
}

/* ---- 5. The object ------------------------------------------------------- */

int
mqtt_new(uv_loop_t *loop, const struct mqtt_config *cfg, const struct mqtt_outbox_ops *ops,
         void *ops_arg, struct mqtt **ret)
{
	struct mqtt *m = NULL;
	struct mqtt_config c;
	int r;

	if (loop == NULL || cfg == NULL || ops == NULL || ops->fetch == NULL || ops->done == NULL ||
	    ret == NULL)
		return -EINVAL;
	c = *cfg;
	if (mqtt_config_check(&c, NULL) < 0)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->loop = loop;
	m->cfg = c;
	m->ops = ops;
	m->ops_arg = ops_arg;
	m->state = ST_IDLE;
	if (mqtt_topic_gateway_status(&m->cfg, m->status_topic, sizeof(m->status_topic)) < 0) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	r = ring_alloc(m);
	if (r < 0)
		goto fail;
	r = retained_alloc(m);
	if (r < 0)
		goto fail;
	mosquitto_lib_init();
	m->lib_inited = true;
	uv_timer_init(loop, &m->misc_timer);
	uv_timer_init(loop, &m->retry_timer);
	uv_timer_init(loop, &m->stop_timer);
	m->misc_timer.data = m->retry_timer.data = m->stop_timer.data = m;
	m->handles_open = 3;
	uv_timer_start(&m->misc_timer, on_misc, MISC_PERIOD_MS, MISC_PERIOD_MS);
	m->reconnect_now = true;
	retry_schedule(m);
	*ret = m;
	return 0;
fail:
	free(m->ring);
	retained_free(m);
	free(m);
	return r;
}

void
mqtt_kick(struct mqtt *m)
{
	if (m == NULL)
		return;
	m->outbox_idle = false;
	/* From inside our own callbacks (done() -> kick): the caller's service() pumps. */
	if (m->state == ST_CONNECTED && !m->in_lib)
		service(m);
}

int
mqtt_reconfigure(struct mqtt *m, const struct mqtt_config *cfg)
{
	struct mqtt_config c = *cfg;
	char topic[sizeof(m->status_topic)];

	if (mqtt_config_check(&c, NULL) < 0 || m->stop_cb != NULL)
		return -EINVAL;
	if (mqtt_topic_gateway_status(&c, topic, sizeof(topic)) < 0)
		return -EINVAL;
	/*
	 * The retained cache keeps its size until a restart; the outbox bound is
	 * the store's. Neither is a reason to reconnect.
	 */
	c.retained_max = m->cfg.retained_max;
	m->cfg.outbox_max_rows = c.outbox_max_rows;
	if (config_equal(&c, &m->cfg))
		return 0;
	if (strcmp(c.topic_prefix, m->cfg.topic_prefix) != 0 ||
	    strcmp(c.gateway_id, m->cfg.gateway_id) != 0) {
		/* Remembered topics are the old gateway's: forget them. */
		struct mqtt_config old = m->cfg;

		retained_free(m);
		m->cfg = c;
		if (retained_alloc(m) < 0) {
			m->cfg = old;
			if (retained_alloc(m) < 0)
				m->cfg.retained_max = 0;
			return -ENOMEM;
		}
		m->stats.retained = 0;
	}
	m->cfg = c;
	m->n_addrs = 0;
	memcpy(m->status_topic, topic, sizeof(topic));
	m->reconnect_now = true;
	m->attempt = 0;
	switch (m->state) {
	case ST_CONNECTED:
		/* Clean DISCONNECT: no Last Will; we are back within a moment. */
		m->in_lib = true;
		if (mosquitto_disconnect(m->mosq) != MOSQ_ERR_SUCCESS)
			m->ev_lost = true;
		m->in_lib = false;
		service(m);
		break;
	case ST_CONNECTING:
	case ST_RESOLVING:
		conn_down(m, 0);
		break;
	default:
		uv_timer_stop(&m->retry_timer);
		if (m->ring_cap != m->cfg.max_inflight)
			ring_alloc(m);
		retry_schedule(m);
		break;
	}
	return 0;
}

static void
on_stop_timeout(uv_timer_t *t)
{
	struct mqtt *m = t->data;

	if (m->state == ST_DISCONNECTING || m->state == ST_CONNECTED)
		conn_down(m, -ETIMEDOUT);
}

/* Closes the timers; the last close callback calls the shutdown callback. */
static void
stop_finish(struct mqtt *m)
{
	if (m->state == ST_CLOSED)
		return;
	m->state = ST_CLOSED;
	m->stats.connected = false;
	if (m->resolve != NULL) {
		uv_cancel((uv_req_t *)m->resolve); /* its callback still runs */
		m->resolve = NULL;
	}
	uv_close((uv_handle_t *)&m->misc_timer, handle_closed);
	uv_close((uv_handle_t *)&m->retry_timer, handle_closed);
	uv_close((uv_handle_t *)&m->stop_timer, handle_closed);
}

static void
stop_noop(void *arg)
{
	(void)arg;
}

void
mqtt_shutdown(struct mqtt *m, void (*done)(void *arg), void *arg)
{
	char payload[256];
	int n, mid = 0, rc;

	if (m->state == ST_CLOSED || m->stop_cb != NULL)
		return; /* already shut down or shutting down */
	m->stop_cb = done != NULL ? done : stop_noop;
	m->stop_arg = arg;
	uv_timer_stop(&m->retry_timer);
	if (m->state != ST_CONNECTED) {
		conn_down(m, 0); /* closes any attempt in progress, then stop_finish() */
		return;
	}
	m->state = ST_DISCONNECTING;
	uv_timer_start(&m->stop_timer, on_stop_timeout, SHUTDOWN_TIMEOUT_MS, 0);
	n = status_payload(m, false, "shutdown", payload, sizeof(payload));
	rc = publish(m, m->status_topic, payload, (size_t)(n > 0 ? n : 0), 1, true, &mid);
	if (rc == MOSQ_ERR_SUCCESS)
		m->stop_mid = mid;
	else
		m->ev_stop_acked = true; /* disconnect anyway */
	service(m);
}

void
mqtt_free(struct mqtt *m)
{
	if (m == NULL)
		return;
	if (m->handles_open > 0 || m->in_stop_cb) {
		if (m->free_pending)
			return;
		m->free_pending = true;
		if (m->state != ST_CLOSED) {
			uv_timer_stop(&m->retry_timer);
			poll_close(m);
			stop_finish(m);
		}
		return; /* handle_closed() comes back here */
	}
	if (m->mosq != NULL)
		mosquitto_destroy(m->mosq);
	ring_reset(m);
	free(m->ring);
	retained_free(m);
	if (m->lib_inited)
		mosquitto_lib_cleanup();
	free(m);
}

void
mqtt_get_stats(const struct mqtt *m, struct mqtt_stats *ret)
{
	*ret = m->stats;
	ret->in_flight = m->unacked;
	ret->retained = m->ret_n;
}
