/*
 * alerts: the alert rules, as pure logic over the records the daemon stores.
 *
 * The daemon feeds every stored record in (alerts_on_seen, alerts_on_health,
 * alerts_on_inference, alerts_on_outbox_drop) and calls alerts_tick() about
 * once a second for the time-based rules. When a condition starts, the
 * raise() callback runs; when it ends, clear() runs, each with a struct alert
 * that the daemon stores and enqueues for MQTT (`alerts/<severity>`) in the
 * same transaction as the record that caused it.
 *
 * Built-in rules (each can be disabled in [alerts], docs/OPERATIONS.md):
 *   node_offline      no frame from a node for offline_after_ms; cleared by the
 *                     next frame ("back online")
 *   battery_low       battery below battery_low_mv; cleared at battery_clear_mv
 *                     or above (hysteresis)
 *   reboot_loop       reboot_loop_count boots within reboot_loop_window_ms;
 *                     cleared once the node stays up for a whole window
 *   inference_errors  the node's inference error counter grew by at least
 *                     inference_errors_min in one report; cleared after
 *                     inference_errors_clear_reports reports without growth
 *   outbox_drops      the gateway dropped outbox rows (broker away too long);
 *                     cleared after outbox_drops_clear_ms without a drop, once
 *                     the outbox is below 90 % of its bound
 * and configurable rules on inference results ([rule:<name>] sections):
 *   rule              label == rule.label with score >= score_min for
 *                     `consecutive` results in a row; cleared after
 *                     clear_consecutive results in a row that have another
 *                     label or a score below clear_below.
 *
 * An alert is identified by (kind, node_id, rule): at most one is raised at a
 * time per identity, so a flapping input never produces a storm. If raise()
 * or clear() returns a negative value the transition did not happen and is
 * retried the next time the rule is evaluated (nothing is lost when the
 * daemon's store is briefly unable to take it).
 *
 * No SQL, no I/O, no globals: time comes in as now_ms on every call (any
 * clock, the same one on every call; the daemon passes unix milliseconds so
 * that alert times mean something to a reader).
 */
#ifndef TF_DAEMON_ALERTS_H
#define TF_DAEMON_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_kind {
	ALERT_NODE_OFFLINE = 0,
	ALERT_BATTERY_LOW,
	ALERT_REBOOT_LOOP,
	ALERT_INFERENCE_ERRORS,
	ALERT_OUTBOX_DROPS,
	ALERT_RULE,
	ALERT_KIND_MAX,
};

enum alert_severity {
	ALERT_SEV_INFO = 0,
	ALERT_SEV_WARNING,
	ALERT_SEV_CRITICAL,
	ALERT_SEV_MAX,
};

/* "node_offline", "battery_low", ...; "unknown" out of range. */
const char *alert_kind_name(enum alert_kind kind);
/* "info", "warning", "critical"; also the last topic level of alerts/<severity>. */
const char *alert_severity_name(enum alert_severity sev);
/* Parses a severity name; returns the severity or -EINVAL. */
int alert_severity_from_string(const char *s);

/*
 * One raised or cleared alert, handed to the callbacks. Every pointer is
 * borrowed and valid only during the callback: copy what you keep.
 */
struct alert {
	enum alert_kind kind;
	enum alert_severity severity;
	uint32_t node_id;    /* 0 for gateway-wide alerts (outbox_drops) */
	const char *rule;    /* rule name for ALERT_RULE, NULL otherwise */
	const char *message; /* one line for humans, e.g. "node 42 silent for 300 s" */
	/*
	 * The figure behind the transition: node_offline seconds of silence,
	 * battery_low millivolts, reboot_loop boots in the window,
	 * inference_errors errors in the last report, outbox_drops rows dropped
	 * while raised, rule the score of the latest result.
	 */
	double value;
	int64_t time_ms; /* now_ms of the call that caused the transition */
};

/*
 * What the daemon does with transitions. raise and clear return 0, or a
 * negative errno when the alert could not be recorded (then it is retried).
 * node_state (optional, may be NULL) tells when a node turns online (first
 * frame after start-up or after being offline) or offline, for the retained
 * nodes/<node>/status topic. It returns 0, or a negative errno when the state
 * could not be recorded: then it is reported again (the node's state as it is
 * then) on the next frame of that node or the next alerts_tick(), until it
 * succeeds, so a status change is never lost.
 */
