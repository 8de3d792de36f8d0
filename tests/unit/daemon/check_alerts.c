/*
 * check_alerts: every built-in rule and the configurable label/score rules
 * raise and clear exactly once per condition, with hysteresis, and never flap.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"

#define EV_MAX 64

struct ev {
	bool raise;
	enum alert_kind kind;
	enum alert_severity severity;
	uint32_t node_id;
	char rule[ALERTS_NAME_MAX];
	char message[192];
	double value;
	int64_t time_ms;
};

struct rec {
	struct ev ev[EV_MAX];
	size_t n;
	size_t n_raise, n_clear;
	int fail;       /* > 0: that many callbacks fail with -EIO */
	int fail_state; /* > 0: that many node_state callbacks fail with -EAGAIN */
	size_t n_online, n_offline;
};

static int
rec_push(struct rec *r, bool raise, const struct alert *al)
{
	struct ev *e;

	if (r->fail > 0) {
		r->fail--;
		return -EIO;
	}
	if (raise)
		r->n_raise++;
	else
		r->n_clear++;
	if (r->n >= EV_MAX) /* counted, not recorded */
		return 0;
	e = &r->ev[r->n++];
	e->raise = raise;
	e->kind = al->kind;
	e->severity = al->severity;
	e->node_id = al->node_id;
	snprintf(e->rule, sizeof(e->rule), "%s", al->rule ? al->rule : "");
	snprintf(e->message, sizeof(e->message), "%s", al->message);
	e->value = al->value;
	e->time_ms = al->time_ms;
	return 0;
}

static int
rec_raise(void *arg, const struct alert *al)
{
	return rec_push(arg, true, al);
}

static int
rec_clear(void *arg, const struct alert *al)
{
	return rec_push(arg, false, al);
}

static int
rec_node_state(void *arg, uint32_t node_id, bool online, int64_t last_seen_ms, int64_t now_ms)
{
	struct rec *r = arg;

	(void)node_id;
	(void)last_seen_ms;
	(void)now_ms;
	if (r->fail_state > 0) {
		r->fail_state--;
		return -EAGAIN;
	}
	if (online)
		r->n_online++;
	else
		r->n_offline++;
	return 0;
}

static const struct alerts_ops rec_ops = {
        .raise = rec_raise,
        .clear = rec_clear,
        .node_state = rec_node_state,
};

static struct rec rec;
static struct alerts_config cfg;
static struct alerts *al;

static void
setup(void)
{
	memset(&rec, 0, sizeof(rec));
	alerts_config_defaults(&cfg);
	al = NULL;
}

static void
teardown(void)
{
	alerts_free(al);
	al = NULL;
}

static void
start(void)
{
	ck_assert_int_eq(alerts_new(&cfg, &rec_ops, &rec, &al), 0);
}

static void
add_rule(const char *name, const char *const *kv)
{
	struct alerts_rule *rule = &cfg.rules[cfg.n_rules++];

	ck_assert_int_eq(alerts_rule_init(rule, name), 0);
	for (size_t i = 0; kv[i] != NULL; i += 2)
		ck_assert_int_eq(alerts_rule_parse(kv[i], kv[i + 1], rule), 0);
	ck_assert_int_eq(alerts_rule_check(rule, NULL), 0);
}

