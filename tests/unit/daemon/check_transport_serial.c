/*
 * check_transport_serial: the serial transport over a pty. Frames of several
 * nodes arrive COBS-framed on one link, in pieces of any size; frames sent
 * come out COBS-framed; noise costs only the frame it touches; a link that
 * hangs up is reopened with backoff.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <uv.h>

#include "config.h"
#include "transport.h"
#include "wire/cobs.h"
#include "wire/wire.h"

static uv_loop_t loop;
static struct config cfg;
static int master = -1;
static char slave_path[128], link_path[128];
static uint8_t got[16][WIRE_MAX_FRAME];
static size_t got_len[16], n_got;
static struct transport *t;

static void
on_rx(void *arg, uint8_t *frame, size_t len, const struct transport_peer *from)
{
	(void)arg;
	ck_assert_ptr_eq(from->t, t);
	if (n_got < 16) {
		memcpy(got[n_got], frame, len);
		got_len[n_got++] = len;
	}
}

static void
open_pty(void)
{
	int slave;

	ck_assert_int_eq(openpty(&master, &slave, slave_path, NULL, NULL), 0);
	/* Keep our slave fd closed: the transport opens the path itself. */
	close(slave);
	/* The transport opens a stable symlink, as udev makes them. */
	unlink(link_path);
	ck_assert_int_eq(symlink(slave_path, link_path), 0);
}

static void
setup(void)
{
	uv_loop_init(&loop);
	config_defaults(&cfg);
	cfg.serial_reopen_min_ms = 10;
	cfg.serial_reopen_max_ms = 40;
	n_got = 0;
	snprintf(link_path, sizeof(link_path), "/tmp/check_serial_link.%d", (int)getpid());
	open_pty();
	ck_assert_int_eq(transport_serial_ops.open(&loop, link_path, &cfg, on_rx, NULL, &t), 0);
}

static void
teardown(void)
{
	t->ops->close(t);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (master >= 0)
		close(master);
	unlink(link_path);
}

/* Runs the loop until n frames arrived or about a second passed. */
static void
pump(size_t n)
{
	for (int i = 0; i < 200 && n_got < n; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
}

static void
put(const uint8_t *frame, size_t len)
{
	uint8_t enc[WIRE_COBS_MAX_ENCODED(WIRE_MAX_FRAME)];
	int n = wire_cobs_encode(frame, len, enc, sizeof(enc));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(write(master, enc, (size_t)n), n);
}

START_TEST(test_transport_serial_receives_frames_of_many_nodes)
{
	uint8_t a[40], b[300];

	memset(a, 0x11, sizeof(a));
	memset(b, 0x00, sizeof(b)); /* zeros are what COBS is for */
	a[2] = 1;
	b[2] = 2;
	put(a, sizeof(a));
	put(b, sizeof(b));
	pump(2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got_len[0], sizeof(a));
	ck_assert_int_eq(memcmp(got[0], a, sizeof(a)), 0);
	ck_assert_uint_eq(got_len[1], sizeof(b));
	ck_assert_int_eq(memcmp(got[1], b, sizeof(b)), 0);
}
END_TEST

START_TEST(test_transport_serial_sends_cobs_frames)
{
	struct transport_peer p = {.t = t};
	uint8_t f[64], buf[256], dec[256];
	ssize_t n = 0;

	memset(f, 0, sizeof(f));
	f[0] = 1;
	ck_assert_int_eq(transport_send(&p, f, sizeof(f)), 0);
	for (int i = 0; i < 100 && n <= 0; i++) {
		n = read(master, buf, sizeof(buf));
		usleep(2000);
	}
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(buf[n - 1], 0);
	ck_assert_int_eq(wire_cobs_decode(buf, (size_t)n - 1, dec, sizeof(dec)), (int)sizeof(f));
	ck_assert_int_eq(memcmp(dec, f, sizeof(f)), 0);
}
END_TEST

START_TEST(test_transport_serial_frames_split_across_reads)
{
	uint8_t f[100], enc[WIRE_COBS_MAX_ENCODED(100)];
	int n;

	memset(f, 0x5a, sizeof(f));
	n = wire_cobs_encode(f, sizeof(f), enc, sizeof(enc));
	for (int i = 0; i < n; i += 7) {
		ck_assert_int_eq(write(master, enc + i, (size_t)(n - i < 7 ? n - i : 7)),
		                 n - i < 7 ? n - i : 7);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	pump(1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got_len[0], sizeof(f));
}
END_TEST

START_TEST(test_transport_serial_noise_costs_only_one_frame)
{
	uint8_t f[32], noise[] = {0x05, 0x01, 0x00}; /* a block that runs past its frame */
	struct transport_stats ts;

	memset(f, 0x22, sizeof(f));
	ck_assert_int_eq(write(master, noise, sizeof(noise)), (ssize_t)sizeof(noise));
	put(f, sizeof(f));
	pump(1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got_len[0], sizeof(f));
	t->ops->stats(t, &ts);
	ck_assert_uint_ge(ts.rx_errors, 1);
}
END_TEST

START_TEST(test_transport_serial_reopens_after_hangup)
{
	struct transport_stats ts;
	uint8_t f[32];

	/* The device goes away: the master closes and the slave side hangs up. */
	close(master);
	master = -1;
	unlink(link_path);
	for (int i = 0; i < 50; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	t->ops->stats(t, &ts);
	ck_assert_int_eq(ts.up, 0);
	/* It comes back at the same path; the transport finds it on a later retry. */
	open_pty();
	for (int i = 0; i < 200; i++) {
		t->ops->stats(t, &ts);
		if (ts.up)
			break;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
	ck_assert_int_eq(ts.up, 1);
	ck_assert_uint_ge(ts.reopens, 1);
	memset(f, 0x33, sizeof(f));
	put(f, sizeof(f));
	pump(1);
	ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(test_transport_serial_missing_device_is_retried_not_fatal)
{
	struct transport *t2 = NULL;
	struct transport_stats ts;

	ck_assert_int_eq(
	        transport_serial_ops.open(&loop, "/nonexistent/ttyX", &cfg, on_rx, NULL, &t2), 0);
	t2->ops->stats(t2, &ts);
	ck_assert_int_eq(ts.up, 0);
	t2->ops->close(t2);
}
END_TEST

START_TEST(test_transport_serial_rejects_unknown_baud)
{
	struct transport *t2 = NULL;

	cfg.serial_baud = 12345;
	ck_assert_int_lt(transport_serial_ops.open(&loop, link_path, &cfg, on_rx, NULL, &t2), 0);
}
END_TEST

static Suite *
serial_suite(void)
{
	Suite *s = suite_create("transport_serial");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_transport_serial_receives_frames_of_many_nodes);
	tcase_add_test(core, test_transport_serial_sends_cobs_frames);
	tcase_add_test(limits, test_transport_serial_frames_split_across_reads);
	tcase_add_test(limits, test_transport_serial_noise_costs_only_one_frame);
	tcase_add_test(errors, test_transport_serial_reopens_after_hangup);
	tcase_add_test(errors, test_transport_serial_missing_device_is_retried_not_fatal);
	tcase_add_test(errors, test_transport_serial_rejects_unknown_baud);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(serial_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
