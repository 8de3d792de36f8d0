/*
 * config: INI parsing into struct config. One table lists every key with its
 * type, limits and place in the struct; parsing, range checks and the
 * "file:line" error come from that table, so a key cannot be half-supported.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "log.h"

enum config_type {
	CT_STR,      /* char array of `size` bytes */
	CT_INT,      /* int in [min, max] */
	CT_I64,      /* int64_t in [min, max] */
	CT_BOOL,     /* yes/no/true/false/on/off/1/0 */
	CT_SIZE,     /* int64_t bytes, suffix K/M/G (powers of 1024) */
	CT_DURATION, /* int64_t seconds, suffix s/m/h/d */
	CT_SYNC,     /* off/normal/full/extra */
	CT_LEVEL,    /* error/warning/info/debug */
	CT_PARITY,   /* none/even/odd */
	CT_LISTEN,   /* comma list of addresses -> udp_listen */
	CT_SERIAL,   /* comma list of devices -> serial_device */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t off;  /* offsetof(struct config, field) */
	size_t size; /* CT_STR: array size */
	int64_t min, max;
};

#define K_STR(s, n, f)                                                                             \
	{                                                                                          \
		s, n, CT_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0    \
	}
#define K_INT(s, n, f, lo, hi)                                                                     \
	{                                                                                          \
		s, n, CT_INT, offsetof(struct config, f), 0, lo, hi                                \
	}
#define K_I64(s, n, f, lo, hi)                                                                     \
	{                                                                                          \
		s, n, CT_I64, offsetof(struct config, f), 0, lo, hi                                \
	}
#define K_T(s, n, t, f, lo, hi)                                                                    \
	{                                                                                          \
		s, n, t, offsetof(struct config, f), 0, lo, hi                                     \
	}

static const struct config_key config_keys[] = {
        K_T("gateway", "log_level", CT_LEVEL, log_level, 0, 0),
        K_STR("gateway", "enroll_address", enroll_address),
        K_STR("gateway", "control_socket", control_socket), /* control.c */
        K_STR("gateway", "admin_group", admin_group),       /* control.c */
        K_T("udp", "listen", CT_LISTEN, udp_listen, 0, 0),
        K_T("udp", "rcvbuf", CT_SIZE, udp_rcvbuf, 0, 1LL << 30),
        K_T("serial", "device", CT_SERIAL, serial_device, 0, 0),
        K_INT("serial", "baud", serial_baud, 50, 4000000),
        K_INT("serial", "data_bits", serial_data_bits, 5, 8),
        K_T("serial", "parity", CT_PARITY, serial_parity, 0, 0),
        K_INT("serial", "stop_bits", serial_stop_bits, 1, 2),
        K_T("serial", "rtscts", CT_BOOL, serial_rtscts, 0, 0),
        K_INT("serial", "reopen_min_ms", serial_reopen_min_ms, 1, 3600000),
        K_INT("serial", "reopen_max_ms", serial_reopen_max_ms, 1, 3600000),
        K_STR("store", "path", db_path),
        K_T("store", "synchronous", CT_SYNC, synchronous, 0, 0),
        K_INT("store", "batch_size", batch_size, 1, 100000),
        K_INT("store", "batch_ms", batch_ms, 0, 10000),
        K_INT("store", "busy_timeout_ms", busy_timeout_ms, 0, 60000),
        K_T("store", "retention_age", CT_DURATION, retention_age_s, 0, 100LL * 365 * 86400),
        K_T("store", "retention_max_size", CT_SIZE, retention_max_bytes, 0, 1LL << 50),
        K_INT("store", "retention_batch", retention_batch, 1, 1000000),
        K_INT("store", "retention_interval_ms", retention_interval_ms, 10, 3600000),
        K_INT("store", "retry_min_ms", retry_min_ms, 1, 600000),
        K_INT("store", "retry_max_ms", retry_max_ms, 1, 3600000),
        K_INT("gateway", "housekeeping_ms", housekeeping_ms, 10, 60000),
};

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LEVEL_INFO;
	snprintf(cfg->enroll_address, sizeof(cfg->enroll_address), "127.0.0.1:5684");
	snprintf(cfg->udp_listen[0], sizeof(cfg->udp_listen[0]), "0.0.0.0:5684");
	snprintf(cfg->udp_listen[1], sizeof(cfg->udp_listen[1]), "[::]:5684");
	cfg->n_udp_listen = 2;
	cfg->udp_rcvbuf = 4 << 20;
	cfg->serial_baud = 115200;
	cfg->serial_data_bits = 8;
	cfg->serial_parity = 'n';
	cfg->serial_stop_bits = 1;
	cfg->serial_reopen_min_ms = 100;
	cfg->serial_reopen_max_ms = 10000;
	snprintf(cfg->db_path, sizeof(cfg->db_path), "tinyfleet.db");
	cfg->synchronous = CONFIG_SYNC_FULL;
	cfg->batch_size = 1000;
	cfg->batch_ms = 20;
	cfg->busy_timeout_ms = 0;
	cfg->retention_age_s = 30LL * 86400;
	cfg->retention_max_bytes = 0;
	cfg->retention_batch = 1000;
	cfg->retention_interval_ms = 1000;
	cfg->retry_min_ms = 50;
	cfg->retry_max_ms = 5000;
	mqtt_config_defaults(&cfg->mqtt);
	alerts_config_defaults(&cfg->alerts);
	cfg->housekeeping_ms = 100;
}

