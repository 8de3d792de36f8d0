/*
 * alerts: rule engine over stored records; raise/clear with hysteresis. See alerts.h.
 *
 * Divisions: names and configuration parsing; per-node state (a sorted array
 * of nodes, binary search); the transition helpers (the only callers of the
 * raise/clear callbacks); one function per rule; the feeds.
 *
 * Every rule is a small state machine per (kind, node, rule) whose state
 * changes only when its callback succeeded, so a failed store write is simply
 * tried again at the next evaluation.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "alerts.h"

/* Boot times remembered per node for reboot_loop; reboot_loop_count is capped to this. */
#define BOOTS_MAX 16

struct rule_state {
	uint32_t streak; /* qualifying (not raised) or clearing (raised) results in a row */
	bool raised;
};

struct node {
	uint32_t id;
	int64_t last_seen_ms;
	bool announced;  /* node_state(online) was reported or is due (or the node was seeded) */
	bool status_due; /* node_state() failed: report the current state again */
	bool offline;
	bool battery_low;
	bool reboot_loop;
	bool inference_errors;
	bool have_health; /* the counters below hold a baseline */
	uint32_t reboots;
	uint32_t errors;
	uint32_t quiet_reports; /* reports without new errors while raised */
	int64_t boots[BOOTS_MAX];
	size_t n_boots; /* ring: boots[(head + i) % BOOTS_MAX] */
	size_t boots_head;
	struct rule_state *rules; /* cfg.n_rules of them */
};

struct alerts {
	struct alerts_config cfg;
	const struct alerts_ops *ops;
	void *arg;
	struct node **nodes; /* sorted by id */
	size_t n_nodes, cap_nodes;
	bool drops_raised;
	uint64_t drops_pending; /* rows dropped not yet reported by a raise */
	uint64_t drops_total;   /* rows dropped since the alert was raised */
	int64_t last_drop_ms;
	bool have_depth; /* alerts_on_outbox_depth() was called */
	uint64_t depth, depth_max;
	struct alerts_stats stats;
	char msg[192];
};

/* ---- Names and configuration ------------------------------------------- */

static const char *const kind_names[ALERT_KIND_MAX] = {
        [ALERT_NODE_OFFLINE] = "node_offline", [ALERT_BATTERY_LOW] = "battery_low",
        [ALERT_REBOOT_LOOP] = "reboot_loop",   [ALERT_INFERENCE_ERRORS] = "inference_errors",
        [ALERT_OUTBOX_DROPS] = "outbox_drops", [ALERT_RULE] = "rule",
};

static const char *const sev_names[ALERT_SEV_MAX] = {
        [ALERT_SEV_INFO] = "info",
        [ALERT_SEV_WARNING] = "warning",
        [ALERT_SEV_CRITICAL] = "critical",
};

const char *
alert_kind_name(enum alert_kind kind)
{
	if ((unsigned)kind >= ALERT_KIND_MAX)
		return "unknown";
	return kind_names[kind];
}

const char *
alert_severity_name(enum alert_severity sev)
{
	if ((unsigned)sev >= ALERT_SEV_MAX)
		return "unknown";
	return sev_names[sev];
}

int
alert_severity_from_string(const char *s)
{
	for (int i = 0; i < ALERT_SEV_MAX; i++)
		if (strcasecmp(s, sev_names[i]) == 0)
			return i;
	return -EINVAL;
}

void
alerts_config_defaults(struct alerts_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->offline_after_ms = 300 * 1000;
	cfg->battery_low_mv = 3300;
	cfg->battery_clear_mv = 3400;
	cfg->reboot_loop_count = 3;
	cfg->reboot_loop_window_ms = 600 * 1000;
	cfg->inference_errors_min = 1;
	cfg->inference_errors_clear_reports = 3;
	cfg->outbox_drops = true;
	cfg->outbox_drops_clear_ms = 600 * 1000;
	cfg->max_nodes = 100000;
	cfg->sev_offline = ALERT_SEV_WARNING;
	cfg->sev_battery = ALERT_SEV_WARNING;
	cfg->sev_reboot_loop = ALERT_SEV_CRITICAL;
	cfg->sev_inference_errors = ALERT_SEV_WARNING;
	cfg->sev_outbox_drops = ALERT_SEV_CRITICAL;
}