static void
health(uint32_t node, uint32_t mv, uint32_t uptime_s, uint32_t reboots, uint32_t errors,
       int64_t now)
{
	struct alerts_health h = {
	        .battery_mv = mv,
	        .uptime_s = uptime_s,
	        .reboots = reboots,
	        .inference_errors = errors,
	};
	alerts_on_health(al, node, &h, now);
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(test_alerts_offline_raised_after_silence_and_cleared_by_next_frame)
{
	cfg.offline_after_ms = 60000;
	start();
	alerts_on_seen(al, 7, 1000);
	ck_assert_uint_eq(rec.n_online, 1);
	alerts_tick(al, 60999);
	ck_assert_uint_eq(rec.n, 0);
	alerts_tick(al, 61000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_NODE_OFFLINE);
	ck_assert_int_eq(rec.ev[0].severity, ALERT_SEV_WARNING);
	ck_assert_uint_eq(rec.ev[0].node_id, 7);
	ck_assert(rec.ev[0].value == 60.0);
	ck_assert_uint_eq(rec.n_offline, 1);
	ck_assert(alerts_is_active(al, ALERT_NODE_OFFLINE, 7, NULL));
	/* Further ticks while silent: no second raise. */
	for (int64_t t = 62000; t < 200000; t += 1000)
		alerts_tick(al, t);
	ck_assert_uint_eq(rec.n_raise, 1);
	/* Back online: cleared once, node status online again. */
	alerts_on_seen(al, 7, 200000);
	alerts_on_seen(al, 7, 200100);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert_int_eq(rec.ev[1].kind, ALERT_NODE_OFFLINE);
	ck_assert(!rec.ev[1].raise);
	ck_assert_uint_eq(rec.n_online, 2);
	ck_assert(!alerts_is_active(al, ALERT_NODE_OFFLINE, 7, NULL));
	alerts_tick(al, 200000 + 59999);
	ck_assert_uint_eq(rec.n, 2);
}
END_TEST

START_TEST(test_alerts_battery_low_hysteresis_does_not_flap)
{
	cfg.battery_low_mv = 3300;
	cfg.battery_clear_mv = 3400;
	start();
	health(1, 3500, 10, 1, 0, 1000);
	health(1, 3299, 20, 1, 0, 2000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_BATTERY_LOW);
	ck_assert(rec.ev[0].value == 3299);
	/* Wobbling around the low limit and below the clear limit: nothing new. */
	for (int i = 0; i < 20; i++)
		health(1, i % 2 ? 3290 : 3399, 30 + i, 1, 0, 3000 + i * 1000);
	ck_assert_uint_eq(rec.n, 1);
	health(1, 3400, 60, 1, 0, 30000);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert(!rec.ev[1].raise);
	/* 0 mV means mains or unknown: ignored. */
	health(1, 0, 70, 1, 0, 31000);
	ck_assert_uint_eq(rec.n, 2);
}
END_TEST

START_TEST(test_alerts_reboot_loop_raised_at_count_in_window_and_cleared_after_stable_window)
{
	cfg.reboot_loop_count = 3;
	cfg.reboot_loop_window_ms = 600000;
	cfg.inference_errors_min = 0;
	start();
	health(2, 0, 5000, 10, 0, 1000000); /* baseline */
	health(2, 0, 30, 11, 0, 1100000);
	health(2, 0, 30, 12, 0, 1200000);
	ck_assert_uint_eq(rec.n, 0);
	health(2, 0, 30, 13, 0, 1300000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_REBOOT_LOOP);
	ck_assert_int_eq(rec.ev[0].severity, ALERT_SEV_CRITICAL);
	ck_assert(rec.ev[0].value == 3);
	/* More reboots while raised: still one alert. */
	health(2, 0, 30, 14, 0, 1400000);
	health(2, 0, 30, 15, 0, 1500000);
	ck_assert_uint_eq(rec.n, 1);
	/* Up, but not yet for a whole window: stays raised. */
	health(2, 0, 599, 15, 0, 1500000 + 570000);
	ck_assert_uint_eq(rec.n, 1);
	health(2, 0, 600, 15, 0, 1500000 + 571000);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert_int_eq(rec.ev[1].kind, ALERT_REBOOT_LOOP);
}
END_TEST

START_TEST(test_alerts_reboots_spread_wider_than_window_raise_nothing)
{
	cfg.reboot_loop_count = 3;
	cfg.reboot_loop_window_ms = 600000;
	start();
	health(2, 0, 5000, 1, 0, 0);
	for (uint32_t i = 0; i < 10; i++)
		health(2, 0, 30, 2 + i, 0, 400000 * (i + 1));
	ck_assert_uint_eq(rec.n, 0);
}
END_TEST

START_TEST(test_alerts_inference_errors_raised_on_growth_and_cleared_after_quiet_reports)
{
	cfg.inference_errors_min = 2;
	cfg.inference_errors_clear_reports = 3;
	start();
	health(3, 0, 100, 1, 5, 1000); /* baseline: old errors do not count */
	health(3, 0, 160, 1, 6, 2000); /* +1 < min */
	ck_assert_uint_eq(rec.n, 0);
	health(3, 0, 220, 1, 9, 3000); /* +3 */
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_INFERENCE_ERRORS);
	ck_assert(rec.ev[0].value == 3);
	health(3, 0, 280, 1, 9, 4000);
	health(3, 0, 340, 1, 9, 5000);
	health(3, 0, 400, 1, 10, 6000); /* growth resets the quiet count */
	health(3, 0, 460, 1, 10, 7000);
	health(3, 0, 520, 1, 10, 8000);
	ck_assert_uint_eq(rec.n, 1);
	health(3, 0, 580, 1, 10, 9000);
	ck_assert_uint_eq(rec.n_clear, 1);
	/* After a reboot the whole new count is new. */
	health(3, 0, 5, 2, 2, 10000);
	ck_assert_uint_eq(rec.n_raise, 2);
	ck_assert(rec.ev[2].value == 2);
}
END_TEST