struct alerts_ops {
	int (*raise)(void *arg, const struct alert *alert);
	int (*clear)(void *arg, const struct alert *alert);
	int (*node_state)(void *arg, uint32_t node_id, bool online, int64_t last_seen_ms,
	                  int64_t now_ms);
};

#define ALERTS_NAME_MAX  32 /* rule name, with the NUL */
#define ALERTS_LABEL_MAX 32 /* label, with the NUL (Inference.top_label is at most 31 bytes) */
#define ALERTS_RULES_MAX 32 /* [rule:*] sections */

/* One configurable rule, the contents of an INI section [rule:<name>]. */
struct alerts_rule {
	char name[ALERTS_NAME_MAX];
	/* Matches Inference.top_label, or the decimal label index when a node sends no names. */
	char label[ALERTS_LABEL_MAX];
	double score_min;     /* raise needs score >= score_min; default 0.5 */
	uint32_t consecutive; /* ... for this many results in a row; default 1 */
	double clear_below; /* a result clears if score < this (or other label); default score_min */
	uint32_t clear_consecutive;   /* ... this many in a row; default = consecutive */
	enum alert_severity severity; /* default warning */
	bool have_clear_below;        /* set by alerts_rule_parse */
	bool have_clear_consecutive;  /* set by alerts_rule_parse */
};

/* Configuration ([alerts] section). Zero-valued limits disable a rule. */
struct alerts_config {
	int64_t offline_after_ms;                /* offline_after_s, default 300 s; 0 = off */
	uint32_t battery_low_mv;                 /* default 3300; 0 = off */
	uint32_t battery_clear_mv;               /* default 3400; must be >= battery_low_mv */
	uint32_t reboot_loop_count;              /* default 3; 0 = off */
	int64_t reboot_loop_window_ms;           /* reboot_loop_window_s, default 600 s */
	uint32_t inference_errors_min;           /* default 1; 0 = off */
	uint32_t inference_errors_clear_reports; /* default 3 */
	bool outbox_drops;                       /* default true */
	int64_t outbox_drops_clear_ms;           /* outbox_drops_clear_s, default 600 s */
	size_t max_nodes; /* nodes tracked, default 100000; further nodes are not tracked */
	enum alert_severity sev_offline;          /* severity_offline, default warning */
	enum alert_severity sev_battery;          /* severity_battery, default warning */
	enum alert_severity sev_reboot_loop;      /* severity_reboot_loop, default critical */
	enum alert_severity sev_inference_errors; /* severity_inference_errors, default warning */
	enum alert_severity sev_outbox_drops;     /* severity_outbox_drops, default critical */
	struct alerts_rule rules[ALERTS_RULES_MAX];
	size_t n_rules;
};

/* Fills *cfg with the defaults above and no rules. */
void alerts_config_defaults(struct alerts_config *cfg);

/*
 * Sets one [alerts] key from its INI text ("offline_after_s", "battery_low_mv",
 * ... as in docs/OPERATIONS.md). Returns 0, -ENOENT for an unknown key, or
 * -EINVAL for a bad value; the caller names the key in its message.
 */
int alerts_config_set(struct alerts_config *cfg, const char *key, const char *value);

/* Fills *rule with its defaults and the given name (truncated names: -ENAMETOOLONG). */
int alerts_rule_init(struct alerts_rule *rule, const char *name);

/*
 * Sets one key of a [rule:<name>] section: label, score_min, consecutive,
 * clear_below, clear_consecutive, severity. Returns 0, -ENOENT for an unknown
 * key, -EINVAL for a bad value (the caller's message names the key).
 */
int alerts_rule_parse(const char *key, const char *value, struct alerts_rule *rule);

/*
 * Checks a complete rule (label set, clear_below <= score_min, counts >= 1).
 * Returns 0, or -EINVAL and sets *ret_key to the offending key.
 */
int alerts_rule_check(const struct alerts_rule *rule, const char **ret_key);

/*
 * Checks a whole configuration (battery_clear_mv >= battery_low_mv, rules,
 * unique rule names). Returns 0, or -EINVAL and sets *ret_key.
 */