/* Whole decimal number in [min, max]; no sign tricks, no trailing junk. */
static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, min, max, &v);

	if (r < 0)
		return r;
	*ret = (uint32_t)v;
	return 0;
}

/* Seconds (up to ~68 years) into milliseconds. */
static int
parse_secs_ms(const char *s, uint64_t min_s, int64_t *ret_ms)
{
	uint64_t v;
	int r = parse_u64(s, min_s, UINT32_MAX, &v);

	if (r < 0)
		return r;
	*ret_ms = (int64_t)v * 1000;
	return 0;
}

static int
parse_double(const char *s, double min, double max, double *ret)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v))
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
	    strcasecmp(s, "on") == 0) {
		*ret = true;
		return 0;
	}
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0 ||
	    strcasecmp(s, "off") == 0) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

static int
parse_sev(const char *s, enum alert_severity *ret)
{
	int r = alert_severity_from_string(s);

	if (r < 0)
		return r;
	*ret = (enum alert_severity)r;
	return 0;
}

int
alerts_config_set(struct alerts_config *cfg, const char *key, const char *value)
{
	uint64_t v;
	int r;

	if (strcmp(key, "offline_after_s") == 0)
		return parse_secs_ms(value, 0, &cfg->offline_after_ms);
	if (strcmp(key, "battery_low_mv") == 0)
		return parse_u32(value, 0, 100000, &cfg->battery_low_mv);
	if (strcmp(key, "battery_clear_mv") == 0)
		return parse_u32(value, 0, 100000, &cfg->battery_clear_mv);
	if (strcmp(key, "reboot_loop_count") == 0)
		return parse_u32(value, 0, BOOTS_MAX, &cfg->reboot_loop_count);
	if (strcmp(key, "reboot_loop_window_s") == 0)
		return parse_secs_ms(value, 1, &cfg->reboot_loop_window_ms);
	if (strcmp(key, "inference_errors_min") == 0)
		return parse_u32(value, 0, UINT32_MAX, &cfg->inference_errors_min);
	if (strcmp(key, "inference_errors_clear_reports") == 0)
		return parse_u32(value, 1, 1000000, &cfg->inference_errors_clear_reports);
	if (strcmp(key, "outbox_drops") == 0)
		return parse_bool(value, &cfg->outbox_drops);
	if (strcmp(key, "outbox_drops_clear_s") == 0)
		return parse_secs_ms(value, 1, &cfg->outbox_drops_clear_ms);
	if (strcmp(key, "max_nodes") == 0) {
		r = parse_u64(value, 1, 100000000, &v);
		if (r < 0)
			return r;
		cfg->max_nodes = (size_t)v;
		return 0;
	}
	if (strcmp(key, "severity_offline") == 0)
		return parse_sev(value, &cfg->sev_offline);
	if (strcmp(key, "severity_battery") == 0)
		return parse_sev(value, &cfg->sev_battery);
	if (strcmp(key, "severity_reboot_loop") == 0)
		return parse_sev(value, &cfg->sev_reboot_loop);
	if (strcmp(key, "severity_inference_errors") == 0)
		return parse_sev(value, &cfg->sev_inference_errors);
	if (strcmp(key, "severity_outbox_drops") == 0)
		return parse_sev(value, &cfg->sev_outbox_drops);
	return -ENOENT;
}

int
alerts_rule_init(struct alerts_rule *rule, const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(rule->name))
		return -ENAMETOOLONG;
	memset(rule, 0, sizeof(*rule));
	memcpy(rule->name, name, len + 1);
	rule->score_min = 0.5;
	rule->consecutive = 1;
	rule->clear_below = rule->score_min;
	rule->clear_consecutive = 1;
	rule->severity = ALERT_SEV_WARNING;
	return 0;
}