struct config_parse {
	struct config *cfg;
	const char *name;
	char *err;
	size_t errlen;
	int failed;    /* set at the first error; later errors are ignored */
	char msg[512]; /* what was wrong; inih supplies the line number */
};

static int
parse_i64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A number with an optional unit suffix: mult[i] applies to suffix[i]. */
static int
parse_suffixed(const char *s, const char *suffixes, const int64_t *mult, int64_t *ret)
{
	char buf[64];
	size_t n = strlen(s);
	const char *p;
	int64_t v, m = 1;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if ((p = strchr(suffixes, tolower((unsigned char)buf[n - 1]))) != NULL &&
	    isalpha((unsigned char)buf[n - 1])) {
		m = mult[p - suffixes];
		buf[n - 1] = '\0';
	}
	if (parse_i64(buf, &v) < 0 || v < 0 || (m > 1 && v > INT64_MAX / m))
		return -EINVAL;
	*ret = v * m;
	return 0;
}

static int
parse_bool(const char *s, bool *ret)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on") ||
	    !strcmp(s, "1")) {
		*ret = true;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off") ||
	    !strcmp(s, "0")) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

/* Splits a comma list into a 2-D char array; returns the count or -EINVAL. */
static int
parse_list(const char *s, char *out, size_t each, size_t maxn)
{
	size_t n = 0;
	const char *p = s;

	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len > 0) {
			if (n == maxn || len >= each)
				return -EINVAL;
			memcpy(out + n * each, p, len);
			out[n * each + len] = '\0';
			n++;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return (int)n;
}