START_TEST(test_alerts_outbox_drops_raised_once_and_cleared_after_quiet_time)
{
	cfg.outbox_drops_clear_ms = 60000;
	start();
	alerts_on_outbox_drop(al, 10, 1000);
	alerts_on_outbox_drop(al, 5, 2000);
	alerts_on_outbox_drop(al, 5, 30000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_OUTBOX_DROPS);
	ck_assert_uint_eq(rec.ev[0].node_id, 0);
	ck_assert(rec.ev[0].value == 10);
	alerts_tick(al, 89999);
	ck_assert_uint_eq(rec.n, 1);
	alerts_tick(al, 90000);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert(rec.ev[1].value == 20);
	alerts_tick(al, 200000);
	ck_assert_uint_eq(rec.n, 2);
}
END_TEST

START_TEST(test_alerts_outbox_drops_stay_raised_while_the_outbox_is_full)
{
	cfg.outbox_drops_clear_ms = 60000;
	start();
	alerts_on_outbox_depth(al, 1000, 1000, 0);
	alerts_on_outbox_drop(al, 10, 1000);
	ck_assert_uint_eq(rec.n_raise, 1);
	/* Broker still away: full, quiet for long, yet no clear (and so no re-raise). */
	for (int64_t t = 2000; t < 1000000; t += 5000) {
		alerts_on_outbox_depth(al, 1000, 1000, t);
		alerts_tick(al, t);
	}
	ck_assert_uint_eq(rec.n, 1);
	/* Draining: 95 % is not enough room, 90 % is. */
	alerts_on_outbox_depth(al, 950, 1000, 1000001);
	ck_assert_uint_eq(rec.n, 1);
	alerts_on_outbox_depth(al, 900, 1000, 1000002);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert(rec.ev[1].value == 10);
}
END_TEST

START_TEST(test_alerts_rule_raised_after_consecutive_and_cleared_with_hysteresis)
{
	add_rule("pump-anomaly",
	         (const char *const[]){"label", "anomaly", "score_min", "0.8", "consecutive", "3",
	                               "clear_below", "0.6", "severity", "critical", NULL});
	start();
	alerts_on_inference(al, 9, "anomaly", 0.9, 1);
	alerts_on_inference(al, 9, "anomaly", 0.85, 2);
	ck_assert_uint_eq(rec.n, 0);
	alerts_on_inference(al, 9, "anomaly", 0.8, 3);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_int_eq(rec.ev[0].kind, ALERT_RULE);
	ck_assert_str_eq(rec.ev[0].rule, "pump-anomaly");
	ck_assert_int_eq(rec.ev[0].severity, ALERT_SEV_CRITICAL);
	ck_assert(alerts_is_active(al, ALERT_RULE, 9, "pump-anomaly"));
	/* Scores in the hysteresis band (0.6 .. 0.8) neither raise nor clear. */
	for (int i = 0; i < 10; i++)
		alerts_on_inference(al, 9, "anomaly", 0.7, 10 + i);
	ck_assert_uint_eq(rec.n, 1);
	/* Two clearing results, then a band result: the clear streak restarts. */
	alerts_on_inference(al, 9, "normal", 0.99, 30);
	alerts_on_inference(al, 9, "anomaly", 0.5, 31);
	alerts_on_inference(al, 9, "anomaly", 0.65, 32);
	alerts_on_inference(al, 9, "normal", 0.99, 33);
	alerts_on_inference(al, 9, "normal", 0.99, 34);
	ck_assert_uint_eq(rec.n, 1);
	alerts_on_inference(al, 9, "anomaly", 0.1, 35);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert_str_eq(rec.ev[1].rule, "pump-anomaly");
	ck_assert(!alerts_is_active(al, ALERT_RULE, 9, "pump-anomaly"));
}
END_TEST