int
alerts_rule_parse(const char *key, const char *value, struct alerts_rule *rule)
{
	int r;

	if (strcmp(key, "label") == 0) {
		size_t len = strlen(value);

		if (len == 0 || len >= sizeof(rule->label))
			return -EINVAL;
		memcpy(rule->label, value, len + 1);
		return 0;
	}
	if (strcmp(key, "score_min") == 0) {
		r = parse_double(value, 0.0, 1.0, &rule->score_min);
		if (r == 0 && !rule->have_clear_below)
			rule->clear_below = rule->score_min;
		return r;
	}
	if (strcmp(key, "consecutive") == 0) {
		r = parse_u32(value, 1, 1000000, &rule->consecutive);
		if (r == 0 && !rule->have_clear_consecutive)
			rule->clear_consecutive = rule->consecutive;
		return r;
	}
	if (strcmp(key, "clear_below") == 0) {
		r = parse_double(value, 0.0, 1.0, &rule->clear_below);
		if (r == 0)
			rule->have_clear_below = true;
		return r;
	}
	if (strcmp(key, "clear_consecutive") == 0) {
		r = parse_u32(value, 1, 1000000, &rule->clear_consecutive);
		if (r == 0)
			rule->have_clear_consecutive = true;
		return r;
	}
	if (strcmp(key, "severity") == 0)
		return parse_sev(value, &rule->severity);
	return -ENOENT;
}

int
alerts_rule_check(const struct alerts_rule *rule, const char **ret_key)
{
	const char *bad = NULL;

	if (rule->name[0] == '\0')
		bad = "name";
	else if (rule->label[0] == '\0')
		bad = "label";
	else if (rule->consecutive < 1)
		bad = "consecutive";
	else if (rule->clear_consecutive < 1)
		bad = "clear_consecutive";
	else if (rule->clear_below > rule->score_min)
		bad = "clear_below";
	else if ((unsigned)rule->severity >= ALERT_SEV_MAX)
		bad = "severity";
	if (bad == NULL)
		return 0;
	if (ret_key != NULL)
		*ret_key = bad;
	return -EINVAL;
}

int
alerts_config_check(const struct alerts_config *cfg, const char **ret_key)
{
	const char *bad = NULL;
	int r;

	if (cfg->battery_low_mv > 0 && cfg->battery_clear_mv < cfg->battery_low_mv)
		bad = "battery_clear_mv";
	else if (cfg->reboot_loop_count > BOOTS_MAX)
		bad = "reboot_loop_count";
	else if (cfg->reboot_loop_count > 0 && cfg->reboot_loop_window_ms <= 0)
		bad = "reboot_loop_window_s";
	else if (cfg->inference_errors_clear_reports < 1)
		bad = "inference_errors_clear_reports";
	else if (cfg->outbox_drops && cfg->outbox_drops_clear_ms <= 0)
		bad = "outbox_drops_clear_s";
	else if (cfg->max_nodes < 1)
		bad = "max_nodes";
	else if (cfg->n_rules > ALERTS_RULES_MAX)
		bad = "rules";
	if (bad != NULL)
		goto fail;
	for (size_t i = 0; i < cfg->n_rules; i++) {
		r = alerts_rule_check(&cfg->rules[i], ret_key);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->rules[i].name, cfg->rules[j].name) == 0) {
				bad = "name";
				goto fail;
			}
	}
	return 0;
fail:
	if (ret_key != NULL)
		*ret_key = bad;
	return -EINVAL;
}

/* ---- Per-node state ----------------------------------------------------- */

