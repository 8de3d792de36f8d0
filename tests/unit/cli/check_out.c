/*
 * check_out: tinyfleetctl's output helpers (cli/out.c): --since/--until
 * parsing, relative times, sizes, durations, CSV fields and table alignment.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out.h"

#define NOW 1795633434000LL /* 2026-11-25T19:03:54Z */

START_TEST(test_parse_time_accepts_durations_back_from_now)
{
	int64_t t = 0;

	ck_assert_int_eq(out_parse_time("90s", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 90000);
	ck_assert_int_eq(out_parse_time("15m", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 900000);
	ck_assert_int_eq(out_parse_time("1h", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 3600000);
	ck_assert_int_eq(out_parse_time("2d", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 2 * 86400000LL);
	ck_assert_int_eq(out_parse_time("1w", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 7 * 86400000LL);
}
END_TEST

START_TEST(test_parse_time_accepts_iso_8601_with_zones)
{
	int64_t t = 0;

	ck_assert_int_eq(out_parse_time("2026-11-25T19:03:54Z", NOW, &t), 0);
	ck_assert_int_eq(t, NOW);
	ck_assert_int_eq(out_parse_time("2026-11-25 19:03:54.250Z", NOW, &t), 0);
	ck_assert_int_eq(t, NOW + 250);
	ck_assert_int_eq(out_parse_time("2026-11-25T20:03:54+01:00", NOW, &t), 0);
	ck_assert_int_eq(t, NOW);
	ck_assert_int_eq(out_parse_time("2026-11-25T13:33:54-0530", NOW, &t), 0);
	ck_assert_int_eq(t, NOW);
	ck_assert_int_eq(out_parse_time("2026-11-25T19:03Z", NOW, &t), 0);
	ck_assert_int_eq(t, NOW - 54000);
}
END_TEST

START_TEST(test_parse_time_without_zone_is_local_time)
{
	int64_t t = 0;

	setenv("TZ", "CET-1", 1); /* POSIX form: UTC+1 without tzdata */
	tzset();
	ck_assert_int_eq(out_parse_time("2026-11-25 20:03:54", NOW, &t), 0);
	ck_assert_int_eq(t, NOW);
	ck_assert_int_eq(out_parse_time("2026-11-26", NOW, &t), 0);
	ck_assert_int_eq(t, 1795647600000LL); /* 2026-11-25T23:00:00Z */
}
END_TEST

START_TEST(test_ago_and_duration_read_naturally)
{
	char b[32];

	out_ago(NOW, 0, b, sizeof(b));
	ck_assert_str_eq(b, "never");
	out_ago(NOW, NOW - 400, b, sizeof(b));
	ck_assert_str_eq(b, "now");
	out_ago(NOW, NOW - 12000, b, sizeof(b));
	ck_assert_str_eq(b, "12s ago");
	out_ago(NOW, NOW - 5 * 60000, b, sizeof(b));
	ck_assert_str_eq(b, "5m ago");
	out_ago(NOW, NOW - 3 * 3600000, b, sizeof(b));
	ck_assert_str_eq(b, "3h ago");
	out_ago(NOW, NOW - 2 * 86400000LL, b, sizeof(b));
	ck_assert_str_eq(b, "2d ago");
	out_ago(NOW, NOW + 120000, b, sizeof(b));
	ck_assert_str_eq(b, "in 2m");
	out_duration(45, b, sizeof(b));
	ck_assert_str_eq(b, "45s");
	out_duration(302, b, sizeof(b));
	ck_assert_str_eq(b, "5m 02s");
	out_duration(2 * 86400 + 3 * 3600 + 5, b, sizeof(b));
	ck_assert_str_eq(b, "2d 03h");
	out_bytes(812, b, sizeof(b));
	ck_assert_str_eq(b, "812 B");
	out_bytes(4 << 20, b, sizeof(b));
	ck_assert_str_eq(b, "4.0 MiB");
	out_iso(NOW + 7, b, sizeof(b));
	ck_assert_str_eq(b, "2026-11-25T19:03:54.007Z");
}
END_TEST

START_TEST(test_table_aligns_columns_and_right_aligns_numbers)
{
	static const char *const head[] = {"ID", "NAME", "TAGS"};
	static const bool right[] = {true, false, false};
	const char *r1[] = {"7", "kitchen", "a,b"}, *r2[] = {"1234", "n", "-"};
	struct out_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_table_init(&t, 3, head, right);
	ck_assert_int_eq(out_table_add(&t, r1), 0);
	ck_assert_int_eq(out_table_add(&t, r2), 0);
	out_table_print(&t, f);
	fclose(f);
	ck_assert_str_eq(buf, "  ID  NAME     TAGS\n"
	                      "   7  kitchen  a,b\n"
	                      "1234  n        -\n");
	free(buf);
	out_table_free(&t);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_parse_time_rejects_overflowing_durations)
{
	int64_t t = 0;

	ck_assert_int_lt(out_parse_time("99999999999999999w", NOW, &t), 0);
	ck_assert_int_lt(out_parse_time("9223372036854775807s", NOW, &t), 0);
}
END_TEST

START_TEST(test_csv_field_quotes_only_when_needed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_csv_field(f, "plain");
	fputc('|', f);
	out_csv_field(f, "a,b");
	fputc('|', f);
	out_csv_field(f, "say \"hi\"");
	fclose(f);
	ck_assert_str_eq(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"");
	free(buf);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_parse_time_rejects_what_it_cannot_read)
{
	static const char *const bad[] = {"",
	                                  "yesterday",
	                                  "1y",
	                                  "-1h",
	                                  "1h30m",
	                                  "2026-13-01",
	                                  "2026-11-25T25:00",
	                                  "2026-11-25 10:00 CET",
	                                  "2026-11-25T10:00+25:00"};
	int64_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(out_parse_time(bad[i], NOW, &t) < 0, "accepted '%s'", bad[i]);
	ck_assert_int_lt(out_parse_time(NULL, NOW, &t), 0);
}
END_TEST

static Suite *
out_suite(void)
{
	Suite *s = suite_create("out");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_time_accepts_durations_back_from_now);
	tcase_add_test(tc, test_parse_time_accepts_iso_8601_with_zones);
	tcase_add_test(tc, test_parse_time_without_zone_is_local_time);
	tcase_add_test(tc, test_ago_and_duration_read_naturally);
	tcase_add_test(tc, test_table_aligns_columns_and_right_aligns_numbers);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_parse_time_rejects_overflowing_durations);
	tcase_add_test(tc, test_csv_field_quotes_only_when_needed);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_parse_time_rejects_what_it_cannot_read);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(out_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