START_TEST(test_alerts_rule_streak_broken_by_other_label_or_low_score)
{
	add_rule("r", (const char *const[]){"label", "anomaly", "score_min", "0.8", "consecutive",
	                                    "3", NULL});
	start();
	for (int i = 0; i < 30; i++) {
		alerts_on_inference(al, 1, "anomaly", 0.9, i * 3);
		alerts_on_inference(al, 1, "anomaly", 0.9, i * 3 + 1);
		alerts_on_inference(al, 1, i % 2 ? "normal" : "anomaly", i % 2 ? 0.9 : 0.79,
		                    i * 3 + 2);
	}
	ck_assert_uint_eq(rec.n, 0);
	/* Rules are per node: node 2's results do not add to node 1's streak. */
	alerts_on_inference(al, 1, "anomaly", 0.9, 100);
	alerts_on_inference(al, 2, "anomaly", 0.9, 101);
	alerts_on_inference(al, 1, "anomaly", 0.9, 102);
	alerts_on_inference(al, 2, "anomaly", 0.9, 103);
	ck_assert_uint_eq(rec.n, 0);
	alerts_on_inference(al, 1, "anomaly", 0.9, 104);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_uint_eq(rec.ev[0].node_id, 1);
}
END_TEST

START_TEST(test_alerts_node_state_reports_first_frame_only_once)
{
	start();
	alerts_on_seen(al, 1, 10);
	alerts_on_seen(al, 1, 20);
	alerts_on_inference(al, 1, "x", 0.1, 30);
	health(1, 0, 1, 1, 0, 40);
	alerts_on_seen(al, 2, 50);
	ck_assert_uint_eq(rec.n_online, 2);
	ck_assert_uint_eq(rec.n_offline, 0);
}
END_TEST