static size_t
node_lower_bound(const struct alerts *a, uint32_t id)
{
	size_t lo = 0, hi = a->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->nodes[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct node *
node_find(const struct alerts *a, uint32_t id)
{
	size_t i = node_lower_bound(a, id);

	if (i < a->n_nodes && a->nodes[i]->id == id)
		return a->nodes[i];
	return NULL;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	free(n->rules);
	free(n);
}

/* Finds or adds node id; NULL with *ret_err -ENOSPC (max_nodes) or -ENOMEM. */
static struct node *
node_get(struct alerts *a, uint32_t id, int *ret_err)
{
	struct node *n = NULL;
	size_t i = node_lower_bound(a, id);

	if (i < a->n_nodes && a->nodes[i]->id == id)
		return a->nodes[i];
	if (a->n_nodes >= a->cfg.max_nodes) {
		a->stats.untracked++;
		*ret_err = -ENOSPC;
		return NULL;
	}
	if (a->n_nodes == a->cap_nodes) {
		size_t cap = a->cap_nodes ? a->cap_nodes * 2 : 64;
		struct node **nodes = realloc(a->nodes, cap * sizeof(*nodes));

		if (nodes == NULL)
			goto nomem;
		a->nodes = nodes;
		a->cap_nodes = cap;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		goto nomem;
	if (a->cfg.n_rules > 0) {
		n->rules = calloc(a->cfg.n_rules, sizeof(*n->rules));
		if (n->rules == NULL)
			goto nomem;
	}
	n->id = id;
	memmove(&a->nodes[i + 1], &a->nodes[i], (a->n_nodes - i) * sizeof(*a->nodes));
	a->nodes[i] = n;
	a->n_nodes++;
	return n;
nomem:
	node_free(n);
	*ret_err = -ENOMEM;
	return NULL;
}

/* ---- Transitions: the only callers of raise() and clear() --------------- */

static int
emit(struct alerts *a, bool raise, enum alert_kind kind, enum alert_severity sev, uint32_t node_id,
     const char *rule, double value, int64_t now_ms)
{
	struct alert al = {
	        .kind = kind,
	        .severity = sev,
	        .node_id = node_id,
	        .rule = rule,
	        .message = a->msg,
	        .value = value,
	        .time_ms = now_ms,
	};
	int r;

	r = raise ? a->ops->raise(a->arg, &al) : a->ops->clear(a->arg, &al);
	if (r < 0)
		return r;
	if (raise) {
		a->stats.raised++;
		a->stats.active++;
	} else {
		a->stats.cleared++;
		if (a->stats.active > 0)
			a->stats.active--;
	}
	return 0;
}

#define MSG(a, ...) snprintf((a)->msg, sizeof((a)->msg), __VA_ARGS__)

/* ---- Rules -------------------------------------------------------------- */

/* Reports the node's state if a report is due; a failed one stays due. */
static void
status_report(struct alerts *a, struct node *n, int64_t now_ms)
{
	if (!n->status_due)
		return;
	if (a->ops->node_state != NULL &&
	    a->ops->node_state(a->arg, n->id, !n->offline, n->last_seen_ms, now_ms) < 0)
		return;
	n->status_due = false;
}

static void
rule_offline_check(struct alerts *a, struct node *n, int64_t now_ms)
{
	int64_t silent = now_ms - n->last_seen_ms;

	if (n->offline || a->cfg.offline_after_ms <= 0 || silent < a->cfg.offline_after_ms)
		return;
	MSG(a, "node %" PRIu32 " silent for %" PRId64 " s", n->id, silent / 1000);
	if (emit(a, true, ALERT_NODE_OFFLINE, a->cfg.sev_offline, n->id, NULL,
	         (double)silent / 1000.0, now_ms) < 0)
		return;
	n->offline = true;
	n->status_due = true;
	status_report(a, n, now_ms);
}

/* A frame arrived: back online clears node_offline. */
static void
rule_seen(struct alerts *a, struct node *n, int64_t now_ms)
{
	int64_t silent = now_ms - n->last_seen_ms;

	if (now_ms > n->last_seen_ms)
		n->last_seen_ms = now_ms;
	if (n->offline) {
		MSG(a, "node %" PRIu32 " back online after %" PRId64 " s", n->id, silent / 1000);
		if (emit(a, false, ALERT_NODE_OFFLINE, a->cfg.sev_offline, n->id, NULL,
		         (double)silent / 1000.0, now_ms) < 0)
			return;
		n->offline = false;
		n->announced = false;
	}
	if (!n->announced) {
		n->announced = true;
		n->status_due = true;
	}
	status_report(a, n, now_ms);
}

static void
rule_battery(struct alerts *a, struct node *n, uint32_t mv, int64_t now_ms)
{
	if (a->cfg.battery_low_mv == 0 || mv == 0)
		return;
	if (!n->battery_low && mv < a->cfg.battery_low_mv) {
		MSG(a, "node %" PRIu32 " battery low: %" PRIu32 " mV (limit %" PRIu32 " mV)", n->id,
		    mv, a->cfg.battery_low_mv);
		if (emit(a, true, ALERT_BATTERY_LOW, a->cfg.sev_battery, n->id, NULL, mv, now_ms) ==
		    0)
			n->battery_low = true;
	} else if (n->battery_low && mv >= a->cfg.battery_clear_mv) {
		MSG(a, "node %" PRIu32 " battery back to %" PRIu32 " mV", n->id, mv);
		if (emit(a, false, ALERT_BATTERY_LOW, a->cfg.sev_battery, n->id, NULL, mv,
		         now_ms) == 0)
			n->battery_low = false;
	}
}

static void
boots_push(struct node *n, int64_t t)
{
	if (n->n_boots < BOOTS_MAX) {
		n->boots[(n->boots_head + n->n_boots) % BOOTS_MAX] = t;
		n->n_boots++;
	} else {
		n->boots[n->boots_head] = t;
		n->boots_head = (n->boots_head + 1) % BOOTS_MAX;
	}
}

static uint32_t
boots_since(const struct node *n, int64_t since_ms)
{
	uint32_t count = 0;

	for (size_t i = 0; i < n->n_boots; i++)
		if (n->boots[(n->boots_head + i) % BOOTS_MAX] > since_ms)
			count++;
	return count;
}

/*
 * Reboot loop: every increase of Health.reboots is a boot at (now - uptime).
 * Raised at reboot_loop_count boots within the window; cleared once the node
 * has been up for a whole window, so a node that reboots every few minutes
 * never flaps between raised and cleared.
 */
static void
rule_reboot_loop(struct alerts *a, struct node *n, const struct alerts_health *h, int64_t now_ms)
{
	int64_t window = a->cfg.reboot_loop_window_ms;
	int64_t up_ms = (int64_t)h->uptime_s * 1000;
	uint32_t count;

	if (h->reboots < n->reboots) {
		/* Re-provisioned: the counter started again. */
		n->n_boots = 0;
		n->boots_head = 0;
	} else if (h->reboots > n->reboots) {
		uint32_t k = h->reboots - n->reboots;

		if (k > BOOTS_MAX)
			k = BOOTS_MAX;
		while (k-- > 0)
			boots_push(n, now_ms - up_ms);
	}
	if (a->cfg.reboot_loop_count == 0)
		return;
	count = boots_since(n, now_ms - window);
	if (!n->reboot_loop && count >= a->cfg.reboot_loop_count) {
		MSG(a, "node %" PRIu32 " rebooted %" PRIu32 " times in %" PRId64 " s", n->id, count,
		    window / 1000);
		if (emit(a, true, ALERT_REBOOT_LOOP, a->cfg.sev_reboot_loop, n->id, NULL, count,
		         now_ms) == 0)
			n->reboot_loop = true;
	} else if (n->reboot_loop && up_ms >= window) {
		MSG(a, "node %" PRIu32 " up for %" PRIu32 " s without a reboot", n->id,
		    h->uptime_s);
		if (emit(a, false, ALERT_REBOOT_LOOP, a->cfg.sev_reboot_loop, n->id, NULL, count,
		         now_ms) == 0)
			n->reboot_loop = false;
	}
}

/*
 * Inference errors: the since-boot counter grew by inference_errors_min or
 * more between two reports (after a reboot the whole new count is new).
 * Cleared after inference_errors_clear_reports reports in a row without growth.
 */
static void
rule_inference_errors(struct alerts *a, struct node *n, const struct alerts_health *h,
                      bool rebooted, int64_t now_ms)
{
	uint32_t delta;

	if (a->cfg.inference_errors_min == 0)
		return;
	if (rebooted || h->inference_errors < n->errors)
		delta = h->inference_errors;
	else
		delta = h->inference_errors - n->errors;
	if (!n->inference_errors) {
		if (delta < a->cfg.inference_errors_min)
			return;
		MSG(a, "node %" PRIu32 " reported %" PRIu32 " new inference errors", n->id, delta);
		if (emit(a, true, ALERT_INFERENCE_ERRORS, a->cfg.sev_inference_errors, n->id, NULL,
		         delta, now_ms) == 0) {
			n->inference_errors = true;
			n->quiet_reports = 0;
		}
		return;
	}
	if (delta > 0) {
		n->quiet_reports = 0;
		return;
	}
	if (n->quiet_reports < a->cfg.inference_errors_clear_reports)
		n->quiet_reports++;
	if (n->quiet_reports < a->cfg.inference_errors_clear_reports)
		return;
	MSG(a, "node %" PRIu32 " no new inference errors in %" PRIu32 " reports", n->id,
	    n->quiet_reports);
	if (emit(a, false, ALERT_INFERENCE_ERRORS, a->cfg.sev_inference_errors, n->id, NULL, 0,
	         now_ms) == 0) {
		n->inference_errors = false;
		n->quiet_reports = 0;
	}
}

/*
 * A configurable rule: raise after `consecutive` qualifying results in a row,
 * clear after `clear_consecutive` clearing results in a row. Results between
 * clear_below and score_min with the rule's label are neither, and break
 * either streak: that gap is the hysteresis.
 */
static void
rule_label(struct alerts *a, struct node *n, size_t i, const char *label, double score,
           int64_t now_ms)
{
	const struct alerts_rule *rule = &a->cfg.rules[i];
	struct rule_state *st = &n->rules[i];
	bool match = strcmp(label, rule->label) == 0;

	if (!st->raised) {
		if (!(match && score >= rule->score_min)) {
			st->streak = 0;
			return;
		}
		if (st->streak < rule->consecutive)
			st->streak++;
		if (st->streak < rule->consecutive)
			return;
		MSG(a, "node %" PRIu32 " rule '%s': label '%s' score %.3f for %" PRIu32 " results",
		    n->id, rule->name, rule->label, score, st->streak);
		if (emit(a, true, ALERT_RULE, rule->severity, n->id, rule->name, score, now_ms) ==
		    0) {
			st->raised = true;
			st->streak = 0;
		}
		return;
	}
	if (match && score >= rule->clear_below) {
		st->streak = 0;
		return;
	}
	if (st->streak < rule->clear_consecutive)
		st->streak++;
	if (st->streak < rule->clear_consecutive)
		return;
	MSG(a, "node %" PRIu32 " rule '%s' cleared: %" PRIu32 " results below %.3f or other label",
	    n->id, rule->name, st->streak, rule->clear_below);
	if (emit(a, false, ALERT_RULE, rule->severity, n->id, rule->name, score, now_ms) == 0) {
		st->raised = false;
		st->streak = 0;
	}
}

static void
rule_drops_check(struct alerts *a, int64_t now_ms)
{
	if (!a->cfg.outbox_drops)
		return;
	if (!a->drops_raised && a->drops_pending > 0) {
		MSG(a, "outbox full: %" PRIu64 " oldest inference rows dropped", a->drops_pending);
		if (emit(a, true, ALERT_OUTBOX_DROPS, a->cfg.sev_outbox_drops, 0, NULL,
		         (double)a->drops_pending, now_ms) < 0)
			return;
		a->drops_raised = true;
		a->drops_total = a->drops_pending;
		a->drops_pending = 0;
		return;
	}
	/* With the depth known, "drops ended" also means "room again": 90 % of the bound. */
	if (a->drops_raised && a->have_depth && a->depth_max > 0 &&
	    a->depth * 10 > a->depth_max * 9)
		return;
	if (a->drops_raised && now_ms - a->last_drop_ms >= a->cfg.outbox_drops_clear_ms) {
		MSG(a, "no outbox drops for %" PRId64 " s (%" PRIu64 " rows dropped in total)",
		    (now_ms - a->last_drop_ms) / 1000, a->drops_total + a->drops_pending);
		if (emit(a, false, ALERT_OUTBOX_DROPS, a->cfg.sev_outbox_drops, 0, NULL,
		         (double)(a->drops_total + a->drops_pending), now_ms) < 0)
			return;
		a->drops_raised = false;
		a->drops_total = 0;
		a->drops_pending = 0;
	}
}

/* ---- Object ------------------------------------------------------------- */

int
alerts_new(const struct alerts_config *cfg, const struct alerts_ops *ops, void *arg,
           struct alerts **ret)
{
	struct alerts *a = NULL;

	if (cfg == NULL || ops == NULL || ops->raise == NULL || ops->clear == NULL || ret == NULL)
		return -EINVAL;
	if (alerts_config_check(cfg, NULL) < 0)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->cfg = *cfg;
	a->ops = ops;
	a->arg = arg;
	*ret = a;
	a = NULL; /* transferred */
	return 0;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_nodes; i++)
		node_free(a->nodes[i]);
	free(a->nodes);
	free(a);
}

static ssize_t
rule_index(const struct alerts_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (strcmp(cfg->rules[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Clears what a reconfiguration turned off; best effort (the rule is gone). */
static void
reconfigure_clear_node(struct alerts *a, const struct alerts_config *cfg, struct node *n,
                       int64_t now_ms)
{
	if (n->offline && cfg->offline_after_ms <= 0) {
		MSG(a, "node %" PRIu32 " offline rule disabled", n->id);
		if (emit(a, false, ALERT_NODE_OFFLINE, a->cfg.sev_offline, n->id, NULL, 0,
		         now_ms) == 0)
			n->offline = false;
	}
	if (n->battery_low && cfg->battery_low_mv == 0) {
		MSG(a, "node %" PRIu32 " battery rule disabled", n->id);
		if (emit(a, false, ALERT_BATTERY_LOW, a->cfg.sev_battery, n->id, NULL, 0, now_ms) ==
		    0)
			n->battery_low = false;
	}
	if (n->reboot_loop && cfg->reboot_loop_count == 0) {
		MSG(a, "node %" PRIu32 " reboot loop rule disabled", n->id);
		if (emit(a, false, ALERT_REBOOT_LOOP, a->cfg.sev_reboot_loop, n->id, NULL, 0,
		         now_ms) == 0)
			n->reboot_loop = false;
	}
	if (n->inference_errors && cfg->inference_errors_min == 0) {
		MSG(a, "node %" PRIu32 " inference error rule disabled", n->id);
		if (emit(a, false, ALERT_INFERENCE_ERRORS, a->cfg.sev_inference_errors, n->id, NULL,
		         0, now_ms) == 0)
			n->inference_errors = false;
	}
	for (size_t i = 0; i < a->cfg.n_rules; i++) {
		if (!n->rules[i].raised || rule_index(cfg, a->cfg.rules[i].name) >= 0)
			continue;
		MSG(a, "node %" PRIu32 " rule '%s' removed", n->id, a->cfg.rules[i].name);
		emit(a, false, ALERT_RULE, a->cfg.rules[i].severity, n->id, a->cfg.rules[i].name, 0,
		     now_ms);
	}
}

int
alerts_reconfigure(struct alerts *a, const struct alerts_config *cfg, int64_t now_ms)
{
	struct rule_state **fresh = NULL;
	int r = -ENOMEM;

	if (alerts_config_check(cfg, NULL) < 0)
		return -EINVAL;
	/* Allocate every node's new rule states first: all or nothing. */
	if (a->n_nodes > 0) {
		fresh = calloc(a->n_nodes, sizeof(*fresh));
		if (fresh == NULL)
			goto out;
	}
	for (size_t i = 0; i < a->n_nodes && cfg->n_rules > 0; i++) {
		fresh[i] = calloc(cfg->n_rules, sizeof(**fresh));
		if (fresh[i] == NULL)
			goto out;
	}
	for (size_t i = 0; i < a->n_nodes; i++) {
		struct node *n = a->nodes[i];

		reconfigure_clear_node(a, cfg, n, now_ms);
		for (size_t j = 0; j < cfg->n_rules; j++) {
			ssize_t old = rule_index(&a->cfg, cfg->rules[j].name);

			if (old >= 0)
				fresh[i][j] = n->rules[old];
		}
		free(n->rules);
		n->rules = fresh[i];
		fresh[i] = NULL; /* transferred */
	}
	if (a->drops_raised && !cfg->outbox_drops) {
		MSG(a, "outbox drop alert disabled");
		if (emit(a, false, ALERT_OUTBOX_DROPS, a->cfg.sev_outbox_drops, 0, NULL, 0,
		         now_ms) == 0)
			a->drops_raised = false;
	}
	a->cfg = *cfg;
	r = 0;
out:
	if (fresh != NULL)
		for (size_t i = 0; i < a->n_nodes; i++)
			free(fresh[i]);
	free(fresh);
	return r;
}

int
alerts_restore(struct alerts *a, enum alert_kind kind, uint32_t node_id, const char *rule,
               int64_t now_ms)
{
	struct node *n;
	ssize_t ri = -1;
	int r = 0;

	if ((unsigned)kind >= ALERT_KIND_MAX)
		return -EINVAL;
	if (kind == ALERT_OUTBOX_DROPS) {
		if (!a->drops_raised)
			a->stats.active++;
		a->drops_raised = true;
		a->last_drop_ms = now_ms;
		return 0;
	}
	if (kind == ALERT_RULE) {
		if (rule == NULL || (ri = rule_index(&a->cfg, rule)) < 0)
			return -ENOENT;
	}
	n = node_get(a, node_id, &r);
	if (n == NULL)
		return r;
	bool *flag = NULL;
	switch (kind) {
	case ALERT_NODE_OFFLINE:
		flag = &n->offline;
		/* It was offline when the daemon stopped: count its silence from now. */
		if (n->last_seen_ms == 0)
			n->last_seen_ms = now_ms;
		n->announced = true;
		break;
	case ALERT_BATTERY_LOW:
		flag = &n->battery_low;
		break;
	case ALERT_REBOOT_LOOP:
		flag = &n->reboot_loop;
		break;
	case ALERT_INFERENCE_ERRORS:
		flag = &n->inference_errors;
		break;
	case ALERT_RULE:
		flag = &n->rules[ri].raised;
		break;
	default:
		return -EINVAL;
	}
	if (!*flag)
		a->stats.active++;
	*flag = true;
	return 0;
}

int
alerts_seed_node(struct alerts *a, uint32_t node_id, int64_t last_seen_ms)
{
	int r = 0;
	struct node *n = node_get(a, node_id, &r);

	if (n == NULL)
		return r;
	if (last_seen_ms > n->last_seen_ms)
		n->last_seen_ms = last_seen_ms;
	n->announced = true;
	return 0;
}

/* ---- Feeds -------------------------------------------------------------- */

static struct node *
seen(struct alerts *a, uint32_t node_id, int64_t now_ms)
{
	int r = 0;
	struct node *n = node_get(a, node_id, &r);

	if (n == NULL)
		return NULL;
	rule_seen(a, n, now_ms);
	return n;
}

void
alerts_on_seen(struct alerts *a, uint32_t node_id, int64_t now_ms)
{
	seen(a, node_id, now_ms);
}

void
alerts_on_health(struct alerts *a, uint32_t node_id, const struct alerts_health *h, int64_t now_ms)
{
	struct node *n = seen(a, node_id, now_ms);
	bool rebooted;

	if (n == NULL)
		return;
	rule_battery(a, n, h->battery_mv, now_ms);
	if (!n->have_health) {
		/* First report since start-up: a baseline for the counters, nothing more. */
		n->have_health = true;
		n->reboots = h->reboots;
		n->errors = h->inference_errors;
		return;
	}
	rebooted = h->reboots != n->reboots;
	rule_reboot_loop(a, n, h, now_ms);
	rule_inference_errors(a, n, h, rebooted, now_ms);
	n->reboots = h->reboots;
	n->errors = h->inference_errors;
}

void
alerts_on_inference(struct alerts *a, uint32_t node_id, const char *label, double score,
                    int64_t now_ms)
{
	struct node *n = seen(a, node_id, now_ms);

	if (n == NULL)
		return;
	if (label == NULL)
		label = "";
	if (!isfinite(score))
		score = 0.0;
	for (size_t i = 0; i < a->cfg.n_rules; i++)
		rule_label(a, n, i, label, score, now_ms);
}

void
alerts_on_outbox_drop(struct alerts *a, uint64_t count, int64_t now_ms)
{
	if (count == 0)
		return;
	a->last_drop_ms = now_ms;
	if (a->drops_raised)
		a->drops_total += count;
	else
		a->drops_pending += count;
	rule_drops_check(a, now_ms);
}

void
alerts_on_outbox_depth(struct alerts *a, uint64_t rows, uint64_t max_rows, int64_t now_ms)
{
	a->have_depth = true;
	a->depth = rows;
	a->depth_max = max_rows;
	rule_drops_check(a, now_ms);
}

void
alerts_tick(struct alerts *a, int64_t now_ms)
{
	for (size_t i = 0; i < a->n_nodes; i++) {
		rule_offline_check(a, a->nodes[i], now_ms);
		status_report(a, a->nodes[i], now_ms);
	}
	rule_drops_check(a, now_ms);
}

void
alerts_get_stats(const struct alerts *a, struct alerts_stats *ret)
{
	*ret = a->stats;
	ret->nodes = a->n_nodes;
}

bool
alerts_is_active(const struct alerts *a, enum alert_kind kind, uint32_t node_id, const char *rule)
{
	const struct node *n;
	ssize_t ri;

	if (kind == ALERT_OUTBOX_DROPS)
		return a->drops_raised;
	n = node_find(a, node_id);
	if (n == NULL)
		return false;
	switch (kind) {
	case ALERT_NODE_OFFLINE:
		return n->offline;
	case ALERT_BATTERY_LOW:
		return n->battery_low;
	case ALERT_REBOOT_LOOP:
		return n->reboot_loop;
	case ALERT_INFERENCE_ERRORS:
		return n->inference_errors;
	case ALERT_RULE:
		if (rule == NULL || (ri = rule_index(&a->cfg, rule)) < 0)
			return false;
		return n->rules[ri].raised;
	default:
		return false;
	}
}