static int
config_set(struct config *cfg, const struct config_key *k, const char *value, const char **why)
{
	char *field = (char *)cfg + k->off;
	int64_t v = 0;
	int r;

	*why = "bad value";
	switch (k->type) {
	case CT_STR:
		if (strlen(value) >= k->size) {
			*why = "value too long";
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CT_INT:
	case CT_I64:
		if (parse_i64(value, &v) < 0) {
			*why = "not an integer";
			return -EINVAL;
		}
		break;
	case CT_SIZE: {
		static const int64_t mult[] = {1024, 1024 * 1024, 1024LL * 1024 * 1024};

		if (parse_suffixed(value, "kmg", mult, &v) < 0) {
			*why = "not a size (e.g. 512K, 64M, 2G)";
			return -EINVAL;
		}
		break;
	}
	case CT_DURATION: {
		static const int64_t mult[] = {1, 60, 3600, 86400};

		if (parse_suffixed(value, "smhd", mult, &v) < 0) {
			*why = "not a duration (e.g. 90s, 15m, 12h, 30d)";
			return -EINVAL;
		}
		break;
	}
	case CT_BOOL:
		if (parse_bool(value, (bool *)field) < 0) {
			*why = "not a boolean (yes/no)";
			return -EINVAL;
		}
		return 0;
	case CT_SYNC: {
		static const char *const names[] = {"off", "normal", "full", "extra"};

		for (int i = 0; i < 4; i++)
			if (strcasecmp(value, names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		*why = "not one of off, normal, full, extra";
		return -EINVAL;
	}
	case CT_LEVEL:
		if ((r = log_level_from_string(value)) < 0) {
			*why = "not one of error, warning, info, debug";
			return -EINVAL;
		}
		*(int *)field = r;
		return 0;
	case CT_PARITY:
		if (!strcasecmp(value, "none") || !strcasecmp(value, "n"))
			*field = 'n';
		else if (!strcasecmp(value, "even") || !strcasecmp(value, "e"))
			*field = 'e';
		else if (!strcasecmp(value, "odd") || !strcasecmp(value, "o"))
			*field = 'o';
		else {
			*why = "not one of none, even, odd";
			return -EINVAL;
		}
		return 0;
	case CT_LISTEN:
		r = parse_list(value, (char *)cfg->udp_listen, CONFIG_STR, CONFIG_MAX_LISTEN);
		if (r < 0) {
			*why = "too many addresses, or one too long";
			return -EINVAL;
		}
		for (int i = 0; i < r; i++) {
			char host[CONFIG_STR];
			int port;

			if (config_split_hostport(cfg->udp_listen[i], 5684, host, sizeof(host),
			                          &port) < 0) {
				*why = "not an address (host:port or [v6]:port)";
				return -EINVAL;
			}
		}
		cfg->n_udp_listen = (size_t)r;
		return 0;
	case CT_SERIAL:
		r = parse_list(value, (char *)cfg->serial_device, CONFIG_PATH, CONFIG_MAX_SERIAL);
		if (r < 0) {
			*why = "too many devices, or one too long";
			return -EINVAL;
		}
		cfg->n_serial_device = (size_t)r;
		return 0;
	}
	if (v < k->min || v > k->max) {
		*why = "out of range";
		return -ERANGE;
	}
	if (k->type == CT_INT)
		*(int *)field = (int)v;
	else
		*(int64_t *)field = v;
	return 0;
}

/* [mqtt], [alerts] and [rule:<name>] belong to mqtt.c and alerts.c: they parse their keys. */
static int
config_delegate(struct config_parse *p, const char *section, const char *name, const char *value)
{
	struct alerts_config *ac = &p->cfg->alerts;
	int r;

	if (strcmp(section, "mqtt") == 0) {
		r = mqtt_config_set(&p->cfg->mqtt, name, value);
	} else if (strcmp(section, "alerts") == 0) {
		r = alerts_config_set(ac, name, value);
	} else {
		const char *rname = section + 5;
		size_t i;

		for (i = 0; i < ac->n_rules; i++)
			if (strcmp(ac->rules[i].name, rname) == 0)
				break;
		if (i == ac->n_rules) {
			if (ac->n_rules == ALERTS_RULES_MAX) {
				snprintf(p->msg, sizeof(p->msg), "more than %d [rule:*] sections",
				         ALERTS_RULES_MAX);
				p->failed = 1;
				return 0;
			}
			if ((r = alerts_rule_init(&ac->rules[i], rname)) < 0) {
				snprintf(p->msg, sizeof(p->msg), "bad rule name '%s'", rname);
				p->failed = 1;
				return 0;
			}
			ac->n_rules++;
		}
		r = alerts_rule_parse(name, value, &ac->rules[i]);
	}
	if (r == 0)
		return 1;
	if (r == -ENOENT)
		snprintf(p->msg, sizeof(p->msg), "unknown key '%s' in [%s]", name, section);
	else
		snprintf(p->msg, sizeof(p->msg), "[%s] %s = '%s': %s", section, name, value,
		         r == -ENAMETOOLONG ? "value too long" : "bad value");
	p->failed = 1;
	return 0;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *p = user;
	const char *why = "unknown key";
	size_t i;

	if (p->failed)
		return 1;
	if (strcmp(section, "mqtt") == 0 || strcmp(section, "alerts") == 0 ||
	    strncmp(section, "rule:", 5) == 0)
		return config_delegate(p, section, name, value);
	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		if (config_set(p->cfg, k, value, &why) == 0)
			return 1;
		snprintf(p->msg, sizeof(p->msg), "[%s] %s = '%s': %s", section, name, value, why);
		p->failed = 1;
		return 0;
	}
	snprintf(p->msg, sizeof(p->msg), "unknown key '%s' in [%s]", name, section);
	p->failed = 1;
	return 0;
}

/* Cross-key checks that a single key cannot make. */
static int
config_validate(struct config_parse *p)
{
	struct config *c = p->cfg;
	const char *key = NULL;

	if (c->serial_reopen_min_ms > c->serial_reopen_max_ms) {
		snprintf(p->err, p->errlen, "%s: [serial] reopen_min_ms > reopen_max_ms", p->name);
		return -EINVAL;
	}
	if (c->retry_min_ms > c->retry_max_ms) {
		snprintf(p->err, p->errlen, "%s: [store] retry_min_ms > retry_max_ms", p->name);
		return -EINVAL;
	}
	if (mqtt_config_check(&c->mqtt, &key) < 0) {
		snprintf(p->err, p->errlen, "%s: [mqtt] %s: invalid", p->name, key ? key : "?");
		return -EINVAL;
	}
	for (size_t i = 0; i < c->alerts.n_rules; i++) {
		if (alerts_rule_check(&c->alerts.rules[i], &key) < 0) {
			snprintf(p->err, p->errlen, "%s: [rule:%s] %s: invalid", p->name,
			         c->alerts.rules[i].name, key ? key : "?");
			return -EINVAL;
		}
	}
	if (alerts_config_check(&c->alerts, &key) < 0) {
		snprintf(p->err, p->errlen, "%s: [alerts] %s: invalid", p->name, key ? key : "?");
		return -EINVAL;
	}
	if (c->db_path[0] == '\0') {
		snprintf(p->err, p->errlen, "%s: [store] path must not be empty", p->name);
		return -EINVAL;
	}
	return 0;
}

static int
config_finish(struct config_parse *p, int r, struct config **ret_cfg)
{
	/* ini_parse returns the line of the first error: ours or a syntax error. */
	if (r > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, r,
		         p->failed ? p->msg : "syntax error");
	if (r != 0) {
		free(p->cfg);
		return -EINVAL;
	}
	if (config_validate(p) < 0) {
		free(p->cfg);
		return -EINVAL;
	}
	*ret_cfg = p->cfg;
	return 0;
}

int
config_load(const char *path, struct config **ret_cfg, char *err, size_t errlen)
{
	struct config_parse p = {.name = path, .err = err, .errlen = errlen};
	FILE *f;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if ((p.cfg = malloc(sizeof(*p.cfg))) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	config_defaults(p.cfg);
	snprintf(p.cfg->path, sizeof(p.cfg->path), "%s", path);
	r = ini_parse_file(f, config_handler, &p);
	fclose(f);
	return config_finish(&p, r, ret_cfg);
}

int
config_load_string(const char *name, const char *text, struct config **ret_cfg, char *err,
                   size_t errlen)
{
	struct config_parse p = {.name = name, .err = err, .errlen = errlen};

	if ((p.cfg = malloc(sizeof(*p.cfg))) == NULL)
		return -ENOMEM;
	config_defaults(p.cfg);
	return config_finish(&p, ini_parse_string(text, config_handler, &p), ret_cfg);
}

int
config_split_hostport(const char *s, int default_port, char *host, size_t hostlen, int *ret_port)
{
	const char *colon, *h = s;
	size_t hl;
	long port = default_port;
	char *end;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] != '\0' && colon == NULL)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL; /* bare IPv6 address without port */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || *end != '\0' || port < 0 || port > 65535)
			return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*ret_port = (int)port;
	return 0;
}