START_TEST(test_alerts_node_state_failure_is_reported_again_until_it_succeeds)
{
	cfg.offline_after_ms = 1000;
	start();
	rec.fail_state = 2;
	alerts_on_seen(al, 1, 10); /* fails */
	ck_assert_uint_eq(rec.n_online, 0);
	alerts_tick(al, 20); /* fails again */
	ck_assert_uint_eq(rec.n_online, 0);
	alerts_tick(al, 30);
	ck_assert_uint_eq(rec.n_online, 1);
	alerts_tick(al, 40);
	alerts_on_seen(al, 1, 50);
	ck_assert_uint_eq(rec.n_online, 1); /* reported once */
	/* Offline: the alert is raised, the status fails (twice: the tick retries at once). */
	rec.fail_state = 2;
	alerts_tick(al, 2000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_uint_eq(rec.n_offline, 0);
	alerts_tick(al, 2100);
	ck_assert_uint_eq(rec.n_offline, 1);
	alerts_tick(al, 2200);
	ck_assert_uint_eq(rec.n_offline, 1);
	ck_assert_uint_eq(rec.n_raise, 1);
	/* A pending offline report superseded by the node coming back reports online only. */
	alerts_on_seen(al, 1, 2300);
	ck_assert_uint_eq(rec.n_online, 2);
	rec.fail_state = 2;
	alerts_tick(al, 4000); /* offline again, its status fails */
	alerts_on_seen(al, 1, 4100);
	ck_assert_uint_eq(rec.n_offline, 1);
	ck_assert_uint_eq(rec.n_online, 3);
	alerts_tick(al, 4200);
	ck_assert_uint_eq(rec.n_offline, 1);
	ck_assert_uint_eq(rec.n_online, 3);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

START_TEST(test_alerts_max_nodes_leaves_further_nodes_untracked)
{
	struct alerts_stats st;

	cfg.max_nodes = 3;
	start();
	for (uint32_t n = 1; n <= 5; n++)
		alerts_on_seen(al, n, 1);
	alerts_get_stats(al, &st);
	ck_assert_uint_eq(st.nodes, 3);
	ck_assert_uint_eq(st.untracked, 2);
	ck_assert_uint_eq(rec.n_online, 3);
}
END_TEST

START_TEST(test_alerts_many_nodes_each_raise_once)
{
	struct alerts_stats st;

	cfg.offline_after_ms = 1000;
	start();
	/* Inserted in a scrambled order to exercise the sorted array. */
	for (uint32_t i = 0; i < 5000; i++)
		ck_assert_int_eq(alerts_seed_node(al, (i * 7919u) % 100003u + 1, 0), 0);
	alerts_get_stats(al, &st);
	ck_assert_uint_eq(st.nodes, 5000);
	alerts_tick(al, 5500);
	alerts_tick(al, 6500);
	ck_assert_uint_eq(rec.n_raise, 5000);
	ck_assert_uint_eq(rec.n_offline, 5000);
	for (uint32_t i = 0; i < 5000; i++)
		alerts_on_seen(al, (i * 7919u) % 100003u + 1, 7000);
	ck_assert_uint_eq(rec.n_clear, 5000);
	ck_assert_uint_eq(rec.n_online, 5000);
	alerts_get_stats(al, &st);
	ck_assert_uint_eq(st.nodes, 5000);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.raised, 5000);
}
END_TEST

START_TEST(test_alerts_reprovisioned_node_rebaselines_reboot_counter)
{
	cfg.reboot_loop_count = 2;
	start();
	health(4, 0, 100, 50, 0, 0);
	health(4, 0, 100, 1, 0, 1000); /* counter went back: no reboot counted */
	health(4, 0, 100, 1, 0, 2000);
	ck_assert_uint_eq(rec.n, 0);
	health(4, 0, 5, 2, 0, 3000);
	ck_assert_uint_eq(rec.n, 0);
	health(4, 0, 5, 3, 0, 4000);
	ck_assert_uint_eq(rec.n_raise, 1);
}
END_TEST

START_TEST(test_alerts_restore_prevents_double_raise_and_allows_clear)
{
	add_rule("r", (const char *const[]){"label", "a", "score_min", "0.5", NULL});
	start();
	ck_assert_int_eq(alerts_restore(al, ALERT_NODE_OFFLINE, 5, NULL, 1000), 0);
	ck_assert_int_eq(alerts_restore(al, ALERT_RULE, 5, "r", 1000), 0);
	ck_assert_int_eq(alerts_restore(al, ALERT_RULE, 5, "nope", 1000), -ENOENT);
	alerts_tick(al, 10000000);
	ck_assert_uint_eq(rec.n, 0);
	alerts_on_inference(al, 5, "a", 0.9, 10000001);
	ck_assert_uint_eq(rec.n_clear, 1); /* offline cleared by the frame */
	ck_assert_int_eq(rec.ev[0].kind, ALERT_NODE_OFFLINE);
	ck_assert_uint_eq(rec.n_raise, 0); /* rule already raised */
	alerts_on_inference(al, 5, "b", 0.9, 10000002);
	ck_assert_uint_eq(rec.n_clear, 2);
	ck_assert_int_eq(rec.ev[1].kind, ALERT_RULE);
}
END_TEST

START_TEST(test_alerts_seeded_node_goes_offline_without_online_report)
{
	cfg.offline_after_ms = 60000;
	start();
	ck_assert_int_eq(alerts_seed_node(al, 11, 1000), 0);
	ck_assert_uint_eq(rec.n_online, 0);
	alerts_tick(al, 100000);
	ck_assert_uint_eq(rec.n_raise, 1);
	ck_assert_uint_eq(rec.n_offline, 1);
}
END_TEST

START_TEST(test_alerts_reconfigure_keeps_rule_state_and_clears_removed_rules)
{
	struct alerts_config next;

	add_rule("keep", (const char *const[]){"label", "a", "score_min", "0.5", NULL});
	add_rule("drop", (const char *const[]){"label", "a", "score_min", "0.5", NULL});
	start();
	alerts_on_inference(al, 1, "a", 0.9, 1);
	ck_assert_uint_eq(rec.n_raise, 2);
	next = cfg;
	next.n_rules = 0;
	add_rule("new", (const char *const[]){"label", "b", NULL});
	next.rules[0] = cfg.rules[2];
	next.rules[1] = cfg.rules[0];
	next.n_rules = 2;
	ck_assert_int_eq(alerts_reconfigure(al, &next, 2), 0);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert_str_eq(rec.ev[2].rule, "drop");
	ck_assert(alerts_is_active(al, ALERT_RULE, 1, "keep"));
	ck_assert(!alerts_is_active(al, ALERT_RULE, 1, "drop"));
	alerts_on_inference(al, 1, "b", 0.9, 3);
	ck_assert_uint_eq(rec.n_raise, 3);
	ck_assert_str_eq(rec.ev[3].rule, "new");
	ck_assert_uint_eq(rec.n_clear, 2);
	ck_assert_str_eq(rec.ev[4].rule, "keep");
}
END_TEST

START_TEST(test_alerts_disabled_rules_stay_silent)
{
	cfg.offline_after_ms = 0;
	cfg.battery_low_mv = 0;
	cfg.reboot_loop_count = 0;
	cfg.inference_errors_min = 0;
	cfg.outbox_drops = false;
	start();
	health(1, 1000, 1, 1, 0, 0);
	for (uint32_t i = 2; i < 10; i++)
		health(1, 1000, 1, i, i * 100, i);
	alerts_on_outbox_drop(al, 100, 10);
	alerts_tick(al, 1000000000);
	ck_assert_uint_eq(rec.n, 0);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

START_TEST(test_alerts_failed_raise_and_clear_are_retried)
{
	cfg.offline_after_ms = 1000;
	start();
	alerts_on_seen(al, 1, 0);
	rec.fail = 2;
	alerts_tick(al, 1000);
	alerts_tick(al, 2000);
	ck_assert_uint_eq(rec.n, 0);
	ck_assert(!alerts_is_active(al, ALERT_NODE_OFFLINE, 1, NULL));
	alerts_tick(al, 3000);
	ck_assert_uint_eq(rec.n_raise, 1);
	rec.fail = 1;
	alerts_on_seen(al, 1, 4000);
	ck_assert(alerts_is_active(al, ALERT_NODE_OFFLINE, 1, NULL));
	alerts_on_seen(al, 1, 4001);
	ck_assert_uint_eq(rec.n_clear, 1);
	ck_assert(!alerts_is_active(al, ALERT_NODE_OFFLINE, 1, NULL));
	/* Drops: a failed raise is retried by the tick. */
	rec.fail = 1;
	alerts_on_outbox_drop(al, 3, 5000);
	ck_assert(!alerts_is_active(al, ALERT_OUTBOX_DROPS, 0, NULL));
	alerts_tick(al, 5001);
	ck_assert(alerts_is_active(al, ALERT_OUTBOX_DROPS, 0, NULL));
	ck_assert_int_eq(rec.ev[rec.n - 1].kind, ALERT_OUTBOX_DROPS);
	ck_assert(rec.ev[rec.n - 1].value == 3);
}
END_TEST

START_TEST(test_alerts_rule_parse_rejects_bad_values_and_unknown_keys)
{
	struct alerts_rule r;
	const char *bad = NULL;

	ck_assert_int_eq(alerts_rule_init(&r, "x"), 0);
	ck_assert_int_eq(alerts_rule_parse("score_min", "1.5", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("score_min", "abc", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("score_min", "0.5x", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("consecutive", "0", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("consecutive", "-3", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("severity", "panic", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("label", "", &r), -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("label", "0123456789012345678901234567890123", &r),
	                 -EINVAL);
	ck_assert_int_eq(alerts_rule_parse("colour", "red", &r), -ENOENT);
	/* No label: the check names it. */
	ck_assert_int_eq(alerts_rule_check(&r, &bad), -EINVAL);
	ck_assert_str_eq(bad, "label");
	ck_assert_int_eq(alerts_rule_parse("label", "anomaly", &r), 0);
	ck_assert_int_eq(alerts_rule_parse("score_min", "0.6", &r), 0);
	ck_assert_int_eq(alerts_rule_parse("clear_below", "0.7", &r), 0);
	ck_assert_int_eq(alerts_rule_check(&r, &bad), -EINVAL);
	ck_assert_str_eq(bad, "clear_below");
	ck_assert_int_eq(alerts_rule_init(&r, "a-name-that-is-far-too-long-for-the-field"),
	                 -ENAMETOOLONG);
}
END_TEST

START_TEST(test_alerts_config_set_and_check_name_the_bad_key)
{
	const char *bad = NULL;

	alerts_config_defaults(&cfg);
	ck_assert_int_eq(alerts_config_set(&cfg, "offline_after_s", "120"), 0);
	ck_assert_int_eq(cfg.offline_after_ms, 120000);
	ck_assert_int_eq(alerts_config_set(&cfg, "severity_offline", "critical"), 0);
	ck_assert_int_eq(cfg.sev_offline, ALERT_SEV_CRITICAL);
	ck_assert_int_eq(alerts_config_set(&cfg, "outbox_drops", "no"), 0);
	ck_assert(!cfg.outbox_drops);
	ck_assert_int_eq(alerts_config_set(&cfg, "offline_after_s", "-1"), -EINVAL);
	ck_assert_int_eq(alerts_config_set(&cfg, "reboot_loop_count", "17"), -EINVAL);
	ck_assert_int_eq(alerts_config_set(&cfg, "nonsense", "1"), -ENOENT);
	ck_assert_int_eq(alerts_config_set(&cfg, "battery_low_mv", "3500"), 0);
	ck_assert_int_eq(alerts_config_check(&cfg, &bad), -EINVAL);
	ck_assert_str_eq(bad, "battery_clear_mv");
	ck_assert_int_eq(alerts_new(&cfg, &rec_ops, &rec, &al), -EINVAL);
	ck_assert_ptr_null(al);
	cfg.battery_clear_mv = 3600;
	add_rule("dup", (const char *const[]){"label", "a", NULL});
	add_rule("dup", (const char *const[]){"label", "b", NULL});
	ck_assert_int_eq(alerts_config_check(&cfg, &bad), -EINVAL);
	ck_assert_str_eq(bad, "name");
}
END_TEST

START_TEST(test_alerts_names_cover_every_value)
{
	for (int k = 0; k < ALERT_KIND_MAX; k++)
		ck_assert_str_ne(alert_kind_name(k), "unknown");
	ck_assert_str_eq(alert_kind_name(ALERT_KIND_MAX), "unknown");
	ck_assert_str_eq(alert_severity_name(ALERT_SEV_CRITICAL), "critical");
	ck_assert_int_eq(alert_severity_from_string("Warning"), ALERT_SEV_WARNING);
	ck_assert_int_eq(alert_severity_from_string("fatal"), -EINVAL);
}
END_TEST

static Suite *
alerts_suite(void)
{
	Suite *s = suite_create("alerts");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alerts_offline_raised_after_silence_and_cleared_by_next_frame);
	tcase_add_test(tc, test_alerts_battery_low_hysteresis_does_not_flap);
	tcase_add_test(
	        tc,
	        test_alerts_reboot_loop_raised_at_count_in_window_and_cleared_after_stable_window);
	tcase_add_test(tc, test_alerts_reboots_spread_wider_than_window_raise_nothing);
	tcase_add_test(
	        tc, test_alerts_inference_errors_raised_on_growth_and_cleared_after_quiet_reports);
	tcase_add_test(tc, test_alerts_outbox_drops_raised_once_and_cleared_after_quiet_time);
	tcase_add_test(tc, test_alerts_outbox_drops_stay_raised_while_the_outbox_is_full);
	tcase_add_test(tc, test_alerts_rule_raised_after_consecutive_and_cleared_with_hysteresis);
	tcase_add_test(tc, test_alerts_rule_streak_broken_by_other_label_or_low_score);
	tcase_add_test(tc, test_alerts_node_state_reports_first_frame_only_once);
	tcase_add_test(tc, test_alerts_node_state_failure_is_reported_again_until_it_succeeds);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alerts_max_nodes_leaves_further_nodes_untracked);
	tcase_add_test(tc, test_alerts_many_nodes_each_raise_once);
	tcase_add_test(tc, test_alerts_reprovisioned_node_rebaselines_reboot_counter);
	tcase_add_test(tc, test_alerts_restore_prevents_double_raise_and_allows_clear);
	tcase_add_test(tc, test_alerts_seeded_node_goes_offline_without_online_report);
	tcase_add_test(tc, test_alerts_reconfigure_keeps_rule_state_and_clears_removed_rules);
	tcase_add_test(tc, test_alerts_disabled_rules_stay_silent);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alerts_failed_raise_and_clear_are_retried);
	tcase_add_test(tc, test_alerts_rule_parse_rejects_bad_values_and_unknown_keys);
	tcase_add_test(tc, test_alerts_config_set_and_check_name_the_bad_key);
	tcase_add_test(tc, test_alerts_names_cover_every_value);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alerts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
