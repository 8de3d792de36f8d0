/*
 * check_config: the INI parser. Defaults work with no file; every error names
 * the file and the line of the FIRST bad key; values are range-checked; the
 * [mqtt], [alerts] and [rule:*] sections reach mqtt.c's and alerts.c's parsers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static char err[1024];

static struct config *
load(const char *text)
{
	struct config *c = NULL;

	err[0] = '\0';
	if (config_load_string("t.conf", text, &c, err, sizeof(err)) < 0)
		return NULL;
	return c;
}

START_TEST(test_config_defaults_need_no_file)
{
	struct config *c = load("");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->synchronous, CONFIG_SYNC_FULL);
	ck_assert_uint_eq(c->n_udp_listen, 2);
	ck_assert_str_eq(c->udp_listen[0], "0.0.0.0:5684");
	ck_assert_int_eq(c->batch_size, 1000);
	ck_assert_str_eq(c->mqtt.topic_prefix, "tinyfleet");
	free(c);
}
END_TEST

START_TEST(test_config_parses_every_kind_of_value)
{
	struct config *c = load("[gateway]\nlog_level = debug\n"
	                        "[udp]\nlisten = 127.0.0.1:7000, [::1]:7001\nrcvbuf = 8M\n"
	                        "[serial]\ndevice = /dev/ttyUSB0,/dev/ttyUSB1\nparity = even\n"
	                        "rtscts = yes\n"
	                        "[store]\nsynchronous = normal\nretention_age = 7d\n"
	                        "retention_max_size = 2G\nbatch_ms = 5\n"
	                        "[mqtt]\nhost = broker.example\nport = 1884\n"
	                        "[rule:fire]\nlabel = fire\nscore_min = 0.8\n");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(c->n_udp_listen, 2);
	ck_assert_str_eq(c->udp_listen[1], "[::1]:7001");
	ck_assert_int_eq(c->udp_rcvbuf, 8 << 20);
	ck_assert_uint_eq(c->n_serial_device, 2);
	ck_assert_int_eq(c->serial_parity, 'e');
	ck_assert(c->serial_rtscts);
	ck_assert_int_eq(c->synchronous, CONFIG_SYNC_NORMAL);
	ck_assert_int_eq(c->retention_age_s, 7 * 86400);
	ck_assert_int_eq(c->retention_max_bytes, 2LL << 30);
	ck_assert_str_eq(c->mqtt.host, "broker.example");
	ck_assert_int_eq(c->mqtt.port, 1884);
	ck_assert_uint_eq(c->alerts.n_rules, 1);
	ck_assert_str_eq(c->alerts.rules[0].label, "fire");
	free(c);
}
END_TEST

START_TEST(test_config_split_hostport_handles_v4_v6_and_defaults)
{
	char host[64];
	int port;

	ck_assert_int_eq(config_split_hostport("10.0.0.1:99", 5, host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "10.0.0.1");
	ck_assert_int_eq(port, 99);
	ck_assert_int_eq(config_split_hostport("[::]:5684", 5, host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::");
	ck_assert_int_eq(config_split_hostport("gw.local", 5, host, sizeof(host), &port), 0);
	ck_assert_int_eq(port, 5);
	ck_assert_int_eq(config_split_hostport("::1", 5, host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
}
END_TEST

START_TEST(test_config_unknown_key_names_file_and_line)
{
	ck_assert_ptr_null(load("[store]\nbatch_ms = 5\n\nbatchsize = 10\nalso_bad = 1\n"));
	ck_assert_str_eq(err, "t.conf:4: unknown key 'batchsize' in [store]");
}
END_TEST

START_TEST(test_config_unknown_key_in_delegated_section_names_line)
{
	ck_assert_ptr_null(load("[mqtt]\nhost = x\nhots = y\n"));
	ck_assert_str_eq(err, "t.conf:3: unknown key 'hots' in [mqtt]");
	ck_assert_ptr_null(load("[alerts]\n\nnope = 1\n"));
	ck_assert_str_eq(err, "t.conf:3: unknown key 'nope' in [alerts]");
}
END_TEST

START_TEST(test_config_out_of_range_value_is_rejected)
{
	ck_assert_ptr_null(load("[store]\nbatch_size = 0\n"));
	ck_assert_ptr_nonnull(strstr(err, "t.conf:2:"));
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_ptr_null(load("[serial]\nbaud = fast\n"));
	ck_assert_ptr_nonnull(strstr(err, "not an integer"));
	ck_assert_ptr_null(load("[store]\nsynchronous = always\n"));
	ck_assert_ptr_nonnull(strstr(err, "off, normal, full, extra"));
	ck_assert_ptr_null(load("[store]\nretention_age = 3 weeks\n"));
	ck_assert_ptr_null(load("[udp]\nlisten = [::1:80\n"));
}
END_TEST

START_TEST(test_config_cross_key_rules_are_checked)
{
	ck_assert_ptr_null(load("[store]\nretry_min_ms = 500\nretry_max_ms = 100\n"));
	ck_assert_ptr_nonnull(strstr(err, "retry_min_ms > retry_max_ms"));
}
END_TEST

START_TEST(test_config_syntax_error_names_line)
{
	ck_assert_ptr_null(load("[store]\nthis is not ini\n"));
	ck_assert_str_eq(err, "t.conf:2: syntax error");
}
END_TEST

START_TEST(test_config_missing_file_is_enoent)
{
	struct config *c = NULL;

	ck_assert_int_lt(config_load("/nonexistent/tinyfleetd.conf", &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/tinyfleetd.conf"));
}
END_TEST

START_TEST(test_config_shipped_file_parses)
{
	/* config/tinyfleetd.conf documents every key; it must load as is. */
	struct config *c = NULL;

	if (config_load("config/tinyfleetd.conf", &c, err, sizeof(err)) < 0)
		ck_abort_msg("config/tinyfleetd.conf: %s", err);
	free(c);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_test(core, test_config_defaults_need_no_file);
	tcase_add_test(core, test_config_parses_every_kind_of_value);
	tcase_add_test(core, test_config_split_hostport_handles_v4_v6_and_defaults);
	tcase_add_test(core, test_config_shipped_file_parses);
	tcase_add_test(limits, test_config_out_of_range_value_is_rejected);
	tcase_add_test(limits, test_config_cross_key_rules_are_checked);
	tcase_add_test(errors, test_config_unknown_key_names_file_and_line);
	tcase_add_test(errors, test_config_unknown_key_in_delegated_section_names_line);
	tcase_add_test(errors, test_config_syntax_error_names_line);
	tcase_add_test(errors, test_config_missing_file_is_enoent);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