int alerts_config_check(const struct alerts_config *cfg, const char **ret_key);

struct alerts;

/*
 * Creates the rule engine. cfg is copied; ops and arg are borrowed and must
 * outlive the object. Returns 0 and *ret, or -EINVAL (bad config) / -ENOMEM.
 */
int alerts_new(const struct alerts_config *cfg, const struct alerts_ops *ops, void *arg,
               struct alerts **ret);
void alerts_free(struct alerts *a);

/*
 * Swaps in a new configuration (SIGHUP). Node state is kept; state of a rule
 * whose name still exists is kept; alerts of removed rules and of disabled
 * built-in rules are cleared (callbacks run). Returns 0 or a negative errno
 * (then the old configuration stays). now_ms stamps the clears.
 */
int alerts_reconfigure(struct alerts *a, const struct alerts_config *cfg, int64_t now_ms);

/*
 * Marks an alert as already raised without calling raise(), for alerts the
 * daemon reloads from its store at start-up, so that a restart neither
 * raises them twice nor forgets to clear them. Returns 0, -ENOENT (unknown
 * rule name), -ENOSPC (max_nodes reached) or -ENOMEM.
 */
int alerts_restore(struct alerts *a, enum alert_kind kind, uint32_t node_id, const char *rule,
                   int64_t now_ms);

/*
 * Seeds a node from the store at start-up: it was last seen at last_seen_ms.
 * No callback runs; the next alerts_tick() raises node_offline if that is too
 * long ago. Returns 0, -ENOSPC (max_nodes reached) or -ENOMEM.
 */
int alerts_seed_node(struct alerts *a, uint32_t node_id, int64_t last_seen_ms);

/*
 * A frame from node_id was accepted at now_ms. Clears node_offline (and calls
 * node_state(online)) if it was raised; the first frame of a node after
 * start-up calls node_state(online) too (seeded nodes excepted).
 */
void alerts_on_seen(struct alerts *a, uint32_t node_id, int64_t now_ms);

/* The parts of a Health report the rules use (proto Health field names). */
struct alerts_health {
	uint32_t battery_mv; /* 0 = mains or unknown: battery rule ignores it */
	uint32_t uptime_s;
	uint32_t reboots;          /* boots since provisioning */
	uint32_t inference_errors; /* failed inferences since boot */
};

/* A Health report from node_id (also counts as seen). */
void alerts_on_health(struct alerts *a, uint32_t node_id, const struct alerts_health *h,
                      int64_t now_ms);

/*
 * An inference result from node_id: label is top_label (or the decimal label
 * index), score its dequantized top score in 0..1. Also counts as seen.
 */
void alerts_on_inference(struct alerts *a, uint32_t node_id, const char *label, double score,
                         int64_t now_ms);

/* The store dropped count outbox rows to stay within its bound. */
void alerts_on_outbox_drop(struct alerts *a, uint64_t count, int64_t now_ms);

/*
 * The outbox holds rows of at most max_rows now (call after each commit).
 * With this feed, outbox_drops clears only once the outbox is below 90 % of
 * its bound (and no row was dropped for outbox_drops_clear_s): while the
 * broker stays away the alert stays raised, instead of clearing and being
 * raised again by the row its own clear message displaced. Without it, the
 * quiet period alone clears it.
 */
void alerts_on_outbox_depth(struct alerts *a, uint64_t rows, uint64_t max_rows, int64_t now_ms);

/* Time-based rules (node_offline, outbox_drops clear, retries). Call about once a second. */
void alerts_tick(struct alerts *a, int64_t now_ms);

struct alerts_stats {
	size_t nodes;       /* nodes tracked */
	size_t active;      /* alerts raised now */
	uint64_t raised;    /* raise() calls that succeeded */
	uint64_t cleared;   /* clear() calls that succeeded */
	uint64_t untracked; /* feeds ignored because max_nodes was reached */
};
void alerts_get_stats(const struct alerts *a, struct alerts_stats *ret);

/*
 * Whether the alert (kind, node_id, rule) is raised now (rule NULL unless
 * kind is ALERT_RULE). For the control API and tests.
 */
bool alerts_is_active(const struct alerts *a, enum alert_kind kind, uint32_t node_id,
                      const char *rule);

#endif
